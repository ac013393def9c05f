"""The one decorator of the CPU kernels: ``@kernel`` or ``@kernel(inline="always", ...)``.

``njit(cache=True, _nrt=False)``: compiled once and cached on disk, and without Numba's
reference counting.  The kernels allocate nothing and only borrow the state's arrays, which their
caller (``chunk.run_chunk``, compiled with reference counting because it allocates its scratch)
holds for the whole chunk.  Counting references made every call of a kernel taking the state
tuples increment and decrement each of their ~40 arrays atomically: about 0.5 us a call, more
than a whole block update of 512 neurons (measured: an empty block call 497 ns with counting,
50 ns without).
"""
from numba import njit


def kernel(fn=None, **options):
    """``njit(cache=True, _nrt=False, **options)``, usable with or without arguments."""
    opts = {"cache": True, "_nrt": False}
    opts.update(options)
    if fn is None:
        return njit(**opts)
    return njit(**opts)(fn)
