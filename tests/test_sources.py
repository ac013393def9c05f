"""Renewal spike sources (spec/sources.py): the gamma process (``gamma_source``), the Poisson
process with dead time (``poisson_refractory``), and a Kolmogorov-Smirnov test of the
inhomogeneous Poisson source (``poisson`` with a Schedule rate) per segment.

Reference distributions are closed forms computed here (no scipy): the Erlang CDF (integer shape),
the regularised lower incomplete gamma function by its power series (any shape), the exponential.

The grid: an event at continuous time t is a spike in step floor(t/dt).  The sources start
stationary, so every event time has a uniform phase f within its step, independent of the next
interval X; the recorded interval in steps is K = floor(f + X/dt), whose CDF is
G(k) = P(K <= k) = E_f[F((k + 1 - f) dt)] (computed by the midpoint rule over 400 values of f,
error < 1e-6).  The KS tests compare the recorded intervals with G: a test of a discrete
distribution with the continuous-case critical value is conservative.

False-failure rates (fixed seeds, so each test is deterministic): KS at alpha = 1e-3, critical
value from Kolmogorov's asymptotic tail P(sqrt(N) D > c) ~ 2 exp(-2 c^2); means and CVs at 5
standard errors (two-sided ~6e-7 each).
"""
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
ALPHA = 1e-3
Z = 5.0


def ks_critical(n, alpha=ALPHA):
    """Kolmogorov's asymptotic one-sample critical value for N = n at level alpha."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) / math.sqrt(n)


def erlang_cdf(x, k):
    """P(X <= x) of Gamma(integer k, rate 1)."""
    x = np.asarray(x, np.float64)
    s = np.zeros_like(x)
    term = np.ones_like(x)
    for j in range(k):
        if j:
            term = term * x / j
        s += term
    return np.where(x > 0, 1.0 - np.exp(-x) * s, 0.0)


def gamma_cdf(x, a):
    """Regularised lower incomplete gamma P(a, x) by its series x^a e^-x / Gamma(a+1) *
    sum_n x^n / ((a+1)...(a+n)) (converges for all x; 2000 terms cover x < 1000)."""
    x = np.asarray(x, np.float64)
    xs = np.maximum(x, 1e-300)
    term = np.ones_like(xs)
    total = np.ones_like(xs)
    for n in range(1, 2000):
        term = term * xs / (a + n)
        total += term
        if np.all(term < 1e-17 * total):
            break
    log_pre = a * np.log(xs) - xs - math.lgamma(a + 1.0)
    return np.where(x > 0, np.minimum(1.0, np.exp(log_pre) * total), 0.0)


def grid_cdf(cdf, kmax, dt=DT):
    """G(k) = E_f[cdf((k + 1 - f) dt)] for k = 0..kmax, f uniform on [0, 1) (module docstring)."""
    f = (np.arange(400) + 0.5) / 400
    k = np.arange(kmax + 1)
    return cdf((k[:, None] + 1 - f[None, :]) * dt).mean(axis=1)


def ks_discrete(k_obs, G):
    """sup_k |ECDF(k) - G(k)| over k = 0..len(G)-1 (both are step functions on the integers)."""
    counts = np.bincount(k_obs, minlength=G.size)[:G.size]
    ecdf = np.cumsum(counts) / k_obs.size
    return float(np.max(np.abs(ecdf - G)))


def isi_steps(mon, batch_row=None, ids=None):
    """Intervals (whole steps) between consecutive spikes of each source (and trial); only of the
    sources ``ids`` when given."""
    out = []
    steps = np.rint(mon.t / DT).astype(np.int64)
    trials = mon.trial if batch_row is None else np.full(steps.size, batch_row)
    for b in np.unique(trials):
        for i in (np.unique(mon.i) if ids is None else ids):
            s = np.sort(steps[(mon.i == i) & (trials == b)])
            out.append(np.diff(s))
    return np.concatenate(out)


def cv_se(cv, m, k):
    """Standard error of the sample CV of m Gamma(k) intervals (delta method, moments of the
    gamma: Var(cv_hat)/cv^2 = (1/2 + 1/(2k)) / m)."""
    return cv * math.sqrt((0.5 + 0.5 / k) / m)


def count_bound(n, rate, T, cv):
    """Z standard errors of the spike count of n stationary renewal sources over T ms: the
    variance of one source's count is rate T CV^2 + O(1) (the O(1) bounded by 1 here)."""
    return Z * math.sqrt(n * (rate * T * 1e-3 * cv ** 2 + 1.0))


def run_source(make, n, T, seed, batch=1):
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    src = make(net, n)
    mon = net.monitor(src, "spikes")
    net.run(T)
    return mon


# ------------------------------------------------------------------------------------ gamma
@pytest.mark.parametrize("shape,rate,cdf", [(3.0, 20.0, lambda x: erlang_cdf(x, 3)),
                                            (2.5, 40.0, lambda x: gamma_cdf(x, 2.5))])
def test_gamma_isi_distribution_rate_and_cv(shape, rate, cdf):
    n, T = 200, 20000.0
    mon = run_source(lambda net, n: net.gamma_source("g", n, shape, rate), n, T, seed=41)
    check_gamma(mon.num_spikes, isi_steps(mon), n, T, shape, rate, cdf)


def check_gamma(num_spikes, k, n, T, shape, rate, cdf):
    """n gamma sources of one shape and rate over T ms, ``num_spikes`` spikes with recorded
    intervals ``k`` (steps): the count, the KS test of ``k`` against ``cdf`` (the unit-rate CDF of
    the ISIs, scaled by beta) on the grid, and the CV against 1/sqrt(shape)."""
    # the rate (stationary from t = 0: the expected count is exactly n rate T)
    cv = 1.0 / math.sqrt(shape)
    assert abs(num_spikes - n * rate * T * 1e-3) < count_bound(n, rate, T, cv), (num_spikes, shape)
    beta = shape * rate * 1e-3                  # 1/ms
    G = grid_cdf(lambda x: cdf(beta * x), int(k.max()))
    D = ks_discrete(k, G)
    assert D < ks_critical(k.size), (D, ks_critical(k.size), k.size, shape)
    # the CV of the intervals is 1/sqrt(shape) (the grid adds dt^2/6 to the variance: < 1e-5 relative)
    isi = k * DT
    cv_hat = isi.std(ddof=1) / isi.mean()
    assert abs(cv_hat - cv) < Z * cv_se(cv, k.size, shape), (cv_hat, cv, shape)


def _reference_gamma_steps(shape, rate, n, T, rng):
    """Plain-numpy reference of the gamma source on the grid (numpy's own gamma sampler): a
    stationary start U * Gamma(shape + 1), then Gamma(shape) intervals, events at floor(t/dt),
    at most one spike per step.  Returns the recorded intervals (steps) of all sources."""
    scale = 1.0 / (shape * rate * 1e-3)        # ms
    out = []
    m = int(rate * T * 1e-3 * 3 + 50)
    for _ in range(n):
        t0 = rng.random() * rng.gamma(shape + 1.0, scale)
        t = t0 + np.concatenate([[0.0], np.cumsum(rng.gamma(shape, scale, m))])
        assert t[-1] > T
        s = np.unique(np.floor(t[t < T] / DT).astype(np.int64))
        out.append(np.diff(s))
    return np.concatenate(out)


def test_gamma_shape_below_one_matches_numpy_reference():
    """Shape 0.6 (the U^(1/shape) branch; about 1 % of the events fall into the step of the
    previous one and merge): two-sample KS against the plain-numpy reference process, alpha = 1e-3
    (conservative for discrete data), and the rate of spikes against the reference's."""
    shape, rate, n, T = 0.6, 10.0, 200, 20000.0
    mon = run_source(lambda net, n: net.gamma_source("g", n, shape, rate), n, T, seed=43)
    k = isi_steps(mon)
    ref = _reference_gamma_steps(shape, rate, n, T, np.random.default_rng(7))
    grid = np.arange(max(k.max(), ref.max()) + 1)
    D = np.max(np.abs(np.searchsorted(np.sort(k), grid, side="right") / k.size
                      - np.searchsorted(np.sort(ref), grid, side="right") / ref.size))
    crit = math.sqrt(-math.log(ALPHA / 2) / 2) * math.sqrt((k.size + ref.size) / (k.size * ref.size))
    assert D < crit, (D, crit)
    # counts: both processes lose the same merged events; compare spikes with the reference's intervals + 1
    cv = 1.0 / math.sqrt(shape)
    assert abs(mon.num_spikes - (ref.size + n)) < 2 * count_bound(n, rate, T, cv)
    assert abs(mon.num_spikes - n * rate * T * 1e-3) < count_bound(n, rate, T, cv) + 0.02 * n * rate * T * 1e-3


def test_gamma_stationary_start_and_window():
    """Stationary from ``start``: the count in the first 20 ms after start is n rate 20 ms (a
    process started with a full interval would give 0.12 n, one with an event at start >= n);
    no spike before ``start`` or at/after ``stop``.  Variance of the window count <= its mean
    for shape >= 1 (at most 1 interval in 20 ms with probability > 0.99)."""
    n, rate, shape = 2000, 20.0, 3.0
    net = ns.Network(dt=DT, seed=44)
    g = net.gamma_source("g", n, shape, rate, start=30.0, stop=80.0)
    mon = net.monitor(g, "spikes")
    net.run(100.0)
    assert mon.t.min() >= 30.0 - 1e-9 and mon.t.max() < 80.0 - 1e-9
    first = int(np.sum(mon.t < 50.0))
    expected = n * rate * 20.0 * 1e-3
    assert abs(first - expected) < Z * math.sqrt(expected), (first, expected)


# ------------------------------------------------------------------------------------ dead time
def test_dead_time_isis_rate():
    rate, dead, n, T = 50.0, 5.0, 200, 20000.0
    mon = run_source(lambda net, n: net.poisson_refractory("d", n, rate, dead), n, T, seed=45)
    check_dead_time(mon.num_spikes, isi_steps(mon), n, T, rate, dead)


def check_dead_time(num_spikes, k, n, T, rate, dead):
    """n sources of one rate (Hz) and dead time (ms, a multiple of dt) over T ms: no recorded
    interval ``k`` (steps) below the dead time, the KS test of ``k`` - dead time against the
    exponential of the hazard on the grid, the count."""
    d_steps = int(round(dead / DT))
    assert k.min() >= d_steps, (k.min(), dead)       # no interval shorter than the dead time
    assert np.any(k == max(d_steps, 1)), dead        # ... and the dead time is not longer (1 spike a step)
    lam = rate / (1.0 - rate * dead * 1e-3) * 1e-3   # hazard, 1/ms
    G = grid_cdf(lambda x: np.where(x > 0, -np.expm1(-lam * x), 0.0), int(k.max() - d_steps))
    D = ks_discrete(k - d_steps, G)
    assert D < ks_critical(k.size), (D, ks_critical(k.size), dead)
    cv = 1.0 - rate * dead * 1e-3
    assert abs(num_spikes - n * rate * T * 1e-3) < count_bound(n, rate, T, cv), (num_spikes, dead)


def test_dead_time_stationary_start():
    """The first 4 ms (inside one dead time): count n rate 4 ms exactly in expectation (a start at
    the end of a dead time would give ~0.57x, a start with a dead time 0); at most one spike per
    source there, so the variance is below the mean."""
    n, rate, dead = 4000, 50.0, 5.0
    net = ns.Network(dt=DT, seed=46)
    d = net.poisson_refractory("d", n, rate, dead)
    mon = net.monitor(d, "spikes")
    net.run(4.0)
    expected = n * rate * 4.0 * 1e-3
    assert abs(mon.num_spikes - expected) < Z * math.sqrt(expected), (mon.num_spikes, expected)


# ------------------------------------------------------------------------------------ per-source shape, dead time
def _groups(values, m):
    """Each value repeated for a group of m consecutive sources, and the ids of each group."""
    return np.repeat(np.asarray(values, np.float64), m), [np.arange(g * m, (g + 1) * m) for g in range(len(values))]


@pytest.mark.parametrize("interleave", [False, True])
def test_gamma_per_source_shapes(interleave):
    """Shapes 1, 2, 4 and rates 30, 20, 40 Hz per group of sources in one population (groups of
    consecutive sources, or interleaved): each group is the homogeneous gamma process of its
    shape and rate (count, KS against the Erlang CDF, CV 1/sqrt(k))."""
    m, T = 100, 20000.0
    shapes, rates = (1, 2, 4), (30.0, 20.0, 40.0)
    shape, groups = _groups(shapes, m)
    rate, _ = _groups(rates, m)
    if interleave:     # source i in group i % 3
        order = np.arange(3 * m).reshape(3, m).T.ravel()
        shape, rate = shape[order], rate[order]
        groups = [np.flatnonzero(np.arange(3 * m) % 3 == g) for g in range(3)]
    mon = run_source(lambda net, n: net.gamma_source("g", n, shape, rate), 3 * m, T, seed=52 + interleave)
    for k_shape, r, ids in zip(shapes, rates, groups):
        check_gamma(int(np.isin(mon.i, ids).sum()), isi_steps(mon, ids=ids), m, T, k_shape, r,
                    lambda x, k_shape=k_shape: erlang_cdf(x, k_shape))


def test_dead_time_per_source():
    """Dead times 0, 2, 5 ms per group of sources (20 Hz each; one group at 60 Hz, rate x dead_time
    0.3): each group is the homogeneous process of its dead time (no interval below it, KS of
    ISI - dead time against the exponential of its hazard, count)."""
    m, T = 100, 20000.0
    deads, rates = (0.0, 2.0, 5.0), (20.0, 20.0, 60.0)
    dead, groups = _groups(deads, m)
    rate, _ = _groups(rates, m)
    mon = run_source(lambda net, n: net.poisson_refractory("d", n, rate, dead), 3 * m, T, seed=54)
    for d, r, ids in zip(deads, rates, groups):
        check_dead_time(int(np.isin(mon.i, ids).sum()), isi_steps(mon, ids=ids), m, T, r, d)


def test_equal_per_source_values_give_the_scalar_spikes():
    """A per-source shape or dead time whose values are all equal gives the spikes of the number,
    bit for bit (same seed; two trials), and the same next event times (steps, continuous)."""
    def spikes(shape, dead):
        net = ns.Network(dt=DT, seed=55, batch=2)
        g = net.gamma_source("g", 30, shape, np.linspace(20.0, 80.0, 30))
        d = net.poisson_refractory("d", 30, 70.0, dead, start=5.0)
        mg, md = net.monitor(g, "spikes"), net.monitor(d, "spikes")
        net.run(400.0)
        return [np.stack([m.trial, m.i, np.rint(m.t / DT)]) for m in (mg, md)] + \
            [np.asarray(net._sim.backend.download().inputs.rs_next)]
    scalar = spikes(1.7, 3.0)
    assert scalar[0].shape[1] > 500 and scalar[1].shape[1] > 500 and scalar[2].shape == (2, 60)
    for a, b in zip(spikes(np.full(30, 1.7), [3.0] * 30), scalar):
        np.testing.assert_array_equal(a, b)


def test_per_source_values_round_trip():
    """``to_dict`` keeps a number a number and per-source values an array; JSON -> ``from_dict``
    (and ``Network.from_spec``) give the same spec text and the same source arrays."""
    from neurosim.spec.network import NetworkSpec
    from neurosim.state.build import build_state
    net = ns.Network(dt=DT, seed=56)
    net.gamma_source("g", 3, [1.0, 2.5, 4.0], 20.0)
    net.gamma_source("h", 2, 3.0, 10.0)
    net.poisson_refractory("d", 3, [10.0, 20.0, 30.0], [0.0, 2.0, 5.0])
    net.poisson_refractory("e", 2, 10.0, 1.5)
    net.poisson_refractory("f", 2, [300.0, 10.0], [3.0, 50.0])     # rate x dead_time < 1 per source
    d = {p["name"]: p for p in net.spec().to_dict()["populations"]}
    np.testing.assert_array_equal(d["g"]["shape"], [1.0, 2.5, 4.0])
    np.testing.assert_array_equal(d["d"]["dead_time"], [0.0, 2.0, 5.0])
    assert type(d["h"]["shape"]) is float and type(d["e"]["dead_time"]) is float
    text = net.to_json()
    back = NetworkSpec.from_dict(text)
    assert json.loads(back.to_json()) == json.loads(text)
    assert json.loads(ns.Network.from_spec(json.loads(text)).to_json()) == json.loads(text)
    a, b = build_state(net.spec())[0].inputs, build_state(back)[0].inputs
    np.testing.assert_array_equal(a.rs_shape, [1.0, 2.5, 4.0, 3.0, 3.0] + [1.0] * 7)
    np.testing.assert_array_equal(a.rs_dead, np.array([0.0] * 5 + [0.0, 2.0, 5.0, 1.5, 1.5, 3.0, 50.0]) / DT)
    for f in ("rs_shape", "rs_dead", "rs_scale", "rs_off"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


# ------------------------------------------------------------------------------------ batches, seeds
def test_batch_rows_independent_and_seeded():
    """Each trial has its own spike trains: the per-source counts of two trials are uncorrelated
    (|r| < 5/sqrt(n)), each trial has the rate; the same seed repeats, another seed differs."""
    n, T, rate = 400, 2000.0, 30.0

    def make(net, n):
        return net.gamma_source("g", n, 2.0, rate)
    mon = run_source(make, n, T, seed=47, batch=2)
    c = np.zeros((2, n))
    np.add.at(c, (mon.trial, mon.i), 1)
    for b in range(2):
        assert abs(c[b].sum() - n * rate * T * 1e-3) < count_bound(n, rate, T, 1 / math.sqrt(2))
    r = np.corrcoef(c[0], c[1])[0, 1]
    assert abs(r) < Z / math.sqrt(n), r
    again = run_source(make, n, T, seed=47, batch=2)
    np.testing.assert_array_equal(again.t, mon.t)
    np.testing.assert_array_equal(again.i, mon.i)
    other = run_source(make, n, T, seed=48, batch=2)
    assert not (other.t.shape == mon.t.shape and np.array_equal(other.t, mon.t))


def test_split_run_continues():
    def spikes(split):
        net = ns.Network(dt=DT, seed=49)
        g = net.gamma_source("g", 20, 0.8, 50.0)
        d = net.poisson_refractory("d", 20, 80.0, 3.0, start=10.0)
        mg, md = net.monitor(g, "spikes"), net.monitor(d, "spikes")
        for T in split:
            net.run(T)
        return np.concatenate([mg.t, md.t + 1e6])
    np.testing.assert_array_equal(spikes([500.0]), spikes([123.4, 376.6]))


# ------------------------------------------------------------------------------------ inhomogeneous Poisson
def test_inhomogeneous_poisson_uniform_within_segments():
    """``poisson`` with a Schedule rate (NEST inhomogeneous_poisson_generator): within each segment
    of constant rate the spike steps are uniform on the segment's steps (KS against the discrete
    uniform CDF, alpha = 1e-3 per segment), and the count is Binomial (5 SE)."""
    n = 300
    times, rates = [0.0, 200.0, 500.0], [40.0, 5.0, 100.0]
    T = 700.0
    net = ns.Network(dt=DT, seed=50)
    src = net.poisson("src", n, ns.steps(times, rates))
    mon = net.monitor(src, "spikes")
    net.run(T)
    k = np.rint(mon.t / DT).astype(np.int64)
    edges = [int(round(t / DT)) for t in times] + [int(round(T / DT))]
    for a, b, r in zip(edges[:-1], edges[1:], rates):
        pos = k[(k >= a) & (k < b)] - a
        L = b - a
        p = r * DT * 1e-3
        assert abs(pos.size - n * L * p) < Z * math.sqrt(n * L * p * (1 - p))
        G = (np.arange(L) + 1.0) / L
        D = ks_discrete(pos, G)
        assert D < ks_critical(pos.size), (a, D, ks_critical(pos.size))


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,match", [
    (dict(shape=0.0, rate=10.0), "shape must be > 0"),
    (dict(shape=-1.0, rate=10.0), "shape must be > 0"),
    (dict(shape=2.0, rate=-5.0), "rate must be >= 0 Hz"),
    (dict(shape=2.0, rate=float("inf")), "rate must be finite"),
    (dict(shape=2.0, rate=20000.0), "more than one spike per step"),
    (dict(shape=2.0, rate=[1.0, 2.0]), "rate must be a number or 4 values"),
    (dict(shape=2.0, rate=10.0, start=0.05), "start 0.05 ms is not a multiple of dt"),
    (dict(shape=2.0, rate=10.0, start=5.0, stop=5.0), "stop must be > start"),
    (dict(shape=[2.0, 1.0, -1.5, 3.0], rate=10.0), r"shape\[2\] must be > 0, got -1.5"),
    (dict(shape=[2.0, 0.0, -1.5, 3.0], rate=10.0), r"shape\[1\] must be > 0, got 0.0"),
    (dict(shape=[2.0, 1.0, 3.0, float("nan")], rate=10.0), r"shape\[3\] must be finite, got nan"),
    (dict(shape=[2.0, 1.0, 3.0], rate=10.0), r"shape must be a number or 4 per-source values, got shape \(3,\)"),
    (dict(shape=np.ones((2, 2)), rate=10.0), r"shape must be a number or 4 per-source values, got shape \(2, 2\)"),
])
def test_gamma_bad_input(kwargs, match):
    net = ns.Network(dt=DT)
    with pytest.raises(SpecError, match=match):
        net.gamma_source("g", 4, **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    (dict(rate=10.0, dead_time=-1.0), "dead_time must be >= 0"),
    (dict(rate=200.0, dead_time=5.0), r"rate x dead_time must be < 1.*200 Hz x 5 ms = 1"),
    (dict(rate=[10.0, 10.0, 10.0, 300.0], dead_time=4.0), "rate x dead_time must be < 1"),
    (dict(rate=-1.0, dead_time=1.0), "rate must be >= 0 Hz"),
    (dict(rate=10.0, dead_time=1.0, stop=-2.0), "stop must be > start"),
    (dict(rate=10.0, dead_time=[1.0, 0.0, -2.0, 3.0]), r"dead_time\[2\] must be >= 0 \(ms\), got -2.0"),
    (dict(rate=10.0, dead_time=[1.0, 2.0]), r"dead_time must be a number or 4 per-source values \(ms\), got shape"),
    (dict(rate=100.0, dead_time=[1.0, 2.0, 10.0, 12.0]), r"< 1.*got 100 Hz x 10 ms = 1 at source 2"),
    (dict(rate=[10.0, 100.0, 300.0, 10.0], dead_time=[4.0, 3.0, 4.0, 4.0]), r"got 300 Hz x 4 ms = 1.2 at source 2"),
])
def test_dead_time_bad_input(kwargs, match):
    net = ns.Network(dt=DT)
    with pytest.raises(SpecError, match=match):
        net.poisson_refractory("d", 4, **kwargs)


def test_renewal_sources_refuse_set_and_state_monitors():
    net = ns.Network(dt=DT)
    g = net.gamma_source("g", 4, 2.0, 10.0)
    with pytest.raises(SpecError, match="GammaSource"):
        g.set(rate=5.0)
    with pytest.raises(SpecError, match="spike source"):
        net.monitor(g, "v")
    with pytest.raises(SpecError, match="spike source"):
        net.inject_ac(g, 1.0, 1.0)


# ------------------------------------------------------------------------------------ threads
@pytest.mark.slow
def test_same_spikes_with_1_and_2_threads(tmp_path):
    """Renewal sources and generated currents driving neurons: the multi-threaded runner (forced
    on) gives the single-thread spikes and final state bit for bit."""
    code = textwrap.dedent('''
        import sys, numpy as np, numba, neurosim as ns
        import neurosim.kernels.cpu.neurons as kernels
        kernels.PARALLEL_MIN_WORK = 0
        net = ns.Network(dt=0.1, seed=51)
        g = net.gamma_source("g", 30, 1.7, 60.0)
        d = net.poisson_refractory("d", 30, 80.0, 2.0)
        cell = ns.LIFCurr(tau_m=10.0, v_th=-55.0, v_rest=-65.0, v_reset=-65.0)
        e, f = net.population("e", 40, cell), net.population("f", 40, cell)   # two blocks: two threads
        net.connect([g, d], [e, f], ns.fixed_indegree(6), receptor=ns.ExpCurrent(2.0, name="ex"), weight=120.0)
        net.inject_ac(e, 150.0, 20.0, phase=90.0, indices=range(32))
        net.inject_noise(f, 50.0, 200.0, 0.5, indices=range(16, 40))
        net.inject_noise(e, 0.0, 300.0, 0.2)
        ms = [net.monitor(p, "spikes") for p in (g, d, e, f)]
        net.run(300.0)
        assert (net._sim.backend.threaded_chunks > 0) == (numba.get_num_threads() > 1)
        np.savez(sys.argv[1], *[np.stack([m.i, np.rint(m.t / 0.1)]) for m in ms], v=net._sim.state.neurons.v)
    ''')
    script = tmp_path / "threads.py"
    script.write_text(code)
    outs = []
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        out = tmp_path / f"t{threads}.npz"
        r = subprocess.run([sys.executable, str(script), str(out)], env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(dict(np.load(out)))
    assert outs[0]["arr_2"].shape[1] > 100 and outs[0]["arr_3"].shape[1] > 100
    for key in outs[0]:
        np.testing.assert_array_equal(outs[0][key], outs[1][key], err_msg=key)
