"""Running under an MPI launcher (DESIGN.md, ``parallel/``).

neurosim does not partition a network across MPI processes yet (issue 16, item 3).  What is here
makes the accident impossible: a network started as one of several processes of ``mpiexec``
would otherwise be simulated whole by every process, each writing the same result files.
"""
from .launch import launched_processes, refuse_unpartitioned

__all__ = ["launched_processes", "refuse_unpartitioned"]
