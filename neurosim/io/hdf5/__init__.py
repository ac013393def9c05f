"""Results on disk: :func:`write_result`, :func:`read_result` and the streaming :class:`ResultWriter`.

The package: :mod:`.layout` (names, constants, dataset helpers), :mod:`.spikes` (spike datasets,
streamed spikes, time windows), :mod:`.writer`, :mod:`.reader` and :mod:`.checksums`.

File layout (``SCHEMA_VERSION`` 2; all times in ms)::

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
    /checksums                 JSON manifest (uint8, Fletcher-32): a SHA-256 of the attributes of
                               every group and dataset and of the data of every dataset that has no
                               Fletcher-32 checksum (see :mod:`.checksums`)

Group names are the dictionary keys with ``/`` escaped as ``%2F`` (and ``%`` as ``%25``); the
original names are also kept in attributes.  Spike datasets are chunked and uncompressed (libsonata
0.2.2 cannot read gzip; it reads Fletcher-32 chunks).  Every non-empty numeric dataset is chunked
with a Fletcher-32 checksum; chunks follow the data size (the whole array up to 65,536 rows, so
that 1,000 spikes take 20 kB, not 1.3 MB of padded chunks).  HDF5 1.10 object headers checksum
the metadata; the SHA-256 sums of ``/checksums`` cover what HDF5 does not: the spec JSON and other
strings (kept in HDF5's global heap), scalars and empty arrays (contiguous), and any later edit of
an attribute.  So a flipped byte anywhere makes :func:`read_result` and :func:`describe_file`
(which reads every chunk) raise ResultFileError.  Files of schema_version 1 have no
``/checksums``; they are read with a :class:`~neurosim.errors.ResultFileWarning`.

Writes are atomic: the file is written under a temporary name in the target directory, flushed
to disk (``fsync``) and renamed over the target with :func:`os.replace`.  Any exception, including
``KeyboardInterrupt``, removes the temporary file and leaves an older file at the target intact.
The rename happens only if no Ctrl-C or SIGTERM was recorded by :mod:`neurosim.interrupts` (used
by ``neurosim run``), with interrupts deferred around it.
No pickles are used anywhere: everything is numeric arrays, strings and JSON.

:func:`read_spike_window` reads the spikes of a time window only: spikes neurosim writes are
sorted by time, so the window is found by a bisection over the timestamps, one HDF5 chunk per
probe (used by ``neurosim run`` to draw the raster of a long run, and by the lazy spike records of
a streamed run, see :mod:`neurosim.sim.streaming`).
"""
from __future__ import annotations

from .layout import SCHEMA_VERSION, FORMAT, SONATA_SORTING, SONATA_MAGIC, SONATA_VERSION
from .layout import _escape, _unescape, _read, _read_slice          # used by neurosim.sim.streaming
from .spikes import searchsorted_dataset, spike_group_window
from .writer import ResultWriter, write_result
from .reader import read_result, describe_file, read_spike_window, _with_file
from .checksums import verify_checksums, write_checksums

__all__ = ["SCHEMA_VERSION", "FORMAT", "write_result", "read_result", "describe_file", "ResultWriter", "SONATA_SORTING",
           "read_spike_window", "searchsorted_dataset", "spike_group_window"]
