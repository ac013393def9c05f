"""The shared scalar maths (kernels/scalar.py) compiled as CUDA device functions.

The same plain Python as the CPU's (kernels/cpu/maths.py), compiled by ``cuda.jit(device=True,
inline=True)``; under the CUDA simulator it runs as that Python and matches the CPU bit for bit,
on a GPU up to NVVM's fused multiply-adds (see kernels/cpu/fastexp.py).  The names of
``scalar.FUNCTIONS`` are this module's attributes."""
from numba import cuda

from .. import scalar

__all__ = scalar.FUNCTIONS
globals().update(vars(scalar.compile_all(cuda.jit(device=True, inline=True))))
