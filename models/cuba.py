"""CUBA: the current-based random E/I network of Brette et al. (2007), J. Comput. Neurosci.
23:349, benchmark 2 (after Vogels & Abbott 2005, J. Neurosci. 25:10786), with the
parameters of Brian2's CUBA example.

4000 LIF neurons (80 % excitatory), Bernoulli(p = 0.02) connectivity (autapses allowed),
tau_m = 20 ms, v_rest = -49 mV, v_th = -50 mV, v_reset = -60 mV, refractory 5 ms (v held),
exponentially decaying synaptic currents (tau_e = 5 ms, tau_i = 10 ms), initial v uniform in
[v_reset, v_th].  Expected: ~5.7 Hz, mean CV of ISIs ~0.52.

Brian2 writes the synaptic input as voltages: ``taum dv/dt = (El - v) + ge + gi`` with a
spike adding we = +1.62 mV to ``ge`` (wi = -9 mV to ``gi``).  neurosim's LIFCurr takes
currents: ``c_m dv/dt = (c_m/tau_m)(v_rest - v) + I``, so ``I = ge * c_m / tau_m`` and a jump
of x mV in ``ge`` is an ExpCurrent weight of ``x * c_m / tau_m`` pA.  With the (arbitrary)
c_m = 200 pF: w_e = 16.2 pA and w_i = -90 pA.  Both are integrated exactly, so the two
formulations give the same trajectories.

Run: ``python models/cuba.py`` or ``neurosim run models/cuba.py --set n=16000 --set p=0.005``.
"""
import neurosim as ns

C_M = 200.0    # pF (any value works: the weights are converted with it)
TAU_M = 20.0   # ms

DEFAULTS = dict(n=4000, p=0.02, exc_fraction=0.8, we_mv=1.62, wi_mv=-9.0, dt=0.1)
DURATION = 1000.0  # ms


def mv_to_pa(x_mv: float, c_m: float = C_M, tau_m: float = TAU_M) -> float:
    """ExpCurrent weight (pA) equivalent to a jump of ``x_mv`` in Brian2's voltage-valued ge/gi."""
    return x_mv * c_m / tau_m


def build(seed: int = 1, n: int = 4000, p: float = 0.02, exc_fraction: float = 0.8, we_mv: float = 1.62,
          wi_mv: float = -9.0, dt: float = 0.1, record_v: int = 0) -> ns.Network:
    """The CUBA network.

    Parameters
    ----------
    n: number of neurons, excitatory and inhibitory together
    p: connection probability of each (pre, post) pair
    exc_fraction: fraction of the neurons that are excitatory
    we_mv: excitatory weight as Brian2's example gives it (mV; converted to pA)
    wi_mv: inhibitory weight as Brian2's example gives it (mV, negative; converted to pA)
    dt: time step (ms)
    record_v: record the membrane potential v (mV) of this many E cells (0: none)
    """
    net = ns.Network(dt=dt, seed=seed)
    cell = ns.LIFCurr(tau_m=TAU_M, c_m=C_M, v_rest=-49.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                      v_init=ns.Uniform(-60.0, -50.0))
    n_exc = int(round(n * exc_fraction))
    exc = net.population("exc", n_exc, cell)
    inh = net.population("inh", n - n_exc, cell)
    syn_e = ns.ExpCurrent(tau_decay=5.0, name="I_e")
    syn_i = ns.ExpCurrent(tau_decay=10.0, name="I_i")
    net.connect(exc, [exc, inh], ns.fixed_probability(p), receptor=syn_e, weight=mv_to_pa(we_mv))
    net.connect(inh, [exc, inh], ns.fixed_probability(p), receptor=syn_i, weight=mv_to_pa(wi_mv))
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
