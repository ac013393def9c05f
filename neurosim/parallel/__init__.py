"""Running under an MPI launcher (DESIGN.md, ``parallel/``): how many processes the launcher
started (read from its environment, no MPI library loaded) and, when several, this process's MPI
world (mpi4py, imported only then).  The partitioned simulation itself is sim/partition.py."""
from .launch import launched_processes
from .world import World, is_root, world

__all__ = ["launched_processes", "World", "is_root", "world"]
