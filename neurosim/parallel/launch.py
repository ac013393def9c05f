"""Detects a start as one of several processes of an MPI launcher, from the variables the
launcher sets in each process's environment (no MPI library is loaded for this):

* MPICH / Intel MPI (Hydra): ``PMI_SIZE``
* Open MPI: ``OMPI_COMM_WORLD_SIZE``
* MVAPICH2: ``MV2_COMM_WORLD_SIZE``
"""
from __future__ import annotations

import os
from typing import Mapping, Optional


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
