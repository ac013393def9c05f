"""Peak memory of long runs: spikes stream to the result file, so memory must not grow with the
run length.

Runs ``neurosim run models/coba.py --duration D --out DIR/coba_D.h5`` (the CLI exactly as a user
runs it: streamed HDF5 result, raster PNG of the first 1000 ms read back from the file, summary)
in a fresh subprocess for each duration, and measures

* peak RSS (MB): ``ru_maxrss`` of that child alone (``os.wait4``), so imports, Numba, h5py and
  matplotlib are included, as a user would see them;
* wall time (s) of the whole command, and the simulation loop's own ``wall_time`` from the file;
* spikes recorded (all populations) and the size of the result file (MB).

Requirement: the 100 s run (about 8 million spikes) peaks within 200 MB of the 1 s run.

Usage::

    python benchmarks/memory_long_run.py                          # 1 s and 100 s (a few CPU minutes)
    python benchmarks/memory_long_run.py --durations 1000 5000    # other durations (ms)

Prints a table and writes ``benchmarks/results/memory.json`` (``--json`` to change); exits 1
when the requirement is not met.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LIMIT_MB = 200.0


def measure(duration_ms: float, out_dir: str, model: str, extra=()) -> dict:
    out = os.path.join(out_dir, f"coba_{int(duration_ms)}.h5")
    cmd = [sys.executable, "-m", "neurosim.cli", "run", model, "--duration", f"{duration_ms:g}", "--out", out,
           *extra]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log_out, log_err = out[:-3] + ".stdout", out[:-3] + ".stderr"
    t0 = time.perf_counter()
    with open(log_out, "wb") as fo, open(log_err, "wb") as fe:
        proc = subprocess.Popen(cmd, cwd=out_dir, stdout=fo, stderr=fe, env=env)
        _, status, usage = os.wait4(proc.pid, 0)     # this child's own rusage (peak RSS)
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    with open(log_out, "rb") as fo, open(log_err, "rb") as fe:
        stdout, stderr = fo.read(), fe.read()
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}):\n{stderr.decode()[-3000:]}")
    from neurosim.io.hdf5 import describe_file
    d = describe_file(out)
    maxrss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return {"duration_ms": duration_ms, "spikes": int(sum(s["n_spikes"] for s in d["spikes"].values())),
            "peak_rss_mb": maxrss_kb / 1024.0, "wall_s": wall, "sim_wall_s": float(d["meta"].get("wall_time", 0.0)),
            "file_mb": os.path.getsize(out) / 1e6, "command": " ".join(["neurosim", *cmd[3:]]),
            "summary": stdout.decode().strip().splitlines()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--durations", type=float, nargs="+", default=[1000.0, 100000.0], help="ms (first = baseline)")
    ap.add_argument("--model", default=os.path.join(REPO, "models", "coba.py"))
    ap.add_argument("--json", default=os.path.join(HERE, "results", "memory.json"))
    ap.add_argument("--keep", default=None, help="directory to keep the result files in (default: a temporary one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, REPO)
    rows = []
    with tempfile.TemporaryDirectory(prefix="neurosim_mem_") as tmp:
        out_dir = args.keep or tmp
        os.makedirs(out_dir, exist_ok=True)
        for d in args.durations:
            print(f"running {os.path.basename(args.model)} for {d:g} ms ...", file=sys.stderr, flush=True)
            rows.append(measure(d, out_dir, args.model))
    print(f"{'duration (ms)':>14}{'spikes':>12}{'peak RSS (MB)':>15}{'wall (s)':>10}{'sim (s)':>10}{'file (MB)':>11}")
    for r in rows:
        print(f"{r['duration_ms']:>14.0f}{r['spikes']:>12d}{r['peak_rss_mb']:>15.1f}{r['wall_s']:>10.1f}"
              f"{r['sim_wall_s']:>10.1f}{r['file_mb']:>11.1f}")
    base = rows[0]["peak_rss_mb"]
    growth = max(r["peak_rss_mb"] for r in rows) - base
    ok = growth <= LIMIT_MB
    print(f"peak RSS growth over the {rows[0]['duration_ms']:g} ms run: {growth:+.1f} MB "
          f"(requirement <= {LIMIT_MB:g} MB): {'PASS' if ok else 'FAIL'}")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        from neurosim import __version__
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "growth_mb": growth, "limit_mb": LIMIT_MB, "pass": ok,
                       "meta": {"created": _dt.datetime.now(_dt.timezone.utc).isoformat(),
                                "neurosim_version": __version__, "python": platform.python_version(),
                                "machine": platform.machine(), "cpus": os.cpu_count(),
                                "model": os.path.relpath(args.model, REPO)}}, fh, indent=1)
        print(f"wrote {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
