"""Lays out stochastic transmitter release (spec/release.py) as
:class:`~neurosim.state.arrays.Release`; called by :func:`~neurosim.state.build.build_state` and,
after ``Projection.set(release_probability=...)``, by :func:`write_release`.

Nothing is allocated for a network without release probabilities (``p`` has length 0 and the
propagation kernels leave the code out); otherwise ``p`` holds one float64 per synapse of the
network, 1.0 outside the projections that have one.  A distribution is drawn from
(seed, PURPOSE_RELEASE, projection index), so set() of another projection draws the same values."""
from __future__ import annotations

import numpy as np

from . import arrays as A
from .connect import pre_indices

PURPOSE_RELEASE = 7   # state/build.py: 1-4, state/neuron_params.py: 5-6


def build_release(net, layout, n_proj, syn_post, seed) -> A.Release:
    """``syn_post``: local post index of every synapse (``Synapses.post``)."""
    from ..spec.release import synapse_release
    from .build import rng_for
    shift = np.full(n_proj, -1, np.int64)
    users = [q for q in net.projections if getattr(q, "release_probability", None) is not None]
    if not users:
        return A.Release(shift=shift, p=np.zeros(0, np.float64))
    p = np.ones(syn_post.shape[0], np.float64)
    for q in users:
        blocks = layout.proj_blocks[q.index]
        first = blocks[0][1]
        pre = pre_indices(blocks[0][4])
        post = np.asarray(syn_post[first:first + pre.size], np.int64)
        vals = synapse_release(q, pre, post, rng_for(seed, PURPOSE_RELEASE, q.index))
        whole = first if layout.whole_first is None else layout.whole_first[q.index]   # as in one process
        for _rec, off, n, blk, _rp in blocks:
            shift[blk] = off - whole
            p[off:off + n] = vals
    return A.Release(shift=shift, p=p)


def write_release(sim):
    """Lay the release probabilities out anew from the projections (after set) and run on them."""
    st = sim.backend.download()
    rel = build_release(sim.net, sim.layout, st.rel.shift.shape[0], st.syn.post, sim.net.seed)
    sim.replace_state(st._replace(rel=rel))


def read_release(sim, proj) -> np.ndarray:
    """The release probability (dimensionless) of each synapse of ``proj`` (order of ``connections()``)."""
    _rec, off, n, blk, _rp = sim.layout.proj_blocks[proj.index][0]
    rel = sim.backend.download().rel
    if rel.shift[blk] < 0:
        return np.ones(n, np.float64)
    return rel.p[off:off + n].copy()
