"""Phases 2-4 of a step: take this step's arrivals from the ring buffer, integrate the
membrane, decay the receptors, threshold and reset.

Conductance-based LIF: exponential Euler with all conductances, the Mg2+ block and the
adaptation current taken at their start-of-step values (Brian2's ``exponential_euler``).
Current-based LIF: exact propagator for exponentially decaying currents (Rotter & Diesmann 1999).
Refractoriness as Brian2: not refractory when ``step - last_spike >= ref_steps``; a refractory
neuron keeps ``v`` (its receptors and adaptation still evolve) and cannot spike.

Work is split into blocks of at most ``BLOCK`` neurons of one population and one trial; blocks
run in parallel (``prange``) and each neuron is written by exactly one block, so the result does
not depend on the number of threads.  Inside a block the loops run channel by channel so that
they vectorise.
"""
import numpy as np
from numba import njit, prange

BLOCK = 512
PARALLEL_MIN_WORK = 2048   # trials x neurons below which threads cost more than they save


@njit(cache=True, inline="always")
def _take_arrivals(neurons, chans, ch, b, s0, i0, i1, cur):
    """Move the ring-buffer slot ``cur`` of channel ``ch`` into the receptor state."""
    ring = neurons.ring
    gd = neurons.g_decay
    gr = neurons.g_rise
    norm = chans.norm[ch]
    if chans.has_rise[ch]:
        for i in range(i0, i1):
            x = ring[b, cur, s0 + i] * norm
            ring[b, cur, s0 + i] = 0.0
            gd[b, s0 + i] += x
            gr[b, s0 + i] += x
    else:
        for i in range(i0, i1):
            gd[b, s0 + i] += ring[b, cur, s0 + i] * norm
            ring[b, cur, s0 + i] = 0.0


@njit(cache=True)
def _cond_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, G, I):
    start = pops.start[p]
    n = pops.end[p] - start
    g_leak = pops.g_leak[p]
    v_rest = pops.v_rest[p]
    a_ad = pops.a[p]
    b_ad = pops.b[p]
    adapt = a_ad > 0.0 or b_ad > 0.0
    v = neurons.v
    gd = neurons.g_decay
    gr = neurons.g_rise
    m = i1 - i0
    g0 = start + i0
    vb = v[b, g0:g0 + m]
    wb = neurons.w_adapt[b, g0:g0 + m]
    lsb = neurons.last_spike[b, g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    for j in range(m):
        G[j] = g_leak
        I[j] = g_leak * v_rest + ibb[j] + ieb[j] - wb[j]
    ring = neurons.ring
    for c in range(pops.n_ch[p]):
        ch = pops.ch_off[p] + c
        s0 = pops.slot_off[p] + c * n + i0
        dd = chans.decay_d[ch]
        cond = chans.cond[ch]
        e_rev = chans.e_rev[ch]
        mg = chans.mg[ch]
        norm = chans.norm[ch]
        if not chans.has_rise[ch] and cond and mg < 0.0:
            # the common case (exponential conductance, no block): a branch-free loop over 1-D views
            gdb = gd[b, s0:s0 + m]
            rb = ring[b, cur, s0:s0 + m]
            for j in range(m):
                gval = gdb[j] + rb[j] * norm
                rb[j] = 0.0
                gdb[j] = gval * dd
                G[j] += gval
                I[j] += gval * e_rev
            continue
        _take_arrivals(neurons, chans, ch, b, s0 - i0, i0, i1, cur)
        if chans.has_rise[ch]:
            dr = chans.decay_r[ch]
            for j in range(m):
                s = s0 + j
                gval = gd[b, s] - gr[b, s]
                gd[b, s] *= dd
                gr[b, s] *= dr
                if cond:
                    if mg >= 0.0:
                        gval = gval / (1.0 + mg * (1.0 / 3.57) * np.exp(-0.062 * v[b, start + i0 + j]))
                    G[j] += gval
                    I[j] += gval * e_rev
                else:
                    I[j] += gval
        else:
            for j in range(m):
                s = s0 + j
                gval = gd[b, s]
                gd[b, s] = gval * dd
                if cond:
                    if mg >= 0.0:
                        gval = gval / (1.0 + mg * (1.0 / 3.57) * np.exp(-0.062 * v[b, start + i0 + j]))
                    G[j] += gval
                    I[j] += gval * e_rev
                else:
                    I[j] += gval
    v_th = pops.v_th[p]
    v_reset = pops.v_reset[p]
    ref = pops.ref_steps[p]
    k_m = -dt / pops.c_m[p]
    decay_w = pops.decay_w[p]
    for j in range(m):
        v0 = vb[j]
        if adapt:
            wa = a_ad * (v0 - v_rest)
            wb[j] = wa + (wb[j] - wa) * decay_w
        if step - lsb[j] >= ref:
            v_inf = I[j] / G[j]
            v1 = v_inf + (v0 - v_inf) * np.exp(k_m * G[j])
            if v1 > v_th:
                v1 = v_reset
                lsb[j] = step
                spb[j] = 1
                if adapt:
                    wb[j] += b_ad
            vb[j] = v1


@njit(cache=True)
def _curr_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, D):
    start = pops.start[p]
    n = pops.end[p] - start
    m = i1 - i0
    for j in range(m):
        D[j] = 0.0
    for c in range(pops.n_ch[p]):
        ch = pops.ch_off[p] + c
        s0 = pops.slot_off[p] + c * n + i0
        # 1-D views of the block: simple address arithmetic in the loops below
        gdb = neurons.g_decay[b, s0:s0 + m]
        rb = neurons.ring[b, cur, s0:s0 + m]
        norm = chans.norm[ch]
        pd = chans.prop_d[ch]
        dd = chans.decay_d[ch]
        if chans.has_rise[ch]:
            grb = neurons.g_rise[b, s0:s0 + m]
            pr = chans.prop_r[ch]
            dr = chans.decay_r[ch]
            for j in range(m):
                x = rb[j] * norm
                rb[j] = 0.0
                gd = gdb[j] + x
                gr = grb[j] + x
                D[j] += gd * pd
                D[j] -= gr * pr
                gdb[j] = gd * dd
                grb[j] = gr * dr
        else:
            for j in range(m):
                gd = gdb[j] + rb[j] * norm
                rb[j] = 0.0
                D[j] += gd * pd
                gdb[j] = gd * dd
    v_rest = pops.v_rest[p]
    v_th = pops.v_th[p]
    v_reset = pops.v_reset[p]
    ref = pops.ref_steps[p]
    pm = pops.decay_m[p]
    r_in = (1.0 - pm) / pops.g_leak[p]  # mV per pA held constant over the step
    g0 = start + i0
    vb = neurons.v[b, g0:g0 + m]
    lsb = neurons.last_spike[b, g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    for j in range(m):
        if step - lsb[j] >= ref:
            v1 = v_rest + (vb[j] - v_rest) * pm + (ibb[j] + ieb[j]) * r_in + D[j]
            if v1 > v_th:
                v1 = v_reset
                lsb[j] = step
                spb[j] = 1
            vb[j] = v1


@njit(cache=True)
def _n_jobs(pops, batch):
    total = 0
    for p in range(pops.kind.shape[0]):
        if pops.kind[p] <= 1:
            total += batch * ((pops.end[p] - pops.start[p] + BLOCK - 1) // BLOCK)
    return total


@njit(cache=True)
def _locate(pops, batch, job):
    """(population, trial, block) of a job number."""
    rem = job
    for q in range(pops.kind.shape[0]):
        if pops.kind[q] > 1:
            continue
        nb = (pops.end[q] - pops.start[q] + BLOCK - 1) // BLOCK
        if rem < batch * nb:
            b = rem // nb
            return q, b, rem - b * nb
        rem -= batch * nb
    return -1, 0, 0


@njit(cache=True)
def _run_job(job, pops, chans, neurons, step, dt, cur, batch, tmp1, tmp2):
    p, b, blk = _locate(pops, batch, job)
    n = pops.end[p] - pops.start[p]
    i0 = blk * BLOCK
    i1 = min(n, i0 + BLOCK)
    if pops.kind[p] == 0:
        _cond_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, tmp1, tmp2)
    else:
        _curr_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, tmp1)


@njit(cache=True, parallel=True)
def _update_parallel(pops, chans, neurons, step, dt, n_jobs):
    batch = neurons.v.shape[0]
    cur = step % neurons.ring.shape[1]
    for job in prange(n_jobs):
        tmp1 = np.empty(BLOCK)
        tmp2 = np.empty(BLOCK)
        _run_job(np.int64(job), pops, chans, neurons, step, dt, cur, batch, tmp1, tmp2)


@njit(cache=True)
def update_neurons(pops, chans, neurons, step, dt, tmp1, tmp2):
    """Integrate every neuron population one step.  With at least ``PARALLEL_MIN_WORK`` neuron
    updates (over all trials) the blocks run in parallel threads, else serially (no thread
    synchronisation per step)."""
    batch = neurons.v.shape[0]
    n_jobs = _n_jobs(pops, batch)
    if n_jobs >= 2 and batch * neurons.v.shape[1] >= PARALLEL_MIN_WORK:
        _update_parallel(pops, chans, neurons, step, dt, n_jobs)
    else:
        cur = step % neurons.ring.shape[1]
        for job in range(n_jobs):
            _run_job(job, pops, chans, neurons, step, dt, cur, batch, tmp1, tmp2)


@njit(cache=True)
def collect_spikes(neurons):
    """Turn the ``spiked`` flags into ascending ``spike_list`` rows and clear the flags."""
    spiked = neurons.spiked
    for b in range(spiked.shape[0]):
        cnt = 0
        row = spiked[b]
        lst = neurons.spike_list[b]
        for g in range(row.shape[0]):
            if row[g]:
                row[g] = 0
                lst[cnt] = g
                cnt += 1
        neurons.spike_count[b] = cnt
