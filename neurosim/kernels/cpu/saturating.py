"""Saturating NMDA kinetics (Wang 2002, Neuron 36:955), kept per presynaptic neuron.

For each presynaptic neuron ``i`` of a group (state/arrays.py, ``Saturating``)::

    dx/dt = -x / tau_rise + sum_k delta(t - t_k - delay)
    ds/dt = -s / tau_decay + alpha x (1 - s)

and every target ``j`` of a saturating projection receives the conductance
``g_j = sum_i w_ij s_i`` (nS; the Mg2+ block of the receptor is applied by the neuron update).

One step (phase 2 of DESIGN.md, run before the neuron update and the state monitors):

1. ``x += `` this step's arrivals (spikes from ``delay`` steps ago);
2. ``g_j += w_ij s_i`` with the start-of-step ``s``, into the receptor state ``g_decay``, which
   the neuron update reads and clears (the channel's decay factor is 0);
3. ``s`` and ``x`` advance one step by exponential Euler with ``x`` frozen at its start-of-step
   value (Brian2's ``exponential_euler``; exact for ``x``):
   ``s <- s_inf + (s - s_inf) exp(-dt (1/tau_decay + alpha x))``, ``s_inf = alpha x / (1/tau_decay + alpha x)``,
   ``x <- x exp(-dt/tau_rise)``.

A spike stamped at step ``k`` (delay ``d`` steps) raises ``x`` at step ``k + d``; ``s`` reflects it
from step ``k + d + 1`` on (Brian2: ``on_pre: x += 1`` with delay ``(d-1) dt``, ``s`` summed into
the target before the groups are integrated).

``saturating_arrivals`` (phase 5) puts this step's spikes into ``x_ring``.  Projections add in
projection order and, within one, in ascending presynaptic order, so the sums do not depend on
the number of threads; a projection with one weight adds ``w * sum_i s_i`` (``s_sum``, summed in
ascending order) to each target instead, which costs n_pre + n_post instead of n_pre * n_post.
"""
from .jit import kernel
from .maths import nmda_gating_step


@kernel(inline="always")
def _sum_gating(sat, b):
    """``s_sum[b, q]``: the sum of ``s`` over group ``q`` (ascending)."""
    sb = sat.s[b]
    for q in range(sat.grp_off.shape[0]):
        o = sat.grp_off[q]
        total = 0.0
        for i in range(o, o + sat.grp_n[q]):
            total += sb[i]
        sat.s_sum[b, q] = total


@kernel(inline="always")
def _add_gating(sat, syn, b, gdb):
    """Step 2: add ``w_ij s_i`` of every saturating projection into ``gdb`` (slots of trial
    ``b``); needs ``s_sum`` of this step."""
    sb = sat.s[b]
    wr = syn.w[0 if syn.w.shape[0] == 1 else b]
    for k in range(sat.proj.shape[0]):
        blk = sat.proj[k]
        q = sat.proj_grp[k]
        base = syn.proj_syn_off[blk]
        rp = syn.proj_rp_off[blk]
        if sat.proj_uniform[k]:
            x = wr[base] * sat.s_sum[b, q]
            t0 = syn.proj_slot0[blk]
            n_post = syn.row_ptr[rp + 1] - syn.row_ptr[rp]
            for t in range(t0, t0 + n_post):
                gdb[t] += x
            continue
        o = sat.grp_off[q]
        for i in range(sat.grp_n[q]):
            si = sb[o + i]
            if si == 0.0:
                continue
            k0 = base + syn.row_ptr[rp + i]
            k1 = base + syn.row_ptr[rp + i + 1]
            if syn.proj_dense[blk]:
                t0 = syn.proj_slot0[blk] - k0
                for kk in range(k0, k1):
                    gdb[t0 + kk] += wr[kk] * si
            else:
                t0 = syn.proj_slot0[blk]
                for kk in range(k0, k1):
                    gdb[t0 + syn.post[kk]] += wr[kk] * si


@kernel(error_model="numpy")
def saturating_step(sat, syn, neurons, step, dt):
    """Steps 1-3 of the module docstring for every trial and group."""
    cur = step % sat.x_ring.shape[1]
    for b in range(sat.x.shape[0]):
        xb = sat.x[b]
        sb = sat.s[b]
        arrive = sat.x_ring[b, cur]
        for i in range(xb.shape[0]):
            xb[i] += arrive[i]
            arrive[i] = 0.0
        _sum_gating(sat, b)
        _add_gating(sat, syn, b, neurons.g_decay[b])
        for q in range(sat.grp_off.shape[0]):
            o = sat.grp_off[q]
            k_d = sat.grp_k_decay[q]
            alpha = sat.grp_alpha[q]
            dx = sat.grp_decay_x[q]
            for i in range(o, o + sat.grp_n[q]):
                sb[i] = nmda_gating_step(sb[i], xb[i], alpha, k_d, dt)
                xb[i] *= dx


@kernel(python=True)
def gating_conductance(sat, syn, out):
    """``out[b, slot] += sum_i w_ij s_i`` for the targets of the saturating projections: the
    conductance (nS, before the Mg2+ block) they receive at the start of the next step
    (for ``Network.get``)."""
    for b in range(sat.s.shape[0]):
        _sum_gating(sat, b)
        _add_gating(sat, syn, b, out[b])


@kernel
def saturating_arrivals(pops, sat, neurons, step):
    """Phase 5 for the saturating groups: each spike of this step adds 1 to its neuron's ``x``
    ``delay`` steps ahead."""
    n_slots = sat.x_ring.shape[1]
    for b in range(neurons.spike_count.shape[0]):
        p = 0
        for s in range(neurons.spike_count[b]):
            g = neurons.spike_list[b, s]
            while g >= pops.end[p]:
                p += 1
            for q in range(sat.pop_grp_ptr[p], sat.pop_grp_ptr[p + 1]):
                sl = (step + sat.grp_delay[q]) % n_slots
                sat.x_ring[b, sl, sat.grp_off[q] + g - sat.grp_pre_start[q]] += 1.0
