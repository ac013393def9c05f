"""Phase 6 of a step: STDP (pair, triplet, dopamine-gated eligibility) and neuromodulators.

Order inside the phase, for step ``k`` (time ``k*dt``) and each trial:

1. this step's spike list is stored in the spike history (slot ``k % H``);
2. modulator releases: ``per_spike`` times the spikes of each releasing population;
3. traces: every per-neuron trace is decayed exactly by one step (``x *= exp(-dt/tau)``) and
   the neurons that spiked jump (+1 all-to-all, =1 nearest); the value is stored in slot
   ``k % H`` of the trace history, so a synapse reads its pre trace ``delay`` steps back and its
   post trace ``dendritic_delay`` steps back -- exactly, with no per-synapse trace state;
4. presynaptic arrivals: spikes emitted at ``k - d`` walk their CSR rows and update the synapses
   whose axonal delay is ``d`` (for every ``d`` in the projection's delay range); depression
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
per-step start-up cost outweighed the work on small networks.)
"""
import numpy as np
from numba import njit

RULE_PAIR = 0
RULE_TRIPLET = 1
RULE_DOPAMINE = 2
EFFECT_ADAPT_B = 0
EFFECT_ARRIVALS = 1
TINY = 1e-300  # eligibility below this is flushed to 0 (avoids denormal arithmetic)


@njit(cache=True, inline="always")
def _f_plus(w, w_min, w_max, mu):
    """Potentiation weight dependence (1 - u)**mu, u = (w - w_min)/(w_max - w_min)."""
    if mu == 0.0:
        return 1.0
    u = (w_max - w) / (w_max - w_min)
    if u <= 0.0:
        return 0.0
    if mu == 1.0:
        return u
    return u ** mu


@njit(cache=True, inline="always")
def _f_minus(w, w_min, w_max, mu):
    """Depression weight dependence u**mu."""
    if mu == 0.0:
        return 1.0
    u = (w - w_min) / (w_max - w_min)
    if u <= 0.0:
        return 0.0
    if mu == 1.0:
        return u
    return u ** mu


@njit(cache=True, inline="always")
def _clip(w, lo, hi):
    if w < lo:
        return lo
    if w > hi:
        return hi
    return w


@njit(cache=True)
def _traces(b, q, pl, lst, n_spk, slot, prev, start, n, col, dec1, dec2):
    """Decay one population's traces by one step into ``slot`` and add this step's spikes."""
    tr1 = pl.tr1
    for i in range(n):
        tr1[b, slot, col + i] = tr1[b, prev, col + i] * dec1
    trip = pl.rule[q] == RULE_TRIPLET
    if trip:
        tr2 = pl.tr2
        for i in range(n):
            tr2[b, slot, col + i] = tr2[b, prev, col + i] * dec2
    nearest = pl.nearest[q]
    end = start + n
    for s in range(n_spk):
        g = lst[s]
        if g < start:
            continue
        if g >= end:
            break
        c = col + g - start
        if nearest:
            tr1[b, slot, c] = 1.0
            if trip:
                pl.tr2[b, slot, c] = 1.0
        else:
            tr1[b, slot, c] += 1.0
            if trip:
                pl.tr2[b, slot, c] += 1.0


@njit(cache=True)
def _pre_events(b, q, syn, pl, step, H, wrow):
    """Presynaptic arrivals at ``step`` (spikes emitted ``d`` steps earlier) for block ``q``."""
    w = syn.w
    rule = pl.rule[q]
    blk = pl.blk[q]
    base = pl.syn_off[q]
    rp = syn.proj_rp_off[blk]
    pre_start = pl.pre_start[q]
    pre_end = pre_start + pl.n_pre[q]
    tr_pre = pl.tr_pre[q]
    tr_post = pl.tr_post[q]
    yslot = (step - pl.dend[q] - 1) % H
    dec_minus = pl.dec_minus[q]
    a_minus = pl.a_minus[q]
    a3_minus = pl.a3_minus[q]
    w_min = pl.w_min[q]
    w_max = pl.w_max[q]
    mu = pl.mu_minus[q]
    dec_x = pl.dec_x[q]
    el = pl.el_off[q] - base
    dmin = pl.dmin[q]
    dmax = pl.dmax[q]
    uniform = dmin == dmax
    for d in range(dmin, dmax + 1):
        ks = step - d
        if ks < 0:
            break
        sl = ks % H
        for s in range(pl.spk_n[b, sl]):
            g = pl.spk[b, sl, s]
            if g < pre_start:
                continue
            if g >= pre_end:
                break
            i = g - pre_start
            k0 = base + syn.row_ptr[rp + i]
            k1 = base + syn.row_ptr[rp + i + 1]
            amp = a_minus
            if rule == RULE_TRIPLET:
                amp = a_minus + a3_minus * pl.tr2[b, (ks - 1) % H, tr_pre + i] * dec_x
            for k in range(k0, k1):
                if not uniform and syn.delay[k] != d:
                    continue
                y = pl.tr1[b, yslot, tr_post + syn.post[k]] * dec_minus
                if y == 0.0:
                    continue
                if rule == RULE_DOPAMINE:
                    pl.elig[b, el + k] -= a_minus * y
                elif rule == RULE_PAIR:
                    wv = w[wrow, k]
                    wv -= amp * w_max * y * _f_minus(wv, w_min, w_max, mu)
                    w[wrow, k] = _clip(wv, w_min, w_max)
                else:
                    w[wrow, k] = _clip(w[wrow, k] - w_max * y * amp, w_min, w_max)


@njit(cache=True)
def _post_events(b, q, syn, pl, step, H, wrow):
    """Postsynaptic events at ``step`` (spikes emitted ``dendritic_delay`` steps earlier)."""
    kp = step - pl.dend[q]
    if kp < 0:
        return
    w = syn.w
    rule = pl.rule[q]
    base = pl.syn_off[q]
    post_start = pl.post_start[q]
    post_end = post_start + pl.n_post[q]
    tr_pre = pl.tr_pre[q]
    tr_post = pl.tr_post[q]
    col_off = pl.col_off[q]
    a_plus = pl.a_plus[q]
    a3_plus = pl.a3_plus[q]
    w_min = pl.w_min[q]
    w_max = pl.w_max[q]
    mu = pl.mu_plus[q]
    dec_y = pl.dec_y[q]
    el = pl.el_off[q] - base
    sl = kp % H
    for s in range(pl.spk_n[b, sl]):
        g = pl.spk[b, sl, s]
        if g < post_start:
            continue
        if g >= post_end:
            break
        j = g - post_start
        amp = a_plus
        if rule == RULE_TRIPLET:
            amp = a_plus + a3_plus * pl.tr2[b, (kp - 1) % H, tr_post + j] * dec_y
        for idx in range(pl.col_ptr[col_off + j], pl.col_ptr[col_off + j + 1]):
            k = pl.col_syn[idx]
            x = pl.tr1[b, (step - syn.delay[k]) % H, tr_pre + pl.col_pre[idx]]
            if x == 0.0:
                continue
            if rule == RULE_DOPAMINE:
                pl.elig[b, el + k] += a_plus * x
            elif rule == RULE_PAIR:
                wv = w[wrow, k]
                wv += amp * w_max * x * _f_plus(wv, w_min, w_max, mu)
                w[wrow, k] = _clip(wv, w_min, w_max)
            else:
                w[wrow, k] = _clip(w[wrow, k] + w_max * x * amp, w_min, w_max)


@njit(cache=True)
def _dopamine(b, q, syn, pl, wrow):
    """Exact integration of dw/dt = w_max c [DA] over one step; decay of c."""
    w = syn.w
    m = pl.mod[q]
    fac = pl.w_max[q] * (pl.mod_c[b, m] * pl.int_cd[q] + pl.mod_base[m] * pl.int_c[q])
    dec = pl.dec_c[q]
    w_min = pl.w_min[q]
    w_max = pl.w_max[q]
    base = pl.syn_off[q]
    el = pl.el_off[q]
    elig = pl.elig
    for kk in range(pl.n_syn[q]):
        c = elig[b, el + kk]
        if c == 0.0:
            continue
        k = base + kk
        if fac != 0.0:
            w[wrow, k] = _clip(w[wrow, k] + c * fac, w_min, w_max)
        c *= dec
        if -TINY < c < TINY:
            c = 0.0
        elig[b, el + kk] = c


@njit(cache=True)
def _trial(b, syn, neurons, pl, step):
    n_pl = pl.blk.shape[0]
    H = pl.spk_n.shape[1]
    wrow = np.int64(b) if syn.w.shape[0] > 1 else np.int64(0)
    n_spk = neurons.spike_count[b]
    lst = neurons.spike_list[b]
    slot = step % H
    prev = (step - 1) % H
    if n_pl > 0:
        pl.spk_n[b, slot] = n_spk
        for s in range(n_spk):
            pl.spk[b, slot, s] = lst[s]
    # 2. releases
    n_mod = pl.mod_dec.shape[0]
    for m in range(n_mod):
        s0 = pl.mod_src_start[m]
        if s0 >= 0:
            s1 = pl.mod_src_end[m]
            cnt = 0
            for s in range(n_spk):
                g = lst[s]
                if g >= s0 and g < s1:
                    cnt += 1
            if cnt > 0:
                pl.mod_c[b, m] += cnt * pl.mod_amt[m]
    if n_pl > 0:
        # 3. traces
        for q in range(n_pl):
            _traces(b, q, pl, lst, n_spk, slot, prev, pl.pre_start[q], pl.n_pre[q], pl.tr_pre[q],
                    pl.dec_plus[q], pl.dec_x[q])
            _traces(b, q, pl, lst, n_spk, slot, prev, pl.post_start[q], pl.n_post[q], pl.tr_post[q],
                    pl.dec_minus[q], pl.dec_y[q])
        # 4. presynaptic arrivals, 5. postsynaptic events
        for q in range(n_pl):
            _pre_events(b, q, syn, pl, step, H, wrow)
        for q in range(n_pl):
            _post_events(b, q, syn, pl, step, H, wrow)
        # 6. dopamine-gated weight change
        for q in range(n_pl):
            if pl.rule[q] == RULE_DOPAMINE:
                _dopamine(b, q, syn, pl, wrow)
    # 7. effects and decay of the modulators
    n_eff = pl.eff_kind.shape[0]
    for e in range(n_eff):
        if pl.eff_kind[e] == EFFECT_ADAPT_B:
            m = pl.eff_mod[e]
            f = 1.0 + pl.eff_k[e] * (pl.mod_base[m] + pl.mod_c[b, m])
            if f < 0.0:
                f = 0.0
            extra = pl.eff_b[e] * (f - 1.0)
            if extra != 0.0:
                s0 = pl.eff_start[e]
                s1 = s0 + pl.eff_n[e]
                for s in range(n_spk):
                    g = lst[s]
                    if g >= s0 and g < s1:
                        neurons.w_adapt[b, g] += extra
    for m in range(n_mod):
        pl.mod_c[b, m] *= pl.mod_dec[m]
    ring = neurons.ring
    nxt = (step + 1) % ring.shape[1]
    for e in range(n_eff):
        if pl.eff_kind[e] == EFFECT_ARRIVALS:
            m = pl.eff_mod[e]
            f = 1.0 + pl.eff_k[e] * (pl.mod_base[m] + pl.mod_c[b, m])
            if f < 0.0:
                f = 0.0
            if f != 1.0:
                s0 = pl.eff_start[e]
                for i in range(pl.eff_n[e]):
                    ring[b, nxt, s0 + i] *= f


@njit(cache=True)
def plasticity(pops, syn, neurons, pl, step):
    """Phase 6 for every trial (see the module docstring)."""
    if pl.blk.shape[0] == 0 and pl.mod_dec.shape[0] == 0:
        return
    for b in range(neurons.spike_count.shape[0]):
        _trial(np.int64(b), syn, neurons, pl, step)
