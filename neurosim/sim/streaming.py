"""Streaming spikes to a result file during a run (``Network.stream_to`` / ``run(stream_to=)``).

While a network streams, the recorder hands each chunk's spikes (at most ``CHUNK_STEPS`` steps)
to a :class:`~neurosim.io.hdf5.ResultWriter` instead of keeping them, so spike memory is bounded
by one chunk however long the run.  What stays in memory per recorded (trial, neuron): the spike
count, the last spike time and the running ISI mean and sum of squared deviations (updated per
chunk with Chan's parallel formula, numerically stabler than raw sums of squares), so that
``Result.summary()``, ``mean_rate`` and ``cv_isi`` need no spike arrays; plus the spikes of the
last ``TAIL_STEPS`` steps for ``SpikeMonitor.since``.

The file is written under a temporary name next to the target and appears at the target only
when :meth:`SpikeStreamer.commit` (``Network.save``) renames it there; an exception or
``KeyboardInterrupt`` in ``run()`` calls :meth:`SpikeStreamer.abort`, which deletes the temporary
file, and so does garbage collection or interpreter exit of a stream never saved.  ``neurosim
run`` turns SIGTERM into the same clean stop as Ctrl-C (:mod:`neurosim.interrupts`).  A killed
process (SIGKILL, power loss) can leave a ``.<name>.*.tmp`` file, never a partial file at the
target, and an older file at the target stays intact in every case.
"""
from __future__ import annotations

import os
import weakref
from collections import deque

import numpy as np

from .. import interrupts
from ..errors import ResultFileError
from ..result import SpikeTrains, check_trial

#: Steps of spikes kept in memory (at least) for ``SpikeMonitor.since``; older ones are read from the file.
TAIL_STEPS = 4000


class IsiStats:
    """Running per-(trial, neuron) spike counts and ISI statistics of one population.

    ``count`` (spikes), ``last`` (time of the last spike, NaN before the first), ``isi_mean`` and
    ``isi_m2`` (mean and sum of squared deviations of the ISIs so far), each of size
    ``n_trials * n`` indexed by ``trial * n + neuron``."""

    def __init__(self, n: int, n_trials: int):
        self.n, self.n_trials = int(n), int(n_trials)
        size = self.n * self.n_trials
        self.count = np.zeros(size, np.int64)
        self.last = np.full(size, np.nan)
        self.isi_mean = np.zeros(size)
        self.isi_m2 = np.zeros(size)

    def copy(self) -> "IsiStats":
        c = IsiStats.__new__(IsiStats)
        c.n, c.n_trials = self.n, self.n_trials
        c.count, c.last, c.isi_mean, c.isi_m2 = (self.count.copy(), self.last.copy(), self.isi_mean.copy(),
                                                 self.isi_m2.copy())
        return c

    def update(self, ids, times, trials):
        """Add the spikes of one chunk (times non-decreasing within the chunk)."""
        if ids.size == 0:
            return
        key = trials.astype(np.int64) * self.n + ids
        order = np.argsort(key, kind="stable")
        k, t = key[order], times[order]
        start = np.empty(k.size, bool)
        start[0] = True
        np.not_equal(k[1:], k[:-1], out=start[1:])
        prev = np.empty_like(t)
        prev[1:] = t[:-1]
        prev[start] = self.last[k[start]]
        ok = ~np.isnan(prev)
        kk, isi = k[ok], t[ok] - prev[ok]
        if kk.size:
            seg = np.flatnonzero(np.r_[True, kk[1:] != kk[:-1]])
            uk = kk[seg]
            nb_i = np.diff(np.r_[seg, kk.size])
            nb = nb_i.astype(np.float64)
            mb = np.add.reduceat(isi, seg) / nb
            m2b = np.add.reduceat((isi - np.repeat(mb, nb_i)) ** 2, seg)
            na = np.maximum(self.count[uk] - 1, 0).astype(np.float64)   # ISIs so far
            tot = na + nb
            delta = mb - self.isi_mean[uk]
            self.isi_mean[uk] += delta * nb / tot
            self.isi_m2[uk] += m2b + delta * delta * na * nb / tot
        first = np.flatnonzero(start)
        ends = np.r_[first[1:], k.size]
        self.count[k[first]] += ends - first
        self.last[k[ends - 1]] = t[ends - 1]

    def counts(self, trial=None) -> np.ndarray:
        c = self.count.reshape(self.n_trials, self.n)
        return c.sum(axis=0) if trial is None else c[int(trial)].copy()

    def mean_cv(self, min_spikes: int = 3) -> float:
        """Mean CV of the ISIs over trains with at least ``min_spikes`` spikes (NaN if none), as
        :func:`neurosim.result.cv_isi` computes it from the spike arrays."""
        sel = (self.count >= min_spikes) & (self.count >= 2) & (self.isi_mean > 0)
        if not sel.any():
            return float("nan")
        var = self.isi_m2[sel] / (self.count[sel] - 1)
        return float(np.mean(np.sqrt(np.maximum(var, 0.0)) / self.isi_mean[sel]))


class StreamedSpikeTrains(SpikeTrains):
    """The spikes of one population that were streamed to a file: a snapshot taken when the
    Result was made.  ``count()``, ``num_spikes`` and ``mean_cv()`` come from the running
    statistics (no file access); ``node_ids``, ``times`` and ``trials`` read the whole arrays
    from the file on every access (the temporary file while the stream is open, the saved file
    after ``Network.save``) -- call :meth:`load` once for an in-memory :class:`SpikeTrains`, or
    :meth:`window` for the spikes of a time window only."""

    def __init__(self, streamer, population, n, recorded, n_trials, stats: IsiStats, n_file: int):
        self.population, self.n, self.recorded, self.n_trials = population, int(n), recorded, int(n_trials)
        self._streamer, self._stats, self._n_file = streamer, stats, int(n_file)

    @property
    def path(self) -> str:
        """The result file the spikes go to (they are at this path once saved)."""
        return self._streamer.path

    def load(self) -> SpikeTrains:
        """All the spikes of this snapshot, read from the file, as an in-memory SpikeTrains."""
        ids, times, tr = self._streamer.read(self.population, None, None, self._n_file)
        return SpikeTrains(self.population, self.n, ids, times, tr, self.recorded, self.n_trials)

    def window(self, t0: float, t1: float) -> SpikeTrains:
        """The spikes with ``t0 <= t < t1`` (ms), reading only that part of the file."""
        ids, times, tr = self._streamer.read(self.population, float(t0), float(t1), self._n_file)
        return SpikeTrains(self.population, self.n, ids, times, tr, self.recorded, self.n_trials)

    @property
    def node_ids(self) -> np.ndarray:
        return self.load().node_ids

    @property
    def times(self) -> np.ndarray:
        return self.load().times

    @property
    def trials(self) -> np.ndarray:
        return self.load().trials

    @property
    def num_spikes(self) -> int:
        return int(self._stats.count.sum())

    def count(self, trial=None) -> np.ndarray:
        if trial is not None:
            trial = check_trial(trial, self.n_trials, f"{self.population}: trial")
        return self._stats.counts(trial)

    def mean_cv(self, min_spikes: int = 3) -> float:
        return self._stats.mean_cv(min_spikes)

    def trains(self, trial: int = 0) -> dict:
        return self.load().trains(trial)

    def __repr__(self):
        return (f"StreamedSpikeTrains({self.population!r}, n={self.n}, spikes={self.num_spikes}, "
                f"file={self.path!r}, {self._streamer.state})")

    __hash__ = None


def _abort_writer(writer):
    try:
        writer.abort()
    except Exception:
        pass


class SpikeStreamer:
    """Sends the recorder's spike chunks to a :class:`ResultWriter` at ``path`` (see the module
    docstring).  ``state`` is ``"open"``, ``"committed"`` or ``"aborted"``.  Spikes the recorder
    already holds (from runs before streaming started) are written first and dropped from memory."""

    def __init__(self, net, layout, recorder, path, overwrite: bool = True, compression=None):
        from ..io.hdf5 import ResultWriter
        from .recorders import SpikeMonitor
        self.path = os.fspath(path)
        self.dt = net.dt
        self.batch = int(net.batch)
        self.layout = layout
        self.writer = ResultWriter(self.path, overwrite=overwrite, compression=compression)
        self.state = "open"
        self._finalizer = weakref.finalize(self, _abort_writer, self.writer)
        self.pops = {}              # name -> (pop, start)
        self.stats = {}             # name -> IsiStats
        self.tail = deque()         # (step0, steps, gids, trials) of the most recent chunks
        try:
            for m in net.monitors:
                if isinstance(m, SpikeMonitor) and m.pop.name not in self.pops:
                    pop = m.pop
                    s = int(layout.pop_start[pop.index])
                    rec = np.flatnonzero(recorder.mask[s:s + pop.n])
                    self.writer.begin_spikes(pop.name, pop.n, rec, net.batch)
                    self.pops[pop.name] = (pop, s, rec)
                    self.stats[pop.name] = IsiStats(pop.n, net.batch)
            for st, gi, tr in recorder.spike_chunks:      # spikes recorded before streaming began
                self._write(st, gi, tr)
        except BaseException:
            self.abort()
            raise
        recorder.spike_chunks = []
        recorder._cache.clear()

    # --- per chunk
    def _write(self, steps, gids, trials):
        for name, (pop, s, _) in self.pops.items():
            sel = (gids >= s) & (gids < s + pop.n)
            ids = gids[sel] - s
            times = steps[sel] * self.dt
            tr = trials[sel].astype(np.int32)
            self.writer.append_spikes(name, ids, times, tr)
            self.stats[name].update(ids, times, tr)

    def add_chunk(self, step0: int, done: int, steps, gids, trials):
        """Write the spikes of one chunk (steps ``step0 .. step0 + done - 1``).  Stops the run
        (``KeyboardInterrupt``) if ``neurosim run`` received Ctrl-C or SIGTERM, also one whose
        exception was swallowed by a callback (:func:`neurosim.interrupts.check`)."""
        interrupts.check()
        if self.state != "open":
            raise ResultFileError(f"the spike stream to {self.path} is {self.state}; it cannot take more spikes")
        if steps.size:
            self._write(steps, gids, trials)
        self.tail.append((int(step0), steps.copy(), gids.copy(), trials.copy()))
        end = int(step0) + int(done)
        while len(self.tail) > 1 and self.tail[1][0] <= end - TAIL_STEPS:
            self.tail.popleft()

    # --- reading back
    def read(self, name, t0=None, t1=None, n_file=None):
        """``(node_ids, times, trials)`` of population ``name`` from the file (the first ``n_file``
        spikes), all of them or those with ``t0 <= t < t1``."""
        from ..io import hdf5 as H
        if name not in self.pops:
            z = np.zeros(0, np.int64)
            return z, np.zeros(0), z.astype(np.int32)

        def from_group(g, assume_sorted):
            n = int(g["timestamps"].shape[0]) if n_file is None else min(int(n_file), int(g["timestamps"].shape[0]))
            if t0 is None:
                return (H._read_slice(g["node_ids"], 0, n, np.int64), H._read_slice(g["timestamps"], 0, n, np.float64),
                        H._read_slice(g["trials"], 0, n, np.int32))
            return H.spike_group_window(g, t0, t1, n=n, assume_sorted=assume_sorted)

        if self.state == "open":        # the first spikes may still be in memory (see ResultWriter)
            return self.writer.read_spikes(name, t0, t1, n_file)
        if self.state == "committed":
            return H._with_file(self.path, lambda f, rd: from_group(f["spikes"][H._escape(name)], None))
        raise ResultFileError(f"the spikes streamed to {self.path} were discarded: the run was interrupted "
                              "by an exception, so the file was never written")

    def spikes_since(self, pop, step0: int):
        """(local ids, steps, trials) of the spikes of ``pop`` at steps >= ``step0``: from the
        in-memory tail when it reaches back that far, else from the file."""
        if pop.name not in self.pops:
            z = np.zeros(0, np.int64)
            return z, z, z
        if self.tail and self.tail[0][0] <= step0:
            s = self.pops[pop.name][1]
            parts = []
            for _, st, gi, tr in self.tail:
                sel = (st >= step0) & (gi >= s) & (gi < s + pop.n)
                parts.append((gi[sel] - s, st[sel], tr[sel]))
            return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))
        ids, times, tr = self.read(pop.name, float(np.int64(step0) * self.dt), np.inf)
        return ids, np.rint(times / self.dt).astype(np.int64), tr.astype(np.int64)

    def spike_trains(self, pop) -> SpikeTrains:
        """A snapshot :class:`StreamedSpikeTrains` of ``pop`` (an empty SpikeTrains if it is
        not recorded)."""
        if pop.name not in self.pops:
            z = np.zeros(0, np.int64)
            return SpikeTrains(pop.name, pop.n, z, np.zeros(0), z.astype(np.int32), np.zeros(0, np.int64),
                               self.batch)
        _, _, rec = self.pops[pop.name]
        st = self.stats[pop.name]
        n_file = self.writer.spike_count(pop.name)
        return StreamedSpikeTrains(self, pop.name, pop.n, rec, st.n_trials, st.copy(), n_file)

    # --- finish
    def commit(self, result):
        """Write the rest of ``result`` (meta, spec, states, rates, weights, extra; the streamed
        spikes are already there) and move the file onto its path atomically."""
        if self.state != "open":
            raise ResultFileError(f"the spike stream to {self.path} is {self.state}; it cannot be saved")
        try:
            self.writer.write_result(result)
            self.writer.commit()
        except BaseException:
            self.abort()
            raise
        self.state = "committed"
        self._finalizer.detach()

    def abort(self):
        """Discard the temporary file (an older file at the path stays as it was); a second
        Ctrl-C meanwhile cannot cut this short (:func:`neurosim.interrupts.deferred`)."""
        with interrupts.deferred():
            if self.state == "committed":
                return
            self.state = "aborted"
            self._finalizer.detach()
            _abort_writer(self.writer)
