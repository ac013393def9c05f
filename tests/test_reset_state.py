"""``Network.reset_state()`` (fast presentation of inputs): equal to a long rest without input
(every reset variable decayed to its resting value), while theta and the weights carry over;
and the variables it resets or keeps."""
import math

import numpy as np
import pytest

import neurosim as ns

DT = 0.1
T_IMG = 100.0
REST = 3000.0     # 150 membrane (20 ms) and trace (20 ms) time constants: everything back to rest


def _image(rng, n, t0):
    """A random input pattern: spike times (ms) in [t0, t0 + T_IMG) of ``n`` sources."""
    k = rng.integers(0, int(T_IMG / DT) - 100, size=6 * n)   # the last spikes arrive (delay <= 3 ms) before the end
    ids = np.repeat(np.arange(n), 6)
    return t0 + k * DT, ids


def _net(rest):
    rng = np.random.default_rng(0)
    t1, i1 = _image(rng, 20, 0.0)
    t2, i2 = _image(rng, 20, T_IMG + rest)
    net = ns.Network(dt=DT, seed=3)
    src = net.spike_generator("x", 20, np.concatenate([t1, t2]), np.concatenate([i1, i2]))
    e = net.population("e", 5, ns.LIFCond(theta_plus=0.5, tau_theta=math.inf, t_ref=2.0))
    inh = net.population("i", 5, ns.LIFCond(t_ref=1.0))
    q = net.connect(src, e, ns.all_to_all(), receptor="AMPA", weight=ns.Uniform(2.0, 6.0), delay=ns.Uniform(0.5, 3.0),
                    plasticity=ns.TripletSTDP.diehl_cook2015(w_max=8.0, a3_plus=0.05, a2_minus=0.01))
    net.connect(e, inh, ns.one_to_one(), receptor="AMPA", weight=30.0)
    net.connect(inh, e, ns.all_to_all(), receptor="GABA_A", weight=3.0)
    sp = net.monitor(e, "spikes")
    return net, e, q, sp


def test_reset_state_equals_a_long_rest():
    a, ea, qa, sa = _net(REST)
    a.run(2 * T_IMG + REST)
    b, eb, qb, sb = _net(0.0)
    b.run(T_IMG)
    w_mid, th_mid = qb.get("weight").copy(), eb.get("theta").copy()
    b.reset_state()
    np.testing.assert_array_equal(qb.get("weight"), w_mid)      # kept
    np.testing.assert_array_equal(eb.get("theta"), th_mid)
    np.testing.assert_array_equal(b.get(eb, "v"), np.full((1, 5), -60.0))   # back to v_init = v_rest
    b.run(T_IMG)
    # the second image: the same spikes (shifted by the rest), the same learned weights and thresholds
    late = sa.t >= T_IMG + REST
    np.testing.assert_array_equal(sa.i[late], sb.i[sb.t >= T_IMG])
    np.testing.assert_allclose(sa.t[late] - REST, sb.t[sb.t >= T_IMG], rtol=0, atol=1e-9)
    assert late.sum() >= 5 and (sa.t < T_IMG).sum() >= 5
    np.testing.assert_allclose(qa.get("weight"), qb.get("weight"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ea.get("theta"), eb.get("theta"), rtol=0, atol=1e-12)
    assert not np.allclose(qb.get("weight"), w_mid)             # the second image changed them


def test_reset_state_without_rest_differs():
    """The comparison above can fail: without reset_state and without rest the second image meets
    the first one's leftover state and spikes differently."""
    a, ea, qa, sa = _net(REST)
    a.run(2 * T_IMG + REST)
    c, ec, qc, sc = _net(0.0)
    c.run(2 * T_IMG)
    late = sa.t >= T_IMG + REST
    same = (np.array_equal(sa.i[late], sc.i[sc.t >= T_IMG])
            and np.allclose(sa.t[late] - REST, sc.t[sc.t >= T_IMG]))
    assert not same or not np.allclose(qa.get("weight"), qc.get("weight"), atol=1e-12)


def test_reset_state_keeps_time_and_refuses_nothing_before_build():
    net = ns.Network(dt=DT)
    p = net.population("p", 3, ns.LIFCurr(i_bias=800.0, theta_plus=1.0, tau_theta=50.0))
    net.reset_state()                 # not built: nothing to do
    net.run(20.0)
    th = p.get("theta")
    assert np.all(th > 0)
    net.reset_state()
    assert net.t == pytest.approx(20.0)
    np.testing.assert_array_equal(p.get("theta"), th)
