"""neurosim -> NIR -> neurosim: ``from_nir(to_nir(net), integration="exact")`` runs the same
dynamics as ``net`` (the exporter writes the inverse of the importer's exact mapping).

The imported network has other units inside (g_leak = 1 nS, so c_m and the pA weights are
rescaled) but the same membrane potentials in mV, the same refractoriness (carried in node
metadata) and the same delays, so its spikes and ``v`` must equal the original's.
"""
import numpy as np
import pytest

import neurosim as ns

nir = pytest.importorskip("nir")
from neurosim.nir import from_nir, to_nir  # noqa: E402

DT = 0.1
T = 400
TAU_M_A = np.array([10.0, 15.0, 20.0, 30.0])          # ms
C_M_A = np.array([150.0, 250.0, 200.0, 300.0])        # pF
PRE_A, POST_A = np.array([0, 1, 2, 0, 2, 1]), np.array([0, 1, 2, 3, 3, 0])
W_A = np.array([900.0, 1200.0, 700.0, 1500.0, 800.0, 600.0])     # pA
PRE_B, POST_B = np.array([0, 1, 2, 3, 1]), np.array([0, 0, 1, 1, 1])
W_B = np.array([6.0, 5.0, 8.0, 4.0, -3.0])                        # mV


def _input_spikes():
    rng = np.random.default_rng(3)
    return (rng.random((T, 3)) < 0.06).astype(np.int8)


def _original(spikes):
    net = ns.Network(dt=DT, seed=1)
    k, i = np.nonzero(spikes)
    src = net.spike_generator("src", 3, times=k * DT, ids=i)
    a = net.population("a", 4, ns.LIFCurr(tau_m=TAU_M_A, c_m=C_M_A, v_rest=-65.0, v_th=-55.0, v_reset=-70.0,
                                          t_ref=1.0, v_init=-65.0))
    b = net.population("b", 2, ns.LIFCurr(tau_m=20.0, c_m=250.0, v_rest=-60.0, v_th=-52.0, v_reset=-62.0,
                                          t_ref=0.5, v_init=-60.0))
    net.connect(src, a, ns.from_arrays(PRE_A, POST_A), receptor=ns.ExpCurrent(3.0, name="syn"), weight=W_A)
    net.connect(a, b, ns.from_arrays(PRE_B, POST_B), receptor=ns.Delta(), weight=W_B, delay=0.5)
    return net, a, b


def _traces(net, pops):
    mons = {p.name: (net.monitor(p, "v"), net.monitor(p, "spikes")) for p in pops}
    return mons


def test_export_then_import_gives_the_same_spikes_and_v():
    spikes = _input_spikes()
    net, a, b = _original(spikes)
    ma = _traces(net, [a, b])
    graph = to_nir(net, dt=DT)          # builds the network (monitors first)
    net.run((T + 10) * DT)

    back = from_nir(graph, DT, integration="exact")
    pops = {p.name: p for p in back.populations}
    assert {"a", "b"} <= set(pops)
    mb = _traces(back, [pops["a"], pops["b"]])
    back.nir.set_input(spikes)
    back.run((T + 10) * DT)

    for name in ("a", "b"):
        v0, s0 = ma[name]
        v1, s1 = mb[name]
        np.testing.assert_allclose(v1.trace("v"), v0.trace("v"), rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(s1.i, s0.i)
        np.testing.assert_array_equal(np.rint(s1.t / DT), np.rint(s0.t / DT))
    # a meaningful comparison: both layers fire, b after its refractory and delayed input
    assert len(ma["a"][1].i) > 10 and len(ma["b"][1].i) > 3
