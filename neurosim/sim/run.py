"""The only time loop: runs the compiled chunk kernel until the requested steps are done,
flushing recording buffers between chunks and showing a progress bar on long runs."""
from __future__ import annotations

import datetime as _dt
import time

import numpy as np

from .._version import __version__
from ..errors import SpecError
from ..state.build import build_state, counter_key
from ..backends.select import make_backend
from ..memory import check_memory
from .partition import Partition, check_partitionable, own_ranges_for
from ..result import WeightTable
from .recorders import Recorder
from .compile_notice import compile_notice
from ..state import arrays as A
from ..state.recording import variable_column
from ..state.connect import pre_indices

CHUNK_STEPS = 2000
PROGRESS_AFTER_S = 3.0


class Simulation:
    """A built network on a backend, with its step counter and recorder."""

    def __init__(self, net, backend_name: str):
        t0 = time.perf_counter()
        self.net = net
        mpi_world = check_partitionable(net, backend_name)   # one of several mpiexec processes (or None)
        if mpi_world is not None:
            backend_name = "cpu"
        check_memory(net)          # refuse a network that cannot fit before allocating it
        # MPI: each process keeps the synapses onto its own neurons (state/partial.py)
        self.own_ranges = None if mpi_world is None else own_ranges_for(mpi_world.rank, mpi_world.size)
        self.state, self.layout = build_state(net.spec(), own_ranges=self.own_ranges)
        self.backend = make_backend(backend_name)
        self.backend_name = backend_name
        self.partition = None if mpi_world is None else Partition(mpi_world, self.state)
        self.backend.partition = self.partition
        self.backend.upload(self.state)
        self.recorder = Recorder(net, self.layout, self.state)
        self.key = np.uint64(counter_key(net.seed))
        self.step = 0
        self.wall_time = 0.0
        self.build_time = time.perf_counter() - t0
        self.created = _dt.datetime.now(_dt.timezone.utc).isoformat()
        fdt = self.state.neurons.v.dtype
        self.per_step_max = max(1, net.batch * self.recorder.n_recorded)
        cap = max(4 * self.per_step_max, 1 << 18)
        self._out_step = np.empty(cap, np.int64)
        self._out_id = np.empty(cap, np.int64)
        self._out_trial = np.empty(cap, np.int64)
        self._fdt = fdt
        # compile (or load from the cache) before any timing: a zero-step chunk
        t1 = time.perf_counter()
        with compile_notice() as notice:
            self._run_steps(0)
        self.compile_time = time.perf_counter() - t1
        self.compiled = notice.compiled     # False: every kernel came from the on-disk cache

    def replace_state(self, state):
        """Run on ``state`` from now on (a host SimState of the same network with some parts laid
        out anew, e.g. the input tables after a rate change); the step count goes on."""
        self.state = state
        self.backend.upload(state)

    def restart(self, state, layout):
        """Start again at step 0 on ``state`` (``Network.reset``): recordings begin anew (a Result
        made before keeps its own arrays), the compiled kernels are reused."""
        self.state, self.layout = state, layout
        if self.partition is not None:
            self.partition = Partition(self.partition.world, state)
            self.backend.partition = self.partition
        self.backend.upload(state)
        self.recorder = Recorder(self.net, layout, state)
        self.step = 0
        self.wall_time = 0.0
        self._threads_lo = self._threads_hi = None

    def _run_steps(self, chunk):
        first, offs, sizes, total = self.recorder.plan_states(self.step, chunk)
        out_state = np.zeros(total, self._fdt)
        counts = np.zeros((chunk, self.state.pops.kind.shape[0]), np.int32)
        planned, threaded = self.backend.threads(), getattr(self.backend, "threaded_chunks", None)
        done, n_spk = self.backend.run_chunk(
            self.key, self.net.dt, self.step, chunk, self.per_step_max, first, offs, out_state,
            self._out_step, self._out_id, self._out_trial, counts)
        if chunk:
            if self.partition is not None:     # each sample from its neuron's owner
                self.partition.gather_samples(self.state.rec, out_state, sizes, offs)
            self._note_threads(planned, threaded)
            self.recorder.add_chunk(self.step, done, sizes, offs, out_state, first,
                                    self._out_step, self._out_id, self._out_trial, n_spk, counts)
        return done

    _threads_lo = _threads_hi = None   # fewest / most threads any chunk ran on

    def _note_threads(self, planned, threaded_before):
        """Remember how many threads the chunk just run used: the backend's ``threads_used`` when
        it reports it; else 1 unless its ``threaded_chunks`` counter went up, then the threads it
        planned before the chunk (``threads()`` can say 1 afterwards, after a fall-back)."""
        used = getattr(self.backend, "threads_used", None)
        if used is None:
            after = getattr(self.backend, "threaded_chunks", None)
            used = planned if after is None or after != threaded_before else 1
        used = int(used)
        self._threads_lo = used if self._threads_lo is None else min(self._threads_lo, used)
        self._threads_hi = used if self._threads_hi is None else max(self._threads_hi, used)

    def check_backend(self, name):
        if name != self.backend_name and name != "auto" and name != self.backend.name:
            raise SpecError(f"this network was built on backend {self.backend.name!r}; it cannot switch to {name!r} "
                            "(rebuild it with Network.from_spec)")

    def run(self, n_steps: int, progress=None):
        bar = None
        done_total = 0
        t_start = time.perf_counter()
        try:
            while done_total < n_steps:
                chunk = min(CHUNK_STEPS, n_steps - done_total)
                done = self._run_steps(chunk)
                self.step += done
                done_total += done
                if done == 0:  # the spike buffer was too small for even one step
                    cap = 2 * self._out_step.size
                    self._out_step = np.empty(cap, np.int64)
                    self._out_id = np.empty(cap, np.int64)
                    self._out_trial = np.empty(cap, np.int64)
                elapsed = time.perf_counter() - t_start
                if bar is None and progress is not False and done_total < n_steps and self._shows_progress:
                    expected = elapsed / done_total * n_steps
                    if progress or expected > PROGRESS_AFTER_S:
                        from tqdm.auto import tqdm
                        bar = tqdm(total=n_steps, initial=done_total, unit="step", desc="neurosim",
                                   leave=False, mininterval=0.5)
                elif bar is not None:
                    bar.update(done)
        finally:
            if bar is not None:
                bar.close()
            self.wall_time += time.perf_counter() - t_start

    @property
    def _shows_progress(self) -> bool:
        """MPI: rank 0 alone shows the progress bar."""
        return self.partition is None or self.partition.rank == 0

    # --- queries
    def metadata(self) -> dict:
        return {"dt": self.net.dt, "duration": self.step * self.net.dt, "seed": self.net.seed,
                "backend": self.backend.name,
                "threads": self.backend.threads() if self._threads_hi is None else self._threads_hi,
                "threads_min": self.backend.threads() if self._threads_lo is None else self._threads_lo,
                "wall_time": self.wall_time,
                "build_time": self.build_time, "compile_time": self.compile_time, "neurosim_version": __version__, "created": self.created,
                "batch": self.net.batch, "steps": self.step, "dtype": self.net.dtype,
                "mpi_processes": 1 if self.partition is None else self.partition.size,
                **({} if self.partition is None else {"mpi_exchange_time": self.partition.exchange_time}),
                **({"compile_s": self.compile_time} if self.compiled else {})}

    def get(self, pop, variable):
        st = self.backend.download()
        code, base, rec = variable_column(self.layout, pop, variable)
        n = pop.n
        if code == A.VAR_V:
            return st.neurons.v[:, base:base + n].astype(np.float64)
        if code == A.VAR_W_ADAPT:
            return st.neurons.w_adapt[:, base:base + n].astype(np.float64)
        if code == A.VAR_I_EXT:
            return st.neurons.i_ext[:, base:base + n].astype(np.float64)
        if code == A.VAR_THETA:
            return st.neurons.theta[:, base:base + n].astype(np.float64)
        if rec.saturating:   # the gating lives with the presynaptic neurons (kernels/cpu/saturating.py)
            from ..kernels.cpu.saturating import gating_conductance
            g = np.zeros_like(st.neurons.g_decay)
            gating_conductance(st.sat, st.syn, g)
            return g[:, base:base + n].astype(np.float64)
        return (st.neurons.g_decay[:, base:base + n] - st.neurons.g_rise[:, base:base + n]).astype(np.float64)

    def weight_tables(self, proj):
        st = self.backend.download()
        out = []
        split = proj.index in (self.layout.partial or {})   # MPI: each process keeps a part
        for rec, off, n_syn, _, rp in self.layout.proj_blocks[proj.index]:
            w = st.syn.w[:, off:off + n_syn]
            cols = (pre_indices(rp), st.syn.post[off:off + n_syn].astype(np.int64),
                    st.syn.delay[off:off + n_syn] * self.net.dt, (w[0] if w.shape[0] == 1 else w).astype(np.float64))
            if split:
                cols = self.partition.whole_table(*cols)
            out.append(WeightTable(proj.name, rec.name, *cols[:3], cols[3].copy(),
                                   unit="nS" if rec.conductance_based else "pA"))
        return out

    def connections(self, proj):
        tables = self.weight_tables(proj)
        t0 = tables[0]
        return {"pre": t0.pre, "post": t0.post, "delay": t0.delay,
                "weight": {t.receptor: t.weight for t in tables}}
