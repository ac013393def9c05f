"""Say when kernels are compiled: one line before Numba starts compiling (a first run on this
machine, or the first run of a network that needs phases no earlier run compiled), one line with
the elapsed time when it is done.  Loading kernels from Numba's on-disk cache says nothing.

Compilation is detected with Numba's event API (``numba:compile`` fires only when a kernel is
compiled, not when it is loaded from the cache)."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from numba.core import event


class _Listener(event.Listener):
    def __init__(self, stream):
        self.stream = stream
        self.started = None     # perf_counter() of the first compilation, None if none
        self.depth = 0

    def on_start(self, ev):
        if self.started is None:
            self.started = time.perf_counter()
            if self.stream is not None:
                print("neurosim: compiling kernels for this CPU and this network's phases "
                      "(first run only: they are cached on disk) ...", file=self.stream, flush=True)

    def on_end(self, ev):
        pass


class CompileNotice:
    """What :func:`compile_notice` found: ``compiled`` (bool) and ``seconds`` spent compiling."""
    compiled = False
    seconds = 0.0


@contextmanager
def compile_notice(stream=sys.stderr):
    """Context manager around the first call of a backend's kernels: prints the two lines to
    ``stream`` (None: silent) when something is compiled, and yields a :class:`CompileNotice`."""
    listener = _Listener(stream)
    notice = CompileNotice()
    with event.install_listener("numba:compile", listener):
        yield notice
    if listener.started is not None:
        notice.compiled = True
        notice.seconds = time.perf_counter() - listener.started
        if stream is not None:
            print(f"neurosim: kernels compiled in {notice.seconds:.1f} s", file=stream, flush=True)
