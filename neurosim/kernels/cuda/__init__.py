"""numba-cuda twins of the CPU kernels: same file names and function names.  Imported only by
``backends/cuda.py`` (never by ``import neurosim``).  Runs natively on an NVIDIA GPU or, with
``NUMBA_ENABLE_CUDASIM=1``, on Numba's CUDA simulator."""
