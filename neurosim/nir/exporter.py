"""Export a neurosim network as an NIR graph: :func:`to_nir`.

NIR, the Neuromorphic Intermediate Representation (Pedersen et al. 2024, Nature Communications
15:8122; the ``nir`` package, 1.0.x), describes a network as continuous-time nodes joined by edges;
times are seconds, voltages and currents dimensionless.  neurosim's mapping (``docs/nir.md``):

=======================================  ================================================
neurosim                                 NIR
=======================================  ================================================
spike source population (Poisson,        ``Input`` (shape ``(n,)``; rates and spike
spike generator, gamma, ...)             times are per-trial data, not exported)
``LIFCurr`` population whose synapses    ``CubaLIF`` (``tau_syn`` = the receptor's
are ``ExpCurrent`` (``tau_rise`` = 0)    ``tau_decay``)
``LIFCurr`` population whose synapses    ``LIF``
are ``Delta`` (weights in mV)
projection (any connector)               ``Linear`` (``weight`` shape ``(n_post, n_pre)``),
                                         ``Affine`` for the first projection into a
                                         population with a bias current ``i_bias``
projection delay beyond one step         ``Delay`` (seconds) before the projection's node
population without outgoing projections  an ``Output`` node after it (``<name>_out``)
``t_ref``                                node metadata ``{"neurosim": {"t_ref_ms": ...}}``
=======================================  ================================================

Conventions (1 NIR voltage unit = 1 mV; ``dt`` is the step, in ms, of the program that will run
the graph: a spike there is the value 1 held for one step, an area of ``dt``):

* ``tau_mem`` (CubaLIF) / ``tau`` (LIF) = ``tau_m``; ``v_leak`` = ``v_rest``, ``v_threshold`` =
  ``v_th``, ``v_reset`` = ``v_reset`` (with ``voltage_origin="rest"`` all three minus ``v_rest``,
  so that ``v_leak`` = 0, which snnTorch's importer requires).
* The free gains are those snnTorch writes and its importer requires: ``r = tau_m / dt`` and
  ``w_in = tau_syn / dt``.  NIR's current is then ``I_pA / (g_leak r)`` with ``g_leak =
  c_m / tau_m`` (nS), so that ``r I`` is the same steady-state depolarisation in mV.
* ExpCurrent weight ``w`` (pA): a spike of area ``dt`` through ``w_in`` adds ``w_in W dt /
  tau_syn`` to the NIR current, hence ``W = w tau_syn / (g_leak r w_in dt)`` (= ``w dt / c_m``,
  mV: the per-step increment of snnTorch's ``syn``).
* Delta weight ``w`` (mV): an input spike of step k is taken to arrive at the start of the step
  (as an ExpCurrent input does) and moves an LIF node's ``v`` by ``r W dt / tau``, which then
  decays over the step, while neurosim adds its jump at the end of the step; hence ``W = w tau
  exp(dt/tau) / (r dt)`` (= ``w exp(dt/tau)``), the inverse of :func:`~neurosim.nir.from_nir`'s
  exact mapping (``from_nir(to_nir(net))`` gives the same ``v``).
* ``i_bias`` (pA) becomes the ``Affine`` bias ``b = i_bias / (g_leak r w_in)`` (CubaLIF) or
  ``i_bias / (g_leak r)`` (LIF).  In a CubaLIF the bias passes the synaptic filter: it reaches
  its full value after a few ``tau_syn`` instead of at once (neurosim adds it to the membrane).
* neurosim's minimum delay of one network step is a synapse's transmission step, not exported;
  the rest, ``delay - network dt``, becomes a ``Delay`` node (one uniform delay per projection).
* Refractoriness has no NIR equivalent: ``t_ref`` (ms) is written to the node's metadata
  ``{"neurosim": {"t_ref_ms": ...}}`` (a number, or one value per neuron), with ``population``,
  ``g_leak_nS`` and ``v_origin_mV`` (what was subtracted from every voltage).

Refused with a :class:`~neurosim.errors.SpecError` naming the part and what is allowed:
conductance-based and AdEx neurons, receptors other than ``ExpCurrent`` (single exponential) and
``Delta``, a population receiving both kinds or ``ExpCurrent`` with two time constants, plasticity
(STDP), short-term plasticity, stochastic release, neuromodulators, injected currents, Poisson
drive and generated currents (per-trial inputs: model them as spike-source populations), a
projection whose synapses have different delays, and a neuron population that receives no
projection.

``nir`` is imported inside :func:`to_nir` only; the network is used through its public API
(``Population.get``, ``Projection.get``), which builds it if it has not been built yet (the
connectivity is drawn from the network's seed).
"""
from __future__ import annotations

import os

import numpy as np

from ..errors import SpecError

__all__ = ["to_nir", "SNNTORCH_DT"]

#: The step (ms) snnTorch 1.0 assumes when it imports an NIR graph (``dt = 1e-4`` s in
#: ``snntorch/import_nir.py``); pass it as ``to_nir(..., dt=SNNTORCH_DT)`` for snnTorch.
SNNTORCH_DT = 0.1

VOLTAGE_ORIGINS = ("absolute", "rest")


def _network_of(source):
    """The :class:`~neurosim.network.Network` of ``source`` (a Network or a bridge ConvertedNetwork)."""
    from ..network import Network
    if isinstance(source, Network):
        return source
    net = getattr(source, "net", None)
    if isinstance(net, Network) and hasattr(source, "layers"):
        return net
    hint = ""
    if hasattr(source, "weights") and hasattr(source, "neuron"):
        hint = (" (a rate model: convert it first with neurosim.bridge.to_network(model, images, 'poisson', dt=...) "
                "and export the ConvertedNetwork)")
    raise SpecError(f"to_nir: source must be a neurosim Network or a bridge ConvertedNetwork, got "
                    f"{type(source).__name__}{hint}")


def _check_network(net):
    """Refuse what a graph of NIR nodes cannot carry (see the module docstring)."""
    from ..spec.neurons import LIFCurr
    what = {"currents": "injected currents (Network.inject)", "drives": "Poisson drive (Network.poisson_drive)",
            "generated_currents": "generated currents (inject_ac / inject_noise)"}
    for attr, text in what.items():
        items = getattr(net, attr)
        if items:
            raise SpecError(f"to_nir: population {items[0][0].name!r} receives {text}; these are per-trial inputs, "
                            "not part of an NIR graph.  Allowed inputs: spike-source populations (Network.poisson, "
                            "spike_generator, ...), exported as NIR Input nodes")
    if net.modulators or net.modulations:
        raise SpecError(f"to_nir: neuromodulators ({[m.name for m in net.modulators]}) have no NIR equivalent; "
                        "allowed: networks without modulators")
    for p in net.populations:
        if not p.is_source and not isinstance(p.model, LIFCurr):
            raise SpecError(f"to_nir: population {p.name!r} is {type(p.model).__name__}; NIR has no conductance-based "
                            "or adaptive neuron.  Allowed: LIFCurr populations (-> CubaLIF or LIF) and spike sources "
                            "(-> Input)")
    for q in net.projections:
        for attr, text in (("plasticity", "plasticity (STDP)"), ("short_term", "short-term plasticity"),
                           ("release_probability", "stochastic release")):
            if getattr(q, attr) is not None:
                raise SpecError(f"to_nir: projection {q.name!r} has {text}, which NIR cannot express; allowed: "
                                f"static synapses ({attr}=None)")
        if len(q.receptors) != 1:
            raise SpecError(f"to_nir: projection {q.name!r} has {len(q.receptors)} receptors; allowed: one "
                            "(ExpCurrent or Delta)")
        rec = q.receptors[0][0]
        if rec.conductance_based or not (rec.is_delta or (rec.kinetics == "exponential" and rec.tau_rise == 0)):
            kind = ("conductance-based" if rec.conductance_based else
                    f"kinetics={rec.kinetics!r}, tau_rise={rec.tau_rise:g} ms")
            raise SpecError(f"to_nir: projection {q.name!r} uses receptor {rec.name!r} ({kind}); allowed: "
                            "ExpCurrent (single exponential, tau_rise = 0; -> CubaLIF) or Delta (-> LIF)")


def _synapse_kind(net, pop):
    """("delta", None) or ("exp", tau_syn in ms) of the projections into ``pop``; SpecError if mixed."""
    incoming = [q for q in net.projections if q.post is pop]
    if not incoming:
        raise SpecError(f"to_nir: population {pop.name!r} receives no projection; an NIR neuron node needs an "
                        "incoming edge.  Allowed: neuron populations driven by projections from spike sources or "
                        "other populations")
    kinds = {("delta", None) if q.receptors[0][0].is_delta else ("exp", float(q.receptors[0][0].tau_decay))
             for q in incoming}
    if len(kinds) > 1:
        def kind(rec):
            return "Delta" if rec.is_delta else f"ExpCurrent tau_decay={rec.tau_decay:g} ms"
        desc = ", ".join(f"{q.name}: {kind(q.receptors[0][0])}" for q in incoming)
        raise SpecError(f"to_nir: population {pop.name!r} receives synapses of different kinds ({desc}); an NIR "
                        "CubaLIF has one synaptic current and an LIF none.  Allowed: all Delta, or all ExpCurrent "
                        "with one tau_decay")
    return incoming, kinds.pop()


def _uniform_delay(q):
    """The projection's one delay (ms); SpecError if its synapses differ."""
    d = np.asarray(q.get("delay"), np.float64)
    if d.size == 0:
        return float(q.net.dt)
    lo, hi = float(d.min()), float(d.max())
    if hi - lo > 1e-9 * max(abs(hi), 1.0):
        raise SpecError(f"to_nir: projection {q.name!r} has delays from {lo:g} to {hi:g} ms; NIR's Delay node "
                        "delays a whole edge.  Allowed: one delay per projection (split the projection, or give a "
                        "scalar delay)")
    return lo


def _value(a):
    """A per-neuron array as one float when uniform (metadata)."""
    a = np.asarray(a, np.float64)
    return float(a[0]) if a.size and np.all(a == a[0]) else a


def _unique(name, taken):
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def to_nir(source, *, dt, voltage_origin: str = "absolute", path=None, overwrite: bool = True):
    """The NIR graph (``nir.NIRGraph``) of a network of current-based LIF neurons.

    Parameters
    ----------
    source : a :class:`~neurosim.network.Network` or a bridge
        :class:`~neurosim.bridge.convert.ConvertedNetwork` (its ``net``)
    dt : step (ms) of the simulator that will run the graph, > 0: a spike there is 1 for one step,
        so its area (and hence every weight and bias) depends on it.  snnTorch uses 0.1 ms
        (:data:`SNNTORCH_DT`); to compare with neurosim, run neurosim at the same step
    voltage_origin : ``"absolute"`` (default): NIR voltages are neurosim's in mV (``v_leak`` =
        ``v_rest``); ``"rest"``: every voltage minus the population's ``v_rest`` (``v_leak`` = 0, as
        snnTorch's importer requires; the spikes are the same)
    path : if given, the graph is also written there with ``nir.write`` (atomically: a temporary
        file in the same folder renamed over ``path``)
    overwrite : replace an existing file at ``path`` (default True); else FileExistsError

    Returns the ``nir.NIRGraph``; its ``metadata["neurosim"]`` records ``dt_ms``, the network's
    ``network_dt_ms``, ``voltage_origin`` and the neurosim version.  Raises SpecError for what
    NIR cannot express (module docstring).  Builds the network if it has not been built.
    """
    import nir
    from .._version import __version__
    net = _network_of(source)
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (int, float, np.integer, np.floating)) \
            or not np.isfinite(dt) or dt <= 0:
        raise SpecError(f"to_nir: dt must be a step > 0 ms (snnTorch: {SNNTORCH_DT} ms), got {dt!r}")
    dt = float(dt)
    if voltage_origin not in VOLTAGE_ORIGINS:
        raise SpecError(f"to_nir: voltage_origin must be one of {VOLTAGE_ORIGINS}, got {voltage_origin!r}")
    _check_network(net)
    if not any(p.is_source for p in net.populations):
        raise SpecError("to_nir: the network has no spike-source population; an NIR graph starts from Input nodes.  "
                        "Allowed inputs: Network.poisson, spike_generator, ...")
    nodes, edges = {}, []
    taken = {p.name for p in net.populations} | {q.name for q in net.projections}
    targets = {}                         # population name -> (g_leak r w_in for currents, tau/(r dt) for W)
    for p in net.populations:
        if p.is_source:
            nodes[p.name] = nir.Input(input_type={"input": np.array([p.n])},
                                      metadata={"neurosim": {"population": p.name, "source": type(p.model).__name__}})
            continue
        incoming, (kind, tau_syn) = _synapse_kind(net, p)
        tau_m, c_m = p.get("tau_m"), p.get("c_m")
        g_leak = c_m / tau_m                                   # nS
        r = tau_m / dt
        origin = p.get("v_rest") if voltage_origin == "rest" else np.zeros(p.n)
        volts = dict(v_leak=p.get("v_rest") - origin, v_threshold=p.get("v_th") - origin,
                     v_reset=p.get("v_reset") - origin)
        meta = {"neurosim": {"population": p.name, "t_ref_ms": _value(p.get("t_ref")), "g_leak_nS": _value(g_leak),
                             "v_origin_mV": _value(origin)}}
        if kind == "exp":
            tau_s = np.full(p.n, tau_syn)
            w_in = tau_s / dt
            nodes[p.name] = nir.CubaLIF(tau_syn=tau_s * 1e-3, tau_mem=tau_m * 1e-3, r=r, w_in=w_in, **volts,
                                        metadata=meta)
            # W = w tau_syn / (g_leak r w_in dt); b = i_bias / (g_leak r w_in)
            targets[p.name] = (g_leak * r * w_in, tau_s / (g_leak * r * w_in * dt))
        else:
            nodes[p.name] = nir.LIF(tau=tau_m * 1e-3, r=r, **volts, metadata=meta)
            # jump r W dt / tau, decayed over the step, = w (mV): W = w tau exp(dt/tau) / (r dt);
            # b = i_bias / (g_leak r)
            targets[p.name] = (g_leak * r, tau_m / (r * dt) * np.exp(dt / tau_m))
        bias = p.get("i_bias")
        if np.any(bias != 0):
            targets[p.name] += (bias / targets[p.name][0],)
    for q in net.projections:
        w = np.nan_to_num(q.get("weight", format="array"), nan=0.0)          # (n_pre, n_post), pA or mV
        _, scale, *bias = targets[q.post.name]
        weight = w.T * scale[:, None]
        if bias:
            nodes[q.name] = nir.Affine(weight=weight, bias=bias[0])
            targets[q.post.name] = targets[q.post.name][:2]                  # the bias goes on one node only
        else:
            nodes[q.name] = nir.Linear(weight=weight)
        nodes[q.name].metadata = {"neurosim": {"projection": q.name, "receptor": q.receptors[0][0].name}}
        extra = _uniform_delay(q) - net.dt
        pre = q.pre.name
        if extra > 1e-9 * net.dt:
            dname = _unique(f"{q.name}_delay", taken)
            nodes[dname] = nir.Delay(delay=np.full(q.pre.n, extra * 1e-3),
                                     metadata={"neurosim": {"projection": q.name, "delay_ms": extra + net.dt}})
            edges.append((pre, dname))
            pre = dname
        edges += [(pre, q.name), (q.name, q.post.name)]
    senders = {q.pre.name for q in net.projections}
    for p in net.populations:
        if p.name not in senders:
            oname = _unique(f"{p.name}_out", taken)
            nodes[oname] = nir.Output(output_type={"output": np.array([p.n])})
            edges.append((p.name, oname))
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"neurosim": {
        "version": __version__, "dt_ms": dt, "network_dt_ms": float(net.dt), "voltage_origin": voltage_origin}})
    if path is not None:
        _write(graph, path, overwrite)
    return graph


def _write(graph, path, overwrite):
    """``nir.write`` through a temporary file renamed over ``path`` (neurosim.atomic)."""
    import nir
    from ..atomic import atomic_path
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"to_nir: {os.fspath(path)} exists (pass overwrite=True to replace it)")
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)
