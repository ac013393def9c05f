"""The synapses one MPI process keeps: those onto its own neurons (sim/partition.py).

Under MPI, process ``r`` updates the neurons of a contiguous local index range ``lo .. hi-1`` of
every population.  The build draws every projection whole (the same draws in every process, so
the connectivity does not depend on the number of processes), then keeps, of a projection whose
synapses carry no state of their own, only the synapses onto that range.  Its rows stay sorted by
target, so the kept part of each row is a contiguous piece of the row of one process, the pieces
in rank order: ``connections()`` puts the processes' parts back into one process's order with a
stable sort by presynaptic neuron (:func:`whole_order`).

Kept whole in every process (each process then runs them as it would alone, restricted to its
targets at propagation): projections with plasticity (STDP updates read and write synapses by
their index), short-term plasticity (per-synapse state), stochastic release (draws counted by
synapse index), a saturating receptor (gating per presynaptic neuron), recorded weights, and rows
that are not sorted by target."""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from .connect import rows_sorted


class PartialRows(NamedTuple):
    """The kept synapses of one projection in one process."""
    keep: np.ndarray          # (n_syn,) bool: the synapse's target is one of this process's neurons
    row_ptr: np.ndarray       # (n_pre + 1,) int64 row pointer of the kept synapses
    n: int                    # kept synapses


def keeps_own_targets_only(q) -> bool:
    """Whether the build may keep only a process's own targets of projection ``q`` (a
    ``ProjectionSpec``): see the module docstring for what stays whole."""
    return (q.plasticity is None and q.short_term is None and q.release_probability is None
            and not q.record_weights and not any(rec.saturating for rec, _ in q.receptors))


def partial_rows(q, pre: np.ndarray, post: np.ndarray, row_ptr: np.ndarray, lo: int, hi: int) -> Optional[PartialRows]:
    """The synapses of ``q`` (CSR by ``pre``, targets ``post``) onto local targets ``lo .. hi-1``,
    or ``None`` when ``q`` stays whole (see :func:`keeps_own_targets_only`)."""
    if not keeps_own_targets_only(q) or not rows_sorted(row_ptr, post):
        return None
    n_pre = row_ptr.shape[0] - 1
    keep = (post >= lo) & (post < hi)
    rp = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pre[keep], minlength=n_pre), out=rp[1:])
    return PartialRows(keep, rp, int(rp[-1]))


def whole_order(pre_parts) -> np.ndarray:
    """The order that puts the processes' kept synapses of one projection, concatenated in rank
    order, back into one process's order: by presynaptic neuron (``pre_parts[r]``: rank ``r``'s
    presynaptic index of each synapse), and within a row by target -- which is rank order, since
    the ranks own ascending target ranges and the rows are sorted by target: a stable sort."""
    pre_all = np.concatenate(pre_parts) if len(pre_parts) else np.zeros(0, np.int64)
    return np.argsort(pre_all, kind="stable")
