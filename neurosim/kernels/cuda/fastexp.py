"""Device twin of kernels/cpu/fastexp.py: the same exp arithmetic, compiled as a device function,
so that CPU and GPU membrane updates round alike."""
from numba import cuda

from ..cpu.fastexp import exp_scalar_py

exp_scalar = cuda.jit(device=True)(exp_scalar_py)
