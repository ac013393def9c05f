"""Logging of the library: every module logs to ``logging.getLogger(__name__)`` (children of the
``neurosim`` logger, which has a :class:`logging.NullHandler`, so that nothing is shown unless the
application configures logging); ``neurosim run`` shows INFO records on stderr
(:func:`log_to_stderr`).  Printing is left to the command line's own output and to the
``verbose=True`` progress lines that a caller asks for (:func:`progress_line`)."""
from __future__ import annotations

import contextlib
import logging
import sys

ROOT = "neurosim"


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record arrives (so that a
    redirected or captured stderr gets it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def log_to_stderr(level: int = logging.INFO) -> None:
    """Show the ``neurosim`` logger's records of ``level`` and above on stderr as
    ``neurosim: <message>`` lines (the command line does this; idempotent)."""
    log = logging.getLogger(ROOT)
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        h = _Stderr()
        h.setFormatter(logging.Formatter(f"{ROOT}: %(message)s"))
        log.addHandler(h)
    log.setLevel(level)


@contextlib.contextmanager
def stderr_logging(level: int = logging.INFO):
    """:func:`log_to_stderr` for the duration of a ``with`` block (the command line's entry points):
    afterwards the ``neurosim`` logger has its handlers and level back, so that calling
    ``neurosim.cli.main([...])`` from Python leaves no handler behind."""
    log = logging.getLogger(ROOT)
    handlers, old_level = list(log.handlers), log.level
    log_to_stderr(level)
    try:
        yield
    finally:
        log.handlers[:], log.level = handlers, old_level


def progress_line(log: logging.Logger, verbose: bool, message: str) -> None:
    """A progress line: printed on stdout when the caller asked for it (``verbose=True``, the
    documented output of that option), else a DEBUG record of ``log``."""
    if verbose:
        print(message, flush=True)
    else:
        log.debug(message)
