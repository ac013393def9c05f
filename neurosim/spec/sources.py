"""Renewal spike sources (gamma process, Poisson process with dead time) and generated currents
(sinusoidal, noisy): their descriptions and checks (the arrays are laid out by state/sources.py,
the per-step kernels are kernels/cpu/sources.py and kernels/cuda/sources.py).

Spike sources
-------------
:class:`GammaSource`: a renewal process whose inter-spike intervals (ISIs) are Gamma
distributed, shape ``k`` > 0 (any real value, not only integers) and mean ``1/rate``, i.e. with
density ``beta^k x^(k-1) exp(-beta x) / Gamma(k)``, ``beta = k * rate``; the ISI coefficient of
variation is ``1/sqrt(k)`` (k = 1: Poisson; k > 1: more regular).  This is PyNN's
``SpikeSourceGamma(alpha, beta)`` (ISIs ~ Gamma(alpha, rate beta in 1/s), mean rate beta/alpha)
with ``alpha = shape`` and ``beta = shape * rate`` (so ``rate = beta / alpha``), and NEST's
``gamma_sup_generator(rate, gamma_shape)`` (integer shape only) for one process per target.

:class:`PoissonRefractorySource`: a Poisson process with dead time ``d``: each ISI is ``d`` plus an
exponential interval of hazard ``lambda = rate / (1 - rate d)``, so that the mean rate is ``rate``
(dead time included).  PyNN ``SpikeSourcePoissonRefractory(rate, tau_refrac)``, NEST
``ppd_sup_generator(rate, dead_time)`` and ``poisson_generator_ps(rate, dead_time)``.

The rate, the gamma ``shape`` and the ``dead_time`` are each a number or (n,) per-source values
(PyNN's ``alpha`` and ``tau_refrac`` are per cell); every source is checked on its own.

Both start *stationary* at ``start``: the first spike comes after the equilibrium
forward-recurrence time of the process (density ``(1 - F(x)) / mean ISI``; for the gamma process
``U * Gamma(k + 1, beta)`` with U uniform on [0, 1); with a dead time, with probability
``d * rate`` a time uniform on [0, d), else ``d + Exp(lambda)``), so the rate is ``rate`` from the
first step on.  Event times are continuous (kept in float64); an event at time ``t`` (ms) is a
spike in step ``floor(t / dt)``, i.e. recorded at ``floor(t/dt) * dt``.  A source emits at most one
spike per step: two events in one step make one spike (probability below ``F(dt)`` = P(ISI < dt)
per ISI: 3.6e-8 for shape 3 at 20 Hz with dt = 0.1 ms, but 1.3 % for shape 0.6 at 10 Hz, whose ISI
density diverges at 0; never with a dead time >= dt).  With a dead time that is not a multiple
of dt, recorded ISIs can be shorter than the dead time by less than one step.  Each source may use
up to 65536 counter-based draws per step (DRAWS_PER_SOURCE, kernels/scalar.py), far more than
any shape above ~1e-3 needs.  Spikes only for
``start <= t < stop``.  The draws are counter-based (kernels/scalar.py: key, stream, step, index),
so the spikes do not depend on the number of threads or on the backend; every trial of a batch
has its own independent spike trains.

Currents
--------
:class:`ACCurrent`: ``I(t) = offset + amplitude sin(2 pi f t + phase)`` (pA; f in Hz, t in s,
phase in degrees), NEST ``ac_generator(amplitude, offset, phase, frequency)`` and PyNN
``ACSource(start, stop, amplitude, offset, frequency, phase)``.  Brian2's convention: the value is
taken at the start of each step, ``t = step * dt``, and held constant over the step (the same as a
Brian2 expression or TimedArray current under ``method='exact'``), added to ``i_ext``.

:class:`NoiseCurrent`: ``I = mean + std * N(0, 1)`` (pA), a new independent normal value for
every target neuron (and every trial of a batch) every ``dt_noise`` ms, counted from ``start``,
constant in between: NEST ``noise_generator(mean, std, dt)`` (without its ``std_mod``) and PyNN
``NoisyCurrentSource(mean, stdev, dt, start, stop)``.  ``dt_noise`` must be a whole number of steps.

Both apply in the steps with ``start <= step * dt < stop`` (ms; ``stop=None``: until the end).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..errors import SpecError
from . import validate as V
from .timegrid import to_steps, REL_TOL


def _window(what: str, start, stop, dt: float):
    """(start, stop) in ms, checked: on the dt grid, start >= 0, stop > start or None."""
    start = V.non_negative(f"{what}: start", start, "ms")
    to_steps(start, dt, f"{what}: start", min_steps=0)
    if stop is not None:
        stop = V.number(f"{what}: stop", stop, "ms")
        if stop <= start:
            raise SpecError(f"{what}: stop must be > start = {start:g} ms (or None), got {stop!r}")
        to_steps(stop, dt, f"{what}: stop", min_steps=0)
    return start, stop


def _rates(what: str, rate, n: int, dt: float) -> np.ndarray:
    """Rates (Hz): a number or (n,) values, finite, >= 0, at most one spike per step (1000/dt)."""
    r = np.asarray(V.to_float(rate, f"{what}: rate", "Hz"), dtype=np.float64)
    if r.ndim > 1 or (r.ndim == 1 and r.shape[0] != n):
        raise SpecError(f"{what}: rate must be a number or {n} values (Hz), got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        raise SpecError(f"{what}: rate must be finite (Hz), {V.first_bad(r)}")
    if r.size and r.min() < 0:
        raise SpecError(f"{what}: rate must be >= 0 Hz, got a minimum of {r.min():g}")
    if r.size and r.max() * dt * 1e-3 > 1.0 + REL_TOL:
        raise SpecError(f"{what}: rate {r.max():g} Hz is more than one spike per step; the maximum is "
                        f"1/dt = {1000.0 / dt:g} Hz at dt = {dt:g} ms")
    return r


def _per_source(what: str, name: str, value, n: int, unit: str, check):
    """A number, or (n,) per-source values (a list or array): the number as a float, checked by
    ``check(f"{what}: {name}", value)``; the values as a float64 array, each checked the same way
    under the name ``{name}[i]``, so that the error names the first bad source index and value."""
    try:
        arr = np.asarray(V.to_float(value, f"{what}: {name}", unit))
    except ValueError:         # ragged nested lists
        arr = np.asarray(None)
    if arr.ndim == 0:
        return check(f"{what}: {name}", value)
    if arr.ndim > 1 or arr.shape[0] != n:
        u = f" ({unit})" if unit else ""
        raise SpecError(f"{what}: {name} must be a number or {n} per-source values{u}, got shape {arr.shape}")
    out = np.empty(n, np.float64)
    for i, v in enumerate(arr.tolist()):
        out[i] = check(f"{what}: {name}[{i}]", v)
    return out


@dataclass(frozen=True, eq=False)
class GammaSource:
    """``n`` independent gamma-process spike sources (see the module docstring): ISIs ~
    Gamma(shape, rate ``shape * rate``), mean rate ``rate`` (Hz, a number or (n,) values), shape
    > 0 (dimensionless, a number or (n,) per-source values), spikes for ``start <= t < stop`` (ms).
    PyNN ``SpikeSourceGamma``: ``alpha = shape`` (per cell), ``beta = shape * rate`` (1/s); NEST
    ``gamma_sup_generator``."""
    n: int
    shape: Any
    rate: Any
    start: float = 0.0
    stop: Optional[float] = None

    @classmethod
    def make(cls, name: str, n: int, shape, rate, start, stop, dt: float) -> "GammaSource":
        what = f"gamma_source {name!r}"
        n = V.positive_int(f"{what}: n", n)
        shape = _per_source(what, "shape", shape, n, "",
                            lambda nm, v: V.positive(nm, v, "", " (the gamma order k > 0; 1 is Poisson)"))
        r = _rates(what, rate, n, dt)
        start, stop = _window(what, start, stop, dt)
        return cls(n, shape, r, start, stop)

    def to_dict(self) -> dict:
        return {"source": "gamma", "shape": _desc(self.shape), "rate": np.asarray(self.rate), "start": self.start,
                "stop": self.stop}


@dataclass(frozen=True, eq=False)
class PoissonRefractorySource:
    """``n`` independent Poisson sources with dead time (see the module docstring): mean rate
    ``rate`` (Hz, a number or (n,) values) including the dead time ``dead_time`` (ms, >= 0, a
    number or (n,) per-source values), ``rate * dead_time < 1`` for every source; hazard ``rate /
    (1 - rate * dead_time)`` outside the dead time.  PyNN ``SpikeSourcePoissonRefractory(rate,
    tau_refrac)`` (tau_refrac per cell), NEST ``ppd_sup_generator``."""
    n: int
    rate: Any
    dead_time: Any
    start: float = 0.0
    stop: Optional[float] = None

    @classmethod
    def make(cls, name: str, n: int, rate, dead_time, start, stop, dt: float) -> "PoissonRefractorySource":
        what = f"poisson_refractory {name!r}"
        n = V.positive_int(f"{what}: n", n)
        r = _rates(what, rate, n, dt)
        dead = _per_source(what, "dead_time", dead_time, n, "ms", lambda nm, v: V.non_negative(nm, v, "ms"))
        rb, db = np.broadcast_arrays(np.atleast_1d(r), np.atleast_1d(dead))
        bad = np.flatnonzero(rb * db * 1e-3 >= 1.0)
        if bad.size:
            i = int(bad[0])
            ri, di = float(rb[i]), float(db[i])
            at = f" at source {i}" if r.ndim or np.ndim(dead) else ""
            raise SpecError(f"{what}: rate x dead_time must be < 1 (a spike at most every dead_time), got "
                            f"{ri:g} Hz x {di:g} ms = {ri * di * 1e-3:g}{at}; the largest rate for this "
                            f"dead time is below {1000.0 / di:g} Hz")
        start, stop = _window(what, start, stop, dt)
        return cls(n, r, dead, start, stop)

    def to_dict(self) -> dict:
        return {"source": "poisson_refractory", "rate": np.asarray(self.rate), "dead_time": _desc(self.dead_time),
                "start": self.start, "stop": self.stop}


def _desc(value):
    """A per-source parameter for ``to_dict``: a number stays a float, per-source values a numpy
    array (``json_default`` of spec/network.py writes it as a list)."""
    return value if np.ndim(value) == 0 else np.asarray(value, np.float64)


def source_from_dict(n: int, d: dict, name: str, dt: float):
    """The renewal source of a population dict (``source`` "gamma" or "poisson_refractory"), or None."""
    if d.get("source") == "gamma":
        return GammaSource.make(name, n, d["shape"], np.asarray(d["rate"], np.float64), d["start"], d["stop"], dt)
    if d.get("source") == "poisson_refractory":
        return PoissonRefractorySource.make(name, n, np.asarray(d["rate"], np.float64), d["dead_time"], d["start"],
                                            d["stop"], dt)
    return None


RENEWAL_SOURCES = (GammaSource, PoissonRefractorySource)


@dataclass(frozen=True, eq=False)
class ACCurrent:
    """``offset + amplitude sin(2 pi frequency t + phase)`` (pA; frequency Hz, phase degrees) into
    ``indices`` of a population for ``start <= t < stop`` (ms); see the module docstring (NEST
    ``ac_generator``, PyNN ``ACSource``)."""
    indices: Any
    amplitude: float
    frequency: float
    phase: float = 0.0
    offset: float = 0.0
    start: float = 0.0
    stop: Optional[float] = None

    @classmethod
    def make(cls, indices, amplitude, frequency, phase, offset, start, stop, dt: float) -> "ACCurrent":
        amplitude = V.number("inject_ac: amplitude", amplitude, "pA")
        frequency = V.non_negative("inject_ac: frequency", frequency, "Hz")
        phase = V.number("inject_ac: phase", phase, "degrees")
        offset = V.number("inject_ac: offset", offset, "pA")
        start, stop = _window("inject_ac", start, stop, dt)
        return cls(np.asarray(indices, np.int64), amplitude, frequency, phase, offset, start, stop)

    def to_dict(self) -> dict:
        return {"kind": "ac", "indices": np.asarray(self.indices), "amplitude": self.amplitude,
                "frequency": self.frequency, "phase": self.phase, "offset": self.offset, "start": self.start,
                "stop": self.stop}


@dataclass(frozen=True, eq=False)
class NoiseCurrent:
    """``mean + std N(0, 1)`` (pA), redrawn per target neuron every ``dt_noise`` ms (a whole
    number of steps), into ``indices`` of a population for ``start <= t < stop`` (ms); see the
    module docstring (NEST ``noise_generator``, PyNN ``NoisyCurrentSource``)."""
    indices: Any
    mean: float
    std: float
    dt_noise: float
    start: float = 0.0
    stop: Optional[float] = None

    @classmethod
    def make(cls, indices, mean, std, dt_noise, start, stop, dt: float) -> "NoiseCurrent":
        mean = V.number("inject_noise: mean", mean, "pA")
        std = V.non_negative("inject_noise: std", std, "pA")
        dt_noise = V.positive("inject_noise: dt_noise", dt_noise, "ms")
        to_steps(dt_noise, dt, "inject_noise: dt_noise")
        start, stop = _window("inject_noise", start, stop, dt)
        return cls(np.asarray(indices, np.int64), mean, std, dt_noise, start, stop)

    def to_dict(self) -> dict:
        return {"kind": "noise", "indices": np.asarray(self.indices), "mean": self.mean, "std": self.std,
                "dt_noise": self.dt_noise, "start": self.start, "stop": self.stop}


def current_from_dict(d: dict, dt: float):
    """An :class:`ACCurrent` or :class:`NoiseCurrent` from its ``to_dict``."""
    idx = np.asarray(d["indices"], np.int64)
    if d["kind"] == "ac":
        return ACCurrent.make(idx, d["amplitude"], d["frequency"], d["phase"], d["offset"], d["start"], d["stop"],
                              dt)
    if d["kind"] == "noise":
        return NoiseCurrent.make(idx, d["mean"], d["std"], d["dt_noise"], d["start"], d["stop"], dt)
    raise SpecError(f"generated current: unknown kind {d['kind']!r} (known: 'ac', 'noise')")
