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
    """{population: (neurons, spikes)} parsed from the printed summary table."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+|-)\s*$", line)
        if m:
            out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
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
    for name, (neurons, spikes) in counts.items():
        assert neurons == res.spikes[name].recorded.size
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
    assert summary_counts(proc.stdout) == {k: (v.recorded.size, v.times.size) for k, v in a.spikes.items()}


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
