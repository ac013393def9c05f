"""Phase 5 of a step: each spike walks its CSR rows and adds ``w`` into the ring-buffer slot
``delay`` steps ahead (delay >= 1 step), in ascending spike order (deterministic sums).

A projection onto a ``direct`` channel (every input to it has a delay of one step, see
state/arrays.py) adds ``w * norm`` straight into the receptor state instead: the neuron update of
this step has already decayed it, so the sum is the one the next step would have taken from the
ring (in Brian2's order: state + w1 + w2 + ...), and the ring slot is never touched.

``propagate_owned`` is the multi-threaded form (one trial): every thread walks every spike but
adds only into the post neurons whose blocks it updates (``own_lo``/``own_hi``: a range of local
indices per population), so no two threads write the same memory and each target still receives
its inputs in the serial order, bit for bit.

Projections with Tsodyks-Markram short-term plasticity (``stp``, marker ``use_stp``; None when a
network has none, and that code is left out) go through short_term.py instead, over the same
synapse ranges; those with a release probability (``rel``, marker ``use_rel``) through
release.py."""
from .jit import kernel
from .short_term import short_term_range
from .release import release_range


def synapse_paths(syn):
    """Which kinds of propagated projections a network has, as the markers ``(use_ring,
    use_dense, use_rise, use_unsorted)`` of ``propagate`` and ``propagate_owned``: ``True`` when
    some projection that spikes walk (``out_proj``) goes through the ring buffer (not ``direct``),
    is dense (all-to-all rows), has a rise component, or has rows whose ``post`` is not ascending;
    ``None`` when none does (that code is then left out of the compiled kernels, see
    chunk.chunk_args)."""
    q = syn.out_proj
    def mark(flags):
        return True if bool(flags[q].any()) else None
    return (mark(~syn.proj_direct), mark(syn.proj_dense), mark(syn.proj_rise),
            mark(~syn.proj_sorted & ~syn.proj_dense))


@kernel(inline="always")
def _add_range(syn, ring, gdb, grb, q, k0, ka, kb, cur, n_slots, wr, use_ring, use_dense, use_rise):
    """Add synapses ``ka..kb-1`` of the row starting at ``k0`` of projection ``q``.  ``use_*``:
    see :func:`synapse_paths` (a branch whose marker is ``None`` is never taken)."""
    if kb <= ka:
        return
    if use_ring is None or syn.proj_direct[q]:
        norm = syn.proj_norm[q]
        if use_dense is not None and syn.proj_dense[q]:
            t0 = syn.proj_slot0[q] - k0
            for k in range(ka, kb):
                gdb[t0 + k] += wr[k] * norm
            if use_rise is not None and syn.proj_rise[q]:
                for k in range(ka, kb):
                    grb[t0 + k] += wr[k] * norm
        elif use_rise is not None and syn.proj_rise[q]:
            t1 = syn.proj_slot0[q]
            for k in range(ka, kb):
                x = wr[k] * norm
                gdb[t1 + syn.post[k]] += x
                grb[t1 + syn.post[k]] += x
        else:
            t1 = syn.proj_slot0[q]
            for k in range(ka, kb):
                gdb[t1 + syn.post[k]] += wr[k] * norm
        return
    if use_dense is not None and syn.proj_dense[q]:
        # all-to-all row: contiguous targets and one delay -> a vectorised row add
        sl = cur + syn.delay[k0]
        if sl >= n_slots:
            sl -= n_slots
        dst = ring[sl]
        t0 = syn.proj_slot0[q] - k0
        for k in range(ka, kb):
            dst[t0 + k] += wr[k]
        return
    t1 = syn.proj_slot0[q]
    for k in range(ka, kb):
        sl = cur + syn.delay[k]
        if sl >= n_slots:
            sl -= n_slots
        ring[sl, t1 + syn.post[k]] += wr[k]


@kernel
def propagate(pops, syn, neurons, step, use_ring, use_dense, use_rise, stp, use_stp, rel, use_rel, key):
    """All trials, all targets (one thread).  ``use_*``: see :func:`synapse_paths`; ``stp``: the
    ShortTerm state (None with ``use_stp`` None); ``rel``: the Release state (None with ``use_rel``
    None), ``key`` the counter-based generator's key."""
    n_slots = neurons.ring.shape[1]
    cur = step % n_slots
    shared_w = syn.w.shape[0] == 1
    for b in range(neurons.ring.shape[0]):
        wr = syn.w[0 if shared_w else b]
        ring = neurons.ring[b]
        gdb = neurons.g_decay[b]
        grb = neurons.g_rise[b]
        p = 0
        for s in range(neurons.spike_count[b]):
            g = neurons.spike_list[b, s]
            while g >= pops.end[p]:
                p += 1
            i = g - pops.start[p]
            for qq in range(syn.out_ptr[p], syn.out_ptr[p + 1]):
                q = syn.out_proj[qq]
                base = syn.proj_syn_off[q]
                rp = syn.proj_rp_off[q]
                k0 = base + syn.row_ptr[rp + i]
                k1 = base + syn.row_ptr[rp + i + 1]
                if use_stp is not None:
                    if stp.proj_row[q] >= 0:
                        short_term_range(syn, stp, b, ring, gdb, grb, q, k0, k1, cur, n_slots, wr, step)
                        continue
                if use_rel is not None:
                    if rel.shift[q] >= 0:
                        release_range(syn, rel, b, ring, gdb, grb, q, k0, k1, cur, n_slots, wr, key, step)
                        continue
                _add_range(syn, ring, gdb, grb, q, k0, k0, k1, cur, n_slots, wr, use_ring, use_dense, use_rise)


@kernel(inline="always")
def _first_at_least(post, ka, kb, x):
    """First k in [ka, kb) with post[k] >= x (post ascending there), else kb."""
    lo = ka
    hi = kb
    while lo < hi:
        mid = (lo + hi) >> 1
        if post[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def propagate_owned(pops, syn, neurons, step, own_lo, own_hi, use_ring, use_dense, use_rise, use_unsorted, stp,
                    use_stp, rel, use_rel, key):
    """Trial 0 only, targets restricted to local post indices ``own_lo[p] .. own_hi[p]-1`` of
    each population ``p`` (see the module docstring).  ``use_*``: see :func:`synapse_paths`."""
    n_slots = neurons.ring.shape[1]
    cur = step % n_slots
    wr = syn.w[0]
    ring = neurons.ring[0]
    gdb = neurons.g_decay[0]
    grb = neurons.g_rise[0]
    post = syn.post
    p = 0
    for s in range(neurons.spike_count[0]):
        g = neurons.spike_list[0, s]
        while g >= pops.end[p]:
            p += 1
        i = g - pops.start[p]
        for qq in range(syn.out_ptr[p], syn.out_ptr[p + 1]):
            q = syn.out_proj[qq]
            pp = syn.proj_post_pop[q]
            lo = own_lo[pp]
            hi = own_hi[pp]
            if hi <= lo:
                continue
            base = syn.proj_syn_off[q]
            rp = syn.proj_rp_off[q]
            k0 = base + syn.row_ptr[rp + i]
            k1 = base + syn.row_ptr[rp + i + 1]
            if k1 <= k0:
                continue
            if use_stp is not None:
                if stp.proj_row[q] >= 0:
                    # each synapse updated by the thread that owns its target only
                    if syn.proj_dense[q]:
                        short_term_range(syn, stp, 0, ring, gdb, grb, q, k0 + lo, k0 + hi, cur, n_slots, wr, step)
                    elif syn.proj_sorted[q]:
                        ka = k0 if post[k0] >= lo else _first_at_least(post, k0, k1, lo)
                        kb = k1 if post[k1 - 1] < hi else _first_at_least(post, ka, k1, hi)
                        short_term_range(syn, stp, 0, ring, gdb, grb, q, ka, kb, cur, n_slots, wr, step)
                    else:
                        for k in range(k0, k1):
                            if post[k] >= lo and post[k] < hi:
                                short_term_range(syn, stp, 0, ring, gdb, grb, q, k, k + 1, cur, n_slots, wr, step)
                    continue
            if use_rel is not None:
                if rel.shift[q] >= 0:
                    # each synapse drawn by the thread that owns its target (the draw depends on k only)
                    if syn.proj_dense[q]:
                        release_range(syn, rel, 0, ring, gdb, grb, q, k0 + lo, k0 + hi, cur, n_slots, wr, key, step)
                    elif syn.proj_sorted[q]:
                        ka = k0 if post[k0] >= lo else _first_at_least(post, k0, k1, lo)
                        kb = k1 if post[k1 - 1] < hi else _first_at_least(post, ka, k1, hi)
                        release_range(syn, rel, 0, ring, gdb, grb, q, ka, kb, cur, n_slots, wr, key, step)
                    else:
                        for k in range(k0, k1):
                            if post[k] >= lo and post[k] < hi:
                                release_range(syn, rel, 0, ring, gdb, grb, q, k, k + 1, cur, n_slots, wr, key, step)
                    continue
            if use_dense is not None and syn.proj_dense[q]:
                _add_range(syn, ring, gdb, grb, q, k0, k0 + lo, k0 + hi, cur, n_slots, wr, use_ring, use_dense,
                           use_rise)
            elif use_unsorted is None or syn.proj_sorted[q]:
                ka = k0 if post[k0] >= lo else _first_at_least(post, k0, k1, lo)
                kb = k1 if post[k1 - 1] < hi else _first_at_least(post, ka, k1, hi)
                _add_range(syn, ring, gdb, grb, q, k0, ka, kb, cur, n_slots, wr, use_ring, use_dense, use_rise)
            else:
                for k in range(k0, k1):
                    if post[k] >= lo and post[k] < hi:
                        _add_range(syn, ring, gdb, grb, q, k0, k, k + 1, cur, n_slots, wr, use_ring, use_dense,
                                   use_rise)
