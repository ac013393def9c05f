"""Bytes per synapse of a built network and ``Network.memory_report`` (issue 16, item 1): a static
synapse keeps a uint16 (or uint32) local post index, a uint8 (or uint16) delay in steps and a
float64 weight -- 11 bytes, <= 12 with its share of the row pointers -- and the wider index types
are chosen (and propagate spikes exactly) when a population or a delay needs them."""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim import memory


def _static_net(n_a=3000, n_b=1200):
    net = ns.Network(dt=0.1, seed=5)
    exc, inh = ns.ExpCurrent(0.5, name="I_e"), ns.ExpCurrent(0.5, name="I_i")
    a = net.population("a", n_a, ns.LIFCurr())
    b = net.population("b", n_b, ns.LIFCurr())
    net.connect(a, b, ns.fixed_total_number(150_000), receptor=exc, name="ab",
                weight=ns.Normal(80.0, 8.0, low=0.0), delay=ns.Normal(1.5, 0.75, low=0.1))
    net.connect(b, a, ns.fixed_probability(0.05), receptor=inh, name="ba", weight=-300.0, delay=0.8)
    net.connect(a, a, ns.fixed_indegree(40), receptor=exc, name="aa", weight=87.8, delay=ns.Uniform(0.5, 3.0))
    net.monitor(a, "spikes")
    return net


def test_static_synapses_take_at_most_12_bytes_each():
    net = _static_net()
    rep = net.memory_report()
    st = net._sim.state
    n_syn = st.syn.post.size
    assert n_syn == rep["n_synapses"] > 200_000
    # 2 (uint16 post) + 1 (uint8 delay) + 8 (float64 weight) bytes kept per synapse, nothing else
    kept = st.syn.post.nbytes + st.syn.delay.nbytes + st.syn.w.nbytes
    assert kept == 11 * n_syn
    # per projection: 11 bytes per synapse plus its (n_pre + 1) int64 row pointers
    n_pre = {"ab": 3000, "ba": 1200, "aa": 3000}
    counts = {q.name: len(net.connections(q)["pre"]) for q in net.projections}
    assert counts["ab"] == 150_000 and counts["aa"] == 40 * 3000
    for name, b in rep["synapses"].items():
        assert b == 11 * counts[name] + 8 * (n_pre[name] + 1), name
    assert rep["bytes_per_synapse"] == pytest.approx((11 * n_syn + 8 * (3000 + 1200 + 3000 + 3)) / n_syn)
    assert rep["bytes_per_synapse"] <= 12.0


def test_report_components_add_up_to_the_state():
    net = _static_net(1000, 400)
    net.run(20.0)
    rep = net.memory_report()
    st = net._sim.state
    every_array = sum(a.nbytes for part in st for a in part if isinstance(a, np.ndarray))
    assert rep["state_total"] == every_array
    parts = (rep["neurons"] + rep["ring_buffers"] + sum(rep["synapses"].values()) + rep["synapse_tables"]
             + rep["inputs"] + rep["recording"] - rep["recorded_chunks"])
    assert parts == every_array
    assert rep["total"] == every_array + rep["recorded_chunks"] and rep["recorded_chunks"] > 0
    # the ring buffer: (max delay steps + 1) slots x (2 channels x 1000 + 1 x 400 neurons) of float64
    max_steps = int(st.syn.delay.max())
    assert rep["ring_buffers"] == (max_steps + 1) * (2 * 1000 + 400) * 8
    text = net.memory_report(table=True)
    assert "synapses ab" in text and "bytes per synapse" in text


def test_wide_post_index_and_long_delays_propagate_exactly():
    """A post population above 65536 neurons gets uint32 indices, a delay above 255 steps uint16
    steps; one spike still arrives at the right neuron after the right delay: a delta synapse of
    w mV moves v of neuron 69999 (only) by w at t = t_spike + delay, then v decays as exp(-t/tau_m)."""
    n, w, tau_m, delay, t_spike = 70_000, 4.0, 10.0, 31.3, 2.0
    net = ns.Network(dt=0.1, seed=1)
    src = net.spike_generator("src", 1, times=[t_spike], ids=[0])
    cell = ns.LIFCurr(tau_m=tau_m, v_rest=-70.0, v_th=-50.0, v_reset=-70.0, v_init=-70.0)
    big = net.population("big", n, cell)
    net.connect(src, big, ns.from_arrays([0, 0], [n - 1, 5]), receptor=ns.Delta(), weight=w, delay=delay)
    net.run(33.2)                                      # the arrival is due in the step of t = 33.3 ms
    st = net._sim.state
    assert st.syn.post.dtype == np.uint32 and st.syn.delay.dtype == np.uint16
    assert int(st.syn.delay.max()) == 313
    assert np.all(net.get(big, "v")[0] == -70.0)       # nothing has arrived yet
    net.run(1.0)
    v = net.get(big, "v")[0]
    # arrived in the step of t_spike + delay (step 333: the state at 33.4 ms), then 8 steps of exact decay
    assert v[n - 1] + 70.0 == pytest.approx(w * math.exp(-0.8 / tau_m), rel=1e-12)
    assert v[5] == v[n - 1]
    others = np.delete(v, [5, n - 1])
    assert np.all(others == -70.0)


def test_estimate_follows_the_narrow_layout():
    """The estimate made before the build (probe networks) charges the same 11 bytes per static synapse."""
    net = _static_net(1000, 400)
    est = memory.estimate_bytes(net)
    rep = net.memory_report()
    syn = sum(rep["synapses"].values())
    assert abs(est["synapse_bytes"] - syn) <= 0.02 * syn
