"""Helpers of the synapse layout in :func:`~neurosim.state.build.build_state` that keep its peak
memory near the size of the final arrays (issue 13, item 5): per-projection parts joined part by
part, each freed (and its pages handed back to the system) as soon as it is copied.
"""
from __future__ import annotations

import numpy as np

from ..spec.timegrid import round_steps
from .connect import index_types


def is_scalar(value) -> bool:
    """A plain number (or 0-d array / Quantity): neither a distribution nor per-synapse data."""
    return not hasattr(value, "draw") and np.ndim(value) == 0


def release_freed_memory() -> None:
    """Hand memory freed inside the C heap back to the system (glibc ``malloc_trim``; a no-op
    elsewhere).  Arrays below glibc's mmap threshold (up to 32 MB) live in the heap, whose free
    holes stay resident: without this, the per-projection parts of the synapse arrays would stay
    counted after they are joined (measured: 68 instead of ~45 bytes per synapse at peak for 64
    projections, benchmarks/build_memory.py --pops 8)."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        try:
            import ctypes
            import ctypes.util
            name = ctypes.util.find_library("c")
            libc = ctypes.CDLL(name) if name else None
            _malloc_trim = getattr(libc, "malloc_trim", False) if libc is not None else False
        except (OSError, AttributeError):  # pragma: no cover - not glibc
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def join(parts: list, dtype, row: bool = False) -> np.ndarray:
    """The per-projection arrays ``parts`` as one array of ``dtype`` (shape (1, n) with ``row``),
    emptying the list as it goes so that each part is freed once copied (the result's pages are
    only touched as they are filled): no copy at all for a single part of the right dtype."""
    if not parts:
        out = np.zeros(0, dtype)
    elif len(parts) == 1:
        out = np.asarray(parts[0], dtype)
    else:
        out = np.empty(sum(x.size for x in parts), dtype)
        o = freed = 0
        for i in range(len(parts)):
            x, parts[i] = parts[i], None
            out[o:o + x.size] = x
            o += x.size
            freed += x.nbytes
            del x
            if freed >= max(1 << 20, out.nbytes // 16):   # give the parts' pages back as the copy goes
                release_freed_memory()
                freed = 0
    parts.clear()
    if row:
        if out.base is not None:
            out = out.copy()
        out.shape = (1, out.size)   # in place: the array keeps owning its data
    return out


def delay_to_steps(delay_ms: np.ndarray, dt: float) -> np.ndarray:
    """Per-synapse delays (ms) to steps: nearest step, halves up (Brian2's rule,
    :func:`~neurosim.spec.timegrid.round_steps`; scalar delays were checked on the grid), at least 1."""
    return np.maximum(round_steps(delay_ms, dt), 1)


def narrow_steps(d_ms: np.ndarray, dt: float, n_syn: int, chunk: int = 1 << 20) -> np.ndarray:
    """Delays ``d_ms`` (one value or ``n_syn``, ms) as ``n_syn`` steps in the narrowest unsigned
    type (connect.index_types), converted in chunks: no per-synapse float or int64 temporary.  The
    rounding is monotone, so the largest delay gives the largest step count."""
    if d_ms.size == 0:
        return np.zeros(0, np.uint8)
    d_t = index_types(1, int(delay_to_steps(np.max(d_ms), dt)))[1]
    if d_ms.size != n_syn:
        return np.full(n_syn, delay_to_steps(d_ms[0], dt), d_t)
    out = np.empty(n_syn, d_t)
    for a in range(0, n_syn, chunk):
        out[a:a + chunk] = delay_to_steps(d_ms[a:a + chunk], dt)
    return out
