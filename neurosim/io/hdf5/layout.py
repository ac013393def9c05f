"""The file layout shared by the writer and the reader: constants, group names, JSON and
attribute conversions, and the dataset helpers (chunking, checksums, slab-wise reads and writes).
See :mod:`neurosim.io.hdf5` for the layout itself."""
from __future__ import annotations

import json

import numpy as np

from ... import interrupts

#: Version of the file layout this neurosim writes and the newest it reads.  2: every dataset,
#: attribute and the spec are covered by checksums (``/checksums``); chunks follow the data size.
SCHEMA_VERSION = 2
#: The oldest schema_version with checksums (older files are read without them).
FIRST_CHECKSUMMED_SCHEMA = 2
#: Value of the root attribute ``format``.
FORMAT = "neurosim-result"
#: SONATA spike sorting enumeration (an HDF5 enum attribute; libsonata cannot read strings).
SONATA_SORTING = {"none": 0, "by_id": 1, "by_time": 2}
SONATA_MAGIC = 0x0A7A
SONATA_VERSION = (0, 1)

_SLAB = 1 << 20             # elements per write/read slab of large 1-D arrays (bounds extra memory)
_SPIKE_CHUNK = 1 << 16      # longest chunk along the first axis (elements): 512 kB of float64 spike times
_RESERVED_ATTRS = {"format", "schema_version", "magic", "version", "meta_json"}
_LIBVER = ("v110", "latest")


def _h5py():
    import h5py
    return h5py


def _sorting_dtype():
    return _h5py().enum_dtype(dict(SONATA_SORTING), basetype=np.uint8)


# --------------------------------------------------------------------------- names
def _escape(name) -> str:
    s = str(name).replace("%", "%25").replace("/", "%2F")
    if s in ("", ".", ".."):
        s = s.replace(".", "%2E") or "%00"
    return s


def _unescape(name: str) -> str:
    if name == "%00":
        return ""
    return name.replace("%2F", "/").replace("%2E", ".").replace("%25", "%")


# --------------------------------------------------------------------------- JSON helpers
def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _dumps(obj) -> str:
    return json.dumps(obj, default=_json_default)


def _py(value):
    """numpy scalar / bytes attribute value -> plain Python value (arrays stay arrays)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_plain_attr(value) -> bool:
    """Can ``value`` be stored as an HDF5 attribute and read back as the same value and type?"""
    if isinstance(value, int) and not isinstance(value, bool):
        return -(1 << 63) <= value < (1 << 64)          # else JSON, which has big integers
    if isinstance(value, (bool, np.bool_, float, str, np.integer, np.floating)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf" and value.ndim >= 1 and value.size > 0
    return False


# --------------------------------------------------------------------------- small checks
def _is_nondecreasing(a: np.ndarray) -> bool:
    """True if the 1-D array ``a`` is sorted ascending; checked in slabs (bounded memory)."""
    n = a.shape[0]
    for s in range(0, max(n - 1, 0), _SLAB):
        e = min(n, s + _SLAB + 1)
        seg = a[s:e]
        if np.any(seg[1:] < seg[:-1]):
            return False
    return True


def _chunk_len(n: int, limit: int = _SPIKE_CHUNK) -> int:
    """Chunk length along the first axis of a fixed-size dataset of ``n`` rows: the whole data up
    to ``limit`` rows, else the data split evenly into the fewest chunks of at most ``limit`` rows
    (HDF5 allocates whole chunks, so this wastes less than one row per chunk)."""
    n, limit = max(1, int(n)), max(1, int(limit))
    return -(-n // -(-n // limit))


def _chunks(shape) -> tuple:
    """Chunk shape of a non-empty dataset of ``shape``: whole rows (all axes but the first), at
    most ``_SPIKE_CHUNK`` elements a chunk when a row is shorter than that (see :func:`_chunk_len`)."""
    row = int(np.prod(shape[1:], dtype=np.int64))
    return (_chunk_len(shape[0], _SPIKE_CHUNK // row),) + tuple(int(d) for d in shape[1:])


def _write_1d(dset, arr, offset: int = 0):
    """Write a 1-D array into ``dset[offset:offset + len(arr)]`` in slabs (no full-size copy,
    also when the dtype is converted, e.g. int64 -> uint64).  An interrupt received meanwhile
    (:func:`neurosim.interrupts.check`) stops it between slabs."""
    n = arr.shape[0]
    for s in range(0, n, _SLAB):
        interrupts.check()
        e = min(n, s + _SLAB)
        dset[offset + s:offset + e] = np.asarray(arr[s:e], dtype=dset.dtype)


def _read(dset, dtype=None) -> np.ndarray:
    """Read a whole dataset, converting to ``dtype`` in HDF5 (no second copy)."""
    dtype = dset.dtype if dtype is None else np.dtype(dtype)
    out = np.empty(dset.shape, dtype=dtype)
    if out.size:
        dset.read_direct(out)
    return out


def _create(group, name, data, compression=None, fletcher32=True, **attrs):
    """Create a dataset from an array: chunked (:func:`_chunks`, following the data size) with a
    Fletcher-32 checksum (and optional compression) when non-empty; contiguous when empty, a
    scalar or strings (those are covered by the SHA-256 sums of :mod:`.checksums`).  Returns the
    dataset."""
    data = np.asarray(data)
    if data.dtype.kind == "U":
        data = data.astype(object)
        dset = group.create_dataset(name, data=data, dtype=_h5py().string_dtype())
    elif data.ndim == 0 or data.size == 0:
        dset = group.create_dataset(name, data=data)
    else:
        dset = group.create_dataset(name, shape=data.shape, dtype=data.dtype, chunks=_chunks(data.shape),
                                    fletcher32=fletcher32, compression=compression)
        if data.ndim == 1:
            _write_1d(dset, data)
        else:
            dset[...] = data
    for k, v in attrs.items():
        dset.attrs[k] = v
    return dset



def _read_slice(dset, a, b, dtype):
    out = np.empty(b - a, dtype=dtype)
    if b > a:
        dset.read_direct(out, np.s_[a:b])
    return out

