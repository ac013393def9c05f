"""The per-presynaptic state of saturating NMDA projections (kernels/cpu/saturating.py), laid out
at build time."""
import math

import numpy as np

from . import arrays as A


def saturating_arrays(sat_blocks, proj_dense, pops, batch, n_ring, dt, fdt):
    """Group the saturating projections by (pre population, kinetics, delay) and lay out their
    per-presynaptic state (see :class:`~neurosim.state.arrays.Saturating`)."""
    n_pops = pops.kind.shape[0]
    groups, proj, proj_grp, proj_uniform = [], [], [], []
    for blk, pre_k, rec, d, one_weight in sat_blocks:
        key = (pre_k, rec.tau_rise, rec.tau_decay, rec.alpha, d)
        if key not in groups:
            groups.append(key)
        proj.append(blk)
        proj_grp.append(groups.index(key))
        proj_uniform.append(one_weight and bool(proj_dense[blk]))
    # groups ordered by pre population (the arrival kernel walks them per spiking population)
    order = sorted(range(len(groups)), key=lambda g: groups[g][0])
    rank = {g: r for r, g in enumerate(order)}
    groups = [groups[g] for g in order]
    proj_grp = [rank[g] for g in proj_grp]
    n = [int(pops.end[k] - pops.start[k]) for k, *_ in groups]
    off = np.zeros(len(groups) + 1, np.int64)
    np.cumsum(n, out=off[1:])
    ptr = np.zeros(n_pops + 1, np.int64)
    np.cumsum(np.bincount([k for k, *_ in groups], minlength=n_pops), out=ptr[1:])
    i64 = lambda x: np.asarray(x, np.int64)  # noqa: E731
    return A.Saturating(
        grp_pre_start=i64([pops.start[k] for k, *_ in groups]), grp_n=i64(n), grp_off=off[:-1].copy(),
        grp_delay=i64([d for *_, d in groups]),
        grp_decay_x=np.asarray([math.exp(-dt / g[1]) for g in groups], fdt),
        grp_k_decay=np.asarray([1.0 / g[2] for g in groups], fdt),
        grp_alpha=np.asarray([g[3] for g in groups], fdt),
        pop_grp_ptr=ptr,
        proj=i64(proj), proj_grp=i64(proj_grp), proj_uniform=np.asarray(proj_uniform, np.bool_),
        x=np.zeros((batch, off[-1]), fdt), s=np.zeros((batch, off[-1]), fdt),
        x_ring=np.zeros((batch, n_ring, off[-1]), fdt), s_sum=np.zeros((batch, len(groups)), fdt))
