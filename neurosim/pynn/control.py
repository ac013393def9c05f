"""setup, run, reset, end and the state queries of ``neurosim.pynn`` (PyNN's control API)."""
from __future__ import annotations

import logging

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_TIMESTEP, DEFAULT_MIN_DELAY
from pyNN.recording import get_io

from . import simulator

logger = logging.getLogger("neurosim")

# keywords other backends take, accepted (and ignored where they mean nothing here)
_IGNORED = ("filename", "label", "quit_on_end", "verbosity", "recording_precision",
            "rng_type", "t_flush", "use_cvode", "returnpoints", "default_maxstep", "nrn_dll", "native_rng_baseseed")


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new simulation: ``timestep`` and ``min_delay`` (ms; ``"auto"``: one step),
    ``max_delay`` (ms or ``"auto"``), ``rng_seed`` (int: seeds every random draw neurosim makes,
    Poisson sources and noise included; PyNN's own RNGs, e.g. of connectors, keep their seeds),
    ``threads`` (CPU threads; the spikes do not depend on it), ``spike_precision``:
    ``"on_grid"`` (default) or ``"off_grid"`` (SpikeSourceArray spikes are still delivered at the
    end of their step, but recorded at the times given, as NEST's precise generators report them;
    neurons integrate on the grid either way).  Other backends' keywords
    (``filename``, ``label``, ``quit_on_end``, ``verbosity``, ...) are accepted."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    from ..spec import validate as V
    timestep = V.in_range("timestep", V.positive("timestep", timestep, "ms"), 1e-4, 10.0, "ms")
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.min_delay = min_delay if min_delay == "auto" else float(min_delay)
    state.max_delay = max_delay
    precision = extra_params.get("spike_precision", "on_grid")
    if precision not in ("on_grid", "off_grid"):
        raise ValueError(f"spike_precision must be 'on_grid' or 'off_grid', got {precision!r}")
    state.spike_precision = precision
    seed = extra_params.get("rng_seed", extra_params.get("rng_seeds_seed", extra_params.get("grng_seed", 42)))
    if isinstance(seed, (list, tuple)):
        seed = seed[0]
    state.seed = int(seed)
    threads = extra_params.get("threads")
    if threads:
        _set_threads(int(threads))
    state.mpi_rank = 0
    state.num_processes = 1
    return rank()


def _set_threads(n):
    import numba
    from ..backends.cpu import configured_threads
    n = max(1, min(n, int(numba.config.NUMBA_NUM_THREADS)))
    if n != configured_threads():
        numba.set_num_threads(n)
    simulator.state.threads = n


def end(compatible_output=True):
    """Write the data of ``record(..., to_file=...)`` and forget the network."""
    state = simulator.state
    for population, variables, filename in state.write_on_end:
        logger.debug("%s%s --> %s", population.label, variables, filename)
        population.write_data(get_io(filename), variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize

get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
