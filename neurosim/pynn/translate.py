"""PyNN's standard models as neurosim models: units, parameter names, time conventions.

Units: PyNN's cm (nF), i_offset and b (nA), weights (µS conductance, nA current, mV delta) become
neurosim's pF, pA, nS/pA/mV (x 1000, x 1000, x 1000 / x 1000 / x 1); times (ms), voltages (mV),
rates (Hz) and the AdEx ``a`` (nS) stay.  Time conventions (NEST's, see
:mod:`neurosim.pynn.simulator`): ``t_ref = tau_refrac + dt``; SpikeSourceArray times are moved to
the end of the step they fall in (NEST's ``spike_generator``), a time on the grid staying where
it is; every spike, of a neuron or a source, is reported at the end of its step (neurosim's stamp
+ dt); a delay ``d`` becomes ``d + dt`` in neurosim (``d`` onto IF_curr_delta cells, whose jump
NEST applies in the step the spike arrives).

| PyNN cell type | neurosim model | receptors ``excitatory`` / ``inhibitory`` |
|---|---|---|
| IF_curr_exp | LIFCurr | exponential currents (tau_syn_E / tau_syn_I, pA) |
| IF_curr_alpha | LIFCurr | alpha currents |
| IF_curr_delta | LIFCurr | delta (mV jumps) |
| IF_cond_exp | LIFCond (g_leak = cm / tau_m) | exponential conductances (e_rev_E / e_rev_I) |
| IF_cond_alpha | LIFCond | alpha conductances |
| EIF_cond_exp_isfa_ista | AdEx (v_t = v_thresh, v_peak = v_spike, delta_t = delta_T) | exponential conductances |
| EIF_cond_alpha_isfa_ista | AdEx | alpha conductances |
| SpikeSourcePoisson | Poisson source (rate from start for duration) | |
| SpikeSourceArray | spike generator | |
| SpikeSourceGamma | gamma_source (shape alpha, rate beta / alpha) | |
| SpikeSourcePoissonRefractory | poisson_refractory (dead time tau_refrac) | |
"""
from __future__ import annotations

import numpy as np

from pyNN import errors

from ..errors import SpecError
from ..spec.receptors import Receptor, Delta, Alpha
from ..spec.neurons import LIFCond, LIFCurr
from ..spec.adex import AdEx

SOURCES = ("SpikeSourcePoisson", "SpikeSourceArray", "SpikeSourceGamma", "SpikeSourcePoissonRefractory")
NEURONS = ("IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "IF_cond_exp", "IF_cond_alpha",
           "EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista")
RECEPTOR_PARAMETERS = ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")
NEVER = 1e9   # ms
MAX_CHANNELS = 16   # distinct (tau_syn, e_rev) pairs of one receptor type in one population: start/stop times beyond this are "never" (PyNN's defaults are 1e10 and 1e12)


PSRS = ("CurrExpPostSynapticResponse", "CondExpPostSynapticResponse", "CondAlphaPostSynapticResponse",
        "CondBetaPostSynapticResponse")


def kind_of(celltype) -> str:
    return type(celltype).__name__


def neuron_kind(celltype) -> str:
    """The standard cell type whose neuron equations ``celltype`` has (a PointNeuron's LIF is an
    IF_curr or IF_cond cell by its receptors, its AdExp an EIF cell)."""
    kind = kind_of(celltype)
    if kind != "PointNeuron":
        return kind
    if kind_of(celltype.neuron) == "AdExp":
        return "EIF_cond_point"
    return "IF_cond_point" if celltype.conductance_based else "IF_curr_point"


def check_celltype(celltype, size):
    kind = kind_of(celltype)
    if kind == "PointNeuron":
        if kind_of(celltype.neuron) not in ("LIF", "AdExp"):
            raise NotImplementedError(f"neurosim.pynn: PointNeuron needs a LIF or AdExp neuron, got "
                                      f"{kind_of(celltype.neuron)}")
        for name, psr in celltype.post_synaptic_receptors.items():
            if kind_of(psr) not in PSRS:
                raise NotImplementedError(f"neurosim.pynn: receptor {name!r} is a {kind_of(psr)}; available: {PSRS}")
            if not name.replace("_", "a").isalnum():
                raise errors.InvalidParameterValueError(f"receptor name {name!r}: letters, digits and '_' only")
        if kind_of(celltype.neuron) == "AdExp" and not celltype.conductance_based:
            raise NotImplementedError("neurosim.pynn: an AdExp PointNeuron needs conductance-based receptors")
        return
    if kind not in SOURCES + NEURONS:
        raise NotImplementedError(f"neurosim.pynn has no {kind} cell type; available: {list(NEURONS + SOURCES)}"
                                  " and PointNeuron(LIF | AdExp, receptors)")


def is_delta(post_root) -> bool:
    return kind_of(post_root.celltype) == "IF_curr_delta"


def native_delay(delay, post_root, dt):
    """neurosim delays (ms) of PyNN delays ``delay`` onto ``post_root``'s cells (see the module
    docstring): a PyNN spike stamped at the end of step k is neurosim's spike of step k, and NEST
    applies an arriving current after the step's membrane update (neurosim: during the next step),
    but a delta jump in the arrival step itself."""
    return np.asarray(delay, float) + (0.0 if is_delta(post_root) else dt)


def weight_factor(post_root) -> float:
    """neurosim weight units per PyNN weight unit for synapses onto ``post_root``'s cells."""
    return 1.0 if kind_of(post_root.celltype) == "IF_curr_delta" else 1000.0


# ---------------------------------------------------------------------------------- neurons
def neuron_values(kind, P, dt) -> dict:
    """neurosim parameters (per-neuron arrays, neurosim units) of a PyNN neuron population."""
    cm = 1000.0 * P["cm"]                       # nF -> pF
    out = {"c_m": cm, "v_rest": P["v_rest"], "v_reset": P["v_reset"], "t_ref": P["tau_refrac"] + dt,
           "i_bias": 1000.0 * P["i_offset"]}    # nA -> pA
    if kind.startswith("IF_curr"):
        out.update(tau_m=P["tau_m"], v_th=P["v_thresh"])
    elif kind.startswith("IF_cond"):
        out.update(g_leak=cm / P["tau_m"], v_th=P["v_thresh"])
    else:   # EIF
        out.update(g_leak=cm / P["tau_m"], v_t=P["v_thresh"], delta_t=P["delta_T"], v_peak=P["v_spike"],
                   a=P["a"], b=1000.0 * P["b"], tau_w=P["tau_w"])
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in out.items()}


def _compact(values: dict) -> dict:
    return {k: (float(v[0]) if v.size and np.all(v == v[0]) else v) for k, v in values.items()}


def neuron_model(kind, P, dt):
    """The neurosim model (LIFCurr, LIFCond or AdEx) of a PyNN neuron population."""
    values = _compact(neuron_values(kind, P, dt))
    if kind.startswith("IF_curr"):
        return LIFCurr(**values)
    if kind.startswith("IF_cond"):
        return LIFCond(**values)
    return AdEx(**values)


def _uniform(pop, P, name) -> float:
    v = np.asarray(P[name], dtype=float)
    if v.size and not np.all(v == v[0]):
        raise errors.InvalidParameterValueError(
            f"neurosim.pynn: {name} of {kind_of(pop.celltype)} population {pop.label!r} must be the same for every "
            f"cell; got values from {v.min():g} to {v.max():g} ms. Split the population into groups with one "
            "value each")
    return float(v[0]) if v.size else 0.0


def receptors(pop, P=None) -> dict:
    """Receptor channels of a PyNN neuron population: ``{'excitatory': (channels, cell_channel),
    'inhibitory': (...)}`` with ``channels`` a list of neurosim Receptors and ``cell_channel`` the
    (n,) index of each cell's channel in it.  neurosim keeps one time constant (``tau_syn_*``, ms)
    and reversal potential (``e_rev_*``, mV) per channel of a population, so cells that differ get
    one channel per distinct value (named ``exc``/``inh`` when all cells agree, else ``exc0``,
    ``exc1``, ...); a cell's synapses of that type all go to its own channel, so its conductance
    (current) is the sum over the channels (the others stay 0).  A PointNeuron has one channel
    per named receptor (``{'AMPA': ([Receptor 'AMPA'], zeros), ...}``)."""
    P = pop._parameters if P is None else P
    kind = kind_of(pop.celltype)
    if kind == "PointNeuron":
        cells = np.zeros(pop.size, np.int64)
        return {name: ([_psr(pop, P, name, psr)], cells) for name, psr in pop.celltype.post_synaptic_receptors.items()}
    if kind == "IF_curr_delta":
        cells = np.zeros(pop.size, np.int64)
        return {"excitatory": ([Delta("exc")], cells), "inhibitory": ([Delta("inh")], cells)}
    out = {}
    for ptype, short, suffix in (("excitatory", "exc", "E"), ("inhibitory", "inh", "I")):
        tau = np.asarray(P[f"tau_syn_{suffix}"], dtype=float).reshape(-1)
        erev = np.zeros_like(tau) if kind.startswith("IF_curr") else \
            np.asarray(P[f"e_rev_{suffix}"], dtype=float).reshape(-1)
        values, cells = np.unique(np.stack([tau, erev], axis=1), axis=0, return_inverse=True)
        if len(values) > MAX_CHANNELS:
            raise errors.InvalidParameterValueError(
                f"neurosim.pynn: population {pop.label!r} has {len(values)} distinct (tau_syn_{suffix}, "
                f"e_rev_{suffix}) pairs; neurosim keeps one receptor channel per distinct pair (each a state "
                f"variable of every cell of the population), at most {MAX_CHANNELS}: give tau_syn_{suffix} and "
                f"e_rev_{suffix} a few values (e.g. groups of cells), not one per cell")
        made = []
        for g, (t, e) in enumerate(values):
            name = short if len(values) == 1 else f"{short}{g}"
            e = None if kind.startswith("IF_curr") else float(e)
            made.append(Alpha(name, float(t), e) if "alpha" in kind else Receptor(name, tau_decay=float(t), e_rev=e))
        out[ptype] = (made, np.asarray(cells, np.int64).reshape(-1))
    return out


def same_receptors(a: dict, b: dict) -> bool:
    """Whether two :func:`receptors` layouts are equal (channels and each cell's channel)."""
    return a.keys() == b.keys() and all(a[k][0] == b[k][0] and np.array_equal(a[k][1], b[k][1]) for k in a)


def _psr(pop, P, name, psr) -> Receptor:
    """A PointNeuron's receptor ``name`` as a neurosim channel of that name."""
    kind = kind_of(psr)
    one = lambda key: _uniform(pop, P, f"{name}.{key}")   # noqa: E731
    if kind == "CurrExpPostSynapticResponse":
        return Receptor(name, tau_decay=one("tau_syn"), e_rev=None)
    if kind == "CondExpPostSynapticResponse":
        return Receptor(name, tau_decay=one("tau_syn"), e_rev=one("e_syn"))
    if kind == "CondAlphaPostSynapticResponse":
        return Alpha(name, one("tau_syn"), one("e_syn"))
    return Receptor(name, tau_decay=one("tau_decay"), tau_rise=one("tau_rise"), e_rev=one("e_syn"))


def receptor_parameter(name) -> bool:
    """Is ``name`` a parameter of a population's receptors (laid out when neurosim builds)?"""
    return name in RECEPTOR_PARAMETERS or "." in name


# ---------------------------------------------------------------------------------- sources
def on_grid_end(times, dt):
    """Spike times moved to the end of the step they fall in (NEST's spike_generator): ``t`` on the
    grid (within 1e-6 of a step) stays, any other goes up to the next grid point."""
    steps = np.ceil(np.asarray(times, dtype=float) / dt - 1e-6)
    return np.maximum(steps, 0) * dt


def array_spikes(P, dt, exact=False):
    """(neurosim times, ids) of a SpikeSourceArray population's ``spike_times`` (one Sequence per
    cell); with ``exact`` also the times as given (the first one given in each step).  A time ``t``
    is delivered at the end of the step it falls in (``on_grid_end``), the NEST stamp; neurosim
    stamps the start of a step, so the generator fires one step before that stamp (as a neuron's
    spike, reported ``+ dt``)."""
    times, ids, given = [], [], []
    for i, seq in enumerate(P["spike_times"]):
        t = np.sort(np.asarray(getattr(seq, "value", seq), dtype=float).reshape(-1))
        grid = on_grid_end(t, dt)
        grid, first = np.unique(grid, return_index=True)      # one spike per step and source
        times.append(grid - dt)
        given.append(t[first])
        ids.append(np.full(grid.size, i, np.int64))
    if not times:
        out = (np.zeros(0), np.zeros(0, np.int64))
        return out + (np.zeros(0),) if exact else out
    out = (np.maximum(np.concatenate(times), 0.0), np.concatenate(ids))
    return out + (np.concatenate(given),) if exact else out


def _window(P, dt):
    start = np.round(np.asarray(P["start"], float) / dt) * dt
    stop = np.round((np.asarray(P["start"], float) + np.asarray(P["duration"], float)) / dt) * dt
    return start, stop


def poisson_schedule(P, dt):
    """A Schedule of a SpikeSourcePoisson population's rates: ``rate`` from ``start`` for ``duration``."""
    from ..spec.inputs import Schedule
    rate = np.asarray(P["rate"], float)
    start, stop = _window(P, dt)
    times = np.unique(np.concatenate([[0.0], start, stop[stop < NEVER]]))
    times = times[times < NEVER]
    on = (start[None, :] <= times[:, None]) & (times[:, None] < stop[None, :])
    return Schedule(times, np.where(on, rate[None, :], 0.0))


def source_window(pop, P, dt):
    start, stop = _window(P, dt)
    s = _uniform(pop, {"start": start}, "start")
    e = _uniform(pop, {"stop": stop}, "stop")
    return s, (None if e >= NEVER else e)


# ---------------------------------------------------------------------------------- checks
def check_parameters(pop, P):
    """Refuse bad parameter values before anything is built (PyNN's InvalidParameterValueError)."""
    kind = kind_of(pop.celltype)
    try:
        if kind == "SpikeSourceArray":
            for i, seq in enumerate(P["spike_times"]):
                t = np.asarray(getattr(seq, "value", seq), dtype=float).reshape(-1)
                if t.size and (np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)) or t.min() <= 0):
                    raise errors.InvalidParameterValueError(
                        f"SpikeSourceArray {pop.label!r}: spike_times of cell {i} must be finite, > 0 ms (a spike "
                        f"is delivered at the end of its step, so t = 0 cannot be; NEST refuses it too) and in "
                        f"increasing order, got {t.tolist()[:10]}")
        elif kind in SOURCES:
            for name in P:
                v = np.asarray(P[name], float)
                if not np.all(np.isfinite(v)) or np.any(v < 0):
                    raise errors.InvalidParameterValueError(
                        f"{kind} {pop.label!r}: {name} must be finite and >= 0, got {v.min():g}")
        else:
            from .simulator import state
            neuron_model(neuron_kind(pop.celltype), P, state.dt)
            receptors(pop, P)
    except SpecError as e:
        raise errors.InvalidParameterValueError(f"population {pop.label!r} ({kind}, PyNN units: cm nF, i_offset nA, "
                                                f"b nA; neurosim's names and units in the message): {e}") from e
