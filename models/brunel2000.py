"""Brunel (2000): sparsely connected networks of excitatory and inhibitory spiking neurons,
J. Comput. Neurosci. 8:183-208 ("model A": identical E and I cells).

N_E excitatory and N_I = gamma N_E inhibitory current-based LIF neurons (tau_m = 20 ms,
theta = 20 mV, V_r = 10 mV, rest 0 mV, t_ref = 2 ms).  Every neuron receives exactly
C_E = epsilon N_E excitatory and C_I = epsilon N_I inhibitory synapses (fixed in-degree,
epsilon = 0.1); an excitatory spike moves the membrane by J = 0.1 mV, an inhibitory one by
-g J, after a delay D = 1.5 ms.  External input: C_E independent Poisson sources per neuron
at nu_ext = eta * nu_thr, nu_thr = theta / (J C_E tau_m) being the rate that brings the mean
input to threshold.  The state of the network is set by g and eta (Brunel's Fig. 8):

=========  ====  =====  ==========================================================
``state``  g     eta    expected
=========  ====  =====  ==========================================================
SR         3     2      synchronous regular: high rates, low CV, strong oscillation
AI         5     2      asynchronous irregular: ~20-40 Hz, CV ~0.8-1, flat population rate
SI_fast    6     4      synchronous irregular, fast (~180 Hz) population oscillation
SI_slow    4.5   0.9    synchronous irregular, slow population oscillation, low rates
=========  ====  =====  ==========================================================

Select one with ``--set state=AI`` (or SR, SI_fast, SI_slow); ``--set g=...`` and
``--set eta=...`` override the set's values.

Approximations (documented, deliberate):

* **Delta synapses as fast exponential currents.**  Brunel's synapses are delta pulses in v.
  neurosim's current-based synapse is an exponential current (ExpCurrent), so each spike is a
  current ``I0 exp(-t/tau_s)`` with a short ``tau_s`` (default 0.1 ms = dt).  It carries the
  charge ``I0 tau_s``; for ``tau_s << tau_m`` this is a voltage jump of ``I0 tau_s / c_m``, so
  ``I0 = J c_m / tau_s`` pA gives a jump of J mV.  The PSP then has exactly the integral of the
  delta PSP (``J tau_m``); its peak is ``J (tau_s/tau_m)^(tau_s/(tau_m - tau_s))``, 2.6 % below J
  for tau_s = 0.1 ms, and reached ~0.5 ms after arrival instead of instantly.
* **External drive** is ``net.poisson_drive`` (a Binomial(C_E, nu_ext dt) count of events per
  neuron and step, as Brian2's PoissonInput), through the same fast synapse.
* **Network size.**  The paper uses N_E = 10000 (C_E = 1000).  The default here is N_E = 4000
  (C_E = 400) so that a run takes a few seconds; ``n_e`` scales it (``--set n_e=10000`` is
  the paper's size).  Since nu_thr is recomputed from C_E, the mean external input and its
  variance (J^2 C_E nu_ext tau_m = J theta eta) do not change with size; only the recurrent
  fluctuations are smaller in smaller networks, so state boundaries move slightly.
* Initial v is uniform in [V_r, theta] (the paper does not specify it).

Run: ``python models/brunel2000.py --set state=SR``.
"""
import neurosim as ns

STATES = {
    "SR": dict(g=3.0, eta=2.0),
    "AI": dict(g=5.0, eta=2.0),
    "SI_fast": dict(g=6.0, eta=4.0),
    "SI_slow": dict(g=4.5, eta=0.9),
}

C_M = 250.0  # pF; arbitrary for a current-based model (weights are converted with it)

DEFAULTS = dict(state="AI", g=None, eta=None, n_e=4000, gamma=0.25, epsilon=0.1, j=0.1, delay=1.5,
                tau_m=20.0, theta=20.0, v_reset=10.0, t_ref=2.0, tau_syn=0.1, dt=0.1)
DURATION = 500.0  # ms


def nu_thr(j: float, c_e: int, theta: float = 20.0, tau_m: float = 20.0) -> float:
    """External rate (Hz) per source that brings the mean free membrane potential to threshold."""
    return theta / (j * c_e * tau_m) * 1000.0


def delta_weight(j_mv: float, tau_syn: float, c_m: float = C_M) -> float:
    """ExpCurrent amplitude (pA) whose charge ``I0 tau_syn`` gives a ``j_mv`` voltage jump."""
    return j_mv * c_m / tau_syn


def build(seed: int = 1, state: str = "AI", g=None, eta=None, n_e: int = 4000, gamma: float = 0.25,
          epsilon: float = 0.1, j: float = 0.1, delay: float = 1.5, tau_m: float = 20.0, theta: float = 20.0,
          v_reset: float = 10.0, t_ref: float = 2.0, tau_syn: float = 0.1, dt: float = 0.1) -> ns.Network:
    """Brunel's model A.  ``state`` picks (g, eta) from :data:`STATES`; ``g`` (relative strength
    of inhibition) and ``eta`` (nu_ext / nu_thr) override it.  Sizes: ``n_e`` E cells,
    ``gamma n_e`` I cells, in-degrees ``epsilon`` times the population sizes.  Units: mV, ms."""
    if state not in STATES:
        raise ns.SpecError(f"brunel2000: unknown state {state!r}; allowed: {', '.join(STATES)}")
    g = STATES[state]["g"] if g is None else float(g)
    eta = STATES[state]["eta"] if eta is None else float(eta)
    n_e = int(n_e)
    n_i = int(round(gamma * n_e))
    c_e = max(1, int(round(epsilon * n_e)))
    c_i = max(1, int(round(epsilon * n_i)))

    net = ns.Network(dt=dt, seed=seed)
    cell = ns.LIFCurr(tau_m=tau_m, c_m=C_M, v_rest=0.0, v_th=theta, v_reset=v_reset, t_ref=t_ref,
                      v_init=ns.Uniform(v_reset, theta))
    exc = net.population("exc", n_e, cell)
    inh = net.population("inh", n_i, cell)
    syn = ns.ExpCurrent(tau_decay=tau_syn, name="I_syn")  # one fast synapse carries both signs
    w = delta_weight(j, tau_syn)
    net.connect(exc, [exc, inh], ns.fixed_indegree(c_e), receptor=syn, weight=w, delay=delay)
    net.connect(inh, [exc, inh], ns.fixed_indegree(c_i), receptor=syn, weight=-g * w, delay=delay)
    rate_ext = eta * nu_thr(j, c_e, theta, tau_m)
    for pop in (exc, inh):
        net.poisson_drive(pop, syn, c_e, rate_ext, w)
    net.monitor(exc, "spikes")
    net.monitor(inh, "spikes")
    net.monitor(exc, "rate")
    net.monitor(inh, "rate")
    return net


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
