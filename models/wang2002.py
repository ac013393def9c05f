"""Decision making by slow reverberation: Wang (2002), "Probabilistic decision making by slow
reverberation in cortical circuits", Neuron 36:955-968.

A cortical module of N_E = 1600 pyramidal cells and N_I = 400 interneurons (conductance-based
LIF).  Two selective pools of f N_E cells (f = 0.15; populations "e1", "e2") each prefer one of
the two motion directions; the other (1 - 2f) N_E cells are non-selective ("ens").  All-to-all
recurrent connectivity through AMPA (tau 2 ms), NMDA (rise 2 ms, decay 100 ms, Mg2+ block,
[Mg2+] = 1 mM) and GABA_A (tau 5 ms, E = -70 mV) receptors, 0.5 ms delays.  Within a
selective pool the excitatory weights are multiplied by w+ = 1.7; from the other selective
pool and from the non-selective cells onto a selective pool by w- = 1 - f (w+ - 1) / (1 - f);
all others by 1.  Every cell receives background input from 800 external Poisson sources at
3 Hz (2.4 kHz) through AMPA synapses (``net.poisson_drive``).  The stimulus is one extra
Poisson train per selective cell, through the same external AMPA synapse, at
mu_1,2 = mu0 (1 +/- c/100), mu0 = 40 Hz, c the motion coherence (%), on from ``stim_on`` to
``stim_off`` (200-1200 ms by default; ``ns.steps`` schedules).  Wang's stimulus also
fluctuates every 50 ms (sigma 4 Hz); this model keeps it constant.

Cells (paper): E: c_m 0.5 nF, g_L 25 nS, t_ref 2 ms; I: c_m 0.2 nF, g_L 20 nS, t_ref 1 ms; both
E_L = -70 mV, V_th = -50 mV, V_reset = -55 mV.  Conductances (paper, N = 2000): onto E cells
g_AMPA,ext 2.1, g_AMPA,rec 0.05, g_NMDA 0.165, g_GABA 1.3 nS; onto I cells 1.62, 0.04, 0.13,
1.0 nS.  Recurrent weights are scaled by 1600/N_E (excitatory) and 400/N_I (inhibitory) when
``n`` changes, so that the total recurrent conductance stays the paper's.

NMDA saturation
---------------
Wang's NMDA gating is kept per presynaptic cell: ``dx/dt = -x/2 ms + sum_k delta(t - t_k)``,
``ds/dt = -s/100 ms + alpha x (1 - s)`` (alpha = 0.5/ms), ``g_post = g_NMDA sum_j w_j s_j``; this is
neurosim's ``NMDA(saturating=True)`` (default ``nmda_mode="saturating"``).  A spike moves ``s`` by
about ``a (1 - s)`` with ``a = 1 - exp(-alpha tau_rise) = 0.63``, so ``s`` grows linearly with the
presynaptic rate below ~10 Hz and saturates near 1 above ~30 Hz: the saturation is what holds
the winning pool at 30-40 Hz.

``nmda_mode="linear"`` drives neurosim's linear NMDA receptor (difference of exponentials, rise
2 ms, decay 100 ms, peak = weight) from the E cells instead, weight = ``nmda_scale`` x g_NMDA per
spike.  Without saturation the recurrent NMDA drive grows linearly with the presynaptic rate
(40 Hz x 108 ms = 4.3 weight units per synapse where Wang's ``s`` stays at ~0.72), and no value
of g_NMDA gives a 30-40 Hz attractor.  Measured at N = 2000, seed 1, c = 51.2 %: with the paper's
g_NMDA the spontaneous state is right (E 2.3-3.6 Hz, I 8 Hz) but the stimulated pool runs away
to ~420 Hz (I ~290 Hz); scaling g_NMDA by 0.35 gives no decision (e1 3 Hz), by 0.38 the pool
ramps through ~57 Hz during the stimulus and then runs away to ~210 Hz, by 0.45 it reaches
~260 Hz.

Measured with the default (saturating) model, N = 2000, rates in the last 300 ms of the stimulus
(900-1200 ms) and after it (1200-1500 ms): c = 51.2 %: seed 1 e1 29.9 Hz, e2 1.8 Hz, non-selective
4.4 Hz, I 14 Hz, then e1 20.7 Hz without stimulus (working memory); seed 2 e1 30.7, e2 1.6, then
e1 23.4 Hz; c = -51.2 % (seed 1): e2 35.1 Hz, e1 1.2 Hz; c = 25.6 %: e1 23.2 Hz, e2 3.1 Hz;
c = 6.4 %: e1 8.3, e2 5.8 Hz (undecided after 1 s); c = 0: seed 2 e1 wins by chance (19.6 vs
4.0 Hz), seeds 1 and 3 undecided (e1/e2 5.5/8.0 and 11.0/8.8 Hz); no stimulus (mu0 = 0), 3 s,
seeds 1-2: E 2.2-4.4 Hz, I 9-10 Hz in the last 300 ms, stable.  The paper: spontaneous E ~2 Hz,
I ~9 Hz, winner 30-40 Hz, persistent activity after the stimulus.  1.5 s of the network run in
2.2-2.8 s on 2 cores.

Run: ``python models/wang2002.py --set coherence=25.6`` (prints whole-run rates of e1, e2,
ens, inh); ``decision_rates(result)`` gives the rates in the last 300 ms of the stimulus.
"""
import numpy as np

import neurosim as ns

DEFAULTS = dict(n=2000, exc_fraction=0.8, f=0.15, w_plus=1.7, coherence=51.2, mu0=40.0, stim_on=200.0,
                stim_off=1200.0, nmda_mode="saturating", nmda_scale=1.0, ext_sources=800, ext_rate=3.0, delay=0.5,
                dt=0.1)
DURATION = 1500.0  # ms

# Paper's peak conductances (nS) for N_E = 1600, N_I = 400, onto E ("e") and I ("i") cells
G_EXT = dict(e=2.1, i=1.62)
G_AMPA = dict(e=0.05, i=0.04)
G_NMDA = dict(e=0.165, i=0.13)
G_GABA = dict(e=1.3, i=1.0)
WANG_ALPHA = 0.5  # 1/ms, NMDA saturation rate of Wang (2002)


def build(seed: int = 1, n: int = 2000, exc_fraction: float = 0.8, f: float = 0.15, w_plus: float = 1.7,
          coherence: float = 51.2, mu0: float = 40.0, stim_on: float = 200.0, stim_off: float = 1200.0,
          nmda_mode: str = "saturating", nmda_scale: float = 1.0, ext_sources: int = 800, ext_rate: float = 3.0,
          delay: float = 0.5, dt: float = 0.1) -> ns.Network:
    """Wang's (2002) decision network.

    Parameters
    ----------
    n: number of cells, excitatory and inhibitory together
    exc_fraction: fraction of the cells that are excitatory (N_E)
    f: size of each selective pool as a fraction of N_E
    w_plus: potentiation of the synapses within a selective pool (dimensionless)
    coherence: motion coherence (%): the pools' stimulus rates are mu0 (1 +/- coherence/100)
    mu0: stimulus rate at zero coherence (Hz)
    stim_on: stimulus onset (ms)
    stim_off: stimulus offset (ms)
    nmda_mode: "saturating" (Wang's kinetics) or "linear"
    nmda_scale: factor on the paper's NMDA conductances (dimensionless)
    ext_sources: background Poisson sources per cell
    ext_rate: rate of each background source (Hz)
    delay: synaptic delay (ms)
    dt: time step (ms)
    """
    n_e = int(round(n * exc_fraction))
    n_i = int(n) - n_e
    n_sel = int(round(f * n_e))
    n_ns = n_e - 2 * n_sel
    if n_sel < 1 or n_ns < 1 or n_i < 1:
        raise ns.SpecError(f"wang2002: n = {n} is too small for pools of f = {f}")
    w_minus = 1.0 - f * (w_plus - 1.0) / (1.0 - f)
    se, si = 1600.0 / n_e, 400.0 / n_i   # keep the paper's total recurrent conductance

    net = ns.Network(dt=dt, seed=seed)
    common = dict(v_rest=-70.0, v_th=-50.0, v_reset=-55.0, v_init=ns.Uniform(-60.0, -50.0))
    cell_e = ns.LIFCond(c_m=500.0, g_leak=25.0, t_ref=2.0, **common)
    cell_i = ns.LIFCond(c_m=200.0, g_leak=20.0, t_ref=1.0, **common)
    e1 = net.population("e1", n_sel, cell_e)
    e2 = net.population("e2", n_sel, cell_e)
    ens = net.population("ens", n_ns, cell_e)
    inh = net.population("inh", n_i, cell_i)
    exc = [e1, e2, ens]

    ampa = ns.AMPA(tau_decay=2.0, e_rev=0.0)
    if nmda_mode not in ("saturating", "linear"):
        raise ns.SpecError(f"wang2002: nmda_mode must be 'saturating' or 'linear', got {nmda_mode!r}")
    nmda = ns.NMDA(tau_decay=100.0, tau_rise=2.0, e_rev=0.0, mg=1.0, saturating=nmda_mode == "saturating",
                   alpha=WANG_ALPHA)
    gaba = ns.GABA_A(tau_decay=5.0, e_rev=-70.0)
    a2a = ns.all_to_all()

    def factor(pre, post):
        if post is ens:
            return 1.0
        return w_plus if pre is post else w_minus   # onto a selective pool: own w+, others w-

    g_nmda_e = nmda_scale * G_NMDA["e"] * se
    g_nmda_i = nmda_scale * G_NMDA["i"] * se

    for pre in exc:
        for post in exc:
            k = factor(pre, post)
            net.connect(pre, post, a2a, receptor=ampa, weight=k * G_AMPA["e"] * se, delay=delay,
                        name=f"{pre.name}_{post.name}_AMPA")
            net.connect(pre, post, a2a, receptor=nmda, weight=k * g_nmda_e, delay=delay,
                        name=f"{pre.name}_{post.name}_NMDA")
        net.connect(pre, inh, a2a, receptor=ampa, weight=G_AMPA["i"] * se, delay=delay,
                    name=f"{pre.name}_inh_AMPA")
        net.connect(pre, inh, a2a, receptor=nmda, weight=g_nmda_i, delay=delay,
                    name=f"{pre.name}_inh_NMDA")
    for post in exc:
        net.connect(inh, post, a2a, receptor=gaba, weight=G_GABA["e"] * si, delay=delay,
                    name=f"inh_{post.name}_GABA")
    net.connect(inh, inh, a2a, receptor=gaba, weight=G_GABA["i"] * si, delay=delay, name="inh_inh_GABA")

    # background: ext_sources x ext_rate Hz onto every cell.  The external and the recurrent AMPA
    # synapses are the same receptor (2 ms decay), so one state variable carries both.
    for pop in exc:
        net.poisson_drive(pop, ampa, int(ext_sources), ext_rate, G_EXT["e"])
    net.poisson_drive(inh, ampa, int(ext_sources), ext_rate, G_EXT["i"])

    # stimulus: one extra Poisson train per selective cell, on from stim_on to stim_off
    c = float(coherence) / 100.0
    for pop, sign in ((e1, +1.0), (e2, -1.0)):
        mu = max(0.0, mu0 * (1.0 + sign * c))
        net.poisson_drive(pop, ampa, 1, ns.steps([stim_on, stim_off], [mu, 0.0]), G_EXT["e"])

    for pop in exc + [inh]:
        net.monitor(pop, "spikes")
        net.monitor(pop, "rate")
    return net


def window_rate(result, population: str, t0: float, t1: float) -> float:
    """Mean rate (Hz) of a population between t0 and t1 (ms)."""
    st = result.spikes[population]
    k = np.count_nonzero((st.times >= t0) & (st.times < t1))
    return float(k / (st.recorded.size * st.n_trials * (t1 - t0) * 1e-3))


def decision_rates(result, t0=None, t1=None) -> dict:
    """Rates (Hz) of e1, e2, ens and inh in [t0, t1) ms; by default the last 300 ms of the
    default stimulus (900-1200 ms)."""
    t1 = DEFAULTS["stim_off"] if t1 is None else t1
    t0 = t1 - 300.0 if t0 is None else t0
    return {p: window_rate(result, p, t0, t1) for p in ("e1", "e2", "ens", "inh")}


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
