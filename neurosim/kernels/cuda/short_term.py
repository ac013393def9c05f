"""Device twin of kernels/cpu/short_term.py: the Tsodyks-Markram update of one synapse at a spike
(same formulas, same order), called by the propagation kernel's thread that walks the synapse, so
each synapse is updated by one thread.  The propagators are computed per synapse here (one row's
synapses are spread over the threads of a block)."""
import math

from numba import cuda


@cuda.jit(device=True, inline=True)
def _phi(c):
    """expm1(c)/c, 1 at c = 0 (c <= 0)."""
    if c > -1e-300:
        return 1.0
    return math.expm1(c) / c


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
        h = (step - l0) * stp.dt[0]
        e_rec = math.exp(-h / stp.tau_rec[r])
        d_fac = math.exp(-h / stp.tau_facil[r]) if stp.tau_facil[r] > 0.0 else 0.0
        xo = stp.x[b, c]
        uo = stp.u[b, c]
        xc = 1.0 + (xo - xo * uo - 1.0) * e_rec
        uc = big_u + uo * (1.0 - big_u) * d_fac
        stp.x[b, c] = xc
        stp.u[b, c] = uc
        return xc * uc
    h = (step - l0) * stp.dt[0]
    tau_p = stp.tau_psc[r]
    tau_r = stp.tau_rec[r]
    p_yy = math.exp(-h / tau_p)
    p_zz = math.exp(-h / tau_r)
    p_xz = -math.expm1(-h / tau_r)
    p_xy = -math.expm1(-h / tau_p) - (h / tau_p) * max(p_yy, p_zz) * _phi(-h * abs(1.0 / tau_p - 1.0 / tau_r))
    p_uu = math.exp(-h / stp.tau_facil[r]) if stp.tau_facil[r] > 0.0 else 0.0
    xc = stp.x[b, c]
    yc = stp.y[b, c]
    zc = 1.0 - xc - yc
    xc = xc + p_xy * yc + p_xz * zc
    yc = yc * p_yy
    uc = stp.u[b, c] * p_uu
    uc = uc + big_u * (1.0 - uc)
    delta = uc * xc
    stp.x[b, c] = xc - delta
    stp.y[b, c] = yc + delta
    stp.u[b, c] = uc
    return delta
