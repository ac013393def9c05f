"""Small networks run on the CPU and the CUDA backend (under NUMBA_ENABLE_CUDASIM=1 when no GPU).

Run as a script: ``python tests/cuda_parity_cases.py OUT.npz`` writes, for each case, the spikes
and sampled state of both backends.  The environment decides simulator or native GPU.
"""
import sys

import numpy as np

import neurosim as ns


def case_cuba():
    net = ns.Network(dt=0.1, seed=21)
    cell = ns.LIFCurr(tau_m=20.0, c_m=200.0, v_rest=-45.0, v_th=-50.0, v_reset=-55.0, t_ref=2.0,
                      v_init=ns.Uniform(-52.0, -50.0))
    e = net.population("e", 32, cell)
    i = net.population("i", 8, cell)
    net.connect(e, [e, i], ns.fixed_probability(0.3), receptor=ns.ExpCurrent(5.0, name="ge"), weight=16.2)
    net.connect(i, [e, i], ns.fixed_probability(0.3), receptor=ns.ExpCurrent(10.0, name="gi"), weight=-90.0,
                delay=0.3)
    return net, [(e, "v")]


def case_coba_nmda():
    net = ns.Network(dt=0.1, seed=22)
    cell = ns.LIFCond(i_bias=150.0, v_init=ns.Uniform(-60.0, -52.0))
    e = net.population("e", 32, cell)
    i = net.population("i", 8, ns.LIFCond(i_bias=150.0, a=2.0, b=20.0, tau_w=50.0))
    gen = net.spike_generator("gen", 5, times=[1.0, 2.0, 3.3, 5.0, 7.5, 9.0], ids=[0, 1, 2, 3, 4, 0])
    net.connect(gen, e, ns.fixed_outdegree(10), receptor="glutamate", weight=4.0, nmda_ratio=0.5)
    net.connect(e, [e, i], ns.fixed_probability(0.2), receptor="glutamate", weight=1.5, nmda_ratio=0.2,
                delay=ns.Uniform(0.1, 1.0))
    net.connect(i, e, ns.fixed_probability(0.3), receptor="GABA_B", weight=2.0)
    net.connect(i, e, ns.fixed_probability(0.3), receptor=ns.GABA_A(), weight=5.0)
    return net, [(e, "v"), (e, "g_NMDA"), (i, "w_adapt")]


def case_saturating_nmda():
    """Wang (2002) saturating NMDA: one weight all-to-all (summed gating), per-synapse weights,
    sparse, two delays from one population, two trials with their own input."""
    net = ns.Network(dt=0.1, seed=24, batch=2)
    e = net.population("e", 24, ns.LIFCond(i_bias=120.0, v_init=ns.Uniform(-60.0, -52.0)))
    i = net.population("i", 8, ns.LIFCond(i_bias=100.0))
    gen = net.spike_generator("gen", 4, times=[0.5, 1.0, 2.0, 2.0, 3.3, 5.0, 7.5], ids=[0, 1, 2, 3, 0, 1, 2],
                              trials=[0, 1, 0, 1, 1, 0, 1])
    nmda = ns.NMDA(tau_decay=40.0, saturating=True)
    net.connect(gen, [e, i], ns.fixed_outdegree(6), receptor="AMPA", weight=6.0)
    net.connect(gen, e, ns.all_to_all(), receptor=nmda, weight=np.linspace(1.0, 3.0, 96).reshape(4, 24), delay=0.2)
    net.connect(e, e, ns.all_to_all(), receptor=nmda, weight=0.3, delay=0.5)
    net.connect(e, i, ns.fixed_probability(0.4), receptor=nmda, weight=ns.Uniform(0.5, 1.5), delay=0.3)
    net.connect(i, e, ns.fixed_probability(0.3), receptor=ns.GABA_A(), weight=4.0)
    return net, [(e, "v"), (e, "g_NMDA"), (i, "g_NMDA")]


def case_batch_inputs():
    net = ns.Network(dt=0.1, seed=23, batch=4)
    src = net.poisson("src", 10, rate=np.linspace(20.0, 200.0, 40).reshape(4, 10))
    e = net.population("e", 20, ns.LIFCond(v_init=-55.0))
    net.connect(src, e, ns.fixed_indegree(4), receptor=ns.AMPA(tau_decay=3.0), weight=8.0)
    net.inject(e, ns.steps([2.0, 6.0], [[100.0] * 5, [0.0] * 5]), indices=range(5))
    net.poisson_drive(e, ns.AMPA(name="AMPA_drive"), 50, 30.0, 1.0)   # its own name: e has AMPA(tau_decay=3)
    return net, [(e, "v"), (e, "i_ext")]


# --- plasticity and neuromodulators (phase 6).  A case may return a third item: a dict with
# "weights" (projections whose weights are compared: snapshots every WEIGHT_EVERY ms and final
# values) and "between" (called between the two halves of the run, e.g. net.reward).
WEIGHT_EVERY = 2.0


def _burst(net, name, n, times):
    """A generator whose ``n`` neurons all fire at each of ``times`` (more spikes in one step
    than a simulator block holds: exercises the flag path of the sorted spike history)."""
    return net.spike_generator(name, n, times=[t for t in times for _ in range(n)],
                               ids=[i for _ in times for i in range(n)])


def case_stdp_pair():
    net = ns.Network(dt=0.1, seed=31)
    pre = net.poisson("pre", 16, 150.0)
    burst = _burst(net, "burst", 12, [2.0, 6.5, 11.0])
    post = net.population("post", 10, ns.LIFCond(i_bias=120.0, v_init=ns.Uniform(-60.0, -52.0)))
    ampa = ns.AMPA(tau_decay=3.0)
    # all-to-all, soft bounds (Guetig, mu = 0.5), heterogeneous axonal delays
    p1 = net.connect(pre, post, ns.fixed_probability(0.5), receptor=ampa, weight=ns.Uniform(0.5, 3.0),
                     delay=ns.Uniform(0.1, 0.8), name="all2all",
                     plasticity=ns.STDP(a_plus=0.05, a_minus=0.06, w_max=4.0, rule="gutig", mu=0.5))
    # nearest pairing, additive, one delay, dendritic delay
    p2 = net.connect(burst, post, ns.fixed_probability(0.6), receptor=ns.AMPA(tau_decay=2.0, name="AMPA2"),
                     weight=1.5, delay=0.3, name="nearest",
                     plasticity=ns.STDP(a_plus=0.04, a_minus=0.05, w_max=3.0, pairing="nearest",
                                        dendritic_delay=0.2))
    # recurrent (pre == post population), multiplicative
    p3 = net.connect(post, post, ns.fixed_probability(0.4), receptor=ns.AMPA(tau_decay=4.0, name="AMPA3"),
                     weight=0.5, delay=0.5, name="recurrent",
                     plasticity=ns.STDP(a_plus=0.08, a_minus=0.06, w_max=2.0, rule="multiplicative"))
    return net, [(post, "v")], {"weights": [p1, p2, p3]}


def case_stdp_triplet():
    net = ns.Network(dt=0.1, seed=32, batch=2)
    pre = net.poisson("pre", 20, np.array([[120.0] * 20, [200.0] * 20]))
    burst = _burst(net, "burst", 10, [3.0, 9.0])
    post = net.population("post", 8, ns.LIFCond(i_bias=100.0, v_init=ns.Uniform(-60.0, -52.0)))
    p1 = net.connect(pre, post, ns.fixed_probability(0.5), receptor=ns.AMPA(tau_decay=3.0),
                     weight=ns.Uniform(0.5, 2.5), delay=ns.Uniform(0.1, 0.5), name="triplet",
                     plasticity=ns.TripletSTDP.visual_cortex(w_max=3.0))
    p2 = net.connect(burst, post, ns.all_to_all(), receptor=ns.AMPA(tau_decay=2.0, name="AMPA2"), weight=2.0,
                     delay=0.2, name="triplet_nearest",
                     plasticity=ns.TripletSTDP.hippocampal(pairing="nearest", w_max=3.0, dendritic_delay=0.1))
    return net, [(post, "v")], {"weights": [p1, p2]}


def case_dopamine():
    net = ns.Network(dt=0.1, seed=33)
    pre = net.poisson("pre", 16, 150.0)
    post = net.population("post", 10, ns.LIFCond(i_bias=150.0, v_init=ns.Uniform(-60.0, -52.0)))
    da = net.modulator(ns.Dopamine(tau=20.0, baseline=0.01), source=post, per_spike=0.1)
    p1 = net.connect(pre, post, ns.fixed_probability(0.5), receptor=ns.AMPA(tau_decay=3.0),
                     weight=ns.Uniform(0.5, 2.0), delay=ns.Uniform(0.1, 0.6), name="da_stdp",
                     plasticity=ns.DopamineSTDP(modulator=da.name, a_plus=0.004, a_minus=0.006, tau_c=50.0,
                                                w_max=4.0, dendritic_delay=0.2))
    return net, [(post, "v")], {"weights": [p1], "between": lambda n: n.reward(0.5)}


def case_acetylcholine():
    net = ns.Network(dt=0.1, seed=34)
    pre = net.poisson("pre", 12, 200.0)
    cells = net.population("cells", 12, ns.LIFCond(i_bias=120.0, a=1.0, b=30.0, tau_w=40.0,
                                                   v_init=ns.Uniform(-60.0, -52.0)))
    ach = net.modulator(ns.Acetylcholine(tau=15.0), source=pre, per_spike=0.05)
    net.connect(pre, cells, ns.fixed_probability(0.5), receptor=ns.AMPA(tau_decay=3.0), weight=1.5, delay=0.2)
    net.modulate(ach, cells, "b", 0.8)
    net.modulate(ach, cells, "g_AMPA", -0.3)
    net.release(ach, 1.0)
    return net, [(cells, "v"), (cells, "w_adapt"), (cells, "g_AMPA")], {"between": lambda n: n.release(ach, 2.0)}


# --- per-neuron parameters, changes between runs and reset (issue: per-neuron set/get)
def _het_cells(seed, n_e, n_i):
    """A LIFCond population with adaptation and a LIFCurr one, every parameter per neuron
    (arrays and distributions; t_ref off the dt grid, with 0 and half-step edge values)."""
    rng = np.random.default_rng(seed)
    t_ref = rng.uniform(0.5, 3.0, n_e)
    t_ref[:4] = [0.0, 0.05, 2.05, 1.99]
    cond = ns.LIFCond(c_m=rng.uniform(150.0, 250.0, n_e), g_leak=ns.Uniform(8.0, 14.0),
                      v_rest=ns.Uniform(-62.0, -58.0), v_th=rng.uniform(-53.0, -48.0, n_e),
                      v_reset=ns.Uniform(-66.0, -58.0), t_ref=t_ref, i_bias=rng.uniform(150.0, 300.0, n_e),
                      a=ns.Uniform(0.0, 4.0), b=rng.uniform(0.0, 40.0, n_e), tau_w=ns.Uniform(30.0, 150.0),
                      v_init=ns.Uniform(-60.0, -50.0))
    curr = ns.LIFCurr(tau_m=ns.Uniform(8.0, 25.0), c_m=rng.uniform(150.0, 300.0, n_i),
                      v_rest=rng.uniform(-66.0, -60.0, n_i), v_th=ns.Normal(-50.0, 1.0),
                      v_reset=rng.uniform(-70.0, -62.0, n_i), t_ref=ns.Uniform(0.3, 3.0),
                      i_bias=ns.Uniform(250.0, 400.0), v_init=ns.Uniform(-66.0, -52.0))
    return cond, curr


def _het_network(seed):
    net = ns.Network(dt=0.1, seed=seed)
    cond, curr = _het_cells(seed, 36, 14)
    e = net.population("e", 36, cond)
    i = net.population("i", 14, curr)
    gen = net.spike_generator("gen", 6, times=[1.0, 2.0, 3.3, 5.0, 7.5, 9.0, 12.0, 16.1], ids=[0, 1, 2, 3, 4, 5, 0, 1])
    i_exc = ns.ExpCurrent(5.0, name="I_exc")
    net.connect(gen, e, ns.fixed_outdegree(12), receptor=ns.AMPA(), weight=ns.Uniform(2.0, 6.0))
    net.connect(gen, i, ns.fixed_outdegree(5), receptor=i_exc, weight=80.0)
    ee = net.connect(e, e, ns.fixed_probability(0.2), receptor="glutamate", weight=ns.Uniform(0.5, 1.5),
                     nmda_ratio=0.3, delay=ns.Uniform(0.1, 1.0), name="ee")
    ei = net.connect(e, i, ns.fixed_probability(0.3), receptor=i_exc, weight=30.0, delay=0.4, name="ei")
    ie = net.connect(i, e, ns.fixed_probability(0.3), receptor=ns.GABA_A(), weight=4.0, name="ie")
    return net, e, i, {"ee": ee, "ei": ei, "ie": ie}


def case_heterogeneous():
    net, e, i, _ = _het_network(41)
    return net, [(e, "v"), (e, "w_adapt"), (i, "v")]


def case_set_between():
    net, e, i, projs = _het_network(42)
    rng = np.random.default_rng(43)

    def between(n):
        e.set(i_bias=rng.uniform(300.0, 450.0, 36), tau_m=rng.uniform(10.0, 16.0, 36), b=5.0)
        i.set(tau_m=ns.Uniform(5.0, 9.0), t_ref=rng.uniform(0.2, 1.5, 14), v_th=-52.0)
        projs["ee"].set(weight=rng.uniform(0.5, 3.0, (36, 36)))
        c = n.connections(projs["ei"])
        projs["ei"].set(weight=np.linspace(10.0, 80.0, c["pre"].size))
        projs["ie"].set(weight=ns.Uniform(1.0, 8.0))
    return net, [(e, "v"), (e, "w_adapt"), (i, "v")], {"between": between}


def case_reset():
    net, e, i, projs = _het_network(44)
    post = net.population("post", 8, ns.LIFCond(i_bias=150.0, v_init=ns.Uniform(-60.0, -52.0)))
    pre = net.poisson("pre", 12, 150.0)
    p1 = net.connect(pre, post, ns.fixed_probability(0.5), receptor=ns.AMPA(tau_decay=3.0), weight=ns.Uniform(0.5, 2.0),
                     delay=0.2, name="stdp", plasticity=ns.STDP(a_plus=0.05, a_minus=0.06, w_max=4.0))

    def between(n):
        n.reset(restore_weights=True)
        e.initialize(v=np.linspace(-60.0, -51.0, 36), w_adapt=5.0)
    return net, [(e, "v"), (e, "w_adapt"), (post, "v")], {"weights": [p1], "between": between}


def case_alpha_delta():
    """Alpha conductances and currents, delta synapses onto LIFCond and LIFCurr, a Poisson drive
    into an alpha channel (its events enter h)."""
    net = ns.Network(dt=0.1, seed=26)
    e = net.population("e", 24, ns.LIFCond(i_bias=120.0, v_init=ns.Uniform(-60.0, -52.0)))
    c = net.population("c", 16, ns.LIFCurr(tau_m=15.0, c_m=200.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0,
                                             i_bias=100.0, v_init=ns.Uniform(-60.0, -51.0)))
    gen = net.spike_generator("gen", 4, times=[0.5, 1.0, 2.0, 2.0, 3.3, 5.0, 7.5], ids=[0, 1, 2, 3, 0, 1, 2])
    a_e = ns.Alpha("a_e", 2.0, e_rev=0.0)
    a_i = ns.Alpha("a_i", 5.0, e_rev=-80.0)
    a_c = ns.Alpha("a_c", 3.0)
    jump = ns.Delta("jump")
    net.connect(gen, [e, c], ns.fixed_outdegree(8), receptor=jump, weight=4.0)
    net.connect(e, e, ns.fixed_probability(0.3), receptor=a_e, weight=3.0, delay=ns.Uniform(0.1, 1.0))
    net.connect(e, c, ns.fixed_probability(0.3), receptor=a_c, weight=60.0)
    net.connect(c, e, ns.fixed_probability(0.3), receptor=a_i, weight=4.0, delay=0.3)
    net.connect(c, c, ns.fixed_probability(0.3), receptor=jump, weight=-1.5, delay=0.2)
    net.poisson_drive(e, a_e, 20, 400.0, 0.5)
    return net, [(e, "v"), (e, "g_a_e"), (c, "v"), (c, "g_a_c")]


def case_total_number_redraw():
    """Potjans & Diesmann style wiring: fixed_total_number projections (multapses) with normal
    delays redrawn into [0.1, 2] ms and clipped normal weights (issue 13, item 5)."""
    net = ns.Network(dt=0.1, seed=25)
    cell = ns.LIFCurr(tau_m=10.0, c_m=250.0, v_rest=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0, i_bias=600.0,
                      v_init=ns.Normal(-58.0, 5.0, low=-65.0, high=-50.5))
    e = net.population("e", 32, cell)
    i = net.population("i", 8, cell)
    rec_e, rec_i = ns.ExpCurrent(0.5, name="ie"), ns.ExpCurrent(0.5, name="ii")
    net.connect(e, [e, i], ns.fixed_total_number(300), receptor=rec_e,
                weight=ns.Normal(87.8, 8.8, low=0.0, redraw=False), delay=ns.Normal(1.5, 0.75, low=0.1, high=2.0))
    net.connect(i, [e, i], ns.fixed_total_number(120, allow_autapses=False), receptor=rec_i,
                weight=-351.2, delay=ns.Normal(0.75, 0.375, low=0.1))
    return net, [(e, "v")]


def case_sources():
    """Gamma sources (shape 2.5 and 0.6), Poisson with dead time, a start/stop window, sinusoidal and
    noisy currents; two trials with their own draws.  The sources' own spikes are compared too."""
    net = ns.Network(dt=0.1, seed=25, batch=2)
    g = net.gamma_source("g", 12, 2.5, np.linspace(100.0, 400.0, 12))
    g2 = net.gamma_source("g2", 6, 0.6, 300.0, start=1.0, stop=8.0)
    d = net.poisson_refractory("d", 8, 250.0, 2.0)
    e = net.population("e", 16, ns.LIFCurr(tau_m=10.0, c_m=100.0, v_rest=-65.0, v_th=-55.0, v_reset=-65.0,
                                            t_ref=1.0))
    net.connect([g, g2, d], e, ns.fixed_indegree(4), receptor=ns.ExpCurrent(2.0, name="ex"), weight=150.0)
    net.inject_ac(e, 200.0, 300.0, phase=45.0, offset=50.0, start=0.5, indices=range(8))
    net.inject_noise(e, 20.0, 80.0, 0.3, stop=9.0, indices=range(4, 16))
    net.inject_noise(e, -10.0, 30.0, 0.2, start=2.0, indices=[0, 1, 5])
    net.inject_ac(e, 30.0, 1000.0, offset=-20.0, stop=6.0, indices=[2, 9])
    return net, [(e, "v"), (e, "i_ext")], {"sources": [g, g2, d]}


def case_sources_per_source():
    """Gamma sources with one shape per source (0.6 to 4, with per-source rates) and Poisson sources
    with one dead time per source (0 to 3.05 ms, off the dt grid too), two trials, driving neurons."""
    net = ns.Network(dt=0.1, seed=26, batch=2)
    g = net.gamma_source("g", 10, [0.6, 1.0, 2.0, 4.0, 2.5, 0.8, 3.0, 1.0, 4.0, 1.5], np.linspace(150.0, 400.0, 10))
    d = net.poisson_refractory("d", 8, [250.0, 100.0, 300.0, 200.0, 250.0, 150.0, 300.0, 100.0],
                               [0.0, 2.0, 0.5, 3.05, 1.0, 0.25, 2.0, 5.0], start=1.0)
    e = net.population("e", 12, ns.LIFCurr(tau_m=10.0, c_m=100.0, v_rest=-65.0, v_th=-55.0, v_reset=-65.0,
                                            t_ref=1.0))
    net.connect([g, d], e, ns.fixed_indegree(4), receptor=ns.ExpCurrent(2.0, name="ex"), weight=150.0)
    return net, [(e, "v")], {"sources": [g, d]}


def case_adex():
    """AdEx (kernels/cpu/adex.py and its CUDA branch): per-neuron parameters with conductance,
    alpha and delta receptors; a uniform EIF-like population (delta_t 0 in one, t_ref > 0) with a
    current receptor; an overflow-safe exponential under strong input."""
    net = ns.Network(dt=0.1, seed=25)
    e = net.population("e", 24, ns.AdEx(c_m=200.0, g_leak=10.0, v_rest=-70.0, v_reset=-58.0, v_t=-50.0,
                                         delta_t=ns.Uniform(1.0, 3.0), a=ns.Uniform(-2.0, 4.0), b=40.0,
                                         tau_w=ns.Uniform(50.0, 200.0), t_ref=0.0,
                                         i_bias=np.linspace(150.0, 600.0, 24), v_init=ns.Uniform(-70.0, -55.0)))
    i = net.population("i", 8, ns.AdEx(delta_t=0.0, v_peak=-50.0, t_ref=1.0, a=0.0, b=0.0, i_bias=700.0))
    gen = net.spike_generator("gen", 5, times=[1.0, 2.0, 3.3, 5.0, 7.5, 9.0], ids=[0, 1, 2, 3, 4, 0])
    net.connect(gen, e, ns.fixed_outdegree(10), receptor=ns.AMPA(tau_decay=3.0), weight=6.0)
    net.connect(gen, e, ns.fixed_outdegree(6), receptor=ns.Delta(), weight=3.0, delay=0.3)
    net.connect(e, [e, i], ns.fixed_probability(0.3), receptor=ns.Alpha("ga", 2.0, e_rev=0.0), weight=1.5,
                delay=ns.Uniform(0.1, 1.0))
    net.connect(i, e, ns.fixed_probability(0.5), receptor=ns.GABA_A(), weight=4.0)
    net.connect(e, i, ns.fixed_probability(0.3), receptor=ns.ExpCurrent(4.0, name="ic"), weight=-30.0)
    return net, [(e, "v"), (e, "w_adapt"), (i, "v")]


def case_short_term():
    """Tsodyks-Markram short-term plasticity: two-state (facilitating, ring buffer), three-state
    (direct channel), dense all-to-all with per-synapse weights; two trials with their own input."""
    net = ns.Network(dt=0.1, seed=51, batch=2)
    e = net.population("e", 24, ns.LIFCond(i_bias=120.0, v_init=ns.Uniform(-60.0, -52.0)))
    i = net.population("i", 8, ns.LIFCurr(i_bias=300.0, v_init=ns.Uniform(-66.0, -52.0)))
    gen = net.spike_generator("gen", 4, times=[0.5, 1.0, 2.0, 2.0, 3.3, 5.0, 7.5, 9.0], ids=[0, 1, 2, 3, 0, 1, 2, 0],
                              trials=[0, 1, 0, 1, 1, 0, 1, 0])
    net.connect(gen, e, ns.fixed_outdegree(8), receptor=ns.AMPA(tau_decay=3.0), weight=6.0, delay=0.4,
                short_term=ns.TsodyksMarkram(0.2, 100.0, 300.0))
    net.connect(e, e, ns.fixed_probability(0.3), receptor=ns.AMPA(tau_decay=3.0), weight=2.0, delay=0.5,
                short_term=ns.TsodyksMarkram(0.4, 200.0, 50.0, u0=0.3, x0=0.8))
    net.connect(e, i, ns.fixed_probability(0.4), receptor=ns.ExpCurrent(4.0, name="I_exc"), weight=40.0,
                short_term=ns.TsodyksMarkram(0.5, 150.0, 30.0, states=3))
    net.connect(i, e, ns.all_to_all(), receptor=ns.GABA_A(tau_rise=0.5),
                weight=np.linspace(1.0, 4.0, 192).reshape(8, 24), delay=0.3,
                short_term=ns.TsodyksMarkram(0.3, 80.0, states=3, tau_psc=6.0))
    return net, [(e, "v"), (e, "g_GABA_A"), (i, "v")]


def case_release():
    """Stochastic release (spec/release.py): sparse rows through the ring buffer, a direct channel,
    a dense all-to-all block with an (n_pre, n_post) matrix of p, a "glutamate" pair (AMPA and NMDA
    release together), a distribution; two trials with their own input; p set between the halves."""
    net = ns.Network(dt=0.1, seed=61, batch=2)
    e = net.population("e", 24, ns.LIFCond(i_bias=120.0, v_init=ns.Uniform(-60.0, -52.0)))
    i = net.population("i", 8, ns.LIFCurr(i_bias=300.0, v_init=ns.Uniform(-66.0, -52.0)))
    gen = net.spike_generator("gen", 4, times=[0.5, 1.0, 2.0, 2.0, 3.3, 5.0, 7.5, 9.0, 12.0, 14.0],
                              ids=[0, 1, 2, 3, 0, 1, 2, 0, 3, 1], trials=[0, 1, 0, 1, 1, 0, 1, 0, 0, 1])
    net.connect(gen, e, ns.fixed_outdegree(12), receptor="glutamate", weight=8.0, nmda_ratio=0.3, delay=0.4,
                release_probability=0.5)
    net.connect(e, e, ns.fixed_probability(0.3), receptor="AMPA", weight=2.0, delay=0.5,
                release_probability=ns.Uniform(0.2, 0.9))
    net.connect(e, i, ns.fixed_probability(0.4), receptor=ns.ExpCurrent(4.0, name="I_exc"), weight=60.0,
                release_probability=0.7)
    q = net.connect(i, e, ns.all_to_all(), receptor=ns.GABA_A(tau_rise=0.5), weight=3.0, delay=0.3,
                    release_probability=np.linspace(0.1, 1.0, 192).reshape(8, 24))

    def between(net):
        q.set(release_probability=0.25)

    return net, [(e, "v"), (e, "g_GABA_A"), (e, "g_NMDA"), (i, "v")], {"between": between}


def case_theta():
    """Adaptive threshold (spec/neurons.py): LIFCond with per-neuron theta_plus / tau_theta and
    an initial theta, LIFCurr with one value; theta switched on between runs on a third population."""
    net = ns.Network(dt=0.1, seed=31, batch=2)
    e = net.population("e", 12, ns.LIFCond(i_bias=np.linspace(220.0, 400.0, 12), theta_plus=np.linspace(0.5, 3.0, 12),
                                           tau_theta=ns.Uniform(5.0, 40.0)))
    e.initialize(theta=np.linspace(0.0, 2.0, 12))
    c = net.population("c", 6, ns.LIFCurr(i_bias=700.0, theta_plus=1.5, tau_theta=8.0, t_ref=0.5))
    late = net.population("late", 5, ns.LIFCond(i_bias=350.0))
    net.connect(e, c, ns.fixed_probability(0.5), receptor=ns.ExpCurrent(3.0, name="ge"), weight=30.0)

    def between(net):
        late.set(theta_plus=2.0, tau_theta=10.0)

    return net, [(e, "theta"), (e, "v"), (c, "theta"), (late, "theta")], {"between": between}


# every case_<name> function above, with its duration (ms)
CASES = {"cuba": case_cuba,
         "coba_nmda": case_coba_nmda,
         "saturating_nmda": case_saturating_nmda,
         "batch_inputs": case_batch_inputs,
         "stdp_pair": case_stdp_pair,
         "stdp_triplet": case_stdp_triplet,
         "dopamine": case_dopamine,
         "acetylcholine": case_acetylcholine,
         "heterogeneous": case_heterogeneous,
         "set_between": case_set_between,
         "reset": case_reset,
         "alpha_delta": case_alpha_delta,
         "total_number_redraw": case_total_number_redraw,
         "sources": case_sources,
         "sources_per_source": case_sources_per_source,
         "adex": case_adex,
         "short_term": case_short_term,
         "release": case_release,
         "theta": case_theta}
DURATION = {"cuba": 15.0,
            "coba_nmda": 15.0,
            "saturating_nmda": 15.0,
            "batch_inputs": 10.0,
            "stdp_pair": 14.0,
            "stdp_triplet": 12.0,
            "dopamine": 14.0,
            "acetylcholine": 12.0,
            "heterogeneous": 18.0,
            "set_between": 20.0,
            "reset": 14.0,
            "alpha_delta": 15.0,
            "total_number_redraw": 12.0,
            "sources": 12.0,
            "sources_per_source": 12.0,
            "adex": 16.0,
            "short_term": 20.0,
            "release": 16.0,
            "theta": 24.0}


def run_case(name, backend):
    net, states, *extra = CASES[name]()
    extra = extra[0] if extra else {}
    pops = [p for p in net.populations if not p.is_source] + list(extra.get("sources", []))
    sms = [net.monitor(p, "spikes") for p in pops]
    sts = [net.monitor(p, var) for p, var in states]
    wms = [net.monitor(q, "weights", every=WEIGHT_EVERY) for q in extra.get("weights", [])]
    half = round(DURATION[name] / 2 / net.dt) * net.dt
    net.run(half, backend=backend)
    if "between" in extra:
        extra["between"](net)
    net.run(DURATION[name] - half, backend=backend)
    out = {}
    for p, m in zip(pops, sms):
        out[f"{p.name}_spikes"] = np.stack([m.trial, m.i, np.round(m.t / net.dt).astype(np.int64)])
    for (p, var), m in zip(states, sts):
        out[f"{p.name}_{var}"] = m.trace(var)
    for q, m in zip(extra.get("weights", []), wms):
        out[f"{q.name}_wsnap"] = m.w
        out[f"{q.name}_weights"] = np.asarray(net.connections(q)["weight"][q.receptors[0][0].name])
    st = net._sim.backend.download()
    if st.plast.pi.shape[0] or st.plast.mi.shape[0]:
        # phase-6 state: spike history (ascending lists on both), traces, eligibility, [M]
        for f in ("spk", "spk_n", "tr1", "tr2", "elig", "mod_c"):
            out[f"plast_{f}"] = np.asarray(getattr(st.plast, f))
        out["neurons_spiked"] = np.asarray(st.neurons.spiked)
    if st.stp.U.shape[0]:
        # short-term state; ``last`` (the step of each synapse's previous spike) exactly
        for f in ("u", "x", "y"):
            out[f"stp_{f}"] = np.asarray(getattr(st.stp, f))
        out["neurons_stp_last"] = np.asarray(st.stp.last)
    if st.inputs.rs_next.size:   # renewal sources: the time of each next event (steps)
        out["inputs_rs_next"] = np.asarray(st.inputs.rs_next)
    return out


def main(path, names=None):
    data = {}
    for name in names or CASES:
        for backend in ("cpu", "cuda"):
            for k, v in run_case(name, backend).items():
                data[f"{name}/{backend}/{k}"] = v
    np.savez(path, **data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
