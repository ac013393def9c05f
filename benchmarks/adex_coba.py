"""AdEx COBA: the COBA benchmark network (Brette et al. 2007, benchmark 1, after Vogels & Abbott
2005; models/coba.py) with adaptive exponential IF cells (Brette & Gerstner 2005) instead of LIF
cells, for benchmarks/compare_brian2.py (case ADEX_4000).

Cells: c_m 200 pF, g_leak 10 nS (tau_m 20 ms, as COBA), v_rest = v_reset = -60 mV, v_t -50 mV
(COBA's threshold), delta_t 2 mV, v_peak -40 mV (v_t + 5 delta_t, Brian2's ``Vcut`` convention for
AdEx), t_ref 5 ms, a 0 nS, b 20 pA, tau_w 100 ms (spike-triggered adaptation only), bias 200 pA.
Synapses as COBA: 80 % excitatory, Bernoulli(p), exponential conductances tau_e 5 ms / tau_i 10 ms,
E_e 0 / E_i -80 mV, w_e 6 nS, w_i 67 nS, delay one step; v_init uniform in [-60, -50] mV.

Both simulators integrate the same model: v and w by forward Euler (Brian2: ``method='euler'``,
the method it picks for these equations), the conductances decayed exactly once per step after
the state update (Brian2: plain variables and a ``run_regularly`` multiplication, as
tests/brian2_adex.py).  Each draws its own connectivity and initial values, so rates agree only
statistically.
"""
import math

import neurosim as ns

CELL = dict(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_reset=-60.0, v_t=-50.0, delta_t=2.0, v_peak=-40.0, t_ref=5.0,
            a=0.0, b=20.0, tau_w=100.0)
I_BIAS, W_E, W_I, TAU_E, TAU_I, E_E, E_I = 200.0, 6.0, 67.0, 5.0, 10.0, 0.0, -80.0


def build(seed: int = 1, n: int = 4000, p: float = 0.02, dt: float = 0.1) -> ns.Network:
    """The neurosim network (n neurons, 80 % excitatory, connection probability p, step dt ms)."""
    net = ns.Network(dt=dt, seed=seed)
    cell = ns.AdEx(**CELL, i_bias=I_BIAS, v_init=ns.Uniform(-60.0, -50.0))
    n_exc = int(round(0.8 * n))
    exc = net.population("exc", n_exc, cell)
    inh = net.population("inh", n - n_exc, cell)
    net.connect(exc, [exc, inh], ns.fixed_probability(p), receptor=ns.AMPA(tau_decay=TAU_E, e_rev=E_E), weight=W_E)
    net.connect(inh, [exc, inh], ns.fixed_probability(p), receptor=ns.GABA_A(tau_decay=TAU_I, e_rev=E_I),
                weight=W_I)
    net.monitor(exc, "spikes")
    net.monitor(inh, "spikes")
    return net


def brian2_network(n: int, p: float):
    """The same model in Brian2 (current scope's defaultclock); returns (network, [spike monitor])."""
    import brian2 as b2
    from brian2 import mV, ms, nS, pA, pF
    dt = float(b2.defaultclock.dt / ms)
    c = CELL
    ns_ = dict(c_m=c["c_m"] * pF, g_l=c["g_leak"] * nS, e_l=c["v_rest"] * mV, v_r=c["v_reset"] * mV,
               v_t=c["v_t"] * mV, d_t=c["delta_t"] * mV, v_peak=c["v_peak"] * mV, a=c["a"] * nS, b=c["b"] * pA,
               tau_w=c["tau_w"] * ms, i_b=I_BIAS * pA, e_e=E_E * mV, e_i=E_I * mV, we=W_E * nS, wi=W_I * nS,
               dec_e=math.exp(-dt / TAU_E), dec_i=math.exp(-dt / TAU_I))
    eqs = """
    dv/dt = (g_l*(e_l - v) + g_l*d_t*exp((v - v_t)/d_t) + ge*(e_e - v) + gi*(e_i - v) + i_b - w)/c_m : volt (unless refractory)
    dw/dt = (a*(v - e_l) - w)/tau_w : amp
    ge : siemens
    gi : siemens
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > v_peak", reset="v = v_r\nw += b", refractory=c["t_ref"] * ms,
                       method="euler", namespace=ns_)
    decay = P.run_regularly("ge = ge*dec_e\ngi = gi*dec_i", when="groups", order=1)
    P.v = "-60*mV + rand()*10*mV"
    n_e = int(round(0.8 * n))
    Ce = b2.Synapses(P[:n_e], P, on_pre="ge += we", namespace=ns_)
    Ci = b2.Synapses(P[n_e:], P, on_pre="gi += wi", namespace=ns_)
    Ce.connect(p=p)
    Ci.connect(p=p)
    M = b2.SpikeMonitor(P)
    return b2.Network(P, decay, Ce, Ci, M), [M]
