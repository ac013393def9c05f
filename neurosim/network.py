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

import json
import math
from typing import Any, Optional, Sequence, Union

import numpy as np

from .errors import SpecError
from .spec import validate as V
from .spec.connectors import Connector, all_to_all, connector_from_dict
from .spec.distributions import Distribution, describe, undescribe
from .spec.inputs import (PoissonSource, SpikeGenerator, CurrentInjection, PoissonDrive, Schedule,
                          as_schedule)
from .spec.timegrid import to_steps
from .spec.channels import check_channel_names
from .spec.neurons import LIFCond, LIFCurr, neuron_from_dict
from .spec.receptors import Receptor, resolve, receptor_from_dict
from .spec.plasticity import RULE_TYPES, plasticity_from_dict
from .spec.modulators import MODULATOR_TYPES, modulator_from_dict
from .units import to_float
from .handles import Population, Projection, Modulator, Modulation  # noqa: F401  (re-exported)

_MODELS = (LIFCond, LIFCurr)


class Network:
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

    def _pop(self, p, what="population") -> Population:
        if isinstance(p, str):
            for q in self.populations:
                if q.name == p:
                    return q
            raise SpecError(f"{what}: unknown population {p!r}; known: {[q.name for q in self.populations]}")
        if not isinstance(p, Population) or p.net is not self:
            raise SpecError(f"{what} must be a Population of this network, got {p!r}")
        return p

    def population(self, name: str, n: int, model=None, i_bias=None) -> Population:
        """Add ``n`` LIF neurons.  ``model`` is a :class:`LIFCond` (default) or :class:`LIFCurr`, whose
        parameters may be numbers, (n,) arrays or distributions; ``i_bias`` (pA, a number, an (n,) array
        or a distribution) overrides the model's bias current (``pop.set(i_bias=...)``)."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"population {name!r}: n", n)
        model = LIFCond() if model is None else model
        if not isinstance(model, _MODELS):
            raise SpecError(f"population {name!r}: model must be LIFCond or LIFCurr, got {type(model).__name__}")
        for key, size in model.sizes().items():
            if size != n:
                raise SpecError(f"population {name!r}: {key} has {size} values (one per neuron), expected n = {n}")
        pop = Population(self, len(self.populations), name, n, model)
        if i_bias is not None:
            pop.set(i_bias=i_bias)
        self.populations.append(pop)
        return pop

    def poisson(self, name: str, n: int, rate) -> Population:
        """Add ``n`` Poisson spike sources; ``rate`` in Hz: scalar, (n,), (batch, n) or a Schedule."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"poisson {name!r}: n", n)
        as_schedule(f"poisson {name!r}: rate", rate, n, self.batch, "Hz", low=0.0, dt=self.dt)
        pop = Population(self, len(self.populations), name, n, PoissonSource(n, rate))
        self.populations.append(pop)
        return pop

    def spike_generator(self, name: str, n: int, times, ids, trials=None) -> Population:
        """Add ``n`` sources that fire at ``times`` (ms, >= 0) with source ``ids`` (0..n-1);
        ``trials`` optionally gives each spike's batch row (default: all rows)."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"spike_generator {name!r}: n", n)
        times = np.asarray(to_float(times, "times"), dtype=np.float64).reshape(-1)
        ids = np.asarray(ids).reshape(-1)
        if times.shape != ids.shape:
            raise SpecError(f"spike_generator {name!r}: times and ids must have equal length, got "
                            f"{times.size} and {ids.size}")
        if times.size:
            if not np.all(np.isfinite(times)) or times.min() < 0:
                bad = times[~np.isfinite(times) | (times < 0)]
                raise SpecError(f"spike_generator {name!r}: times must be finite and >= 0 ms, got {bad[0]!r}")
            if not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= n:
                raise SpecError(f"spike_generator {name!r}: ids must be integers in [0, {n - 1}], got dtype "
                                f"{ids.dtype} with range [{ids.min()}, {ids.max()}]")
        if trials is not None:
            trials = np.asarray(trials).reshape(-1)
            if trials.shape != ids.shape or (trials.size and (trials.min() < 0 or trials.max() >= self.batch)):
                raise SpecError(f"spike_generator {name!r}: trials must match ids and lie in [0, {self.batch - 1}]")
            trials = trials.astype(np.int64)
        pop = Population(self, len(self.populations), name, n,
                         SpikeGenerator(n, times, ids.astype(np.int64), trials))
        self.populations.append(pop)
        return pop

    def connect(self, pre, post, connector: Optional[Connector] = None, receptor: Union[str, Receptor] = "AMPA",
                weight: Any = 1.0, delay: Any = None, nmda_ratio: float = 1.0, name: Optional[str] = None,
                plasticity=None):
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
                                          name if len(pres) * len(posts) == 1 else None, plasticity))
        return out[0] if len(out) == 1 else out

    def _connect1(self, pre, post, connector, receptor, weight, delay, nmda_ratio, name, plasticity=None):
        if name is None:
            base = f"{pre.name}_to_{post.name}"
            name, k = base, 1
            taken = {p.name for p in self.projections}
            while name in taken:
                k += 1
                name = f"{base}_{k}"
        self._check_name(name, "projection")
        if post.is_source:
            raise SpecError(f"connect: post {post.name!r} is a spike source and cannot receive synapses")
        connector = all_to_all() if connector is None else connector
        if not isinstance(connector, Connector):
            raise SpecError(f"connect: connector must be a Connector (e.g. fixed_probability(0.1)), got {connector!r}")
        receptors = resolve(receptor, nmda_ratio)
        check_channel_names(self, post, [r for r, _ in receptors], "connect")
        for rec, _ in receptors:
            if rec.conductance_based and isinstance(post.model, LIFCurr):
                raise SpecError(f"connect: receptor {rec.name!r} is conductance-based but {post.name!r} is a "
                                "current-based LIFCurr population; use ExpCurrent or an LIFCond population")
            if rec.saturating and plasticity is not None:
                raise SpecError(f"connect: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept per "
                                f"presynaptic neuron and its weights cannot be plastic; plasticity must be None, "
                                f"got {type(plasticity).__name__}")
            if rec.saturating and isinstance(delay, Distribution):
                raise SpecError(f"connect: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept per "
                                f"presynaptic neuron, so delay must be one value (a scalar in ms), got {delay!r}")
        self._check_weight(name, weight, receptors)
        if plasticity is not None:
            self._check_plasticity(name, plasticity, receptors, weight)
        delay = self.dt if delay is None else delay
        if not isinstance(delay, Distribution):
            d = np.asarray(to_float(delay, "delay"), dtype=np.float64)
            if not np.all(np.isfinite(d)):
                raise SpecError(f"projection {name!r}: delay must be finite (ms), {V.first_bad(d)}")
            if d.size and d.min() < self.dt - 1e-9 * self.dt:
                raise SpecError(f"projection {name!r}: delay must be >= dt = {self.dt} ms, got {d.min():g} ms")
            if d.ndim == 0:   # a scalar delay is a setting: on the grid (arrays are data: rounded)
                to_steps(float(d), self.dt, f"projection {name!r}: delay")
            delay = float(d) if d.ndim == 0 else d
        proj = Projection(self, len(self.projections), name, pre, post, connector, receptors, weight, delay,
                          receptor if isinstance(receptor, str) else None, nmda_ratio)
        proj.plasticity = plasticity
        self.projections.append(proj)
        return proj

    @staticmethod
    def _check_plasticity(name, rule, receptors, weight):
        if not isinstance(rule, RULE_TYPES):
            raise SpecError(f"projection {name!r}: plasticity must be STDP, TripletSTDP or DopamineSTDP, got {rule!r}")
        if len(receptors) != 1:
            raise SpecError(f"projection {name!r}: plasticity needs a single receptor, got "
                            f"{[r.name for r, _ in receptors]}")
        if receptors[0][0].conductance_based and rule.w_min < 0:
            raise SpecError(f"projection {name!r}: {type(rule).__name__}.w_min must be >= 0 nS for the "
                            f"conductance-based receptor {receptors[0][0].name!r}, got {rule.w_min:g}")
        if not isinstance(weight, Distribution):
            w = np.asarray(to_float(weight, "weight"), dtype=np.float64)
            if w.size and (w.min() < rule.w_min or w.max() > rule.w_max):
                raise SpecError(f"projection {name!r}: initial weights must lie in [w_min, w_max] = "
                                f"[{rule.w_min:g}, {rule.w_max:g}] of its plasticity rule, got "
                                f"[{w.min():g}, {w.max():g}]")

    @staticmethod
    def _check_weight(name, weight, receptors):
        if isinstance(weight, Distribution):
            return
        if isinstance(weight, (str, bytes, bool, np.bool_)) or np.asarray(to_float(weight, "weight")).dtype.kind \
                not in "iuf":
            raise SpecError(f"projection {name!r}: weight must be a number, array or distribution (nS or pA), "
                            f"got {weight!r:.60}")
        w = np.asarray(to_float(weight, "weight"), dtype=np.float64)
        if not np.all(np.isfinite(w)):
            raise SpecError(f"projection {name!r}: weight must be finite (nS or pA), {V.first_bad(w)}")
        if any(r.conductance_based for r, _ in receptors) and w.size and w.min() < 0:
            raise SpecError(f"projection {name!r}: weight must be >= 0 nS for a conductance-based receptor, got "
                            f"{w.min():g} (inhibition comes from the receptor's e_rev)")

    def inject(self, pop, amplitude, indices=None):
        """Inject a current (pA): scalar, (n,), (batch, n) or a Schedule (steps, timed_array),
        into ``indices`` of ``pop`` (default all)."""
        self._check_open()
        pop = self._pop(pop, "inject")
        if pop.is_source:
            raise SpecError(f"inject: {pop.name!r} is a spike source")
        idx = np.arange(pop.n) if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
            got = "none" if idx.size == 0 else f"[{idx.min()}, {idx.max()}]"
            raise SpecError(f"inject: indices must be in [0, {pop.n - 1}], got {got}")
        as_schedule("inject: amplitude", amplitude, idx.size, self.batch, "pA", dt=self.dt)
        inj = CurrentInjection(amplitude, idx)
        self.currents.append((pop, inj))
        return inj

    def poisson_drive(self, pop, receptor, n_sources: int, rate, weight: float):
        """Brian2-style PoissonInput: ``n_sources`` Poisson sources at ``rate`` Hz onto every neuron
        of ``pop`` through ``receptor``, each event adding ``weight`` (nS or pA)."""
        self._check_open()
        pop = self._pop(pop, "poisson_drive")
        if pop.is_source:
            raise SpecError(f"poisson_drive: {pop.name!r} is a spike source")
        recs = resolve(receptor)
        if len(recs) != 1:
            raise SpecError("poisson_drive: receptor must be a single receptor, not 'glutamate'")
        rec = recs[0][0]
        if rec.conductance_based and isinstance(pop.model, LIFCurr):
            raise SpecError(f"poisson_drive: receptor {rec.name!r} is conductance-based but {pop.name!r} is LIFCurr")
        if rec.saturating:
            raise SpecError(f"poisson_drive: receptor {rec.name!r} is saturating (Wang 2002), whose gating belongs to "
                            "presynaptic neurons; use a poisson population and net.connect for saturating input")
        n_sources = V.positive_int("poisson_drive: n_sources", n_sources)
        check_channel_names(self, pop, [rec], "poisson_drive")
        as_schedule("poisson_drive: rate (per source)", rate, pop.n, self.batch, "Hz", low=0.0, dt=self.dt)
        weight = V.number("poisson_drive: weight", weight, "nS or pA")
        if rec.conductance_based and weight < 0:
            raise SpecError(f"poisson_drive: weight must be >= 0 nS for conductance-based {rec.name!r}, got {weight}")
        drv = PoissonDrive(n_sources, rate, weight)
        self.drives.append((pop, rec, drv))
        return drv

    def monitor(self, pop, what: Union[str, Sequence[str]] = "spikes", indices=None, every: Optional[float] = None,
                trials=None):
        """Record from ``pop``.

        what : ``"spikes"`` -> SpikeMonitor (``.i``, ``.t``, ``.count``, ``spike_trains()``);
               ``"rate"`` -> PopulationRateMonitor (``.t``, ``.rate`` in Hz);
               a variable name or list (``"v"``, ``"w_adapt"``, ``"i_ext"``, ``"g_<receptor>"``)
               -> StateMonitor (``.t`` and one attribute per variable, shape (n_samples, n_recorded)
               for batch 1, else (n_samples, n_trials, n_recorded))
        indices : neurons to record (default all)
        every : sampling period for state (ms, a whole number of steps; default dt)
        trials : batch rows to record state from (default all)

        ``pop`` may also be a Projection (or its name) with ``what="weights"`` -> WeightMonitor:
        the final weights go to ``Result.weights`` and, with ``every`` (ms, a whole number of
        steps), snapshots at t = 0, every, 2 every, ... (``.t``, ``.w``; shape (n_snapshots, n_syn),
        or (n_snapshots, batch, n_syn) for a plastic projection with batch > 1).
        """
        from .sim.recorders import SpikeMonitor, StateMonitor, RateMonitor, WeightMonitor
        self._check_open()
        proj = self._projection(pop) if (isinstance(pop, Projection) or what == "weights") else None
        if proj is not None:
            if what != "weights":
                raise SpecError(f"monitor: a projection records only 'weights', got {what!r}")
            every_steps = None
            if every is not None:
                every_steps = self._steps("monitor: every", every)
            mon = WeightMonitor(self, proj, every_steps)
            proj.record_weights = True
            self.monitors.append(mon)
            return mon
        pop = self._pop(pop, "monitor")
        idx = None
        if indices is not None:
            idx = np.unique(np.asarray(indices, dtype=np.int64).reshape(-1))
            if idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
                raise SpecError(f"monitor: indices must be in [0, {pop.n - 1}]")
        if what == "spikes":
            mon = SpikeMonitor(self, pop, idx)
        elif what == "rate":
            mon = RateMonitor(self, pop)
        else:
            variables = [what] if isinstance(what, str) else list(what)
            if pop.is_source:
                raise SpecError(f"monitor: {pop.name!r} is a spike source; only 'spikes' and 'rate' can be recorded")
            every_steps = 1 if every is None else self._steps("monitor: every", every)
            tr = np.arange(self.batch) if trials is None else np.asarray(trials, dtype=np.int64).reshape(-1)
            if tr.size == 0 or tr.min() < 0 or tr.max() >= self.batch:
                raise SpecError(f"monitor: trials must be in [0, {self.batch - 1}]")
            mon = StateMonitor(self, pop, variables, idx, every_steps, tr)
        self.monitors.append(mon)
        return mon

    def _projection(self, q) -> Projection:
        if isinstance(q, str):
            for p in self.projections:
                if p.name == q:
                    return p
            raise SpecError(f"unknown projection {q!r}; known: {[p.name for p in self.projections]}")
        if not isinstance(q, Projection) or q.net is not self:
            raise SpecError(f"expected a Projection of this network, got {q!r}")
        return q

    def _steps(self, what, ms) -> int:
        return to_steps(V.positive(what, ms, "ms"), self.dt, what)   # one rule: spec/timegrid.py

    # ------------------------------------------------------------------ neuromodulation
    def modulator(self, spec, source=None, per_spike: float = 0.0) -> Modulator:
        """Add a neuromodulator (a :class:`~neurosim.spec.modulators.Dopamine` or ``Acetylcholine``
        spec): a concentration per trial that decays with ``spec.tau``.  ``source``: a population
        whose every spike releases ``per_spike`` uM (optional; explicit releases with
        :meth:`reward` / :meth:`release`)."""
        self._check_open()
        if not isinstance(spec, MODULATOR_TYPES):
            raise SpecError(f"modulator: spec must be Dopamine(...) or Acetylcholine(...), got {spec!r}")
        if any(m.name == spec.name for m in self.modulators):
            raise SpecError(f"modulator: a modulator named {spec.name!r} already exists")
        src = None if source is None else self._pop(source, "modulator: source")
        per_spike = V.in_range(f"modulator {spec.name!r}: per_spike", per_spike, 0.0, 1e6, "uM")
        if src is None and per_spike:
            raise SpecError(f"modulator {spec.name!r}: per_spike = {per_spike} needs a source population")
        mod = Modulator(self, len(self.modulators), spec, src, per_spike)
        self.modulators.append(mod)
        return mod

    def _modulator(self, m, what) -> Modulator:
        if isinstance(m, Modulator) and m.net is self:
            return m
        for mod in self.modulators:
            if mod.name == m:
                return mod
        raise SpecError(f"{what}: unknown modulator {m!r}; known: {[x.name for x in self.modulators]}")

    def modulate(self, modulator, pop, quantity: str, k: float) -> Modulation:
        """Scale ``quantity`` of ``pop`` by ``max(0, 1 + k [modulator])`` (k in 1/uM):
        ``"b"`` (adaptation increment of an LIFCond population) or ``"g_<receptor>"`` (synaptic
        arrivals into that receptor channel).  Models, e.g., cholinergic modulation of excitability."""
        self._check_open()
        mod = self._modulator(modulator, "modulate")
        pop = self._pop(pop, "modulate")
        if pop.is_source:
            raise SpecError(f"modulate: {pop.name!r} is a spike source")
        if not isinstance(quantity, str) or not (quantity == "b" or quantity.startswith("g_")):
            raise SpecError(f"modulate: quantity must be 'b' or 'g_<receptor>', got {quantity!r}")
        if quantity == "b" and not isinstance(pop.model, LIFCond):
            raise SpecError(f"modulate: 'b' needs an LIFCond population (with adaptation), {pop.name!r} is "
                            f"{type(pop.model).__name__}")
        k = V.number("modulate: k", k, "1/uM")
        eff = Modulation(mod, pop, quantity, k)
        self.modulations.append(eff)
        return eff

    def release(self, modulator, amount: float, trials=None):
        """Release ``amount`` uM of ``modulator`` now (between runs; at the current time ``net.t``),
        into every trial or the given batch rows.  Negative amounts are refused."""
        mod = self._modulator(modulator, "release")
        amount = V.in_range(f"release {mod.name!r}: amount", amount, 0.0, 1e6, "uM")
        tr = np.arange(self.batch) if trials is None else np.asarray(trials, dtype=np.int64).reshape(-1)
        if tr.size == 0 or tr.min() < 0 or tr.max() >= self.batch:
            raise SpecError(f"release: trials must be in [0, {self.batch - 1}]")
        if self._sim is None:
            self._pending.append((mod.index, amount, tr))
        else:
            self._apply_release(mod.index, amount, tr)

    def reward(self, amount: float, trials=None, modulator=None):
        """Deliver a reward: release ``amount`` uM of dopamine now (the network's only Dopamine
        modulator, or the one named by ``modulator``)."""
        if modulator is None:
            das = [m for m in self.modulators if m.spec.kind == "dopamine"]
            if len(das) != 1:
                raise SpecError(f"reward: the network has {len(das)} dopamine modulators; add one with "
                                "net.modulator(Dopamine()) or name it with modulator=")
            modulator = das[0]
        self.release(modulator, amount, trials)

    def _apply_release(self, m, amount, trials):
        st = self._sim.backend.download()
        st.plast.mod_c[trials, m] += amount
        self._sim.backend.push("plast")

    def _modulator_concentration(self, mod) -> np.ndarray:
        if self._sim is None:
            return np.full(self.batch, mod.spec.baseline)
        st = self._sim.backend.download()
        return mod.spec.baseline + st.plast.mod_c[:, mod.index].astype(np.float64)

    # ------------------------------------------------------------------ changes between runs
    # (called by the handles once they have checked the new values; sim/changes.py writes them)
    def _params_changed(self, pop, vals):
        if self._sim is not None:
            from .sim.changes import write_params
            write_params(self._sim, pop, vals)

    def _initial_changed(self, pop, names):
        if self._sim is not None:
            from .sim.changes import write_initial
            write_initial(self._sim, pop, names)

    def _weights_changed(self, proj):
        if self._sim is not None:
            from .sim.changes import write_weights
            write_weights(self._sim, proj)

    def _inputs_changed(self):
        if self._sim is not None:
            from .sim.changes import rebuild_inputs
            rebuild_inputs(self._sim)

    def reset(self, restore_weights: bool = False):
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
            if hasattr(m, "_snaps"):   # weight snapshots begin anew too
                m._steps, m._snaps = [], []

    def every(self, interval: float, callback, name: Optional[str] = None) -> str:
        """Call ``callback(net)`` every ``interval`` ms of simulated time (at t = interval,
        2 interval, ...), between steps, during :meth:`run` -- closed-loop control such as
        reward delivery.  The spec records its ``name`` (default ``callback.__qualname__``) and
        interval; :meth:`from_spec` needs it back (``callbacks={name: fn}``)."""
        from .callbacks import add_callback
        return add_callback(self, interval, callback, name)

    def __repr__(self):
        from .repr import network_repr
        return network_repr(self)

    # ------------------------------------------------------------------ running
    @property
    def t(self) -> float:
        """Simulated time so far (ms)."""
        return 0.0 if self._sim is None else self._sim.step * self.dt

    def build(self, backend: str = "cpu"):
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

    def schedule_summary(self, runner: Optional[str] = None):
        """One step's phases in order, those this network leaves out marked (sim/schedule.py)."""
        from .sim.schedule import summary
        return summary(self, runner)

    # ------------------------------------------------------------------ streaming to a file
    _stream = None            # sim.streaming.SpikeStreamer while spikes go to a file
    _stream_request = None    # (path, overwrite, compression) until the network is built

    def stream_to(self, path, overwrite: bool = True, compression: Optional[str] = None):
        """Send recorded spikes to the result file ``path`` chunk by chunk instead of keeping them
        in memory (for long runs); :meth:`save` then completes the file.

        From now on every :meth:`run` appends each chunk's spikes (times in ms, neuron indices
        within the population, trials) to a temporary file next to ``path``; spike memory is one
        chunk, whatever the run length.  Population rates, state traces and weights are recorded in
        memory as usual.  ``net.save()`` writes them, the spec and the metadata into that file and
        renames it onto ``path`` atomically; until then ``path`` is untouched (an older file there
        stays intact), and an exception or ``KeyboardInterrupt`` during ``run()`` deletes the
        temporary file (the network can then not run further).  Spikes recorded before this call
        are written first.  Calling it again with the same path does nothing.

        In the Result of a streaming network (``run()``'s return value, :meth:`result`), each
        spike record is a :class:`~neurosim.sim.streaming.StreamedSpikeTrains`: spike counts,
        ``num_spikes`` and the mean CV of the ISIs are kept per neuron as the run goes (so
        ``Result.summary()``, ``mean_rate`` and ``cv_isi`` need no spike arrays), while
        ``node_ids``/``times``/``trials`` are read from the file on access (``.load()`` once,
        ``.window(t0, t1)`` for a time window).  The same goes for the spike monitors.

        ``overwrite=False`` refuses an existing file at ``path``; ``compression`` applies to the
        non-spike datasets (see :class:`~neurosim.io.hdf5.ResultWriter`).
        """
        import os
        path = os.fspath(path)
        cur = self._stream
        if cur is not None:
            same = os.path.abspath(cur.path) == os.path.abspath(path)
            if cur.state == "open" and same:
                return
            if cur.state == "open":
                raise SpecError(f"stream_to: spikes already stream to {cur.path}; save() it before streaming elsewhere "
                                "(a new path would lack the spikes written so far)")
            raise SpecError(f"stream_to: the spike stream to {cur.path} was "
                            f"{'saved' if cur.state == 'committed' else 'discarded after an exception'}; "
                            "this network cannot record further (build a new Network)")
        self._stream_request = (path, bool(overwrite), compression)
        if self._sim is not None:
            self._open_stream()

    def _open_stream(self):
        from .sim.streaming import SpikeStreamer
        path, overwrite, compression = self._stream_request
        self._stream_request = None
        self._stream = SpikeStreamer(self, self._sim.layout, self._sim.recorder, path, overwrite, compression)
        self._sim.recorder.stream = self._stream

    def save(self, path=None, result=None, overwrite: bool = True, compression: Optional[str] = None) -> str:
        """Write the result file and return its path.

        When streaming (:meth:`stream_to`), ``path`` may be omitted (it must otherwise be the
        stream's path): the spec, metadata, rates, states, weights and extra of ``result``
        (default :meth:`result`; pass one to add e.g. ``meta`` entries) are written into the
        streamed file, which then replaces ``path`` atomically.  The stream is closed: the
        network cannot run further, and the Result's spikes are read from ``path`` from now on.
        Otherwise this is ``write_result(result or net.result(), path)``.
        """
        import os
        s = self._stream
        if s is not None:
            if path is not None and os.path.abspath(os.fspath(path)) != os.path.abspath(s.path):
                raise SpecError(f"save: spikes stream to {s.path}, not {os.fspath(path)}; call save() without a path")
            s.commit(self.result() if result is None else result)
            return s.path
        if path is None:
            if self._stream_request is None:
                raise SpecError("save: give the file path (or call stream_to(path) before running)")
            path, overwrite, compression = self._stream_request
        from .io.hdf5 import write_result
        return write_result(self.result() if result is None else result, path, overwrite=overwrite,
                            compression=compression)

    def run(self, duration: float, backend: str = "cpu", progress: Optional[bool] = None, report_every=None,
            stream_to=None):
        """Simulate ``duration`` ms more (a multiple of dt, else a SpecError) and return the Result of
        everything recorded so far.  ``backend``: ``"cpu"``, ``"cuda"`` or ``"auto"``.  A progress bar
        appears for runs expected to take more than a few seconds (``progress`` forces it on/off).
        ``stream_to=path`` is :meth:`stream_to` ``(path)`` before running: spikes go to that file
        (completed by :meth:`save`); an exception or interrupt during a streaming run discards it."""
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
            return self._run(duration, backend, progress, report_every)
        except BaseException:
            if self._stream is not None:
                self._stream.abort()
            raise

    def _run(self, duration: float, backend: str = "cpu", progress: Optional[bool] = None, report_every=None):
        n_steps = to_steps(V.positive("duration", duration, "ms"), self.dt, "duration")
        sim = self.build(backend)
        sim.check_backend(backend)
        from .sim.recorders import WeightMonitor
        wmons = [m for m in self.monitors if isinstance(m, WeightMonitor) and m.every_steps]
        periods = [m.every_steps for m in wmons] + [c[0] for c in self._controllers]
        if not periods:
            sim.run(n_steps, progress=progress)
            return self.result()
        # split the run at snapshot and controller times
        end = sim.step + n_steps
        for m in wmons:
            m._maybe_snapshot()
        while sim.step < end:
            nxt = min([end] + [(sim.step // e + 1) * e for e in periods])
            sim.run(nxt - sim.step, progress=bool(progress))
            for m in wmons:
                m._maybe_snapshot()
            for steps_, cb in list(self._controllers):
                if sim.step % steps_ == 0:
                    cb(self)
        return self.result()

    def result(self):
        """The Result of everything recorded so far (spikes, states, rates, weights, metadata)."""
        from .sim.recorders import make_result
        return make_result(self)

    def get(self, pop, variable: str = "v") -> np.ndarray:
        """Current values of ``variable`` (``v``, ``w_adapt``, ``g_<receptor>``) of ``pop``,
        shape (batch, n)."""
        pop = self._pop(pop, "get")
        if self._sim is None:
            self.build()
        return self._sim.get(pop, variable)

    def connections(self, proj) -> dict:
        """Synapses of a projection: ``pre``, ``post`` (local indices), ``weight`` (nS or pA, per
        receptor), ``delay`` (ms, after rounding to steps).  Builds the network if needed."""
        if self._sim is None:
            self.build()
        return self._sim.connections(proj)

    # ------------------------------------------------------------------ spec
    def to_spec(self) -> dict:
        """The whole model as a JSON-serialisable dict (enough to rebuild and rerun it, with the
        names and intervals of its :meth:`every` callbacks, which :meth:`from_spec` needs back)."""
        from .sim.recorders import monitor_spec
        from .callbacks import callback_specs
        pops = []
        for p in self.populations:
            m = p.model
            if isinstance(m, PoissonSource):
                d = {"name": p.name, "n": p.n, "source": "poisson", "rate": _sched_desc(m.rate)}
            elif isinstance(m, SpikeGenerator):
                d = {"name": p.name, "n": p.n, "source": "generator", "times": np.asarray(m.times).tolist(),
                     "ids": np.asarray(m.ids).tolist(),
                     "trials": None if m.trials is None else np.asarray(m.trials).tolist()}
            else:
                d = {"name": p.name, "n": p.n, "model": m.to_dict(),
                     "params": {k: describe(v) for k, v in p.params.items()},
                     "initial": {k: describe(v) for k, v in p.initial.items()}}
            pops.append(d)
        projs = []
        for q in self.projections:
            projs.append({"name": q.name, "pre": q.pre.name, "post": q.post.name, "connector": q.connector.to_dict(),
                          "receptor": q.receptor_arg if q.receptor_arg is not None else q.receptors[0][0].to_dict(),
                          "nmda_ratio": q.nmda_ratio, "weight": describe(q.weight), "weight_set": q.weight_set,
                          "delay": describe(q.delay),
                          "plasticity": None if q.plasticity is None else q.plasticity.to_dict()})
        return {
            "format": "neurosim-network", "version": 1,
            "dt": self.dt, "seed": self.seed, "batch": self.batch, "dtype": self.dtype,
            "populations": pops, "projections": projs,
            "currents": [{"pop": p.name, "amplitude": _sched_desc(c.amplitude),
                          "indices": np.asarray(c.indices).tolist()} for p, c in self.currents],
            "drives": [{"pop": p.name, "receptor": r.to_dict(), "n_sources": d.n_sources,
                        "rate": _sched_desc(d.rate), "weight": d.weight} for p, r, d in self.drives],
            "monitors": [monitor_spec(m) for m in self.monitors],
            "modulators": [{"spec": m.spec.to_dict(), "source": None if m.source is None else m.source.name,
                            "per_spike": m.per_spike} for m in self.modulators],
            "modulations": [{"modulator": e.modulator.name, "pop": e.pop.name, "quantity": e.quantity, "k": e.k}
                            for e in self.modulations],
            "callbacks": callback_specs(self),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_spec())

    @classmethod
    def from_spec(cls, spec: Union[dict, str], seed: Optional[int] = None,
                  callbacks: Optional[dict] = None) -> "Network":
        """Rebuild a network (with its monitors) from :meth:`to_spec` output or its JSON.  A spec
        that records :meth:`every` callbacks needs them back by name: ``callbacks={name: fn}``."""
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError as exc:
                raise SpecError(f"from_spec: the spec string is not valid JSON ({exc}): {spec[:40]!r}") from None
        if not isinstance(spec, dict) or spec.get("format") != "neurosim-network":
            raise SpecError("not a neurosim network spec (missing format 'neurosim-network')")
        net = cls(dt=spec["dt"], seed=spec["seed"] if seed is None else seed, batch=spec["batch"],
                  dtype=spec.get("dtype", "float64"))
        for d in spec["populations"]:
            if d.get("source") == "poisson":
                net.poisson(d["name"], d["n"], _sched_undesc(d["rate"]))
            elif d.get("source") == "generator":
                net.spike_generator(d["name"], d["n"], d["times"], np.asarray(d["ids"], dtype=np.int64),
                                    None if d["trials"] is None else np.asarray(d["trials"], dtype=np.int64))
            else:
                pop = net.population(d["name"], d["n"], neuron_from_dict(d["model"]),
                                     i_bias=None if d.get("i_bias") is None else np.asarray(d["i_bias"]))
                if d.get("params"):
                    pop.set(**{k: undescribe(v) for k, v in d["params"].items()})
                if d.get("initial"):
                    pop.initialize(**{k: undescribe(v) for k, v in d["initial"].items()})
        for d in spec.get("modulators", []):
            net.modulator(modulator_from_dict(d["spec"]), source=d["source"], per_spike=d["per_spike"])
        for d in spec["projections"]:
            rec = d["receptor"] if isinstance(d["receptor"], str) else receptor_from_dict(d["receptor"])
            pl = d.get("plasticity")
            proj = net.connect(d["pre"], d["post"], connector_from_dict(d["connector"]), receptor=rec,
                               weight=undescribe(d["weight"]), delay=undescribe(d["delay"]),
                               nmda_ratio=d["nmda_ratio"], name=d["name"],
                               plasticity=None if pl is None else plasticity_from_dict(pl))
            proj.weight_set = bool(d.get("weight_set", False))
        for d in spec.get("modulations", []):
            net.modulate(d["modulator"], d["pop"], d["quantity"], d["k"])
        for d in spec["currents"]:
            net.inject(d["pop"], _sched_undesc(d["amplitude"]), d["indices"])
        for d in spec["drives"]:
            net.poisson_drive(d["pop"], receptor_from_dict(d["receptor"]), d["n_sources"],
                              _sched_undesc(d["rate"]), d["weight"])
        for d in spec["monitors"]:
            what = d["what"]
            if what == "weights":
                net.monitor(d["projection"], "weights",
                            every=None if d.get("every_steps") is None else d["every_steps"] * net.dt)
                continue
            net.monitor(d["pop"], what, indices=d.get("indices"),
                        every=d.get("every_steps", 1) * net.dt if what not in ("spikes", "rate") else None,
                        trials=d.get("trials"))
        from .callbacks import attach_callbacks
        attach_callbacks(net, spec.get("callbacks", []), callbacks)
        return net


def _sched_desc(value):
    if isinstance(value, Schedule):
        return {"schedule": value.to_dict()}
    return describe(value)


def _sched_undesc(value):
    if isinstance(value, dict) and "schedule" in value:
        return Schedule(np.asarray(value["schedule"]["times"]), np.asarray(value["schedule"]["values"]))
    return undescribe(value)
