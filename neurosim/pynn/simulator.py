"""The state of a ``neurosim.pynn`` simulation: PyNN's description of the network (populations,
projections, current sources, recorders) and the :class:`neurosim.Network` it is run on.

PyNN lets a script add populations, projections, recordings and current sources at any time,
change parameters between runs and ``reset()``.  neurosim's :class:`~neurosim.network.Network`
fixes its structure at the first run, so this layer keeps PyNN's description and lays it out as
a Network when a run needs it (:mod:`neurosim.pynn.native`):

* before the first run, and after ``reset()`` when the structure changed since the last build,
  the Network is (re)built from the description (plastic weights carried over, as PyNN's
  ``reset()`` keeps them);
* between runs, parameter, weight, rate, spike-time and current changes are written into the
  running Network (``Population.set``, ``Projection.set``, ...);
* a structural change while ``t > 0`` (a new population, projection, recorded variable or current
  source in the middle of a simulation) raises a clear error: call ``reset()`` first.

Time conventions (NEST's, which PyNN's other backends follow): a neuron's spike is stamped with
the end of the step in which it crossed threshold (neurosim stamps the start: reported times are
neurosim's + dt); a delay ``d`` between a neuron and its target is measured from that stamp, so
neurosim is given ``d + dt``; ``tau_refrac`` counts from the stamp (neurosim ``t_ref =
tau_refrac + dt``).  Spike sources fire at their (grid) times, which are reported as given.
"""
from __future__ import annotations

import numpy as np

from pyNN import common

name = "neurosim"


class ID(int, common.IDMixin):
    """A cell's PyNN identifier (an int with a ``parent`` population)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """The simulation's clock and contents (one per process, as in PyNN's backends)."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self._min_delay = "auto"
        self.max_delay = "auto"
        self.spike_precision = "on_grid"
        self.seed = 0
        self.threads = 1
        self.clear()

    # ------------------------------------------------------------------ contents
    def clear(self):
        """Forget the network (``setup()`` / ``end()``)."""
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.net = None          # neurosim.Network (None until a run needs it)
        self.layout = None       # native.Layout of that network
        self.dirty = True        # the description changed in a way the built network cannot take
        self._t_ms = 0.0
        self.reset()

    def mark_structure_changed(self, what: str):
        """Note a change the running Network cannot take in place (a rebuild at t = 0 takes it)."""
        if self.net is not None and self.t > 0.0:
            from ..errors import SpecError
            raise SpecError(
                f"neurosim.pynn: {what} at t = {self.t:g} ms changes the network's structure, which neurosim fixes "
                "while a simulation is under way; call reset() first (or set it up before the first run)")
        self.dirty = True

    @property
    def min_delay(self):
        """The minimum delay (ms): as set up, or with ``"auto"`` the smallest delay of any
        projection (one step when there is none)."""
        if self._min_delay != "auto":
            return self._min_delay
        delays = [float(np.min(p._values["delay"])) for p in self.projections if len(p) and "delay" in p._values]
        return min(delays) if delays else self.dt

    @min_delay.setter
    def min_delay(self, value):
        self._min_delay = value

    def min_delay_setting(self):
        """``min_delay`` as set up (a number of ms, or ``"auto"``)."""
        return self._min_delay

    # ------------------------------------------------------------------ running
    @property
    def t(self) -> float:
        """Current time (ms)."""
        return self.net.t if self.net is not None else 0.0

    def steps(self, duration: float) -> int:
        """``duration`` (ms) as a whole number of steps (PyNN's callbacks may ask for times a
        fraction of a step off the grid: rounded to the nearest step)."""
        return int(np.floor(duration / self.dt + 0.5))

    def ensure_built(self):
        """Build (or rebuild at t = 0) the neurosim Network from the description if needed."""
        if self.net is None or self.dirty:
            from .native import build_network
            if self.net is not None:
                from .native import carry_weights_back
                carry_weights_back(self)
            build_network(self)
            self.dirty = False
        return self.net

    def run(self, simtime: float):
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float):
        n = self.steps(tstop - self.t)
        self.ensure_built()
        for rec in self.recorders:
            rec._before_run()
        self.running = True
        if n > 0:
            self.net.simulation.run(n, progress=False)

    def reset(self):
        """Time back to 0 (PyNN ``reset()``): state variables to their initial values, weights kept."""
        if getattr(self, "net", None) is not None:
            if self.dirty:
                from .native import carry_weights_back
                carry_weights_back(self)
                self.net = None
            else:
                self.net.reset()
        for rec in getattr(self, "recorders", ()):
            rec._after_reset()
        self.running = False
        self.t_start = 0
        self.segment_counter += 1


state = State()
