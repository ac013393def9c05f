"""Weight-dependent pair STDP (``rule="gutig"``, ``rule="van_rossum"``) against a plain-Python
event-driven reference written from the documented equations (``neurosim/spec/plasticity.py``):

* amplitudes are fractions of ``w_max``; with ``u = (w - w_min) / (w_max - w_min)``
  potentiation is ``a_plus w_max x_pre f+(w)``, depression ``a_minus w_max x_post f-(w)``;
  Gütig et al. (2003): ``f+ = (1 - u)**mu``, ``f- = u**mu``; van Rossum et al. (2000):
  ``f+ = 1`` (additive), ``f- = u``; every update is clipped to ``[w_min, w_max]``;
* all-to-all traces: ``x_pre`` (tau_plus) / ``x_post`` (tau_minus) jump by +1 per spike;
* a pre spike stamped at step k reaches the synapse at k + d (axonal delay), a post spike
  stamped at k' at k' + dd (dendritic delay); within one step pre arrivals are processed before
  post events (Delta t = 0 potentiates);
* each arrival first updates w with the other side's trace, then its own trace jumps.

The reference's exponents are written out per rule here (not read from the library's
``STDP.mu_plus`` / ``mu_minus``), so a wrong exponent anywhere in the library is caught.
Post spikes are forced at exact steps by a strong, fast AMPA input from a spike generator.
"""
import math

import numpy as np
import pytest

import neurosim as ns

DT = 0.1
FORCE = dict(receptor=ns.AMPA(tau_decay=0.1, name="AMPA_drive"), weight=1e4)   # makes the post cell fire

# exponents of the weight dependence, (potentiation, depression), from the papers
EXPONENTS = {
    "gutig": lambda mu: (mu, mu),             # Gütig, Aharonov, Rotter & Sompolinsky 2003
    "van_rossum": lambda mu: (0.0, 1.0),      # van Rossum, Bi & Turrigiano 2000
}


def _dep(u, e):
    """u**e with u**0 = 1 (additive) and 0 at u <= 0 for e > 0."""
    if e == 0.0:
        return 1.0
    return 0.0 if u <= 0.0 else u ** e


def _reference(pre_steps, post_steps, d, dd, p, w0, n_steps):
    """Event-driven all-to-all pair STDP for one synapse (exact exponentials); ``p`` a plain dict."""
    e_plus, e_minus = EXPONENTS[p["rule"]](p["mu"])
    ev = sorted([(int(k) + d, 0) for k in pre_steps] + [(int(k) + dd, 1) for k in post_steps])
    ev = [e for e in ev if e[0] < n_steps]
    w, xp, tp, xq, tq = w0, 0.0, 0, 0.0, 0
    lo, hi = p["w_min"], p["w_max"]
    span = hi - lo
    for step, kind in ev:
        if kind == 0:      # presynaptic arrival: depression with the post trace, then x_pre += 1
            y = xq * math.exp(-(step - tq) * DT / p["tau_minus"])
            w -= p["a_minus"] * hi * y * _dep((w - lo) / span, e_minus)
            w = min(max(w, lo), hi)
            xp = xp * math.exp(-(step - tp) * DT / p["tau_plus"]) + 1.0
            tp = step
        else:              # postsynaptic event: potentiation with the pre trace, then x_post += 1
            x = xp * math.exp(-(step - tp) * DT / p["tau_plus"])
            w += p["a_plus"] * hi * x * _dep((hi - w) / span, e_plus)
            w = min(max(w, lo), hi)
            xq = xq * math.exp(-(step - tq) * DT / p["tau_minus"]) + 1.0
            tq = step
    return w


def _protocol(seed=11):
    """Deterministic spike steps of 4 pre and 3 post neurons, delay-step matrix, initial weights."""
    rng = np.random.default_rng(seed)
    n_pre, n_post = 4, 3
    pre = [np.sort(rng.choice(np.arange(50, 4500), 18, replace=False)) for _ in range(n_pre)]
    post = []
    for j in range(n_post):
        # inter-spike intervals >= 4 ms (> t_ref = 2 ms) so that every forced spike happens
        isi = rng.integers(40, 400, 25)
        post.append(100 + np.cumsum(isi))
    post = [p[p < 4800] for p in post]
    d_steps = rng.integers(1, 30, (n_pre, n_post))
    return pre, post, d_steps


@pytest.mark.parametrize("rule,mu,dd_steps", [("gutig", 0.4, 3), ("gutig", 0.4, 0), ("van_rossum", 0.0, 2)])
def test_weight_dependent_stdp_matches_event_driven_reference(rule, mu, dd_steps):
    """4 x 3 synapses, 18 pre and ~20 post spikes each at fixed steps (some pairings at exactly
    Delta t = 0), per-synapse axonal delays 0.1-2.9 ms, a dendritic delay, w_min > 0: each final
    weight equals the event-driven reference to 1e-9 w_max."""
    p = dict(tau_plus=16.8, tau_minus=33.7, a_plus=0.08, a_minus=0.09, w_max=2.0, w_min=0.2, rule=rule, mu=mu)
    pre_steps, post_steps, d_steps = _protocol()
    # force some coincidences at the synapse (Delta t = 0): post stamped at pre + d - dd
    for j in range(3):
        k = int(pre_steps[j][5] + d_steps[j, j] - dd_steps)
        if np.all(np.abs(post_steps[j] - k) >= 40):
            post_steps[j] = np.sort(np.append(post_steps[j], k))
    n_pre, n_post = d_steps.shape
    w0 = np.linspace(0.25, 1.95, n_pre * n_post).reshape(n_pre, n_post)
    n_steps = 5200

    net = ns.Network(dt=DT, seed=3)
    pre = net.spike_generator("pre", n_pre, np.concatenate(pre_steps) * DT,
                              np.concatenate([np.full(len(s), i) for i, s in enumerate(pre_steps)]))
    post = net.population("post", n_post, ns.LIFCond(t_ref=2.0))
    drv_steps = np.concatenate(post_steps) - 1                      # the driver lands one step later
    drv = net.spike_generator("drv", n_post, drv_steps * DT,
                              np.concatenate([np.full(len(s), j) for j, s in enumerate(post_steps)]))
    net.connect(drv, post, ns.one_to_one(), delay=DT, **FORCE)
    stdp = ns.STDP(tau_plus=p["tau_plus"], tau_minus=p["tau_minus"], a_plus=p["a_plus"], a_minus=p["a_minus"],
                   w_max=p["w_max"], w_min=p["w_min"], rule=rule, mu=mu, pairing="all_to_all",
                   dendritic_delay=dd_steps * DT)
    proj = net.connect(pre, post, ns.all_to_all(), receptor=ns.ExpCurrent(2.0, name="I_pl"), weight=w0,
                       delay=d_steps * DT, plasticity=stdp)
    mon = net.monitor(post, "spikes")
    net.run(n_steps * DT)

    # the post neurons fired exactly at the forced steps (and nowhere else)
    got = mon.spike_trains()
    for j in range(n_post):
        np.testing.assert_array_equal(np.rint(np.asarray(got.get(j, [])) / DT).astype(int), post_steps[j])

    c = net.connections(proj)
    assert sorted(zip(c["pre"].tolist(), c["post"].tolist())) == [(i, j) for i in range(n_pre) for j in range(n_post)]
    w = np.empty((n_pre, n_post))
    w[c["pre"], c["post"]] = c["weight"]["I_pl"]
    ref = np.array([[_reference(pre_steps[i], post_steps[j], int(d_steps[i, j]), dd_steps, p, w0[i, j], n_steps)
                     for j in range(n_post)] for i in range(n_pre)])
    assert np.abs(ref - w0).max() > 0.1 * p["w_max"]                     # the protocol moves the weights
    err = np.abs(w - ref).max()
    print(f"{rule} mu={mu} dd={dd_steps}: max |w - ref| = {err:.3g} nS; max |ref - w0| = {np.abs(ref - w0).max():.3f}")
    assert err < 1e-9 * p["w_max"], (w, ref)
