"""Device twin of kernels/cpu/record.py: state sampling (one thread per column) and spike
recording into device buffers (atomic counter); the host sorts each chunk's spikes."""
from numba import cuda

from ...state.arrays import VAR_V, VAR_W_ADAPT, VAR_G
from .inputs import THREADS, blocks


@cuda.jit
def _sample(rec, chans, neurons, step, mon_first, mon_buf_off, out_state):
    c = cuda.grid(1)
    if c >= rec.col_var.shape[0]:
        return
    m = 0
    while rec.mon_col_off[m + 1] <= c:
        m += 1
    every = rec.mon_every[m]
    first = mon_first[m]
    if step < first or (step - first) % every != 0:
        return
    k = (step - first) // every
    c0 = rec.mon_col_off[m]
    ncol = rec.mon_col_off[m + 1] - c0
    var = rec.col_var[c]
    idx = rec.col_index[c]
    b = rec.col_trial[c]
    if var == VAR_V:
        x = neurons.v[b, idx]
    elif var == VAR_W_ADAPT:
        x = neurons.w_adapt[b, idx]
    elif var == VAR_G:
        ch = rec.col_chan[c]
        x = neurons.g_decay[b, idx] - neurons.g_rise[b, idx]
        if not chans.has_rise[ch]:
            x += neurons.ring[b, step % neurons.ring.shape[1], idx] * chans.norm[ch]
    else:   # VAR_I_EXT
        x = neurons.i_ext[b, idx]
    out_state[mon_buf_off[m] + k * ncol + c - c0] = x


def sample_state(rec, chans, neurons, step, mon_first, mon_buf_off, out_state):
    n_col = rec.col_var.shape[0]
    if n_col:
        _sample[blocks(n_col), THREADS](rec, chans, neurons, step, mon_first, mon_buf_off, out_state)


@cuda.jit
def _record(pops, rec, neurons, step, rel_step, out_step, out_id, out_trial, n_out, out_counts):
    x = cuda.grid(1)
    batch = neurons.spike_count.shape[0]
    nt = neurons.spike_list.shape[1]
    if x >= batch * nt:
        return
    b = x // nt
    s = x - b * nt
    if s >= neurons.spike_count[b]:
        return
    g = neurons.spike_list[b, s]
    p = 0
    while g >= pops.end[p]:
        p += 1
    cuda.atomic.add(out_counts, (rel_step, p), 1)
    if rec.spike_mask[g]:
        k = cuda.atomic.add(n_out, 0, 1)
        out_step[k] = step
        out_id[k] = g
        out_trial[k] = b


def record_spikes(pops, rec, neurons, step, rel_step, out_step, out_id, out_trial, n_out, out_counts, bound):
    """``bound``: an upper bound of the spikes in this step over all trials (launch size)."""
    _record[blocks(bound), THREADS](pops, rec, neurons, step, rel_step, out_step, out_id, out_trial, n_out,
                                    out_counts)
