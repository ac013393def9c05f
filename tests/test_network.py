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
    net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor=ns.AMPA(tau_decay=5.0, name="AMPA_rec"),
                weight=2.0, delay=ns.Uniform(0.1, 2.0))    # its own name: src's glutamate brings AMPA() too
    net.connect(inh, [exc, inh], ns.fixed_probability(0.1), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0),
                weight=10.0, delay=0.5)
    net.connect(src, exc, ns.fixed_indegree(5), receptor="glutamate", weight=3.0, nmda_ratio=0.2)
    sm = net.monitor(exc, "spikes")
    vm = net.monitor(exc, ["v", "g_AMPA_rec", "g_NMDA"], indices=[0, 5], every=0.5)
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


# ----------------------------------------------------------------------------- callbacks in the spec
def _plain(seed=1):
    net = ns.Network(dt=0.1, seed=seed)
    cells = net.population("cells", 20, ns.LIFCond(i_bias=250.0))
    net.connect(cells, cells, ns.fixed_probability(0.2), receptor="AMPA", weight=1.0)
    net.monitor(cells, "spikes")
    return net


def _looped(seed=1):
    """A network with a callback every 5 ms that records when it was called."""
    net = _plain(seed)
    seen = []

    def kick(net_):
        seen.append(net_.t)
    net.every(5.0, kick)
    return net, seen, kick


def test_spec_records_callbacks_and_from_spec_needs_them_back():
    net, _, kick = _looped()
    spec = net.to_spec()
    assert spec["callbacks"] == [{"name": "_looped.<locals>.kick", "interval": 5.0}]
    with pytest.raises(ns.SpecError) as err:
        ns.Network.from_spec(spec)
    msg = str(err.value)
    assert "'_looped.<locals>.kick' (every 5 ms)" in msg and "callbacks={'_looped.<locals>.kick': fn}" in msg
    with pytest.raises(ns.SpecError, match=r"missing: '_looped.<locals>.kick'"):
        ns.Network.from_spec(spec, callbacks={})
    with pytest.raises(ns.SpecError, match=r"callbacks 'other' are not in the spec"):
        ns.Network.from_spec(spec, callbacks={"_looped.<locals>.kick": kick, "other": kick})
    with pytest.raises(ns.SpecError, match="must be a dict"):
        ns.Network.from_spec(spec, callbacks=[kick])
    calls = []
    again = ns.Network.from_spec(spec, callbacks={"_looped.<locals>.kick": lambda n: calls.append(n.t)})
    again.run(20.0)
    assert calls == pytest.approx([5.0, 10.0, 15.0, 20.0])
    assert again.to_spec()["callbacks"] == spec["callbacks"]
    # a spec without callbacks takes none
    plain = _plain().to_spec()
    assert plain["callbacks"] == []
    with pytest.raises(ns.SpecError, match="not in the spec; it records no callbacks"):
        ns.Network.from_spec(plain, callbacks={"x": kick})


def test_callback_names_are_unique_and_can_be_given():
    net = ns.Network(dt=0.1)
    net.population("a", 2)
    f = lambda n: None                    # noqa: E731
    assert net.every(1.0, f, name="loop") == "loop"
    with pytest.raises(ns.SpecError, match="'loop' is already registered"):
        net.every(2.0, f, name="loop")
    assert net.every(2.0, f, name="loop2") == "loop2"
    assert [d["interval"] for d in net.to_spec()["callbacks"]] == [1.0, 2.0]


def test_network_repr():
    net = ns.Network(dt=0.1, seed=1)
    assert repr(net) == "Network(dt=0.1 ms, seed=1, 0 populations, no projections, t=0 ms)"
    cell = ns.LIFCond()
    exc, inh = net.population("exc", 3200, cell), net.population("inh", 800, cell)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.02), receptor="AMPA", weight=6.0)
    net.connect(inh, [exc, inh], ns.all_to_all(), receptor="GABA_A", weight=1.0)
    # before building: the expected count, 0.02 * 3200 * 4000 + 800 * 4000
    assert repr(net) == ("Network(dt=0.1 ms, seed=1, 2 populations (exc 3200, inh 800), 4 projections "
                         "(~3,456,000 synapses), t=0 ms)")
    small = ns.Network(dt=0.1, seed=2, batch=3)
    a = small.population("a", 10)
    q = small.connect(a, a, ns.fixed_probability(0.3), weight=1.0)
    small.run(1.0)
    n_syn = small.connections(q)["pre"].size
    assert repr(small) == (f"Network(dt=0.1 ms, seed=2, batch=3, 1 population (a 10), 1 projection "
                           f"({n_syn} synapses), t=1 ms)")
    assert "at 0x" not in repr(small)


def test_run_without_result_returns_none_and_records_the_same():
    """``run(..., result=False)`` returns None and records exactly what a run returning its Result
    records (the Result is built on demand by ``net.result()``)."""
    def make():
        net = ns.Network(dt=0.1, seed=5)
        src = net.poisson("src", 20, rate=80.0)
        pop = net.population("p", 10, ns.LIFCond(v_init=ns.Uniform(-60.0, -52.0)))
        net.connect(src, pop, ns.fixed_probability(0.5), receptor="AMPA", weight=3.0)
        net.monitor(pop, "spikes")
        return net
    a, b = make(), make()
    for _ in range(3):
        assert a.run(20.0, result=False) is None
        last = b.run(20.0)
    ra = a.result()
    assert last.spikes["p"].times.size > 10
    np.testing.assert_array_equal(ra.spikes["p"].node_ids, last.spikes["p"].node_ids)
    np.testing.assert_array_equal(ra.spikes["p"].times, last.spikes["p"].times)
    assert ra.meta["steps"] == last.meta["steps"] == 600
