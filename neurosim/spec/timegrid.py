"""Time on the dt grid: one rule for every time a user gives in ms.

neurosim advances in whole steps of ``dt`` (ms).  Every time given by the user goes through
this module:

* :func:`to_steps` -- durations (``run``), scalar delays (``connect(delay=...)``, a plasticity
  rule's ``dendritic_delay``), monitor sampling periods (``monitor(every=...)``), ``every``
  intervals and schedule change points (:mod:`neurosim.spec.inputs`).  A value must lie on the
  grid: one that is off it by more than ``REL_TOL`` (1e-9) relative is refused with a SpecError
  naming the parameter, the value and the two nearest valid values ("duration 0.25 ms is not
  a multiple of dt = 0.1 ms; use 0.2 or 0.3").  Within that tolerance (float noise such as
  ``0.3 / 0.1 = 2.9999999999999996``) it is the nearest whole number of steps.
* :func:`round_steps` -- values that are data rather than settings and cannot all be on the
  grid: per-synapse delays given as arrays, matrices or distributions, and the times of a
  spike generator.  They are rounded to the nearest step, halves up
  (``floor(t/dt + 0.5)``, with a 1e-9-step nudge so that e.g. ``0.15/0.1 = 1.4999999999999998``
  counts as a half).  This is Brian2's rule for synaptic delays: its spike queue turns a delay
  into ``(int)(delay/dt + 0.5)`` steps (brian2 2.9, ``synapses/cspikequeue.cpp``,
  ``SpikeQueue::prepare``; the pure-numpy fallback queue uses ``np.round``, halves to even).
* :func:`refractory_steps` -- the refractory period is not refused off the grid: it follows
  Brian2's rule exactly.  Brian2 (2.9, ``groups/neurongroup.py``, non-legacy timing) computes
  ``not_refractory = timestep(t - lastspike, dt) >= timestep(refractory, dt)`` with
  ``timestep(x, dt) = int((x + 1e-3*dt) / dt)`` (``core/functions.py``): the period is
  *truncated* to whole steps, so ``t_ref = 2.05`` ms at ``dt = 0.1`` ms is 20 steps (a neuron
  that spikes in step k is held in steps k+1 .. k+19 and integrates again in step k+20).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import SpecError

REL_TOL = 1e-9


def _ms(x: float) -> str:
    """A time (ms) as the user would type it: 0.30000000000000004 -> '0.3'."""
    return repr(float(f"{x:.12g}"))


def _nearest(x: float, dt: float, min_steps: int) -> str:
    lo, hi = max(math.floor(x), min_steps), max(math.ceil(x), min_steps)
    valid = [_ms(k * dt) for k in sorted({lo, hi})]
    return " or ".join(valid)


def to_steps(ms, dt: float, what: str = "time", min_steps: int = 1) -> int:
    """The whole number of steps of ``dt`` (ms) in ``ms`` (ms); at least ``min_steps``.

    ``ms`` must be a finite number on the grid: ``|ms/dt - k| <= 1e-9 max(ms/dt, 1)`` for an
    integer ``k``, else a SpecError names ``what``, the value and the two nearest valid values.
    """
    try:
        x_ms = float(ms)
    except (TypeError, ValueError):
        raise SpecError(f"{what} must be a number (ms), got {ms!r}") from None
    if not math.isfinite(x_ms):
        raise SpecError(f"{what} must be finite (ms), got {x_ms!r}")
    x = x_ms / dt
    k = math.floor(x + 0.5)
    if abs(x - k) > REL_TOL * max(abs(x), 1.0):
        raise SpecError(f"{what} {_ms(x_ms)} ms is not a multiple of dt = {_ms(dt)} ms; "
                        f"use {_nearest(x, dt, min_steps)}")
    if k < min_steps:
        raise SpecError(f"{what} must be at least {min_steps} step{'s' if min_steps != 1 else ''} "
                        f"(dt = {_ms(dt)} ms), got {_ms(x_ms)} ms; use {_nearest(x, dt, min_steps)}")
    return int(k)


def period_steps(what: str, ms, dt: float) -> int:
    """A period (ms, > 0, a whole number of steps: monitor sampling, callback intervals) in steps."""
    from .validate import positive
    return to_steps(positive(what, ms, "ms"), dt, what)


def times_to_steps(times, dt: float, what: str = "time", min_steps: int = 0) -> np.ndarray:
    """:func:`to_steps` for an array of times (ms); the error names the first offending entry."""
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    x = t / dt
    k = np.floor(x + 0.5)
    bad = ~np.isfinite(x) | (np.abs(x - k) > REL_TOL * np.maximum(np.abs(x), 1.0)) | (k < min_steps)
    if np.any(bad):
        i = int(np.argmax(bad))
        try:
            to_steps(t[i], dt, what, min_steps)
        except SpecError as e:
            raise SpecError(f"{e} (entry {i} of {t.size})") from None
    return k.astype(np.int64)


def round_steps(ms, dt: float) -> np.ndarray:
    """Nearest whole number of steps, halves up (Brian2's delay rule, see the module
    docstring), for data that cannot all lie on the grid (per-synapse delays, spike times)."""
    return np.floor(np.asarray(ms, dtype=np.float64) / dt + 0.5 + 1e-9).astype(np.int64)


def refractory_steps(t_ref: float, dt: float) -> int:
    """Brian2's number of refractory steps ``int((t_ref + 1e-3 dt) / dt)`` (truncation with a
    1e-3-step margin for float noise): a neuron that spikes in step ``k`` integrates again in
    step ``k + max(n, 1)`` and is held at ``v_reset`` in the ``n - 1`` steps between."""
    return int((float(t_ref) + 1e-3 * dt) / dt)
