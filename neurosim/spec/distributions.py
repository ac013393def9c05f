"""Random distributions for initial values, weights and delays.

A distribution is drawn at build time from the network's seeded generator; the result is
clipped to the valid range of the quantity it parametrises (for example weights of a
conductance-based receptor to >= 0 and delays to >= dt).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import validate as V
from ..errors import SpecError  # noqa: F401  (V.SpecError)


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high) (in the unit of the quantity it parametrises)."""
    low: float
    high: float

    def __post_init__(self):
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


@dataclass(frozen=True)
class Normal:
    """Normal with mean ``mu`` and standard deviation ``sigma``."""
    mu: float
    sigma: float

    def __post_init__(self):
        object.__setattr__(self, "mu", V.number("Normal.mu", self.mu))
        object.__setattr__(self, "sigma", V.non_negative("Normal.sigma", self.sigma))

    def draw(self, rng, size):
        return rng.normal(self.mu, self.sigma, size)

    def to_dict(self):
        return {"dist": "normal", "mu": self.mu, "sigma": self.sigma}


@dataclass(frozen=True)
class LogNormal:
    """Log-normal parametrised by its own ``mean`` and standard deviation ``std`` (not
    those of the underlying normal), which is how weights are usually quoted."""
    mean: float
    std: float

    def __post_init__(self):
        object.__setattr__(self, "mean", V.positive("LogNormal.mean", self.mean))
        object.__setattr__(self, "std", V.non_negative("LogNormal.std", self.std))

    def draw(self, rng, size):
        var = self.std ** 2
        sigma2 = np.log1p(var / self.mean ** 2)
        mu = np.log(self.mean) - 0.5 * sigma2
        return rng.lognormal(mu, np.sqrt(sigma2), size)

    def to_dict(self):
        return {"dist": "lognormal", "mean": self.mean, "std": self.std}


Distribution = (Uniform, Normal, LogNormal)


def from_dict(d):
    kind = d["dist"]
    if kind == "uniform":
        return Uniform(d["low"], d["high"])
    if kind == "normal":
        return Normal(d["mu"], d["sigma"])
    if kind == "lognormal":
        return LogNormal(d["mean"], d["std"])
    raise V.SpecError(f"unknown distribution {kind!r}; allowed: uniform, normal, lognormal")


def realise(name: str, value, size: int, rng: np.random.Generator, low=None, high=None,
            unit: str = "", pairs=None) -> np.ndarray:
    """Turn a scalar, an array of length ``size`` or a distribution into a float64 array of
    length ``size``.  With ``pairs = (pre, post, n_pre, n_post)`` a matrix of shape
    (n_pre, n_post) is accepted too and read at [pre, post].  Scalars and arrays outside
    [low, high] raise SpecError; distribution draws are clipped into it."""
    if isinstance(value, Distribution):
        arr = np.asarray(value.draw(rng, size), dtype=np.float64)
        if low is not None or high is not None:
            arr = np.clip(arr, -np.inf if low is None else low, np.inf if high is None else high)
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
