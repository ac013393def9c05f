"""The one decorator of the CPU kernels: ``@kernel`` or ``@kernel(inline="always", ...)``.

``njit(cache=True, _nrt=False)``: compiled once and cached on disk, and without Numba's
reference counting.  The kernels allocate nothing and only borrow the state's arrays, which their
caller (``chunk.run_chunk``, compiled with reference counting because it allocates its scratch)
holds for the whole chunk.  Counting references made every call of a kernel taking the state
tuples increment and decrement each of their ~40 arrays atomically: about 0.5 us a call, more
than a whole block update of 512 neurons (measured: an empty block call 497 ns with counting,
50 ns without).

Kernels are called from compiled code only, so by default they are compiled without the wrappers
that let Python call them (``no_cpython_wrapper``, ``no_cfunc_wrapper``): a wrapper unboxes every
array of every state tuple it takes and costs as much to compile as a small kernel (measured: ~0.1
s for one taking ``Populations``, ~1.5 s for one taking the whole ``SimState``).  A kernel that
Python calls says ``python=True``.
"""
from numba import njit


def kernel(fn=None, *, python: bool = False, **options):
    """``njit(cache=True, _nrt=False, **options)``, usable with or without arguments; without
    the Python-call wrappers unless ``python=True``."""
    opts = {"cache": True, "_nrt": False}
    if not python:
        opts.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)
    opts.update(options)
    if fn is None:
        return njit(**opts)
    return njit(**opts)(fn)
