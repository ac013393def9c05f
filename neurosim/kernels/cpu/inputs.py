"""Phase 1 of a step: schedules, injected currents, Poisson drive, Poisson sources, generators."""
import numpy as np

from ...state.arrays import KIND_POISSON, DRIVE_DECAY, DRIVE_RISE
from .jit import kernel
from ..scalar import STREAM_POISSON, STREAM_DRIVE
from .maths import advanced_pointer, step_base, uniform_at, binomial_at, binomial_p0, table_value
from .sources import renewal_sources, generated_currents


@kernel
def advance_tables(tables, step):
    """Move each schedule's pointer to the last change point at or before ``step``."""
    for t in range(tables.k_n.shape[0]):
        tables.ptr[t] = advanced_pointer(tables, t, step)


@kernel
def inject_currents(inputs, tables, neurons, key, step, dt):
    """Set ``i_ext`` (pA) for this step from every current injection (rebuilt only in the
    steps where one of their schedules changes value; every step when the network has
    sinusoidal or noisy currents, which are added last: sources.generated_currents)."""
    n_cur = inputs.cur_table.shape[0]
    generated = inputs.ac_win.shape[0] + inputs.nz_win.shape[0] > 0
    if n_cur == 0 and not generated:
        return
    moved = generated
    for c in range(n_cur):
        ptr = tables.ptr[inputs.cur_table[c]]
        if ptr != inputs.cur_seen[c]:
            inputs.cur_seen[c] = ptr
            moved = True
    if not moved:   # every current schedule holds its value: i_ext is still right
        return
    i_ext = neurons.i_ext
    i_ext[:, :] = 0.0
    for c in range(n_cur):
        t = inputs.cur_table[c]
        a = inputs.cur_idx_off[c]
        e = inputs.cur_idx_off[c + 1]
        for b in range(i_ext.shape[0]):
            for j in range(e - a):
                i_ext[b, inputs.cur_idx[a + j]] += table_value(tables, t, b, j)
    if generated:
        generated_currents(inputs, neurons, key, step, dt)


@kernel
def poisson_drive(inputs, tables, pops, neurons, chans, key, step, dt, lo, hi):
    """Add Binomial(n_sources, rate*dt) events times the weight to each target's receptor, for the
    targets ``lo[p] .. hi[p]-1`` of each population ``p`` (local indices; under MPI a process's own
    neurons).  Each target's draw depends on (seed, step, target) only, not on the range."""
    for d in range(inputs.drv_table.shape[0]):
        t = inputs.drv_table[d]
        p = inputs.drv_pop[d]
        n = pops.end[p] - pops.start[p]
        i0 = lo[p]
        i1 = hi[p]
        slot0 = inputs.drv_slot[d]
        nsrc = inputs.drv_nsrc[d]
        wn = inputs.drv_w[d] * inputs.drv_norm[d]
        base = step_base(key, STREAM_DRIVE + d, step)
        rise = inputs.drv_rise[d]
        p_last = -1.0     # P(0 events) is recomputed only when the probability changes
        p0 = 0.0
        for b in range(neurons.g_decay.shape[0]):
            for i in range(i0, i1):
                prob = table_value(tables, t, b, i) * dt * 1e-3
                if prob != p_last and 0.0 < prob < 1.0:
                    p0 = binomial_p0(nsrc, prob)
                    p_last = prob
                k = binomial_at(base, b * n + i, nsrc, prob, p0)
                if k > 0:
                    if rise != DRIVE_RISE:
                        neurons.g_decay[b, slot0 + i] += k * wn
                    if rise != DRIVE_DECAY:
                        neurons.g_rise[b, slot0 + i] += k * wn


@kernel
def source_spikes(pops, tables, inputs, neurons, key, step, dt):
    """Mark the spikes of Poisson sources and spike generators in ``neurons.spiked``."""
    spiked = neurons.spiked
    for p in range(pops.kind.shape[0]):
        if pops.kind[p] != KIND_POISSON:
            continue
        t = pops.table[p]
        start = pops.start[p]
        n = pops.end[p] - start
        base = step_base(key, STREAM_POISSON + p, step)
        k = tables.ptr[t]
        if k < 0:
            continue
        nb = tables.nb[t]
        width = tables.width[t]
        scale = dt * 1e-3
        for b in range(spiked.shape[0]):
            row = tables.v_off[t] + (k * nb + (b if nb > 1 else 0)) * width
            for i in range(n):
                prob = tables.vals[row + (i if width > 1 else 0)] * scale
                if prob > 0.0 and uniform_at(base, b * n + i) < prob:
                    spiked[b, start + i] = 1
    ptr = inputs.gen_ptr[0]
    n_gen = inputs.gen_step.shape[0]
    while ptr < n_gen and inputs.gen_step[ptr] < step:
        ptr += 1
    while ptr < n_gen and inputs.gen_step[ptr] == step:
        tr = inputs.gen_trial[ptr]
        if tr < 0:
            for b in range(spiked.shape[0]):
                spiked[b, inputs.gen_id[ptr]] = 1
        else:
            spiked[tr, inputs.gen_id[ptr]] = 1
        ptr += 1
    inputs.gen_ptr[0] = ptr
    if inputs.rs_pop.shape[0] > 0:
        renewal_sources(inputs, pops, neurons, key, step)
