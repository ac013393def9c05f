"""CUDA backend (numba-cuda, from the ``cuda`` extra): uploads the SimState once as device
arrays, runs chunks of steps as kernel launches without host round trips, and copies only the
recording buffers back.  Imported lazily by backends/select.py."""
from __future__ import annotations

import warnings

import numpy as np
from numba import config, cuda

from ..errors import BackendUnavailableError
from .base import Backend


def _to_device(nt):
    """Copy a NamedTuple of numpy arrays (recursively) to the device."""
    fields = []
    for v in nt:
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            fields.append(_to_device(v))
        else:
            fields.append(cuda.to_device(np.ascontiguousarray(v)))
    return type(nt)(*fields)


def _to_host(nt):
    fields = []
    for v in nt:
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            fields.append(_to_host(v))
        else:
            fields.append(v.copy_to_host())
    return type(nt)(*fields)


if config.ENABLE_CUDASIM:
    # the simulator evaluates the RNG with numpy scalars, whose uint64 wrap-around warns
    warnings.filterwarnings("ignore", message="overflow encountered", category=RuntimeWarning)


class CUDABackend(Backend):
    name = "cuda"

    def __init__(self):
        if not cuda.is_available():
            raise BackendUnavailableError("backend='cuda' is unavailable: no CUDA GPU or driver found")

    def upload(self, state):
        from ..kernels.cuda.chunk import run_chunk, launch_plan
        self._run = run_chunk
        self.host = state
        self.dev = _to_device(state)
        self.info = launch_plan(state)
        self._dirty = False

    def run_chunk(self, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
                  out_step, out_id, out_trial, out_counts):
        cap = out_step.shape[0]
        # at most `cap // per_step_max` steps fit in the spike buffer without a host check
        n_run = min(n_steps, max(0, cap // per_step_max))
        if n_run == 0:
            return 0, 0
        d_first = cuda.to_device(mon_first)
        d_off = cuda.to_device(mon_buf_off)
        d_state = cuda.to_device(out_state)
        d_step = cuda.device_array(cap, np.int64)
        d_id = cuda.device_array(cap, np.int64)
        d_trial = cuda.device_array(cap, np.int64)
        d_n = cuda.to_device(np.zeros(1, np.int64))
        d_counts = cuda.to_device(out_counts)
        with np.errstate(over="ignore"):  # uint64 wrap-around of the RNG is intended (simulator)
            self._run(self.dev, key, dt, step0, n_run, self.info, d_first, d_off, d_state, d_step, d_id,
                      d_trial, d_n, d_counts)
        n = int(d_n.copy_to_host()[0])
        out_state[:] = d_state.copy_to_host()
        out_counts[:] = d_counts.copy_to_host()
        st, gi, tr = d_step.copy_to_host()[:n], d_id.copy_to_host()[:n], d_trial.copy_to_host()[:n]
        order = np.lexsort((gi, tr, st))   # the CPU order: step, trial, neuron
        out_step[:n], out_id[:n], out_trial[:n] = st[order], gi[order], tr[order]
        self._dirty = True
        return n_run, n

    def push(self, *parts):
        """Copy the host arrays of the named SimState parts (changed between runs: parameters,
        weights, ``mod_c`` after ``net.reward``, ...) to the device."""
        for part in parts:
            for h, d in zip(getattr(self.host, part), getattr(self.dev, part)):
                if isinstance(h, tuple):
                    raise TypeError(f"push: part {part!r} holds nested tuples")
                if h.size:
                    d.copy_to_device(np.ascontiguousarray(h))

    def download(self):
        if self._dirty:
            self.host = _to_host(self.dev)
            self._dirty = False
        return self.host

    def threads(self) -> int:
        return 1
