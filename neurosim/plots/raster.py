"""Spike raster of one or more populations, with the population rate underneath."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ..errors import SelectionError
from ._common import as_result, color_of, new_figure, pick, pick_trial, time_window, max_time

#: Above this many points the raster draws one-pixel markers (10 million render in seconds).
PIXEL_MARKERS_ABOVE = 200_000
#: By default a raster shows at most this many neurons (a readable subset of bigger networks).
MAX_NEURONS = 200
#: The rate panel's y range leaves out the first max(this, 10 %) ms of a window at the run start.
TRANSIENT_MS = 50.0
#: The default rate bin holds at least this many spikes of each population on average.
MIN_SPIKES_PER_BIN = 10


def _rows(st, neurons, pop):
    """Sorted neuron indices to show for population ``pop`` (always a subset of recorded)."""
    rec = np.asarray(st.recorded, dtype=np.int64)
    if neurons is None:
        return rec
    if isinstance(neurons, dict):
        if pop not in neurons:
            return rec
        neurons = neurons[pop]
    if isinstance(neurons, (int, np.integer)):
        return rec[: int(neurons)]
    sel = np.unique(np.asarray(neurons, dtype=np.int64).reshape(-1))
    return sel[np.isin(sel, rec)]


def raster_points(result, populations=None, neurons=None, t_window=None, trial: Optional[int] = 0):
    """The points a raster draws: {population: (times ms, row within the population, n_rows)}.

    Spikes are kept when ``t_start <= t < t_stop``, their neuron is among ``neurons`` (see
    :func:`raster`) and their trial is ``trial`` (``None``: all trials, stacked as blocks of rows).
    """
    res = as_result(result)
    trial = pick_trial(res, trial)
    pops = pick(res.spikes, populations, "spike record")
    fallback = 0.0 if (t_window is not None or res.duration > 0) else max_time(res.spikes[p].times for p in pops)
    t0, t1 = time_window(res, t_window, fallback)
    out = {}
    for p in pops:
        st = res.spikes[p]
        if hasattr(st, "window"):       # streamed to a file: read only the spikes of the window
            st = st.window(t0, t1)
        rows = _rows(st, neurons, p)
        lut = np.full(max(st.n, int(rows.max()) + 1 if rows.size else 0, 1), -1, np.int64)
        lut[rows] = np.arange(rows.size)
        t = np.asarray(st.times)
        keep = (t >= t0) & (t < t1)
        if trial is not None:
            keep &= np.asarray(st.trials) == trial
        ids = np.asarray(st.node_ids)[keep]
        r = lut[ids]
        ok = r >= 0
        tt = t[keep][ok]
        r = r[ok]
        n_rows = rows.size
        if trial is None and st.n_trials > 1:
            r = r + np.asarray(st.trials)[keep][ok].astype(np.int64) * rows.size
            n_rows = rows.size * st.n_trials
        out[p] = (tt, r, n_rows)
    return out


def subset_neurons(result, populations=None, max_neurons: int = MAX_NEURONS) -> dict:
    """{population: neuron indices} to show: all recorded neurons when there are at most
    ``max_neurons`` over the populations, else every ``s``-th recorded neuron of each population
    with one stride ``s = ceil(recorded / max_neurons)`` for all, so that each population keeps
    its share of the rows (COBA: neurons 0, 20, 40, ... of exc (160) and of inh (40))."""
    res = as_result(result)
    rec = {p: np.asarray(res.spikes[p].recorded, dtype=np.int64) for p in pick(res.spikes, populations, "spike record")}
    total = sum(r.size for r in rec.values())
    if total <= max_neurons:
        return rec
    stride = -(-total // max(int(max_neurons), 1))
    return {p: r[::stride] for p, r in rec.items()}


def _index_ticks(rows: np.ndarray, n_rows: int, n_ticks: int):
    """(row positions, labels): about ``n_ticks`` round neuron indices among ``rows`` (the real
    index shown in each row; rows beyond ``rows.size`` repeat them for stacked trials)."""
    if rows.size == 0:
        return [], []
    from matplotlib.ticker import MaxNLocator
    want = MaxNLocator(nbins=max(n_ticks, 1), integer=True).tick_values(int(rows[0]), int(rows[-1]))
    want = want[(want >= rows[0]) & (want <= rows[-1])]
    at = np.unique(np.minimum(np.searchsorted(rows, want), rows.size - 1))
    gap = n_rows / (2.0 * max(n_ticks, 1))         # the first row is always labelled; no tick crowds it
    at = np.r_[0, at[at >= gap]].astype(np.int64)
    at = at[at < n_rows]
    return at.tolist(), [str(int(rows[a])) for a in at]


def nice_bin(span_ms: float, n_bins: int = 200, fewest_spikes: int = 0) -> float:
    """The default rate bin (ms): 1, 2 or 5 times a power of ten near ``span_ms / n_bins``, or
    wider where the least active population (``fewest_spikes`` in the window) would have fewer
    than ``MIN_SPIKES_PER_BIN`` spikes per bin on average, but at most ``span_ms / 10``."""
    raw = span_ms / n_bins
    if fewest_spikes > 0:
        raw = min(max(raw, MIN_SPIKES_PER_BIN * span_ms / fewest_spikes), span_ms / 10.0)
    raw = max(raw, 1e-6)
    e = 10.0 ** np.floor(np.log10(raw))
    return float(min((m * e for m in (1.0, 2.0, 5.0, 10.0)), key=lambda b: abs(np.log(b / raw))))


def rate_edges(t0: float, t1: float, bin_ms: float) -> np.ndarray:
    """Bin edges from ``t0`` to exactly ``t1`` (ms): whole bins, the remainder joined to the last
    bin when under half a bin, else a shorter last bin (rates divide by each bin's own width, so
    the last bin does not drop towards 0)."""
    n_full = max(int(np.floor((t1 - t0) / bin_ms + 1e-9)), 0)
    edges = t0 + bin_ms * np.arange(n_full + 1)
    if edges.size < 2 or t1 - edges[-1] > 0.5 * bin_ms:
        edges = np.append(edges, t1)
    edges[-1] = t1
    return edges


def _rate_panel(rate_ax, res, pts, t0, t1, bin_ms):
    """The population rate (Hz) of the spikes ``pts`` in ``bin_ms`` bins; the y range ignores
    the start-up transient (the first max(50 ms, 10 %) of a window starting at the run start)."""
    edges = rate_edges(t0, t1, bin_ms)
    skip = min(max(TRANSIENT_MS, 0.1 * (t1 - t0)), 0.5 * (t1 - t0)) if t0 < TRANSIENT_MS else 0.0
    late = edges[:-1] >= t0 + skip
    top, peak = 0.0, 0.0
    for name, (tt, _, n_rows) in pts.items():
        counts, _ = np.histogram(tt, bins=edges)
        hz = counts / (max(n_rows, 1) * np.diff(edges) * 1e-3)
        rate_ax.stairs(hz, edges, color=color_of(res, name), label=name, baseline=None)   # no drop at the ends
        if hz.size:
            top = max(top, float(hz[late].max()) if late.any() else float(hz.max()))
            peak = max(peak, float(hz.max()))
    if top > 0:
        rate_ax.set_ylim(0.0, 1.15 * top)
        if peak > 1.15 * top:
            rate_ax.text(0.01, 0.97, f"start-up transient clipped (peak {peak:.0f} Hz)", transform=rate_ax.transAxes,
                         ha="left", va="top", fontsize="x-small", color="0.35")
    rate_ax.set_xlim(t0, t1)
    rate_ax.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)")
    rate_ax.set_xlabel("time (ms)")
    if len(pts) > 1:
        rate_ax.legend(loc="upper right", fontsize="small", ncol=len(pts), framealpha=0.8, edgecolor="none")


def raster(result, populations: Optional[Union[str, Sequence[str]]] = None, neurons="auto", t_window=None,
           trial: Optional[int] = 0, rate: bool = True, bin_ms: Optional[float] = None, ax=None, rate_ax=None,
           markersize: Optional[float] = None, title: Optional[str] = None, figsize=(9.0, 5.5),
           max_neurons: int = MAX_NEURONS):
    """Spike raster: one row per neuron, populations stacked and coloured (names on the right),
    real neuron indices on the left axis.

    Parameters
    ----------
    result : a Result or the path of a result file (loaded; nothing is re-simulated)
    populations : names to show (default all with spike records, in recording order)
    neurons : which neurons: ``"auto"`` (default: all recorded when there are at most
        ``max_neurons``, else ``max_neurons`` spread over the populations in proportion to their
        size and evenly over each, see :func:`subset_neurons`; the title says "k of n neurons
        shown"), ``None`` (all recorded), an int ``k`` (the first k recorded of each population),
        an index array (applied to every population) or ``{population: indices}``
    t_window : (t_start, t_stop) in ms, spikes with t_start <= t < t_stop; default the whole run
    trial : batch row to show (default 0; a SelectionError names the valid range); ``None``
        shows all trials as stacked blocks of rows
    rate : draw the population rate (Hz, histogram of the spikes of all recorded neurons of the
        trial and window, even when only a subset is shown) underneath, when the figure is
        created here or ``rate_ax`` is given; its y range leaves out the start-up transient (a
        note gives the clipped peak)
    bin_ms : histogram bin (ms), default 1, 2 or 5 x 10^k near (t_stop - t_start) / 200, wider
        where a population would average under 10 spikes per bin (see :func:`nice_bin`); shown
        in the axis label
    ax, rate_ax : matplotlib Axes to draw into (optional)
    markersize : marker size (points); one-pixel markers are used above
        ``PIXEL_MARKERS_ABOVE`` points, so that 10 million spikes render in a few seconds
    title : first title line (default the number of spikes); a second line gives N, the seed
        and the neurons shown

    Returns the matplotlib Figure.  Each population is one rasterized ``Line2D`` with
    ``gid = "raster:<population>"`` holding exactly the spikes drawn.
    """
    res = as_result(result)
    trial = pick_trial(res, trial)
    if isinstance(neurons, str):
        if neurons != "auto":
            raise SelectionError(f"neurons must be 'auto', None, an int, indices or a dict, got {neurons!r}")
        neurons = subset_neurons(res, populations, max_neurons)
    pts = raster_points(res, populations, neurons, t_window, trial)
    t0, t1 = time_window(res, t_window, max_time(p[0] for p in pts.values()))
    if ax is None:
        if rate:
            fig, axes = new_figure(figsize, nrows=2, height_ratios=(3, 1), sharex=True)
            ax, rate_ax = axes[0, 0], axes[1, 0]
        else:
            fig, axes = new_figure(figsize)
            ax = axes[0, 0]
    fig = ax.figure
    total = sum(p[0].size for p in pts.values())
    pixel = total > PIXEL_MARKERS_ABOVE and markersize is None
    offset, centres, names, colors, ticks, tick_labels = 0, [], [], [], [], []
    n_all = n_shown = 0
    for name, (tt, r, n_rows) in pts.items():
        c = color_of(res, name)
        y = (r + offset).astype(np.float64)
        if pixel:
            line, = ax.plot(tt, y, linestyle="none", marker=",", color=c, rasterized=True,
                            antialiased=False, scalex=False, scaley=False)
        else:
            line, = ax.plot(tt, y, linestyle="none", marker="|", markersize=markersize or 3.0,
                            markeredgewidth=0.8, color=c, rasterized=True, scalex=False, scaley=False)
        line.set_gid(f"raster:{name}")
        line.set_label(name)
        rows = _rows(res.spikes[name], neurons, name)
        n_all, n_shown = n_all + int(np.asarray(res.spikes[name].recorded).size), n_shown + rows.size
        all_rows = max(sum(p[2] for p in pts.values()), 1)
        at, labels = _index_ticks(rows, n_rows, max(2, int(round(8.0 * n_rows / all_rows))))
        ticks += [a + offset for a in at]
        tick_labels += labels
        centres.append(offset + (n_rows - 1) / 2.0)
        names.append(name)
        colors.append(c)
        if offset:
            ax.axhline(offset - 0.5, color="0.6", linewidth=0.6)
        offset += n_rows
    ax.set_xlim(t0, t1)
    ax.set_ylim(max(offset, 1) - 0.5, -0.5)        # first population on top
    ax.set_yticks(ticks, tick_labels)
    ax.tick_params(axis="y", labelsize="small")
    side = ax.secondary_yaxis("right")
    side.set_yticks(centres, names)
    for lab, c in zip(side.get_yticklabels(), colors):
        lab.set_color(c)
    ax.set_ylabel("neuron index" + (" (trial blocks)" if trial is None else ""))
    every = pts if n_shown == n_all else raster_points(res, populations, None, (t0, t1), trial)
    if title is None:
        n_spk = sum(p[0].size for p in every.values())
        title = f"{n_spk:,} spikes" + (f" ({total:,} drawn)" if n_spk != total else "") + \
            (f", trial {trial}" if trial is not None and res.n_trials > 1 else "")
    ax.set_title(title + "\n" + _info_line(res, n_shown, n_all), fontsize="medium")
    if rate_ax is not None and rate:
        fewest = min([p[0].size for p in every.values() if p[0].size] or [0])
        _rate_panel(rate_ax, res, every, t0, t1, float(bin_ms) if bin_ms else nice_bin(t1 - t0, fewest_spikes=fewest))
    else:
        ax.set_xlabel("time (ms)")
    return fig


def _info_line(res, n_shown: int, n_all: int) -> str:
    """'N = 4000 neurons, seed 1; 200 of 4000 neurons shown' (parts that are known)."""
    parts = []
    n = sum(int(st.n) for st in res.spikes.values())
    if isinstance(res.spec, dict) and res.spec.get("populations"):
        n = sum(int(p.get("n", 0)) for p in res.spec["populations"])
    if n:
        parts.append(f"N = {n} neurons")
    if res.meta.get("seed") is not None:
        parts.append(f"seed {res.meta['seed']}")
    shown = f"{n_shown} of {n_all} recorded neurons shown" if n_shown < n_all else f"all {n_all} recorded neurons"
    return ", ".join(parts) + ("; " if parts else "") + shown
