"""neurosim as a PyNN backend: ``import neurosim.pynn as sim`` runs PyNN 0.13 scripts unchanged
(PyNN, Neo and lazyarray: the optional extra ``neurosim[pynn]``).

Populations, views, assemblies, projections with every PyNN connector, the standard cell,
synapse and current-source types neurosim has (:mod:`neurosim.pynn.translate` lists the
mapping and units), recording into Neo blocks, ``set``/``get``/``initialize`` between runs and
``reset()``.  Time conventions follow NEST (:mod:`neurosim.pynn.simulator`), so the same script
gives the same spikes through ``pyNN.nest`` where both integrate exactly."""
try:
    import pyNN  # noqa: F401
except ImportError as e:   # pragma: no cover - depends on the environment
    raise ImportError("neurosim.pynn needs PyNN: pip install 'neurosim[pynn]'") from e

from pyNN import errors, random, space                                  # noqa: F401
from pyNN.network import Network                                        # noqa: F401
from pyNN.space import Space                                            # noqa: F401
from pyNN.random import NumpyRNG, GSLRNG, RandomDistribution            # noqa: F401
from pyNN.connectors import *                                           # noqa: F401,F403
from pyNN.recording import *                                            # noqa: F401,F403
from pyNN.parameters import Sequence                                    # noqa: F401
from pyNN.standardmodels import StandardCellType

from .standardmodels import *                                           # noqa: F401,F403
from .standardmodels import StaticSynapse, PointNeuron
from .electrodes import DCSource, StepCurrentSource, ACSource, NoisyCurrentSource   # noqa: F401
from .populations import Population, PopulationView, Assembly           # noqa: F401
from .projections import Projection
from .control import (setup, end, run, run_until, run_for, reset, initialize,   # noqa: F401
                      get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank)
from .procedural_api import create, connect, record, record_v, record_gsyn, set   # noqa: F401

Projection._static_synapse_class = StaticSynapse


def _register_as_pynn_backend():
    """Make this module importable as ``pyNN.neurosim`` too, so that scripts choosing their
    simulator by name (``pyNN.utility.get_simulator``, which imports ``pyNN.<name>``) find it
    once neurosim.pynn has been imported."""
    import sys
    module = sys.modules[__name__]
    sys.modules.setdefault("pyNN.neurosim", module)
    if not hasattr(pyNN, "neurosim"):
        pyNN.neurosim = module


_register_as_pynn_backend()


class NativeRNG(NumpyRNG):
    """neurosim's "native" random numbers, for scripts written for other backends
    (``sim.NativeRNG(seed=...)``): neurosim draws with NumPy, so this is a :class:`NumpyRNG`
    (Mersenne Twister, seeded by ``seed``) and its draws are made in Python, where PyNN's
    connectors and random parameter values use them."""


def list_standard_models():
    """The names of the standard cell types this backend provides."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType) and obj not in (StandardCellType, PointNeuron)]
