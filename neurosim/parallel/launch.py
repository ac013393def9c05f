"""Detects a start as one of several processes of an MPI launcher, from the variables the
launcher sets in each process's environment (no MPI library is loaded for this):

* MPICH / Intel MPI (Hydra): ``PMI_SIZE``
* Open MPI: ``OMPI_COMM_WORLD_SIZE``
* MVAPICH2: ``MV2_COMM_WORLD_SIZE``
"""
from __future__ import annotations

import os
from typing import Mapping, Optional

from ..errors import ParallelLaunchError

#: environment variables holding the number of processes started by an MPI launcher
SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def launched_processes(environ: Optional[Mapping[str, str]] = None) -> int:
    """The number of processes the MPI launcher started together with this one (1 when started
    without a launcher, or by ``mpiexec -n 1``)."""
    env = os.environ if environ is None else environ
    sizes = [1]
    for name in SIZE_VARIABLES:
        value = env.get(name, "").strip()
        if value.isdigit():
            sizes.append(int(value))
    return max(sizes)


def refuse_unpartitioned(environ: Optional[Mapping[str, str]] = None) -> None:
    """Raise :class:`~neurosim.errors.ParallelLaunchError` when this process is one of several
    started by an MPI launcher: every process would simulate the whole network and write the same
    files.  Called before a network is built (sim/run.py)."""
    k = launched_processes(environ)
    if k > 1:
        raise ParallelLaunchError(
            f"neurosim was started as one of {k} MPI processes (mpiexec -n {k}), but it cannot yet "
            f"partition a network across processes: each of the {k} would simulate the whole network and "
            "write the same files. Run it as one process (use threads: NUMBA_NUM_THREADS or "
            "numba.set_num_threads) or with mpiexec -n 1")
