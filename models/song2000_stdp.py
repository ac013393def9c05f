"""Song, Miller & Abbott (2000), Competitive Hebbian learning through spike-timing-dependent
synaptic plasticity, Nat. Neurosci. 3:919-926 -- with the parameters of Brian2's STDP example
("adapted from Song, Miller and Abbott 2000 and Song and Abbott 2001").

1000 excitatory Poisson inputs (15 Hz) drive one conductance-based LIF neuron
(tau_m = 10 ms, E_L = -74 mV, threshold -54 mV, reset -60 mV, no refractory period) through
exponential synapses (tau_e = 5 ms, E_e = 0 mV).  Every synapse follows additive pair STDP with
all-to-all pairing: tau_+ = tau_- = 20 ms, A+ = 0.01 w_max, A-/A+ = 1.05 (slightly more depression
than potentiation), hard bounds [0, w_max] with w_max = 0.01 g_leak = 0.1 nS; initial weights are
uniform in [0, w_max].  Expected: the weight distribution becomes bimodal (most weights near 0,
a group near w_max) and the output rate settles at a value that hardly depends on the input
rate (Song et al. 2000, Fig. 2).  ``python models/song2000_stdp.py`` prints the final weight
histogram (fractions per tenth of w_max) and the output rate in the first and last tenth of the run.

Units: ms, mV, nS, pF, Hz.
"""
import neurosim as ns

DEFAULTS = dict(n_inputs=1000, rate=15.0, w_max=0.1, a_plus=0.01, ratio=1.05, tau=20.0, dt=0.1, every=1000.0)
DURATION = 100_000.0  # ms, as Brian2's example


def build(seed: int = 1, n_inputs: int = 1000, rate: float = 15.0, w_max: float = 0.1, a_plus: float = 0.01,
          ratio: float = 1.05, tau: float = 20.0, dt: float = 0.1, every: float = 1000.0) -> ns.Network:
    """n_inputs Poisson sources onto one LIF neuron through plastic (STDP) synapses.

    Parameters
    ----------
    n_inputs: number of Poisson input sources
    rate: rate of each input (Hz)
    w_max: upper weight bound; initial weights are uniform in [0, w_max] (nS)
    a_plus: potentiation amplitude A+ (fraction of w_max)
    ratio: A-/A+, depression relative to potentiation (dimensionless)
    tau: STDP time constants tau+ = tau- (ms)
    dt: time step (ms)
    every: weight snapshot period (ms; 0: none)
    """
    net = ns.Network(dt=dt, seed=seed)
    inputs = net.poisson("inputs", int(n_inputs), rate)
    cell = ns.LIFCond(c_m=100.0, g_leak=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0, t_ref=0.0)
    post = net.population("post", 1, cell)
    rule = ns.STDP(tau_plus=tau, tau_minus=tau, a_plus=a_plus, a_minus=a_plus * ratio, w_max=w_max,
                   rule="additive", pairing="all_to_all")
    syn = net.connect(inputs, post, ns.all_to_all(), receptor=ns.AMPA(tau_decay=5.0, e_rev=0.0),
                      weight=ns.Uniform(0.0, w_max), plasticity=rule, name="stdp")
    net.monitor(post, "spikes")
    net.monitor(post, "rate")
    net.monitor(syn, "weights", every=every if every else None)
    return net


def figure(result):
    """The model's figure (``neurosim run`` writes it as results/song2000_stdp.png): the
    histogram of the plastic weights (nS) at t = 0 and at the end of the run; it becomes bimodal."""
    from neurosim import plots
    return plots.plot_weight_hist(result, "stdp")


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
