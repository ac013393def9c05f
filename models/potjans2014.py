"""Potjans & Diesmann (2014): "The cell-type specific cortical microcircuit: relating structure and
activity in a full-scale spiking network model", Cereb. Cortex 24:785-806 -- with the parameters
of NEST's ``Potjans_2014`` PyNEST example (NEST 3.x ``network_params.py``; facts and numbers only).

Eight populations (L2/3, L4, L5, L6, each excitatory and inhibitory) of current-based LIF neurons
with exponential PSCs (NEST ``iaf_psc_exp``: C_m = 250 pF, tau_m = 10 ms, tau_syn = 0.5 ms,
E_L = V_reset = -65 mV, V_th = -50 mV, t_ref = 2 ms), 77,169 neurons and ~3.0e8 synapses at full
scale (``scale=1``).

* **Connectivity**: the connection probabilities ``CONN_PROBS`` (target row, source column) become
  total synapse numbers K = ln(1 - p) / ln(1 - 1/(N_pre N_post)) (full-scale N), drawn with
  ``fixed_total_number`` (multapses allowed, no autapses), as in NEST.
* **Weights**: a 0.15 mV PSP -> 87.81 pA PSC (the peak of the PSP of an exponential current in
  this membrane); inhibitory g = -4 times that; L4e -> L2/3e doubled; each weight drawn from a
  normal distribution with 10 % relative std, redrawn when it changes sign (NEST ``redraw``).
* **Delays**: normal, 1.5 ms (excitatory sources) and 0.75 ms (inhibitory), 50 % relative std,
  redrawn below the 0.1 ms resolution; rounded to the nearest step.
* **Background**: every neuron receives K_ext (``K_EXT``) independent Poisson inputs at 8 Hz with
  the 87.81 pA weight (``poisson=True``; ``net.poisson_drive``: a Binomial(K_ext, 8 Hz dt) count
  per step, NEST's Poisson(K_ext 8 Hz dt) up to a variance factor 0.9992), or the DC current of
  the same mean, 1e-3 tau_syn K_ext 8 Hz w pA (``poisson=False``).
* **Initial v**: per population normal (NEST's "optimized" ``V0_mean`` / ``V0_std``).
* **Scaling** (NEST's ``N_scaling`` / ``K_scaling``): ``scale`` multiplies the neuron numbers and
  ``k_scale`` (default ``scale``) the in-degrees (recurrent synapse totals are multiplied by both,
  K_ext by ``k_scale``); with ``k_scale != 1`` weights are divided by sqrt(k_scale) and a DC
  current 1e-3 tau_syn (1 - sqrt(k_scale)) sum_j w_ij K_ij/N_i r_j (plus the same for the Poisson
  input) restores the mean input, r_j being the full-scale rates below.

Reference rates (Hz, full scale, NEST's ``full_mean_rates``: "obtained by running this PyNEST
microcircuit with 12 MPI processes and both N_scaling and K_scaling set to 1"; the paper's Fig. 6
shows the same pattern):

======  =====  =====  =====  =====  =====  =====  =====  =====
pop     L23E   L23I   L4E    L4I    L5E    L5I    L6E    L6I
rate    0.943  3.026  4.368  5.882  7.733  8.664  1.096  7.851
======  =====  =====  =====  =====  =====  =====  =====  =====

The downscaled network fires below these (the compensation restores the mean input, not its
variance); NEST 3.10 and neurosim agree on the same downscaled network (``scale=0.1``, 1 s, rates
after 200 ms, 6 seeds each, mean +- s.e.m.; ``benchmarks/potjans2014_vs_nest.py --seeds 1 2 3 4 5 6``
on this machine, NEST 1 thread: build 3.7 s, simulate 24 s per seed; neurosim: 1.7 s and 4.1 s):

========  ==============  ==============  ======
pop       NEST 3.10       neurosim        diff
========  ==============  ==============  ======
L23E      0.385 +- 0.008  0.384 +- 0.009  -0.2 %
L23I      1.982 +- 0.018  1.981 +- 0.020  -0.0 %
L4E       3.925 +- 0.024  3.958 +- 0.018  +0.8 %
L4I       4.908 +- 0.016  4.927 +- 0.013  +0.4 %
L5E       6.555 +- 0.051  6.722 +- 0.085  +2.6 %
L5I       7.645 +- 0.021  7.687 +- 0.014  +0.5 %
L6E       0.859 +- 0.011  0.859 +- 0.027  +0.0 %
L6I       6.956 +- 0.009  6.976 +- 0.014  +0.3 %
========  ==============  ==============  ======

``NEST_RATES_SCALE01`` holds the NEST column (tests/test_potjans2014.py checks new seeds against it).

Differences from NEST: ``t_ref`` counts the spike step here, so NEST's 2 ms is ``t_ref = 2.1`` ms
(the script passes ``t_ref + dt``); the Poisson input arrives without the 1.5 ms delay (a constant
shift of a stationary input); NEST fires at V_m >= V_th, neurosim at v > v_th.

Run: ``python models/potjans2014.py --set scale=0.1`` (7,717 neurons, 3.0e6 synapses).
"""
import math

import numpy as np

import neurosim as ns

POPS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: connection probabilities, row: target population, column: source population (order of POPS)
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
#: full-scale rates (Hz) of NEST's example (its ``full_mean_rates``), used for the DC compensation
#: of a scaled in-degree and as the reference of tests/test_potjans2014.py
REFERENCE_RATES = np.array([0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851])
#: NEST 3.10's rates (Hz) of this network at scale 0.1 (mean of seeds 1-6, 1 s, after 200 ms; see above)
NEST_RATES_SCALE01 = np.array([0.3851, 1.9818, 3.9248, 4.9076, 6.5546, 7.6454, 0.8592, 6.9562])
#: their seed-to-seed standard deviation (Hz), pooled over the 6 NEST and 6 neurosim runs
RATE_SD_SCALE01 = np.array([0.0209, 0.0462, 0.0516, 0.0353, 0.1717, 0.0442, 0.0510, 0.0284])
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])   # mV
V0_STD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])                   # mV
C_M, TAU_M, TAU_SYN, E_L, V_TH, T_REF = 250.0, 10.0, 0.5, -65.0, -50.0, 2.0

DEFAULTS = dict(scale=0.1, k_scale=None, poisson=1, psp=0.15, g=-4.0, bg_rate=8.0, w_rel_std=0.1,
                d_exc=1.5, d_inh=0.75, d_rel_std=0.5, dt=0.1, record=1)
DURATION = 1000.0  # ms


def psc_from_psp(psp: float, c_m: float = C_M, tau_m: float = TAU_M, tau_syn: float = TAU_SYN) -> float:
    """Amplitude (pA) of an exponential PSC (``tau_syn`` ms) whose PSP peaks at ``psp`` mV in a
    membrane of ``c_m`` pF and ``tau_m`` ms: 0.15 mV -> 87.81 pA with the model's values."""
    t_peak = tau_m * tau_syn / (tau_m - tau_syn) * math.log(tau_m / tau_syn)
    per_pa = tau_m * tau_syn / (c_m * (tau_m - tau_syn)) * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
    return psp / per_pa


def synapse_numbers(n_pre=N_FULL, n_post=N_FULL) -> np.ndarray:
    """Total synapse numbers K[target, source] (floats) of the connection probabilities CONN_PROBS."""
    prod = np.outer(n_post, n_pre).astype(np.float64)
    return np.log1p(-CONN_PROBS) / np.log1p(-1.0 / prod)


def derived(scale: float = 0.1, k_scale=None, poisson: int = 1, psp: float = 0.15, g: float = -4.0,
            bg_rate: float = 8.0) -> dict:
    """Neuron numbers, synapse totals, external in-degrees, weight matrix (pA), external weight
    (pA) and DC currents (pA) of the scaled network (NEST's derivation, see the module docstring)."""
    k_scale = scale if k_scale is None else k_scale
    k_full = synapse_numbers()
    w = np.where(np.arange(8) % 2 == 0, 1.0, g)[None, :] * psc_from_psp(psp) * np.ones((8, 1))
    w[0, 2] *= 2.0                                           # L4e -> L2/3e doubled
    w_ext = psc_from_psp(psp)
    dc = np.zeros(8) if poisson else 1e-3 * TAU_SYN * bg_rate * K_EXT * w_ext
    if k_scale != 1.0:
        lost = 1e-3 * TAU_SYN * (1.0 - math.sqrt(k_scale))
        dc = dc + lost * np.sum(w * (k_full / N_FULL[:, None]) * REFERENCE_RATES[None, :], axis=1)
        if poisson:
            dc = dc + lost * w_ext * K_EXT * bg_rate
        w, w_ext = w / math.sqrt(k_scale), w_ext / math.sqrt(k_scale)
    return dict(n=np.round(N_FULL * scale).astype(int), k=np.round(k_full * scale * k_scale).astype(np.int64),
                k_ext=np.round(K_EXT * k_scale).astype(int), w=w, w_ext=w_ext, dc=dc)


def build(seed: int = 1, scale: float = 0.1, k_scale=None, poisson: int = 1, psp: float = 0.15, g: float = -4.0,
          bg_rate: float = 8.0, w_rel_std: float = 0.1, d_exc: float = 1.5, d_inh: float = 0.75,
          d_rel_std: float = 0.5, dt: float = 0.1, record: int = 1) -> ns.Network:
    """The microcircuit.

    Parameters
    ----------
    scale: factor on the neuron numbers (NEST's N_scaling; 1 = 77,169 neurons), in (0, 1]
    k_scale: factor on the in-degrees (NEST's K_scaling), in (0, 1]; default ``scale``
    poisson: 1: Poisson background input (8 Hz x K_ext per neuron), 0: the equivalent DC current
    psp: mean excitatory PSP amplitude (mV)
    g: relative inhibitory weight (dimensionless, negative)
    bg_rate: background rate per external input (Hz)
    w_rel_std: relative standard deviation of the weights (dimensionless)
    d_exc, d_inh: mean delays of excitatory / inhibitory sources (ms)
    d_rel_std: relative standard deviation of the delays (dimensionless)
    dt: time step (ms)
    record: 1: monitor the spikes of every population, 0: record nothing (benchmarks)
    """
    from neurosim.spec import validate as V
    scale = V.positive("potjans2014: scale", scale)
    k_scale = scale if k_scale is None else V.positive("potjans2014: k_scale", k_scale)
    if scale > 1.0 or k_scale > 1.0:
        raise ns.SpecError(f"potjans2014: scale and k_scale must be in (0, 1], got {scale} and {k_scale}")
    if g >= 0:
        raise ns.SpecError(f"potjans2014: g must be negative (inhibition), got {g}")
    p = derived(scale, k_scale, poisson, psp, g, bg_rate)
    net = ns.Network(dt=dt, seed=seed)
    syn = ns.ExpCurrent(tau_decay=TAU_SYN, name="I_syn")   # one receptor: excitatory and inhibitory tau are equal
    pops = []
    for i, name in enumerate(POPS):
        cell = ns.LIFCurr(tau_m=TAU_M, c_m=C_M, v_rest=E_L, v_th=V_TH, v_reset=E_L, t_ref=T_REF + dt,
                          i_bias=float(p["dc"][i]), v_init=ns.Normal(V0_MEAN[i], V0_STD[i]))
        pops.append(net.population(name, int(p["n"][i]), cell))
    for i, post in enumerate(pops):          # target
        for j, pre in enumerate(pops):       # source
            k = int(p["k"][i, j])
            if k <= 0:
                continue
            mu = float(p["w"][i, j])
            bound = dict(low=0.0) if mu > 0 else dict(high=0.0)
            d_mean = d_exc if j % 2 == 0 else d_inh
            net.connect(pre, post, ns.fixed_total_number(k, allow_autapses=False, allow_multapses=True),
                        receptor=syn, name=f"{POPS[j]}_to_{POPS[i]}",
                        weight=ns.Normal(mu, abs(mu) * w_rel_std, **bound),
                        delay=ns.Normal(d_mean, d_mean * d_rel_std, low=dt))
    if poisson:
        for i, pop in enumerate(pops):
            net.poisson_drive(pop, syn, int(p["k_ext"][i]), bg_rate, float(p["w_ext"]))
    if record:
        for pop in pops:
            net.monitor(pop, "spikes")
    return net


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
