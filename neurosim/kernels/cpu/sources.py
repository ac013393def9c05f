"""Renewal spike sources and generated currents (spec/sources.py) on the CPU, called from
kernels/cpu/inputs.py in phase 1 (thread 0): ``renewal_sources`` from ``source_spikes``,
``generated_currents`` from ``inject_currents``."""
import numpy as np

from .jit import kernel
from ..scalar import STREAM_RENEWAL, STREAM_NOISE, DRAWS_PER_SOURCE
from .maths import step_base, normal_at, renewal_isi, renewal_first, ac_value


@kernel
def renewal_sources(inputs, pops, neurons, key, step):
    """Spikes of the gamma and dead-time sources in this step.  Each source ``i`` of row ``r``
    (column ``rs_off[r] + i``: its own shape, dead time and scale) keeps the time of its next
    event (``rs_next``, steps, continuous); an event in [step, step + 1) is a spike in this step,
    and the following intervals are drawn (from counter indices ``(b n + i) * DRAWS_PER_SOURCE +
    j``, j = 0, 1, ...) until the next event lies after the step."""
    spiked = neurons.spiked
    nxt = inputs.rs_next
    end = step + 1.0
    for r in range(inputs.rs_pop.shape[0]):
        if step < inputs.rs_start[r] or step >= inputs.rs_stop[r]:
            continue
        p = inputs.rs_pop[r]
        start = pops.start[p]
        off = inputs.rs_off[r]
        n = inputs.rs_off[r + 1] - off
        kind = inputs.rs_kind[r]
        base = step_base(key, STREAM_RENEWAL + p, step)
        for b in range(spiked.shape[0]):
            for i in range(n):
                t = nxt[b, off + i]
                if t >= end:
                    continue
                scale = inputs.rs_scale[off + i]
                shape = inputs.rs_shape[off + i]       # per source (gamma order k)
                dead = inputs.rs_dead[off + i]         # per source (steps)
                j = np.int64(b * n + i) * DRAWS_PER_SOURCE
                if t < 0.0:            # the process starts in this step, stationary
                    x, j = renewal_first(base, j, kind, shape, scale, dead)
                    t = step + x
                    if t >= end:
                        nxt[b, off + i] = t
                        continue
                spiked[b, start + i] = 1
                while t < end:
                    x, j = renewal_isi(base, j, kind, shape, scale, dead)
                    t += x
                nxt[b, off + i] = t


@kernel
def generated_currents(inputs, neurons, key, step, dt):
    """Add the sinusoidal and noisy currents of this step into ``i_ext`` (pA)."""
    i_ext = neurons.i_ext
    batch = i_ext.shape[0]
    for c in range(inputs.ac_win.shape[0]):
        if step < inputs.ac_win[c, 0] or step >= inputs.ac_win[c, 1]:
            continue
        val = ac_value(inputs.ac_par[c, 0], inputs.ac_par[c, 1], inputs.ac_par[c, 2], inputs.ac_par[c, 3], step, dt)
        for b in range(batch):
            for k in range(inputs.ac_idx_off[c], inputs.ac_idx_off[c + 1]):
                i_ext[b, inputs.ac_idx[k]] += val
    for c in range(inputs.nz_win.shape[0]):
        a = inputs.nz_win[c, 0]
        if step < a or step >= inputs.nz_win[c, 1]:
            continue
        every = inputs.nz_win[c, 2]
        base = step_base(key, STREAM_NOISE + c, a + ((step - a) // every) * every)
        mean = inputs.nz_par[c, 0]
        std = inputs.nz_par[c, 1]
        k0 = inputs.nz_idx_off[c]
        m = inputs.nz_idx_off[c + 1] - k0
        for b in range(batch):
            for j in range(m):
                i_ext[b, inputs.nz_idx[k0 + j]] += mean + std * normal_at(base, 2 * (b * m + j))
