"""Dopamine-modulated STDP (Izhikevich 2007) against a plain-Python, event-driven reference.

The reference is written from the documented equations (neurosim/spec/plasticity.py,
neurosim/spec/modulators.py, the phase-6 order in neurosim/kernels/cpu/plasticity.py), in
continuous time with every event on the step grid:

* a presynaptic spike stamped at step k reaches the synapse at ``k + d`` (axonal delay), a post
  spike stamped at k' at ``k' + dd`` (dendritic delay);
* at a pre arrival ``a``: ``c -= a_minus * x_post(a-)`` where ``x_post`` sums
  ``exp(-(a - p) dt / tau_minus)`` over the post arrivals ``p < a`` (all_to_all) or takes only the
  latest one (nearest);
* at a post arrival ``p``: ``c += a_plus * x_pre(p)`` over the pre arrivals ``a <= p`` (Delta t = 0
  potentiates: pre arrivals are processed first);
* ``c`` decays with ``tau_c``; ``[DA](t) = baseline + m(t)``, ``m`` jumps by each release (net.reward
  between runs at ``net.t``; ``per_spike`` at the release population's spike stamps) and decays
  with the modulator's ``tau``;
* ``dw/dt = w_max c [DA]``: between two events c and m are exponentials, so over a segment of
  length T starting with (c0, m0)
  ``dw = w_max c0 (m0 tau_cd (1 - exp(-T/tau_cd)) + baseline tau_c (1 - exp(-T/tau_c)))``,
  ``1/tau_cd = 1/tau_c + 1/tau_DA``; w is clipped to [w_min, w_max] (within a segment dw/dt has
  one sign, so clipping at segment ends equals continuous clipping).

The weights (and the eligibility traces c, read from the simulator state) after each run must
match to 1e-9 relative (of the weight change).
"""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim.state.arrays import PI_EL_OFF

FORCE = dict(receptor=ns.AMPA(tau_decay=0.1, name="AMPA_drive"), weight=1e4)  # makes the post cell fire
REC = ns.ExpCurrent(2.0, name="I_pl")                                          # weak plastic input (pA)


def _forced_post(net, name, steps, dt, t_ref=2.0):
    """LIFCond neurons that fire exactly at ``steps[i]`` (one list of steps per neuron)."""
    n = len(steps)
    post = net.population(name, n, ns.LIFCond(t_ref=t_ref))
    ids = np.concatenate([np.full(len(s), i) for i, s in enumerate(steps)]).astype(np.int64)
    tt = np.concatenate([np.asarray(s, float) for s in steps]) * dt - dt      # the driver lands one step later
    drv = net.spike_generator(name + "_drv", n, tt, ids)
    net.connect(drv, post, ns.one_to_one(), delay=dt, **FORCE)
    return post, net.monitor(post, "spikes")


def _generator(net, name, steps, dt):
    ids = np.concatenate([np.full(len(s), i) for i, s in enumerate(steps)]).astype(np.int64)
    tt = np.concatenate([np.asarray(s, float) for s in steps]) * dt
    return net.spike_generator(name, len(steps), tt, ids)


def _assert_fired_exactly(mon, steps, dt):
    got = sorted((int(i), int(round(t / dt))) for i, t in zip(mon.i, mon.t))
    want = sorted((i, k) for i, s in enumerate(steps) for k in s)
    assert got == want, (got, want)


def _elig(net, proj):
    """Eligibility traces of a dopamine-plastic projection, in synapse order (trial 0)."""
    st = net._sim.backend.download()
    q = net._sim.layout.plastic_blocks[proj.index]
    el = int(st.plast.pi[q, PI_EL_OFF])
    n = net.connections(proj)["pre"].size
    return np.asarray(st.plast.elig[0, el:el + n], dtype=np.float64)


def reference(conn, w0, pre_steps, post_steps, rule, da, releases, n_end, dt):
    """Event-driven reference: returns (w, c) of every synapse after ``n_end`` steps.

    conn: dict of net.connections (pre, post, delay in ms); w0: initial weights (synapse order);
    pre_steps / post_steps: spike steps of each pre / post neuron; releases: [(step, uM)]."""
    dd = int(round(rule.dendritic_delay / dt))
    tau_c, tau_da, base = rule.tau_c, da.tau, da.baseline
    tau_cd = 1.0 / (1.0 / tau_c + 1.0 / tau_da)
    nearest = rule.pairing == "nearest"
    rel = [(s, a) for s, a in releases if s < n_end]
    w_out, c_out = [], []
    for i, j, dly, w in zip(conn["pre"], conn["post"], conn["delay"], w0):
        d = int(round(dly / dt))
        A = sorted(k + d for k in pre_steps[i])
        P = sorted(k + dd for k in post_steps[j])
        jumps = []
        for a in A:                              # anti-causal: depression of c at pre arrivals
            prior = [p for p in P if p < a]
            if prior:
                ps = [max(prior)] if nearest else prior
                jumps.append((a, -rule.a_minus * sum(math.exp(-(a - p) * dt / rule.tau_minus) for p in ps)))
        for p in P:                              # causal: potentiation of c at post arrivals
            prior = [a for a in A if a <= p]
            if prior:
                as_ = [max(prior)] if nearest else prior
                jumps.append((p, rule.a_plus * sum(math.exp(-(p - a) * dt / rule.tau_plus) for a in as_)))
        jumps = [(s, x) for s, x in jumps if s < n_end]
        cuts = sorted({0, n_end} | {s for s, _ in jumps} | {s for s, _ in rel})
        for t0, t1 in zip(cuts[:-1], cuts[1:]):
            c0 = sum(x * math.exp(-(t0 - s) * dt / tau_c) for s, x in jumps if s <= t0)
            m0 = sum(x * math.exp(-(t0 - s) * dt / tau_da) for s, x in rel if s <= t0)
            T = (t1 - t0) * dt
            w += rule.w_max * c0 * (m0 * tau_cd * -math.expm1(-T / tau_cd) + base * tau_c * -math.expm1(-T / tau_c))
            w = min(max(w, rule.w_min), rule.w_max)
        w_out.append(w)
        c_out.append(sum(x * math.exp(-(n_end - s) * dt / tau_c) for s, x in jumps))
    return np.asarray(w_out), np.asarray(c_out)


def _check(net, proj, w0, w_ref, c_ref, tol=1e-9):
    w = net.connections(proj)["weight"][REC.name]
    c = _elig(net, proj)
    dw, dw_ref = w - w0, w_ref - w0
    scale_w = np.maximum(np.abs(dw_ref), 1e-12)
    assert np.all(np.abs(dw - dw_ref) <= tol * scale_w), (proj.name, w, w_ref)
    scale_c = np.maximum(np.abs(c_ref), 1e-300)
    assert np.all(np.abs(c - c_ref) <= tol * scale_c), (proj.name, c, c_ref)
    return w, c


def _run_segments(net, proj, conn, w0, segments, pre_steps, post_steps, rule, da, releases, dt):
    """Run ``(ms, reward or None)`` segments; after each, compare weights and traces with the
    reference and then give the reward (appended to ``releases``).  Returns the last reference."""
    n = 0
    for run_ms, reward in segments:
        net.run(run_ms)
        n += int(round(run_ms / dt))
        w_ref, c_ref = reference(conn, w0, pre_steps, post_steps, rule, da, releases, n, dt)
        _check(net, proj, w0, w_ref, c_ref)
        if reward is not None:
            net.reward(reward)
            releases.append((n, reward))
    return w_ref, c_ref


# ----------------------------------------------------------------------------- anti-causal only
def test_anticausal_only_pairings_depress_by_exactly_predicted_amount():
    """Every post spike reaches the synapses before every pre arrival (heterogeneous axonal
    delays 0.1-4 ms): c only ever decreases (c -= a_minus x_post), and with rewards delivered by
    net.reward (before the first run and between runs), plus a tonic baseline, every weight must
    decrease by exactly the reference amount; one synapse starting low is clipped at w_min."""
    dt = 0.1
    net = ns.Network(dt=dt, seed=2)
    da = ns.Dopamine(tau=150.0, baseline=0.002)
    net.modulator(da)
    pre_steps = [[270, 290], [300], [265, 330, 345]]
    post_steps = [[200, 235], [210, 260]]
    pre = _generator(net, "pre", pre_steps, dt)
    post, mon = _forced_post(net, "post", post_steps, dt)
    rule = ns.DopamineSTDP(tau_plus=17.0, tau_minus=25.0, a_plus=0.003, a_minus=0.0006, tau_c=300.0,
                           w_max=10.0, w_min=0.0, pairing="all_to_all")
    src = np.array([0, 0, 1, 1, 2, 2])
    dst = np.array([0, 1, 0, 1, 0, 1])
    delays = np.array([0.1, 0.3, 1.2, 2.5, 0.7, 4.0])
    w_init = np.array([5.0, 6.0, 4.0, 0.02, 7.0, 5.5])
    proj = net.connect(pre, post, ns.from_arrays(src, dst, w=w_init, delay=delays), receptor=REC,
                       weight=1.0, plasticity=rule)
    net.reward(0.4)                                   # pending: acts at step 0
    releases = [(0, 0.4)]
    conn = net.connections(proj)
    w0 = conn["weight"][REC.name].copy()
    assert sorted(zip(conn["pre"], conn["post"], np.round(conn["delay"] / dt).astype(int))) == \
        sorted(zip(src, dst, np.round(delays / dt).astype(int)))
    # every post arrival precedes every pre arrival: only anti-causal pairings
    assert max(max(s) for s in post_steps) < min(min(s) for s in pre_steps) + 1
    segments = [(28.0, 0.8), (4.0, 0.3), (40.0, 0.25), (500.0, None)]     # (ms, reward after it)
    w_ref, c_ref = _run_segments(net, proj, conn, w0, segments, pre_steps, post_steps, rule, da, releases, dt)
    _assert_fired_exactly(mon, post_steps, dt)
    w = net.connections(proj)["weight"][REC.name]
    assert np.all(w < w0)                             # depression only
    assert np.all(w_ref < w0) and np.all(c_ref < 0)
    k_low = int(np.argmin(w0))
    assert w[k_low] == rule.w_min                     # clipped at the lower bound
    others = np.arange(w.size) != k_low
    assert np.all(w0[others] - w[others] > 0.05)      # clearly moved, not clipped
    assert np.all(w[others] > rule.w_min)


def test_anticausal_only_nearest_pairing_with_dendritic_delay_and_spike_released_dopamine():
    """Anti-causal only, nearest pairing, dendritic delay 0.5 ms, uniform axonal delay 1.5 ms;
    dopamine released by the spikes of a generator population (per_spike, scheduled) as well as
    by net.reward between runs."""
    dt = 0.1
    net = ns.Network(dt=dt, seed=5)
    da = ns.Dopamine(tau=120.0, baseline=0.0)
    da_steps = [[100, 400, 401, 900]]
    da_src = _generator(net, "da_src", da_steps, dt)
    net.modulator(da, source=da_src, per_spike=0.3)
    pre_steps = [[330, 380], [345], [500]]
    post_steps = [[250, 290, 320], [300, 338]]
    pre = _generator(net, "pre", pre_steps, dt)
    post, mon = _forced_post(net, "post", post_steps, dt)
    rule = ns.DopamineSTDP(tau_plus=20.0, tau_minus=15.0, a_plus=0.002, a_minus=0.0008, tau_c=450.0,
                           w_max=8.0, w_min=1.0, pairing="nearest", dendritic_delay=0.5)
    proj = net.connect(pre, post, ns.all_to_all(), receptor=REC, weight=4.0, delay=1.5, plasticity=rule)
    conn = net.connections(proj)
    w0 = conn["weight"][REC.name].copy()
    # post arrivals (+5 steps) all precede pre arrivals (+15 steps)
    assert max(k + 5 for s in post_steps for k in s) < min(k + 15 for s in pre_steps for k in s)
    releases = [(k, 0.3) for k in da_steps[0]]
    segments = [(35.0, 0.5), (30.0, 0.2), (200.0, None)]     # (ms, reward after it)
    w_ref, c_ref = _run_segments(net, proj, conn, w0, segments, pre_steps, post_steps, rule, da, releases, dt)
    _assert_fired_exactly(mon, post_steps, dt)
    w = net.connections(proj)["weight"][REC.name]
    assert np.all(w0 - w > 0.1) and np.all(w > rule.w_min) and np.all(c_ref < 0)


# ----------------------------------------------------------------------------- mixed
@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_mixed_causal_and_anticausal_pairings_match_reference(pairing):
    """Interleaved pre and post spikes (both pairing orders, Delta t = 0 included, several pairs
    per synapse), heterogeneous axonal delays, a tonic baseline, rewards between runs and a
    scheduled release; potentiation and depression both reach the weights, and the bounds clip."""
    dt = 0.1
    net = ns.Network(dt=dt, seed=7)
    da = ns.Dopamine(tau=200.0, baseline=0.001)
    da_steps = [[600, 1500]]
    da_src = _generator(net, "da_src", da_steps, dt)
    net.modulator(da, source=da_src, per_spike=0.35)
    pre_steps = [[100, 180, 260, 420], [150, 240, 400], [205, 300, 310, 500]]
    post_steps = [[110, 200, 300, 410], [160, 230, 350], [120, 205, 311, 480]]   # pre2 -> post2 at 311: Delta t = 0
    pre = _generator(net, "pre", pre_steps, dt)
    post, mon = _forced_post(net, "post", post_steps, dt)
    rule = ns.DopamineSTDP(tau_plus=16.0, tau_minus=30.0, a_plus=0.0003, a_minus=0.00035, tau_c=400.0,
                           w_max=6.0, w_min=0.5, pairing=pairing)
    rng = np.random.default_rng(11)
    src = np.repeat(np.arange(3), 3)
    dst = np.tile(np.arange(3), 3)
    delays = np.array([0.1, 0.5, 1.0, 1.7, 0.1, 2.2, 0.6, 3.1, 0.1])
    w_init = np.round(rng.uniform(1.0, 5.0, 9), 3)
    w_init[2], w_init[6] = 5.9, 0.6                   # near the bounds
    proj = net.connect(pre, post, ns.from_arrays(src, dst, w=w_init, delay=delays), receptor=REC,
                       weight=1.0, plasticity=rule)
    conn = net.connections(proj)
    w0 = conn["weight"][REC.name].copy()
    net.reward(0.3)
    releases = [(0, 0.3)] + [(k, 0.35) for k in da_steps[0]]
    segments = [(25.0, 0.6), (20.0, 0.4), (32.0, 0.9), (300.0, None)]     # (ms, reward after it)
    w_ref, c_ref = _run_segments(net, proj, conn, w0, segments, pre_steps, post_steps, rule, da, releases, dt)
    _assert_fired_exactly(mon, post_steps, dt)
    w = net.connections(proj)["weight"][REC.name]
    assert (w > w0 + 1e-3).any() and (w < w0 - 1e-3).any()     # both directions occur
    assert (w == rule.w_max).any() and (w == rule.w_min).any()   # both bounds clip
    assert ((w > rule.w_min) & (w < rule.w_max) & (np.abs(w - w0) > 1e-2)).sum() >= 4
