"""Phase 6 of a step: STDP (pair, triplet, dopamine-gated eligibility) and neuromodulators.

Order inside the phase, for step ``k`` (time ``k*dt``) and each trial:

1. this step's spike list is stored in the spike history (slot ``k % H``);
2. modulator releases: ``per_spike`` times the spikes of each releasing population;
3. traces: every per-neuron trace is decayed exactly by one step (``x *= exp(-dt/tau)``) and
   the neurons that spiked jump (+1 all-to-all, =1 nearest); the value is stored in slot
   ``k % H`` of the trace history, so a synapse reads its pre trace ``delay`` steps back and its
   post trace ``dendritic_delay`` steps back -- exactly, with no per-synapse trace state;
4. presynaptic arrivals: spikes emitted at ``k - d`` update the synapses of their CSR rows whose
   axonal delay is ``d`` (for every ``d`` in the projection's delay range; with several delays
   only the row's bucket of delay ``d`` is visited, see state/plastic.delay_buckets); depression
   reads the post trace as it was just before step ``k`` at the synapse;
5. postsynaptic events: spikes emitted at ``k - dendritic_delay`` walk the transposed
   (post -> synapse) index; potentiation reads the pre trace at the synapse including this
   step's arrivals (so Delta t = 0 potentiates);
6. dopamine-gated synapses integrate ``dw/dt = w_max c [DA]`` exactly over ``[k dt, (k+1) dt]``
   (``c`` and the phasic [DA] are exponentials there) and decay ``c``;
7. modulator effects (adaptation increment of this step's spikes), decay of every modulator by
   one step, then scaling of the arrivals that enter the receptors at step ``k + 1``.

Each trial touches only its own rows (weights are per trial whenever plasticity runs with
batch > 1); the kernel is serial (one trial after the other, every sum in a fixed order), so the
result does not depend on the number of threads.  (A parallel loop over trials was tried: its
per-step start-up cost outweighed the work on small networks.)  The helpers take plain arrays
and scalars -- passing the whole state tuple to each call costs about half a microsecond.
"""
import numpy as np

from .jit import kernel
from .maths import (clip, depress, dopamine_factor, eligibility_decay, modulator_gain, potentiate, trace_jump,
                    triplet_amplitude)
from ...state.arrays import (RULE_TRIPLET, RULE_DOPAMINE, EFFECT_ADAPT_B, EFFECT_ARRIVALS,
                             PI_BLK, PI_RULE, PI_NEAREST, PI_PRE_START, PI_N_PRE, PI_POST_START, PI_N_POST,
                             PI_SYN_OFF, PI_N_SYN, PI_TR_PRE, PI_TR_POST, PI_COL_OFF, PI_EL_OFF, PI_MOD,
                             PI_DEND, PI_DMIN, PI_DMAX, PI_DPTR, PF_A_PLUS, PF_A_MINUS, PF_A3_PLUS, PF_A3_MINUS,
                             PF_MU_PLUS, PF_MU_MINUS, PF_W_MIN, PF_W_MAX, PF_DEC_PLUS, PF_DEC_MINUS, PF_DEC_X,
                             PF_DEC_Y, PF_DEC_C, PF_INT_C, PF_INT_CD, MI_SRC_START, MI_SRC_END, MF_DEC,
                             MF_BASE, MF_AMOUNT, EI_KIND, EI_MOD, EI_START, EI_N, EF_K)

@kernel
def _traces(b, slot, prev, lst, n_spk, start, n, col, dec1, dec2, trip, nearest, tr1, tr2):
    """Decay one population's traces by one step into ``slot`` and add this step's spikes."""
    for i in range(n):
        tr1[b, slot, col + i] = tr1[b, prev, col + i] * dec1
    if trip:
        for i in range(n):
            tr2[b, slot, col + i] = tr2[b, prev, col + i] * dec2
    end = start + n
    for s in range(n_spk):
        g = lst[s]
        if g < start:
            continue
        if g >= end:
            break
        c = col + g - start
        tr1[b, slot, c] = trace_jump(tr1[b, slot, c], nearest)
        if trip:
            tr2[b, slot, c] = trace_jump(tr2[b, slot, c], nearest)


@kernel
def _pre_events(b, q, step, H, wrow, pi, pf, row_ptr, rp, post, dperm, dptr, w, tr1, tr2, spk, spk_n, elig):
    """Presynaptic arrivals at ``step`` (spikes emitted ``d`` steps earlier) for block ``q``: with one
    delay a spike walks its whole row, else only its row's bucket of delay ``d`` (``dperm``/``dptr``,
    ascending synapse order as in the row)."""
    rule = pi[q, PI_RULE]
    base = pi[q, PI_SYN_OFF]
    pre_start = pi[q, PI_PRE_START]
    pre_end = pre_start + pi[q, PI_N_PRE]
    tr_pre = pi[q, PI_TR_PRE]
    tr_post = pi[q, PI_TR_POST]
    yslot = (step - pi[q, PI_DEND] - 1) % H
    el = pi[q, PI_EL_OFF] - base
    dmin = pi[q, PI_DMIN]
    dmax = pi[q, PI_DMAX]
    dec_minus = pf[q, PF_DEC_MINUS]
    a_minus = pf[q, PF_A_MINUS]
    a3_minus = pf[q, PF_A3_MINUS]
    w_min = pf[q, PF_W_MIN]
    w_max = pf[q, PF_W_MAX]
    mu = pf[q, PF_MU_MINUS]
    dec_x = pf[q, PF_DEC_X]
    uniform = dmin == dmax
    dstride = dmax - dmin + 2
    for d in range(dmin, dmax + 1):
        ks = step - d
        if ks < 0:
            break
        sl = ks % H
        for s in range(spk_n[b, sl]):
            g = spk[b, sl, s]
            if g < pre_start:
                continue
            if g >= pre_end:
                break
            i = g - pre_start
            if uniform:
                j0 = row_ptr[rp + i]
                j1 = row_ptr[rp + i + 1]
            else:
                r = pi[q, PI_DPTR] + i * dstride + d - dmin
                j0 = dptr[r]
                j1 = dptr[r + 1]
            if j0 == j1:
                continue
            amp = a_minus
            if rule == RULE_TRIPLET:
                amp = triplet_amplitude(a_minus, a3_minus, tr2[b, (ks - 1) % H, tr_pre + i], dec_x)
            for j in range(j0, j1):
                k = base + j
                if not uniform:
                    k = base + np.int64(dperm[j])
                y = tr1[b, yslot, tr_post + post[k]] * dec_minus
                if y == 0.0:
                    continue
                if rule == RULE_DOPAMINE:
                    elig[b, el + k] -= a_minus * y
                else:
                    w[wrow, k] = depress(rule, w[wrow, k], y, amp, w_min, w_max, mu)


@kernel
def _post_events(b, q, step, H, wrow, pi, pf, col_ptr, col_syn, col_pre, delay, w, tr1, tr2, spk, spk_n, elig):
    """Postsynaptic events at ``step`` (spikes emitted ``dendritic_delay`` steps earlier)."""
    kp = step - pi[q, PI_DEND]
    if kp < 0:
        return
    sl = kp % H
    n = spk_n[b, sl]
    if n == 0:
        return
    rule = pi[q, PI_RULE]
    base = pi[q, PI_SYN_OFF]
    post_start = pi[q, PI_POST_START]
    post_end = post_start + pi[q, PI_N_POST]
    tr_pre = pi[q, PI_TR_PRE]
    tr_post = pi[q, PI_TR_POST]
    col_off = pi[q, PI_COL_OFF]
    el = pi[q, PI_EL_OFF] - base
    a_plus = pf[q, PF_A_PLUS]
    a3_plus = pf[q, PF_A3_PLUS]
    w_min = pf[q, PF_W_MIN]
    w_max = pf[q, PF_W_MAX]
    mu = pf[q, PF_MU_PLUS]
    dec_y = pf[q, PF_DEC_Y]
    uniform = pi[q, PI_DMIN] == pi[q, PI_DMAX]
    cur = step % H
    xs0 = cur - pi[q, PI_DMIN]          # history slot of the pre trace when all delays are equal
    if xs0 < 0:
        xs0 += H
    for s in range(n):
        g = spk[b, sl, s]
        if g < post_start:
            continue
        if g >= post_end:
            break
        j = g - post_start
        amp = a_plus
        if rule == RULE_TRIPLET:
            amp = triplet_amplitude(a_plus, a3_plus, tr2[b, (kp - 1) % H, tr_post + j], dec_y)
        for idx in range(col_ptr[col_off + j], col_ptr[col_off + j + 1]):
            k = col_syn[idx]
            xs = xs0
            if not uniform:
                xs = cur - delay[k]         # delay < H
                if xs < 0:
                    xs += H
            x = tr1[b, xs, tr_pre + col_pre[idx]]
            if x == 0.0:
                continue
            if rule == RULE_DOPAMINE:
                elig[b, el + k] += a_plus * x
            else:
                w[wrow, k] = potentiate(rule, w[wrow, k], x, amp, w_min, w_max, mu)


@kernel
def _dopamine(b, q, wrow, pi, pf, mf, mod_c, w, elig):
    """Exact integration of dw/dt = w_max c [DA] over one step; decay of c."""
    m = pi[q, PI_MOD]
    w_min = pf[q, PF_W_MIN]
    w_max = pf[q, PF_W_MAX]
    fac = dopamine_factor(w_max, mod_c[b, m], pf[q, PF_INT_CD], mf[m, MF_BASE], pf[q, PF_INT_C])
    dec = pf[q, PF_DEC_C]
    base = pi[q, PI_SYN_OFF]
    el = pi[q, PI_EL_OFF]
    for kk in range(pi[q, PI_N_SYN]):
        c = elig[b, el + kk]
        if c == 0.0:
            continue
        k = base + kk
        if fac != 0.0:
            w[wrow, k] = clip(w[wrow, k] + c * fac, w_min, w_max)
        elig[b, el + kk] = eligibility_decay(c, dec)


@kernel
def _modulators(b, step, lst, n_spk, mi, mf, mod_c, ei, ef, w_adapt, b_adapt, ring):
    """Releases are added before the plasticity updates (see _releases); here: effects and decay.
    A spike of a neuron under an EFFECT_ADAPT_B effect adds ``b_adapt[g] (f - 1)`` more to its
    adaptation current (the neuron update added ``b_adapt[g]``)."""
    n_eff = ei.shape[0]
    for e in range(n_eff):
        if ei[e, EI_KIND] == EFFECT_ADAPT_B:
            m = ei[e, EI_MOD]
            f = modulator_gain(ef[e, EF_K], mf[m, MF_BASE], mod_c[b, m])
            fm1 = f - 1.0
            if fm1 != 0.0:
                s0 = ei[e, EI_START]
                s1 = s0 + ei[e, EI_N]
                for s in range(n_spk):
                    g = lst[s]
                    if g >= s0 and g < s1:
                        w_adapt[b, g] += b_adapt[g] * fm1
    for m in range(mi.shape[0]):
        mod_c[b, m] *= mf[m, MF_DEC]
    nxt = (step + 1) % ring.shape[1]
    for e in range(n_eff):
        if ei[e, EI_KIND] == EFFECT_ARRIVALS:
            m = ei[e, EI_MOD]
            f = modulator_gain(ef[e, EF_K], mf[m, MF_BASE], mod_c[b, m])
            if f != 1.0:
                s0 = ei[e, EI_START]
                for i in range(ei[e, EI_N]):
                    ring[b, nxt, s0 + i] *= f


@kernel
def _releases(b, lst, n_spk, mi, mf, mod_c):
    for m in range(mi.shape[0]):
        s0 = mi[m, MI_SRC_START]
        if s0 >= 0:
            s1 = mi[m, MI_SRC_END]
            cnt = 0
            for s in range(n_spk):
                g = lst[s]
                if g >= s0 and g < s1:
                    cnt += 1
            if cnt > 0:
                mod_c[b, m] += cnt * mf[m, MF_AMOUNT]


@kernel
def plasticity(pops, syn, neurons, pl, step):
    """Phase 6 for every trial (see the module docstring)."""
    pi = pl.pi
    n_pl = pi.shape[0]
    if n_pl == 0 and pl.mi.shape[0] == 0:
        return
    pf = pl.pf
    spk = pl.spk
    spk_n = pl.spk_n
    tr1 = pl.tr1
    tr2 = pl.tr2
    elig = pl.elig
    mod_c = pl.mod_c
    w = syn.w
    H = spk_n.shape[1]
    slot = step % H
    prev = (step - 1) % H
    for b in range(neurons.spike_count.shape[0]):
        wrow = b if w.shape[0] > 1 else 0
        n_spk = neurons.spike_count[b]
        lst = neurons.spike_list[b]
        if n_pl > 0:
            spk_n[b, slot] = n_spk
            for s in range(n_spk):
                spk[b, slot, s] = lst[s]
        _releases(b, lst, n_spk, pl.mi, pl.mf, mod_c)
        if n_pl > 0:
            for q in range(n_pl):
                trip = pi[q, PI_RULE] == RULE_TRIPLET
                nearest = pi[q, PI_NEAREST] != 0
                _traces(b, slot, prev, lst, n_spk, pi[q, PI_PRE_START], pi[q, PI_N_PRE], pi[q, PI_TR_PRE],
                        pf[q, PF_DEC_PLUS], pf[q, PF_DEC_X], trip, nearest, tr1, tr2)
                _traces(b, slot, prev, lst, n_spk, pi[q, PI_POST_START], pi[q, PI_N_POST], pi[q, PI_TR_POST],
                        pf[q, PF_DEC_MINUS], pf[q, PF_DEC_Y], trip, nearest, tr1, tr2)
            for q in range(n_pl):
                _pre_events(b, q, step, H, wrow, pi, pf, syn.row_ptr, syn.proj_rp_off[pi[q, PI_BLK]], syn.post,
                            pl.dperm, pl.dptr, w, tr1, tr2, spk, spk_n, elig)
            for q in range(n_pl):
                _post_events(b, q, step, H, wrow, pi, pf, pl.col_ptr, pl.col_syn, pl.col_pre, syn.delay, w,
                             tr1, tr2, spk, spk_n, elig)
            for q in range(n_pl):
                if pi[q, PI_RULE] == RULE_DOPAMINE:
                    _dopamine(b, q, wrow, pi, pf, pl.mf, mod_c, w, elig)
        if pl.mi.shape[0] > 0:
            _modulators(b, step, lst, n_spk, pl.mi, pl.mf, mod_c, pl.ei, pl.ef, neurons.w_adapt, neurons.b_adapt,
                        neurons.ring)
