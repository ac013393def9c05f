"""Inputs: Poisson sources, spike generators, injected currents and Poisson drive.

Time-varying quantities are piecewise constant :class:`Schedule` objects: ``values[k]``
holds from ``times[k]`` (ms) until ``times[k+1]``; before ``times[0]`` the value is 0.
The change points must lie on the dt grid (:func:`neurosim.spec.timegrid.to_steps`).
A value array may have a leading batch axis so that each trial of a batch gets its own
input (the MNIST evaluation gives each trial one image).

Rates are plain numbers in Hz (the NEST/PyNN convention; not multiples of ``units.Hz``, see
:mod:`neurosim.units`).  A Poisson source emits at most one spike per step: it fires with
probability ``rate * dt`` (``dt`` in s), so a rate above ``1/dt`` (10 kHz at dt = 0.1 ms)
cannot be represented and is refused (:func:`check_rate_per_step`), for Poisson sources and
for each of the ``n_sources`` of a Poisson drive alike, whether constant or scheduled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import validate as V
from .timegrid import times_to_steps, REL_TOL
from ..units import library, has_quantity


@dataclass(frozen=True, eq=False)
class Schedule:
    """Piecewise-constant values over time.

    times : (K,) strictly increasing change points (ms), >= 0
    values : (K, n) or (K, batch, n) values (unit of the quantity: Hz for rates, pA for currents)
    """
    times: Any
    values: Any

    def to_dict(self):
        return {"times": np.asarray(self.times).tolist(), "values": np.asarray(self.values).tolist()}


def _values(values):
    """Schedule values as given: quantities are kept (converted by :func:`plain` once the unit of
    the input is known), anything else becomes a float64 array."""
    if library(values) is not None or (isinstance(values, (list, tuple)) and values and has_quantity(values)):
        return values
    return np.asarray(values, dtype=np.float64)


def plain(name: str, value, unit: str):
    """An input value as given (a number, an array or a :class:`Schedule`) with quantities converted
    (once, here) into ``unit`` (Hz for rates, pA for currents) and a Schedule's times into ms."""
    if isinstance(value, Schedule):
        times = V.to_float(value.times, f"{name}: schedule times", "ms")
        vals = V.to_float(value.values, name, unit)
        if times is value.times and vals is value.values:
            return value
        return Schedule(np.asarray(times, dtype=np.float64), np.asarray(vals, dtype=np.float64))
    return V.to_float(value, name, unit)


def constant(value) -> Schedule:
    """A value that holds from t = 0 on (scalar, (n,) or (batch, n))."""
    v = np.asarray(value, dtype=np.float64)
    return Schedule(np.zeros(1), v[None, ...])


def steps(times, values) -> Schedule:
    """Piecewise-constant steps: ``values[k]`` from ``times[k]`` (ms) on."""
    return Schedule(np.asarray(V.to_float(times, "steps: times", "ms"), dtype=np.float64), _values(values))


def timed_array(values, dt: float, start: float = 0.0) -> Schedule:
    """Samples every ``dt`` ms starting at ``start`` (ms) (like Brian2's TimedArray); the last
    sample holds after the end.  ``values`` has shape (T, n) or (T, batch, n).  ``dt`` and
    ``start`` must be multiples of the network's time step (schedule times lie on the grid)."""
    values = _values(values)
    dt = V.positive("timed_array.dt", dt, "ms")
    start = V.number("timed_array.start", start, "ms")
    return Schedule(start + dt * np.arange(np.shape(values)[0]), values)


def as_schedule(name: str, value, n: int, batch: int, unit: str, low: Optional[float] = None,
                dt: Optional[float] = None) -> Schedule:
    """Validate a scalar/array/Schedule and return a Schedule with values (K, 1 or batch, n).
    With ``dt`` (ms) the change points must lie on the grid, and a rate (``unit="Hz"``) must
    not exceed one spike per step (:func:`check_rate_per_step`)."""
    sched = value if isinstance(value, Schedule) else constant(V.to_float(value, name, unit))
    times = np.asarray(sched.times, dtype=np.float64).reshape(-1)
    vals = np.asarray(V.to_float(sched.values, name, unit), dtype=np.float64)
    K = times.size
    if K == 0:
        raise V.SpecError(f"{name}: a schedule needs at least one time point")
    if not np.all(np.isfinite(times)) or times.min() < 0:
        raise V.SpecError(f"{name}: schedule times must be finite and >= 0 ms, got {times.tolist()[:8]}")
    if K > 1 and np.any(np.diff(times) <= 0):
        raise V.SpecError(f"{name}: schedule times must be strictly increasing (ms)")
    if vals.ndim == 1 and vals.shape[0] == K:
        vals = vals[:, None, None]
    elif vals.ndim == 2 and vals.shape[0] == K:
        vals = vals[:, None, :]
    if vals.ndim != 3 or vals.shape[0] != K or vals.shape[1] not in (1, batch) or vals.shape[2] not in (1, n):
        raise V.SpecError(f"{name}: values must have shape (K,), (K, {n}) or (K, {batch}, {n}) with K = "
                          f"{K} time points; got {np.shape(sched.values)}")
    if not np.all(np.isfinite(vals)):
        raise V.SpecError(f"{name}: values must be finite ({unit}), {V.first_bad(vals)}")
    if low is not None and vals.size and vals.min() < low:
        raise V.SpecError(f"{name}: values must be >= {low:g} {unit}, got a minimum of {vals.min():g}")
    if dt is not None:
        times_to_steps(times, dt, f"{name}: schedule time")
        if unit == "Hz":
            check_rate_per_step(name, vals, dt)
    vals = np.broadcast_to(vals, (K, vals.shape[1], n)).copy()
    return Schedule(times, vals)


def check_rate_per_step(name: str, rates, dt: float) -> None:
    """Refuse rates (Hz) above ``1000/dt`` Hz (``dt`` in ms): one spike per step is the most a
    Poisson source can emit (the kernels fire with probability ``rate * dt * 1e-3``)."""
    r = np.asarray(rates, dtype=np.float64)
    if r.size and r.max() * dt * 1e-3 > 1.0 + REL_TOL:
        raise V.SpecError(f"{name}: {r.max():g} Hz is more than one spike per step of a Poisson source "
                          f"(rate x dt = {r.max() * dt * 1e-3:g} at dt = {dt:g} ms); the maximum is 1/dt = "
                          f"{1000.0 / dt:g} Hz (use more sources or a smaller dt)")


@dataclass(frozen=True, eq=False)
class PoissonSource:
    """``n`` independent Poisson spike sources; ``rate`` in Hz (scalar, (n,), (batch, n) or a
    Schedule).  In a step of length dt a source fires with probability rate*dt (at most one
    spike per step: rates above 1/dt are refused)."""
    n: int
    rate: Any


@dataclass(frozen=True, eq=False)
class SpikeGenerator:
    """``n`` sources firing at explicit ``times`` (ms) with source ``ids``; ``trials`` (optional)
    gives the batch row of each spike (default: every trial).  Times are rounded to the step."""
    n: int
    times: Any
    ids: Any
    trials: Any = None


@dataclass(frozen=True, eq=False)
class CurrentInjection:
    """Current ``amplitude`` (pA, scalar/(n,)/(batch, n)/Schedule) injected into ``indices`` of a population."""
    amplitude: Any
    indices: Any = None


@dataclass(frozen=True, eq=False)
class PoissonDrive:
    """Brian2's PoissonInput: ``n_sources`` independent Poisson sources at ``rate`` Hz onto each
    target neuron's receptor, each event adding ``weight`` (nS or pA); the per-step event count
    is drawn as Binomial(n_sources, rate*dt) without creating source neurons, so each source
    emits at most one event per step and ``rate`` may not exceed ``1/dt`` (Hz, per source)."""
    n_sources: int
    rate: Any
    weight: float
