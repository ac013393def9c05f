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

The order, kernel by kernel, is stated as data in sim/schedule.py (``Network.schedule_summary()``
prints it); tests/test_schedule.py fails when this runner or the CUDA one departs from it.

Threads: ``run_chunk`` is called by ``n_threads`` threads at once (thread ``tid``; see
backends/cpu.py), all inside compiled code without the GIL for the whole chunk.  Phases 2-4 are
split into blocks (neurons.py) and each thread updates a fixed, contiguous range of them.  With
one trial, each thread also collects the spikes of its blocks and propagates every spike into its
own neurons only (propagate.py), so the state a thread writes stays in its core's cache; thread 0
runs phases 1, 6 and 7 and the saturating NMDA gating (the part of phase 2 that runs per
presynaptic neuron, and its arrivals).  With several trials thread 0 collects and propagates for
everyone.
Barriers (sync.py) separate the phases: 3 a step (4 with plasticity or state monitors, and with
a Poisson drive that thread 0 draws for everyone).  Each neuron is written by one block and each
synaptic target receives its inputs in the same order whatever the number of threads, so the
result does not depend on it.

Subnormal numbers are flushed to zero while a chunk runs (fpenv.py).

Returns early, before a step, when the spike buffer could overflow, so the caller can flush it,
and when the threads keep waiting for each other (more than ``sync[SYNC_SLOW_LIMIT]`` slow
barriers within SLOW_WINDOW steps), so that the caller can ask the OS whether other processes hold
the cores and, if so, go on with one thread.
"""
import numpy as np
from numba import njit

from .inputs import advance_tables, inject_currents, poisson_drive, source_spikes
from ...state.arrays import KIND_POISSON
from .neurons import update_neurons, n_jobs, neuron_paths, BLOCK, N_WORK
from .collect import collect_spikes, collect_owned, collect_sources, owned_ranges
from .sync import barrier, atomic_load, SYNC_STOP, SYNC_SLOW, SYNC_SLOW_LIMIT, SYNC_COUNTS, SYNC_STRIDE, SLOW_WINDOW
from .propagate import propagate, propagate_owned, synapse_paths
from .plasticity import plasticity
from .record import sample_state, record_spikes
from .saturating import saturating_step, saturating_arrivals
from .fpenv import get_fp_control, set_fp_control, FLUSH_SUBNORMALS
from .exchange import exchange_spikes


def chunk_args(st):
    """The state arguments of :func:`run_chunk` for state ``st``, then its ``use_*`` markers.

    A part of the state that no phase of this network reads (``tables``, ``inputs``, ``plast``,
    ``sat``) is passed as ``None``, and each phase and neuron update is marked ``True`` when the
    network needs it, ``None`` when not.  ``None`` is a type of its own to Numba, so every
    combination compiles (and caches) its own ``run_chunk`` with the unused phases pruned before
    typing: a network compiles only the code it runs (an E/I network of conductance-based cells
    skips plasticity, inputs, monitors and three of the four neuron updates), and Python unboxes
    only the arrays it uses.  A phase with nothing to do is not called either way (a call costs
    ~0.1-1 us, the whole step of a small network only a few us)."""
    def mark(flag):
        return True if flag else None

    pops = st.pops
    use_tables = mark(st.tables.k_n.shape[0] > 0)
    use_currents = mark(st.inputs.cur_table.shape[0] > 0 or st.inputs.ac_win.shape[0] > 0
                        or st.inputs.nz_win.shape[0] > 0)
    use_drive = mark(st.inputs.drv_table.shape[0] > 0)
    use_sources = mark(st.inputs.gen_step.shape[0] > 0 or bool((pops.kind == KIND_POISSON).any())
                       or st.inputs.rs_pop.shape[0] > 0)
    use_monitors = mark(st.rec.mon_every.shape[0] > 0)
    uses_inputs = use_currents or use_drive or use_sources
    plastic = st.plast.pi.shape[0] > 0 or st.plast.mi.shape[0] > 0
    saturating = st.sat.grp_off.shape[0] > 0
    use_stp = mark(st.stp.U.shape[0] > 0)   # Tsodyks-Markram short-term plasticity (short_term.py)
    use_rel = mark(st.rel.p.shape[0] > 0)   # stochastic release (release.py)
    parts = (pops, st.chans, st.neurons, st.syn, st.tables if uses_inputs or use_tables else None,
             st.inputs if uses_inputs else None, st.rec, st.plast if plastic else None,
             st.sat if saturating else None, st.stp if use_stp else None, st.rel if use_rel else None)
    return (parts + (use_tables, use_currents, use_drive, use_sources, use_monitors, use_stp, use_rel)
            + neuron_paths(pops, st.chans)
            + synapse_paths(st.syn))


@njit(cache=True, nogil=True)
def run_chunk(pops, chans, neurons, syn, tables, inputs, rec, plast, sat, stp, release,
              use_tables, use_currents, use_drive, use_sources, use_monitors, use_stp, use_rel,
              use_cond, use_cond_fused, use_curr, use_curr_fused, use_per_neuron, use_adex, use_theta, use_ring, use_dense,
              use_rise,
              use_unsorted, use_mpi, part, n_parts,
              key, dt, step0, n_steps, tid, n_threads, sync, per_step_max, mon_first, mon_buf_off,
              out_state, out_step, out_id, out_trial, out_counts):
    """Run up to ``n_steps`` steps from ``step0``; returns (steps done, spikes written) (thread 0's
    values are the ones that count).  The state and the ``use_*`` markers come from
    :func:`chunk_args` (a part or phase given as ``None`` is left out of the compiled code);
    ``sync``: see sync.new_sync()."""
    batch = neurons.v.shape[0]
    cap = out_step.shape[0]
    n_out = np.int64(0)   # int64 from the start: a literal 0 would compile its callees twice
    jobs = n_jobs(pops, batch)
    part0 = part * jobs // n_parts          # this process's blocks (all of them without MPI)
    part1 = (part + 1) * jobs // n_parts
    job0 = part0 + tid * (part1 - part0) // n_threads
    job1 = part0 + (tid + 1) * (part1 - part0) // n_threads
    work = np.empty((N_WORK, BLOCK))
    bits = np.empty(BLOCK, np.int64)
    job_spikes = np.zeros(jobs, np.int64)
    # one trial on several threads: spikes collected and propagated by every thread for its own
    # neurons (see propagate_owned); otherwise thread 0 does both for everyone
    owned = (n_threads > 1 or use_mpi is not None) and batch == 1
    own_lo = np.zeros(pops.kind.shape[0], np.int64)
    own_hi = np.zeros(pops.kind.shape[0], np.int64)
    owned_ranges(pops, job0, job1, own_lo, own_hi)
    # The Poisson drive.  Owned mode without state monitors: every thread draws it for its own
    # neurons just before updating them (after the first barrier, so a chunk that stops draws
    # nothing; it is the bulk of phase 1 in the microcircuit).  Otherwise thread 0 draws it in phase
    # 1, where state monitors sample it: for every neuron, or under MPI for the process's own
    # (one thread there; every other process's neurons are theirs to update).  Each target's draw
    # depends on (seed, step, target) only, so who draws it changes nothing.
    drive_own = owned and use_monitors is None
    drive_lo = np.zeros(pops.kind.shape[0], np.int64)
    drive_hi = own_hi.copy() if use_mpi is not None else pops.end - pops.start
    if use_mpi is not None:
        drive_lo[:] = own_lo
    first_source = neurons.v.shape[1]
    # thread 0's phases after propagation that must wait for every thread's propagation
    wait_after_propagation = owned and (plast is not None or (use_drive is not None and not drive_own)
                                        or use_monitors is not None)
    done = n_steps
    fp_control = get_fp_control()   # subnormals flushed to zero while the chunk runs (fpenv.py)
    set_fp_control(fp_control | FLUSH_SUBNORMALS)
    for rel in range(n_steps):
        step = step0 + rel
        if tid == 0:
            if cap - n_out < per_step_max or (rel > 0 and sync[SYNC_SLOW] > sync[SYNC_SLOW_LIMIT]):
                sync[SYNC_STOP] = rel
            else:
                if rel % SLOW_WINDOW == 0:
                    sync[SYNC_SLOW] = 0
                if use_tables is not None:
                    advance_tables(tables, step)
                if use_currents is not None:
                    inject_currents(inputs, tables, neurons, key, step, dt)
                if use_drive is not None:
                    if not drive_own:
                        poisson_drive(inputs, tables, pops, neurons, chans, key, step, dt, drive_lo, drive_hi)
                if use_sources is not None:
                    source_spikes(pops, tables, inputs, neurons, key, step, dt)
                if sat is not None:
                    saturating_step(sat, syn, neurons, step, dt)
                if use_monitors is not None:
                    sample_state(rec, chans, neurons, step, mon_first, mon_buf_off, out_state)
        barrier(sync, n_threads, tid)
        if atomic_load(sync, SYNC_STOP) == rel:
            done = rel
            break
        if owned:
            if use_drive is not None:
                if drive_own:
                    poisson_drive(inputs, tables, pops, neurons, chans, key, step, dt, own_lo, own_hi)
        n_own = update_neurons(pops, chans, neurons, step, dt, job0, job1, work, bits, job_spikes,
                               use_cond, use_cond_fused, use_curr, use_curr_fused, use_per_neuron, use_adex, use_theta)
        if owned:
            first = np.int64(0)
            total = n_own
            if use_mpi is None:
                sync[SYNC_COUNTS + SYNC_STRIDE * tid] = n_own
                barrier(sync, n_threads, tid)
                total = np.int64(0)
                for t in range(n_threads):
                    c = sync[SYNC_COUNTS + SYNC_STRIDE * t]
                    if t < tid:
                        first += c
                    total += c
            collect_owned(pops, neurons, job0, job1, job_spikes, first)
            if use_mpi is not None:     # one thread per process: every process's spikes, in rank order
                total = exchange_spikes(neurons.spike_list[0], n_own)
            if tid == 0:
                collect_sources(neurons, first_source, total)
            barrier(sync, n_threads, tid)
            propagate_owned(pops, syn, neurons, step, own_lo, own_hi, use_ring, use_dense, use_rise, use_unsorted, stp, use_stp, release, use_rel, key)  # noqa: E501 (one line: tests/test_schedule.py swaps lines)
            if wait_after_propagation:
                barrier(sync, n_threads, tid)
        else:
            barrier(sync, n_threads, tid)
            if tid == 0:
                collect_spikes(neurons)
                propagate(pops, syn, neurons, step, use_ring, use_dense, use_rise, stp, use_stp, release, use_rel, key)
        if tid == 0:
            if sat is not None:
                saturating_arrivals(pops, sat, neurons, step)
            if plast is not None:
                plasticity(pops, syn, neurons, plast, step)
            n_out = record_spikes(pops, rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts)
    set_fp_control(fp_control)
    return done, n_out
