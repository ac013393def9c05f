"""Generated currents (spec/sources.py): the sinusoidal current (``inject_ac``: NEST ac_generator,
PyNN ACSource) and the noisy current (``inject_noise``: NEST noise_generator, PyNN
NoisyCurrentSource), and the spec round trip of every source of spec/sources.py.

* AC: the recorded ``i_ext`` equals the closed form offset + amplitude sin(2 pi f t + phase) at
  t = step*dt in every step of its window (1e-12 pA), and a LIFCurr neuron driven by it fires in
  exactly the steps of Brian2's (the same closed form evaluated by Brian2 at the start of each step,
  ``method='exact'``).
* Noise: values constant within each dt_noise window, zero outside [start, stop); mean, variance,
  lag-1 autocorrelation across windows, correlation across neurons and trials and a KS test
  against the normal CDF; and the membrane mean and variance of LIFCurr neurons against NEST's
  iaf_psc_exp driven by noise_generator.

False-failure rates (fixed seeds: each test is deterministic): 5 standard errors (~6e-7 each,
~1e-3 for the 1225 neuron pairs together), KS at alpha = 1e-3 (Kolmogorov's asymptotic value).
"""
import math
import subprocess
import sys

import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1
Z = 5.0


def ac_closed_form(n_steps, offset, amplitude, f, phase_deg, start, stop):
    """The AC current (pA) of each step k: t = k dt, inside [start, stop)."""
    k = np.arange(n_steps)
    t_s = k * DT * 1e-3
    val = offset + amplitude * np.sin(2 * np.pi * f * t_s + np.deg2rad(phase_deg))
    on = (k >= round(start / DT)) & (k < (n_steps if stop is None else round(stop / DT)))
    return np.where(on, val, 0.0)


# ------------------------------------------------------------------------------------ AC
def test_ac_current_closed_form_every_step():
    T = 60.0
    n_steps = int(round(T / DT))
    net = ns.Network(dt=DT, seed=61, batch=2)
    e = net.population("e", 6, ns.LIFCurr(v_th=50.0))
    specs = [dict(amplitude=120.0, frequency=50.0, phase=30.0, offset=10.0, start=0.0, stop=None, indices=[0, 1]),
             dict(amplitude=-40.0, frequency=333.0, phase=-90.0, offset=0.0, start=5.3, stop=41.7, indices=[1, 2]),
             dict(amplitude=80.0, frequency=0.0, phase=90.0, offset=-5.0, start=12.0, stop=None, indices=[3])]
    for s in specs:
        net.inject_ac(e, **s)
    net.inject(e, ns.steps([20.0], [[7.0]]), indices=[2])        # a schedule current adds on top
    mon = net.monitor(e, "i_ext")
    net.run(T)
    expected = np.zeros((n_steps, 6))
    for s in specs:
        expected[:, s["indices"]] += ac_closed_form(n_steps, s["offset"], s["amplitude"], s["frequency"],
                                                    s["phase"], s["start"], s["stop"])[:, None]
    expected[200:, 2] += 7.0
    rec = mon.i_ext                                               # (steps, trials, neurons)
    assert rec.shape == (n_steps, 2, 6)
    for b in range(2):
        np.testing.assert_allclose(rec[:, b], expected, rtol=0, atol=1e-12)
    assert np.all(rec[:, :, 4:] == 0.0)


def test_ac_lif_curr_spikes_match_brian2():
    b2 = pytest.importorskip("brian2")
    from brian2_models import setup
    setup(dt=DT)
    T = 300.0
    cell = dict(tau_m=10.0, c_m=250.0, v_rest=-70.0, v_th=-55.0, v_reset=-70.0, t_ref=2.0)
    drives = [(300.0, 200.0, 25.0, 60.0, 0.0, None), (0.0, 1500.0, 40.0, 0.0, 0.0, None),
              (420.0, 100.0, 7.0, -45.0, 20.0, 250.0), (370.0, 300.0, 113.0, 200.0, 50.5, None)]
    net = ns.Network(dt=DT, seed=62)
    e = net.population("e", len(drives), ns.LIFCurr(**cell))
    for i, (off, amp, f, ph, a, s) in enumerate(drives):
        net.inject_ac(e, amp, f, phase=ph, offset=off, start=a, stop=s, indices=[i])
    mon = net.monitor(e, "spikes")
    net.run(T)

    n_steps = int(round(T / DT))
    eqs = """dv/dt = (v_rest - v)/tau_m + I/c_m : volt (unless refractory)
             I : amp
             off : amp (constant)
             amp_ : amp (constant)
             f : Hz (constant)
             ph : 1 (constant)
             k0 : integer (constant)
             k1 : integer (constant)"""
    ns_ = dict(tau_m=cell["tau_m"] * b2.ms, c_m=cell["c_m"] * b2.pF, v_rest=cell["v_rest"] * b2.mV,
               v_th=cell["v_th"] * b2.mV, v_reset=cell["v_reset"] * b2.mV)
    g = b2.NeuronGroup(len(drives), eqs, threshold="v > v_th", reset="v = v_reset", refractory=cell["t_ref"] * b2.ms,
                       method="exact", namespace=ns_)
    g.v = cell["v_rest"] * b2.mV
    g.off = [d[0] for d in drives] * b2.pA
    g.amp_ = [d[1] for d in drives] * b2.pA
    g.f = [d[2] for d in drives] * b2.Hz
    g.ph = [np.deg2rad(d[3]) for d in drives]
    g.k0 = [int(round(d[4] / DT)) for d in drives]
    g.k1 = [n_steps + 10 if d[5] is None else int(round(d[5] / DT)) for d in drives]
    # Brian2 evaluates the closed form itself, at the start of each step (before the state update)
    g.run_regularly("I = int(t_in_timesteps >= k0) * int(t_in_timesteps < k1) * (off + amp_*sin(2*pi*f*t + ph))",
                    when="before_groups")
    sm = b2.SpikeMonitor(g)
    b2.Network(g, sm).run(T * b2.ms)
    b_steps = np.rint(np.asarray(sm.t / b2.ms) / DT).astype(np.int64)
    b_ids = np.asarray(sm.i)
    n_steps_ns = np.rint(mon.t / DT).astype(np.int64)
    for i in range(len(drives)):
        ours = np.sort(n_steps_ns[mon.i == i])
        theirs = np.sort(b_steps[b_ids == i])
        assert ours.size > 3, (i, ours.size)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"neuron {i}")


@pytest.mark.parametrize("kwargs,match", [
    (dict(amplitude=10.0, frequency=-1.0), "frequency must be >= 0"),
    (dict(amplitude=float("nan"), frequency=10.0), "amplitude must be finite"),
    (dict(amplitude=10.0, frequency=10.0, phase=float("inf")), "phase must be finite"),
    (dict(amplitude=10.0, frequency=10.0, start=0.25), "start 0.25 ms is not a multiple of dt"),
    (dict(amplitude=10.0, frequency=10.0, start=3.0, stop=2.0), "stop must be > start"),
    (dict(amplitude=10.0, frequency=10.0, indices=[4]), r"indices must be in \[0, 3\]"),
])
def test_ac_bad_input(kwargs, match):
    net = ns.Network(dt=0.1)
    e = net.population("e", 4, ns.LIFCurr())
    with pytest.raises(SpecError, match=match):
        net.inject_ac(e, **kwargs)


# ------------------------------------------------------------------------------------ noise
def test_noise_current_statistics():
    n, batch, mean, std, dt_noise = 50, 2, 10.0, 40.0, 0.5
    start, stop, T = 0.3, 900.3, 1000.0
    every = int(round(dt_noise / DT))
    net = ns.Network(dt=DT, seed=63, batch=batch)
    e = net.population("e", n, ns.LIFCurr(v_th=50.0))
    net.inject_noise(e, mean, std, dt_noise, start=start, stop=stop)
    mon = net.monitor(e, "i_ext")
    net.run(T)
    x = mon.i_ext                                              # (steps, batch, n)
    a, b = int(round(start / DT)), int(round(stop / DT))
    assert np.all(x[:a] == 0.0) and np.all(x[b:] == 0.0)
    w = x[a:b].reshape(-1, every, batch, n)                    # (windows, steps in a window, batch, n)
    assert np.all(w == w[:, :1]), "the value must be constant within each dt_noise window"
    v = w[:, 0]                                                # (windows, batch, n)
    assert np.all(v[1:] != v[:-1]), "a new value in every window"
    m = v.size
    assert abs(v.mean() - mean) < Z * std / math.sqrt(m)
    assert abs(v.var(ddof=1) - std ** 2) < Z * std ** 2 * math.sqrt(2.0 / (m - 1))
    u = (v - mean) / std
    # independent across windows: lag-1 autocorrelation of each (trial, neuron) series, pooled
    r1 = np.mean(u[1:] * u[:-1])
    assert abs(r1) < Z / math.sqrt(u[1:].size), r1
    # ... across neurons (every pair in trial 0) and across trials (neuron by neuron, pooled)
    k = v.shape[0]
    c = np.corrcoef(v[:, 0, :].T)
    off_diag = c[~np.eye(n, dtype=bool)]
    assert np.max(np.abs(off_diag)) < Z / math.sqrt(k), np.max(np.abs(off_diag))
    r_tr = np.mean(u[:, 0, :] * u[:, 1, :])
    assert abs(r_tr) < Z / math.sqrt(k * n), r_tr
    # normal: KS of the standardised values against Phi (alpha = 1e-3)
    z = np.sort(u.reshape(-1))
    phi = 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))
    i = np.arange(1, m + 1)
    D = max(np.max(i / m - phi), np.max(phi - (i - 1) / m))
    assert D < math.sqrt(-math.log(1e-3 / 2) / 2) / math.sqrt(m), D


NEST_NOISE = """
import sys
import numpy as np
import nest
n, mean, std, dt_noise, T, t0, dt, tau_m, c_m, v_rest, out = sys.argv[1:]
n, T, t0 = int(n), float(T), float(t0)
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": float(dt), "rng_seed": 5, "print_time": False})
pop = nest.Create("iaf_psc_exp", n, params={"tau_m": float(tau_m), "C_m": float(c_m), "E_L": float(v_rest),
                                             "V_m": float(v_rest), "V_th": 50.0, "I_e": 0.0})
noise = nest.Create("noise_generator", params={"mean": float(mean), "std": float(std), "dt": float(dt_noise)})
nest.Connect(noise, pop)
vm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 1.0})
nest.Connect(vm, pop)
nest.Simulate(T)
ev = vm.get("events")
keep = ev["times"] > t0
v = np.stack([ev["V_m"][keep & (ev["senders"] == g)] for g in pop.tolist()], axis=1)
np.save(out, v)
"""


def test_noise_membrane_matches_nest(tmp_path):
    """LIFCurr neurons (no threshold) under noise_generator statistics: the time-averaged mean and
    variance of v over 200 neurons against NEST's iaf_psc_exp with noise_generator (each target of
    a noise_generator gets its own noise), run in a separate process (NEST and Numba's threads in
    one process can crash NEST's ResetKernel).  The neuron-to-neuron spread of the per-neuron time
    averages gives the standard errors (neurons are independent); 5 combined SE."""
    pytest.importorskip("nest")
    n, mean, std, dt_noise, T, t0 = 200, 200.0, 300.0, 1.0, 2000.0, 100.0
    cell = dict(tau_m=10.0, c_m=250.0, v_rest=-70.0)
    out = tmp_path / "nest_v.npy"
    r = subprocess.run([sys.executable, "-c", NEST_NOISE] + [str(x) for x in (n, mean, std, dt_noise, T, t0, DT,
                                                                              cell["tau_m"], cell["c_m"],
                                                                              cell["v_rest"], out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    theirs = np.load(out)
    assert theirs.shape[1] == n

    net = ns.Network(dt=DT, seed=64)
    e = net.population("e", n, ns.LIFCurr(v_th=50.0, v_reset=-70.0, t_ref=0.1, **cell))
    net.inject_noise(e, mean, std, dt_noise)
    mon = net.monitor(e, "v", every=1.0)
    net.run(T)
    ours = mon.v[int(t0) + 1:]                                 # (samples, n): t > t0, as NEST's
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)

    def stats(x):
        m_i, v_i = x.mean(0), x.var(0, ddof=1)
        return m_i.mean(), m_i.std(ddof=1) / math.sqrt(x.shape[1]), v_i.mean(), v_i.std(ddof=1) / math.sqrt(x.shape[1])
    m1, sm1, v1, sv1 = stats(ours)
    m2, sm2, v2, sv2 = stats(theirs)
    # closed forms: mean v_rest + mean R (R = tau_m / c_m); v at the window boundaries (where the
    # monitor samples: every 1 ms = dt_noise, from t = 0) is an AR(1) process with a = exp(-dt_noise/tau_m),
    # variance (R std)^2 (1 - a) / (1 + a) = 7.194 mV^2 here
    R = cell["tau_m"] / cell["c_m"]
    a = math.exp(-dt_noise / cell["tau_m"])
    assert abs(m1 - (cell["v_rest"] + mean * R)) < Z * sm1
    assert abs(v1 - (R * std) ** 2 * (1 - a) / (1 + a)) < Z * sv1, v1
    # NEST: its samples lie one step (the device's delay) off the window boundaries, which lowers the
    # time-averaged variance by ~2 % (7.07 mV^2 by the same AR(1) algebra), within the bounds below
    assert abs(m1 - m2) < Z * math.hypot(sm1, sm2), (m1, m2, sm1, sm2)
    assert abs(v1 - v2) < Z * math.hypot(sv1, sv2), (v1, v2, sv1, sv2)
    assert v1 > 1.0                                            # the noise is felt (mV^2)


@pytest.mark.parametrize("kwargs,match", [
    (dict(mean=0.0, std=10.0, dt_noise=0.25), "dt_noise 0.25 ms is not a multiple of dt"),
    (dict(mean=0.0, std=10.0, dt_noise=0.0), "dt_noise must be > 0"),
    (dict(mean=0.0, std=-1.0, dt_noise=0.5), "std must be >= 0"),
    (dict(mean=float("inf"), std=1.0, dt_noise=0.5), "mean must be finite"),
    (dict(mean=0.0, std=1.0, dt_noise=0.5, stop=0.0), "stop must be > start"),
])
def test_noise_bad_input(kwargs, match):
    net = ns.Network(dt=0.1)
    e = net.population("e", 4, ns.LIFCurr())
    with pytest.raises(SpecError, match=match):
        net.inject_noise(e, **kwargs)


@pytest.mark.filterwarnings("error::RuntimeWarning")   # no overflow warnings from the generator's uint64 maths
def test_noise_current_equals_the_recorded_i_ext():
    """``sim.currents.noise_current`` gives, step by step, the current the kernels injected: the
    recorded ``i_ext`` (the value of each step, sampled at its start) of neurons whose only current
    is that injection, for each target and trial; a second injection on the same population is
    told apart from the first."""
    from neurosim.sim.currents import noise_current
    net = ns.Network(dt=DT, seed=11, batch=2)
    e = net.population("e", 5, ns.LIFCurr(v_th=50.0))
    first = net.inject_noise(e, 0.0, 30.0, 0.1, indices=[0])
    second = net.inject_noise(e, 20.0, 50.0, 3 * DT, start=0.5, stop=7.3, indices=[2, 4])
    mon = net.monitor(e, "i_ext")
    with pytest.raises(SpecError, match="build or run the network first"):
        noise_current(net, second, np.arange(10))
    net.run(10.0)
    x = np.asarray(mon.i_ext)                                  # (steps, batch, n)
    steps = np.arange(x.shape[0])
    a, b = round(0.5 / DT), round(7.3 / DT)
    for trial in range(2):
        for target, cell in enumerate([2, 4]):
            got = noise_current(net, second, steps, target=target, trial=trial)
            np.testing.assert_array_equal(got, x[:, trial, cell])
            assert np.all(got[:a] == 0.0) and np.all(got[b:] == 0.0) and np.all(got[a:b] != 0.0)
        np.testing.assert_array_equal(noise_current(net, first, steps, trial=trial), x[:, trial, 0])
    assert not np.array_equal(x[:, 0, 2], x[:, 1, 2]) and not np.array_equal(x[:, 0, 2], x[:, 0, 4])
    other = ns.Network(dt=DT, seed=11, batch=2)
    foreign = other.inject_noise(other.population("e", 5, ns.LIFCurr(v_th=50.0)), 20.0, 50.0, 3 * DT)
    with pytest.raises(SpecError, match="not a noise injection of this network"):
        noise_current(net, foreign, steps)
    with pytest.raises(SpecError, match=r"target must be in \[0, 1\]"):
        noise_current(net, second, steps, target=2)


# ------------------------------------------------------------------------------------ spec round trip
def _all_sources(net):
    g = net.gamma_source("g", 10, 1.5, np.linspace(20.0, 200.0, 10), start=2.0, stop=80.0)
    d = net.poisson_refractory("d", 10, 100.0, 3.0)
    e = net.population("e", 8, ns.LIFCurr(tau_m=10.0, v_th=-66.0, t_ref=1.0))
    net.connect([g, d], e, ns.fixed_indegree(3), receptor=ns.ExpCurrent(2.0, name="ex"), weight=100.0)
    net.inject_ac(e, 100.0, 30.0, phase=20.0, offset=5.0, start=1.0, stop=90.0, indices=[0, 3, 5])
    net.inject_noise(e, 50.0, 100.0, 0.3, start=0.6, indices=[1, 2, 3])
    return g, d, e


def test_spec_round_trip():
    from neurosim.spec.network import NetworkSpec
    net = ns.Network(dt=DT, seed=65, batch=2)
    g, d, e = _all_sources(net)
    d1 = net.spec().to_dict()
    spec2 = NetworkSpec.from_dict(net.to_json())
    d2 = spec2.to_dict()
    for k in ("populations", "generated_currents"):
        assert str(d1[k]) == str(d2[k]), k
    mons = [net.monitor(p, "spikes") for p in (g, d, e)] + [net.monitor(e, "i_ext")]
    net2 = ns.Network.from_spec(net.to_json())
    assert net2.spec().to_dict()["generated_currents"].__repr__() == d1["generated_currents"].__repr__()
    mons2 = [net2.monitor(p, "spikes") for p in ("g", "d", "e")] + [net2.monitor("e", "i_ext")]
    net.run(100.0)
    net2.run(100.0)
    for a, b in zip(mons[:3], mons2[:3]):
        assert a.num_spikes > 10
        np.testing.assert_array_equal(a.t, b.t)
        np.testing.assert_array_equal(a.i, b.i)
        np.testing.assert_array_equal(a.trial, b.trial)
    np.testing.assert_array_equal(mons[3].i_ext, mons2[3].i_ext)
