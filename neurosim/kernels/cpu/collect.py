"""The spikes of a step, collected after the neuron update (phase 4 -> 5): each block's
``spiked`` flags become ascending ``spike_list`` rows (one thread for all, or each thread for the
blocks it owns, see chunk.py), and the local neuron range of each population that a thread's
blocks cover (for ``propagate_owned``)."""
import numpy as np

from .jit import kernel
from .neurons import BLOCK, _locate


@kernel
def owned_ranges(pops, job0, job1, own_lo, own_hi):
    """Local neuron index range ``own_lo[p] .. own_hi[p]-1`` of each population that blocks
    ``job0 .. job1-1`` cover (one trial; an empty range is lo = hi = 0)."""
    own_lo[:] = 0
    own_hi[:] = 0
    for job in range(job0, job1):
        p, b, blk = _locate(pops, np.int64(1), job)
        n = pops.end[p] - pops.start[p]
        i0 = blk * BLOCK
        i1 = min(n, i0 + BLOCK)
        if own_hi[p] == own_lo[p]:
            own_lo[p] = i0
        own_hi[p] = i1


@kernel
def collect_owned(pops, neurons, job0, job1, job_spikes, first):
    """One trial: write the spikes of blocks ``job0 .. job1-1`` (ascending) into ``spike_list[0]``
    from position ``first`` on and clear their flags; returns the position after the last."""
    row = neurons.spiked[0]
    lst = neurons.spike_list[0]
    cnt = first
    for job in range(job0, job1):
        left = job_spikes[job]
        if left == 0:
            continue
        p, b, blk = _locate(pops, np.int64(1), job)
        g = pops.start[p] + blk * BLOCK
        while left > 0:
            if row[g]:
                row[g] = 0
                lst[cnt] = g
                cnt += 1
                left -= 1
            g += 1
    return cnt


@kernel
def collect_sources(neurons, first_source, first):
    """One trial: append the spikes of the source ids (``first_source`` on) to ``spike_list[0]``
    from position ``first``, clear their flags and set ``spike_count[0]``."""
    row = neurons.spiked[0]
    lst = neurons.spike_list[0]
    cnt = first
    for g in range(first_source, row.shape[0]):
        if row[g]:
            row[g] = 0
            lst[cnt] = g
            cnt += 1
    neurons.spike_count[0] = cnt


@kernel
def collect_spikes(neurons):
    """Turn the ``spiked`` flags into ascending ``spike_list`` rows and clear the flags (eight
    flags at a time: most are 0)."""
    spiked = neurons.spiked
    n_all = spiked.shape[1]
    n8 = n_all // 8 * 8
    for b in range(spiked.shape[0]):
        cnt = 0
        row = spiked[b]
        words = row[:n8].view(np.uint64)
        lst = neurons.spike_list[b]
        for w in range(words.shape[0]):
            if words[w] == 0:
                continue
            for g in range(8 * w, 8 * w + 8):
                if row[g]:
                    lst[cnt] = g
                    cnt += 1
            words[w] = 0
        for g in range(n8, n_all):
            if row[g]:
                row[g] = 0
                lst[cnt] = g
                cnt += 1
        neurons.spike_count[b] = cnt
