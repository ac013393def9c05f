"""Device twin of kernels/cpu/sources.py: renewal spike sources and generated currents, the same
scalar maths (kernels/scalar.py) one thread per source column or current target."""
import numpy as np
from numba import cuda

from ..scalar import STREAM_RENEWAL, STREAM_NOISE, DRAWS_PER_SOURCE
from .maths import step_base, normal_at, renewal_isi, renewal_first, ac_value


@cuda.jit
def _renewal(inputs, pops, neurons, key, step):
    x = cuda.grid(1)
    n_cols = inputs.rs_next.shape[1]
    if x >= neurons.spike_count.shape[0] * n_cols:
        return
    b = x // n_cols
    col = x - b * n_cols
    r = 0
    while inputs.rs_off[r + 1] <= col:
        r += 1
    if step < inputs.rs_start[r] or step >= inputs.rs_stop[r]:
        return
    t = inputs.rs_next[b, col]
    end = step + 1.0
    if t >= end:
        return
    p = inputs.rs_pop[r]
    off = inputs.rs_off[r]
    n = inputs.rs_off[r + 1] - off
    i = col - off
    kind = inputs.rs_kind[r]
    shape = inputs.rs_shape[col]     # per source, column off + i (as the CPU kernel)
    dead = inputs.rs_dead[col]
    scale = inputs.rs_scale[col]
    base = step_base(key, STREAM_RENEWAL + p, step)
    j = np.int64(b * n + i) * DRAWS_PER_SOURCE
    if t < 0.0:
        y, j = renewal_first(base, j, kind, shape, scale, dead)
        t = step + y
        if t >= end:
            inputs.rs_next[b, col] = t
            return
    idx = cuda.atomic.add(neurons.spike_count, b, 1)
    neurons.spike_list[b, idx] = pops.start[p] + i
    while t < end:
        y, j = renewal_isi(base, j, kind, shape, scale, dead)
        t += y
    inputs.rs_next[b, col] = t


def renewal_sources(inputs, pops, neurons, key, step, threads, blocks):
    n = inputs.rs_next.shape[0] * inputs.rs_next.shape[1]
    if inputs.rs_pop.shape[0] > 0 and n > 0:
        _renewal[blocks(n), threads](inputs, pops, neurons, key, step)


@cuda.jit
def _ac(inputs, i_ext, step, dt):
    x = cuda.grid(1)
    n_idx = inputs.ac_idx.shape[0]
    if x >= i_ext.shape[0] * n_idx:
        return
    b = x // n_idx
    k = x - b * n_idx
    c = 0
    while inputs.ac_idx_off[c + 1] <= k:
        c += 1
    if step < inputs.ac_win[c, 0] or step >= inputs.ac_win[c, 1]:
        return
    val = ac_value(inputs.ac_par[c, 0], inputs.ac_par[c, 1], inputs.ac_par[c, 2], inputs.ac_par[c, 3], step, dt)
    cuda.atomic.add(i_ext, (b, inputs.ac_idx[k]), val)


@cuda.jit
def _noise(inputs, i_ext, key, step):
    x = cuda.grid(1)
    n_idx = inputs.nz_idx.shape[0]
    if x >= i_ext.shape[0] * n_idx:
        return
    b = x // n_idx
    k = x - b * n_idx
    c = 0
    while inputs.nz_idx_off[c + 1] <= k:
        c += 1
    a = inputs.nz_win[c, 0]
    if step < a or step >= inputs.nz_win[c, 1]:
        return
    every = inputs.nz_win[c, 2]
    base = step_base(key, STREAM_NOISE + c, a + ((step - a) // every) * every)
    k0 = inputs.nz_idx_off[c]
    m = inputs.nz_idx_off[c + 1] - k0
    z = normal_at(base, 2 * (b * m + (k - k0)))
    cuda.atomic.add(i_ext, (b, inputs.nz_idx[k]), inputs.nz_par[c, 0] + inputs.nz_par[c, 1] * z)


def generated(inputs):
    """True when the network has sinusoidal or noisy currents (i_ext is then rebuilt every step)."""
    return inputs.ac_win.shape[0] + inputs.nz_win.shape[0] > 0


def generated_currents(inputs, i_ext, key, step, dt, threads, blocks):
    n = i_ext.shape[0] * inputs.ac_idx.shape[0]
    if n > 0:
        _ac[blocks(n), threads](inputs, i_ext, step, dt)
    n = i_ext.shape[0] * inputs.nz_idx.shape[0]
    if n > 0:
        _noise[blocks(n), threads](inputs, i_ext, key, step)
