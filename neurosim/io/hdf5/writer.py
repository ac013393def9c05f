"""Writing result files: :class:`ResultWriter` (piece by piece, atomic commit) and :func:`write_result`."""
from __future__ import annotations

import datetime as _dt
import os
import tempfile
from typing import Optional, Union

import numpy as np

from ... import interrupts
from ..._version import __version__
from ...errors import ResultFileError
from ...result import Result, SpikeTrains, StateTrace, PopulationRate, WeightTable
from .layout import (FORMAT, SCHEMA_VERSION, SONATA_MAGIC, SONATA_SORTING, SONATA_VERSION, _LIBVER,
                     _RESERVED_ATTRS, _create, _dumps, _escape, _h5py, _is_nondecreasing,
                     _is_plain_attr, _sorting_dtype)
from .checksums import write_checksums
from .spikes import _SpikeStream, write_spike_datasets


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
    first 65,536 spikes of each population stay in memory (1.3 MB at most), so that a short
    stream is written in one chunk of its own size; a longer one is appended to the file in
    chunks of 65,536 spikes (:meth:`read_spikes` reads either).  The SONATA ``sorting`` attribute
    is set to ``by_time`` on commit when the appended times never decreased, else ``none``.

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

    def read_spikes(self, population: str, t0=None, t1=None, n=None):
        """``(node_ids int64, times ms, trials int32)`` of the first ``n`` spikes appended so far to
        ``population`` (default all): all of them, or those with ``t0 <= t < t1``."""
        try:
            stream = self._streams[population]
        except KeyError:
            raise ValueError(f"no spikes of {population!r} are streamed to {self.path}") from None
        return stream.read(t0, t1, n)

    def spike_count(self, population: str) -> int:
        """Number of spikes appended so far to ``population``."""
        return self._streams[population].size

    def write_spikes(self, key: str, st: SpikeTrains):
        """Write one whole :class:`SpikeTrains` (large arrays are written in slabs, not copied)."""
        if key in self._streams or _escape(key) in self._group("spikes"):
            raise ValueError(f"spikes of {key!r} already written")
        times = np.asarray(st.times).reshape(-1)
        ids = np.asarray(st.node_ids).reshape(-1)
        tr = np.asarray(st.trials).reshape(-1)
        if not (times.shape == ids.shape == tr.shape):
            raise ValueError(f"spikes of {key!r}: {times.size} times, {ids.size} node_ids and {tr.size} trials "
                             "(they must have the same length)")
        if ids.size and ids.min() < 0:
            raise ValueError(f"spikes of {key!r}: negative node_ids")
        g = self._group("spikes").create_group(_escape(key), track_order=True)
        write_spike_datasets(g, ids, times, tr)
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
        """Write every part of ``result`` (spikes of populations already streamed are skipped).
        An interrupt received meanwhile stops it between parts (:func:`neurosim.interrupts.check`)."""
        check = interrupts.check
        check()
        self.write_meta(result.meta)
        self.write_spec(result.spec)
        for key, st in result.spikes.items():
            if key not in self._streams:
                check()
                self.write_spikes(key, st)
        for key, tr in result.states.items():
            check()
            self.write_state(key, tr)
        for key, r in result.rates.items():
            check()
            self.write_rate(key, r)
        for key, w in result.weights.items():
            check()
            self.write_weights(key, w)
        check()
        if result.extra:
            self.write_extra(result.extra)

    # -- finish
    def commit(self):
        """Finalise (sorting attributes, checksums), flush to disk and rename onto ``path``.

        The rename happens only if no interrupt was received (:func:`neurosim.interrupts.check`
        sees also one whose ``KeyboardInterrupt`` was swallowed by a callback), and with interrupts
        deferred around it, so that it is never cut in half: either the file is renamed into place,
        or the temporary file is deleted and an older file at ``path`` stays as it was."""
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
            write_checksums(f)
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
            with interrupts.deferred():
                interrupts.check()
                os.replace(self.tmp_path, self.path)
                self._done = True
        except BaseException:
            self.abort()
            raise
        _fsync_dir(os.path.dirname(os.path.abspath(self.path)))

    def abort(self):
        """Discard everything written: close and delete the temporary file (with interrupts
        deferred, so that a second Ctrl-C cannot leave it behind)."""
        with interrupts.deferred():
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


def write_result(result: Result, path: Union[str, "os.PathLike[str]"], overwrite: bool = True, compression: Optional[str] = None) -> str:
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

    Under MPI only rank 0 writes (every rank holds the same Result); the others return the path.
    """
    from ...parallel import is_root
    if not is_root():
        return os.fspath(path)
    with ResultWriter(path, overwrite=overwrite, compression=compression) as w:
        w.write_result(result)
    return os.fspath(path)

