"""``net.reset()`` and ``pop.initialize()``.

* ``run(T)``, ``reset()``, ``run(T)`` repeats the first run bit for bit (spike ids and times of the
  neurons and of the Poisson sources, final v, recorded v, weight snapshots and final weights of a
  plastic STDP projection) for a network with a v_init distribution, Poisson sources, a current
  injection and STDP, with ``restore_weights=True``; after the reset ``net.t`` is 0, v and
  w_adapt are back to their initial values and the monitors are empty, while a Result obtained
  before is unchanged.
* ``restore_weights=False`` keeps the learnt weights: the second run equals (bit for bit) a fresh
  network whose weights are set to them before its first run.
* a parameter changed with ``set`` stays changed after ``reset``; batch = 2 repeats per trial.
* ``initialize`` (scalar, (n,), (batch, n), distribution) sets the initial values, immediately
  when the network is built, and ``reset`` returns to them.
"""
import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
T = 200.0
N = 60


def network(seed=8, batch=1):
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    exc = net.population("exc", N, ns.LIFCond(i_bias=ns.Uniform(40.0, 120.0), a=1.0, b=20.0, tau_w=80.0,
                                              t_ref=ns.Uniform(1.0, 3.0), v_init=ns.Uniform(-60.0, -50.0)))
    rate = 20.0 if batch == 1 else np.linspace(10.0, 40.0, batch * 40).reshape(batch, 40)
    pre = net.poisson("pre", 40, rate)
    plastic = net.connect(pre, exc, ns.fixed_probability(0.3), receptor=ns.AMPA(tau_decay=3.0),
                          weight=ns.Uniform(0.5, 2.5), delay=ns.Uniform(0.1, 1.0), name="plastic",
                          plasticity=ns.STDP(a_plus=0.02, a_minus=0.021, w_max=4.0))
    net.connect(exc, exc, ns.fixed_probability(0.1), receptor=ns.AMPA(tau_decay=3.0, name="AMPA_rec"),
                weight=0.8, delay=ns.Uniform(0.5, 2.0))
    net.inject(exc, ns.steps([50.0, 150.0], [150.0, 0.0]), indices=range(20))
    mons = {"exc": net.monitor(exc, "spikes"), "pre": net.monitor(pre, "spikes"),
            "v": net.monitor(exc, "v", indices=range(5)),
            "w": net.monitor(plastic, "weights", every=10.0)}
    return net, exc, plastic, mons


def _snap(res, names=("exc", "pre")):
    out = {}
    for n in names:
        st = res.spikes[n]
        out[f"{n}.ids"] = np.array(st.node_ids)
        out[f"{n}.t"] = np.array(st.times)
        out[f"{n}.trials"] = np.array(st.trials)
    return out


def _mon_snap(mons):
    return {"exc.i": np.array(mons["exc"].i), "exc.t": np.array(mons["exc"].t), "pre.i": np.array(mons["pre"].i),
            "v.t": np.array(mons["v"].t), "v.v": np.array(mons["v"].v),
            "w.t": np.array(mons["w"].t), "w.w": np.array(mons["w"].w)}


def _eq(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_reset_repeats_run_bit_for_bit_restore_weights():
    net, exc, plastic, mons = network()
    v_init = net.get(exc, "v").copy()
    w_build = np.array(net.connections(plastic)["weight"]["AMPA"])
    params = {k: exc.get(k).copy() for k in ("i_bias", "t_ref", "c_m", "g_leak")}
    res1 = net.run(T, progress=False)
    s1, m1 = _snap(res1), _mon_snap(mons)
    v1 = net.get(exc, "v").copy()
    w1 = np.array(net.connections(plastic)["weight"]["AMPA"])
    assert s1["exc.t"].size > 100 and s1["pre.t"].size > 100
    assert np.abs(w1 - w_build).max() > 0.05, "STDP must have changed the weights for the test to mean something"
    assert not np.array_equal(v1, v_init)

    net.reset(restore_weights=True)
    assert net.t == 0.0
    np.testing.assert_array_equal(net.get(exc, "v"), v_init)              # v_init re-drawn from the seed
    np.testing.assert_array_equal(net.get(exc, "w_adapt"), np.zeros((1, N)))
    np.testing.assert_array_equal(net.connections(plastic)["weight"]["AMPA"], w_build)
    for k, v in params.items():
        np.testing.assert_array_equal(exc.get(k), v, err_msg=k)
    assert mons["exc"].num_spikes == 0 and mons["exc"].t.size == 0 and mons["pre"].t.size == 0
    assert mons["v"].t.size == 0
    assert net.result().spikes["exc"].times.size == 0
    _eq(_snap(res1), s1)                                                 # the earlier Result is untouched

    res2 = net.run(T, progress=False)
    assert net.t == pytest.approx(T)
    _eq(_snap(res2), s1)
    _eq(_mon_snap(mons), m1)
    np.testing.assert_array_equal(net.get(exc, "v"), v1)
    np.testing.assert_array_equal(net.connections(plastic)["weight"]["AMPA"], w1)
    _eq(_snap(res1), s1)


def test_reset_keeps_learnt_weights_without_restore():
    net, exc, plastic, mons = network()
    res1 = net.run(T, progress=False)
    s1 = _snap(res1)
    w1 = np.array(net.connections(plastic)["weight"]["AMPA"])
    net.reset()                                     # restore_weights=False is the default
    assert net.t == 0.0
    np.testing.assert_array_equal(net.connections(plastic)["weight"]["AMPA"], w1)
    np.testing.assert_array_equal(plastic.get("weight", format="list"), w1)
    res2 = net.run(T, progress=False)
    s2 = _snap(res2)
    w2 = np.array(net.connections(plastic)["weight"]["AMPA"])
    # the same as a fresh network that starts from the learnt weights (plasticity traces, v,
    # w_adapt, input streams all back at their start)
    ref, _, ref_plastic, _ = network()
    ref.build()                                     # per-synapse weights need the drawn connectivity
    ref_plastic.set(weight=w1)
    s_ref = _snap(ref.run(T, progress=False))
    _eq(s2, s_ref)
    np.testing.assert_array_equal(w2, ref.connections(ref_plastic)["weight"]["AMPA"])
    # and the input repeats while the neurons' spikes change (other weights)
    np.testing.assert_array_equal(s2["pre.t"], s1["pre.t"])
    assert not np.array_equal(s2["exc.t"], s1["exc.t"])


def test_reset_keeps_parameters_changed_with_set():
    net, exc, plastic, _ = network()
    net.run(T, progress=False)
    new = np.linspace(150.0, 250.0, N)
    exc.set(i_bias=new, tau_m=15.0)
    net.reset(restore_weights=True)
    np.testing.assert_array_equal(exc.get("i_bias"), new)
    np.testing.assert_allclose(exc.get("tau_m"), np.full(N, 15.0), rtol=1e-14)
    s2 = _snap(net.run(T, progress=False))
    ref, ref_exc, _, _ = network()
    ref_exc.set(i_bias=new, tau_m=15.0)
    s_ref = _snap(ref.run(T, progress=False))
    _eq(s2, s_ref)
    base = _snap(network()[0].run(T, progress=False))
    assert not np.array_equal(s2["exc.t"], base["exc.t"])


def test_reset_batch2():
    net, exc, plastic, mons = network(batch=2)
    v_init = net.get(exc, "v").copy()
    assert v_init.shape == (2, N)
    s1 = _snap(net.run(T, progress=False))
    m1 = _mon_snap(mons)
    v1 = net.get(exc, "v").copy()
    for n in ("exc", "pre"):
        assert set(np.unique(s1[f"{n}.trials"])) == {0, 1}
    # the two trials differ (their own input), so a mix-up of trials would show
    t0 = s1["pre.t"][s1["pre.trials"] == 0]
    t1 = s1["pre.t"][s1["pre.trials"] == 1]
    assert t0.size != t1.size or not np.array_equal(t0, t1)
    net.reset(restore_weights=True)
    assert net.t == 0.0
    np.testing.assert_array_equal(net.get(exc, "v"), v_init)
    _eq(_snap(net.run(T, progress=False)), s1)
    _eq(_mon_snap(mons), m1)
    np.testing.assert_array_equal(net.get(exc, "v"), v1)


def test_reset_twice_and_after_partial_runs():
    """reset after two shorter runs, then one run of the same total length: the same spikes."""
    net, exc, _, _ = network()
    net.run(T / 2, progress=False)
    s_a = _snap(net.run(T / 2, progress=False))
    net.reset(restore_weights=True)
    s_b = _snap(net.run(T, progress=False))
    net.reset(restore_weights=True)
    net.reset(restore_weights=True)
    s_c = _snap(net.run(T, progress=False))
    _eq(s_b, s_a)
    _eq(s_c, s_a)


def test_initialize():
    net, exc, plastic, _ = network(batch=2)
    v_n = np.linspace(-70.0, -52.0, N)
    exc.initialize(v=v_n)                                   # before the build
    np.testing.assert_array_equal(net.get(exc, "v"), np.broadcast_to(v_n, (2, N)))
    net.run(50.0, progress=False)
    assert not np.array_equal(net.get(exc, "v"), np.broadcast_to(v_n, (2, N)))
    # after a run: written into the current state now, and used at every reset
    v_bn = np.stack([np.full(N, -58.0), np.linspace(-65.0, -55.0, N)])
    w_bn = np.stack([np.linspace(0.0, 30.0, N), np.full(N, 5.0)])
    exc.initialize(v=v_bn, w_adapt=w_bn)
    np.testing.assert_array_equal(net.get(exc, "v"), v_bn)
    np.testing.assert_array_equal(net.get(exc, "w_adapt"), w_bn)
    assert net.t == pytest.approx(50.0)                     # initialize does not reset time
    net.run(20.0, progress=False)
    net.reset()
    np.testing.assert_array_equal(net.get(exc, "v"), v_bn)
    np.testing.assert_array_equal(net.get(exc, "w_adapt"), w_bn)
    # scalar
    exc.initialize(v=-61.5)
    np.testing.assert_array_equal(net.get(exc, "v"), np.full((2, N), -61.5))
    # a distribution: drawn per neuron (and trial) within its range, the same again at reset
    exc.initialize(v=ns.Uniform(-70.0, -60.0))
    v_d = net.get(exc, "v").copy()
    assert v_d.min() >= -70.0 and v_d.max() <= -60.0 and np.unique(v_d).size > N
    net.run(20.0, progress=False)
    net.reset()
    np.testing.assert_array_equal(net.get(exc, "v"), v_d)
    # bad values
    with pytest.raises(SpecError, match="v"):
        exc.initialize(v=np.zeros(N + 1))
    with pytest.raises(SpecError, match="v"):
        exc.initialize(v=np.zeros((3, N)))
    with pytest.raises(SpecError, match="w_adapt"):
        exc.initialize(w_adapt=np.full(N - 1, 1.0))
    with pytest.raises(SpecError, match="v"):
        exc.initialize(v=np.nan)
    np.testing.assert_array_equal(net.get(exc, "v"), v_d)


def test_initialize_before_build_equals_v_init():
    """initialize(v=array) before the first run gives the same spikes as v_init=array in the model."""
    v = np.linspace(-62.0, -50.5, N)
    a = ns.Network(dt=DT, seed=3)
    pa = a.population("p", N, ns.LIFCond(i_bias=110.0, v_init=v))
    a.monitor(pa, "spikes")
    b = ns.Network(dt=DT, seed=3)
    pb = b.population("p", N, ns.LIFCond(i_bias=110.0))
    b.monitor(pb, "spikes")
    pb.initialize(v=v)
    ra, rb = a.run(100.0, progress=False), b.run(100.0, progress=False)
    assert ra.spikes["p"].times.size > N
    np.testing.assert_array_equal(rb.spikes["p"].node_ids, ra.spikes["p"].node_ids)
    np.testing.assert_array_equal(rb.spikes["p"].times, ra.spikes["p"].times)


def test_restore_weights_after_set_before_the_first_run():
    """Weights set before the first run are the built ones: reset(restore_weights=True) returns
    to them (not to connect's distribution), after STDP changed them."""
    net, exc, plastic, _ = network()
    n_syn = net.connections(plastic)["pre"].size
    w_set = np.linspace(0.2, 3.8, n_syn)
    plastic.set(weight=w_set)
    net.run(T, progress=False)
    w1 = np.array(plastic.get("weight", format="list"))
    assert np.abs(w1 - w_set).max() > 0.05
    net.reset(restore_weights=True)
    np.testing.assert_array_equal(plastic.get("weight", format="list"), w_set)
    np.testing.assert_array_equal(net.connections(plastic)["weight"]["AMPA"], w_set)
