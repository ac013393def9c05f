"""Helpers shared by the PyNN scripts: backend lookup, spike extraction, spike matching."""
import importlib

import numpy as np

BACKENDS = {"nest": "pyNN.nest", "neurosim": "neurosim.pynn", "brian2": "pyNN.brian2"}


def load_simulator(name: str):
    """The PyNN backend module for ``name``: one of BACKENDS' keys, or a module path
    (``pyNN.nest``).  ValueError naming the value and the choices for anything else."""
    module = BACKENDS.get(name, name)
    if name not in BACKENDS and not module.startswith(("pyNN.", "neurosim.")):
        raise ValueError(f"sim={name!r}: expected one of {sorted(BACKENDS)} or a module such as 'pyNN.nest'")
    return importlib.import_module(module)


def spike_array(population) -> np.ndarray:
    """Spikes recorded from ``population`` as an (n, 2) float array of (neuron index within the
    population, spike time ms), sorted by time then index."""
    trains = population.get_data("spikes", clear=False).segments[-1].spiketrains
    rows = [np.column_stack([np.full(len(st), int(st.annotations["source_index"]), float),
                             np.asarray(st.rescale("ms").magnitude, float)]) for st in trains]
    rows = [r for r in rows if len(r)]
    if not rows:
        return np.zeros((0, 2))
    out = np.concatenate(rows)
    return out[np.lexsort((out[:, 0], out[:, 1]))]


def spike_counts(spikes: np.ndarray, n: int) -> np.ndarray:
    """Spikes per neuron (length ``n``) from an (index, time ms) array."""
    return np.bincount(spikes[:, 0].astype(int), minlength=n)[:n]


def match_spikes(a: np.ndarray, b: np.ndarray, tol: float) -> int:
    """Number of one-to-one matched pairs between two (index, time ms) spike arrays.

    Matching rule: a spike of ``a`` and one of ``b`` match when they belong to the same neuron
    and their times differ by at most ``tol`` ms (+1e-9 ms for rounding); each spike is used at
    most once.  Per neuron, both time lists are walked in order and the earlier unmatched spike
    is dropped when the two are further apart than ``tol`` (greedy; it finds a maximum matching
    for points on a line with a fixed tolerance).  The matched fraction of ``a`` is the result /
    len(a), of ``b`` the result / len(b)."""
    if tol < 0:
        raise ValueError(f"tol={tol}: must be >= 0 ms")
    total = 0
    neurons = np.union1d(a[:, 0], b[:, 0]) if len(a) and len(b) else []
    for i in neurons:
        ta = np.sort(a[a[:, 0] == i, 1])
        tb = np.sort(b[b[:, 0] == i, 1])
        j = k = 0
        while j < len(ta) and k < len(tb):
            if abs(ta[j] - tb[k]) <= tol + 1e-9:
                total += 1
                j += 1
                k += 1
            elif ta[j] < tb[k]:
                j += 1
            else:
                k += 1
    return total
