"""Network methods that write a network out and read it back: its description (to_spec /
from_spec / JSON) and its result file, streamed or at once (:class:`~neurosim.network.Network`
inherits them)."""

import json
from typing import Optional, Union

import numpy as np

from .errors import SpecError
from .spec.connectors import connector_from_dict
from .spec.distributions import describe, undescribe
from .spec.inputs import PoissonSource, SpikeGenerator, Schedule
from .spec.neurons import LIFCond, LIFCurr, neuron_from_dict
from .spec.receptors import receptor_from_dict
from .spec.plasticity import plasticity_from_dict
from .spec.modulators import modulator_from_dict

_MODELS = (LIFCond, LIFCurr)

class FilesMixin:
    # ------------------------------------------------------------------ streaming to a file
    _stream = None            # sim.streaming.SpikeStreamer while spikes go to a file
    _stream_request = None    # (path, overwrite, compression) until the network is built

    def stream_to(self, path, overwrite: bool = True, compression: Optional[str] = None):
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
        from .sim.streaming import SpikeStreamer
        path, overwrite, compression = self._stream_request
        self._stream_request = None
        self._stream = SpikeStreamer(self, self._sim.layout, self._sim.recorder, path, overwrite, compression)
        self._sim.recorder.stream = self._stream

    def save(self, path=None, result=None, overwrite: bool = True, compression: Optional[str] = None) -> str:
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
    def to_spec(self) -> dict:
        """The whole model as a JSON-serialisable dict (enough to rebuild and rerun it, with the
        names and intervals of its :meth:`every` callbacks, which :meth:`from_spec` needs back)."""
        from .sim.recorders import monitor_spec
        from .callbacks import callback_specs
        pops = []
        for p in self.populations:
            m = p.model
            if isinstance(m, PoissonSource):
                d = {"name": p.name, "n": p.n, "source": "poisson", "rate": _sched_desc(m.rate)}
            elif isinstance(m, SpikeGenerator):
                d = {"name": p.name, "n": p.n, "source": "generator", "times": np.asarray(m.times).tolist(),
                     "ids": np.asarray(m.ids).tolist(),
                     "trials": None if m.trials is None else np.asarray(m.trials).tolist()}
            else:
                d = {"name": p.name, "n": p.n, "model": m.to_dict(),
                     "params": {k: describe(v) for k, v in p.params.items()},
                     "initial": {k: describe(v) for k, v in p.initial.items()}}
            pops.append(d)
        projs = []
        for q in self.projections:
            projs.append({"name": q.name, "pre": q.pre.name, "post": q.post.name, "connector": q.connector.to_dict(),
                          "receptor": q.receptor_arg if q.receptor_arg is not None else q.receptors[0][0].to_dict(),
                          "nmda_ratio": q.nmda_ratio, "weight": describe(q.weight), "weight_set": q.weight_set,
                          "delay": describe(q.delay),
                          "plasticity": None if q.plasticity is None else q.plasticity.to_dict()})
        return {
            "format": "neurosim-network", "version": 1,
            "dt": self.dt, "seed": self.seed, "batch": self.batch, "dtype": self.dtype,
            "populations": pops, "projections": projs,
            "currents": [{"pop": p.name, "amplitude": _sched_desc(c.amplitude),
                          "indices": np.asarray(c.indices).tolist()} for p, c in self.currents],
            "drives": [{"pop": p.name, "receptor": r.to_dict(), "n_sources": d.n_sources,
                        "rate": _sched_desc(d.rate), "weight": d.weight} for p, r, d in self.drives],
            "monitors": [monitor_spec(m) for m in self.monitors],
            "modulators": [{"spec": m.spec.to_dict(), "source": None if m.source is None else m.source.name,
                            "per_spike": m.per_spike} for m in self.modulators],
            "modulations": [{"modulator": e.modulator.name, "pop": e.pop.name, "quantity": e.quantity, "k": e.k}
                            for e in self.modulations],
            "callbacks": callback_specs(self),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_spec())

    @classmethod
    def from_spec(cls, spec: Union[dict, str], seed: Optional[int] = None,
                  callbacks: Optional[dict] = None):
        """Rebuild a network (a ``cls``, with its monitors) from :meth:`to_spec` output or its JSON.  A spec
        that records :meth:`every` callbacks needs them back by name: ``callbacks={name: fn}``."""
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError as exc:
                raise SpecError(f"from_spec: the spec string is not valid JSON ({exc}): {spec[:40]!r}") from None
        if not isinstance(spec, dict) or spec.get("format") != "neurosim-network":
            raise SpecError("not a neurosim network spec (missing format 'neurosim-network')")
        net = cls(dt=spec["dt"], seed=spec["seed"] if seed is None else seed, batch=spec["batch"],
                  dtype=spec.get("dtype", "float64"))
        for d in spec["populations"]:
            if d.get("source") == "poisson":
                net.poisson(d["name"], d["n"], _sched_undesc(d["rate"]))
            elif d.get("source") == "generator":
                net.spike_generator(d["name"], d["n"], d["times"], np.asarray(d["ids"], dtype=np.int64),
                                    None if d["trials"] is None else np.asarray(d["trials"], dtype=np.int64))
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
                               plasticity=None if pl is None else plasticity_from_dict(pl))
            proj.weight_set = bool(d.get("weight_set", False))
        for d in spec.get("modulations", []):
            net.modulate(d["modulator"], d["pop"], d["quantity"], d["k"])
        for d in spec["currents"]:
            net.inject(d["pop"], _sched_undesc(d["amplitude"]), d["indices"])
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



def _sched_desc(value):
    if isinstance(value, Schedule):
        return {"schedule": value.to_dict()}
    return describe(value)


def _sched_undesc(value):
    if isinstance(value, dict) and "schedule" in value:
        return Schedule(np.asarray(value["schedule"]["times"]), np.asarray(value["schedule"]["values"]))
    return undescribe(value)

