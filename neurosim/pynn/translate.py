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
NEVER = 1e9   # ms: start/stop times beyond this are "never" (PyNN's defaults are 1e10 and 1e12)


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
            f"neurosim.pynn: {name} of population {pop.label!r} must be the same for every cell (neurosim keeps "
            f"one {name} per receptor channel of a population); got values from {v.min():g} to {v.max():g}. "
            "Split the population into groups with one value each")
    return float(v[0]) if v.size else 0.0


def receptors(pop, P=None) -> dict:
    """{receptor type: Receptor} of a PyNN neuron population ('excitatory'/'inhibitory', or a
    PointNeuron's receptor names)."""
    P = pop._parameters if P is None else P
    kind = kind_of(pop.celltype)
    if kind == "PointNeuron":
        return {name: _psr(pop, P, name, psr) for name, psr in pop.celltype.post_synaptic_receptors.items()}
    if kind == "IF_curr_delta":
        return {"excitatory": Delta("exc"), "inhibitory": Delta("inh")}
    taus = [_uniform(pop, P, "tau_syn_E"), _uniform(pop, P, "tau_syn_I")]
    erev = [None, None] if kind.startswith("IF_curr") else [_uniform(pop, P, "e_rev_E"), _uniform(pop, P, "e_rev_I")]
    if "alpha" in kind:
        made = [Alpha(n, t, e) for n, t, e in zip(("exc", "inh"), taus, erev)]
    else:
        made = [Receptor(n, tau_decay=t, e_rev=e) for n, t, e in zip(("exc", "inh"), taus, erev)]
    return {"excitatory": made[0], "inhibitory": made[1]}


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
