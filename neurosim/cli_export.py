"""``neurosim export FILE.h5 --to nwb|neo-nix [-o OUT]``: a result file in another format.

* ``nwb``: Neurodata Without Borders 2.x (:func:`neurosim.io.nwb.write_nwb`; needs
  ``pip install neurosim[nwb]``), default output ``FILE.nwb``;
* ``neo-nix``: the ``neo.Block`` of :meth:`Result.to_neo <neurosim.result.Result.to_neo>` written
  by Neo's ``NixIO`` (needs ``pip install neurosim[neo]``), default output ``FILE.nix``.

Outputs are written atomically (a temporary file in the output's folder, renamed when complete):
an error or Ctrl-C leaves an older file at the output untouched and no partial file.  A missing
optional package, a missing or damaged result file and an unusable output path are one
``error:`` line (see :func:`neurosim.cli._guard`).
"""
from __future__ import annotations

import os

from . import interrupts
from .atomic import atomic_path
from .errors import NeurosimError
from .outputs import check_out

#: ``--to`` formats -> default extension of the output
FORMATS = {"nwb": ".nwb", "neo-nix": ".nix"}
_EXTRAS = {"nwb": "pip install 'neurosim[nwb]'", "neo-nix": "pip install 'neurosim[neo]'"}


def add_parser(sub):
    """Register the ``export`` subcommand on argparse's subparsers ``sub``."""
    e = sub.add_parser("export", help="convert a result file to NWB or Neo/NIX")
    e.add_argument("file", help="neurosim HDF5 result file")
    e.add_argument("--to", required=True, choices=sorted(FORMATS), help="output format")
    e.add_argument("-o", "--out", default=None, help="output path (default FILE with .nwb or .nix)")
    return e


def default_out(path: str, to: str) -> str:
    """``FILE.h5`` -> ``FILE.nwb`` / ``FILE.nix``."""
    return os.path.splitext(path)[0] + FORMATS[to]


def export(path: str, to: str, out=None) -> str:
    """Convert the result file ``path`` to format ``to`` (``"nwb"`` or ``"neo-nix"``) at ``out``
    (default :func:`default_out`); returns the output path."""
    if to not in FORMATS:
        raise NeurosimError(f"--to {to!r}: unknown format; choose from {', '.join(sorted(FORMATS))}")
    out = out or default_out(path, to)
    check_out(out, "-o")
    if os.path.isdir(out):
        raise NeurosimError(f"-o {out} is a folder; give a file name such as "
                            f"{os.path.join(out, os.path.basename(default_out(path, to)))}")
    if os.path.abspath(out) == os.path.abspath(path):
        raise NeurosimError(f"-o {out} is the input file; choose another output path")
    _check_extra(to)
    from .io.hdf5 import read_result
    result = read_result(path)
    if to == "nwb":
        from .io.nwb import write_nwb
        write_nwb(result, out)
    else:
        _write_nix(result, out)
    return out


def _check_extra(to: str) -> None:
    """A one-line error naming the extra to install when the packages of ``to`` are missing."""
    try:
        if to == "nwb":
            import pynwb  # noqa: F401
        else:
            import neo  # noqa: F401
            import nixio  # noqa: F401
            import quantities  # noqa: F401
    except ImportError as exc:
        raise NeurosimError(f"--to {to} needs the optional package {exc.name or exc}: {_EXTRAS[to]}") from None


def _write_nix(result, out: str) -> None:
    from neo.io import NixIO
    block = result.to_neo()
    with atomic_path(out, suffix=".nix", guard=interrupts.deferred, before_replace=interrupts.check) as tmp:
        io = NixIO(tmp, mode="ow")
        try:
            io.write_block(block)
        finally:
            io.close()


def run(args) -> int:
    """``neurosim export`` with parsed ``args``: convert, print ``wrote OUT``."""
    out = export(args.file, args.to, args.out)
    print(f"wrote {out}")
    return 0
