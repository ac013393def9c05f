"""Brunel (2000): "Dynamics of sparsely connected networks of excitatory and inhibitory spiking
neurons", J. Comput. Neurosci. 8:183-208 ("model A": identical E and I cells).

N_E excitatory and N_I = gamma N_E inhibitory current-based LIF neurons (tau_m = 20 ms,
theta = 20 mV, V_r = 10 mV, rest 0 mV, t_ref = 2 ms).  Every neuron receives exactly C_E
excitatory and C_I = gamma C_E inhibitory synapses (``fixed_indegree``); an excitatory spike
moves the membrane by J = 0.1 mV, an inhibitory one by -g J, after a delay D = 1.5 ms.
External input: C_E independent Poisson sources per neuron at nu_ext = eta nu_thr, where
nu_thr = theta / (J C_E tau_m) is the rate that brings the mean input to threshold.  g and
eta select the state (Brunel's Figs. 2 and 8); ``--set state=AI`` (SR, AI, SI_fast, SI_slow)
picks a set, ``--set g=... --set eta=...`` override it.

Measured here (N_E = 4000, C_E = 1000, 500 ms, seed 1; rate and CV = mean CV of ISIs of all E
cells after 100 ms; "sync" = std/mean of the 1-ms-binned E spike count, ~0.08 for independent
Poisson cells; "peak" = the largest peak of its spectrum; measured with
``benchmarks/brunel_vs_nest.py``'s ``neurosim_spikes``, ``rate_cv`` and ``sync_index`` on
``network_params(state, order=1000, c_e=1000, t_ref_offset=0)``):

=========  ====  =====  ============================================================
``state``  g     eta    measured
=========  ====  =====  ============================================================
SR         3     2      334 Hz, CV 0.001, sync 0.71, peak 333 Hz: synchronous, regular
                        (one spike per 3 ms, twice the delay), near saturation
AI         5     2      37 Hz, CV 0.41, sync 0.90, peak 95 Hz population oscillation
SI_fast    6     4      60 Hz, CV 0.92, sync 1.13, peak 178 Hz population oscillation
SI_slow    4.5   0.9    6.0 Hz, CV 0.34, sync 2.65, slow (~18 Hz) population oscillation
=========  ====  =====  ============================================================

The AI rate agrees with the diffusion (Siegert) mean-field estimate for these parameters
(37.9 Hz; predicted CV 0.68 for a stationary state).  At this size the "AI" point still carries a
strong fast population oscillation that regularises the single cells (CV ~0.4, also at the
paper's N_E = 10000, epsilon = 0.1: neurosim 37.3 Hz, CV 0.40 and NEST 3.10 37.3 Hz, CV 0.40,
1 s, 6 seeds, docs/benchmarks/brunel_vs_nest_order2500.md).  NEST's ``iaf_psc_delta`` on the
same network (N_E = 4000, C_E = 1000, 1 s, 5-20 seeds; docs/benchmarks/brunel_vs_nest.md) gives
the same mean rates within 3 % in all four states and the same mean CVs within 3 % for AI and
SI_slow; SR fires like a clock in both (CV 0.001); SI_fast's CV is 5 % higher here (1.07 against
1.02, 3 standard errors, not explained yet; at N_E = 10000 the two agree: -0.6 %, 8 seeds).
``--set j=0.2`` (stronger, more fluctuation-driven input) gives 25 Hz with CV 0.84.  A quick
reduced network that keeps the paper's J C_E (so nu_thr = 10 Hz and the mean input are the
paper's, the variance 4x larger), ``n_e=1000 c_e=250 j=0.4``, separates the states cleanly: AI
36.6-38.9 Hz, CV 0.72-0.73; SR 332-333 Hz, CV 0.007-0.014 (300 ms, seeds 1-3; used by
tests/test_models.py and, against NEST, tests/test_brunel_nest.py).

Synapses and drive (NEST ``iaf_psc_delta`` semantics, as Brunel's model):

* **Delta synapses** (``ns.Delta()``): an arriving spike moves v by its weight (J or -g J mV) in
  the step it arrives, after the membrane has decayed over the step and before the threshold
  test; spikes arriving while the cell is refractory are discarded (NEST's default,
  ``refractory_input = False``).  benchmarks/brunel_vs_nest.py builds the same network in
  NEST 3.10 (``iaf_psc_delta``, ``poisson_generator``, ``fixed_indegree``) and compares rates
  and CVs (docs/benchmarks/brunel_vs_nest.md).
* **External drive** is ``net.poisson_drive`` (a Binomial(C_E, nu_ext dt) event count per cell
  and step, like Brian2's PoissonInput) onto the same delta receptor: v jumps by the event count
  times J (NEST's one ``poisson_generator`` at C_E nu_ext per cell draws a Poisson(C_E nu_ext dt)
  count; the two differ in variance by the factor 1 - nu_ext dt = 0.998).
* **Network size.**  The paper has N_E = 10000 with epsilon = 0.1 (C_E = 1000).  The default
  here is N_E = 4000 with the paper's in-degree C_E = 1000 (connection probability 0.25): the
  mean-field state depends on C_E, J, g and eta but not on N, whereas shrinking C_E with N at
  fixed J makes the network less inhibition-dominated (N_E = 4000, C_E = 400: the "AI" set
  fires at 60 Hz with CV 0.21, mean-driven; 500 ms, seed 1).  ``--set n_e=10000`` is the
  paper's network; ``--set epsilon=0.1`` sets C_E = epsilon N_E instead of ``c_e``.
* Initial v is uniform in [V_r, theta] (not specified in the paper).
* ``t_ref`` counts the spike step (as Brian2): the cell is clamped for ``t_ref / dt - 1`` steps
  after it, so NEST's ``iaf_psc_delta`` with ``t_ref = T`` is this script with ``t_ref = T + dt``
  (the benchmark compares them so); with equal numbers neurosim's refractory period is one step
  (0.1 ms) shorter.  NEST also fires at ``V_m >= V_th`` where neurosim needs ``v > v_th`` (a
  measure-zero difference here).

Runtime grows with N C_E and the rate: the SR state (~330 Hz) is several times slower than AI.

Run: ``python models/brunel2000.py --set state=SR``.
"""
import neurosim as ns

STATES = {
    "SR": dict(g=3.0, eta=2.0),
    "AI": dict(g=5.0, eta=2.0),
    "SI_fast": dict(g=6.0, eta=4.0),
    "SI_slow": dict(g=4.5, eta=0.9),
}

C_M = 250.0  # pF; unused by the dynamics (delta weights are in mV and no current is injected)

DEFAULTS = dict(state="AI", g=None, eta=None, n_e=4000, c_e=1000, epsilon=None, gamma=0.25, j=0.1, delay=1.5,
                tau_m=20.0, theta=20.0, v_reset=10.0, t_ref=2.0, dt=0.1)
DURATION = 500.0  # ms


def nu_thr(j: float, c_e: int, theta: float = 20.0, tau_m: float = 20.0) -> float:
    """External rate (Hz) per source that brings the mean free membrane potential to threshold."""
    return theta / (j * c_e * tau_m) * 1000.0


def build(seed: int = 1, state: str = "AI", g=None, eta=None, n_e: int = 4000, c_e: int = 1000, epsilon=None,
          gamma: float = 0.25, j: float = 0.1, delay: float = 1.5, tau_m: float = 20.0, theta: float = 20.0,
          v_reset: float = 10.0, t_ref: float = 2.0, dt: float = 0.1) -> ns.Network:
    """Brunel's model A.

    Parameters
    ----------
    state: the (g, eta) set of STATES: "SR", "AI", "SI_fast" or "SI_slow"
    g: relative strength of inhibition (dimensionless; overrides the state's)
    eta: external rate nu_ext / nu_thr (dimensionless; overrides the state's)
    n_e: number of excitatory cells (gamma n_e inhibitory cells)
    c_e: excitatory in-degree, synapses per neuron (gamma c_e inhibitory ones)
    epsilon: if given, sets c_e = epsilon n_e (connection probability)
    gamma: ratio of inhibitory to excitatory cells and in-degrees
    j: EPSP amplitude J (mV)
    delay: synaptic delay D (ms)
    tau_m: membrane time constant (ms)
    theta: firing threshold above rest (mV)
    v_reset: reset potential above rest (mV)
    t_ref: refractory period (ms), counted from the spike step (``T + dt`` here is NEST's ``t_ref = T``)
    dt: time step (ms)
    """
    if state not in STATES:
        raise ns.SpecError(f"brunel2000: unknown state {state!r}; allowed: {', '.join(STATES)}")
    from neurosim.spec import validate as V
    g = V.non_negative("brunel2000: g", STATES[state]["g"] if g is None else g)
    eta = V.non_negative("brunel2000: eta", STATES[state]["eta"] if eta is None else eta)
    j = V.positive("brunel2000: j", j, "mV")
    n_e = int(n_e)
    n_i = int(round(gamma * n_e))
    if epsilon is not None:
        c_e = int(round(float(epsilon) * n_e))
    c_e = int(c_e)
    if not 1 <= c_e <= n_e:
        raise ns.SpecError(f"brunel2000: the in-degree c_e must be in [1, n_e = {n_e}], got {c_e}")
    c_i = max(1, int(round(gamma * c_e)))

    net = ns.Network(dt=dt, seed=seed)
    cell = ns.LIFCurr(tau_m=tau_m, c_m=C_M, v_rest=0.0, v_th=theta, v_reset=v_reset, t_ref=t_ref,
                      v_init=ns.Uniform(v_reset, theta))
    exc = net.population("exc", n_e, cell)
    inh = net.population("inh", n_i, cell)
    syn = ns.Delta()  # one delta receptor carries both signs: weights in mV
    w = float(j)
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
