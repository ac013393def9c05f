"""HDF5 result files: exact round trips, the SONATA layout, atomic writes, streaming, errors,
and rerunning a network from the spec stored in its file."""
import json
import os
import tracemalloc

import h5py
import numpy as np
import pytest

import neurosim as ns
from neurosim.errors import ResultFileError
from neurosim.io import hdf5
from neurosim.io.hdf5 import ResultWriter, read_result, write_result, describe_file
from neurosim.result import PopulationRate, Result, SpikeTrains, StateTrace, WeightTable


# --------------------------------------------------------------------------- fixtures
def _spikes(rng, name, n, n_spk, n_trials, t_max=200.0, recorded=None):
    t = np.round(rng.uniform(0.0, t_max, n_spk) / 0.1) * 0.1
    tr = rng.integers(0, n_trials, n_spk).astype(np.int32)
    ids = rng.integers(0, n, n_spk).astype(np.int64)
    order = np.lexsort((ids, tr, t))
    rec = np.arange(n, dtype=np.int64) if recorded is None else np.asarray(recorded, np.int64)
    return SpikeTrains(name, n, ids[order], t[order], tr[order], rec, n_trials)


def make_result(seed=0, batch=2):
    """A synthetic Result using every field, with awkward values (None meta, nested extra)."""
    rng = np.random.default_rng(seed)
    spikes = {"exc": _spikes(rng, "exc", 80, 3000, batch), "inh": _spikes(rng, "inh", 20, 900, batch),
              "empty": SpikeTrains("empty", 5, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int32),
                                   np.array([1, 3], np.int64), batch)}
    times = np.arange(40) * 0.5
    states = {
        ("exc", "v"): StateTrace("exc", "v", "mV", np.array([0, 3, 7], np.int64), np.arange(batch, dtype=np.int64),
                                 times, rng.normal(-60.0, 5.0, (40, batch, 3))),
        ("exc", "g_AMPA"): StateTrace("exc", "g_AMPA", "nS", np.array([3], np.int64), np.array([1], np.int64),
                                      times, rng.random((40, 1, 1))),
    }
    rates = {"exc": PopulationRate("exc", 80, batch, 0.1, rng.integers(0, 9, 2000).astype(np.int32)),
             "inh": PopulationRate("inh", 20, batch, 0.1, rng.integers(0, 9, 2000).astype(np.int32), t0=5.0)}
    n_syn = 300
    weights = {
        "exc_to_inh": WeightTable("exc_to_inh", "AMPA", rng.integers(0, 80, n_syn), rng.integers(0, 20, n_syn),
                                  np.full(n_syn, 1.5), rng.random(n_syn)),
        "exc_to_exc.NMDA": WeightTable("exc_to_exc", "NMDA", rng.integers(0, 80, n_syn),
                                       rng.integers(0, 80, n_syn), rng.uniform(0.1, 3.0, n_syn),
                                       rng.random((batch, n_syn)), unit="nS",
                                       snapshot_times=np.array([0.0, 100.0, 200.0]),
                                       snapshots=rng.random((3, batch, n_syn))),
    }
    spec = {"format": "neurosim-network", "version": 1, "dt": 0.1, "seed": 3, "batch": batch,
            "populations": [{"name": "exc", "n": 80}, {"name": "inh", "n": 20}], "projections": [],
            "nested": {"a": [1, 2.5, None, "x"]}}
    meta = {"dt": 0.1, "duration": 200.0, "seed": 3, "backend": "cpu", "threads": 2, "wall_time": 0.25,
            "batch": batch, "neurosim_version": "0.1.0", "created": "2024-01-01T00:00:00+00:00",
            "steps": 2000, "dtype": "float64", "flag": True, "nothing": None, "sizes": [1, 2, 3],
            "version": "clashes with the SONATA attribute", "vector": np.array([1.0, 2.0])}
    extra = {"accuracy": np.array([0.1, 0.5, 0.9]), "epochs": 3, "lr": 1e-3, "label": "run a",
             "ok": False, "labels": np.array(["cat", "dog"]), "with/slash": np.arange(4, dtype=np.int16),
             "curves": {"loss": np.linspace(1.0, 0.1, 10), "deep": {"m": np.eye(3, dtype=np.float32)}},
             "bridge": {"train_acc": np.array([0.5, 0.8]), "name": "mlp"},
             "table": [[1, 2], [3, 4]]}
    return Result(spikes, states, rates, weights, spec, meta, extra)


def assert_same(a, b, exact_dtype=True):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if exact_dtype:
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------- round trip
def test_round_trip_is_exact(tmp_path):
    res = make_result()
    path = tmp_path / "r.h5"
    res.save(path)
    back = ns.load(path)

    assert list(back.spikes) == list(res.spikes)
    for k, st in res.spikes.items():
        b = back.spikes[k]
        assert (b.population, b.n, b.n_trials) == (st.population, st.n, st.n_trials)
        assert_same(b.times, st.times)                 # float64, bit for bit
        assert_same(b.node_ids, st.node_ids)           # int64
        assert_same(b.trials, st.trials)               # int32
        assert_same(b.recorded, st.recorded)
    assert set(back.states) == set(res.states)
    for k, tr in res.states.items():
        b = back.states[k]
        assert (b.population, b.variable, b.unit) == (tr.population, tr.variable, tr.unit)
        for f in ("indices", "trials", "times", "values"):
            assert_same(getattr(b, f), getattr(tr, f))
    for k, r in res.rates.items():
        b = back.rates[k]
        assert (b.population, b.n, b.n_trials, b.dt, b.t0) == (r.population, r.n, r.n_trials, r.dt, r.t0)
        assert_same(b.counts, r.counts)
    for k, w in res.weights.items():
        b = back.weights[k]
        assert (b.projection, b.receptor, b.unit) == (w.projection, w.receptor, w.unit)
        for f in ("pre", "post", "delay", "weight"):
            assert_same(getattr(b, f), getattr(w, f))
        if w.snapshots is None:
            assert b.snapshots is None and b.snapshot_times is None
        else:
            assert_same(b.snapshots, w.snapshots)
            assert_same(b.snapshot_times, w.snapshot_times)
    assert back.spec == res.spec

    meta = dict(res.meta)
    vec = meta.pop("vector")
    bmeta = dict(back.meta)
    assert_same(bmeta.pop("vector"), vec)
    assert bmeta == meta
    assert type(bmeta["seed"]) is int and type(bmeta["dt"]) is float and bmeta["flag"] is True

    ex = back.extra
    assert set(ex) == set(res.extra)
    assert_same(ex["accuracy"], res.extra["accuracy"])
    assert ex["epochs"] == 3 and ex["lr"] == 1e-3 and ex["label"] == "run a" and ex["ok"] is False
    assert list(ex["labels"]) == ["cat", "dog"]
    assert_same(ex["with/slash"], res.extra["with/slash"])
    assert_same(ex["curves"]["loss"], res.extra["curves"]["loss"])
    assert_same(ex["curves"]["deep"]["m"], res.extra["curves"]["deep"]["m"])
    assert_same(ex["bridge"]["train_acc"], res.extra["bridge"]["train_acc"])
    assert ex["bridge"]["name"] == "mlp"
    assert ex["table"] == [[1, 2], [3, 4]]
    assert back.summary() == res.summary()


def test_file_layout_follows_design_and_sonata(tmp_path):
    res = make_result()
    path = tmp_path / "layout.h5"
    write_result(res, path)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert a["schema_version"] == hdf5.SCHEMA_VERSION and a["format"] == "neurosim-result"
        assert a["magic"] == 0x0A7A and a["magic"].dtype == np.uint32
        assert a["version"].dtype == np.uint32 and list(a["version"]) == [0, 1]
        for k in ("neurosim_version", "created", "dt", "duration", "seed", "backend", "threads", "wall_time",
                  "batch"):
            assert k in a, k
        assert a["dt"] == 0.1 and a["backend"] == "cpu" and a["batch"] == 2
        assert json.loads(f["spec"].asstr()[()]) == res.spec

        g = f["spikes/exc"]
        assert g["timestamps"].dtype == np.float64 and g["timestamps"].attrs["units"] == "ms"
        assert g["node_ids"].dtype == np.uint64 and g["trials"].dtype == np.int32
        for d in ("timestamps", "node_ids"):
            assert g[d].compression is None
        enum = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
        assert enum == {"none": 0, "by_id": 1, "by_time": 2}
        assert g.attrs["sorting"] == 2
        assert g.attrs["n_neurons"] == 80
        assert np.array_equal(g["recorded"][()], np.arange(80))

        # report: columns are (trial, index) flattened, trial-major
        tr = res.states[("exc", "v")]
        r = f["report/exc/v"]
        data = r["data"][()]
        assert data.shape == (40, 2 * 3) and r["data"].attrs["units"] == "mV"
        for trial in range(2):
            for j in range(3):
                assert np.array_equal(data[:, trial * 3 + j], tr.values[:, trial, j])
        m = r["mapping"]
        assert list(m["node_ids"][()]) == [0, 3, 7, 0, 3, 7]
        assert list(m["element_ids"][()]) == [0, 0, 0, 1, 1, 1]
        assert list(m["index_pointers"][()]) == list(range(7))
        assert np.allclose(m["time"][()], [0.0, 20.0, 0.5])

        rate = f["rates/inh"]
        assert rate.attrs["n"] == 20 and rate.attrs["n_trials"] == 2 and rate.attrs["dt"] == 0.1
        assert rate.attrs["t0"] == 5.0
        w = f["weights/exc_to_exc.NMDA"]
        assert w.attrs["receptor"] == "NMDA" and w.attrs["unit"] == "nS"
        assert {"pre", "post", "delay", "weight", "snapshot_times", "snapshots"} <= set(w)
        assert "bridge" in f and "train_acc" in f["bridge"]
        assert "extra" in f and "accuracy" in f["extra"]
        assert "with%2Fslash" in f["extra"]

        def no_object_dtypes(name, obj):   # no pickles: only numeric, string and enum types
            if isinstance(obj, h5py.Dataset):
                assert obj.dtype.kind in "biufcSOU" or h5py.check_enum_dtype(obj.dtype), (name, obj.dtype)
                if obj.dtype.kind == "O":
                    assert h5py.check_string_dtype(obj.dtype) is not None, name
        f.visititems(no_object_dtypes)

    info = describe_file(path)
    assert info["spikes"]["exc"]["n_spikes"] == res.spikes["exc"].times.size
    assert info["states"][("exc", "v")] == (40, 2, 3, "mV")
    assert info["weights"]["exc_to_exc.NMDA"] == (300, "NMDA", "nS", 3)


def test_libsonata_reads_our_spikes(tmp_path):
    libsonata = pytest.importorskip("libsonata", reason="libsonata is not installed")
    res = make_result(batch=1)
    path = str(tmp_path / "sonata.h5")
    write_result(res, path)
    reader = libsonata.SpikeReader(path)
    assert set(reader.get_population_names()) == set(res.spikes)
    for name, st in res.spikes.items():
        pop = reader[name]
        assert pop.sorting == "by_time"
        assert pop.time_units == "ms"
        got = pop.get()
        assert len(got) == st.times.size
        ids = np.array([g[0] for g in got], dtype=np.int64)
        ts = np.array([g[1] for g in got], dtype=np.float64)
        mine = np.lexsort((st.node_ids, st.times))
        theirs = np.lexsort((ids, ts))
        assert np.array_equal(ids[theirs], st.node_ids[mine])
        assert np.array_equal(ts[theirs], st.times[mine])


def test_unsorted_spikes_are_labelled_unsorted(tmp_path):
    st = SpikeTrains("p", 3, np.array([0, 1, 2]), np.array([5.0, 1.0, 3.0]), np.zeros(3, np.int32), np.arange(3))
    path = tmp_path / "u.h5"
    write_result(Result(spikes={"p": st}), path)
    with h5py.File(path, "r") as f:
        assert f["spikes/p"].attrs["sorting"] == 0
    back = read_result(path)
    assert np.array_equal(back.spikes["p"].times, [5.0, 1.0, 3.0])      # order kept as given
    libsonata = pytest.importorskip("libsonata", reason="libsonata is not installed")
    assert libsonata.SpikeReader(str(path))["p"].sorting == "none"


# --------------------------------------------------------------------------- errors
def _err(path) -> str:
    with pytest.raises(ResultFileError) as ei:
        read_result(path)
    return str(ei.value)


def test_missing_file(tmp_path):
    msg = _err(tmp_path / "nope.h5")
    assert "not found" in msg and "nope.h5" in msg
    with pytest.raises(ResultFileError):
        ns.load(tmp_path / "nope.h5")


def test_not_hdf5(tmp_path):
    p = tmp_path / "text.h5"
    p.write_text("population,spikes\nexc,10\n")
    assert "not an HDF5 file" in _err(p)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    assert "not an HDF5 file" in _err(empty)
    assert "directory" in _err(tmp_path)


def test_truncated_file(tmp_path):
    p = tmp_path / "t.h5"
    write_result(make_result(), p)
    data = p.read_bytes()
    for frac in (0.5, 0.9):
        q = tmp_path / f"cut{frac}.h5"
        q.write_bytes(data[:int(len(data) * frac)])
        assert "truncated or corrupted" in _err(q)


def test_corrupted_spike_data_is_detected(tmp_path):
    p = tmp_path / "c.h5"
    write_result(make_result(), p)
    with h5py.File(p, "r") as f:
        info = f["spikes/exc/timestamps"].id.get_chunk_info(0)
        off, size = info.byte_offset, info.size
    raw = bytearray(p.read_bytes())
    raw[off + size // 2: off + size // 2 + 16] = b"\xff" * 16
    p.write_bytes(bytes(raw))
    msg = _err(p)
    assert "corrupted" in msg and "/spikes/exc" in msg


def test_foreign_hdf5_file(tmp_path):
    p = tmp_path / "foreign.h5"
    with h5py.File(p, "w") as f:
        f["data"] = np.arange(10)
        f.attrs["creator"] = "someone else"
    assert "not a neurosim result" in _err(p)


def test_newer_schema_version(tmp_path):
    p = tmp_path / "future.h5"
    write_result(make_result(), p)
    with h5py.File(p, "a") as f:
        f.attrs["schema_version"] = np.int64(hdf5.SCHEMA_VERSION + 1)
    msg = _err(p)
    assert "newer neurosim" in msg and "upgrade" in msg


# --------------------------------------------------------------------------- atomic writes
def _tmp_leftovers(d):
    return [n for n in os.listdir(d) if n.endswith(".tmp")]


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failed_write_keeps_old_file(tmp_path, monkeypatch, exc):
    p = tmp_path / "keep.h5"
    old = make_result(seed=1)
    write_result(old, p)
    before = p.read_bytes()

    def boom(self, *a, **k):
        raise exc
    monkeypatch.setattr(ResultWriter, "write_weights", boom)
    with pytest.raises(type(exc)):
        write_result(make_result(seed=2), p)
    assert p.read_bytes() == before
    assert _tmp_leftovers(tmp_path) == []
    back = read_result(p)
    assert np.array_equal(back.spikes["exc"].times, old.spikes["exc"].times)


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(ResultWriter, "write_state", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_result(make_result(), tmp_path / "new.h5")
    assert os.listdir(tmp_path) == []


def test_overwrite_replaces_and_overwrite_false_refuses(tmp_path):
    p = tmp_path / "sub" / "dir" / "o.h5"          # parents are created
    write_result(make_result(seed=1), p)
    new = make_result(seed=2)
    write_result(new, p)
    assert np.array_equal(read_result(p).spikes["exc"].times, new.spikes["exc"].times)
    with pytest.raises(ResultFileError, match="exists"):
        write_result(new, p, overwrite=False)
    assert _tmp_leftovers(p.parent) == []


# --------------------------------------------------------------------------- streaming
def test_streaming_writer_appends_chunks(tmp_path):
    res = make_result(batch=2)
    st = res.spikes["exc"]
    p = tmp_path / "stream.h5"
    rest = Result(spikes={k: v for k, v in res.spikes.items() if k != "exc"}, states=res.states, rates=res.rates,
                  weights=res.weights, spec=res.spec, meta=res.meta, extra=res.extra)
    with ResultWriter(p) as w:
        w.begin_spikes("exc", n=st.n, recorded=st.recorded, n_trials=st.n_trials)
        for a, b in [(0, 1000), (1000, 1000), (1000, 2500), (2500, st.times.size)]:   # incl. an empty chunk
            w.append_spikes("exc", st.node_ids[a:b], st.times[a:b], st.trials[a:b])
        assert not p.exists()                      # nothing at the target before commit
        w.write_result(rest)
    back = read_result(p)
    b = back.spikes["exc"]
    assert_same(b.times, st.times)
    assert_same(b.node_ids, st.node_ids)
    assert_same(b.trials, st.trials)
    assert_same(b.recorded, st.recorded)
    assert set(back.spikes) == set(res.spikes)
    with h5py.File(p, "r") as f:
        assert f["spikes/exc"].attrs["sorting"] == 2
        for name in ("timestamps", "node_ids", "trials"):     # a short stream: one chunk of its size
            assert f["spikes/exc"][name].chunks == (st.times.size,) and f["spikes/exc"][name].fletcher32


def test_streaming_writer_detects_unsorted_chunks_and_aborts_cleanly(tmp_path):
    p = tmp_path / "s2.h5"
    with ResultWriter(p) as w:
        w.begin_spikes("a", n=4)
        w.append_spikes("a", [0, 1], [5.0, 6.0])
        w.append_spikes("a", [2, 3], [1.0, 2.0])     # goes back in time
    with h5py.File(p, "r") as f:
        assert f["spikes/a"].attrs["sorting"] == 0
    assert np.array_equal(read_result(p).spikes["a"].times, [5.0, 6.0, 1.0, 2.0])

    q = tmp_path / "aborted.h5"
    with pytest.raises(KeyboardInterrupt):
        with ResultWriter(q) as w:
            w.begin_spikes("a", n=4)
            w.append_spikes("a", [0], [1.0])
            raise KeyboardInterrupt
    assert not q.exists() and _tmp_leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="node_ids"):
        with ResultWriter(tmp_path / "bad.h5") as w:
            w.begin_spikes("a", n=4)
            w.append_spikes("a", [7], [1.0])
    assert not (tmp_path / "bad.h5").exists()


def test_large_spike_arrays_are_written_without_full_copies(tmp_path):
    n = 2_000_000
    rng = np.random.default_rng(5)
    st = SpikeTrains("big", 1000, rng.integers(0, 1000, n).astype(np.int64), np.sort(rng.uniform(0, 1e4, n)),
                     np.zeros(n, np.int32), np.arange(1000))
    array_bytes = st.times.nbytes + st.node_ids.nbytes + st.trials.nbytes     # 40 MB
    tracemalloc.start()
    try:
        write_result(Result(spikes={"big": st}), tmp_path / "big.h5")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * array_bytes, f"peak {peak / 1e6:.1f} MB for {array_bytes / 1e6:.1f} MB of spikes"
    back = read_result(tmp_path / "big.h5").spikes["big"]
    assert np.array_equal(back.node_ids, st.node_ids) and np.array_equal(back.times, st.times)


# --------------------------------------------------------------------------- reproduce
def _small_network(seed=7):
    net = ns.Network(dt=0.1, seed=seed)
    drive = net.poisson("drive", 50, 40.0)
    exc = net.population("exc", 40, ns.LIFCond(v_init=ns.Uniform(-65.0, -50.0)))
    inh = net.population("inh", 10, ns.LIFCond(v_init=ns.Uniform(-65.0, -50.0)))
    net.connect(drive, [exc, inh], ns.fixed_probability(0.3), receptor=ns.AMPA(tau_decay=5.0), weight=4.0)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.2), receptor=ns.AMPA(tau_decay=5.0), weight=2.0,
                delay=1.0)
    net.connect(inh, exc, ns.fixed_probability(0.3), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0), weight=8.0)
    for p in (drive, exc, inh):
        net.monitor(p, "spikes")
    net.monitor(exc, "rate")
    net.monitor(exc, "v", indices=[0, 5, 9])
    return net


def test_rerun_from_saved_spec_reproduces_spikes(tmp_path):
    duration = 60.0
    first = _small_network().run(duration)
    total = sum(st.times.size for st in first.spikes.values())
    assert first.spikes["exc"].times.size > 0, "the test network should fire"
    path = tmp_path / "run.h5"
    first.save(path)
    loaded = ns.load(path)
    assert loaded.meta["seed"] == 7 and loaded.meta["duration"] == pytest.approx(duration)

    again = ns.Network.from_spec(loaded.spec).run(loaded.meta["duration"])
    assert sum(st.times.size for st in again.spikes.values()) == total
    for name, st in loaded.spikes.items():
        assert_same(again.spikes[name].node_ids, st.node_ids)
        assert_same(again.spikes[name].times, st.times)
        assert_same(again.spikes[name].trials, st.trials)
    assert_same(again.states[("exc", "v")].values, loaded.states[("exc", "v")].values)
    assert_same(again.rates["exc"].counts, loaded.rates["exc"].counts)
    # and the loaded copy equals what was run
    assert_same(loaded.states[("exc", "v")].values, first.states[("exc", "v")].values)
