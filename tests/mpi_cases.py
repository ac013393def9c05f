"""Networks that tests/test_mpi.py runs once as one process and once under ``mpiexec -n K``:
``python tests/mpi_cases.py OUT.npz [CASE ...]``.  Rank 0 (or the single process) saves what each
run produced -- every spike, the final neuron and receptor state of every population, the state
monitors' traces, the weights -- so that the test can compare the runs array by array, bit for bit.

The cases cover what a partitioned run must get right: conductance-based cells with recurrent
delays (COBA), Poisson drive and current-based delta synapses (Brunel), the microcircuit's many
populations, fixed_total_number multapses and distributed delays (Potjans-Diesmann), saturating
NMDA with Poisson sources and a schedule (Wang), STDP on recurrent and input synapses, and
Tsodyks-Markram short-term plasticity with a state change between two runs."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))

import neurosim as ns  # noqa: E402
from neurosim.parallel import is_root  # noqa: E402


def coba():
    import coba as m
    net = m.build(seed=3, n=1000, record_v=8)
    results = [net.run(60.0), net.run(40.0)]
    net.reset()                  # built again from the description, in every process alike
    return net, results + [net.run(30.0)]


def brunel():
    import brunel2000 as m
    net = m.build(seed=4, n_e=800, c_e=80)
    # a state monitor: thread 0 then draws the Poisson drive in phase 1 (where the monitors sample
    # it), for the process's own neurons; without one each process draws it just before its update
    net.monitor("exc", "v", indices=[0, 300, 600, 799])
    return net, [net.run(80.0)]


def potjans():
    import potjans2014 as m
    net = m.build(seed=5, scale=0.03)
    return net, [net.run(100.0)]


def wang():
    import wang2002 as m
    net = m.build(seed=6, n=500, stim_on=20.0, stim_off=60.0)
    return net, [net.run(80.0)]


def stdp():
    net = ns.Network(dt=0.1, seed=7)
    inputs = net.poisson("inputs", 300, rate=20.0)
    exc = net.population("exc", 150, ns.LIFCond(v_th=-50.0))
    rule = ns.STDP(a_plus=0.02, a_minus=0.021, w_max=2.0)
    net.connect(inputs, exc, ns.fixed_probability(0.2), "AMPA", weight=1.0, delay=ns.Uniform(0.1, 3.0), plasticity=rule)
    net.connect(exc, exc, ns.fixed_probability(0.05), "AMPA", weight=0.5, delay=1.0, plasticity=rule)
    net.monitor(exc)
    net.monitor(exc, ["v", "g_AMPA"], indices=[0, 70, 149])
    return net, [net.run(100.0)]


def short_term():
    net = ns.Network(dt=0.1, seed=8)
    drive = net.poisson("drive", 200, rate=30.0)
    exc = net.population("exc", 300, ns.LIFCurr(v_th=-55.0, i_bias=330.0))
    net.connect(drive, exc, ns.fixed_indegree(20), ns.ExpCurrent(5.0, name="I"), weight=40.0, delay=1.0,
                short_term=ns.TsodyksMarkram(U=0.3, tau_rec=200.0, tau_facil=100.0))
    net.connect(exc, exc, ns.fixed_probability(0.1), ns.ExpCurrent(5.0, name="I"), weight=15.0, delay=ns.Uniform(0.5, 2.0),
                short_term=ns.TsodyksMarkram(U=0.5, tau_rec=300.0, states=3))
    net.monitor(exc)
    net.monitor(exc, ["v", "g_I"], indices=[3, 150, 299])
    first = net.run(50.0)
    exc.set(i_bias=380.0)
    return net, [first, net.run(50.0)]


def release():
    """Stochastic release after a projection kept in part: the draws are counted by the synapse's
    position in one process's layout."""
    net = ns.Network(dt=0.1, seed=9)
    drive = net.poisson("drive", 400, rate=25.0)
    exc = net.population("exc", 400, ns.LIFCond(v_th=-52.0))
    net.connect(drive, exc, ns.fixed_indegree(40), "AMPA", weight=2.0, delay=ns.Uniform(0.2, 2.0))
    net.connect(exc, exc, ns.fixed_probability(0.1), "AMPA", weight=3.0, delay=1.0, release_probability=0.4)
    net.monitor(exc)
    return net, [net.run(80.0)]


CASES = {"coba": coba, "brunel": brunel, "potjans": potjans, "wang": wang, "stdp": stdp, "short_term": short_term,
         "release": release}


def collect(name, net, results, out):
    """Everything the runs produced, as named arrays."""
    for r, res in enumerate(results):
        for pop, sp in res.spikes.items():
            out[f"{name}/{r}/spikes/{pop}/t"] = np.asarray(sp.times)
            out[f"{name}/{r}/spikes/{pop}/i"] = np.asarray(sp.node_ids)
        for key, tr in res.states.items():
            out[f"{name}/{r}/state/{key}"] = np.asarray(tr.values)
    for pop in net.populations:
        if not pop.is_source:
            out[f"{name}/final/{pop.name}/v"] = net.get(pop, "v")
            for rec in sorted({r.name for q in net.projections if q.post is pop for r, _ in q.receptors}):
                out[f"{name}/final/{pop.name}/g_{rec}"] = net.get(pop, f"g_{rec}")
    for proj in net.projections:
        conn = net.connections(proj)
        for key in ("pre", "post", "delay"):
            out[f"{name}/synapses/{proj.name}/{key}"] = np.asarray(conn[key])
        for receptor, w in conn["weight"].items():
            out[f"{name}/weights/{proj.name}/{receptor}"] = np.asarray(w)


def main(argv):
    path, names = argv[0], argv[1:] or list(CASES)
    out = {}
    for name in names:
        net, results = CASES[name]()
        collect(name, net, results, out)
    if is_root():
        np.savez(path, **out)


if __name__ == "__main__":
    main(sys.argv[1:])
