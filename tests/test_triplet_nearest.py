"""Triplet STDP with nearest-spike pairing against a plain-Python event-driven implementation.

The reference is written here from Pfister & Gerstner (2006, J. Neurosci. 26:9673) and the
conventions documented in ``neurosim/spec/plasticity.py``: per synapse, traces r1 (tau_plus),
r2 (tau_x) of the presynaptic arrivals and o1 (tau_minus), o2 (tau_y) of the postsynaptic events
at the synapse; nearest-spike model: a trace is *reset* to 1 at its neuron's spike (not
incremented).  At a presynaptic arrival  w -= w_max * o1 * (A2- + A3- * r2(t-));  at a
postsynaptic event  w += w_max * r1 * (A2+ + A3+ * o2(t-)); hard bounds after every update.
Timing: a pre spike stamped at step k arrives at k + d (axonal delay), a post spike stamped at k'
at k' + dd (dendritic delay); within one step arrivals come before post events (Delta t = 0
potentiates).  Traces are exact exponentials between events (no per-step state).
"""
import dataclasses
import math

import numpy as np
import pytest

import neurosim as ns

DT = 0.1
FORCE = dict(receptor=ns.AMPA(tau_decay=0.1, name="AMPA_drive"), weight=1e4)   # makes a post cell fire


def _triplet_reference(pre_steps, post_steps, d, dd, rule, w0, n_steps):
    """Final weight of one synapse: event-driven triplet rule, exact exponentials."""
    ev = sorted([(int(k) + d, 0) for k in pre_steps] + [(int(k) + dd, 1) for k in post_steps])
    ev = [e for e in ev if e[0] < n_steps]          # only what reaches the synapse within the run
    nearest = rule.pairing == "nearest"
    w = w0
    r1 = r2 = o1 = o2 = 0.0
    t_r = t_o = 0                                    # step of the last pre / post trace update
    for step, kind in ev:
        if kind == 0:                                # presynaptic arrival
            o1_now = o1 * math.exp(-(step - t_o) * DT / rule.tau_minus)
            r1_now = r1 * math.exp(-(step - t_r) * DT / rule.tau_plus)
            r2_now = r2 * math.exp(-(step - t_r) * DT / rule.tau_x)      # r2(t-): before its own jump
            w -= rule.w_max * o1_now * (rule.a2_minus + rule.a3_minus * r2_now)
            w = min(max(w, rule.w_min), rule.w_max)
            r1 = 1.0 if nearest else r1_now + 1.0
            r2 = 1.0 if nearest else r2_now + 1.0
            t_r = step
        else:                                        # postsynaptic event
            r1_now = r1 * math.exp(-(step - t_r) * DT / rule.tau_plus)
            o1_now = o1 * math.exp(-(step - t_o) * DT / rule.tau_minus)
            o2_now = o2 * math.exp(-(step - t_o) * DT / rule.tau_y)      # o2(t-)
            w += rule.w_max * r1_now * (rule.a2_plus + rule.a3_plus * o2_now)
            w = min(max(w, rule.w_min), rule.w_max)
            o1 = 1.0 if nearest else o1_now + 1.0
            o2 = 1.0 if nearest else o2_now + 1.0
            t_o = step
    return w


def _grid_train(rng, rate_hz, t_end, min_isi_steps, first=20):
    """Spike steps of a Poisson-like train on the dt grid with a minimum ISI (in steps)."""
    steps, k = [], first
    while True:
        k += min_isi_steps + int(rng.geometric(rate_hz * DT * 1e-3))
        if k * DT >= t_end:
            return np.array(steps, np.int64)
        steps.append(k)


N_PRE, N_POST, T_END = 3, 4, 2000.0
CASES = {
    # name: (rule, delay matrix in steps (n_pre, n_post), dendritic delay in steps)
    "hippo_full": (ns.TripletSTDP.hippocampal(pairing="nearest", w_max=1.0, w_min=-1.0),
                   np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]), 0),
    "hippo_minimal_delays": (ns.TripletSTDP.hippocampal(pairing="nearest", minimal=True, w_max=2.0,
                                                        w_min=-2.0, dendritic_delay=5 * DT),
                             np.array([[1, 7, 20, 3], [12, 2, 5, 30], [4, 15, 1, 9]]), 5),
    "visual_full": (ns.TripletSTDP.visual_cortex(pairing="nearest", w_max=1.0, w_min=-1.0,
                                                 dendritic_delay=2 * DT),
                    np.array([[3, 3, 3, 3], [3, 3, 3, 3], [3, 3, 3, 3]]), 2),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_triplet_nearest_matches_event_driven_reference(case):
    rule, dmat, dd = CASES[case]
    assert rule.pairing == "nearest" and rule.dendritic_delay == pytest.approx(dd * DT)
    rng = np.random.default_rng(11)
    pre_trains = [_grid_train(rng, r, T_END, 3) for r in (10.0, 30.0, 60.0)]
    post_trains = [_grid_train(rng, r, T_END, 40) for r in (5.0, 20.0, 40.0, 80.0)]   # ISI >= 4 ms > t_ref
    net = ns.Network(dt=DT, seed=1)
    pre_ids = np.concatenate([np.full(t.size, i) for i, t in enumerate(pre_trains)])
    pre_t = np.concatenate(pre_trains) * DT
    pre = net.spike_generator("pre", N_PRE, pre_t, pre_ids)
    post = net.population("post", N_POST, ns.LIFCond(t_ref=2.0))
    drv_ids = np.concatenate([np.full(t.size, i) for i, t in enumerate(post_trains)])
    drv_t = (np.concatenate(post_trains) - 1) * DT              # the driver lands one step later
    drv = net.spike_generator("drv", N_POST, drv_t, drv_ids)
    net.connect(drv, post, ns.one_to_one(), delay=DT, **FORCE)
    w0 = np.linspace(-0.3, 0.4, N_PRE * N_POST).reshape(N_PRE, N_POST) * rule.w_max
    proj = net.connect(pre, post, ns.all_to_all(), receptor=ns.ExpCurrent(2.0, name="I_pl"), weight=w0,
                       delay=dmat * DT, plasticity=rule)
    mon = net.monitor(post, "spikes")
    net.monitor(proj, "weights")
    n_steps = int(round(T_END / DT)) + 300
    res = net.run(n_steps * DT)
    # the post neurons fired exactly at the planned steps (the protocol is what the reference assumes)
    for j, tr in enumerate(post_trains):
        np.testing.assert_array_equal(np.rint(mon.t[mon.i == j] / DT).astype(np.int64), tr)
    table = res.weights[proj.name]
    c = net.connections(proj)
    np.testing.assert_allclose(c["delay"], dmat[c["pre"], c["post"]] * DT, rtol=0, atol=1e-12)
    got = np.asarray(table.weight).reshape(-1)
    exp = np.array([_triplet_reference(pre_trains[i], post_trains[j], dmat[i, j], dd, rule, w0[i, j], n_steps)
                    for i, j in zip(table.pre, table.post)])
    dw = exp - w0[table.pre, table.post]
    assert np.abs(dw).min() > 1e-3 * rule.w_max                 # every synapse really learned
    inside = (exp > rule.w_min) & (exp < rule.w_max)
    assert inside.mean() >= 0.75                                 # mostly the rule itself, not its bounds, is compared
    np.testing.assert_allclose(got, exp, rtol=0, atol=1e-10 * rule.w_max, err_msg=case)


def test_triplet_nearest_differs_from_all_to_all_reference():
    """Sanity of the protocol: with these trains the nearest and all-to-all references disagree by far
    more than the tolerance above, for the r2/o2 (triplet) term as well as the pair term."""
    rule = CASES["hippo_full"][0]
    rng = np.random.default_rng(11)
    pre_trains = [_grid_train(rng, r, T_END, 3) for r in (10.0, 30.0, 60.0)]
    post_trains = [_grid_train(rng, r, T_END, 40) for r in (5.0, 20.0, 40.0, 80.0)]
    # the all-to-all rule with the nearest rule's amplitudes and time constants
    a2a_same = dataclasses.replace(rule, pairing="all_to_all")
    n_steps = int(round(T_END / DT)) + 300
    near = _triplet_reference(pre_trains[2], post_trains[3], 1, 0, rule, 0.0, n_steps)
    allp = _triplet_reference(pre_trains[2], post_trains[3], 1, 0, a2a_same, 0.0, n_steps)
    assert abs(near - allp) > 1e-3
