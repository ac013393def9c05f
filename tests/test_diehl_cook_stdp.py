"""``TripletSTDP.diehl_cook2015()`` against the learning rule of Diehl & Cook's public code (2015,
Front. Comput. Neurosci. 9:99), written here from its description in their equations' own terms:
traces ``pre`` (20 ms), ``post1`` (20 ms), ``post2`` (40 ms), each set to 1 at its neuron's spike;
at a presynaptic arrival ``w -= nu_pre * post1``; at a postsynaptic spike
``w += nu_post * pre * post2before`` (``post2`` read before it is reset); w clipped to [0, 1].
Forced pre and post spike trains; the final weights of neurosim equal the reference's."""
import math

import numpy as np

import neurosim as ns

DT = 0.5          # the paper's time step (ms)
NU_PRE, NU_POST = 1e-4, 1e-2
TAU_PRE, TAU_POST1, TAU_POST2 = 20.0, 20.0, 40.0


def _dc_reference(pre_steps, post_steps, d, w0, n_steps):
    ev = sorted([(int(k) + d, 0) for k in pre_steps] + [(int(k), 1) for k in post_steps])
    ev = [e for e in ev if e[0] < n_steps]
    w, pre, post1, post2, t_pre, t_post = w0, 0.0, 0.0, 0.0, 0, 0
    for step, kind in ev:
        if kind == 0:
            pre = 1.0
            t_pre = step
            w -= NU_PRE * post1 * math.exp(-(step - t_post) * DT / TAU_POST1)
        else:
            post2before = post2 * math.exp(-(step - t_post) * DT / TAU_POST2)
            w += NU_POST * pre * math.exp(-(step - t_pre) * DT / TAU_PRE) * post2before
            post1 = post2 = 1.0
            t_post = step
        w = min(max(w, 0.0), 1.0)
    return w


def _train(rng, rate, t_end, min_isi, first):
    steps, k = [], first
    while True:
        k += min_isi + int(rng.geometric(rate * DT * 1e-3))
        if k * DT >= t_end:
            return np.array(steps, np.int64)
        steps.append(k)


def test_diehl_cook_rule_matches_their_equations():
    rule = ns.TripletSTDP.diehl_cook2015()
    rng = np.random.default_rng(3)
    t_end = 3000.0
    pre_trains = [_train(rng, r, t_end, 2, 4) for r in (20.0, 40.0, 63.75)]   # up to the paper's max rate
    post_trains = [_train(rng, r, t_end, 12, 10) for r in (10.0, 25.0)]      # ISI >= 6 ms > t_ref 5 ms
    net = ns.Network(dt=DT, seed=1)
    pre = net.spike_generator("pre", 3, np.concatenate(pre_trains) * DT,
                              np.concatenate([np.full(t.size, i) for i, t in enumerate(pre_trains)]))
    post = net.population("post", 2, ns.LIFCond(t_ref=5.0))
    drv = net.spike_generator("drv", 2, (np.concatenate(post_trains) - 1) * DT,
                              np.concatenate([np.full(t.size, i) for i, t in enumerate(post_trains)]))
    net.connect(drv, post, ns.one_to_one(), receptor=ns.AMPA(tau_decay=0.1, name="drive"), weight=1e4, delay=DT)
    w0 = np.array([[0.2, 0.5], [0.9, 0.05], [0.4, 0.7]])
    proj = net.connect(pre, post, ns.all_to_all(), receptor=ns.ExpCurrent(2.0, name="I_pl"), weight=w0,
                       delay=DT, plasticity=rule)
    mon = net.monitor(post, "spikes")
    n_steps = int(round(t_end / DT)) + 100
    net.run(n_steps * DT)
    for j, tr in enumerate(post_trains):   # the post cells fired exactly as planned
        np.testing.assert_array_equal(np.rint(mon.t[mon.i == j] / DT).astype(np.int64), tr)
    got = proj.get("weight", format="array")
    want = np.array([[_dc_reference(pre_trains[i], post_trains[j], 1, w0[i, j], n_steps) for j in range(2)]
                     for i in range(3)])
    assert np.abs(want - w0).min() > 1e-3                  # every synapse learned
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
