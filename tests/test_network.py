"""The Network API: continuation, monitors, spec round trip, batch semantics."""
import numpy as np
import pytest

import neurosim as ns


def small_net(seed=3, batch=1, n=200):
    net = ns.Network(dt=0.1, seed=seed, batch=batch)
    cell = ns.LIFCond(i_bias=150.0, v_init=ns.Uniform(-60.0, -50.0))
    exc = net.population("exc", n, cell)
    inh = net.population("inh", n // 4, cell)
    src = net.poisson("src", 50, rate=20.0)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor=ns.AMPA(tau_decay=5.0), weight=2.0,
                delay=ns.Uniform(0.1, 2.0))
    net.connect(inh, [exc, inh], ns.fixed_probability(0.1), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0),
                weight=10.0, delay=0.5)
    net.connect(src, exc, ns.fixed_indegree(5), receptor="glutamate", weight=3.0, nmda_ratio=0.2)
    sm = net.monitor(exc, "spikes")
    vm = net.monitor(exc, ["v", "g_AMPA", "g_NMDA"], indices=[0, 5], every=0.5)
    rm = net.monitor(inh, "rate")
    return net, sm, vm, rm


def test_run_continues_exactly():
    net1, sm1, vm1, _ = small_net()
    net1.run(150.0)
    net1.run(50.0)
    net1.run(100.0)
    net2, sm2, vm2, _ = small_net()
    net2.run(300.0)
    assert sm1.t.size > 100
    np.testing.assert_array_equal(sm1.i, sm2.i)
    np.testing.assert_array_equal(sm1.t, sm2.t)
    np.testing.assert_array_equal(vm1.v, vm2.v)
    np.testing.assert_array_equal(vm1.t, vm2.t)
    assert vm1.t[1] - vm1.t[0] == pytest.approx(0.5)
    assert vm1.v.shape == (600, 2)


def test_monitor_views_agree_with_each_other():
    net, sm, vm, rm = small_net()
    res = net.run(200.0)
    st = res.spikes["exc"]
    counts = np.bincount(sm.i, minlength=200)
    np.testing.assert_array_equal(counts, sm.count)
    trains = sm.spike_trains()
    assert sum(len(v) for v in trains.values()) == sm.t.size
    for i, ts in trains.items():
        np.testing.assert_array_equal(ts, np.sort(sm.t[sm.i == i]))
    # the rate monitor counts every spike of the population, independently of spike monitors
    assert rm.rate.size == 2000
    assert np.all(np.diff(st.times) >= 0)


def test_spec_round_trip_gives_identical_run():
    net, sm, _, _ = small_net(seed=11)
    net.run(100.0)
    net2 = ns.Network.from_spec(net.to_json())
    res2 = net2.run(100.0)
    np.testing.assert_array_equal(sm.t, res2.spikes["exc"].times)
    np.testing.assert_array_equal(sm.i, res2.spikes["exc"].node_ids)


def test_batch_rows_are_independent_trials():
    # identical inputs in every trial -> identical spikes in every trial (shared connectivity)
    net = ns.Network(dt=0.1, seed=5, batch=3)
    cell = ns.LIFCond(i_bias=150.0)
    exc = net.population("exc", 50, cell)
    gen = net.spike_generator("gen", 10, times=np.arange(10) * 3.0, ids=np.arange(10))
    net.connect(gen, exc, ns.all_to_all(), receptor="AMPA", weight=5.0)
    net.connect(exc, exc, ns.fixed_probability(0.2), receptor="AMPA", weight=1.0)
    sm = net.monitor(exc, "spikes")
    net.run(100.0)
    per = [np.stack([sm.i[sm.trial == b], np.round(sm.t[sm.trial == b] / 0.1)]) for b in range(3)]
    assert per[0].shape[1] > 0
    np.testing.assert_array_equal(per[0], per[1])
    np.testing.assert_array_equal(per[0], per[2])


def test_batch_rows_with_different_poisson_rates_differ():
    net = ns.Network(dt=0.1, seed=5, batch=2)
    src = net.poisson("src", 100, rate=np.array([[5.0] * 100, [50.0] * 100]))
    sm = net.monitor(src, "spikes")
    net.run(1000.0)
    n0, n1 = (sm.trial == 0).sum(), (sm.trial == 1).sum()
    # expected 500 and 5000 spikes; 6 sd of a Poisson count
    assert abs(n0 - 500) < 6 * np.sqrt(500)
    assert abs(n1 - 5000) < 6 * np.sqrt(5000)


def test_get_and_connections():
    net, _, _, _ = small_net()
    v = net.get("exc", "v")
    assert v.shape == (1, 200)
    assert np.all((v >= -60.0) & (v <= -50.0))
    proj = net.projections[0]
    c = net.connections(proj)
    assert set(c) == {"pre", "post", "delay", "weight"}
    # delays drawn from U(0.1, 2.0) ms are rounded to whole steps
    steps = c["delay"] / 0.1
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert c["delay"].min() >= 0.1 - 1e-12 and c["delay"].max() <= 2.0 + 1e-12
    glu = net.connections(net.projections[-1])
    np.testing.assert_allclose(glu["weight"]["NMDA"], 0.2 * glu["weight"]["AMPA"])


def test_structure_frozen_after_run():
    net, _, _, _ = small_net()
    net.run(1.0)
    with pytest.raises(ns.SpecError, match="already been run"):
        net.population("late", 3)


def test_backend_cuda_without_gpu_raises_clear_error(monkeypatch):
    from neurosim.backends import select
    monkeypatch.setattr(select, "cuda_available", lambda: (False, "no CUDA GPU or driver found"))
    net, _, _, _ = small_net()
    with pytest.raises(ns.BackendUnavailableError, match="no CUDA GPU"):
        net.run(1.0, backend="cuda")


def test_weight_matrix_is_read_at_each_synapse():
    net = ns.Network()
    a = net.population("a", 3)
    b = net.population("b", 4, ns.LIFCurr())
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 4))
    D = 0.1 * rng.integers(1, 5, size=(3, 4))
    p = net.connect(a, b, ns.fixed_probability(0.7), receptor=ns.ExpCurrent(), weight=W, delay=D)
    c = net.connections(p)
    assert c["pre"].size > 0
    np.testing.assert_array_equal(c["weight"]["I_syn"], W[c["pre"], c["post"]])
    np.testing.assert_allclose(c["delay"], D[c["pre"], c["post"]], atol=1e-12)
    with pytest.raises(ns.SpecError, match=r"shape \(\d+,\) or \(3, 4\)"):
        net2 = ns.Network()
        a2, b2 = net2.population("a", 3), net2.population("b", 4, ns.LIFCurr())
        net2.connect(a2, b2, ns.all_to_all(), receptor=ns.ExpCurrent(), weight=np.ones((4, 3)))
        net2.run(1.0)
