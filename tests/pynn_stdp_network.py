"""A PyNN script with pair STDP between relay neurons, run through any PyNN backend (imported by
tests/test_pynn_models_nest.py; NEST runs it in a fresh process).

Relay cells (IF_curr_exp driven by SpikeSourceArray trains through a strong synapse) give the
pre- and postsynaptic spike trains; an STDPMechanism (SpikePairRule, AdditiveWeightDependence)
all-to-all projection between them learns with a small w_max, so that learning does not change
any spike.  Spike times lie on multiples of 0.5 ms (exact in binary, so every simulator puts
them on the same step) and the STDP delay is 13 steps, so no pre/post pair coincides at the
synapse (NEST pairs nothing at Delta t = 0, neurosim potentiates).  A last presynaptic spike long
after the postsynaptic ones makes NEST apply its pending potentiation (NEST updates a weight
only at presynaptic spikes)."""
import importlib

import numpy as np

W_MAX = 1e-4        # nA
W0 = 0.5e-4         # nA
DELAY = 1.3         # ms
TAU_PLUS, TAU_MINUS, A_PLUS, A_MINUS = 20.0, 20.0, 0.01, 0.012


def run(backend: str, seed: int = 3, n_pre: int = 20, n_post: int = 5) -> dict:
    sim = importlib.import_module(backend)
    sim.setup(timestep=0.1, min_delay=0.1, **({"spike_precision": "on_grid"} if "nest" in backend else {}))
    rng = np.random.default_rng(seed)
    train = lambda n: np.unique(np.round(rng.uniform(1.0, 480.0, n) * 2.0) / 2.0)   # noqa: E731
    pre_times = [np.append(train(15), 900.0) for _ in range(n_pre)]
    post_times = [train(25) for _ in range(n_post)]
    cell = dict(tau_refrac=5.0, tau_syn_E=0.5)
    drive_pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=[sim.Sequence(t) for t in pre_times]))
    drive_post = sim.Population(n_post, sim.SpikeSourceArray(spike_times=[sim.Sequence(t) for t in post_times]))
    pre, post = sim.Population(n_pre, sim.IF_curr_exp(**cell)), sim.Population(n_post, sim.IF_curr_exp(**cell))
    relay = sim.StaticSynapse(weight=60.0, delay=0.2)
    sim.Projection(drive_pre, pre, sim.OneToOneConnector(), relay)
    sim.Projection(drive_post, post, sim.OneToOneConnector(), relay)
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS, A_plus=A_PLUS, A_minus=A_MINUS),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=W_MAX), weight=W0, delay=DELAY)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    pre.record("spikes")
    post.record("spikes")
    sim.run(1000.0)
    out = {"w": np.asarray(prj.get("weight", format="array"), dtype=float),
           "pre": [np.asarray(s.magnitude) for s in pre.get_data().segments[0].spiketrains],
           "post": [np.asarray(s.magnitude) for s in post.get_data().segments[0].spiketrains]}
    sim.end()
    return out


def pair_sum(pre, post) -> np.ndarray:
    """Weight change / w_max of every synapse under PyNN's all-to-all pair rule with the whole
    delay dendritic (dendritic_delay_fraction 1): Delta t = t_post + d - t_pre."""
    out = np.zeros((len(pre), len(post)))
    for i, p in enumerate(pre):
        for j, q in enumerate(post):
            d = np.round(q[None, :] + DELAY - p[:, None], 9)
            out[i, j] = (A_PLUS * np.exp(-d[d > 0] / TAU_PLUS)).sum() - (A_MINUS * np.exp(d[d < 0] / TAU_MINUS)).sum()
    return out
