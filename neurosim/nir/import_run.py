"""Feeding an imported NIR network and reading its outputs (``net.nir`` of :func:`from_nir`).

Input spikes are given as the discrete-time simulators hold them: an array of 0/1 values of shape
``(T, batch, *input_shape)`` (time first, as snnTorch), or ``(T, *input_shape)`` for batch 1.
Step ``k`` becomes a spike of the Input population at ``t = k dt``; trial ``b`` of the batch gets
row ``b``.  An output population of latency ``L`` (see :mod:`neurosim.nir.importer`) sees input
step ``k`` in its step ``k + L``, so :meth:`NIRModel.run` simulates ``T + max L`` steps and
:meth:`NIRModel.spike_counts` counts each output's spikes in its steps ``L .. L + T - 1``, the
window that corresponds to the ``T`` input steps.
"""
from __future__ import annotations

import numpy as np

from ..errors import SpecError


class NIRModel:
    """What :func:`~neurosim.nir.from_nir` knows about the graph it imported.

    inputs : ``{NIR node name: (Population, shape)}`` of the Input nodes
    outputs : ``{NIR node name: Population}`` feeding each Output node
    latency : ``{population name: steps}`` by which that population lags the NIR time line
    integration : ``"exact"`` or ``"euler"``
    """

    def __init__(self, net, inputs, monitors, latency, integration):
        self.net = net
        self.inputs = inputs
        self._monitors = monitors
        self.outputs = {k: v[0] for k, v in monitors.items()}
        self.latency = latency
        self.integration = integration
        self.steps = 0            # T of the last input set

    def _one(self, table, name, what):
        if name is None:
            if len(table) != 1:
                raise SpecError(f"the graph has {len(table)} {what} nodes {sorted(table)}; name one")
            return next(iter(table))
        if name not in table:
            raise SpecError(f"unknown {what} node {name!r}; known: {sorted(table)}")
        return name

    def set_input(self, spikes, name=None) -> int:
        """Set the spikes of Input node ``name`` (default: the only one) from a 0/1 array of shape
        ``(T, batch, *shape)`` (or ``(T, *shape)`` with batch 1).  Returns ``T`` (steps).  On a
        network that has run, call ``net.reset()`` first (or use :meth:`run`)."""
        key = self._one(self.inputs, name, "Input")
        pop, shape = self.inputs[key]
        x = np.asarray(spikes)
        batch = self.net.batch
        if x.ndim == len(shape) + 1 and batch == 1:
            x = x[:, None]
        want = ("T", batch) + tuple(shape)
        if x.ndim != len(shape) + 2 or x.shape[1] != batch or tuple(x.shape[2:]) != tuple(shape):
            raise SpecError(f"set_input: spikes of Input {key!r} must have shape (T, batch, *shape) = {want}, "
                            f"got {x.shape}")
        if x.size and not np.all((x == 0) | (x == 1)):
            bad = x[(x != 0) & (x != 1)].reshape(-1)[0]
            raise SpecError(f"set_input: spikes must be 0 or 1 (one spike per source and step), got {bad!r}")
        t, b, *rest = np.nonzero(x.reshape(x.shape[0], batch, -1))
        ids = rest[0] if rest else np.zeros(0, np.int64)
        pop.set(times=t * self.net.dt, ids=ids.astype(np.int64), trials=b.astype(np.int64))
        self.steps = int(x.shape[0])
        return self.steps

    @property
    def max_latency(self) -> int:
        """Largest latency (steps) of an output population."""
        return max((self.latency[p.name] for p in self.outputs.values()), default=0)

    def run(self, spikes, name=None, backend: str = "cpu"):
        """Reset the network (if it has run), set the input ``spikes`` (:meth:`set_input`) and simulate
        the ``T`` input steps plus the largest output latency.  Returns the Result."""
        if self.net.t > 0:
            self.net.reset()
        T = self.set_input(spikes, name)
        return self.net.run((T + self.max_latency) * self.net.dt, backend=backend, progress=False)

    def spike_counts(self, name=None) -> np.ndarray:
        """Spikes of Output ``name``'s population per trial and neuron, ``(batch, n)``, counted over
        the ``T`` steps aligned with the input (its steps ``L .. L + T - 1``)."""
        key = self._one(self.outputs, name, "Output")
        pop, spiking, mons = self._monitors[key]
        if not spiking:
            raise SpecError(f"Output {key!r} is fed by a non-spiking leaky integrator; read it with readout()")
        mon = mons["spikes"]
        L = self.latency[pop.name]
        k = np.rint(np.asarray(mon.t) / self.net.dt).astype(np.int64)
        ok = (k >= L) & (k < L + self.steps)
        counts = np.zeros((self.net.batch, pop.n))
        np.add.at(counts, (np.asarray(mon.trial)[ok], np.asarray(mon.i)[ok]), 1.0)
        return counts

    def _final_step(self, pop):
        """Whether the network stands at the end of ``pop``'s aligned window (step ``L + T``)."""
        return round(self.net.t / self.net.dt) == self.latency[pop.name] + self.steps

    def readout(self, name=None) -> np.ndarray:
        """Membrane potential ``v`` (mV = NIR units) of Output ``name``'s population at the end of the
        last input step, ``(batch, n)``.  For an LI / CubaLI readout, a SpecError if one of its neurons
        reached the 50 mV threshold that stands for "no threshold" (its ``v`` was reset and is no
        longer the integral)."""
        key = self._one(self.outputs, name, "Output")
        pop, spiking, mons = self._monitors[key]
        if not spiking and len(mons["spikes"].t):
            raise SpecError(f"Output {key!r}: the leaky integrator reached neurosim's highest threshold (50 mV) "
                            "and was reset; its readout is not valid (scale its input weights down)")
        if self._final_step(pop):
            return self.net.get(pop, "v")
        if "v" in mons:
            return self.v_trace(key)[-1]
        raise SpecError(f"Output {key!r}: the network is not at the end of this output's window; import with "
                        "record_v=True to read it")

    def v_trace(self, name=None) -> np.ndarray:
        """``v`` of Output ``name``'s population at the end of each of the ``T`` input steps,
        ``(T, batch, n)`` (needs ``from_nir(..., record_v=True)``).  A sample of neurosim's monitor
        at step ``k`` is ``v`` at the start of that step, so the end of NIR step ``m`` is the
        sample ``L + m + 1`` (the last one is the current ``v`` after :meth:`run`)."""
        key = self._one(self.outputs, name, "Output")
        pop, _, mons = self._monitors[key]
        if "v" not in mons:
            raise SpecError("v_trace needs from_nir(..., record_v=True)")
        L = self.latency[pop.name]
        v = np.asarray(mons["v"].trace("v"))
        if v.ndim == 2:
            v = v[:, None, :]
        v = v[L + 1:L + 1 + self.steps]
        if v.shape[0] == self.steps - 1 and self._final_step(pop):
            v = np.concatenate([v, self.net.get(pop, "v")[None]], axis=0)
        if v.shape[0] != self.steps:
            raise SpecError(f"v_trace: the run has not covered the {self.steps} input steps of Output {key!r} yet")
        return v
