"""Phase 3-4 of a step: integrate the membrane, decay the receptors, threshold and reset.

Conductance-based LIF: exponential Euler with all conductances, the Mg2+ block and the
adaptation current taken at their start-of-step values (Brian2's ``exponential_euler``).
Current-based LIF: exact propagator for exponentially decaying currents (Rotter & Diesmann 1999).
Refractoriness as Brian2: not refractory when ``step - last_spike >= ref_steps``; a refractory
neuron keeps ``v`` (its receptors and adaptation still evolve) and cannot spike.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _update_cond(p, pops, chans, neurons, step, dt):
    start = pops.start[p]
    n = pops.end[p] - start
    nch = pops.n_ch[p]
    ch0 = pops.ch_off[p]
    slot0 = pops.slot_off[p]
    c_m = pops.c_m[p]
    g_leak = pops.g_leak[p]
    v_rest = pops.v_rest[p]
    v_th = pops.v_th[p]
    v_reset = pops.v_reset[p]
    ref = pops.ref_steps[p]
    a_ad = pops.a[p]
    b_ad = pops.b[p]
    decay_w = pops.decay_w[p]
    adapt = a_ad > 0.0 or b_ad > 0.0
    gd = neurons.g_decay
    gr = neurons.g_rise
    for b in range(gd.shape[0]):
        for i in range(n):
            g = start + i
            v0 = neurons.v[b, g]
            w0 = neurons.w_adapt[b, g]
            G = g_leak
            I = g_leak * v_rest + neurons.i_bias[g] + neurons.i_ext[b, g] - w0
            for c in range(nch):
                ch = ch0 + c
                s = slot0 + c * n + i
                if chans.has_rise[ch]:
                    gval = gd[b, s] - gr[b, s]
                    gr[b, s] *= chans.decay_r[ch]
                else:
                    gval = gd[b, s]
                gd[b, s] *= chans.decay_d[ch]
                if chans.cond[ch]:
                    if chans.mg[ch] >= 0.0:
                        gval = gval / (1.0 + chans.mg[ch] * (1.0 / 3.57) * np.exp(-0.062 * v0))
                    G += gval
                    I += gval * chans.e_rev[ch]
                else:
                    I += gval
            if adapt:
                wa = a_ad * (v0 - v_rest)
                neurons.w_adapt[b, g] = wa + (w0 - wa) * decay_w
            if step - neurons.last_spike[b, g] >= ref:
                v_inf = I / G
                v1 = v_inf + (v0 - v_inf) * np.exp(-dt * G / c_m)
                if v1 > v_th:
                    v1 = v_reset
                    neurons.last_spike[b, g] = step
                    neurons.spiked[b, g] = 1
                    if adapt:
                        neurons.w_adapt[b, g] += b_ad
                neurons.v[b, g] = v1


@njit(cache=True)
def _update_curr(p, pops, chans, neurons, step, dt):
    start = pops.start[p]
    n = pops.end[p] - start
    nch = pops.n_ch[p]
    ch0 = pops.ch_off[p]
    slot0 = pops.slot_off[p]
    v_rest = pops.v_rest[p]
    v_th = pops.v_th[p]
    v_reset = pops.v_reset[p]
    ref = pops.ref_steps[p]
    pm = pops.decay_m[p]
    r_in = (1.0 - pm) * (pops.c_m[p] / pops.g_leak[p]) / pops.c_m[p]  # mV per pA held over the step
    gd = neurons.g_decay
    gr = neurons.g_rise
    for b in range(gd.shape[0]):
        for i in range(n):
            g = start + i
            v0 = neurons.v[b, g]
            dv_syn = 0.0
            for c in range(nch):
                ch = ch0 + c
                s = slot0 + c * n + i
                dv_syn += gd[b, s] * chans.prop_d[ch]
                gd[b, s] *= chans.decay_d[ch]
                if chans.has_rise[ch]:
                    dv_syn -= gr[b, s] * chans.prop_r[ch]
                    gr[b, s] *= chans.decay_r[ch]
            if step - neurons.last_spike[b, g] >= ref:
                v1 = v_rest + (v0 - v_rest) * pm + (neurons.i_bias[g] + neurons.i_ext[b, g]) * r_in + dv_syn
                if v1 > v_th:
                    v1 = v_reset
                    neurons.last_spike[b, g] = step
                    neurons.spiked[b, g] = 1
                neurons.v[b, g] = v1


@njit(cache=True)
def update_neurons(pops, chans, neurons, step, dt):
    for p in range(pops.kind.shape[0]):
        k = pops.kind[p]
        if k == 0:
            _update_cond(p, pops, chans, neurons, step, dt)
        elif k == 1:
            _update_curr(p, pops, chans, neurons, step, dt)


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
