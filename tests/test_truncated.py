"""Bounded distributions (spec/distributions.py): ``Normal`` / ``LogNormal`` with ``low`` / ``high``,
redrawn (NEST ``nest.math.redraw``, PyNN ``constrain="redraw"``) or clipped (``redraw=False``).

References are independent of the code: closed forms of the truncated normal (mean, variance, CDF
through math.erf), numerical quadrature of its density for the 4th central moment, numpy's own
unbounded draws, and NEST 3's ``nest.math.redraw`` on a ``Connect`` call.

Statistical checks use Z = 5 standard errors (a false failure about once in 1.7e6 per check, normal
approximation); the KS checks use the asymptotic Kolmogorov bound 2 exp(-2 t^2) = 1e-6, i.e. a
critical value t = 2.69 / sqrt(m).  Seeds are fixed, so the tests are deterministic.
"""
import concurrent.futures
import importlib.util
import json
import math
import multiprocessing

import numpy as np
import pytest

import neurosim as ns
from neurosim.spec.distributions import MIN_MASS, from_dict
from neurosim.spec.network import NetworkSpec
from neurosim.state.build import build_state

Z = 5.0
KS_T = math.sqrt(math.log(2 / 1e-6) / 2)      # 2.69: P(sqrt(m) D > KS_T) ~ 1e-6
DT = 0.1


def _Phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2))) if math.isfinite(x) else (1.0 if x > 0 else 0.0)


def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0


def _trunc_moments(mu, s, a, b):
    """Mean and variance of N(mu, s^2) truncated to [a, b] (closed forms, e.g. Johnson, Kotz &
    Balakrishnan 1994, ch. 13.10.1)."""
    al, be = (a - mu) / s, (b - mu) / s
    zm = _Phi(be) - _Phi(al)
    r = (_phi(al) - _phi(be)) / zm
    al_t = al * _phi(al) if math.isfinite(al) else 0.0
    be_t = be * _phi(be) if math.isfinite(be) else 0.0
    return mu + s * r, s * s * (1 + (al_t - be_t) / zm - r * r)


def _trunc_mu4(mu, s, a, b, mean):
    """4th central moment of the truncated normal by quadrature of its density (2e5 points)."""
    x = np.linspace(max(a, mu - 12 * s), min(b, mu + 12 * s), 200_001)
    f = np.exp(-0.5 * ((x - mu) / s) ** 2)
    return np.trapezoid(f * (x - mean) ** 4, x) / np.trapezoid(f, x)


def _trunc_cdf(x, mu, s, a, b):
    al, be = _Phi((a - mu) / s), _Phi((b - mu) / s)
    erf = np.frompyfunc(lambda v: _Phi((v - mu) / s), 1, 1)
    return (erf(x).astype(np.float64) - al) / (be - al)


def _ks(x, cdf):
    x = np.sort(x)
    m = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, m + 1) / m - f), np.max(f - np.arange(m) / m))


CASES = [(1.5, 0.75, 0.1, 3.0), (0.0, 1.0, 0.5, None), (-2.0, 3.0, None, -1.0), (10.0, 2.0, 13.0, 20.0)]


@pytest.mark.parametrize("mu,s,lo,hi", CASES)
def test_redrawn_normal_has_the_truncated_mean_variance_and_cdf(mu, s, lo, hi):
    m = 200_000
    x = ns.Normal(mu, s, low=lo, high=hi).draw(np.random.default_rng(5), m)
    a = -math.inf if lo is None else lo
    b = math.inf if hi is None else hi
    assert x.min() >= a and x.max() <= b
    mean, var = _trunc_moments(mu, s, a, b)
    assert abs(x.mean() - mean) < Z * math.sqrt(var / m), (x.mean(), mean)
    mu4 = _trunc_mu4(mu, s, a, b, mean)
    se_var = math.sqrt((mu4 - var ** 2 * (m - 3) / (m - 1)) / m)
    assert abs(x.var(ddof=1) - var) < Z * se_var, (x.var(ddof=1), var)
    d = _ks(x, lambda v: _trunc_cdf(v, mu, s, a, b))
    assert d < KS_T / math.sqrt(m), d


def test_redrawn_lognormal_follows_the_truncated_cdf():
    mean, std, lo, hi = 1.0, 0.5, 0.6, 1.8
    s2 = math.log1p(std ** 2 / mean ** 2)
    mu, s = math.log(mean) - 0.5 * s2, math.sqrt(s2)
    m = 100_000
    x = ns.LogNormal(mean, std, low=lo, high=hi).draw(np.random.default_rng(6), m)
    assert x.min() >= lo and x.max() <= hi
    d = _ks(np.log(x), lambda v: _trunc_cdf(v, mu, s, math.log(lo), math.log(hi)))
    assert d < KS_T / math.sqrt(m), d


def test_clip_puts_the_outside_mass_exactly_on_the_bounds():
    mu, s, lo, hi, m = 1.0, 1.0, 0.2, 2.5, 200_000
    x = ns.Normal(mu, s, low=lo, high=hi, redraw=False).draw(np.random.default_rng(8), m)
    raw = np.random.default_rng(8).normal(mu, s, m)     # numpy's own draws, same seed
    np.testing.assert_array_equal(x, np.clip(raw, lo, hi))
    for at, p in ((lo, _Phi((lo - mu) / s)), (hi, 1 - _Phi((hi - mu) / s))):
        c = int(np.sum(x == at))
        assert abs(c - m * p) < Z * math.sqrt(m * p * (1 - p)), (at, c, m * p)


def test_without_bounds_the_draws_are_numpys_as_before():
    for redraw in (True, False):
        x = ns.Normal(2.0, 0.5, redraw=redraw).draw(np.random.default_rng(3), 1000)
        np.testing.assert_array_equal(x, np.random.default_rng(3).normal(2.0, 0.5, 1000))
    assert ns.Normal(2.0, 0.5).to_dict() == {"dist": "normal", "mu": 2.0, "sigma": 0.5}
    assert ns.LogNormal(2.0, 0.5).to_dict() == {"dist": "lognormal", "mean": 2.0, "std": 0.5}


def _delays(dist, seed=4, n=300):
    net = ns.Network(dt=DT, seed=seed)
    a = net.population("a", n)
    q = net.connect(a, a, ns.all_to_all(), receptor="AMPA", weight=0.1, delay=dist)
    return net.connections(q)["delay"]


def test_redrawn_delays_are_all_at_least_low_and_follow_the_truncated_normal():
    """Potjans & Diesmann style delays: N(1.5, 0.75) ms redrawn into [0.1 ms, inf), then rounded to
    the 0.1 ms grid (nearest step): each step's share is the truncated normal's mass of its bin."""
    mu, s, lo = 1.5, 0.75, 0.1
    d = _delays(ns.Normal(mu, s, low=lo))
    steps = np.rint(d / DT).astype(int)
    assert d.min() >= lo * (1 - 1e-12)
    zm = 1 - _Phi((lo - mu) / s)
    m = steps.size
    for k in range(1, 40):
        a = max(lo, (k - 0.5) * DT)
        p = (_Phi(((k + 0.5) * DT - mu) / s) - _Phi((a - mu) / s)) / zm
        c = int(np.sum(steps == k))
        assert abs(c - m * p) < Z * math.sqrt(m * p * (1 - p)) + 1e-9, (k, c, m * p)


def test_a_delay_below_dt_is_redrawn_not_clipped():
    """low = 0 < dt: the delays' own range (>= dt) is redrawn too, so step 1 only gets the mass of
    [dt, 1.5 dt) (clipping would pile all of (-inf, dt) onto it)."""
    mu, s = 0.15, 0.2
    d = _delays(ns.Normal(mu, s, low=0.0), seed=9)
    assert d.min() >= DT * (1 - 1e-12)
    steps = np.rint(d / DT).astype(int)
    zm = 1 - _Phi((DT - mu) / s)
    p = (_Phi((1.5 * DT - mu) / s) - _Phi((DT - mu) / s)) / zm
    m, c = steps.size, int(np.sum(steps == 1))
    assert abs(c - m * p) < Z * math.sqrt(m * p * (1 - p)), (c, m * p)


@pytest.mark.parametrize("kw,match", [
    (dict(mu=0.0, sigma=-1.0), "sigma must be >= 0"),
    (dict(mu=0.0, sigma=1.0, low=1.0, high=1.0), "high must be > low"),
    (dict(mu=0.0, sigma=1.0, low=2.0, high=-1.0), "high must be > low"),
    (dict(mu=0.0, sigma=1.0, low=5.5), r"only 1.9e-08 of the probability"),
    (dict(mu=1.0, sigma=0.0, high=0.5), "only 0 of the probability"),
    (dict(mu=0.0, sigma=1.0, low=float("nan")), "low must be finite"),
    (dict(mu=0.0, sigma=1.0, low=0.0, redraw="yes"), "redraw must be True or False"),
])
def test_bad_bounds_are_refused(kw, match):
    with pytest.raises(ns.SpecError, match=match):
        ns.Normal(**kw)


def test_bad_bounds_are_refused_for_lognormal_and_when_narrowed_to_the_valid_range():
    with pytest.raises(ns.SpecError, match="only .* of the probability"):
        ns.LogNormal(1.0, 0.1, high=0.3)
    with pytest.raises(ns.SpecError, match="LogNormal.high must be > low"):
        ns.LogNormal(1.0, 0.1, low=2.0, high=1.0)
    # delays redrawn into [dt, high]: high below dt leaves nothing (refused at build, before a run)
    net = ns.Network(dt=DT, seed=1)
    a = net.population("a", 10)
    net.connect(a, a, ns.all_to_all(), receptor="AMPA", weight=0.1, delay=ns.Normal(0.0, 1.0, high=0.05))
    with pytest.raises(ns.SpecError, match="delay.*high must be > low"):
        build_state(net)
    assert net.t == 0.0


def test_bounds_within_the_minimum_mass_and_redraw_without_bounds_are_fine():
    assert ns.Normal(0.0, 1.0, low=4.7).mass_inside() > MIN_MASS
    ns.Normal(0.0, 1.0, low=4.7).draw(np.random.default_rng(0), 10)
    ns.Normal(0.0, 1.0, redraw=True)


def test_bounded_distributions_survive_the_spec_round_trip():
    net = ns.Network(dt=DT, seed=2)
    a = net.population("a", 50, ns.LIFCurr(tau_m=ns.Normal(20.0, 5.0, low=10.0, high=30.0, redraw=False)))
    net.connect(a, a, ns.fixed_total_number(500), receptor=ns.ExpCurrent(), weight=ns.LogNormal(1.0, 0.5, high=2.0),
                delay=ns.Normal(1.5, 0.75, low=0.1))
    spec = net.spec()
    back = NetworkSpec.from_dict(json.loads(json.dumps(spec.to_dict(), default=str)))
    assert back.projections[0].delay == ns.Normal(1.5, 0.75, low=0.1)
    assert back.projections[0].weight == ns.LogNormal(1.0, 0.5, high=2.0)
    s1, s2 = build_state(spec)[0], build_state(back)[0]
    np.testing.assert_array_equal(s1.syn.delay, s2.syn.delay)
    np.testing.assert_array_equal(s1.syn.w, s2.syn.w)
    np.testing.assert_array_equal(s1.neurons.g_leak, s2.neurons.g_leak)
    assert from_dict({"dist": "normal", "mu": 1.0, "sigma": 2.0}) == ns.Normal(1.0, 2.0)


def _nest_redrawn_delays(mu, s, lo, hi, n_side):
    """The delays (ms) NEST draws for an all-to-all connection of ``n_side`` cells with
    ``nest.math.redraw(nest.random.normal(mu, s), lo, hi)`` (called in a fresh process)."""
    import nest
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "rng_seed": 5})
    a = nest.Create("iaf_psc_exp", n_side)
    nest.Connect(a, a, {"rule": "all_to_all"},
                 {"synapse_model": "static_synapse", "weight": 1.0,
                  "delay": nest.math.redraw(nest.random.normal(mean=mu, std=s), min=lo, max=hi)})
    return np.asarray(nest.GetConnections().get("delay"), dtype=np.float64)


def test_redrawn_delays_match_nest_math_redraw():
    """NEST 3: ``nest.math.redraw(nest.random.normal(mean, std), min, max)`` as a connection's delay
    (the Potjans & Diesmann microcircuit's delays), 0.1 ms resolution, against the same bounded
    Normal here: the delay-step histograms agree bin by bin (two-sample test of proportions, pooled
    standard error, Z = 5 per bin: a false failure about once in 1e5 over the 20 bins).  The
    parameters put a third of the mass below ``min``, so clipping instead would fail it at step 1."""
    if importlib.util.find_spec("nest") is None:  # pragma: no cover - depends on the environment
        pytest.skip("nest-simulator is not installed")
    mu, s, lo, hi, n_side = 0.3, 0.5, 0.1, 2.0, 200
    # NEST runs in a fresh process: its ResetKernel segfaults where an OpenMP runtime was started
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        d_nest = ex.submit(_nest_redrawn_delays, mu, s, lo, hi, n_side).result()
    d_ours = _delays(ns.Normal(mu, s, low=lo, high=hi), seed=13, n=n_side)
    assert d_nest.size == d_ours.size == n_side ** 2
    k_nest, k_ours = np.rint(d_nest / DT).astype(int), np.rint(d_ours / DT).astype(int)
    assert k_ours.min() >= 1 and k_ours.max() <= 20 and k_nest.min() >= 1 and k_nest.max() <= 20
    m1, m2 = k_nest.size, k_ours.size
    for k in range(1, 21):
        c1, c2 = int(np.sum(k_nest == k)), int(np.sum(k_ours == k))
        p = (c1 + c2) / (m1 + m2)
        se = math.sqrt(p * (1 - p) * (1 / m1 + 1 / m2))
        assert abs(c1 / m1 - c2 / m2) <= Z * se + 1e-12, (k, c1 / m1, c2 / m2)
