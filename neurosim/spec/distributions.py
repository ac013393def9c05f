"""Random distributions for initial values, weights and delays.

A distribution is drawn at build time from the network's seeded generator; the result is
clipped to the valid range of the quantity it parametrises (for example weights of a
conductance-based receptor to >= 0 and delays to >= dt).

Bounded distributions: ``Normal`` and ``LogNormal`` take ``low`` / ``high`` (in the unit of the
quantity, either may be None) and ``redraw``.  With ``redraw=True`` (the default) a value outside
[low, high] is drawn again until it falls inside, so the values follow the truncated distribution
(NEST's ``nest.math.redraw``, as used for the delays of the Potjans & Diesmann 2014 microcircuit;
PyNN's ``RandomDistribution(..., constrain="redraw")``); the quantity's own range (delays >= dt,
conductance weights >= 0) is then redrawn too instead of clipped.  With ``redraw=False`` values are
clipped to the bounds (NEST's ``nest.math.min`` / ``max``, PyNN's ``constrain="clip"``), so the mass
outside lands exactly on them.  Bounds that leave less than :data:`MIN_MASS` of the probability
inside are refused (redrawing would practically never end).  ``Uniform`` needs no bounds (its
own ``low`` / ``high`` are).  Without bounds the draws are exactly those of earlier versions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from . import validate as V
from ..errors import SpecError  # noqa: F401  (V.SpecError)
from ..units import convert, rescale_factor


def _quantities(self, cls: str, names) -> None:
    """Arguments given as quantities (brian2, ``quantities``, ``pint``): each converted into the
    coherent unit of its dimensions, which the distribution keeps (``_unit``) until it is given to
    a parameter (:func:`in_unit` rescales it into the parameter's unit or refuses the dimension).
    All arguments must then be quantities of one dimension."""
    got = {}
    for k in names:
        v = getattr(self, k)
        if v is not None:
            num, label = convert(v, f"{cls}.{k}")
            object.__setattr__(self, k, num)
            if label is not None or num != 0:   # a plain 0 fits any unit
                got[k] = label
    labels = set(got.values())
    if labels <= {None}:
        return
    if None in labels or len(labels) > 1:
        raise SpecError(f"{cls}: give all of {', '.join(got)} as plain numbers (in the unit of the parameter) "
                        "or all as quantities of one dimension, got "
                        + ", ".join(f"{k} {'a plain number' if lab is None else 'in ' + (lab or 'dimensionless')}"
                                  for k, lab in got.items()))
    object.__setattr__(self, "_unit", labels.pop())


def in_unit(value, name: str, unit: str):
    """``value`` for parameter ``name`` documented in ``unit``: a distribution whose arguments were
    quantities becomes the same distribution in plain numbers of ``unit`` (a SpecError when their
    dimension is not ``unit``'s); anything else is returned as it is."""
    have = getattr(value, "_unit", None)
    if have is None or not isinstance(value, Distribution):
        return value
    f = rescale_factor(have, name, unit)
    scale = {k: (None if getattr(value, k) is None else getattr(value, k) * f)
             for k in ("low", "high", "mu", "sigma", "mean", "std") if hasattr(value, k)}
    return replace(value, **scale)


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high) (in the unit of the quantity it parametrises)."""
    low: float
    high: float
    _unit = None

    def __post_init__(self):
        _quantities(self, "Uniform", ("low", "high"))
        lo = V.number("Uniform.low", self.low)
        hi = V.number("Uniform.high", self.high)
        if hi < lo:
            raise V.SpecError(f"Uniform.high must be >= low ({lo}), got {hi}")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def draw(self, rng: np.random.Generator, size) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def to_dict(self):
        return {"dist": "uniform", "low": self.low, "high": self.high}


#: Bounds must keep at least this probability mass inside [low, high] (else SpecError).
MIN_MASS = 1e-6


def std_normal_mass(a: float, b: float) -> float:
    """P(a <= Z <= b) for a standard normal Z (a, b may be +-inf), through math.erf / erfc so
    that far tails keep their relative precision."""
    if a >= b:
        return 0.0
    if a > 0:      # both in the upper tail: difference of two small upper-tail masses
        return 0.5 * (math.erfc(a / math.sqrt(2)) - (math.erfc(b / math.sqrt(2)) if b < math.inf else 0.0))
    if b < 0:      # both in the lower tail
        return std_normal_mass(-b, -a)
    lo = 0.5 * math.erfc(-a / math.sqrt(2)) if a > -math.inf else 0.0
    hi = 0.5 * math.erfc(b / math.sqrt(2)) if b < math.inf else 0.0
    return 1.0 - lo - hi


def _bounds(self, name: str):
    """Check ``low`` / ``high`` / ``redraw`` of a bounded distribution (in place)."""
    lo = None if self.low is None else V.number(f"{name}.low", self.low)
    hi = None if self.high is None else V.number(f"{name}.high", self.high)
    if lo is not None and hi is not None and lo >= hi:
        raise V.SpecError(f"{name}.high must be > low ({lo:g}), got {hi:g}")
    if not isinstance(self.redraw, (bool, np.bool_)):
        raise V.SpecError(f"{name}.redraw must be True or False, got {self.redraw!r}")
    object.__setattr__(self, "low", lo)
    object.__setattr__(self, "high", hi)
    object.__setattr__(self, "redraw", bool(self.redraw))
    if lo is not None or hi is not None:
        mass = self.mass_inside()
        if mass < MIN_MASS:
            raise V.SpecError(f"{name}: only {mass:.3g} of the probability lies in [low, high] = "
                              f"[{-math.inf if lo is None else lo:g}, {math.inf if hi is None else hi:g}]; "
                              f"bounds must keep at least {MIN_MASS:g} of it (move them towards the bulk "
                              "of the distribution)")


def _bounded(x: np.ndarray, again, low, high, redraw: bool) -> np.ndarray:
    """Values of ``x`` outside [low, high] drawn again (``again(m)``: m new values) until all
    are inside, redrawing only the offending entries; or clipped when not ``redraw``."""
    if low is None and high is None:
        return x
    lo = -np.inf if low is None else low
    hi = np.inf if high is None else high
    if not redraw:
        return np.clip(x, lo, hi, out=x)
    flat = x.reshape(-1)   # a view: x is a fresh contiguous draw
    bad = np.flatnonzero((flat < lo) | (flat > hi))
    while bad.size:
        flat[bad] = again(bad.size)
        v = flat[bad]
        bad = bad[(v < lo) | (v > hi)]
    return x


def _bound_dict(self, d: dict) -> dict:
    if self.low is not None or self.high is not None:
        d.update(low=self.low, high=self.high, redraw=self.redraw)
    return d


class _Bounded:
    def within(self, low=None, high=None):
        """The same distribution with its bounds narrowed to [low, high] as well (None: no bound)."""
        lo = self.low if low is None else (low if self.low is None else max(self.low, low))
        hi = self.high if high is None else (high if self.high is None else min(self.high, high))
        return replace(self, low=lo, high=hi)


@dataclass(frozen=True)
class Normal(_Bounded):
    """Normal with mean ``mu`` and standard deviation ``sigma`` (>= 0), in the unit of the quantity
    it parametrises; optionally truncated to [``low``, ``high``] (same unit; None: unbounded on that
    side) by redrawing (``redraw=True``, NEST ``nest.math.redraw``, PyNN ``constrain="redraw"``) or
    clipped (``redraw=False``, NEST ``nest.math.min/max``, PyNN ``constrain="clip"``)."""
    mu: float
    sigma: float
    low: Optional[float] = None
    high: Optional[float] = None
    redraw: bool = True
    _unit = None

    def __post_init__(self):
        _quantities(self, "Normal", ("mu", "sigma", "low", "high"))
        object.__setattr__(self, "mu", V.number("Normal.mu", self.mu))
        object.__setattr__(self, "sigma", V.non_negative("Normal.sigma", self.sigma))
        _bounds(self, "Normal")

    def mass_inside(self) -> float:
        """Probability that an unbounded draw lies in [low, high]."""
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        if self.sigma == 0:
            return 1.0 if lo <= self.mu <= hi else 0.0
        return std_normal_mass((lo - self.mu) / self.sigma, (hi - self.mu) / self.sigma)

    def draw(self, rng, size):
        x = rng.normal(self.mu, self.sigma, size)
        return _bounded(x, lambda m: rng.normal(self.mu, self.sigma, m), self.low, self.high, self.redraw)

    def to_dict(self):
        return _bound_dict(self, {"dist": "normal", "mu": self.mu, "sigma": self.sigma})


@dataclass(frozen=True)
class LogNormal(_Bounded):
    """Log-normal parametrised by its own ``mean`` (> 0) and standard deviation ``std`` (>= 0), not
    those of the underlying normal, which is how weights are usually quoted; optionally bounded to
    [``low``, ``high``] by redrawing or clipping, as :class:`Normal`."""
    mean: float
    std: float
    low: Optional[float] = None
    high: Optional[float] = None
    redraw: bool = True
    _unit = None

    def __post_init__(self):
        _quantities(self, "LogNormal", ("mean", "std", "low", "high"))
        object.__setattr__(self, "mean", V.positive("LogNormal.mean", self.mean))
        object.__setattr__(self, "std", V.non_negative("LogNormal.std", self.std))
        _bounds(self, "LogNormal")

    def _underlying(self):
        sigma2 = np.log1p(self.std ** 2 / self.mean ** 2)
        return np.log(self.mean) - 0.5 * sigma2, np.sqrt(sigma2)

    def mass_inside(self) -> float:
        """Probability that an unbounded draw lies in [low, high]."""
        mu, s = (float(x) for x in self._underlying())
        lo = -math.inf if self.low is None or self.low <= 0 else math.log(self.low)
        hi = math.inf if self.high is None else (math.log(self.high) if self.high > 0 else -math.inf)
        if s == 0:
            return 1.0 if lo <= mu <= hi else 0.0
        return std_normal_mass((lo - mu) / s, (hi - mu) / s)

    def draw(self, rng, size):
        var = self.std ** 2
        sigma2 = np.log1p(var / self.mean ** 2)
        mu = np.log(self.mean) - 0.5 * sigma2
        x = rng.lognormal(mu, np.sqrt(sigma2), size)
        return _bounded(x, lambda m: rng.lognormal(mu, np.sqrt(sigma2), m), self.low, self.high, self.redraw)

    def to_dict(self):
        return _bound_dict(self, {"dist": "lognormal", "mean": self.mean, "std": self.std})


Distribution = (Uniform, Normal, LogNormal)


def from_dict(d):
    kind = d["dist"]
    if kind == "uniform":
        return Uniform(d["low"], d["high"])
    bounds = {k: d[k] for k in ("low", "high", "redraw") if k in d}
    if kind == "normal":
        return Normal(d["mu"], d["sigma"], **bounds)
    if kind == "lognormal":
        return LogNormal(d["mean"], d["std"], **bounds)
    raise V.SpecError(f"unknown distribution {kind!r}; allowed: uniform, normal, lognormal")


def realise(name: str, value, size: int, rng: np.random.Generator, low=None, high=None,
            unit: str = "", pairs=None) -> np.ndarray:
    """Turn a scalar, an array of length ``size`` or a distribution into a float64 array of
    length ``size``.  With ``pairs = (pre, post, n_pre, n_post)`` a matrix of shape
    (n_pre, n_post) is accepted too and read at [pre, post].  Scalars and arrays outside
    [low, high] raise SpecError; distribution draws are clipped into it, or redrawn inside it
    when the distribution has bounds of its own and ``redraw`` (its bounds are narrowed to
    [low, high] first)."""
    value = in_unit(value, name, unit)
    if isinstance(value, Distribution):
        if getattr(value, "redraw", False) and (value.low is not None or value.high is not None) \
                and (low is not None or high is not None):
            try:
                value = value.within(low, high)
            except V.SpecError as e:
                raise V.SpecError(f"{name}: {e} (the bounds narrowed to the valid range "
                                  f"[{-np.inf if low is None else low:g}, {np.inf if high is None else high:g}] "
                                  f"{unit})") from None
        arr = np.asarray(value.draw(rng, size), dtype=np.float64)
        if low is not None or high is not None:
            # in place: arr is a fresh draw (no second per-synapse array at the build's peak)
            arr = np.clip(arr, -np.inf if low is None else low, np.inf if high is None else high,
                          out=arr if arr.flags.writeable and arr.flags.owndata else None)
        return arr
    arr = np.asarray(V.to_float(value, name, unit), dtype=np.float64)
    if arr.ndim == 0:
        v = V.number(name, float(arr), unit)
        arr = np.full(size, v)
    elif pairs is not None and arr.ndim == 2 and arr.shape == (pairs[2], pairs[3]):
        arr = arr[pairs[0], pairs[1]]
    elif arr.shape != (size,):
        extra = f" or ({pairs[2]}, {pairs[3]})" if pairs is not None else ""
        raise V.SpecError(f"{name} must be a scalar, a distribution or an array of shape ({size},){extra}, "
                          f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise V.SpecError(f"{name} must contain only finite values ({unit})")
    if low is not None and arr.min(initial=np.inf) < low:
        raise V.SpecError(f"{name} must be >= {low:g} {unit}, got a minimum of {arr.min():g}")
    if high is not None and arr.max(initial=-np.inf) > high:
        raise V.SpecError(f"{name} must be <= {high:g} {unit}, got a maximum of {arr.max():g}")
    return arr


def describe(value):
    """JSON-friendly description of a scalar, an array or a distribution."""
    if isinstance(value, Distribution):
        return value.to_dict()
    arr = np.asarray(value)
    if arr.ndim == 0:
        return float(arr)
    return arr.tolist()


def undescribe(value):
    if isinstance(value, dict) and "dist" in value:
        return from_dict(value)
    if isinstance(value, list):
        return np.asarray(value, dtype=np.float64)
    return value
