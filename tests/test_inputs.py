"""Inputs: Poisson sources, Poisson drive, spike generators, injected currents.

Statistical tolerances are 5 standard errors from the sample size (fixed seeds, so the
tests are deterministic; a correct implementation fails one such check with prob. ~6e-7).
A Poisson source fires in a step with probability p = rate*dt (documented in
spec/inputs.py), so its spike count over K steps is Binomial(K, p) (sd sqrt(K p (1-p))),
and its inter-spike interval is geometric on the step grid with CV = sqrt(1 - p).
"""
import math

import numpy as np
import pytest

import neurosim as ns

DT = 0.1
Z = 5.0


def _counts_ok(count, n_trials, p):
    return abs(count - n_trials * p) <= Z * math.sqrt(n_trials * p * (1 - p))


# --------------------------------------------------------------------- Poisson sources
def test_poisson_rate_and_cv():
    n, rate, T = 200, 20.0, 2000.0
    net = ns.Network(dt=DT, seed=11)
    src = net.poisson("src", n, rate)
    spk = net.monitor(src, "spikes")
    net.run(T)
    K = int(round(T / DT))
    p = rate * DT * 1e-3
    total = spk.num_spikes
    assert _counts_ok(total, n * K, p), (total, n * K * p)
    # per-source counts: mean and variance of Binomial(K, p), SE as in test_connectors
    c = spk.count
    var = K * p * (1 - p)
    assert abs(c.mean() - K * p) < Z * math.sqrt(var / n)
    mu4 = var * (1 + 3 * (K - 2) * p * (1 - p))
    se_var = math.sqrt((mu4 - var ** 2 * (n - 3) / (n - 1)) / n)
    assert abs(c.var(ddof=1) - var) < Z * se_var
    # every spike is on the step grid, ids in range
    assert np.allclose(spk.t / DT, np.rint(spk.t / DT))
    assert spk.i.min() >= 0 and spk.i.max() < n
    # ISI CV: for m i.i.d. (near-)exponential ISIs the sample CV has SE ~ 1/sqrt(m)
    # (delta method with the exponential's moments mu3 = 2, mu4 = 9 in units of the mean)
    isis = np.concatenate([np.diff(t) for t in spk.spike_trains().values() if t.size > 1])
    cv = isis.std(ddof=1) / isis.mean()
    assert abs(cv - math.sqrt(1 - p)) < Z / math.sqrt(isis.size)
    # the mean ISI is 1/p steps
    assert abs(isis.mean() / DT - 1 / p) < Z * math.sqrt((1 - p) / p ** 2 / isis.size)


def test_poisson_per_neuron_rates():
    rates = np.array([0.0, 5.0, 50.0, 200.0])
    n_each = 50
    net = ns.Network(dt=DT, seed=12)
    src = net.poisson("src", 4 * n_each, np.repeat(rates, n_each))
    spk = net.monitor(src, "spikes")
    T = 1000.0
    net.run(T)
    K = int(round(T / DT))
    c = spk.count.reshape(4, n_each).sum(1)
    assert c[0] == 0
    for cnt, r in zip(c, rates):
        assert _counts_ok(cnt, K * n_each, r * DT * 1e-3), (cnt, r)


def test_poisson_time_varying_rate():
    n = 300
    times = [100.0, 400.0, 600.0, 650.0]          # rate 0 before 100 ms
    rates = [10.0, 80.0, 0.0, 30.0]
    net = ns.Network(dt=DT, seed=13)
    src = net.poisson("src", n, ns.steps(times, rates))
    spk = net.monitor(src, "spikes")
    T = 1000.0
    net.run(T)
    k = np.rint(spk.t / DT).astype(int)
    edges = [0] + [int(round(t / DT)) for t in times] + [int(round(T / DT))]
    r_seg = [0.0] + rates
    for a, b, r in zip(edges[:-1], edges[1:], r_seg):
        cnt = int(np.sum((k >= a) & (k < b)))
        if r == 0.0:
            assert cnt == 0, (a, b)
        else:
            assert _counts_ok(cnt, n * (b - a), r * DT * 1e-3), (a, b, cnt)
    assert k.min() >= edges[1]


def test_poisson_batch_rates():
    """(batch, n) rates: each trial has its own rate."""
    net = ns.Network(dt=DT, seed=15, batch=3)
    rates = np.array([[5.0] * 100, [40.0] * 100, [0.0] * 100])
    src = net.poisson("src", 100, rates)
    spk = net.monitor(src, "spikes")
    net.run(1000.0)
    K = 10000
    for b, r in enumerate([5.0, 40.0, 0.0]):
        cnt = int(np.sum(spk.trial == b))
        if r == 0:
            assert cnt == 0
        else:
            assert _counts_ok(cnt, 100 * K, r * DT * 1e-3)


# --------------------------------------------------------------------- Poisson drive
def _drive_net(rec, n_sources, rate, w, n=40, T=1000.0, seed=22, model=None):
    net = ns.Network(dt=DT, seed=seed)
    pop = net.population("p", n, model or ns.LIFCond(v_th=45.0))
    net.poisson_drive(pop, rec, n_sources, rate, w)
    mon = net.monitor(pop, f"g_{rec.name}")
    net.run(T)
    return getattr(mon, f"g_{rec.name}")


@pytest.mark.parametrize("rec", [ns.AMPA(tau_decay=5.0), ns.GABA_A(tau_decay=10.0)], ids=["AMPA", "GABA_A"])
def test_poisson_drive_single_exponential(rec):
    """Events enter g in the step they are drawn (sampled at that step's start), so the
    increments g[k] - q g[k-1] (q = exp(-dt/tau)) are whole multiples of w whose total is
    Binomial(n_src * K * n, p).  The mean conductance of the discrete process is
    n_src p w / (1 - q), which is n_src rate w tau up to a relative O(dt/(2 tau))."""
    n_src, rate, w, n, T = 100, 10.0, 0.5, 40, 1000.0
    g = _drive_net(rec, n_src, rate, w, n=n, T=T)
    q = math.exp(-DT / rec.tau_decay)
    assert g.min() >= 0.0, "a conductance is never negative"
    inc = np.diff(np.vstack([np.zeros((1, n)), g]), axis=0) + (1 - q) * np.vstack([np.zeros((1, n)), g[:-1]])
    ev = inc / w
    np.testing.assert_allclose(ev, np.rint(ev), atol=1e-6)
    K = g.shape[0]
    p = rate * DT * 1e-3
    assert _counts_ok(int(np.rint(ev).sum()), n_src * K * n, p)
    # mean over the stationary part (skip 20 tau); SE of the time average from the event
    # count: mean_g ~ w/(1-q) * (events per step), so SE = w/(1-q) sqrt(n_src p (1-p) / (K' n))
    k0 = int(20 * rec.tau_decay / DT)
    gs = g[k0:]
    mean_exact = n_src * p * w / (1 - q)
    se = w / (1 - q) * math.sqrt(n_src * p * (1 - p) / gs.size)
    assert abs(gs.mean() - mean_exact) < Z * se + 1e-9
    target = n_src * rate * 1e-3 * w * rec.tau_decay
    assert mean_exact / target - 1 == pytest.approx(DT / (2 * rec.tau_decay), rel=0.02)


def test_poisson_drive_current_based_mean_v():
    """The drive's event rate seen through the membrane (independent of the recorded g):
    an event of weight w (pA) entering at the start of step k gives the samples
    u_j = w/c_m * A (qs^j - qm^j), A = tau_m tau_s/(tau_s - tau_m), j >= 0 (exact LIFCurr),
    whose sum is S = w/c_m * A (1/(1-qs) - 1/(1-qm)); the stationary mean depolarisation is
    n_src p S (p = rate dt), ~ n_src rate w tau_s tau_m / c_m up to O(dt/tau).  SE of the
    time average over K' samples and n neurons: S sqrt(n_src p (1-p) / (K' n))."""
    rec = ns.ExpCurrent(tau_decay=5.0)
    m = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_th=45.0)
    n_src, rate, w, n, T = 100, 10.0, 20.0, 40, 1000.0
    net = ns.Network(dt=DT, seed=23)
    pop = net.population("p", n, m)
    net.poisson_drive(pop, rec, n_src, rate, w)
    mon = net.monitor(pop, "v")
    net.run(T)
    u = mon.v - m.v_rest
    k0 = int(20 * max(m.tau_m, rec.tau_decay) / DT)
    us = u[k0:]
    p = rate * DT * 1e-3
    qs, qm = math.exp(-DT / rec.tau_decay), math.exp(-DT / m.tau_m)
    A = m.tau_m * rec.tau_decay / (rec.tau_decay - m.tau_m)
    S = w / m.c_m * A * (1 / (1 - qs) - 1 / (1 - qm))
    mean_exact = n_src * p * S
    se = S * math.sqrt(n_src * p * (1 - p) / us.size)
    assert abs(us.mean() - mean_exact) < Z * se
    target = n_src * rate * 1e-3 * w * rec.tau_decay * m.tau_m / m.c_m
    assert mean_exact == pytest.approx(target, rel=DT / rec.tau_decay)


def test_poisson_drive_rise_decay():
    """Difference-of-exponentials receptor: mean conductance n_src p w f (1/(1-qd) - 1/(1-qr))
    ~ n_src rate w f (tau_decay - tau_rise)."""
    rec = ns.Receptor("slow", tau_decay=20.0, tau_rise=4.0, e_rev=0.0)
    n_src, rate, w, n, T = 50, 20.0, 0.3, 40, 1000.0
    g = _drive_net(rec, n_src, rate, w, n=n, T=T)
    assert g.min() >= 0.0
    p = rate * DT * 1e-3
    qd, qr = math.exp(-DT / rec.tau_decay), math.exp(-DT / rec.tau_rise)
    f = rec.peak_norm
    k0 = int(10 * rec.tau_decay / DT)
    gs = g[k0:]
    per_event = w * f * (1 / (1 - qd) - 1 / (1 - qr))
    mean_exact = n_src * p * per_event
    # conservative SE: each event's summed contribution is per_event; events in a window
    # of K' steps on n neurons: Binomial(n_src K' n, p)
    se = per_event * math.sqrt(n_src * p * (1 - p) / gs.size)
    assert abs(gs.mean() - mean_exact) < Z * se
    target = n_src * rate * 1e-3 * w * f * (rec.tau_decay - rec.tau_rise)
    assert mean_exact == pytest.approx(target, rel=DT / rec.tau_rise)


# --------------------------------------------------------------------- spike generators
def test_spike_generator_exact_steps():
    times = np.array([0.0, 0.1, 0.25, 0.3499, 1.04, 3.35, 7.0, 7.0, 12.96])
    ids = np.array([0, 1, 2, 0, 3, 1, 2, 3, 0])
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 4, times, ids)
    spk = net.monitor(gen, "spikes")
    net.run(20.0)
    want_steps = np.floor(times / DT + 0.5 + 1e-9).astype(int)   # nearest step, halves up
    assert want_steps.tolist() == [0, 1, 3, 3, 10, 34, 70, 70, 130]
    got = sorted(zip(np.rint(spk.t / DT).astype(int).tolist(), spk.i.tolist()))
    assert got == sorted(zip(want_steps.tolist(), ids.tolist()))
    np.testing.assert_allclose(np.sort(spk.t), np.sort(want_steps * DT), rtol=0, atol=1e-12)


def test_spike_generator_per_trial():
    net = ns.Network(dt=DT, seed=0, batch=3)
    times = [1.0, 2.0, 2.0, 5.0]
    ids = [0, 1, 1, 0]
    trials = [0, 1, 2, 2]
    gen = net.spike_generator("gen", 2, times, ids, trials=trials)
    gen_all = net.spike_generator("gen_all", 1, [3.0], [0])
    spk = net.monitor(gen, "spikes")
    spk_all = net.monitor(gen_all, "spikes")
    net.run(10.0)
    got = sorted(zip(spk.trial.tolist(), np.rint(spk.t / DT).astype(int).tolist(), spk.i.tolist()))
    assert got == sorted([(0, 10, 0), (1, 20, 1), (2, 20, 1), (2, 50, 0)])
    assert sorted(spk_all.trial.tolist()) == [0, 1, 2]
    np.testing.assert_allclose(spk_all.t, 3.0)


def test_spike_generator_across_chunks_and_runs():
    """Spikes late in a long run and after a second run() call still land on their steps."""
    times = np.array([0.5, 199.9, 200.0, 450.3, 799.9])
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 1, times, np.zeros(5, int))
    spk = net.monitor(gen, "spikes")
    net.run(300.0)
    net.run(500.0)
    np.testing.assert_array_equal(np.rint(spk.t / DT).astype(int), np.rint(times / DT).astype(int))


# --------------------------------------------------------------------- currents
def test_current_steps_and_timed_array():
    n = 3
    net = ns.Network(dt=DT, seed=0, batch=2)
    pop = net.population("p", n, ns.LIFCurr(v_th=45.0))
    # steps: per-trial, per-neuron values; before the first change point the current is 0
    vals = np.array([[[10.0, 20.0, 30.0], [-5.0, 0.0, 5.0]],
                     [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])            # (K=2, batch, n)
    net.inject(pop, ns.steps([1.0, 2.5], vals))
    # timed_array on neuron 1 only, added to the step current: samples every 0.5 ms from 1 ms
    ta = np.arange(8.0).reshape(8, 1) * 100.0
    net.inject(pop, ns.timed_array(ta, dt=0.5, start=1.0), indices=[1])
    mon = net.monitor(pop, "i_ext")
    net.run(10.0)
    i = mon.i_ext                                                    # (steps, trials, n)
    assert i.shape == (100, 2, n)
    k = np.arange(100)
    want = np.zeros((100, 2, n))
    want[(k >= 10) & (k < 25)] = vals[0]
    want[k >= 25] = vals[1]
    ta_k = np.clip((k - 10) // 5, 0, 7)
    want[k >= 10, :, 1] += ta[ta_k[k >= 10], 0][:, None]
    np.testing.assert_array_equal(i, want)


def test_current_changes_v_in_its_step():
    """The current of step k acts during step k (k*dt to (k+1)*dt): v at the start of the
    step after the onset is the one-step exact response."""
    m = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_th=45.0)
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("p", 1, m)
    net.inject(pop, ns.steps([2.0, 2.1], [500.0, 0.0]))
    mon = net.monitor(pop, "v")
    net.run(4.0)
    v = mon.v[:, 0]
    assert np.all(v[:21] == m.v_rest)
    dv = 500.0 * m.tau_m / m.c_m * (1 - math.exp(-DT / m.tau_m))
    assert v[21] - m.v_rest == pytest.approx(dv, rel=1e-12)
    assert v[22] - m.v_rest == pytest.approx(dv * math.exp(-DT / m.tau_m), rel=1e-12)
