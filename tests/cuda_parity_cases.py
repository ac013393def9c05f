"""Small networks run on the CPU and the CUDA backend (under NUMBA_ENABLE_CUDASIM=1 when no GPU).

Run as a script: ``python tests/cuda_parity_cases.py OUT.npz`` writes, for each case, the spikes
and sampled state of both backends.  The environment decides simulator or native GPU.
"""
import sys

import numpy as np

import neurosim as ns


def case_cuba():
    net = ns.Network(dt=0.1, seed=21)
    cell = ns.LIFCurr(tau_m=20.0, c_m=200.0, v_rest=-45.0, v_th=-50.0, v_reset=-55.0, t_ref=2.0,
                      v_init=ns.Uniform(-52.0, -50.0))
    e = net.population("e", 32, cell)
    i = net.population("i", 8, cell)
    net.connect(e, [e, i], ns.fixed_probability(0.3), receptor=ns.ExpCurrent(5.0, name="ge"), weight=16.2)
    net.connect(i, [e, i], ns.fixed_probability(0.3), receptor=ns.ExpCurrent(10.0, name="gi"), weight=-90.0,
                delay=0.3)
    return net, [(e, "v")]


def case_coba_nmda():
    net = ns.Network(dt=0.1, seed=22)
    cell = ns.LIFCond(i_bias=150.0, v_init=ns.Uniform(-60.0, -52.0))
    e = net.population("e", 32, cell)
    i = net.population("i", 8, ns.LIFCond(i_bias=150.0, a=2.0, b=20.0, tau_w=50.0))
    gen = net.spike_generator("gen", 5, times=[1.0, 2.0, 3.3, 5.0, 7.5, 9.0], ids=[0, 1, 2, 3, 4, 0])
    net.connect(gen, e, ns.fixed_outdegree(10), receptor="glutamate", weight=4.0, nmda_ratio=0.5)
    net.connect(e, [e, i], ns.fixed_probability(0.2), receptor="glutamate", weight=1.5, nmda_ratio=0.2,
                delay=ns.Uniform(0.1, 1.0))
    net.connect(i, e, ns.fixed_probability(0.3), receptor="GABA_B", weight=2.0)
    net.connect(i, e, ns.fixed_probability(0.3), receptor=ns.GABA_A(), weight=5.0)
    return net, [(e, "v"), (e, "g_NMDA"), (i, "w_adapt")]


def case_batch_inputs():
    net = ns.Network(dt=0.1, seed=23, batch=4)
    src = net.poisson("src", 10, rate=np.linspace(20.0, 200.0, 40).reshape(4, 10))
    e = net.population("e", 20, ns.LIFCond(v_init=-55.0))
    net.connect(src, e, ns.fixed_indegree(4), receptor=ns.AMPA(tau_decay=3.0), weight=8.0)
    net.inject(e, ns.steps([2.0, 6.0], [[100.0] * 5, [0.0] * 5]), indices=range(5))
    net.poisson_drive(e, ns.AMPA(), 50, 30.0, 1.0)
    return net, [(e, "v"), (e, "i_ext")]


CASES = {"cuba": case_cuba, "coba_nmda": case_coba_nmda, "batch_inputs": case_batch_inputs}
DURATION = {"cuba": 15.0, "coba_nmda": 15.0, "batch_inputs": 10.0}


def run_case(name, backend):
    net, states = CASES[name]()
    pops = [p for p in net.populations if not p.is_source]
    sms = [net.monitor(p, "spikes") for p in pops]
    sts = [net.monitor(p, var) for p, var in states]
    net.run(DURATION[name], backend=backend)
    out = {}
    for p, m in zip(pops, sms):
        out[f"{p.name}_spikes"] = np.stack([m.trial, m.i, np.round(m.t / net.dt).astype(np.int64)])
    for (p, var), m in zip(states, sts):
        out[f"{p.name}_{var}"] = m.trace(var)
    return out


def main(path):
    data = {}
    for name in CASES:
        for backend in ("cpu", "cuda"):
            for k, v in run_case(name, backend).items():
                data[f"{name}/{backend}/{k}"] = v
    np.savez(path, **data)


if __name__ == "__main__":
    main(sys.argv[1])
