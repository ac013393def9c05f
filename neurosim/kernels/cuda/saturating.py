"""Device twin of kernels/cpu/saturating.py (Wang 2002 saturating NMDA gating), in three
launches per step: (1) one thread per (trial, group) takes the arrivals into ``x`` and sums ``s``
in ascending order (the CPU's order); (2) one thread per (trial, projection, presynaptic neuron)
adds ``w s`` into its targets (atomically: several projections may share a target); (3) one
thread per (trial, presynaptic neuron) advances ``s`` and ``x`` with the same arithmetic as the
CPU.  Atomic adds make the order of a target's sum, and so its last bits, order-dependent."""
from numba import cuda

from .inputs import THREADS, blocks
from .maths import nmda_gating_step


@cuda.jit
def _take_and_sum(sat, step):
    t = cuda.grid(1)
    n_grp = sat.grp_off.shape[0]
    if t >= sat.x.shape[0] * n_grp:
        return
    b = t // n_grp
    q = t - b * n_grp
    cur = step % sat.x_ring.shape[1]
    o = sat.grp_off[q]
    total = 0.0
    for i in range(o, o + sat.grp_n[q]):
        sat.x[b, i] += sat.x_ring[b, cur, i]
        sat.x_ring[b, cur, i] = 0.0
        total += sat.s[b, i]
    sat.s_sum[b, q] = total


@cuda.jit
def _add_gating(sat, syn, neurons, width):
    """Thread ``(b, k, i)``: pre neuron ``i`` of saturating projection ``k`` (``width`` = the
    largest group); a projection with one weight adds ``w * s_sum`` to its ``i``-th target."""
    t = cuda.grid(1)
    n_sp = sat.proj.shape[0]
    if t >= sat.x.shape[0] * n_sp * width:
        return
    b = t // (n_sp * width)
    r = t - b * n_sp * width
    k = r // width
    i = r - k * width
    blk = sat.proj[k]
    q = sat.proj_grp[k]
    wrow = 0 if syn.w.shape[0] == 1 else b
    base = syn.proj_syn_off[blk]
    rp = syn.proj_rp_off[blk]
    if sat.proj_uniform[k]:
        n_post = syn.row_ptr[rp + 1] - syn.row_ptr[rp]
        x = syn.w[wrow, base] * sat.s_sum[b, q]
        for j in range(i, n_post, width):
            cuda.atomic.add(neurons.g_decay, (b, syn.proj_slot0[blk] + j), x)
        return
    if i >= sat.grp_n[q]:
        return
    si = sat.s[b, sat.grp_off[q] + i]
    if si == 0.0:
        return
    for kk in range(base + syn.row_ptr[rp + i], base + syn.row_ptr[rp + i + 1]):
        cuda.atomic.add(neurons.g_decay, (b, syn.proj_slot0[blk] + int(syn.post[kk])), syn.w[wrow, kk] * si)


@cuda.jit
def _advance(sat, dt):
    """Thread (b, i): the gating ``s`` and the rise variable ``x`` of saturating neuron ``i`` advance one step."""
    t = cuda.grid(1)
    n_sat = sat.x.shape[1]
    if t >= sat.x.shape[0] * n_sat:
        return
    b = t // n_sat
    i = t - b * n_sat
    q = 0
    while i >= sat.grp_off[q] + sat.grp_n[q]:
        q += 1
    sat.s[b, i] = nmda_gating_step(sat.s[b, i], sat.x[b, i], sat.grp_alpha[q], sat.grp_k_decay[q], dt)
    sat.x[b, i] *= sat.grp_decay_x[q]


@cuda.jit
def _arrivals(pops, sat, neurons, step):
    t = cuda.grid(1)
    nt = neurons.spike_list.shape[1]
    if t >= neurons.spike_list.shape[0] * nt:
        return
    b = t // nt
    s = t - b * nt
    if s >= neurons.spike_count[b]:
        return
    g = neurons.spike_list[b, s]
    p = 0
    while g >= pops.end[p]:
        p += 1
    for q in range(sat.pop_grp_ptr[p], sat.pop_grp_ptr[p + 1]):
        sl = (step + sat.grp_delay[q]) % sat.x_ring.shape[1]
        sat.x_ring[b, sl, sat.grp_off[q] + g - sat.grp_pre_start[q]] += 1.0   # one spike per neuron and step


def saturating_step(sat, syn, neurons, step, dt, sizes):
    """``sizes`` = (batch, n_groups, n_projections, widest group or target count, n_sat): host-side."""
    batch, n_grp, n_sp, width, n_sat = sizes
    _take_and_sum[blocks(batch * n_grp), THREADS](sat, step)
    _add_gating[blocks(batch * n_sp * width), THREADS](sat, syn, neurons, width)
    _advance[blocks(batch * n_sat), THREADS](sat, dt)


def saturating_arrivals(pops, sat, neurons, step, n_total):
    batch = neurons.spike_count.shape[0]
    _arrivals[blocks(batch * n_total), THREADS](pops, sat, neurons, step)
