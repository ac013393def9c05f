"""Stochastic transmitter release (spec/release.py), per synapse, inside phase 5.

``propagate`` / ``propagate_owned`` (propagate.py) call :func:`release_range` for the synapses of a
spike's row in a projection with a release probability (``Release.shift[q] >= 0``): synapse ``k``
of trial ``b`` adds its weight where ``w`` would go (ring slot ``delay`` steps ahead, or the
receptor state of a ``direct`` channel) iff ``uniform(key, STREAM_RELEASE, step, b * n_syn + k -
shift[q]) < p[k]``.  The draw depends on the counter only, so the threads (each walking the
synapses of its own targets) and the CUDA kernel draw the same numbers.
"""
from .jit import kernel
from .maths import step_base, uniform_at
from .short_term import _deliver
from ..scalar import STREAM_RELEASE


@kernel
def release_range(syn, rel, b, ring, gdb, grb, q, ka, kb, cur, n_slots, wr, key, step):
    """Synapses ``ka..kb-1`` (of one row) of projection ``q`` in trial ``b``: each delivers ``w``
    (nS or pA) with its release probability."""
    if kb <= ka:
        return
    base = step_base(key, STREAM_RELEASE, step)
    idx0 = b * syn.post.shape[0] - rel.shift[q]
    p = rel.p
    for k in range(ka, kb):
        if uniform_at(base, idx0 + k) < p[k]:
            _deliver(syn, ring, gdb, grb, q, k, cur, n_slots, wr[k])
