"""The Potjans & Diesmann (2014) microcircuit in neurosim (models/potjans2014.py) and in NEST 3.10,
side by side: mean rate of every population per seed, and the build and simulation times.

    python benchmarks/potjans2014_vs_nest.py --scale 0.1 --seeds 1 2 3 --t-sim 1000 [--simulator both]
    python benchmarks/potjans2014_vs_nest.py --scale 1 --seeds 1 --t-sim 1000 --threads 2 --json out.json

NEST builds the same network from the same derived numbers (``potjans2014.derived``: neuron
numbers, synapse totals, weights, external in-degrees, DC currents) with its own API, as its
``Potjans_2014`` example does (``iaf_psc_exp``, ``fixed_total_number`` without autapses,
``nest.math.redraw`` of normal weights and delays, one ``poisson_generator`` per population at
8 Hz x K_ext onto every neuron with the 1.5 ms delay, ``--threads`` threads, ``rng_seed`` = seed).
Every run of either simulator is a fresh process (NEST after Numba's OpenMP layer may crash,
benchmarks/brunel_vs_nest.py), which reports its own build time (network description to ready to
simulate, connectivity included), simulation time, real-time factor (wall s per biological s) and
peak resident memory (``ru_maxrss``).  Rates count the spikes in [t_cut, t_sim) of every neuron of a
population.  The two simulators draw their own connectivity, so they are compared statistically
(mean over seeds).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import potjans2014 as P  # noqa: E402


def _peak_rss_gb() -> float:
    """This process's peak resident memory so far (GB; ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def nest_rates(seed: int, scale: float, t_sim: float, t_cut: float, threads: int = 1, dt: float = 0.1) -> dict:
    import nest
    p = P.derived(scale)
    nest.ResetKernel()
    nest.set(resolution=dt, rng_seed=seed, local_num_threads=threads, print_time=False)
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
    nest.Prepare()     # NEST finishes its connection infrastructure here: counted in the build
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Run(t_sim)
    sim = time.perf_counter() - t1
    nest.Cleanup()
    rates = []
    for i, pop in enumerate(pops):
        t = np.asarray(recs[i].get("events")["times"])
        rates.append(float(np.sum(t >= t_cut)) / len(pop) / ((t_sim - t_cut) / 1000.0))
    return {"rates": rates, "build_s": build, "sim_s": sim, "n_synapses": int(nest.num_connections) - 2 * int(np.sum(p["n"])),   # less generator, recorder links
            "threads": threads}


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
    return {"rates": rates, "build_s": build, "sim_s": sim, "n_synapses": int(net.memory_report()["n_synapses"]),
            "threads": int(res.meta["threads"])}


def one_run(simulator: str, seed: int, scale: float, t_sim: float, t_cut: float, threads: int) -> dict:
    """One simulator, one seed, in a fresh process; adds its peak memory and real-time factor."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    r = subprocess.run([sys.executable, __file__, "--one", simulator, "--seeds", str(seed), "--scale", str(scale),
                        "--t-sim", str(t_sim), "--t-cut", str(t_cut), "--threads", str(threads)],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{simulator} run failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["rtf"] = out["sim_s"] / (t_sim / 1000.0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--t-sim", type=float, default=1000.0, help="ms")
    ap.add_argument("--t-cut", type=float, default=200.0, help="ms: spikes before are not counted")
    ap.add_argument("--simulator", choices=["both", "nest", "neurosim"], default="both")
    ap.add_argument("--threads", type=int, default=1, help="threads of each simulator (NEST local_num_threads, "
                    "NUMBA_NUM_THREADS)")
    ap.add_argument("--nest-threads", type=int, help="NEST's threads when they differ from --threads: NEST 3.10 "
                    "holds at most 134,217,726 synapses per thread and synapse model, so the full scale (3e8) needs "
                    "3 or more (set OMP_WAIT_POLICY=passive when they outnumber the cores)")
    ap.add_argument("--json", help="save the runs and the table's numbers here")
    ap.add_argument("--one", choices=["nest", "neurosim"], help=argparse.SUPPRESS)   # one run in this process
    a = ap.parse_args(argv)
    if a.one:
        run = nest_rates if a.one == "nest" else neurosim_rates
        kwargs = {"threads": a.threads} if a.one == "nest" else {}
        res = run(a.seeds[0], a.scale, a.t_sim, a.t_cut, **kwargs)
        res["peak_rss_gb"] = _peak_rss_gb()
        print(json.dumps(res))
        return 0
    out = {"nest": [], "neurosim": []}
    for seed in a.seeds:
        for sim in ("nest", "neurosim"):
            if a.simulator in ("both", sim):
                threads = a.nest_threads if sim == "nest" and a.nest_threads else a.threads
                out[sim].append(one_run(sim, seed, a.scale, a.t_sim, a.t_cut, threads))
                print(sim, seed, json.dumps(out[sim][-1]), flush=True)
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
                  f"simulate {np.mean([x['sim_s'] for x in out[s]]):.2f} s "
                  f"(real-time factor {np.mean([x['rtf'] for x in out[s]]):.1f}), "
                  f"peak RSS {np.max([x['peak_rss_gb'] for x in out[s]]):.2f} GB, "
                  f"{out[s][0]['n_synapses']:.4g} synapses, {out[s][0]['threads']} thread(s) (mean per seed)")
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump({"scale": a.scale, "t_sim_ms": a.t_sim, "t_cut_ms": a.t_cut, "seeds": a.seeds,
                       "threads": a.threads, "nest_threads": a.nest_threads or a.threads, "reference_rates_hz": list(map(float, P.REFERENCE_RATES)),
                       "populations": list(P.POPS), "runs": out}, f, indent=1)
        os.replace(a.json + ".tmp", a.json)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
