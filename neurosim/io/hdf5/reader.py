"""Reading result files: :func:`read_result`, :func:`describe_file`, :func:`read_spike_window`,
with every failure reported as a :class:`~neurosim.errors.ResultFileError`."""
from __future__ import annotations

import json
import os
from typing import Union
import warnings

import numpy as np

from ..._version import __version__
from ...errors import ResultFileError, ResultFileWarning
from ...result import Result, SpikeTrains, StateTrace, PopulationRate, WeightTable
from .checksums import CHECKSUMS, verify_checksums
from .layout import FIRST_CHECKSUMMED_SCHEMA, FORMAT, SCHEMA_VERSION, _RESERVED_ATTRS, _h5py, _py, _read, _unescape
from .spikes import spike_group_window


# --------------------------------------------------------------------------- reader
class _Reading:
    """Tracks which object is being read so that errors name it."""

    def __init__(self, path):
        self.path = path
        self.where = "/"
        self.checksums = None


def read_result(path: Union[str, "os.PathLike[str]"]) -> Result:
    """Load a :class:`~neurosim.result.Result` written by :func:`write_result`.

    Times come back in ms, node ids as int64, trials as int32, other arrays with the dtype they
    were written with.  Raises :class:`~neurosim.errors.ResultFileError`, naming the problem,
    for a missing file, a file that is not HDF5, a truncated or corrupted file, an HDF5 file
    that is not a neurosim result, and a file written by a newer neurosim (schema_version
    greater than :data:`SCHEMA_VERSION`).  Every attribute, the spec and every dataset are
    checked against the file's checksums.  A file of schema_version 1 has none: it is read with a
    :class:`ResultFileWarning` saying so.
    """
    return _with_file(path, _read_file)


def describe_file(path, full: bool = True) -> dict:
    """Summarise a result file without keeping its large arrays.

    Returns ``{"meta": dict, "spec": {"populations": [(name, n)], "projections": [names]},
    "spikes": {population: {"n_neurons", "n_recorded", "n_trials", "n_spikes"}},
    "states": {(population, variable): (n_samples, n_trials, n_indices, unit)},
    "rates": {population: (n_steps, dt_ms)}, "weights": {projection: (n_synapses, receptor, unit,
    n_snapshots)}, "extra": [top-level names], "checksums": "verified" or "absent"}``.  With
    ``full`` (default) every dataset is read (in slabs) to verify its checksum, so a corrupted
    file raises ResultFileError like :func:`read_result`; else only the attributes, the spec,
    strings and scalars are verified (the large datasets are checked when they are read).
    ``"absent"``: a schema_version 1 file, which has no checksums.
    """
    return _with_file(path, _describe, full=bool(full))


def _with_file(path, fn, full=False):
    """Open the result file ``path``, check its schema and checksums (``full``: read every chunk
    too) and return ``fn(file, reading)``; ``reading.checksums`` tells whether the file had
    checksums.  Every failure becomes a ResultFileError that names the file and the object."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ResultFileError(f"result file not found: {path}")
    if os.path.isdir(path):
        raise ResultFileError(f"{path} is a directory, not a result file")
    h5py = _h5py()
    try:
        is_h5 = h5py.is_hdf5(path)
    except OSError as exc:
        raise ResultFileError(f"cannot read {path}: {_short(exc)}") from None
    if not is_h5:
        raise ResultFileError(f"{path} is not an HDF5 file, so not a neurosim result")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultFileError(f"{path} is truncated or corrupted: HDF5 cannot open it ({_short(exc)})") from None
    rd = _Reading(path)
    try:
        with f:
            rd.checksums = _check_schema(f, rd, full)
            return fn(f, rd)
    except ResultFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, IndexError, AttributeError,
            UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path} is truncated or corrupted: cannot read {rd.where} "
                              f"({type(exc).__name__}: {_short(exc)})") from None


def _check_schema(f, rd, full=False) -> bool:
    """Check that ``f`` is a neurosim result this neurosim can read and verify its checksums
    (:func:`.checksums.verify_checksums`; ``full``: every chunk too).  Returns whether the file
    has checksums (files of schema_version 1 have none)."""
    path = rd.path
    attrs = f.attrs
    schema = int(_py(attrs["schema_version"])) if "schema_version" in attrs else None
    if schema is not None and schema > SCHEMA_VERSION:
        writer = _py(attrs.get("neurosim_version", "?"))
        raise ResultFileError(f"{path} was written by a newer neurosim ({writer}, schema_version {schema}); "
                              f"this neurosim {__version__} reads schema_version <= {SCHEMA_VERSION}: "
                              "upgrade neurosim to read it")
    if schema is None or _py(attrs.get("format", "")) != FORMAT:
        if schema is not None and CHECKSUMS in f:
            verify_checksums(f, rd)          # a damaged format attribute is reported as such
        raise ResultFileError(f"{path} is an HDF5 file but not a neurosim result (no "
                              f"format={FORMAT!r} and schema_version attributes)")
    checked = verify_checksums(f, rd, full)
    if not checked and schema >= FIRST_CHECKSUMMED_SCHEMA:
        raise ResultFileError(f"{path} is corrupted: files of schema_version {schema} carry checksums "
                              f"(/{CHECKSUMS}), this one has none")
    return checked


def _describe(f, rd):
    out = {"meta": _read_meta(f, rd), "spec": {}, "spikes": {}, "states": {}, "rates": {}, "weights": {},
           "extra": [], "checksums": "verified" if rd.checksums else "absent"}
    rd.where = "/spec"
    if "spec" in f:
        spec = json.loads(f["spec"].asstr()[()])
        if isinstance(spec, dict):
            out["spec"] = {"populations": [(p.get("name"), p.get("n")) for p in spec.get("populations", [])],
                           "projections": [q.get("name") for q in spec.get("projections", [])]}
    if "spikes" in f:
        for name, g in f["spikes"].items():
            rd.where = f"/spikes/{name}"
            n = int(_py(g.attrs.get("n_neurons", 0)))
            out["spikes"][_unescape(name)] = {
                "n_neurons": n, "n_recorded": int(g["recorded"].shape[0]) if "recorded" in g else n,
                "n_trials": int(_py(g.attrs.get("n_trials", 1))), "n_spikes": int(g["timestamps"].shape[0])}
    if "report" in f:
        for pname, pg in f["report"].items():
            for vname, g in pg.items():
                rd.where = f"/report/{pname}/{vname}"
                out["states"][(_unescape(pname), _unescape(vname))] = (
                    int(g["data"].shape[0]), int(g["trials"].shape[0]), int(g["indices"].shape[0]),
                    _py(g["data"].attrs.get("units", "")))
    if "rates" in f:
        for name, d in f["rates"].items():
            rd.where = f"/rates/{name}"
            out["rates"][_unescape(name)] = (int(d.shape[0]), float(_py(d.attrs["dt"])))
    if "weights" in f:
        for name, g in f["weights"].items():
            rd.where = f"/weights/{name}"
            out["weights"][_unescape(name)] = (int(g["pre"].shape[0]), _py(g.attrs["receptor"]),
                                               _py(g.attrs.get("unit", "")),
                                               int(g["snapshots"].shape[0]) if "snapshots" in g else 0)
    for top in ("extra", "bridge"):
        if top in f:
            out["extra"] += ["bridge"] if top == "bridge" else [_unescape(k) for k in f[top]]
    return out


def _read_meta(f, rd) -> dict:
    rd.where = "root attributes"
    attrs = f.attrs
    meta = {}
    for k in attrs.keys():
        if k not in _RESERVED_ATTRS:
            meta[k] = _py(attrs[k])
    if "meta_json" in attrs:
        meta.update(json.loads(_py(attrs["meta_json"])))
    return meta


def _short(exc) -> str:
    msg = " ".join(str(exc).split())
    return msg[:300]


def _read_file(f, rd: _Reading) -> Result:
    path = rd.path
    if not rd.checksums:
        writer = _py(f.attrs.get("neurosim_version", "?"))
        warnings.warn(f"{path} was written by neurosim {writer} (schema_version "
                      f"{int(_py(f.attrs['schema_version']))}) without checksums: a corrupted spec, attribute "
                      "or scalar would go unnoticed; save it again to add them", ResultFileWarning, stacklevel=4)
    res = Result()
    res.meta = _read_meta(f, rd)
    # spec
    rd.where = "/spec"
    if "spec" in f:
        res.spec = json.loads(f["spec"].asstr()[()])
    # spikes
    if "spikes" in f:
        for name, g in f["spikes"].items():
            rd.where = f"/spikes/{name}"
            ts = _read(g["timestamps"], np.float64)
            ids = _read(g["node_ids"], np.int64)
            tr = _read(g["trials"], np.int32) if "trials" in g else np.zeros(ts.shape, np.int32)
            n = int(_py(g.attrs["n_neurons"])) if "n_neurons" in g.attrs else (int(ids.max()) + 1 if ids.size else 0)
            rec = _read(g["recorded"], np.int64) if "recorded" in g else np.arange(n, dtype=np.int64)
            if not (ts.shape == ids.shape == tr.shape):
                raise ResultFileError(f"{path} is corrupted: {rd.where} has {ts.size} timestamps, "
                                      f"{ids.size} node_ids and {tr.size} trials")
            pop = _py(g.attrs.get("population", _unescape(name)))
            res.spikes[_unescape(name)] = SpikeTrains(pop, n, ids, ts, tr, rec,
                                                      int(_py(g.attrs.get("n_trials", 1))))
    # reports
    if "report" in f:
        for pname, pg in f["report"].items():
            for vname, g in pg.items():
                rd.where = f"/report/{pname}/{vname}"
                data = _read(g["data"])
                times = _read(g["times"], np.float64)
                indices = _read(g["indices"])
                trials = _read(g["trials"])
                ndim = int(_py(g.attrs.get("values_ndim", 3)))
                if ndim == 3:
                    values = data.reshape(data.shape[0], trials.size, indices.size)
                else:
                    values = data
                pop = _py(g.attrs.get("population", _unescape(pname)))
                var = _py(g.attrs.get("variable", _unescape(vname)))
                unit = _py(g["data"].attrs.get("units", g.attrs.get("units", "")))
                res.states[(_unescape(pname), _unescape(vname))] = StateTrace(pop, var, unit, indices, trials,
                                                                              times, values)
    # rates
    if "rates" in f:
        for name, d in f["rates"].items():
            rd.where = f"/rates/{name}"
            a = d.attrs
            res.rates[_unescape(name)] = PopulationRate(_py(a.get("population", _unescape(name))), int(_py(a["n"])),
                                                        int(_py(a["n_trials"])), float(_py(a["dt"])), _read(d),
                                                        float(_py(a.get("t0", 0.0))))
    # weights
    if "weights" in f:
        for name, g in f["weights"].items():
            rd.where = f"/weights/{name}"
            a = g.attrs
            res.weights[_unescape(name)] = WeightTable(
                _py(a.get("projection", _unescape(name))), _py(a["receptor"]), _read(g["pre"]), _read(g["post"]),
                _read(g["delay"]), _read(g["weight"]), unit=_py(a.get("unit", "nS")),
                snapshot_times=_read(g["snapshot_times"]) if "snapshot_times" in g else None,
                snapshots=_read(g["snapshots"]) if "snapshots" in g else None)
    # extra
    if "extra" in f:
        res.extra.update(_read_tree(f["extra"], rd))
    if "bridge" in f:
        res.extra["bridge"] = _read_tree(f["bridge"], rd)
    return res


def _read_tree(group, rd: _Reading) -> dict:
    h5py = _h5py()
    out = {}
    for name, obj in group.items():
        rd.where = obj.name
        key = _py(obj.attrs.get("key", _unescape(name)))
        if isinstance(obj, h5py.Group):
            out[key] = _read_tree(obj, rd)
            continue
        kind = _py(obj.attrs.get("neurosim_type", "array"))
        if kind == "str":
            out[key] = obj.asstr()[()]
        elif kind == "json":
            out[key] = json.loads(obj.asstr()[()])
        elif kind == "bool":
            out[key] = bool(obj[()])
        elif kind == "int":
            out[key] = int(obj[()])
        elif kind == "float":
            out[key] = float(obj[()])
        elif h5py.check_string_dtype(obj.dtype) is not None:
            out[key] = np.asarray(obj.asstr()[()], dtype=str)
        else:
            out[key] = _read(obj)
    return out




def read_spike_window(path, t_window, populations=None) -> dict:
    """The spikes with ``t_start <= t < t_stop`` (ms) of a result file, without loading the others:
    ``{population: SpikeTrains}`` (all spike records, or those named in ``populations``).  For the
    time-sorted spikes neurosim writes, only the window is read from disk, so a raster of the first
    second of a 100 s run reads about 1 % of its spikes.  Raises ResultFileError like
    :func:`read_result`."""
    t0, t1 = float(t_window[0]), float(t_window[1])
    wanted = None if populations is None else ({populations} if isinstance(populations, str) else set(populations))

    def read(f, rd):
        out = {}
        if "spikes" not in f:
            return out
        for name, g in f["spikes"].items():
            key = _unescape(name)
            if wanted is not None and key not in wanted:
                continue
            rd.where = f"/spikes/{name}"
            ids, times, tr = spike_group_window(g, t0, t1)
            n = int(_py(g.attrs["n_neurons"])) if "n_neurons" in g.attrs else (int(ids.max()) + 1 if ids.size else 0)
            rec = _read(g["recorded"], np.int64) if "recorded" in g else np.arange(n, dtype=np.int64)
            out[key] = SpikeTrains(_py(g.attrs.get("population", key)), n, ids, times, tr, rec,
                                   int(_py(g.attrs.get("n_trials", 1))))
        return out
    return _with_file(path, read)
