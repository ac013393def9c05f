"""Phase 5 of a step: each spike walks its CSR rows and adds ``w`` into the ring-buffer slot
``delay`` steps ahead (delay >= 1 step), in ascending spike order (deterministic sums)."""
from numba import njit


@njit(cache=True)
def propagate(pops, syn, neurons, step):
    ring = neurons.ring
    n_slots = ring.shape[1]
    cur = step % n_slots
    n_pops = pops.kind.shape[0]
    shared_w = syn.w.shape[0] == 1
    for b in range(ring.shape[0]):
        wrow = 0 if shared_w else b
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
                if syn.proj_dense[q]:
                    # all-to-all row: contiguous targets and one delay -> a vectorised row add
                    if k1 > k0:
                        sl = cur + syn.delay[k0]
                        if sl >= n_slots:
                            sl -= n_slots
                        dst = ring[b, sl]
                        t0 = syn.proj_slot0[q] - k0
                        wr = syn.w[wrow]
                        for k in range(k0, k1):
                            dst[t0 + k] += wr[k]
                    continue
                for k in range(k0, k1):
                    sl = cur + syn.delay[k]
                    if sl >= n_slots:
                        sl -= n_slots
                    ring[b, sl, syn.target[k]] += syn.w[wrow, k]
