"""Fingerprints of every model script's spikes and final state, for checking that a refactor
changes nothing, bit for bit.

Each script in ``models/`` (except the MNIST bridge, which needs its data and training) is built
with a fixed seed and a reduced size where it has an ``n`` parameter, run for at most 300 ms with
1 and with 2 threads, and reduced to SHA-256 prefixes of: every population's spike ids, times and
trials; every neuron population's final ``v`` (``Network.get``); every projection's final weights
(``Network.connections``).  Record the table before a change, again after it, and compare::

    python benchmarks/model_hashes.py --out before.json
    ... change the code ...
    python benchmarks/model_hashes.py --out after.json --compare before.json    # exit 1 on a difference
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SKIP = {"mnist_bridge"}
SMALL = {"coba": {"n": 1000}, "cuba": {"n": 1000}}
MAX_MS = 300.0


def _h(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def fingerprint(path: str, seed: int, threads: int) -> dict:
    import numba
    spec = importlib.util.spec_from_file_location("model_" + os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    params = dict(mod.DEFAULTS)
    params.update(SMALL.get(os.path.basename(path)[:-3], {}))
    numba.set_num_threads(threads)
    net = mod.build(seed=seed, **params)
    res = net.run(min(float(mod.DURATION), MAX_MS), progress=False)
    out = {}
    for pop, sp in sorted(res.spikes.items()):
        out["spikes/" + pop] = _h(sp.node_ids) + _h(sp.times) + _h(sp.trials)
    for pop in net.populations:
        if not pop.is_source:
            out["v/" + pop.name] = _h(net.get(pop, "v"))
    for proj in net.projections:
        conn = net.connections(proj)
        w = conn["weight"]
        out["w/" + proj.name] = _h(np.concatenate([np.ravel(np.asarray(w[k])) for k in sorted(w)])
                                   if isinstance(w, dict) else np.asarray(w))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default=None, help="JSON file for the table")
    ap.add_argument("--compare", default=None, help="an earlier table: report differences, exit 1 if any")
    args = ap.parse_args(argv)
    table = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*.py"))):
        name = os.path.basename(path)[:-3]
        if name in SKIP:
            continue
        for threads in (1, 2):
            table[f"{name}/threads={threads}"] = fingerprint(path, args.seed, threads)
            print(f"{name} threads={threads}: {len(table[f'{name}/threads={threads}'])} fingerprints", flush=True)
    differ = [name for name in sorted({k.split("/")[0] for k in table})
              if table[f"{name}/threads=1"] != table[f"{name}/threads=2"]]
    print("1 vs 2 threads: " + ("identical for every model" if not differ else "DIFFERENT for " + ", ".join(differ)))
    if args.out:
        with open(args.out + ".tmp", "w") as fh:
            json.dump(table, fh, indent=1, sort_keys=True)
        os.replace(args.out + ".tmp", args.out)
    if args.compare:
        with open(args.compare) as fh:
            old = json.load(fh)
        diffs = [f"{run}: {key}" for run in sorted(set(old) | set(table))
                 for key in sorted(set(old.get(run, {})) | set(table.get(run, {})))
                 if old.get(run, {}).get(key) != table.get(run, {}).get(key)]
        print("identical" if not diffs else "DIFFERENT:\n  " + "\n  ".join(diffs))
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
