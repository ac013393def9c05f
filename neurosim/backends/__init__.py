"""Where a simulation runs: ``cpu`` (Numba) or ``cuda`` (numba-cuda, imported lazily)."""
