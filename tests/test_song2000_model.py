"""models/song2000_stdp.py's ``build()`` with its default parameters, run briefly.

Checked independently of the simulator: the synapse count of the spec (all-to-all, n_inputs x 1),
the initial weights (uniform in [0, w_max]: their mean within 5 sigma), the Poisson input rate
measured from the recorded input spikes (binomial 5-sigma bound: one Bernoulli(rate dt) draw per
source and step), the weights inside [0, w_max] at every snapshot, and every final weight against
a plain-Python event-driven additive all-to-all pair-STDP reference fed with the recorded input
and output spikes (the model's documented rule: tau+ = tau- = 20 ms, A+ = 0.01 w_max,
A- = 1.05 A+, hard bounds; axonal delay dt, no dendritic delay; within a step the presynaptic
arrival comes before the postsynaptic event).
"""
import importlib.util
import math
import os

import numpy as np

import neurosim as ns

MODELS = os.path.join(os.path.dirname(__file__), "..", "models")
T = 2000.0      # ms (the model's own DURATION is 100 s)


def _load():
    spec = importlib.util.spec_from_file_location("song2000_stdp_under_test", os.path.join(MODELS, "song2000_stdp.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pair_stdp_reference(pre_steps, post_steps, w0, w_max, a_plus, a_minus, tau, dt, n_steps, d=1):
    """Additive all-to-all pair STDP of one synapse, exact exponentials, hard bounds [0, w_max]."""
    ev = sorted([(int(k) + d, 0) for k in pre_steps] + [(int(k), 1) for k in post_steps])
    w, xp, tp, xq, tq = w0, 0.0, 0, 0.0, 0
    for step, kind in ev:
        if step >= n_steps:
            break
        if kind == 0:
            w -= a_minus * w_max * xq * math.exp(-(step - tq) * dt / tau)
            w = min(max(w, 0.0), w_max)
            xp = xp * math.exp(-(step - tp) * dt / tau) + 1.0
            tp = step
        else:
            w += a_plus * w_max * xp * math.exp(-(step - tp) * dt / tau)
            w = min(max(w, 0.0), w_max)
            xq = xq * math.exp(-(step - tq) * dt / tau) + 1.0
            tq = step
    return w


def test_song2000_build_with_defaults_runs_and_learns_as_documented():
    song = _load()
    d = song.DEFAULTS
    net = song.build()                                   # the model's defaults
    n, rate, w_max, dt = d["n_inputs"], d["rate"], d["w_max"], d["dt"]
    a_plus, a_minus, tau = d["a_plus"], d["a_plus"] * d["ratio"], d["tau"]
    assert (n, rate, w_max, a_plus, d["ratio"], tau, dt) == (1000, 15.0, 0.1, 0.01, 1.05, 20.0, 0.1)
    net.monitor("inputs", "spikes")
    (proj,) = [q for q in net.projections if q.name == "stdp"]
    c0 = net.connections(proj)
    # all-to-all onto the single output neuron: one synapse per input
    assert c0["pre"].size == n
    np.testing.assert_array_equal(np.sort(c0["pre"]), np.arange(n))
    np.testing.assert_array_equal(c0["post"], np.zeros(n))
    np.testing.assert_allclose(c0["delay"], dt, rtol=0, atol=1e-12)
    w0 = np.asarray(c0["weight"]["AMPA"], float)
    assert w0.shape == (n,) and w0.min() >= 0.0 and w0.max() <= w_max
    assert abs(w0.mean() - w_max / 2) < 5 * w_max / math.sqrt(12 * n)          # U(0, w_max)

    res = net.run(T, progress=False)
    n_steps = int(round(T / dt))
    inp = res.spikes["inputs"]
    # Poisson input rate: total count ~ Binomial(n * n_steps, rate * dt)
    p = rate * dt * 1e-3
    mean, sd = n * n_steps * p, math.sqrt(n * n_steps * p * (1 - p))
    assert abs(inp.times.size - mean) < 5 * sd, (inp.times.size, mean, sd)
    # weights within [0, w_max] at every snapshot and at the end
    wt = res.weights["stdp"]
    snaps = np.asarray(wt.snapshots)
    assert snaps.shape[0] >= 2
    assert snaps.min() >= 0.0 and snaps.max() <= w_max
    w1 = np.asarray(wt.weight, float).reshape(-1)
    assert w1.min() >= 0.0 and w1.max() <= w_max
    np.testing.assert_array_equal(wt.pre, c0["pre"])
    # every final weight against the event-driven reference fed with the recorded spikes
    post_t = res.spikes["post"].times
    assert post_t.size >= 10                                     # the output neuron fires
    post_steps = np.rint(post_t / dt).astype(np.int64)
    in_steps = np.rint(inp.times / dt).astype(np.int64)
    in_ids = np.asarray(inp.node_ids)
    by_input = [in_steps[in_ids == i] for i in range(n)]
    exp = np.array([_pair_stdp_reference(by_input[i], post_steps, w0[k], w_max, a_plus, a_minus, tau, dt, n_steps)
                    for k, i in enumerate(c0["pre"])])
    assert np.abs(exp - w0).max() > 0.05 * w_max                 # the run is long enough to learn
    np.testing.assert_allclose(w1, exp, rtol=0, atol=1e-9 * w_max)
