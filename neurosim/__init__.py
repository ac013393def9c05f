"""neurosim: a biologically grounded spiking-neural-network simulator.

Public API (importing neurosim loads no CUDA and no datasets)::

    Network, Population, Projection            build and run networks
    LIFCond, LIFCurr, AdEx                     neuron models
    Receptor, AMPA, NMDA, GABA_A, GABA_B, ExpCurrent
    all_to_all, one_to_one, fixed_probability, fixed_indegree, fixed_outdegree, from_arrays
    Uniform, Normal, LogNormal                 distributions for v_init, weights, delays
    Schedule, steps, timed_array               time-varying rates and currents
    STDP, TripletSTDP, DopamineSTDP            plasticity rules (connect(..., plasticity=...))
    TsodyksMarkram                             short-term plasticity (connect(..., short_term=...))
    Dopamine, Acetylcholine                    neuromodulators (net.modulator, net.reward)
    Result, load                               results (HDF5 via neurosim.io)
    units, errors
"""
import logging as _logging

from ._version import __version__

# a library logs and lets the application decide what to show (neurosim/logs.py)
_logging.getLogger("neurosim").addHandler(_logging.NullHandler())


def _use_versioned_numba_cache():
    """Point Numba's on-disk cache at a folder named after a hash of the compiled sources.

    Numba's cache checks only the timestamp of the file that defines a function, not of the
    kernels it calls from other files, so an edited or upgraded phase kernel could otherwise be
    run through a stale cached ``run_chunk``.  A user-set ``NUMBA_CACHE_DIR`` is respected."""
    import hashlib
    import os
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha1(__version__.encode())
    for sub in ("kernels", "state"):
        for dirpath, dirnames, filenames in sorted(os.walk(os.path.join(root, sub))):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.endswith(".py"):
                    digest.update(fn.encode())
                    with open(os.path.join(dirpath, fn), "rb") as fh:
                        digest.update(fh.read())
    with open(os.path.join(root, "spec", "receptors.py"), "rb") as fh:   # the Mg2+ constants the kernels compile in
        digest.update(fh.read())
    folder = os.path.join(os.path.expanduser("~"), ".cache", "neurosim", "numba", digest.hexdigest()[:16])
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return
    from numba.core import config
    config.CACHE_DIR = folder


_use_versioned_numba_cache()


from . import units
from .errors import NeurosimError, SpecError, BackendUnavailableError, ResultFileError, ParallelLaunchError
from .spec.neurons import LIFCond, LIFCurr
from .spec.adex import AdEx
from .spec.receptors import Receptor, AMPA, NMDA, GABA_A, GABA_B, ExpCurrent, Delta, Alpha
from .spec.connectors import (all_to_all, one_to_one, fixed_probability, fixed_indegree, fixed_outdegree,
                              fixed_total_number, from_arrays)
from .spec.distributions import Uniform, Normal, LogNormal
from .spec.inputs import Schedule, steps, timed_array
from .spec.plasticity import STDP, TripletSTDP, DopamineSTDP
from .spec.short_term import TsodyksMarkram
from .spec.modulators import Dopamine, Acetylcholine
from .spec.network import NetworkSpec
from .network import Network, Population, Projection
from .result import Result


def load(path) -> Result:
    """Load a Result written by :meth:`Result.save` / ``neurosim run``."""
    from .io.hdf5 import read_result
    return read_result(path)


__all__ = [
    "__version__", "units", "NeurosimError", "SpecError", "BackendUnavailableError", "ResultFileError",
    "ParallelLaunchError",
    "LIFCond", "LIFCurr", "AdEx", "Receptor", "AMPA", "NMDA", "GABA_A", "GABA_B", "ExpCurrent", "Delta", "Alpha",
    "all_to_all", "one_to_one", "fixed_probability", "fixed_indegree", "fixed_outdegree", "fixed_total_number",
    "from_arrays",
    "Uniform", "Normal", "LogNormal", "Schedule", "steps", "timed_array",
    "STDP", "TripletSTDP", "DopamineSTDP", "TsodyksMarkram", "Dopamine", "Acetylcholine",
    "Network", "Population", "Projection", "NetworkSpec", "Result", "load",
]
