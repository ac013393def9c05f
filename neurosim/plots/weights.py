"""Weight matrix and weight histogram of a recorded projection."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import SelectionError
from ._common import as_result, figure_and_ax, new_figure, pick_trial


def _table(res, projection):
    if not res.weights:
        raise SelectionError("this result has no weight tables (weights are recorded for plastic or monitored "
                             "projections)")
    if projection is None:
        projection = next(iter(res.weights))
    if projection not in res.weights:
        raise SelectionError(f"no weights of projection {projection!r}; available: {', '.join(res.weights)}")
    return projection, res.weights[projection]


def _weights(table, snapshot: Optional[int], trial: int) -> np.ndarray:
    if snapshot is None:
        w = np.asarray(table.weight)
    else:
        if table.snapshots is None:
            raise SelectionError(f"projection {table.projection!r} has no weight snapshots")
        w = np.asarray(table.snapshots)[snapshot]
    if w.ndim == 2:
        w = w[trial]
    return w


def _sizes(res, table):
    """(n_pre, n_post) from the spec, else from the largest indices."""
    pre_n = post_n = None
    spec = res.spec if isinstance(res.spec, dict) else {}
    pops = {p.get("name"): p.get("n") for p in spec.get("populations", [])}
    for q in spec.get("projections", []):
        if q.get("name") == table.projection:
            pre_n, post_n = pops.get(q.get("pre")), pops.get(q.get("post"))
    pre, post = np.asarray(table.pre), np.asarray(table.post)
    if pre_n is None:
        pre_n = int(pre.max()) + 1 if pre.size else 1
    if post_n is None:
        post_n = int(post.max()) + 1 if post.size else 1
    return int(pre_n), int(post_n)


def weight_matrix(result, projection: Optional[str] = None, snapshot: Optional[int] = None, trial: int = 0,
                  max_size: int = 1000):
    """Dense (n_pre, n_post) matrix of a projection's weights (nS or pA; multapses summed;
    NaN where there is no synapse).  Above ``max_size`` rows or columns, neurons are grouped into
    ``max_size`` blocks and each entry is the mean weight of the synapses in the block.
    Returns ``(matrix, unit, (pre_block, post_block))``."""
    res = as_result(result)
    trial = pick_trial(res, trial)
    _, table = _table(res, projection)
    w = _weights(table, snapshot, trial).astype(np.float64)
    n_pre, n_post = _sizes(res, table)
    bp = max(1, -(-n_pre // max_size))
    bq = max(1, -(-n_post // max_size))
    shape = (-(-n_pre // bp), -(-n_post // bq))
    i = np.asarray(table.pre, dtype=np.int64) // bp
    j = np.asarray(table.post, dtype=np.int64) // bq
    total = np.zeros(shape)
    count = np.zeros(shape)
    np.add.at(total, (i, j), w)
    np.add.at(count, (i, j), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = total if (bp == 1 and bq == 1) else total / count
    m[count == 0] = np.nan
    return m, table.unit, (bp, bq)


def plot_weight_matrix(result, projection: Optional[str] = None, snapshot: Optional[int] = None, trial: int = 0,
                       max_size: int = 1000, cmap: str = "viridis", ax=None, figsize=(5.5, 4.5)):
    """Image of the weight matrix (rows: presynaptic, columns: postsynaptic neuron; colour: weight
    in nS or pA; blank: no synapse).  ``snapshot`` selects a recorded snapshot (default the final
    weights), ``trial`` the batch row of per-trial weights.  Returns the matplotlib Figure."""
    res = as_result(result)
    name, table = _table(res, projection)
    m, unit, (bp, bq) = weight_matrix(res, name, snapshot, trial, max_size)
    fig, ax = figure_and_ax(ax, figsize)
    im = ax.imshow(np.ma.masked_invalid(m), aspect="auto", interpolation="nearest", cmap=cmap,
                   extent=(-0.5 * bq, (m.shape[1] - 0.5) * bq, (m.shape[0] - 0.5) * bp, -0.5 * bp))
    fig.colorbar(im, ax=ax, label=f"weight ({unit})" + (" (block mean)" if bp * bq > 1 else ""))
    ax.set_xlabel("postsynaptic neuron")
    ax.set_ylabel("presynaptic neuron")
    when = "final" if snapshot is None else f"t = {float(np.asarray(table.snapshot_times)[snapshot]):g} ms"
    ax.set_title(f"{name} ({table.receptor}, {when})")
    return fig


def plot_weight_hist(result, projection: Optional[str] = None, snapshot: Optional[int] = None, trial: int = 0,
                     bins: int = 50, ax=None, figsize=(5.5, 3.5)):
    """Histogram of a projection's weights (nS or pA); with snapshots recorded and
    ``snapshot=None``, the first snapshot is drawn too for comparison.  Returns the Figure."""
    res = as_result(result)
    trial = pick_trial(res, trial)
    name, table = _table(res, projection)
    fig, ax = figure_and_ax(ax, figsize)
    w = _weights(table, snapshot, trial)
    if snapshot is None and table.snapshots is not None and len(table.snapshots):
        w0 = _weights(table, 0, trial)
        t_first = float(np.asarray(table.snapshot_times)[0]) if table.snapshot_times is not None else 0.0
        lo, hi = min(w.min(), w0.min()), max(w.max(), w0.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        ax.hist(w0, bins=edges, histtype="step", color="0.5", label=f"t = {t_first:g} ms")
        ax.hist(w, bins=edges, histtype="step", color="tab:blue", label="final")
        ax.legend(fontsize="small", frameon=False)
    elif w.size:
        ax.hist(w, bins=bins, color="tab:blue")
    ax.set_xlabel(f"weight ({table.unit})")
    ax.set_ylabel("synapses")
    ax.set_title(f"{name} ({table.receptor}), {w.size} synapses")
    return fig


def plot_weights(result, projection: Optional[str] = None, snapshot: Optional[int] = None, trial: int = 0,
                 figsize=(11.0, 4.5)):
    """Weight matrix and weight histogram side by side; returns the Figure."""
    res = as_result(result)
    pick_trial(res, trial)
    fig, axes = new_figure(figsize, ncols=2)
    plot_weight_matrix(res, projection, snapshot, trial, ax=axes[0, 0])
    plot_weight_hist(res, projection, snapshot, trial, ax=axes[0, 1])
    return fig
