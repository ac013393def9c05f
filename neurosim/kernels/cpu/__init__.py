"""Numba CPU kernels, one file per phase of the time step (see ``chunk.py`` for the order)."""
