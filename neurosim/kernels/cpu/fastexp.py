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

The scalar form and the polynomial are written once, in kernels/scalar.py, for both backends
(compiled in kernels/cpu/maths.py and kernels/cuda/maths.py).  On a GPU NVVM contracts
``a * b + c`` into fused multiply-adds by default; numba-cuda offers no switch to turn that off.  So the
guarantee is: **bit-identical across CPU thread counts; CPU vs GPU equal spikes on the parity
networks and state within a measured bound** (tests/test_cuda_parity.py::test_native_gpu_parity
and benchmarks/gpu_check.py assert |v_gpu - v_cpu| < 1e-6 mV), not bit-identical.  Under Numba's
CUDA simulator the device code runs as Python on the CPU and matches exactly.

Outside [X_MIN, X_MAX]: 0 below, inf above; NaN stays NaN.
"""
import numpy as np

from ..scalar import exp_scalar as exp_scalar_py, LOG2E, LN2_HI, LN2_LO, SHIFT, X_MIN, X_MAX
from .jit import kernel
from .maths import exp_poly, exp_scalar

EXP_BIAS = 1023
INF_BITS = 0x7FF0000000000000

__all__ = ["exp_scalar", "exp_scalar_py", "exp_block", "X_MIN", "X_MAX"]


@kernel(python=True)
def exp_block(x, bits, m):
    """``x[:m] = exp(x[:m])`` in place; ``bits`` is int64 scratch of length >= m.  Vectorised:
    both loops are branch-free over contiguous arrays."""
    for j in range(m):
        xj = x[j]
        xc = min(max(xj, X_MIN), X_MAX)
        nf = (xc * LOG2E + SHIFT) - SHIFT
        r = (xc - nf * LN2_HI) - nf * LN2_LO
        p = exp_poly(r)
        e = (np.int64(nf) + EXP_BIAS) << 52
        e = 0 if xj < X_MIN else e
        e = INF_BITS if xj > X_MAX else e
        x[j] = p if xj == xj else xj
        bits[j] = e if xj == xj else INF_BITS
    scale = bits[:m].view(np.float64)
    for j in range(m):
        x[j] = x[j] * scale[j]
