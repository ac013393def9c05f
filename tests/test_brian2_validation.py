"""neurosim against Brian2 running the same models (issue 2).

* single neurons under a current step (and under synaptic input from a spike generator):
  v(t) of neurosim and Brian2 agree to < 1e-6 mV over 200 ms;
* small recurrent networks with delays (CUBA: current-based, exact integration; COBA:
  exponential conductances, exponential Euler; AMPA + NMDA (rise/decay, Mg2+ block) + GABA_A;
  the same with Wang's (2002) saturating NMDA synapses),
  driven by Poisson spikes drawn in neurosim and replayed in Brian2, with the connectivity,
  delays and initial v exported from neurosim (``tests/brian2_models.py`` builds the twin):
  >= 99 % of the spikes of each simulator lie within one dt of a spike of the same neuron in
  the other, total counts within 1 %.  A negative control shows that the comparison is
  sensitive: shifting every recurrent delay by one step in Brian2 breaks the match;
* the COBA benchmark (N = 4000, BENCHMARKS.md): the same network (neurosim's) in both matches
  spike by spike; and, each simulator drawing its own connectivity and initial values, the
  mean rate and mean ISI CV over 10 seeds agree within 10 % (see the note above COBA_SEEDS).

Brian2 runs with the ``numpy`` target (no compiler, no first-run compile);
``NEUROSIM_BRIAN2_TARGET=cython`` is faster once Brian2's cython cache is warm.
"""
import importlib.util
import pathlib
import warnings

import numpy as np
import pytest

import neurosim as ns

try:
    with warnings.catch_warnings():   # Brian2 2.9 uses pyparsing's camelCase API, deprecated in 3.3
        warnings.simplefilter("ignore", DeprecationWarning)
        import brian2  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("brian2 is not installed (pip install 'neurosim[test]' or pip install brian2); "
                "the Brian2 validation tests need it", allow_module_level=True)

import brian2_models as bm  # noqa: E402  (pytest puts tests/ on sys.path)

pytestmark = [pytest.mark.brian2,
              # Brian2 2.9 calls pyparsing's camelCase API, deprecated in pyparsing 3.3
              pytest.mark.filterwarnings("ignore::DeprecationWarning:brian2"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:pyparsing")]

DT = 0.1
ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def brian2_setup():
    return bm.setup(dt=DT)


def _steps(times_ms):
    return np.round(np.asarray(times_ms) / DT).astype(np.int64)


# --------------------------------------------------------------------------- single neurons
NEURONS = {
    "LIFCond": (ns.LIFCond(v_init=-65.0), 300.0),
    "LIFCurr": (ns.LIFCurr(v_init=-68.0), 500.0),
    "LIFCond_adaptation": (ns.LIFCond(a=4.0, b=60.0, tau_w=50.0, v_init=-65.0), 400.0),
}


@pytest.mark.parametrize("name", list(NEURONS))
def test_single_neuron_current_step(name):
    """v(t) under a current step (0 pA, then ``amp`` from 20 ms to 150 ms, then 0) for 200 ms,
    through several spikes, resets and refractory periods."""
    model, amp = NEURONS[name]
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("cell", 1, model)
    net.inject(pop, ns.steps([20.0, 150.0], [amp, 0.0]))
    vmon = net.monitor(pop, "v")
    smon = net.monitor(pop, "spikes")
    v0 = bm.initial_v(net)
    res = net.run(200.0, progress=False)
    twin = bm.Brian2Twin(net, v0, res, 200.0, record_v={"cell": [0]})
    twin.run(200.0)
    tb, vb = twin.v("cell")
    assert vb.shape == vmon.v.shape == (2000, 1)
    np.testing.assert_allclose(tb, vmon.t, atol=1e-9)
    err = np.abs(vb[:, 0] - vmon.v[:, 0]).max()
    print(f"{name}: {smon.num_spikes} spikes, max |v_neurosim - v_brian2| = {err:.3g} mV")
    assert smon.num_spikes >= 3, "the step must drive the neuron through spikes and resets"
    np.testing.assert_array_equal(_steps(twin.spikes("cell")[1]), _steps(smon.t))
    assert err < 1e-6


def _synaptic_cell(kind):
    """One neuron receiving ~400 generator spikes from 20 sources (15 excitatory, 5 inhibitory),
    each source with its own delay (0.1-3 ms), through every receptor kind of ``kind``."""
    net = ns.Network(dt=DT, seed=0)
    rng = np.random.default_rng(5)
    n_src = 20
    steps = rng.integers(0, 1950, 400)
    ids = rng.integers(0, n_src, steps.size)
    _, first = np.unique(steps * n_src + ids, return_index=True)      # one spike per source and step
    src = net.spike_generator("src", n_src, steps[first] * DT, ids[first])
    delays = rng.uniform(0.1, 3.0, n_src)
    if kind == "cond":
        cell = net.population("cell", 1, ns.LIFCond(v_init=-60.0, i_bias=120.0))
        exc, w_e, inh, w_i, ratio = "glutamate", 3.0, ns.GABA_A(), 8.0, 0.4   # AMPA + NMDA, GABA_A
    else:
        cell = net.population("cell", 1, ns.LIFCurr(v_init=-70.0, i_bias=300.0))
        exc, w_e = ns.ExpCurrent(tau_decay=6.0, tau_rise=1.5, name="I_exc"), 120.0
        inh, w_i, ratio = ns.ExpCurrent(tau_decay=8.0, name="I_inh"), -150.0, 1.0
    for rec, w, sel in [(exc, w_e, np.arange(0, 15)), (inh, w_i, np.arange(15, 20))]:
        conn = ns.from_arrays(sel, np.zeros(sel.size, np.int64), w=np.full(sel.size, w), delay=delays[sel])
        net.connect(src, cell, conn, receptor=rec, nmda_ratio=ratio)
    return net, cell


@pytest.mark.parametrize("kind", ["cond", "curr"])
def test_single_neuron_synaptic_input(kind):
    """v(t) of one neuron under generator spikes through AMPA + NMDA (rise/decay, Mg2+ block) +
    GABA_A (LIFCond) or a rise/decay + an exponential current (LIFCurr), with delays."""
    net, cell = _synaptic_cell(kind)
    vmon = net.monitor(cell, "v")
    smon = net.monitor(cell, "spikes")
    v0 = bm.initial_v(net)
    res = net.run(200.0, progress=False)
    twin = bm.Brian2Twin(net, v0, res, 200.0, record_v={"cell": [0]})
    twin.run(200.0)
    _, vb = twin.v("cell")
    err = np.abs(vb[:, 0] - vmon.v[:, 0]).max()
    print(f"{kind}: {smon.num_spikes} spikes, max |v_neurosim - v_brian2| = {err:.3g} mV")
    assert smon.num_spikes >= 2
    np.testing.assert_array_equal(_steps(twin.spikes("cell")[1]), _steps(smon.t))
    assert err < 1e-6


# --------------------------------------------------------------------------- small networks
def small_network(kind, seed=3, n_exc=240, n_inh=60, w_nmda_sat=0.5):
    """A recurrent E/I network with heterogeneous delays (0.5-3 ms), driven by 200 Poisson
    sources at 10 Hz (p = 0.1 onto every neuron); recurrent p = 0.1.

    cuba: LIFCurr, exponential currents (5 ms exc., 10 ms inh.)
    coba: LIFCond, AMPA (5 ms, 0 mV) and GABA_A (10 ms, -80 mV)
    nmda: LIFCond, recurrent excitation through AMPA (2 ms) + NMDA (rise 2 ms, decay 100 ms,
          Mg2+ block, nmda_ratio 0.3), GABA_A (5 ms, -70 mV)
    nmda_sat: as nmda, but the NMDA synapses are Wang's (2002) saturating ones (alpha 0.5/ms,
          ``w_nmda_sat`` nS per unit of s), a separate projection (p = 0.1) with one delay (1 ms)
    """
    net = ns.Network(dt=DT, seed=seed)
    if kind == "cuba":
        cell = ns.LIFCurr(tau_m=20.0, c_m=200.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                          i_bias=80.0, v_init=ns.Uniform(-60.0, -50.0))
        ex, ix = ns.ExpCurrent(5.0, name="I_exc"), ns.ExpCurrent(10.0, name="I_inh")
        w_in, w_e, w_i = 30.0, 20.0, -100.0
    else:
        cell = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                          i_bias=80.0, v_init=ns.Uniform(-60.0, -50.0))
        if kind == "coba":
            ex, ix = ns.AMPA(tau_decay=5.0), ns.GABA_A(tau_decay=10.0, e_rev=-80.0)
            w_in, w_e, w_i = 1.0, 0.6, 5.0
        else:
            ex, ix = ns.AMPA(), ns.GABA_A()
            w_in, w_e, w_i = 1.5, 0.5, 5.0
    exc = net.population("exc", n_exc, cell)
    inh = net.population("inh", n_inh, cell)
    noise = net.poisson("noise", 200, 10.0)
    net.connect(noise, [exc, inh], ns.fixed_probability(0.1), receptor=ex, weight=w_in)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor="glutamate" if kind == "nmda" else ex,
                weight=w_e, delay=ns.Uniform(0.5, 3.0), nmda_ratio=0.3)
    if kind == "nmda_sat":
        net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor=ns.NMDA(saturating=True),
                    weight=w_nmda_sat, delay=1.0)
    net.connect(inh, [exc, inh], ns.fixed_probability(0.1), receptor=ix, weight=w_i, delay=ns.Uniform(0.5, 3.0))
    for p in (exc, inh, noise):
        net.monitor(p, "spikes")
    return net


def _compare(res, twin, pops=("exc", "inh")):
    """(matched fraction neurosim->Brian2, Brian2->neurosim, neurosim count, Brian2 count)."""
    tol = DT * (1 + 1e-6)
    ids_a, t_a, ids_b, t_b = [], [], [], []
    off = 0
    for name in pops:
        st = res.spikes[name]
        ib, tb = twin.spikes(name)
        ids_a.append(st.node_ids + off), t_a.append(st.times), ids_b.append(ib + off), t_b.append(tb)
        off += st.n
    ids_a, t_a, ids_b, t_b = map(np.concatenate, (ids_a, t_a, ids_b, t_b))
    return (bm.match_spikes(ids_a, t_a, ids_b, t_b, off, tol), bm.match_spikes(ids_b, t_b, ids_a, t_a, off, tol),
            t_a.size, t_b.size)


@pytest.mark.parametrize("kind", ["cuba", "coba", "nmda", "nmda_sat"])
def test_small_network_spikes_match(kind):
    duration = 500.0
    net = small_network(kind)
    v0 = bm.initial_v(net)
    res = net.run(duration, progress=False)
    n = net.populations[0].n + net.populations[1].n
    twin = bm.Brian2Twin(net, v0, res, duration)
    twin.run(duration)
    f_ns, f_b2, c_ns, c_b2 = _compare(res, twin)
    rate = c_ns / n / (duration * 1e-3)
    print(f"{kind}: neurosim {c_ns} spikes ({rate:.2f} Hz), Brian2 {c_b2}; matched within one dt: "
          f"{100 * f_ns:.3f} % of neurosim's, {100 * f_b2:.3f} % of Brian2's")
    assert 2.0 < rate < 40.0, "the network should fire at a moderate rate for the comparison to mean something"
    assert f_ns >= 0.99 and f_b2 >= 0.99
    assert abs(c_ns - c_b2) <= 0.01 * c_b2

    # negative control: every recurrent delay one step longer in Brian2 must break the match
    bad = bm.Brian2Twin(net, v0, res, duration, delay_shift=1)
    bad.run(duration)
    g_ns, _, _, g_c = _compare(res, bad)
    print(f"{kind}: with recurrent delays one step off: {100 * g_ns:.1f} % matched, Brian2 {g_c} spikes")
    assert g_ns < 0.9
    if kind == "nmda_sat":
        # the saturating NMDA input shapes the spikes: without it neurosim's own spikes differ
        res0 = small_network(kind, w_nmda_sat=0.0).run(duration, progress=False)
        st0, st = res0.spikes["exc"], res.spikes["exc"]
        same = bm.match_spikes(st.node_ids, st.times, st0.node_ids, st0.times, st.n, DT * (1 + 1e-6))
        print(f"nmda_sat: without the saturating NMDA {st0.times.size} exc spikes ({100 * same:.1f} % matched)")
        assert same < 0.5


# --------------------------------------------------------------------------- COBA N = 4000
# The COBA rate is a quenched property of the drawn network: for one seed it stays within ~2 %
# over 5 s, but across seeds it varies with a standard deviation of ~6-7 % (40 seeds measured:
# neurosim 21.67 +- 1.30 Hz, CV 1.575 +- 0.030; Brian2 21.15 +- 1.50 Hz, CV 1.562 +- 0.034).
# The mean of 3 seeds would differ from Brian2's 3-seed mean by more than 10 % about one time
# in ten even for identical simulators (seeds 1-3 do: 23.2 vs 20.6 Hz), so the statistics are
# compared over 10 seeds per simulator (a ~3 % standard error of the difference), and the
# dynamics themselves are checked spike by spike on one seed's network given to both.
COBA_SEEDS = tuple(range(1, 11))


def _load_coba():
    spec = importlib.util.spec_from_file_location("neurosim_model_coba", ROOT / "models" / "coba.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _all_spikes(res):
    e, i = res.spikes["exc"], res.spikes["inh"]
    return np.concatenate([e.node_ids, i.node_ids + e.n]), np.concatenate([e.times, i.times]), e.n + i.n


def test_coba_4000_same_network_matches():
    """models/coba.py (seed 1, N = 4000, 1000 ms) and its Brian2 twin (neurosim's connectivity and
    initial v): >= 99 % of the spikes within one dt of each other, counts within 1 %."""
    net = _load_coba().build(seed=1)
    v0 = bm.initial_v(net)
    res = net.run(1000.0, progress=False)
    twin = bm.Brian2Twin(net, v0, res, 1000.0)
    twin.run(1000.0)
    f_ns, f_b2, c_ns, c_b2 = _compare(res, twin)
    print(f"COBA 4000 seed 1: neurosim {c_ns} spikes ({c_ns / 4000:.2f} Hz), Brian2 {c_b2}; matched within "
          f"one dt: {100 * f_ns:.3f} % of neurosim's, {100 * f_b2:.3f} % of Brian2's")
    assert f_ns >= 0.99 and f_b2 >= 0.99
    assert abs(c_ns - c_b2) <= 0.01 * c_b2


def test_coba_4000_statistics():
    """COBA (N = 4000, p = 0.02, 1000 ms): neurosim's models/coba.py and Brian2's COBA example,
    each drawing its own connectivity and initial v from the same seeds: the means over the
    seeds of the population rate and of the mean ISI CV agree within 10 %."""
    coba = _load_coba()
    ns_rate, ns_cv, b2_rate, b2_cv = [], [], [], []
    for seed in COBA_SEEDS:
        res = coba.build(seed=seed).run(1000.0, progress=False)
        ids, ts, n = _all_spikes(res)
        ns_rate.append(ids.size / n)
        ns_cv.append(bm.cv_isi(ids, ts))
        ib, tb, _ = bm.brian2_coba(n=4000, p=0.02, seed=seed, duration=1000.0)
        b2_rate.append(ib.size / 4000)
        b2_cv.append(bm.cv_isi(ib, tb))
    for k, s in enumerate(COBA_SEEDS):
        print(f"seed {s}: neurosim {ns_rate[k]:.2f} Hz CV {ns_cv[k]:.3f} | Brian2 {b2_rate[k]:.2f} Hz CV {b2_cv[k]:.3f}")
    r_ns, r_b2, c_ns, c_b2 = map(np.mean, (ns_rate, b2_rate, ns_cv, b2_cv))
    print(f"mean over {len(COBA_SEEDS)} seeds: neurosim {r_ns:.2f} Hz CV {c_ns:.3f} | "
          f"Brian2 {r_b2:.2f} Hz CV {c_b2:.3f}")
    assert abs(r_ns - r_b2) <= 0.10 * r_b2
    assert abs(c_ns - c_b2) <= 0.10 * c_b2
