"""The command line, through subprocesses: ``neurosim run|info|plot`` and ``python models/X.py``
write the expected files and print a summary; every user error is one ``error:`` line."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim.io.hdf5 import write_result
from neurosim.result import Result, SpikeTrains, StateTrace, WeightTable

REPO = Path(__file__).resolve().parents[1]
COBA = str(REPO / "models" / "coba.py")
SMALL = ["--set", "n=400", "--duration", "100"]
PNG = b"\x89PNG\r\n\x1a\n"


def cli(*args, cwd, timeout=300):
    return subprocess.run([sys.executable, "-m", "neurosim.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_error(proc, *words):
    assert proc.returncode != 0, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def summary_counts(stdout):
    """{population: (neurons, recorded, spikes)} parsed from the printed summary table."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+|-)\s*$", line)
        if m:
            out[m.group(1)] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    return out


@pytest.fixture(scope="module")
def coba_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_run")
    proc = cli("run", COBA, *SMALL, "--seed", "3", "--out", "out/coba_small.h5", cwd=d)
    assert proc.returncode == 0, proc.stderr
    return d, proc


def test_run_writes_result_png_and_summary(coba_run):
    d, proc = coba_run
    h5, png = d / "out" / "coba_small.h5", d / "out" / "coba_small.png"
    assert h5.is_file() and png.read_bytes()[:8] == PNG
    res = ns.load(h5)
    assert res.meta["duration"] == pytest.approx(100.0) and res.meta["seed"] == 3
    assert sum(p["n"] for p in res.spec["populations"]) == 400
    counts = summary_counts(proc.stdout)
    assert set(counts) == {"exc", "inh"}
    sizes = {p["name"]: p["n"] for p in res.spec["populations"]}
    for name, (neurons, recorded, spikes) in counts.items():
        assert neurons == sizes[name] and recorded == res.spikes[name].recorded.size
        assert spikes == res.spikes[name].times.size
    assert "real-time factor" in proc.stdout and "wall time" in proc.stdout
    assert not [n for n in os.listdir(d / "out") if n.endswith(".tmp") or n.endswith(".tmp.png")]


def test_script_main_does_the_same_as_neurosim_run(coba_run, tmp_path):
    d, _ = coba_run
    proc = subprocess.run([sys.executable, COBA, *SMALL, "--seed", "3"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    h5, png = tmp_path / "results" / "coba.h5", tmp_path / "results" / "coba.png"
    assert h5.is_file() and png.read_bytes()[:8] == PNG
    a, b = ns.load(h5), ns.load(d / "out" / "coba_small.h5")
    for name in ("exc", "inh"):
        assert np.array_equal(a.spikes[name].times, b.spikes[name].times)
        assert np.array_equal(a.spikes[name].node_ids, b.spikes[name].node_ids)
    assert summary_counts(proc.stdout) == {k: (v.n, v.recorded.size, v.times.size) for k, v in a.spikes.items()}


def test_run_default_output_path(tmp_path):
    proc = cli("run", COBA, "--set", "n=100", "--duration", "20", "--no-plot", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "coba.h5").is_file()
    assert not (tmp_path / "results" / "coba.png").exists()


def test_info_lists_contents(coba_run):
    d, _ = coba_run
    h5 = d / "out" / "coba_small.h5"
    proc = cli("info", h5, cwd=d)
    assert proc.returncode == 0, proc.stderr
    res = ns.load(h5)
    for name, st in res.spikes.items():
        line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith(name + " "))
        assert f" {st.times.size} spikes" in line
    assert "duration 100 ms" in proc.stdout and "seed 3" in proc.stdout
    assert "rates:" in proc.stdout and "weights: none" in proc.stdout


@pytest.fixture
def rich_file(tmp_path):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, 500)
    t = np.sort(rng.uniform(0, 50.0, 500))
    res = Result(
        spikes={"exc": SpikeTrains("exc", 20, ids, t, np.zeros(500, np.int32), np.arange(20))},
        states={("exc", "v"): StateTrace("exc", "v", "mV", np.array([0, 1]), np.array([0]), np.arange(100) * 0.5,
                                         rng.normal(-60, 3, (100, 1, 2)))},
        weights={"exc_to_exc": WeightTable("exc_to_exc", "AMPA", rng.integers(0, 20, 50), rng.integers(0, 20, 50),
                                           np.ones(50), rng.random(50))},
        meta={"dt": 0.1, "duration": 50.0, "seed": 1})
    p = tmp_path / "rich.h5"
    write_result(res, p)
    return p


@pytest.mark.parametrize("kind", ["raster", "rates", "traces", "weights", "isi", "cv"])
def test_plot_commands_write_pngs(rich_file, tmp_path, kind):
    out = tmp_path / "figs" / f"{kind}.png"
    proc = cli("plot", kind, rich_file, "-o", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == PNG


def test_plot_default_output_name(rich_file, tmp_path):
    proc = cli("plot", "raster", rich_file, "--window", "10", "20", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rich_raster.png").read_bytes()[:8] == PNG


def test_one_line_errors(tmp_path, rich_file):
    assert_one_line_error(cli("info", tmp_path / "missing.h5", cwd=tmp_path), "not found", "missing.h5")
    assert_one_line_error(cli("plot", "raster", tmp_path / "missing.h5", cwd=tmp_path), "not found")
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    assert_one_line_error(cli("info", text, cwd=tmp_path), "not an HDF5 file")
    assert_one_line_error(cli("run", tmp_path / "nomodel.py", cwd=tmp_path), "unknown model", "nomodel")
    assert_one_line_error(cli("run", "no_such_model", cwd=tmp_path), "unknown model", "no_such_model")
    not_model = tmp_path / "plain.py"
    not_model.write_text("x = 1\n")
    assert_one_line_error(cli("run", not_model, cwd=tmp_path), "not a neurosim model script", "build")
    broken = tmp_path / "broken.py"
    broken.write_text("def build(:\n")
    assert_one_line_error(cli("run", broken, cwd=tmp_path), "could not import", "SyntaxError")
    assert_one_line_error(cli("run", COBA, "--set", "nn=4", cwd=tmp_path), "unknown parameter", "'nn'")
    assert_one_line_error(cli("run", COBA, "--set", "n=abc", cwd=tmp_path), "n=abc", "integer")
    assert_one_line_error(cli("run", COBA, "--set", "w_e", cwd=tmp_path), "NAME=VALUE")
    # SpecErrors from the model: a negative time step, a negative duration
    assert_one_line_error(cli("run", COBA, "--set", "n=100", "--set", "dt=-0.1", cwd=tmp_path), "dt")
    assert_one_line_error(cli("run", COBA, "--set", "n=100", "--duration", "-5", cwd=tmp_path), "duration")
    assert_one_line_error(cli("run", COBA, "--duration", "soon", cwd=tmp_path), "--duration")
    assert_one_line_error(cli("plot", "traces", rich_file, "--population", "inh", cwd=tmp_path), "inh")
    assert not (tmp_path / "results").exists()        # nothing was written by failed runs


def test_script_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, COBA, "--set", "p=lots"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert_one_line_error(proc, "p=lots", "number")


def test_console_script_entry_point(rich_file, tmp_path):
    exe = shutil.which("neurosim") or str(Path(sys.executable).with_name("neurosim"))
    if not os.path.exists(exe):
        pytest.skip("the neurosim console script is not installed (pip install -e .)")
    proc = subprocess.run([exe, "info", str(rich_file)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "exc" in proc.stdout and "500 spikes" in proc.stdout
    proc = subprocess.run([exe, "info", str(tmp_path / "nope.h5")], capture_output=True, text=True, timeout=300)
    assert_one_line_error(proc, "not found")


# ----------------------------------------------------------------------------- first contact (issue 11)
@pytest.mark.parametrize("kind", ["raster", "rates", "traces", "weights", "isi", "cv"])
def test_plot_trial_out_of_range_is_one_line(rich_file, tmp_path, kind):
    out = tmp_path / f"{kind}.png"
    proc = cli("plot", kind, rich_file, "--trial", "7", "-o", out, cwd=tmp_path)
    assert_one_line_error(proc, "trial 7", "1 trial", "valid: 0")
    assert not out.exists()


def _script(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text("import neurosim as ns\nDEFAULTS = {}\nDURATION = 10.0\n" + body)
    return path


def test_failures_that_printed_tracebacks_are_one_line(tmp_path, rich_file):
    raises = _script(tmp_path, "raises", "def build(seed=1):\n    raise RuntimeError('boom')\n")
    assert_one_line_error(cli("run", raises, cwd=tmp_path), "raises.py", "build() failed", "RuntimeError", "boom")
    nonnet = _script(tmp_path, "nonnet", "def build(seed=1):\n    return 42\n")
    assert_one_line_error(cli("run", nonnet, cwd=tmp_path), "nonnet.py", "must return a neurosim Network", "int")
    assert_one_line_error(cli("plot", "raster", rich_file, "-o", tmp_path / "x.jpgx", cwd=tmp_path),
                          "unknown image format 'jpgx'", "png", "jpg", "svg", "pdf")
    assert_one_line_error(cli("plot", "raster", rich_file, "--dpi", "-5", cwd=tmp_path),
                          "--dpi", "[10, 1200]", "got -5")
    (tmp_path / "notes.txt").write_text("not a folder")
    assert_one_line_error(cli("run", COBA, "--set", "n=100", "--duration", "10", "--out", "notes.txt/x.h5",
                              cwd=tmp_path), "--out notes.txt/x.h5", "notes.txt is a file")
    assert_one_line_error(cli("plot", "raster", rich_file, "-o", "notes.txt/r.png", cwd=tmp_path),
                          "notes.txt is a file")
    assert not list(tmp_path.glob("*.png")) and not (tmp_path / "results").exists()


def test_network_too_big_for_memory_is_refused_before_building(tmp_path):
    # 1e6 neurons at p = 0.02: 2e10 synapses, over a terabyte; refused in about a second
    proc = cli("run", "coba", "--set", "n=1000000", "--no-plot", cwd=tmp_path, timeout=120)
    assert_one_line_error(proc, "too big", "needs ~", "2e+10 synapses", "GB available")
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


def _parameter_lines(stdout):
    """{name: line} of the parameter table printed by ``run MODEL --help``."""
    block = stdout.split("parameters of ", 1)[1].splitlines()[2:]
    return {ln.split()[0]: ln for ln in block if ln.startswith("  ")}


def test_run_help_lists_the_model_parameters_with_defaults_and_units(tmp_path):
    from neurosim.cli import load_model
    mod = load_model(COBA)
    for argv in (["run", "coba", "--help"], ["run", COBA, "-h"]):
        proc = cli(*argv, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "--duration" in proc.stdout and "--set NAME=VALUE" in proc.stdout
        lines = _parameter_lines(proc.stdout)
        assert list(lines) == list(mod.DEFAULTS)
        for k, v in mod.DEFAULTS.items():
            assert lines[k].split()[1:3] == [type(v).__name__, str(v)], lines[k]
        assert lines["w_e"].endswith("excitatory (AMPA) weight (nS)")
        assert lines["i_bias"].endswith("(pA)") and lines["dt"].endswith("time step (ms)")
        assert "default duration: 1000 ms" in proc.stdout
    # python models/coba.py --help does the same; run --help without a model lists the options only
    proc = subprocess.run([sys.executable, COBA, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and list(_parameter_lines(proc.stdout)) == list(mod.DEFAULTS)
    proc = cli("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "--duration" in proc.stdout and "parameters of" not in proc.stdout
    assert not (tmp_path / "results").exists()


def _png_size(path):
    head = Path(path).read_bytes()[:24]
    assert head[:8] == PNG
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_a_model_names_its_own_figure(tmp_path):
    body = ("def build(seed=1):\n    net = ns.Network(dt=0.1, seed=seed)\n"
            "    p = net.population('p', 20, ns.LIFCond(i_bias=300.0))\n    net.monitor(p, 'spikes')\n"
            "    net.monitor(p, 'rate')\n    return net\n")
    own = _script(tmp_path, "own", body + (
        "def figure(result):\n    from neurosim.plots import new_figure\n"
        "    fig, axes = new_figure((4.0, 2.0))\n    axes[0, 0].set_title('own')\n"
        "    open('spikes_seen.txt', 'w').write(str(result.spikes['p'].num_spikes))\n    return fig\n"))
    proc = cli("run", own, "--out", "r/own.h5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    res = ns.load(tmp_path / "r" / "own.h5")
    assert (tmp_path / "spikes_seen.txt").read_text() == str(res.spikes["p"].num_spikes)    # the run's Result
    assert _png_size(tmp_path / "r" / "own.png") == (440, 220)         # the script's 4 x 2 in figure, 110 dpi
    assert _png_size(tmp_path / "r" / "own_raster.png") == (990, 605)  # the raster beside it
    assert "wrote r/own.h5 and r/own.png and r/own_raster.png" in proc.stdout
    named = _script(tmp_path, "named", body + "FIGURE = 'rates'\n")
    proc = cli("run", named, "--out", "r/named.h5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _png_size(tmp_path / "r" / "named.png") == (880, 385)       # plot_rates: 8 x 3.5 in
    bad = _script(tmp_path, "bad", body + "FIGURE = 'histogram'\n")
    assert_one_line_error(cli("run", bad, "--out", "r/bad.h5", cwd=tmp_path), "FIGURE = 'histogram'", "raster")
