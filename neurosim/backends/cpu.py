"""CPU backend: the SimState stays in host memory and the Numba kernels mutate it in place."""
from __future__ import annotations

import numba

from .base import Backend


class CPUBackend(Backend):
    name = "cpu"

    def upload(self, state):
        from ..kernels.cpu.chunk import run_chunk
        self._run = run_chunk
        self.state = state

    def run_chunk(self, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
                  out_step, out_id, out_trial, out_counts):
        return self._run(self.state, key, dt, step0, n_steps, numba.get_num_threads(), per_step_max, mon_first, mon_buf_off, out_state,
                         out_step, out_id, out_trial, out_counts)

    def download(self):
        return self.state

    def threads(self) -> int:
        return numba.get_num_threads()
