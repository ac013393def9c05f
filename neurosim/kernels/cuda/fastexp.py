"""Device twin of kernels/cpu/fastexp.py: the same exp arithmetic (kernels/scalar.py), compiled as
a device function (kernels/cuda/maths.py).

NVVM contracts multiply-adds into FMAs by default (and numba-cuda has no switch for it), so the
GPU result can differ from the CPU's in the last bits: CPU and GPU agree within a measured bound,
not bit for bit (see kernels/cpu/fastexp.py)."""
from .maths import exp_scalar

__all__ = ["exp_scalar"]
