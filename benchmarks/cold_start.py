"""Cold and warm start of ``neurosim run``, timed as whole processes, beside Brian2's compile.

A new user's first command compiles neurosim's Numba kernels; every later run loads them from
the on-disk cache.  This script measures both, the way a user meets them: each run is a fresh
process ``neurosim run MODEL --duration MS`` (it writes the HDF5 result and the raster PNG),
the first with an empty Numba cache (a new temporary ``NUMBA_CACHE_DIR``), the second with the
cache the first one filled.  It reports wall time and CPU time (user + system) of each process,
so a busy machine shows up as wall > CPU.

``--compare-root DIR`` times another checkout of neurosim (e.g. an older commit, made with
``git worktree add DIR COMMIT``) in the same way in the same run, and prints the ratios.
``--brian2`` adds Brian2's cpp_standalone build of the same COBA network (code generation and
C++ compilation in a fresh project folder: its cold start) for comparison.
``--kernels`` adds, for the cold run, the compile time of every kernel (inclusive of the kernels
it calls, from Numba's ``numba:compile`` events) in one extra cold process.

    python benchmarks/cold_start.py [--model models/coba.py] [--duration 100] [--repeats 3]
                                    [--compare-root DIR] [--brian2] [--kernels]
                                    [--out docs/benchmarks/cold_start.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

KERNEL_PROFILE = r'''
import sys, time
from numba.core import event
rec = event.RecordingListener()
event.register("numba:compile", rec)
import importlib.util
spec = importlib.util.spec_from_file_location("model", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
net = mod.build(seed=1, **mod.DEFAULTS)
net.run(float(sys.argv[2]))
stack, rows = [], []
for ts, ev in rec.buffer:
    name = ev.data["dispatcher"].py_func.__qualname__
    if ev.is_start:
        stack.append((name, ts, len(rows)))
        rows.append(None)
    else:
        n, t0, i = stack.pop()
        rows[i] = (len(stack), n, ts - t0)
print("KERNELS", __import__("json").dumps(rows))
'''

BRIAN2_COBA = r'''
import os, sys, time
t0 = time.perf_counter()
from brian2 import *
set_device("cpp_standalone", directory=sys.argv[1])
prefs.devices.cpp_standalone.openmp_threads = 1
taum, taue, taui = 20*ms, 5*ms, 10*ms
Vt, Vr, El = -50*mV, -60*mV, -60*mV
eqs = """dv/dt = (gl*(El - v) + ge*(0*mV - v) + gi*(-80*mV - v) + 200*pA)/(200*pF) : volt (unless refractory)
dge/dt = -ge/taue : siemens
dgi/dt = -gi/taui : siemens
gl : siemens"""
P = NeuronGroup(4000, eqs, threshold="v > Vt", reset="v = Vr", refractory=5*ms, method="exponential_euler")
P.gl = 10*nS
P.v = "Vr + rand() * (Vt - Vr)"
Ce = Synapses(P[:3200], P, on_pre="ge += 6*nS"); Ce.connect(p=0.02)
Ci = Synapses(P[3200:], P, on_pre="gi += 67*nS"); Ci.connect(p=0.02)
M = SpikeMonitor(P)
defaultclock.dt = 0.1*ms
run(float(sys.argv[2])*ms)
print("BRIAN2", time.perf_counter() - t0, device._last_run_time)
'''


def _timed(cmd, env, cwd):
    """Run ``cmd``; returns (wall s, cpu s of the child, stdout, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, cpu, proc.stdout, proc.stderr


def _env(root, cache_dir):
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["MPLBACKEND"] = "Agg"
    return env


def time_root(root, model, duration, repeats):
    """Cold then warm run of ``neurosim run`` from checkout ``root``, ``repeats`` times."""
    runs = []
    for _ in range(repeats):
        cache = tempfile.mkdtemp(prefix="neurosim-cold-")
        work = tempfile.mkdtemp(prefix="neurosim-run-")
        try:
            env = _env(root, cache)
            cmd = [sys.executable, "-c", "import sys; from neurosim.cli import main; sys.exit(main())", "run",
                   os.path.join(root, model), "--duration", str(duration), "--out", os.path.join(work, "r.h5")]
            cold = _timed(cmd, env, work)
            warm = _timed(cmd, env, work)
            runs.append({"cold_wall_s": cold[0], "cold_cpu_s": cold[1], "warm_wall_s": warm[0],
                         "warm_cpu_s": warm[1], "cold_stderr": cold[3].strip().splitlines()[-3:]})
        finally:
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in ("cold_wall_s", "cold_cpu_s", "warm_wall_s", "warm_cpu_s")}
    return {"root": root, "runs": runs, "median": med}


def kernel_profile(root, model, duration):
    cache = tempfile.mkdtemp(prefix="neurosim-cold-")
    try:
        _, _, out, _ = _timed([sys.executable, "-c", KERNEL_PROFILE, os.path.join(root, model), str(duration)],
                              _env(root, cache), root)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    line = [ln for ln in out.splitlines() if ln.startswith("KERNELS ")][0]
    return [r for r in json.loads(line[len("KERNELS "):]) if r is not None]


def brian2_cold(duration):
    work = tempfile.mkdtemp(prefix="brian2-cold-")
    try:
        env = dict(os.environ)
        wall, cpu, out, _ = _timed([sys.executable, "-c", BRIAN2_COBA, os.path.join(work, "proj"), str(duration)],
                                   env, work)
        total, loop = [float(x) for x in [ln for ln in out.splitlines() if ln.startswith("BRIAN2")][0].split()[1:]]
        return {"process_wall_s": wall, "process_cpu_s": cpu, "build_and_run_s": total, "loop_s": loop}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/coba.py")
    ap.add_argument("--duration", type=float, default=100.0, help="simulated time (ms)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compare-root", default=None, help="another neurosim checkout to time the same way")
    ap.add_argument("--brian2", action="store_true", help="also time Brian2 cpp_standalone's cold build of COBA")
    ap.add_argument("--kernels", action="store_true", help="also list per-kernel compile times")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "cold_start.json"))
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.duration <= 0:
        ap.error(f"--duration must be > 0 ms, got {args.duration}")

    table = {"model": args.model, "duration_ms": args.duration, "repeats": args.repeats,
             "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
             "this": time_root(ROOT, args.model, args.duration, args.repeats)}
    if args.compare_root:
        table["compared"] = time_root(os.path.abspath(args.compare_root), args.model, args.duration, args.repeats)
    if args.brian2:
        table["brian2_cpp_standalone"] = brian2_cold(args.duration)
    if args.kernels:
        table["kernels_this"] = kernel_profile(ROOT, args.model, args.duration)
        if args.compare_root:
            table["kernels_compared"] = kernel_profile(os.path.abspath(args.compare_root), args.model, args.duration)

    print(f"{args.model}, --duration {args.duration:g} ms, median of {args.repeats} (wall / CPU seconds):")
    rows = [("this checkout", table["this"]["median"])]
    if "compared" in table:
        rows.append((f"compared ({args.compare_root})", table["compared"]["median"]))
    for name, m in rows:
        print(f"  {name:<40} cold {m['cold_wall_s']:6.2f} / {m['cold_cpu_s']:6.2f}   "
              f"warm {m['warm_wall_s']:5.2f} / {m['warm_cpu_s']:5.2f}")
    if "compared" in table:
        a, b = table["this"]["median"], table["compared"]["median"]
        print(f"  ratio this/compared: cold wall {a['cold_wall_s'] / b['cold_wall_s']:.2f}, "
              f"cold CPU {a['cold_cpu_s'] / b['cold_cpu_s']:.2f}, warm wall {a['warm_wall_s'] / b['warm_wall_s']:.2f}")
    if "brian2_cpp_standalone" in table:
        b = table["brian2_cpp_standalone"]
        print(f"  Brian2 cpp_standalone cold build+run: {b['process_wall_s']:.2f} s wall "
              f"({b['process_cpu_s']:.2f} s CPU); ratio neurosim cold / Brian2 cold: "
              f"{table['this']['median']['cold_wall_s'] / b['process_wall_s']:.2f}")
    for key in ("kernels_this", "kernels_compared"):
        if key in table:
            print(f"compile time per kernel ({key[8:]}; inclusive of the kernels it calls, s):")
            for depth, name, sec in table[key]:
                if depth < 3 and sec >= 0.05:
                    print(f"  {'  ' * depth}{sec:6.2f} {name}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(table, fh, indent=1)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
