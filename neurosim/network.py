"""The user-facing builder: describe a network, run it, get a :class:`~neurosim.result.Result`.

Example::

    import neurosim as ns
    net = ns.Network(dt=0.1, seed=1)
    exc = net.population("exc", 3200, ns.LIFCond(v_init=ns.Uniform(-60, -50)))
    inh = net.population("inh", 800, ns.LIFCond(v_init=ns.Uniform(-60, -50)))
    ampa, gaba = ns.AMPA(tau_decay=5.0), ns.GABA_A(tau_decay=10.0, e_rev=-80.0)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.02), receptor=ampa, weight=6.0)
    net.connect(inh, [exc, inh], ns.fixed_probability(0.02), receptor=gaba, weight=67.0)
    spikes = net.monitor(exc, "spikes")
    result = net.run(1000.0)          # ms; call run() again to continue
    print(spikes.count.sum(), result.rates_hz())
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Union

import numpy as np

from .errors import SpecError
from .spec import validate as V
from .spec.connectors import Connector, all_to_all
from .spec.inputs import CurrentInjection, PoissonDrive
from .spec.timegrid import to_steps
from .spec.channels import check_channel_names
from .spec.neurons import LIFCond, LIFCurr
from .spec.adex import AdEx
from .spec.receptors import Receptor, resolve
from .spec.projections import check_projection, plain_weight
from .spec.release import plain_release
from .handles import Population, Projection, Modulator, Modulation  # noqa: F401  (re-exported)
from .network_inputs import InputsMixin
from .network_modulation import ModulationMixin
from .network_files import FilesMixin

if TYPE_CHECKING:   # annotations only (these modules are imported when a network is built or run)
    from .result import Result
    from .sim.run import Simulation
    from .sim.schedule import ScheduleSummary

_MODELS = (LIFCond, LIFCurr, AdEx)


class Network(InputsMixin, ModulationMixin, FilesMixin):
    """A spiking network: populations, projections, inputs and monitors.

    Parameters
    ----------
    dt : time step (ms), in (0, 10]
    seed : integer seed of every random draw (connectivity, initial values, Poisson input)
    batch : number of independent trials run side by side (shared connectivity), >= 1
    dtype : ``"float64"`` (default) or ``"float32"`` state
    """

    def __init__(self, dt: float = 0.1, seed: int = 0, batch: int = 1, dtype: str = "float64"):
        self.dt = V.in_range("dt", V.positive("dt", dt, "ms"), 1e-4, 10.0, "ms")
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise SpecError(f"seed must be an integer >= 0, got {seed!r}")
        self.seed = int(seed)
        self.batch = V.positive_int("batch", batch)
        if dtype not in ("float64", "float32"):
            raise SpecError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.dtype = dtype
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.currents: list[tuple[Population, CurrentInjection]] = []
        self.drives: list[tuple[Population, Receptor, PoissonDrive]] = []
        self.generated_currents: list = []   # (Population, ACCurrent or NoiseCurrent) (spec/sources.py)
        self.monitors: list = []
        self.modulators: list[Modulator] = []
        self.modulations: list[Modulation] = []
        self._controllers: list = []   # [interval_steps, callback] called between steps (not in the spec)
        self._callback_names: list = []  # their names, recorded in the spec (callbacks.py)
        self._pending: list = []       # modulator releases requested before the network was built
        self._sim = None  # sim.run.Simulation once built

    # ------------------------------------------------------------------ building
    def _check_open(self):
        if self._sim is not None:
            raise SpecError("the network has already been run (built); populations, projections, inputs, monitors "
                            "and modulators can no longer be added or removed.  Parameters, weights, rates and "
                            "currents can still change (Population.set, Projection.set); build a new Network to "
                            "change the structure")

    def _check_name(self, name, what):
        if not isinstance(name, str) or not name or not name.replace("_", "a").isalnum():
            raise SpecError(f"{what} name must be a non-empty string of letters, digits and '_', got {name!r}")
        taken = {p.name for p in self.populations} | {p.name for p in self.projections}
        if name in taken:
            raise SpecError(f"{what} name {name!r} is already used")

    def _find(self, x, items, cls, kind, what):
        """The member of ``items`` (this network's populations or projections) that ``x`` is or names."""
        if isinstance(x, str):
            for q in items:
                if q.name == x:
                    return q
            raise SpecError(f"{what}: unknown {kind} {x!r}; known: {[q.name for q in items]}")
        if not isinstance(x, cls) or x.net is not self:
            raise SpecError(f"{what} must be a {cls.__name__} of this network, got {x!r}")
        return x

    def _pop(self, p, what="population") -> Population:
        return self._find(p, self.populations, Population, "population", what)

    def _projection(self, q, what="projection") -> Projection:
        return self._find(q, self.projections, Projection, "projection", what)

    def population(self, name: str, n: int, model: Union[LIFCond, LIFCurr, AdEx, None] = None,
                   i_bias: Any = None) -> Population:
        """Add ``n`` neurons.  ``model`` is a :class:`LIFCond` (default), :class:`LIFCurr` or :class:`AdEx`, whose
        parameters may be numbers, (n,) arrays or distributions; ``i_bias`` (pA, a number, an (n,) array
        or a distribution) overrides the model's bias current (``pop.set(i_bias=...)``)."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"population {name!r}: n", n)
        model = LIFCond() if model is None else model
        if not isinstance(model, _MODELS):
            raise SpecError(f"population {name!r}: model must be LIFCond, LIFCurr or AdEx, got {type(model).__name__}")
        for key, size in model.sizes().items():
            if size != n:
                raise SpecError(f"population {name!r}: {key} has {size} values (one per neuron), expected n = {n}")
        pop = Population(self, len(self.populations), name, n, model)
        if i_bias is not None:
            pop.set(i_bias=i_bias)
        self.populations.append(pop)
        return pop

    def connect(self, pre: Any, post: Any, connector: Optional[Connector] = None,
                receptor: Union[str, Receptor] = "AMPA", weight: Any = 1.0, delay: Any = None, nmda_ratio: float = 1.0,
                name: Optional[str] = None, plasticity: Any = None, short_term: Any = None,
                release_probability: Any = None) -> Union[Projection, List[Projection]]:
        """Connect ``pre`` to ``post`` (each a Population, a name, or a list of them).

        Parameters
        ----------
        connector : a connector from :mod:`neurosim.spec.connectors` (default all_to_all)
        receptor : a :class:`Receptor` or ``"AMPA"``, ``"NMDA"``, ``"GABA_A"``, ``"GABA_B"``,
            ``"glutamate"`` (AMPA + NMDA with NMDA weight = ``nmda_ratio`` * weight)
        weight : nS (conductance-based receptor, >= 0) or pA (current-based, any sign);
            scalar, per-synapse array (in the order of ``connections()``: sorted by pre, then post),
            an (n_pre, n_post) matrix read at each synapse's (pre, post), or a distribution
            (clipped at 0 for conductances); for a saturating receptor, nS per unit of the gating ``s``
        delay : axonal delay (ms), scalar, array, (n_pre, n_post) matrix or distribution; default ``dt``.  A scalar
            must be a multiple of dt; arrays and draws are rounded to the nearest step (halves up, Brian2's
            rule; spec/timegrid.py), at least one step; a spike stamped ``t`` enters the
            receptor at ``t + delay`` (Brian2's ``delay=0`` is neurosim's ``delay=dt``).
            A saturating receptor (``NMDA(saturating=True)``, Wang 2002) keeps its gating per
            presynaptic neuron and needs one delay for all synapses (a scalar).
        plasticity : an :class:`~neurosim.spec.plasticity.STDP`, ``TripletSTDP`` or ``DopamineSTDP``
            rule (single receptor, not saturating; initial weights must lie in its [w_min, w_max], weights
            drawn from a distribution are clipped into it); None (default) keeps ``w`` static
        short_term : a :class:`~neurosim.spec.short_term.TsodyksMarkram` (Tsodyks-Markram short-term
            depression and facilitation, two- or three-state, per synapse): each spike transmits ``w`` times
            the fraction the synapse's state gives; not with ``plasticity`` nor a saturating receptor.
            None (default): every spike transmits ``w``
        release_probability : stochastic (Bernoulli) release, dimensionless in [0, 1]: each spike is
            transmitted by each synapse independently with this probability (full ``w``, or nothing),
            drawn per synapse, spike and trial from the network seed (NEST's ``bernoulli_synapse``,
            PyNN's ``SimpleStochasticSynapse``; spec/release.py).  A number, per-synapse array (order of
            ``connections()``), (n_pre, n_post) matrix or distribution (clipped into [0, 1]), as ``weight``;
            not with ``plasticity``, ``short_term`` nor a saturating receptor.  None (default): every
            spike is transmitted
        Returns the Projection, or a list of them when ``pre`` or ``post`` is a list.
        """
        self._check_open()
        pres = pre if isinstance(pre, (list, tuple)) else [pre]
        posts = post if isinstance(post, (list, tuple)) else [post]
        out = []
        for a in pres:
            for b in posts:
                out.append(self._connect1(self._pop(a, "connect: pre"), self._pop(b, "connect: post"),
                                          connector, receptor, weight, delay, nmda_ratio,
                                          name if len(pres) * len(posts) == 1 else None, plasticity, short_term,
                                          release_probability))
        return out[0] if len(out) == 1 else out

    def _connect1(self, pre, post, connector, receptor, weight, delay, nmda_ratio, name, plasticity=None,
                  short_term=None, release_probability=None):
        if name is None:
            base = f"{pre.name}_to_{post.name}"
            name, k = base, 1
            taken = {p.name for p in self.projections}
            while name in taken:
                k += 1
                name = f"{base}_{k}"
        self._check_name(name, "projection")
        connector = all_to_all() if connector is None else connector
        if not isinstance(connector, Connector):
            raise SpecError(f"connect: connector must be a Connector (e.g. fixed_probability(0.1)), got {connector!r}")
        receptors = resolve(receptor, nmda_ratio)
        nmda_ratio = V.non_negative("nmda_ratio", nmda_ratio, "dimensionless")
        check_channel_names(self, post, [r for r, _ in receptors], "connect")
        weight = plain_weight(name, weight, receptors)                  # quantities converted once, here
        release_probability = plain_release(name, release_probability)
        delay = check_projection(name, pre, post, connector, receptors, weight, delay, plasticity, self.dt, short_term,
                                 release_probability)
        proj = Projection(self, len(self.projections), name, pre, post, connector, receptors, weight, delay,
                          receptor if isinstance(receptor, str) else None, nmda_ratio)
        proj.plasticity = plasticity
        proj.short_term = short_term
        proj.release_probability = release_probability
        self.projections.append(proj)
        return proj

    def reset(self, restore_weights: bool = False) -> None:
        """Back to t = 0: every state variable to its initial value (``v_init`` / ``initialize``,
        distributions drawn again from the same seed), synaptic and plasticity traces and
        neuromodulator concentrations to 0, inputs to their start, recordings begun anew (a Result
        returned before keeps its data).  The connectivity and the parameters (including those
        changed with ``set``) stay; the weights stay as they are now (changed by plasticity or
        ``set``: PyNN's ``reset()``), unless ``restore_weights=True``, which puts them back to the
        values their description gives (as built, or as last ``set``).  So ``run(T); reset();
        run(T)`` repeats the first run bit for bit when the weights are static or restored."""
        if self._stream is not None or self._stream_request is not None:
            raise SpecError("reset: this network streams its spikes to a file; save() it and build a new Network")
        if self._sim is None:
            return
        from .sim.changes import reset
        reset(self._sim, bool(restore_weights))
        for m in self.monitors:
            if hasattr(m, "clear"):   # weight snapshots begin anew too
                m.clear()

    def reset_state(self) -> None:
        """Fast reset between input presentations (e.g. images), instead of simulating a rest period:
        ``v`` and ``w_adapt`` back to their initial values, refractoriness ended, receptor
        conductances/currents and spikes in flight cleared, plasticity and eligibility traces,
        saturating-NMDA gating and neuromodulator concentrations set to 0.  Unlike :meth:`reset`,
        time goes on and the weights, parameters, adaptive thresholds ``theta``, inputs, short-term
        plasticity state and recordings are kept.

        Equivalent to a rest of length ``T`` with no input when every reset variable would have
        decayed to its reset value in ``T``: exactly so only in the limit; after a finite rest each
        variable keeps a fraction ``exp(-T / tau)`` of its deviation (Diehl & Cook's 150 ms rest:
        conductances with tau of 1-2 ms and traces of 20/40 ms keep < 2.5 %, but a membrane with
        tau_m = 100 ms keeps 22 % of its distance from ``v_rest``, and theta, with tau_theta = 1e7 ms,
        all of it -- which is why theta is kept).  Without input, the resting network must also be
        silent (no bias current driving spikes) for the two to agree, and no spike may still be in
        flight: a rest delivers spikes sent before it (and their plasticity updates), ``reset_state``
        drops them, so end each presentation at least the longest delay after its last input spike
        or accept the difference.  Poisson inputs are switched between presentations with
        ``pop.set(rate=...)``; ``reset_state`` leaves them as they are."""
        if self._sim is None:
            return
        from .sim.changes import reset_state
        reset_state(self._sim)

    def __repr__(self):
        from .repr import network_repr
        return network_repr(self)

    # ------------------------------------------------------------------ running
    @property
    def simulation(self) -> Optional[Simulation]:
        """The built network (:class:`~neurosim.sim.run.Simulation`: state, layout, backend,
        recorder), None before the first run or :meth:`build`."""
        return self._sim

    @property
    def t(self) -> float:
        """Simulated time so far (ms)."""
        return 0.0 if self._sim is None else self._sim.step * self.dt

    def build(self, backend: str = "cpu") -> Simulation:
        """Lay the network out as arrays and upload it to ``backend`` (done by the first ``run``)."""
        from .sim.run import Simulation
        if self._sim is None:
            if not self.populations:
                raise SpecError("the network has no populations")
            self._sim = Simulation(self, backend)
            for m, amount, tr in self._pending:
                self._apply_release(m, amount, tr)
            self._pending = []
            if self._stream_request is not None:
                self._open_stream()
        return self._sim

    def schedule_summary(self, runner: Optional[str] = None) -> ScheduleSummary:
        """One step's phases in order, those this network leaves out marked (sim/schedule.py)."""
        from .sim.schedule import summary
        return summary(self, runner)

    def run(self, duration: float, backend: str = "cpu", progress: Optional[bool] = None, report_every: Any = None,
            stream_to: Any = None, result: bool = True) -> Optional[Result]:
        """Simulate ``duration`` ms more (a multiple of dt, else a SpecError) and return the Result of
        everything recorded so far.  ``backend``: ``"cpu"``, ``"cuda"`` or ``"auto"``.  A progress bar
        appears for runs expected to take more than a few seconds (``progress`` forces it on/off).
        ``stream_to=path`` is :meth:`stream_to` ``(path)`` before running: spikes go to that file
        (completed by :meth:`save`); an exception or interrupt during a streaming run discards it.
        ``result=False`` returns None instead: the Result gathers the whole recording, so building it
        after each of many short runs (a closed loop, one image after another) costs time that grows
        with the recording; read new spikes with ``SpikeMonitor.since`` and call :meth:`result` when
        needed."""
        to_steps(V.positive("duration", duration, "ms"), self.dt, "duration")   # before anything opens
        if stream_to is not None:
            self.stream_to(stream_to)
        s = self._stream
        if s is not None and s.state != "open":
            raise SpecError(f"the spike stream to {s.path} was "
                            f"{'saved' if s.state == 'committed' else 'discarded after an exception'}; "
                            "this network cannot run further (build a new Network)")
        if self._sim is not None:
            self._sim.check_backend(backend)
        try:
            self._run(duration, backend, progress, report_every)
            return self.result() if result else None
        except BaseException:
            if self._stream is not None:
                self._stream.abort()
            raise

    def _run(self, duration: float, backend: str = "cpu", progress: Optional[bool] = None,
             report_every: Any = None) -> None:
        n_steps = to_steps(V.positive("duration", duration, "ms"), self.dt, "duration")
        sim = self.build(backend)
        sim.check_backend(backend)
        from .sim.recorders import WeightMonitor
        wmons = [m for m in self.monitors if isinstance(m, WeightMonitor) and m.every_steps]
        periods = [m.every_steps for m in wmons] + [c[0] for c in self._controllers]
        if not periods:
            sim.run(n_steps, progress=progress)
            return
        # split the run at snapshot and controller times
        end = sim.step + n_steps
        for m in wmons:
            m.snapshot_if_due()
        while sim.step < end:
            nxt = min([end] + [(sim.step // e + 1) * e for e in periods])
            sim.run(nxt - sim.step, progress=bool(progress))
            for m in wmons:
                m.snapshot_if_due()
            for steps_, cb in list(self._controllers):
                if sim.step % steps_ == 0:
                    cb(self)

    def result(self) -> Result:
        """The Result of everything recorded so far (spikes, states, rates, weights, metadata)."""
        from .sim.recorders import make_result
        return make_result(self)

    def get(self, pop: Union[Population, str], variable: str = "v") -> np.ndarray:
        """Current values of ``variable`` (``v``, ``w_adapt``, ``g_<receptor>``) of ``pop``,
        shape (batch, n)."""
        pop = self._pop(pop, "get")
        if self._sim is None:
            self.build()
        return self._sim.get(pop, variable)

    def connections(self, proj: Union[Projection, str]) -> dict:
        """Synapses of a projection: ``pre``, ``post`` (local indices), ``weight`` (nS or pA, per
        receptor), ``delay`` (ms, after rounding to steps).  Builds the network if needed."""
        if self._sim is None:
            self.build()
        return self._sim.connections(proj)


    def memory_report(self, table: bool = False) -> Union[dict, str]:
        """Bytes held by the built network's arrays (builds it if needed), from their ``nbytes``:
        ``neurons``, ``ring_buffers``, ``synapses`` (a dict: bytes per projection), ``synapse_tables``,
        ``inputs``, ``recording``, ``state_total``, ``total``, ``n_synapses`` and
        ``bytes_per_synapse`` (see :func:`neurosim.memory.memory_report`); ``table=True`` gives
        the same as a text table."""
        from .memory import memory_report, format_memory_report
        if self._sim is None:
            self.build()
        sim = self._sim
        rep = memory_report(sim.state, sim.layout, self.projections, sim.recorder,
                            (sim._out_step, sim._out_id, sim._out_trial))
        return format_memory_report(rep) if table else rep
