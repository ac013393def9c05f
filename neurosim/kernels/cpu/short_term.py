"""Tsodyks-Markram short-term plasticity (spec/short_term.py), per synapse, inside phase 5.

``propagate`` / ``propagate_owned`` (propagate.py) call :func:`short_term_range` for the synapses of
a spike's row in a projection with short-term plasticity (``ShortTerm.proj_row[q] >= 0``): each
synapse's state is advanced exactly over the time since its previous spike, updated by the spike,
and the weight times the transmitted fraction (``u x`` or ``delta``) is added where ``w`` would be
(the ring slot ``delay`` steps ahead, or the receptor state of a ``direct`` channel).  Every
synapse of a row spikes with its pre neuron, so all of them hold the same ``last`` step and the
propagators are computed once per call.  With several threads each synapse is updated by the one
thread that owns its target, exactly once per spike.
"""
from .jit import kernel
from .maths import tm2_factors, tm2_spike, tm3_factors, tm3_spike


@kernel(inline="always")
def _deliver(syn, ring, gdb, grb, q, k, cur, n_slots, x):
    """Add the amount ``x`` (nS or pA) of synapse ``k`` of projection ``q`` (see propagate._add_range)."""
    if syn.proj_direct[q]:
        a = x * syn.proj_norm[q]
        t = syn.proj_slot0[q] + syn.post[k]
        gdb[t] += a
        if syn.proj_rise[q]:
            grb[t] += a
        return
    sl = cur + syn.delay[k]
    if sl >= n_slots:
        sl -= n_slots
    ring[sl, syn.proj_slot0[q] + syn.post[k]] += x


@kernel
def short_term_range(syn, stp, b, ring, gdb, grb, q, ka, kb, cur, n_slots, wr, step):
    """Synapses ``ka..kb-1`` (one row) of projection ``q`` in trial ``b``: update, then deliver."""
    if kb <= ka:
        return
    r = stp.proj_row[q]
    off = stp.col_off[r] - stp.syn_off[r]
    u = stp.u[b]
    x = stp.x[b]
    last = stp.last[b]
    l0 = last[ka + off]
    big_u = stp.U[r]
    if stp.states[r] == 2:
        if l0 < 0:
            # the synapse's first spike: transmits w u0 x0 and changes nothing (NEST tsodyks2_synapse)
            for k in range(ka, kb):
                c = k + off
                last[c] = step
                _deliver(syn, ring, gdb, grb, q, k, cur, n_slots, wr[k] * (u[c] * x[c]))
            return
        e_rec, d_fac = tm2_factors((step - l0) * stp.dt[0], stp.tau_rec[r], stp.tau_facil[r])
        if syn.proj_direct[q] and not syn.proj_rise[q]:
            # the common case, a direct single-exponential channel: the delivery written out (a
            # loop without branches: 1.2-1.3x faster on COBA_TM_4000)
            norm = syn.proj_norm[q]
            t0 = syn.proj_slot0[q]
            for k in range(ka, kb):
                c = k + off
                xc, uc = tm2_spike(x[c], u[c], big_u, e_rec, d_fac)
                x[c] = xc
                u[c] = uc
                last[c] = step
                gdb[t0 + syn.post[k]] += (wr[k] * (xc * uc)) * norm
            return
        for k in range(ka, kb):
            c = k + off
            xc, uc = tm2_spike(x[c], u[c], big_u, e_rec, d_fac)
            x[c] = xc
            u[c] = uc
            last[c] = step
            _deliver(syn, ring, gdb, grb, q, k, cur, n_slots, wr[k] * (xc * uc))
        return
    # three states (Tsodyks, Uziel & Markram 2000; NEST tsodyks_synapse): exact propagation of
    # (x, y, z = 1 - x - y) and u over h, then the spike
    y = stp.y[b]
    p_yy, p_xz, p_xy, p_uu = tm3_factors((step - l0) * stp.dt[0], stp.tau_psc[r], stp.tau_rec[r], stp.tau_facil[r])
    for k in range(ka, kb):
        c = k + off
        xc, yc, uc, delta = tm3_spike(x[c], y[c], u[c], big_u, p_yy, p_xz, p_xy, p_uu)
        x[c] = xc
        y[c] = yc
        u[c] = uc
        last[c] = step
        _deliver(syn, ring, gdb, grb, q, k, cur, n_slots, wr[k] * delta)
