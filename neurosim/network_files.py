"""Network methods that write a network out and read it back: its description (to_spec /
from_spec / JSON) and its result file, streamed or at once (:class:`~neurosim.network.Network`
inherits them)."""
from __future__ import annotations


import os
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .errors import SpecError
from .spec.connectors import connector_from_dict
from .spec.distributions import undescribe
from .spec.neurons import neuron_from_dict
from .spec.receptors import receptor_from_dict
from .spec.plasticity import plasticity_from_dict
from .spec.short_term import short_term_from_dict
from .spec.modulators import modulator_from_dict

if TYPE_CHECKING:   # annotations only
    from .result import Result
    from .spec.network import NetworkSpec

PathLike = Union[str, "os.PathLike[str]"]


class FilesMixin:
    # ------------------------------------------------------------------ streaming to a file
    _stream = None            # sim.streaming.SpikeStreamer while spikes go to a file
    _stream_request = None    # (path, overwrite, compression) until the network is built

    def stream_to(self, path: PathLike, overwrite: bool = True, compression: Optional[str] = None) -> None:
        """Send recorded spikes to the result file ``path`` chunk by chunk instead of keeping them
        in memory (for long runs); :meth:`save` then completes the file.

        From now on every :meth:`run` appends each chunk's spikes (times in ms, neuron indices
        within the population, trials) to a temporary file next to ``path``; spike memory is one
        chunk, whatever the run length.  Population rates, state traces and weights are recorded in
        memory as usual.  ``net.save()`` writes them, the spec and the metadata into that file and
        renames it onto ``path`` atomically; until then ``path`` is untouched (an older file there
        stays intact), and an exception or ``KeyboardInterrupt`` during ``run()`` deletes the
        temporary file (the network can then not run further).  Spikes recorded before this call
        are written first.  Calling it again with the same path does nothing.

        In the Result of a streaming network (``run()``'s return value, :meth:`result`), each
        spike record is a :class:`~neurosim.sim.streaming.StreamedSpikeTrains`: spike counts,
        ``num_spikes`` and the mean CV of the ISIs are kept per neuron as the run goes (so
        ``Result.summary()``, ``mean_rate`` and ``cv_isi`` need no spike arrays), while
        ``node_ids``/``times``/``trials`` are read from the file on access (``.load()`` once,
        ``.window(t0, t1)`` for a time window).  The same goes for the spike monitors.

        ``overwrite=False`` refuses an existing file at ``path``; ``compression`` applies to the
        non-spike datasets (see :class:`~neurosim.io.hdf5.ResultWriter`).
        """
        import os
        path = os.fspath(path)
        cur = self._stream
        if cur is not None:
            same = os.path.abspath(cur.path) == os.path.abspath(path)
            if cur.state == "open" and same:
                return
            if cur.state == "open":
                raise SpecError(f"stream_to: spikes already stream to {cur.path}; save() it before streaming elsewhere "
                                "(a new path would lack the spikes written so far)")
            raise SpecError(f"stream_to: the spike stream to {cur.path} was "
                            f"{'saved' if cur.state == 'committed' else 'discarded after an exception'}; "
                            "this network cannot record further (build a new Network)")
        self._stream_request = (path, bool(overwrite), compression)
        if self._sim is not None:
            self._open_stream()

    def _open_stream(self):
        from .parallel import is_root
        if not is_root():   # MPI: rank 0 streams and writes; the others keep the request for save()
            return
        from .sim.streaming import SpikeStreamer
        path, overwrite, compression = self._stream_request
        self._stream_request = None
        self._stream = SpikeStreamer(self, self._sim.layout, self._sim.recorder, path, overwrite, compression)
        self._sim.recorder.stream = self._stream

    def save(self, path: Optional[PathLike] = None, result: Optional[Result] = None, overwrite: bool = True,
             compression: Optional[str] = None) -> str:
        """Write the result file and return its path.

        When streaming (:meth:`stream_to`), ``path`` may be omitted (it must otherwise be the
        stream's path): the spec, metadata, rates, states, weights and extra of ``result``
        (default :meth:`result`; pass one to add e.g. ``meta`` entries) are written into the
        streamed file, which then replaces ``path`` atomically.  The stream is closed: the
        network cannot run further, and the Result's spikes are read from ``path`` from now on.
        Otherwise this is ``write_result(result or net.result(), path)``.
        """
        import os
        s = self._stream
        if s is not None:
            if path is not None and os.path.abspath(os.fspath(path)) != os.path.abspath(s.path):
                raise SpecError(f"save: spikes stream to {s.path}, not {os.fspath(path)}; call save() without a path")
            s.commit(self.result() if result is None else result)
            return s.path
        if path is None:
            if self._stream_request is None:
                raise SpecError("save: give the file path (or call stream_to(path) before running)")
            path, overwrite, compression = self._stream_request
        from .io.hdf5 import write_result
        return write_result(self.result() if result is None else result, path, overwrite=overwrite,
                            compression=compression)

    # ------------------------------------------------------------------ spec
    def spec(self) -> NetworkSpec:
        """The network as data now: a frozen :class:`~neurosim.spec.network.NetworkSpec` (a snapshot;
        its arrays are the read-only arrays given to the builder, not copies)."""
        from .spec.network import (NetworkSpec, PopulationSpec, ProjectionSpec, ModulatorSpec, ModulationSpec)
        from .callbacks import callback_specs
        pops = {p.index: PopulationSpec(p.index, p.name, p.n, p.model, dict(p.params), dict(p.initial))
                for p in self.populations}
        projs = {q.index: ProjectionSpec(q.index, q.name, pops[q.pre.index], pops[q.post.index], q.connector,
                                         tuple(q.receptors), q.receptor_arg, q.nmda_ratio, q.weight, q.delay,
                                         q.weight_set, q.plasticity, q.record_weights, q.short_term,
                                         q.release_probability)
                 for q in self.projections}
        mods = {m.index: ModulatorSpec(m.index, m.spec, None if m.source is None else pops[m.source.index],
                                       m.per_spike) for m in self.modulators}
        return NetworkSpec(
            dt=self.dt, seed=self.seed, batch=self.batch, dtype=self.dtype,
            populations=tuple(pops.values()), projections=tuple(projs.values()),
            currents=tuple((pops[p.index], c) for p, c in self.currents),
            drives=tuple((pops[p.index], r, d) for p, r, d in self.drives),
            monitors=tuple(self.monitors), modulators=tuple(mods.values()),
            modulations=tuple(ModulationSpec(mods[e.modulator.index], pops[e.pop.index], e.quantity, e.k)
                              for e in self.modulations),
            callbacks=tuple(callback_specs(self)),
            generated_currents=tuple((pops[p.index], c) for p, c in self.generated_currents))

    def to_spec(self) -> dict:
        """The whole model as a dict (``NetworkSpec.to_dict``: enough to rebuild and rerun it, with the
        names and intervals of its :meth:`every` callbacks, which :meth:`from_spec` needs back);
        arrays stay numpy arrays (:meth:`to_json` gives the JSON text)."""
        return self.spec().to_dict()

    def to_json(self) -> str:
        return self.spec().to_json()

    @classmethod
    def from_spec(cls, spec: Union[dict, str], seed: Optional[int] = None,
                  callbacks: Optional[dict] = None) -> Any:
        """Rebuild a network (a ``cls``, with its monitors) from :meth:`to_spec` output or its JSON.  A spec
        that records :meth:`every` callbacks needs them back by name: ``callbacks={name: fn}``."""
        from .spec.network import read_dict, schedule_undesc as _sched_undesc
        spec = read_dict(spec)
        net = cls(dt=spec["dt"], seed=spec["seed"] if seed is None else seed, batch=spec["batch"],
                  dtype=spec.get("dtype", "float64"))
        for d in spec["populations"]:
            if d.get("source") == "poisson":
                net.poisson(d["name"], d["n"], _sched_undesc(d["rate"]))
            elif d.get("source") == "generator":
                net.spike_generator(d["name"], d["n"], d["times"], np.asarray(d["ids"], dtype=np.int64),
                                    None if d["trials"] is None else np.asarray(d["trials"], dtype=np.int64))
            elif d.get("source") == "gamma":
                net.gamma_source(d["name"], d["n"], d["shape"], np.asarray(d["rate"], np.float64), d["start"],
                                 d["stop"])
            elif d.get("source") == "poisson_refractory":
                net.poisson_refractory(d["name"], d["n"], np.asarray(d["rate"], np.float64), d["dead_time"],
                                       d["start"], d["stop"])
            else:
                pop = net.population(d["name"], d["n"], neuron_from_dict(d["model"]),
                                     i_bias=None if d.get("i_bias") is None else np.asarray(d["i_bias"]))
                if d.get("params"):
                    pop.set(**{k: undescribe(v) for k, v in d["params"].items()})
                if d.get("initial"):
                    pop.initialize(**{k: undescribe(v) for k, v in d["initial"].items()})
        for d in spec.get("modulators", []):
            net.modulator(modulator_from_dict(d["spec"]), source=d["source"], per_spike=d["per_spike"])
        for d in spec["projections"]:
            rec = d["receptor"] if isinstance(d["receptor"], str) else receptor_from_dict(d["receptor"])
            pl = d.get("plasticity")
            proj = net.connect(d["pre"], d["post"], connector_from_dict(d["connector"]), receptor=rec,
                               weight=undescribe(d["weight"]), delay=undescribe(d["delay"]),
                               nmda_ratio=d["nmda_ratio"], name=d["name"],
                               plasticity=None if pl is None else plasticity_from_dict(pl),
                               short_term=short_term_from_dict(d.get("short_term")),
                               release_probability=None if d.get("release_probability") is None
                               else undescribe(d["release_probability"]))
            proj.weight_set = bool(d.get("weight_set", False))
        for d in spec.get("modulations", []):
            net.modulate(d["modulator"], d["pop"], d["quantity"], d["k"])
        for d in spec["currents"]:
            net.inject(d["pop"], _sched_undesc(d["amplitude"]), d["indices"])
        for d in spec.get("generated_currents", []):
            if d["kind"] == "ac":
                net.inject_ac(d["pop"], d["amplitude"], d["frequency"], d["phase"], d["offset"], d["start"], d["stop"],
                              d["indices"])
            else:
                net.inject_noise(d["pop"], d["mean"], d["std"], d["dt_noise"], d["start"], d["stop"], d["indices"])
        for d in spec["drives"]:
            net.poisson_drive(d["pop"], receptor_from_dict(d["receptor"]), d["n_sources"],
                              _sched_undesc(d["rate"]), d["weight"])
        for d in spec["monitors"]:
            what = d["what"]
            if what == "weights":
                net.monitor(d["projection"], "weights",
                            every=None if d.get("every_steps") is None else d["every_steps"] * net.dt)
                continue
            net.monitor(d["pop"], what, indices=d.get("indices"),
                        every=d.get("every_steps", 1) * net.dt if what not in ("spikes", "rate") else None,
                        trials=d.get("trials"))
        from .callbacks import attach_callbacks
        attach_callbacks(net, spec.get("callbacks", []), callbacks)
        return net


