"""Phases 2-4 of a step: take this step's arrivals from the ring buffer, integrate the
membrane, decay the receptors, threshold and reset.

Conductance-based LIF: exponential Euler with all conductances, the Mg2+ block and the
adaptation current taken at their start-of-step values (Brian2's ``exponential_euler``).
Current-based LIF: exact propagator for exponentially decaying currents (Rotter & Diesmann 1999).
Refractoriness as Brian2: not refractory when ``step - last_spike >= ref_steps``; a refractory
neuron keeps ``v`` (its receptors and adaptation still evolve) and cannot spike.

Work is split into blocks of at most ``BLOCK`` neurons of one population and one trial; the
threads of chunk.py each update a fixed range of blocks, and each neuron is written by exactly
one block, so the result does not depend on the number of threads.  Inside a block the loops are
branch-free passes over contiguous arrays, so that LLVM vectorises them (a population with two
plain receptor channels, the usual E/I case, takes a fused pass instead of one per channel).
All kernels are compiled by ``jit.kernel`` (cached, no reference counting: see jit.py).
"""

from ...state.arrays import KIND_LIF_COND, KIND_POISSON, KIND_ADEX
from .adex import adex_block
from .block_params import (at, slots, population_params, block_params, fire, threshold, fire_and_adapt,
                           spike_adaptation)
from .receptor_values import receptor_values, alpha_curr_values
from .fastexp import exp_block
from .jit import kernel

BLOCK = 512
PARALLEL_MIN_WORK = 14000  # neuron_work() below which threads cost more than they save (measured:
                           # COBA N=2000 gains from 2 threads, COBA N=1000 and CUBA N=4000 do not)
N_WORK = 5                 # float64 scratch rows per block


@kernel(inline="always", error_model="numpy")
def _fire_theta(neurons, b, g0, m, v_new, step, P):
    """Phase 4 for a block with the adaptive threshold (spec/neurons.py): ``theta`` decays
    exactly (also while refractory), the neuron fires when ``v_new > v_th + theta`` (the decayed
    theta), and ``theta_plus`` is added to the theta of each neuron that fired.  Returns the number
    of spikes."""
    vb = neurons.v[b, g0:g0 + m]
    lsb = neurons.last_spike[b, g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    thb = neurons.theta[b, g0:g0 + m]
    tpb = neurons.theta_plus[g0:g0 + m]
    dtb = neurons.decay_theta[g0:g0 + m]
    ref = P[4]
    v_th = P[2]
    v_reset = P[3]
    n_spk = 0
    for j in range(m):
        th = thb[j] * dtb[j]
        k = fire(vb, lsb, spb, j, v_new[j], step, at(ref, j), at(v_th, j) + th, at(v_reset, j))
        thb[j] = th + tpb[j] if k else th
        n_spk += k
    return n_spk


@kernel(inline="always", error_model="numpy")
def _cond_finish(p, b, g0, m, pops, neurons, step, X, E, bits, P, D, has_delta, theta):
    """The end of a conductance-based block, given ``X[:m]`` = v_inf = I/G (mV) and
    ``E[:m]`` = -dt G / c_m: exponential Euler v -> v_inf + (v - v_inf) exp(-dt G / c_m) (G and I
    frozen over the step), plus the jumps ``D[:m]`` (mV) of delta synapses when ``has_delta``,
    adaptation, threshold and reset (with the adaptive threshold when ``theta`` is not None).
    Returns the number of spikes."""
    exp_block(E, bits, m)
    vb = neurons.v[b, g0:g0 + m]
    for j in range(m):
        v_inf = X[j]
        X[j] = v_inf + (vb[j] - v_inf) * E[j]
    if has_delta:
        for j in range(m):
            X[j] += D[j]
    adapt = pops.has_adapt[p] != 0
    wb = neurons.w_adapt[b, g0:g0 + m]
    if adapt:
        a_ad = P[5]
        v_rest = P[1]
        decay_w = P[7]
        for j in range(m):
            wa = at(a_ad, j) * (vb[j] - at(v_rest, j))
            wb[j] = wa + (wb[j] - wa) * at(decay_w, j)
    if theta is not None:
        n_spk = _fire_theta(neurons, b, g0, m, X, step, P)
        if adapt and n_spk:
            spike_adaptation(neurons, b, g0, m, P)
        return n_spk
    return fire_and_adapt(neurons, b, g0, m, X, step, P, adapt)


@kernel(error_model="numpy")   # no zero-divisor branch: lets the loops vectorise
def _cond_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, theta):
    start = pops.start[p]
    n = pops.end[p] - start
    G = work[0]
    I = work[1]
    X = work[2]
    E = work[3]
    D = work[4]
    m = i1 - i0
    g0 = start + i0
    has_delta = False
    for c in range(pops.n_ch[p]):
        has_delta |= chans.delta[pops.ch_off[p] + c]
    if has_delta:
        for j in range(m):
            D[j] = 0.0
    vb = neurons.v[b, g0:g0 + m]
    wb = neurons.w_adapt[b, g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    g_leak = P[0]
    v_rest = P[1]
    for j in range(m):
        G[j] = at(g_leak, j)
        I[j] = at(g_leak, j) * at(v_rest, j) + ibb[j] + ieb[j] - wb[j]
    for c in range(pops.n_ch[p]):
        ch = pops.ch_off[p] + c
        s0 = pops.slot_off[p] + c * n + i0
        if not chans.has_rise[ch] and chans.cond[ch] and chans.mg[ch] < 0.0:
            # the common case (exponential conductance, no block): one fused loop
            gdb = neurons.g_decay[b, s0:s0 + m]
            rb = neurons.ring[b, cur, s0:s0 + m]
            norm = chans.norm[ch]
            dd = chans.decay_d[ch]
            e_rev = chans.e_rev[ch]
            if chans.direct[ch]:   # arrivals are already in the state (propagate.py)
                for j in range(m):
                    gval = gdb[j]
                    gdb[j] = gval * dd
                    G[j] += gval
                    I[j] += gval * e_rev
            else:
                for j in range(m):
                    gval = gdb[j] + rb[j] * norm
                    rb[j] = 0.0
                    gdb[j] = gval * dd
                    G[j] += gval
                    I[j] += gval * e_rev
            continue
        receptor_values(neurons, chans, ch, b, cur, s0, m, vb, X, E, bits)
        if chans.cond[ch]:
            e_rev = chans.e_rev[ch]
            for j in range(m):
                G[j] += X[j]
                I[j] += X[j] * e_rev
        elif chans.delta[ch]:
            for j in range(m):
                D[j] += X[j]
        else:
            for j in range(m):
                I[j] += X[j]
    dt_c_m = P[9]
    for j in range(m):
        E[j] = -at(dt_c_m, j) * G[j]
        X[j] = I[j] / G[j]
    return _cond_finish(p, b, g0, m, pops, neurons, step, X, E, bits, P, D, has_delta, theta)


@kernel(error_model="numpy")
def _curr_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, theta):
    start = pops.start[p]
    n = pops.end[p] - start
    m = i1 - i0
    D = work[0]
    X = work[2]
    for j in range(m):
        D[j] = 0.0
    for c in range(pops.n_ch[p]):
        ch = pops.ch_off[p] + c
        s0 = pops.slot_off[p] + c * n + i0
        # 1-D views of the block: simple address arithmetic in the loops below
        gdb = neurons.g_decay[b, s0:s0 + m]
        rb = neurons.ring[b, cur, s0:s0 + m]
        pdb = slots(neurons.prop_d, s0, m, P)
        norm = chans.norm[ch]
        dd = chans.decay_d[ch]
        if chans.has_rise[ch] and chans.couple[ch] > 0.0:   # alpha (delta: prop_d = 1, decay 0)
            alpha_curr_values(gdb, neurons.g_rise[b, s0:s0 + m], rb, D, pdb, slots(neurons.prop_r, s0, m, P), m,
                              norm, dd, chans.couple[ch])
        elif chans.has_rise[ch]:
            grb = neurons.g_rise[b, s0:s0 + m]
            prb = slots(neurons.prop_r, s0, m, P)
            dr = chans.decay_r[ch]
            if not chans.direct[ch]:
                for j in range(m):
                    x = rb[j] * norm
                    rb[j] = 0.0
                    gdb[j] += x
                    grb[j] += x
            for j in range(m):
                gd = gdb[j]
                gr = grb[j]
                D[j] += gd * at(pdb, j)
                D[j] -= gr * at(prb, j)
                gdb[j] = gd * dd
                grb[j] = gr * dr
        elif chans.direct[ch]:   # arrivals are already in the state (propagate.py)
            for j in range(m):
                gd = gdb[j]
                D[j] += gd * at(pdb, j)
                gdb[j] = gd * dd
        else:
            for j in range(m):
                gd = gdb[j] + rb[j] * norm
                rb[j] = 0.0
                D[j] += gd * at(pdb, j)
                gdb[j] = gd * dd
    g0 = start + i0
    vb = neurons.v[b, g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    v_rest = P[1]
    decay_m = P[8]
    g_leak = P[0]
    for j in range(m):
        pm = at(decay_m, j)
        r_in = (1.0 - pm) / at(g_leak, j)  # mV per pA held constant over the step
        X[j] = at(v_rest, j) + (vb[j] - at(v_rest, j)) * pm + (ibb[j] + ieb[j]) * r_in + D[j]
    if theta is not None:
        return _fire_theta(neurons, b, g0, m, X, step, P)
    lsb = neurons.last_spike[b, g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    return threshold(vb, lsb, spb, X, m, step, P)


def two_plain_channels_py(pops, chans, p, cond):
    """True when population ``p`` has exactly two receptor channels, both single-exponential,
    ``direct`` and without Mg2+ block, conductance-based if ``cond`` else current-based: the
    common E/I case that the fused loops below handle (one pass over the block, not five).
    Plain Python: compiled into the kernels below and called as is by :func:`neuron_paths`."""
    if pops.n_ch[p] != 2:
        return False
    for c in range(2):
        ch = pops.ch_off[p] + c
        if chans.has_rise[ch] or not chans.direct[ch] or chans.cond[ch] != cond:
            return False
        if cond and chans.mg[ch] >= 0.0:
            return False
    return True


_two_plain_channels = kernel(inline="always")(two_plain_channels_py)


def neuron_paths(pops, chans):
    """Which of the four block updates the neuron populations of a network take, and whether some
    population's parameters differ between its neurons, as the markers ``(use_cond, use_cond_fused,
    use_curr, use_curr_fused, use_per_neuron)`` of ``update_neurons``: ``True`` when some population
    takes that update (or has per-neuron values), ``None`` when none does (the update is then left
    out of the compiled code: see chunk.Phases), then ``use_adex`` (some population is AdEx:
    kernels/cpu/adex.py) and ``use_theta`` (some population has the adaptive threshold: it takes
    the unfused update with ``_fire_theta``).  Uniform populations take the updates with their
    parameters as scalars (the loops vectorise as they would with no per-neuron data: measured 1.3x
    and 1.15x faster on CUBA and COBA N=4000 than reading per-neuron arrays); the per-neuron
    variant of each update is compiled only for a network that needs it."""
    used = [None, None, None, None, None, None, None]
    for p in range(pops.kind.shape[0]):
        kind = int(pops.kind[p])
        if kind >= KIND_POISSON:   # a source
            continue
        if kind == KIND_ADEX:
            used[5] = True
            if not pops.uniform[p]:
                used[4] = True
            continue
        cond = kind == KIND_LIF_COND
        fused = bool(two_plain_channels_py(pops, chans, p, cond)) and not pops.has_theta[p]
        if pops.has_theta[p]:
            used[6] = True
        used[(0 if cond else 2) + (1 if fused else 0)] = True
        if not pops.uniform[p]:
            used[4] = True
    return tuple(used)


@kernel(inline="always")
def _two_channel_block(p, b, i0, i1, pops, neurons):
    """Where block ``i0:i1`` of population ``p`` (trial ``b``) lives for the fused updates below:
    (first global id, size, its two channels, their receptor states ``g_decay`` as 1-D views)."""
    n = pops.end[p] - pops.start[p]
    m = i1 - i0
    ch1 = pops.ch_off[p]
    s1 = pops.slot_off[p] + i0
    s2 = s1 + n
    return (pops.start[p] + i0, m, ch1, ch1 + 1, neurons.g_decay[b, s1:s1 + m],
            neurons.g_decay[b, s2:s2 + m])


@kernel(error_model="numpy")
def _cond_block_fused(p, b, i0, i1, pops, chans, neurons, step, dt, work, bits, P):
    """``_cond_block`` for two plain conductance channels: the same arithmetic in the same order
    (so the same bits), in two passes and one vectorised exp."""
    g0, m, ch1, ch2, gd1, gd2 = _two_channel_block(p, b, i0, i1, pops, neurons)
    dd1 = chans.decay_d[ch1]
    dd2 = chans.decay_d[ch2]
    e1 = chans.e_rev[ch1]
    e2 = chans.e_rev[ch2]
    g_leak = P[0]
    v_rest = P[1]
    dt_c_m = P[9]
    adapt = pops.has_adapt[p] != 0
    E = work[3]
    X = work[2]
    I0 = work[1]
    # the constant part of I: g_leak v_rest + i_bias + i_ext - w (terms that are 0 are skipped:
    # adding 0.0 does not change a sum)
    ibb = neurons.i_bias[g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    wb = neurons.w_adapt[b, g0:g0 + m]
    if pops.has_bias[p]:
        for j in range(m):
            I0[j] = at(g_leak, j) * at(v_rest, j) + ibb[j]
    else:
        for j in range(m):
            I0[j] = at(g_leak, j) * at(v_rest, j)
    if pops.has_ext[p]:
        for j in range(m):
            I0[j] += ieb[j]
    if adapt:
        for j in range(m):
            I0[j] -= wb[j]
    for j in range(m):
        g1 = gd1[j]
        g2 = gd2[j]
        gd1[j] = g1 * dd1
        gd2[j] = g2 * dd2
        G = (at(g_leak, j) + g1) + g2
        I = (I0[j] + g1 * e1) + g2 * e2
        E[j] = -at(dt_c_m, j) * G
        X[j] = I / G
    return _cond_finish(p, b, g0, m, pops, neurons, step, X, E, bits, P, X, False, None)


@kernel(error_model="numpy")
def _curr_block_fused(p, b, i0, i1, pops, chans, neurons, step, dt, work, bits, P):
    """``_curr_block`` for two plain current channels: same arithmetic, same order, in one pass
    (the update and ``threshold``'s select chain together)."""
    g0, m, ch1, ch2, gd1, gd2 = _two_channel_block(p, b, i0, i1, pops, neurons)
    dd1 = chans.decay_d[ch1]
    dd2 = chans.decay_d[ch2]
    s1 = pops.slot_off[p] + i0
    s2 = s1 + (pops.end[p] - pops.start[p])
    pd1 = slots(neurons.prop_d, s1, m, P)
    pd2 = slots(neurons.prop_d, s2, m, P)
    v_rest = P[1]
    decay_m = P[8]
    g_leak = P[0]
    X = work[2]
    vb = neurons.v[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    if pops.has_bias[p] or pops.has_ext[p]:
        for j in range(m):
            X[j] = (ibb[j] + ieb[j]) * ((1.0 - at(decay_m, j)) / at(g_leak, j))
    else:
        for j in range(m):
            X[j] = 0.0
    lsb = neurons.last_spike[b, g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    ref = P[4]
    v_th = P[2]
    v_reset = P[3]
    n_spk = 0
    for j in range(m):
        g1 = gd1[j]
        g2 = gd2[j]
        gd1[j] = g1 * dd1
        gd2[j] = g2 * dd2
        pm = at(decay_m, j)
        v_new = at(v_rest, j) + (vb[j] - at(v_rest, j)) * pm + X[j] + (g1 * at(pd1, j) + g2 * at(pd2, j))
        n_spk += fire(vb, lsb, spb, j, v_new, step, at(ref, j), at(v_th, j), at(v_reset, j))
    return n_spk


@kernel
def _locate(pops, batch, job):
    """(population, trial, block) of a job number."""
    rem = job
    for q in range(pops.kind.shape[0]):
        if pops.kind[q] >= KIND_POISSON:
            continue
        nb = (pops.end[q] - pops.start[q] + BLOCK - 1) // BLOCK
        if rem < batch * nb:
            b = rem // nb
            return q, b, rem - b * nb
        rem -= batch * nb
    return -1, 0, 0


@kernel(inline="always")
def _update_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, use_cond, use_cond_fused,
                  use_curr, use_curr_fused, use_adex, use_theta):
    """Block ``i0:i1`` of population ``p`` (trial ``b``) with parameters ``P`` (scalars or views)
    through the update its population takes; returns its number of spikes."""
    if use_adex is not None:
        if pops.kind[p] == KIND_ADEX:
            return adex_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P)
    if use_theta is not None:
        if pops.has_theta[p]:
            if pops.kind[p] == KIND_LIF_COND:
                return _cond_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, use_theta)
            return _curr_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, use_theta)
    if pops.kind[p] == KIND_LIF_COND:
        if use_cond_fused is not None:
            if _two_plain_channels(pops, chans, p, True):
                return _cond_block_fused(p, b, i0, i1, pops, chans, neurons, step, dt, work, bits, P)
        if use_cond is not None:
            return _cond_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, None)
        return 0
    if use_curr_fused is not None:
        if _two_plain_channels(pops, chans, p, False):
            return _curr_block_fused(p, b, i0, i1, pops, chans, neurons, step, dt, work, bits, P)
    if use_curr is not None:
        return _curr_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P, None)
    return 0



@kernel(inline="always")
def _run_job(job, pops, chans, neurons, step, dt, cur, batch, work, bits, use_cond, use_cond_fused, use_curr,
             use_curr_fused, use_per_neuron, use_adex, use_theta):
    """Update block ``job``; returns its number of spikes.  ``use_*`` (``True`` or ``None``, from
    :func:`neuron_paths`): an update whose marker is ``None`` is not compiled in; no population
    takes it."""
    p, b, blk = _locate(pops, batch, job)
    start = pops.start[p]
    n = pops.end[p] - start
    i0 = blk * BLOCK
    i1 = min(n, i0 + BLOCK)
    if pops.uniform[p]:
        return _update_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits,
                             population_params(neurons, start), use_cond, use_cond_fused, use_curr, use_curr_fused,
                             use_adex, use_theta)
    if use_per_neuron is not None:
        return _update_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits,
                             block_params(neurons, start + i0, i1 - i0), use_cond, use_cond_fused, use_curr,
                             use_curr_fused, use_adex, use_theta)
    return 0


def n_jobs_py(pops, batch):
    """Blocks of one population and one trial (at most ``BLOCK`` neurons each).  Plain Python:
    compiled into ``run_chunk`` as ``n_jobs`` and called as is by the backend."""
    total = 0
    for p in range(pops.kind.shape[0]):
        if pops.kind[p] < KIND_POISSON:
            total += batch * ((pops.end[p] - pops.start[p] + BLOCK - 1) // BLOCK)
    return total


n_jobs = kernel(inline="always")(n_jobs_py)


def neuron_work(pops, chans, batch):
    """Relative cost of one step's neuron update, in units of one receptor channel of one
    neuron (measured on the CUBA and COBA benchmarks: a current-based neuron with two channels
    costs about 3, a conductance-based one, with its exp and division, about 8; a rise
    component adds 1, a Mg2+ block 3)."""
    total = 0
    for p in range(pops.kind.shape[0]):
        if pops.kind[p] >= KIND_POISSON:
            continue
        adex = pops.kind[p] == KIND_ADEX   # an exp per neuron and one generic pass per channel (not measured)
        per = 8 if adex else 6 if pops.kind[p] == KIND_LIF_COND else 1
        for c in range(pops.n_ch[p]):
            ch = pops.ch_off[p] + c
            per += 2 if adex else 1
            if chans.has_rise[ch]:
                per += 1
            if chans.cond[ch] and chans.mg[ch] >= 0.0:
                per += 3
        total += batch * int(pops.end[p] - pops.start[p]) * per
    return total


@kernel
def update_neurons(pops, chans, neurons, step, dt, job0, job1, work, bits, job_spikes, use_cond, use_cond_fused,
                   use_curr, use_curr_fused, use_per_neuron, use_adex, use_theta):
    """Integrate blocks ``job0 .. job1-1`` (see ``n_jobs``) one step, in scratch ``work``
    (N_WORK x BLOCK floats) and ``bits`` (BLOCK int64); ``job_spikes[job]`` gets each block's
    number of spikes.  Returns their sum.  ``use_*``: see ``_run_job``."""
    batch = neurons.v.shape[0]
    cur = step % neurons.ring.shape[1]
    total = 0
    for job in range(job0, job1):
        k = _run_job(job, pops, chans, neurons, step, dt, cur, batch, work, bits, use_cond, use_cond_fused,
                     use_curr, use_curr_fused, use_per_neuron, use_adex, use_theta)
        job_spikes[job] = k
        total += k
    return total
