"""Connectivity statistics of the connectors, seeds, and weights/delays drawn from distributions.

Statistical tolerances are 5 standard errors computed from the sample size (a correct
implementation fails one such check with probability ~6e-7); the seeds are fixed, so the
tests are deterministic.  Standard errors used:
* sample mean of m i.i.d. values with variance s2: sqrt(s2 / m);
* sample variance: sqrt((mu4 - s2^2 (m-3)/(m-1)) / m) with mu4 the 4th central moment
  (Binomial(n, p): mu4 = n p q (1 + 3 (n-2) p q));
* sample standard deviation: SE(variance) / (2 sigma) (delta method);
* a count ~ Binomial(N, p): sqrt(N p (1-p)).
"""
import math

import numpy as np
import pytest

import neurosim as ns

DT = 0.1
Z = 5.0


def _binom_mu4(n, p):
    q = 1 - p
    return n * p * q * (1 + 3 * (n - 2) * p * q)


def _se_var(s2, mu4, m):
    return math.sqrt((mu4 - s2 ** 2 * (m - 3) / (m - 1)) / m)


def _check_mean_var(x, mean, var, mu4, what):
    m = x.size
    assert abs(x.mean() - mean) < Z * math.sqrt(var / m), f"{what}: mean {x.mean()} vs {mean}"
    assert abs(x.var(ddof=1) - var) < Z * _se_var(var, mu4, m), f"{what}: variance {x.var(ddof=1)} vs {var}"


def _build(n_pre, n_post, connector, same=False, seed=0, **kw):
    net = ns.Network(dt=DT, seed=seed)
    a = net.population("a", n_pre, ns.LIFCond())
    b = a if same else net.population("b", n_post, ns.LIFCond())
    proj = net.connect(a, b, connector, **kw)
    return net, proj, net.connections(proj)


def _pairs(con):
    return np.stack([con["pre"], con["post"]], axis=1)


def _assert_sorted_unique(con, unique=True):
    key = con["pre"].astype(np.int64) * 10 ** 6 + con["post"]
    assert np.all(np.diff(key) >= 0), "synapses sorted by pre, then post"
    if unique:
        assert np.unique(key).size == key.size, "no duplicate (pre, post) pairs"


# --------------------------------------------------------------------- fixed_probability
def test_fixed_probability_degrees():
    n_pre, n_post, p = 500, 400, 0.1
    _, _, con = _build(n_pre, n_post, ns.fixed_probability(p))
    _assert_sorted_unique(con)
    indeg = np.bincount(con["post"], minlength=n_post)
    outdeg = np.bincount(con["pre"], minlength=n_pre)
    _check_mean_var(indeg, n_pre * p, n_pre * p * (1 - p), _binom_mu4(n_pre, p), "in-degree")
    _check_mean_var(outdeg, n_post * p, n_post * p * (1 - p), _binom_mu4(n_post, p), "out-degree")
    N = n_pre * n_post
    assert abs(con["pre"].size - N * p) < Z * math.sqrt(N * p * (1 - p))
    # independence of neighbouring pairs: E[#(j and j+1 both connected)] = M p^2, with
    # Var = M p^2 (1 - p^2) + 2 (M - n_pre) (p^3 - p^4) for the overlapping pairs in a row
    A = np.zeros((n_pre, n_post), bool)
    A[con["pre"], con["post"]] = True
    both = int((A[:, 1:] & A[:, :-1]).sum())
    M = n_pre * (n_post - 1)
    var = M * p ** 2 * (1 - p ** 2) + 2 * (M - n_pre) * (p ** 3 - p ** 4)
    assert abs(both - M * p ** 2) < Z * math.sqrt(var)


def test_fixed_probability_no_autapses():
    n, p = 300, 0.2
    _, _, con = _build(n, n, ns.fixed_probability(p, allow_autapses=False), same=True)
    _assert_sorted_unique(con)
    assert not np.any(con["pre"] == con["post"])
    indeg = np.bincount(con["post"], minlength=n)
    _check_mean_var(indeg, (n - 1) * p, (n - 1) * p * (1 - p), _binom_mu4(n - 1, p), "in-degree")
    # with autapses allowed the diagonal is populated at rate p
    _, _, con2 = _build(n, n, ns.fixed_probability(p), same=True)
    n_diag = int(np.sum(con2["pre"] == con2["post"]))
    assert abs(n_diag - n * p) < Z * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_fixed_probability_extremes(p):
    _, _, con = _build(20, 30, ns.fixed_probability(p))
    assert con["pre"].size == (600 if p == 1.0 else 0)
    _, _, con = _build(20, 20, ns.fixed_probability(p, allow_autapses=False), same=True)
    assert con["pre"].size == (380 if p == 1.0 else 0)


# --------------------------------------------------------------------- fixed in/out-degree
@pytest.mark.parametrize("rule", ["indegree", "outdegree"])
def test_fixed_degree(rule):
    n_pre, n_post, k = 300, 200, 20
    conn = ns.fixed_indegree(k) if rule == "indegree" else ns.fixed_outdegree(k)
    _, _, con = _build(n_pre, n_post, conn)
    _assert_sorted_unique(con)                       # distinct partners without multapses
    fixed_side, other_side = ("post", "pre") if rule == "indegree" else ("pre", "post")
    n_fixed, n_other = (n_post, n_pre) if rule == "indegree" else (n_pre, n_post)
    np.testing.assert_array_equal(np.bincount(con[fixed_side], minlength=n_fixed), k)
    # partners chosen uniformly: the usage count of each partner is Binomial(n_fixed, k/n_other)
    # (independent rows); its mean is exactly n_fixed*k/n_other, its sample variance has
    # expectation n_other/(n_other-1) * n_fixed q (1-q) because the counts sum to n_fixed*k
    q = k / n_other
    use = np.bincount(con[other_side], minlength=n_other)
    assert use.mean() == pytest.approx(n_fixed * q, rel=1e-12)
    var = n_fixed * q * (1 - q)
    assert abs(use.var(ddof=1) - var * n_other / (n_other - 1)) < Z * _se_var(var, _binom_mu4(n_fixed, q), n_other)


@pytest.mark.parametrize("rule", ["indegree", "outdegree"])
def test_fixed_degree_autapses_and_multapses(rule):
    make = ns.fixed_indegree if rule == "indegree" else ns.fixed_outdegree
    fixed_side = "post" if rule == "indegree" else "pre"
    n, k = 60, 59
    _, _, con = _build(n, n, make(k, allow_autapses=False), same=True)
    assert not np.any(con["pre"] == con["post"])
    _assert_sorted_unique(con)
    np.testing.assert_array_equal(np.bincount(con[fixed_side], minlength=n), k)   # all others
    # multapses allowed: k draws with replacement per row; duplicates appear, count still exact
    _, _, con = _build(n, n, make(50, allow_multapses=True, allow_autapses=False), same=True)
    np.testing.assert_array_equal(np.bincount(con[fixed_side], minlength=n), 50)
    assert not np.any(con["pre"] == con["post"])
    key = con["pre"] * n + con["post"]
    n_dup = key.size - np.unique(key).size
    assert n_dup > 0
    _assert_sorted_unique(con, unique=False)
    # too many without multapses is refused
    with pytest.raises(ns.SpecError, match=r"must be <= 59"):
        _build(n, n, make(60, allow_autapses=False), same=True)


# --------------------------------------------------------------------- deterministic rules
def test_all_to_all_and_one_to_one():
    _, _, con = _build(7, 5, ns.all_to_all())
    want = np.array([(i, j) for i in range(7) for j in range(5)])
    np.testing.assert_array_equal(_pairs(con), want)
    _, _, con = _build(6, 6, ns.all_to_all(allow_autapses=False), same=True)
    want = np.array([(i, j) for i in range(6) for j in range(6) if i != j])
    np.testing.assert_array_equal(_pairs(con), want)
    _, _, con = _build(9, 9, ns.one_to_one())
    np.testing.assert_array_equal(_pairs(con), np.stack([np.arange(9)] * 2, 1))
    with pytest.raises(ns.SpecError, match="one_to_one"):
        _build(9, 8, ns.one_to_one())


def test_from_arrays_follows_permutation():
    rng = np.random.default_rng(5)
    n_pre, n_post = 12, 9
    allp = np.array([(i, j) for i in range(n_pre) for j in range(n_post)])
    pick = rng.permutation(len(allp))[:40]                   # unique pairs in random order
    pre, post = allp[pick, 0], allp[pick, 1]
    w = rng.uniform(0.1, 5.0, pick.size)
    d = rng.uniform(0.1, 2.0, pick.size)
    _, proj, con = _build(n_pre, n_post, ns.from_arrays(pre, post, w=w, delay=d), receptor="GABA_A")
    _assert_sorted_unique(con)
    assert con["pre"].size == pick.size
    lookup = {(a, b): k for k, (a, b) in enumerate(zip(pre, post))}
    idx = np.array([lookup[(a, b)] for a, b in zip(con["pre"], con["post"])])
    np.testing.assert_array_equal(con["weight"]["GABA_A"], w[idx])
    steps = np.maximum(1, np.floor(d[idx] / DT + 0.5 + 1e-9))
    np.testing.assert_allclose(con["delay"], steps * DT, rtol=1e-12)


def test_glutamate_weight_ratio():
    _, _, con = _build(30, 30, ns.fixed_probability(0.3), receptor="glutamate", weight=ns.Uniform(0.5, 1.5),
                       nmda_ratio=0.25)
    np.testing.assert_allclose(con["weight"]["NMDA"], 0.25 * con["weight"]["AMPA"], rtol=1e-15)


# --------------------------------------------------------------------- seeds
@pytest.mark.parametrize("conn", [ns.fixed_probability(0.1), ns.fixed_indegree(10), ns.fixed_outdegree(10)],
                         ids=["prob", "indeg", "outdeg"])
def test_seed_reproducibility(conn):
    kw = dict(weight=ns.Normal(2.0, 0.5), delay=ns.Uniform(0.1, 2.0))
    c1 = _build(100, 80, conn, seed=3, **kw)[2]
    c2 = _build(100, 80, conn, seed=3, **kw)[2]
    c3 = _build(100, 80, conn, seed=11, **kw)[2]
    for k in ("pre", "post", "delay"):
        np.testing.assert_array_equal(c1[k], c2[k])
    np.testing.assert_array_equal(c1["weight"]["AMPA"], c2["weight"]["AMPA"])
    assert not (_pairs(c1).shape == _pairs(c3).shape and np.array_equal(_pairs(c1), _pairs(c3)))
    if c1["pre"].size == c3["pre"].size:
        assert not np.array_equal(c1["weight"]["AMPA"], c3["weight"]["AMPA"])


def test_projections_are_drawn_independently():
    net = ns.Network(dt=DT, seed=12)
    a = net.population("a", 100, ns.LIFCond())
    b = net.population("b", 100, ns.LIFCond())
    p1 = net.connect(a, b, ns.fixed_probability(0.1), weight=ns.Uniform(0, 1))
    p2 = net.connect(a, b, ns.fixed_probability(0.1), weight=ns.Uniform(0, 1))
    c1, c2 = net.connections(p1), net.connections(p2)
    A1 = np.zeros((100, 100), bool)
    A2 = np.zeros((100, 100), bool)
    A1[c1["pre"], c1["post"]] = True
    A2[c2["pre"], c2["post"]] = True
    # overlap of two independent Bernoulli(0.1) graphs: Binomial(10^4, 0.01)
    ov = int((A1 & A2).sum())
    assert abs(ov - 100) < Z * math.sqrt(100 * 0.99)


# --------------------------------------------------------------------- distributions
def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _Phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _moments_check(x, mean, std, mu4, what):
    """Mean within 5 SE = 5 std/sqrt(m); std within 5 SE(var)/(2 std)."""
    m = x.size
    assert abs(x.mean() - mean) < Z * std / math.sqrt(m), f"{what}: mean {x.mean()} vs {mean}"
    se_std = _se_var(std ** 2, mu4, m) / (2 * std)
    assert abs(x.std(ddof=1) - std) < Z * se_std, f"{what}: std {x.std(ddof=1)} vs {std}"


N_SIDE = 200          # all_to_all 200 x 200 = 40000 synapses


def test_weights_normal_current_based():
    mu, sd = -20.0, 15.0
    net = ns.Network(dt=DT, seed=13)
    a = net.population("a", N_SIDE, ns.LIFCurr())
    proj = net.connect(a, a, ns.all_to_all(), receptor=ns.ExpCurrent(), weight=ns.Normal(mu, sd))
    w = net.connections(proj)["weight"]["I_syn"]
    assert w.size == N_SIDE ** 2 and w.min() < 0 < w.max()        # not clipped
    _moments_check(w, mu, sd, 3 * sd ** 4, "Normal")


def test_weights_normal_clipped_for_conductance():
    mu, sd = 0.5, 1.0
    w = _build(N_SIDE, N_SIDE, ns.all_to_all(), weight=ns.Normal(mu, sd), seed=3)[2]["weight"]["AMPA"]
    m = w.size
    assert w.min() == 0.0
    p0 = _Phi(-mu / sd)
    assert abs(np.mean(w == 0) - p0) < Z * math.sqrt(p0 * (1 - p0) / m)
    # mean and variance of max(X, 0), X ~ N(mu, sd^2)
    a = mu / sd
    mean = mu * _Phi(a) + sd * _phi(a)
    m2 = (mu ** 2 + sd ** 2) * _Phi(a) + mu * sd * _phi(a)
    var = m2 - mean ** 2
    assert abs(w.mean() - mean) < Z * math.sqrt(var / m)


def test_weights_lognormal():
    mean, std = 2.0, 1.0
    w = _build(N_SIDE, N_SIDE, ns.all_to_all(), weight=ns.LogNormal(mean, std), seed=17)[2]["weight"]["AMPA"]
    assert w.min() > 0
    s2 = math.log1p(std ** 2 / mean ** 2)
    mu = math.log(mean) - s2 / 2
    raw = [math.exp(k * mu + k * k * s2 / 2) for k in range(5)]       # E[X^k]
    mu4 = raw[4] - 4 * raw[3] * raw[1] + 6 * raw[2] * raw[1] ** 2 - 3 * raw[1] ** 4
    assert raw[1] == pytest.approx(mean) and raw[2] - raw[1] ** 2 == pytest.approx(std ** 2)
    _moments_check(w, mean, std, mu4, "LogNormal")


def test_weights_uniform():
    lo, hi = 1.0, 3.0
    w = _build(N_SIDE, N_SIDE, ns.all_to_all(), weight=ns.Uniform(lo, hi), seed=18)[2]["weight"]["AMPA"]
    assert lo <= w.min() and w.max() < hi
    _moments_check(w, (lo + hi) / 2, (hi - lo) / math.sqrt(12), (hi - lo) ** 4 / 80, "Uniform")


def _check_step_histogram(steps, probs, what):
    m = steps.size
    for k, p in probs.items():
        c = int(np.sum(steps == k))
        assert abs(c - m * p) < Z * math.sqrt(m * p * (1 - p)) + 1e-9, f"{what}: step {k}: {c} vs {m * p}"
    assert sum(probs.values()) == pytest.approx(1.0)


def test_delays_uniform_clipped_and_rounded():
    con = _build(N_SIDE, N_SIDE, ns.all_to_all(), delay=ns.Uniform(0.0, 1.0), seed=19)[2]
    d = con["delay"]
    assert d.min() >= DT * (1 - 1e-12)
    steps = np.rint(d / DT).astype(int)
    np.testing.assert_allclose(d, steps * DT, rtol=1e-12)          # on the step grid
    # clipped to dt then rounded: step 1 <=> x < 0.15; step k <=> (k-1/2) dt <= x < (k+1/2) dt
    probs = {1: 0.15, **{k: 0.1 for k in range(2, 10)}, 10: 0.05}
    _check_step_histogram(steps, probs, "Uniform delays")


def test_delays_normal_clipped():
    mu, sd = 0.3, 0.2
    con = _build(N_SIDE, N_SIDE, ns.all_to_all(), delay=ns.Normal(mu, sd), seed=22)[2]
    d = con["delay"]
    assert d.min() >= DT * (1 - 1e-12)
    steps = np.rint(d / DT).astype(int)
    edges = lambda k: (k + 0.5) * DT                               # noqa: E731
    probs = {1: _Phi((edges(1) - mu) / sd)}
    for k in range(2, 12):
        probs[k] = _Phi((edges(k) - mu) / sd) - _Phi((edges(k - 1) - mu) / sd)
    probs[12] = 1 - _Phi((edges(11) - mu) / sd)
    steps = np.minimum(steps, 12)
    _check_step_histogram(steps, probs, "Normal delays")


# --------------------------------------------------------------------- fixed_total_number
@pytest.mark.parametrize("multapses", [True, False])
@pytest.mark.parametrize("autapses", [True, False])
def test_fixed_total_number_counts_and_marginals(multapses, autapses):
    """n pairs in all, drawn uniformly (NEST's fixed_total_number): each pre neuron's and each post
    neuron's count has the binomial (multapses: independent draws) or hypergeometric (distinct pairs)
    mean and variance (Z = 5 standard errors: a false failure about once in 10^6 per check)."""
    n_side, n = 200, 12000
    _, _, con = _build(n_side, n_side, ns.fixed_total_number(n, allow_autapses=autapses, allow_multapses=multapses),
                       same=True, seed=31)
    pre, post = con["pre"], con["post"]
    assert pre.size == n
    _assert_sorted_unique(con, unique=not multapses)
    assert autapses or not np.any(pre == post)
    per_row = n_side - (0 if autapses else 1)
    total = n_side * per_row
    for idx, what in ((pre, "out"), (post, "in")):
        counts = np.bincount(idx, minlength=n_side).astype(float)
        p = 1.0 / n_side
        if multapses:
            var, mu4 = n * p * (1 - p), _binom_mu4(n, p)
        else:   # hypergeometric: n draws without replacement from `total` pairs, `per_row` of them this row's
            var = n * p * (1 - p) * (total - n) / (total - 1)
            mu4 = 3 * var ** 2 + var        # near-normal counts: kurtosis 3 (the variance check is loose anyway)
        _check_mean_var(counts, n * p, var, mu4, f"fixed_total_number {what}-degrees")
    if multapses:   # the distinct pairs: P (1 - (1 - 1/P)^n) expected, each pair a Bernoulli
        distinct = np.unique(pre.astype(np.int64) * n_side + post).size
        q = 1 - (1 - 1 / total) ** n
        assert abs(distinct - total * q) < Z * math.sqrt(total * q * (1 - q)), (distinct, total * q)


def test_fixed_total_number_between_populations_and_all_pairs():
    _, _, con = _build(30, 40, ns.fixed_total_number(1200, allow_multapses=False), seed=2)
    assert con["pre"].size == 1200 and np.unique(_pairs(con), axis=0).shape[0] == 1200   # every pair, once
    _, _, con = _build(30, 40, ns.fixed_total_number(500), seed=2)
    assert con["pre"].max() < 30 and con["post"].max() < 40 and con["pre"].size == 500
    net, proj, _ = _build(30, 40, ns.fixed_total_number(500), seed=2)
    from neurosim.memory import estimate_bytes
    assert estimate_bytes(net)["synapses"] == 500


def test_fixed_total_number_bad_input():
    with pytest.raises(ns.SpecError, match=r"fixed_total_number.n must be a positive integer.*got 0"):
        ns.fixed_total_number(0)
    with pytest.raises(ns.SpecError, match=r"fixed_total_number.n must be a positive integer.*2.5"):
        ns.fixed_total_number(2.5)
    with pytest.raises(ns.SpecError, match=r"fixed_total_number.n must be <= 90 .*got 91"):
        _build(10, 10, ns.fixed_total_number(91, allow_autapses=False, allow_multapses=False), same=True)
    with pytest.raises(ns.SpecError, match="no \\(pre, post\\) pair is possible"):
        _build(1, 1, ns.fixed_total_number(3, allow_autapses=False), same=True)


# --------------------------------------------------------------------- memory-lean layout (issue 13, item 5)
@pytest.mark.parametrize("autapses", [True, False])
def test_indegree_pairs_are_ordered_as_numpys_lexsort_would(autapses):
    """fixed_indegree orders its pairs by a counting sort (no int64 sort keys); the reference is the
    same column draw ordered by numpy's lexsort (pre, then post), as before."""
    from neurosim.state.connect import _columns, draw
    n, k, seed = 60, 9, 123
    pre, post, _ = draw(ns.fixed_indegree(k, allow_autapses=autapses), n, n, True, seed)
    cols = np.empty(n * k, np.int64)
    _columns(np.full(n, k, np.int64), n, not autapses, False, seed, cols)
    rows = np.repeat(np.arange(n), k)
    o = np.lexsort((rows, cols))
    np.testing.assert_array_equal(pre, cols[o])
    np.testing.assert_array_equal(post, rows[o])
    assert pre.dtype == np.int32 and post.dtype == np.int64


def test_presynaptic_indices_come_from_the_row_pointer_and_tables_give_int64():
    net, proj, con = _build(30, 20, ns.fixed_total_number(200), seed=4)
    from neurosim.state.build import build_state
    state, layout = build_state(net)
    rp = layout.proj_blocks[proj.index][0][4]
    assert rp.shape == (31,) and np.shares_memory(rp, state.syn.row_ptr)   # a view: no per-synapse pre array
    assert con["pre"].dtype == np.int64 and con["post"].dtype == np.int64
    # row i of the CSR block holds rp[i + 1] - rp[i] synapses of pre neuron i
    np.testing.assert_array_equal(np.bincount(con["pre"], minlength=30), np.diff(rp))
    assert np.all(np.diff(con["pre"]) >= 0)
