"""MNIST: IDX reader, checksum verification, local lookup, cache and download.

MNIST (LeCun, Bottou, Bengio & Haffner 1998) is distributed as four files in the IDX format,
usually gzipped::

    train-images-idx3-ubyte   uint8 (60000, 28, 28)
    train-labels-idx1-ubyte   uint8 (60000,)
    t10k-images-idx3-ubyte    uint8 (10000, 28, 28)
    t10k-labels-idx1-ubyte    uint8 (10000,)

:func:`load_mnist` looks for each file (raw or with a ``.gz`` suffix) in this order:

1. the explicit ``path`` argument (a folder),
2. ``$NEUROSIM_DATA/mnist`` (a relative ``$NEUROSIM_DATA`` is resolved against the current
   working directory),
3. the user cache ``~/.cache/neurosim/mnist`` (``$XDG_CACHE_HOME/neurosim/mnist`` when set),
4. a download from the public mirrors in :data:`MIRRORS`, tried in turn, into the user cache.

Every file is checked against the SHA-256 of its *uncompressed* content (:data:`SHA256`)
before use, so a gzipped and a raw copy are equally acceptable and a corrupted or foreign file
is never used silently.  Downloads are verified before they are written (atomically) into the
cache.

The IDX format (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number ``0x00 0x00 <dtype>
<ndim>``, then ``ndim`` big-endian uint32 dimension sizes, then the data in C order, big-endian.
:func:`read_idx` reads any IDX file, not only MNIST's.

This module imports no simulator code (see DESIGN.md).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import NeurosimError

__all__ = [
    "DataError", "IDXFormatError", "ChecksumError", "DataNotFoundError",
    "MNIST", "FILES", "SHA256", "MIRRORS", "read_idx", "parse_idx", "load_mnist",
    "find_mnist_file", "default_cache_dir", "train_val_split", "N_VAL_DEFAULT",
]


# --------------------------------------------------------------------------------------- errors
class DataError(NeurosimError, ValueError):
    """A data file is malformed or is not the file it claims to be."""


class IDXFormatError(DataError):
    """An IDX file has a wrong magic number, an unknown dtype, wrong sizes or is truncated."""


class ChecksumError(DataError):
    """The SHA-256 of a file's (uncompressed) content is not the expected one."""


class DataNotFoundError(NeurosimError, FileNotFoundError):
    """A data set is not on this machine and could not (or may not) be downloaded."""


# --------------------------------------------------------------------------------- known files
#: key -> file name (without ``.gz``) of the four MNIST files.
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: SHA-256 of the *uncompressed* content of each file.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Expected array shapes (checked in addition to the checksum, for a clearer message).
SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

#: Public mirrors of the gzipped files, tried in this order (``<mirror><name>.gz``).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

#: Size of the validation split held out from the end of the training set.
N_VAL_DEFAULT = 5000

ENV_VAR = "NEUROSIM_DATA"

# IDX dtype code -> big-endian numpy dtype
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


# ------------------------------------------------------------------------------------ IDX reader
def _read_bytes(path) -> bytes:
    """Return the uncompressed content of ``path`` (gzip detected by its magic bytes)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: no such file") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise IDXFormatError(f"{path}: corrupted or truncated gzip stream ({exc})") from None
    return raw


def parse_idx(content: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the (uncompressed) bytes of an IDX file into a native-endian numpy array.

    Raises :class:`IDXFormatError` naming ``name`` when the magic number is wrong, the dtype
    code is unknown, or the data is shorter (truncated) or longer than the header says.
    """
    if len(content) < 4:
        raise IDXFormatError(f"{name}: too short for an IDX header ({len(content)} bytes, need >= 4)")
    zero0, zero1, code, ndim = content[0], content[1], content[2], content[3]
    if zero0 != 0 or zero1 != 0:
        raise IDXFormatError(
            f"{name}: wrong magic number 0x{content[:4].hex()} (an IDX file starts with 0x0000, "
            f"then a dtype byte and the number of dimensions); is this an IDX file?")
    if code not in _IDX_DTYPES:
        raise IDXFormatError(
            f"{name}: unknown IDX dtype code 0x{code:02x} in magic number 0x{content[:4].hex()} "
            f"(known: {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)})")
    if ndim == 0:
        raise IDXFormatError(f"{name}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimensions need {header_len} header bytes, "
            f"file has {len(content)}")
    dims = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(content) - header_len
    if actual < expected:
        raise IDXFormatError(
            f"{name}: truncated data: header says shape {dims} of {dtype.name} "
            f"({expected} bytes), but only {actual} bytes follow the header")
    if actual > expected:
        raise IDXFormatError(
            f"{name}: wrong size: header says shape {dims} of {dtype.name} ({expected} bytes), "
            f"but {actual} bytes follow the header ({actual - expected} extra)")
    arr = np.frombuffer(content, dtype=dtype, count=expected // dtype.itemsize, offset=header_len)
    return arr.reshape(dims).astype(dtype.newbyteorder("="), copy=True)


def _verify(content: bytes, expected_sha256: str, name: str) -> None:
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256.lower():
        raise ChecksumError(
            f"{name}: SHA-256 mismatch of the uncompressed content: expected {expected_sha256}, "
            f"got {actual}. The file is corrupted, truncated or not the expected file; delete it "
            f"and fetch it again.")


def read_idx(path, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw; gzip is detected from the content, not the name).

    Parameters
    ----------
    path : str or Path
        The file.
    sha256 : str, optional
        Expected SHA-256 (hex) of the *uncompressed* content; a mismatch raises
        :class:`ChecksumError` naming the file, the expected and the actual digest.

    Returns
    -------
    numpy.ndarray in native byte order with the shape and dtype the header declares
    (uint8 for MNIST).
    """
    content = _read_bytes(path)
    if sha256 is not None:
        _verify(content, sha256, str(path))
    return parse_idx(content, str(path))


# ---------------------------------------------------------------------------------- the dataset
@dataclass(frozen=True)
class MNIST:
    """The four MNIST arrays (uint8 images in 0..255, uint8 labels in 0..9).

    ``data["train_images"]`` works as well as ``data.train_images``.  ``sources`` maps each
    file name to the path it was read from.
    """
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    sources: dict = field(default_factory=dict, compare=False)

    def __getitem__(self, key):
        if key not in FILES:
            raise KeyError(f"{key!r}; MNIST has {', '.join(FILES)}")
        return getattr(self, key)

    def keys(self):
        return FILES.keys()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in FILES}


def train_val_split(data, n_val: int = N_VAL_DEFAULT):
    """Hold out the *last* ``n_val`` training images as a validation set.

    The same split is used by the ANN baseline and the bridge, so their comparison is like for
    like.  Returns ``(x_train, y_train, x_val, y_val)`` (views, uint8).
    """
    x, y = data["train_images"], data["train_labels"]
    if not 0 <= n_val < len(x):
        raise ValueError(f"n_val={n_val} must be in [0, {len(x)})")
    cut = len(x) - n_val
    return x[:cut], y[:cut], x[cut:], y[cut:]


# ------------------------------------------------------------------------------------- lookup
def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/neurosim/mnist``, else ``~/.cache/neurosim/mnist``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neurosim" / "mnist"


def _env_dir() -> Path | None:
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    return Path(os.path.abspath(os.path.expanduser(value))) / "mnist"


def _search_dirs(path=None, cache_dir=None) -> list[Path]:
    dirs = []
    if path is not None:
        dirs.append(Path(os.path.abspath(os.path.expanduser(str(path)))))
    env = _env_dir()
    if env is not None:
        dirs.append(env)
    dirs.append(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    return dirs


def find_mnist_file(name: str, dirs) -> Path | None:
    """First existing ``<dir>/<name>`` or ``<dir>/<name>.gz`` over ``dirs``; None if none."""
    for d in dirs:
        for candidate in (Path(d) / name, Path(d) / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def _not_found_message(missing, dirs, reason: str) -> str:
    names = "\n".join(f"    {FILES[k]}.gz   (or uncompressed: {FILES[k]})" for k in FILES)
    looked = "\n".join(f"    {d}" for d in dirs)
    return (
        f"MNIST not found ({reason}); missing: {', '.join(missing)}.\n"
        f"Looked in:\n{looked}\n"
        f"Put the four MNIST files\n{names}\n"
        f"into a folder <DIR>/mnist and set the environment variable {ENV_VAR}=<DIR>, "
        f"or put them into {dirs[-1]}, or pass load_mnist(path=<folder with the files>).")


# ----------------------------------------------------------------------------------- download
def _download_one(name: str, cache_dir: Path, mirrors, timeout: float = 60.0) -> Path:
    """Fetch ``<name>.gz`` from the mirrors in turn, verify it, write it atomically to the cache."""
    from tqdm.auto import tqdm

    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "neurosim"})
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                total = resp.headers.get("Content-Length")
                total = int(total) if total and total.isdigit() else None
                chunks = []
                with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                          desc=f"{name}.gz", leave=False) as bar:
                    while True:
                        chunk = resp.read(1 << 16)
                        if not chunk:
                            break
                        chunks.append(chunk)
                        bar.update(len(chunk))
            blob = b"".join(chunks)
            content = gzip.decompress(blob) if blob[:2] == _GZIP_MAGIC else blob
            _verify(content, SHA256[name], url)
            parse_idx(content, url)
        except (urllib.error.URLError, OSError, EOFError, zlib.error, DataError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = cache_dir / (name + ".gz")
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(blob if blob[:2] == _GZIP_MAGIC else gzip.compress(content))
        return target
    raise DataNotFoundError("download failed from every mirror:\n  " + "\n  ".join(errors))


def load_mnist(path=None, download: bool = True, *, cache_dir=None, mirrors=MIRRORS,
               verify: bool = True) -> MNIST:
    """Load MNIST as uint8 arrays, verified by SHA-256.

    Parameters
    ----------
    path : str or Path, optional
        A folder holding the four files (raw or ``.gz``); searched first.
    download : bool
        When a file is found nowhere locally, fetch it from :data:`MIRRORS` into the cache.
        With ``download=False`` a missing file raises :class:`DataNotFoundError` whose message
        says where to put the files.
    cache_dir : str or Path, optional
        Overrides the user cache folder (default :func:`default_cache_dir`).
    mirrors : sequence of str
        Base URLs tried in turn.
    verify : bool
        Check each file's SHA-256 (default True; about 0.1 s for all four).

    Returns
    -------
    MNIST with ``train_images`` uint8 (60000, 28, 28), ``train_labels`` uint8 (60000,),
    ``test_images`` uint8 (10000, 28, 28), ``test_labels`` uint8 (10000,).
    A file found but corrupted raises (:class:`ChecksumError` / :class:`IDXFormatError`);
    it is never skipped silently in favour of another copy.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    dirs = _search_dirs(path, cache)
    found = {key: find_mnist_file(FILES[key], dirs) for key in FILES}
    missing = [FILES[k] for k, p in found.items() if p is None]
    if missing:
        if not download:
            raise DataNotFoundError(_not_found_message(missing, dirs, "download disabled"))
        errors = []
        for key, p in found.items():
            if p is None:
                try:
                    found[key] = _download_one(FILES[key], cache, mirrors)
                except DataNotFoundError as exc:
                    errors.append(f"{FILES[key]}: {exc}")
        if errors:
            raise DataNotFoundError(
                _not_found_message(missing, dirs, "offline or download failed") + "\n"
                + "\n".join(errors))
    arrays = {}
    for key, p in found.items():
        name = FILES[key]
        arr = read_idx(p, SHA256[name] if verify else None)
        if arr.shape != SHAPES[name] or arr.dtype != np.uint8:
            raise IDXFormatError(
                f"{p}: expected uint8 {SHAPES[name]} for {name}, got {arr.dtype} {arr.shape}")
        arrays[key] = arr
    if arrays["train_labels"].max() > 9 or arrays["test_labels"].max() > 9:
        raise DataError(f"MNIST labels outside 0..9 in {found['train_labels']} / {found['test_labels']}")
    return MNIST(**arrays, sources={FILES[k]: str(p) for k, p in found.items()})
