"""CPU backend: the SimState stays in host memory and the Numba kernels mutate it in place.

With more than one thread (``numba.get_num_threads()``, set by ``NUMBA_NUM_THREADS`` or
``numba.set_num_threads``) and a network large enough to gain from it (``PARALLEL_MIN_WORK``),
each chunk runs on that many OS threads at once: every thread calls the compiled ``run_chunk``
(which releases the GIL) with its own thread number, and the threads meet at barriers inside it
(kernels/cpu/chunk.py).  One parallel region per chunk instead of one per step: a step of the
4000-neuron benchmarks takes a few microseconds, as long as starting a thread team.  When other
processes hold the cores, a step waits a scheduler time slice for a descheduled thread; the
kernel then ends the chunk early, and if the OS confirms that the threads were kept waiting for a
core (contention.py: not just stalls that one thread would suffer too) the backend runs on one
thread for a few seconds before it tries again.

Under MPI (sim/partition.py sets ``partition`` before ``upload``) each process runs one thread
over its own share of the neuron blocks, and the runner exchanges the step's spikes with the other
processes; ``download`` then first makes every process's copy of the neuron state whole.
"""
from __future__ import annotations

import threading
import time

import numba

from .base import Backend
from .contention import change, oversubscribed, thread_cpu_and_wait_ns

MIN_PARALLEL_STEPS = 20   # shorter chunks run on one thread (starting threads costs ~0.1 ms)
SOLO_AFTER_CONTENTION_S = 5.0   # one thread for this long after the threads kept waiting for each other



def configured_threads() -> int:
    """The thread count set by ``numba.set_num_threads`` or, before any such call,
    ``NUMBA_NUM_THREADS``, read without launching Numba's parallel threading layer (neurosim runs
    its own threads): launching it loads an OpenMP runtime that crashes NEST's ``ResetKernel`` in
    the same process (measured: segmentation fault with nest-simulator 3.10's wheel)."""
    from numba.np.ufunc import parallel
    if getattr(parallel, "_is_initialized", True):
        return numba.get_num_threads()
    return int(numba.config.NUMBA_NUM_THREADS)

class CPUBackend(Backend):
    name = "cpu"

    def upload(self, state):
        from ..kernels.cpu.chunk import run_chunk, chunk_args
        from ..kernels.cpu.neurons import n_jobs_py, neuron_work, PARALLEL_MIN_WORK
        from ..kernels.cpu.sync import new_sync, SYNC_SLOW, SYNC_SLOW_LIMIT, SPIN_LIMIT, SLOW_LIMIT
        self._run = run_chunk
        self.state = state
        part = getattr(self, "partition", None)   # sim/partition.py under MPI: this process's share
        self._args = chunk_args(state) + ((None, 0, 1) if part is None else (True, part.rank, part.size))
        batch = state.neurons.v.shape[0]
        self._jobs = int(n_jobs_py(state.pops, batch))
        self._parallel = int(neuron_work(state.pops, state.chans, batch)) >= PARALLEL_MIN_WORK and self._jobs >= 2
        self._new_sync = new_sync
        self._slow_index, self._slow_limit_index = SYNC_SLOW, SYNC_SLOW_LIMIT
        self.spin_limit, self.slow_limit = SPIN_LIMIT, SLOW_LIMIT   # kernels/cpu/sync.py (tests may lower them)
        self._solo_until = 0.0
        self.threaded_chunks = 0   # chunks run on more than one thread (for tests and diagnostics)
        self.slow_chunks = 0       # threaded chunks ended early by long waits at the barriers
        self.contended_chunks = 0  # ... of which the OS said the threads had waited for a core
        self._whole = False        # MPI: the other processes' neurons already gathered since the last chunk

    def _threads_for(self, n_steps: int) -> int:
        t = configured_threads()
        if getattr(self, "partition", None) is not None:   # MPI: one thread per process
            return 1
        if t <= 1 or not self._parallel or n_steps < MIN_PARALLEL_STEPS or time.monotonic() < self._solo_until:
            return 1
        return min(t, self._jobs)

    def run_chunk(self, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
                  out_step, out_id, out_trial, out_counts):
        n_threads = self._threads_for(n_steps)
        self._whole = self._whole and n_steps == 0
        self.threads_used = n_threads   # threads of the latest chunk (sim/run.py keeps min/max)
        sync = self._new_sync(n_threads, self.spin_limit, self.slow_limit)

        def call(tid):
            return self._run(*self._args, key, dt, step0, n_steps, tid, n_threads, sync, per_step_max, mon_first,
                             mon_buf_off, out_state, out_step, out_id, out_trial, out_counts)

        if n_threads == 1:
            return call(0)
        self.threaded_chunks += 1
        errors = []
        readings = [None] * (n_threads - 1)

        def helper(tid):
            try:
                start = thread_cpu_and_wait_ns()    # after the thread's start-up (an idle core's wake-up)
                call(tid)
                if sync[self._slow_index] > sync[self._slow_limit_index]:
                    readings[tid - 1] = change(start, thread_cpu_and_wait_ns())
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
        if sync[self._slow_index] > sync[self._slow_limit_index]:
            # the chunk ended early because thread 0 kept waiting for its partners: if they were
            # waiting for a core, other processes hold the cores, and one thread waits for no one
            self.slow_chunks += 1
            if oversubscribed(readings):
                self.contended_chunks += 1
                self._solo_until = time.monotonic() + SOLO_AFTER_CONTENTION_S
        return result

    def download(self):
        part = getattr(self, "partition", None)
        if part is not None and not self._whole:
            # MPI: every process's neurons made whole (collective), once per stretch between chunks:
            # changes between runs are made alike in every process and keep it whole
            part.gather_state(self.state)
            self._whole = True
        return self.state

    def threads(self) -> int:
        """Threads a long run of this network uses."""
        return self._threads_for(MIN_PARALLEL_STEPS)
