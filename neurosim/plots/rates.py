"""Population rates over time."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import SelectionError
from ._common import as_result, color_of, figure_and_ax, pick_trial, time_window, result_dt, COLORS


def population_rates(result, populations=None, window: float = 5.0, bin_ms: Optional[float] = None,
                     trial: Optional[int] = None):
    """{population: (times ms, rate Hz)}.  Uses the recorded population rates (``result.rates``,
    smoothed with a flat ``window`` in ms) and, for populations with spikes but no rate record,
    a histogram of their spikes with bins of ``bin_ms`` (default ``window``) ms.

    ``trial``: None averages over all trials.  A rate record holds the spike counts summed over
    trials, so with more than one trial the rate of one trial is recomputed from that trial's
    spikes (histogram as above; a population without a spike record then raises a
    SelectionError); with one trial, trial 0 is the recorded rate."""
    res = as_result(result)
    trial = pick_trial(res, trial)
    per_trial = trial is not None and res.n_trials > 1
    names = list(dict.fromkeys(list(res.rates) + list(res.spikes)))
    if populations is not None:
        wanted = [populations] if isinstance(populations, str) else list(populations)
        for w in wanted:
            if w not in names:
                raise SelectionError(f"no rate or spike record of population {w!r}; available: {', '.join(names)}")
        names = wanted
    out = {}
    for p in names:
        if p in res.rates and not per_trial:
            r = res.rates[p]
            out[p] = (r.times, r.rate_hz(window))
        elif p not in res.spikes:
            raise SelectionError(f"population {p!r}: its rate is recorded summed over the {res.n_trials} trials; the "
                                 f"rate of trial {trial} needs its spikes (net.monitor({p!r}, 'spikes'))")
        else:
            st = res.spikes[p]
            times = np.asarray(st.times)
            n = max(st.recorded.size * st.n_trials, 1)
            if per_trial:
                times, n = times[np.asarray(st.trials) == trial], max(st.recorded.size, 1)
            t0, t1 = time_window(res, None, float(times.max()) if times.size else 0.0)
            b = float(bin_ms or window or result_dt(res))
            edges = np.arange(t0, t1 + 0.5 * b, b)
            if edges.size < 2:
                edges = np.array([t0, t0 + b])
            counts, _ = np.histogram(times, bins=edges)
            out[p] = (edges[:-1], counts / (n * np.diff(edges) * 1e-3))
    return out


def plot_rates(result, populations=None, window: float = 5.0, t_window=None, ax=None, figsize=(8.0, 3.5),
               trial: Optional[int] = None):
    """Population firing rate (Hz) against time (ms), one line per population.

    Parameters
    ----------
    result : a Result or the path of a result file
    populations : names (default all with a rate or spike record)
    window : flat smoothing window (ms) of the recorded rate; 0 for none
    t_window : (t_start, t_stop) x-range in ms (default the whole run)
    ax : matplotlib Axes to draw into (optional)
    trial : one trial (batch row; see :func:`population_rates`: recomputed from its spikes when
        the result has several trials) or None (default: the average over trials)

    Returns the matplotlib Figure.
    """
    res = as_result(result)
    fig, ax = figure_and_ax(ax, figsize)
    curves = population_rates(res, populations, window, trial=trial)
    if trial is not None and res.n_trials > 1:
        ax.set_title(f"trial {trial} (from its spikes, {float(window or result_dt(res)):g} ms bins)", fontsize="medium")
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
