"""Output paths of the command line, checked before any work is done: a parent that is a file
(``--out notes.txt/x.h5``), an image format matplotlib cannot write (``-o x.jpgx``), a
resolution out of range (``--dpi -5``).  Each problem is one NeurosimError line."""
from __future__ import annotations

import argparse
import os

from .errors import NeurosimError

#: Allowed ``neurosim plot --dpi`` values (dots per inch).
DPI_RANGE = (10, 1200)


def check_out(path: str, flag: str) -> None:
    """Refuse an output path below a file (``--out notes.txt/x.h5``) before any work is done."""
    d = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(d) and os.path.dirname(d) != d:
        d = os.path.dirname(d)
    if os.path.exists(d) and not os.path.isdir(d):
        raise NeurosimError(f"{flag} {path}: {os.path.relpath(d)} is a file, not a folder; choose another path")


def check_image(path: str) -> None:
    """Refuse an image path whose extension matplotlib cannot write, listing the ones it can."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    allowed = FigureCanvasAgg(Figure()).get_supported_filetypes()
    ext = os.path.splitext(path)[1][1:].lower()
    if ext and ext not in allowed:
        raise NeurosimError(f"-o {path}: unknown image format {ext!r}; allowed: {', '.join(sorted(allowed))}")
    check_out(path, "-o")


def dpi(text: str) -> int:
    """argparse type of ``--dpi``: an integer in ``DPI_RANGE``."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer (dots per inch), got {text!r}") from None
    if not DPI_RANGE[0] <= v <= DPI_RANGE[1]:
        raise argparse.ArgumentTypeError(f"must be in [{DPI_RANGE[0]}, {DPI_RANGE[1]}] dots per inch, got {v}")
    return v
