"""Checksums of result files (``schema_version`` >= 2).

HDF5 checksums its own metadata (the 1.10 object headers, B-trees and heaps of attributes) and,
with the Fletcher-32 filter, the chunks of chunked datasets.  It does not checksum contiguous
data (scalars, empty arrays) nor the global heap that holds variable-length strings: the spec
JSON, string datasets and string attributes.  So the writer adds ``/checksums``, a JSON
manifest stored as a chunked uint8 dataset with a Fletcher-32 checksum of its own::

    {"algorithm": "sha256",
     "objects": {"/": {"attrs": "<sha256>"},
                 "/spec": {"attrs": "<sha256>", "data": "<sha256>"},
                 "/spikes/exc/timestamps": {"attrs": "<sha256>", "data": "fletcher32"}, ...}}

Every group and dataset of the file (but ``/checksums``) is listed: a SHA-256 of its attributes
(names, types and values, in name order) and, for a dataset, either ``"fletcher32"`` (chunked
numeric data, checked by HDF5 on every read of a chunk) or a SHA-256 of its contents.  On
reading, :func:`verify_checksums` compares the manifest with the file -- every attribute and
every non-Fletcher-32 dataset, and with ``full=True`` also reads every chunk of the others --
and raises :class:`~neurosim.errors.ResultFileError` naming the object that does not match.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from ...errors import ResultFileError
from .layout import _SLAB, _h5py

#: Name of the root dataset that holds the manifest.
CHECKSUMS = "checksums"
_FLETCHER = "fletcher32"


def _value_bytes(value) -> bytes:
    """An unambiguous byte string of an attribute or dataset value as h5py reads it."""
    if isinstance(value, str):
        return b"U" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return b"S" + value
    a = np.asarray(value)
    head = f"{a.dtype.str}{a.shape}".encode()
    if a.dtype.kind == "O":
        parts = [_value_bytes(x) for x in a.reshape(-1)]
        body = b"".join(len(p).to_bytes(8, "little") + p for p in parts)
    else:
        body = np.ascontiguousarray(a).tobytes()
    return b"A" + len(head).to_bytes(8, "little") + head + body


def _attrs_digest(obj) -> str:
    h = hashlib.sha256()
    for name in sorted(obj.attrs.keys()):
        for part in (name.encode("utf-8", "surrogatepass"), _value_bytes(obj.attrs[name])):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


def _data_digest(dset) -> str:
    return hashlib.sha256(_value_bytes(dset[()])).hexdigest()


def _fletcher_ok(dset) -> bool:
    """Is the dataset's data covered by HDF5's Fletcher-32 filter (chunked, fixed-size type)?"""
    return bool(dset.fletcher32) and _h5py().check_vlen_dtype(dset.dtype) is None \
        and _h5py().check_string_dtype(dset.dtype) is None


def _objects(f) -> dict:
    """``{path: group or dataset}`` of every object in the file but the manifest."""
    out = {"/": f}

    def visit(name, obj):
        out["/" + name] = obj
    f.visititems(visit)
    out.pop("/" + CHECKSUMS, None)
    return out


def write_checksums(f):
    """Add the ``/checksums`` manifest to the open file ``f`` (call it last, just before closing)."""
    h5py = _h5py()
    if CHECKSUMS in f:
        del f[CHECKSUMS]
    objects = {}
    for path, obj in _objects(f).items():
        entry = {"attrs": _attrs_digest(obj)}
        if isinstance(obj, h5py.Dataset):
            entry["data"] = _FLETCHER if _fletcher_ok(obj) else _data_digest(obj)
        objects[path] = entry
    raw = np.frombuffer(json.dumps({"algorithm": "sha256", "objects": objects}).encode(), dtype=np.uint8)
    f.create_dataset(CHECKSUMS, data=raw, chunks=(max(1, raw.size),), fletcher32=True)


def _read_fully(dset):
    """Read every chunk of a dataset (HDF5 verifies each chunk's Fletcher-32 checksum)."""
    if dset.size == 0:
        return
    rows = max(1, _SLAB // max(1, dset.size // dset.shape[0]))
    for s in range(0, dset.shape[0], rows):
        dset[s:s + rows]


def verify_checksums(f, rd, full: bool = False) -> bool:
    """Check the open file ``f`` against its ``/checksums`` manifest; ``rd.where`` names the object
    being checked (for the error of an unreadable one).  Returns False for a file without checksums
    (``schema_version`` 1), True when everything matched; raises ResultFileError on a mismatch.
    ``full``: also read every chunk of the Fletcher-32 datasets (else they are checked when read)."""
    h5py = _h5py()
    path = rd.path
    if CHECKSUMS not in f:
        return False
    rd.where = "/" + CHECKSUMS
    try:
        manifest = json.loads(f[CHECKSUMS][()].tobytes().decode("utf-8"))
        listed = manifest["objects"]
        if manifest.get("algorithm") != "sha256" or not isinstance(listed, dict):
            raise ValueError("unknown checksum algorithm")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ResultFileError(f"{path} is corrupted: its checksum manifest /{CHECKSUMS} cannot be read "
                              f"({type(exc).__name__})") from None
    rd.where = "the headers of its groups and datasets"
    objects = _objects(f)
    unlisted = sorted(set(objects) - set(listed))
    missing = sorted(set(listed) - set(objects))
    if unlisted or missing:
        what = (f"{unlisted[0]} is not covered by its checksums" if unlisted
                else f"{missing[0]}, listed in its checksums, is missing")
        raise ResultFileError(f"{path} is corrupted or was modified after it was written: {what}")
    for name, obj in objects.items():
        rd.where = name
        entry = listed[name]
        if _attrs_digest(obj) != entry.get("attrs"):
            raise ResultFileError(f"{path} is corrupted: the attributes of {name} do not match their "
                                  "SHA-256 checksum")
        if not isinstance(obj, h5py.Dataset):
            continue
        expected = entry.get("data")
        if expected == _FLETCHER:
            if not _fletcher_ok(obj):
                raise ResultFileError(f"{path} is corrupted: {name} lost its Fletcher-32 checksum filter")
            if full:
                try:
                    _read_fully(obj)
                except OSError as exc:
                    raise ResultFileError(f"{path} is corrupted: {name} fails its Fletcher-32 checksum "
                                          f"({' '.join(str(exc).split())[:200]})") from None
        elif _data_digest(obj) != expected:
            raise ResultFileError(f"{path} is corrupted: the data of {name} do not match their SHA-256 checksum")
    return True
