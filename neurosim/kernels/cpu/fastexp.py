"""A vectorisable exp(x), bit for bit the same in scalar form, block form and on CUDA.

``np.exp`` is a libm call, and a libm call keeps LLVM from vectorising the membrane loop.  Here
exp is written out in plain IEEE arithmetic: Cody-Waite reduction ``x = n ln2 + r`` (|r| <= ln2/2;
ln2 split into a high part whose low mantissa bits are zero, so that ``n * LN2_HI`` is exact, and
a low part), the Taylor series of exp(r) to degree 13 (truncation error < 4e-18 relative) by
Horner's rule, and the scaling by 2**n.  ``n`` is rounded half-to-even with the 1.5 * 2**52 shift,
which is exact IEEE arithmetic on every backend.  Error against ``np.exp`` over [-708, 709]: a few
ulp at most (tests/test_fastexp.py measures it).  On the CPU no fused multiply-add is used (Numba
emits no ``contract`` flag without fastmath, and LLVM does not fuse without it), so ``exp_scalar``
and ``exp_block`` round identically and the result depends neither on the vector width nor on the
number of threads.

On a GPU the same source (kernels/cuda/fastexp.py) is compiled by NVVM, which contracts ``a * b + c``
into fused multiply-adds by default; numba-cuda offers no switch to turn that off.  So the
guarantee is: **bit-identical across CPU thread counts; CPU vs GPU equal spikes on the parity
networks and state within a measured bound** (tests/test_cuda_parity.py::test_native_gpu_parity
and benchmarks/gpu_check.py assert |v_gpu - v_cpu| < 1e-6 mV), not bit-identical.  Under Numba's
CUDA simulator the device code runs as Python on the CPU and matches exactly.

Outside [X_MIN, X_MAX]: 0 below, inf above; NaN stays NaN.
"""
import math

import numpy as np

from .jit import kernel

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01   # high bits of ln 2 (the low 32 bits of its mantissa are 0)
LN2_LO = 1.90821492927058770002e-10   # ln 2 - LN2_HI
SHIFT = 6755399441055744.0            # 1.5 * 2**52: (y + SHIFT) - SHIFT rounds y half to even
X_MIN = -708.0
X_MAX = 709.0
C2 = 1.0 / 2.0
C3 = 1.0 / 6.0
C4 = 1.0 / 24.0
C5 = 1.0 / 120.0
C6 = 1.0 / 720.0
C7 = 1.0 / 5040.0
C8 = 1.0 / 40320.0
C9 = 1.0 / 362880.0
C10 = 1.0 / 3628800.0
C11 = 1.0 / 39916800.0
C12 = 1.0 / 479001600.0
C13 = 1.0 / 6227020800.0
EXP_BIAS = 1023
INF_BITS = 0x7FF0000000000000


def exp_scalar_py(x):
    """exp(x) in plain arithmetic (the body compiled for the CPU here and for CUDA devices)."""
    if x != x:
        return x
    if x < X_MIN:
        return 0.0
    if x > X_MAX:
        return math.inf
    nf = (x * LOG2E + SHIFT) - SHIFT
    r = (x - nf * LN2_HI) - nf * LN2_LO
    p = C13
    p = p * r + C12
    p = p * r + C11
    p = p * r + C10
    p = p * r + C9
    p = p * r + C8
    p = p * r + C7
    p = p * r + C6
    p = p * r + C5
    p = p * r + C4
    p = p * r + C3
    p = p * r + C2
    p = p * r + 1.0
    p = p * r + 1.0
    return math.ldexp(p, int(nf))


exp_scalar = kernel(inline="always", python=True)(exp_scalar_py)


@kernel(python=True)
def exp_block(x, bits, m):
    """``x[:m] = exp(x[:m])`` in place; ``bits`` is int64 scratch of length >= m.  Vectorised:
    both loops are branch-free over contiguous arrays."""
    for j in range(m):
        xj = x[j]
        xc = min(max(xj, X_MIN), X_MAX)
        nf = (xc * LOG2E + SHIFT) - SHIFT
        r = (xc - nf * LN2_HI) - nf * LN2_LO
        p = C13
        p = p * r + C12
        p = p * r + C11
        p = p * r + C10
        p = p * r + C9
        p = p * r + C8
        p = p * r + C7
        p = p * r + C6
        p = p * r + C5
        p = p * r + C4
        p = p * r + C3
        p = p * r + C2
        p = p * r + 1.0
        p = p * r + 1.0
        e = (np.int64(nf) + EXP_BIAS) << 52
        e = 0 if xj < X_MIN else e
        e = INF_BITS if xj > X_MAX else e
        x[j] = p if xj == xj else xj
        bits[j] = e if xj == xj else INF_BITS
    scale = bits[:m].view(np.float64)
    for j in range(m):
        x[j] = x[j] * scale[j]
