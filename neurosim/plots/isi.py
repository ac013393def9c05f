"""Inter-spike-interval (ISI) and coefficient-of-variation (CV) histograms."""
from __future__ import annotations

import numpy as np

from ._common import as_result, color_of, figure_and_ax, pick, pick_trial


def _spikes(res, populations, trial):
    """{population: (node_ids, times, trials)} of the selected populations, of one trial or all."""
    trial = pick_trial(res, trial)
    out = {}
    for p in pick(res.spikes, populations, "spike record"):
        st = res.spikes[p]
        ids, ts, tr = np.asarray(st.node_ids), np.asarray(st.times), np.asarray(st.trials)
        if trial is not None:
            keep = tr == trial
            ids, ts, tr = ids[keep], ts[keep], tr[keep]
        out[p] = (ids, ts, tr)
    return out


def intervals(node_ids, times, trials=None):
    """ISIs (ms) of every (trial, neuron) train and the train each belongs to.

    Returns ``(isi, key)``: consecutive-spike intervals and an int64 train key per interval."""
    node_ids = np.asarray(node_ids, dtype=np.int64)
    times = np.asarray(times, dtype=np.float64)
    if node_ids.size < 2:
        return np.zeros(0), np.zeros(0, np.int64)
    trials = np.zeros_like(node_ids) if trials is None else np.asarray(trials, dtype=np.int64)
    key = trials * (int(node_ids.max()) + 1) + node_ids
    order = np.lexsort((times, key))
    key, t = key[order], times[order]
    same = key[1:] == key[:-1]
    return np.diff(t)[same], key[1:][same]


def cv_values(node_ids, times, trials=None, min_spikes: int = 3) -> np.ndarray:
    """CV of the ISIs (std/mean) of each (trial, neuron) train with at least ``min_spikes`` spikes."""
    isi, key = intervals(node_ids, times, trials)
    if isi.size == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    n = np.diff(np.r_[starts, isi.size])
    s1 = np.add.reduceat(isi, starts)
    mean = s1 / n
    dev = isi - np.repeat(mean, n)
    var = np.add.reduceat(dev * dev, starts) / n
    ok = (n >= max(min_spikes - 1, 1)) & (mean > 0)
    return np.sqrt(var[ok]) / mean[ok]


def plot_isi(result, populations=None, bins: int = 60, t_max=None, log: bool = False, ax=None, figsize=(6.0, 3.5),
             trial=None):
    """Histogram of inter-spike intervals (ms), pooled over neurons and trials (or of one
    ``trial``), per population.

    ``t_max`` (ms) caps the x range (default the 99th percentile); ``log`` uses log-spaced bins.
    Returns the matplotlib Figure."""
    res = as_result(result)
    fig, ax = figure_and_ax(ax, figsize)
    data = {p: intervals(*v)[0] for p, v in _spikes(res, populations, trial).items()}
    allv = np.concatenate([v for v in data.values()]) if data else np.zeros(0)
    if allv.size:
        hi = float(t_max) if t_max else float(np.percentile(allv, 99)) or float(allv.max()) or 1.0
        lo = max(float(allv[allv > 0].min()), 1e-3) if log and np.any(allv > 0) else 0.0
        edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(0.0, hi, bins + 1)
        for p, v in data.items():
            ax.hist(v, bins=edges, histtype="step", color=color_of(res, p), label=f"{p} (n={v.size})", density=True)
        if log:
            ax.set_xscale("log")
        ax.legend(fontsize="small", frameon=False)
    else:
        ax.text(0.5, 0.5, "no intervals", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("inter-spike interval (ms)")
    ax.set_ylabel("density (1/ms)")
    return fig


def plot_cv(result, populations=None, bins: int = 30, min_spikes: int = 3, ax=None, figsize=(6.0, 3.5), trial=None):
    """Histogram of the CV of the ISIs over (trial, neuron) trains with at least ``min_spikes``
    spikes (of all trials, or of one ``trial``), per population; the mean CV is in the legend.
    Returns the matplotlib Figure."""
    res = as_result(result)
    fig, ax = figure_and_ax(ax, figsize)
    data = {p: cv_values(*v, min_spikes=min_spikes) for p, v in _spikes(res, populations, trial).items()}
    allv = np.concatenate([v for v in data.values()]) if data else np.zeros(0)
    if allv.size:
        edges = np.linspace(0.0, max(float(allv.max()), 1e-9) * 1.0001, bins + 1)
        for p, v in data.items():
            if v.size:
                ax.hist(v, bins=edges, histtype="step", color=color_of(res, p),
                        label=f"{p} (mean {v.mean():.2f}, n={v.size})")
        ax.legend(fontsize="small", frameon=False)
    else:
        ax.text(0.5, 0.5, f"no trains with >= {min_spikes} spikes", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("CV of ISI")
    ax.set_ylabel("trains")
    return fig
