"""neurosim against Brian2 on the Brette et al. (2007) benchmark networks, side by side.

Brette R. et al. (2007) "Simulation of networks of spiking neurons: a review of tools and
strategies", J. Comput. Neurosci. 23:349-398 (benchmarks 1 and 2: COBA and CUBA, after Vogels &
Abbott 2005).  The parameter sets are those of /work/shared/BENCHMARKS.md (Brian2's COBA and
CUBA examples); neurosim runs ``models/coba.py`` and ``models/cuba.py``, Brian2 the same
equations written out below.

Cases (dt = 0.1 ms, 1 s of biological time, all spikes recorded):

    COBA_4000    COBA, N = 4000,  p = 0.02    (80 synapses per neuron)
    CUBA_4000    CUBA, N = 4000,  p = 0.02
    COBA_16000   COBA, N = 16000, p = 0.005   (80 per neuron)
    COBA_64000   COBA, N = 64000, p = 0.00125 (80 per neuron)
    WANG_2000    Wang (2002) decision network, N = 2000 (``models/wang2002.py`` on its defaults:
                 all-to-all AMPA, saturating NMDA and GABA_A, 800 x 3 Hz Poisson background, the
                 c = 51.2 % stimulus from 200 ms on)
    ADEX_4000    COBA, N = 4000, p = 0.02, with AdEx cells (benchmarks/adex_coba.py: the
                 neurosim network and the same model in Brian2, forward Euler in both)
    COBA_TM_4000 COBA, N = 4000, p = 0.02, with Tsodyks-Markram depression on every excitatory
                 synapse (two-state, NEST tsodyks2_synapse: U = 0.5, tau_rec = 200 ms, no
                 facilitation; w_e = 12 nS, so that a first spike transmits COBA's 6 nS).  Brian2:
                 ``x`` an event-driven variable of the excitatory synapses, ``on_pre: ge += we*U*x;
                 x -= U*x`` (the same model with u = U).  Run it alone with ``--cases COBA_TM_4000``.

For WANG_2000 Brian2 runs the same equations the way its own Wang (2002) example is written,
with one simplification in Brian2's favour: the NMDA gating ``x``, ``s`` is kept per
presynaptic neuron (the delay is uniform, so this is the same model) instead of per synapse,
and ``sum_j w_ij s_j`` is a ``(summed)`` variable of the all-to-all synapses; the background is a
``PoissonInput`` per receptor, the stimulus a ``PoissonGroup``.  neurosim sums ``s`` once per
presynaptic population for projections with one weight (O(n_pre + n_post) instead of
O(n_pre n_post) a step).  The two draw different random inputs, so their rates agree only
statistically.

What is timed (the simulation loop only):

* neurosim: ``result.meta["wall_time"]`` of a 1 s run.  A small network of the same model is
  run first in the same process so that the Numba kernels are compiled (or loaded from the
  cache) before the measured network is built.
* Brian2 cython runtime: wall time of ``run(1 s)`` after a 1 ms warm-up ``run`` of the same
  network (which compiles the code objects).
* Brian2 cpp_standalone: ``device._last_run_time`` (the C++ main loop) after
  ``device.build(run=True)``; ``compile_s`` is the rest of the first, cold build (code
  generation, compilation, start-up), reported apart.

Each Brian2 measurement runs in its own subprocess (cpp_standalone needs a fresh device per
build; its project lives in a temporary directory, reused across the repeats of a case so that
only the first build compiles).  neurosim, Brian2 cython and Brian2 cpp_standalone are run in
turn, ``--repeat`` times per case, and medians are reported.

Output: a table (name, neurosim_s, brian2_cython_s, brian2_cpp_s, ratio_vs_best = neurosim /
best Brian2, spikes, rate_hz, events_per_s = synaptic events per second of neurosim wall time,
compile_s); ``--json PATH`` writes ``{"cases": [...], "meta": {...}}``; by default an HDF5 table
and a PNG bar chart of the ratios go to ``benchmarks/results/``.

Usage::

    python benchmarks/compare_brian2.py --quick            # COBA_4000 only, repeat 1
    python benchmarks/compare_brian2.py --cases COBA_4000,CUBA_4000 --repeat 5 --json out.json

These machines are noisy: compare ratios measured side by side in one run, not absolute times
across runs.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "models")
RESULTS = os.path.join(HERE, "results")

CASES = {
    "COBA_4000": dict(model="coba", n=4000, p=0.02),
    "CUBA_4000": dict(model="cuba", n=4000, p=0.02),
    "COBA_16000": dict(model="coba", n=16000, p=0.005),
    "COBA_64000": dict(model="coba", n=64000, p=0.00125),
    "WANG_2000": dict(model="wang2002", n=2000, p=None),
    "ADEX_4000": dict(model="adex_coba", n=4000, p=0.02),
    "COBA_TM_4000": dict(model="coba_tm", n=4000, p=0.02),
}
TM = dict(U=0.5, tau_rec=200.0, w_e=12.0)   # COBA_TM_4000: depression of the excitatory synapses
RUNNERS = ("neurosim", "cython", "cpp_standalone")
FIELDS = ("name", "neurosim_s", "brian2_cython_s", "brian2_cpp_s", "ratio_vs_best", "spikes", "rate_hz",
          "events_per_s", "compile_s")


# --------------------------------------------------------------------------- neurosim
class _CobaTM:
    """COBA (models/coba.py) with Tsodyks-Markram depression (``TM``) on the excitatory synapses."""

    @staticmethod
    def build(seed=1, n=4000, p=0.02, dt=0.1):
        import neurosim as ns
        net = ns.Network(dt=dt, seed=seed)
        cell = ns.LIFCond(c_m=200.0, g_leak=10.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                          i_bias=200.0, v_init=ns.Uniform(-60.0, -50.0))
        n_exc = int(round(n * 0.8))
        exc = net.population("exc", n_exc, cell)
        inh = net.population("inh", n - n_exc, cell)
        net.connect(exc, [exc, inh], ns.fixed_probability(p), receptor=ns.AMPA(tau_decay=5.0, e_rev=0.0),
                    weight=TM["w_e"], short_term=ns.TsodyksMarkram(TM["U"], TM["tau_rec"]))
        net.connect(inh, [exc, inh], ns.fixed_probability(p), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0),
                    weight=67.0)
        net.monitor(exc, "spikes")
        net.monitor(inh, "spikes")
        return net


def _load_model(name):
    if name == "coba_tm":
        return _CobaTM
    path = os.path.join(HERE if name == "adex_coba" else MODELS, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"neurosim_bench_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_WARM = set()


def synaptic_events(net, result) -> int:
    """Number of synaptic events delivered in the run: for every spike, the out-degree of its
    neuron in every projection it belongs to (summed over receptors)."""
    import numpy as np
    total = 0
    for proj in net.projections:
        st = result.spikes.get(proj.pre.name)
        if st is None or st.times.size == 0:
            continue
        conn = net.connections(proj)
        outdeg = np.bincount(conn["pre"], minlength=proj.pre.n)
        total += int(outdeg[st.node_ids].sum()) * len(proj.receptors)
    return total


def run_neurosim(case, duration, dt, seed, backend):
    mod = _load_model(case["model"])
    size = {} if case["p"] is None else {"p": case["p"]}
    if case["model"] not in _WARM:   # compile / load the kernels for this model's state layout
        mod.build(seed=seed, n=400, dt=dt, **({} if case["p"] is None else {"p": 0.2})).run(
            10.0, backend=backend, progress=False)
        _WARM.add(case["model"])
    net = mod.build(seed=seed, n=case["n"], dt=dt, **size)
    result = net.run(duration, backend=backend, progress=False)
    spikes = int(sum(st.times.size for st in result.spikes.values()))
    return {"time_s": float(result.meta["wall_time"]), "spikes": spikes,
            "rate_hz": spikes / (case["n"] * duration * 1e-3),
            "events": synaptic_events(net, result), "threads": result.meta.get("threads"),
            "backend": result.meta.get("backend")}


# --------------------------------------------------------------------------- Brian2 (worker)
def _brian2_wang(n):
    """Wang's (2002) network with the parameters of models/wang2002.py (see the module docstring);
    returns (network, list of spike monitors)."""
    import brian2 as b2
    from brian2 import ms, mV, nS, pF, Hz
    mod = _load_model("wang2002")
    d = mod.DEFAULTS
    n_e = int(round(n * d["exc_fraction"]))
    n_i = n - n_e
    n_sel = int(round(d["f"] * n_e))
    w_plus = d["w_plus"]
    w_minus = 1.0 - d["f"] * (w_plus - 1.0) / (1.0 - d["f"])
    se, si = 1600.0 / n_e, 400.0 / n_i
    c = d["coherence"] / 100.0
    ns_ = dict(E_L=-70 * mV, V_th=-50 * mV, V_reset=-55 * mV, E_E=0 * mV, E_I=-70 * mV, tau_ampa=2 * ms,
               tau_gaba=5 * ms, tau_r=2 * ms, tau_d=100 * ms, alpha=mod.WANG_ALPHA / ms, mg=1.0, n_sel=n_sel,
               w_plus=w_plus, w_minus=w_minus, mu1=d["mu0"] * (1 + c) * Hz, mu2=d["mu0"] * (1 - c) * Hz,
               t_on=d["stim_on"] * ms, t_off=d["stim_off"] * ms)
    eqs = """
    dv/dt = (-g_L*(v - E_L) - g_ampa*(v - E_E) - g_nmda*B*(v - E_E) - g_gaba*(v - E_I))/C : volt (unless refractory)
    dg_ampa/dt = -g_ampa/tau_ampa : siemens
    dg_gaba/dt = -g_gaba/tau_gaba : siemens
    g_nmda : siemens
    B = 1/(1 + mg/3.57*exp(-0.062*v/mV)) : 1 (constant over dt)
    g_L : siemens (constant)
    C : farad (constant)
    """
    gating = """
    dx/dt = -x/tau_r : 1
    ds/dt = -s/tau_d + alpha*x*(1 - s) : 1
    """
    E = b2.NeuronGroup(n_e, eqs + gating, threshold="v > V_th", reset="v = V_reset", refractory=2 * ms,
                       method="exponential_euler", namespace=ns_)
    I = b2.NeuronGroup(n_i, eqs, threshold="v > V_th", reset="v = V_reset", refractory=1 * ms,
                       method="exponential_euler", namespace=ns_)
    E.g_L, E.C, I.g_L, I.C = 25 * nS, 500 * pF, 20 * nS, 200 * pF
    E.v = "-60*mV + 10*mV*rand()"
    I.v = "-60*mV + 10*mV*rand()"
    delay = (d["delay"] - d["dt"]) * ms    # neurosim's delay d is Brian2's d - dt
    pool = "(int({0} >= n_sel) + int({0} >= 2*n_sel))"     # 0: e1, 1: e2, 2: non-selective
    k = f"(int({pool.format('j')} == 2) + int({pool.format('j')} < 2)*(w_plus*int({pool.format('i')} == " \
        f"{pool.format('j')}) + w_minus*int({pool.format('i')} != {pool.format('j')})))"
    syn = []
    for post, key in ((E, "e"), (I, "i")):
        model = "w_ampa : siemens\nw_nmda : siemens\ng_nmda_post = w_nmda*s_pre : siemens (summed)"
        s_exc = b2.Synapses(E, post, model, on_pre="g_ampa_post += w_ampa", delay=delay, namespace=ns_)
        s_exc.connect()
        factor = k if post is E else "1"
        s_exc.w_ampa = f"{factor}*{mod.G_AMPA[key] * se}*nS"
        s_exc.w_nmda = f"{factor}*{mod.G_NMDA[key] * se}*nS"
        s_inh = b2.Synapses(I, post, "w : siemens", on_pre="g_gaba_post += w", delay=delay, namespace=ns_)
        s_inh.connect()
        s_inh.w = mod.G_GABA[key] * si * nS
        bg = b2.PoissonInput(post, "g_ampa", d["ext_sources"], d["ext_rate"] * Hz, weight=mod.G_EXT[key] * nS)
        syn += [s_exc, s_inh, bg]
    # the NMDA rise variable of a neuron counts its own spikes, one delay later
    s_x = b2.Synapses(E, E, on_pre="x_post += 1", delay=delay, namespace=ns_)
    s_x.connect(j="i")
    stim = b2.PoissonGroup(2 * n_sel, rates="(mu1*int(i < n_sel) + mu2*int(i >= n_sel))*int(t >= t_on)*int(t < t_off)",
                           namespace=ns_)
    s_stim = b2.Synapses(stim, E, on_pre="g_ampa_post += g_stim", namespace=dict(g_stim=mod.G_EXT["e"] * nS))
    s_stim.connect(j="i")
    mons = [b2.SpikeMonitor(E), b2.SpikeMonitor(I)]
    return b2.Network(E, I, stim, s_x, s_stim, *syn, *mons), mons


def _brian2_network(model, n, p):
    """Build Brian2's COBA or CUBA example network (BENCHMARKS.md), or Wang's (2002) network, in
    the current scope; returns (network, list of spike monitors)."""
    import brian2 as b2
    from brian2 import ms, mV
    if model == "wang2002":
        return _brian2_wang(n)
    if model == "adex_coba":
        return _load_model("adex_coba").brian2_network(n, p)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr = -50 * mV, -60 * mV
    if model in ("coba", "coba_tm"):
        El, Ee, Ei, I = -60 * mV, 0 * mV, -80 * mV, 20 * mV
        eqs = """
        dv/dt = ((El - v) + ge*(Ee - v) + gi*(Ei - v) + I) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
        """
        we, wi, method = 0.6, 6.7, "exponential_euler"
        ns_ = dict(El=El, Ee=Ee, Ei=Ei, I=I)
    else:
        El = -49 * mV
        eqs = """
        dv/dt = ((El - v) + ge + gi) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        we, wi, method = 1.62 * mV, -9 * mV, "exact"
        ns_ = dict(El=El)
    ns_.update(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, we=we, wi=wi)
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method=method,
                       namespace=ns_)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0
    P.gi = 0
    n_e = int(round(0.8 * n))
    if model == "coba_tm":   # Tsodyks-Markram depression, u = U (tsodyks2_synapse without facilitation)
        ns_.update(we=TM["w_e"] / 10.0, U=TM["U"], tau_rec=TM["tau_rec"] * ms)
        Ce = b2.Synapses(P[:n_e], P, "dx/dt = (1 - x)/tau_rec : 1 (event-driven)",
                         on_pre="ge += we*U*x\nx -= U*x", namespace=ns_)
        Ce.connect(p=p)
        Ce.x = 1.0
        Ci = b2.Synapses(P[n_e:], P, on_pre="gi += wi", namespace=ns_)
        Ci.connect(p=p)
        M = b2.SpikeMonitor(P)
        return b2.Network(P, Ce, Ci, M), [M]
    Ce = b2.Synapses(P[:n_e], P, on_pre="ge += we", namespace=ns_)
    Ci = b2.Synapses(P[n_e:], P, on_pre="gi += wi", namespace=ns_)
    Ce.connect(p=p)
    Ci.connect(p=p)
    M = b2.SpikeMonitor(P)
    return b2.Network(P, Ce, Ci, M), [M]


def brian2_worker(case_name, device, duration, dt, seed, project_dir):
    import brian2 as b2
    case = CASES[case_name]
    b2.prefs.core.default_float_dtype = __import__("numpy").float64
    out = {"device": device}
    if device == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=project_dir, build_on_run=False)
        b2.seed(seed)                           # after set_device, so the C++ code uses it
        b2.defaultclock.dt = dt * b2.ms
        net, M = _brian2_network(case["model"], case["n"], case["p"])
        net.run(duration * b2.ms)
        t0 = time.perf_counter()
        b2.device.build(directory=project_dir, compile=True, run=True, debug=False)
        total = time.perf_counter() - t0
        out["time_s"] = float(b2.device._last_run_time)
        out["compile_s"] = total - out["time_s"]
    elif device == "cython":
        b2.prefs.codegen.target = "cython"
        b2.seed(seed)
        b2.defaultclock.dt = dt * b2.ms
        net, M = _brian2_network(case["model"], case["n"], case["p"])
        t0 = time.perf_counter()
        net.run(1 * b2.ms)                      # warm-up: compiles (or loads) the code objects
        out["compile_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.run(duration * b2.ms)
        out["time_s"] = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown Brian2 device {device!r}")
    out["spikes"] = int(sum(m.num_spikes for m in M))
    out["rate_hz"] = out["spikes"] / (case["n"] * duration * 1e-3)
    out["brian2_version"] = b2.__version__
    print("RESULT " + json.dumps(out), flush=True)


def run_brian2(case_name, device, duration, dt, seed, project_dir, timeout):
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", device, "--cases", case_name,
           "--duration", str(duration), "--dt", str(dt), "--seed", str(seed), "--_project", project_dir]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  Brian2 {device} {case_name}: timed out after {timeout} s", file=sys.stderr)
        return None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
    print(f"  Brian2 {device} {case_name} failed (exit {proc.returncode}):\n    " + "\n    ".join(tail),
          file=sys.stderr)
    return None


# --------------------------------------------------------------------------- driver
def _median(xs):
    xs = [x for x in xs if x is not None]
    return float(statistics.median(xs)) if xs else None


def measure(case_names, runners, repeat, duration, dt, seed, backend, timeout, verbose=True):
    rows, raw = [], {}
    for name in case_names:
        case = CASES[name]
        times = {r: [] for r in runners}
        ns_info, b2_info, compile_s = None, {}, None
        project = tempfile.mkdtemp(prefix=f"neurosim_b2_{name}_")
        try:
            for k in range(repeat):
                for runner in runners:   # alternate the simulators within each repeat
                    if runner == "neurosim":
                        res = run_neurosim(case, duration, dt, seed, backend)
                        ns_info = res
                    else:
                        res = run_brian2(name, runner, duration, dt, seed, project, timeout)
                        if res is not None:
                            b2_info[runner] = res
                            if runner == "cpp_standalone" and k == 0:
                                compile_s = res["compile_s"]
                    t = None if res is None else res["time_s"]
                    times[runner].append(t)
                    if verbose:
                        extra = "" if res is None else f"  ({res['spikes']} spikes, {res['rate_hz']:.2f} Hz)"
                        print(f"  {name:<11} repeat {k + 1}/{repeat} {runner:<15} "
                              f"{'failed' if t is None else f'{t:8.3f} s'}{extra}", flush=True)
        finally:
            shutil.rmtree(project, ignore_errors=True)
        t_ns = _median(times.get("neurosim", []))
        t_cy = _median(times.get("cython", []))
        t_cpp = _median(times.get("cpp_standalone", []))
        best = min([t for t in (t_cy, t_cpp) if t is not None], default=None)
        row = {
            "name": name,
            "neurosim_s": t_ns,
            "brian2_cython_s": t_cy,
            "brian2_cpp_s": t_cpp,
            "ratio_vs_best": (t_ns / best) if (t_ns is not None and best) else None,
            "spikes": ns_info["spikes"] if ns_info else None,
            "rate_hz": ns_info["rate_hz"] if ns_info else None,
            "events_per_s": (ns_info["events"] / t_ns) if (ns_info and t_ns) else None,
            "compile_s": compile_s,
        }
        rows.append(row)
        raw[name] = {"times": times,
                     "neurosim": None if ns_info is None else {k: ns_info[k] for k in ("threads", "backend", "events")},
                     "brian2_rate_hz": {d: v["rate_hz"] for d, v in b2_info.items()},
                     "brian2_spikes": {d: v["spikes"] for d, v in b2_info.items()},
                     "brian2_version": next((v["brian2_version"] for v in b2_info.values()), None)}
    return rows, raw


def format_table(rows) -> str:
    def f(x, fmt):
        return "-" if x is None else format(x, fmt)
    head = (f"{'name':<12}{'neurosim_s':>11}{'b2_cython_s':>12}{'b2_cpp_s':>10}{'ratio_vs_best':>14}"
            f"{'spikes':>10}{'rate_hz':>9}{'events_per_s':>14}{'compile_s':>10}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['name']:<12}{f(r['neurosim_s'], '.3f'):>11}{f(r['brian2_cython_s'], '.3f'):>12}"
                     f"{f(r['brian2_cpp_s'], '.3f'):>10}{f(r['ratio_vs_best'], '.2f'):>14}"
                     f"{f(r['spikes'], 'd'):>10}{f(r['rate_hz'], '.2f'):>9}{f(r['events_per_s'], '.3g'):>14}"
                     f"{f(r['compile_s'], '.1f'):>10}")
    return "\n".join(lines)


def save_hdf5(path, rows, meta, raw):
    import h5py
    import numpy as np
    nan = float("nan")
    dtype = [("name", "S16")] + [(k, "f8") for k in FIELDS[1:]]
    table = np.array([tuple([r["name"].encode()] + [nan if r[k] is None else float(r[k]) for k in FIELDS[1:]])
                      for r in rows], dtype=dtype)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as h5:
        ds = h5.create_dataset("cases", data=table)
        ds.attrs["units"] = "seconds for *_s; Hz for rate_hz; events/s for events_per_s; NaN = not run"
        for k, v in meta.items():
            h5.attrs[k] = json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)
        for name, info in raw.items():
            g = h5.create_group(f"raw/{name}")
            for runner, ts in info["times"].items():
                g.create_dataset(runner, data=np.array([nan if t is None else t for t in ts], dtype="f8"))
            g.attrs["info"] = json.dumps({k: v for k, v in info.items() if k != "times"})
    os.replace(tmp, path)


def save_png(path, rows, meta):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["name"] for r in rows]
    ratios = [r["ratio_vs_best"] if r["ratio_vs_best"] is not None else 0.0 for r in rows]
    fig, ax = plt.subplots(figsize=(max(4.8, 1.6 + 1.3 * len(rows)), 3.8), layout="constrained")
    bars = ax.bar(names, ratios, color=["tab:green" if x <= 1 else "tab:red" for x in ratios])
    for b, r in zip(bars, rows):
        if r["ratio_vs_best"] is not None:
            ax.annotate(f"{r['ratio_vs_best']:.2f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=9)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_ylabel("neurosim time / best Brian2 time")
    ax.set_title(f"neurosim vs Brian2 {meta.get('brian2_version') or ''}\n(best of cython and "
                 f"cpp_standalone; median of {meta['repeat']}; lower is faster)", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated cases (default all: {', '.join(CASES)})")
    ap.add_argument("--repeat", type=int, default=3, help="measurements per simulator and case (median)")
    ap.add_argument("--quick", action="store_true", help="only COBA_4000, repeat 1")
    ap.add_argument("--runners", default=",".join(RUNNERS), help=f"subset of {', '.join(RUNNERS)}")
    ap.add_argument("--duration", type=float, default=1000.0, help="biological time per run (ms)")
    ap.add_argument("--dt", type=float, default=0.1, help="time step (ms)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="cpu", help="neurosim backend (cpu, cuda, auto)")
    ap.add_argument("--threads", type=int, default=None,
                    help="neurosim CPU threads (numba.set_num_threads; default: Numba's, all cores)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per Brian2 subprocess")
    ap.add_argument("--json", default=None, metavar="PATH", help="write the table as JSON")
    ap.add_argument("--out-dir", default=RESULTS, help="where the HDF5 table and PNG chart go")
    ap.add_argument("--no-save", action="store_true", help="do not write the HDF5 table and PNG chart")
    ap.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--_project", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        brian2_worker(args.cases, args._worker, args.duration, args.dt, args.seed, args._project)
        return 0

    names = ["COBA_4000"] if args.quick else [c.strip() for c in args.cases.split(",") if c.strip()]
    repeat = 1 if args.quick else args.repeat
    unknown = [c for c in names if c not in CASES]
    runners = [r.strip() for r in args.runners.split(",") if r.strip()]
    bad = [r for r in runners if r not in RUNNERS]
    if unknown or bad or repeat < 1:
        ap.error(f"unknown cases {unknown} / runners {bad} (or --repeat < 1); cases: {', '.join(CASES)}")

    import neurosim
    if args.threads is not None:
        import numba
        numba.set_num_threads(args.threads)
    print(f"neurosim {neurosim.__version__} vs Brian2: cases {', '.join(names)}; repeat {repeat}; "
          f"{args.duration:g} ms at dt {args.dt:g} ms; {os.cpu_count()} CPUs", flush=True)
    rows, raw = measure(names, runners, repeat, args.duration, args.dt, args.seed, args.backend, args.timeout)
    b2v = next((r["brian2_version"] for r in raw.values() if r["brian2_version"]), None)
    threads = next((r["neurosim"]["threads"] for r in raw.values() if r["neurosim"]), None)
    meta = {"created": _dt.datetime.now(_dt.timezone.utc).isoformat(), "neurosim_version": neurosim.__version__,
            "brian2_version": b2v, "repeat": repeat, "duration_ms": args.duration, "dt_ms": args.dt,
            "seed": args.seed, "backend": args.backend, "neurosim_threads": threads,
            "brian2_cpp_threads": 1, "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "brian2_rate_hz": {k: v["brian2_rate_hz"] for k, v in raw.items()}}
    print()
    print(format_table(rows))
    print(f"(neurosim {args.backend} with {threads} thread(s); Brian2 cpp_standalone single-threaded; "
          f"medians of {repeat}; Brian2 rates: "
          + "; ".join(f"{k}: " + ", ".join(f"{d} {r:.2f} Hz" for d, r in v["brian2_rate_hz"].items())
                      for k, v in raw.items()) + ")")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cases": rows, "meta": meta}, fh, indent=2)
        print(f"wrote {args.json}")
    if not args.no_save:
        os.makedirs(args.out_dir, exist_ok=True)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        h5 = os.path.join(args.out_dir, f"compare_brian2_{stamp}.h5")
        png = os.path.join(args.out_dir, f"compare_brian2_{stamp}.png")
        save_hdf5(h5, rows, meta, raw)
        save_png(png, rows, meta)
        print(f"wrote {h5} and {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
