"""The AdEx neuron (spec/adex.py, kernels/cpu/adex.py): plain-numpy recursions of its forward-Euler
scheme, the firing patterns of Naud et al. (2008), bad input, threads, the spec round trip and
the Population handles.  Brian2 and NEST comparisons: test_adex_brian2.py, test_adex_nest.py."""
import json
import math

import numba
import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError
from neurosim.spec.network import NetworkSpec

DT = 0.1


def _euler(n_steps, dt, c_m, g_l, e_l, v_t, d_t, v_peak, v_r, a, b, tau_w, i_inj, v0, t_ref=0.0, state=None,
           k0=0):
    """The AdEx forward-Euler recursion in plain numpy (Brette & Gerstner 2005; v and w from
    their start-of-step values; exponential at min(v, v_peak); threshold v > v_peak, reset,
    w += b, refractory as Brian2: active when step - last >= int((t_ref + 1e-3 dt)/dt)).
    Returns (v at the start of each step, w likewise, spike steps); ``state`` (v, w, last spike)
    and the first step ``k0`` continue an earlier recursion (the final state is ``_euler.state``)."""
    ref = int((t_ref + 1e-3 * dt) / dt)
    v, w, last = (float(v0), 0.0, -(1 << 40)) if state is None else state
    vs, ws, spikes = np.empty(n_steps), np.empty(n_steps), []
    for i in range(n_steps):
        k = k0 + i
        vs[i], ws[i] = v, w
        ex = np.exp((min(v, v_peak) - v_t) / d_t) if d_t > 0 else 0.0
        i_tot = g_l * (e_l - v) + g_l * d_t * ex + i_inj - w
        v_new = v + (dt / c_m) * i_tot
        w = w + (dt / tau_w) * (a * (v - e_l) - w)
        if k - last >= ref:
            v = v_new
            if v > v_peak:
                v, last = v_r, k
                w += b
                spikes.append(k)
    _euler.state = (v, w, last)
    return vs, ws, np.asarray(spikes, np.int64)


def _one(model, T, dt=DT):
    net = ns.Network(dt=dt, seed=0)
    p = net.population("c", 1, model)
    vm = net.monitor(p, "v")
    wm = net.monitor(p, "w_adapt") if model.has_adaptation else None
    sm = net.monitor(p, "spikes")
    net.run(T, progress=False)
    return vm.v[:, 0], (wm.w_adapt[:, 0] if wm is not None else None), np.round(sm.t / dt).astype(np.int64)


def test_eif_below_threshold_is_the_euler_recursion():
    """a = b = 0 (the EIF), a constant current below rheobase: every step within 1e-12 mV of the
    numpy recursion; v settles below v_t without a spike."""
    m = ns.AdEx(c_m=281.0, g_leak=30.0, v_rest=-70.6, v_t=-50.4, delta_t=2.0, a=0.0, b=0.0, i_bias=450.0,
                v_init=-70.6)
    v, _, spk = _one(m, 200.0)
    ref, _, ref_spk = _euler(2000, DT, 281.0, 30.0, -70.6, -50.4, 2.0, 0.0, -70.6, 0.0, 0.0, 144.0, 450.0, -70.6)
    assert spk.size == 0 and ref_spk.size == 0
    assert v[-1] > -60.0 and v[-1] < -50.4       # depolarised by ~10 mV, below V_T
    assert np.abs(v - ref).max() < 1e-12


@pytest.mark.parametrize("delta_t,t_ref", [(2.0, 2.0), (0.0, 0.0)])
def test_adaptation_and_spikes_follow_the_recursion(delta_t, t_ref):
    """Spiking with subthreshold (a) and spike-triggered (b) adaptation, a refractory period
    (2 ms) or none, with and without the exponential term: spike steps identical, v and w within
    1e-9 of the numpy recursion at every step."""
    v_peak = 0.0 if delta_t > 0 else -50.0
    m = ns.AdEx(c_m=200.0, g_leak=12.0, v_rest=-70.0, v_t=-50.0, delta_t=delta_t, v_peak=v_peak, v_reset=-58.0,
                a=2.0, b=60.0, tau_w=300.0, t_ref=t_ref, i_bias=500.0)
    v, w, spk = _one(m, 400.0)
    rv, rw, rspk = _euler(4000, DT, 200.0, 12.0, -70.0, -50.0, delta_t, v_peak, -58.0, 2.0, 60.0, 300.0, 500.0,
                          -70.0, t_ref)
    assert rspk.size >= 8
    np.testing.assert_array_equal(spk, rspk)
    assert np.abs(v - rv).max() < 1e-9
    assert np.abs(w - rw).max() < 1e-9
    assert rw.max() > 5 * 60.0 * 0.5            # w built up over several spikes


def test_parameters_set_between_runs():
    """Population.set between runs (state/neuron_params.py writes v_t, delta_t, dt_tau_w and the
    rest): the second run follows the numpy recursion continued with the new values."""
    net = ns.Network(dt=DT, seed=0)
    p = net.population("c", 1, ns.AdEx(c_m=200.0, g_leak=12.0, v_rest=-70.0, v_t=-50.0, delta_t=2.0, v_reset=-58.0,
                                       a=2.0, b=60.0, tau_w=300.0, i_bias=500.0))
    vm = net.monitor(p, "v")
    wm = net.monitor(p, "w_adapt")
    net.run(150.0, progress=False)
    p.set(v_t=-48.0, delta_t=1.0, tau_w=100.0, b=30.0, a=4.0)
    net.run(150.0, progress=False)
    rv1, rw1, _ = _euler(1500, DT, 200.0, 12.0, -70.0, -50.0, 2.0, 0.0, -58.0, 2.0, 60.0, 300.0, 500.0, -70.0)
    rv2, rw2, spk2 = _euler(1500, DT, 200.0, 12.0, -70.0, -48.0, 1.0, 0.0, -58.0, 4.0, 30.0, 100.0, 500.0, None,
                            state=_euler.state, k0=1500)
    assert spk2.size >= 3
    assert np.abs(vm.v[:, 0] - np.concatenate([rv1, rv2])).max() < 1e-9
    assert np.abs(wm.w_adapt[:, 0] - np.concatenate([rw1, rw2])).max() < 1e-9


def test_v_init_above_v_peak_is_clamped():
    """The exponential is evaluated at min(v, v_peak): a neuron started above v_peak spikes in
    its first step with finite values (no overflow)."""
    v, w, spk = _one(ns.AdEx(v_init=40.0, delta_t=0.5, v_t=-20.0, v_peak=0.0), 1.0)
    assert spk.tolist() == [0]
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(w))


# --------------------------------------------------------------------------- Naud et al. 2008
# Naud, Marcille, Clopath & Gerstner (2008) Biol Cybern 99:335, Table 1 (the same numbers as
# Brian2's example examples/frompapers/Naud_et_al_2008_adex_firing_patterns.py):
# (C pF, g_L nS, E_L mV, V_T mV, Delta_T mV, a nS, tau_w ms, b pA, V_r mV, I pA); V_peak 0 mV,
# no refractory period, step current I from t = 0 at v = E_L, w = 0.
NAUD = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial_burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular_bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "delayed_accelerating": (200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    "transient": (100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
}
NAUD_DT = 0.01   # ms
NAUD_T = 600.0   # ms


@pytest.fixture(scope="module")
def naud_spikes():
    net = ns.Network(dt=NAUD_DT, seed=0)
    mons = {}
    for name, (c, gl, el, vt, d, a, tw, b, vr, i) in NAUD.items():
        p = net.population(name, 1, ns.AdEx(c_m=c, g_leak=gl, v_rest=el, v_t=vt, delta_t=d, a=a, tau_w=tw, b=b,
                                            v_reset=vr, v_peak=0.0, t_ref=0.0, i_bias=i))
        mons[name] = net.monitor(p, "spikes")
    net.run(NAUD_T, progress=False)
    return {k: np.asarray(m.t, np.float64) for k, m in mons.items()}


def test_naud_tonic(naud_spikes):
    """Tonic spiking: many spikes at a constant rate (last ISI within 20 % of the first;
    measured 7 %)."""
    isi = np.diff(naud_spikes["tonic"])
    assert isi.size >= 30
    assert isi[-1] / isi[0] < 1.2


def test_naud_adapting(naud_spikes):
    """Adaptation: ISIs grow monotonically (no bursts), the last more than 3x the first
    (measured 6.7x)."""
    isi = np.diff(naud_spikes["adapting"])
    assert isi.size >= 5
    assert np.all(isi[1:] >= 0.95 * isi[:-1])
    assert isi[-1] / isi[0] > 3.0


def test_naud_initial_burst(naud_spikes):
    """Initial burst: the first two ISIs shorter than a fifth of the steady ISI (measured 0.05 and
    0.12), then regular spiking (last five ISIs within 5 %)."""
    isi = np.diff(naud_spikes["initial_burst"])
    steady = isi[-1]
    assert isi.size >= 6
    assert isi[0] < 0.2 * steady and isi[1] < 0.2 * steady
    assert np.all(isi[2:] > 0.5 * steady)
    assert np.ptp(isi[-5:]) < 0.05 * steady


def test_naud_regular_bursting(naud_spikes):
    """Regular bursting: short (intra-burst) and long (inter-burst) ISIs alternate, long ones
    over 10x the short ones (measured 24x), at least three bursts."""
    isi = np.diff(naud_spikes["regular_bursting"])
    long_ = isi > 10.0 * isi.min()
    assert np.count_nonzero(long_) >= 3 and np.count_nonzero(~long_) >= 3
    assert isi[long_].min() > 10.0 * isi[~long_].max()
    assert not np.any(long_[1:] & long_[:-1])   # never two inter-burst intervals in a row


def test_naud_delayed_accelerating(naud_spikes):
    """Delayed accelerating: the first spike later than the first ISI (measured 33.6 vs 20.6 ms),
    ISIs shrinking (negative adaptation), the last below 0.7x the first (measured 0.5x)."""
    t = naud_spikes["delayed_accelerating"]
    isi = np.diff(t)
    assert t[0] > isi[0]
    assert np.all(isi[1:] <= isi[:-1] * 1.001)
    assert isi[-1] < 0.7 * isi[0]


def test_naud_transient(naud_spikes):
    """Transient spiking: a few spikes at the onset, then none for the rest of the 600 ms step
    (measured: one spike at 30 ms)."""
    t = naud_spikes["transient"]
    assert 1 <= t.size <= 5
    assert t.max() < 100.0


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,match", [
    (dict(delta_t=-1.0), r"AdEx\.delta_t must be in \[0, 100\] mV, got -1"),
    (dict(tau_w=0.0), r"AdEx\.tau_w must be > 0 ms, got 0"),
    (dict(c_m=-5.0), r"AdEx\.c_m must be > 0 pF, got -5"),
    (dict(v_reset=0.0, v_peak=0.0), r"AdEx\.v_reset must be < v_peak \(0 mV\), got 0 mV"),
    (dict(v_t=10.0, v_peak=0.0), r"AdEx\.v_t must be <= v_peak \(0 mV\), got 10 mV"),
    (dict(delta_t=0.2), r"AdEx\.delta_t: \(v_peak - v_t\)/delta_t must be <= 50 .* = 252"),
    (dict(b=-1.0), r"AdEx\.b must be >= 0 pA, got -1"),
    (dict(v_init=np.nan), r"v_init"),
])
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(SpecError, match=match):
        ns.AdEx(**kwargs)


def test_bad_values_drawn_or_set_are_refused():
    net = ns.Network(dt=DT, seed=0)
    p = net.population("p", 10, ns.AdEx(delta_t=ns.Uniform(0.1, 0.3)))   # drawn: (0 + 50.4)/0.3 > 50
    with pytest.raises(SpecError, match=r"population 'p'\.delta_t: \(v_peak - v_t\)/delta_t must be <= 50"):
        net.run(1.0, progress=False)
    net = ns.Network(dt=DT, seed=0)
    p = net.population("p", 10, ns.AdEx())
    with pytest.raises(SpecError, match=r"population 'p'\.v_reset must be < v_peak"):
        p.set(v_reset=np.linspace(-70.0, 5.0, 10))
    with pytest.raises(SpecError, match=r"delta_t must be in \[0, 100\] mV"):
        p.set(delta_t=-0.5)
    with pytest.raises(SpecError, match="unknown parameter"):
        p.set(v_th=-50.0)
    assert p.get("v_reset")[0] == -70.6   # nothing changed


# --------------------------------------------------------------------------- threads, spec, handles
def _adex_net(seed=7):
    net = ns.Network(dt=DT, seed=seed)
    e = net.population("e", 1600, ns.AdEx(c_m=200.0, g_leak=10.0, v_rest=-70.0, v_reset=-58.0, v_t=-50.0,
                                          a=ns.Uniform(0.0, 4.0), b=40.0, tau_w=100.0, t_ref=2.0,
                                          i_bias=ns.Uniform(150.0, 260.0), v_init=ns.Uniform(-70.0, -55.0)))
    i = net.population("i", 400, ns.AdEx(c_m=200.0, g_leak=10.0, v_rest=-70.0, v_reset=-58.0, v_t=-50.0, a=0.0,
                                         b=0.0, t_ref=2.0, i_bias=200.0, v_init=ns.Uniform(-70.0, -55.0)))
    net.connect(e, [e, i], ns.fixed_probability(0.02), receptor=ns.AMPA(tau_decay=5.0), weight=2.0, delay=0.5)
    net.connect(i, [e, i], ns.fixed_probability(0.02), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0),
                weight=6.0, delay=0.5)
    net.connect(e, i, ns.fixed_probability(0.02), receptor=ns.Delta(), weight=0.5, delay=1.0)
    mons = [net.monitor(p, "spikes") for p in (e, i)]
    return net, mons


def test_one_and_two_threads_give_the_same_spikes(monkeypatch):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    import neurosim.kernels.cpu.neurons as kernels
    monkeypatch.setattr(kernels, "PARALLEL_MIN_WORK", 0)
    out = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            net, mons = _adex_net()
            net.run(100.0, progress=False)
            assert (net._sim.backend.threaded_chunks > 0) == (threads > 1)
            out.append([np.stack([m.i, np.round(m.t / DT)]) for m in mons] + [net.get("e", "v"), net.get("e", "w_adapt")])
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert out[0][0].shape[1] > 200, "the network must be active"
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_spec_round_trip_and_handles():
    net = ns.Network(dt=DT, seed=3)
    m = ns.AdEx(a=np.linspace(-2.0, 4.0, 5), delta_t=ns.Uniform(1.0, 3.0), v_init=-65.0)
    p = net.population("p", 5, m)
    p.set(b=20.0)
    p.initialize(w_adapt=np.arange(5.0))
    text = net.spec().to_json()
    back = NetworkSpec.from_dict(json.loads(text))
    assert json.loads(back.to_json()) == json.loads(text)
    assert back.populations[0].model == m and isinstance(back.populations[0].model, ns.AdEx)
    assert ns.AdEx() == ns.AdEx() and ns.AdEx(a=1.0) != ns.AdEx()
    np.testing.assert_array_equal(p.get("a"), np.linspace(-2.0, 4.0, 5))
    assert np.all(p.get("b") == 20.0) and np.all(p.get("tau_m") == 281.0 / 30.0)
    d = p.get("delta_t")
    assert np.all((d >= 1.0) & (d <= 3.0)) and np.unique(d).size == 5
    np.testing.assert_array_equal(net.get(p, "w_adapt")[0], np.arange(5.0))
    with pytest.raises(SpecError, match="initialize"):
        p.initialize(g=1.0)


def test_defaults_are_brette_gerstner_2005():
    m = ns.AdEx()
    assert (m.c_m, m.g_leak, m.v_rest, m.v_reset, m.v_t, m.delta_t, m.v_peak, m.t_ref, m.a, m.b, m.tau_w) == \
        (281.0, 30.0, -70.6, -70.6, -50.4, 2.0, 0.0, 0.0, 4.0, 80.5, 144.0)
    assert math.isclose(m.tau_m, 281.0 / 30.0)
