"""Device twin of kernels/cpu/neurons.py: one thread per (trial, neuron), the same arithmetic in
the same order; a spiking neuron appends itself to its trial's spike list (atomic counter)."""

from numba import cuda

from ...state.arrays import KIND_LIF_COND, KIND_ADEX
from .fastexp import exp_scalar
from .maths import mg_block_denominator
from .inputs import THREADS, blocks


@cuda.jit(device=True)
def _receptor_value(chans, neurons, b, cur, s, ch, v0):
    """Channel ``ch`` at slot ``s`` (trial ``b``) of a conductance-based or AdEx neuron: take this
    step's arrivals, advance the state one step (kernels/cpu/receptor_values.py) and return the
    value entering the membrane equation: nS after the Mg2+ block (Jahr & Stevens 1990, at the
    start-of-step ``v0``), pA, or the jump of a delta channel (mV)."""
    ring = neurons.ring
    gd = neurons.g_decay
    gr = neurons.g_rise
    xin = ring[b, cur, s] * chans.norm[ch]
    ring[b, cur, s] = 0.0
    if chans.couple[ch] > 0.0:   # alpha: g enters at its start-of-step value, arrivals go into h
        h = gr[b, s] + xin
        gval = gd[b, s]
        gd[b, s] = chans.decay_d[ch] * (gval + chans.couple[ch] * h)
        gr[b, s] = h * chans.decay_d[ch]
    else:
        gd[b, s] += xin
        if chans.has_rise[ch]:
            gr[b, s] += xin
            gval = gd[b, s] - gr[b, s]
            gr[b, s] *= chans.decay_r[ch]
        else:
            gval = gd[b, s]
        gd[b, s] *= chans.decay_d[ch]
    if chans.cond[ch]:
        mg = chans.mg[ch]
        if mg >= 0.0:
            gval = gval / mg_block_denominator(v0, mg)
    return gval


@cuda.jit(device=True)
def _fire_adapting(neurons, b, g, v1, jump, v_th, adapt):
    """An active conductance-based or AdEx neuron: the membrane update ``v1`` plus its delta jumps
    (mV), then threshold, reset and, with adaptation, the increment ``b`` (pA) of ``w``; writes ``v``
    and returns whether it spiked (kernels/cpu/block_params.fire_and_adapt)."""
    if jump != 0.0:
        v1 += jump
    spiked = v1 > v_th
    if spiked:
        v1 = neurons.v_reset[g]
        if adapt:
            neurons.w_adapt[b, g] += neurons.b_adapt[g]
    neurons.v[b, g] = v1
    return spiked


@cuda.jit
def _update(pops, chans, neurons, step, dt):
    x = cuda.grid(1)
    batch = neurons.v.shape[0]
    N = neurons.v.shape[1]
    if x >= batch * N:
        return
    b = x // N
    g = x - b * N
    p = 0
    while g >= pops.end[p]:
        p += 1
    start = pops.start[p]
    n = pops.end[p] - start
    i = g - start
    cur = step % neurons.ring.shape[1]
    ring = neurons.ring
    gd = neurons.g_decay
    gr = neurons.g_rise
    v0 = neurons.v[b, g]
    ref = neurons.ref_steps[g]
    v_rest = neurons.v_rest[g]
    v_th = neurons.v_th[g]
    spiked = False
    theta = pops.has_theta[p] != 0   # adaptive threshold (kernels/cpu/neurons._fire_theta)
    th = 0.0
    if theta:
        th = neurons.theta[b, g] * neurons.decay_theta[g]
        neurons.theta[b, g] = th
    if pops.kind[p] == KIND_ADEX:   # kernels/cpu/adex.py: forward Euler for v and w, receptors exact
        adapt = pops.has_adapt[p] != 0
        w0 = neurons.w_adapt[b, g]
        S = 0.0      # synaptic current (pA)
        jump = 0.0   # delta synapses (mV)
        for c in range(pops.n_ch[p]):
            ch = pops.ch_off[p] + c
            gval = _receptor_value(chans, neurons, b, cur, pops.slot_off[p] + c * n + i, ch, v0)
            if chans.cond[ch]:
                S += gval * (chans.e_rev[ch] - v0)
            elif chans.delta[ch]:
                jump += gval
            else:
                S += gval
        g_leak = neurons.g_leak[g]
        dlt = neurons.delta_t[g]
        ex = 0.0
        if dlt > 0.0:
            ex = exp_scalar((min(v0, v_th) - neurons.v_t[g]) / dlt)
        i_tot = g_leak * (v_rest - v0) + g_leak * dlt * ex + S + neurons.i_bias[g] + neurons.i_ext[b, g] - w0
        if adapt:
            neurons.w_adapt[b, g] = w0 + neurons.dt_tau_w[g] * (neurons.a_adapt[g] * (v0 - v_rest) - w0)
        if step - neurons.last_spike[b, g] >= ref:
            spiked = _fire_adapting(neurons, b, g, v0 + neurons.dt_c_m[g] * i_tot, jump, v_th, adapt)
    elif pops.kind[p] == KIND_LIF_COND:
        g_leak = neurons.g_leak[g]
        adapt = pops.has_adapt[p] != 0
        w0 = neurons.w_adapt[b, g]
        G = g_leak
        I = g_leak * v_rest + neurons.i_bias[g] + neurons.i_ext[b, g] - w0
        jump = 0.0   # delta synapses (mV)
        for c in range(pops.n_ch[p]):
            ch = pops.ch_off[p] + c
            gval = _receptor_value(chans, neurons, b, cur, pops.slot_off[p] + c * n + i, ch, v0)
            if chans.delta[ch]:
                jump += gval
            elif chans.cond[ch]:
                G += gval
                I += gval * chans.e_rev[ch]
            else:
                I += gval
        if adapt:
            wa = neurons.a_adapt[g] * (v0 - v_rest)
            neurons.w_adapt[b, g] = wa + (w0 - wa) * neurons.decay_w[g]
        if step - neurons.last_spike[b, g] >= ref:
            v_inf = I / G
            spiked = _fire_adapting(neurons, b, g, v_inf + (v0 - v_inf) * exp_scalar(-neurons.dt_c_m[g] * G), jump,
                                    v_th + th if theta else v_th, adapt)
    else:
        D = 0.0
        for c in range(pops.n_ch[p]):
            ch = pops.ch_off[p] + c
            s = pops.slot_off[p] + c * n + i
            xin = ring[b, cur, s] * chans.norm[ch]
            ring[b, cur, s] = 0.0
            if chans.couple[ch] > 0.0:   # alpha (exact propagators of g and h; delta: prop_d = 1, decay 0)
                h = gr[b, s] + xin
                gval = gd[b, s]
                D += gval * neurons.prop_d[s]
                D -= h * neurons.prop_r[s]
                gd[b, s] = chans.decay_d[ch] * (gval + chans.couple[ch] * h)
                gr[b, s] = h * chans.decay_d[ch]
                continue
            gd[b, s] += xin
            D += gd[b, s] * neurons.prop_d[s]
            gd[b, s] *= chans.decay_d[ch]
            if chans.has_rise[ch]:
                gr[b, s] += xin
                D -= gr[b, s] * neurons.prop_r[s]
                gr[b, s] *= chans.decay_r[ch]
        if step - neurons.last_spike[b, g] >= ref:
            pm = neurons.decay_m[g]
            r_in = (1.0 - pm) / neurons.g_leak[g]
            v1 = v_rest + (v0 - v_rest) * pm + (neurons.i_bias[g] + neurons.i_ext[b, g]) * r_in + D
            if v1 > (v_th + th if theta else v_th):
                v1 = neurons.v_reset[g]
                spiked = True
            neurons.v[b, g] = v1
    if spiked:
        if theta:
            neurons.theta[b, g] = th + neurons.theta_plus[g]
        neurons.last_spike[b, g] = step
        idx = cuda.atomic.add(neurons.spike_count, b, 1)
        neurons.spike_list[b, idx] = g


def update_neurons(pops, chans, neurons, step, dt, n_neurons):
    """Integrate every neuron one step (one thread per trial and neuron)."""
    if n_neurons:
        _update[blocks(neurons.v.shape[0] * n_neurons), THREADS](pops, chans, neurons, step, dt)
