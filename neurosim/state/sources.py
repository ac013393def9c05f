"""The arrays of the renewal spike sources and generated currents (spec/sources.py): the
``rs_*``, ``ac_*`` and ``nz_*`` fields of :class:`~neurosim.state.arrays.Inputs`."""
from __future__ import annotations

import math

import numpy as np

from ..spec.sources import GammaSource, PoissonRefractorySource, ACCurrent, NoiseCurrent
from ..spec.timegrid import to_steps

RENEWAL_GAMMA = 0     # rs_kind of a gamma source (the kernels' kernels/scalar.py has the same numbers)
RENEWAL_DEAD = 1      # ... of a Poisson source with dead time
NEVER = 1 << 62       # "no stop" (steps)


def _window_steps(start, stop, dt):
    return to_steps(start, dt, "start", min_steps=0), NEVER if stop is None else to_steps(stop, dt, "stop",
                                                                                             min_steps=0)


def source_input_arrays(net, pos, pop_start, batch, dt) -> dict:
    """The ``rs_*``, ``ac_*`` and ``nz_*`` fields of Inputs for network spec ``net`` (``pos``:
    population index -> row, ``pop_start``: population index -> first global id).  One row ``r``
    per source population (``rs_pop``, ``rs_kind``, ``rs_start``, ``rs_stop``); one column
    ``rs_off[r] + i`` per source ``i`` (``rs_shape``, ``rs_dead`` (steps), ``rs_scale``, ``rs_next``)."""
    rs = {k: [] for k in ("pop", "kind", "shape", "dead", "start", "stop")}
    off, scale = [0], []
    for p in sorted(net.populations, key=lambda q: pos[q.index]):
        m = p.model
        if not isinstance(m, (GammaSource, PoissonRefractorySource)):
            continue
        rate = np.broadcast_to(np.asarray(m.rate, np.float64), (p.n,))
        per_step = rate * dt * 1e-3            # mean events per step
        with np.errstate(divide="ignore"):
            if isinstance(m, GammaSource):
                shape = np.broadcast_to(np.asarray(m.shape, np.float64), (p.n,))
                rs["kind"].append(RENEWAL_GAMMA)
                rs["shape"].append(shape)
                rs["dead"].append(np.zeros(p.n))
                sc = np.where(per_step > 0, 1.0 / (shape * per_step), np.inf)      # 1/beta in steps
            else:
                dead = np.broadcast_to(np.asarray(m.dead_time, np.float64) / dt, (p.n,))
                rs["kind"].append(RENEWAL_DEAD)
                rs["shape"].append(np.ones(p.n))
                rs["dead"].append(dead)
                sc = np.where(per_step > 0, 1.0 / per_step - dead, np.inf)         # 1/lambda in steps
        a, e = _window_steps(m.start, m.stop, dt)
        rs["pop"].append(pos[p.index])
        rs["start"].append(a)
        rs["stop"].append(e)
        scale.append(sc)
        off.append(off[-1] + p.n)
    sc = np.concatenate(scale) if scale else np.zeros(0)
    per_col = lambda xs: np.concatenate(xs) if xs else np.zeros(0)    # noqa: E731
    nxt = np.where(np.isinf(sc), np.inf, -1.0)[None, :].repeat(batch, axis=0)
    i64 = lambda x: np.asarray(x, np.int64)    # noqa: E731
    f64 = lambda x: np.asarray(x, np.float64)  # noqa: E731
    out = dict(rs_pop=i64(rs["pop"]), rs_kind=i64(rs["kind"]), rs_shape=f64(per_col(rs["shape"])),
               rs_dead=f64(per_col(rs["dead"])),
               rs_start=i64(rs["start"]), rs_stop=i64(rs["stop"]), rs_off=i64(off), rs_scale=f64(sc),
               rs_next=np.ascontiguousarray(nxt, np.float64))
    ac_off, ac_idx, ac_par, ac_win = [0], [], [], []
    nz_off, nz_idx, nz_par, nz_win = [0], [], [], []
    for p, c in getattr(net, "generated_currents", ()):
        idx = np.asarray(c.indices, np.int64) + pop_start[p.index]
        a, e = _window_steps(c.start, c.stop, dt)
        if isinstance(c, ACCurrent):
            ac_idx.append(idx)
            ac_off.append(ac_off[-1] + idx.size)
            ac_par.append((c.offset, c.amplitude, 2.0 * math.pi * c.frequency * 1e-3, math.radians(c.phase)))
            ac_win.append((a, e))
        elif isinstance(c, NoiseCurrent):
            nz_idx.append(idx)
            nz_off.append(nz_off[-1] + idx.size)
            nz_par.append((c.mean, c.std))
            nz_win.append((a, e, to_steps(c.dt_noise, dt, "dt_noise")))
    cat = lambda xs: np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, np.int64)  # noqa: E731
    out.update(ac_idx_off=i64(ac_off), ac_idx=cat(ac_idx), ac_par=f64(ac_par).reshape(-1, 4),
               ac_win=i64(ac_win).reshape(-1, 2), nz_idx_off=i64(nz_off), nz_idx=cat(nz_idx),
               nz_par=f64(nz_par).reshape(-1, 2), nz_win=i64(nz_win).reshape(-1, 3))
    return out


def generated_targets(net):
    """Population indices that a generated current targets."""
    return {p.index for p, _ in getattr(net, "generated_currents", ())}
