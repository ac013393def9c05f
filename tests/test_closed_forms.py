"""Simulated trajectories against closed-form solutions (float64).

Conventions used (DESIGN.md, spec/neurons.py): step k integrates from k*dt to (k+1)*dt and
a spike in it is stamped k*dt; a state monitor samples at the start of step k (time k*dt),
after this step's synaptic arrivals; current-based LIF is integrated exactly and
conductance-based LIF by exponential Euler, which is also exact while the conductances are
constant over the step (here: a current step and no synapses); a neuron integrates when
step - last_spike >= int((t_ref + 1e-3 dt)/dt) (Brian2's truncation), otherwise v is held at
v_reset; threshold v > v_th; schedules change on the step t/dt (t on the grid); per-synapse
delays are max(1, floor(delay/dt + 0.5)) steps, scalar delays must lie on the grid.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

import neurosim as ns

DT = 0.1


# --------------------------------------------------------------------- subthreshold v(t)
def _step_response(t, t_on, amps, v_rest, r_m, tau_m):
    """v(t) of dv/dt = (v_rest - v)/tau + R I(t)/tau, v(0) = v_rest, for a piecewise-constant
    I(t) that takes amps[j] from t_on[j] on (superposition of exponential relaxations)."""
    v = np.full_like(t, v_rest)
    prev = 0.0
    for t0, a in zip(t_on, amps):
        dI = a - prev
        on = t >= t0
        v[on] += r_m * dI * (1.0 - np.exp(-(t[on] - t0) / tau_m))
        prev = a
    return v


@pytest.mark.parametrize("model", ["curr", "cond"])
def test_subthreshold_step_response(model):
    if model == "curr":
        m = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0, v_reset=-70.0)
        r_m, tau_m, v_rest = m.tau_m / m.c_m, m.tau_m, m.v_rest      # 0.04 MOhm
        amps = [300.0, 120.0, -80.0, 0.0]                            # max 12 mV < 15 mV to threshold
    else:
        m = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0)
        r_m, tau_m, v_rest = 1.0 / m.g_leak, m.c_m / m.g_leak, m.v_rest  # 0.1 MOhm, 20 ms
        amps = [90.0, 40.0, -50.0, 0.0]                              # max 9 mV < 10 mV
    t_on = [5.0, 30.0, 55.0, 80.0]                                   # on the step grid
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("p", 2, m)
    net.inject(pop, ns.steps(t_on, amps))
    mon = net.monitor(pop, "v")
    spk = net.monitor(pop, "spikes")
    net.run(120.0)
    t = mon.t
    assert np.allclose(t, DT * np.arange(1200))
    want = _step_response(np.arange(t.size) * DT, t_on, amps, v_rest, r_m, tau_m)
    got = mon.v[:, 0]
    assert spk.num_spikes == 0
    dev = np.abs(want - v_rest).max()
    assert dev > 5.0                                   # the test would be empty otherwise
    # relative error of the deviation from rest (float64 round-off: ~1e-13)
    assert np.max(np.abs(got - want)) < 1e-9 * dev
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)
    np.testing.assert_array_equal(mon.v[:, 1], got)


# --------------------------------------------------------------------- regular firing
def _n_star(v_start, v_inf, v_th, decay):
    """Smallest n >= 1 with v_inf + (v_start - v_inf) decay**n > v_th (strict threshold),
    from the closed form; asserts the case is not a floating-point tie."""
    x = math.log((v_inf - v_th) / (v_inf - v_start)) / math.log(decay)
    assert abs(x - round(x)) > 1e-6, "choose parameters away from a tie"
    return int(math.floor(x)) + 1


@pytest.mark.parametrize("model,t_ref", [("curr", 0.0), ("curr", 2.0), ("curr", 0.37), ("cond", 5.0),
                                         ("cond", 0.1)])
def test_isi_closed_form(model, t_ref):
    currents = np.array([400.0, 520.0, 777.0, 1500.0]) if model == "curr" else np.array([105.0, 130.0, 250.0, 611.0])
    if model == "curr":
        m = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0, v_reset=-75.0, t_ref=t_ref)
        r_m, tau_m = m.tau_m / m.c_m, m.tau_m
    else:
        m = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-65.0, t_ref=t_ref)
        r_m, tau_m = 1.0 / m.g_leak, m.c_m / m.g_leak
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("p", currents.size, m)
    net.inject(pop, currents)
    spk = net.monitor(pop, "spikes")
    T = 300.0
    net.run(T)
    decay = math.exp(-DT / tau_m)
    ref_steps = math.floor(Fraction(repr(t_ref)) / Fraction(repr(DT)) + Fraction(1, 1000))   # Brian2: truncated
    for j, i_amp in enumerate(currents):
        v_inf = m.v_rest + r_m * i_amp
        assert v_inf > m.v_th
        # from v_rest at step 0: the n-th integration step is step n - 1
        first = _n_star(m.v_rest, v_inf, m.v_th, decay) - 1
        # after a spike at step k: held steps k+1 .. k+R-1, integration from step k+max(R, 1)
        isi = max(ref_steps, 1) - 1 + _n_star(m.v_reset, v_inf, m.v_th, decay)
        want = np.arange(first, int(round(T / DT)), isi)
        got = np.rint(spk.spike_trains()[j] / DT).astype(int)
        np.testing.assert_array_equal(got, want, err_msg=f"I = {i_amp} pA")
        assert want.size >= 3


# --------------------------------------------------------------------- receptors
def _biexp(t, w, tau_rise, tau_decay):
    """Analytic conductance after one spike of weight w at t = 0 (peak normalised to w)."""
    if tau_rise <= 0:
        return np.where(t >= 0, w * np.exp(-np.maximum(t, 0) / tau_decay), 0.0)
    tp = tau_decay * tau_rise / (tau_decay - tau_rise) * math.log(tau_decay / tau_rise)
    f = 1.0 / (math.exp(-tp / tau_decay) - math.exp(-tp / tau_rise))
    tt = np.maximum(t, 0)
    return np.where(t >= 0, w * f * (np.exp(-tt / tau_decay) - np.exp(-tt / tau_rise)), 0.0)


RECEPTORS = {
    "AMPA": ns.AMPA(),
    "NMDA": ns.NMDA(),
    "GABA_A": ns.GABA_A(),
    "GABA_B": ns.GABA_B(),
    "I_syn": ns.ExpCurrent(tau_decay=5.0),
    "custom": ns.Receptor("custom", tau_decay=23.0, tau_rise=3.3, e_rev=-10.0),
    "I_bi": ns.ExpCurrent(tau_decay=8.0, tau_rise=1.7, name="I_bi"),
}

T_SPIKE = 1.0        # generator spike (step 10)
W = 2.5


@pytest.fixture(scope="module")
def one_spike_runs():
    """One generator spike into one neuron per receptor (held far below threshold)."""
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 1, [T_SPIKE], [0])
    mons = {}
    for name, rec in RECEPTORS.items():
        if rec.conductance_based:
            model = ns.LIFCond(v_th=45.0, v_rest=-60.0, v_reset=-61.0)
        else:
            model = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_th=45.0)
        pop = net.population(f"p_{name}", 1, model)
        net.connect(gen, pop, ns.all_to_all(), receptor=rec, weight=W, delay=DT)
        mons[name] = (net.monitor(pop, [f"g_{name}", "v"]), net.monitor(pop, "spikes"), model)
    net.run(300.0)          # > 4 x the latest peak (GABA_B, 60 ms); the integrals use finite-T forms
    return mons


@pytest.mark.parametrize("name", list(RECEPTORS))
def test_receptor_single_spike(one_spike_runs, name):
    rec = RECEPTORS[name]
    mon, spk, _ = one_spike_runs[name]
    g = getattr(mon, f"g_{name}")[:, 0]
    k_arr = int(round(T_SPIKE / DT)) + 1            # generator step 10 + delay of one step
    t = (np.arange(g.size) - k_arr) * DT            # time since arrival at each sample
    want = _biexp(t, W, rec.tau_rise, rec.tau_decay)
    assert spk.num_spikes == 0
    # pointwise: the decay is exact (exp(-dt/tau) per step); round-off grows ~ n_steps * eps
    assert np.max(np.abs(g - want)) < 1e-9 * W
    assert np.all(g[:k_arr] == 0.0)
    # peak time on the grid and peak value
    k_peak = int(np.argmax(g))
    if rec.tau_rise <= 0:
        assert k_peak == k_arr and g[k_peak] == pytest.approx(W, rel=1e-12)
    else:
        tp = rec.t_peak
        cands = [k_arr + int(math.floor(tp / DT)), k_arr + int(math.ceil(tp / DT))]
        best = max(cands, key=lambda k: _biexp(np.array([(k - k_arr) * DT]), W, rec.tau_rise, rec.tau_decay)[0])
        assert k_peak == best
        assert g[k_peak] <= W * (1 + 1e-12)
        # grid maximum misses the continuous peak w by at most |g''(tp)|/2 * (dt/2)^2
        f = rec.peak_norm
        g2 = W * f * abs(math.exp(-tp / rec.tau_decay) / rec.tau_decay ** 2
                         - math.exp(-tp / rec.tau_rise) / rec.tau_rise ** 2)
        assert W - g[k_peak] <= 0.5 * g2 * (DT / 2) ** 2 + 1e-12
    # integral: left Riemann sum of the samples from the arrival on
    J = g.size - k_arr
    s = g[k_arr:].sum() * DT
    f = rec.peak_norm
    qd = math.exp(-DT / rec.tau_decay)
    exact_sum = W * f * DT * (1 - qd ** J) / (1 - qd)
    if rec.tau_rise > 0:
        qr = math.exp(-DT / rec.tau_rise)
        exact_sum -= W * f * DT * (1 - qr ** J) / (1 - qr)
    assert s == pytest.approx(exact_sum, rel=1e-9)
    # ... and the continuous integral with the Euler-Maclaurin correction
    # sum_{j<J} g(j h) h = int_0^T g - h/2 (g(T) - g(0)) + h^2/12 (g'(T) - g'(0)) + O(h^4 g''')
    T = J * DT
    integral = W * f * rec.tau_decay * (1 - math.exp(-T / rec.tau_decay))
    dg0 = -W * f / rec.tau_decay
    if rec.tau_rise > 0:
        integral -= W * f * rec.tau_rise * (1 - math.exp(-T / rec.tau_rise))
        dg0 += W * f / rec.tau_rise
    g0 = 0.0 if rec.tau_rise > 0 else W
    gT = float(_biexp(np.array([T]), W, rec.tau_rise, rec.tau_decay)[0])
    em = integral - DT / 2 * (gT - g0) - DT ** 2 / 12 * dg0
    assert s == pytest.approx(em, rel=1e-6)


def test_current_psc_exact(one_spike_runs):
    """LIFCurr is integrated exactly: the PSP of an exponential (or bi-exponential) current
    equals the analytic solution of c_m du/dt = -c_m u/tau_m + I(t) at every sample."""
    k_arr = int(round(T_SPIKE / DT)) + 1
    for name in ("I_syn", "I_bi"):
        rec = RECEPTORS[name]
        mon, _, model = one_spike_runs[name]
        v = mon.v[:, 0]
        tm, cm = model.tau_m, model.c_m
        t = np.maximum((np.arange(v.size) - k_arr) * DT, 0.0)

        def resp(tau_x):   # response to I = exp(-t/tau_x) (per pA)
            return tm * tau_x / (tau_x - tm) / cm * (np.exp(-t / tau_x) - np.exp(-t / tm))

        u = W * rec.peak_norm * (resp(rec.tau_decay) - (resp(rec.tau_rise) if rec.tau_rise > 0 else 0.0))
        want = model.v_rest + u
        assert np.abs(u).max() > 0.01
        assert np.max(np.abs(v - want)) < 1e-9 * np.abs(u).max()


# --------------------------------------------------------------------- NMDA Mg2+ block
@pytest.mark.parametrize("mg", [0.0, 1.0, 2.0])
def test_mg_factor_formula(mg):
    rec = ns.NMDA(mg=mg)
    v = np.linspace(-100.0, 20.0, 241)
    want = 1.0 / (1.0 + mg / 3.57 * np.exp(-0.062 * v))     # Jahr & Stevens (1990)
    np.testing.assert_allclose(rec.mg_factor(v), want, rtol=1e-14)
    np.testing.assert_array_equal(ns.AMPA().mg_factor(v), np.ones_like(v))
    if mg > 0:
        assert np.all(np.diff(rec.mg_factor(v)) > 0)        # block relieved by depolarisation


def test_nmda_block_used_in_membrane_update():
    """One exponential-Euler step with the NMDA conductance scaled by B(v at the start of
    the step) reproduces the simulated v; B = 1 or B(v at the end of the step) do not."""
    v0 = np.linspace(-100.0, 20.0, 25)
    m = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=45.0, v_reset=-61.0, v_init=tuple(v0.tolist()))
    rec = ns.NMDA(tau_rise=2.0, tau_decay=100.0, mg=1.0)
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("p", v0.size, m)
    gen = net.spike_generator("gen", 1, [0.0], [0])
    net.connect(gen, pop, ns.all_to_all(), receptor=rec, weight=40.0, delay=DT)
    mon = net.monitor(pop, ["v", "g_NMDA"])
    net.run(2.0)
    v, g = mon.v, mon.g_NMDA
    assert np.all(g[:2] == 0) and np.all(g[2] > 1.0)
    np.testing.assert_array_equal(v[0], v0)

    def step(v1, geff):
        G = m.g_leak + geff
        v_inf = (m.g_leak * m.v_rest + geff * rec.e_rev) / G
        return v_inf + (v1 - v_inf) * np.exp(-DT * G / m.c_m)

    for k in range(2, 15):
        B = 1.0 / (1.0 + rec.mg / 3.57 * np.exp(-0.062 * v[k]))
        pred = step(v[k], g[k] * B)
        np.testing.assert_allclose(v[k + 1], pred, rtol=0, atol=1e-9)
        # the comparison discriminates: no block, or the block at the end-of-step v, differ
        assert np.all(np.abs(step(v[k], g[k]) - pred)[v0 < 10] > 1e-4)
    B_end = 1.0 / (1.0 + rec.mg / 3.57 * np.exp(-0.062 * v[5]))
    assert np.max(np.abs(step(v[4], g[4] * B_end) - v[5])) > 1e-7
    # the effective block of the simulation, recovered from one step by bisection on the
    # effective conductance g*B in [0, 1.5 g] (v(t+dt) is monotone in it: checked on a grid)
    k = 3
    grid = np.linspace(0.0, 1.5, 301)[:, None] * g[k][None, :]
    vals = step(v[k][None, :], grid)
    sgn = np.sign(np.diff(vals, axis=0))
    assert np.all(sgn == sgn[0])
    lo, hi = np.zeros_like(g[k]), 1.5 * g[k]
    f_lo = step(v[k], lo) - v[k + 1]
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = step(v[k], mid) - v[k + 1]
        same = np.sign(f_mid) == np.sign(f_lo)
        lo, f_lo = np.where(same, mid, lo), np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    B_sim = 0.5 * (lo + hi) / g[k]
    np.testing.assert_allclose(B_sim, rec.mg_factor(v[k]), rtol=1e-6)


# --------------------------------------------------------------------- delays
DELAYS_MS = [0.1, 0.1 + 1e-12, 0.14, 0.15, 0.2, 0.25, 0.3, 0.34999, 0.35, 0.45, 0.5, 0.55, 0.7, 1.0, 1.05, 2.0,
             2.049, 2.05]


def _expected_steps(d):
    """floor(delay/dt + 0.5) in exact decimal arithmetic (halves round up), at least 1."""
    q = Fraction(repr(d)) / Fraction(repr(DT))
    return max(1, math.floor(q + Fraction(1, 2)))


def test_delay_rounding_and_arrival():
    n = len(DELAYS_MS)
    k_spike = 7
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 1, [k_spike * DT], [0])
    pop = net.population("p", n, ns.LIFCond(v_th=45.0))
    proj = net.connect(gen, pop, ns.from_arrays(np.zeros(n, int), np.arange(n), delay=np.array(DELAYS_MS)),
                       receptor="AMPA", weight=1.0)
    # the same delays as scalar projection delays, one projection per delay: a scalar delay is a
    # setting and must lie on the grid (within 1e-9 relative); off it, it is refused
    pop2 = net.population("q", n, ns.LIFCond(v_th=45.0))
    on_grid = []
    for j, d in enumerate(DELAYS_MS):
        q = Fraction(repr(d)) / Fraction(repr(DT))
        if abs(q - round(q)) <= Fraction(1, 10**9) * q:
            net.connect(gen, pop2, ns.from_arrays([0], [j]), receptor="AMPA", weight=1.0, delay=d)
            on_grid.append(j)
        else:
            with pytest.raises(ns.SpecError, match=rf"delay {d!r} ms is not a multiple of dt = 0\.1 ms; use "):
                net.connect(gen, pop2, ns.from_arrays([0], [j]), receptor="AMPA", weight=1.0, delay=d)
    assert on_grid == [0, 1, 4, 6, 10, 12, 13, 15]
    mons = [(net.monitor(pop, "g_AMPA"), np.arange(n)), (net.monitor(pop2, "g_AMPA"), np.array(on_grid))]
    net.run(5.0)
    want = np.array([_expected_steps(d) for d in DELAYS_MS])
    assert want.tolist()[:9] == [1, 1, 1, 2, 2, 3, 3, 3, 4]
    con = net.connections(proj)
    np.testing.assert_allclose(con["delay"][np.argsort(con["post"])], want * DT, rtol=1e-12)
    for mon, cols in mons:
        g = mon.g_AMPA[:, cols]
        first = np.argmax(g > 0, axis=0)
        np.testing.assert_array_equal(first, k_spike + want[cols])
        np.testing.assert_allclose(g[k_spike + want[cols], np.arange(cols.size)], 1.0, rtol=1e-12)


@pytest.mark.parametrize("d_steps", [1, 2, 5, 13])
def test_neuron_spike_delay(d_steps):
    """A spike of a neuron stamped at step k enters the target receptor at step k + d."""
    net = ns.Network(dt=DT, seed=0)
    src = net.population("src", 1, ns.LIFCond(t_ref=50.0), i_bias=250.0)
    tgt = net.population("tgt", 1, ns.LIFCond(v_th=45.0))
    net.connect(src, tgt, receptor=ns.GABA_A(), weight=3.0, delay=d_steps * DT)
    spk = net.monitor(src, "spikes")
    mon = net.monitor(tgt, "g_GABA_A")
    net.run(20.0)
    k = int(round(spk.t[0] / DT))
    g = mon.g_GABA_A[:, 0]
    assert np.all(g[:k + d_steps] == 0.0)
    assert g[k + d_steps] == pytest.approx(3.0, rel=1e-12)


# --------------------------------------------------------------------- saturating NMDA (Wang 2002)
def _wang_gating(t, spikes, tau_rise, tau_decay, alpha, h=1e-4):
    """s(t) of ds/dt = -s/tau_decay + alpha x (1 - s), s(0) = 0, x = sum_k exp(-(t - t_k)/tau_rise)
    over t >= t_k.  Linear in s given x, so s(t) = exp(-Phi(t)) int_0^t alpha x(u) exp(Phi(u)) du with
    Phi(t) = t/tau_decay + alpha int_0^t x (in closed form); the remaining integral by the
    trapezoid rule on a grid of ``h`` ms (error ~1e-7 here)."""
    u = np.arange(0.0, t.max() + 2 * h, h)
    x = np.zeros_like(u)
    x_int = np.zeros_like(u)
    for tk in spikes:
        on = u >= tk - 1e-12
        x[on] += np.exp(-(u[on] - tk) / tau_rise)
        x_int[on] += tau_rise * (1.0 - np.exp(-(u[on] - tk) / tau_rise))
    phi = u / tau_decay + alpha * x_int
    f = alpha * x * np.exp(phi)
    integral = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) * (h / 2))])
    return np.interp(t, u, np.exp(-phi) * integral)


def test_saturating_nmda_converges_to_exact_gating():
    """One spike, then a 200 Hz burst of 10 that saturates s near 1 (a linear receptor would
    sum to ~10x the single-spike peak): the conductance w s(t) of Wang's saturating NMDA
    synapse (Mg2+ block off, w = 1 nS) against the exact s(t).  neurosim freezes x over each step
    (exponential Euler, as Brian2), a first-order scheme: the error must halve with dt (ratio
    2 +- 0.1) and be < 0.3 % of the peak at dt = 0.025 ms.  The arrival step also matters: a
    spike that entered x one step early or late would leave an error that does not shrink."""
    tau_rise, tau_decay, alpha = 2.0, 100.0, 0.5
    arrive = np.array([5.0] + list(50.0 + 5.0 * np.arange(10)))    # ms, when x jumps
    errors = []
    for dt in (0.1, 0.05, 0.025):
        net = ns.Network(dt=dt, seed=0)
        gen = net.spike_generator("gen", 1, arrive - 3 * dt, np.zeros(arrive.size, np.int64))
        cell = net.population("cell", 1, ns.LIFCond(v_th=50.0))      # never fires
        rec = ns.NMDA(tau_rise=tau_rise, tau_decay=tau_decay, saturating=True, alpha=alpha, mg=0.0)
        net.connect(gen, cell, receptor=rec, weight=1.0, delay=3 * dt)
        mon = net.monitor(cell, "g_NMDA")
        net.run(300.0, progress=False)
        exact = _wang_gating(mon.t, arrive, tau_rise, tau_decay, alpha)
        assert 0.9 < exact.max() < 1.0
        errors.append(np.abs(mon.g_NMDA[:, 0] - exact).max())
    assert 1.9 < errors[0] / errors[1] < 2.1, errors    # dt 0.1 -> 0.05 halves the error
    assert 1.9 < errors[1] / errors[2] < 2.1, errors    # dt 0.05 -> 0.025 halves it again
    assert errors[2] < 0.003


# --------------------------------------------------------------------- subnormal numbers
def test_silent_receptor_decays_to_zero_not_subnormal():
    """A receptor that receives nothing decays exactly, g(t) = w exp(-t/tau), while g is a normal
    double, and ends at exactly 0 (the compiled loop flushes subnormals, kernels/cpu/fpenv.py):
    without the flush, g * exp(-dt/tau) rounds back to the same subnormal forever (~1e-323) and
    every operation on it costs ~100 cycles.  numpy in the calling thread keeps IEEE subnormals."""
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 1, [0.0], [0])
    cells = net.population("cells", 8, ns.LIFCond(v_th=50.0))
    net.connect(gen, cells, receptor=ns.AMPA(tau_decay=1.0), weight=3.0, delay=DT)
    mon = net.monitor(cells, "g_AMPA", every=10.0)
    net.run(1000.0, progress=False)     # 1000 time constants: exp(-1000) ~ 1e-435
    g = mon.g_AMPA[:, 0]
    t = mon.t - DT                      # the spike enters the receptor at t = dt
    normal = (g > 1e-300) & (t > 0)
    assert normal.sum() >= 60           # 10 ms samples up to ~690 ms are normal doubles
    np.testing.assert_allclose(g[normal], 3.0 * np.exp(-t[normal] / 1.0), rtol=1e-9)
    assert np.all(net.get(cells, "g_AMPA") == 0.0)
    assert np.float64(1e-308) * 1e-5 > 0.0
