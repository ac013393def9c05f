"""The MPI world of a run started by ``mpiexec -n K`` (K > 1): this process's rank among the K.

mpi4py is imported only when the launcher started several processes (optional extra
``neurosim[mpi]``: ``pip install "neurosim[mpi]"`` brings mpi4py and the ``mpich`` wheel, whose
``mpiexec`` needs no system MPI).  A process started without a launcher, or by ``mpiexec -n 1``,
never loads MPI: :func:`world` returns ``None`` and everything runs as one process.

Under MPI, an exception that reaches the top of any rank ends all of them
(``MPI_Abort``, after printing the traceback): without it the other ranks would wait forever for
the failed one at the next spike exchange.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import ParallelLaunchError
from .launch import launched_processes


@dataclass(frozen=True)
class World:
    """The processes of one MPI run: ``comm`` (mpi4py's ``COMM_WORLD``), this process's ``rank``
    (0 .. ``size``-1) and their number ``size``."""
    comm: Any
    rank: int
    size: int


_WORLD: list = []      # [World or None] once looked up


def world() -> Optional[World]:
    """This run's MPI world, or ``None`` for a single process (no launcher, or ``mpiexec -n 1``)."""
    if _WORLD:
        return _WORLD[0]
    k = launched_processes()
    if k <= 1:
        _WORLD.append(None)
        return None
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ParallelLaunchError(
            f"neurosim was started as one of {k} MPI processes (mpiexec -n {k}), which needs mpi4py to "
            f"partition the network across them: pip install \"neurosim[mpi]\" ({exc})") from exc
    comm = MPI.COMM_WORLD
    if comm.Get_size() != k:
        raise ParallelLaunchError(
            f"the MPI launcher started {k} processes but mpi4py's COMM_WORLD has {comm.Get_size()}: mpi4py is "
            "built against another MPI than the mpiexec that started this run (use the mpiexec of the same "
            "installation, e.g. the one in the virtual environment's bin/ after pip install \"neurosim[mpi]\")")
    w = World(comm, comm.Get_rank(), comm.Get_size())
    _install_abort_hook(w)
    _WORLD.append(w)
    return w


def is_root() -> bool:
    """True in a single process and on rank 0 of an MPI run: the process that writes files and
    prints summaries."""
    w = world() if _WORLD or launched_processes() > 1 else None
    return w is None or w.rank == 0


def abort_all(code: int) -> None:
    """Under MPI (once :func:`world` found several processes) end every rank with exit status
    ``code``: a rank that stops on an error must not leave the others waiting for it.  Does
    nothing in a single process."""
    w = _WORLD[0] if _WORLD else None
    if w is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.5)         # let the launcher forward the output before the ranks are stopped
        w.comm.Abort(int(code) or 1)


def _install_abort_hook(w: World) -> None:
    """An uncaught exception on any rank prints its traceback (prefixed with the rank) and aborts
    every rank, so that none waits forever for it."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        try:
            # the reason first, on one line: the launcher may cut the rest short when it stops the ranks
            reason = " ".join(str(value).split())
            sys.stderr.write(f"neurosim: MPI rank {w.rank} of {w.size} failed ({kind.__name__}: {reason}); "
                             "stopping every rank\n")
            sys.stderr.flush()
            previous(kind, value, tb)
            sys.stdout.flush()
            sys.stderr.flush()
            time.sleep(0.5)     # let the launcher forward the output before the ranks are stopped
        finally:
            w.comm.Abort(1)

    sys.excepthook = hook
