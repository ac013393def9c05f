"""Device twin of kernels/cpu/record.py: state sampling (one thread per column) and spike
recording into device buffers (atomic counter); the host sorts each chunk's spikes."""
from numba import cuda

from .inputs import THREADS, blocks
from .maths import monitor_value, sample_index


@cuda.jit
def _sample(rec, chans, neurons, step, mon_first, mon_buf_off, out_state):
    """Thread ``c``: monitor column ``c`` written when its monitor samples at ``step``."""
    c = cuda.grid(1)
    if c >= rec.col_var.shape[0]:
        return
    m = 0
    while rec.mon_col_off[m + 1] <= c:
        m += 1
    k = sample_index(step, mon_first[m], rec.mon_every[m])
    if k < 0:
        return
    c0 = rec.mon_col_off[m]
    ncol = rec.mon_col_off[m + 1] - c0
    out_state[mon_buf_off[m] + k * ncol + c - c0] = monitor_value(rec, chans, neurons, c, step)


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
