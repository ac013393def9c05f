"""Recording for ``neurosim.pynn``: neurosim monitors read into PyNN's Neo structures.

Spikes of every population are monitored (cheap), so ``record('spikes')`` may come at any time;
state variables (``v`` mV, ``gsyn_exc``/``gsyn_inh`` µS, ``w`` nA) are monitored for the cells
recorded when the network is laid out.  Samples follow PyNN/NEST: one at the start of the
recording and one at the end of every sampling interval (neurosim samples the start of a step,
so the end of the last interval is read from the current state)."""
from __future__ import annotations

import numpy as np

from pyNN import recording

from . import simulator

NATIVE = {"v": "v", "gsyn_exc": "g_exc", "gsyn_inh": "g_inh", "w": "w_adapt"}
SCALE = {"v": 1.0, "gsyn_exc": 1e-3, "gsyn_inh": 1e-3, "w": 1e-3}     # nS -> µS, pA -> nA


def native_variable(name: str):
    """(neurosim variable, scale to PyNN units) of a PyNN recordable (a PointNeuron's receptor
    variables as ``"AMPA.gsyn"`` (µS) / ``"AMPA.isyn"`` (nA)), or None."""
    if name in NATIVE:
        return NATIVE[name], SCALE[name]
    receptor, _, var = name.partition(".")
    if var in ("gsyn", "isyn") and receptor:
        return f"g_{receptor}", 1e-3
    return None


def step_times(steps, dt):
    """Times (ms) of the ends of steps ``steps`` (NEST's spike stamps), as the nearest doubles to
    ``steps * dt`` in decimal when ``1/dt`` is a whole number (``12.0``, not ``12.000000000000002``)."""
    per_ms = round(1.0 / dt)
    if abs(per_ms * dt - 1.0) < 1e-12:
        return np.asarray(steps, dtype=np.float64) / per_ms
    return np.asarray(steps, dtype=np.float64) * dt


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        recording.Recorder.__init__(self, population, file)
        self._spikes = None      # neurosim SpikeMonitor of the whole population
        self._states = None      # neurosim StateMonitor of the recorded cells (union over variables)
        self._state_cells = np.zeros(0, np.int64)
        self._state_variables = ()
        self._every = None
        self._names = {}         # PyNN variable -> neurosim variables summed into it

    # ------------------------------------------------------------------ what to record
    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name == "spikes":
            return
        if native_variable(variable.name) is None:
            raise NotImplementedError(f"neurosim.pynn cannot record {variable.name!r}")
        interval = sampling_interval or self._simulator.state.dt
        if not self._monitoring(variable.name, new_ids, interval):
            try:
                self._simulator.state.mark_structure_changed(
                    f"recording {variable.name!r} of {self.population.label!r}")
            except Exception:
                self.recorded[variable] = self.recorded[variable].difference(new_ids)   # as it was
                raise
        self.sampling_interval = interval

    def _monitoring(self, name, ids, interval) -> bool:
        """Does the laid-out network already monitor ``name`` of the cells ``ids`` every ``interval``?"""
        if self._states is None or name not in self._state_variables or interval != self._every:
            return False
        idx = self.population.id_to_index(np.asarray([int(i) for i in ids], dtype=np.int64))
        return bool(np.all(np.isin(idx, self._state_cells)))

    def _reset(self):
        """``record(None)``: nothing is reported from now on; the monitors of a network under way
        keep running (they are laid out anew at the next rebuild)."""

    def _add_monitors(self, net):
        pop = self.population
        self._spikes = net.monitor(pop._native, "spikes")
        self._states, self._state_cells, self._state_variables = None, np.zeros(0, np.int64), ()
        variables = sorted(v.name for v, ids in self.recorded.items() if v.name != "spikes" and ids)
        self._state_variables = tuple(variables)
        if variables:
            ids = set().union(*[ids for v, ids in self.recorded.items() if v.name in variables])
            cells = np.unique(pop.id_to_index(np.fromiter((int(i) for i in ids), dtype=np.int64)))
            self._state_cells = cells
            self._every = self.sampling_interval
            self._names = {v: self._native_names(net, v) for v in variables}
            names = list(dict.fromkeys(n for v in variables for n in self._names[v]))
            self._states = net.monitor(pop._native, names, indices=cells, every=self.sampling_interval)

    def _native_names(self, net, variable):
        """The neurosim variables whose sum is PyNN's ``variable``: ``gsyn_exc``/``gsyn_inh`` of a
        population with several receptor channels of a type (cells with different ``tau_syn``,
        :func:`neurosim.pynn.translate.receptors`) add the channels that are connected (a cell's
        other channels stay 0)."""
        if variable not in ("gsyn_exc", "gsyn_inh"):
            return [native_variable(variable)[0]]
        from ..spec.channels import channels_of
        pop = self.population
        channels, _ = pop._receptors["excitatory" if variable == "gsyn_exc" else "inhibitory"]
        present = channels_of(net, pop._native)
        names = ["g_" + r.name for r in channels if r in present]
        return names or [native_variable(variable)[0]]

    def _before_run(self):
        pass

    def _after_reset(self):
        pass

    # ------------------------------------------------------------------ reading
    def _spike_arrays(self):
        """(cell index, time ms in NEST's convention) of the population's monitored spikes since the
        recording (re)started."""
        mon = self._spikes
        if mon is None or mon.net.simulation is None:
            return np.zeros(0, np.int64), np.zeros(0)
        i, t = np.asarray(mon.i, np.int64), np.asarray(mon.t, float)
        from .translate import kind_of
        t = step_times(np.round(t / self._simulator.state.dt).astype(np.int64) + 1, self._simulator.state.dt)
        if kind_of(self.population.celltype) == "SpikeSourceArray" and \
                self._simulator.state.spike_precision == "off_grid":
            t = self._given_times(i, t)
        keep = t >= float(self._recording_start_time) - 1e-9
        return i[keep], t[keep]

    def _given_times(self, i, t):
        """Grid times of a SpikeSourceArray's spikes replaced by the times as given (off_grid)."""
        from .translate import array_spikes
        dt = self._simulator.state.dt
        grid, ids, given = array_spikes(self.population._parameters, dt, exact=True)
        grid = grid + dt
        lookup = {(int(a), int(round(b / dt))): c for a, b, c in zip(ids, grid, given)}
        return np.array([lookup.get((int(a), int(round(b / dt))), b) for a, b in zip(i, t)], dtype=float)

    def _get_spiketimes(self, ids, clear=False):
        i, t = self._spike_arrays()
        id_array = np.asarray(self.population.all_cells, dtype=np.int64)[i]
        mask = np.isin(id_array, np.asarray([int(x) for x in ids], dtype=np.int64))
        return id_array[mask], t[mask]

    def _get_all_signals(self, variable, ids, clear=False):
        pop, state = self.population, self._simulator.state
        if self._states is None or state.net is None or state.net.simulation is None:
            return np.zeros((0, len(ids))), None
        names = self._names[variable.name]
        scale = native_variable(variable.name)[1]
        idx = pop.id_to_index(np.asarray([int(x) for x in ids], dtype=np.int64))
        cols = np.searchsorted(self._state_cells, idx)
        values = sum(np.asarray(self._states.trace(name))[:, 0, :][:, cols] for name in names)
        times = np.asarray(self._states.t, float)
        every_steps = int(round(self._every / state.dt))
        now_step = int(round(state.t / state.dt))
        if now_step > 0 and now_step % every_steps == 0:
            last = sum(np.asarray(state.net.get(pop._native, name), float)[0, idx] for name in names)
            values = np.vstack([values, last[None, :]])
            times = np.append(times, state.t)
        keep = times >= float(self._recording_start_time) - 1e-9
        return values[keep] * scale, None

    def _local_count(self, variable, filter_ids=None):
        i, _ = self._spike_arrays()
        counts = np.bincount(i, minlength=self.population.size)
        return {int(cell): int(counts[self.population.id_to_index(cell)])
                for cell in self.filter_recorded(variable, filter_ids)}

    def _clear_simulator(self):
        pass
