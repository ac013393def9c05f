"""Runs a chunk of time steps inside compiled code, in the fixed phase order of DESIGN.md:

1. inputs (schedules, injected currents, Poisson drive, Poisson sources, generators)
   -- state monitors sample here: the values at the start of the step (time ``step*dt``),
      including this step's synaptic arrivals
2. synaptic state: saturating NMDA gating (saturating.py), this step's arrivals from the ring
   buffer, exact decay (fused with 3-4)
3. membrane integration, 4. threshold, reset, refractoriness
5. propagation into the ring buffer (and the saturating gating's arrivals), 6. plasticity and
   neuromodulators (plasticity.py)
7. spike recording and per-population counts

Threads: ``run_chunk`` is called by ``n_threads`` threads at once (thread ``tid``; see
backends/cpu.py), all inside compiled code without the GIL for the whole chunk.  Phases 2-4 are
split into blocks (neurons.py) and each thread updates a fixed, contiguous range of them.  With
one trial, each thread also collects the spikes of its blocks and propagates every spike into its
own neurons only (propagate.py), so the state a thread writes stays in its core's cache; thread 0
runs phases 1, 6 and 7 and the saturating NMDA gating (the part of phase 2 that runs per
presynaptic neuron, and its arrivals).  With several trials thread 0 collects and propagates for
everyone.
Barriers (sync.py) separate the phases: 3 a step (4 with plasticity, a Poisson drive or state
monitors).  Each neuron is written by one block and each synaptic target receives its inputs in
the same order whatever the number of threads, so the result does not depend on it.

Subnormal numbers are flushed to zero while a chunk runs (fpenv.py).

Returns early, before a step, when the spike buffer could overflow, so the caller can flush it,
and when the threads keep waiting for each other (more than SLOW_LIMIT slow barriers within
SLOW_WINDOW steps: a machine with more busy threads than cores), so that the caller can go on
with one thread.
"""
import numpy as np
from numba import njit

from .inputs import advance_tables, inject_currents, poisson_drive, source_spikes
from .neurons import (update_neurons, collect_spikes, collect_owned, collect_sources, owned_ranges, n_jobs,
                      BLOCK, N_WORK)
from .sync import barrier, atomic_load, SYNC_STOP, SYNC_SLOW, SYNC_COUNTS, SYNC_STRIDE, SLOW_LIMIT, SLOW_WINDOW
from .propagate import propagate, propagate_owned
from .plasticity import plasticity
from .record import sample_state, record_spikes
from .saturating import saturating_step, saturating_arrivals
from .fpenv import get_fp_control, set_fp_control, FLUSH_SUBNORMALS


@njit(cache=True, nogil=True)
def run_chunk(st, key, dt, step0, n_steps, tid, n_threads, sync, per_step_max, mon_first, mon_buf_off,
              out_state, out_step, out_id, out_trial, out_counts):
    """Run up to ``n_steps`` steps from ``step0``; returns (steps done, spikes written) (thread 0's
    values are the ones that count).  ``sync``: see sync.new_sync()."""
    pops = st.pops
    neurons = st.neurons
    chans = st.chans
    batch = neurons.v.shape[0]
    cap = out_step.shape[0]
    n_out = 0
    jobs = n_jobs(pops, batch)
    job0 = tid * jobs // n_threads
    job1 = (tid + 1) * jobs // n_threads
    work = np.empty((N_WORK, BLOCK))
    bits = np.empty(BLOCK, np.int64)
    job_spikes = np.zeros(jobs, np.int64)
    # one trial on several threads: spikes collected and propagated by every thread for its own
    # neurons (see propagate_owned); otherwise thread 0 does both for everyone
    owned = n_threads > 1 and batch == 1
    own_lo = np.zeros(pops.kind.shape[0], np.int64)
    own_hi = np.zeros(pops.kind.shape[0], np.int64)
    owned_ranges(pops, job0, job1, own_lo, own_hi)
    first_source = neurons.v.shape[1]
    # phases with nothing to do are not called: a call costs ~0.1-1 us (argument passing), the
    # whole step of a small network only a few us
    has_tables = st.tables.k_n.shape[0] > 0
    has_currents = st.inputs.cur_table.shape[0] > 0
    has_drive = st.inputs.drv_table.shape[0] > 0
    has_sources = st.inputs.gen_step.shape[0] > 0
    for p in range(pops.kind.shape[0]):
        has_sources = has_sources or pops.kind[p] == 2
    has_monitors = st.rec.mon_every.shape[0] > 0
    has_plasticity = st.plast.pi.shape[0] > 0 or st.plast.mi.shape[0] > 0
    has_saturating = st.sat.grp_off.shape[0] > 0
    # thread 0's phases after propagation that must wait for every thread's propagation
    wait_after_propagation = owned and (has_plasticity or has_drive or has_monitors)
    done = n_steps
    fp_control = get_fp_control()   # subnormals flushed to zero while the chunk runs (fpenv.py)
    set_fp_control(fp_control | FLUSH_SUBNORMALS)
    for rel in range(n_steps):
        step = step0 + rel
        if tid == 0:
            if cap - n_out < per_step_max or (rel > 0 and sync[SYNC_SLOW] > SLOW_LIMIT):
                sync[SYNC_STOP] = rel
            else:
                if rel % SLOW_WINDOW == 0:
                    sync[SYNC_SLOW] = 0
                if has_tables:
                    advance_tables(st.tables, step)
                if has_currents:
                    inject_currents(st.inputs, st.tables, neurons)
                if has_drive:
                    poisson_drive(st.inputs, st.tables, pops, neurons, chans, key, step, dt)
                if has_sources:
                    source_spikes(pops, st.tables, st.inputs, neurons, key, step, dt)
                if has_saturating:
                    saturating_step(st.sat, st.syn, neurons, step, dt)
                if has_monitors:
                    sample_state(st.rec, chans, neurons, step, mon_first, mon_buf_off, out_state)
        barrier(sync, n_threads, tid)
        if atomic_load(sync, SYNC_STOP) == rel:
            done = rel
            break
        n_own = update_neurons(pops, chans, neurons, step, dt, job0, job1, work, bits, job_spikes)
        if owned:
            sync[SYNC_COUNTS + SYNC_STRIDE * tid] = n_own
            barrier(sync, n_threads, tid)
            first = 0
            total = 0
            for t in range(n_threads):
                c = sync[SYNC_COUNTS + SYNC_STRIDE * t]
                if t < tid:
                    first += c
                total += c
            collect_owned(pops, neurons, job0, job1, job_spikes, first)
            if tid == 0:
                collect_sources(neurons, first_source, total)
            barrier(sync, n_threads, tid)
            propagate_owned(pops, st.syn, neurons, step, own_lo, own_hi)
            if wait_after_propagation:
                barrier(sync, n_threads, tid)
        else:
            barrier(sync, n_threads, tid)
            if tid == 0:
                collect_spikes(neurons)
                propagate(pops, st.syn, neurons, step)
        if tid == 0:
            if has_saturating:
                saturating_arrivals(pops, st.sat, neurons, step)
            if has_plasticity:
                plasticity(pops, st.syn, neurons, st.plast, step)
            n_out = record_spikes(pops, st.rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts)
    set_fp_control(fp_control)
    return done, n_out
