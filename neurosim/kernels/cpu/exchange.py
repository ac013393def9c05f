"""The spike exchange between the processes of an MPI run (phase 4, after each process collected
the spikes of its own neurons): called from the compiled chunk runner through Numba's object
mode, once a step, only when the network runs partitioned (marker ``use_mpi``; otherwise this code
is not compiled in).

The kernels import no MPI library: the partition (sim/partition.py) installs the function that
does the exchange with :func:`install` before a chunk runs."""
import warnings

from numba import objmode
from numba.core.errors import NumbaWarning

from .jit import kernel

_EXCHANGE = [None]   # the installed exchange function (see install)

# object mode holds the GIL for its few microseconds; Numba warns about that on every compile
warnings.filterwarnings("ignore", message="Code running in object mode won't allow parallel execution",
                        category=NumbaWarning)


def install(fn):
    """Make ``fn(spike_row, n_here) -> total`` the exchange: ``spike_row[:n_here]`` holds this
    process's spikes (ascending global ids); ``fn`` fills ``spike_row[:total]`` with every
    process's spikes in rank order (the order of one process, since ranks own ascending blocks) and
    returns ``total``."""
    _EXCHANGE[0] = fn


def exchange_py(spike_row, n_here):
    return _EXCHANGE[0](spike_row, n_here)


@kernel(python=True)
def exchange_spikes(spike_row, n_here):
    """Every process's spikes of this step into ``spike_row`` (see :func:`install`); returns their number."""
    with objmode(total="int64"):
        total = exchange_py(spike_row, n_here)
    return total
