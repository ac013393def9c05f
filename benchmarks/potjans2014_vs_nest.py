"""The Potjans & Diesmann (2014) microcircuit in neurosim (models/potjans2014.py) and in NEST 3.10,
side by side: mean rate of every population per seed, and the build and simulation times.

    python benchmarks/potjans2014_vs_nest.py --scale 0.1 --seeds 1 2 3 --t-sim 1000 [--simulator both]

NEST builds the same network from the same derived numbers (``potjans2014.derived``: neuron
numbers, synapse totals, weights, external in-degrees, DC currents) with its own API, as its
``Potjans_2014`` example does (``iaf_psc_exp``, ``fixed_total_number`` without autapses,
``nest.math.redraw`` of normal weights and delays, one ``poisson_generator`` per population at
8 Hz x K_ext onto every neuron with the 1.5 ms delay, 1 thread, ``rng_seed`` = seed), each seed in
a fresh process (NEST after Numba's OpenMP layer may crash, benchmarks/brunel_vs_nest.py).  Rates
count the spikes in [t_cut, t_sim) of every neuron of a population.  The two simulators draw their
own connectivity, so they are compared statistically (mean over seeds).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import potjans2014 as P  # noqa: E402


def nest_rates(seed: int, scale: float, t_sim: float, t_cut: float, dt: float = 0.1) -> dict:
    import nest
    p = P.derived(scale)
    nest.ResetKernel()
    nest.set(resolution=dt, rng_seed=seed, local_num_threads=1, print_time=False)
    t0 = time.perf_counter()
    pops = []
    for i in range(8):
        pop = nest.Create("iaf_psc_exp", int(p["n"][i]))
        pop.set(C_m=P.C_M, tau_m=P.TAU_M, tau_syn_ex=P.TAU_SYN, tau_syn_in=P.TAU_SYN, E_L=P.E_L, V_th=P.V_TH,
                V_reset=P.E_L, t_ref=P.T_REF, I_e=float(p["dc"][i]))
        pop.set(V_m=nest.random.normal(float(P.V0_MEAN[i]), float(P.V0_STD[i])))
        pops.append(pop)
    for i, post in enumerate(pops):
        for j, pre in enumerate(pops):
            k = int(p["k"][i, j])
            if k <= 0:
                continue
            mu = float(p["w"][i, j])
            lo, hi = (0.0, float("inf")) if mu > 0 else (float("-inf"), 0.0)
            d = 1.5 if j % 2 == 0 else 0.75
            nest.Connect(pre, post, {"rule": "fixed_total_number", "N": k, "allow_autapses": False,
                                     "allow_multapses": True},
                         {"synapse_model": "static_synapse",
                          "weight": nest.math.redraw(nest.random.normal(mu, abs(mu) * 0.1), min=lo, max=hi),
                          "delay": nest.math.redraw(nest.random.normal(d, d * 0.5), min=dt, max=float("inf"))})
    gens = nest.Create("poisson_generator", 8)
    gens.rate = [8.0 * float(k) for k in p["k_ext"]]
    recs = nest.Create("spike_recorder", 8)
    for i, pop in enumerate(pops):
        nest.Connect(gens[i], pop, "all_to_all", {"weight": float(p["w_ext"]), "delay": 1.5})
        nest.Connect(pop, recs[i])
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Simulate(t_sim)
    sim = time.perf_counter() - t1
    rates = []
    for i, pop in enumerate(pops):
        t = np.asarray(recs[i].get("events")["times"])
        rates.append(float(np.sum(t >= t_cut)) / len(pop) / ((t_sim - t_cut) / 1000.0))
    return {"rates": rates, "build_s": build, "sim_s": sim}


def neurosim_rates(seed: int, scale: float, t_sim: float, t_cut: float) -> dict:
    t0 = time.perf_counter()
    net = P.build(seed=seed, scale=scale)
    net.build()
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = net.run(t_sim, progress=False)
    sim = time.perf_counter() - t1
    rates = []
    for name in P.POPS:
        t = np.asarray(res.spikes[name].times)
        rates.append(float(np.sum(t >= t_cut)) / res.spikes[name].n / ((t_sim - t_cut) / 1000.0))
    return {"rates": rates, "build_s": build, "sim_s": sim}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--t-sim", type=float, default=1000.0, help="ms")
    ap.add_argument("--t-cut", type=float, default=200.0, help="ms: spikes before are not counted")
    ap.add_argument("--simulator", choices=["both", "nest", "neurosim"], default="both")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)   # a single NEST run in this process
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(nest_rates(a.seeds[0], a.scale, a.t_sim, a.t_cut)))
        return 0
    out = {"nest": [], "neurosim": []}
    for seed in a.seeds:
        if a.simulator in ("both", "nest"):
            r = subprocess.run([sys.executable, __file__, "--one", "--seeds", str(seed), "--scale", str(a.scale),
                                "--t-sim", str(a.t_sim), "--t-cut", str(a.t_cut)], capture_output=True, text=True)
            out["nest"].append(json.loads(r.stdout.strip().splitlines()[-1]))
        if a.simulator in ("both", "neurosim"):
            out["neurosim"].append(neurosim_rates(seed, a.scale, a.t_sim, a.t_cut))
    print(f"scale {a.scale}, {a.t_sim:g} ms (rates after {a.t_cut:g} ms), seeds {a.seeds}")
    print("pop    " + "  ".join(f"{s:>16}" for s in out if out[s]) + "  reference (full scale)")
    for i, name in enumerate(P.POPS):
        cells = []
        for s in out:
            if out[s]:
                r = np.array([x["rates"][i] for x in out[s]])
                cells.append(f"{r.mean():8.3f} +- {r.std(ddof=1) / np.sqrt(r.size) if r.size > 1 else 0:5.3f}")
        print(f"{name:6} " + "  ".join(f"{c:>16}" for c in cells) + f"  {P.REFERENCE_RATES[i]:8.3f}")
    for s in out:
        if out[s]:
            print(f"{s}: build {np.mean([x['build_s'] for x in out[s]]):.2f} s, "
                  f"simulate {np.mean([x['sim_s'] for x in out[s]]):.2f} s (mean per seed)")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
