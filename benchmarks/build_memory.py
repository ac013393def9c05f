"""Peak memory of ``build_state`` per synapse, measured in a fresh process.

    python benchmarks/build_memory.py --n-syn 20000000 [--delay normal] [--pops 8] [--trace]
    python benchmarks/build_memory.py --model coba --n 20000
    python benchmarks/build_memory.py --model potjans2014 --scale 1
    mpiexec -n 2 python benchmarks/build_memory.py --model potjans2014 --scale 1 --json pd_rank{rank}.json

Builds one ``fixed_total_number`` projection of ``--n-syn`` synapses between two populations of
``--n`` neurons (AMPA, scalar weight and delay, or a bounded normal delay distribution), or
``--pops``^2 such projections among ``--pops`` populations, or a model script, after a warm-up
build (Numba compile), and prints the rise of the peak resident set size (VmHWM) during the
build above the resident size just before it, divided by the number of synapses, beside the
bytes per synapse the built state and its Layout keep.  ``--trace`` also reports tracemalloc's
peak (numpy allocations only; Numba's are not traced) and the largest live allocation sites.
Under ``mpiexec -n K`` each process builds its part as a partitioned run does (the synapses onto
its own neurons, sim/partition.py) and reports its own figures with its ``rank``; ``--json PATH``
(``{rank}`` in PATH is replaced by it) writes them to a file instead of standard output.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def _hwm() -> int:
    """Peak RSS (VmHWM, bytes) of this process's memory map (ru_maxrss would include the RSS of a
    parent that forked it)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))


def measure(n_syn: int, n: int = 20000, delay: str = "scalar", trace: bool = False, model: str = "",
            pops: int = 1, scale: float = 1.0) -> dict:
    import neurosim as ns
    from neurosim.memory import state_nbytes
    from neurosim.state.build import build_state

    def net_of(k):
        if model:   # models/<model>.py with build(seed, n): n_syn is ignored
            import importlib.util
            import os
            path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", f"{model}.py")
            spec = importlib.util.spec_from_file_location("bm_model", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            if model == "potjans2014":   # --scale: the microcircuit's N and K scaling, no recording
                return mod.build(seed=1, scale=scale if k > 1000 else 0.01, record=0)
            return mod.build(seed=1, n=n if k > 1000 else 400)
        net = ns.Network(dt=0.1, seed=3)
        d = ns.Normal(1.5, 0.75, low=0.1) if delay == "normal" else 1.5
        if pops > 1:   # pops x pops projections of k / pops^2 synapses each (a microcircuit's shape)
            ps = [net.population(f"p{i}", n // pops) for i in range(pops)]
            for x in ps:
                for y in ps:
                    net.connect(x, y, ns.fixed_total_number(max(1, k // pops ** 2)), receptor="AMPA",
                                weight=0.5, delay=d)
            return net
        a = net.population("a", n)
        b = net.population("b", n)
        net.connect(a, b, ns.fixed_total_number(k), receptor="AMPA", weight=0.5, delay=d)
        return net

    from neurosim.parallel import world
    from neurosim.sim.partition import own_ranges_for
    w = world()
    own = None if w is None else own_ranges_for(w.rank, w.size)
    build_state(net_of(1000), own_ranges=own)   # compile the draws
    if trace:
        import tracemalloc
        tracemalloc.start(25)
    net = net_of(n_syn)
    hwm0 = _hwm()
    with open("/proc/self/statm") as fh:    # resident now (the peak so far may be higher)
        before = int(fh.read().split()[1]) * resource.getpagesize()
    t0 = time.perf_counter()
    state, layout = build_state(net, own_ranges=own)
    build_s = time.perf_counter() - t0
    after = _hwm()
    if after <= hwm0:
        raise SystemExit("the build did not raise the peak RSS: use more synapses")
    n_syn = int(state.syn.post.size)
    out = {"n_syn": n_syn, "build_s": build_s, "peak_rss": after, "peak_bytes": after - before,
           "peak_per_syn": (after - before) / n_syn, "state_per_syn": state_nbytes(state) / n_syn,
           "layout_per_syn": 0.0,   # the Layout keeps views of the state only (issue 16)
           "rank": 0 if w is None else w.rank, "processes": 1 if w is None else w.size,
           "state_bytes": state_nbytes(state)}
    if trace:
        cur, peak = tracemalloc.get_traced_memory()
        out["tracemalloc_peak_per_syn"] = peak / n_syn
        snap = tracemalloc.take_snapshot()
        out["live_at_end"] = [str(s) for s in snap.statistics("lineno")[:8]]
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-syn", type=int, default=20_000_000)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--delay", choices=["scalar", "normal"], default="scalar")
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--pops", type=int, default=1, help="POPS x POPS projections instead of one")
    ap.add_argument("--model", default="", help="build models/MODEL.py with n=--n instead")
    ap.add_argument("--scale", type=float, default=1.0, help="--model potjans2014: its scale (1 = full)")
    ap.add_argument("--json", default="", help="write to this file ({rank} replaced by the MPI rank)")
    a = ap.parse_args()
    res = measure(a.n_syn, a.n, a.delay, a.trace, a.model, a.pops, a.scale)
    if a.json:
        with open(a.json.format(rank=res["rank"]), "w") as fh:
            json.dump(res, fh, indent=1)
    else:
        json.dump(res, sys.stdout, indent=1)
        print()
