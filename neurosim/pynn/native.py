"""PyNN's description laid out as a :class:`neurosim.Network`, and changes between runs written
into it.  One neurosim population per PyNN Population (named ``p<k>``), one neurosim projection
per (pre population, post population) pair of a PyNN Projection, built ``from_arrays`` in the
projection's own order of connections (sorted stably by pre, then post, which is neurosim's
order, so position ``k`` of the PyNN projection maps to a known synapse)."""
from __future__ import annotations

import numpy as np

from pyNN import errors

from ..errors import SpecError
from . import translate as T


# ---------------------------------------------------------------------------------- build
def build_network(state):
    import neurosim as ns
    net = ns.Network(dt=state.dt, seed=state.seed)
    for pop in state.populations:
        pop._native = _add_population(net, pop, state.dt)
    for prj in state.projections:
        _add_projection(net, prj, state.dt)
    for source in state.current_sources:
        source._add_native(net)
    for rec in state.recorders:
        rec._add_monitors(net)
    state.net = net
    net.build()


def _add_population(net, pop, dt):
    name, n, P, kind = f"p{pop._index}", pop.size, pop._parameters, T.kind_of(pop.celltype)
    if kind == "SpikeSourcePoisson":
        return net.poisson(name, n, T.poisson_schedule(P, dt))
    if kind == "SpikeSourceArray":
        times, ids = T.array_spikes(P, dt)
        return net.spike_generator(name, n, times, ids)
    if kind == "SpikeSourceGamma":
        start, stop = T.source_window(pop, P, dt)
        alpha = np.asarray(P["alpha"], float)
        return net.gamma_source(name, n, alpha, np.asarray(P["beta"], float) / alpha, start, stop)
    if kind == "SpikeSourcePoissonRefractory":
        start, stop = T.source_window(pop, P, dt)
        return net.poisson_refractory(name, n, np.asarray(P["rate"], float), np.asarray(P["tau_refrac"], float),
                                      start, stop)
    native = net.population(name, n, T.neuron_model(T.neuron_kind(pop.celltype), P, dt))
    pop._receptors = T.receptors(pop)
    init = _initial(pop)
    if init:
        native.initialize(**init)
    return native


def _initial(pop) -> dict:
    """neurosim initial values (v mV, w_adapt pA) from the population's PyNN initial values."""
    out = {}
    for var, lazy in pop.initial_values.items():
        values = np.asarray(lazy.evaluate(simplify=False), dtype=float).reshape(-1)
        if var == "v":
            out["v"] = values
        elif var == "w":
            out["w_adapt"] = 1000.0 * values           # nA -> pA
        elif np.any(values != 0):
            raise NotImplementedError(f"neurosim.pynn: initial values of {var!r} other than 0 are not supported "
                                      f"(population {pop.label!r})")
    return out


def _group_order(prj):
    """Groups of a projection's connections by (pre root, post root), each sorted stably by
    (pre, post) root index: [(pre root index, post root index, positions k)]."""
    pre_root, post_root = prj._pre_root[prj._pre], prj._post_root[prj._post]
    groups = []
    for a, b in sorted(set(zip(pre_root.tolist(), post_root.tolist()))):
        k = np.flatnonzero((pre_root == a) & (post_root == b))
        order = np.lexsort((prj._post_local[prj._post[k]], prj._pre_local[prj._pre[k]]))
        groups.append((a, b, k[order]))
    return groups


def _plasticity(prj, k, dt, native_delays):
    """The neurosim STDP rule of an STDPMechanism projection's synapses ``k`` (or None)."""
    st = prj.synapse_type
    if T.kind_of(st) != "STDPMechanism":
        return None
    import neurosim as ns
    v = prj._values
    one = lambda name: _one(prj, v[name][k], name)   # noqa: E731
    wd = T.kind_of(st.weight_dependence)
    post = prj.post if not hasattr(prj.post, "populations") else prj.post.populations[0]
    f = T.weight_factor(getattr(post, "grandparent", post))
    rule = {"AdditiveWeightDependence": "additive", "MultiplicativeWeightDependence": "multiplicative",
            "AdditivePotentiationMultiplicativeDepression": "van_rossum", "GutigWeightDependence": "gutig"}[wd]
    mu = 0.0
    if rule == "gutig":
        mu = one("mu_plus")
        if one("mu_minus") != mu:
            raise NotImplementedError("neurosim.pynn: GutigWeightDependence needs mu_plus == mu_minus (neurosim's "
                                      "Gütig rule has one exponent)")
    frac, delay = one("dendritic_delay_fraction"), one("delay")
    # PyNN: Delta t = t_post + f d - (t_pre + (1 - f) d) (NEST's end-of-step stamps; PyNN's default
    # f = 1: the whole delay dendritic); neurosim pairs (post stamp + dendritic delay) with (pre
    # stamp + its transmission delay d_ns), both stamps one step before NEST's: dd = (2f - 1) d + d_ns
    dendritic = (2.0 * frac - 1.0) * delay + _one(prj, native_delays, "delay")
    return ns.STDP(tau_plus=one("tau_plus"), tau_minus=one("tau_minus"), a_plus=one("A_plus"),
                   a_minus=one("A_minus"), w_min=f * one("w_min"), w_max=f * one("w_max"), rule=rule, mu=mu,
                   dendritic_delay=dendritic)


def _one(prj, values, name) -> float:
    values = np.asarray(values, float)
    if values.size and not np.all(values == values[0]):
        raise NotImplementedError(f"neurosim.pynn: {name} of projection {prj.label!r} must be the same for every "
                                  f"connection (got {values.min():g} to {values.max():g})")
    return float(values[0]) if values.size else 0.0


def _short_term(prj, k):
    """TsodyksMarkramSynapse as neurosim's three-state model (NEST's ``tsodyks_synapse``, which
    pyNN.nest uses), ``tau_psc`` the target channel's ``tau_syn`` (ms)."""
    if T.kind_of(prj.synapse_type) != "TsodyksMarkramSynapse":
        return None
    import neurosim as ns
    v = prj._values
    return ns.TsodyksMarkram(U=_one(prj, v["U"][k], "U"), tau_rec=_one(prj, v["tau_rec"][k], "tau_rec"),
                             tau_facil=_one(prj, v["tau_facil"][k], "tau_facil"), states=3)


def _release(prj, k):
    """SimpleStochasticSynapse's release probabilities ``p`` of synapses ``k`` (or None)."""
    if T.kind_of(prj.synapse_type) != "SimpleStochasticSynapse":
        return None
    return np.ascontiguousarray(prj._values["p"][k], dtype=float)


def _add_projection(net, prj, dt):
    import neurosim as ns
    from .simulator import state
    prj._natives = []
    for a, b, k in _group_order(prj):
        pre_root, post_root = state.populations[a], state.populations[b]
        channels, cell_channel = post_root._receptors[prj.receptor_type]
        channel_of = cell_channel[prj._post_local[prj._post[k]]]
        for c in np.unique(channel_of):     # one neurosim projection per receptor channel
            kc = k[channel_of == c]
            delay = T.native_delay(prj._values["delay"][kc], post_root, dt)
            weight = T.weight_factor(post_root) * prj._values["weight"][kc]
            conn = ns.from_arrays(prj._pre_local[prj._pre[kc]], prj._post_local[prj._post[kc]], w=weight, delay=delay)
            name = f"q{len(net.projections)}"
            native = net.connect(pre_root._native, post_root._native, conn, receptor=channels[c], weight=0.0,
                                 name=name, plasticity=_plasticity(prj, kc, dt, delay), short_term=_short_term(prj, kc),
                                 release_probability=_release(prj, kc))
            prj._natives.append((native, kc, T.weight_factor(post_root)))


# ---------------------------------------------------------------------------------- between runs
def carry_weights_back(state):
    """Copy the running network's (plastic) weights into the projections' arrays before it is
    discarded, so that a rebuild keeps them (PyNN's reset() keeps weights)."""
    for prj in state.projections:
        read_weights(prj)
        prj._natives = []
    for pop in state.populations:
        pop._native = None


def read_weights(prj):
    """Bring the running network's weights of a plastic projection into ``prj._values``."""
    if T.kind_of(prj.synapse_type) != "STDPMechanism":
        return
    for native, k, factor in prj._natives:
        if native.net.simulation is None:
            continue
        prj._values["weight"][k] = native.get("weight", format="list") / factor


def write_attributes(prj, changes):
    """``Projection.set``: new attribute values (PyNN units) per connection."""
    new = {name: np.array(vals, dtype=float) for name, vals in changes.items()}
    for name in new:
        if name not in prj._values:
            raise errors.NonExistentParameterError(name, type(prj.synapse_type).__name__, list(prj._values))
    check_connections(prj, prj._pre, prj._post, {**prj._values, **new})
    read_weights(prj)
    for name, vals in new.items():
        prj._values[name][:] = vals
    live = [n for n in new if n not in ("weight", "p")]
    from .simulator import state
    if live and prj._natives:
        state.mark_structure_changed(f"setting {live} of projection {prj.label!r} (neurosim lays delays and synapse "
                                     "parameters out when it builds)")
    if "weight" in new:
        for native, k, factor in prj._natives:
            native.set(weight=factor * prj._values["weight"][k])
    if "p" in new:
        for native, k, factor in prj._natives:
            native.set(release_probability=prj._values["p"][k])


def check_synapse_type(prj):
    kind = T.kind_of(prj.synapse_type)
    if kind not in ("StaticSynapse", "TsodyksMarkramSynapse", "STDPMechanism", "SimpleStochasticSynapse"):
        raise NotImplementedError(f"neurosim.pynn has no {kind}; available: StaticSynapse, TsodyksMarkramSynapse, "
                                  "STDPMechanism, SimpleStochasticSynapse")
    if kind == "STDPMechanism" and T.kind_of(prj.synapse_type.timing_dependence) != "SpikePairRule":
        raise NotImplementedError("neurosim.pynn: STDPMechanism supports the SpikePairRule timing dependence")


def check_connections(prj, pre, post, values):
    from .simulator import state
    d = values.get("delay")
    if d is not None and d.size:
        lo = state.dt if state.min_delay_setting() == "auto" else state.min_delay_setting()
        if np.any(~np.isfinite(d)) or d.min() < lo - 1e-9:
            raise errors.ConnectionError(f"projection {prj.label!r}: delays must be >= the minimum delay {lo:g} ms, "
                                         f"got {np.nanmin(d):g} ms")


def push_parameters(pop, old, names):
    """Write changed parameters of ``pop`` into the running network (or mark a rebuild)."""
    from .simulator import state
    native = pop._native
    if native is None:
        return
    kind = T.kind_of(pop.celltype)
    P, dt = pop._parameters, state.dt
    try:
        if kind == "SpikeSourcePoisson":
            native.set(rate=T.poisson_schedule(P, dt))
        elif kind == "SpikeSourceArray":
            times, ids = T.array_spikes(P, dt)
            native.set(times=times, ids=ids)
        elif kind in T.SOURCES:
            state.mark_structure_changed(f"changing {names} of {kind} {pop.label!r}")
        else:
            if any(T.receptor_parameter(n) for n in names):
                if not T.same_receptors(T.receptors(pop, P), T.receptors(pop, old)):
                    state.mark_structure_changed(f"changing {names} of population {pop.label!r} (synaptic time "
                                                 "constants and reversal potentials are laid out when neurosim builds)")
            native.set(**T.neuron_values(T.neuron_kind(pop.celltype), P, dt))
    except SpecError as e:
        raise errors.InvalidParameterValueError(str(e)) from e


def push_initial(pop, variable):
    """``initialize()`` on a laid-out population: write the value into the running network."""
    native = getattr(pop, "_native", None)
    if native is None or not pop.initial_values:
        return
    init = {k: v for k, v in _initial(pop).items() if k == {"w": "w_adapt"}.get(variable, variable)}
    if init:
        native.initialize(**init)
