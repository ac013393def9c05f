"""COBA: the conductance-based random E/I network of Brette et al. (2007), benchmark 1,
after Vogels & Abbott (2005), J. Neurosci. 25:10786, with Brian2's COBA example parameters.

4000 LIF neurons (80 % excitatory), Bernoulli(p = 0.02) connectivity (autapses allowed),
exponential conductances (tau_e = 5 ms, tau_i = 10 ms, E_e = 0 mV, E_i = -80 mV),
w_e = 6 nS, w_i = 67 nS, bias current 200 pA, refractory 5 ms.  Expected: ~21.5 Hz, CV ~1.55.

Run: ``python models/coba.py`` or ``neurosim run models/coba.py --set n=16000 --set p=0.005``.
"""
import neurosim as ns

DEFAULTS = dict(n=4000, p=0.02, k_in=0, exc_fraction=0.8, w_e=6.0, w_i=67.0, i_bias=200.0, dt=0.1, record_v=0)
DURATION = 1000.0  # ms


def build(seed: int = 1, n: int = 4000, p: float = 0.02, k_in: int = 0, exc_fraction: float = 0.8,
          w_e: float = 6.0, w_i: float = 67.0, i_bias: float = 200.0, dt: float = 0.1,
          record_v: int = 0) -> ns.Network:
    """The COBA network.

    Parameters
    ----------
    n: number of neurons, excitatory and inhibitory together
    p: connection probability of each (pre, post) pair (used when k_in = 0)
    k_in: if > 0, a fixed in-degree of k_in synapses per neuron instead of p, split
        exc_fraction / (1 - exc_fraction) between E and I sources
    exc_fraction: fraction of the neurons that are excitatory
    w_e: excitatory (AMPA) weight (nS)
    w_i: inhibitory (GABA_A) weight (nS)
    i_bias: bias current into every neuron (pA)
    dt: time step (ms)
    record_v: record the membrane potential v (mV) of this many E cells (0: none)
    """
    net = ns.Network(dt=dt, seed=seed)
    cell = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                      i_bias=i_bias, v_init=ns.Uniform(-60.0, -50.0))
    n_exc = int(round(n * exc_fraction))
    exc = net.population("exc", n_exc, cell)
    inh = net.population("inh", n - n_exc, cell)
    ampa = ns.AMPA(tau_decay=5.0, e_rev=0.0)
    gaba = ns.GABA_A(tau_decay=10.0, e_rev=-80.0)
    if k_in > 0:
        k_e = int(round(k_in * exc_fraction))
        net.connect(exc, [exc, inh], ns.fixed_indegree(k_e), receptor=ampa, weight=w_e)
        net.connect(inh, [exc, inh], ns.fixed_indegree(k_in - k_e), receptor=gaba, weight=w_i)
    else:
        net.connect(exc, [exc, inh], ns.fixed_probability(p), receptor=ampa, weight=w_e)
        net.connect(inh, [exc, inh], ns.fixed_probability(p), receptor=gaba, weight=w_i)
    net.monitor(exc, "spikes")
    net.monitor(inh, "spikes")
    net.monitor(exc, "rate")
    net.monitor(inh, "rate")
    if record_v:
        net.monitor(exc, "v", indices=range(int(record_v)))
    return net


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
