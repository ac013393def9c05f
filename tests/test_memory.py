"""The memory estimate made before a network is built (neurosim/memory.py): it matches the
arrays the build allocates, and a network that cannot fit is refused before any allocation."""
import importlib.util
import os

import numpy as np
import pytest

import neurosim as ns
from neurosim import memory
from neurosim.errors import InsufficientMemoryError
from neurosim.state.build import build_state

MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def load(name):
    spec = importlib.util.spec_from_file_location(f"neurosim_test_memory_{name}", os.path.join(MODELS, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_expected_synapse_counts():
    a = dict(n_pre=300, n_post=200)
    assert memory.expected_synapses(ns.all_to_all(), **a) == 60_000
    assert memory.expected_synapses(ns.all_to_all(allow_autapses=False), 300, 300, True) == 300 * 299
    assert memory.expected_synapses(ns.fixed_probability(0.05), **a) == pytest.approx(3000.0)
    assert memory.expected_synapses(ns.fixed_indegree(7), **a) == 7 * 200
    assert memory.expected_synapses(ns.fixed_outdegree(7), **a) == 7 * 300
    assert memory.expected_synapses(ns.one_to_one(), 50, 50) == 50
    assert memory.expected_synapses(ns.from_arrays([0, 1, 2], [2, 1, 0]), 3, 3) == 3


@pytest.mark.parametrize("case", ["coba", "coba_indegree", "song_plastic", "batch3_float32"])
def test_estimate_matches_the_arrays_of_the_built_state(case):
    if case == "coba":
        net = load("coba").build(seed=1, n=4000)
    elif case == "coba_indegree":
        net = load("coba").build(seed=1, n=2000, k_in=100)
    elif case == "song_plastic":
        net = load("song2000_stdp").build(seed=1, n_inputs=2000)
    else:
        net = ns.Network(dt=0.1, seed=1, batch=3, dtype="float32")
        a = net.population("a", 1500)
        net.connect(a, a, ns.fixed_probability(0.1), receptor="AMPA", weight=1.0, delay=ns.Uniform(0.1, 3.0))
    est = memory.estimate_bytes(net)
    state, _ = build_state(net)
    actual = memory.state_nbytes(state)
    n_syn = state.syn.post.size
    # fixed_probability draws: the count is within a few standard deviations of n_pre n_post p
    assert abs(est["synapses"] - n_syn) <= 5 * np.sqrt(max(n_syn, 1)), (est["synapses"], n_syn)
    # static layouts are measured exactly; plastic ones charge their traces (kept for every neuron)
    # and column pointers (post neurons only) to both populations: within 4 %
    tol = 0.04 if case == "song_plastic" else 0.02
    assert abs(est["total"] - actual) <= tol * actual, (est["total"], actual)


def test_too_big_is_refused_with_the_estimate_and_what_is_available():
    net = load("coba").build(seed=1, n=20000)              # 8e6 synapses
    est = memory.estimate_bytes(net)
    assert est["synapses"] == pytest.approx(20000 * 20000 * 0.02)
    with pytest.raises(InsufficientMemoryError) as err:
        memory.check_memory(net, available=100_000_000)
    msg = str(err.value)
    assert f"needs ~{est['peak'] / 1e9:.3g} GB" in msg and "0.1 GB available" in msg and "8e+06 synapses" in msg
    assert isinstance(err.value, MemoryError) and isinstance(err.value, ns.NeurosimError)
    assert memory.check_memory(net, available=int(est["peak"]) + 1) == est


def test_run_refuses_before_allocating(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 50_000_000)
    net = load("coba").build(seed=1, n=20000)
    with pytest.raises(InsufficientMemoryError, match="50 MB|0.05 GB available"):
        net.run(1.0)
    assert net._sim is None and net.t == 0.0
    # small networks are never refused, whatever the reading
    small = load("coba").build(seed=1, n=200)
    small.run(1.0)
    assert small.t == pytest.approx(1.0)


def test_available_memory_is_read():
    avail = memory.available_bytes()
    assert avail is None or avail > 0
