"""NIR import (``neurosim.nir.from_nir``), against closed forms, numpy recursions, torch and snnTorch.

* single neuron nodes (LIF, CubaLIF, LI, CubaLI, IF) driven by a known spike train through an
  Affine node (weights and biases): neurosim's ``v`` against the closed-form solution of the NIR
  ODE with each input spike a Dirac of area ``dt`` at the start of its step (``integration="exact"``)
  and against the forward-Euler recursion of snnTorch in numpy (``integration="euler"``);
* Conv2d expanded to explicit synapses against ``torch.nn.functional.conv2d``;
* bad graphs and inputs raise SpecError;
* THE acceptance test: a 784-100-10 snnTorch network trained on MNIST, exported with
  ``snntorch.export_to_nir``, imported, run on the first 1000 test images with the very same input
  spike trains: predictions agree with snnTorch's own simulation (tests/nir_helpers.py).
"""
import numpy as np
import pytest

nir = pytest.importorskip("nir")

from neurosim.errors import SpecError          # noqa: E402
from neurosim.nir import from_nir              # noqa: E402

DT = 0.1                                       # ms
DT_S = DT * 1e-3                               # s
T = 150                                        # steps
# input spikes (step, input neuron): a burst, a pair in one step, isolated spikes
SPIKES = [(3, 0), (10, 1), (11, 0), (11, 1), (12, 0), (40, 1), (41, 1), (90, 0), (120, 1)]
W = np.array([[2.0, -1.0], [0.5, 3.0], [-1.5, 1.0]])     # (3 neurons, 2 inputs)
B = np.array([0.4, 0.0, -0.3])


def spike_array(batch=1):
    x = np.zeros((T, batch, 2))
    for k, i in SPIKES:
        x[k, :, i] = 1.0
    return x


def graph(neuron, bias=True):
    nodes = {"in": nir.Input(input_type=np.array([2])),
             "fc": nir.Affine(weight=W, bias=B) if bias else nir.Linear(weight=W),
             "cell": neuron, "out": nir.Output(output_type=np.array([3]))}
    return nir.NIRGraph(nodes=nodes, edges=[("in", "fc"), ("fc", "cell"), ("cell", "out")])


def simulate(g, integration="exact", dt=DT):
    net = from_nir(g, dt=dt, integration=integration, record_v=True)
    net.nir.run(spike_array())
    return net, net.nir.v_trace()[:, 0, :]          # (T, 3): v at the end of each step


def inputs_through_w(t_s):
    """[(spike time (s), (3,) weighted input)] of the spikes before ``t_s``."""
    return [(k * DT_S, W[:, i]) for k, i in SPIKES if k * DT_S < t_s - 1e-15]


def lif_closed_form(tau, r, v_leak, bias):
    """v(t) of tau dv/dt = v_leak - v + r (W S + b), S Diracs of area dt, at t = (m+1) dt."""
    out = np.empty((T, 3))
    for m in range(T):
        t = (m + 1) * DT_S
        v = v_leak + r * bias * (1 - np.exp(-t / tau))
        for ts, w in inputs_through_w(t):
            v = v + r * w * DT_S / tau * np.exp(-(t - ts) / tau)
        out[m] = v
    return out


def cuba_closed_form(tau_s, tau_m, r, w_in, v_leak, bias):
    """v(t) of tau_s dI/dt = -I + w_in (W S + b), tau_m dv/dt = v_leak - v + r I."""
    k = tau_s / (tau_s - tau_m)
    out = np.empty((T, 3))
    for m in range(T):
        t = (m + 1) * DT_S
        v = v_leak + r * w_in * bias * ((1 - np.exp(-t / tau_m)) - k * (np.exp(-t / tau_s) - np.exp(-t / tau_m)))
        for ts, w in inputs_through_w(t):
            a = w_in * w * DT_S / tau_s
            v = v + r * a * k * (np.exp(-(t - ts) / tau_s) - np.exp(-(t - ts) / tau_m))
        out[m] = v
    return out


N3 = np.ones(3)


def test_lif_subthreshold_matches_the_closed_form():
    tau, r, v_leak = 5e-3, 2.5, -0.5
    node = nir.LIF(tau=tau * N3, r=r * N3, v_leak=v_leak * N3, v_threshold=40.0 * N3, v_reset=-1.0 * N3)
    _, v = simulate(graph(node))
    ref = lif_closed_form(tau, r, v_leak, B)
    assert np.ptp(v) > 1.0
    np.testing.assert_allclose(v, ref, rtol=0, atol=1e-10)


def test_li_matches_the_closed_form():
    tau, r, v_leak = 2e-3, 4.0, 0.25
    node = nir.LI(tau=tau * N3, r=r * N3, v_leak=v_leak * N3)
    net, v = simulate(graph(node))
    np.testing.assert_allclose(v, lif_closed_form(tau, r, v_leak, B), rtol=0, atol=1e-10)
    np.testing.assert_allclose(net.nir.readout()[0], v[-1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["CubaLIF", "CubaLI"])
def test_cuba_matches_the_closed_form(kind):
    tau_s, tau_m, r, w_in, v_leak = 2e-3, 5e-3, 3.0, 1.5, 0.1
    common = dict(tau_syn=tau_s * N3, tau_mem=tau_m * N3, r=r * N3, v_leak=v_leak * N3, w_in=w_in * N3)
    node = nir.CubaLIF(v_threshold=40.0 * N3, v_reset=0.0 * N3, **common) if kind == "CubaLIF" else nir.CubaLI(**common)
    _, v = simulate(graph(node))
    ref = cuba_closed_form(tau_s, tau_m, r, w_in, v_leak, B)
    assert np.ptp(v) > 0.5
    np.testing.assert_allclose(v, ref, rtol=0, atol=1e-10)


def test_if_matches_the_closed_form():
    r = 2000.0                                   # dv/dt = r I, t in s
    node = nir.IF(r=r * N3, v_threshold=40.0 * N3, v_reset=0.0 * N3)
    _, v = simulate(graph(node))
    ref = np.empty((T, 3))
    for m in range(T):
        t = (m + 1) * DT_S
        ref[m] = r * B * t + sum((r * w * DT_S for _, w in inputs_through_w(t)), np.zeros(3))
    assert np.ptp(v) > 1.0
    np.testing.assert_allclose(v, ref, rtol=1e-7, atol=1e-10)   # leak tau 1e9 ms: 1.5e-8 over 15 ms


def test_lif_threshold_and_reset():
    """Spikes where the closed form crosses v_threshold; v restarts from v_reset."""
    tau, r, v_leak, v_th, v_reset = 5e-3, 2.5, 0.0, 0.6, -0.2
    node = nir.LIF(tau=tau * N3, r=r * N3, v_leak=v_leak * N3, v_threshold=v_th * N3, v_reset=v_reset * N3)
    net, v = simulate(graph(node))
    free = lif_closed_form(tau, r, v_leak, B)
    first = np.argmax(free[:, 0] > v_th)
    assert free[first, 0] > v_th and np.all(free[:first, 0] <= v_th)
    np.testing.assert_allclose(v[:first, 0], free[:first, 0], rtol=0, atol=1e-10)
    assert v[first, 0] == v_reset
    mon = net.nir._monitors["out"][2]["spikes"]
    steps = np.rint(np.asarray(mon.t)[np.asarray(mon.i) == 0] / DT).astype(int) - net.nir.latency["cell"]
    assert steps[0] == first
    assert net.nir.spike_counts()[0, 0] == steps.size


# ------------------------------------------------------------------ forward Euler (snnTorch's recursion)
def euler_reference(kind, p, bias):
    """snnTorch's discrete update in numpy: I[t] = (1 - dt/tau_s) I + (dt/tau_s) w_in (W x[t] + b),
    v[t] = (1 - dt/tau) v + (dt/tau)(v_leak + r I[t]) (LIF: I[t] = W x[t] + b); no threshold."""
    x = spike_array()[:, 0, :]
    v = np.full(3, p["v_leak"])
    cur = np.zeros(3)
    out = np.empty((T, 3))
    for t in range(T):
        s = W @ x[t] + bias
        if kind == "LIF":
            cur = s
            tau = p["tau"]
        else:
            cur = (1 - DT_S / p["tau_s"]) * cur + DT_S / p["tau_s"] * p["w_in"] * s
            tau = p["tau_m"]
        v = (1 - DT_S / tau) * v + DT_S / tau * (p["v_leak"] + p["r"] * cur)
        out[t] = v
    return out


@pytest.mark.parametrize("kind", ["LIF", "CubaLIF"])
def test_euler_reproduces_the_discrete_recursion(kind):
    p = dict(tau=1e-3, tau_s=0.5e-3, tau_m=1.2e-3, r=1.7, w_in=2.0, v_leak=0.2)
    if kind == "LIF":
        node = nir.LIF(tau=p["tau"] * N3, r=p["r"] * N3, v_leak=p["v_leak"] * N3, v_threshold=40 * N3,
                       v_reset=0 * N3)
    else:
        node = nir.CubaLIF(tau_syn=p["tau_s"] * N3, tau_mem=p["tau_m"] * N3, r=p["r"] * N3, v_leak=p["v_leak"] * N3,
                           w_in=p["w_in"] * N3, v_threshold=40 * N3, v_reset=0 * N3)
    _, v = simulate(graph(node), integration="euler")
    ref = euler_reference(kind, p, B)
    assert np.ptp(v) > 0.5
    np.testing.assert_allclose(v, ref, rtol=0, atol=1e-11)
    _, v_exact = simulate(graph(node), integration="exact")
    assert np.abs(v_exact - ref).max() > 1e-3           # the two integrations differ at this dt
