"""``neurosim export FILE.h5 --to nwb|neo-nix [-o OUT]``: the outputs read back with the real pynwb
and Neo (NixIO) hold the result's spikes and samples; every user error is one ``error:`` line
(a missing optional package names the extra to install)."""
import os
import subprocess
import sys

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
neo = pytest.importorskip("neo")
pytest.importorskip("nixio")
pq = pytest.importorskip("quantities")

from neurosim.cli import main  # noqa: E402
from neurosim.io.hdf5 import write_result  # noqa: E402
from neurosim.io.nwb import read_nwb  # noqa: E402
from neurosim.result import Result, SpikeTrains, StateTrace  # noqa: E402

DURATION = 50.0  # ms
TRIALS = 2


@pytest.fixture
def h5(tmp_path):
    """A two-trial result file: spikes on the 0.1 ms grid, a sampled membrane potential."""
    rng = np.random.default_rng(0)
    n_spk = 400
    times = np.round(rng.uniform(0, DURATION, n_spk), 1)
    ids = rng.integers(0, 10, n_spk)
    trials = rng.integers(0, TRIALS, n_spk).astype(np.int32)
    order = np.lexsort((ids, trials, times))
    st = SpikeTrains("exc", 12, ids[order], times[order], trials[order], np.arange(10), TRIALS)
    v = StateTrace("exc", "v", "mV", np.array([2, 7]), np.arange(TRIALS), np.arange(100) * 0.5,
                   rng.normal(-60.0, 3.0, (100, TRIALS, 2)))
    res = Result(spikes={"exc": st}, states={("exc", "v"): v}, spec={"populations": [{"name": "exc", "n": 12}]},
                 meta={"dt": 0.1, "duration": DURATION, "seed": 5, "backend": "cpu", "batch": TRIALS})
    path = tmp_path / "run.h5"
    write_result(res, path)
    return path, res


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    for w in words:
        assert w in err[0], (w, err[0])


def test_export_nwb_through_the_console_command(h5):
    path, res = h5
    proc = subprocess.run([sys.executable, "-m", "neurosim.cli", "export", str(path), "--to", "nwb"],
                          capture_output=True, text=True, timeout=120)
    out = path.with_suffix(".nwb")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out}"
    assert pynwb.validate(path=str(out)) == []
    got, want = read_nwb(out)["exc"], res.spikes["exc"]
    np.testing.assert_array_equal(got.times.view(np.int64), want.times.view(np.int64))
    np.testing.assert_array_equal(got.node_ids, want.node_ids)
    np.testing.assert_array_equal(got.trials, want.trials)
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        ts = io.read().acquisition["exc.v.trial1"]
        np.testing.assert_array_equal(ts.data[:], res.states[("exc", "v")].values[:, 1, :])


def test_export_neo_nix(h5, tmp_path, capsys):
    path, res = h5
    out = tmp_path / "deep" / "run_neo.nix"
    assert main(["export", str(path), "--to", "neo-nix", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    from neo.io import NixIO
    io = NixIO(str(out), mode="ro")
    try:
        block = io.read_block()
        assert len(block.segments) == TRIALS
        st, tr = res.spikes["exc"], res.states[("exc", "v")]
        for seg in block.segments:
            trial = seg.annotations["trial"]
            trains = {s.annotations["neuron_id"]: s for s in seg.spiketrains}
            want = st.trains(trial)
            assert set(trains) == set(want)
            for nid, s in trains.items():
                np.testing.assert_array_equal(s.rescale(pq.ms).magnitude, want[nid])
            (sig,) = seg.analogsignals
            assert sig.units == pq.mV
            np.testing.assert_array_equal(sig.magnitude, tr.values[:, trial, :])
    finally:
        io.close()
    assert sorted(os.listdir(out.parent)) == ["run_neo.nix"]        # no temporary file left


def test_missing_extra_names_it(h5, tmp_path, capsys, monkeypatch):
    path, _ = h5
    monkeypatch.setitem(sys.modules, "pynwb", None)      # as if pynwb were not installed
    assert main(["export", str(path), "--to", "nwb"]) == 1
    one_line_error(capsys, "pynwb", "pip install 'neurosim[nwb]'")
    monkeypatch.setitem(sys.modules, "nixio", None)
    assert main(["export", str(path), "--to", "neo-nix"]) == 1
    one_line_error(capsys, "nixio", "pip install 'neurosim[neo]'")
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_one_line_errors(h5, tmp_path, capsys):
    path, _ = h5
    with pytest.raises(SystemExit) as exc:
        main(["export", str(path), "--to", "csv"])
    assert exc.value.code == 2
    one_line_error(capsys, "--to", "invalid choice", "'csv'", "nwb", "neo-nix")
    assert main(["export", str(tmp_path / "nope.h5"), "--to", "nwb"]) == 1
    one_line_error(capsys, "not found", "nope.h5")
    assert main(["export", str(path), "--to", "nwb", "-o", str(path)]) == 1
    one_line_error(capsys, "is the input file")
    assert main(["export", str(path), "--to", "nwb", "-o", str(tmp_path)]) == 1
    one_line_error(capsys, "is a folder")
    assert main(["export", str(path), "--to", "nwb", "-o", str(path / "x.nwb")]) == 1
    one_line_error(capsys, "is a file, not a folder")
    not_h5 = tmp_path / "notes.h5"
    not_h5.write_text("hello")
    old = tmp_path / "notes.nwb"
    old.write_bytes(b"older file")
    assert main(["export", str(not_h5), "--to", "nwb"]) == 1
    one_line_error(capsys, "not an HDF5 file")
    assert old.read_bytes() == b"older file"
    assert sorted(os.listdir(tmp_path)) == ["notes.h5", "notes.nwb", "run.h5"]
