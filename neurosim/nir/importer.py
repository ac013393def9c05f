"""``from_nir``: a NIR graph (nir 1.0) as a neurosim :class:`~neurosim.Network`.

Nodes become populations or synapses:

* ``Input`` -> a spike generator population (its spikes set with ``net.nir.set_input``);
* ``LIF``, ``CubaLIF``, ``LI``, ``CubaLI``, ``IF`` -> a ``LIFCurr`` population
  (:mod:`neurosim.nir.params`);
* chains of ``Affine``, ``Linear``, ``Scale``, ``Flatten``, ``Conv2d`` and ``Delay`` between two
  populations -> one projection with explicit ``pre``/``post``/``w``/``delay`` arrays
  (:func:`neurosim.from_arrays`); Conv2d is expanded into every (input pixel, output pixel) pair;
  biases become injected currents;
* ``Output`` -> marks the population that feeds it as a readout (spike monitor).

Time alignment.  NIR has no transmission delay; neurosim delivers a spike one step (``dt``) after
it is emitted at the earliest.  Each population gets a *latency* ``L`` (steps): 0 for inputs,
``1 + max L`` of the populations feeding it otherwise.  A projection from a population of
latency ``L_pre`` to one of latency ``L_post`` gets the delay ``L_post - L_pre`` steps (plus the
delays of NIR Delay nodes on the way), and a population's bias current is switched on at
``L dt``.  So every population follows the NIR dynamics exactly, shifted by ``L dt``: an
input spike in step ``k`` is seen by a population of latency ``L`` in step ``k + L``.
"""
from __future__ import annotations

import os
import re

import numpy as np

from ..errors import SpecError
from ..network import Network
from ..spec.connectors import from_arrays
from ..spec.inputs import steps
from ..spec.neurons import LIFCurr
from ..spec.receptors import Delta, ExpCurrent
from . import import_ops as ops
from .import_run import NIRModel
from .params import INTEGRATIONS, NEURON_TYPES, delay_steps, map_neuron, param

LINEAR_TYPES = ("Affine", "Linear", "Scale", "Flatten", "Conv2d", "Delay")
SUPPORTED = ("Input", "Output") + NEURON_TYPES + LINEAR_TYPES


class _Term:
    """Spikes of population ``src`` through the linear map ``op`` (None: identity), delayed by
    ``d_pre[i]`` steps per source neuron and ``d_post[j]`` per output element."""

    def __init__(self, src, op, d_pre, d_post):
        self.src, self.op, self.d_pre, self.d_post = src, op, d_pre, d_post


def _read(graph):
    import nir
    if isinstance(graph, (str, os.PathLike)):
        if not os.path.exists(graph):
            raise SpecError(f"from_nir: no NIR file at {os.fspath(graph)!r}")
        graph = nir.read(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise SpecError(f"from_nir: graph must be a nir.NIRGraph or the path of a NIR HDF5 file, got "
                        f"{type(graph).__name__}")
    return graph


def _topological(graph, preds):
    """Node names in an order where every node follows its predecessors; SpecError on a cycle."""
    indeg = {k: len(v) for k, v in preds.items()}
    succ = {k: [] for k in graph.nodes}
    for dst, srcs in preds.items():
        for s in srcs:
            succ[s].append(dst)
    ready = [k for k in graph.nodes if indeg[k] == 0]
    order = []
    while ready:
        k = ready.pop(0)
        order.append(k)
        for d in succ[k]:
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    if len(order) < len(graph.nodes):
        left = sorted(set(graph.nodes) - set(order))
        raise SpecError(f"from_nir: the graph has a cycle (recurrent edges) through the nodes {left}; neurosim "
                        "imports feed-forward NIR graphs only (no recurrent edges, no RLeaky/RSynaptic subgraphs)")
    return order


def _shape(node, attr):
    t = getattr(node, attr, None) or {}
    v = next(iter(t.values()), None) if isinstance(t, dict) else None
    return None if v is None else tuple(int(x) for x in np.asarray(v).reshape(-1))


def _uniform(d):
    return d.size == 0 or np.all(d == d[0])


def _safe_name(key, taken):
    base = re.sub(r"[^A-Za-z0-9_]", "_", str(key)) or "node"
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def from_nir(graph, dt: float, *, integration: str = "exact", batch: int = 1, seed: int = 0,
             dtype: str = "float64", record_v: bool = False, t_ref=None) -> Network:
    """Build a :class:`~neurosim.Network` from a NIR graph.

    Parameters
    ----------
    graph : a ``nir.NIRGraph`` or the path of a NIR HDF5 file (``nir.read``)
    dt : time step (ms).  Required: NIR graphs do not store one, but a spike's effect depends on it
        (a spike is the value 1 held for one step: its area is ``dt``; snnTorch exports assume
        dt = 1e-4 s = 0.1 ms)
    integration : ``"exact"`` (neurosim's exact propagators on the NIR ODEs) or ``"euler"``
        (reproduce the forward-Euler recursion of discrete-time simulators such as snnTorch step for
        step; :mod:`neurosim.nir.params`)
    batch : trials run side by side (one input sample per trial)
    seed, dtype : as :class:`~neurosim.Network`
    record_v : also record the membrane potential ``v`` of the output populations every step
    t_ref : refractory period (ms) of every spiking population; default the node's metadata
        ``{"neurosim": {"t_ref_ms": ...}}``, else 0.  snnTorch's ``Synaptic(reset_mechanism="zero")``
        holds ``mem`` at 0 in the step after a spike: ``t_ref = 2 dt`` (docs/nir.md)

    Returns the Network; ``net.nir`` (:class:`~neurosim.nir.import_run.NIRModel`) sets the input
    spikes, runs with the latency added and reads the outputs.  Raises SpecError for node types
    neurosim cannot import (the message names the node and lists the allowed types), recurrent
    graphs and parameters outside neurosim's ranges.
    """
    if integration not in INTEGRATIONS:
        raise SpecError(f"from_nir: integration must be one of {INTEGRATIONS}, got {integration!r}")
    graph = _read(graph)
    net = Network(dt=dt, seed=seed, batch=batch, dtype=dtype)
    dt = net.dt
    import nir
    for key, node in graph.nodes.items():
        kind = type(node).__name__
        if isinstance(node, nir.NIRGraph):
            raise SpecError(f"from_nir: node {key!r} is a nested NIRGraph (a subgraph, e.g. snnTorch's RLeaky); "
                            f"neurosim imports flat graphs of the node types {', '.join(SUPPORTED)}")
        if kind not in SUPPORTED:
            raise SpecError(f"from_nir: node {key!r} has type {kind}, which neurosim cannot import; allowed: "
                            f"{', '.join(SUPPORTED)}")
    preds = {k: [] for k in graph.nodes}
    for edge in graph.edges:
        src, dst = edge
        for end in (src, dst):
            if end not in graph.nodes:
                raise SpecError(f"from_nir: edge {edge} names node {end!r}, which the graph does not have "
                                f"(nodes: {sorted(graph.nodes)})")
        preds[dst].append(src)
    order = _topological(graph, preds)
    shapes, sig, latency, pops, maps, outputs, inputs = {}, {}, {}, {}, {}, {}, {}
    taken = set()
    for key in order:
        node = graph.nodes[key]
        kind = type(node).__name__
        where = f"NIR node {key!r} ({kind})"
        ins = preds[key]
        if kind == "Input":
            if ins:
                raise SpecError(f"{where} has incoming edges from {ins}")
            shape = _shape(node, "input_type") or _shape(node, "output_type")
            if not shape:
                raise SpecError(f"{where}: input_type has no shape")
            n = int(np.prod(shape))
            name = _safe_name(key, taken)
            pops[key] = net.spike_generator(name, n, [], [])
            inputs[key] = (pops[key], shape)
            shapes[key], latency[key] = shape, 0
            sig[key] = ([_Term(key, None, np.zeros(n, np.int64), np.zeros(n, np.int64))], np.zeros(n))
            continue
        if not ins and kind not in NEURON_TYPES:
            raise SpecError(f"{where} has no incoming edge")
        in_shapes = [shapes[s] for s in ins]
        sizes = {int(np.prod(s)) for s in in_shapes}
        if len(sizes) > 1:
            raise SpecError(f"{where}: its inputs {ins} have different sizes {sorted(sizes)}")
        in_shape = in_shapes[0] if in_shapes else None
        n_in = sizes.pop() if in_shapes else None
        terms = [t for s in ins for t in sig[s][0]]
        bias = sum((sig[s][1] for s in ins), np.zeros(n_in or 0))
        if kind == "Output":
            if len(ins) != 1 or ins[0] not in pops:
                raise SpecError(f"{where}: an Output must be fed by exactly one neuron node or Input, got {ins} "
                                "(a linear readout without neurons cannot be imported: end the graph with LI or LIF)")
            outputs[key] = ins[0]
            shapes[key] = in_shape
            continue
        if kind in NEURON_TYPES:
            n = n_in if n_in is not None else int(np.size(node.r))      # a node fed by nothing: its own size
            nm = map_neuron(key, node, n, dt, integration)
            if t_ref is not None and nm.spiking:
                nm.model["t_ref"] = t_ref
            name = _safe_name(key, taken)
            try:
                model = LIFCurr(**nm.model)
            except SpecError as e:
                raise SpecError(f"{where}: {e}") from None
            pop = net.population(name, n, model)
            pops[key], maps[key] = pop, nm
            L = latency[key] = 1 + max((latency[t.src] for t in terms), default=0)
            receptor = Delta("delta") if nm.receptor[0] == "delta" else ExpCurrent(nm.receptor[1], name="I_syn")
            _connect(net, key, pop, nm, receptor, terms, latency, pops, dt, where)
            if np.any(bias != 0.0):
                net.inject(pop, steps([L * dt], (bias * nm.bias_scale)[None, :]))
                if nm.bias_event is not None:     # the synaptic filter's rise: one event at the onset
                    post = np.flatnonzero(bias)
                    onset = net.spike_generator(_safe_name(f"{name}_bias_onset", taken), 1, [(L - 1) * dt], [0])
                    net.connect(onset, pop, from_arrays(np.zeros(post.size, np.int64), post,
                                                        w=(bias * nm.bias_event)[post], delay=np.full(post.size, dt)),
                                receptor=receptor)
            shapes[key] = in_shape if in_shape is not None else (n,)
            sig[key] = ([_Term(key, None, np.zeros(n, np.int64), np.zeros(n, np.int64))], np.zeros(n))
            continue
        # linear nodes
        op, b_node, out_shape = _linear(key, node, kind, in_shape, n_in, dt, where)
        new_terms = []
        for t in terms:
            if kind == "Delay":
                new_terms.append(_Term(t.src, t.op, t.d_pre, t.d_post + op))
                continue
            if kind in ("Flatten",):
                new_terms.append(t)
                continue
            elementwise = t.op is None or (t.op.n_out == t.op.n_in and np.array_equal(t.op.rows, t.op.cols))
            if elementwise and kind != "Scale":      # delays still one per source neuron
                t = _Term(t.src, t.op, t.d_pre + t.d_post, np.zeros_like(t.d_post))
            if kind != "Scale" and not _uniform(t.d_post):
                raise SpecError(f"{where}: a Delay node with different delays per neuron lies between "
                                f"{t.src!r} and this weight node; neurosim needs per-neuron delays right after "
                                "a population or right before one (or one delay for all)")
            d_pre, d_post = t.d_pre, t.d_post
            if kind != "Scale":
                d_pre = d_pre + (int(d_post[0]) if d_post.size else 0)
                d_post = np.zeros(op.n_out, np.int64)
            new_terms.append(_Term(t.src, op if t.op is None else ops.compose(op, t.op), d_pre, d_post))
        if kind == "Delay" or kind == "Flatten":
            new_bias = bias
        else:
            new_bias = _apply(op, bias) + b_node
        shapes[key] = out_shape
        sig[key] = (new_terms, new_bias)
    if not inputs:
        raise SpecError("from_nir: the graph has no Input node")
    monitors = {}
    for out_key, pop_key in outputs.items():
        pop = pops[pop_key]
        spiking = pop_key not in maps or maps[pop_key].spiking
        mons = {"spikes": net.monitor(pop, "spikes")}
        if record_v and pop_key in maps:
            mons["v"] = net.monitor(pop, "v")
        monitors[out_key] = (pop, spiking, mons)
    net.nir = NIRModel(net, inputs, monitors, {pops[k].name: v for k, v in latency.items()}, integration)
    return net


def _apply(op, x):
    out = np.zeros(op.n_out)
    np.add.at(out, op.rows, op.vals * x[op.cols])
    return out


def _linear(key, node, kind, in_shape, n_in, dt, where):
    """(op, bias, out_shape): op a Coo (Delay: the (n,) delays in steps), bias (n_out,)."""
    if kind == "Delay":
        return delay_steps(key, node, n_in, dt), np.zeros(n_in), in_shape
    if kind == "Flatten":
        return None, np.zeros(n_in), ops.flatten_shape(in_shape, node.start_dim, node.end_dim, where)
    if kind == "Scale":
        s = param(key, kind, node, "scale", n_in)
        return ops.diagonal(s), np.zeros(n_in), in_shape
    if kind == "Conv2d":
        return ops.conv2d(node, in_shape, where)
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2:
        raise SpecError(f"{where}: weight must be a 2-D (n_out, n_in) matrix, got shape {w.shape}")
    if w.shape[1] != n_in:
        raise SpecError(f"{where}: weight has {w.shape[1]} inputs, but the node feeding it has {n_in} outputs")
    b = np.zeros(w.shape[0])
    if kind == "Affine":
        b = np.asarray(node.bias, dtype=np.float64).reshape(-1)
        if b.size != w.shape[0]:
            raise SpecError(f"{where}: bias has {b.size} values, weight has {w.shape[0]} outputs")
    return ops.dense(w), b, (w.shape[0],)


def _connect(net, key, pop, nm, receptor, terms, latency, pops, dt, where):
    """One projection per incoming term, weights scaled by the neuron mapping, delays aligned."""
    for t in terms:
        op = t.op if t.op is not None else ops.identity(pop.n)
        if op.n_out != pop.n:
            raise SpecError(f"{where}: receives {op.n_out} values from {t.src!r} but has {pop.n} neurons")
        keep = op.vals != 0.0
        pre, post = op.cols[keep], op.rows[keep]
        if pre.size == 0:
            continue
        w = op.vals[keep] * nm.weight_scale[post]
        d = latency[key] - latency[t.src] + t.d_pre[pre] + t.d_post[post]
        net.connect(pops[t.src], pop, from_arrays(pre, post, w=w, delay=d * dt), receptor=receptor)
