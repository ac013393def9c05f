"""Population, PopulationView and Assembly of ``neurosim.pynn``.

A population keeps its parameters as PyNN does (one array per parameter, PyNN names and units,
``_parameters``) and, once the network is laid out, mirrors every change into its neurosim
population (:func:`neurosim.pynn.native.push_parameters`)."""
from __future__ import annotations

import numpy as np

from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


def _native_parameter_space(store, names, mask, size):
    out = {}
    for name in names:
        value = store[name]
        if isinstance(value, np.ndarray) and mask is not None:
            value = value[mask]
        out[name] = simplify(value)
    return ParameterSpace(out, shape=(size,))


class _ParameterMixin:
    """get/set through PyNN's (identity) translations onto the root population's arrays."""

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            return self.celltype.reverse_translate(self._get_native_parameters(*native_names))
        return self._get_native_parameters(*names)


class PopulationView(_ParameterMixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    def _get_native_parameters(self, *names):
        return _native_parameter_space(self.grandparent._parameters, names,
                                       self.index_in_grandparent(np.arange(self.size)), self.size)

    def _set_parameters(self, parameter_space):
        root = self.grandparent
        idx = self.index_in_grandparent(np.arange(self.size))
        parameter_space.evaluate(simplify=False)
        root._store_parameters({name: (idx, value) for name, value in parameter_space.items()})

    def _set_initial_value_array(self, variable, initial_values):
        root = self.grandparent
        idx = self.index_in_grandparent(np.arange(self.size))
        values = initial_values.evaluate(simplify=False) if hasattr(initial_values, "evaluate") else initial_values
        full = np.array(root.initial_values[variable].evaluate(simplify=False), dtype=float) \
            if variable in root.initial_values else np.zeros(root.size)
        full[idx] = np.broadcast_to(np.asarray(values, dtype=float), (idx.size,))
        root.initial_values[variable] = _lazy(full, root.size)
        root._initial_changed(variable)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


def _lazy(values, size):
    from pyNN.parameters import LazyArray
    return LazyArray(np.asarray(values, dtype=float), shape=(size,), dtype=float)


class Population(_ParameterMixin, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={}, label=None):
        # refuse a new population in the middle of a simulation before PyNN registers anything of it
        simulator.state.mark_structure_changed(f"creating population {label!r}" if label else "creating a population")
        common.Population.__init__(self, size, cellclass, cellparams, structure, initial_values, label)

    def _create_cells(self):
        state = simulator.state
        from .translate import check_celltype
        check_celltype(self.celltype, self.size)
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        ps = self.celltype.native_parameters if isinstance(self.celltype, StandardCellType) \
            else self.celltype.parameter_space
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = {k: _as_store(v, self.size) for k, v in ps.items()}
        from .translate import check_parameters
        check_parameters(self, self._parameters)
        self._native = None          # the neurosim Population, once laid out
        self._index = len(state.populations)
        state.populations.append(self)

    # ------------------------------------------------------------------ parameters
    def _get_native_parameters(self, *names):
        return _native_parameter_space(self._parameters, names, None, self.size)

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        self._store_parameters({name: (slice(None), value) for name, value in parameter_space.items()})

    def _store_parameters(self, changes):
        """Write ``{name: (index, values)}`` into the arrays (checked first), then into the network."""
        from .translate import check_parameters
        from .native import push_parameters
        new = dict(self._parameters)
        for name, (idx, value) in changes.items():
            arr = np.array(self._parameters[name], copy=True)
            arr[idx] = _as_store(value, arr[idx].shape[0] if arr.ndim else 1)
            new[name] = arr
        check_parameters(self, new)
        old, self._parameters = self._parameters, new
        try:
            push_parameters(self, old, sorted(changes))
        except Exception:
            self._parameters = old
            raise

    def _set_initial_value_array(self, variable, initial_values):
        self.initial_values[variable] = initial_values    # common.initialize stores it after this call
        self._initial_changed(variable)

    def _initial_changed(self, variable):
        from .native import push_initial
        push_initial(self, variable)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


def _as_store(value, size):
    """A parameter's values as an (size,) array (object array for sequences such as spike times)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value
    arr = np.asarray(value)
    if arr.dtype == object:
        return arr
    if arr.ndim == 0:
        return np.full(size, arr.item(), dtype=float if np.issubdtype(arr.dtype, np.number) else arr.dtype)
    return arr.astype(float) if np.issubdtype(arr.dtype, np.number) else arr


__all__ = ["Population", "PopulationView", "Assembly", "errors"]
