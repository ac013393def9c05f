"""Result: what a run recorded (spikes, sampled state, population rates, weights), the model
spec and run metadata.  Saved and loaded by :mod:`neurosim.io.hdf5`, exported to Neo by
:mod:`neurosim.io.neo`; plotted by
:mod:`neurosim.plots`.  All times in ms, rates in Hz, voltages mV, conductances nS, currents pA.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import os
from typing import Any, Optional, Union

import numpy as np

from .errors import SelectionError

UNITS = {"v": "mV", "w_adapt": "pA", "i_ext": "pA", "theta": "mV"}


def unit_of(variable: str, conductance: bool = True) -> str:
    if variable in UNITS:
        return UNITS[variable]
    if variable.startswith("g_"):
        return "nS" if conductance else "pA"
    return ""


def check_trial(trial, n_trials: int, what: str = "trial") -> int:
    """``trial`` as an int when it is a batch row of a result with ``n_trials`` trials
    (0 <= trial < n_trials); otherwise a :class:`~neurosim.errors.SelectionError` that names the
    trial and the valid range."""
    n_trials = max(int(n_trials), 1)
    valid = "0" if n_trials == 1 else f"0 to {n_trials - 1}"
    if isinstance(trial, (bool, np.bool_)) or not isinstance(trial, (int, np.integer)):
        raise SelectionError(f"{what} must be an integer batch row ({valid}), got {trial!r}")
    if not 0 <= trial < n_trials:
        raise SelectionError(f"{what} {int(trial)} does not exist: the result has {n_trials} "
                             f"trial{'s' if n_trials > 1 else ''} (valid: {valid})")
    return int(trial)


@dataclass
class SpikeTrains:
    """Spikes of one population: ``node_ids`` (local neuron index), ``times`` (ms) and ``trials``
    (batch row), sorted by time, then trial, then neuron.  ``recorded`` lists the recorded neurons."""
    population: str
    n: int
    node_ids: np.ndarray
    times: np.ndarray
    trials: np.ndarray
    recorded: np.ndarray
    n_trials: int = 1

    def count(self, trial: Optional[int] = None) -> np.ndarray:
        """Spikes per neuron (n,), over all trials or one (a batch row in [0, n_trials - 1];
        another value raises :class:`~neurosim.errors.SelectionError`)."""
        if trial is not None:
            trial = check_trial(trial, self.n_trials, f"{self.population}: trial")
        ids = self.node_ids if trial is None else self.node_ids[self.trials == trial]
        return np.bincount(ids, minlength=self.n)

    def trains(self, trial: int = 0) -> dict:
        """{neuron index: spike times (ms)} for the recorded neurons of one trial."""
        trial = check_trial(trial, self.n_trials, f"{self.population}: trial")
        sel = self.trials == trial
        ids, ts = self.node_ids[sel], self.times[sel]
        order = np.argsort(ids, kind="stable")
        ids, ts = ids[order], ts[order]
        bounds = np.searchsorted(ids, self.recorded, side="left"), np.searchsorted(ids, self.recorded, side="right")
        return {int(i): ts[a:b] for i, a, b in zip(self.recorded, *bounds)}

    @property
    def num_spikes(self) -> int:
        """Number of spikes (all trials)."""
        return int(np.asarray(self.times).size)

    def mean_cv(self, min_spikes: int = 3) -> float:
        """Mean CV of the ISIs over (trial, neuron) trains with at least ``min_spikes`` spikes
        (NaN if none); see :func:`cv_isi`."""
        return cv_isi(self.node_ids, self.times, self.trials, min_spikes)


@dataclass
class StateTrace:
    """Sampled values of one variable: ``values`` has shape (n_samples, n_trials, n_indices)."""
    population: str
    variable: str
    unit: str
    indices: np.ndarray
    trials: np.ndarray
    times: np.ndarray
    values: np.ndarray


@dataclass
class PopulationRate:
    """Spikes of the whole population in each time step (summed over trials)."""
    population: str
    n: int
    n_trials: int
    dt: float
    counts: np.ndarray
    t0: float = 0.0

    @property
    def times(self) -> np.ndarray:
        return self.t0 + self.dt * np.arange(self.counts.size)

    def rate_hz(self, window: float = 0.0) -> np.ndarray:
        """Instantaneous population rate (Hz), optionally smoothed with a flat window (ms)."""
        from .units import to_float
        window = to_float(window, "rate_hz: window", "ms")
        r = self.counts / (self.n * self.n_trials * self.dt * 1e-3)
        k = int(round(window / self.dt)) if window else 0
        if k > 1:
            r = np.convolve(r, np.ones(k) / k, mode="same")
        return r


@dataclass
class WeightTable:
    """Synapses of one projection and receptor: ``pre``, ``post`` (local indices), ``delay`` (ms),
    ``weight`` (n_syn,) or (batch, n_syn) in nS or pA; optional ``snapshot_times`` (ms) and
    ``snapshots`` (n_snapshots, n_syn)."""
    projection: str
    receptor: str
    pre: np.ndarray
    post: np.ndarray
    delay: np.ndarray
    weight: np.ndarray
    unit: str = "nS"
    snapshot_times: Optional[np.ndarray] = None
    snapshots: Optional[np.ndarray] = None


@dataclass
class Result:
    """Everything a run produced.  ``meta`` holds dt, duration, seed, backend, threads,
    wall_time, neurosim_version, created, batch; ``spec`` the network spec (JSON-able dict)."""
    spikes: dict = field(default_factory=dict)       # population -> SpikeTrains
    states: dict = field(default_factory=dict)       # (population, variable) -> StateTrace
    rates: dict = field(default_factory=dict)        # population -> PopulationRate
    weights: dict = field(default_factory=dict)      # name -> WeightTable
    spec: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)        # free-form arrays (e.g. bridge curves)

    @property
    def duration(self) -> float:
        return float(self.meta.get("duration", 0.0))

    def mean_rate(self, population: str) -> float:
        """Mean firing rate (Hz) of the recorded neurons of a population over the run."""
        st = self.spikes[population]
        n = st.recorded.size * st.n_trials
        return float(st.num_spikes / (n * self.duration * 1e-3)) if n and self.duration else 0.0

    def cv_isi(self, population: str, min_spikes: int = 3) -> float:
        """Mean coefficient of variation of the inter-spike intervals over neurons with at
        least ``min_spikes`` spikes (NaN if none)."""
        return self.spikes[population].mean_cv(min_spikes)

    @property
    def n_trials(self) -> int:
        """Number of trials (batch rows): ``meta["batch"]``, else the most any record has."""
        if self.meta.get("batch"):
            return int(self.meta["batch"])
        counts = [st.n_trials for st in self.spikes.values()] + [r.n_trials for r in self.rates.values()]
        counts += [int(np.max(tr.trials)) + 1 for tr in self.states.values() if np.size(tr.trials)]
        return max(counts or [1])

    def summary_rows(self) -> list:
        """(population, recorded neurons, spikes, mean rate Hz, mean CV ISI) for each spike record
        (the population's size is ``result.spikes[population].n``)."""
        rows = []
        for name, st in self.spikes.items():
            rows.append((name, int(st.recorded.size), st.num_spikes, self.mean_rate(name), self.cv_isi(name)))
        return rows

    def summary(self) -> str:
        """A table: per population its size (neurons), the neurons whose spikes were recorded,
        spikes, mean rate (Hz, over the recorded neurons) and mean CV of the ISIs ("-" when no
        neuron fired ``min_spikes`` times); then simulated time, wall time (s), real-time factor
        (wall time / simulated time), backend and threads (the fewest and most any chunk of steps
        ran on), and the kernel compile time (s) when the kernels were compiled in this run."""
        lines = [f"{'population':<14}{'neurons':>9}{'recorded':>10}{'spikes':>11}{'rate (Hz)':>11}{'CV ISI':>9}"]
        for name, n, s, r, cv in self.summary_rows():
            cv_s = f"{cv:>9.3f}" if cv == cv else f"{'-':>9}"
            lines.append(f"{name:<14}{int(self.spikes[name].n):>9d}{n:>10d}{s:>11d}{r:>11.2f}{cv_s}")
        wall = self.meta.get("wall_time")
        if wall is not None:
            rtf = wall / (self.duration * 1e-3) if self.duration else float("nan")
            lines.append(f"simulated {self.duration:g} ms in {wall:.3f} s wall time "
                         f"(real-time factor {rtf:.3f}); backend {self.meta.get('backend')}{_threads_text(self.meta)}")
        if self.meta.get("compile_s") is not None:
            lines.append(f"kernels compiled in {float(self.meta['compile_s']):.1f} s (first run only)")
        for name, pr in self.rates.items():
            k = pr.counts.size // 10
            if k:
                r = pr.rate_hz()
                lines.append(f"rate {name}: {r[:k].mean():.2f} Hz in the first tenth, {r[-k:].mean():.2f} Hz "
                             f"in the last tenth of the run")
        for name, n, mean, unit, lo, hi, frac in self.weight_rows():
            lines.append(f"weights {name}: {n} synapses, mean {mean:.4g} {unit}; fraction per tenth of "
                         f"[{lo:g}, {hi:g}]: " + " ".join(f"{f:.2f}" for f in frac))
        return "\n".join(lines)

    def weight_rows(self) -> list:
        """(name, synapses, mean weight, unit, lo, hi, fractions in 10 equal bins of [lo, hi]) for
        each recorded WeightTable (all trials pooled); [lo, hi] are the plasticity rule's
        [w_min, w_max] when the spec has one, else the range of the weights."""
        bounds = {}
        for q in self.spec.get("projections", []) if isinstance(self.spec, dict) else []:
            pl = q.get("plasticity") if isinstance(q, dict) else None
            if pl:
                bounds[q.get("name")] = (float(pl["w_min"]), float(pl["w_max"]))
        rows = []
        for name, t in self.weights.items():
            w = np.asarray(t.weight, dtype=float).reshape(-1)
            if w.size == 0:
                continue
            lo, hi = bounds.get(t.projection, (min(0.0, float(w.min())), float(w.max())))
            if hi <= lo:
                hi = lo + 1.0
            frac = np.histogram(np.clip(w, lo, hi), bins=10, range=(lo, hi))[0] / w.size
            rows.append((name, int(np.asarray(t.weight).shape[-1]), float(w.mean()), t.unit, lo, hi, frac))
        return rows

    def save(self, path: Union[str, "os.PathLike[str]"], **kw: Any) -> str:
        """Write this result to an HDF5 file (see :func:`neurosim.io.hdf5.write_result`)."""
        from .io.hdf5 import write_result
        return write_result(self, path, **kw)

    def to_neo(self, **kw: Any) -> Any:
        """This result as a ``neo.Block``: one Segment per trial, one SpikeTrain (ms) per recorded
        neuron, one AnalogSignal (mV, nS, pA) per recorded state variable; needs the optional
        extra ``neurosim[neo]`` (see :func:`neurosim.io.neo.to_neo`)."""
        from .io.neo import to_neo
        return to_neo(self, **kw)


def _threads_text(meta) -> str:
    """', 4 threads' or ', 1-4 threads per chunk' (fewest-most) from ``meta``, and ' in each of K MPI
    processes' for a partitioned run; '' if unknown."""
    hi = meta.get("threads")
    if hi is None:
        return ""
    lo = meta.get("threads_min", hi)
    k = int(meta.get("mpi_processes", 1) or 1)
    procs = f" in each of {k} MPI processes" if k > 1 else ""
    if lo is not None and int(lo) != int(hi):
        return f", {int(lo)}-{int(hi)} threads per chunk{procs}"
    return f", {int(hi)} thread{'s' if int(hi) != 1 else ''}{procs}"


def cv_isi(node_ids, times, trials=None, min_spikes: int = 3) -> float:
    """Mean CV of ISIs over (trial, neuron) trains with at least ``min_spikes`` spikes."""
    node_ids = np.asarray(node_ids)
    if node_ids.size == 0:
        return float("nan")
    trials = np.zeros_like(node_ids) if trials is None else np.asarray(trials)
    key = trials.astype(np.int64) * (int(node_ids.max()) + 1) + node_ids
    order = np.lexsort((times, key))
    key, ts = key[order], np.asarray(times)[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    cvs = []
    for seg in np.split(ts, bounds):
        if seg.size >= min_spikes:
            isi = np.diff(seg)
            m = isi.mean()
            if m > 0:
                cvs.append(isi.std() / m)
    return float(np.mean(cvs)) if cvs else float("nan")
