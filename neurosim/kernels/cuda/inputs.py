"""Device twin of kernels/cpu/inputs.py: schedules, currents, Poisson drive and sources."""
from numba import config, cuda

from ...state.arrays import KIND_POISSON, DRIVE_DECAY, DRIVE_RISE
from ..scalar import STREAM_POISSON, STREAM_DRIVE
from .maths import advanced_pointer, uniform, binomial, table_value
from . import sources as _sources

THREADS = 32 if config.ENABLE_CUDASIM else 128


def blocks(n):
    return max(1, (n + THREADS - 1) // THREADS)


@cuda.jit
def _begin_step(tables, neurons, step):
    """Advance every schedule's pointer; empty the spike lists of the new step."""
    t = cuda.grid(1)
    if t < tables.k_n.shape[0]:
        tables.ptr[t] = advanced_pointer(tables, t, step)
    if t < neurons.spike_count.shape[0]:
        neurons.spike_count[t] = 0


def advance_tables(tables, neurons, step):
    n = max(tables.k_n.shape[0], neurons.spike_count.shape[0])
    _begin_step[blocks(n), THREADS](tables, neurons, step)


@cuda.jit
def _zero_iext(i_ext):
    x = cuda.grid(1)
    n = i_ext.shape[1]
    if x < i_ext.shape[0] * n:
        i_ext[x // n, x % n] = 0.0


@cuda.jit
def _add_currents(inputs, tables, i_ext):
    x = cuda.grid(1)
    n_idx = inputs.cur_idx.shape[0]
    if x >= i_ext.shape[0] * n_idx:
        return
    b = x // n_idx
    k = x - b * n_idx
    c = 0
    while inputs.cur_idx_off[c + 1] <= k:
        c += 1
    j = k - inputs.cur_idx_off[c]
    cuda.atomic.add(i_ext, (b, inputs.cur_idx[k]), table_value(tables, inputs.cur_table[c], b, j))


def inject_currents(inputs, tables, neurons, n_cur, n_idx, key, step, dt):
    generated = _sources.generated(inputs)
    if n_cur == 0 and not generated:
        return
    i_ext = neurons.i_ext
    _zero_iext[blocks(i_ext.shape[0] * i_ext.shape[1]), THREADS](i_ext)
    if n_cur > 0:
        _add_currents[blocks(i_ext.shape[0] * n_idx), THREADS](inputs, tables, i_ext)
    if generated:
        _sources.generated_currents(inputs, i_ext, key, step, dt, THREADS, blocks)


@cuda.jit
def _drive(inputs, tables, pops, neurons, d, key, step, dt):
    x = cuda.grid(1)
    p = inputs.drv_pop[d]
    n = pops.end[p] - pops.start[p]
    if x >= neurons.g_decay.shape[0] * n:
        return
    b = x // n
    i = x - b * n
    rate = table_value(tables, inputs.drv_table[d], b, i)
    k = binomial(key, STREAM_DRIVE + d, step, b * n + i, inputs.drv_nsrc[d], rate * dt * 1e-3)
    if k > 0:
        wn = inputs.drv_w[d] * inputs.drv_norm[d]
        s = inputs.drv_slot[d] + i
        if inputs.drv_rise[d] != DRIVE_RISE:
            neurons.g_decay[b, s] += k * wn
        if inputs.drv_rise[d] != DRIVE_DECAY:
            neurons.g_rise[b, s] += k * wn


def poisson_drive(inputs, tables, pops, neurons, chans, key, step, dt, drive_sizes):
    for d, n in enumerate(drive_sizes):
        _drive[blocks(n * neurons.g_decay.shape[0]), THREADS](inputs, tables, pops, neurons, d, key, step, dt)


@cuda.jit
def _poisson_sources(pops, tables, neurons, key, step, dt, g0):
    x = cuda.grid(1)
    nt = neurons.spiked.shape[1]
    n_src = nt - g0
    if x >= neurons.spiked.shape[0] * n_src:
        return
    b = x // n_src
    g = g0 + x - b * n_src
    p = 0
    while g >= pops.end[p]:
        p += 1
    if pops.kind[p] != KIND_POISSON:
        return
    start = pops.start[p]
    n = pops.end[p] - start
    i = g - start
    prob = table_value(tables, pops.table[p], b, i) * (dt * 1e-3)     # as the CPU: rate * (dt in s)
    if prob > 0.0 and uniform(key, STREAM_POISSON + p, step, b * n + i) < prob:
        idx = cuda.atomic.add(neurons.spike_count, b, 1)
        neurons.spike_list[b, idx] = g


@cuda.jit
def _generators(inputs, neurons, step):
    if cuda.grid(1) != 0:
        return
    ptr = inputs.gen_ptr[0]
    n_gen = inputs.gen_step.shape[0]
    while ptr < n_gen and inputs.gen_step[ptr] < step:
        ptr += 1
    while ptr < n_gen and inputs.gen_step[ptr] == step:
        tr = inputs.gen_trial[ptr]
        for b in range(neurons.spike_count.shape[0]):
            if tr < 0 or tr == b:
                idx = neurons.spike_count[b]
                neurons.spike_list[b, idx] = inputs.gen_id[ptr]
                neurons.spike_count[b] = idx + 1
        ptr += 1
    inputs.gen_ptr[0] = ptr


def source_spikes(pops, tables, inputs, neurons, key, step, dt, n_neurons, has_poisson, has_generators):
    """Sources append their spikes to the step's spike lists (generators first, then Poisson)."""
    if has_generators:
        _generators[1, 1](inputs, neurons, step)
    if has_poisson:
        n_src = neurons.spiked.shape[1] - n_neurons
        _poisson_sources[blocks(n_src * neurons.spiked.shape[0]), THREADS](pops, tables, neurons, key, step, dt,
                                                                           n_neurons)
    _sources.renewal_sources(inputs, pops, neurons, key, step, THREADS, blocks)
