"""Spike raster of one or more populations, with the population rate underneath."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ._common import as_result, color_of, new_figure, pick, time_window, max_time

#: Above this many points the raster draws one-pixel markers (10 million render in seconds).
PIXEL_MARKERS_ABOVE = 200_000


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


def raster(result, populations: Optional[Union[str, Sequence[str]]] = None, neurons=None, t_window=None,
           trial: Optional[int] = 0, rate: bool = True, bin_ms: Optional[float] = None, ax=None, rate_ax=None,
           markersize: Optional[float] = None, title: Optional[str] = None, figsize=(9.0, 5.5)):
    """Spike raster: one row per neuron, populations stacked and coloured, labelled on the y axis.

    Parameters
    ----------
    result : a Result or the path of a result file (loaded; nothing is re-simulated)
    populations : names to show (default all with spike records, in recording order)
    neurons : which neurons: ``None`` (all recorded), an int ``k`` (the first k recorded of
        each population), an index array (applied to every population) or
        ``{population: indices}``
    t_window : (t_start, t_stop) in ms, spikes with t_start <= t < t_stop; default the whole run
    trial : batch row to show (default 0); ``None`` shows all trials as stacked blocks of rows
    rate : draw the population rate (Hz, histogram of the shown spikes) underneath, when the
        figure is created here or ``rate_ax`` is given
    bin_ms : histogram bin (ms), default (t_stop - t_start) / 200
    ax, rate_ax : matplotlib Axes to draw into (optional)
    markersize : marker size (points); one-pixel markers are used above
        ``PIXEL_MARKERS_ABOVE`` points, so that 10 million spikes render in a few seconds

    Returns the matplotlib Figure.  Each population is one rasterized ``Line2D`` with
    ``gid = "raster:<population>"`` holding exactly the spikes drawn.
    """
    res = as_result(result)
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
    offset, ticks, labels, colors = 0, [], [], []
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
        ticks.append(offset + (n_rows - 1) / 2.0)
        labels.append(name)
        colors.append(c)
        if offset:
            ax.axhline(offset - 0.5, color="0.6", linewidth=0.6)
        offset += n_rows
    ax.set_xlim(t0, t1)
    ax.set_ylim(max(offset, 1) - 0.5, -0.5)        # first population on top
    ax.set_yticks(ticks, labels)
    for lab, c in zip(ax.get_yticklabels(), colors):
        lab.set_color(c)
    ax.set_ylabel("neuron" + (" (trial blocks)" if trial is None else ""))
    if title is None:
        title = f"{total} spikes" + (f", trial {trial}" if trial is not None and _batch(res) > 1 else "")
    ax.set_title(title)
    if rate_ax is not None and rate:
        bin_ms = float(bin_ms) if bin_ms else (t1 - t0) / 200.0
        edges = np.arange(t0, t1 + bin_ms * 0.5, bin_ms)
        if edges.size < 2:
            edges = np.array([t0, t1])
        for name, (tt, _, n_rows) in pts.items():
            counts, _ = np.histogram(tt, bins=edges)
            width_s = np.diff(edges) * 1e-3
            hz = counts / (max(n_rows, 1) * width_s)
            rate_ax.stairs(hz, edges, color=color_of(res, name), label=name)
        rate_ax.set_xlim(t0, t1)
        rate_ax.set_ylabel("rate (Hz)")
        rate_ax.set_xlabel("time (ms)")
        if len(pts) > 1:
            rate_ax.legend(loc="upper right", fontsize="small", frameon=False)
    else:
        ax.set_xlabel("time (ms)")
    return fig


def _batch(res) -> int:
    return int(res.meta.get("batch", 1) or 1)
