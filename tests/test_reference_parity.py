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


def _random_net(seed, batch):
    rng = np.random.default_rng(1000 + seed)
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    exc = net.population("exc", 24, ns.LIFCond(t_ref=2.0, v_init=ns.Uniform(-65.0, -50.5)),
                         i_bias=rng.uniform(0.0, 120.0, 24))
    inh = net.population("inh", 10, ns.LIFCond(c_m=150.0, g_leak=12.0, v_rest=-62.0, v_th=-52.0,
                                               v_reset=-66.0, t_ref=1.0, v_init=ns.Uniform(-66.0, -53.0)),
                         i_bias=rng.uniform(50.0, 140.0, 10))
    cur = net.population("cur", 12, ns.LIFCurr(tau_m=15.0, c_m=200.0, t_ref=0.25,
                                               v_init=tuple(rng.uniform(-70.0, -56.0, 12).tolist())),
                         i_bias=rng.uniform(100.0, 220.0, 12))
    # spike-generator input; with batch > 1 each spike belongs to one trial (per-trial input)
    n_in, n_spk = 8, 160
    times = np.round(rng.uniform(0.0, T_MS - 1.0, n_spk), 3)
    ids = rng.integers(0, n_in, n_spk)
    # a source fires at most once per step
    key = np.floor(times / DT + 0.5 + 1e-9).astype(int) * n_in + ids
    _, keep = np.unique(key, return_index=True)
    trials = rng.integers(0, batch, keep.size) if batch > 1 else None
    gen = net.spike_generator("gen", n_in, times[keep], ids[keep], trials=trials)

    nmda = ns.NMDA(tau_decay=60.0, tau_rise=3.0)
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
    net.inject(exc, ns.steps([20.0, 90.05], amp))
    mons = {
        "exc": (net.monitor(exc, "spikes"), net.monitor(exc, ["v", "g_NMDA", "g_GABA_B"])),
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
    rec = [("exc", "v"), ("exc", "g_NMDA"), ("exc", "g_GABA_B"), ("inh", "v"), ("inh", "g_slow"),
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
