"""Delta synapses and the Brunel (2000) network against NEST 3.10 (``iaf_psc_delta``).

NEST runs in a fresh process (``benchmarks/brunel_vs_nest.in_fresh_process``: NEST imported
before Numba's OpenMP pool has started crashes in a later ``ResetKernel``), so this module never
imports ``nest`` itself.

Exact checks (one cell, a relay cell behind it): ``spike_generator`` trains with positive and
negative weights, coincident arrivals that make the cell fire, arrivals during the refractory
period (discarded by both), at its last refractory step and at the first free one; a bias
current in one case.  Identical spike times and membrane traces to 1e-12 mV, given two documented
conventions:

* sample times: NEST's update from t - dt to t takes the spikes arriving at t and its voltmeter
  stamps the result t; neurosim's step k takes the arrivals at k dt and its monitor stamps the
  result with the start of the next step, (k + 1) dt.  Both stamp a spike with its step's
  arrival time (t = k dt), so spike times compare directly and NEST's V(t) is neurosim's
  sample at t + dt.  neurosim's step 0 (arrivals at 0, none) has no NEST counterpart, so NEST
  starts from neurosim's value after step 0 (the closed form below; = v_init without bias).
* refractoriness: NEST clamps the ``t_ref / dt`` updates after the spike; neurosim counts the
  spike step, so its ``t_ref`` is NEST's + dt (a test below shows the one-step difference).

A third test documents the one semantic difference left: NEST fires at V_m >= V_th, neurosim at
v > v_th.

Network check (slow): the reduced Brunel network (N_E = 1000, C_E = 250, J = 0.4 mV, as the model
script's quick test), AI and SR states, seeds 1-3 in both simulators: neurosim's mean over seeds
of the E rate and ISI CV within z = 3.9 standard errors of NEST's, the standard error
sqrt((s_ns^2 + s_nest^2) / 3) taken from the seed-to-seed sd measured on 12 other seeds
(101-112) of each simulator (numbers and command at CALIBRATION).  False-failure rate: 1e-4 per
comparison for normal seed-to-seed scatter with the true sd; with the sd estimated from 2 x 12
seeds (t distribution, ~20 degrees of freedom) about 1e-3 per comparison, < 4e-3 for the four.
The bounds are wide (AI: 8.2 Hz, i.e. 20 % of the rate, and 0.086 in CV; SR: 3.7 Hz and 0.015):
at this size one seed's rate scatters by 6 % (the network oscillates), so this test catches gross
errors (a recurrent delay one step longer moves the SR rate by 21 Hz); the 5 % comparison of the
means is benchmarks/brunel_vs_nest.py's, with more seeds (docs/benchmarks/brunel_vs_nest.md).
"""
import importlib.util
import math
import os

import numpy as np
import pytest

import neurosim as ns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if importlib.util.find_spec("nest") is None:
    pytest.skip("NEST (nest-simulator) is not installed", allow_module_level=True)


def _bench():
    """benchmarks/brunel_vs_nest.py, imported by name (the spawned NEST process imports it so)."""
    import sys
    folder = os.path.join(ROOT, "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import brunel_vs_nest
    return brunel_vs_nest


B = _bench()
DT = 0.1
T = 40.0

# (weight mV, delay ms, spike times ms) per generator
TRAINS_A = [
    (6.0, 1.5, [1.0, 3.0, 3.4, 5.1, 9.0, 9.6, 10.2, 10.3, 11.1, 14.0, 20.0, 20.1, 20.2, 20.3, 24.0]),
    (-2.5, 1.5, [2.0, 5.0, 9.8, 18.0, 20.4]),
    (14.0, 1.5, [3.0, 9.0, 11.0, 12.9, 13.0, 13.1, 15.0, 21.0]),
    (23.0, 1.5, [26.0, 27.0, 28.0, 28.2, 30.0]),
]
TRAINS_B = [
    (3.0, 0.1, [0.5, 0.6, 0.7, 2.0, 2.1, 2.2, 2.3, 2.6, 3.3, 3.4, 6.0, 6.4, 6.5, 6.9, 7.0]),
    (-4.0, 0.8, [1.0, 4.0, 5.5, 12.0]),
    (10.0, 2.0, [3.0, 8.0, 8.4, 9.9, 15.0, 15.1, 30.0]),
]
CASES = {
    # v_init = E_L, no bias: arrivals at 6.5 and 12.5 hit the last refractory step, 6.6 and 12.6
    # the first free one; 11.1-12.5 fall inside the refractory period after the spike at 10.5
    "rest_start": dict(cell=dict(v_rest=0.0, v_init=0.0, v_th=20.0, v_reset=10.0, t_ref=2.0, tau_m=20.0,
                                 c_m=250.0, i_bias=0.0), trains=TRAINS_A, relay=(3.0, 1.2)),
    # bias 200 pA (v_inf = 16 mV under threshold), other tau_m, t_ref, reset; one-step delays
    "bias": dict(cell=dict(v_rest=-5.0, v_init=2.0, v_th=15.0, v_reset=0.0, t_ref=1.0, tau_m=10.0, c_m=250.0,
                           i_bias=200.0), trains=TRAINS_B, relay=(-4.0, 0.7)),
}


def _nest_cell(c, t_ref):
    """NEST parameters of ``c``, starting from neurosim's v after its step 0 (module docstring)."""
    pm = math.exp(-DT / c["tau_m"])
    r = c["tau_m"] / c["c_m"] * (1.0 - pm)            # mV per pA over one step
    v1 = c["v_rest"] + (c["v_init"] - c["v_rest"]) * pm + c["i_bias"] * r
    return dict(E_L=c["v_rest"], V_m=v1, V_th=c["v_th"], V_reset=c["v_reset"], t_ref=t_ref, tau_m=c["tau_m"],
                C_m=c["c_m"], I_e=c["i_bias"])


def _neurosim(c, trains, relay, t_ref):
    net = ns.Network(dt=DT, seed=1)
    cell = ns.LIFCurr(tau_m=c["tau_m"], c_m=c["c_m"], v_rest=c["v_rest"], v_th=c["v_th"], v_reset=c["v_reset"],
                      t_ref=t_ref, v_init=c["v_init"], i_bias=c["i_bias"])
    post = net.population("post", 2, cell)
    rec = ns.Delta()
    for k, (w, d, ts) in enumerate(trains):
        sg = net.spike_generator(f"sg{k}", 1, ts, np.zeros(len(ts), np.int64))
        net.connect(sg, post, ns.from_arrays([0], [0]), receptor=rec, weight=w, delay=d)
    net.connect(post, post, ns.from_arrays([0], [1]), receptor=rec, weight=relay[0], delay=relay[1])
    net.monitor(post, "spikes")
    mon = net.monitor(post, "v")
    r = net.run(T, progress=False)
    st = r.spikes["post"]
    return np.asarray(st.node_ids), np.asarray(st.times), np.asarray(mon.t), np.asarray(mon.v)


# one arrival of exactly theta - v: v lands on the threshold itself
ON_THRESHOLD = dict(cell=CASES["rest_start"]["cell"], trains=[(20.0, 1.0, [1.0])], relay=(0.0, 1.0))


@pytest.fixture(scope="module")
def nest_single():
    """NEST's runs of every case (t_ref as given, the cell of _nest_cell), in one fresh process."""
    cases = dict(CASES, on_threshold=ON_THRESHOLD)
    calls = [("nest_single_neuron", (_nest_cell(c["cell"], c["cell"]["t_ref"]), c["trains"], T + 2.0, DT, c["relay"]))
             for c in cases.values()]
    return dict(zip(cases, B.in_fresh_process(B.nest_calls, calls)))


def _steps(t):
    return np.rint(np.asarray(t) / DT).astype(np.int64)


def _aligned(nest_out, ns_out):
    """(NEST V, neurosim v) on common steps: NEST's V(t) against neurosim's sample at t + dt."""
    _, _, t_nest, v_nest = nest_out
    _, _, t_ns, v_ns = ns_out
    k_nest, k_ns = _steps(t_nest) + 1, _steps(t_ns)
    common, i_nest, i_ns = np.intersect1d(k_nest, k_ns, return_indices=True)
    assert common.size >= T / DT - 2
    return v_nest[i_nest], v_ns[i_ns]


def _arrivals(trains):
    return np.sort(np.concatenate([np.asarray(ts) + d for _, d, ts in trains]))


@pytest.mark.parametrize("case", list(CASES))
def test_delta_synapses_match_nest_exactly(case, nest_single):
    c = CASES[case]
    nest_out = nest_single[case]
    ns_out = _neurosim(c["cell"], c["trains"], c["relay"], c["cell"]["t_ref"] + DT)
    ids_nest, t_nest = nest_out[0], nest_out[1]
    ids_ns, t_ns = ns_out[0], ns_out[1]
    for cell in (0, 1):
        np.testing.assert_array_equal(_steps(t_ns[ids_ns == cell]), _steps(t_nest[ids_nest == cell]))
    np.testing.assert_allclose(np.sort(t_ns[ids_ns == 0]), np.sort(t_nest[ids_nest == 0]), rtol=0, atol=1e-9)
    v_nest, v_ns = _aligned(nest_out, ns_out)
    assert np.max(np.abs(v_ns - v_nest)) <= 1e-12
    # the case exercises what it should: the cell fires (arrivals push it over threshold) and
    # inputs arrive inside the refractory period, at its last step and at the first free step
    spikes = _steps(np.sort(t_nest[ids_nest == 0]))
    arr = np.unique(_steps(_arrivals(c["trains"])))
    ref = int(round(c["cell"]["t_ref"] / DT))
    assert spikes.size >= 4
    after = arr[:, None] - spikes[None, :]
    assert np.any((after >= 1) & (after < ref)) and np.any(after == ref) and np.any(after == ref + 1)
    assert set(_steps(t_nest[ids_nest == 0])) <= set(arr)    # each spike is caused by an arrival
    if case == "rest_start":
        assert not np.any(ids_nest == 1)                      # the relay cell integrates, subthreshold
        assert np.ptp(v_nest[:, 1]) > 5.0


def test_same_t_ref_number_is_one_step_shorter_in_neurosim(nest_single):
    """With the same ``t_ref`` number neurosim frees the cell one step earlier: the traces agree
    up to the end of the first refractory period and differ from the step NEST still clamps."""
    c = CASES["rest_start"]
    nest_out = nest_single["rest_start"]
    ns_out = _neurosim(c["cell"], c["trains"], c["relay"], c["cell"]["t_ref"])
    v_nest, v_ns = _aligned(nest_out, ns_out)
    first_spike = _steps(np.min(nest_out[1]))
    k_nest = _steps(nest_out[2]) + 1
    k_ns = _steps(ns_out[2])
    common = np.intersect1d(k_nest, k_ns)
    bad = common[np.abs(v_ns[:, 0] - v_nest[:, 0]) > 1e-12]
    # NEST's V(first spike + t_ref) is neurosim's sample one step later (module docstring)
    assert bad[0] == first_spike + int(round(c["cell"]["t_ref"] / DT)) + 1


def test_threshold_equality_fires_in_nest_only(nest_single):
    """NEST's iaf_psc_delta fires at V_m >= V_th, neurosim at v > v_th: an arrival that puts v
    exactly on the threshold (0 + 20 mV) fires in NEST only.  Documents the one remaining semantic
    difference (measure zero in networks, where v is never exactly 20 mV but by chance)."""
    c = ON_THRESHOLD
    nest_out = nest_single["on_threshold"]
    ns_out = _neurosim(c["cell"], c["trains"], c["relay"], c["cell"]["t_ref"] + DT)
    np.testing.assert_array_equal(_steps(nest_out[1]), [20])
    assert ns_out[1].size == 0
    v_nest, v_ns = _aligned(nest_out, ns_out)
    k = int(np.argmax(v_ns[:, 0]))
    assert v_ns[k, 0] == 20.0 and v_nest[k, 0] == 10.0      # neurosim holds 20 mV where NEST has reset


# CALIBRATION: seed-to-seed sd of the E rate (Hz) and mean ISI CV over seeds 101-112 (12 each),
# reduced network, statistics after 100 ms; measured with
#   python benchmarks/brunel_vs_nest.py --order 250 --c-e 250 --j 0.4 --t-sim 500 --states AI --seeds 101,...,112
#   (and --t-sim 300 --states SR)
# as {state: (t_sim ms, {quantity: (sd neurosim, sd NEST)})}
# (means over those seeds: AI 41.78 / 41.69 Hz, CV 0.903 / 0.900; SR 332.0 / 332.7 Hz, CV 0.014 / 0.011)
CALIBRATION = {
    "AI": (500.0, {"rate": (2.65, 2.52), "cv": (0.0325, 0.0204)}),
    "SR": (300.0, {"rate": (0.89, 1.40), "cv": (0.0050, 0.0043)}),
}
SEEDS = (1, 2, 3)
Z = 3.9   # two-sided normal tail 1e-4


@pytest.mark.slow
def test_brunel_reduced_network_matches_nest():
    runs = {}
    calls = []
    for state, (t_sim, _) in CALIBRATION.items():
        p = B.network_params(state, order=250, c_e=250, j=0.4)
        for seed in SEEDS:
            ids, times = B.neurosim_spikes(p, seed, t_sim)
            runs.setdefault((state, "neurosim"), []).append(B.rate_cv(ids, times, p["n_e"], 100.0, t_sim)[:2])
            calls.append(("nest_spikes", (p, seed, t_sim)))
    nest_out = iter(B.in_fresh_process(B.nest_calls, calls))
    for state, (t_sim, _) in CALIBRATION.items():
        for seed in SEEDS:
            ids, times = next(nest_out)
            runs.setdefault((state, "nest"), []).append(B.rate_cv(ids, times, 1000, 100.0, t_sim)[:2])
    report = []
    for state, (_, sds) in CALIBRATION.items():
        a, b = np.array(runs[(state, "neurosim")]), np.array(runs[(state, "nest")])
        for q, (sd_ns, sd_nest) in sds.items():
            col = 0 if q == "rate" else 1
            bound = Z * math.sqrt((sd_ns ** 2 + sd_nest ** 2) / len(SEEDS))
            diff = a[:, col].mean() - b[:, col].mean()
            report.append((state, q, a[:, col].mean(), b[:, col].mean(), bound))
            assert abs(diff) <= bound, report
    # the two states are what they should be in both simulators
    assert runs[("SR", "nest")][0][0] > 300.0 and runs[("AI", "nest")][0][1] > 0.5
