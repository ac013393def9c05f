"""The shared scalar maths (kernels/scalar.py) compiled for the CPU kernels.

Each function is ``@kernel(inline="always")``: Numba inlines its IR into the calling kernel, so it
costs no call and no separate compilation, and it is lowered with the caller's options (e.g. the
``error_model`` of ``saturating_step``).  ``exp_scalar`` is also callable from Python (tests, and
kernels/cpu/fastexp.py re-exports it).  The names of ``scalar.FUNCTIONS`` are this module's
attributes."""
from .. import scalar
from .jit import kernel

__all__ = scalar.FUNCTIONS
globals().update(vars(scalar.compile_all(kernel(inline="always"),
                                         special={"exp_scalar": kernel(inline="always", python=True)})))
