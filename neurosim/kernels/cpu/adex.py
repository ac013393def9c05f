"""Phases 2-4 of a step for one block of adaptive exponential IF neurons (spec/adex.py; Brette &
Gerstner 2005): the receptors give their start-of-step values and are advanced exactly
(receptor_values.py, as for the LIF models), then ``v`` and ``w`` take one forward-Euler step from
their start-of-step values (the scheme Brian2 chooses for these equations)::

    I   = g_leak (v_rest - v) + g_leak delta_t exp((min(v, v_peak) - v_t)/delta_t)
          + sum_r g_r (e_r - v) + sum_c I_c + i_bias + i_ext - w
    v' = v + (dt/c_m) I (+ the jumps of delta synapses, mV)
    w' = w + (dt/tau_w) (a (v - v_rest) - w)

then threshold ``v' > v_peak``, reset ``v <- v_reset``, ``w <- w' + b`` and refractoriness exactly
as the LIF blocks (block_params.threshold: a neuron is active when ``step - last_spike >=
ref_steps``; while refractory ``v`` is held, its delta arrivals are discarded, ``w`` evolves).
``delta_t = 0`` gives no exponential term (its argument is set to -inf, exp gives 0).
The exponential is the vectorised exp of fastexp.py (bit for bit the CUDA twin's)."""
import math

from .block_params import at, fire_and_adapt
from .fastexp import exp_block
from .jit import kernel
from .receptor_values import receptor_values


@kernel(error_model="numpy")
def adex_block(p, b, i0, i1, pops, chans, neurons, step, dt, cur, work, bits, P):
    """Block ``i0:i1`` of AdEx population ``p`` (trial ``b``), parameters ``P`` (scalars or
    per-neuron views: block_params.py, AdEx's ``v_t``, ``delta_t``, ``dt_tau_w`` at 10-12);
    ``work`` rows: 0 synaptic current (pA), 2 receptor values, 3 exponential term, 4 delta jumps.
    Returns the number of spikes."""
    start = pops.start[p]
    n = pops.end[p] - start
    m = i1 - i0
    g0 = start + i0
    S = work[0]
    X = work[2]
    E = work[3]
    D = work[4]
    vb = neurons.v[b, g0:g0 + m]
    wb = neurons.w_adapt[b, g0:g0 + m]
    ieb = neurons.i_ext[b, g0:g0 + m]
    ibb = neurons.i_bias[g0:g0 + m]
    has_delta = False
    for c in range(pops.n_ch[p]):
        has_delta |= chans.delta[pops.ch_off[p] + c]
    for j in range(m):
        S[j] = 0.0
    if has_delta:
        for j in range(m):
            D[j] = 0.0
    for c in range(pops.n_ch[p]):
        ch = pops.ch_off[p] + c
        s0 = pops.slot_off[p] + c * n + i0
        if chans.direct[ch] and chans.cond[ch] and not chans.has_rise[ch] and chans.mg[ch] < 0.0:
            # the common case (exponential conductance, arrivals already in the state): the same
            # arithmetic as receptor_values + the sum below, in one pass
            gdb = neurons.g_decay[b, s0:s0 + m]
            dd = chans.decay_d[ch]
            e_rev = chans.e_rev[ch]
            for j in range(m):
                gval = gdb[j]
                gdb[j] = gval * dd
                S[j] += gval * (e_rev - vb[j])
            continue
        receptor_values(neurons, chans, ch, b, cur, s0, m, vb, X, E, bits)
        if chans.cond[ch]:
            e_rev = chans.e_rev[ch]
            for j in range(m):
                S[j] += X[j] * (e_rev - vb[j])
        elif chans.delta[ch]:
            for j in range(m):
                D[j] += X[j]
        else:
            for j in range(m):
                S[j] += X[j]
    g_leak = P[0]
    v_rest = P[1]
    v_peak = P[2]
    dt_c_m = P[9]
    v_t = P[10]
    delta_t = P[11]
    for j in range(m):
        dlt = at(delta_t, j)
        x = (min(vb[j], at(v_peak, j)) - at(v_t, j)) / dlt
        E[j] = x if dlt > 0.0 else -math.inf
    exp_block(E, bits, m)
    for j in range(m):
        v = vb[j]
        gl = at(g_leak, j)
        i_tot = gl * (at(v_rest, j) - v) + gl * at(delta_t, j) * E[j] + S[j] + ibb[j] + ieb[j] - wb[j]
        X[j] = v + at(dt_c_m, j) * i_tot
    if has_delta:
        for j in range(m):
            X[j] += D[j]
    adapt = pops.has_adapt[p] != 0
    if adapt:
        a_ad = P[5]
        dt_tau_w = P[12]
        for j in range(m):
            w = wb[j]
            wb[j] = w + at(dt_tau_w, j) * (at(a_ad, j) * (vb[j] - at(v_rest, j)) - w)
    return fire_and_adapt(neurons, b, g0, m, X, step, P, adapt)
