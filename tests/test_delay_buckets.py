"""Delay buckets of plastic projections with non-uniform axonal delays (issue 17): each
presynaptic row's synapses grouped by delay (``Plasticity.dperm``/``dptr``), so an arriving spike
visits only the synapses of its delay.  Checked against a plain-numpy grouping of the built
synapse arrays; the memory report charges the buckets to their projection."""
import numpy as np

import neurosim as ns
from neurosim import memory
from neurosim.state import arrays as A


def _net():
    net = ns.Network(dt=0.1, seed=3)
    pre = net.poisson("pre", 50, 10.0)
    post = net.population("post", 30, ns.LIFCond())
    rule = ns.STDP(a_plus=0.01, a_minus=0.012, w_max=2.0)
    net.connect(pre, post, ns.fixed_probability(0.3), receptor=ns.AMPA(name="A1"), weight=1.0,
                delay=ns.Uniform(0.5, 2.0), plasticity=rule, name="spread")
    net.connect(pre, post, ns.fixed_probability(0.3), receptor=ns.AMPA(name="A2"), weight=1.0, delay=0.7,
                plasticity=rule, name="single")
    net.connect(post, post, ns.fixed_probability(0.2), receptor=ns.AMPA(name="A3"), weight=1.0,
                delay=ns.Uniform(0.1, 5.0), plasticity=ns.TripletSTDP.visual_cortex(w_max=2.0), name="rec")
    return net


def test_buckets_group_each_row_by_delay_in_ascending_synapse_order():
    net = _net()
    net.memory_report()                    # builds the state
    st = net._sim.state
    pl, syn = st.plast, st.syn
    n_bucketed = 0
    for q in range(pl.pi.shape[0]):
        row = pl.pi[q]
        off, n, n_pre = int(row[A.PI_SYN_OFF]), int(row[A.PI_N_SYN]), int(row[A.PI_N_PRE])
        dmin, dmax = int(row[A.PI_DMIN]), int(row[A.PI_DMAX])
        d = syn.delay[off:off + n].astype(np.int64)
        assert (dmin, dmax) == (d.min(), d.max())
        if dmin == dmax:
            assert row[A.PI_DPTR] == -1
            continue
        assert dmax - dmin >= 10
        rp = syn.row_ptr[syn.proj_rp_off[row[A.PI_BLK]]:][:n_pre + 1]
        stride = dmax - dmin + 2
        for i in range(n_pre):
            local = np.arange(rp[i], rp[i + 1])
            ptr = pl.dptr[row[A.PI_DPTR] + i * stride:][:stride]
            assert ptr[0] == n_bucketed + rp[i] and ptr[-1] == n_bucketed + rp[i + 1]
            for dd in range(dmin, dmax + 1):
                got = pl.dperm[ptr[dd - dmin]:ptr[dd - dmin + 1]]
                np.testing.assert_array_equal(got, local[d[local] == dd])
        n_bucketed += n
    assert pl.dperm.dtype == np.uint32 and pl.dperm.size == n_bucketed > 0
    assert pl.dptr.dtype == np.int32


def test_memory_report_charges_the_buckets_to_their_projection():
    net = _net()
    est = memory.estimate_bytes(net)       # before the build: the buckets are estimated too
    rep = net.memory_report()
    st = net._sim.state
    for q in net.projections:
        c = net.connections(q)
        n = len(c["pre"])
        steps = np.round(np.asarray(c["delay"]) / 0.1).astype(np.int64)
        # post uint16 + delay uint8 + weight float64, row pointers, transposed index (2 x int64)
        expect = 11 * n + 8 * (q.pre.n + 1) + 16 * n + 8 * (q.post.n + 1)
        if steps.min() != steps.max():
            expect += 4 * n + 4 * q.pre.n * (steps.max() - steps.min() + 2)
        assert rep["synapses"][q.name] == expect, q.name
    assert st.plast.dperm.nbytes + st.plast.dptr.nbytes > 0
    syn = sum(rep["synapses"].values())
    assert abs(est["synapse_bytes"] - syn) <= 0.02 * syn
