"""Alpha synapses against NEST 3.10 running the same neuron: ``iaf_psc_alpha`` (exact integration
on the grid, like neurosim's LIFCurr: membrane traces equal to round-off, same spike steps) and
``iaf_cond_alpha`` (NEST integrates it adaptively with RKF45; neurosim by exponential Euler, so at
a fine step the spike times agree within a stated tolerance).

Conventions translated: NEST's multimeter value at ``t`` is the state after the step ending at
``t``, neurosim's monitor samples the start of the step, so NEST's sample ``k`` is neurosim's
sample ``k + 1``; NEST holds ``V_m`` for ``t_ref/dt`` steps after the spike step, neurosim (as
Brian2) for ``t_ref/dt - 1``, so NEST is given ``t_ref - dt``; NEST stamps a spike with the end of its step, neurosim with the start, so NEST's
spike times are neurosim's plus ``dt``."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

import neurosim as ns

if importlib.util.find_spec("nest") is None:  # pragma: no cover - depends on the environment
    pytest.skip("nest-simulator is not installed; the NEST comparisons need it", allow_module_level=True)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _train(seed, n, t_max):
    rng = np.random.default_rng(seed)
    return np.unique(np.round(rng.uniform(1.0, t_max, n), 1))


def _in_fresh_process(fn, *args):
    """``fn(*args)`` in a new Python process: NEST's ResetKernel segfaults in a process where an
    OpenMP runtime was started before (Brian2's or Numba's threading layer, by earlier tests)."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()


def _nest_run(model, params, dt, exc_times, inh_times, w_exc, w_inh, duration):
    """(V_m samples, spike times) of one NEST ``model`` cell; run through :func:`_in_fresh_process`."""
    import nest
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = dt
    cell = nest.Create(model, params=params)
    for times, w in ((exc_times, w_exc), (inh_times, w_inh)):
        gen = nest.Create("spike_generator", params={"spike_times": list(times)})
        nest.Connect(gen, cell, syn_spec={"weight": w, "delay": 1.0})
    mm = nest.Create("multimeter", params={"interval": dt, "record_from": ["V_m"]})
    rec = nest.Create("spike_recorder")
    nest.Connect(mm, cell)
    nest.Connect(cell, rec)
    nest.Simulate(duration)
    return np.asarray(mm.get("events")["V_m"]), np.asarray(rec.get("events")["times"])


def _neurosim_run(model, receptors, dt, exc_times, inh_times, w_exc, w_inh, duration):
    net = ns.Network(dt=dt, seed=1)
    cell = net.population("cell", 1, model)
    for times, rec, w in ((exc_times, receptors[0], w_exc), (inh_times, receptors[1], w_inh)):
        gen = net.spike_generator(f"g_{rec.name}", 1, times, [0] * len(times))
        net.connect(gen, cell, ns.all_to_all(), receptor=rec, weight=w, delay=1.0)
    mon = net.monitor(cell, "v")
    spk = net.monitor(cell, "spikes")
    net.run(duration, progress=False)
    return mon.v[:, 0], np.asarray(spk.t)


def test_iaf_psc_alpha_matches_nest_exactly():
    dt, duration = 0.1, 300.0
    exc, inh = _train(1, 90, 280.0), _train(2, 30, 280.0)
    w_exc, w_inh = 450.0, -300.0     # pA: several spikes, and inhibition in between
    params = {"tau_m": 10.0, "C_m": 250.0, "E_L": -65.0, "V_reset": -68.0, "V_th": -55.0, "V_m": -65.0,
              "t_ref": 2.0 - dt, "I_e": 120.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0}
    v_nest, spikes_nest = _in_fresh_process(_nest_run, "iaf_psc_alpha", params, dt, exc, inh, w_exc, w_inh, duration)
    model = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=-65.0, v_reset=-68.0, v_th=-55.0, t_ref=2.0, i_bias=120.0,
                       v_init=-65.0)
    v_ns, spikes_ns = _neurosim_run(model, (ns.Alpha("ex", 2.0), ns.Alpha("inh", 5.0)), dt, exc, inh, w_exc,
                                    w_inh, duration)
    assert spikes_nest.size >= 5
    np.testing.assert_allclose(spikes_ns + dt, spikes_nest, rtol=0, atol=1e-9)
    n = v_nest.size - 1
    np.testing.assert_allclose(v_ns[1:n + 1], v_nest[:n], rtol=0, atol=1e-9)


def test_iaf_cond_alpha_matches_nest_within_a_fine_step():
    dt, duration = 0.01, 500.0
    exc, inh = _train(3, 150, 480.0), _train(4, 60, 480.0)
    w_exc, w_inh = 6.0, -8.0      # nS (NEST: the sign picks the inhibitory port)
    params = {"C_m": 200.0, "g_L": 10.0, "E_L": -70.0, "V_reset": -60.0, "V_th": -50.0, "V_m": -70.0,
              "t_ref": 2.0 - dt, "I_e": 260.0, "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 0.5, "tau_syn_in": 3.0}
    v_nest, spikes_nest = _in_fresh_process(_nest_run, "iaf_cond_alpha", params, dt, exc, inh, w_exc, w_inh, duration)
    model = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-70.0, v_reset=-60.0, v_th=-50.0, t_ref=2.0, i_bias=260.0,
                       v_init=-70.0)
    v_ns, spikes_ns = _neurosim_run(model, (ns.Alpha("ex", 0.5, e_rev=0.0), ns.Alpha("inh", 3.0, e_rev=-80.0)),
                                    dt, exc, inh, w_exc, -w_inh, duration)
    assert spikes_nest.size >= 10
    print(f"iaf_cond_alpha: {spikes_nest.size} spikes; largest spike-time difference "
          f"{np.max(np.abs(spikes_ns + dt - spikes_nest)) if spikes_ns.size == spikes_nest.size else np.nan:.4f} ms, "
          f"largest v difference away from spikes {_v_gap(v_ns, v_nest, spikes_nest, dt):.4f} mV")
    assert spikes_ns.size == spikes_nest.size
    # exponential Euler with g frozen over 0.01 ms vs RKF45: spike times within 0.1 ms, traces close
    assert np.max(np.abs(spikes_ns + dt - spikes_nest)) < 0.1
    assert _v_gap(v_ns, v_nest, spikes_nest, dt) < 0.05


def _v_gap(v_ns, v_nest, spikes_nest, dt):
    """Largest |v| difference (mV) between the aligned traces, leaving out 0.05 ms around each
    spike (where a spike one step apart puts the reset in different samples)."""
    n = v_nest.size - 1
    t = (np.arange(n) + 1) * dt           # time of NEST's sample k
    near = np.zeros(n, bool)
    for ts in spikes_nest:
        near |= np.abs(t - ts) <= 0.05 + 1e-9
    return float(np.max(np.abs(v_ns[1:n + 1] - v_nest[:n])[~near]))
