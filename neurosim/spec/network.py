"""The whole network as data: a frozen :class:`NetworkSpec` of populations, projections, inputs,
monitors and neuromodulators, with no simulator in it.

``Network.spec()`` takes one from the builder at any moment (the builder's handles hold what was
given; the spec is a snapshot sharing their read-only arrays), ``build_state(spec, seed)``
(state/build.py) lays it out as arrays, and :meth:`NetworkSpec.to_dict` / :meth:`from_dict` carry
it to a file or another process.  Arrays stay numpy arrays in the dict (``json_default`` turns
them into lists only when JSON text is written), so a network given 10^6 synapses as arrays is not
copied into Python lists each time a Result is made.

The dict (``format: "neurosim-network"``, ``version`` :data:`VERSION`): dt, seed, batch, dtype,
populations (name, n and a ``model`` with ``params`` and ``initial`` values, or a ``source``),
projections (optional keys ``short_term`` and ``release_probability``, absent when None), currents,
drives, monitors, modulators, modulations, callbacks (names and intervals).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..errors import SpecError
from .connectors import connector_from_dict
from .distributions import describe, undescribe
from .inputs import PoissonSource, SpikeGenerator, CurrentInjection, PoissonDrive, Schedule
from .modulators import modulator_from_dict
from .monitors import (SpikeMonitorSpec, StateMonitorSpec, RateMonitorSpec, WeightMonitorSpec, monitor_spec)
from .neurons import neuron_from_dict
from .plasticity import plasticity_from_dict
from .receptors import receptor_from_dict, resolve
from .short_term import short_term_from_dict
from .sources import RENEWAL_SOURCES, source_from_dict, current_from_dict

FORMAT = "neurosim-network"
VERSION = 2          # 2: per-neuron parameters (``params``, ``initial``), ``weight_set``; 1 is read too


def json_default(obj):
    """``json.dumps(..., default=json_default)``: numpy arrays and scalars as plain JSON."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


@dataclass(frozen=True, eq=False)
class PopulationSpec:
    """``n`` neurons of one ``model`` (LIFCond, LIFCurr) or ``n`` sources (PoissonSource,
    SpikeGenerator); ``params``: parameters set over the model's; ``initial``: initial values."""
    index: int
    name: str
    n: int
    model: Any
    params: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)

    @property
    def is_source(self) -> bool:
        return isinstance(self.model, (PoissonSource, SpikeGenerator) + RENEWAL_SOURCES)


@dataclass(frozen=True, eq=False)
class ProjectionSpec:
    """Synapses ``pre`` -> ``post`` drawn by ``connector`` onto ``receptors`` ((Receptor, weight
    factor) pairs); ``weight`` (nS or pA) and ``delay`` (ms) as given (numbers, arrays or
    distributions); ``weight_set``: ``weight`` replaced the connector's own weights."""
    index: int
    name: str
    pre: PopulationSpec
    post: PopulationSpec
    connector: Any
    receptors: tuple
    receptor_arg: Optional[str]
    nmda_ratio: float
    weight: Any
    delay: Any
    weight_set: bool = False
    plasticity: Any = None
    record_weights: bool = False
    short_term: Any = None
    release_probability: Any = None   # spec/release.py (None: every spike transmitted)


@dataclass(frozen=True, eq=False)
class ModulatorSpec:
    """A neuromodulator: its dynamics ``spec``, the population releasing it and uM per spike."""
    index: int
    spec: Any
    source: Optional[PopulationSpec]
    per_spike: float

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, eq=False)
class ModulationSpec:
    """``quantity`` of ``pop`` scaled by max(0, 1 + k [modulator]) (k in 1/uM)."""
    modulator: ModulatorSpec
    pop: PopulationSpec
    quantity: str
    k: float


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """A whole network as data (see the module docstring).  ``currents``: (population, injection)
    pairs; ``drives``: (population, receptor, drive) triples; ``monitors``: monitor specs
    (spec/monitors.py); ``callbacks``: ({"name", "interval"}) of the builder's ``every`` calls."""
    dt: float
    seed: int
    batch: int
    dtype: str
    populations: tuple
    projections: tuple
    currents: tuple = ()
    drives: tuple = ()
    monitors: tuple = ()
    modulators: tuple = ()
    modulations: tuple = ()
    callbacks: tuple = ()
    generated_currents: tuple = ()   # (population, ACCurrent or NoiseCurrent) pairs (spec/sources.py)

    # ------------------------------------------------------------------ checks
    def check(self) -> "NetworkSpec":
        """The cross-checks of the whole description (those ``Network``'s builder runs as each part is
        added, by the same functions): unique names, per-neuron arrays of the population's size,
        every projection (spec/projections.check_projection) and one receptor per channel name
        (spec/channels.py).  Returns the spec; raises SpecError naming the part."""
        from .channels import check_channel_names
        from .projections import check_projection
        names = [p.name for p in self.populations] + [q.name for q in self.projections]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise SpecError(f"network spec: names used twice: {dup}")
        for p in self.populations:
            for key, size in (p.model.sizes().items() if hasattr(p.model, "sizes") else ()):
                if size != p.n:
                    raise SpecError(f"population {p.name!r}: {key} has {size} values (one per neuron), expected "
                                    f"n = {p.n}")
        seen = NetworkSpec(self.dt, self.seed, self.batch, self.dtype, self.populations, ())
        for q in self.projections:
            check_channel_names(seen, q.post, [r for r, _ in q.receptors], f"projection {q.name!r}")
            check_projection(q.name, q.pre, q.post, q.connector, q.receptors, q.weight, q.delay, q.plasticity,
                             self.dt, getattr(q, "short_term", None), getattr(q, "release_probability", None))
            object.__setattr__(seen, "projections", seen.projections + (q,))
        return self

    # ------------------------------------------------------------------ to a dict
    def to_dict(self) -> dict:
        """The JSON-able form (arrays kept as numpy arrays; ``json.dumps(d, default=json_default)``)."""
        pops = []
        for p in self.populations:
            m = p.model
            if isinstance(m, PoissonSource):
                d = {"name": p.name, "n": p.n, "source": "poisson", "rate": schedule_desc(m.rate)}
            elif isinstance(m, SpikeGenerator):
                d = {"name": p.name, "n": p.n, "source": "generator", "times": np.asarray(m.times),
                     "ids": np.asarray(m.ids), "trials": None if m.trials is None else np.asarray(m.trials)}
            elif isinstance(m, RENEWAL_SOURCES):
                d = {"name": p.name, "n": p.n, **m.to_dict()}
            else:
                d = {"name": p.name, "n": p.n, "model": m.to_dict(),
                     "params": {k: describe_keep(v) for k, v in p.params.items()},
                     "initial": {k: describe_keep(v) for k, v in p.initial.items()}}
            pops.append(d)
        projs = [{"name": q.name, "pre": q.pre.name, "post": q.post.name, "connector": q.connector.to_dict(),
                  "receptor": q.receptor_arg if q.receptor_arg is not None else q.receptors[0][0].to_dict(),
                  "nmda_ratio": q.nmda_ratio, "weight": describe_keep(q.weight), "weight_set": q.weight_set,
                  "delay": describe_keep(q.delay),
                  "plasticity": None if q.plasticity is None else q.plasticity.to_dict(),
                  **({} if q.short_term is None else {"short_term": q.short_term.to_dict()}),
                  **({} if q.release_probability is None else
                     {"release_probability": describe_keep(q.release_probability)})}
                 for q in self.projections]
        return {
            "format": FORMAT, "version": VERSION,
            "dt": self.dt, "seed": self.seed, "batch": self.batch, "dtype": self.dtype,
            "populations": pops, "projections": projs,
            "currents": [{"pop": p.name, "amplitude": schedule_desc(c.amplitude), "indices": np.asarray(c.indices)}
                         for p, c in self.currents],
            "drives": [{"pop": p.name, "receptor": r.to_dict(), "n_sources": d.n_sources,
                        "rate": schedule_desc(d.rate), "weight": d.weight} for p, r, d in self.drives],
            "monitors": [monitor_spec(m) for m in self.monitors],
            "modulators": [{"spec": m.spec.to_dict(), "source": None if m.source is None else m.source.name,
                            "per_spike": m.per_spike} for m in self.modulators],
            "modulations": [{"modulator": e.modulator.name, "pop": e.pop.name, "quantity": e.quantity, "k": e.k}
                            for e in self.modulations],
            "callbacks": [dict(c) for c in self.callbacks],
            "generated_currents": [{"pop": p.name, **c.to_dict()} for p, c in self.generated_currents],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=json_default)

    # ------------------------------------------------------------------ from a dict
    @classmethod
    def from_dict(cls, d, seed: Optional[int] = None) -> "NetworkSpec":
        """Read :meth:`to_dict` output (or its JSON text; version 1 or 2).  Each part is checked by
        its own constructor (models, connectors, receptors, rules), the whole by :meth:`check`."""
        d = read_dict(d)
        pops, by_name = [], {}
        for k, p in enumerate(d["populations"]):
            if p.get("source") == "poisson":
                model, params, initial = PoissonSource(p["n"], schedule_undesc(p["rate"])), {}, {}
            elif p.get("source") == "generator":
                model = SpikeGenerator(p["n"], np.asarray(p["times"], np.float64), np.asarray(p["ids"], np.int64),
                                       None if p["trials"] is None else np.asarray(p["trials"], np.int64))
                params, initial = {}, {}
            elif p.get("source") in ("gamma", "poisson_refractory"):
                model, params, initial = source_from_dict(int(p["n"]), p, p["name"], float(d["dt"])), {}, {}
            else:
                model = neuron_from_dict(p["model"])
                params = {k2: undescribe(v) for k2, v in (p.get("params") or {}).items()}
                if p.get("i_bias") is not None:    # version 1
                    params["i_bias"] = np.asarray(p["i_bias"], np.float64)
                initial = {k2: undescribe(v) for k2, v in (p.get("initial") or {}).items()}
            spec = PopulationSpec(k, p["name"], int(p["n"]), model, params, initial)
            pops.append(spec)
            by_name[spec.name] = spec
        pop = _lookup(by_name, "population")
        mods = [ModulatorSpec(k, modulator_from_dict(m["spec"]), None if m["source"] is None else pop(m["source"]),
                              m["per_spike"]) for k, m in enumerate(d.get("modulators", []))]
        projs = []
        for k, q in enumerate(d["projections"]):
            rec = q["receptor"] if isinstance(q["receptor"], str) else receptor_from_dict(q["receptor"])
            pl = q.get("plasticity")
            projs.append(ProjectionSpec(
                k, q["name"], pop(q["pre"]), pop(q["post"]), connector_from_dict(q["connector"]),
                tuple(resolve(rec, q["nmda_ratio"])), rec if isinstance(rec, str) else None, q["nmda_ratio"],
                undescribe(q["weight"]), undescribe(q["delay"]), bool(q.get("weight_set", False)),
                None if pl is None else plasticity_from_dict(pl),
                any(m.get("what") == "weights" and m.get("projection") == q["name"] for m in d["monitors"]),
                short_term_from_dict(q.get("short_term")),
                None if q.get("release_probability") is None else undescribe(q["release_probability"])))
        mod = _lookup({m.name: m for m in mods}, "modulator")
        proj = _lookup({q.name: q for q in projs}, "projection")
        monitors = []
        for m in d["monitors"]:
            what = m["what"]
            idx = None if m.get("indices") is None else np.asarray(m["indices"], np.int64)
            if what == "weights":
                monitors.append(WeightMonitorSpec(proj(m["projection"]), m.get("every_steps")))
            elif what == "spikes":
                monitors.append(SpikeMonitorSpec(pop(m["pop"]), idx))
            elif what == "rate":
                monitors.append(RateMonitorSpec(pop(m["pop"])))
            else:
                monitors.append(StateMonitorSpec(pop(m["pop"]), list(what), idx, m["every_steps"],
                                                 np.asarray(m["trials"], np.int64)))
        spec = cls(
            dt=float(d["dt"]), seed=int(d["seed"] if seed is None else seed), batch=int(d["batch"]),
            dtype=d.get("dtype", "float64"), populations=tuple(pops), projections=tuple(projs),
            currents=tuple((pop(c["pop"]), CurrentInjection(schedule_undesc(c["amplitude"]),
                                                            np.asarray(c["indices"], np.int64)))
                           for c in d["currents"]),
            drives=tuple((pop(v["pop"]), receptor_from_dict(v["receptor"]),
                          PoissonDrive(v["n_sources"], schedule_undesc(v["rate"]), v["weight"])) for v in d["drives"]),
            monitors=tuple(monitors), modulators=tuple(mods),
            modulations=tuple(ModulationSpec(mod(e["modulator"]), pop(e["pop"]), e["quantity"], e["k"])
                              for e in d.get("modulations", [])),
            callbacks=tuple(dict(c) for c in d.get("callbacks", [])),
            generated_currents=tuple((pop(c["pop"]), current_from_dict(c, float(d["dt"])))
                                     for c in d.get("generated_currents", [])))
        return spec.check()


def read_dict(d) -> dict:
    """A spec dict from a dict or its JSON text, checked for the format and a known version."""
    if isinstance(d, str):
        try:
            d = json.loads(d)
        except ValueError as exc:
            raise SpecError(f"from_spec: the spec string is not valid JSON ({exc}): {d[:40]!r}") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise SpecError(f"not a neurosim network spec (missing format {FORMAT!r})")
    if d.get("version", 1) not in (1, VERSION):
        raise SpecError(f"network spec version {d.get('version')!r} is not known to this neurosim (it reads 1 and "
                        f"{VERSION}); upgrade neurosim")
    return d


def _lookup(table, what):
    def get(name):
        if name not in table:
            raise SpecError(f"network spec: unknown {what} {name!r}; known: {sorted(table)}")
        return table[name]
    return get


def describe_keep(value):
    """As :func:`~neurosim.spec.distributions.describe`, but an array stays an array."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return value
    return describe(value)


def schedule_desc(value):
    """A rate or amplitude (number, array or Schedule) for the spec dict."""
    if isinstance(value, Schedule):
        return {"schedule": {"times": np.asarray(value.times), "values": np.asarray(value.values)}}
    return describe_keep(np.asarray(value) if isinstance(value, (list, tuple)) else value)


def schedule_undesc(value):
    if isinstance(value, dict) and "schedule" in value:
        return Schedule(np.asarray(value["schedule"]["times"]), np.asarray(value["schedule"]["values"]))
    return undescribe(value)
