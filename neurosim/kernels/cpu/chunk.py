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
from .neurons import update_neurons, collect_spikes, BLOCK
from .propagate import propagate
from .plasticity import plasticity
from .record import sample_state, record_spikes


@njit(cache=True)
def run_chunk(st, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
              out_step, out_id, out_trial, out_counts):
    pops = st.pops
    neurons = st.neurons
    cap = out_step.shape[0]
    n_out = 0
    tmp1 = np.empty(BLOCK)
    tmp2 = np.empty(BLOCK)
    for rel in range(n_steps):
        if cap - n_out < per_step_max:
            return rel, n_out
        step = step0 + rel
        advance_tables(st.tables, step)
        inject_currents(st.inputs, st.tables, neurons)
        poisson_drive(st.inputs, st.tables, pops, neurons, st.chans, key, step, dt)
        source_spikes(pops, st.tables, st.inputs, neurons, key, step, dt)
        sample_state(st.rec, st.chans, neurons, step, mon_first, mon_buf_off, out_state)
        update_neurons(pops, st.chans, neurons, step, dt, tmp1, tmp2)
        collect_spikes(neurons)
        propagate(pops, st.syn, neurons, step)
        plasticity(pops, st.syn, neurons, st.plast, step)
        n_out = record_spikes(pops, st.rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts)
    return n_steps, n_out
