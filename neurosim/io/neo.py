"""Neo export and import: a :class:`~neurosim.result.Result` as a ``neo.Block`` for Elephant and
the rest of the Neo ecosystem, and Neo spike trains back as input to a network.

``neo`` and ``quantities`` are an optional extra (``pip install neurosim[neo]``, which also
brings Elephant); they are imported inside the functions, so importing this module costs nothing.

Layout of :func:`to_neo`'s Block:

* one ``Segment`` per trial (batch row), annotated ``trial``;
* in each Segment one ``SpikeTrain`` per recorded neuron of each population with a spike record:
  times in ms, ``t_start`` 0 ms, ``t_stop`` the run's duration (ms), name ``"<population>[<id>]"``,
  annotations ``population``, ``neuron_id`` (local index in the population) and ``trial``;
* one ``AnalogSignal`` per recorded state variable per population for the trials it was recorded
  in: name ``"<population>.<variable>"``, shape (n_samples, n_recorded neurons), units from
  :func:`neurosim.result.unit_of` (mV, nS, pA; dimensionless when unknown), ``sampling_period`` the
  monitor's period (ms), ``t_start`` the first sample time (ms), ``array_annotations["neuron_id"]``
  the neuron of each channel, annotations ``population``, ``variable`` and ``trial``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import SelectionError

if TYPE_CHECKING:   # annotations only
    from ..result import Result


def _require_neo():
    try:
        import neo
        import quantities as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Neo export needs the optional packages neo and quantities: "
                          "pip install 'neurosim[neo]'") from exc
    return neo, pq


def to_neo(result: Result, name: str = "neurosim result") -> Any:
    """The spikes and sampled states of ``result`` as a ``neo.Block`` (layout in the module
    docstring): one Segment per trial, one SpikeTrain (ms) per recorded neuron, one AnalogSignal
    per recorded state variable (mV, nS or pA)."""
    neo, pq = _require_neo()
    duration = float(result.duration)
    n_trials = int(result.n_trials)
    block = neo.Block(name=name, description="exported by neurosim.io.neo.to_neo",
                      dt_ms=float(result.meta.get("dt", 0.0)), duration_ms=duration,
                      seed=result.meta.get("seed"), backend=result.meta.get("backend"),
                      n_trials=n_trials)
    for trial in range(n_trials):
        seg = neo.Segment(name=f"trial {trial}", index=trial)
        seg.annotate(trial=trial)
        for pop, st in result.spikes.items():
            for nid, ts in st.trains(trial).items() if trial < st.n_trials else ():
                train = neo.SpikeTrain(np.asarray(ts, dtype=float), units=pq.ms, t_start=0.0 * pq.ms,
                                       t_stop=duration * pq.ms, name=f"{pop}[{nid}]")
                train.annotate(population=pop, neuron_id=int(nid), trial=trial)
                seg.spiketrains.append(train)
        for (pop, var), tr in result.states.items():
            rows = np.flatnonzero(np.asarray(tr.trials) == trial)
            if rows.size == 0:
                continue
            seg.analogsignals.append(_signal(neo, pq, tr, pop, var, int(rows[0]), trial, result))
        block.segments.append(seg)
    return block


def _signal(neo, pq, tr, pop, var, row, trial, result):
    times = np.asarray(tr.times, dtype=float)
    period = float(times[1] - times[0]) if times.size > 1 else float(result.meta.get("dt", 1.0))
    unit = tr.unit or ""
    units = pq.Quantity(1.0, unit).units if unit else pq.dimensionless
    values = np.asarray(tr.values)[:, row, :]
    sig = neo.AnalogSignal(values, units=units, sampling_period=period * pq.ms,
                           t_start=(float(times[0]) if times.size else 0.0) * pq.ms, name=f"{pop}.{var}",
                           array_annotations={"neuron_id": np.asarray(tr.indices, dtype=np.int64)})
    sig.annotate(population=pop, variable=var, trial=trial)
    return sig


def _segments(obj, trial):
    """(trial, Segment or list of SpikeTrains) pairs selected from a Block, Segment or list."""
    neo, _ = _require_neo()
    if isinstance(obj, neo.Block):
        segs = [(seg.annotations.get("trial", k), seg) for k, seg in enumerate(obj.segments)]
        if trial is not None:
            found = [(t, s) for t, s in segs if t == trial]
            if not found:
                have = sorted(t for t, _ in segs)
                raise SelectionError(f"from_neo: trial {trial!r} is not in the Block (its segments' "
                                     f"trials: {have})")
            segs = found
        return segs
    if isinstance(obj, neo.Segment):
        return [(obj.annotations.get("trial", 0), obj)]
    if isinstance(obj, (list, tuple)) and all(isinstance(s, neo.SpikeTrain) for s in obj):
        return [(0, list(obj))]
    raise TypeError(f"from_neo: block_or_segment must be a neo.Block, a neo.Segment or a list of "
                    f"neo.SpikeTrain, got {type(obj).__name__}")


def from_neo(block_or_segment: Any, population: Optional[str] = None, trial: Optional[int] = None,
             return_trials: bool = False) -> tuple:
    """Spike times (ms) and source ids from Neo spike trains, ready for
    ``Network.spike_generator(name, n, times=times, ids=ids)``.

    block_or_segment : a ``neo.Block``, a ``neo.Segment`` or a list of ``neo.SpikeTrain``
    population : keep only trains annotated with this ``population`` (None: all trains)
    trial : for a Block, keep only the Segment annotated with this ``trial`` (its index when it
            has no annotation); None keeps all segments
    return_trials : also return each spike's trial (for ``spike_generator(..., trials=...)`` on a
            network with ``batch`` > 1); without it, a Block with several selected segments is an
            error (the trials would be merged)

    A train's id is its ``neuron_id`` annotation; a train without one gets its position among the
    selected trains of its Segment.  Times are converted to ms and sorted (by time, then id).
    Returns ``(times, ids)`` or ``(times, ids, trials)``: float64 ms and int64 arrays; ``n`` for
    the generator is ``ids.max() + 1``.
    """
    _, pq = _require_neo()
    segs = _segments(block_or_segment, trial)
    if len(segs) > 1 and not return_trials:
        raise SelectionError(f"from_neo: the Block has {len(segs)} segments (trials); pass trial=<one "
                             f"of {[t for t, _ in segs]}> or return_trials=True")
    times, ids, trials = [], [], []
    for t, seg in segs:
        trains = seg if isinstance(seg, list) else seg.spiketrains
        if population is not None:
            trains = [s for s in trains if s.annotations.get("population") == population]
        for k, s in enumerate(trains):
            nid = int(s.annotations.get("neuron_id", k))
            ts = np.asarray(s.rescale(pq.ms).magnitude, dtype=float).reshape(-1)
            times.append(ts)
            ids.append(np.full(ts.size, nid, dtype=np.int64))
            trials.append(np.full(ts.size, int(t), dtype=np.int64))
    times = np.concatenate(times) if times else np.zeros(0)
    ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    trials = np.concatenate(trials) if trials else np.zeros(0, dtype=np.int64)
    order = np.lexsort((ids, trials, times))
    if return_trials:
        return times[order], ids[order], trials[order]
    return times[order], ids[order]
