"""Result files are checked end to end (issue 11): every dataset, attribute and the spec carry a
checksum, so a flipped byte anywhere fails ``ns.load`` and ``neurosim info``; old files without
checksums still load, with a warning; chunks follow the data size, so a short run makes a small
file."""
import os

import h5py
import numpy as np
import pytest

import neurosim as ns
from neurosim import cli
from neurosim.errors import ResultFileError, ResultFileWarning
from neurosim.io import hdf5
from neurosim.io.hdf5 import ResultWriter, describe_file, read_result, write_result
from neurosim.result import PopulationRate, Result, SpikeTrains, WeightTable

N_EXC, N_INH, N_SYN = 80, 20, 300


def _spikes(rng, name, n, n_spk):
    t = np.sort(np.round(rng.uniform(0.0, 50.0, n_spk) / 0.1) * 0.1)
    return SpikeTrains(name, n, rng.integers(0, n, n_spk).astype(np.int64), t, np.zeros(n_spk, np.int32),
                       np.arange(n, dtype=np.int64), 1)


def small_result() -> Result:
    """What a 50 ms run of a small E/I network holds: 1,000 spikes, rates, one weight table, a
    spec (inhibitory weight 67.0 nS), run metadata and two scalars in ``extra``."""
    rng = np.random.default_rng(11)
    spikes = {"exc": _spikes(rng, "exc", N_EXC, 800), "inh": _spikes(rng, "inh", N_INH, 200)}
    rates = {p: PopulationRate(p, n, 1, 0.1, rng.integers(0, 4, 500).astype(np.int32))
             for p, n in (("exc", N_EXC), ("inh", N_INH))}
    weights = {"inh_to_exc": WeightTable("inh_to_exc", "GABA_A", rng.integers(0, N_INH, N_SYN),
                                         rng.integers(0, N_EXC, N_SYN), np.full(N_SYN, 1.0), np.full(N_SYN, 67.0))}
    spec = {"format": "neurosim-network", "version": 1, "dt": 0.1, "seed": 5,
            "populations": [{"name": "exc", "n": N_EXC}, {"name": "inh", "n": N_INH}],
            "projections": [{"name": "inh_to_exc", "pre": "inh", "post": "exc", "weight": 67.0}]}
    meta = {"dt": 0.1, "duration": 50.0, "seed": 5, "backend": "cpu", "dtype": "float64", "batch": 1}
    return Result(spikes, {}, rates, weights, spec, meta, {"epochs": 3, "label": "first contact"})


# --------------------------------------------------------------------------- where the bytes are
def _chunk_middle(path, dataset):
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
    return info.byte_offset + info.size // 2


def _contiguous(path, dataset):
    with h5py.File(path, "r") as f:
        return f[dataset].id.get_offset()


def _unique(raw: bytes, pattern: bytes) -> int:
    i = raw.find(pattern)
    assert i >= 0 and raw.find(pattern, i + 1) < 0, f"{pattern!r} is not in the file exactly once"
    return i


def _attr_values(raw: bytes, name: str, value) -> list:
    """Offsets of the stored value of every attribute called ``name`` whose value is ``value``:
    the attribute message holds the name (NUL-terminated), then datatype, dataspace and value."""
    key, val = name.encode() + b"\0", np.asarray(value).tobytes()
    out, i = [], raw.find(key)
    while i >= 0:
        j = raw.find(val, i + len(key), i + len(key) + 64)
        if j >= 0:
            out.append(j)
        i = raw.find(key, i + 1)
    assert out, f"attribute {name}={value!r} not found"
    return out


def _flipped(path, offset, tmp_path, tag):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    q = tmp_path / f"{tag}.h5"
    q.write_bytes(bytes(raw))
    return q


def _corruptions(path, tmp_path) -> dict:
    """{case: [corrupted copies of path]}: one byte flipped in the spec JSON (67.0 -> 77.0), in a
    spike chunk, in a weight chunk, in the root attributes dt, duration and seed (every copy of
    each), in a string attribute (dtype) and in a scalar of ``extra``; plus ``dt`` rewritten
    with h5py (valid HDF5, but not the file neurosim wrote)."""
    raw = path.read_bytes()
    cases = {
        "spec": [_unique(raw, b'"weight": 67.0')],
        "spikes": [_chunk_middle(path, "spikes/exc/timestamps")],
        "weights": [_chunk_middle(path, "weights/inh_to_exc/weight")],
        "attr_dt": _attr_values(raw, "dt", 0.1),
        "attr_duration": _attr_values(raw, "duration", 50.0),
        "attr_seed": _attr_values(raw, "seed", np.int64(5)),
        "attr_dtype": [_unique(raw, b"float64")],
        "scalar": [_contiguous(path, "extra/epochs")],
    }
    out = {}
    for case, offsets in cases.items():
        if case == "spec":
            offsets = [offsets[0] + len(b'"weight": ')]          # the 6 of 67.0
        out[case] = [_flipped(path, off, tmp_path, f"{case}{k}") for k, off in enumerate(offsets)]
    edited = tmp_path / "h5py_edit.h5"
    edited.write_bytes(raw)
    with h5py.File(edited, "a") as f:
        f.attrs["dt"] = 0.2
    out["h5py_edit_dt"] = [edited]
    return out


CASES = ["spec", "spikes", "weights", "attr_dt", "attr_duration", "attr_seed", "attr_dtype", "scalar",
         "h5py_edit_dt"]


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory):
    d = tmp_path_factory.mktemp("corrupt")
    path = d / "good.h5"
    write_result(small_result(), path)
    return path, _corruptions(path, d)


@pytest.mark.parametrize("case", CASES)
def test_a_flipped_byte_fails_load_and_info(corrupted, case, capsys):
    good, files = corrupted
    assert ns.load(good).spec["projections"][0]["weight"] == 67.0      # the intact file loads
    for path in files[case]:
        with pytest.raises(ResultFileError) as ei:
            ns.load(path)
        assert str(path) in str(ei.value) and "corrupted" in str(ei.value)
        capsys.readouterr()
        assert cli.main(["info", str(path)]) == cli.EXIT_ERROR
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and str(path) in err[0], err


def test_info_reports_verified_checksums(corrupted, capsys):
    good, _ = corrupted
    assert describe_file(good)["checksums"] == "verified"
    assert cli.main(["info", str(good)]) == 0
    assert "checksums: verified" in capsys.readouterr().out


def _as_schema_1(path):
    """Turn a file into what neurosim wrote before checksums: no /checksums, schema_version 1."""
    with h5py.File(path, "a") as f:
        del f["checksums"]
        f.attrs["schema_version"] = np.int64(1)


def test_old_files_without_checksums_load_with_a_warning(tmp_path, capsys):
    res = small_result()
    p = tmp_path / "old.h5"
    write_result(res, p)
    _as_schema_1(p)
    with pytest.warns(ResultFileWarning, match="without checksums"):
        back = ns.load(p)
    assert np.array_equal(back.spikes["exc"].times, res.spikes["exc"].times)
    assert back.spec == res.spec
    assert describe_file(p)["checksums"] == "absent"
    assert cli.main(["info", str(p)]) == 0
    assert "checksums: none (an older file, schema_version 1)" in capsys.readouterr().out


def test_a_current_file_without_its_checksums_is_an_error(tmp_path):
    p = tmp_path / "stripped.h5"
    write_result(small_result(), p)
    with h5py.File(p, "a") as f:
        del f["checksums"]
    with pytest.raises(ResultFileError, match="carry checksums"):
        ns.load(p)


# --------------------------------------------------------------------------- chunk sizes
def _raw_bytes(path) -> int:
    """Bytes of the data themselves: every dataset's elements plus the spec JSON."""
    total = 0
    with h5py.File(path, "r") as f:
        def add(name, obj):
            nonlocal total
            if isinstance(obj, h5py.Dataset):
                total += len(obj[()]) if h5py.check_string_dtype(obj.dtype) else obj.nbytes
        f.visititems(add)
    return total


def _assert_no_chunk_padding(path):
    """Each dataset takes its data plus, per chunk, the 4-byte Fletcher-32 sum and less than one
    row of padding (HDF5 allocates whole chunks)."""
    with h5py.File(path, "r") as f:
        def check(name, d):
            if isinstance(d, h5py.Dataset) and d.chunks:
                n_chunks = int(np.prod([-(-s // c) for s, c in zip(d.shape, d.chunks)]))
                row = d.nbytes // d.shape[0]
                assert d.id.get_storage_size() < d.nbytes + n_chunks * (4 + row), (name, d.chunks, d.shape)
        f.visititems(check)


# HDF5's own structures: one object header (with its attributes) and chunk index per group or
# dataset, about 0.3-0.8 kB each; the superblock, the root's attribute heap and the 4 kB global
# heap collection that holds the strings.
OVERHEAD_PER_OBJECT = 1024
OVERHEAD_FIXED = 16384


def _size_bound(path) -> int:
    """The data, plus 4 bytes per chunk and HDF5's own structures (see above)."""
    n_objects = 0
    with h5py.File(path, "r") as f:
        def count(name, obj):
            nonlocal n_objects
            n_objects += 1
        f.visititems(count)
    return _raw_bytes(path) + OVERHEAD_PER_OBJECT * n_objects + OVERHEAD_FIXED


def test_a_short_stream_makes_a_small_file(tmp_path):
    res = small_result()
    p = tmp_path / "stream.h5"
    with ResultWriter(p) as w:
        for pop in ("exc", "inh"):
            st = res.spikes[pop]
            w.begin_spikes(pop, n=st.n)
            for part in np.array_split(np.arange(st.times.size), 10):      # ten chunks of a run
                w.append_spikes(pop, st.node_ids[part], st.times[part], st.trials[part])
        w.write_result(Result(rates=res.rates, weights=res.weights, spec=res.spec, meta=res.meta))
    _assert_no_chunk_padding(p)
    assert os.path.getsize(p) < _size_bound(p) and os.path.getsize(p) < 100_000
    back = read_result(p)
    for pop in ("exc", "inh"):
        assert np.array_equal(back.spikes[pop].times, res.spikes[pop].times)
        assert np.array_equal(back.spikes[pop].node_ids, res.spikes[pop].node_ids)


def test_large_arrays_are_split_into_even_chunks(tmp_path):
    """Arrays longer than one chunk (a 30 s run's rates, a big weight table, a long state trace)
    are split evenly, not padded to a multiple of a fixed chunk length."""
    rng = np.random.default_rng(5)
    n = 300_001
    res = Result(rates={"exc": PopulationRate("exc", 10, 1, 0.1, rng.integers(0, 9, n).astype(np.int32))},
                 weights={"w": WeightTable("w", "AMPA", rng.integers(0, 9, 70_000), rng.integers(0, 9, 70_000),
                                           np.full(70_000, 1.0), rng.random(70_000))},
                 extra={"trace": rng.random((100_003, 3))})
    p = tmp_path / "large.h5"
    write_result(res, p)
    _assert_no_chunk_padding(p)
    back = read_result(p)
    assert np.array_equal(back.rates["exc"].counts, res.rates["exc"].counts)
    assert np.array_equal(back.extra["trace"], res.extra["trace"])


def test_a_short_neurosim_run_makes_a_small_file(tmp_path):
    out = tmp_path / "coba.h5"
    res, _, _ = cli.run_and_save("coba", duration=50.0, sets=["n=400"], out=str(out), plot=False)
    n_spikes = sum(s.num_spikes for s in res.spikes.values())
    assert 500 < n_spikes < 2000                        # about the 1,040 spikes of the report
    _assert_no_chunk_padding(out)
    assert os.path.getsize(out) < _size_bound(out) and os.path.getsize(out) < 100_000


def test_a_long_stream_moves_to_resizable_chunks(tmp_path):
    """Past one chunk of spikes the stream goes to the file in chunks of _SPIKE_CHUNK; the spikes
    read back while streaming and after the commit are those appended."""
    chunk = hdf5.layout._SPIKE_CHUNK
    rng = np.random.default_rng(3)
    k = chunk + chunk // 2 + 7
    times = np.sort(rng.uniform(0.0, 1000.0, k))
    ids = rng.integers(0, 50, k)
    p = tmp_path / "long.h5"
    with ResultWriter(p) as w:
        w.begin_spikes("exc", n=50)
        for a, b in ((0, chunk - 5), (chunk - 5, chunk + 100), (chunk + 100, k)):
            w.append_spikes("exc", ids[a:b], times[a:b])
            got_ids, got_t, _ = w.read_spikes("exc")
            assert np.array_equal(got_t, times[:b]) and np.array_equal(got_ids, ids[:b])
            win = w.read_spikes("exc", 100.0, 200.0)[1]
            assert np.array_equal(win, times[:b][(times[:b] >= 100.0) & (times[:b] < 200.0)])
    with h5py.File(p, "r") as f:
        d = f["spikes/exc/timestamps"]
        assert d.chunks == (chunk,) and d.maxshape == (None,) and d.fletcher32
    back = read_result(p).spikes["exc"]
    assert np.array_equal(back.times, times) and np.array_equal(back.node_ids, ids)
    libsonata = pytest.importorskip("libsonata", reason="libsonata is not installed")
    got = libsonata.SpikeReader(str(p))["exc"].get()
    assert len(got) == k and np.array_equal(np.sort([g[1] for g in got]), times)
