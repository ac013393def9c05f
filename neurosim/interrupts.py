"""Ctrl-C (SIGINT) and SIGTERM while results are written.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be when Ctrl-C arrives.
Inside a ``__del__`` method, a weakref callback or a ctypes callback (Numba's compiler uses
them), that exception is printed as ``Exception ignored in ...`` and lost, and the program goes
on as if nothing happened.  ``neurosim run`` therefore handles both signals with :func:`handled`:
the handler *records* the signal before raising ``KeyboardInterrupt``, and the places that matter
ask the record with :func:`check` -- the spike stream after every chunk and
:meth:`~neurosim.io.hdf5.ResultWriter.commit` right before it renames the finished file over the
target.  An interrupt, even one that was swallowed, therefore always stops the command before
its result replaces an older file.

Inside :func:`deferred` the handler records the signal but raises nothing; only explicit
:func:`check` calls act on it.  The commit uses it so that the rename and the bookkeeping around
it are never cut in half: either :func:`check` sees the signal and the commit is abandoned (the
temporary file is deleted, the older file stays), or the signal came after the check and the
command finishes normally with the new file in place.

Once the command's result is in place, :func:`finished` makes the handler record only: the
command completes (figures, summary) and exits 0, since stopping it then could no longer keep
the older file.  ``neurosim run`` thus ends in one of two ways whenever a signal comes: exit 0
with the complete new file, or exit 130 (SIGINT) / 143 (SIGTERM) with an older file at the
target byte for byte as it was and no temporary file.

Without :func:`handled` (plain library use) Python's default handlers apply; :func:`check` then
never raises and :func:`deferred` changes nothing.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Optional

__all__ = ["SIGNALS", "EXIT_CODES", "handled", "requested", "exit_code", "check", "deferred", "finished"]

#: The signals :func:`handled` takes over.
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Exit status of a command stopped by each signal (the shell convention 128 + signal number).
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}

# signum: the first signal received within handled(); depth: nesting of deferred();
# finished: the command's output is in place (see finished()).
_state = {"signum": None, "depth": 0, "finished": False}


def _record(signum, frame):
    if _state["signum"] is None:
        _state["signum"] = signum
    if _state["depth"] == 0 and not _state["finished"]:
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")


@contextlib.contextmanager
def handled(ignore_after_finish: bool = False):
    """Within the block, SIGINT and SIGTERM are recorded (see :func:`requested`) and raise
    ``KeyboardInterrupt`` (not within :func:`deferred`, nor after :func:`finished`).  The previous
    handlers are restored on exit -- unless ``ignore_after_finish`` and the block called
    :func:`finished` and ended normally: then both signals are ignored from there on, so that a
    process whose result is in place cannot be stopped with another status while it exits.
    A signal that was ignored when the block began (``nohup``) stays ignored.  Outside the main
    thread (where Python cannot install handlers) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.update(signum=None, depth=0, finished=False)
    ok = False
    try:
        for s in SIGNALS:
            if previous[s] is not signal.SIG_IGN:      # a signal ignored by the parent stays ignored
                signal.signal(s, _record)
        yield
        ok = True
    finally:
        keep = ok and ignore_after_finish and _state["finished"]
        for s, h in previous.items():
            signal.signal(s, signal.SIG_IGN if keep else h)
        _state.update(signum=None, depth=0, finished=False)     # nothing carries over to library use


def requested() -> Optional[int]:
    """The first signal received within the current :func:`handled` block (``signal.SIGINT`` or
    ``SIGTERM``), or None."""
    return _state["signum"]


def exit_code() -> int:
    """The exit status for the signal received (130 for SIGINT, 143 for SIGTERM; 130 if none)."""
    return EXIT_CODES.get(_state["signum"], EXIT_CODES[signal.SIGINT])


def check():
    """Raise ``KeyboardInterrupt`` if a signal was received within :func:`handled`, also when its
    exception was swallowed somewhere (a ``__del__`` or callback) or deferred; not after
    :func:`finished`."""
    signum = _state["signum"]
    if signum is not None and not _state["finished"]:
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")


@contextlib.contextmanager
def deferred():
    """Within the block, a signal is only recorded; :func:`check` acts on it.  Nests."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1


def finished():
    """Declare the command's result in place (the file renamed over its target): until
    :func:`handled` ends, signals are only recorded and the command completes normally (it
    finishes its figures and summary and exits 0), since stopping it now could no longer keep an
    older file."""
    _state["finished"] = True
