"""The Vogels & Abbott (2005) COBA and CUBA networks (Brette et al. 2007, benchmarks 1 and 2) as a
simulator-independent PyNN script, with the parameters of PyNN's own VAbenchmarks example.

4000 cells, 80 % excitatory (r_ei = 4), every (pre, post) pair connected with p = 0.02 (autapses
allowed), delay 0.2 ms (= min_delay), dt 0.1 ms.  Cells: area 20000 um^2, 1 uF/cm^2 -> cm 0.2 nF,
tau_m 20 ms, v_thresh -50 mV, v_reset -60 mV, tau_refrac 5 ms, tau_syn_E 5 ms, tau_syn_I 10 ms,
initial v uniform in [v_reset, v_thresh].

* COBA: ``IF_cond_exp``, v_rest -60 mV, e_rev_E 0 mV, e_rev_I -80 mV, weights 4 nS (0.004 uS) and
  51 nS (0.051 uS); kicked by 20 Poisson sources of 100 Hz for the first 50 ms, each connected
  to each cell with p = 0.01 and weight 0.1 uS.
* CUBA: ``IF_curr_exp``, v_rest -49 mV (above threshold: the cells fire on their own), weights
  0.27 nS x (0 - (-60)) mV = 0.0162 nA and 4.5 nS x (-80 - (-60)) mV = -0.09 nA.

Unlike PyNN's example, everything random (connections, initial v, the kick's spike times, put on
the dt grid) is drawn here with numpy from ``seed`` and handed to PyNN as arrays
(``FromListConnector``, ``initialize(v=array)``, ``SpikeSourceArray``), so every simulator gets
the identical network.

Run: ``python benchmarks/pynn_scripts/va_benchmark.py --sim nest --benchmark COBA --seed 1``.
"""
import argparse
import os
import sys
import time

import numpy as np
from pyNN.parameters import Sequence

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pynn_scripts import _common  # noqa: E402

BENCHMARKS = ("COBA", "CUBA")
R_EI, P_CONN, DELAY, DT = 4.0, 0.02, 0.2, 0.1          # -, -, ms, ms
V_RESET, V_THRESH = -60.0, -50.0                        # mV
CELL = dict(cm=0.2, tau_m=20.0, v_thresh=V_THRESH, v_reset=V_RESET, tau_refrac=5.0,
            tau_syn_E=5.0, tau_syn_I=10.0)               # nF, ms, mV
COBA = dict(cell=dict(v_rest=-60.0, e_rev_E=0.0, e_rev_I=-80.0), w_exc=4e-3, w_inh=51e-3)   # uS
CUBA = dict(cell=dict(v_rest=-49.0), w_exc=0.27e-3 * 60.0, w_inh=4.5e-3 * -20.0)            # nA
KICK = dict(n=20, rate=100.0, duration=50.0, p=0.01, weight=0.1)   # -, Hz, ms, -, uS


def draw_network(seed: int, n_cells: int = 4000, duration: float = 1000.0, p: float = P_CONN) -> dict:
    """The random parts of the network, drawn with numpy from ``seed``: (pre, post) index arrays
    of the E->all and I->all connections (post indices over all cells, E first), initial v (mV),
    and for COBA the kick's spike trains (ms, on the 0.1 ms grid, in [1, 50) ms) and (source, post)
    connections."""
    rng = np.random.default_rng(seed)
    n_exc = int(round(n_cells * R_EI / (1 + R_EI)))
    out = dict(n_exc=n_exc, n_inh=n_cells - n_exc, v_init=rng.uniform(V_RESET, V_THRESH, n_cells))
    for key, lo, hi in (("exc", 0, n_exc), ("inh", n_exc, n_cells)):
        pre, post = np.nonzero(rng.random((hi - lo, n_cells)) < p)
        out[key] = (pre, post)
    trains = []
    for _ in range(KICK["n"]):
        t = np.unique(np.round(rng.uniform(1.0, KICK["duration"],
                                           rng.poisson(KICK["rate"] * (KICK["duration"] - 1.0) / 1000.0)), 1))
        trains.append([float(x) for x in t])
    out["kick_trains"] = trains
    out["kick"] = np.nonzero(rng.random((KICK["n"], n_cells)) < KICK["p"])
    return out


def _check(benchmark, seed, n_cells, duration):
    if benchmark not in BENCHMARKS:
        raise ValueError(f"benchmark={benchmark!r}: expected one of {BENCHMARKS}")
    if not (isinstance(n_cells, (int, np.integer)) and n_cells >= 10):
        raise ValueError(f"n_cells={n_cells!r}: expected an integer >= 10")
    if not duration > KICK["duration"]:
        raise ValueError(f"duration={duration}: must be > {KICK['duration']} ms")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed={seed!r}: expected an integer >= 0")


def run(sim, benchmark: str = "COBA", seed: int = 1, n_cells: int = 4000, duration: float = 1000.0,
        p: float = P_CONN, setup_extra: dict = None, record_spikes: bool = True) -> dict:
    """Build and run the benchmark with PyNN backend ``sim``.

    benchmark: "COBA" or "CUBA"; seed: numpy seed of the network (integer >= 0); n_cells: number of
    cells (>= 10; p stays 0.02 unless given, so the in-degree scales with n_cells); duration: ms
    (> 50); setup_extra: extra keywords for ``sim.setup``.

    Returns {"rates": {"exc", "inh", "all": mean rate Hz}, "spikes": {"exc", "inh": (n, 2) arrays
    (index, time ms)}, "meta": {simulator, benchmark, seed, n_cells, duration, connections,
    build_s (setup + construction + ``sim.run(0.0)``, which lays the network out: neurosim builds its
    arrays and loads or compiles its kernels, NEST connects its devices; s), run_s (sim.run, s)}}."""
    _check(benchmark, seed, n_cells, duration)
    net = draw_network(seed, n_cells, duration, p)
    par = COBA if benchmark == "COBA" else CUBA
    t0 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=DELAY, max_delay=1.0, **(setup_extra or {}))
    celltype = sim.IF_cond_exp if benchmark == "COBA" else sim.IF_curr_exp
    cell = celltype(**CELL, **par["cell"])
    n_exc = net["n_exc"]
    exc = sim.Population(n_exc, cell, label="exc")
    inh = sim.Population(net["n_inh"], cell, label="inh")
    exc.initialize(v=net["v_init"][:n_exc])
    inh.initialize(v=net["v_init"][n_exc:])
    n_conn = 0
    for key, pre_pop, w, receptor in (("exc", exc, par["w_exc"], "excitatory"),
                                      ("inh", inh, par["w_inh"], "inhibitory")):
        pre, post = net[key]
        syn = sim.StaticSynapse(weight=w, delay=DELAY)
        for post_pop, lo, hi in ((exc, 0, n_exc), (inh, n_exc, n_cells)):
            sel = (post >= lo) & (post < hi)
            pairs = np.column_stack([pre[sel], post[sel] - lo]).astype(float)
            sim.Projection(pre_pop, post_pop, sim.FromListConnector(pairs), syn, receptor_type=receptor)
            n_conn += len(pairs)
    if benchmark == "COBA":
        kick = sim.Population(KICK["n"], sim.SpikeSourceArray(
            spike_times=[Sequence(t) for t in net["kick_trains"]]), label="kick")
        src, post = net["kick"]
        syn = sim.StaticSynapse(weight=KICK["weight"], delay=DELAY)
        for post_pop, lo, hi in ((exc, 0, n_exc), (inh, n_exc, n_cells)):
            sel = (post >= lo) & (post < hi)
            pairs = np.column_stack([src[sel], post[sel] - lo]).astype(float)
            sim.Projection(kick, post_pop, sim.FromListConnector(pairs), syn, receptor_type="excitatory")
            n_conn += len(pairs)
    if record_spikes:
        exc.record("spikes")
        inh.record("spikes")
    sim.run(0.0)
    t1 = time.perf_counter()
    sim.run(duration)
    t2 = time.perf_counter()
    spikes = {"exc": _common.spike_array(exc), "inh": _common.spike_array(inh)} if record_spikes else {}
    rates = {}
    if record_spikes:
        for key, n in (("exc", n_exc), ("inh", net["n_inh"])):
            rates[key] = len(spikes[key]) / n / duration * 1000.0
        rates["all"] = (len(spikes["exc"]) + len(spikes["inh"])) / n_cells / duration * 1000.0
    meta = dict(simulator=sim.__name__, benchmark=benchmark, seed=int(seed), n_cells=int(n_cells),
                duration=float(duration), connections=n_conn, build_s=t1 - t0, run_s=t2 - t1)
    sim.end()
    return dict(rates=rates, spikes=spikes, meta=meta)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", default="nest", help="nest, neurosim, brian2 or a module path")
    parser.add_argument("--benchmark", default="COBA", choices=BENCHMARKS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-cells", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--p", type=float, default=P_CONN, help="connection probability")
    parser.add_argument("--on-grid", action="store_true",
                        help="NEST only: setup(spike_precision='on_grid') (grid-based IF_curr_exp)")
    args = parser.parse_args(argv)
    sim = _common.load_simulator(args.sim)
    extra = {"spike_precision": "on_grid"} if args.on_grid else {}
    out = run(sim, args.benchmark, args.seed, args.n_cells, args.duration, args.p, setup_extra=extra)
    r, m = out["rates"], out["meta"]
    print(f"{m['simulator']} {m['benchmark']} seed {m['seed']}: {m['n_cells']} cells, {m['connections']} "
          f"connections; rates E {r['exc']:.2f} Hz, I {r['inh']:.2f} Hz, all {r['all']:.2f} Hz; "
          f"build {m['build_s']:.2f} s, run {m['run_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
