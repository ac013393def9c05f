"""Alpha and delta synapses (spec/receptors.py) against closed forms and a plain-numpy recursion
of NEST's iaf_psc_delta update; the Brian2 comparison is tests/test_receptor_kinetics_brian2.py.

* alpha: one spike gives ``g(t) = w (t/tau) exp(1 - t/tau)`` exactly at every step (conductance
  and current), and the PSP of a current-based neuron is the closed-form convolution of that
  current with the membrane's exponential kernel (an independent formula: the kernel uses a
  series for the same integral).
* delta: ``v(k) = v(k-1) exp(-dt/tau_m) + (bias term) + sum of this step's jumps``, threshold after
  the jump, jumps arriving while refractory discarded (NEST iaf_psc_delta, refractory_input False).
"""
import math

import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
W = 2.5


def _alpha(t, w, tau):
    t = np.asarray(t, np.float64)
    return np.where(t > 0, w * (t / tau) * np.exp(1.0 - t / tau), 0.0)


def _alpha_psp(t, w, tau, tau_m, c_m):
    """v(t) - v_rest (mV) of c_m dv/dt = -c_m v/tau_m + I(t), I = alpha current of peak w pA:
    (w e / (tau c_m)) exp(-t/tau_m) (1 - exp(-k t)(1 + k t)) / k^2, k = 1/tau - 1/tau_m
    (k = 0: t^2 / 2)."""
    t = np.asarray(t, np.float64)
    k = 1.0 / tau - 1.0 / tau_m
    if k == 0.0:
        j = t * t / 2.0
    else:
        j = (1.0 - np.exp(-k * t) * (1.0 + k * t)) / (k * k)
    return np.where(t > 0, w * math.e / (tau * c_m) * np.exp(-t / tau_m) * j, 0.0)


T_SPIKE = 1.0
K_ARR = int(round(T_SPIKE / DT)) + 1     # generator step 10 + delay of one step


@pytest.fixture(scope="module")
def alpha_runs():
    net = ns.Network(dt=DT, seed=0)
    gen = net.spike_generator("gen", 1, [T_SPIKE], [0])
    out = {}
    specs = {"cond": (ns.Alpha("ga", 3.0, e_rev=0.0), ns.LIFCond(v_th=45.0, v_rest=-60.0, v_reset=-61.0)),
             "curr": (ns.Alpha("ia", 2.0), ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=0.0, v_reset=-1.0, v_th=45.0)),
             "curr_equal_tau": (ns.Alpha("ib", 10.0), ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=0.0, v_reset=-1.0,
                                                                  v_th=45.0))}
    for name, (rec, model) in specs.items():
        pop = net.population(f"p_{name}", 1, model)
        net.connect(gen, pop, ns.all_to_all(), receptor=rec, weight=W, delay=DT)
        out[name] = (rec, model, net.monitor(pop, [f"g_{rec.name}", "v"]))
    net.run(120.0, progress=False)
    return out


@pytest.mark.parametrize("name", ["cond", "curr", "curr_equal_tau"])
def test_alpha_single_spike_is_the_alpha_function(alpha_runs, name):
    rec, _, mon = alpha_runs[name]
    g = getattr(mon, f"g_{rec.name}")[:, 0]
    t = (np.arange(g.size) - K_ARR) * DT
    want = _alpha(t, W, rec.tau_decay)
    assert np.all(g[:K_ARR + 1] == 0.0)          # a spike arriving at step k enters h; g rises after
    assert np.max(np.abs(g - want)) < 1e-12 * W
    k_peak = K_ARR + int(round(rec.tau_decay / DT))
    assert int(np.argmax(g)) == k_peak and g[k_peak] == pytest.approx(W, rel=1e-13)


@pytest.mark.parametrize("name", ["curr", "curr_equal_tau"])
def test_alpha_current_psp_is_exact(alpha_runs, name):
    """The exact propagator of the alpha current (including tau == tau_m) against the closed-form PSP."""
    rec, model, mon = alpha_runs[name]
    v = mon.v[:, 0]
    t = (np.arange(v.size) - K_ARR) * DT
    want = model.v_rest + _alpha_psp(t, W, rec.tau_decay, model.tau_m, model.c_m)
    peak = np.max(want - model.v_rest)
    assert peak > 0.01
    assert np.max(np.abs(v - want)) < 1e-12 * peak


def test_alpha_conductance_drives_v_by_exponential_euler(alpha_runs):
    """The conductance-based membrane takes the start-of-step g (exponential Euler, as for the
    exponential receptors): v(k+1) = v_inf + (v(k) - v_inf) exp(-dt G/c_m), G = g_L + g(k)."""
    rec, model, mon = alpha_runs["cond"]
    g = getattr(mon, f"g_{rec.name}")[:, 0]
    v = mon.v[:, 0]
    G = model.g_leak + g[:-1]
    v_inf = (model.g_leak * model.v_rest + g[:-1] * rec.e_rev) / G
    want = v_inf + (v[:-1] - v_inf) * np.exp(-DT * G / model.c_m)
    assert np.max(np.abs(v[1:] - want)) < 1e-12
    assert v.max() > model.v_rest + 0.05


def test_poisson_drive_into_alpha_enters_h():
    """A drive firing with probability 1 per step for 1 ms (10 events, one per step) into an alpha
    channel: g is the sum of 10 alpha functions, each starting at its step."""
    net = ns.Network(dt=DT, seed=1)
    pop = net.population("p", 2, ns.LIFCurr(tau_m=10.0, c_m=250.0, v_th=45.0))
    rec = ns.Alpha("ia", 2.0)
    net.poisson_drive(pop, rec, 1, ns.steps([0.0, 1.0], [1000.0 / DT, 0.0]), W)
    mon = net.monitor(pop, f"g_{rec.name}")
    net.run(30.0, progress=False)
    g = mon.g_ia[:, 0]
    t = np.arange(g.size) * DT
    want = sum(_alpha(t - k * DT, W, rec.tau_decay) for k in range(10))
    assert np.max(np.abs(g - want)) < 1e-12 * W * 10
    np.testing.assert_array_equal(mon.g_ia[:, 1], g)


# --- delta synapses: NEST iaf_psc_delta's update in plain numpy
TAU_M, C_M, V_TH, V_RESET, T_REF = 20.0, 250.0, 20.0, 10.0, 2.0


def _delta_reference(n_steps, arrivals, i_bias, cond=None):
    """v after each step and the spike steps of one neuron: v <- propagated v + jumps arriving this
    step (discarded while refractory), spike when v > V_TH (reset V_RESET, refractory
    int(T_REF/dt) steps).  ``cond`` = (g_leak, v_rest): exponential Euler of the leak and bias
    instead of the exact current-based propagator."""
    ref = int((T_REF + 1e-3 * DT) / DT)
    v, last, vs, spikes = 0.0 if cond is None else cond[1], -10 ** 9, [], []
    pm = math.exp(-DT / TAU_M)
    for k in range(n_steps):
        if k - last >= ref:
            if cond is None:
                v = v * pm + i_bias * (1.0 - pm) / (C_M / TAU_M)
            else:
                g_leak, v_rest = cond
                v_inf = (g_leak * v_rest + i_bias) / g_leak
                v = v_inf + (v - v_inf) * math.exp(-DT * g_leak / C_M)
            v += arrivals[k]
            if v > V_TH:
                v = V_RESET
                last = k
                spikes.append(k)
        vs.append(v)
    return np.asarray(vs), spikes


@pytest.mark.parametrize("cond", [False, True])
def test_delta_jumps_threshold_and_refractory_discard(cond):
    times = [1.0, 3.0, 3.0, 5.0, 5.02, 5.5, 6.0, 9.0, 9.0, 9.0, 20.0]   # ms; 5.0 and 5.02 share a step
    n_steps = 300
    net = ns.Network(dt=DT, seed=2)
    ids = [sum(1 for u in times[:j] if abs(u - t) < 0.06) for j, t in enumerate(times)]  # one step, one source
    gen = net.spike_generator("gen", 3, times, ids)
    if cond:
        model = ns.LIFCond(c_m=C_M, g_leak=C_M / TAU_M, v_rest=12.0, v_th=V_TH, v_reset=V_RESET, t_ref=T_REF,
                           i_bias=30.0)
    else:
        model = ns.LIFCurr(tau_m=TAU_M, c_m=C_M, v_rest=0.0, v_th=V_TH, v_reset=V_RESET, t_ref=T_REF, i_bias=30.0,
                           v_init=0.0)
    pop = net.population("p", 1, model)
    net.connect(gen, pop, ns.all_to_all(), receptor=ns.Delta(), weight=4.0, delay=1.0)
    mon = net.monitor(pop, "v")
    spk = net.monitor(pop, "spikes")
    net.run(n_steps * DT, progress=False)
    arrivals = np.zeros(n_steps + 20)
    for t in times:
        arrivals[int(np.floor(t / DT + 0.5)) + 10] += 4.0
    v_ref, spikes_ref = _delta_reference(n_steps, arrivals, 30.0, (C_M / TAU_M, 12.0) if cond else None)
    assert len(spikes_ref) >= 2 and any(arrivals[s + 1:s + 20].any() for s in spikes_ref), \
        "the train must make the neuron fire and send a spike into its refractory period"
    np.testing.assert_array_equal(np.round(spk.t / DT).astype(int), spikes_ref)
    # the monitor samples v at the start of each step, i.e. after the previous step
    np.testing.assert_allclose(mon.v[1:, 0], v_ref[:n_steps - 1], rtol=0, atol=1e-12)


def test_receptor_bad_inputs():
    with pytest.raises(SpecError, match=r"kinetics.*'exponential', 'alpha', 'delta'.*'beta'"):
        ns.Receptor("x", 2.0, kinetics="beta")
    with pytest.raises(SpecError, match=r"tau_rise.*0\.0.*kinetics='alpha'.*got 1\.0"):
        ns.Receptor("x", 2.0, tau_rise=1.0, kinetics="alpha")
    with pytest.raises(SpecError, match=r"e_rev.*None.*kinetics='delta'.*got 0\.0"):
        ns.Receptor("x", 2.0, e_rev=0.0, kinetics="delta")
    with pytest.raises(SpecError, match=r"mg_block.*False.*kinetics='alpha'"):
        ns.Receptor("x", 2.0, e_rev=0.0, mg_block=True, kinetics="alpha")
    with pytest.raises(SpecError, match=r"tau_decay.*> 0.*-1"):
        ns.Alpha("x", -1.0)
    # an alpha conductance onto a current-based neuron is refused as for the exponential ones
    net = ns.Network(dt=DT)
    a = net.population("a", 2, ns.LIFCurr())
    with pytest.raises(SpecError, match=r"conductance-based"):
        net.connect(a, a, receptor=ns.Alpha("g", 2.0, e_rev=0.0), weight=1.0)


def test_receptor_round_trip():
    for rec in (ns.Delta(), ns.Alpha("a", 3.0, e_rev=-70.0), ns.Alpha("b", 2.0)):
        back = ns.Receptor(**rec.to_dict())
        assert back == rec and back.kinetics == rec.kinetics
