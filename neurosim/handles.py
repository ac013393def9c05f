"""Handles on the parts of a :class:`~neurosim.network.Network`: populations, projections,
modulators (as PyNN's ``Population`` / ``Projection``: described as data, changed with
``set``, read with ``get``, before a run or between runs).

A handle holds what its part was given (its model, the values ``set`` on it, its initial values);
the arrays of a built network are read and written through the network's simulation
(sim/run.py), never here.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .errors import ParallelLaunchError, SpecError
from .spec.distributions import Distribution, in_unit
from .spec.inputs import PoissonSource, SpikeGenerator, as_schedule, plain
from .spec.sources import RENEWAL_SOURCES
from .spec.adex import AdEx
from .spec.neurons import LIFCond, check_param
from .spec.projections import check_weight, check_plasticity, plain_weight
from .units import to_float


def replace_then_write(handle, values: dict, write):
    """Set the attributes ``values`` of ``handle`` (a Population or Projection) and, on a built
    network, ``write(simulation)`` them into its state; on a SpecError the attributes are put back,
    so a refused change leaves the description as it was."""
    old = {k: getattr(handle, k) for k in values}
    for k, v in values.items():
        setattr(handle, k, v)
    try:
        if handle.net.simulation is not None:
            write(handle.net.simulation)
    except SpecError:
        for k, v in old.items():
            setattr(handle, k, v)
        raise


def rebuild_inputs_of(net):
    """Lay a built network's input tables out anew after a rate or current changed."""
    if net.simulation is not None:
        from .sim.changes import rebuild_inputs
        rebuild_inputs(net.simulation)


class Population:
    """A group of ``n`` neurons (or spike sources) sharing one model.  ``len(pop) == n``.

    ``params`` holds the parameters set on the population (over its model's); ``initial`` the
    initial values of its state variables (``initialize``)."""

    def __init__(self, net, index, name, n, model):
        self.net, self.index, self.name, self.n, self.model = net, index, name, n, model
        self.params, self.initial = {}, {}

    @property
    def i_bias(self) -> Any:
        """The bias current (pA) set on the population (``population(i_bias=...)`` or ``set``), or
        None when it is the model's."""
        return self.params.get("i_bias")

    @property
    def is_source(self) -> bool:
        return isinstance(self.model, (PoissonSource, SpikeGenerator) + RENEWAL_SOURCES)

    def __len__(self):
        return self.n

    def __repr__(self):
        return f"Population({self.name!r}, n={self.n}, model={type(self.model).__name__})"

    # ------------------------------------------------------------------ parameters
    def set(self, **values: Any) -> None:
        """Set parameters, before the first run or between runs (the next run continues from the
        current state with the new values).

        Neuron populations: any parameter of the model (LIFCond: c_m pF, g_leak nS, v_rest mV,
        v_th mV, v_reset mV, t_ref ms, i_bias pA, a nS, b pA, tau_w ms, and tau_m ms, which sets
        g_leak = c_m / tau_m; LIFCurr: tau_m ms, c_m pF, v_rest, v_th, v_reset, t_ref, i_bias; AdEx: its
        parameters, see :class:`~neurosim.spec.adex.AdEx`),
        each a number, an array of ``n`` values or a distribution (drawn per neuron from the
        network's seed).  Poisson sources: ``rate`` (Hz: scalar, (n,), (batch, n) or a Schedule,
        whose times are absolute, ms from t = 0).  Every value is checked before anything changes.

        LIFCond and LIFCurr also take ``theta_plus`` (mV) and ``tau_theta`` (ms) of the adaptive
        threshold, and the state ``theta`` itself (mV: a number, (n,) or (batch, n) array or a
        distribution), which is ``initialize(theta=...)``: written into the current state now and
        used again by :meth:`Network.reset`.  ``set(theta_plus=0.0, tau_theta=math.inf)`` freezes
        theta (e.g. to test a trained network)."""
        from .state.neuron_params import settable, realise_params
        if isinstance(self.model, SpikeGenerator):
            self._set_spikes(**values)
            return
        if isinstance(self.model, RENEWAL_SOURCES):
            raise SpecError(f"population {self.name!r} is a {type(self.model).__name__}; its parameters are fixed "
                            "when it is added (add another source for other values)")
        if isinstance(self.model, PoissonSource):
            if set(values) != {"rate"}:
                raise SpecError(f"population {self.name!r} is a Poisson source: set(rate=...) only, got "
                                f"{sorted(values)}")
            rate = plain(f"population {self.name!r}: rate", values["rate"], "Hz")
            as_schedule(f"population {self.name!r}: rate", rate, self.n, self.net.batch, "Hz", low=0.0,
                        dt=self.net.dt)
            self.model = PoissonSource(self.n, rate)
            rebuild_inputs_of(self.net)
            return
        allowed = settable(self.model)
        if "theta" in values and "theta_plus" in allowed:
            values = dict(values)
            theta = values.pop("theta")
            if values:
                self.set(**values)
            self.initialize(theta=theta)
            return
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise SpecError(f"population {self.name!r}: unknown parameter(s) {unknown} of "
                            f"{type(self.model).__name__}; allowed: {list(allowed)}")
        new = dict(self.params)
        where = f"population {self.name!r}"
        for key, value in values.items():
            value = check_param(where, key, value, self.model.RULES)
            if isinstance(value, np.ndarray) and value.shape != (self.n,):
                raise SpecError(f"{where}.{key} must be a number, a distribution or an array of shape ({self.n},), "
                                f"got shape {value.shape}")
            new[key] = value
            if isinstance(self.model, LIFCond) and key in ("tau_m", "g_leak"):
                new.pop("g_leak" if key == "tau_m" else "tau_m", None)   # the later one decides
        old, self.params = self.params, new
        try:
            vals = realise_params(self, self.net.seed)   # checks every neuron (ranges, v_reset < v_th)
        except SpecError:
            self.params = old
            raise
        if self.net.simulation is not None:
            from .sim.changes import write_params
            write_params(self.net.simulation, self, vals)

    def _set_spikes(self, times=None, ids=None, trials=None, **other):
        """``set(times=..., ids=..., trials=None)`` of a spike generator: its spikes replaced (ms, as
        :meth:`Network.spike_generator` takes them).  On a network under way, spikes before the
        current step are not emitted (they are past)."""
        from .network_inputs import generator_model
        if other or times is None or ids is None:
            raise SpecError(f"population {self.name!r} is a spike generator: set(times=..., ids=..., trials=None) "
                            f"replaces its spikes; got {sorted(other) + [k for k, v in (('times', times), ('ids', ids)) if v is None]}")
        from .sim.changes import write_generators
        model = generator_model(f"population {self.name!r}", self.n, times, ids, trials, self.net.batch)
        replace_then_write(self, {"model": model}, write_generators)

    def get(self, name: str) -> np.ndarray:
        """The per-neuron values (shape (n,), float64) of parameter ``name`` (also ``tau_m`` of an
        LIFCond and ``g_leak`` of an LIFCurr population, derived), distributions drawn.

        ``"theta"`` (LIFCond, LIFCurr) reads the adaptive threshold's current state (mV): shape
        (n,) with one trial, (batch, n) with several; its initial value before the network is built."""
        from .state.neuron_params import realise_params, initial_theta
        if self.is_source:
            raise SpecError(f"population {self.name!r} is a spike source; it has no neuron parameters")
        if name == "theta" and not isinstance(self.model, AdEx):
            sim = self.net.simulation
            th = (sim.get(self, "theta") if sim is not None else initial_theta(self, self.net.batch, self.net.seed))
            return th[0].copy() if th.shape[0] == 1 else th
        vals = realise_params(self, self.net.seed)
        adapt = isinstance(self.model, (LIFCond, AdEx))
        if name not in vals or (not adapt and name in ("a", "b", "tau_w")):
            raise SpecError(f"population {self.name!r}: unknown parameter {name!r}; known: "
                            f"{sorted(k for k in vals if adapt or k not in ('a', 'b', 'tau_w'))}")
        return vals[name].copy()

    def initialize(self, **values: Any) -> None:
        """Initial values of state variables: ``v`` (mV), for LIFCond and AdEx ``w_adapt`` (pA), for LIFCond
        and LIFCurr ``theta`` (mV, the adaptive threshold); each a
        number, an (n,) or (batch, n) array or a distribution.  They are used at the start of the
        first run and by every :meth:`Network.reset`; on a network already built they are also
        written into the current state now (as PyNN's ``initialize``)."""
        if self.is_source:
            raise SpecError(f"population {self.name!r} is a spike source; it has no state to initialise")
        allowed = (("v", "w_adapt") if isinstance(self.model, (LIFCond, AdEx)) else ("v",)) + \
            (() if isinstance(self.model, AdEx) else ("theta",))
        checked = {}
        for key, value in values.items():
            if key not in allowed:
                raise SpecError(f"population {self.name!r}: initialize() takes {list(allowed)}, got {key!r}")
            unit = "pA" if key == "w_adapt" else "mV"
            if isinstance(value, Distribution):
                value = in_unit(value, f"population {self.name!r}: initialize: {key}", unit)
            else:
                arr = np.asarray(to_float(value, f"population {self.name!r}: initialize: {key}", unit), dtype=np.float64)
                if arr.shape not in ((), (self.n,), (self.net.batch, self.n)):
                    raise SpecError(f"population {self.name!r}: initial {key} must be a number, a distribution or "
                                    f"an array of shape ({self.n},) or ({self.net.batch}, {self.n}) ({unit}), got "
                                    f"shape {arr.shape}")
                if not np.all(np.isfinite(arr)):
                    raise SpecError(f"population {self.name!r}: initial {key} must be finite ({unit})")
                value = arr
            checked[key] = value
        self.initial.update(checked)
        if self.net.simulation is not None:
            from .sim.changes import write_initial
            write_initial(self.net.simulation, self, sorted(values))


class Projection:
    """Synapses from ``pre`` to ``post`` through one or more receptors (``"glutamate"`` gives two).
    ``plasticity`` is its STDP rule (None when static)."""

    plasticity = None
    short_term = None    # TsodyksMarkram short-term plasticity (None: static transmission)
    release_probability = None   # stochastic release, dimensionless (spec/release.py; None: always)
    record_weights = False
    weight_set = False   # True once set(weight=...) replaced the connector's own weights

    def __init__(self, net, index, name, pre, post, connector, receptors, weight, delay, receptor_arg, nmda_ratio):
        self.net, self.index, self.name = net, index, name
        self.pre, self.post, self.connector = pre, post, connector
        self.receptors = receptors          # list of (Receptor, weight factor)
        self.weight, self.delay = weight, delay
        self.receptor_arg, self.nmda_ratio = receptor_arg, nmda_ratio

    def __repr__(self):
        names = "+".join(r.name for r, _ in self.receptors)
        return f"Projection({self.name!r}, {self.pre.name}->{self.post.name}, {names})"

    def set(self, weight: Any = None, release_probability: Any = None) -> None:
        """Set the weights (nS or pA) before a run or between runs: a number, an (n_syn,) array in the
        order of :meth:`get` (sorted by pre, then post), an (n_pre, n_post) matrix read at each
        synapse, or a distribution.  A multi-receptor projection (``"glutamate"``) gets ``weight``
        on AMPA and ``nmda_ratio * weight`` on NMDA.  Plastic projections: inside [w_min, w_max].
        Spikes already on their way (emitted, not yet arrived after their delay) keep the weight
        they were emitted with: a spike's conductance increment is computed when it is sent (as in
        NEST); Brian2 reads the weight at delivery instead.

        ``release_probability`` (dimensionless, in [0, 1]; same forms) replaces the release
        probability of a projection connected with one (spec/release.py); it applies to the spikes
        sent from then on."""
        if weight is None and release_probability is None:
            raise SpecError(f"projection {self.name!r}: set() takes weight=... and/or release_probability=...")
        if release_probability is not None:
            self._set_release(release_probability)
        if weight is None:
            return
        net = self.net
        weight = plain_weight(self.name, weight, self.receptors)   # quantities converted once, here
        check_weight(self.name, weight, self.receptors)
        if not isinstance(weight, Distribution):
            arr = np.asarray(weight, dtype=np.float64)
            matrix = (self.pre.n, self.post.n)
            if arr.ndim == 2 and arr.shape != matrix or arr.ndim > 2:
                raise SpecError(f"projection {self.name!r}: a weight matrix must have shape {matrix} (n_pre, n_post), "
                                f"got {arr.shape}")
            if arr.ndim == 1 and net.simulation is None:
                raise SpecError(f"projection {self.name!r}: one weight per synapse needs the connectivity, which is "
                                "drawn when the network is built: call net.build() first, or give a number, an "
                                f"{matrix} matrix or a distribution")
        if self.plasticity is not None:
            check_plasticity(self.name, self.plasticity, self.receptors, weight)
        sim = net.simulation
        if sim is not None and self.index in (sim.layout.partial or {}) and (
                isinstance(weight, Distribution) or np.ndim(weight) == 1):
            raise ParallelLaunchError(
                f"projection {self.name!r}: its synapses are split across the MPI processes (each keeps those onto "
                "its own neurons), so set() takes a number or an (n_pre, n_post) matrix for it, not one weight per "
                "synapse or a distribution yet (or run one process)")
        from .sim.changes import write_weights
        replace_then_write(self, {"weight": weight, "weight_set": True}, lambda sim: write_weights(sim, self))

    def normalize(self, total: float) -> None:
        """Rescale the current weights so that each postsynaptic neuron's incoming weights sum to
        ``total`` (nS or pA, > 0): the weight normalisation of Diehl & Cook (2015) (their input
        weights onto each excitatory neuron are kept at a sum of 78).  Every synapse onto post neuron
        ``j`` is multiplied by ``total / sum_j`` (per trial when a plastic projection has one weight row
        per trial; the same factor for every receptor of a multi-receptor projection; neurons with no
        incoming weight are left as they are); a plastic projection's weights are then clipped to
        [w_min, w_max].  Call it between runs, or during a run every ``T`` ms with a callback:
        ``net.every(T, lambda net: proj.normalize(78.0))``.  Builds the network if it is not yet
        built; changes the weights of the running state (``Network.reset`` keeps them, as it keeps
        weights changed by plasticity), not the projection's description."""
        from .units import to_float as _tf
        value = _tf(total, f"projection {self.name!r}: normalize: total", "nS or pA")
        if isinstance(value, (str, bytes, bool)) or not np.isscalar(value) or not np.isfinite(value) or value <= 0:
            raise SpecError(f"projection {self.name!r}: normalize: total must be a finite number > 0 (the summed "
                            f"incoming weight of each postsynaptic neuron, nS or pA), got {total!r}")
        if self.net.simulation is None:
            self.net.build()
        from .sim.changes import normalize_weights
        normalize_weights(self.net.simulation, self, float(value))

    def _set_release(self, p):
        """``set(release_probability=p)``: check ``p``, keep it, and lay it out anew in a built network
        (spikes sent from then on use it); on a SpecError nothing changes."""
        from .spec.release import check_release, plain_release, NAME
        p = plain_release(self.name, p)
        check_release(self.name, p, self.pre.n, self.post.n, self.receptors, self.plasticity, self.short_term)
        arr = None if isinstance(p, Distribution) else np.asarray(p, dtype=np.float64)
        if arr is not None and arr.ndim == 1 and self.net.simulation is None:
            raise SpecError(f"projection {self.name!r}: one {NAME} per synapse needs the connectivity, which is drawn "
                            f"when the network is built: call net.build() first, or give a number, an "
                            f"({self.pre.n}, {self.post.n}) matrix or a distribution")
        from .state.release import write_release
        replace_then_write(self, {"release_probability": p}, write_release)

    def get(self, name: str = "weight", format: str = "list", receptor: Optional[str] = None) -> np.ndarray:
        """``"weight"`` (nS or pA, of ``receptor``: default the first, the weight given to connect),
        ``"delay"`` (ms, after rounding to steps) or ``"release_probability"`` (dimensionless; 1
        without one) of every synapse: ``format="list"`` gives an
        (n_syn,) array sorted by pre, then post; ``"array"`` an (n_pre, n_post) matrix with NaN
        where there is no synapse (several synapses between one pair: their sum)."""
        if name not in ("weight", "delay", "release_probability"):
            raise SpecError(f"projection {self.name!r}: get() reads 'weight', 'delay' or 'release_probability', "
                            f"got {name!r}")
        if format not in ("list", "array"):
            raise SpecError(f"projection {self.name!r}: format must be 'list' or 'array', got {format!r}")
        c = self.net.connections(self)
        if name == "weight":
            rec = self.receptors[0][0].name if receptor is None else receptor
            if rec not in c["weight"]:
                raise SpecError(f"projection {self.name!r}: no receptor {rec!r}; known: {sorted(c['weight'])}")
            values = np.asarray(c["weight"][rec], dtype=np.float64)
            if values.ndim == 2:   # plastic with batch > 1: one row per trial
                values = values[0] if values.shape[0] == 1 else values
        elif name == "release_probability":
            from .state.release import read_release
            values = read_release(self.net.simulation, self)
        else:
            values = np.asarray(c["delay"], dtype=np.float64)
        if format == "list":
            return values.copy()
        if values.ndim != 1:
            raise SpecError(f"projection {self.name!r}: format='array' needs one weight per synapse; this plastic "
                            "projection has one row per trial (use format='list')")
        out = np.full((self.pre.n, self.post.n), np.nan)
        pre, post = np.asarray(c["pre"]), np.asarray(c["post"])
        if pre.size:
            acc = np.zeros((self.pre.n, self.post.n))
            np.add.at(acc, (pre, post), values)
            has = np.zeros((self.pre.n, self.post.n), bool)
            has[pre, post] = True
            out[has] = acc[has]
        return out


class Modulator:
    """A neuromodulator of the network (see :mod:`neurosim.spec.modulators`): its dynamics
    ``spec``, the population whose spikes release it (``source``, or None) and ``per_spike`` (uM)."""

    def __init__(self, net, index, spec, source, per_spike):
        self.net, self.index, self.spec, self.source, self.per_spike = net, index, spec, source, per_spike

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def concentration(self) -> np.ndarray:
        """Current concentration (uM, baseline included), shape (batch,)."""
        sim = self.net.simulation
        if sim is None:
            return np.full(self.net.batch, self.spec.baseline)
        return self.spec.baseline + sim.backend.download().plast.mod_c[:, self.index].astype(np.float64)

    def __repr__(self):
        src = self.source.name if self.source is not None else None
        return f"Modulator({self.name!r}, source={src!r}, per_spike={self.per_spike})"


class Modulation:
    """``quantity`` of ``pop`` scaled by ``max(0, 1 + k [modulator])`` (k in 1/uM)."""

    def __init__(self, modulator, pop, quantity, k):
        self.modulator, self.pop, self.quantity, self.k = modulator, pop, quantity, k

    def __repr__(self):
        return f"Modulation({self.modulator.name!r} -> {self.pop.name}.{self.quantity}, k={self.k})"
