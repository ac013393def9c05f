"""Izhikevich (2007), Solving the distal reward problem through linkage of STDP and dopamine
signaling, Cereb. Cortex 17:2443-2452 -- the "one rewarded synapse" experiment (Fig. 1), in a
feed-forward simplification with leaky integrate-and-fire neurons.

``n_pre`` presynaptic neurons (Poisson spike sources, ``rate`` Hz) project to ``n_post``
current-based LIF neurons with probability ``p`` (axonal delays 1-20 ms as in the paper).  The
postsynaptic neurons fire because of random suprathreshold kicks (``kick_rate`` Hz, about +27 mV
each), the role of the paper's random thalamic input (one random neuron per ms receiving 20 mV);
optional balanced background noise (``noise`` Hz of +-``w_noise`` pA events) and a bias current
make the membrane fluctuate instead.  Every synapse follows dopamine-modulated STDP: pairings
change an eligibility trace ``c`` (tau_c = 1 s), and ``dw/dt = w_max c [DA]`` (see
:class:`neurosim.DopamineSTDP`); dopamine decays with tau = 200 ms above a small tonic baseline.
Depression outweighs potentiation (A-/A+ = 1.5 as in the paper), so unrewarded synapses drift
down whenever dopamine is present.

One synapse, from presynaptic neuron 0 to postsynaptic neuron 0 (its own one-synapse projection
``rewarded``, initial weight 0 as in the paper), is "rewarded": whenever post 0 fires within
``window`` (10) ms after pre 0, a reward of ``reward`` uM of dopamine is delivered after a random
delay of ``delay_min``-``delay_max`` ms (1-3 s in the paper) -- long after the 20 ms STDP window
and after many other pairings happened, while the pairing's eligibility has partly decayed.
A closed-loop callback (:func:`reward_loop`, registered with ``net.every`` as "reward_loop")
detects the pairings in the recorded spikes and calls ``net.reward``; to rerun a saved result,
pass a fresh one back: ``ns.Network.from_spec(spec, callbacks={"reward_loop": reward_loop(seed,
...)})`` (the spec records only its name and interval).  Expected (the paper's Fig. 1): the rewarded synapse grows to the bound ``w_max``
(an EPSP of about 4 mV) while the other synapses, which start at ``w_init * w_max`` (1 mV of 4
as in the paper), drift down.  As in the paper the rates are low (1 Hz): uncorrelated pairings add
noise to the rewarded synapse's eligibility and bias every synapse towards depression, so the
signal -- the eligibility left from the rewarded pairing when its reward arrives -- must be
accumulated over tens of rewards, which takes about an hour of simulated time (``DURATION``).
Shorter reward delays make it faster (less of that eligibility has decayed).  The
postsynaptic neurons are driven by kicks, not by the plastic synapses, so no synapse can
reinforce itself by causing its own postsynaptic spikes (in the paper the rewarded synapse
eventually helps to cause the rewarded pairings).

Differences from the paper: LIF instead of Izhikevich neurons, Poisson presynaptic neurons and
no recurrent connections (the paper's network of 1000 neurons is recurrent).  ``net.reward_log`` counts pairings and rewards.
``neurosim run`` draws :func:`figure`: the rewarded and the mean weight over the run.
Units: ms, mV, pA (current-based synapses, weights in pA), uM.
"""
import numpy as np

import neurosim as ns

DEFAULTS = dict(n_pre=100, n_post=10, p=0.5, rate=1.0, kick_rate=1.0, w_max=600.0, w_init=0.25, noise=0.0,
                w_noise=100.0, i_bias=0.0, a_plus=0.0055, a_minus=0.00825, tau_c=1000.0, tau_da=200.0,
                da_baseline=0.0005, reward=0.5, window=10.0, delay_min=1000.0, delay_max=3000.0, check=100.0,
                dt=1.0, batch=1)
DURATION = 3_600_000.0  # ms: one hour, as the paper


def build(seed: int = 1, n_pre: int = 100, n_post: int = 10, p: float = 0.5, rate: float = 1.0,
          kick_rate: float = 1.0, w_max: float = 600.0, w_init: float = 0.25, noise: float = 0.0,
          w_noise: float = 100.0, i_bias: float = 0.0, a_plus: float = 0.0055, a_minus: float = 0.00825,
          tau_c: float = 1000.0, tau_da: float = 200.0, da_baseline: float = 0.0005, reward: float = 0.5,
          window: float = 10.0, delay_min: float = 1000.0, delay_max: float = 3000.0, check: float = 100.0,
          dt: float = 1.0, batch: int = 1) -> ns.Network:
    """The network and its reward loop (:func:`reward_loop`, registered as "reward_loop").

    Parameters
    ----------
    n_pre: number of presynaptic Poisson neurons
    n_post: number of postsynaptic LIF neurons
    p: connection probability of each (pre, post) pair
    rate: presynaptic rate (Hz)
    kick_rate: rate of the suprathreshold kicks per postsynaptic neuron (Hz)
    w_max: upper weight bound (pA)
    w_init: initial weight of the other synapses (fraction of w_max)
    noise: rate of the excitatory and of the inhibitory background events per postsynaptic
        neuron (Hz)
    w_noise: size of each background event (pA)
    i_bias: bias current of the postsynaptic neurons (pA)
    a_plus: eligibility increment of a pre-before-post pairing (fraction of w_max)
    a_minus: eligibility decrement of a post-before-pre pairing (fraction of w_max)
    tau_c: eligibility trace time constant (ms)
    tau_da: dopamine time constant (ms)
    da_baseline: tonic dopamine concentration (uM)
    reward: dopamine released per reward (uM)
    window: a reward is due when post 0 fires within this time after pre 0 (ms)
    delay_min: shortest reward delay (ms)
    delay_max: longest reward delay (ms)
    check: period of the reward loop (ms)
    dt: time step (ms)
    batch: independent trials run side by side (own input spikes, weights, dopamine, rewards)
    """
    nb = int(batch)
    net = ns.Network(dt=dt, seed=seed, batch=nb)
    pre = net.poisson("pre", int(n_pre), rate)
    cell = ns.LIFCurr(tau_m=20.0, c_m=250.0, v_rest=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0,
                      i_bias=i_bias, v_init=ns.Uniform(-65.0, -55.0))
    post = net.population("post", int(n_post), cell)
    syn = ns.ExpCurrent(tau_decay=2.0, name="I_syn")
    if kick_rate > 0:
        net.poisson_drive(post, ns.ExpCurrent(tau_decay=1.0, name="I_kick"), 1, kick_rate, 8000.0)
    if noise > 0:
        net.poisson_drive(post, syn, 10, noise / 10.0, w_noise)
        net.poisson_drive(post, syn, 10, noise / 10.0, -w_noise)
    net.modulator(ns.Dopamine(tau=tau_da, baseline=da_baseline))
    rule = ns.DopamineSTDP(tau_plus=20.0, tau_minus=20.0, a_plus=a_plus, a_minus=a_minus, tau_c=tau_c,
                           w_max=w_max, w_min=0.0)
    # every pair (i, j) with probability p, except (0, 0): that one is the rewarded synapse alone
    conn_rng = np.random.default_rng([seed, 2007, 1])
    ii, jj = np.nonzero(conn_rng.random((int(n_pre), int(n_post))) < p)
    keep = (ii != 0) | (jj != 0)
    others = net.connect(pre, post, ns.from_arrays(ii[keep], jj[keep]), receptor=syn, weight=w_init * w_max,
                         delay=ns.Uniform(1.0, 20.0), plasticity=rule, name="others")
    rewarded = net.connect(pre, post, ns.from_arrays([0], [0]), receptor=syn, weight=0.0, delay=1.0,
                           plasticity=rule, name="rewarded")
    net.monitor(others, "weights", every=10_000.0)
    net.monitor(rewarded, "weights", every=1000.0)
    net.monitor(pre, "spikes", indices=[0])
    net.monitor(post, "spikes", indices=[0])
    net.monitor(post, "rate")
    loop = reward_loop(seed=seed, reward=reward, window=window, delay_min=delay_min, delay_max=delay_max, batch=nb)
    net.every(check, loop, name="reward_loop")
    net.reward_log = loop.state
    return net


def reward_loop(seed: int = 1, reward: float = 0.5, window: float = 10.0, delay_min: float = 1000.0,
                delay_max: float = 3000.0, batch: int = 1):
    """The closed-loop reward callback, ``loop(net)``, run by ``net.every(check, loop,
    name="reward_loop")``: it detects 'post 0 fired within ``window`` ms after pre 0' in the
    network's spike monitors of pre neuron 0 and post neuron 0 and delivers ``reward`` uM of
    dopamine ``delay_min``-``delay_max`` ms later (ms throughout).  ``loop.state`` counts the
    pairings and rewards per trial.  A network rebuilt from its spec needs a fresh loop back
    (the spec records only its name and interval)::

        again = ns.Network.from_spec(spec, callbacks={"reward_loop": reward_loop(seed=1, ...)})
    """
    rng = np.random.default_rng([seed, 2007])
    nb = int(batch)
    state = {"checked": 0.0, "pre": [[] for _ in range(nb)], "due": [[] for _ in range(nb)],
             "pairings": np.zeros(nb, int), "rewards": np.zeros(nb, int)}

    def deliver(net_):
        """Detect the pairings since the last check and deliver the rewards now due."""
        if "pre0" not in state:           # first call: the spike monitors of pre 0 and post 0
            mons = {m.pop.name: m for m in net_.monitors if hasattr(m, "since")}
            state.update(pre0=mons["pre"], post0=mons["post"])
        t0 = state["checked"]
        state["checked"] = net_.t
        _, tp, bp = state["pre0"].since(t0)
        for tt, b in zip(tp, bp):
            state["pre"][b].append(tt)
        _, tq, bq = state["post0"].since(t0)
        for tt, b in zip(tq, bq):
            if any(0.0 < tt - t_pre <= window for t_pre in state["pre"][b]):
                state["due"][b].append(tt + rng.uniform(delay_min, delay_max))
                state["pairings"][b] += 1
        for b in range(nb):
            state["pre"][b] = [t_pre for t_pre in state["pre"][b] if t_pre >= net_.t - window]
            now = [d for d in state["due"][b] if d <= net_.t]
            if now:
                state["due"][b] = [d for d in state["due"][b] if d > net_.t]
                net_.reward(reward * len(now), trials=[b])
                state["rewards"][b] += len(now)

    deliver.state = state
    return deliver


def figure(result):
    """The model's figure (``neurosim run`` writes it as results/izhikevich2007_dopamine.png):
    the rewarded synapse's weight and the mean weight of the other synapses (pA) against time
    (s), one line per trial, with the bound w_max."""
    from neurosim.plots import new_figure
    fig, axes = new_figure((8.0, 4.0))
    ax = axes[0, 0]
    w_max = next(float(q["plasticity"]["w_max"]) for q in result.spec["projections"] if q["name"] == "rewarded")
    curves = (("rewarded", "rewarded synapse", "tab:red"), ("others", "mean of the others", "tab:blue"))
    for name, label, color in curves:
        table = result.weights[name]
        t = np.asarray(table.snapshot_times) * 1e-3
        w = np.asarray(table.snapshots, dtype=float)
        w = w.reshape(w.shape[0], -1, w.shape[-1]).mean(axis=-1)            # (snapshots, trials)
        for k in range(w.shape[1]):
            ax.plot(t, w[:, k], color=color, linewidth=1.2, alpha=1.0 if w.shape[1] == 1 else 0.5,
                    label=label if k == 0 else None)
    ax.axhline(w_max, color="0.5", linestyle="--", linewidth=0.8, label=f"w_max = {w_max:g} pA")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight (pA)")
    ax.set_ylim(-0.03 * w_max, 1.08 * w_max)
    ax.set_title(f"Izhikevich (2007) distal reward: seed {result.meta.get('seed')}, "
                 f"{result.duration / 1000.0:g} s, {result.n_trials} trial(s)", fontsize="medium")
    ax.legend(loc="center right", fontsize="small", frameon=False)
    return fig


if __name__ == "__main__":
    from neurosim.cli import script_main
    raise SystemExit(script_main(__file__))
