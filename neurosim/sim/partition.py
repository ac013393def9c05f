"""A network partitioned across the processes of an MPI run (DESIGN.md, ``parallel/``).

Each process (rank ``r`` of ``K``) owns a contiguous share of the neuron blocks that the threads of
one process share (kernels/cpu/neurons.py: blocks of ``BLOCK`` neurons of one population, in
population order): blocks ``r*J//K .. (r+1)*J//K - 1`` of the ``J``.  In every step each process

1. draws the inputs from the counter-based generator, whose numbers depend on (seed, step,
   neuron) only, so every process draws what one process would: the Poisson drive of its own
   neurons (kernels/cpu/chunk.py), every spike source and current;
2. updates only its own neurons and collects their spikes;
3. exchanges the spikes (``Allgather`` of the counts, ``Allgatherv`` of the ids: every process
   gets the step's whole spike list, in rank order, which is the order of one process);
4. propagates every spike into its own neurons only, and runs the plasticity and the recording of
   the whole network on the whole spike list (as the first thread of one process does).

Each target receives its inputs in the order of one process, and every draw is the same, so the
spikes and the state are bit for bit those of one process, for any ``K``.  Every process records
every spike; rank 0 writes the files (io/hdf5, the CLI).  State monitors and queries of the neuron
state (``download``) take each neuron's values from its owner; they are collective: every
process must make the same calls, as every process runs the same script.

Synapses: each process keeps only the static synapses onto its own neurons (state/partial.py);
projections whose synapses carry state or draws of their own (plasticity, short-term plasticity,
stochastic release), recorded weights and unsorted rows are kept whole in every process, which
propagates them into its own neurons only and runs their plasticity whole (the same in every
process).  Not divided yet: every process draws the whole connectivity before keeping its part,
and the neuron state is allocated whole (small beside the synapses).
"""
from __future__ import annotations

import time

import numpy as np

from ..errors import ParallelLaunchError
from ..state import arrays as A


def _rank_of_jobs(n_jobs: int, size: int) -> np.ndarray:
    """The rank owning each of ``n_jobs`` neuron blocks, as ``run_chunk`` splits them."""
    ranks = np.empty(n_jobs, np.int64)
    for r in range(size):
        ranks[r * n_jobs // size:(r + 1) * n_jobs // size] = r
    return ranks


def neuron_owners(pops, n_neurons: int, n_total: int, size: int, block: int) -> np.ndarray:
    """Owner rank of every global id (one trial): the neurons' from their block's job number (the
    jobs of kernels/cpu/neurons.py ``_locate``: blocks of each non-source population in order);
    -1 for the spike sources (ids ``n_neurons`` on), which every process draws alike."""
    owner = np.full(n_total, -1, np.int64)
    jobs = []
    for q in range(pops.kind.shape[0]):
        if pops.kind[q] >= A.KIND_POISSON:
            continue
        n = int(pops.end[q] - pops.start[q])
        jobs.append((int(pops.start[q]), n, (n + block - 1) // block))
    ranks = _rank_of_jobs(sum(nb for _, _, nb in jobs), size)
    j = 0
    for start, n, nb in jobs:
        owner[start:start + n] = np.repeat(ranks[j:j + nb], block)[:n]
        j += nb
    assert (owner[:n_neurons] >= 0).all()
    return owner


def own_ranges_for(rank: int, size: int):
    """``pops -> (lo, hi)``: the local neuron range of each population (by position) that rank
    ``rank`` of ``size`` updates (lo = hi = 0: none); passed to ``build_state`` (state/partial.py)."""
    def ranges(pops):
        from ..kernels.cpu.neurons import BLOCK
        n_total = int(pops.end.max()) if pops.end.size else 0
        n_neurons = int(max((pops.end[q] for q in range(pops.kind.shape[0]) if pops.kind[q] < A.KIND_POISSON),
                            default=0))
        owner = neuron_owners(pops, n_neurons, n_total, size, BLOCK)
        lo = np.zeros(pops.kind.shape[0], np.int64)
        hi = np.zeros(pops.kind.shape[0], np.int64)
        for q in range(pops.kind.shape[0]):
            mine = np.flatnonzero(owner[pops.start[q]:pops.end[q]] == rank)
            if mine.size:
                lo[q], hi[q] = mine[0], mine[-1] + 1
        return lo, hi
    return ranges


class Partition:
    """This process's share of a built network under MPI (see the module docstring)."""

    def __init__(self, world, state):
        from ..kernels.cpu.neurons import BLOCK
        from ..kernels.cpu.exchange import install
        self.world = world
        self.comm, self.rank, self.size = world.comm, world.rank, world.size
        st = state
        n_neurons, n_total = st.neurons.v.shape[1], st.neurons.spiked.shape[1]
        self.neuron_owner = neuron_owners(st.pops, n_neurons, n_total, self.size, BLOCK)
        self.slot_owner = self._slot_owners(st)
        self.stp_owner = self._stp_owners(st)
        self._counts = np.zeros(self.size, np.int64)
        self._displs = np.zeros(self.size, np.int64)
        self._mine = np.zeros(1, np.int64)     # this process's count (no allocation per step)
        self.exchange_time = 0.0     # s spent in the spike exchange (waiting for the others included)
        install(self.exchange)

    # --- layout
    def _slot_owners(self, st) -> np.ndarray:
        """Owner of every synaptic slot: population ``p`` owns ``slot_off[p] + c*n_p + i``."""
        pops = st.pops
        out = np.full(st.neurons.g_decay.shape[1], -1, np.int64)
        for p in range(pops.kind.shape[0]):
            n = int(pops.end[p] - pops.start[p])
            own = self.neuron_owner[pops.start[p]:pops.end[p]]
            for c in range(int(pops.n_ch[p])):
                s0 = int(pops.slot_off[p]) + c * n
                out[s0:s0 + n] = own
        return out

    def _stp_owners(self, st) -> np.ndarray:
        """Owner of every short-term plasticity state column: its synapse's target's owner."""
        stp, syn, pops = st.stp, st.syn, st.pops
        out = np.full(stp.u.shape[1], -1, np.int64)
        for q in np.flatnonzero(stp.proj_row >= 0):
            r = int(stp.proj_row[q])
            end = int(stp.col_off[r + 1]) if r + 1 < stp.col_off.shape[0] else stp.u.shape[1]
            n = end - int(stp.col_off[r])
            k0 = int(stp.syn_off[r])
            post = syn.post[k0:k0 + n].astype(np.int64) + pops.start[syn.proj_post_pop[q]]
            out[int(stp.col_off[r]):end] = self.neuron_owner[post]
        return out

    # --- the step's exchange (called from the compiled runner, kernels/cpu/exchange.py)
    def exchange(self, spike_row, n_here):
        """Every process's spikes of this step into ``spike_row[:total]`` in rank order (this
        process's ``n_here`` are in ``spike_row[:n_here]``); returns ``total``."""
        from mpi4py import MPI
        t0 = time.perf_counter()
        n_here = int(n_here)
        self._mine[0] = n_here
        self.comm.Allgather(self._mine, self._counts)
        np.cumsum(self._counts[:-1], out=self._displs[1:])
        total = int(self._counts.sum())
        if total:
            mine = spike_row[:n_here].copy()
            self.comm.Allgatherv(mine, [spike_row, self._counts, self._displs, MPI.INT64_T])
        self.exchange_time += time.perf_counter() - t0
        return total

    def whole_table(self, pre, post, delay, weight):
        """One process's (pre, post, delay, weight) of a projection kept in part
        (state/partial.py), from every process's part (collective)."""
        from ..state.partial import whole_order
        parts = self.comm.allgather((pre, post, delay, weight))
        order = whole_order([p[0] for p in parts])
        return tuple(np.concatenate([p[i] for p in parts])[order] for i in range(4))

    # --- making a process's copy whole (collective)
    def _take_owned(self, arr: np.ndarray, owner: np.ndarray) -> None:
        """Set every column (last axis) of ``arr`` to its owner's values, in place.  Columns
        with owner -1 are the same on every process and stay."""
        if arr.size == 0 or owner.size == 0:
            return
        every = np.empty((self.size,) + arr.shape, arr.dtype)
        self.comm.Allgather(np.ascontiguousarray(arr), every)
        for r in range(self.size):
            if r != self.rank:
                cols = owner == r
                arr[..., cols] = every[r][..., cols]

    def gather_state(self, st) -> None:
        """Make this process's neuron, receptor, ring-buffer and short-term state whole."""
        nn = st.neurons
        own_n = self.neuron_owner[:nn.v.shape[1]]
        for arr in (nn.v, nn.w_adapt, nn.last_spike, nn.theta):
            self._take_owned(arr, own_n)
        for arr in (nn.g_decay, nn.g_rise, nn.ring):
            self._take_owned(arr, self.slot_owner)
        for arr in (st.stp.u, st.stp.x, st.stp.y, st.stp.last):
            if arr.shape[-1] == self.stp_owner.shape[0]:
                self._take_owned(arr, self.stp_owner)

    def gather_samples(self, rec, out_state, sizes, offs) -> None:
        """State-monitor samples of a chunk: each column from its neuron's owner, in place."""
        if out_state.size == 0:
            return
        owner = np.full(out_state.shape[0], -1, np.int64)
        for m, ((k, ncol), o) in enumerate(zip(sizes, offs)):
            if not k:
                continue
            c0, c1 = int(rec.mon_col_off[m]), int(rec.mon_col_off[m + 1])
            idx = rec.col_index[c0:c1]
            is_slot = rec.col_var[c0:c1] == A.VAR_G
            col_owner = np.empty(c1 - c0, np.int64)
            col_owner[is_slot] = self.slot_owner[idx[is_slot]]
            col_owner[~is_slot] = self.neuron_owner[idx[~is_slot]]
            owner[o:o + k * ncol] = np.tile(col_owner, k)
        self._take_owned(out_state, owner)


def check_partitionable(net, backend_name: str):
    """This run's MPI world when it is one of several MPI processes, else ``None``; refuses, before
    anything is allocated for the run, what cannot run partitioned yet."""
    from ..parallel import world
    w = world()
    if w is None:
        return None
    if backend_name not in ("cpu", "auto"):
        raise ParallelLaunchError(f"backend={backend_name!r} cannot run partitioned across {w.size} MPI processes "
                                  "yet; use backend='cpu' (or run one process)")
    if net.batch != 1:
        raise ParallelLaunchError(f"batch={net.batch}: a network with several trials cannot run partitioned across "
                                  f"{w.size} MPI processes yet; use batch=1 (or run one process)")
    return w
