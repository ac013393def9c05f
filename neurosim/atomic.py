"""Atomic file writes: write a temporary file in the target's folder, then rename it over the target.

:func:`atomic_path` is the one place that does this for figures (``neurosim plot``/``run``),
MLP model files and the MNIST download cache.  A reader of ``path`` therefore sees either the
older file, byte for byte, or the complete new one, never a partial file; a failed or interrupted
write leaves no temporary file behind (only a killed process -- SIGKILL, power loss -- can leave
a ``.<name>.<pid>.tmp<ext>`` file).

The result files of ``neurosim run`` (:class:`neurosim.io.hdf5.ResultWriter`) keep their own
temporary file: it is opened when the writer is created and renamed by ``commit()`` much later, with
fsyncs and the interrupt bookkeeping of :mod:`neurosim.interrupts` around the rename.
"""
from __future__ import annotations

import contextlib
import os
from typing import Callable, ContextManager, Iterator, Optional

__all__ = ["atomic_path", "temp_path_for"]


def temp_path_for(path, suffix: Optional[str] = None) -> str:
    """The temporary path :func:`atomic_path` writes ``path`` through:
    ``<folder of path>/.<name without extension>.<pid>.tmp<suffix>``, where ``suffix`` defaults to
    the extension of ``path`` (so that writers that pick a format by extension, such as
    matplotlib's ``savefig``, write the same format)."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    root, ext = os.path.splitext(os.path.basename(path))
    return os.path.join(d, f".{root}.{os.getpid()}.tmp{ext if suffix is None else suffix}")


@contextlib.contextmanager
def atomic_path(path, suffix: Optional[str] = None, *,
                guard: Optional[Callable[[], ContextManager]] = None,
                before_replace: Optional[Callable[[], None]] = None) -> Iterator[str]:
    """Yield a temporary path in the folder of ``path`` (created if missing) to write to; when the
    block ends normally, rename it over ``path`` with :func:`os.replace` (atomic: same folder,
    hence same file system).  On any exception -- ``KeyboardInterrupt`` and ``SystemExit``
    included -- in the block, in ``before_replace`` or in the rename, the temporary file is
    removed and the exception re-raised; an older file at ``path`` stays as it was.

    Parameters
    ----------
    path : the target file
    suffix : extension of the temporary file (default: that of ``path``); see :func:`temp_path_for`
    guard : a factory of a context manager entered around the rename (with ``before_replace``)
        and, separately, around the removal of the temporary file, e.g.
        :func:`neurosim.interrupts.deferred`, so that a signal cannot cut either in half
    before_replace : called (inside ``guard``) right before the rename; an exception from it
        abandons the write, e.g. :func:`neurosim.interrupts.check`
    """
    tmp = temp_path_for(path, suffix)
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    guard = guard or contextlib.nullcontext
    try:
        yield tmp
        with guard():
            if before_replace is not None:
                before_replace()
            os.replace(tmp, os.fspath(path))
    except BaseException:
        with guard():
            try:
                os.unlink(tmp)
            except OSError:         # never created, or not removable: the original error matters
                pass
        raise
