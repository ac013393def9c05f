"""CPU backend: the SimState stays in host memory and the Numba kernels mutate it in place.

With more than one thread (``numba.get_num_threads()``, set by ``NUMBA_NUM_THREADS`` or
``numba.set_num_threads``) and a network large enough to gain from it (``PARALLEL_MIN_WORK``),
each chunk runs on that many OS threads at once: every thread calls the compiled ``run_chunk``
(which releases the GIL) with its own thread number, and the threads meet at barriers inside it
(kernels/cpu/chunk.py).  One parallel region per chunk instead of one per step: a step of the
4000-neuron benchmarks takes a few microseconds, as long as starting a thread team."""
from __future__ import annotations

import threading

import numba

from .base import Backend

MIN_PARALLEL_STEPS = 20   # shorter chunks run on one thread (starting threads costs ~0.1 ms)


class CPUBackend(Backend):
    name = "cpu"

    def upload(self, state):
        from ..kernels.cpu.chunk import run_chunk
        from ..kernels.cpu.neurons import n_jobs, neuron_work, PARALLEL_MIN_WORK
        from ..kernels.cpu.sync import new_sync
        self._run = run_chunk
        self.state = state
        batch = state.neurons.v.shape[0]
        self._jobs = int(n_jobs(state.pops, batch))
        self._parallel = int(neuron_work(state.pops, state.chans, batch)) >= PARALLEL_MIN_WORK and self._jobs >= 2
        self._new_sync = new_sync

    def _threads_for(self, n_steps: int) -> int:
        t = numba.get_num_threads()
        if t <= 1 or not self._parallel or n_steps < MIN_PARALLEL_STEPS:
            return 1
        return min(t, self._jobs)

    def run_chunk(self, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
                  out_step, out_id, out_trial, out_counts):
        n_threads = self._threads_for(n_steps)
        sync = self._new_sync(n_threads)

        def call(tid):
            return self._run(self.state, key, dt, step0, n_steps, tid, n_threads, sync, per_step_max, mon_first,
                             mon_buf_off, out_state, out_step, out_id, out_trial, out_counts)

        if n_threads == 1:
            return call(0)
        errors = []

        def helper(tid):
            try:
                call(tid)
            except BaseException as exc:  # pragma: no cover - the kernels raise nothing
                errors.append(exc)

        team = [threading.Thread(target=helper, args=(tid,), name=f"neurosim-{tid}", daemon=True)
                for tid in range(1, n_threads)]
        for th in team:
            th.start()
        try:
            result = call(0)
        finally:
            for th in team:
                th.join()
        if errors:
            raise errors[0]
        return result

    def download(self):
        return self.state

    def threads(self) -> int:
        """Threads a long run of this network uses."""
        return self._threads_for(MIN_PARALLEL_STEPS)
