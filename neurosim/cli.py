"""Command line: ``neurosim run MODEL.py [--duration MS --seed N --backend cpu --out FILE --set k=v]``.

Every model script in ``models/`` defines ``DEFAULTS`` (dict of parameters), ``DURATION`` (ms)
and ``build(seed=..., **params) -> Network``; ``python models/X.py`` calls :func:`script_main`.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import sys

from .errors import NeurosimError


def load_model(path: str):
    """Import a model script by path and check it has the common shape."""
    if not os.path.isfile(path):
        raise NeurosimError(f"model script not found: {path}")
    name = "neurosim_model_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for attr in ("build", "DEFAULTS", "DURATION"):
        if not hasattr(mod, attr):
            raise NeurosimError(f"{path} is not a neurosim model script (it lacks {attr})")
    return mod


def parse_set(items, defaults: dict) -> dict:
    params = {}
    for item in items or []:
        if "=" not in item:
            raise NeurosimError(f"--set expects name=value, got {item!r}")
        k, v = item.split("=", 1)
        if k not in defaults:
            raise NeurosimError(f"unknown parameter {k!r}; known: {', '.join(sorted(defaults))}")
        try:
            val = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            val = v
        params[k] = val
    return params


def run_model(path: str, duration=None, seed=1, backend="cpu", sets=None, out=None, quiet=False):
    mod = load_model(path)
    params = parse_set(sets, mod.DEFAULTS)
    net = mod.build(seed=seed, **params)
    dur = float(mod.DURATION if duration is None else duration)
    result = net.run(dur, backend=backend)
    return mod, net, result


def _add_run_args(ap):
    ap.add_argument("--duration", type=float, default=None, help="simulated time (ms); default: the model's")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a model parameter")
    ap.add_argument("--out", default=None, help="HDF5 result path")


def script_main(path: str, argv=None) -> int:
    """Entry point of ``python models/X.py``: run on the defaults and print a summary."""
    ap = argparse.ArgumentParser(prog=os.path.basename(path))
    _add_run_args(ap)
    args = ap.parse_args(argv)
    try:
        _, _, result = run_model(path, args.duration, args.seed, args.backend, args.set, args.out)
    except NeurosimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="neurosim")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a model script")
    r.add_argument("model")
    _add_run_args(r)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            _, _, result = run_model(args.model, args.duration, args.seed, args.backend, args.set, args.out)
            print(result.summary())
    except NeurosimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
