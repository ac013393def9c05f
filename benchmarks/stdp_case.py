"""STDP benchmark case: neurosim vs Brian2 on a large plastic network, side by side.

The network is Song, Miller & Abbott (2000) scaled up (the model of ``models/song2000_stdp.py``
and Brian2's STDP example): ``n_in`` = 10,000 Poisson inputs (``rate`` = 15 Hz) project with
probability ``p`` = 0.1 onto ``n`` = 10,000 conductance-based LIF neurons (tau_m 10 ms, E_L -74 mV,
threshold -54 mV, reset -60 mV, exponential excitatory conductance tau_e 5 ms, E_e 0 mV), i.e.
about 10^7 synapses, every one plastic: additive pair STDP with all-to-all pairing, tau_+ = tau_-
= 20 ms, A+ = 0.01 w_max, A-/A+ = 1.05, w in [0, w_max], w_max = 0.01 g_leak (0.1 nS), initial
weights uniform in [0, w_max].  dt = 0.1 ms, 1 s of biological time, output spikes recorded.

Brian2 runs its STDP example formulation (``Apre``/``Apost`` event-driven per synapse, one pre
and one post pathway).  neurosim acts on a presynaptic spike when it reaches the synapse, one
step (its delay ``dt``) after Brian2's ``delay = 0`` pathway; this moves pairings by one step and
does not change the work.  Connectivity is drawn independently by each simulator (same
statistics).

What is timed (the simulation loop only, as ``compare_brian2.py``):

* neurosim: ``result.meta["wall_time"]`` of the 1 s run, after a small network of the same model
  has compiled (or loaded) the kernels; ``build_s`` (laying out 10^7 synapses) apart.
* Brian2 (``cython`` runtime): wall time of ``run(duration)`` after a 1 ms warm-up run that
  compiles the code objects (``compile_s``, reported apart); ``cpp_standalone``:
  ``device._last_run_time``.  Each Brian2 measurement runs in a subprocess
  (``python benchmarks/stdp_case.py --_worker DEVICE ...`` prints ``RESULT {json}``).

Hook-up into ``compare_brian2.py``::

    from stdp_case import CASE, run_neurosim, run_brian2
    ns_row = run_neurosim(duration, dt, seed)              # dict: time_s, build_s, spikes, rate_hz, events, synapses
    b2_row = run_brian2("cython", duration, dt, seed)      # dict: time_s, compile_s, spikes, rate_hz, ... or None

Standalone::

    python benchmarks/stdp_case.py                         # full size, neurosim + Brian2 cython
    python benchmarks/stdp_case.py --n 2000 --devices cython,cpp_standalone --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CASE = dict(name="STDP_10000", n_in=10_000, n=10_000, p=0.1, rate=15.0, a_plus=0.01, ratio=1.05,
            w_max=0.1, tau=20.0)


def _params(**kw):
    c = dict(CASE)
    c.update({k: v for k, v in kw.items() if v is not None})
    return c


# --------------------------------------------------------------------------- neurosim
def build_neurosim(n_in, n, p, rate, a_plus, ratio, w_max, tau, seed=1, dt=0.1, **_):
    import neurosim as ns
    net = ns.Network(dt=dt, seed=seed)
    inputs = net.poisson("inputs", int(n_in), rate)
    cell = ns.LIFCond(c_m=100.0, g_leak=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0, t_ref=0.0)
    post = net.population("post", int(n), cell)
    rule = ns.STDP(tau_plus=tau, tau_minus=tau, a_plus=a_plus, a_minus=a_plus * ratio, w_max=w_max)
    net.connect(inputs, post, ns.fixed_probability(p), receptor=ns.AMPA(tau_decay=5.0, e_rev=0.0),
                weight=ns.Uniform(0.0, w_max), plasticity=rule, name="stdp")
    net.monitor(post, "spikes")
    net.monitor(inputs, "rate")
    return net


def run_neurosim(duration=1000.0, dt=0.1, seed=1, backend="cpu", **case) -> dict:
    """Time neurosim on the case (``case`` overrides CASE entries, e.g. ``n=2000``)."""
    c = _params(**case)
    small = dict(c, n_in=200, n=200, p=0.1)
    build_neurosim(seed=seed, dt=dt, **small).run(10.0, backend=backend, progress=False)   # compile / load
    t0 = time.perf_counter()
    net = build_neurosim(seed=seed, dt=dt, **c)
    net.build(backend)
    build_s = time.perf_counter() - t0
    res = net.run(duration, backend=backend, progress=False)
    st = res.spikes["post"]
    n_syn = int(net._sim.state.syn.post.size)
    in_spikes = int(res.rates["inputs"].counts.sum())
    return {"time_s": float(res.meta["wall_time"]), "build_s": build_s, "spikes": int(st.times.size),
            "rate_hz": st.times.size / (c["n"] * duration * 1e-3), "synapses": n_syn,
            # pre events (each input spike reaches its ~p*n targets) plus post events (p*n_in synapses each)
            "events": int(in_spikes * n_syn / c["n_in"] + st.times.size * n_syn / c["n"]),
            "threads": res.meta.get("threads"), "backend": res.meta.get("backend")}


# --------------------------------------------------------------------------- Brian2
def _brian2_network(b2, c):
    gmax = c["w_max"] / 10.0          # in units of g_leak (10 nS)
    ns_ = dict(taum=10 * b2.ms, Ee=0 * b2.mV, vt=-54 * b2.mV, vr=-60 * b2.mV, El=-74 * b2.mV, taue=5 * b2.ms,
               taupre=c["tau"] * b2.ms, taupost=c["tau"] * b2.ms, gmax=gmax, dApre=c["a_plus"] * gmax,
               dApost=-c["a_plus"] * c["ratio"] * gmax)
    inp = b2.PoissonGroup(int(c["n_in"]), rates=c["rate"] * b2.Hz)
    post = b2.NeuronGroup(int(c["n"]), """dv/dt = (ge * (Ee-v) + El - v) / taum : volt
                                         dge/dt = -ge / taue : 1""",
                          threshold="v>vt", reset="v = vr", method="exponential_euler", namespace=ns_)
    post.v = -74 * b2.mV
    syn = b2.Synapses(inp, post, """w : 1
                      dApre/dt = -Apre / taupre : 1 (event-driven)
                      dApost/dt = -Apost / taupost : 1 (event-driven)""",
                      on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)",
                      on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)", namespace=ns_)
    syn.connect(p=c["p"])
    syn.w = "rand() * gmax"
    mon = b2.SpikeMonitor(post)
    return b2.Network(inp, post, syn, mon), mon, syn


def brian2_worker(device, duration, dt, seed, project_dir, case):
    import brian2 as b2
    import numpy as np
    c = _params(**case)
    b2.prefs.core.default_float_dtype = np.float64
    out = {"device": device}
    t_build = time.perf_counter()
    if device == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=project_dir, build_on_run=False)
        b2.seed(seed)
        b2.defaultclock.dt = dt * b2.ms
        net, mon, syn = _brian2_network(b2, c)
        net.run(duration * b2.ms)
        t0 = time.perf_counter()
        b2.device.build(directory=project_dir, compile=True, run=True, debug=False)
        out["time_s"] = float(b2.device._last_run_time)
        out["compile_s"] = time.perf_counter() - t0 - out["time_s"]
        out["synapses"] = int(len(syn))
    else:
        b2.prefs.codegen.target = device
        b2.seed(seed)
        b2.defaultclock.dt = dt * b2.ms
        net, mon, syn = _brian2_network(b2, c)
        out["synapses"] = int(len(syn))
        out["build_s"] = time.perf_counter() - t_build
        t0 = time.perf_counter()
        net.run(1 * b2.ms)
        out["compile_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.run(duration * b2.ms)
        out["time_s"] = time.perf_counter() - t0
    out["spikes"] = int(mon.num_spikes)
    out["rate_hz"] = out["spikes"] / (c["n"] * duration * 1e-3)
    out["brian2_version"] = b2.__version__
    print("RESULT " + json.dumps(out), flush=True)


def run_brian2(device="cython", duration=1000.0, dt=0.1, seed=1, timeout=3600, **case):
    """Run Brian2 (``device``: ``"cython"``, ``"numpy"`` or ``"cpp_standalone"``) in a subprocess;
    returns its RESULT dict, or None (the reason goes to stderr)."""
    with tempfile.TemporaryDirectory(prefix="neurosim_b2_stdp_") as project:
        cmd = [sys.executable, os.path.abspath(__file__), "--_worker", device, "--duration", str(duration),
               "--dt", str(dt), "--seed", str(seed), "--_project", project, "--_case", json.dumps(case)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"  Brian2 {device} STDP: timed out after {timeout} s", file=sys.stderr)
            return None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
    print(f"  Brian2 {device} STDP failed (exit {proc.returncode}):\n    " + "\n    ".join(tail), file=sys.stderr)
    return None


# --------------------------------------------------------------------------- driver
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="STDP benchmark: neurosim vs Brian2 (see the module docstring)")
    ap.add_argument("--n", type=int, default=None, help="neurons and inputs (default 10000)")
    ap.add_argument("--p", type=float, default=None, help="connection probability (default 0.1)")
    ap.add_argument("--rate", type=float, default=None, help="input rate, Hz (default 15)")
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--devices", default="cython", help="Brian2 devices, comma-separated ('' for none)")
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--json", default=None, help="write the rows to this JSON file")
    ap.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_project", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_case", default="{}", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._worker:
        brian2_worker(a._worker, a.duration, a.dt, a.seed, a._project, json.loads(a._case))
        return 0
    case = {k: v for k, v in (("n", a.n), ("n_in", a.n), ("p", a.p), ("rate", a.rate)) if v is not None}
    c = _params(**case)
    print(f"STDP case: {c['n_in']} Poisson inputs ({c['rate']} Hz) -> {c['n']} LIF neurons, p = {c['p']} "
          f"(~{c['n_in'] * c['n'] * c['p']:.3g} plastic synapses), {a.duration:g} ms, dt = {a.dt} ms", flush=True)
    rows = {"neurosim": run_neurosim(a.duration, a.dt, a.seed, a.backend, **case)}
    print(f"  neurosim        {rows['neurosim']['time_s']:8.3f} s  (build {rows['neurosim']['build_s']:.1f} s, "
          f"{rows['neurosim']['spikes']} spikes, {rows['neurosim']['rate_hz']:.2f} Hz, "
          f"{rows['neurosim']['synapses']} synapses)", flush=True)
    for dev in [d for d in a.devices.split(",") if d]:
        r = run_brian2(dev, a.duration, a.dt, a.seed, **case)
        rows[f"brian2_{dev}"] = r
        if r is not None:
            print(f"  brian2 {dev:<9}{r['time_s']:8.3f} s  (compile {r.get('compile_s', 0):.1f} s, {r['spikes']} "
                  f"spikes, {r['rate_hz']:.2f} Hz, {r['synapses']} synapses)", flush=True)
    best = min([r["time_s"] for k, r in rows.items() if k != "neurosim" and r], default=None)
    if best:
        print(f"  neurosim / best Brian2 = {rows['neurosim']['time_s'] / best:.3f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"case": c, "duration_ms": a.duration, "dt_ms": a.dt, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
