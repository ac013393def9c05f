"""Device twin of kernels/cpu/chunk.py: the same phase order (sim/schedule.py, checked by
tests/test_schedule.py), each phase a kernel launch; the step loop runs on the host but no data
crosses to the host inside a chunk."""
from .inputs import advance_tables, inject_currents, poisson_drive, source_spikes
from .neurons import update_neurons
from .propagate import propagate
from .plasticity import plasticity
from .record import sample_state, record_spikes
from .saturating import saturating_step, saturating_arrivals


def run_chunk(st, key, dt, step0, n_steps, info, mon_first, mon_buf_off, out_state,
              out_step, out_id, out_trial, n_out, out_counts):
    """Run ``n_steps`` steps on the device.  ``info`` holds host-side sizes (see CUDABackend);
    the caller guarantees the spike buffers cannot overflow within the chunk."""
    pops, neurons = st.pops, st.neurons
    for rel in range(n_steps):
        step = step0 + rel
        advance_tables(st.tables, neurons, step)
        inject_currents(st.inputs, st.tables, neurons, info["n_cur"], info["n_cur_idx"])
        poisson_drive(st.inputs, st.tables, pops, neurons, st.chans, key, step, dt, info["drive_sizes"])
        source_spikes(pops, st.tables, st.inputs, neurons, key, step, dt, info["n_neurons"], info["has_poisson"],
                      info["has_generators"])
        if info["sat_sizes"] is not None:
            saturating_step(st.sat, st.syn, neurons, step, dt, info["sat_sizes"])
        sample_state(st.rec, st.chans, neurons, step, mon_first, mon_buf_off, out_state)
        update_neurons(pops, st.chans, neurons, step, dt, info["n_neurons"])
        propagate(pops, st.syn, neurons, step)
        if info["sat_sizes"] is not None:
            saturating_arrivals(pops, st.sat, neurons, step, info["n_total"])
        plasticity(pops, st.syn, neurons, st.plast, step, info["plast"])
        record_spikes(pops, st.rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts,
                      info["spike_bound"])
    return n_steps
