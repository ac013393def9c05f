"""Say when kernels are compiled: one line before Numba starts compiling (a first run on this
machine, or the first run of a network that needs phases no earlier run compiled), one line with
the elapsed time when it is done.  Loading kernels from Numba's on-disk cache says nothing.

Compilation is detected with Numba's event API (``numba:compile`` fires only when a kernel is
compiled, not when it is loaded from the cache).

Both lines are INFO records of the logger ``neurosim.sim.compile_notice`` (a library logs and
leaves showing them to the application): ``neurosim run`` shows them on stderr; a script shows
them with ``logging.basicConfig(level=logging.INFO)``."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from numba.core import event

LOG = logging.getLogger(__name__)


class _Listener(event.Listener):
    def __init__(self, log):
        self.log = log
        self.started = None     # perf_counter() of the first compilation, None if none
        self.depth = 0

    def on_start(self, ev):
        if self.started is None:
            self.started = time.perf_counter()
            if self.log is not None:
                self.log.info("compiling kernels for this CPU and this network's phases "
                              "(first run only: they are cached on disk) ...")

    def on_end(self, ev):
        pass


class CompileNotice:
    """What :func:`compile_notice` found: ``compiled`` (bool) and ``seconds`` spent compiling."""
    compiled = False
    seconds = 0.0


@contextmanager
def compile_notice(log=LOG):
    """Context manager around the first call of a backend's kernels: logs the two lines to
    ``log`` (a :class:`logging.Logger`; None: silent) when something is compiled, and yields a
    :class:`CompileNotice`."""
    listener = _Listener(log)
    notice = CompileNotice()
    with event.install_listener("numba:compile", listener):
        yield notice
    if listener.started is not None:
        notice.compiled = True
        notice.seconds = time.perf_counter() - listener.started
        if log is not None:
            log.info("kernels compiled in %.1f s", notice.seconds)
