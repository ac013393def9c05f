"""The Layout that build_state returns beside the arrays: built once, frozen, and consistent with
the network it was built from."""
import dataclasses

import numpy as np
import pytest

import neurosim as ns
from neurosim.state import arrays as A
from neurosim.state.build import Layout


def _net():
    net = ns.Network(dt=0.1, seed=5)
    cell = ns.LIFCond(i_bias=150.0)
    src = net.poisson("src", 30, rate=20.0)           # a source declared before the neurons
    exc = net.population("exc", 40, cell)
    gen = net.spike_generator("gen", 7, [1.0, 2.0], [0, 3])
    inh = net.population("inh", 10, cell)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.2), receptor="AMPA", weight=1.0, delay=0.5)
    net.connect(inh, exc, ns.fixed_probability(0.3), receptor="GABA_A", weight=2.0, delay=ns.Uniform(0.1, 2.0))
    net.connect(src, exc, ns.fixed_indegree(4), receptor="glutamate", weight=0.5, nmda_ratio=0.2)  # two blocks
    net.connect(gen, inh, ns.fixed_indegree(2), receptor="AMPA", weight=0.5,
                plasticity=ns.STDP(a_plus=0.01, a_minus=0.01, w_max=1.0))
    net.monitor(exc, "spikes")
    return net


def test_layout_is_frozen():
    net = _net()
    net.build()
    layout = net._sim.layout
    assert isinstance(layout, Layout) and dataclasses.is_dataclass(layout)
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.n_total = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.order = []          # no new attributes either


def test_layout_agrees_with_the_network():
    net = _net()
    net.build()
    layout = net._sim.layout
    # neuron populations first, then sources, each in the order the network declares them
    order = [p for p in net.populations if not p.is_source] + [p for p in net.populations if p.is_source]
    assert [p.name for p in order] == ["exc", "inh", "src", "gen"]
    starts = np.concatenate([[0], np.cumsum([p.n for p in order])])
    assert {p.index: int(s) for p, s in zip(order, starts)} == layout.pop_start
    assert layout.n_neurons == sum(p.n for p in net.populations if not p.is_source) == 50
    assert layout.n_total == sum(p.n for p in net.populations) == 87
    assert layout.pos == {p.index: k for k, p in enumerate(order)}

    assert sorted(layout.proj_blocks) == sorted(q.index for q in net.projections)
    for q in net.projections:
        blocks = layout.proj_blocks[q.index]
        assert len(blocks) == len(q.receptors)
        n_pre = len(net.connections(q)["pre"])
        assert n_pre > 0
        for (rec, _off, n_syn, _row, rp), (want, _) in zip(blocks, q.receptors):
            assert rec == want
            assert n_syn == n_pre == rp[-1] - rp[0] and rp.size == q.pre.n + 1
    plastic = [q for q in net.projections if q.plasticity is not None]
    assert layout.plastic_blocks == {plastic[0].index: 0}
    st = net._sim.backend.download()
    assert int(st.plast.pi[0, A.PI_BLK]) == layout.proj_blocks[plastic[0].index][0][3]
