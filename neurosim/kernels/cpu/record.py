"""Phase 7 (and the start-of-step sampling): spikes into preallocated buffers, per-population
spike counts per step, sampled state variables."""
from .jit import kernel
from .maths import monitor_value, sample_index


@kernel
def sample_state(rec, chans, neurons, step, mon_first, mon_buf_off, out_state):
    """Write the start-of-step value (after this step's arrivals) of every column of each monitor due at ``step``."""
    for m in range(rec.mon_every.shape[0]):
        k = sample_index(step, mon_first[m], rec.mon_every[m])
        if k < 0:
            continue
        c0 = rec.mon_col_off[m]
        c1 = rec.mon_col_off[m + 1]
        base = mon_buf_off[m] + k * (c1 - c0)
        for c in range(c0, c1):
            out_state[base + c - c0] = monitor_value(rec, chans, neurons, c, step)


@kernel
def record_spikes(pops, rec, neurons, step, rel_step, out_step, out_id, out_trial, n_out, out_counts):
    for b in range(neurons.spike_count.shape[0]):
        p = 0
        for s in range(neurons.spike_count[b]):
            g = neurons.spike_list[b, s]
            while g >= pops.end[p]:
                p += 1
            out_counts[rel_step, p] += 1
            if rec.spike_mask[g]:
                out_step[n_out] = step
                out_id[n_out] = g
                out_trial[n_out] = b
                n_out += 1
    return n_out
