"""The network as data (neurosim/spec/network.py): every model script's network survives
``to_dict`` -> JSON -> ``from_dict``, and the spec read back builds the very same arrays
(``build_state``), bit for bit; arrays stay arrays in the dict (no copy into lists)."""
import glob
import importlib.util
import json
import os

import numpy as np
import pytest

import neurosim as ns
from neurosim.spec.network import NetworkSpec, json_default
from neurosim.state.build import build_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = {"coba": {"n": 400}, "cuba": {"n": 400}, "brunel2000": {"n": 500}, "wang2002": {"n": 400}}
MODELS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "models", "*.py"))
                if not p.endswith("mnist_bridge.py"))


def _model(name):
    spec = importlib.util.spec_from_file_location(f"neurosim_spec_model_{name}", os.path.join(ROOT, "models",
                                                                                             f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    params = dict(mod.DEFAULTS)
    params.update({k: v for k, v in SMALL.get(name, {}).items() if k in params})
    return mod.build(seed=5, **params)


def _flat(state):
    """{path: array} of every array of a SimState."""
    out = {}
    for part, nt in zip(state._fields, state):
        for f, a in zip(nt._fields, nt):
            out[f"{part}.{f}"] = np.asarray(a)
    return out


def _assert_same_state(a, b):
    fa, fb = _flat(a), _flat(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        assert fa[k].dtype == fb[k].dtype and fa[k].shape == fb[k].shape, k
        assert np.array_equal(fa[k], fb[k], equal_nan=True), k


@pytest.mark.parametrize("name", MODELS)
def test_model_spec_round_trip(name):
    net = _model(name)
    spec = net.spec()
    text = spec.to_json()
    back = NetworkSpec.from_dict(text)
    # the text of the spec read back is the text written, and both build the same arrays
    assert json.loads(back.to_json()) == json.loads(text)
    _assert_same_state(build_state(spec)[0], build_state(back)[0])
    # the builder replaying the dict (Network.from_spec) gives that spec too
    again = ns.Network.from_spec(json.loads(text), callbacks=_callbacks(net))
    assert json.loads(again.to_json()) == json.loads(text)


def _callbacks(net):
    return {name: cb for name, (_, cb) in zip(net._callback_names, net._controllers)}


def test_heterogeneous_parameters_and_changes_survive_the_round_trip():
    """Per-neuron arrays, distributions, parameters set later, initial values and replaced
    weights are all in the dict: the network read back builds the same arrays."""
    net = ns.Network(dt=0.1, seed=11)
    rng = np.random.default_rng(0)
    a = net.population("a", 30, ns.LIFCond(c_m=rng.uniform(150, 250, 30), t_ref=ns.Uniform(1.0, 3.0),
                                           a=2.0, b=ns.Normal(20.0, 2.0)))
    b = net.population("b", 20, ns.LIFCurr(tau_m=ns.Normal(10.0, 1.0), v_th=rng.uniform(-56, -54, 20)))
    src = net.poisson("src", 10, 20.0)
    net.connect(src, a, ns.fixed_probability(0.5), receptor="AMPA", weight=1.0)
    q = net.connect(src, b, ns.fixed_probability(0.5), receptor=ns.ExpCurrent(tau_decay=3.0, name="I_exc"),
                    weight=1.0)
    fa = net.connect(a, b, ns.from_arrays(np.arange(20), np.arange(20)[::-1], w=np.linspace(0.5, 1.0, 20)),
                receptor=ns.ExpCurrent(tau_decay=3.0, name="I_exc"), weight=1.0)
    a.set(tau_m=ns.Uniform(15.0, 25.0), i_bias=np.linspace(0, 50, 30))
    b.initialize(v=ns.Uniform(-70.0, -60.0))
    q.set(weight=ns.LogNormal(1.0, 0.2))
    fa.set(weight=2.0)    # replaces the connector's own weights
    spec = net.spec()
    back = NetworkSpec.from_dict(spec.to_json())
    _assert_same_state(build_state(spec)[0], build_state(back)[0])
    # the other seed changes the draws (the check above can fail)
    other = build_state(back, seed=12)[0]
    assert not np.array_equal(other.neurons.g_leak, build_state(spec)[0].neurons.g_leak)


def test_arrays_stay_arrays():
    """A network given its synapses as arrays keeps them as those arrays in the dict (Result.spec
    is made on every run()); JSON text gets lists."""
    pre = np.arange(1000) % 50
    post = np.arange(1000) % 40
    w = np.linspace(0.1, 1.0, 1000)
    net = ns.Network(dt=0.1, seed=1)
    a = net.population("a", 50, ns.LIFCond())
    b = net.population("b", 40, ns.LIFCond())
    conn = ns.from_arrays(pre, post, w=w)
    net.connect(a, b, conn, receptor="AMPA")
    d = net.to_spec()
    c = d["projections"][0]["connector"]
    assert isinstance(c["w"], np.ndarray) and np.shares_memory(c["w"], conn.w)
    assert json.loads(json.dumps(d, default=json_default))["projections"][0]["connector"]["w"] == conn.w.tolist()


def test_unknown_version_and_names_are_refused():
    net = ns.Network(dt=0.1, seed=1)
    net.population("a", 5)
    d = net.to_spec()
    with pytest.raises(ns.SpecError, match="version 99"):
        NetworkSpec.from_dict(dict(d, version=99))
    d2 = json.loads(net.to_json())
    d2["monitors"] = [{"pop": "nope", "what": "spikes", "indices": None}]
    with pytest.raises(ns.SpecError, match="unknown population 'nope'"):
        NetworkSpec.from_dict(d2)


def test_a_spec_read_from_a_dict_gets_the_builders_checks():
    """NetworkSpec.from_dict runs the checks connect runs (the same functions): a dict edited by
    hand into something connect would refuse is refused, naming the projection."""
    net = ns.Network(dt=0.1, seed=1)
    a = net.population("a", 5)
    net.connect(a, a, ns.all_to_all(), receptor="AMPA", weight=1.0, delay=1.0)
    good = json.loads(net.to_json())
    NetworkSpec.from_dict(good)
    for edit, pattern in [(lambda d: d["projections"][0].update(delay=0.05), r"'a_to_a'.*delay must be >= dt"),
                          (lambda d: d["projections"][0].update(weight=-1.0), r"'a_to_a'.*weight must be >= 0 nS"),
                          (lambda d: d["projections"].append(dict(d["projections"][0])), "names used twice"),
                          (lambda d: d["populations"][0]["model"].update(c_m=[200.0] * 4), "c_m has 4 values")]:
        bad = json.loads(json.dumps(good))
        edit(bad)
        with pytest.raises(ns.SpecError, match=pattern):
            NetworkSpec.from_dict(bad)
