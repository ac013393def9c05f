"""PyNN's current sources for ``neurosim.pynn``: DCSource, StepCurrentSource, ACSource and
NoisyCurrentSource as neurosim current injections (amplitudes nA -> pA).

Timing (PyNN's cross-simulator convention): a current that starts at ``start`` is injected from
the step that begins at ``start``, so the membrane first feels it at ``start + dt``; times are
rounded to the grid.  DC and step amplitudes may change between runs (the injection's schedule is
rewritten); an AC or noise source changed while ``t > 0`` needs ``reset()`` first."""
from __future__ import annotations

import numpy as np

from pyNN.common import Population, PopulationView, Assembly
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import electrodes, build_translations

from .simulator import state
from .translate import SOURCES, kind_of, NEVER


def _plain(v):
    """A parameter value as a float or a numpy array (LazyArray and Sequence unwrapped)."""
    from pyNN.parameters import LazyArray
    if isinstance(v, LazyArray):
        v = v.evaluate(simplify=True)
    if isinstance(v, np.ndarray) and v.dtype == object and v.size == 1:
        v = v.reshape(-1)[0]
    if isinstance(v, Sequence):
        v = np.asarray(v.value, dtype=float)
    if isinstance(v, np.ndarray) and v.ndim == 1 and v.size == 1 and v.dtype != object:
        v = v
    return v


class _CurrentSource:
    """Common machinery: parameters in PyNN units, targets as (root population, indices)."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_params", ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,)))
        object.__setattr__(self, "_targets", [])      # [(root population, local indices)]
        object.__setattr__(self, "_injections", [])   # neurosim handles, one per target
        object.__setattr__(self, "_recording", False)
        parameters.pop("rng", None)      # the noise is drawn from the simulation's seed (setup(rng_seed=...))
        if parameters:
            self._params.update(**parameters)
        self._params.evaluate(simplify=True)
        self._check(self._params)
        object.__setattr__(self, "_params", self._normalise(self._params))
        state.current_sources.append(self)

    # PyNN's StandardCurrentSource interface
    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        new = ParameterSpace(dict(self._params.items()), self.get_schema(), shape=(1,))
        new.update(**dict(parameters.items()))
        new.evaluate(simplify=True)
        self._check(new)
        object.__setattr__(self, "_params", self._normalise(new))
        self._push()

    def get_native_parameters(self):
        return ParameterSpace(dict(self._params.items()), self.get_schema(), shape=(1,))

    def get_parameters(self):
        """{name: value} in PyNN units (sequences as numpy arrays)."""
        out = {}
        for name in self.default_parameters:
            v = self._value(name)
            out[name] = np.asarray(v, dtype=float) if isinstance(v, (Sequence, np.ndarray, list)) else v
        return out

    def _value(self, name):
        return _plain(self._params[name])

    def _check(self, params):
        from pyNN import errors
        for name in ("start", "stop"):
            if name in self.default_parameters and float(np.asarray(_plain(params[name])).reshape(-1)[0]) < 0:
                raise errors.InvalidParameterValueError(f"{type(self).__name__}: {name} must be >= 0 ms")

    def _normalise(self, params):
        return params

    def inject_into(self, cells):
        if isinstance(cells, (Population, PopulationView, Assembly)):
            cell_list = list(cells)
        else:
            cell_list = list(cells)
        by_root = {}
        for cell in cell_list:
            root = cell.parent
            if kind_of(root.celltype) in SOURCES:
                raise TypeError("Can't inject current into a spike source.")
            by_root.setdefault(root._index, (root, []))[1].append(root.id_to_index(cell))
        state.mark_structure_changed(f"injecting {type(self).__name__}")
        for root, idx in by_root.values():
            self._targets.append((root, np.unique(np.asarray(idx, dtype=np.int64))))

    def _add_native(self, net):
        self._injections.clear()
        for root, idx in self._targets:
            self._injections.append(self._inject(net, root._native, idx))

    def _push(self):
        if self._injections and state.net is not None:
            if self._changeable:
                for inj in self._injections:
                    state.net.set_input(inj, amplitude=self._schedule())
            else:
                state.mark_structure_changed(f"changing a {type(self).__name__}")

    def record(self):
        object.__setattr__(self, "_recording", True)

    def _get_data(self):
        """(times ms, current nA) at every step from 0 to now, as injected."""
        t = np.arange(state.steps(state.t) + 1) * state.dt
        return t, self._current_at(t)

    def _times(self, name):
        return np.round(np.asarray(self._value(name), float) / state.dt) * state.dt


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"), ("stop", "stop"))
    _changeable = True

    def _schedule(self):
        from ..spec.inputs import Schedule
        start, stop = float(self._times("start")), float(self._times("stop"))
        amp = 1000.0 * float(self._value("amplitude"))
        if stop >= NEVER:
            return Schedule(np.array([start]), np.array([amp]))
        if stop <= start:
            return Schedule(np.array([0.0]), np.array([0.0]))
        return Schedule(np.array([start, stop]), np.array([amp, 0.0]))

    def _inject(self, net, native, idx):
        return net.inject(native, self._schedule(), indices=idx)

    def _current_at(self, t):
        start, stop = float(self._times("start")), float(self._times("stop"))
        return np.where((t >= start - 1e-9) & (t < stop - 1e-9), float(self._value("amplitude")), 0.0)


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))
    _changeable = True

    def _check(self, params):
        from pyNN import errors
        times = np.asarray(_plain(params["times"]), float)
        amps = np.asarray(_plain(params["amplitudes"]), float)
        if times.shape != amps.shape:
            raise errors.InvalidParameterValueError(f"StepCurrentSource: times ({times.size}) and amplitudes "
                                                    f"({amps.size}) must have the same length")
        if times.size and (np.any(np.diff(times) < 0) or times.min() < 0 or not np.all(np.isfinite(times))):
            raise errors.InvalidParameterValueError(f"StepCurrentSource: times must be finite, >= 0 ms and "
                                                    f"increasing, got {times.tolist()[:10]}")

    def _normalise(self, params):
        """Times rounded to the grid; of several changes within one step the last holds."""
        times = np.round(np.asarray(_plain(params["times"]), float) / state.dt) * state.dt
        amps = np.asarray(_plain(params["amplitudes"]), float)
        keep = np.append(times[1:] != times[:-1], True) if times.size else np.zeros(0, bool)
        return ParameterSpace({"times": Sequence(times[keep]), "amplitudes": Sequence(amps[keep])},
                              self.get_schema(), shape=(1,))

    def _steps(self):
        times = np.asarray(self._value("times"), float)
        amps = 1000.0 * np.asarray(self._value("amplitudes"), float)
        if times.size == 0:
            return np.array([0.0]), np.array([0.0])
        return times, amps

    def _schedule(self):
        from ..spec.inputs import Schedule
        times, amps = self._steps()
        return Schedule(times, amps)

    def _inject(self, net, native, idx):
        return net.inject(native, self._schedule(), indices=idx)

    def _current_at(self, t):
        times, amps = self._steps()
        k = np.searchsorted(times, t + 1e-9, side="right") - 1
        return np.where(k >= 0, amps[np.maximum(k, 0)], 0.0) / 1000.0


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(*[(k, k) for k in electrodes.ACSource.default_parameters])
    _changeable = False

    def _window(self):
        start, stop = float(self._times("start")), float(self._times("stop"))
        return start, (None if stop >= NEVER else stop)

    def _inject(self, net, native, idx):
        start, stop = self._window()
        # PyNN's phase holds at ``start`` (neurosim's and NEST's at t = 0)
        freq = float(self._value("frequency"))
        phase = (float(self._value("phase")) - 360.0 * freq * start / 1000.0) % 360.0
        return net.inject_ac(native, 1000.0 * float(self._value("amplitude")), freq, phase,
                             1000.0 * float(self._value("offset")), start, stop, indices=idx)

    def _current_at(self, t):
        start, stop = self._window()
        on = (t >= start - 1e-9) & ((t < stop - 1e-9) if stop is not None else True)
        wave = float(self._value("offset")) + float(self._value("amplitude")) * np.sin(
            2 * np.pi * float(self._value("frequency")) * (t - start) / 1000.0 + np.deg2rad(float(self._value("phase"))))
        return np.where(on, wave, 0.0)


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(*[(k, k) for k in electrodes.NoisyCurrentSource.default_parameters])
    _changeable = False

    def _inject(self, net, native, idx):
        start, stop = float(self._times("start")), float(self._times("stop"))
        return net.inject_noise(native, 1000.0 * float(self._value("mean")), 1000.0 * float(self._value("stdev")),
                                float(self._value("dt")), start, None if stop >= NEVER else stop, indices=idx)

    def _get_data(self):
        """The current (nA) of the first target cell, as injected (the draws of neurosim's kernels)."""
        from ..sim.currents import noise_current
        t = np.arange(state.steps(state.t) + 1) * state.dt
        if not self._injections or state.net is None:
            return t, np.zeros(t.size)
        steps = np.arange(t.size)
        return t, noise_current(state.net, self._injections[0], steps) / 1000.0


__all__ = ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource", "Sequence"]
