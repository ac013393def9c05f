"""MNIST: ANN (MLP) against the converted spiking network of a LIF rate model.

One command trains (or loads from ``benchmarks/results/cache/``) the ANN baseline
(:func:`neurosim.baselines.mlp.train_mnist_mlp`) and the LIF rate model
(:func:`neurosim.bridge.model.train_rate_model`, same train/validation split), converts the rate
model into a spiking network of LIF neurons (:mod:`neurosim.bridge.convert`), simulates the test
images with each input encoding (Poisson spike trains, constant currents into an input layer of
LIF neurons, analog currents into the first LIF layer), and writes

* ``benchmarks/results/mnist.h5``   all curves and numbers under ``/bridge`` (``ann``, ``rate_model``,
  ``snn/<encoding>``, ``raster``), run settings as root attributes (h5py; written atomically)
* ``benchmarks/results/mnist.json`` the summary table
* ``benchmarks/results/mnist_accuracy_vs_time.png``, ``mnist_cost.png``, ``mnist_confusion.png``,
  ``mnist_raster.png``

and prints a table: model, accuracy, latency to within 0.5 / 0.1 points of the final accuracy,
spikes, SynOps and MACs per image, energy per image, wall times.

Energy per operation (Horowitz 2014, "Computing's energy problem", ISSCC, 45 nm): 32-bit float
add 0.9 pJ, multiply 3.7 pJ; so a multiply-accumulate (MAC) costs 4.6 pJ and a synaptic
operation (SynOp: one weight added to a target on a spike) 0.9 pJ.  Memory access is not counted.

Usage::

    python benchmarks/mnist_snn_vs_mlp.py            # full: 10,000 test images
    python benchmarks/mnist_snn_vs_mlp.py --quick    # small: 1,000 images, short training
    python benchmarks/mnist_snn_vs_mlp.py --retrain --threads 2 --encodings poisson,current

MNIST is read from ``$NEUROSIM_DATA/mnist`` (or downloaded, see :mod:`neurosim.data.mnist`).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

import numpy as np

import neurosim as ns
from neurosim.atomic import atomic_path
from neurosim.data import load_mnist
from neurosim.baselines.mlp import MLP, train_mnist_mlp, MNIST_MLP_DEFAULTS
from neurosim.bridge.model import RateModel, train_rate_model, RATE_MODEL_DEFAULTS
from neurosim.bridge.evaluate import evaluate, record_raster

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
STDP_JSON = HERE.parent / "docs" / "benchmarks" / "stdp_mnist.json"   # benchmarks/stdp_mnist.py --json

PJ_ADD = 0.9           # pJ, 32-bit float add (Horowitz 2014, 45 nm)
PJ_MULT = 3.7          # pJ, 32-bit float multiply
PJ_MAC = PJ_ADD + PJ_MULT
PJ_SYNOP = PJ_ADD

#: Rate-model hyperparameters of the benchmark (full run); --quick trains fewer epochs.
RATE_HP = dict(sizes=(784, 800, 800, 10), epochs=20)
MLP_HP = dict()        # the baseline's documented defaults (MNIST_MLP_DEFAULTS)
QUICK = dict(n_test=1000, mlp_epochs=1, rate_epochs=2)

#: Simulation settings (see the bridge docs): 1 ms steps, white pixel 200 Hz, 1 ms synapses.
SIM = dict(duration=100.0, dt=1.0, input_rate=200.0, tau_syn=1.0, every=1.0)
ENCODINGS = ("poisson", "current", "analog")
ENCODING_LABEL = {"poisson": "SNN, Poisson input", "current": "SNN, current-driven input layer",
                  "analog": "SNN, analog current into layer 1"}


# ---------------------------------------------------------------------------------- helpers
def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(type(o))


def _atomic_write_text(path: Path, text: str):
    with atomic_path(path) as tmp:
        with open(tmp, "w") as fh:
            fh.write(text)


def _hp_key(hp: dict) -> str:
    return json.dumps(hp, sort_keys=True, default=_json_default)


def confusion(labels, preds, n=10) -> np.ndarray:
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (np.asarray(labels, np.int64), np.asarray(preds, np.int64)), 1)
    return m


def get_mlp(data, cache: Path, hp: dict, retrain: bool, log):
    """The ANN baseline, trained or loaded from ``cache`` (.npz + .json with its history)."""
    meta_path = cache.with_suffix(".json")
    if not retrain and cache.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("hp_key") == _hp_key(hp):
            log(f"ANN: loaded {cache}")
            return MLP.load(cache), meta["history"], True
    log(f"ANN: training {dict(MNIST_MLP_DEFAULTS, **hp)} ...")
    model, hist = train_mnist_mlp(data, seed=0, verbose=True, **hp)
    model.save(cache)
    _atomic_write_text(meta_path, json.dumps({"hp_key": _hp_key(hp), "history": hist}, default=_json_default))
    return model, json.loads(json.dumps(hist, default=_json_default)), False


def get_rate_model(data, cache: Path, hp: dict, retrain: bool, log):
    """The LIF rate model, trained or loaded from ``cache`` (its history inside the .npz)."""
    if not retrain and cache.exists():
        model = RateModel.load(cache)
        if model.extra.get("hp_key") == _hp_key(hp):
            log(f"rate model: loaded {cache}")
            return model, model.extra["history"], True
    log(f"rate model: training {dict(RATE_MODEL_DEFAULTS, **hp)} ...")
    model, hist = train_rate_model(data, seed=0, verbose=True, **hp)
    hist = json.loads(json.dumps(hist, default=_json_default))
    model.save(cache, extra={"hp_key": _hp_key(hp), "history": hist})
    model.extra = {"hp_key": _hp_key(hp), "history": hist}
    return model, hist, False


# ------------------------------------------------------------------------------------ plots
def _figure(figsize, nrows=1, ncols=1, **kw):
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


COLORS = {"poisson": "tab:blue", "current": "tab:orange", "analog": "tab:green"}


def plot_accuracy(path, evals, ann_acc, rate_acc, n_images):
    fig, ax = _figure((8.0, 4.8))
    ax = ax[0, 0]
    lo = 100.0
    for enc, ev in evals.items():
        acc = 100 * ev.accuracy
        ax.plot(ev.times, acc, color=COLORS[enc], lw=1.6,
                label=f"{ENCODING_LABEL[enc]}: {acc[-1]:.2f} % at {ev.duration:g} ms")
        t5 = ev.latency(0.005)
        ax.axvline(t5, color=COLORS[enc], ls=":", lw=1.0)
        lo = min(lo, float(np.percentile(acc, 5)))
    ax.axhline(100 * ann_acc, color="k", ls="--", lw=1.2, label=f"ANN (MLP): {100 * ann_acc:.2f} %")
    ax.axhline(100 * rate_acc, color="tab:red", ls="-.", lw=1.2, label=f"LIF rate model: {100 * rate_acc:.2f} %")
    ax.set_ylim(max(lo - 1.0, 0.0), 100.0)
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"MNIST, {n_images} test images: accuracy against simulated time "
                 f"(dotted: within 0.5 points of final)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=130)


def plot_cost(path, evals, ann_macs):
    fig, axes = _figure((11.0, 4.4), 1, 2)
    a1, a2 = axes[0]
    for enc, ev in evals.items():
        a1.plot(ev.times, ev.spikes_time, color=COLORS[enc], label=ENCODING_LABEL[enc])
        e_snn = ev.synops_time * PJ_SYNOP + ev.macs_per_image * PJ_MAC
        a2.plot(ev.times, e_snn / 1e6, color=COLORS[enc],
                label=f"{ENCODING_LABEL[enc]}: {ev.synops_per_image:.3g} SynOps"
                      + (f" + {ev.macs_per_image:.3g} MACs" if ev.macs_per_image else ""))
        t5 = ev.latency(0.005)
        k = np.searchsorted(ev.times, t5)
        a2.plot([t5], [e_snn[min(k, e_snn.size - 1)] / 1e6], "o", color=COLORS[enc], ms=5)
    a2.axhline(ann_macs * PJ_MAC / 1e6, color="k", ls="--", label=f"ANN: {ann_macs:.3g} MACs")
    a1.set_xlabel("simulated time (ms)")
    a1.set_ylabel("spikes per image (cumulative)")
    a1.set_title("spikes per image", fontsize=10)
    a1.legend(fontsize=8)
    a2.set_xlabel("simulated time (ms)")
    a2.set_ylabel("energy per image (uJ)")
    a2.set_title(f"energy per image: SynOp {PJ_SYNOP:.1f} pJ, MAC {PJ_MAC:.1f} pJ (Horowitz 2014, 45 nm)\n"
                 "dots: latency to within 0.5 points of the final accuracy", fontsize=9)
    a2.legend(fontsize=7, loc="center right")
    for a in (a1, a2):
        a.grid(alpha=0.3)
    fig.savefig(path, dpi=130)


def plot_confusions(path, mats: dict):
    n = len(mats)
    fig, axes = _figure((3.3 * n, 3.6), 1, n)
    for ax, (title, m) in zip(axes[0], mats.items()):
        off = m.astype(float).copy()
        np.fill_diagonal(off, np.nan)
        im = ax.imshow(off, cmap="magma_r")
        for i in range(m.shape[0]):
            ax.text(i, i, str(m[i, i]), ha="center", va="center", fontsize=5, color="tab:blue")
        acc = np.trace(m) / m.sum()
        ax.set_title(f"{title}\n{100 * acc:.2f} %", fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.tick_params(labelsize=6)
        ax.figure.colorbar(im, ax=ax, shrink=0.7).ax.tick_params(labelsize=6)
    fig.suptitle("confusion matrices (off-diagonal errors coloured; diagonal counts in blue)", fontsize=9)
    fig.savefig(path, dpi=130)


def plot_raster(path, raster, image, label, encoding):
    res, conv = raster
    names = conv.layers
    sizes = {p.name: p.n for p in conv.net.populations}
    fig, axes = _figure((9.0, 7.0), 2, 1, height_ratios=[3.0, 1.2], sharex=True)
    ax, axv = axes[0, 0], axes[1, 0]
    offset = 0
    ticks = []
    cols = ["tab:gray", "tab:blue", "tab:purple", "tab:green", "tab:red"]
    for k, name in enumerate(names):
        if name in res.spikes:
            st = res.spikes[name]
            ax.scatter(st.times, st.node_ids + offset, s=0.6, color=cols[k % len(cols)], linewidths=0)
        ticks.append((offset + sizes[name] / 2, f"{name}\n({sizes[name]})"))
        offset += sizes[name]
        ax.axhline(offset, color="k", lw=0.4)
    ax.set_yticks([t for t, _ in ticks])
    ax.set_yticklabels([s for _, s in ticks], fontsize=7)
    ax.set_ylim(0, offset)
    ax.set_title(f"one test image (label {label}) through the network, {encoding} input", fontsize=10)
    ins = ax.inset_axes([1.01, 0.75, 0.2, 0.25])
    ins.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
    ins.set_xticks([])
    ins.set_yticks([])
    vmon = conv.monitors["v"]
    if vmon is not None and vmon.t.size:
        v = vmon.trace("v")[:, 0, :]
        for c in range(v.shape[1]):
            axv.plot(vmon.t, v[:, c], lw=2.0 if c == label else 0.8, label=str(c))
        axv.set_ylabel("readout v (mV)" if conv.readout == "linear" else "output v (mV)")
        axv.legend(ncol=10, fontsize=6, loc="upper left")
    axv.set_xlabel("time (ms)")
    fig.savefig(path, dpi=130)


# ----------------------------------------------------------------------------------- output
def write_h5(path: Path, payload: dict):
    """Write nested dicts of arrays/scalars into an HDF5 file atomically (temp file + rename)."""
    import h5py
    def put(group, d):
        for k, v in d.items():
            if isinstance(v, dict):
                put(group.require_group(k), v)
            elif isinstance(v, np.ndarray):
                group.create_dataset(k, data=v)
            elif isinstance(v, (list, tuple)) and len(v) and all(isinstance(x, (int, float, np.number)) for x in v):
                group.create_dataset(k, data=np.asarray(v))
            elif v is None:
                group.attrs[k] = "none"
            elif isinstance(v, (str, int, float, bool, np.number, np.bool_)):
                group.attrs[k] = v
            else:
                group.attrs[k] = json.dumps(v, default=_json_default)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            put(f, payload)


def _fmt(x, spec):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return format(x, spec)


def table(rows) -> str:
    head = (f"{'model':<36}{'acc %':>7}{'lat0.5':>8}{'lat0.1':>8}{'spikes':>9}{'SynOps':>10}{'MACs':>10}"
            f"{'uJ':>7}{'uJ@lat':>8}{'train s':>9}{'infer s':>9}{'cpu s':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['model']:<36}{_fmt(100 * r['accuracy'], '.2f'):>7}{_fmt(r.get('latency_0.5'), '.0f'):>8}"
                     f"{_fmt(r.get('latency_0.1'), '.0f'):>8}{_fmt(r.get('spikes_per_image'), '.0f'):>9}"
                     f"{_fmt(r.get('synops_per_image'), '.3g'):>10}{_fmt(r.get('macs_per_image'), '.3g'):>10}"
                     f"{_fmt(r.get('energy_uJ'), '.2f'):>7}{_fmt(r.get('energy_uJ_at_latency'), '.2f'):>8}"
                     f"{_fmt(r.get('train_time'), '.0f'):>9}"
                     f"{_fmt(r.get('infer_time'), '.1f'):>9}{_fmt(r.get('infer_cpu'), '.1f'):>8}")
    lines.append("latencies: ms of simulated time until the accuracy stays within 0.5 / 0.1 points of its final value;\n"
                 "spikes, SynOps (spikes x fan-out), MACs and energy (SynOp 0.9 pJ, MAC 4.6 pJ) per image over the "
                 "whole run;\nuJ@lat: energy per image spent until the 0.5-point latency;\n"
                 "train s: training wall time; infer s / cpu s: wall / process CPU time to classify all test images "
                 "(SNN: build + simulate + read out; STDP: label + test, from its own run's JSON)")
    return "\n".join(lines)


def stdp_row(path: Path, n_test: int, log):
    """The row of the STDP learner (Diehl & Cook 2015) from the JSON of ``benchmarks/stdp_mnist.py``
    (trained without labels; a separate, long run: its numbers are read, not recomputed); None when
    the file is missing or has no test accuracy."""
    if not path.is_file():
        log(f"no STDP row: {path} not found (python benchmarks/stdp_mnist.py --json {path})")
        return None
    d = json.loads(path.read_text())
    if "accuracy" not in d or "spikes_per_test_image" not in d:
        log(f"no STDP row: {path} has no test accuracy or spike counts")
        return None
    if d["test_images"] != n_test:
        log(f"STDP row: {path} was tested on {d['test_images']} images, this run on {n_test}")
    synops = d["synops_per_test_image"]
    return dict(model=f"SNN, STDP (Diehl & Cook 2015) N={d['n_excitatory']}", accuracy=d["accuracy"],
                spikes_per_image=float(sum(d["spikes_per_test_image"].values())),
                spikes_by_population=d["spikes_per_test_image"], synops_per_image=synops,
                macs_per_image=0.0, energy_uJ=synops * PJ_SYNOP / 1e6, train_time=d["train_wall_s"],
                infer_time=d["test_wall_s"] + d["label_wall_s"], test_images=d["test_images"],
                train_images=d["train_images"], source=str(path))


# -------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small version: 1000 images, short training")
    ap.add_argument("--retrain", action="store_true", help="ignore the cached models")
    ap.add_argument("--n-test", type=int, default=None, help="number of test images (default 10000, quick 1000)")
    ap.add_argument("--encodings", default=",".join(ENCODINGS), help="comma-separated subset of "
                    + ",".join(ENCODINGS))
    ap.add_argument("--duration", type=float, default=SIM["duration"], help="simulated time per image (ms)")
    ap.add_argument("--dt", type=float, default=SIM["dt"], help="time step (ms)")
    ap.add_argument("--batch-size", type=int, default=2000, help="images per simulator run")
    ap.add_argument("--threads", type=int, default=None, help="numba threads (default: all cores)")
    ap.add_argument("--out", default=str(RESULTS), help="output folder")
    ap.add_argument("--stdp-json", default=str(STDP_JSON),
                    help="summary of benchmarks/stdp_mnist.py whose numbers make the STDP row ('' for none)")
    args = ap.parse_args(argv)
    if args.threads:
        import numba
        numba.set_num_threads(args.threads)
    out = Path(args.out)
    cache_dir = out / "cache"
    encodings = [e.strip() for e in args.encodings.split(",") if e.strip()]
    for e in encodings:
        if e not in ENCODINGS:
            ap.error(f"unknown encoding {e!r}; choose from {ENCODINGS}")
    t_all, c_all = time.perf_counter(), time.process_time()

    def log(msg):
        print(f"[{time.perf_counter() - t_all:7.1f} s] {msg}", flush=True)

    data = load_mnist()
    n_test = args.n_test or (QUICK["n_test"] if args.quick else len(data.test_labels))
    x_test, y_test = data.test_images[:n_test], data.test_labels[:n_test]
    suffix = "_quick" if args.quick else ""
    mlp_hp = dict(MLP_HP, **({"epochs": QUICK["mlp_epochs"]} if args.quick else {}))
    rate_hp = dict(RATE_HP, dt=args.dt, **({"epochs": QUICK["rate_epochs"]} if args.quick else {}))

    # ---- ANN
    t0 = time.perf_counter()
    mlp, mlp_hist, mlp_cached = get_mlp(data, cache_dir / f"mlp{suffix}.npz", mlp_hp, args.retrain, log)
    t_inf, c_inf = time.perf_counter(), time.process_time()
    mlp_pred = mlp.predict(x_test)
    mlp_infer, mlp_cpu = time.perf_counter() - t_inf, time.process_time() - c_inf
    mlp_acc = float(np.mean(mlp_pred == y_test))
    log(f"ANN {mlp.sizes}: test accuracy {100 * mlp_acc:.2f} % on {n_test} images")

    # ---- rate model
    rate, rate_hist, rate_cached = get_rate_model(data, cache_dir / f"rate_model{suffix}.npz", rate_hp,
                                                  args.retrain, log)
    t_inf, c_inf = time.perf_counter(), time.process_time()
    rate_pred = rate.predict(x_test)
    rate_infer, rate_cpu = time.perf_counter() - t_inf, time.process_time() - c_inf
    rate_acc = float(np.mean(rate_pred == y_test))
    rate_acc_soft = rate.accuracy(x_test, y_test, mode="soft")
    rate_acc_grid = rate.accuracy(x_test, y_test, mode="grid")
    log(f"rate model {rate.sizes}: test accuracy {100 * rate_acc:.2f} % (LIF rates; soft LIF "
        f"{100 * rate_acc_soft:.2f} %, on-grid rates {100 * rate_acc_grid:.2f} %)")

    # ---- SNN
    evals = {}
    for enc in encodings:
        log(f"SNN, {enc} input: simulating {n_test} images x {args.duration:g} ms (dt {args.dt:g} ms, "
            f"batches of {args.batch_size}) ...")
        ev = evaluate(rate, x_test, y_test, enc, duration=args.duration, dt=args.dt,
                      batch_size=args.batch_size, input_rate=SIM["input_rate"], tau_syn=SIM["tau_syn"],
                      every=SIM["every"], seed=1, rate_model_predictions=rate_pred, verbose=True)
        evals[enc] = ev
        log(f"  accuracy {100 * ev.final_accuracy:.2f} %, agreement with rate model {100 * ev.agreement:.2f} %, "
            f"latency {ev.latency(0.005):g} / {ev.latency(0.001):g} ms, wall {ev.wall_time:.1f} s "
            f"(CPU {ev.cpu_time:.1f} s, kernels compiled/loaded in {ev.compile_time:.1f} s)")

    # ---- raster of one image
    raster_enc = "poisson" if "poisson" in encodings else encodings[0]
    raster = record_raster(rate, x_test[0], raster_enc, duration=args.duration, dt=args.dt,
                           input_rate=SIM["input_rate"], tau_syn=SIM["tau_syn"])

    # ---- numbers
    ann_macs = mlp.macs_per_inference
    rate_macs = rate.macs_per_inference
    rows = [dict(model=f"ANN MLP {'-'.join(map(str, mlp.sizes))}", accuracy=mlp_acc, macs_per_image=ann_macs,
                 energy_uJ=ann_macs * PJ_MAC / 1e6, train_time=mlp_hist.get("wall_time"), infer_time=mlp_infer,
                 infer_cpu=mlp_cpu,
                 cached=mlp_cached),
            dict(model=f"LIF rate model {'-'.join(map(str, rate.sizes))}", accuracy=rate_acc,
                 accuracy_soft=rate_acc_soft, accuracy_grid=rate_acc_grid, macs_per_image=rate_macs,
                 energy_uJ=rate_macs * PJ_MAC / 1e6, train_time=rate_hist.get("wall_time"), infer_time=rate_infer,
                 infer_cpu=rate_cpu,
                 cached=rate_cached)]
    for enc, ev in evals.items():
        s = ev.summary()
        k_lat = min(int(np.searchsorted(ev.times, s["latency_0.5"] - 1e-9)), ev.times.size - 1)
        rows.append(dict(model=ENCODING_LABEL[enc], accuracy=ev.final_accuracy,
                         spikes_at_latency=float(ev.spikes_time[k_lat]), synops_at_latency=float(ev.synops_time[k_lat]),
                         energy_uJ_at_latency=(ev.synops_time[k_lat] * PJ_SYNOP + ev.macs_per_image * PJ_MAC) / 1e6,
                         **{k: s[k] for k in ("latency_0.5", "latency_0.1", "spikes_per_image", "synops_per_image",
                                              "macs_per_image", "accuracy_at_50ms", "agreement_with_rate_model",
                                              "wall_time", "cpu_time", "sim_time", "compile_time")},
                         spikes_by_population=s["spikes_per_image_by_population"],
                         energy_uJ=(ev.synops_per_image * PJ_SYNOP + ev.macs_per_image * PJ_MAC) / 1e6,
                         infer_time=ev.wall_time, infer_cpu=ev.cpu_time, encoding=enc))
    srow = stdp_row(Path(args.stdp_json), n_test, log) if args.stdp_json else None
    if srow is not None:
        rows.append(srow)
    print()
    print(table(rows))
    print()

    # ---- files
    out.mkdir(parents=True, exist_ok=True)
    stem = "mnist_quick" if args.quick else "mnist"
    settings = dict(n_test=n_test, quick=args.quick, duration=args.duration, dt=args.dt,
                    batch_size=args.batch_size, input_rate=SIM["input_rate"], tau_syn=SIM["tau_syn"],
                    every=SIM["every"], threads=__import__("numba").get_num_threads(), neuron=rate.neuron.to_dict(),
                    rate_model=rate.config(), mlp_hyperparameters=dict(MNIST_MLP_DEFAULTS, **mlp_hp),
                    rate_hyperparameters=dict(RATE_MODEL_DEFAULTS, **rate_hp),
                    energy_pJ=dict(add=PJ_ADD, mult=PJ_MULT, mac=PJ_MAC, synop=PJ_SYNOP,
                                   source="Horowitz 2014, ISSCC, 45 nm, 32-bit float"))
    summary = dict(created=_dt.datetime.now(_dt.timezone.utc).isoformat(), neurosim_version=ns.__version__,
                   settings=settings, rows=rows, total_wall_time=None)
    # root attributes describe the run; the data live under /bridge (DESIGN.md, "Results on disk")
    payload = {"schema": "neurosim-bridge-mnist", "schema_version": 1, "created": summary["created"],
               "neurosim_version": ns.__version__, "settings": json.dumps(settings, default=_json_default)}
    bridge = {"labels": np.asarray(y_test),
               "ann": {"accuracy": mlp_acc, "macs_per_image": ann_macs, "predictions": mlp_pred,
                       "confusion": confusion(y_test, mlp_pred), "train_loss": np.asarray(mlp_hist.get("train_loss", [])),
                       "val_accuracy": np.asarray(mlp_hist.get("val_accuracy", [])),
                       "sizes": np.asarray(mlp.sizes)},
               "rate_model": {"accuracy": rate_acc, "accuracy_soft": rate_acc_soft, "accuracy_grid": rate_acc_grid,
                              "predictions": rate_pred, "confusion": confusion(y_test, rate_pred),
                              "train_loss": np.asarray(rate_hist.get("train_loss", [])),
                              "val_accuracy": np.asarray(rate_hist.get("val_accuracy", [])),
                              "config": json.dumps(rate.config(), default=_json_default)},
               "snn": {}}
    payload["bridge"] = bridge
    for enc, ev in evals.items():
        s = ev.summary()
        bridge["snn"][enc] = {"times": ev.times, "accuracy": ev.accuracy, "spikes_time": ev.spikes_time,
                               "synops_time": ev.synops_time, "predictions": ev.predictions, "scores": ev.scores,
                               "confusion": confusion(y_test, ev.predictions),
                               **{k: v for k, v in s.items() if not isinstance(v, dict)},
                               "spikes_per_image_by_population": json.dumps(s["spikes_per_image_by_population"],
                                                                             default=_json_default)}
    res, conv = raster
    bridge["raster"] = {"encoding": raster_enc, "label": int(y_test[0]), "image": np.asarray(x_test[0])}
    for name, st in res.spikes.items():
        bridge["raster"][name] = {"times": st.times, "node_ids": st.node_ids}
    if conv.monitors["v"] is not None:
        bridge["raster"]["output_v"] = {"times": conv.monitors["v"].t, "v": conv.monitors["v"].trace("v")[:, 0, :]}

    plot_accuracy(out / f"{stem}_accuracy_vs_time.png", evals, mlp_acc, rate_acc, n_test)
    plot_cost(out / f"{stem}_cost.png", evals, ann_macs)
    mats = {"ANN (MLP)": confusion(y_test, mlp_pred), "LIF rate model": confusion(y_test, rate_pred)}
    for enc, ev in evals.items():
        mats[ENCODING_LABEL[enc].replace("SNN, ", "SNN\n")] = confusion(y_test, ev.predictions)
    plot_confusions(out / f"{stem}_confusion.png", mats)
    plot_raster(out / f"{stem}_raster.png", raster, x_test[0], int(y_test[0]), raster_enc)

    summary["total_wall_time"] = time.perf_counter() - t_all
    summary["total_cpu_time"] = time.process_time() - c_all
    payload["total_wall_time"] = summary["total_wall_time"]
    payload["total_cpu_time"] = summary["total_cpu_time"]
    payload["summary"] = json.dumps(rows, default=_json_default)
    write_h5(out / f"{stem}.h5", payload)
    _atomic_write_text(out / f"{stem}.json", json.dumps(summary, indent=1, default=_json_default))
    log(f"wrote {out / (stem + '.h5')}, {out / (stem + '.json')} and 4 PNG plots; whole benchmark "
        f"{summary['total_wall_time']:.0f} s wall, {summary['total_cpu_time']:.0f} s CPU "
        f"({settings['threads']} numba thread(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
