"""Device twin of kernels/cpu/short_term.py: the Tsodyks-Markram update of one synapse at a spike
(same formulas, same order), called by the propagation kernel's thread that walks the synapse, so
each synapse is updated by one thread.  The propagators are computed per synapse here (one row's
synapses are spread over the threads of a block)."""
from numba import cuda

from .maths import tm2_factors, tm2_spike, tm3_factors, tm3_spike


@cuda.jit(device=True)
def short_term_amount(stp, b, q, k, step):
    """Advance synapse ``k`` of projection ``q`` (trial ``b``) to this spike, apply it, and return the
    fraction of ``w`` it transmits (``u x``, or ``delta`` with three states)."""
    r = stp.proj_row[q]
    c = k - stp.syn_off[r] + stp.col_off[r]
    l0 = stp.last[b, c]
    stp.last[b, c] = step
    big_u = stp.U[r]
    if stp.states[r] == 2:
        if l0 < 0:
            return stp.u[b, c] * stp.x[b, c]
        e_rec, d_fac = tm2_factors((step - l0) * stp.dt[0], stp.tau_rec[r], stp.tau_facil[r])
        xc, uc = tm2_spike(stp.x[b, c], stp.u[b, c], big_u, e_rec, d_fac)
        stp.x[b, c] = xc
        stp.u[b, c] = uc
        return xc * uc
    p_yy, p_xz, p_xy, p_uu = tm3_factors((step - l0) * stp.dt[0], stp.tau_psc[r], stp.tau_rec[r], stp.tau_facil[r])
    xc, yc, uc, delta = tm3_spike(stp.x[b, c], stp.y[b, c], stp.u[b, c], big_u, p_yy, p_xz, p_xy, p_uu)
    stp.x[b, c] = xc
    stp.y[b, c] = yc
    stp.u[b, c] = uc
    return delta
