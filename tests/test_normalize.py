"""``Projection.normalize(total)``: each postsynaptic neuron's incoming weights rescaled to sum to
``total`` (Diehl & Cook 2015), checked against numpy on the weight matrix -- between runs, per
trial, with clipping to a plastic rule's bounds, and every N ms during a run (``net.every``)."""
import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import SpecError


def _reference(W, total, w_max=None):
    """numpy: column j of the (n_pre, n_post) matrix W (NaN: no synapse) scaled to sum to total."""
    S = np.nansum(W, axis=0)
    f = np.where(S != 0, total / np.where(S != 0, S, 1.0), 1.0)
    out = W * f[None, :]
    return out if w_max is None else np.minimum(out, w_max)


def test_static_projection_between_runs():
    net = ns.Network(dt=0.1, seed=4)
    src = net.poisson("src", 30, rate=20.0)
    post = net.population("post", 7, ns.LIFCond())
    q = net.connect(src, post, ns.fixed_probability(0.4), receptor="AMPA", weight=ns.Uniform(0.1, 2.0))
    net.run(5.0)
    W = q.get("weight", format="array")
    assert np.isnan(W).any()                        # sparse: the NaN entries stay NaN
    q.normalize(12.5)
    got = q.get("weight", format="array")
    np.testing.assert_allclose(got, _reference(W, 12.5), rtol=1e-12)
    np.testing.assert_allclose(np.nansum(got, axis=0), 12.5, rtol=1e-12)


def test_zero_column_left_alone_and_glutamate_ratio_kept():
    net = ns.Network(dt=0.1, seed=1)
    src = net.spike_generator("src", 4, [1.0], [0])
    post = net.population("post", 3, ns.LIFCond())
    W = np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 2.0], [0.5, 0.0, 1.0], [0.5, 0.0, 1.0]])
    q = net.connect(src, post, ns.all_to_all(), receptor="glutamate", weight=W, nmda_ratio=0.25)
    q.normalize(2.0)                                # builds the network
    a = q.get("weight", format="array", receptor="AMPA")
    n = q.get("weight", format="array", receptor="NMDA")
    np.testing.assert_allclose(a, _reference(W, 2.0), rtol=1e-12)
    np.testing.assert_array_equal(a[:, 1], 0.0)      # sum 0: unchanged
    np.testing.assert_allclose(n, 0.25 * a, rtol=1e-12)


def test_plastic_per_trial_and_clipped():
    net = ns.Network(dt=0.1, seed=7, batch=2)
    src = net.poisson("src", 20, rate=np.stack([np.full(20, 40.0), np.full(20, 5.0)]))
    post = net.population("post", 5, ns.LIFCond(i_bias=250.0))
    rule = ns.STDP(a_plus=0.05, a_minus=0.04, w_max=3.0)
    q = net.connect(src, post, ns.all_to_all(), receptor="AMPA", weight=ns.Uniform(0.2, 1.0), plasticity=rule)
    net.run(100.0)
    before = np.asarray(net.connections(q)["weight"]["AMPA"])   # (batch, n_syn), sorted by pre then post
    assert before.shape[0] == 2 and not np.allclose(before[0], before[1])
    q.normalize(40.0)
    after = np.asarray(net.connections(q)["weight"]["AMPA"])
    for b in range(2):
        W = before[b].reshape(20, 5)
        want = _reference(W, 40.0, w_max=3.0)
        np.testing.assert_allclose(after[b].reshape(20, 5), want, rtol=1e-12)
    assert (after == 3.0).any()                     # some weights hit the bound


def test_every_n_ms_during_a_run():
    net = ns.Network(dt=0.1, seed=2)
    src = net.poisson("src", 40, rate=30.0)
    post = net.population("post", 6, ns.LIFCond(i_bias=200.0))
    rule = ns.STDP(a_plus=0.02, a_minus=0.021, w_max=1.0)
    q = net.connect(src, post, ns.all_to_all(), receptor="AMPA", weight=ns.Uniform(0.0, 0.5), plasticity=rule)
    seen = []

    def normalise(net):
        W = q.get("weight", format="array")
        q.normalize(6.0)
        seen.append((net.t, W, q.get("weight", format="array")))

    net.every(20.0, normalise)
    net.run(100.0)
    assert len(seen) >= 4
    for t, W, got in seen:
        np.testing.assert_allclose(got, _reference(W, 6.0, w_max=1.0), rtol=1e-12)
    # plasticity moved the weights between normalisations: the sums drifted from 6 in between
    assert any(not np.allclose(np.nansum(W, axis=0), 6.0) for _, W, _ in seen[1:])


@pytest.mark.parametrize("total", [0.0, -1.0, float("nan"), float("inf"), "78", [1.0, 2.0]])
def test_bad_total(total):
    net = ns.Network(dt=0.1)
    a = net.population("a", 2)
    q = net.connect(a, a, ns.all_to_all(), weight=1.0)
    with pytest.raises(SpecError, match="normalize: total"):
        q.normalize(total)
