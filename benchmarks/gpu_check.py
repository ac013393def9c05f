"""One prepared check for a GPU machine (GPU time is scarce: it finishes in under 8 minutes and
prints its summary table last).

1. native parity: the small CPU-vs-CUDA networks of tests/cuda_parity_cases.py, run on the GPU
   (spikes equal, state within 1e-6);
2. COBA (Brette et al. 2007) with a fixed in-degree of 80 at N = 4k, 64k, 256k and 1M:
   GPU wall time per biological second, and the CPU backend on 2 threads where affordable;
3. the STDP case of benchmarks/stdp_case.py (10,000 neurons, plastic synapses), CPU vs GPU;
4. the MNIST 10,000-image SNN evaluation of the bridge on the GPU (and a CPU subset).

Usage (on the device machine)::

    python benchmarks/gpu_check.py --json $OUT/gpu_check.json

Each part is timed and guarded: a failing part is reported in the table with its error and the
remaining parts still run.  Record the card (printed first) with the numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, HERE)


def card_name() -> str:
    try:
        from numba import cuda
        return cuda.get_current_device().name.decode() if isinstance(cuda.get_current_device().name, bytes) \
            else str(cuda.get_current_device().name)
    except Exception as exc:  # pragma: no cover - device dependent
        return f"unknown ({exc})"


def part_parity(rows):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "gpu.npz")
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "cuda_parity_cases.py"), out], env=env,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        data = dict(np.load(out))
    worst_v, spikes_equal, n_spikes = 0.0, True, 0
    for key in data:
        name, backend, var = key.split("/", 2)
        if backend != "cpu":
            continue
        cpu, gpu = data[key], data[f"{name}/cuda/{var}"]
        if var.endswith("_spikes"):
            spikes_equal &= bool(cpu.shape == gpu.shape and np.array_equal(cpu, gpu))
            n_spikes += cpu.shape[1]
        else:
            worst_v = max(worst_v, float(np.max(np.abs(cpu - gpu))) if cpu.size else 0.0)
    rows.append({"part": "parity", "case": "cuda_parity_cases", "ok": spikes_equal and worst_v < 1e-6,
                 "detail": f"spikes equal={spikes_equal} ({n_spikes}), max |dv|={worst_v:.2e}",
                 "wall_s": time.perf_counter() - t0})


def _coba_run(n, duration, backend):
    import coba
    net = coba.build(seed=1, n=n, k_in=80)
    res = net.run(duration, backend=backend, progress=False)
    spikes = sum(st.times.size for st in res.spikes.values())
    return res.meta["wall_time"], spikes / (n * duration * 1e-3), res.meta["build_time"]


CPU_SNIPPET = """
import sys, json; sys.path.insert(0, {models!r})
import coba
net = coba.build(seed=1, n=400, k_in=80); net.run(5.0, progress=False)
net = coba.build(seed=1, n={n}, k_in=80)
res = net.run({duration}, progress=False)
print(json.dumps([res.meta["wall_time"], res.meta["threads"]]))
"""


def part_coba(rows, sizes, cpu_max_n, duration):
    import coba
    coba.build(seed=1, n=400, k_in=80).run(1.0, backend="cuda", progress=False)  # compile
    for n in sizes:
        t0 = time.perf_counter()
        wall, rate, build = _coba_run(n, duration, "cuda")
        row = {"part": "coba", "case": f"COBA N={n} k=80", "gpu_s_per_bio_s": wall / (duration * 1e-3),
               "rate_hz": rate, "build_s": build, "ok": True}
        if n <= cpu_max_n:
            cpu_dur = duration if n <= 4000 else duration / 5
            env = dict(os.environ, NUMBA_NUM_THREADS="2")
            proc = subprocess.run([sys.executable, "-c", CPU_SNIPPET.format(models=os.path.join(ROOT, "models"),
                                                                            n=n, duration=cpu_dur)],
                                  env=env, capture_output=True, text=True, timeout=300)
            if proc.returncode == 0:
                cpu_wall, threads = json.loads(proc.stdout.strip().splitlines()[-1])
                row["cpu2_s_per_bio_s"] = cpu_wall / (cpu_dur * 1e-3)
                row["speedup"] = row["cpu2_s_per_bio_s"] / row["gpu_s_per_bio_s"]
            else:
                row["detail"] = "cpu run failed: " + proc.stderr[-300:]
        row["faster_than_real_time"] = row["gpu_s_per_bio_s"] < 1.0
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)


STDP_SNIPPET = """
import sys, json; sys.path.insert(0, {here!r})
import stdp_case
out = stdp_case.run_neurosim(duration={duration}, backend="cpu", n={n}, n_in={n})
print(json.dumps(out["time_s"]))
"""


def part_stdp(rows, n, duration):
    import stdp_case
    t0 = time.perf_counter()
    gpu = stdp_case.run_neurosim(duration=duration, backend="cuda", n=n, n_in=n)
    row = {"part": "stdp", "case": f"STDP {n} neurons, {gpu.get('synapses', 0)} synapses", "ok": True,
           "gpu_s_per_bio_s": gpu["time_s"] / (duration * 1e-3), "rate_hz": gpu.get("rate_hz")}
    env = dict(os.environ, NUMBA_NUM_THREADS="2")
    proc = subprocess.run([sys.executable, "-c", STDP_SNIPPET.format(here=HERE, duration=duration, n=n)], env=env,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode == 0:
        row["cpu2_s_per_bio_s"] = json.loads(proc.stdout.strip().splitlines()[-1]) / (duration * 1e-3)
        row["speedup"] = row["cpu2_s_per_bio_s"] / row["gpu_s_per_bio_s"]
    else:
        row["detail"] = "cpu run failed: " + proc.stderr[-300:]
    row["wall_s"] = time.perf_counter() - t0
    rows.append(row)


def part_mnist(rows, n_images):
    """The bridge's rate model (loaded from benchmarks/results/cache/rate_model.npz when it was
    carried along, else trained for 2 epochs here) evaluated on the GPU."""
    from neurosim.data import load_mnist
    from neurosim.bridge.model import RateModel, train_rate_model
    from neurosim.bridge.evaluate import evaluate
    import mnist_snn_vs_mlp as mb
    t0 = time.perf_counter()
    data = load_mnist(download=False)
    cached = os.path.join(HERE, "results", "cache", "rate_model.npz")
    if os.path.exists(cached):
        model, trained = RateModel.load(cached), "cached (20 epochs)"
    else:
        model, _ = train_rate_model(data, seed=0, **dict(mb.RATE_HP, epochs=2))
        trained = "trained here (2 epochs)"
    imgs, labels = data.test_images[:n_images], data.test_labels[:n_images]
    for encoding in ("poisson", "current"):
        ev = evaluate(model, imgs, labels, encoding=encoding, duration=mb.SIM["duration"], dt=mb.SIM["dt"],
                      input_rate=mb.SIM["input_rate"], tau_syn=mb.SIM["tau_syn"], batch_size=min(n_images, 10000),
                      backend="cuda")
        rows.append({"part": "mnist", "case": f"MNIST SNN {encoding}, {n_images} images, {trained}", "ok": True,
                     "accuracy": float(ev.accuracy[-1]), "gpu_eval_s": float(ev.sim_time),
                     "detail": f"wall {ev.wall_time:.1f} s; target < 30 s: {ev.sim_time < 30.0}",
                     "wall_s": time.perf_counter() - t0})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=os.path.join(HERE, "results", "gpu_check.json"))
    ap.add_argument("--sizes", default="4000,64000,256000,1000000")
    ap.add_argument("--cpu-max-n", type=int, default=64000)
    ap.add_argument("--coba-duration", type=float, default=1000.0, help="ms of biological time per COBA run")
    ap.add_argument("--stdp-n", type=int, default=10000, help="neurons (and inputs) of the STDP case")
    ap.add_argument("--stdp-duration", type=float, default=1000.0)
    ap.add_argument("--mnist-images", type=int, default=10000)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: parity,coba,stdp,mnist")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    card = card_name()
    print(f"device: {card}", flush=True)
    rows, t_start = [], time.perf_counter()
    parts = [("parity", lambda: part_parity(rows)),
             ("coba", lambda: part_coba(rows, [int(s) for s in args.sizes.split(",")], args.cpu_max_n,
                                        args.coba_duration)),
             ("stdp", lambda: part_stdp(rows, args.stdp_n, args.stdp_duration)),
             ("mnist", lambda: part_mnist(rows, args.mnist_images))]
    for name, fn in parts:
        if name in skip:
            continue
        print(f"--- {name}", flush=True)
        try:
            fn()
        except Exception as exc:  # keep going: GPU time is scarce
            traceback.print_exc()
            rows.append({"part": name, "case": "-", "ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]})
    total = time.perf_counter() - t_start
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json + ".tmp", "w") as fh:
        json.dump({"device": card, "total_s": total, "rows": rows}, fh, indent=1, default=float)
    os.replace(args.json + ".tmp", args.json)
    cols = ["part", "case", "ok", "gpu_s_per_bio_s", "cpu2_s_per_bio_s", "speedup", "rate_hz", "accuracy",
            "gpu_eval_s", "detail"]
    print(f"\nsummary on {card} (total {total:.0f} s)")
    print(" | ".join(cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
        print(" | ".join(cells))
    return 0 if all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
