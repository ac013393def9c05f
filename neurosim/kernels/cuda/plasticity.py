"""Device twin of kernels/cpu/plasticity.py: phase 6 (STDP, dopamine eligibility, neuromodulators)
as a few kernel launches per step, in the CPU's order (see that module's docstring):

1. ``_store``: one thread block per trial writes the step's spike list into the spike history,
   *ascending* (the GPU's list is in atomic-append order, the CPU's and the history's are sorted):
   a rank sort in shared memory when the list fits one block, else the ``neurons.spiked`` flags
   are set, compacted in id order by a block-wide prefix sum, and cleared again;
2. ``_releases``: one block per (trial, modulator) counts the spikes of the releasing population;
3. ``_traces``: one thread per (trial, trace column): exact decay by one step, and the jump when
   the neuron is in this step's (sorted) history list (binary search);
4. ``_pre``: presynaptic arrivals, one thread block per (trial, spike index) job (grid-stride, up
   to the longest list in the history); for each plastic block and axonal delay ``d`` the job takes
   that entry of step ``k - d``'s list and the block's threads stride over its CSR row (several
   delays: over the row's bucket of delay ``d``, ``Plasticity.dperm``/``dptr``);
5. ``_post``: postsynaptic events, the same jobs over the spikes of step ``k - dendritic_delay``,
   threads striding over the transposed (post -> synapse) index;
6. ``_dopamine``: one thread per (trial, eligibility column);
7. ``_adapt`` (one thread per (trial, spike)), ``_arrivals`` (one thread per (trial, channel
   neuron), reading the decayed concentration), then ``_mod_decay`` (one thread per (trial,
   modulator)).

Within a phase every synapse, trace or slot is written by one thread only (a pre spike owns its
CSR row's bucket of delay ``d``, a post spike owns its column), so no atomics are needed and
every float is computed with the CPU's operations in the CPU's order: under the simulator the
results equal the CPU's bit for bit; on a GPU up to FMA contraction.
Spike-list order never matters for the results: the history is sorted only so that it holds what
the CPU holds (a downloaded state is the CPU's).
"""
import numpy as np
from numba import config, cuda

from ...state.arrays import (RULE_TRIPLET, RULE_DOPAMINE, EFFECT_ADAPT_B, EFFECT_ARRIVALS,
                             PI_BLK, PI_RULE, PI_NEAREST, PI_PRE_START, PI_N_PRE, PI_POST_START, PI_N_POST,
                             PI_SYN_OFF, PI_N_SYN, PI_TR_PRE, PI_TR_POST, PI_COL_OFF, PI_EL_OFF, PI_MOD,
                             PI_DEND, PI_DMIN, PI_DMAX, PI_DPTR, PF_A_PLUS, PF_A_MINUS, PF_A3_PLUS, PF_A3_MINUS,
                             PF_MU_PLUS, PF_MU_MINUS, PF_W_MIN, PF_W_MAX, PF_DEC_PLUS, PF_DEC_MINUS, PF_DEC_X,
                             PF_DEC_Y, PF_DEC_C, PF_INT_C, PF_INT_CD, MI_SRC_START, MI_SRC_END, MF_DEC,
                             MF_BASE, MF_AMOUNT, EI_KIND, EI_MOD, EI_START, EI_N, EF_K)
from .inputs import THREADS, blocks
from .maths import (clip, depress, dopamine_factor, eligibility_decay, modulator_gain, potentiate, trace_jump,
                    triplet_amplitude)
from .propagate import PROP_BLOCKS, PROP_THREADS

# the simulator runs every CUDA thread as a Python thread: keep its blocks tiny (8 threads still
# exercise both paths of _store and the strided loops)
STORE_THREADS = 8 if config.ENABLE_CUDASIM else 256    # power of two (prefix-sum scan)
RED_THREADS = 4 if config.ENABLE_CUDASIM else 128      # power of two (tree reduction)


@cuda.jit(device=True, inline=True)
def _wrap(x, H):
    """``x % H`` for ``x >= -H`` without relying on the sign convention of ``%``."""
    if x < 0:
        return x + H
    if x >= H:
        return x % H
    return x


@cuda.jit(device=True, inline=True)
def _max_count(spk_n):
    """Longest spike list in the history: bounds the (trial, spike) jobs of _pre and _post."""
    mx = 0
    for b in range(spk_n.shape[0]):
        for h in range(spk_n.shape[1]):
            if spk_n[b, h] > mx:
                mx = spk_n[b, h]
    return mx


# --------------------------------------------------------------------------- 1. spike history
@cuda.jit
def _store(neurons, spk, spk_n, slot):
    """Block ``b``: ``spk[b, slot, :]`` = this step's spike ids of trial ``b``, ascending."""
    b = cuda.blockIdx.x
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    n = neurons.spike_count[b]
    lst = neurons.spike_list
    sh = cuda.shared.array(STORE_THREADS, np.int64)
    if n <= T:
        # rank sort: position = number of smaller ids (ties by list position)
        g = -1
        if t < n:
            g = lst[b, t]
            sh[t] = g
        cuda.syncthreads()
        if t < n:
            r = 0
            for u in range(n):
                h = sh[u]
                if h < g or (h == g and u < t):
                    r += 1
            spk[b, slot, r] = g
        if t == 0:
            spk_n[b, slot] = n
        return
    # many spikes: mark them in the flags, compact the flags in id order, clear them
    flags = neurons.spiked
    nt = flags.shape[1]
    for s in range(t, n, T):
        flags[b, lst[b, s]] = 1
    cuda.syncthreads()
    chunk = (nt + T - 1) // T
    lo = t * chunk
    hi = min(lo + chunk, nt)
    cnt = 0
    for g in range(lo, hi):
        cnt += flags[b, g]
    sh[t] = cnt
    cuda.syncthreads()
    off = 1
    while off < T:              # inclusive scan (Hillis-Steele)
        v = 0
        if t >= off:
            v = sh[t - off]
        cuda.syncthreads()
        sh[t] += v
        cuda.syncthreads()
        off *= 2
    pos = sh[t] - cnt
    for g in range(lo, hi):
        if flags[b, g] != 0:
            spk[b, slot, pos] = g
            pos += 1
            flags[b, g] = 0
    if t == T - 1:
        spk_n[b, slot] = sh[t]


# --------------------------------------------------------------------------- 2. releases
@cuda.jit
def _releases(neurons, pl):
    """Block (b, m): ``mod_c[b, m] += (spikes of the source population) * per_spike``."""
    n_mod = pl.mi.shape[0]
    b = cuda.blockIdx.x // n_mod
    m = cuda.blockIdx.x - b * n_mod
    t = cuda.threadIdx.x
    T = cuda.blockDim.x
    s0 = pl.mi[m, MI_SRC_START]
    if s0 < 0:
        return
    s1 = pl.mi[m, MI_SRC_END]
    cnt = 0
    for s in range(t, neurons.spike_count[b], T):
        g = neurons.spike_list[b, s]
        if g >= s0 and g < s1:
            cnt += 1
    sh = cuda.shared.array(RED_THREADS, np.int64)
    sh[t] = cnt
    cuda.syncthreads()
    half = T // 2
    while half > 0:
        if t < half:
            sh[t] += sh[t + half]
        cuda.syncthreads()
        half //= 2
    if t == 0 and sh[0] > 0:
        pl.mod_c[b, m] += sh[0] * pl.mf[m, MF_AMOUNT]


# --------------------------------------------------------------------------- 3. traces
@cuda.jit
def _traces(pl, step):
    """Thread (b, c): trace column ``c`` of trial ``b`` decayed by one step, jumping where its neuron spiked."""
    x = cuda.grid(1)
    tr1 = pl.tr1
    tr2 = pl.tr2
    n_tr = tr1.shape[2]
    if x >= tr1.shape[0] * n_tr:
        return
    b = x // n_tr
    c = x - b * n_tr
    pi = pl.pi
    pf = pl.pf
    q = 0
    while c >= pi[q, PI_TR_POST] + pi[q, PI_N_POST]:
        q += 1
    if c >= pi[q, PI_TR_POST]:
        g = pi[q, PI_POST_START] + c - pi[q, PI_TR_POST]
        dec1 = pf[q, PF_DEC_MINUS]
        dec2 = pf[q, PF_DEC_Y]
    else:
        g = pi[q, PI_PRE_START] + c - pi[q, PI_TR_PRE]
        dec1 = pf[q, PF_DEC_PLUS]
        dec2 = pf[q, PF_DEC_X]
    H = tr1.shape[1]
    slot = _wrap(step, H)
    prev = _wrap(step - 1, H)
    # did g spike this step?  binary search in the sorted history list
    n = pl.spk_n[b, slot]
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if pl.spk[b, slot, mid] < g:
            lo = mid + 1
        else:
            hi = mid
    hit = lo < n and pl.spk[b, slot, lo] == g
    nearest = pi[q, PI_NEAREST] != 0
    v = tr1[b, prev, c] * dec1
    tr1[b, slot, c] = trace_jump(v, nearest) if hit else v
    if pi[q, PI_RULE] == RULE_TRIPLET:
        v = tr2[b, prev, c] * dec2
        tr2[b, slot, c] = trace_jump(v, nearest) if hit else v


# --------------------------------------------------------------------------- 4. pre arrivals
@cuda.jit
def _pre(syn, pl, step):
    """Block job (b, s): the ``s``-th spike of each step ``k - d`` reaching its plastic rows (depression)."""
    pi = pl.pi
    pf = pl.pf
    spk = pl.spk
    spk_n = pl.spk_n
    tr1 = pl.tr1
    tr2 = pl.tr2
    elig = pl.elig
    w = syn.w
    H = spk_n.shape[1]
    batch = spk_n.shape[0]
    nt = _max_count(spk_n)
    shared_w = w.shape[0] == 1
    tid = cuda.threadIdx.x
    T = cuda.blockDim.x
    for job in range(cuda.blockIdx.x, batch * nt, cuda.gridDim.x):
        b = job // nt
        s = job - b * nt
        wrow = 0 if shared_w else b
        for q in range(pi.shape[0]):
            dmin = pi[q, PI_DMIN]
            dmax = pi[q, PI_DMAX]
            pre_start = pi[q, PI_PRE_START]
            for d in range(dmin, dmax + 1):
                ks = step - d
                if ks < 0:
                    break
                sl = _wrap(ks, H)
                if s >= spk_n[b, sl]:
                    continue
                g = spk[b, sl, s]
                if g < pre_start or g >= pre_start + pi[q, PI_N_PRE]:
                    continue
                i = g - pre_start
                rule = pi[q, PI_RULE]
                base = pi[q, PI_SYN_OFF]
                rp = syn.proj_rp_off[pi[q, PI_BLK]]
                tr_post = pi[q, PI_TR_POST]
                yslot = _wrap(step - pi[q, PI_DEND] - 1, H)
                el = pi[q, PI_EL_OFF] - base
                dec_minus = pf[q, PF_DEC_MINUS]
                a_minus = pf[q, PF_A_MINUS]
                w_min = pf[q, PF_W_MIN]
                w_max = pf[q, PF_W_MAX]
                mu = pf[q, PF_MU_MINUS]
                uniform = dmin == dmax
                amp = a_minus
                if rule == RULE_TRIPLET:
                    r2 = tr2[b, _wrap(ks - 1, H), pi[q, PI_TR_PRE] + i]
                    amp = triplet_amplitude(a_minus, pf[q, PF_A3_MINUS], r2, pf[q, PF_DEC_X])
                if uniform:
                    j0 = syn.row_ptr[rp + i]
                    j1 = syn.row_ptr[rp + i + 1]
                else:       # the row's bucket of delay d (state/plastic.delay_buckets)
                    r = pi[q, PI_DPTR] + i * (dmax - dmin + 2) + d - dmin
                    j0 = int(pl.dptr[r])
                    j1 = int(pl.dptr[r + 1])
                for j in range(j0 + tid, j1, T):
                    k = base + j
                    if not uniform:
                        k = base + int(pl.dperm[j])
                    y = tr1[b, yslot, tr_post + int(syn.post[k])] * dec_minus
                    if y == 0.0:
                        continue
                    if rule == RULE_DOPAMINE:
                        elig[b, el + k] -= a_minus * y
                    else:
                        w[wrow, k] = depress(rule, w[wrow, k], y, amp, w_min, w_max, mu)


# --------------------------------------------------------------------------- 5. post events
@cuda.jit
def _post(syn, pl, step):
    """Block job (b, s): the ``s``-th spike of step ``k - dendritic_delay`` reaching its plastic
    columns (potentiation)."""
    pi = pl.pi
    pf = pl.pf
    spk = pl.spk
    spk_n = pl.spk_n
    tr1 = pl.tr1
    tr2 = pl.tr2
    elig = pl.elig
    w = syn.w
    H = spk_n.shape[1]
    batch = spk_n.shape[0]
    nt = _max_count(spk_n)
    shared_w = w.shape[0] == 1
    tid = cuda.threadIdx.x
    T = cuda.blockDim.x
    cur = _wrap(step, H)
    for job in range(cuda.blockIdx.x, batch * nt, cuda.gridDim.x):
        b = job // nt
        s = job - b * nt
        wrow = 0 if shared_w else b
        for q in range(pi.shape[0]):
            kp = step - pi[q, PI_DEND]
            if kp < 0:
                continue
            sl = _wrap(kp, H)
            if s >= spk_n[b, sl]:
                continue
            g = spk[b, sl, s]
            post_start = pi[q, PI_POST_START]
            if g < post_start or g >= post_start + pi[q, PI_N_POST]:
                continue
            j = g - post_start
            rule = pi[q, PI_RULE]
            base = pi[q, PI_SYN_OFF]
            tr_pre = pi[q, PI_TR_PRE]
            col_off = pi[q, PI_COL_OFF]
            el = pi[q, PI_EL_OFF] - base
            a_plus = pf[q, PF_A_PLUS]
            w_min = pf[q, PF_W_MIN]
            w_max = pf[q, PF_W_MAX]
            mu = pf[q, PF_MU_PLUS]
            uniform = pi[q, PI_DMIN] == pi[q, PI_DMAX]
            xs0 = _wrap(cur - pi[q, PI_DMIN], H)
            amp = a_plus
            if rule == RULE_TRIPLET:
                r2 = tr2[b, _wrap(kp - 1, H), pi[q, PI_TR_POST] + j]
                amp = triplet_amplitude(a_plus, pf[q, PF_A3_PLUS], r2, pf[q, PF_DEC_Y])
            for idx in range(pl.col_ptr[col_off + j] + tid, pl.col_ptr[col_off + j + 1], T):
                k = pl.col_syn[idx]
                xs = xs0
                if not uniform:
                    xs = _wrap(cur - int(syn.delay[k]), H)
                x = tr1[b, xs, tr_pre + pl.col_pre[idx]]
                if x == 0.0:
                    continue
                if rule == RULE_DOPAMINE:
                    elig[b, el + k] += a_plus * x
                else:
                    w[wrow, k] = potentiate(rule, w[wrow, k], x, amp, w_min, w_max, mu)


# --------------------------------------------------------------------------- 6. dopamine
@cuda.jit
def _dopamine(syn, pl):
    """Thread (b, e): eligibility column ``e`` of trial ``b`` moves its weight by dw = w_max c [DA] dt and decays."""
    x = cuda.grid(1)
    elig = pl.elig
    n_el = elig.shape[1]
    if x >= elig.shape[0] * n_el:
        return
    b = x // n_el
    e = x - b * n_el
    c = elig[b, e]
    if c == 0.0:
        return
    pi = pl.pi
    pf = pl.pf
    q = 0
    while pi[q, PI_RULE] != RULE_DOPAMINE or e >= pi[q, PI_EL_OFF] + pi[q, PI_N_SYN]:
        q += 1
    m = pi[q, PI_MOD]
    w_min = pf[q, PF_W_MIN]
    w_max = pf[q, PF_W_MAX]
    fac = dopamine_factor(w_max, pl.mod_c[b, m], pf[q, PF_INT_CD], pl.mf[m, MF_BASE], pf[q, PF_INT_C])
    w = syn.w
    wrow = 0 if w.shape[0] == 1 else b
    k = pi[q, PI_SYN_OFF] + e - pi[q, PI_EL_OFF]
    if fac != 0.0:
        w[wrow, k] = clip(w[wrow, k] + c * fac, w_min, w_max)
    elig[b, e] = eligibility_decay(c, pf[q, PF_DEC_C])


# --------------------------------------------------------------------------- 7. modulators
@cuda.jit
def _adapt(neurons, pl):
    """Adaptation increment of this step's spikes scaled by (1 + k [M]) (before the decay)."""
    x = cuda.grid(1)
    nt = neurons.spike_list.shape[1]
    if x >= neurons.spike_list.shape[0] * nt:
        return
    b = x // nt
    s = x - b * nt
    if s >= neurons.spike_count[b]:
        return
    g = neurons.spike_list[b, s]
    ei = pl.ei
    ef = pl.ef
    for e in range(ei.shape[0]):
        if ei[e, EI_KIND] == EFFECT_ADAPT_B:
            s0 = ei[e, EI_START]
            if g >= s0 and g < s0 + ei[e, EI_N]:
                m = ei[e, EI_MOD]
                f = modulator_gain(ef[e, EF_K], pl.mf[m, MF_BASE], pl.mod_c[b, m])
                if f != 1.0:
                    neurons.w_adapt[b, g] += neurons.b_adapt[g] * (f - 1.0)


@cuda.jit
def _arrivals(neurons, pl, step, width):
    """Thread (b, i): neuron ``i`` of every arrivals effect, scaled with the decayed [M] (the
    effects run in the CPU's order; two effects on one channel share the thread)."""
    x = cuda.grid(1)
    batch = neurons.ring.shape[0]
    if x >= batch * width:
        return
    b = x // width
    i = x - b * width
    ring = neurons.ring
    nxt = _wrap(step + 1, ring.shape[1])
    ei = pl.ei
    ef = pl.ef
    for e in range(ei.shape[0]):
        if ei[e, EI_KIND] == EFFECT_ARRIVALS and i < ei[e, EI_N]:
            m = ei[e, EI_MOD]
            c = pl.mod_c[b, m] * pl.mf[m, MF_DEC]
            f = modulator_gain(ef[e, EF_K], pl.mf[m, MF_BASE], c)
            if f != 1.0:
                ring[b, nxt, ei[e, EI_START] + i] *= f


@cuda.jit
def _mod_decay(pl):
    """Thread (b, m): modulator ``m`` of trial ``b`` decays by one step."""
    x = cuda.grid(1)
    mod_c = pl.mod_c
    n_mod = mod_c.shape[1]
    if x >= mod_c.shape[0] * n_mod:
        return
    b = x // n_mod
    m = x - b * n_mod
    mod_c[b, m] *= pl.mf[m, MF_DEC]


# --------------------------------------------------------------------------- host
def plan(plast, batch, spike_bound):
    """Host-side sizes of phase 6 for :func:`plasticity` (from the host Plasticity arrays), or
    None when the network has neither plasticity nor modulators."""
    n_pl = int(plast.pi.shape[0])
    n_mod = int(plast.mi.shape[0])
    if n_pl == 0 and n_mod == 0:
        return None
    kinds = plast.ei[:, EI_KIND] if plast.ei.shape[0] else np.zeros(0, np.int64)
    arr = plast.ei[kinds == EFFECT_ARRIVALS, EI_N] if plast.ei.shape[0] else np.zeros(0, np.int64)
    return {"batch": int(batch), "n_pl": n_pl, "n_mod": n_mod, "H": int(plast.spk_n.shape[1]),
            "n_tr": int(plast.tr1.shape[2]), "n_el": int(plast.elig.shape[1]),
            "release": bool(n_mod and np.any(plast.mi[:, MI_SRC_START] >= 0)),
            "adapt": bool(np.any(kinds == EFFECT_ADAPT_B)),
            "arr_width": int(arr.max()) if arr.size else 0, "spike_bound": int(spike_bound)}


def plasticity(pops, syn, neurons, pl, step, plan_):
    """Phase 6 for every trial (see the module docstring); ``plan_`` from :func:`plan`."""
    if plan_ is None:
        return
    batch = plan_["batch"]
    n_pl = plan_["n_pl"]
    if n_pl:
        _store[batch, STORE_THREADS](neurons, pl.spk, pl.spk_n, step % plan_["H"])
    if plan_["release"]:
        _releases[batch * plan_["n_mod"], RED_THREADS](neurons, pl)
    if n_pl:
        n_tr = plan_["n_tr"]
        if n_tr:
            _traces[blocks(batch * n_tr), THREADS](pl, step)
        _pre[PROP_BLOCKS, PROP_THREADS](syn, pl, step)
        _post[PROP_BLOCKS, PROP_THREADS](syn, pl, step)
        if plan_["n_el"]:
            _dopamine[blocks(batch * plan_["n_el"]), THREADS](syn, pl)
    if plan_["n_mod"]:
        if plan_["adapt"]:
            _adapt[blocks(plan_["spike_bound"]), THREADS](neurons, pl)
        if plan_["arr_width"]:
            _arrivals[blocks(batch * plan_["arr_width"]), THREADS](neurons, pl, step, plan_["arr_width"])
        _mod_decay[blocks(batch * plan_["n_mod"]), THREADS](pl)
