"""Stochastic transmitter release (spec/release.py, kernels/cpu/release.py): ``connect(...,
release_probability=p)``, NEST's bernoulli_synapse / PyNN's SimpleStochasticSynapse.

What each spike transmitted is read from the network itself: one spike generator drives a
current-based exponential receptor of non-spiking neurons, the receptor's state is sampled every
step, and the jumps ``g[s+1] - exp(-dt/tau) g[s]`` are the delivered amounts (``w`` or 0).  The
statistics are compared with closed forms (Bernoulli / binomial laws), never with the code's own
output; the mean PSP with the exact PSP of an exponential current onto a LIF membrane.
"""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
TAU_S = 5.0        # ms, receptor decay
W = 10.0           # pA
P = 0.3
N_POST = 400
N_SPK = 300        # spikes of the source, every 2 ms
TIMES = 1.0 + 2.0 * np.arange(N_SPK)


def _net(p, n=N_POST, batch=1, delay=DT, seed=5, times=TIMES, cell=None):
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    gen = net.spike_generator("gen", 1, times=times, ids=np.zeros(len(times), np.int64))
    cell = cell or ns.LIFCurr(c_m=1e6, v_th=50.0, v_rest=-70.0, v_init=-70.0)
    post = net.population("post", n, cell)
    proj = net.connect(gen, post, ns.all_to_all(), receptor=ns.ExpCurrent(TAU_S, name="I"), weight=W, delay=delay,
                       release_probability=p)
    return net, post, proj


def transmitted(p, batch=1, delay=DT, seed=5, n=N_POST):
    """(batch, N_SPK, n) booleans: did synapse k transmit spike j in trial b (read from the jumps)."""
    net, post, _ = _net(p, n, batch, delay, seed)
    m = net.monitor(post, "g_I", trials=list(range(batch)))
    net.run(TIMES[-1] + delay + 1.0)
    g = m.trace("g_I")                                  # (steps, batch, n)
    jumps = g[1:] - math.exp(-DT / TAU_S) * g[:-1]
    # each spike arrives in one step (2 ms apart): the steps where any target of any trial jumped, or
    # where a spike is due, are the arrival steps; a jump is w (transmitted) or 0
    arrive = np.round((TIMES + delay) / DT).astype(np.int64) - 1
    out = jumps[arrive]                                 # (N_SPK, batch, n)
    ok = np.isclose(out, W, rtol=1e-9) | (np.abs(out) < 1e-9 * W)
    assert ok.all(), "a jump is neither w nor 0"
    assert np.abs(jumps).sum() == pytest.approx(np.abs(out).sum(), rel=1e-9)   # nothing outside those steps
    return np.transpose(out > 0.5 * W, (1, 0, 2))


# ------------------------------------------------------------------ p = 0, p = 1
def _spiking(p, seed=9, batch=1):
    """A recurrent network through every propagation path (ring buffer, direct channel, dense
    all-to-all rows), every projection with release probability ``p``."""
    net = ns.Network(dt=DT, seed=seed, batch=batch)
    src = net.poisson("src", 40, rate=40.0)
    e = net.population("e", 60, ns.LIFCond(i_bias=50.0, v_init=ns.Uniform(-65.0, -52.0)))
    i = net.population("i", 15, ns.LIFCurr(v_init=ns.Uniform(-66.0, -56.0)))
    net.connect(src, e, ns.fixed_outdegree(10), receptor="AMPA", weight=6.0, delay=0.1, release_probability=p)
    net.connect(e, e, ns.fixed_probability(0.2), receptor="glutamate", weight=1.0, delay=ns.Uniform(0.2, 2.0),
                release_probability=p)
    net.connect(e, i, ns.all_to_all(), receptor=ns.ExpCurrent(3.0, name="I_e"), weight=15.0, delay=0.5,
                release_probability=p)
    net.connect(i, e, ns.all_to_all(), receptor="GABA_A", weight=2.0, delay=0.1, release_probability=p)
    sm = net.monitor(e, "spikes")
    vm = net.monitor(e, "v", trials=list(range(batch)))
    return net, sm, vm


def _run_spiking(p, T=150.0, **kw):
    net, sm, vm = _spiking(p, **kw)
    net.run(T)
    return np.stack([sm.trial, sm.i, np.round(sm.t / DT)]), vm.trace("v")


def test_p1_is_bit_identical_to_no_p_and_p0_transmits_nothing():
    s0, v0 = _run_spiking(None)
    s1, v1 = _run_spiking(1.0)
    assert s0.shape[1] > 50
    np.testing.assert_array_equal(s1, s0)
    np.testing.assert_array_equal(v1, v0)
    # p = 0 everywhere: the network receives nothing and never spikes (i_bias alone stays below threshold)
    s, v = _run_spiking(0.0)
    assert s.shape[1] == 0
    net, post, _ = _net(0.0, n=20)
    m = net.monitor(post, "g_I")
    net.run(100.0)
    assert np.all(m.trace("g_I") == 0.0)


# ------------------------------------------------------------------ statistics
@pytest.fixture(scope="module")
def draws():
    return transmitted(P, batch=2)       # (2, N_SPK, N_POST)


def test_transmitted_fraction_per_synapse(draws):
    """Each synapse transmits a fraction of the spikes within 5 SE of p (SE of a Bernoulli mean)."""
    frac = draws[0].mean(axis=0)
    se = math.sqrt(P * (1 - P) / N_SPK)
    assert np.all(np.abs(frac - P) < 5 * se), (frac.min(), frac.max())
    tot = draws.mean()
    assert abs(tot - P) < 5 * math.sqrt(P * (1 - P) / draws.size)


def test_counts_are_binomial(draws):
    """Counts per synapse over the spikes ~ Binomial(N_SPK, p); counts per spike over the synapses ~
    Binomial(N_POST, p) (dependence between synapses would widen this one): chi-square tests of
    the histograms against the binomial pmf (bins merged to expected >= 5), p-value > 1e-3."""
    for counts, n in ((draws[0].sum(axis=0), N_SPK), (draws[0].sum(axis=1), N_POST),
                      (draws[1].sum(axis=1), N_POST)):
        k = np.arange(n + 1)
        expected = stats.binom.pmf(k, n, P) * counts.size
        observed = np.bincount(counts, minlength=n + 1).astype(float)
        # merge the tails (and thin bins) into neighbours until each expected count is >= 5
        e_acc, o_acc, e_bins, o_bins = 0.0, 0.0, [], []
        for e, o in zip(expected, observed):
            e_acc += e
            o_acc += o
            if e_acc >= 5:
                e_bins.append(e_acc)
                o_bins.append(o_acc)
                e_acc = o_acc = 0.0
        e_bins[-1] += e_acc
        o_bins[-1] += o_acc
        chi2 = sum((o - e) ** 2 / e for o, e in zip(o_bins, e_bins))
        pval = stats.chi2.sf(chi2, len(e_bins) - 1)
        assert pval > 1e-3, (n, chi2, len(e_bins), pval)
        # the variance of the counts is the binomial one (independent draws)
        assert np.var(counts) == pytest.approx(n * P * (1 - P), rel=0.35)


def test_independent_across_synapses_spikes_and_trials(draws):
    """Pairs of draws succeed together with probability p^2: neighbouring synapses, consecutive
    spikes of one synapse, and the two trials (same input, different draws); within 5 SE."""
    a = draws[0]
    pairs = {"neighbouring synapses": (a[:, :-1], a[:, 1:]),
             "consecutive spikes": (a[:-1], a[1:]),
             "trials 0 and 1": (draws[0], draws[1])}
    for what, (x, y) in pairs.items():
        both = (x & y).mean()
        se = math.sqrt(P * P * (1 - P * P) / x.size)
        assert abs(both - P * P) < 5 * se, (what, both, P * P)
    assert (draws[0] != draws[1]).mean() > 0.3


def test_mean_psp_is_p_times_the_psp():
    """One spike onto 2000 LIF neurons through an exponential current: each membrane deflection is
    either 0 or the exact PSP  w tau_m tau_s / (c_m (tau_m - tau_s)) (e^{-t/tau_m} - e^{-t/tau_s});
    the mean over the neurons is p times it (within 5 SE of the Bernoulli mean)."""
    n, tau_m, c_m, p = 2000, 10.0, 250.0, 0.4
    cell = ns.LIFCurr(tau_m=tau_m, c_m=c_m, v_rest=-70.0, v_th=50.0, v_init=-70.0)
    net, post, _ = _net(p, n=n, times=np.array([1.0]), cell=cell)
    m = net.monitor(post, "v")
    net.run(40.0)
    d = m.trace("v")[:, 0, :] + 70.0                       # (steps, n) mV
    hit = d.max(axis=0) > 0
    onset = np.argmax(d[:, hit] > 0, axis=0)
    assert np.all(onset == onset[0])
    t = (np.arange(d.shape[0]) - onset[0] + 1) * DT       # time since the arrival (ms)
    psp = np.where(t > 0, W * tau_m * TAU_S / (c_m * (tau_m - TAU_S)) * (np.exp(-t / tau_m) - np.exp(-t / TAU_S)),
                   0.0)
    np.testing.assert_allclose(d[:, hit], np.repeat(psp[:, None], hit.sum(), axis=1), rtol=1e-9, atol=1e-12)
    assert np.all(d[:, ~hit] == 0.0)
    amp = d.max(axis=0)
    se = psp.max() * math.sqrt(p * (1 - p) / n)
    assert abs(amp.mean() - p * psp.max()) < 5 * se, (amp.mean(), p * psp.max())


# ------------------------------------------------------------------ determinism
def test_same_seed_same_draws_other_seed_others():
    a = transmitted(P, seed=5, n=50)
    np.testing.assert_array_equal(a, transmitted(P, seed=5, n=50))
    assert (a != transmitted(P, seed=6, n=50)).mean() > 0.3


def test_same_draws_through_the_ring_buffer_as_direct():
    """The draw depends on (seed, step, trial, synapse) only: a longer delay moves the arrivals,
    not the outcomes."""
    np.testing.assert_array_equal(transmitted(P, delay=DT, n=50), transmitted(P, delay=1.5, n=50))


@pytest.mark.slow
@pytest.mark.parametrize("batch", [1, 2])
def test_same_spikes_with_1_and_2_threads(tmp_path, batch):
    """Threads forced on (PARALLEL_MIN_WORK = 0): with one trial each thread draws for the synapses
    of its own targets (sparse, dense and direct rows); spikes and v equal the one-thread run's."""
    import inspect
    src = "import math\nimport numpy as np\nimport neurosim as ns\nDT = 0.1\n" + inspect.getsource(_spiking) \
        + inspect.getsource(_run_spiking)
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"rel_{threads}.npz"
        code = src + textwrap.dedent(f'''
            import numba
            import neurosim.kernels.cpu.neurons as kernels
            import neurosim.backends.cpu as cpu
            assert numba.get_num_threads() == {threads}
            kernels.PARALLEL_MIN_WORK = 0
            cpu.SOLO_AFTER_CONTENTION_S = 0.0
            net, sm, vm = _spiking(0.4, batch={batch})
            net.run(150.0)
            assert (net._sim.backend.threaded_chunks > 0) == ({threads} > 1)
            np.savez({str(out)!r}, s=np.stack([sm.trial, sm.i, np.round(sm.t / DT)]), v=vm.trace("v"))
        ''')
        script = tmp_path / f"threads_{threads}.py"
        script.write_text(code)
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        root = os.path.dirname(os.path.dirname(os.path.abspath(ns.__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(dict(np.load(out)))
    assert outs[0]["s"].shape[1] > 50
    np.testing.assert_array_equal(outs[0]["s"], outs[1]["s"])
    np.testing.assert_array_equal(outs[0]["v"], outs[1]["v"])
    s, v = _run_spiking(0.4, batch=batch)                 # and this process's run
    np.testing.assert_array_equal(outs[0]["s"], s)


# ------------------------------------------------------------------ set / get / spec
def test_set_get_and_spec_round_trip():
    net, post, proj = _net(np.linspace(0.0, 1.0, 20)[None, :], n=20)
    # JSON round trip: same p, same draws
    net2 = ns.Network.from_spec(net.to_json())
    m1, m2 = net.monitor(post, "g_I"), net2.monitor(net2.populations[1], "g_I")
    np.testing.assert_array_equal(proj.get("release_probability"), np.linspace(0.0, 1.0, 20))
    np.testing.assert_array_equal(net2.projections[0].get("release_probability"), np.linspace(0.0, 1.0, 20))
    spec = net.spec().to_dict()
    assert spec["version"] == 2 and "release_probability" in spec["projections"][0]
    assert "release_probability" not in _net(None, n=3)[0].spec().to_dict()["projections"][0]
    back = ns.NetworkSpec.from_dict(net.to_json())
    assert back.projections[0].release_probability.shape == (1, 20)
    net.run(50.0)
    net2.run(50.0)
    np.testing.assert_array_equal(m1.trace("g_I"), m2.trace("g_I"))
    # set between runs: p = 0 from now on, nothing more arrives; get reads it back
    proj.set(release_probability=0.0)
    np.testing.assert_array_equal(proj.get("release_probability"), np.zeros(20))
    before = m1.trace("g_I")[-1, 0].copy()
    net.run(50.0)
    g = m1.trace("g_I")[500:, 0]
    np.testing.assert_allclose(g[-1], before * math.exp(-(g.shape[0]) * DT / TAU_S), rtol=1e-9, atol=1e-300)
    # a distribution is drawn from the seed and clipped into [0, 1]
    net3, _, proj3 = _net(ns.Normal(0.5, 1.0), n=200)
    p3 = proj3.get("release_probability")
    assert p3.min() == 0.0 and p3.max() == 1.0 and 0.0 < p3.mean() < 1.0
    # no p: get reads 1 everywhere
    np.testing.assert_array_equal(_net(None, n=5)[2].get("release_probability"), np.ones(5))


@pytest.mark.parametrize("bad,words", [(1.5, "1.5"), (-0.1, "-0.1"), (float("nan"), "nan"),
                                       (np.full((1, 3), 0.5), "shape (1, 3)"), ("high", "number")])
def test_bad_values_are_refused(bad, words):
    with pytest.raises(SpecError, match="release_probability") as e:
        _net(bad, n=4)
    assert words in str(e.value)
    _, _, proj = _net(0.5, n=4)
    with pytest.raises(SpecError, match="release_probability"):
        proj.set(release_probability=bad)
    np.testing.assert_array_equal(proj.get("release_probability"), np.full(4, 0.5))


def test_wrong_length_refused_at_build_and_combinations_refused():
    net, _, _ = _net(np.full(3, 0.5), n=4)     # one value per synapse: 4 synapses, 3 values
    with pytest.raises(SpecError, match="release_probability.*shape"):
        net.build()
    net = ns.Network(dt=DT)
    a = net.population("a", 3)
    with pytest.raises(SpecError, match="release_probability.*plasticity"):
        net.connect(a, a, weight=0.5, plasticity=ns.STDP(w_max=1.0), release_probability=0.5)
    with pytest.raises(SpecError, match="release_probability.*short_term"):
        net.connect(a, a, short_term=ns.TsodyksMarkram(), release_probability=0.5)
    with pytest.raises(SpecError, match="release_probability.*saturating"):
        net.connect(a, a, receptor=ns.NMDA(saturating=True), release_probability=0.5)


def test_memory_estimate_counts_the_probabilities():
    from neurosim.memory import estimate_bytes as estimate
    a = estimate(_net(None, n=100)[0])["synapse_bytes"]
    b = estimate(_net(0.5, n=100)[0])["synapse_bytes"]
    assert b - a == pytest.approx(100 * 8)


def test_receptors_of_one_synapse_release_together():
    """A "glutamate" projection (AMPA + NMDA blocks): each synapse releases onto both or neither.
    The AMPA jumps give each synapse's releases; the NMDA trace (linear, with a rise time) must be
    the sum of one release's response shifted to exactly those arrivals."""
    def run(p, times, n):
        net = ns.Network(dt=DT, seed=3)
        gen = net.spike_generator("gen", 1, times=times, ids=np.zeros(len(times), np.int64))
        post = net.population("post", n, ns.LIFCond(v_th=50.0, v_init=-70.0, v_rest=-70.0))
        net.connect(gen, post, receptor="glutamate", weight=1.0, release_probability=p)
        ma, mn = net.monitor(post, "g_AMPA"), net.monitor(post, "g_NMDA")
        net.run(TIMES[99] + 1.0)
        ja = np.diff(ma.trace("g_AMPA")[:, 0], axis=0) > 1e-3      # (steps - 1, n): release arrived
        return ja, mn.trace("g_NMDA")[:, 0]
    ja, gn = run(P, TIMES[:100], 50)
    assert 0.2 < ja.sum() / (100 * 50) < 0.4
    one_a, one_n = run(None, TIMES[:1], 1)
    s0 = int(np.flatnonzero(one_a[:, 0])[0])
    kern = one_n[s0 + 1:, 0]
    T = gn.shape[0]
    for j in range(50):
        pred = np.zeros(T)
        pred[1:] = np.convolve(ja[:, j].astype(float), kern)[:T - 1]
        np.testing.assert_allclose(gn[:, j], pred, rtol=1e-9, atol=1e-9 * kern.max())
