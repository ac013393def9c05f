"""NWB export and import: a :class:`~neurosim.result.Result` as a Neurodata Without Borders 2.x
file (https://nwb-schema.readthedocs.io), read by pynwb, DANDI and the rest of the NWB ecosystem.

``pynwb`` is an optional extra (``pip install neurosim[nwb]``); it is imported inside the
functions, so importing this module costs nothing.

Layout of the file :func:`write_nwb` writes (NWB stores times in seconds and data in SI units):

* ``/units`` (the NWB ``Units`` table): one row per recorded neuron per trial of each population
  with a spike record, ordered by population, trial, neuron; ``spike_times`` in s (ms / 1000),
  ``obs_intervals`` [0, duration] in s, and the columns ``population`` (name), ``neuron_id`` (local
  index in the population) and ``trial`` (batch row); ``resolution`` is dt in s.  A neuron that did
  not fire has a row with no spikes.  The column ``spike_times_ms_correction`` (int8, one value
  per spike) makes the ms times round-trip bitwise: ``t_ms = t_s * 1000`` is within one unit in
  the last place (ulp) of the original ms time (two roundings), and the correction is the
  difference of their float64 bit patterns (-1, 0 or +1; about 2 % of the times on a 0.1 ms grid
  need one), which :func:`read_nwb` adds back.
* ``/acquisition/<population>.<variable>.trial<k>``: one ``TimeSeries`` per recorded state
  variable per population per trial, data (n_samples, n_recorded neurons) as sampled (mV, nS or
  pA, unchanged) with the SI ``unit`` and ``conversion`` that NWB defines as
  ``data * conversion = value in unit`` (mV: volts, 1e-3; nS: siemens, 1e-9; pA: amperes,
  1e-12; a variable without unit: ``unit`` "n/a", conversion 1), ``starting_time`` (s) and
  ``rate`` (Hz) for a regular sampling, else ``timestamps`` (s).
* ``/processing/neurosim``: the ``DynamicTable`` ``state_series`` (one row per such TimeSeries:
  ``series``, ``population``, ``variable``, ``trial``, ``unit`` as neurosim writes it, ragged
  ``neuron_ids``: the neuron of each data column) and the ``DynamicTable`` ``metadata`` of
  ``key`` / ``value`` (JSON text) rows: ``spec`` (the network spec, the JSON of the HDF5 result's
  ``/spec``), ``spike_records`` ({population: {"n", "n_trials"}}) and one row per entry of
  ``Result.meta`` (dt, duration, seed, backend, neurosim_version, created, ...).

Why a processing module of ``DynamicTable`` s for the spec and metadata: they are core NWB types
that every NWB reader opens and that pynwb's validator accepts without an extension.
``LabMetaData`` would need an NWB extension (ndx) to hold any field, ``/scratch`` is by the NWB
schema's definition not meant for shared data, and ``notes`` is free text (used here for a
one-line human-readable pointer).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import uuid

import numpy as np

from ..errors import ResultFileError

#: neurosim unit -> (NWB SI unit, conversion factor: data * conversion = value in that unit)
SI_UNITS = {"mV": ("volts", 1e-3), "nS": ("siemens", 1e-9), "pA": ("amperes", 1e-12),
            "ms": ("seconds", 1e-3), "Hz": ("hertz", 1.0), "pF": ("farads", 1e-12)}
CORRECTION = "spike_times_ms_correction"


def _require_pynwb():
    try:
        import pynwb
    except ImportError as exc:
        raise ImportError("NWB export needs the optional package pynwb: pip install 'neurosim[nwb]'") from exc
    return pynwb


def _as_result(result):
    from ..result import Result
    if isinstance(result, Result):
        return result
    if isinstance(result, (str, os.PathLike)):
        from .hdf5 import read_result
        return read_result(result)
    raise TypeError(f"write_nwb: result must be a neurosim Result or the path of a neurosim HDF5 result file, "
                    f"got {type(result).__name__}")


def _dumps(obj) -> str:
    from .hdf5.layout import _dumps as dumps
    return dumps(obj)


def _start_time(meta, session_start_time):
    """The session start: the argument, else the result's ``created`` time, else now (UTC);
    a time without time zone is taken as UTC."""
    t = session_start_time
    if t is None and isinstance(meta.get("created"), str):
        try:
            t = _dt.datetime.fromisoformat(meta["created"])
        except ValueError:
            t = None
    if t is None:
        t = _dt.datetime.now(_dt.timezone.utc)
    if not isinstance(t, _dt.datetime):
        raise TypeError(f"write_nwb: session_start_time must be a datetime.datetime, got {type(t).__name__}")
    return t if t.tzinfo is not None else t.replace(tzinfo=_dt.timezone.utc)


def _series_name(pop, var, trial) -> str:
    """NWB object names cannot contain '/' or ':': escape them (and '%') as %2F, %3A, %25."""
    esc = lambda s: str(s).replace("%", "%25").replace("/", "%2F").replace(":", "%3A")  # noqa: E731
    return f"{esc(pop)}.{esc(var)}.trial{int(trial)}"


def ms_to_s(times_ms):
    """(seconds, correction): ``times_ms / 1000`` and the int8 bit-pattern difference between
    ``times_ms`` and ``seconds * 1000`` (see the module docstring); non-negative finite times."""
    ms = np.ascontiguousarray(times_ms, dtype=np.float64)
    s = ms / 1000.0
    diff = ms.view(np.int64) - (s * 1000.0).view(np.int64)
    if diff.size and np.abs(diff).max() > 1:      # impossible for finite times of one sign
        raise ValueError(f"spike times ms -> s -> ms differ by {int(np.abs(diff).max())} ulp; the times must "
                         "be finite and non-negative")
    return s, diff.astype(np.int8)


def s_to_ms(seconds, correction=None):
    """Times in ms from NWB seconds, bitwise the original ms with the ``correction`` of
    :func:`ms_to_s` (without it: within 1 ulp)."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    if correction is None:
        return ms
    return (ms.view(np.int64) + np.asarray(correction, dtype=np.int64)).view(np.float64)


def _units_table(pynwb, result, dt):
    """The NWB Units table of the spike records (layout in the module docstring)."""
    from hdmf.common import VectorData, VectorIndex
    duration_s = result.duration / 1000.0
    times, counts, pops, ids, trials = [], [], [], [], []
    for pop, st in result.spikes.items():
        for trial in range(int(st.n_trials)):
            for nid, ts in st.trains(trial).items():
                times.append(ts)
                counts.append(len(ts))
                pops.append(pop)
                ids.append(nid)
                trials.append(trial)
    flat = np.concatenate(times) if times else np.zeros(0)
    seconds, corr = ms_to_s(flat)
    ends = np.cumsum(counts, dtype=np.int64)
    n_rows = len(counts)
    st_col = VectorData(name="spike_times", description="the spike times of each unit in seconds", data=seconds)
    corr_col = VectorData(name=CORRECTION, description="per spike: spike time in ms = the float64 whose bit pattern "
                          "is that of spike_times * 1000 plus this integer (exact ms round trip)", data=corr)
    obs = VectorData(name="obs_intervals", description="the observation intervals of each unit (s)",
                     data=np.tile([0.0, duration_s], (n_rows, 1)))
    cols = [st_col, VectorIndex(name="spike_times_index", data=ends, target=st_col),
            obs, VectorIndex(name="obs_intervals_index", data=np.arange(1, n_rows + 1), target=obs),
            VectorData(name="population", description="neurosim population of the neuron",
                       data=np.asarray(pops, dtype=object)),
            VectorData(name="neuron_id", description="index of the neuron in its population",
                       data=np.asarray(ids, dtype=np.int64)),
            VectorData(name="trial", description="trial (batch row) of the run", data=np.asarray(trials, dtype=np.int64)),
            corr_col, VectorIndex(name=CORRECTION + "_index", data=ends, target=corr_col)]
    return pynwb.misc.Units(name="units", description="spikes of the recorded neurons of a neurosim simulation, "
                            "one row per neuron and trial", columns=cols, resolution=dt / 1000.0 if dt else None)


def _state_series(pynwb, result):
    """(TimeSeries list, rows of the state_series table) of the sampled state variables."""
    series, rows = [], []
    for (pop, var), tr in result.states.items():
        times = np.asarray(tr.times, dtype=np.float64)
        period = np.diff(times)
        regular = times.size > 1 and np.allclose(period, period[0], rtol=1e-9, atol=0.0)
        unit = tr.unit or ""
        si, conv = SI_UNITS.get(unit, (unit or "n/a", 1.0))
        for row, trial in enumerate(np.asarray(tr.trials).reshape(-1)):
            name = _series_name(pop, var, trial)
            timing = (dict(starting_time=float(times[0]) / 1000.0, rate=1000.0 / float(period[0])) if regular
                      else dict(timestamps=times / 1000.0))
            series.append(pynwb.TimeSeries(
                name=name, data=np.asarray(tr.values)[:, row, :], unit=si, conversion=conv,
                description=f"{var} ({unit or 'no unit'}) of the recorded neurons of population {pop}, trial {int(trial)}; "
                            "data column k is neuron neuron_ids[k] of processing/neurosim/state_series",
                comments=f"neuron_ids: {json.dumps([int(i) for i in np.asarray(tr.indices)])}", **timing))
            rows.append((name, pop, var, int(trial), unit, np.asarray(tr.indices, dtype=np.int64)))
    return series, rows


def _state_table(rows):
    from hdmf.common import DynamicTable, VectorData, VectorIndex
    flat = np.concatenate([r[5] for r in rows]) if rows else np.zeros(0, np.int64)
    ids = VectorData(name="neuron_ids", description="the neuron of each data column", data=flat)
    col = lambda k, name, desc, dtype=object: VectorData(  # noqa: E731
        name=name, description=desc, data=np.asarray([r[k] for r in rows], dtype=dtype))
    return DynamicTable(name="state_series", description="the TimeSeries of sampled state variables in /acquisition",
                        columns=[col(0, "series", "name of the TimeSeries"), col(1, "population", "population"),
                                 col(2, "variable", "state variable"), col(3, "trial", "trial (batch row)", np.int64),
                                 col(4, "unit", "unit of the data as stored (data * conversion = SI value)"), ids,
                                 VectorIndex(name="neuron_ids_index", target=ids,
                                             data=np.cumsum([r[5].size for r in rows], dtype=np.int64))])


def _metadata_table(result):
    from hdmf.common import DynamicTable, VectorData
    records = {pop: {"n": int(st.n), "n_trials": int(st.n_trials)} for pop, st in result.spikes.items()}
    items = [("spec", _dumps(result.spec)), ("spike_records", _dumps(records))]
    items += [(str(k), _dumps(v)) for k, v in result.meta.items()]
    return DynamicTable(name="metadata", description="neurosim network spec and run metadata: JSON values",
                        columns=[VectorData(name="key", description="name", data=np.asarray([k for k, _ in items], object)),
                                 VectorData(name="value", description="JSON text",
                                            data=np.asarray([v for _, v in items], object))])


def write_nwb(result, path, session_description=None, identifier=None, session_start_time=None,
              experimenter=None, institution=None, **nwbfile_kw) -> str:
    """Write the spikes, sampled states, network spec and run metadata of ``result`` to the NWB
    file ``path`` (layout in the module docstring); returns ``path``.

    result : a :class:`~neurosim.result.Result`, or the path of a neurosim HDF5 result file
    path : target ``.nwb`` file (parent folders are created); written atomically: a temporary
        file in the same folder renamed over ``path`` when complete, so an error or Ctrl-C leaves
        an older file there untouched and no partial file
    session_description : NWB's required description (default: "neurosim simulation, <duration> ms,
        seed <seed>")
    identifier : NWB's unique file identifier (default: a random UUID)
    session_start_time : a ``datetime`` (default: the result's ``meta["created"]``, else now; a
        naive time is taken as UTC); spike and sample times count from it
    experimenter, institution : NWB's optional fields (a name or a list of names; text)
    nwbfile_kw : further ``pynwb.NWBFile`` arguments, e.g. ``lab``, ``keywords``,
        ``related_publications``
    """
    pynwb = _require_pynwb()
    from .. import interrupts
    from ..atomic import atomic_path
    res = _as_result(result)
    meta = res.meta
    dt = float(meta.get("dt", 0.0) or 0.0)
    if session_description is None:
        session_description = f"neurosim simulation, {res.duration:g} ms, seed {meta.get('seed')}"
    nwb = pynwb.NWBFile(
        session_description=session_description, identifier=identifier or str(uuid.uuid4()),
        session_start_time=_start_time(meta, session_start_time), experimenter=experimenter,
        institution=institution,
        notes=f"Simulated with neurosim {meta.get('neurosim_version', '?')} (backend {meta.get('backend')}, "
              f"dt {dt:g} ms, seed {meta.get('seed')}); network spec and run metadata as JSON in "
              "processing/neurosim/metadata.", **nwbfile_kw)
    if res.spikes:
        nwb.units = _units_table(pynwb, res, dt)
    series, rows = _state_series(pynwb, res)
    for ts in series:
        nwb.add_acquisition(ts)
    mod = nwb.create_processing_module("neurosim", "neurosim: network spec, run metadata and the neuron of each "
                                       "column of the state TimeSeries")
    mod.add(_metadata_table(res))
    mod.add(_state_table(rows))
    with atomic_path(path, suffix=".nwb", guard=interrupts.deferred, before_replace=interrupts.check) as tmp:
        with pynwb.NWBHDF5IO(tmp, mode="w") as io:
            io.write(nwb)
    return os.fspath(path)


def read_nwb(path) -> dict:
    """The spike trains of an NWB file written by :func:`write_nwb`: ``{population:
    SpikeTrains}`` with times in ms (bitwise those of the Result written), ``node_ids`` (the
    ``neuron_id`` column), ``trials``, ``recorded`` neurons, population size ``n`` and
    ``n_trials``; spikes sorted by time, then trial, then neuron, as in a Result.  Per trial:
    ``read_nwb(path)["exc"].trains(trial)``.

    A Units table without the correction column (another writer) gives times within 1 ulp
    (``spike_times * 1000``).  Raises :class:`~neurosim.errors.ResultFileError` for a missing
    file, a file that is not NWB, or a Units table without the columns ``population``,
    ``neuron_id`` and ``trial``."""
    pynwb = _require_pynwb()
    from ..result import SpikeTrains
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ResultFileError(f"NWB file not found: {path}")
    try:
        io = pynwb.NWBHDF5IO(path, mode="r")
    except Exception as exc:        # h5py/hdmf raise many kinds for a non-NWB file
        raise ResultFileError(f"{path} is not an NWB file pynwb can read ({type(exc).__name__}: {exc})") from None
    with io:
        try:
            nwb = io.read()
        except Exception as exc:
            raise ResultFileError(f"{path} is not an NWB file pynwb can read ({type(exc).__name__}: {exc})") from None
        units = nwb.units
        if units is None:
            return {}
        missing = [c for c in ("population", "neuron_id", "trial") if c not in units.colnames]
        if missing:
            raise ResultFileError(f"{path}: its Units table lacks the column(s) {missing} that neurosim writes")
        cols = {c.name: c.data for c in units.columns}     # raw columns (a ragged one: data + index)
        seconds = np.asarray(cols["spike_times"][:], dtype=np.float64)
        ends = np.asarray(cols["spike_times_index"][:], dtype=np.int64)
        corr = cols[CORRECTION][:] if CORRECTION in cols else None
        pops = [p.decode() if isinstance(p, bytes) else str(p) for p in cols["population"][:]]
        ids = np.asarray(cols["neuron_id"][:], dtype=np.int64)
        trials = np.asarray(cols["trial"][:], dtype=np.int64)
        records = {}
        if "neurosim" in nwb.processing and "metadata" in nwb.processing["neurosim"].data_interfaces:
            tab = nwb.processing["neurosim"]["metadata"]
            kv = {c.name: c.data[:] for c in tab.columns}
            kv = dict(zip(kv["key"], kv["value"]))
            records = json.loads(kv.get("spike_records", "{}"))
    times = s_to_ms(seconds, corr)
    counts = np.diff(np.concatenate([[0], ends]))
    row_of_spike = np.repeat(np.arange(ids.size), counts)
    out = {}
    for pop in dict.fromkeys(pops):
        rows = np.flatnonzero(np.asarray(pops, dtype=object) == pop)
        sel = np.isin(row_of_spike, rows)
        t, i, k = times[sel], ids[row_of_spike[sel]], trials[row_of_spike[sel]]
        order = np.lexsort((i, k, t))
        rec = np.unique(ids[rows])
        info = records.get(pop, {})
        n = int(info.get("n", rec.max() + 1 if rec.size else 0))
        n_trials = int(info.get("n_trials", trials[rows].max() + 1 if rows.size else 1))
        out[pop] = SpikeTrains(pop, n, i[order], t[order], k[order].astype(np.int32), rec, n_trials)
    return out
