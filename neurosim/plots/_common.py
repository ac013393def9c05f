"""Shared helpers of the plot functions: load a Result from a path, make an Agg figure."""
from __future__ import annotations

import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import SelectionError
from ..result import Result, check_trial

#: Colours of populations, in the order they appear in the result.
COLORS = ("tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink",
          "tab:gray", "tab:olive", "tab:cyan")


def as_result(result_or_path) -> Result:
    """A Result as is, or the Result stored in an HDF5 file (``str`` or path-like)."""
    if isinstance(result_or_path, Result):
        return result_or_path
    if isinstance(result_or_path, (str, bytes, os.PathLike)):
        from ..io.hdf5 import read_result
        return read_result(result_or_path)
    raise TypeError(f"expected a neurosim Result or the path of a result file, got {type(result_or_path).__name__}")


def new_figure(figsize=(8.0, 4.5), nrows: int = 1, ncols: int = 1, height_ratios=None, sharex=False, **kw):
    """A matplotlib Figure on the Agg canvas (no display, no pyplot state) and its axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    gs = {"height_ratios": height_ratios} if height_ratios is not None else None
    axes = fig.subplots(nrows, ncols, sharex=sharex, gridspec_kw=gs, squeeze=False, **kw)
    return fig, axes


def figure_and_ax(ax, figsize=(8.0, 4.5)):
    """(figure, ax): the given Axes and its figure, or a new Agg figure with one Axes."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(figsize)
    return fig, axes[0, 0]


def color_of(result: Result, population: str) -> str:
    """The colour of a population: its position among the result's populations."""
    names = list(dict.fromkeys(list(result.spikes) + list(result.rates) + [k[0] for k in result.states]))
    i = names.index(population) if population in names else len(names)
    return COLORS[i % len(COLORS)]


def pick(names, wanted, what: str):
    """Validate the selection ``wanted`` (None = all, a name or a list) against ``names``."""
    names = list(names)
    if wanted is None:
        return names
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    for w in wanted:
        if w not in names:
            raise SelectionError(f"no {what} {w!r} in this result; available: {', '.join(names) or 'none'}")
    return wanted


def pick_trial(result: Result, trial, what: str = "trial"):
    """``trial`` checked against the result's trials (None stays None); a SelectionError names
    the trial and the valid range."""
    return None if trial is None else check_trial(trial, result.n_trials, what)


def time_window(result: Result, t_window, fallback_end: float = 0.0):
    """(t0, t1) in ms: ``t_window`` or (0, duration)."""
    if t_window is not None:
        t0, t1 = (float(t_window[0]), float(t_window[1]))
        if not t1 > t0:
            raise ValueError(f"t_window must be (t_start, t_stop) with t_stop > t_start (ms), got {t_window}")
        return t0, t1
    end = result.duration or fallback_end
    return 0.0, float(end) if end > 0 else 1.0


def result_dt(result: Result, default: float = 0.1) -> float:
    dt = result.meta.get("dt")
    if dt is None:
        dt = result.spec.get("dt", default) if isinstance(result.spec, dict) else default
    return float(dt)


def max_time(arrays) -> float:
    m = 0.0
    for a in arrays:
        if np.asarray(a).size:
            m = max(m, float(np.max(a)))
    return m
