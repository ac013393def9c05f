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
    # tau_m 1e8 ms: the leak over 15 ms is 1.5e-7 relative, the bias increment per step rounds to ~1e-7
    np.testing.assert_allclose(v, ref, rtol=5e-7, atol=1e-10)


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


def test_delay_node_shifts_each_input():
    """Input -> Delay (one delay per input neuron) -> Affine -> LI: each input's spikes arrive later
    by its delay, rounded to steps; the closed form with shifted spike times."""
    global SPIKES
    tau, r = 2e-3, 4.0
    delays = np.array([0.3e-3, 1.0e-3])                  # s: 3 and 10 steps
    nodes = {"in": nir.Input(input_type=np.array([2])), "d": nir.Delay(delay=delays),
             "fc": nir.Affine(weight=W, bias=B), "cell": nir.LI(tau=tau * N3, r=r * N3, v_leak=0 * N3),
             "out": nir.Output(output_type=np.array([3]))}
    g = nir.NIRGraph(nodes=nodes, edges=[("in", "d"), ("d", "fc"), ("fc", "cell"), ("cell", "out")])
    _, v = simulate(g)
    original = SPIKES
    try:
        SPIKES = [(k + round(delays[i] / DT_S), i) for k, i in original]
        ref = lif_closed_form(tau, r, 0.0, B)
    finally:
        SPIKES = original
    np.testing.assert_allclose(v, ref, rtol=0, atol=1e-10)


def test_skip_connection_is_aligned():
    """Input -> LIF -> Linear -> LI and a skip Input -> Linear -> LI (paths of 1 and 2 layers): the
    readout follows the snnTorch-style recursion (no delay on either path) step for step."""
    rng = np.random.default_rng(5)
    n_in, n_h, n_o = 6, 5, 3
    w1, w2, ws = rng.normal(1.0, 0.8, (n_h, n_in)), rng.normal(0, 1, (n_o, n_h)), rng.normal(0, 1, (n_o, n_in))
    beta1, beta2 = 0.8, 0.9
    tau1, tau2 = DT_S / (1 - beta1), DT_S / (1 - beta2)         # snnTorch's export: r = tau/dt
    nodes = {"in": nir.Input(input_type=np.array([n_in])), "w1": nir.Linear(weight=w1),
             "h": nir.LIF(tau=np.full(n_h, tau1), r=np.full(n_h, tau1 / DT_S), v_leak=np.zeros(n_h),
                          v_threshold=np.ones(n_h), v_reset=np.zeros(n_h)),
             "w2": nir.Linear(weight=w2), "ws": nir.Linear(weight=ws),
             "o": nir.LI(tau=np.full(n_o, tau2), r=np.full(n_o, tau2 / DT_S), v_leak=np.zeros(n_o)),
             "out": nir.Output(output_type=np.array([n_o]))}
    edges = [("in", "w1"), ("w1", "h"), ("h", "w2"), ("w2", "o"), ("in", "ws"), ("ws", "o"), ("o", "out")]
    net = from_nir(nir.NIRGraph(nodes=nodes, edges=edges), dt=DT, integration="euler", record_v=True)
    x = (rng.random((60, n_in)) < 0.3).astype(float)
    net.nir.run(x)
    v1, v2, ref = np.zeros(n_h), np.zeros(n_o), []
    for t in range(x.shape[0]):
        v1 = beta1 * v1 + w1 @ x[t]
        s1 = (v1 > 1.0).astype(float)
        v2 = beta2 * v2 + w2 @ s1 + ws @ x[t]
        ref.append(v2)
        v1 = np.where(s1 > 0, 0.0, v1)
    assert net.nir.latency == {"in": 0, "h": 1, "o": 2}
    np.testing.assert_allclose(net.nir.v_trace()[:, 0], np.array(ref), rtol=0, atol=1e-11)

def test_hdf5_file_imports_like_the_graph(tmp_path):
    node = nir.CubaLIF(tau_syn=2e-3 * N3, tau_mem=5e-3 * N3, r=3.0 * N3, v_leak=0 * N3, w_in=1.5 * N3,
                       v_threshold=0.3 * N3, v_reset=0 * N3)
    g = graph(node)
    path = tmp_path / "net.nir"
    nir.write(path, g)
    _, v_graph = simulate(g)
    _, v_file = simulate(str(path))
    np.testing.assert_array_equal(v_file, v_graph)


# ------------------------------------------------------------------ Conv2d
CONV_CASES = [  # (C_in, H, W, C_out, k, stride, padding, dilation, groups)
    (1, 6, 5, 3, (3, 3), 1, 1, 1, 1),
    (2, 9, 8, 4, (3, 2), (2, 1), (1, 0), 1, 2),
    (3, 7, 7, 6, (3, 3), 1, "same", (2, 1), 3),
    (2, 5, 6, 2, (2, 2), 1, "valid", 1, 1),
    (1, 8, 8, 2, (4, 4), 3, 2, 1, 1),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_expansion_matches_torch(case):
    torch = pytest.importorskip("torch")
    from neurosim.nir.import_ops import conv2d
    c_in, h, w, c_out, k, stride, pad, dil, groups = case
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(c_out, c_in // groups) + k)
    bias = rng.normal(size=c_out)
    node = nir.Conv2d(input_shape=(h, w), weight=weight, stride=stride, padding=pad, dilation=dil, groups=groups,
                      bias=bias)
    m, b, out_shape = conv2d(node, (c_in, h, w), "conv")
    x = rng.normal(size=(c_in, h, w))
    y = np.zeros(m.n_out)
    np.add.at(y, m.rows, m.vals * x.reshape(-1)[m.cols])
    ref = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(weight), torch.from_numpy(bias),
                                     stride=stride, padding=pad, dilation=dil, groups=groups)[0].numpy()
    assert out_shape == ref.shape
    np.testing.assert_allclose(y + b, ref.reshape(-1), rtol=0, atol=1e-12)


def test_conv2d_network_matches_torch():
    """Input (2, 9, 8) -> Conv2d -> Flatten -> IF: after one input step, v = r dt (conv(x) + b dt-steps)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    weight = rng.normal(size=(4, 1, 3, 3))
    bias = rng.normal(size=4)
    conv = nir.Conv2d(input_shape=(9, 8), weight=weight, stride=(2, 1), padding=1, dilation=1, groups=2, bias=bias)
    n_out = 4 * 5 * 8
    r = 1000.0
    nodes = {"in": nir.Input(input_type=np.array([2, 9, 8])), "conv": conv,
             "flat": nir.Flatten(input_type={"input": np.array([4, 5, 8])}, start_dim=0, end_dim=-1),
             "cell": nir.IF(r=r * np.ones(n_out), v_threshold=40 * np.ones(n_out), v_reset=np.zeros(n_out)),
             "out": nir.Output(output_type=np.array([n_out]))}
    # nir 1.0.8 infers a grouped Conv2d's input channels as weight.shape[1] (C_in / groups): no type check
    g = nir.NIRGraph(nodes=nodes, edges=[("in", "conv"), ("conv", "flat"), ("flat", "cell"), ("cell", "out")],
                     type_check=False)
    net = from_nir(g, dt=DT, batch=2, record_v=True)
    x = (rng.random((1, 2, 2, 9, 8)) < 0.5).astype(float)              # (T=1, batch=2, C, H, W)
    net.nir.run(x)
    v = net.nir.v_trace()[0]                                            # (batch, n_out) after the step
    ref = torch.nn.functional.conv2d(torch.from_numpy(x[0]), torch.from_numpy(weight), torch.from_numpy(bias),
                                     stride=(2, 1), padding=1, groups=2).numpy().reshape(2, -1)
    # the spike (area dt) and one step of the bias move v by r dt times the convolution
    np.testing.assert_allclose(v, r * DT_S * ref, rtol=0, atol=5e-8)      # IF bias rounding ~1e-7 of 0.2


# ------------------------------------------------------------------ bad graphs and inputs
def lif(n=3, **kw):
    p = dict(tau=5e-3, r=1.0, v_leak=0.0, v_threshold=1.0, v_reset=0.0)
    p.update(kw)
    return nir.LIF(**{k: np.asarray(v, float) * np.ones(n) if np.ndim(v) == 0 else np.asarray(v, float)
                      for k, v in p.items()})


def test_unsupported_node_is_refused_by_name():
    nodes = {"in": nir.Input(input_type=np.array([2])), "fc": nir.Linear(weight=W),
             "thr": nir.Threshold(threshold=np.ones(3)), "out": nir.Output(output_type=np.array([3]))}
    g = nir.NIRGraph(nodes=nodes, edges=[("in", "fc"), ("fc", "thr"), ("thr", "out")], type_check=False)
    with pytest.raises(SpecError, match=r"'thr' has type Threshold.*allowed: .*CubaLIF.*Conv2d"):
        from_nir(g, dt=DT)


def test_recurrent_graph_is_refused():
    nodes = {"in": nir.Input(input_type=np.array([3])), "cell": lif(), "rec": nir.Linear(weight=np.eye(3)),
             "out": nir.Output(output_type=np.array([3]))}
    g = nir.NIRGraph(nodes=nodes, edges=[("in", "cell"), ("cell", "rec"), ("rec", "cell"), ("cell", "out")],
                     type_check=False)
    with pytest.raises(SpecError, match=r"cycle.*\['cell', 'out', 'rec'\].*feed-forward"):
        from_nir(g, dt=DT)


def test_bad_graphs_and_parameters():
    with pytest.raises(SpecError, match="nir.NIRGraph or the path"):
        from_nir({"nodes": {}}, dt=DT)
    with pytest.raises(SpecError, match="no NIR file"):
        from_nir("/nonexistent/net.nir", dt=DT)
    with pytest.raises(SpecError, match="integration must be one of"):
        from_nir(graph(lif()), dt=DT, integration="rk4")
    # an Output fed by a weight node (a linear readout without neurons)
    nodes = {"in": nir.Input(input_type=np.array([2])), "fc": nir.Linear(weight=W),
             "out": nir.Output(output_type=np.array([3]))}
    g = nir.NIRGraph(nodes=nodes, edges=[("in", "fc"), ("fc", "out")])
    with pytest.raises(SpecError, match="'out'.*fed by exactly one neuron node"):
        from_nir(g, dt=DT)
    # per-neuron tau_syn (neurosim: one receptor time constant per population)
    cuba = nir.CubaLIF(tau_syn=np.array([1e-3, 2e-3, 1e-3]), tau_mem=5e-3 * N3, r=N3, v_leak=0 * N3,
                       v_threshold=N3, v_reset=0 * N3)
    with pytest.raises(SpecError, match="'cell' \\(CubaLIF\\): tau_syn must be the same"):
        from_nir(graph(cuba), dt=DT)
    # forward Euler needs dt < tau
    with pytest.raises(SpecError, match=r"'cell' \(LIF\): tau \(membrane\) = 0.05 ms is not > dt = 0.1 ms"):
        from_nir(graph(lif(tau=5e-5)), dt=DT, integration="euler")
    # a parameter with the wrong number of values
    bad = nir.LIF(tau=np.full(4, 5e-3), r=np.ones(4), v_leak=np.zeros(4), v_threshold=np.ones(4), v_reset=np.zeros(4))
    g = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([2])), "fc": nir.Linear(weight=W), "cell": bad,
                            "out": nir.Output(output_type=np.array([3]))},
                     edges=[("in", "fc"), ("fc", "cell"), ("cell", "out")], type_check=False)
    with pytest.raises(SpecError, match=r"'cell' \(LIF\): tau has 4 values.*one per neuron \(3\)"):
        from_nir(g, dt=DT)
    # voltages outside neurosim's range (1 NIR unit = 1 mV)
    with pytest.raises(SpecError, match=r"'cell' \(LIF\).*v_th must be in \[-150, 50\] mV, got 100.0"):
        from_nir(graph(lif(v_threshold=100.0)), dt=DT)
    # a nested graph (snnTorch's RLeaky exports one)
    sub = nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([3])), "o": nir.Output(output_type=np.array([3]))},
                       edges=[("i", "o")])
    g = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([3])), "sub": sub,
                            "out": nir.Output(output_type=np.array([3]))},
                     edges=[("in", "sub"), ("sub", "out")], type_check=False)
    with pytest.raises(SpecError, match="'sub' is a nested NIRGraph"):
        from_nir(g, dt=DT)


def test_bad_input_spikes():
    net = from_nir(graph(lif()), dt=DT, batch=2)
    with pytest.raises(SpecError, match=r"shape \(T, batch, \*shape\) = \('T', 2, 2\), got \(5, 3, 2\)"):
        net.nir.set_input(np.zeros((5, 3, 2)))
    with pytest.raises(SpecError, match="must be 0 or 1.*0.5"):
        net.nir.set_input(np.full((5, 2, 2), 0.5))
    with pytest.raises(SpecError, match="unknown Input node 'x'"):
        net.nir.set_input(np.zeros((5, 2, 2)), name="x")


# ------------------------------------------------------------------ snnTorch
def test_snntorch_synaptic_network_spike_for_spike():
    """An (untrained) snnTorch Synaptic network with biases, exported with export_to_nir: neurosim's
    output spike counts equal snnTorch's on every trial (integration="euler", t_ref = 2 dt for the
    one-step hold of Synaptic's reset to zero)."""
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    from snntorch.export_nir import export_to_nir
    from snntorch import utils
    torch.manual_seed(3)

    def synaptic(n, alpha, beta):
        return snn.Synaptic(alpha=torch.full((n,), alpha), beta=torch.full((n,), beta), threshold=torch.ones(n),
                            init_hidden=True, reset_mechanism="zero")
    net = torch.nn.Sequential(torch.nn.Linear(60, 40), synaptic(40, 0.7, 0.85), torch.nn.Linear(40, 10),
                              synaptic(10, 0.6, 0.9))
    net[-1].output = True
    with torch.no_grad():
        net[0].weight.mul_(2.0)
        net[2].weight.mul_(3.0)
    g = export_to_nir(net, torch.zeros(1, 60), ignore_dims=[0])
    x = (np.random.default_rng(4).random((40, 200, 60)) < 0.3).astype(np.float32)
    utils.reset(net)
    ref = 0
    with torch.no_grad():
        for t in range(x.shape[0]):
            ref = ref + net(torch.from_numpy(x[t]))[0].numpy()
    imported = from_nir(g, dt=0.1, integration="euler", batch=200, t_ref=0.2)
    imported.nir.run(x)
    counts = imported.nir.spike_counts()
    assert ref.sum() > 500
    assert np.mean(np.all(counts == ref, axis=1)) >= 0.99


def test_snntorch_mnist_export_import_agrees():
    """THE acceptance test: snnTorch 784-100-10 Leaky network, trained one epoch on 3000 MNIST
    images (CPU, fixed seeds), exported with snntorch.export_to_nir, imported with from_nir
    (integration="euler", dt = snnTorch's 0.1 ms), run on the first 1000 test images as one batch
    of trials with the very same Bernoulli spike trains: predictions (argmax of output spike
    counts) agree with snnTorch's own simulation on >= 99 % of the images."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("snntorch")
    from snntorch.export_nir import export_to_nir
    from neurosim.data import load_mnist, DataNotFoundError
    import nir_helpers as H
    try:
        d = load_mnist(download=False)
    except DataNotFoundError as e:
        pytest.skip(f"MNIST not available: {str(e).splitlines()[0]}")
    net = H.train(d.train_images[:H.N_TRAIN], d.train_labels[:H.N_TRAIN])
    g = export_to_nir(net, torch.zeros(1, 784), ignore_dims=[0])
    x = H.bernoulli_spikes(d.test_images[:1000])                        # (20, 1000, 784), one draw
    ref = H.run_snntorch(net, x)
    imported = from_nir(g, dt=0.1, integration="euler", batch=1000)
    imported.nir.run(x)
    counts = imported.nir.spike_counts()
    y = d.test_labels[:1000]
    agree = np.mean(counts.argmax(1) == ref.argmax(1))
    acc_snntorch, acc_neurosim = np.mean(ref.argmax(1) == y), np.mean(counts.argmax(1) == y)
    print(f"\nsnnTorch -> NIR -> neurosim, 1000 MNIST test images: prediction agreement {agree:.4f}, "
          f"identical spike counts {np.mean(np.all(counts == ref, axis=1)):.4f}, accuracy snnTorch "
          f"{acc_snntorch:.4f}, neurosim {acc_neurosim:.4f}, output spikes {ref.sum():.0f} / {counts.sum():.0f}")
    assert ref.sum() > 5000 and acc_snntorch > 0.6                        # a trained, active network
    assert agree >= 0.99
