"""MNIST loader: IDX parsing, checksums, lookup order, offline message, download (no network)."""
import gzip
import hashlib
import io
import os
import struct
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from neurosim.data import mnist
from neurosim.data.mnist import (ChecksumError, DataNotFoundError, IDXFormatError, load_mnist,
                                 read_idx)
from neurosim.errors import NeurosimError

REPO_ROOT = Path(__file__).resolve().parents[1]

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
          np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr) -> bytes:
    arr = np.asarray(arr)
    header = bytes([0, 0, _CODES[arr.dtype], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path, arr, gz=False) -> bytes:
    """Write ``arr`` as an IDX file (gzipped when ``gz``); return the uncompressed bytes."""
    content = idx_bytes(arr)
    Path(path).write_bytes(gzip.compress(content) if gz else content)
    return content


# ------------------------------------------------------------------------------------ read_idx
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_roundtrip(tmp_path, gz, dtype):
    rng = np.random.default_rng(0)
    arr = (rng.random((5, 4, 3)) * 100).astype(dtype)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(p, arr, gz=gz)
    out = read_idx(p)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == (5, 4, 3)
    np.testing.assert_array_equal(out, arr)


def test_read_idx_gzip_detected_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    p = tmp_path / "labels-idx2-ubyte"  # gzipped content, no .gz suffix
    write_idx(p, arr, gz=True)
    np.testing.assert_array_equal(read_idx(p), arr)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data_rejected(tmp_path, gz):
    content = idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-100]
    p = tmp_path / "trunc-idx3-ubyte"
    p.write_bytes(gzip.compress(content) if gz else content)
    with pytest.raises(IDXFormatError, match="truncated") as exc:
        read_idx(p)
    assert str(p) in str(exc.value)
    assert isinstance(exc.value, NeurosimError) and isinstance(exc.value, ValueError)


def test_truncated_gzip_stream_rejected(tmp_path):
    blob = gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.uint8)))
    p = tmp_path / "cut.gz"
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(IDXFormatError, match="gzip") as exc:
        read_idx(p)
    assert str(p) in str(exc.value)


def test_truncated_header_rejected(tmp_path):
    p = tmp_path / "hdr"
    p.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">I", 10))
    with pytest.raises(IDXFormatError, match="header"):
        read_idx(p)


def test_wrong_magic_rejected(tmp_path):
    content = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
    content[0:2] = b"PK"  # e.g. a zip file
    p = tmp_path / "magic"
    p.write_bytes(bytes(content))
    with pytest.raises(IDXFormatError, match="magic") as exc:
        read_idx(p)
    assert str(p) in str(exc.value)


def test_unknown_dtype_code_rejected(tmp_path):
    content = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
    content[2] = 0x07
    p = tmp_path / "code"
    p.write_bytes(bytes(content))
    with pytest.raises(IDXFormatError, match="dtype code 0x07"):
        read_idx(p)


def test_extra_bytes_rejected(tmp_path):
    p = tmp_path / "extra"
    p.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8)) + b"\x00\x00")
    with pytest.raises(IDXFormatError, match="2 extra"):
        read_idx(p)


def test_checksum_mismatch_message(tmp_path):
    arr = np.arange(6, dtype=np.uint8)
    p = tmp_path / "c.gz"
    content = write_idx(p, arr, gz=True)
    actual = hashlib.sha256(content).hexdigest()
    np.testing.assert_array_equal(read_idx(p, sha256=actual), arr)   # digest of uncompressed
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as exc:
        read_idx(p, sha256=wrong)
    msg = str(exc.value)
    assert str(p) in msg and wrong in msg and actual in msg


# ------------------------------------------------------------------------------- load_mnist
def _fake_mnist(folder: Path, monkeypatch, gz=True, n_train=7, n_test=3, patch=True):
    """Write four tiny MNIST-like files and (with ``patch``) make the module expect their
    digests and shapes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    sums, shapes = {}, {}
    for name, arr in arrays.items():
        content = write_idx(folder / (name + (".gz" if gz else "")), arr, gz=gz)
        sums[name] = hashlib.sha256(content).hexdigest()
        shapes[name] = arr.shape
    if patch:
        monkeypatch.setattr(mnist, "SHA256", sums)
        monkeypatch.setattr(mnist, "SHAPES", shapes)
    return arrays


@pytest.fixture
def no_network(monkeypatch):
    """Any download attempt fails like an offline machine; the URLs tried are recorded."""
    tried = []

    def fake_urlopen(req, timeout=None):
        tried.append(getattr(req, "full_url", req))
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", fake_urlopen)
    return tried


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROSIM_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


@pytest.mark.parametrize("gz", [False, True])
def test_load_via_neurosim_data(clean_env, monkeypatch, no_network, gz):
    root = clean_env / "datasets"
    arrays = _fake_mnist(root / "mnist", monkeypatch, gz=gz)
    monkeypatch.setenv("NEUROSIM_DATA", str(root))
    d = load_mnist(download=False)
    np.testing.assert_array_equal(d.train_images, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(d["test_labels"], arrays["t10k-labels-idx1-ubyte"])
    assert d.train_images.dtype == np.uint8
    assert all(Path(p).parent == root / "mnist" for p in d.sources.values())
    assert no_network == []


def test_relative_neurosim_data_resolved_against_cwd(clean_env, monkeypatch, no_network):
    _fake_mnist(clean_env / "shared" / "data" / "mnist", monkeypatch)
    (clean_env / "repo").mkdir()
    monkeypatch.chdir(clean_env / "repo")
    monkeypatch.setenv("NEUROSIM_DATA", "../shared/data")
    d = load_mnist(download=False)
    assert d.train_images.shape == (7, 28, 28)


def test_lookup_order_path_env_cache(clean_env, monkeypatch, no_network):
    _fake_mnist(clean_env / "explicit", monkeypatch)
    import shutil
    for d in ("env/mnist", "cache"):
        shutil.copytree(clean_env / "explicit", clean_env / d)
    monkeypatch.setenv("NEUROSIM_DATA", str(clean_env / "env"))
    src = load_mnist(clean_env / "explicit", download=False, cache_dir=clean_env / "cache").sources
    assert all(Path(p).parent == clean_env / "explicit" for p in src.values())
    src = load_mnist(download=False, cache_dir=clean_env / "cache").sources
    assert all(Path(p).parent == clean_env / "env" / "mnist" for p in src.values())
    monkeypatch.delenv("NEUROSIM_DATA")
    src = load_mnist(download=False, cache_dir=clean_env / "cache").sources
    assert all(Path(p).parent == clean_env / "cache" for p in src.values())


def test_corrupted_file_is_an_error_not_skipped(clean_env, monkeypatch, no_network):
    arrays = _fake_mnist(clean_env / "mnist", monkeypatch, gz=False)
    name = "t10k-labels-idx1-ubyte"
    bad = arrays[name].copy()
    bad[0] = (bad[0] + 1) % 10
    write_idx(clean_env / "mnist" / name, bad)
    actual = hashlib.sha256(idx_bytes(bad)).hexdigest()
    with pytest.raises(ChecksumError) as exc:
        load_mnist(clean_env / "mnist", download=False)
    msg = str(exc.value)
    assert name in msg and mnist.SHA256[name] in msg and actual in msg


def test_real_digests_reject_fake_files(clean_env, monkeypatch, no_network):
    _fake_mnist(clean_env / "mnist", monkeypatch, patch=False)
    with pytest.raises(ChecksumError, match="expected") as exc:
        load_mnist(clean_env / "mnist", download=False, cache_dir=clean_env / "empty")
    assert "train-images-idx3-ubyte" in str(exc.value)
    assert mnist.SHA256["train-images-idx3-ubyte"] in str(exc.value)


def test_offline_message_download_disabled(clean_env, no_network):
    with pytest.raises(DataNotFoundError) as exc:
        load_mnist(download=False, cache_dir=clean_env / "empty-cache")
    msg = str(exc.value)
    for name in mnist.FILES.values():
        assert name in msg
    assert "NEUROSIM_DATA" in msg and str(clean_env / "empty-cache") in msg
    assert isinstance(exc.value, NeurosimError) and isinstance(exc.value, FileNotFoundError)
    assert no_network == []


def test_offline_message_when_every_mirror_fails(clean_env, no_network):
    with pytest.raises(DataNotFoundError) as exc:
        load_mnist(download=True, cache_dir=clean_env / "cache")
    msg = str(exc.value)
    assert "NEUROSIM_DATA" in msg and "train-images-idx3-ubyte" in msg
    # every mirror was tried for every file, and nothing was left in the cache
    assert len(no_network) == len(mnist.MIRRORS) * 4
    assert {u.split("/")[2] for u in no_network} == {m.split("/")[2] for m in mnist.MIRRORS}
    assert not (clean_env / "cache").exists() or not any((clean_env / "cache").iterdir())


def test_download_falls_back_to_next_mirror_and_caches(clean_env, monkeypatch):
    src = clean_env / "server"
    arrays = _fake_mnist(src, monkeypatch, gz=True)
    tried = []

    class Resp(io.BytesIO):
        headers = {}

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    def fake_urlopen(req, timeout=None):
        url = req.full_url
        tried.append(url)
        blob = (src / url.rsplit("/", 1)[1]).read_bytes()
        if url.startswith("https://first."):
            return Resp(blob[:-8])          # corrupted on the first mirror
        r = Resp(blob)
        r.headers = {"Content-Length": str(len(blob))}
        return r

    monkeypatch.setattr(mnist.urllib.request, "urlopen", fake_urlopen)
    cache = clean_env / "cache"
    d = load_mnist(download=True, cache_dir=cache,
                   mirrors=("https://first.example/mnist/", "https://second.example/mnist/"))
    np.testing.assert_array_equal(d.train_images, arrays["train-images-idx3-ubyte"])
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + ".gz" for n in mnist.FILES.values())
    assert len(tried) == 8
    # second call: served from the cache, no network
    monkeypatch.setattr(mnist.urllib.request, "urlopen", None)
    assert load_mnist(download=True, cache_dir=cache).test_labels.shape == (3,)


# ------------------------------------------------------------------------------- real MNIST
def _real_mnist_dir():
    value = os.environ.get("NEUROSIM_DATA")
    if not value:
        return None
    for base in (Path.cwd(), REPO_ROOT):
        d = (base / value / "mnist").resolve()
        if d.is_dir():
            return d
    return None


def test_real_mnist():
    folder = _real_mnist_dir()
    if folder is None:
        pytest.skip("real MNIST not found: set NEUROSIM_DATA to a folder holding mnist/ "
                    f"(NEUROSIM_DATA={os.environ.get('NEUROSIM_DATA')!r})")
    t0 = time.perf_counter()
    d = load_mnist(folder, download=False)
    elapsed = time.perf_counter() - t0
    assert d.train_images.shape == (60000, 28, 28) and d.train_images.dtype == np.uint8
    assert d.train_labels.shape == (60000,) and d.train_labels.dtype == np.uint8
    assert d.test_images.shape == (10000, 28, 28) and d.test_images.dtype == np.uint8
    assert d.test_labels.shape == (10000,) and d.test_labels.dtype == np.uint8
    for labels in (d.train_labels, d.test_labels):
        assert labels.min() == 0 and labels.max() == 9
        assert len(np.unique(labels)) == 10
    assert d.train_images.max() == 255 and d.train_images.min() == 0
    assert elapsed < 10.0, f"loading MNIST took {elapsed:.1f} s"
    # the embedded digests agree with the checksum file shipped next to the data, if any
    sums = folder / "SHA256SUMS.uncompressed"
    if sums.exists():
        listed = dict(line.split()[::-1] for line in sums.read_text().splitlines() if line.strip())
        assert listed == mnist.SHA256
    # and with the files actually read
    for name, path in d.sources.items():
        raw = Path(path).read_bytes()
        content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        assert hashlib.sha256(content).hexdigest() == mnist.SHA256[name]
    x, y, xv, yv = mnist.train_val_split(d)
    assert len(x) == 55000 and len(xv) == 5000
    np.testing.assert_array_equal(xv, d.train_images[55000:])


# ---------------------------------------------------------------------------------- encoding
def test_encoding_units_and_ranges():
    from neurosim.data import constant_currents, poisson_rates, spike_probability
    from neurosim.errors import SpecError
    from neurosim import units as u
    img = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    rates = poisson_rates(img, max_rate=100.0)            # rates are plain Hz (units.Hz is per ms)
    np.testing.assert_allclose(rates, [[0.0, 100.0, 20.0, 40.0]])
    np.testing.assert_allclose(poisson_rates(img / 255.0, max_rate=50.0, min_rate=10.0),
                               [[10.0, 50.0, 18.0, 26.0]])
    np.testing.assert_allclose(constant_currents(img, max_current=1 * u.nA), [[0, 1000, 200, 400]])
    np.testing.assert_allclose(spike_probability(100.0, dt=0.1), 1 - np.exp(-0.01))
    with pytest.raises(SpecError, match="0, 1"):
        poisson_rates(img.astype(float))          # 0..255 floats
    with pytest.raises(SpecError, match="physiological"):
        poisson_rates(img, max_rate=1e5)
    with pytest.raises(SpecError, match="max"):
        constant_currents(img, max_current=-5.0, min_current=0.0)
