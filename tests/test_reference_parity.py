"""neurosim vs the plain-numpy reference (tests/reference.py) on small random networks.

Both run the same documented equations in float64, so spikes must be identical and ``v``
equal up to floating-point summation order (tolerance 1e-9 mV; the observed difference is
~1e-13 mV, rounding differences from a different order of additions and of the propagator
constants).
"""
import os
import sys

import numpy as np
import pytest

import neurosim as ns

sys.path.insert(0, os.path.dirname(__file__))
from reference import Reference  # noqa: E402

DT = 0.1
T_MS = 150.0


def _exc_inh(net, rng, n_exc, n_inh, v_top, bias):
    """Two LIFCond populations with random biases (pA): exc (v_init up to ``v_top`` mV, bias up to
    ``bias``) and inh."""
    exc = net.population("exc", n_exc, ns.LIFCond(t_ref=2.0, v_init=ns.Uniform(-65.0, v_top)),
                         i_bias=rng.uniform(0.0, bias, n_exc))
    inh = net.population("inh", n_inh, ns.LIFCond(c_m=150.0, g_leak=12.0, v_rest=-62.0, v_th=-52.0,
                                                  v_reset=-66.0, t_ref=1.0, v_init=ns.Uniform(-66.0, -53.0)),
                         i_bias=rng.uniform(50.0, 140.0, n_inh))
    return exc, inh


def _generator(net, rng, n_in, n_spk, batch):
    """Spike-generator input; with batch > 1 each spike belongs to one trial (per-trial input)."""
    times = np.round(rng.uniform(0.0, T_MS - 1.0, n_spk), 3)
    ids = rng.integers(0, n_in, n_spk)
    # a source fires at most once per step
    key = np.floor(times / DT + 0.5 + 1e-9).astype(int) * n_in + ids
    _, keep = np.unique(key, return_index=True)
    trials = rng.integers(0, batch, keep.size) if batch > 1 else None
    return net.spike_generator("gen", n_in, times[keep], ids[keep], trials=trials)


def _random_net(seed, batch):
    rng = np.random.default_rng(1000 + seed)
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    exc, inh = _exc_inh(net, rng, 24, 10, -50.5, 120.0)
    cur = net.population("cur", 12, ns.LIFCurr(tau_m=15.0, c_m=200.0, t_ref=0.25,
                                               v_init=tuple(rng.uniform(-70.0, -56.0, 12).tolist())),
                         i_bias=rng.uniform(100.0, 220.0, 12))
    n_in = 8
    gen = _generator(net, rng, n_in, 160, batch)

    nmda = ns.NMDA(tau_decay=60.0, tau_rise=3.0, name="NMDA_in")   # exc also gets glutamate's NMDA()
    gaba_b = ns.GABA_B(tau_decay=80.0, tau_rise=20.0)
    slow = ns.Receptor("slow", tau_decay=12.0, tau_rise=1.5, e_rev=-20.0)
    d_steps = ns.Uniform(1 * DT, 5.49 * DT)   # delays of 1-5 steps after rounding
    net.connect(gen, [exc, inh], ns.fixed_probability(0.6), receptor="AMPA", weight=ns.Uniform(2.0, 6.0),
                delay=d_steps)
    net.connect(gen, exc, ns.fixed_probability(0.5), receptor=nmda, weight=ns.Uniform(0.5, 2.0), delay=d_steps)
    net.connect(gen, cur, ns.fixed_indegree(3), receptor=ns.ExpCurrent(tau_decay=4.0), weight=ns.Uniform(50, 150),
                delay=d_steps)
    net.connect(exc, exc, ns.fixed_probability(0.3, allow_autapses=False), receptor="glutamate",
                weight=ns.Uniform(0.5, 2.0), nmda_ratio=0.4, delay=d_steps)
    net.connect(exc, inh, ns.fixed_indegree(5), receptor=slow, weight=ns.Uniform(1.0, 3.0), delay=d_steps)
    net.connect(inh, exc, ns.fixed_outdegree(6), receptor=ns.GABA_A(), weight=ns.Uniform(2.0, 8.0), delay=d_steps)
    net.connect(inh, [exc, inh], ns.fixed_probability(0.3), receptor=gaba_b, weight=ns.Uniform(0.2, 1.0),
                delay=d_steps)
    net.connect(exc, cur, ns.fixed_probability(0.4), receptor=ns.ExpCurrent(tau_decay=3.0, name="I_exc"),
                weight=ns.Normal(40.0, 30.0), delay=d_steps)
    net.connect(inh, cur, ns.fixed_probability(0.4),
                receptor=ns.ExpCurrent(tau_decay=8.0, tau_rise=2.0, name="I_inh"),
                weight=ns.Uniform(-120.0, -20.0), delay=d_steps)
    net.connect(cur, exc, ns.fixed_indegree(2),
                receptor=ns.ExpCurrent(tau_decay=6.0, name="I_cur"), weight=ns.Uniform(-30.0, 60.0),
                delay=d_steps)
    # a current step per trial
    amp = rng.uniform(0.0, 60.0, (2, batch, 24))
    net.inject(exc, ns.steps([20.0, 90.1], amp))
    mons = {
        "exc": (net.monitor(exc, "spikes"), net.monitor(exc, ["v", "g_NMDA_in", "g_GABA_B"])),
        "inh": (net.monitor(inh, "spikes"), net.monitor(inh, ["v", "g_slow"])),
        "cur": (net.monitor(cur, "spikes"), net.monitor(cur, ["v", "g_I_inh"])),
    }
    return net, mons


def _ns_spikes(mon):
    return sorted(zip((np.rint(mon.t / DT)).astype(int).tolist(), mon.trial.tolist(), mon.i.tolist()))


@pytest.mark.parametrize("seed,batch", [(0, 1), (3, 1), (11, 3)])
def test_parity_with_reference(seed, batch):
    net, mons = _random_net(seed, batch)
    net.build()
    ref = Reference(net)       # reads v_init and the drawn connectivity
    n_steps = int(round(T_MS / DT))
    rec = [("exc", "v"), ("exc", "g_NMDA_in"), ("exc", "g_GABA_B"), ("inh", "v"), ("inh", "g_slow"),
           ("cur", "v"), ("cur", "g_I_inh")]
    ref_samples = ref.run(n_steps, record=rec)
    net.run(T_MS)
    total = 0
    for name, (spk, st) in mons.items():
        got = _ns_spikes(spk)
        want = ref.spike_list(name)
        total += len(want)
        assert got == want, f"{name}: spike lists differ (first differences: " \
            f"{sorted(set(got) ^ set(want))[:5]})"
        for var in st.variables:
            a = st.trace(var)                        # (n_steps, trials, n)
            b = ref_samples[(name, var)]
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9, err_msg=f"{name}.{var}")
        np.testing.assert_allclose(net.get(name, "v"), ref.v[name], rtol=0, atol=1e-9)
    # the test is only meaningful if the network is active (spikes in every population)
    for name in mons:
        assert len(ref.spike_list(name)) > 5, name
    assert total > 100


def _saturating_net(seed, batch):
    """Saturating (Wang 2002) NMDA on every path of the kernel: all-to-all with one weight (the
    summed-gating shortcut), all-to-all with per-synapse weights, sparse; two delays from one
    population (two gating groups); a second saturating receptor without Mg2+ block."""
    rng = np.random.default_rng(2000 + seed)
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    exc, inh = _exc_inh(net, rng, 20, 8, -52.0, 150.0)
    n_in = 6
    gen = _generator(net, rng, n_in, 150, batch)
    nmda = ns.NMDA(tau_decay=60.0, saturating=True)
    sat2 = ns.Receptor("sat2", tau_decay=30.0, tau_rise=1.0, e_rev=-10.0, saturating=True, alpha=1.2)
    net.connect(gen, [exc, inh], ns.fixed_probability(0.6), receptor="AMPA", weight=ns.Uniform(2.0, 6.0),
                delay=ns.Uniform(0.1, 0.4))
    net.connect(gen, exc, ns.all_to_all(), receptor=nmda, weight=rng.uniform(0.5, 2.0, (n_in, 20)), delay=0.1)
    net.connect(exc, exc, ns.all_to_all(), receptor=nmda, weight=0.4, delay=0.5)
    net.connect(exc, inh, ns.fixed_probability(0.5), receptor=nmda, weight=ns.Uniform(0.5, 1.5), delay=0.3)
    net.connect(exc, inh, ns.fixed_indegree(6), receptor=sat2, weight=ns.Uniform(0.5, 2.0), delay=0.5)
    net.connect(inh, exc, ns.fixed_probability(0.5), receptor=ns.GABA_A(), weight=ns.Uniform(2.0, 6.0), delay=0.2)
    mons = {
        "exc": (net.monitor(exc, "spikes"), net.monitor(exc, ["v", "g_NMDA"])),
        "inh": (net.monitor(inh, "spikes"), net.monitor(inh, ["v", "g_NMDA", "g_sat2"])),
    }
    return net, mons


@pytest.mark.parametrize("seed,batch", [(0, 1), (5, 2)])
def test_saturating_nmda_parity_with_reference(seed, batch):
    net, mons = _saturating_net(seed, batch)
    net.build()
    ref = Reference(net)
    n_steps = int(round(T_MS / DT))
    rec = [("exc", "v"), ("exc", "g_NMDA"), ("inh", "v"), ("inh", "g_NMDA"), ("inh", "g_sat2")]
    ref_samples = ref.run(n_steps, record=rec)
    net.run(T_MS)
    for name, (spk, st) in mons.items():
        assert _ns_spikes(spk) == ref.spike_list(name), name
        assert len(ref.spike_list(name)) > 20, name      # the network is active
        for var in st.variables:
            want = ref_samples[(name, var)]
            if var != "v":
                assert want.max() > 0.5, (name, var)     # the gating is exercised
            np.testing.assert_allclose(st.trace(var), want, rtol=0, atol=1e-9, err_msg=f"{name}.{var}")
    for name, var in (("exc", "NMDA"), ("inh", "NMDA"), ("inh", "sat2")):
        np.testing.assert_allclose(net.get(name, "g_" + var), ref.gating_conductance(name, var), rtol=0, atol=1e-9)


def _two_channel_net(seed):
    """Every population has exactly two single-exponential receptor channels whose inputs all
    have the minimum delay (dt), no Mg2+ block: the fused one-pass updates of neurons.py
    (``_cond_block_fused``, ``_curr_block_fused``) with receptors written straight by the
    propagation (``direct`` channels), i.e. the path of the COBA and CUBA benchmarks."""
    rng = np.random.default_rng(3000 + seed)
    net = ns.Network(dt=DT, seed=seed)
    exc, inh = _exc_inh(net, rng, 24, 10, -50.5, 140.0)
    cur = net.population("cur", 16, ns.LIFCurr(tau_m=15.0, c_m=200.0, t_ref=2.0,
                                               v_init=tuple(rng.uniform(-70.0, -56.0, 16).tolist())),
                         i_bias=rng.uniform(230.0, 330.0, 16))
    gen = _generator(net, rng, 8, 200, 1)
    ampa, gaba = ns.AMPA(tau_decay=5.0), ns.GABA_A(tau_decay=10.0, e_rev=-80.0)
    i_e, i_i = ns.ExpCurrent(5.0, name="I_e"), ns.ExpCurrent(10.0, name="I_i")
    net.connect(gen, [exc, inh], ns.fixed_probability(0.5), receptor=ampa, weight=ns.Uniform(2.0, 6.0))
    net.connect(exc, [exc, inh], ns.fixed_probability(0.3), receptor=ampa, weight=ns.Uniform(0.5, 2.0))
    net.connect(inh, [exc, inh], ns.fixed_probability(0.4), receptor=gaba, weight=ns.Uniform(2.0, 8.0))
    net.connect([gen, exc], cur, ns.fixed_probability(0.3), receptor=i_e, weight=ns.Uniform(20.0, 80.0))
    net.connect(inh, cur, ns.fixed_probability(0.3), receptor=i_i, weight=ns.Uniform(-40.0, -10.0))
    mons = {name: (net.monitor(name, "spikes"), net.monitor(name, "v")) for name in ("exc", "inh", "cur")}
    return net, mons


@pytest.mark.parametrize("seed", [0, 4])
def test_fused_updates_match_reference(seed):
    net, mons = _two_channel_net(seed)
    net.build()
    st = net._sim.state
    assert st.chans.direct.all() and (st.pops.n_ch[st.pops.kind <= 1] == 2).all()   # the fused path
    ref = Reference(net)
    ref_samples = ref.run(int(round(T_MS / DT)), record=[(name, "v") for name in mons])
    net.run(T_MS)
    for name, (spk, vmon) in mons.items():
        assert _ns_spikes(spk) == ref.spike_list(name), name
        assert len(ref.spike_list(name)) > 20, name
        np.testing.assert_allclose(vmon.trace("v"), ref_samples[(name, "v")], rtol=0, atol=1e-9, err_msg=name)
