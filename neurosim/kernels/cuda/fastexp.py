"""Device twin of kernels/cpu/fastexp.py: the same exp arithmetic, compiled as a device function.

NVVM contracts multiply-adds into FMAs by default (and numba-cuda has no switch for it), so the
GPU result can differ from the CPU's in the last bits: CPU and GPU agree within a measured bound,
not bit for bit (see kernels/cpu/fastexp.py)."""
from numba import cuda

from ..cpu.fastexp import exp_scalar_py

exp_scalar = cuda.jit(device=True)(exp_scalar_py)
