"""Phase 7 (and the start-of-step sampling): spikes into preallocated buffers, per-population
spike counts per step, sampled state variables."""
from ...state.arrays import VAR_V, VAR_W_ADAPT, VAR_G
from .jit import kernel


@kernel
def sample_state(rec, chans, neurons, step, mon_first, mon_buf_off, out_state):
    """Write the start-of-step value (after this step's arrivals) of every column of each monitor due at ``step``."""
    for m in range(rec.mon_every.shape[0]):
        every = rec.mon_every[m]
        first = mon_first[m]
        if step < first or (step - first) % every != 0:
            continue
        k = (step - first) // every
        c0 = rec.mon_col_off[m]
        c1 = rec.mon_col_off[m + 1]
        base = mon_buf_off[m] + k * (c1 - c0)
        for c in range(c0, c1):
            var = rec.col_var[c]
            idx = rec.col_index[c]
            b = rec.col_trial[c]
            if var == VAR_V:
                x = neurons.v[b, idx]
            elif var == VAR_W_ADAPT:
                x = neurons.w_adapt[b, idx]
            elif var == VAR_G:
                # include this step's pending arrivals (they add equally to both components of a
                # rise/decay receptor, so only a single-exponential one changes)
                ch = rec.col_chan[c]
                x = neurons.g_decay[b, idx] - neurons.g_rise[b, idx]
                if not chans.has_rise[ch]:
                    x += neurons.ring[b, step % neurons.ring.shape[1], idx] * chans.norm[ch]
            else:   # VAR_I_EXT
                x = neurons.i_ext[b, idx]
            out_state[base + c - c0] = x


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
