"""Results on disk: :func:`write_result`, :func:`read_result` and the streaming :class:`ResultWriter`.

File layout (``SCHEMA_VERSION`` 1; all times in ms)::

    /                          attrs: format="neurosim-result", schema_version, neurosim_version,
                               created, dt, duration, seed, backend, threads, wall_time, batch and
                               every other scalar of ``Result.meta``; ``meta_json`` (JSON of the
                               meta entries that are not plain scalars or numeric arrays);
                               SONATA: magic (uint32 0x0A7A), version ([0, 1] uint32)
    /spec                      the network spec as a JSON string (``Network.from_spec`` rebuilds it)
    /spikes/<population>/      SONATA spikes: timestamps (float64, attr units="ms"),
                               node_ids (uint64, index within the population), plus
                               trials (int32, batch row), recorded (int64, recorded neuron indices);
                               attrs sorting (SONATA enum none=0/by_id=1/by_time=2), n_neurons,
                               n_trials, population
    /report/<population>/<variable>/
                               SONATA report: data [n_samples, n_columns] (attr units), columns
                               are (trial, index) flattened (trial-major); mapping/node_ids,
                               mapping/index_pointers, mapping/element_ids (= trial of the column),
                               mapping/time = [t_start, t_stop, dt] (ms); plus our own times (ms),
                               indices, trials so that the StateTrace round-trips exactly
    /rates/<population>        spike counts per time step (summed over neurons and trials);
                               attrs n, n_trials, dt (ms), t0 (ms), population
    /weights/<projection>/     pre, post (local indices), delay (ms), weight (nS or pA), and
                               snapshot_times (ms), snapshots when recorded; attrs receptor, unit,
                               projection
    /extra/<key>...            ``Result.extra``: arrays, scalars, strings and nested dicts
    /bridge/...                ``Result.extra["bridge"]`` (training curves of bridge runs)

Group names are the dictionary keys with ``/`` escaped as ``%2F`` (and ``%`` as ``%25``); the
original names are also kept in attributes.  Spike datasets are chunked and uncompressed (libsonata
0.2.2 cannot read gzip), every chunked dataset carries a Fletcher-32 checksum, and the file is
written with HDF5 1.10 object headers, which checksum the metadata, so corruption is detected on
reading.

Writes are atomic: the file is written under a temporary name in the target directory, flushed
to disk (``fsync``) and renamed over the target with :func:`os.replace`.  Any exception, including
``KeyboardInterrupt``, removes the temporary file and leaves an older file at the target intact.
No pickles are used anywhere: everything is numeric arrays, strings and JSON.

:func:`read_spike_window` reads the spikes of a time window only: spikes neurosim writes are
sorted by time, so the window is found by a bisection over the timestamps, one HDF5 chunk per
probe (used by ``neurosim run`` to draw the raster of a long run, and by the lazy spike records of
a streamed run, see :mod:`neurosim.sim.streaming`).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from typing import Optional

import numpy as np

from ..errors import ResultFileError
from ..result import Result, SpikeTrains, StateTrace, PopulationRate, WeightTable

__all__ = ["SCHEMA_VERSION", "FORMAT", "write_result", "read_result", "describe_file", "ResultWriter", "SONATA_SORTING",
           "read_spike_window", "searchsorted_dataset", "spike_group_window"]

#: Version of the file layout this neurosim writes and the newest it reads.
SCHEMA_VERSION = 1
#: Value of the root attribute ``format``.
FORMAT = "neurosim-result"
#: SONATA spike sorting enumeration (an HDF5 enum attribute; libsonata cannot read strings).
SONATA_SORTING = {"none": 0, "by_id": 1, "by_time": 2}
SONATA_MAGIC = 0x0A7A
SONATA_VERSION = (0, 1)

_SLAB = 1 << 20             # elements per write/read slab of large 1-D arrays (bounds extra memory)
_SPIKE_CHUNK = 1 << 16      # chunk length of spike datasets (elements)
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


def _write_1d(dset, arr, offset: int = 0):
    """Write a 1-D array into ``dset[offset:offset + len(arr)]`` in slabs (no full-size copy,
    also when the dtype is converted, e.g. int64 -> uint64)."""
    n = arr.shape[0]
    for s in range(0, n, _SLAB):
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
    """Create a dataset from an array: chunked with a checksum (and optional compression) when
    non-empty, contiguous when empty.  Returns the dataset."""
    data = np.asarray(data)
    if data.dtype.kind == "U":
        data = data.astype(object)
        dset = group.create_dataset(name, data=data, dtype=_h5py().string_dtype())
    elif data.ndim == 0 or data.size == 0:
        dset = group.create_dataset(name, data=data)
    else:
        chunks = True
        if data.ndim == 1:
            chunks = (int(min(data.shape[0], _SPIKE_CHUNK * 4)),)
        dset = group.create_dataset(name, shape=data.shape, dtype=data.dtype, chunks=chunks,
                                    fletcher32=fletcher32, compression=compression)
        if data.ndim == 1:
            _write_1d(dset, data)
        else:
            dset[...] = data
    for k, v in attrs.items():
        dset.attrs[k] = v
    return dset


# --------------------------------------------------------------------------- writer
class _SpikeStream:
    """Resizable datasets of one population's spikes, appended chunk by chunk."""

    def __init__(self, group, population, n, recorded, n_trials):
        self.group = group
        self.n = int(n)
        self.n_trials = int(n_trials)
        self.size = 0
        self.sorted = True
        self.last_t = -np.inf
        mk = dict(shape=(0,), maxshape=(None,), chunks=(_SPIKE_CHUNK,), fletcher32=True)
        self.ts = group.create_dataset("timestamps", dtype=np.float64, **mk)
        self.ts.attrs["units"] = "ms"
        self.ids = group.create_dataset("node_ids", dtype=np.uint64, **mk)
        self.tr = group.create_dataset("trials", dtype=np.int32, **mk)
        rec = np.arange(self.n, dtype=np.int64) if recorded is None else np.asarray(recorded, dtype=np.int64)
        _create(group, "recorded", rec)
        group.attrs["population"] = str(population)
        group.attrs["n_neurons"] = np.int64(self.n)
        group.attrs["n_trials"] = np.int64(self.n_trials)
        group.attrs.create("sorting", SONATA_SORTING["none"], dtype=_sorting_dtype())

    def append(self, node_ids, times, trials=None):
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        node_ids = np.asarray(node_ids).reshape(-1)
        k = times.shape[0]
        if node_ids.shape[0] != k:
            raise ValueError(f"append_spikes: {node_ids.shape[0]} node_ids but {k} times")
        if trials is None:
            trials = np.zeros(k, np.int32)
        trials = np.asarray(trials).reshape(-1)
        if trials.shape[0] != k:
            raise ValueError(f"append_spikes: {trials.shape[0]} trials but {k} times")
        if k == 0:
            return
        if k and node_ids.size and (node_ids.min() < 0 or node_ids.max() >= self.n):
            raise ValueError(f"append_spikes: node_ids must lie in [0, {self.n - 1}]")
        if self.sorted:
            self.sorted = bool(times[0] >= self.last_t) and _is_nondecreasing(times)
        self.last_t = max(self.last_t, float(times[-1])) if self.sorted else self.last_t
        new = self.size + k
        for d in (self.ts, self.ids, self.tr):
            d.resize((new,))
        _write_1d(self.ts, times, self.size)
        _write_1d(self.ids, node_ids, self.size)
        _write_1d(self.tr, trials, self.size)
        self.size = new

    def finish(self):
        self.group.attrs.create("sorting", SONATA_SORTING["by_time" if self.sorted else "none"],
                                dtype=_sorting_dtype())


class ResultWriter:
    """Write a result file piece by piece; it appears at ``path`` only on :meth:`commit`.

    Use it as a context manager; leaving the block normally commits, an exception (including
    ``KeyboardInterrupt``) aborts and removes the temporary file, leaving any older file at
    ``path`` untouched::

        with ResultWriter("results/run.h5") as w:
            w.begin_spikes("exc", n=3200, n_trials=1)          # recorded: all neurons
            for chunk in run_loop():                           # e.g. one per 2000 steps
                w.append_spikes("exc", chunk.ids, chunk.times_ms, chunk.trials)
            w.write_result(result)   # spec, meta, states, rates, weights, extra (and the spikes
                                     # of populations that were not streamed)

    The run loop feeds :meth:`append_spikes` with the spikes of each chunk (times in ms, sorted
    by time within the chunk); spike memory is then bounded by the chunk, not the run.  The
    SONATA ``sorting`` attribute is set to ``by_time`` on commit when the appended times never
    decreased, else ``none``.

    Parameters
    ----------
    path : target file path (parent directories are created)
    overwrite : replace an existing file at ``path`` (default True); else ResultFileError
    compression : ``None`` (default) or ``"gzip"``/``"lzf"`` for report, rate, weight and extra
        datasets; spike datasets are never compressed (libsonata cannot read them then)
    """

    def __init__(self, path, overwrite: bool = True, compression: Optional[str] = None):
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise ResultFileError(f"cannot write result: {self.path} is a directory")
        if not overwrite and os.path.exists(self.path):
            raise ResultFileError(f"result file {self.path} exists (pass overwrite=True to replace it)")
        self.compression = compression
        d = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(d, exist_ok=True)
        fd, self.tmp_path = tempfile.mkstemp(prefix="." + os.path.basename(self.path) + ".", suffix=".tmp", dir=d)
        os.close(fd)
        self._file = None
        self._streams: dict = {}
        self._done = False
        self._meta_dt = None
        try:
            self._file = _h5py().File(self.tmp_path, "w", libver=_LIBVER, track_order=True)
            f = self._file
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = np.int64(SCHEMA_VERSION)
            f.attrs["magic"] = np.uint32(SONATA_MAGIC)
            f.attrs["version"] = np.asarray(SONATA_VERSION, dtype=np.uint32)
        except BaseException:
            self.abort()
            raise

    # -- context manager
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            if not self._done:
                self.commit()
        else:
            self.abort()
        return False

    @property
    def file(self):
        """The open ``h5py.File`` (temporary) being written."""
        if self._file is None:
            raise ResultFileError(f"writer for {self.path} is closed")
        return self._file

    def _group(self, path):
        return _subgroup(self.file, path)

    # -- spikes
    def begin_spikes(self, population: str, n: int, recorded=None, n_trials: int = 1):
        """Start the spike datasets of ``population`` (``n`` neurons, ``recorded`` indices —
        default all — and ``n_trials`` batch rows); then call :meth:`append_spikes`."""
        if population in self._streams or _escape(population) in self._group("spikes"):
            raise ValueError(f"spikes of {population!r} already written")
        g = self._group("spikes").create_group(_escape(population), track_order=True)
        self._streams[population] = _SpikeStream(g, population, n, recorded, n_trials)

    def append_spikes(self, population: str, node_ids, times, trials=None):
        """Append spikes: ``node_ids`` (indices within the population), ``times`` (ms) and
        ``trials`` (batch rows, default 0), equal-length 1-D arrays."""
        try:
            stream = self._streams[population]
        except KeyError:
            raise ValueError(f"call begin_spikes({population!r}, ...) before append_spikes") from None
        stream.append(node_ids, times, trials)

    def write_spikes(self, key: str, st: SpikeTrains):
        """Write one whole :class:`SpikeTrains` (large arrays are written in slabs, not copied)."""
        if key in self._streams or _escape(key) in self._group("spikes"):
            raise ValueError(f"spikes of {key!r} already written")
        g = self._group("spikes").create_group(_escape(key), track_order=True)
        times = np.asarray(st.times)
        ts = _create(g, "timestamps", times if times.dtype == np.float64 else times.astype(np.float64))
        ts.attrs["units"] = "ms"
        ids = np.asarray(st.node_ids)
        if ids.size and ids.min() < 0:
            raise ValueError(f"spikes of {key!r}: negative node_ids")
        d = g.create_dataset("node_ids", shape=ids.shape, dtype=np.uint64,
                             chunks=(int(min(ids.shape[0], _SPIKE_CHUNK * 4)),) if ids.size else None,
                             fletcher32=bool(ids.size))
        _write_1d(d, ids)
        tr = np.asarray(st.trials)
        d = g.create_dataset("trials", shape=tr.shape, dtype=np.int32,
                             chunks=(int(min(tr.shape[0], _SPIKE_CHUNK * 4)),) if tr.size else None,
                             fletcher32=bool(tr.size))
        _write_1d(d, tr)
        _create(g, "recorded", np.asarray(st.recorded, dtype=np.int64))
        g.attrs["population"] = str(st.population)
        g.attrs["n_neurons"] = np.int64(st.n)
        g.attrs["n_trials"] = np.int64(st.n_trials)
        sorting = "by_time" if _is_nondecreasing(times) else "none"
        g.attrs.create("sorting", SONATA_SORTING[sorting], dtype=_sorting_dtype())

    # -- the rest
    def write_state(self, key, trace: StateTrace):
        """Write one :class:`StateTrace` as a SONATA report under /report/<population>/<variable>."""
        pop, var = (key if isinstance(key, tuple) else (trace.population, trace.variable))
        g = _subgroup(self._group("report"), _escape(pop)).create_group(_escape(var), track_order=True)
        values = np.asarray(trace.values)
        n_s = values.shape[0]
        n_tr = values.shape[1] if values.ndim == 3 else 1
        n_idx = values.shape[2] if values.ndim == 3 else (values.shape[1] if values.ndim == 2 else 0)
        data = values.reshape(n_s, n_tr * n_idx)
        _create(g, "data", data, self.compression, units=trace.unit)
        indices = np.asarray(trace.indices)
        trials = np.asarray(trace.trials)
        times = np.asarray(trace.times, dtype=np.float64)
        m = g.create_group("mapping")
        _create(m, "node_ids", np.tile(indices.astype(np.uint64), n_tr))
        _create(m, "index_pointers", np.arange(n_tr * n_idx + 1, dtype=np.uint64))
        _create(m, "element_ids", np.repeat(trials.astype(np.uint32), n_idx))
        step = float(times[1] - times[0]) if times.size > 1 else float(self._meta_dt or 0.0)
        t0 = float(times[0]) if times.size else 0.0
        t1 = float(times[-1]) + step if times.size else 0.0
        _create(m, "time", np.asarray([t0, t1, step], dtype=np.float64), units="ms")
        _create(g, "times", times, units="ms")
        _create(g, "indices", indices)
        _create(g, "trials", trials)
        g.attrs["population"] = str(trace.population)
        g.attrs["variable"] = str(trace.variable)
        g.attrs["units"] = str(trace.unit)
        g.attrs["values_ndim"] = np.int64(values.ndim)

    def write_rate(self, key: str, rate: PopulationRate):
        """Write one :class:`PopulationRate` (counts per step) as /rates/<population>."""
        d = _create(self._group("rates"), _escape(key), np.asarray(rate.counts), self.compression)
        d.attrs["population"] = str(rate.population)
        d.attrs["n"] = np.int64(rate.n)
        d.attrs["n_trials"] = np.int64(rate.n_trials)
        d.attrs["dt"] = float(rate.dt)
        d.attrs["t0"] = float(rate.t0)
        d.attrs["units"] = "spikes per step"

    def write_weights(self, key: str, table: WeightTable):
        """Write one :class:`WeightTable` under /weights/<projection>."""
        g = self._group("weights").create_group(_escape(key), track_order=True)
        for name in ("pre", "post", "delay", "weight"):
            _create(g, name, np.asarray(getattr(table, name)), self.compression)
        g["delay"].attrs["units"] = "ms"
        g["weight"].attrs["units"] = table.unit
        if table.snapshot_times is not None:
            _create(g, "snapshot_times", np.asarray(table.snapshot_times), self.compression, units="ms")
        if table.snapshots is not None:
            _create(g, "snapshots", np.asarray(table.snapshots), self.compression, units=table.unit)
        g.attrs["projection"] = str(table.projection)
        g.attrs["receptor"] = str(table.receptor)
        g.attrs["unit"] = str(table.unit)

    def write_extra(self, extra: dict):
        """Write ``Result.extra``: the ``"bridge"`` entry under /bridge, the rest under /extra."""
        for k, v in extra.items():
            if not isinstance(k, str):
                raise TypeError(f"Result.extra keys must be strings, got {k!r}")
            if k == "bridge" and isinstance(v, dict):
                _write_tree(self._group("bridge"), v, self.compression)
            else:
                _write_item(self._group("extra"), k, v, self.compression)

    def write_spec(self, spec):
        """Store the network spec (a JSON-able dict or a JSON string) as /spec."""
        text = spec if isinstance(spec, str) else _dumps(spec if spec is not None else {})
        if "spec" in self.file:
            del self.file["spec"]
        self.file.create_dataset("spec", data=text, dtype=_h5py().string_dtype())

    def write_meta(self, meta: dict):
        """Store run metadata as root attributes (``meta_json`` for values that are not
        scalars or numeric arrays).  ``neurosim_version`` and ``created`` default to this
        neurosim and now."""
        from .. import __version__
        meta = dict(meta or {})
        meta.setdefault("neurosim_version", __version__)
        meta.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat())
        if meta.get("dt") is not None:
            self._meta_dt = float(meta["dt"])
        rest = {}
        for k, v in meta.items():
            if isinstance(k, str) and k not in _RESERVED_ATTRS and _is_plain_attr(v):
                self.file.attrs[k] = v
            else:
                rest[str(k)] = v
        self.file.attrs["meta_json"] = _dumps(rest)

    def write_result(self, result: Result):
        """Write every part of ``result`` (spikes of populations already streamed are skipped)."""
        self.write_meta(result.meta)
        self.write_spec(result.spec)
        for key, st in result.spikes.items():
            if key not in self._streams:
                self.write_spikes(key, st)
        for key, tr in result.states.items():
            self.write_state(key, tr)
        for key, r in result.rates.items():
            self.write_rate(key, r)
        for key, w in result.weights.items():
            self.write_weights(key, w)
        if result.extra:
            self.write_extra(result.extra)

    # -- finish
    def commit(self):
        """Finalise (sorting attributes), flush to disk and rename onto ``path``."""
        if self._done:
            raise ResultFileError(f"writer for {self.path} is already closed")
        try:
            f = self.file
            for s in self._streams.values():
                s.finish()
            if "spec" not in f:
                self.write_spec({})
            if "meta_json" not in f.attrs:
                self.write_meta({})
            f.flush()
            f.close()
            self._file = None
            fd = os.open(self.tmp_path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp_path, 0o666 & ~umask)
            os.replace(self.tmp_path, self.path)
            self._done = True
            _fsync_dir(os.path.dirname(os.path.abspath(self.path)))
        except BaseException:
            self.abort()
            raise

    def abort(self):
        """Discard everything written: close and delete the temporary file."""
        self._done = True
        try:
            if self._file is not None:
                try:
                    self._file.close()
                except Exception:
                    pass
                self._file = None
        finally:
            try:
                os.unlink(self.tmp_path)
            except FileNotFoundError:
                pass


def _subgroup(parent, name):
    """``parent[name]``, created (keeping insertion order of members) if missing."""
    if name in parent:
        return parent[name]
    return parent.create_group(name, track_order=True)


def _fsync_dir(d):
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_item(group, key, value, compression):
    name = _escape(key)
    if isinstance(value, dict):
        sub = group.create_group(name, track_order=True)
        sub.attrs["neurosim_type"] = "dict"
        sub.attrs["key"] = key
        _write_tree(sub, value, compression)
        return
    if isinstance(value, str):
        d = group.create_dataset(name, data=value, dtype=_h5py().string_dtype())
        kind = "str"
    elif isinstance(value, (bool, np.bool_)):
        d = group.create_dataset(name, data=np.bool_(value))
        kind = "bool"
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        d = group.create_dataset(name, data=np.int64(value))
        kind = "int"
    elif isinstance(value, (float, np.floating)):
        d = group.create_dataset(name, data=np.float64(value))
        kind = "float"
    elif isinstance(value, np.ndarray) and value.dtype.kind in "biufcU":
        d = _create(group, name, value, compression)
        kind = "array"
    else:
        d = group.create_dataset(name, data=_dumps(value), dtype=_h5py().string_dtype())
        kind = "json"
    d.attrs["neurosim_type"] = kind
    d.attrs["key"] = key


def _write_tree(group, tree: dict, compression):
    for k, v in tree.items():
        if not isinstance(k, str):
            raise TypeError(f"Result.extra keys must be strings, got {k!r}")
        _write_item(group, k, v, compression)


def write_result(result: Result, path, overwrite: bool = True, compression: Optional[str] = None) -> str:
    """Write ``result`` to an HDF5 file at ``path`` atomically; returns the path.

    Everything a :class:`~neurosim.result.Result` holds is stored (spikes, state traces, population
    rates, weights with snapshots, ``extra``, the spec as JSON and ``meta`` as root attributes);
    see the module docstring for the layout.  Large arrays are written in slabs straight from
    the Result's arrays, without full-size copies.

    Parameters
    ----------
    result : the Result to save
    path : target file (``.h5``); parent directories are created
    overwrite : replace an existing file (default True); if False and ``path`` exists,
        raises :class:`~neurosim.errors.ResultFileError`
    compression : ``None`` or ``"gzip"``/``"lzf"`` for non-spike datasets
    """
    with ResultWriter(path, overwrite=overwrite, compression=compression) as w:
        w.write_result(result)
    return os.fspath(path)


# --------------------------------------------------------------------------- reader
class _Reading:
    """Tracks which object is being read so that errors name it."""

    def __init__(self, path):
        self.path = path
        self.where = "/"


def read_result(path) -> Result:
    """Load a :class:`~neurosim.result.Result` written by :func:`write_result`.

    Times come back in ms, node ids as int64, trials as int32, other arrays with the dtype they
    were written with.  Raises :class:`~neurosim.errors.ResultFileError`, naming the problem,
    for a missing file, a file that is not HDF5, a truncated or corrupted file, an HDF5 file
    that is not a neurosim result, and a file written by a newer neurosim (schema_version
    greater than :data:`SCHEMA_VERSION`).
    """
    return _with_file(path, _read_file)


def describe_file(path) -> dict:
    """Summarise a result file without loading its large arrays.

    Returns ``{"meta": dict, "spec": {"populations": [(name, n)], "projections": [names]},
    "spikes": {population: {"n_neurons", "n_recorded", "n_trials", "n_spikes"}},
    "states": {(population, variable): (n_samples, n_trials, n_indices, unit)},
    "rates": {population: (n_steps, dt_ms)}, "weights": {projection: (n_synapses, receptor, unit,
    n_snapshots)}, "extra": [top-level names]}``.  Raises ResultFileError like :func:`read_result`.
    """
    return _with_file(path, _describe)


def _with_file(path, fn):
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
            _check_schema(f, path)
            return fn(f, rd)
    except ResultFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, IndexError, AttributeError,
            UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path} is truncated or corrupted: cannot read {rd.where} "
                              f"({type(exc).__name__}: {_short(exc)})") from None


def _check_schema(f, path):
    attrs = f.attrs
    if "schema_version" not in attrs or _py(attrs.get("format", "")) != FORMAT:
        raise ResultFileError(f"{path} is an HDF5 file but not a neurosim result (no "
                              f"format={FORMAT!r} and schema_version attributes)")
    schema = int(_py(attrs["schema_version"]))
    if schema > SCHEMA_VERSION:
        from .. import __version__
        writer = _py(attrs.get("neurosim_version", "?"))
        raise ResultFileError(f"{path} was written by a newer neurosim ({writer}, schema_version {schema}); "
                              f"this neurosim {__version__} reads schema_version <= {SCHEMA_VERSION}: "
                              "upgrade neurosim to read it")


def _describe(f, rd):
    out = {"meta": _read_meta(f, rd), "spec": {}, "spikes": {}, "states": {}, "rates": {}, "weights": {},
           "extra": []}
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


# --------------------------------------------------------------------------- spike windows
def searchsorted_dataset(dset, value: float) -> int:
    """Index of the first element ``>= value`` of a 1-D dataset sorted ascending (like
    ``np.searchsorted(dset[:], value, side="left")``) without reading the whole dataset: a
    bisection over the first elements of blocks of one HDF5 chunk each (about log2(n / chunk)
    single-element reads), then one block read in full."""
    n = int(dset.shape[0])
    if n == 0:
        return 0
    block = int(dset.chunks[0]) if dset.chunks else _SPIKE_CHUNK
    n_blocks = (n + block - 1) // block
    lo, hi = 0, n_blocks            # smallest block b whose first element is >= value (n_blocks: none)
    while lo < hi:
        mid = (lo + hi) // 2
        if float(dset[mid * block]) >= value:
            hi = mid
        else:
            lo = mid + 1
    if lo == 0:
        return 0
    start = (lo - 1) * block
    seg = dset[start:min(n, lo * block)]
    return start + int(np.searchsorted(seg, value, side="left"))


def spike_group_window(group, t0: float, t1: float, n=None, assume_sorted=None):
    """``(node_ids int64, times ms, trials int32)`` of the spikes of one ``/spikes/<population>``
    group with ``t0 <= t < t1``, among its first ``n`` spikes (default all).  When the group is
    sorted by time (``assume_sorted``, default: its ``sorting`` attribute is ``by_time``) only the
    window is read (found by :func:`searchsorted_dataset`); otherwise the datasets are scanned in
    slabs (bounded memory)."""
    ts = group["timestamps"]
    n = int(ts.shape[0]) if n is None else min(int(n), int(ts.shape[0]))
    has_tr = "trials" in group
    if assume_sorted is None:
        by_time = int(_py(group.attrs.get("sorting", SONATA_SORTING["none"]))) == SONATA_SORTING["by_time"]
    else:
        by_time = bool(assume_sorted)
    if by_time:
        a = min(n, searchsorted_dataset(ts, t0))
        b = max(a, min(n, searchsorted_dataset(ts, t1)))
        times = _read_slice(ts, a, b, np.float64)
        ids = _read_slice(group["node_ids"], a, b, np.int64)
        tr = _read_slice(group["trials"], a, b, np.int32) if has_tr else np.zeros(b - a, np.int32)
        return ids, times, tr
    parts = []
    for s in range(0, n, _SLAB):
        e = min(n, s + _SLAB)
        t = ts[s:e]
        keep = (t >= t0) & (t < t1)
        if keep.any():
            tr = group["trials"][s:e][keep].astype(np.int32) if has_tr else np.zeros(int(keep.sum()), np.int32)
            parts.append((group["node_ids"][s:e][keep].astype(np.int64), t[keep].astype(np.float64), tr))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int32)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def _read_slice(dset, a, b, dtype):
    out = np.empty(b - a, dtype=dtype)
    if b > a:
        dset.read_direct(out, np.s_[a:b])
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
