"""Monitors (Brian2-like access) and the recorder that collects chunk buffers.

Spike monitors give ``.i`` (neuron index), ``.t`` (ms), ``.trial``, ``.count`` and
``spike_trains()``; state monitors give ``.t`` and one attribute per variable; rate monitors
``.t`` and ``.rate`` (Hz).  They read what the simulation has recorded so far.  What each
monitor records is :mod:`neurosim.spec.monitors` (which they subclass); the recording arrays of a
build are laid out by :mod:`neurosim.state.recording`.
"""
from __future__ import annotations

import numpy as np

from ..result import Result, SpikeTrains, StateTrace, PopulationRate, unit_of
from ..spec.monitors import SpikeMonitorSpec, StateMonitorSpec, RateMonitorSpec, WeightMonitorSpec
from ..state.recording import variable_column


class SpikeMonitor(SpikeMonitorSpec):
    def __init__(self, net, pop, indices):
        self.net = net
        super().__init__(pop, indices)

    @property
    def _trains(self) -> SpikeTrains:
        return self.net._sim.recorder.spike_trains(self.pop) if self.net._sim else _empty_trains(self)

    @property
    def i(self) -> np.ndarray:
        """Neuron index (within the population) of each spike."""
        return self._trains.node_ids

    @property
    def t(self) -> np.ndarray:
        """Time of each spike (ms)."""
        return self._trains.times

    @property
    def trial(self) -> np.ndarray:
        """Batch row of each spike."""
        return self._trains.trials

    @property
    def count(self) -> np.ndarray:
        """Spikes per neuron (summed over trials), shape (n,)."""
        return self._trains.count()

    @property
    def num_spikes(self) -> int:
        return self._trains.num_spikes

    def spike_trains(self, trial: int = 0) -> dict:
        """{neuron index: spike times (ms)} for one trial."""
        return self._trains.trains(trial)

    def since(self, t: float):
        """``(i, t, trial)`` of the recorded spikes at times >= ``t`` (ms), in time order; cheap
        when ``t`` is recent (it reads only the last recorded chunks), for closed-loop callbacks."""
        if self.net._sim is None:
            z = np.zeros(0, np.int64)
            return z, np.zeros(0), z
        from ..units import to_float
        step0 = int(np.ceil(to_float(t, "since: t", "ms") / self.net.dt - 1e-9))
        i, steps, tr = self.net._sim.recorder.spikes_since(self.pop, step0)
        return i, steps * self.net.dt, tr


def _empty_trains(mon):
    rec = np.arange(mon.pop.n) if mon.indices is None else mon.indices
    z = np.zeros(0, np.int64)
    return SpikeTrains(mon.pop.name, mon.pop.n, z, np.zeros(0), z.astype(np.int32), rec, mon.net.batch)


class StateMonitor(StateMonitorSpec):
    def __init__(self, net, pop, variables, indices, every_steps, trials):
        self.net = net
        super().__init__(pop, variables, indices, every_steps, trials)

    @property
    def t(self) -> np.ndarray:
        """Sample times (ms): the values at the start of each sampled step."""
        if self.net._sim is None:
            return np.zeros(0)
        return self.net._sim.recorder.state_times(self)

    def trace(self, variable: str) -> np.ndarray:
        """(n_samples, n_trials, n_indices) values of ``variable``."""
        if self.net._sim is None:
            return np.zeros((0, len(self.trials), 0))
        return self.net._sim.recorder.state_values(self, variable)

    def __getattr__(self, name):
        if name in ("net", "pop", "variables", "indices", "every_steps", "trials"):
            raise AttributeError(name)
        if name in self.variables:
            vals = self.trace(name)
            return vals[:, 0, :] if vals.shape[1] == 1 else vals
        raise AttributeError(f"StateMonitor records {self.variables}, not {name!r}")


class RateMonitor(RateMonitorSpec):
    def __init__(self, net, pop):
        self.net = net
        super().__init__(pop)

    @property
    def _rate(self) -> PopulationRate:
        return self.net._sim.recorder.population_rate(self.pop)

    @property
    def t(self) -> np.ndarray:
        return self._rate.times

    @property
    def rate(self) -> np.ndarray:
        """Population rate (Hz) in each step, averaged over neurons and trials."""
        return self._rate.rate_hz()

    @property
    def counts(self) -> np.ndarray:
        """Spikes of the whole population in each step, summed over trials (int)."""
        return self._rate.counts

    def smooth_rate(self, window: float) -> np.ndarray:
        """Rate (Hz) smoothed with a flat window of ``window`` ms."""
        return self._rate.rate_hz(window)


class WeightMonitor(WeightMonitorSpec):
    """Weights of a projection: final values in ``Result.weights`` and, when ``every_steps`` is set,
    snapshots at steps 0, every, 2 every, ... taken between steps (the weights at the start of that
    step).  ``.t`` (ms) and ``.w``: (n_snapshots, n_syn), or (n_snapshots, batch, n_syn) for a
    plastic projection with batch > 1 (weights are per trial then); a projection with several
    receptors gives its first receptor's weights here (all of them in ``Result.weights``)."""

    def __init__(self, net, proj, every_steps=None):
        self.net = net
        super().__init__(proj, every_steps)
        self._steps = []
        self._snaps = []      # per snapshot: list over receptor blocks of (rows, n_syn) arrays

    def clear(self):
        """Forget the snapshots (``Network.reset``: recordings begin anew)."""
        self._steps, self._snaps = [], []

    def snapshot_if_due(self):
        sim = self.net._sim
        if not self.every_steps or sim is None or sim.step % self.every_steps:
            return
        if self._steps and self._steps[-1] == sim.step:
            return
        st = sim.backend.download()
        self._steps.append(sim.step)
        self._snaps.append([st.syn.w[:, off:off + n].copy() for _, off, n, _, _ in sim.layout.proj_blocks[self.proj.index]])

    def _per_trial(self) -> bool:
        return self.proj.plasticity is not None and self.net.batch > 1

    def snapshots(self, block: int = 0):
        """(n_snapshots, n_syn) or (n_snapshots, batch, n_syn) weights of one receptor block."""
        if not self._snaps:
            n = self.net._sim.layout.proj_blocks[self.proj.index][block][2] if self.net._sim else 0
            return np.zeros((0, n))
        arr = np.stack([s[block] for s in self._snaps]).astype(np.float64)
        return arr if self._per_trial() else arr[:, 0, :]

    @property
    def t(self) -> np.ndarray:
        """Snapshot times (ms)."""
        return np.asarray(self._steps, dtype=np.float64) * self.net.dt

    @property
    def w(self) -> np.ndarray:
        return self.snapshots(0)


class Recorder:
    """Collects the buffers of each chunk and turns them into monitor data and a Result.  While
    ``stream`` is set (a :class:`~neurosim.sim.streaming.SpikeStreamer`), spikes go to it, not
    to ``spike_chunks``."""

    stream = None

    def __init__(self, net, layout, state):
        self.net, self.layout = net, layout
        self.dt = net.dt
        self.state_monitors = [m for m in net.monitors if isinstance(m, StateMonitor)]
        self.spike_chunks = []          # (steps, gids, trials)
        self.count_chunks = []          # (n_steps, n_pops) int32
        self.state_chunks = {id(m): [] for m in self.state_monitors}
        self.state_first = {id(m): [] for m in self.state_monitors}
        self._cache = {}
        self.mask = state.rec.spike_mask
        self.n_recorded = int(self.mask.sum())

    # --- per chunk
    def plan_states(self, step0: int, n_steps: int):
        """First sampled step and buffer offset of each state monitor in the chunk."""
        first, offs, sizes = [], [], []
        total = 0
        for m in self.state_monitors:
            e = m.every_steps
            f = ((step0 + e - 1) // e) * e
            k = 0 if f >= step0 + n_steps else (step0 + n_steps - 1 - f) // e + 1
            ncol = len(m.variables) * len(m.trials) * (m.pop.n if m.indices is None else m.indices.size)
            first.append(f)
            offs.append(total)
            sizes.append((k, ncol))
            total += k * ncol
        return np.asarray(first, np.int64), np.asarray(offs, np.int64), sizes, total

    def add_chunk(self, step0, done, sizes, offs, out_state, first, sp_step, sp_id, sp_trial, n_spk, counts):
        self._cache.clear()
        if self.stream is not None:
            self.stream.add_chunk(step0, done, sp_step[:n_spk], sp_id[:n_spk], sp_trial[:n_spk])
        elif n_spk:
            self.spike_chunks.append((sp_step[:n_spk].copy(), sp_id[:n_spk].copy(), sp_trial[:n_spk].copy()))
        self.count_chunks.append(counts[:done].copy())
        for m, (k, ncol), o, f in zip(self.state_monitors, sizes, offs, first):
            # samples actually taken in the `done` steps
            e = m.every_steps
            k_done = 0 if f >= step0 + done else (step0 + done - 1 - f) // e + 1
            if k_done:
                self.state_chunks[id(m)].append(out_state[o:o + k_done * ncol].reshape(k_done, ncol).copy())
                self.state_first[id(m)].append(f + e * np.arange(k_done))

    # --- access
    def _spikes_all(self):
        if "spk" not in self._cache:
            if self.spike_chunks:
                st = np.concatenate([c[0] for c in self.spike_chunks])
                gi = np.concatenate([c[1] for c in self.spike_chunks])
                tr = np.concatenate([c[2] for c in self.spike_chunks])
            else:
                st = gi = tr = np.zeros(0, np.int64)
            self._cache["spk"] = (st, gi, tr)
        return self._cache["spk"]

    def spikes_since(self, pop, step0: int):
        """(local ids, steps, trials) of the recorded spikes of ``pop`` at steps >= ``step0``,
        scanning the chunks from the most recent one back."""
        if self.stream is not None:
            return self.stream.spikes_since(pop, step0)
        parts = []
        for st, gi, tr in reversed(self.spike_chunks):
            if st.size == 0:
                continue
            if st[-1] < step0:
                break
            sel = st >= step0
            parts.append((st[sel], gi[sel], tr[sel]))
        if not parts:
            z = np.zeros(0, np.int64)
            return z, z, z
        st = np.concatenate([p[0] for p in reversed(parts)])
        gi = np.concatenate([p[1] for p in reversed(parts)])
        tr = np.concatenate([p[2] for p in reversed(parts)])
        s = self.layout.pop_start[pop.index]
        sel = (gi >= s) & (gi < s + pop.n)
        return gi[sel] - s, st[sel], tr[sel]

    def spike_trains(self, pop) -> SpikeTrains:
        if self.stream is not None:
            return self.stream.spike_trains(pop)
        key = ("trains", pop.index)
        if key not in self._cache:
            st, gi, tr = self._spikes_all()
            s = self.layout.pop_start[pop.index]
            sel = (gi >= s) & (gi < s + pop.n)
            rec = np.flatnonzero(self.mask[s:s + pop.n])
            self._cache[key] = SpikeTrains(pop.name, pop.n, (gi[sel] - s).astype(np.int64), st[sel] * self.dt,
                                           tr[sel].astype(np.int32), rec, self.net.batch)
        return self._cache[key]

    def population_rate(self, pop) -> PopulationRate:
        k = self.layout.pos[pop.index]
        counts = np.concatenate([c[:, k] for c in self.count_chunks]) if self.count_chunks else np.zeros(0, np.int32)
        return PopulationRate(pop.name, pop.n, self.net.batch, self.dt, counts)

    def state_times(self, m):
        chunks = self.state_first[id(m)]
        return (np.concatenate(chunks) if chunks else np.zeros(0, np.int64)) * self.dt

    def state_values(self, m, variable):
        chunks = self.state_chunks[id(m)]
        n_idx = m.pop.n if m.indices is None else m.indices.size
        nt = len(m.trials)
        data = np.concatenate(chunks) if chunks else np.zeros((0, len(m.variables) * nt * n_idx))
        j = m.variables.index(variable)
        block = data[:, j * nt * n_idx:(j + 1) * nt * n_idx]
        return block.reshape(block.shape[0], nt, n_idx).astype(np.float64)


def make_result(net) -> Result:
    sim = net._sim
    res = Result(spec=net.to_spec())
    if sim is None:
        return res
    rec = sim.recorder
    for m in net.monitors:
        if isinstance(m, SpikeMonitor):
            if m.pop.name not in res.spikes:
                res.spikes[m.pop.name] = rec.spike_trains(m.pop)
        elif isinstance(m, RateMonitor):
            res.rates[m.pop.name] = rec.population_rate(m.pop)
        elif isinstance(m, StateMonitor):
            t = rec.state_times(m)
            idx = np.arange(m.pop.n) if m.indices is None else m.indices
            for var in m.variables:
                _, _, receptor = variable_column(sim.layout, m.pop, var)
                unit = unit_of(var, receptor.conductance_based if receptor is not None else True)
                res.states[(m.pop.name, var)] = StateTrace(m.pop.name, var, unit, idx, np.asarray(m.trials), t,
                                                           rec.state_values(m, var))
    wmons = {id(m.proj): m for m in net.monitors if isinstance(m, WeightMonitor)}
    for q in net.projections:
        if getattr(q, "record_weights", False):
            mon = wmons.get(id(q))
            for b, table in enumerate(sim.weight_tables(q)):
                if table.weight.ndim == 2 and (q.plasticity is None or net.batch == 1):
                    table.weight = table.weight[0]   # static weights replicated per trial: one row
                if mon is not None and mon.every_steps:
                    table.snapshot_times = mon.t
                    table.snapshots = mon.snapshots(b)
                res.weights[table.projection if len(q.receptors) == 1 else
                            f"{table.projection}.{table.receptor}"] = table
    res.meta = sim.metadata()
    return res
