"""The PyNN COBA benchmark (benchmarks/pynn_scripts/va_benchmark.py) through neurosim.pynn,
pyNN.nest and pyNN.brian2, and the same network in native neurosim; plus the per-run() overhead
of a small network in each.  Each measurement runs in its own process on this machine; one table
is printed and saved as JSON (``--json``, default docs/benchmarks/pynn_coba.json).

Times: build = setup + construction + laying the network out (``sim.run(0.0)`` / ``Network.build()``:
arrays, kernels loaded from the cache or compiled) (s), run = ``sim.run`` / ``Network.run`` (s), wall
clock.  Run it twice on a quiet machine: the first run may compile kernels.
Ratios: run time over native neurosim's and over NEST's; PyNN-layer overhead = neurosim.pynn run
time / native run time - 1.  A simulator that fails (not installed, or an error) gets its error
in the table instead of times.

Native neurosim: LIFCond c_m 200 pF, g_leak 10 nS (tau_m 20 ms), v_rest = v_reset -60 mV, v_th
-50 mV, AMPA (5 ms, 0 mV) 4 nS, GABA_A (10 ms, -80 mV) 51 nS, kick 100 nS, delay 0.2 ms; the same
numpy-drawn connections and initial v.  Conventions: neurosim stamps a spike at the start of its
step and NEST at the end (kick times - dt here), and neurosim's t_ref counts the spike step
(t_ref = 5 ms + dt matches NEST's 5 ms).

Per-run overhead: 10 IF_cond_exp cells all-to-all, ``run(1.0)`` x N_RUNS, each followed by
``Projection.get('weight', format='list')``; reported as ms per run() (native: ``Network.run(1.0)``).

Run: ``python benchmarks/pynn_coba.py [--duration 1000] [--seed 1] [--json PATH]``.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pynn_scripts import va_benchmark as va  # noqa: E402

SIMS = ("neurosim.pynn", "pyNN.nest", "pyNN.brian2", "native")
N_RUNS = 1000


def native_coba(seed: int, n_cells: int, duration: float) -> dict:
    """The COBA network of va_benchmark in native neurosim; rates (Hz) and build/run times (s)."""
    import neurosim as ns
    net_data = va.draw_network(seed, n_cells, duration)
    dt = va.DT
    t0 = time.perf_counter()
    net = ns.Network(dt=dt, seed=seed)
    n_exc = net_data["n_exc"]
    cell = dict(c_m=va.CELL["cm"] * 1000.0, g_leak=va.CELL["cm"] * 1000.0 / va.CELL["tau_m"], v_rest=-60.0,
                v_th=va.V_THRESH, v_reset=va.V_RESET, t_ref=va.CELL["tau_refrac"] + dt, i_bias=0.0)
    exc = net.population("exc", n_exc, ns.LIFCond(**cell, v_init=net_data["v_init"][:n_exc]))
    inh = net.population("inh", net_data["n_inh"], ns.LIFCond(**cell, v_init=net_data["v_init"][n_exc:]))
    ampa = ns.AMPA(tau_decay=va.CELL["tau_syn_E"], e_rev=0.0)
    gaba = ns.GABA_A(tau_decay=va.CELL["tau_syn_I"], e_rev=-80.0)
    trains = net_data["kick_trains"]
    times = np.concatenate([np.asarray(t) - dt for t in trains])
    ids = np.concatenate([np.full(len(t), i) for i, t in enumerate(trains)])
    kick = net.spike_generator("kick", va.KICK["n"], times, ids)
    for pre_pop, (pre, post), rec, w in ((exc, net_data["exc"], ampa, va.COBA["w_exc"] * 1000.0),
                                         (inh, net_data["inh"], gaba, va.COBA["w_inh"] * 1000.0),
                                         (kick, net_data["kick"], ampa, va.KICK["weight"] * 1000.0)):
        for post_pop, lo, hi in ((exc, 0, n_exc), (inh, n_exc, n_cells)):
            sel = (post >= lo) & (post < hi)
            net.connect(pre_pop, post_pop, ns.from_arrays(pre[sel], post[sel] - lo), receptor=rec,
                        weight=w, delay=va.DELAY)
    net.monitor(exc, "spikes")
    net.monitor(inh, "spikes")
    net.build()                    # arrays laid out, kernels loaded (or compiled): part of the build
    t1 = time.perf_counter()
    res = net.run(duration)
    t2 = time.perf_counter()
    n_spk = res.spikes["exc"].num_spikes + res.spikes["inh"].num_spikes
    return dict(rate=n_spk / n_cells / duration * 1000.0, build_s=t1 - t0, run_s=t2 - t1)


def pynn_coba(module: str, seed: int, n_cells: int, duration: float) -> dict:
    import importlib
    out = va.run(importlib.import_module(module), "COBA", seed, n_cells, duration)
    return dict(rate=out["rates"]["all"], build_s=out["meta"]["build_s"], run_s=out["meta"]["run_s"])


def run_overhead(module: str, n_runs: int = N_RUNS) -> dict:
    """ms per run(1.0) (+ a weight read for PyNN) on 10 IF_cond_exp cells, all-to-all."""
    if module == "native":
        import neurosim as ns
        net = ns.Network(dt=0.1, seed=1)
        pop = net.population("p", 10, ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0,
                                                 v_reset=-60.0, t_ref=5.1, i_bias=300.0))
        net.connect(pop, pop, ns.all_to_all(), receptor=ns.AMPA(tau_decay=5.0, e_rev=0.0), weight=1.0)
        net.run(1.0)
        t0 = time.perf_counter()
        for _ in range(n_runs):
            net.run(1.0)
        return dict(ms_per_run=(time.perf_counter() - t0) / n_runs * 1000.0)
    import importlib
    sim = importlib.import_module(module)
    sim.setup(timestep=0.1, min_delay=0.1)
    pop = sim.Population(10, sim.IF_cond_exp(i_offset=0.3))
    prj = sim.Projection(pop, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001, delay=0.1))
    sim.run(1.0)
    t0 = time.perf_counter()
    for _ in range(n_runs):
        sim.run(1.0)
        prj.get("weight", format="list")
    ms = (time.perf_counter() - t0) / n_runs * 1000.0
    sim.end()
    return dict(ms_per_run=ms)


def _worker(args) -> dict:
    if args.worker_task == "coba":
        if args.worker == "native":
            return native_coba(args.seed, args.n_cells, args.duration)
        return pynn_coba(args.worker, args.seed, args.n_cells, args.duration)
    return run_overhead(args.worker, args.n_runs)


def _in_process(sim: str, task: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", sim, "--worker-task", task, "--seed", str(args.seed),
           "--n-cells", str(args.n_cells), "--duration", str(args.duration), "--n-runs", str(args.n_runs)]
    env = dict(os.environ, PYNEST_QUIET="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return dict(error=f"exit {proc.returncode}: {tail[:200]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-cells", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--n-runs", type=int, default=N_RUNS, help="run(1.0) calls for the overhead")
    parser.add_argument("--sims", default=",".join(SIMS), help="comma-separated subset of " + ",".join(SIMS))
    parser.add_argument("--timeout", type=float, default=900.0, help="s per process")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(HERE), "docs", "benchmarks", "pynn_coba.json"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-task", choices=("coba", "overhead"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(_worker(args)), flush=True)
        return 0
    sims = [s for s in args.sims.split(",") if s]
    for s in sims:
        if s not in SIMS:
            raise SystemExit(f"--sims: {s!r} is not one of {SIMS}")
    rows = {}
    for s in sims:
        rows[s] = dict(coba=_in_process(s, "coba", args), overhead=_in_process(s, "overhead", args))
    base = {k: rows.get(k, {}).get("coba", {}).get("run_s") for k in ("native", "pyNN.nest")}
    print(f"COBA {args.n_cells} cells, {args.duration:g} ms, seed {args.seed}; per-run overhead: 10 cells, "
          f"{args.n_runs} x run(1.0)")
    print(f"{'simulator':14s} {'rate Hz':>8s} {'build s':>8s} {'run s':>8s} {'/native':>8s} {'/NEST':>8s} {'ms/run()':>9s}")
    for s, r in rows.items():
        c, o = r["coba"], r["overhead"]
        ov = f"{o['ms_per_run']:9.3f}" if "ms_per_run" in o else "    error"
        if "error" in c:
            print(f"{s:14s} error: {c['error']}  (overhead {ov.strip()})")
            continue
        for key, ref in (("vs_native", base["native"]), ("vs_nest", base["pyNN.nest"])):
            c[key] = c["run_s"] / ref if ref else None
        fmt = lambda x: f"{x:8.2f}" if x is not None else "       -"  # noqa: E731
        print(f"{s:14s} {c['rate']:8.2f} {c['build_s']:8.2f} {c['run_s']:8.2f} {fmt(c['vs_native'])} "
              f"{fmt(c['vs_nest'])} {ov}")
        if "error" in o:
            print(f"{'':14s} overhead error: {o['error']}")
    layer = None
    if base["native"] and "run_s" in rows.get("neurosim.pynn", {}).get("coba", {}):
        layer = rows["neurosim.pynn"]["coba"]["run_s"] / base["native"] - 1.0
        print(f"PyNN-layer overhead (neurosim.pynn run / native run - 1): {layer * 100:+.1f} %")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump(dict(seed=args.seed, n_cells=args.n_cells, duration_ms=args.duration, n_runs=args.n_runs,
                       results=rows, pynn_layer_overhead=layer), fh, indent=1)
    print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
