"""Projection of ``neurosim.pynn``.

PyNN's connectors compute the connections (``_convergent_connect``); the projection keeps them as
arrays in the order they were made (``_pre``/``_post``: indices into ``pre``/``post``, which may
be Populations, views or Assemblies) with their parameters in PyNN units (``_values``).  When the
network is laid out, each (pre population, post population) pair becomes one neurosim projection
built ``from_arrays`` (:mod:`neurosim.pynn.native`); weights changed by ``set()`` or by plasticity
are read back from, and written into, the running network."""
from __future__ import annotations

import numpy as np

from pyNN import common, errors
from pyNN.core import is_listlike
from pyNN.space import Space

from . import simulator


def cells_of(neurons):
    """(root Population per cell, index in that root) for a Population, view or Assembly, as two
    arrays over the cells in ``neurons`` order (the root as its index in the simulator state)."""
    from pyNN.common import Assembly
    if isinstance(neurons, Assembly):
        parts = [cells_of(p) for p in neurons.populations]
        return np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])
    root = getattr(neurons, "grandparent", neurons)
    local = np.arange(neurons.size) if root is neurons else np.asarray(
        neurons.index_in_grandparent(np.arange(neurons.size)), dtype=np.int64)
    return np.full(neurons.size, root._index, dtype=np.int64), local.astype(np.int64)


class Connection(common.Connection):
    """One connection of a projection (``prj[i]``), with its attributes in PyNN units."""

    def __init__(self, projection, k):
        self.projection, self.k = projection, k
        self.presynaptic_index = int(projection._pre[k])
        self.postsynaptic_index = int(projection._post[k])

    def __getattr__(self, name):
        values = self.__dict__["projection"]._current_values()
        if name in values:
            return float(values[name][self.__dict__["k"]])
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in ("projection", "k", "presynaptic_index", "postsynaptic_index"):
            object.__setattr__(self, name, value)
            return
        prj = self.projection
        values = prj._current_values()
        if name not in values:
            raise AttributeError(f"a connection of {prj.label!r} has no attribute {name!r}; known: {sorted(values)}")
        new = np.array(values[name], dtype=float)
        new[self.k] = float(value)
        from .native import write_attributes
        write_attributes(prj, {name: new})

    def as_tuple(self, *names):
        return tuple(getattr(self, n) for n in names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = None   # set in __init__.py (StaticSynapse)

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population, connector,
                                   synapse_type, source, receptor_type, space, label)
        state = simulator.state
        state.mark_structure_changed(f"creating projection {self.label!r}")
        from .native import check_synapse_type
        check_synapse_type(self)
        self._pre_root, self._pre_local = cells_of(self.pre)
        self._post_root, self._post_local = cells_of(self.post)
        self._chunks = []          # (pre indices, post index, {name: values}) while connecting
        self._pre = np.zeros(0, np.int64)
        self._post = np.zeros(0, np.int64)
        self._values = {}
        self._natives = []         # [(neurosim Projection, synapse positions k in this projection)]
        connector.connect(self)
        self._finish()
        state.projections.append(self)

    # ------------------------------------------------------------------ connecting
    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, location_selector=None,
                            **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("neurosim.pynn has point neurons only (no location_selector)")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).reshape(-1)
        if pre.size == 0:
            return
        values = {}
        for name, value in connection_parameters.items():
            if isinstance(value, (int, float, np.integer, np.floating)):
                values[name] = np.full(pre.size, float(value))
            elif is_listlike(value):
                values[name] = np.asarray(value, dtype=float).reshape(-1)
            else:
                values[name] = np.full(pre.size, float(value))
        self._chunks.append((pre, int(postsynaptic_index), values))

    def _finish(self):
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return
        pre = np.concatenate([self._pre] + [c[0] for c in chunks])
        post = np.concatenate([self._post] + [np.full(c[0].size, c[1], np.int64) for c in chunks])
        names = sorted(set().union(*[c[2] for c in chunks]) | set(self._values))
        values = {}
        for name in names:
            parts = [self._values.get(name, np.full(self._pre.size, np.nan))]
            parts += [c[2].get(name, np.full(c[0].size, np.nan)) for c in chunks]
            values[name] = np.concatenate(parts)
        from .native import check_connections
        check_connections(self, pre, post, values)
        self._pre, self._post, self._values = pre, post, values

    def __len__(self):
        return int(self._pre.size)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            if not -len(self) <= i < len(self):
                raise IndexError(f"connection {i} out of range: the projection has {len(self)}")
            return Connection(self, int(i) % len(self))
        if isinstance(i, slice):
            return [Connection(self, k) for k in range(*i.indices(len(self)))]
        raise TypeError(f"connections are indexed by an int or a slice, got {type(i).__name__}")

    @property
    def connections(self):
        return [Connection(self, k) for k in range(len(self))]

    # ------------------------------------------------------------------ reading
    def _current_values(self):
        """Every attribute (PyNN units) with the running network's weights read back."""
        from .native import read_weights
        read_weights(self)
        return self._values

    def _get_attributes_as_list(self, names):
        values = self._current_values()
        cols = []
        for name in names:
            if name == "presynaptic_index":
                cols.append(self._pre)
            elif name == "postsynaptic_index":
                cols.append(self._post)
            elif name == "source":
                cols.append(self.pre.all_cells[self._pre])
            elif name == "target":
                cols.append(self.post.all_cells[self._post])
            elif name in values:
                cols.append(values[name])
            else:
                raise errors.NonExistentParameterError(name, self.synapse_type.__class__.__name__,
                                                       list(values))
        return [tuple(row) for row in zip(*[np.asarray(c).tolist() for c in cols])]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        values = self._current_values()
        out = []
        for name in names:
            name = name[:-1] if name.endswith("s") and name[:-1] in values else name
            if name not in values:
                raise errors.NonExistentParameterError(name, self.synapse_type.__class__.__name__,
                                                       list(values))
            out.append(_matrix(self._pre, self._post, values[name], (self.pre.size, self.post.size),
                               multiple_synapses))
        return out

    # ------------------------------------------------------------------ writing
    def _set_attributes(self, parameter_space):
        parameter_space.evaluate(simplify=True)
        from .native import write_attributes
        changes = {}
        for name, value in parameter_space.items():
            arr = np.asarray(value, dtype=float)
            changes[name] = np.full(len(self), float(arr)) if arr.ndim == 0 else arr[self._pre, self._post]
        write_attributes(self, changes)

    def _set_initial_value_array(self, variable, initial_value):
        raise NotImplementedError("neurosim.pynn: the synapse models have no state variables to initialise")


def _matrix(pre, post, values, shape, how):
    out = np.full(shape, np.nan)
    if pre.size == 0:
        return out
    if how == "sum":
        acc = np.zeros(shape)
        np.add.at(acc, (pre, post), values)
        has = np.zeros(shape, bool)
        has[pre, post] = True
        out[has] = acc[has]
    elif how in ("min", "max"):
        ufunc = np.fmin if how == "min" else np.fmax
        ufunc.at(out, (pre, post), values)
    elif how == "last":
        out[pre, post] = values
    else:   # first
        out[pre[::-1], post[::-1]] = values[::-1]
    return out
