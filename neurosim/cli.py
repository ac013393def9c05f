"""Command line interface (entry point ``neurosim``).

::

    neurosim run MODEL.py [--duration MS] [--seed N] [--backend cpu|cuda|auto]
                          [--out results/MODEL.h5] [--set NAME=VALUE ...] [--no-plot]
    neurosim run MODEL.py --help        # the options, and the model's parameters with defaults and units
    neurosim info FILE.h5
    neurosim plot raster|rates|traces|weights|isi|cv FILE.h5 [-o FIG.png] [--population P]
                          [--window T0 T1] [--trial N] [--projection NAME] [--dpi 10..1200]
    neurosim export FILE.h5 --to nwb|neo-nix [-o OUT]      # see neurosim.cli_export

``run`` writes the HDF5 result (default ``results/<model>.h5``), a PNG next to it
(``results/<model>.png``) and prints a summary table.  The PNG is the raster, unless the model
script names its own figure (``FIGURE = "<plot kind>"`` or ``figure(result) -> Figure``, see
:mod:`neurosim.modelhelp`): then ``results/<model>.png`` is that figure and the raster goes
beside it as ``results/<model>_raster.png``.  Spikes are streamed to the result file
chunk by chunk as the model runs (``Network.stream_to``), so memory does not grow with the run
length; the file appears at its path only when complete (an error, Ctrl-C -- exit status 130 --
or SIGTERM -- 143 -- leaves any older file there untouched and no temporary file; see
:func:`_guard`).  The raster PNG shows the whole run, or its first ``RASTER_WINDOW_MS`` (1000 ms)
when the run is longer, read from the file without loading the other spikes; ``neurosim plot
raster FILE --window T0 T1`` draws any other window the same way.  Every model script in ``models/``
defines ``DEFAULTS`` (dict of parameters), ``DURATION`` (ms) and
``build(seed=..., **params) -> Network``; ``python models/X.py`` calls :func:`script_main`,
which does the same as ``neurosim run models/X.py``.

``plot --trial N`` picks the trial (batch row) of every plot; a trial the file does not have is
an error.  The population rates of a file are summed over trials, so ``plot rates --trial N``
of a multi-trial file recomputes that trial's rate from its spikes.

Errors (a missing file, an unknown model, an unknown or badly typed ``--set`` parameter, an
invalid value rejected by the model, a model whose ``build()`` fails or returns no Network, a
network too big for the memory, an unknown image format, an output path below a file, a trial
out of range) print one line starting with ``error:`` on stderr and exit with a non-zero status;
set ``NEUROSIM_TRACEBACK=1`` to see the traceback instead.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import signal
import sys

from . import cli_export, interrupts
from .atomic import atomic_path
from .errors import NeurosimError
from .logs import stderr_logging
from .parallel import is_root
from .parallel.world import abort_all
from .outputs import DPI_RANGE, check_out as _check_out, check_image as _check_image, dpi as _dpi

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
PLOT_KINDS = ("raster", "rates", "traces", "weights", "isi", "cv")
#: ``neurosim run`` draws the raster PNG of the first this many ms of longer runs.
RASTER_WINDOW_MS = 1000.0


class CliError(NeurosimError):
    """A command-line problem reported as one ``error:`` line."""


def _resolve_model(path: str) -> str:
    if os.path.isfile(path):
        return path
    base = path if path.endswith(".py") else path + ".py"
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [base, os.path.join("models", os.path.basename(base))]
    if os.sep not in path and "/" not in path:      # a bare name: also the repository's models/
        candidates.append(os.path.join(here, "models", os.path.basename(base)))
    for c in candidates:
        if os.path.isfile(c):
            return c
    if os.path.isdir(path):
        raise CliError(f"unknown model {path!r}: it is a directory, not a model script")
    raise CliError(f"unknown model {path!r}: model script not found (looked for {', '.join(dict.fromkeys(candidates))})")


def load_model(path: str):
    """Import a model script by path (or by name, ``coba`` -> ``models/coba.py``) and check that
    it defines ``build``, ``DEFAULTS`` and ``DURATION``."""
    path = _resolve_model(path)
    name = "neurosim_model_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CliError(f"{path} is not a Python model script")
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except NeurosimError:
        raise
    except Exception as exc:  # a broken script: report it in one line
        raise CliError(f"could not import model script {path}: {type(exc).__name__}: {exc}") from exc
    for attr in ("build", "DEFAULTS", "DURATION"):
        if not hasattr(mod, attr):
            raise CliError(f"{path} is not a neurosim model script (it lacks {attr})")
    mod.__neurosim_path__ = path
    return mod


def _coerce(name: str, text: str, default):
    """The value of ``--set name=text``, checked against the type of the model's default."""
    try:
        val = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        val = text
    if isinstance(default, bool):
        if isinstance(val, str) and val.lower() in ("true", "false", "yes", "no", "on", "off"):
            return val.lower() in ("true", "yes", "on")
        if isinstance(val, bool) or val in (0, 1):
            return bool(val)
        raise CliError(f"--set {name}={text}: expected true or false (default {default!r})")
    if isinstance(default, int):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or (isinstance(val, float) and not val.is_integer()):
            raise CliError(f"--set {name}={text}: expected an integer (default {default!r})")
        return int(val)
    if isinstance(default, float):
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise CliError(f"--set {name}={text}: expected a number (default {default!r})")
        return float(val)
    if isinstance(default, str) and not isinstance(val, str):
        return text
    return val


def parse_set(items, defaults: dict) -> dict:
    """``["n=400", "w_e=4.5"]`` -> ``{"n": 400, "w_e": 4.5}``: each name must be one of the
    model's ``DEFAULTS`` and the value must match the default's type."""
    params = {}
    for item in items or []:
        if "=" not in item:
            raise CliError(f"--set expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        k = k.strip()
        if k not in defaults:
            raise CliError(f"unknown parameter {k!r} for --set; known: {', '.join(sorted(defaults))}")
        params[k] = _coerce(k, v.strip(), defaults[k])
    return params


def run_model(path: str, duration=None, seed=1, backend="cpu", sets=None, out=None, quiet=False, stream_to=None):
    """Load a model script, build it with ``DEFAULTS`` overridden by ``sets`` and run it for
    ``duration`` ms (default the script's ``DURATION``).  Returns ``(module, network, result)``;
    ``out`` is accepted for compatibility and ignored (see :func:`run_and_save`).  ``stream_to``:
    stream the spikes to that result file (``Network.stream_to``; complete it with ``net.save()``)."""
    mod = load_model(path)
    params = parse_set(sets, mod.DEFAULTS)
    name = os.path.basename(mod.__neurosim_path__)
    try:
        net = mod.build(seed=seed, **params)
    except NeurosimError:
        raise
    except Exception as exc:        # a model's own bug or a parameter it rejects: one line
        if os.environ.get("NEUROSIM_TRACEBACK"):
            raise
        what = f"rejected the parameters {params}" if isinstance(exc, (TypeError, ValueError)) else "failed"
        raise CliError(f"model {name}: build() {what}: {type(exc).__name__}: {exc}") from exc
    from .network import Network
    if not isinstance(net, Network):
        raise CliError(f"model {name}: build() must return a neurosim Network, it returned {type(net).__name__} "
                       f"{net!r:.40}")
    dur = float(mod.DURATION if duration is None else duration)
    try:
        result = net.run(dur, backend=backend, stream_to=stream_to)
    except MemoryError as exc:
        if isinstance(exc, NeurosimError) or os.environ.get("NEUROSIM_TRACEBACK"):
            raise
        raise CliError(f"model {name}: ran out of memory ({exc or 'MemoryError'}); make the network smaller "
                       "or the run shorter") from exc
    return mod, net, result


def default_out(model_path: str) -> str:
    """``results/<model>.h5`` (relative to the working directory)."""
    return os.path.join("results", os.path.splitext(os.path.basename(model_path))[0] + ".h5")


def run_and_save(path: str, duration=None, seed=1, backend="cpu", sets=None, out=None, plot=True, stream=None):
    """Run a model script, save the result (HDF5) and a raster PNG next to it, print the summary.
    Returns ``(result, h5_path, png_path or None)``."""
    stream = sys.stdout if stream is None else stream
    out = out or default_out(_resolve_model(path))
    _check_out(out, "--out")
    if os.path.isdir(out):
        raise CliError(f"--out {out} is a directory; give a file name such as {os.path.join(out, 'run.h5')}")
    mod, net, result = run_model(path, duration, seed, backend, sets, stream_to=out)
    try:
        result.meta.setdefault("model", os.path.basename(mod.__neurosim_path__))
        if sets:
            result.meta.setdefault("model_params", " ".join(sets))
        with interrupts.deferred():     # Ctrl-C/SIGTERM: the commit checks for it before renaming
            net.save(result=result)
            interrupts.finished()       # the file is in place: complete the figures and summary
    except BaseException:
        if net._stream is not None:
            net._stream.abort()
        raise
    if not is_root():      # MPI: rank 0 writes the figures and prints the summary
        return result, out, None
    pngs = _write_figures(mod, result, out) if plot else []
    print(result.summary(), file=stream)
    print(f"wrote {out}" + "".join(f" and {p}" for p in pngs), file=stream)
    return result, out, (pngs[0] if pngs else None)


def _write_figures(mod, result, out) -> list:
    """The PNGs of ``neurosim run``: the model's own figure (``FIGURE`` or ``figure(result)``,
    see :mod:`neurosim.modelhelp`) as ``<out>.png`` and the raster as ``<out>_raster.png``;
    without a model figure the raster is ``<out>.png``.  Returns the paths written."""
    from .modelhelp import model_figure
    base, pngs = os.path.splitext(out)[0], []
    fig = model_figure(mod, result, out)
    if fig is not None:
        _savefig(fig, base + ".png")
        pngs.append(base + ".png")
    if result.spikes:
        from .plots import raster
        from .io.hdf5 import read_spike_window
        from .result import Result
        png = base + ("_raster.png" if pngs else ".png")
        dur = result.duration
        name = os.path.basename(mod.__neurosim_path__)
        window = (0.0, min(dur, RASTER_WINDOW_MS))
        view = Result(spikes=read_spike_window(out, window), spec=result.spec, meta=result.meta)
        title = f"{name}: {dur:g} ms" if dur <= RASTER_WINDOW_MS else f"{name}: first {window[1]:g} ms of {dur:g} ms"
        _savefig(raster(view, t_window=window, title=title), png)
        pngs.append(png)
    return pngs


def _savefig(fig, path, dpi=110):
    """Save a figure atomically (temporary file in the same directory, then rename)."""
    # an interrupted `neurosim plot` replaces no image: check() right before the rename, and the
    # rename and the clean-up with signals deferred
    with atomic_path(path, suffix=os.path.splitext(path)[1] or ".png",
                     guard=interrupts.deferred, before_replace=interrupts.check) as tmp:
        fig.savefig(tmp, dpi=dpi)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line ``error:`` messages."""

    def error(self, message):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_run_args(ap):
    ap.add_argument("-h", "--help", action="store_true",
                    help="show this help; with a model, also its parameters (types, defaults, units)")
    ap.add_argument("--duration", type=float, default=None, help="simulated time (ms); default: the model's DURATION")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a model parameter (repeatable)")
    ap.add_argument("--out", default=None, help="HDF5 result path (default results/<model>.h5)")
    ap.add_argument("--no-plot", action="store_true", help="do not write the PNGs (raster, model figure)")


def _guard(fn, process: bool = False):
    """Run ``fn()``; report neurosim errors and interrupts as one ``error:`` line.

    Ctrl-C (SIGINT) and SIGTERM are handled (:func:`neurosim.interrupts.handled`): until the
    command's result file is in place they stop it with exit status 130 (SIGINT) or 143
    (SIGTERM), an older file at the target untouched and no temporary file left -- also when the
    ``KeyboardInterrupt`` was swallowed by a callback (``Exception ignored in ...``), since the
    signal is recorded and checked before the file is renamed into place.  Once the file is in
    place, the command completes (figures, summary) and exits 0.  ``process``: ``fn`` is the whole
    process (the console script); signals are then ignored after such a completion, while the
    interpreter exits."""
    with interrupts.handled(ignore_after_finish=process):
        try:
            rc = fn()
            interrupts.check()          # a swallowed interrupt still fails the command
            return rc
        except KeyboardInterrupt:
            with interrupts.deferred():
                sig = interrupts.requested()
                print("error: interrupted" + (" (SIGTERM)" if sig == signal.SIGTERM else ""), file=sys.stderr)
                abort_all(interrupts.exit_code())
                return interrupts.exit_code()
        except NeurosimError as exc:
            if os.environ.get("NEUROSIM_TRACEBACK"):
                raise
            msg = " ".join(str(exc).split())
            print(f"error: {msg}", file=sys.stderr)
            abort_all(EXIT_ERROR)       # MPI: the other ranks must not wait for this one
            return EXIT_ERROR
        except OSError as exc:  # e.g. the output directory is not writable
            if os.environ.get("NEUROSIM_TRACEBACK"):
                raise
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
            abort_all(EXIT_ERROR)
            return EXIT_ERROR


def script_main(path: str, argv=None) -> int:
    """Entry point of ``python models/X.py``: the same as ``neurosim run models/X.py``."""
    with stderr_logging():   # the compile notice and other INFO records of the library, on stderr
        return _script_main(path, argv)


def _script_main(path: str, argv) -> int:
    ap = _Parser(prog=os.path.basename(path), description=f"run {os.path.basename(path)}, save and plot the result",
                 add_help=False)
    _add_run_args(ap)
    args = ap.parse_args(argv)

    def go():
        if args.help:
            return _run_help(ap, path)
        run_and_save(path, args.duration, args.seed, args.backend, args.set, args.out, plot=not args.no_plot)
        return 0
    return _guard(go, process=argv is None)


def _run_help(parser, model) -> int:
    """``run --help``: the options, then (with a model) its parameters, defaults and units."""
    print(parser.format_help())
    if model:
        from .modelhelp import parameter_help
        print(parameter_help(load_model(model)))
    return 0


# --------------------------------------------------------------------------- info
def _fmt_bytes(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n} B"


def info_text(path: str) -> str:
    """Human-readable description of a result file (metadata, spikes, states, rates, weights)."""
    from .io.hdf5 import describe_file
    d = describe_file(path)
    m = dict(d["meta"])
    lines = [f"{path}: neurosim result, {_fmt_bytes(os.path.getsize(path))}"]
    lines.append(f"  written by neurosim {m.pop('neurosim_version', '?')} on {m.pop('created', '?')}")
    lines.append("  checksums: verified (every dataset, attribute and the spec)" if d["checksums"] == "verified" else
                 "  checksums: none (an older file, schema_version 1): corruption of its spec, attributes and "
                 "scalars cannot be detected")
    dur = m.get("duration")
    run_keys = ("model", "dt", "duration", "seed", "batch", "backend", "threads", "wall_time")
    parts = []
    lo = m.pop("threads_min", None)
    for k in run_keys:
        if k in m:
            v = m.pop(k)
            unit = {"dt": " ms", "duration": " ms", "wall_time": " s"}.get(k, "")
            if k == "threads" and lo is not None and lo != v:
                v = f"{lo}-{v} (per chunk)"
            parts.append(f"{k} {v:.4g}{unit}" if isinstance(v, float) else f"{k} {v}{unit}")
    if parts:
        lines.append("  run: " + ", ".join(parts))
    if m:
        lines.append("  other metadata: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                      for k, v in m.items()))
    spec = d["spec"]
    if spec:
        lines.append("  spec: populations " + ", ".join(f"{n} ({k})" for n, k in spec["populations"]) +
                     (f"; {len(spec['projections'])} projections" if spec["projections"] else ""))
    lines.append("spikes:" if d["spikes"] else "spikes: none")
    for p, s in d["spikes"].items():
        denom = s["n_recorded"] * s["n_trials"] * (float(dur) * 1e-3 if dur else 0.0)
        rate = f"{s['n_spikes'] / denom:9.2f} Hz" if denom else ""
        lines.append(f"  {p:<14}{s['n_neurons']:>8d} neurons {s['n_recorded']:>8d} recorded "
                     f"{s['n_trials']:>3d} trial(s) {s['n_spikes']:>11d} spikes {rate}")
    lines.append("states:" if d["states"] else "states: none")
    for (p, v), (ns_, nt, ni, unit) in d["states"].items():
        lines.append(f"  {p}.{v:<10} {ns_} samples x {nt} trial(s) x {ni} neurons" + (f" ({unit})" if unit else ""))
    lines.append("rates:" if d["rates"] else "rates: none")
    for p, (n, dt) in d["rates"].items():
        lines.append(f"  {p:<14} {n} steps of {dt:g} ms")
    lines.append("weights:" if d["weights"] else "weights: none")
    for q, (n, rec, unit, snaps) in d["weights"].items():
        lines.append(f"  {q:<20} {n} synapses ({rec}, {unit})" + (f", {snaps} snapshots" if snaps else ""))
    if d["extra"]:
        lines.append("extra: " + ", ".join(d["extra"]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- plot
def make_plot(kind: str, path: str, population=None, window=None, trial=None, projection=None):
    """The Figure of ``neurosim plot KIND FILE``."""
    from . import plots
    from .io.hdf5 import read_result, describe_file, read_spike_window
    from .result import Result
    if kind == "raster" and window is not None:     # read only the spikes of the window
        res = Result(spikes=read_spike_window(path, window), meta=describe_file(path, full=False)["meta"])
    else:
        res = read_result(path)
    try:
        if kind == "raster":
            return plots.raster(res, populations=population, t_window=window, trial=0 if trial is None else trial)
        if kind == "rates":
            return plots.plot_rates(res, populations=population, t_window=window, trial=trial)
        if kind == "traces":
            return plots.plot_traces(res, population=population, t_window=window, trial=trial or 0)
        if kind == "weights":
            return plots.plot_weights(res, projection=projection, trial=trial or 0)
        if kind == "isi":
            return plots.plot_isi(res, populations=population, trial=trial)
        if kind == "cv":
            return plots.plot_cv(res, populations=population, trial=trial)
    except (KeyError, ValueError) as exc:
        raise CliError(f"cannot plot {kind} of {path}: {exc.args[0] if exc.args else exc}") from exc
    raise CliError(f"unknown plot kind {kind!r}; choose from {', '.join(PLOT_KINDS)}")


def main(argv=None) -> int:
    """Entry point of the ``neurosim`` command."""
    with stderr_logging():   # the compile notice and other INFO records of the library, on stderr
        return _main(argv)


def _main(argv) -> int:
    ap = _Parser(prog="neurosim", description="neurosim: run models, inspect, plot and export result files")
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="run a model script, save results/<model>.h5 and .png, print a summary",
                       add_help=False)
    r.add_argument("model", nargs="?", help="model script (models/coba.py) or name (coba)")
    _add_run_args(r)
    i = sub.add_parser("info", help="describe a result file")
    i.add_argument("file")
    p = sub.add_parser("plot", help="plot a result file to an image")
    p.add_argument("kind", choices=PLOT_KINDS)
    p.add_argument("file")
    p.add_argument("-o", "--out", default=None, help="image path (default FILE_<kind>.png)")
    p.add_argument("--population", default=None, help="population to show (default all / the first)")
    p.add_argument("--window", nargs=2, type=float, metavar=("T0", "T1"), default=None, help="time window (ms)")
    p.add_argument("--trial", type=int, default=None, help="trial (batch row): raster, traces and weights show "
                   "trial 0 by default, rates, isi and cv all trials together")
    p.add_argument("--projection", default=None, help="projection for 'weights' (default the first)")
    p.add_argument("--dpi", type=_dpi, default=110, help=f"image resolution, {DPI_RANGE[0]}-{DPI_RANGE[1]} "
                   "dots per inch (default 110)")
    cli_export.add_parser(sub)
    args = ap.parse_args(argv)

    def go():
        if args.cmd == "export":
            return cli_export.run(args)
        if args.cmd == "run" and args.help:
            return _run_help(r, args.model)
        if args.cmd == "run" and not args.model:
            r.error("the following arguments are required: model")
        if args.cmd == "run":
            run_and_save(args.model, args.duration, args.seed, args.backend, args.set, args.out,
                         plot=not args.no_plot)
        elif args.cmd == "info":
            print(info_text(args.file))
        elif args.cmd == "plot":
            out = args.out or os.path.splitext(args.file)[0] + f"_{args.kind}.png"
            _check_image(out)
            fig = make_plot(args.kind, args.file, args.population, args.window, args.trial, args.projection)
            _savefig(fig, out, dpi=args.dpi)
            print(f"wrote {out}")
        return 0
    return _guard(go, process=argv is None)


if __name__ == "__main__":
    raise SystemExit(main())
