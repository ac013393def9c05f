"""A vectorisable exp for the membrane kernels.

LLVM cannot vectorise calls to libm's ``exp``, which made it the largest single cost of the
conductance-based update.  This version does Cody-Waite range reduction
(x = k ln 2 + r, |r| <= ln2/2), a degree-12 Taylor polynomial for e^r and builds 2^k from its
IEEE-754 bits, all in straight-line code that vectorises.  Accuracy: within 5e-16 relative of
``np.exp`` (2 ulp) over [-708, 709]; arguments are clamped to that range (``tests/test_fastexp.py``).
"""
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@intrinsic
def _bits_to_float(typingctx, bits):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return sig, codegen


@njit(cache=True, inline="always")
def fast_exp(x):
    """e**x for a float64 ``x`` (vectorisable; see the module docstring for its accuracy)."""
    x = min(max(x, -708.0), 709.0)
    kf = np.floor(x * _LOG2E + 0.5)
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600))))))))))))
    return p * _bits_to_float((np.int64(kf) + 1023) << 52)
