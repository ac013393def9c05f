"""One thread against two, and against two MPI processes: wall time of the same run, repeated in
fresh processes (issue 16, items 4 and 5).

For each network and thread count, ``--runs`` fresh processes (``NUMBA_NUM_THREADS`` set before
Numba starts) build the network, run it once to warm the caches, then time ``--duration`` ms of
simulation.  Each process reports the wall time of the timed run and the fewest and most threads
its chunks ran on (``meta["threads_min"]``, ``meta["threads"]``): a run counts as fallen back
when the backend went to one thread for contention (``contended_chunks`` > 0: the slow-barrier
rule of kernels/cpu/sync.py, confirmed by the OS's run-queue wait in backends/contention.py).
``slow_chunks`` counts the chunks that long barrier waits ended early, whatever the OS said;
``threads_min = 1`` also counts a last chunk too short for threads (fewer than 20 steps left after
a chunk ended early).  Runs alternate between thread counts so that a
drift in the machine's load touches both alike.

With ``--mpi``, a third configuration runs the network partitioned across two MPI processes of
one thread each (``mpiexec -n 2``, sim/partition.py); those runs also report the time rank 0
spent in the spike exchange (``meta["mpi_exchange_time"]``, waiting for the other rank included).

Writes ``--json`` (default ``benchmarks/results/threads_scaling.json``) with every run and, per
network and thread count, the median, the min and max and the fallback count; prints the table.

Usage::

    python benchmarks/threads_scaling.py                          # COBA N=64000 and the microcircuit at scale 0.5
    python benchmarks/threads_scaling.py --nets coba64k --runs 10
    python benchmarks/threads_scaling.py --mpi --runs 5           # also 2 MPI processes x 1 thread
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neurosim.atomic import atomic_path  # noqa: E402

NETS = {
    # COBA with 64,000 neurons and 80 synapses per neuron (compare_brian2.py's COBA_64000)
    "coba64k": ("models/coba.py", {"n": 64000, "p": 0.00125}, 1000.0),
    # the Potjans & Diesmann microcircuit at half its size (in-degrees scaled alike)
    "potjans_0.5": ("models/potjans2014.py", {"scale": 0.5}, 200.0),
}

CHILD = r"""
import importlib.util, json, sys, time
from neurosim.parallel import is_root
path, params, duration = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
spec = importlib.util.spec_from_file_location("model", path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
t0 = time.perf_counter()
net = mod.build(seed=1, **params)
net.build()
build_s = time.perf_counter() - t0
net.run(20.0, progress=False)                 # warm-up: caches, first chunk
exchange0 = net.result().meta.get("mpi_exchange_time", 0.0)
t1 = time.perf_counter()
net.run(duration, progress=False)
wall = time.perf_counter() - t1
meta = net.result().meta
backend = net.simulation.backend
if is_root():
    print(json.dumps({"wall_s": wall, "build_s": build_s, "threads": meta["threads"],
                      "threads_min": meta["threads_min"], "processes": meta["mpi_processes"],
                      "exchange_s": meta.get("mpi_exchange_time", 0.0) - exchange0,
                      "slow_chunks": getattr(backend, "slow_chunks", 0),
                      "contended_chunks": getattr(backend, "contended_chunks", 0)}))
"""

#: the configurations: (label, threads per process, MPI processes)
CONFIGS = {"1 thread": (1, 1), "2 threads": (2, 1), "2 processes": (1, 2)}


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else "mpiexec"


def one_run(net: str, config: str) -> dict:
    path, params, duration = NETS[net]
    threads, processes = CONFIGS[config]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    cmd = ([_mpiexec(), "-n", str(processes)] if processes > 1 else []) + \
        [sys.executable, "-c", CHILD, str(ROOT / path), json.dumps(params), str(duration)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{net} with {config} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(net=net, config=config, threads_requested=threads, duration_ms=duration)
    return out


def summarise(runs: list) -> dict:
    table = {}
    for r in runs:
        table.setdefault(r["net"], {}).setdefault(r["config"], []).append(r)
    out = {}
    for net, by_c in table.items():
        out[net] = {}
        for c in CONFIGS:
            rs = by_c.get(c)
            if not rs:
                continue
            walls = [r["wall_s"] for r in rs]
            out[net][c] = {"runs": len(rs), "median_s": statistics.median(walls), "min_s": min(walls),
                           "max_s": max(walls), "fell_back": sum(1 for r in rs if r.get("contended_chunks", 0) > 0),
                           "fewer_threads_in_some_chunk": sum(1 for r in rs if r["threads_min"] < CONFIGS[c][0]),
                           "build_median_s": statistics.median(r["build_s"] for r in rs),
                           "exchange_median_s": statistics.median(r.get("exchange_s", 0.0) for r in rs)}
        for c in ("2 threads", "2 processes"):
            if "1 thread" in out[net] and c in out[net]:
                out[net][f"speedup_{c.replace(' ', '_')}"] = out[net]["1 thread"]["median_s"] / out[net][c]["median_s"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated subset of " + ",".join(NETS))
    ap.add_argument("--runs", type=int, default=10, help="fresh processes per network and thread count")
    ap.add_argument("--mpi", action="store_true", help="also run 2 MPI processes of one thread each")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "threads_scaling.json"))
    a = ap.parse_args(argv)
    nets = [n.strip() for n in a.nets.split(",") if n.strip()]
    for n in nets:
        if n not in NETS:
            ap.error(f"--nets: unknown network {n!r}; choose from {', '.join(NETS)}")
    if a.runs < 1:
        ap.error(f"--runs must be >= 1, got {a.runs}")
    configs = list(CONFIGS) if a.mpi else ["1 thread", "2 threads"]
    runs = []
    for net in nets:
        for k in range(a.runs):
            for config in (configs if k % 2 == 0 else configs[::-1]):
                r = one_run(net, config)
                runs.append(r)
                print(f"{net} run {k + 1}/{a.runs}, {config}: {r['wall_s']:.3f} s "
                      f"(threads {r['threads_min']}..{r['threads']}, exchange {r['exchange_s']:.3f} s, "
                      f"chunks ended by long waits {r['slow_chunks']}, of them oversubscribed "
                      f"{r['contended_chunks']})", flush=True)
    summary = summarise(runs)
    print(f"\n{'network':<14}{'configuration':>14}{'median s':>10}{'min s':>8}{'max s':>8}{'fell back':>10}"
          f"{'exchange s':>11}")
    for net, rows in summary.items():
        for c in configs:
            if c in rows:
                s = rows[c]
                print(f"{net:<14}{c:>14}{s['median_s']:>10.3f}{s['min_s']:>8.3f}{s['max_s']:>8.3f}"
                      f"{s['fell_back']:>6}/{s['runs']}{s['exchange_median_s']:>11.3f}")
        for c in ("2 threads", "2 processes"):
            key = f"speedup_{c.replace(' ', '_')}"
            if key in rows:
                print(f"{net:<14}  speed-up of {c}: {rows[key]:.2f} (median 1-thread time / median time)")
    out = Path(a.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(json.dumps({"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpu_count": os.cpu_count(),
                                         "nets": {n: {"model": NETS[n][0], "params": NETS[n][1],
                                                      "duration_ms": NETS[n][2]} for n in nets},
                                         "summary": summary, "runs": runs}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
