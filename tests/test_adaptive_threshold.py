"""The adaptive threshold of LIFCond / LIFCurr (spec/neurons.py; Diehl & Cook 2015): spike when
``v > v_th + theta``, ``theta`` decaying with ``tau_theta`` and growing by ``theta_plus`` per spike.

* closed form: with spike times forced by delta-synapse input, ``theta`` sampled at every step equals
  ``sum_k theta_plus exp(-(s - 1 - k) dt / tau_theta)`` over the spikes ``k < s``;
* frozen (``theta_plus = 0``, ``tau_theta = inf``, ``theta = X``): the spikes of a network with
  ``v_th + X`` and no theta;
* Brian2 running the same neurons (``dtheta/dt = -theta/tau_theta``, threshold ``v > v_th + theta``,
  reset ``theta += theta_plus``): spike steps equal, theta at the end equal;
* state access (get / set / initialize / reset) and bad input.
"""
import math
import warnings

import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError

DT = 0.1


def _forced(model, times, n_steps):
    """One neuron of ``model`` made to fire at ``times`` (ms) by 40 mV delta-synapse jumps."""
    net = ns.Network(dt=DT, seed=3)
    cell = net.population("cell", 1, model)
    src = net.spike_generator("src", 1, times, [0] * len(times))
    net.connect(src, cell, ns.all_to_all(), receptor=ns.Delta(), weight=40.0, delay=DT)
    th = net.monitor(cell, "theta")
    sp = net.monitor(cell, "spikes")
    net.run(n_steps * DT)
    return net, cell, th, sp


@pytest.mark.parametrize("model", [ns.LIFCurr(theta_plus=0.7, tau_theta=20.0, t_ref=1.0),
                                   ns.LIFCond(theta_plus=0.7, tau_theta=20.0, t_ref=1.0)])
def test_theta_closed_form_after_known_spikes(model):
    times = [5.0, 9.3, 12.0, 40.0, 41.5]
    n_steps = 800
    net, cell, th, sp = _forced(model, times, n_steps)
    k = np.round(np.asarray(times) / DT).astype(np.int64) + 1     # the arrival step (delay one step)
    np.testing.assert_array_equal(np.round(sp.t / DT).astype(np.int64), k)
    s = np.arange(n_steps)
    d = math.exp(-DT / 20.0)
    # start-of-step samples: spikes in earlier steps, each decayed once per step since
    want = np.array([sum(0.7 * d ** (j - 1 - kk) for kk in k if kk < j) for j in s])
    np.testing.assert_allclose(th.trace("theta")[:, 0, 0], want, rtol=1e-12, atol=1e-14)
    end = sum(0.7 * d ** (n_steps - 1 - kk) for kk in k)
    np.testing.assert_allclose(cell.get("theta"), [end], rtol=1e-12)


@pytest.mark.parametrize("kind", ["cond", "curr", "cond_adapt"])
def test_frozen_theta_is_a_raised_threshold(kind):
    """theta frozen at X (per neuron) spikes exactly as v_th + X without theta (and, with
    spike-triggered adaptation, has the same adaptation current: the theta path increments it too)."""
    X = np.array([0.0, 1.5, 3.0, 4.5])
    if kind == "cond_adapt":
        def make(**kw):
            return ns.LIFCond(a=2.0, b=30.0, tau_w=100.0, **kw)
    else:
        make = ns.LIFCond if kind.startswith("cond") else ns.LIFCurr
    bias = 300.0 if kind.startswith("cond") else 700.0      # v_inf -30 and -42 mV

    def run(model, theta=None):
        net = ns.Network(dt=DT, seed=0)
        pop = net.population("p", 4, model, i_bias=bias)
        if theta is not None:
            pop.set(theta=theta)
        sp = net.monitor(pop, "spikes")
        net.run(300.0)
        return sp, pop, net

    a, pop, net_a = run(make(theta_plus=0.0, tau_theta=math.inf), theta=X)
    b, pop_b, net_b = run(make(v_th=-50.0 + X if kind.startswith("cond") else -55.0 + X))
    np.testing.assert_array_equal(a.i, b.i)
    np.testing.assert_array_equal(a.t, b.t)
    assert len(set(a.count)) == 4 and a.count.min() > 3        # the thresholds differ: so do the rates
    np.testing.assert_array_equal(pop.get("theta"), X)         # frozen
    if kind == "cond_adapt":
        w = net_a.get(pop, "w_adapt")
        assert w.min() > 0                                     # adapted
        np.testing.assert_array_equal(w, net_b.get(pop_b, "w_adapt"))


#: the threshold adaptation and the per-neuron constants, shared by both Brian2 cell models
THETA_EQS = """
dtheta/dt = -theta/tau_th : volt
i_b : amp (constant)
tau_th : second (constant)
tp : volt (constant)"""


def _brian2_spikes(kind, bias, tp, tau_th, n_steps):
    import brian2_models as bm
    b2 = bm.b2
    bm.setup(target="numpy", dt=DT)
    n = len(bias)
    if kind == "cond":   # LIFCond defaults
        eqs = "dv/dt = (g_l*(v_rest - v) + i_b)/c_m : volt (unless refractory)" + THETA_EQS
        nsp = dict(g_l=10 * b2.nS, c_m=200 * b2.pF, v_rest=-60 * b2.mV, v_th=-50 * b2.mV, v_reset=-60 * b2.mV)
        method, t_ref, v0 = "exponential_euler", 5 * b2.ms, -60 * b2.mV
    else:                # LIFCurr defaults
        eqs = "dv/dt = (v_rest - v)/tau_m + i_b/c_m : volt (unless refractory)" + THETA_EQS
        nsp = dict(tau_m=10 * b2.ms, c_m=250 * b2.pF, v_rest=-70 * b2.mV, v_th=-55 * b2.mV, v_reset=-70 * b2.mV)
        method, t_ref, v0 = "exact", 2 * b2.ms, -70 * b2.mV
    g = b2.NeuronGroup(n, eqs, threshold="v > v_th + theta", reset="v = v_reset; theta += tp",
                       refractory=t_ref, method=method, namespace=nsp)
    g.v = v0
    g.i_b = bias * b2.pA
    g.tau_th = tau_th * b2.ms
    g.tp = tp * b2.mV
    mon = b2.SpikeMonitor(g)
    b2.Network(g, mon).run(n_steps * DT * b2.ms, namespace={})
    return (np.asarray(mon.i), np.round(np.asarray(mon.t / b2.ms) / DT).astype(np.int64),
            np.asarray(g.theta / b2.mV))


@pytest.mark.brian2
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["cond", "curr"])
def test_theta_against_brian2(kind):
    """Per-neuron bias, increment and decay: every spike step equal to Brian2's, theta at the
    end within 1e-9 mV."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pytest.importorskip("brian2")
    bias = np.array([250.0, 320.0, 400.0, 600.0, 900.0]) if kind == "cond" else \
        np.array([420.0, 520.0, 700.0, 900.0, 1400.0])
    tp = np.array([0.5, 1.0, 2.0, 3.0, 5.0])
    tau_th = np.array([30.0, 80.0, 200.0, 1e7, 50.0])
    n_steps = 4000
    make = ns.LIFCond if kind == "cond" else ns.LIFCurr
    net = ns.Network(dt=DT, seed=0)
    pop = net.population("p", 5, make(theta_plus=tp, tau_theta=tau_th), i_bias=bias)
    sp = net.monitor(pop, "spikes")
    net.run(n_steps * DT)
    bi, bk, bth = _brian2_spikes(kind, bias, tp, tau_th, n_steps)
    order = np.lexsort((sp.i, sp.t))
    k = np.round(sp.t / DT).astype(np.int64)
    bo = np.lexsort((bi, bk))
    np.testing.assert_array_equal(sp.i[order], bi[bo])
    np.testing.assert_array_equal(k[order], bk[bo])
    assert sp.count.min() >= 5
    # the threshold did adapt: the interspike intervals of the fast-adapting neuron grow
    t2 = sp.spike_trains()[2]
    assert np.diff(t2)[-1] > 1.5 * np.diff(t2)[0]
    np.testing.assert_allclose(pop.get("theta"), bth, rtol=0, atol=1e-9)


def test_theta_state_access_and_reset():
    net = ns.Network(dt=DT, seed=0, batch=2)
    pop = net.population("p", 3, ns.LIFCurr(theta_plus=1.0, tau_theta=50.0), i_bias=500.0)
    np.testing.assert_array_equal(pop.get("theta"), np.zeros((2, 3)))
    pop.initialize(theta=np.array([1.0, 2.0, 3.0]))
    net.run(50.0)
    after = pop.get("theta")
    assert after.shape == (2, 3) and np.all(after > 0)
    pop.set(theta=np.array([[0.5, 0.5, 0.5], [4.0, 4.0, 4.0]]))
    np.testing.assert_array_equal(pop.get("theta"), [[0.5] * 3, [4.0] * 3])
    net.reset()   # back to the initial value, which set(theta=...) replaced
    np.testing.assert_array_equal(pop.get("theta"), [[0.5] * 3, [4.0] * 3])


@pytest.mark.parametrize("kwargs, words", [
    (dict(theta_plus=-1.0), ["theta_plus", "-1.0", "[0, 100] mV"]),
    (dict(tau_theta=0.0), ["tau_theta", "0.0", "> 0 ms"]),
    (dict(tau_theta=-math.inf), ["tau_theta", "-inf"]),
    (dict(theta_plus=math.nan), ["theta_plus", "nan"]),
])
def test_bad_theta_parameters(kwargs, words):
    for make in (ns.LIFCond, ns.LIFCurr):
        with pytest.raises(SpecError) as e:
            make(**kwargs)
        assert all(w in str(e.value) for w in words), str(e.value)


def test_theta_not_on_adex():
    net = ns.Network(dt=DT)
    pop = net.population("a", 2, ns.AdEx())
    with pytest.raises(SpecError, match="theta"):
        pop.initialize(theta=1.0)
