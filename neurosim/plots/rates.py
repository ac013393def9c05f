"""Population rates over time."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._common import as_result, color_of, figure_and_ax, time_window, result_dt, COLORS


def population_rates(result, populations=None, window: float = 5.0, bin_ms: Optional[float] = None):
    """{population: (times ms, rate Hz)}.  Uses the recorded population rates (``result.rates``,
    smoothed with a flat ``window`` in ms) and, for populations with spikes but no rate record,
    a histogram of their spikes with bins of ``bin_ms`` (default ``window``) ms."""
    res = as_result(result)
    names = list(dict.fromkeys(list(res.rates) + list(res.spikes)))
    if populations is not None:
        wanted = [populations] if isinstance(populations, str) else list(populations)
        for w in wanted:
            if w not in names:
                raise KeyError(f"no rate or spike record of population {w!r}; available: {names}")
        names = wanted
    out = {}
    for p in names:
        if p in res.rates:
            r = res.rates[p]
            out[p] = (r.times, r.rate_hz(window))
        else:
            st = res.spikes[p]
            t0, t1 = time_window(res, None, float(st.times.max()) if st.times.size else 0.0)
            b = float(bin_ms or window or result_dt(res))
            edges = np.arange(t0, t1 + 0.5 * b, b)
            if edges.size < 2:
                edges = np.array([t0, t0 + b])
            counts, _ = np.histogram(st.times, bins=edges)
            n = max(st.recorded.size * st.n_trials, 1)
            out[p] = (edges[:-1], counts / (n * np.diff(edges) * 1e-3))
    return out


def plot_rates(result, populations=None, window: float = 5.0, t_window=None, ax=None, figsize=(8.0, 3.5)):
    """Population firing rate (Hz) against time (ms), one line per population.

    Parameters
    ----------
    result : a Result or the path of a result file
    populations : names (default all with a rate or spike record)
    window : flat smoothing window (ms) of the recorded rate; 0 for none
    t_window : (t_start, t_stop) x-range in ms (default the whole run)
    ax : matplotlib Axes to draw into (optional)

    Returns the matplotlib Figure.
    """
    res = as_result(result)
    fig, ax = figure_and_ax(ax, figsize)
    curves = population_rates(res, populations, window)
    for p, (t, hz) in curves.items():
        ax.plot(t, hz, color=color_of(res, p), label=f"{p} ({np.mean(hz) if hz.size else 0.0:.1f} Hz)",
                linewidth=1.0)
    end = max([float(t[-1]) for t, _ in curves.values() if t.size] or [0.0])
    t0, t1 = time_window(res, t_window, end)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("population rate (Hz)")
    if curves:
        ax.legend(loc="upper right", fontsize="small", frameon=False)
    else:
        ax.text(0.5, 0.5, "no rate or spike records", ha="center", va="center", transform=ax.transAxes,
                color=COLORS[7])
    return fig
