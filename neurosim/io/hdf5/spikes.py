"""Spike datasets: the streamed (appended) spikes of one population and the time-window reads
over spikes sorted by time (a bisection over HDF5 chunks)."""
from __future__ import annotations

import numpy as np

from .layout import (SONATA_SORTING, _SLAB, _SPIKE_CHUNK, _chunk_len, _create, _is_nondecreasing, _py,
                     _read_slice, _sorting_dtype, _write_1d)


def write_spike_datasets(group, node_ids, times, trials, maxshape=None):
    """Create ``timestamps`` (float64, ms), ``node_ids`` (uint64) and ``trials`` (int32) in
    ``group`` from equal-length 1-D arrays: chunked after the data size (:func:`_chunk_len`,
    or ``_SPIKE_CHUNK`` for resizable datasets, ``maxshape=(None,)``) with a Fletcher-32 checksum,
    uncompressed (libsonata 0.2.2 cannot read compressed spikes); empty arrays are contiguous.
    Large arrays are written in slabs.  Returns the three datasets."""
    out = []
    n = int(np.shape(times)[0])
    for name, data, dtype in (("timestamps", times, np.float64), ("node_ids", node_ids, np.uint64),
                              ("trials", trials, np.int32)):
        if n or maxshape is not None:
            chunk = _SPIKE_CHUNK if maxshape is not None else _chunk_len(n)
            d = group.create_dataset(name, shape=(n,), maxshape=maxshape, dtype=dtype, chunks=(chunk,),
                                     fletcher32=True)
        else:
            d = group.create_dataset(name, shape=(0,), dtype=dtype)
        _write_1d(d, data)
        out.append(d)
    out[0].attrs["units"] = "ms"
    return tuple(out)


class _SpikeStream:
    """The spikes of one population, appended chunk by chunk.

    The first ``_SPIKE_CHUNK`` spikes are kept in memory (at most 1.3 MB): a stream that stays
    that short is written on :meth:`finish` as datasets of exactly its size (one chunk of the
    data's length), so a short run makes a small file.  A longer stream moves to resizable
    datasets with chunks of ``_SPIKE_CHUNK`` spikes and is appended to the file from then on."""

    def __init__(self, group, population, n, recorded, n_trials):
        self.group = group
        self.n = int(n)
        self.n_trials = int(n_trials)
        self.size = 0
        self.sorted = True
        self.last_t = -np.inf
        self.ts = self.ids = self.tr = None       # the datasets, once the spikes are in the file
        self._buf = []                            # (node_ids, times, trials) held until then
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
        if self.ts is None and new <= _SPIKE_CHUNK:
            self._buf.append((node_ids.astype(np.uint64), times.copy(), trials.astype(np.int32)))
            self.size = new
            return
        if self.ts is None:                       # the stream outgrows memory: resizable datasets
            self.ts, self.ids, self.tr = write_spike_datasets(self.group, *self._buffered(), maxshape=(None,))
            self._buf = []
        for d in (self.ts, self.ids, self.tr):
            d.resize((new,))
        _write_1d(self.ts, times, self.size)
        _write_1d(self.ids, node_ids, self.size)
        _write_1d(self.tr, trials, self.size)
        self.size = new

    def _buffered(self):
        """The spikes held in memory as (node_ids uint64, times, trials int32)."""
        if not self._buf:
            return np.zeros(0, np.uint64), np.zeros(0), np.zeros(0, np.int32)
        if len(self._buf) > 1:
            self._buf = [tuple(np.concatenate([b[j] for b in self._buf]) for j in range(3))]
        return self._buf[0]

    def read(self, t0=None, t1=None, n=None):
        """``(node_ids int64, times ms, trials int32)`` of the first ``n`` spikes appended (default
        all), all of them or those with ``t0 <= t < t1``; from memory or from the file."""
        n = self.size if n is None else min(int(n), self.size)
        if self.ts is not None:
            if t0 is None:
                return (_read_slice(self.ids, 0, n, np.int64), _read_slice(self.ts, 0, n, np.float64),
                        _read_slice(self.tr, 0, n, np.int32))
            return spike_group_window(self.group, t0, t1, n=n, assume_sorted=self.sorted)
        ids, times, tr = (a[:n] for a in self._buffered())
        if t0 is not None:
            keep = (times >= t0) & (times < t1)
            ids, times, tr = ids[keep], times[keep], tr[keep]
        return ids.astype(np.int64), times.copy(), tr.copy()

    def finish(self):
        """Write the spikes still in memory and set the SONATA ``sorting`` attribute."""
        if self.ts is None:
            self.ts, self.ids, self.tr = write_spike_datasets(self.group, *self._buffered())
            self._buf = []
        self.group.attrs.create("sorting", SONATA_SORTING["by_time" if self.sorted else "none"],
                                dtype=_sorting_dtype())


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

