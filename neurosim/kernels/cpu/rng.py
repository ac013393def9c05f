"""Counter-based random numbers: every draw is a pure function of (key, stream, step, index).

The generator chains three rounds of the SplitMix64 finaliser (Steele, Lea & Flood 2014) over
the counter words, so the same seed gives the same draws in any order, on any number of threads
and on the GPU.  Streams used by the simulator: ``(1 << 32) + p`` for the Poisson population
``p`` and ``(2 << 32) + d`` for the Poisson drive ``d``.
"""
import numpy as np

from .jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0

STREAM_POISSON = 1 << 32
STREAM_DRIVE = 2 << 32


@kernel(inline="always")
def mix64(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel(inline="always")
def step_base(key, stream, step):
    """The part of a draw that depends on (key, stream, step) only; see :func:`uniform_at`."""
    x = mix64(np.uint64(key) ^ mix64(np.uint64(stream)))
    return mix64(x ^ np.uint64(step))


@kernel(inline="always")
def uniform_at(base, index):
    """``uniform(key, stream, step, index)`` from ``base = step_base(key, stream, step)``."""
    x = mix64(base ^ np.uint64(index))
    return float(x >> _S11) * _INV53


@kernel(inline="always")
def uniform(key, stream, step, index):
    """A float64 in [0, 1) for the counter (key, stream, step, index) (all integers >= 0)."""
    return uniform_at(step_base(key, stream, step), index)


@kernel(inline="always")
def binomial_p0(n, p):
    """P(k = 0) = (1 - p)**n of Binomial(n, p), 0 < p < 1: the start of the CDF inversion in
    :func:`binomial_at` (the same for every draw with the same n and p)."""
    return np.exp(n * np.log1p(-p))


@kernel(inline="always")
def binomial_at(base, index, n, p, p0):
    """Binomial(n, p) by CDF inversion of one counter-based uniform (exact); for a mean above
    100 a normal approximation from two uniforms (Box-Muller), rounded and clipped to [0, n].
    ``base = step_base(key, stream, step)``, ``p0 = binomial_p0(n, p)`` (ignored when p is 0 or 1):
    both are shared by the draws of one stream and step, so callers compute them once."""
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    mean = n * p
    if mean > 100.0:
        u1 = uniform_at(base, 2 * index)
        u2 = uniform_at(base, 2 * index + 1)
        z = np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)
        k = int(np.floor(mean + z * np.sqrt(mean * (1.0 - p)) + 0.5))
        return min(max(k, 0), n)
    u = uniform_at(base, 2 * index)
    q = 1.0 - p
    f = p0
    cdf = f
    r = p / q
    k = 0
    while u > cdf and k < n:
        f *= r * (n - k) / (k + 1.0)
        k += 1
        cdf += f
    return k
