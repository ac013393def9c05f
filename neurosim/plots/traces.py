"""Sampled state traces (membrane potential, conductances, currents)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import SelectionError
from ._common import as_result, new_figure, pick_trial, time_window


def _select(res, population, variables):
    keys = list(res.states)
    if not keys:
        raise SelectionError("this result has no state traces (record some with net.monitor(pop, 'v'))")
    if population is None:
        population = keys[0][0]
    avail = [k[1] for k in keys if k[0] == population]
    if not avail:
        raise SelectionError(f"no state traces of population {population!r}; available: "
                       f"{sorted(set(k[0] for k in keys))}")
    if variables is None:
        variables = avail
    variables = [variables] if isinstance(variables, str) else list(variables)
    for v in variables:
        if v not in avail:
            raise SelectionError(f"population {population!r} has no trace of {v!r}; available: {avail}")
    return population, variables


def plot_traces(result, population: Optional[str] = None, variables=None, indices=None, trial: int = 0,
                t_window=None, max_traces: int = 10, ax=None, figsize=(8.0, 3.0)):
    """State traces against time: one panel per variable (units on the y axis), one line per
    neuron.

    Parameters
    ----------
    result : a Result or the path of a result file
    population : population (default the first with a trace)
    variables : a name or list (``"v"`` in mV, ``"g_AMPA"`` in nS, ...; default all recorded)
    indices : neurons to show (indices within the population, among the recorded ones;
        default the first ``max_traces`` recorded)
    trial : batch row (default 0)
    t_window : (t_start, t_stop) in ms
    ax : an Axes to draw into (then all variables share it)

    Returns the matplotlib Figure.
    """
    res = as_result(result)
    trial = pick_trial(res, trial)
    population, variables = _select(res, population, variables)
    if ax is None:
        fig, axes = new_figure((figsize[0], figsize[1] * len(variables)), nrows=len(variables), sharex=True)
        axes = list(axes[:, 0])
    else:
        fig, axes = ax.figure, [ax] * len(variables)
    for a, var in zip(axes, variables):
        tr = res.states[(population, var)]
        rec = np.asarray(tr.indices)
        if indices is None:
            cols = np.arange(min(rec.size, max_traces))
        else:
            want = np.asarray(indices, dtype=np.int64).reshape(-1)
            missing = want[~np.isin(want, rec)]
            if missing.size:
                raise SelectionError(f"neurons {missing.tolist()} of {population!r} were not recorded for {var!r}")
            cols = np.searchsorted(rec, want) if np.all(np.diff(rec) > 0) else \
                np.array([int(np.flatnonzero(rec == i)[0]) for i in want])
        tr_rows = np.asarray(tr.trials)
        if trial not in tr_rows:
            raise SelectionError(f"trial {trial} was not recorded for {population!r}.{var}; "
                                 f"recorded: {tr_rows.tolist()}")
        k = int(np.flatnonzero(tr_rows == trial)[0])
        t = np.asarray(tr.times)
        vals = np.asarray(tr.values)[:, k, :]
        t0, t1 = time_window(res, t_window, float(t[-1]) if t.size else 0.0)
        sel = (t >= t0) & (t <= t1)
        for c in cols:
            a.plot(t[sel], vals[sel, c], linewidth=0.9, label=f"{population}[{int(rec[c])}]")
        a.set_ylabel(f"{var} ({tr.unit})" if tr.unit else var)
        a.set_xlim(t0, t1)
        if len(cols) <= 10 and len(cols):
            a.legend(loc="upper right", fontsize="x-small", frameon=False, ncol=2)
    axes[-1].set_xlabel("time (ms)")
    return fig
