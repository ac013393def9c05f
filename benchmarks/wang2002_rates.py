"""Wang (2002) decision network in neurosim and in Brian2, side by side: pool rates per seed.

Wang X.-J. (2002) "Probabilistic decision making by slow reverberation in cortical circuits",
Neuron 36:955-968.  neurosim runs ``models/wang2002.py`` on its defaults (N = 2000, saturating
NMDA, c = 51.2 %, stimulus 200-1200 ms); Brian2 runs the same equations and parameters
(``compare_brian2._brian2_wang``: NMDA gating per presynaptic neuron, ``(summed)`` into the
targets) with the cython target.  The two draw their own random inputs and initial values, so
they are compared statistically: for each seed the rates of the pools (e1, e2, non-selective,
inhibitory) over the end of the stimulus (900-1200 ms) and after it (1200-1500 ms, persistent
activity), then the means over seeds and their ratio.

Usage::

    python benchmarks/wang2002_rates.py --seeds 1,2,3 [--json out.json]

Brian2 takes ~35 s per seed on one core (its cython code is compiled on the first run).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_brian2 as cb  # noqa: E402

MODEL = cb._load_model("wang2002")
POOLS = ("e1", "e2", "ens", "inh")
WINDOWS = ((900.0, 1200.0), (1200.0, 1500.0))
DURATION = 1500.0


def neurosim_rates(seed):
    t0 = time.perf_counter()
    result = MODEL.build(seed=seed).run(DURATION, progress=False)
    wall = time.perf_counter() - t0
    return [MODEL.decision_rates(result, a, b) for a, b in WINDOWS], wall


def brian2_rates(seed):
    import brian2 as b2
    import numpy as np
    b2.prefs.codegen.target = "cython"
    b2.seed(seed)
    d = MODEL.DEFAULTS
    b2.defaultclock.dt = d["dt"] * b2.ms
    net, (mon_e, mon_i) = cb._brian2_wang(2000)
    t0 = time.perf_counter()
    net.run(DURATION * b2.ms)
    wall = time.perf_counter() - t0
    n_e = int(round(2000 * d["exc_fraction"]))
    n_sel = int(round(d["f"] * n_e))
    ranges = {"e1": (mon_e, 0, n_sel), "e2": (mon_e, n_sel, 2 * n_sel), "ens": (mon_e, 2 * n_sel, n_e),
              "inh": (mon_i, 0, 2000 - n_e)}
    out = []
    for a, b in WINDOWS:
        rates = {}
        for pool, (mon, lo, hi) in ranges.items():
            i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:] / b2.ms)
            k = np.count_nonzero((i >= lo) & (i < hi) & (t >= a) & (t < b))
            rates[pool] = float(k / ((hi - lo) * (b - a) * 1e-3))
        out.append(rates)
    return out, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    ap.add_argument("--json", default=None, metavar="PATH", help="write all rates as JSON")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = []
    for seed in seeds:
        for sim, fn in (("neurosim", neurosim_rates), ("brian2", brian2_rates)):
            rates, wall = fn(seed)
            rows.append({"simulator": sim, "seed": seed, "wall_s": wall,
                         "windows": [{"t0_ms": a, "t1_ms": b, "rates_hz": r} for (a, b), r in zip(WINDOWS, rates)]})
            print(f"{sim:<9} seed {seed}: " + " | ".join(
                f"{a:g}-{b:g} ms " + " ".join(f"{p} {r[p]:5.1f}" for p in POOLS) for (a, b), r in zip(WINDOWS, rates))
                + f"  ({wall:.1f} s)", flush=True)
    print("\nmeans over seeds (Hz), neurosim / Brian2:")
    summary = {}
    for w, (a, b) in enumerate(WINDOWS):
        for p in POOLS:
            m = {sim: statistics.mean(r["windows"][w]["rates_hz"][p] for r in rows if r["simulator"] == sim)
                 for sim in ("neurosim", "brian2")}
            summary[f"{p}_{a:g}_{b:g}"] = m
            print(f"  {p:<4} {a:g}-{b:g} ms: neurosim {m['neurosim']:6.2f}  Brian2 {m['brian2']:6.2f}  "
                  f"ratio {m['neurosim'] / m['brian2']:.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "means": summary, "seeds": seeds}, fh, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
