"""Device twin of kernels/cpu/rng.py: the same counter-based draws, bit for bit."""
import math

import numpy as np
from numba import cuda

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


@cuda.jit(device=True)
def mix64(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@cuda.jit(device=True)
def uniform(key, stream, step, index):
    x = mix64(np.uint64(key) ^ mix64(np.uint64(stream)))
    x = mix64(x ^ np.uint64(step))
    x = mix64(x ^ np.uint64(index))
    return float(x >> _S11) * _INV53


@cuda.jit(device=True)
def binomial(key, stream, step, index, n, p):
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    mean = n * p
    if mean > 100.0:
        u1 = uniform(key, stream, step, 2 * index)
        u2 = uniform(key, stream, step, 2 * index + 1)
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        k = int(math.floor(mean + z * math.sqrt(mean * (1.0 - p)) + 0.5))
        return min(max(k, 0), n)
    u = uniform(key, stream, step, 2 * index)
    q = 1.0 - p
    f = math.exp(n * math.log1p(-p))
    cdf = f
    r = p / q
    k = 0
    while u > cdf and k < n:
        f *= r * (n - k) / (k + 1.0)
        k += 1
        cdf += f
    return k
