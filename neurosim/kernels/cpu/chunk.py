"""Runs a chunk of time steps inside compiled code, in the fixed phase order of DESIGN.md:

1. inputs (schedules, injected currents, Poisson drive, Poisson sources, generators)
   -- state monitors sample here: the values at the start of the step (time ``step*dt``),
      including this step's synaptic arrivals
2. synaptic state: this step's arrivals from the ring buffer, exact decay (fused with 3-4)
3. membrane integration, 4. threshold, reset, refractoriness
5. propagation into the ring buffer, 6. plasticity and neuromodulators (plasticity.py)
7. spike recording and per-population counts

Returns early, before a step, when the spike buffer could overflow, so the caller can flush it.
"""
import numpy as np
from numba import njit

from .inputs import advance_tables, inject_currents, poisson_drive, source_spikes
from .neurons import update_neurons, collect_spikes, n_jobs, neuron_work, BLOCK, N_WORK, PARALLEL_MIN_WORK
from .propagate import propagate
from .plasticity import plasticity
from .record import sample_state, record_spikes


@njit(cache=True)
def run_chunk(st, key, dt, step0, n_steps, n_threads, per_step_max, mon_first, mon_buf_off, out_state,
              out_step, out_id, out_trial, out_counts):
    pops = st.pops
    neurons = st.neurons
    cap = out_step.shape[0]
    n_out = 0
    jobs = n_jobs(pops, neurons.v.shape[0])
    parallel = n_threads > 1 and neuron_work(pops, st.chans, neurons.v.shape[0]) >= PARALLEL_MIN_WORK
    n_scratch = jobs if parallel else 1
    work = np.empty((n_scratch, N_WORK, BLOCK))
    bits = np.empty((n_scratch, BLOCK), np.int64)
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
    for rel in range(n_steps):
        if cap - n_out < per_step_max:
            return rel, n_out
        step = step0 + rel
        if has_tables:
            advance_tables(st.tables, step)
        if has_currents:
            inject_currents(st.inputs, st.tables, neurons)
        if has_drive:
            poisson_drive(st.inputs, st.tables, pops, neurons, st.chans, key, step, dt)
        if has_sources:
            source_spikes(pops, st.tables, st.inputs, neurons, key, step, dt)
        if has_monitors:
            sample_state(st.rec, st.chans, neurons, step, mon_first, mon_buf_off, out_state)
        update_neurons(pops, st.chans, neurons, step, dt, jobs, parallel, work, bits)
        collect_spikes(neurons)
        propagate(pops, st.syn, neurons, step)
        if has_plasticity:
            plasticity(pops, st.syn, neurons, st.plast, step)
        n_out = record_spikes(pops, st.rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts)
    return n_steps, n_out
