"""Phase 5 of a step: each spike walks its CSR rows and adds ``w`` into the ring-buffer slot
``delay`` steps ahead (delay >= 1 step), in ascending spike order (deterministic sums).

A projection onto a ``direct`` channel (every input to it has a delay of one step, see
state/arrays.py) adds ``w * norm`` straight into the receptor state instead: the neuron update of
this step has already decayed it, so the sum is the one the next step would have taken from the
ring (in Brian2's order: state + w1 + w2 + ...), and the ring slot is never touched."""
from numba import njit


@njit(cache=True, _nrt=False)
def propagate(pops, syn, neurons, step):
    ring = neurons.ring
    gd = neurons.g_decay
    gr = neurons.g_rise
    n_slots = ring.shape[1]
    cur = step % n_slots
    shared_w = syn.w.shape[0] == 1
    for b in range(ring.shape[0]):
        wrow = 0 if shared_w else b
        wr = syn.w[wrow]
        gdb = gd[b]
        grb = gr[b]
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
                if k1 <= k0:
                    continue
                if syn.proj_direct[q]:
                    norm = syn.proj_norm[q]
                    if syn.proj_dense[q]:
                        t0 = syn.proj_slot0[q] - k0
                        for k in range(k0, k1):
                            gdb[t0 + k] += wr[k] * norm
                        if syn.proj_rise[q]:
                            for k in range(k0, k1):
                                grb[t0 + k] += wr[k] * norm
                    elif syn.proj_rise[q]:
                        for k in range(k0, k1):
                            x = wr[k] * norm
                            gdb[syn.target[k]] += x
                            grb[syn.target[k]] += x
                    else:
                        for k in range(k0, k1):
                            gdb[syn.target[k]] += wr[k] * norm
                    continue
                if syn.proj_dense[q]:
                    # all-to-all row: contiguous targets and one delay -> a vectorised row add
                    sl = cur + syn.delay[k0]
                    if sl >= n_slots:
                        sl -= n_slots
                    dst = ring[b, sl]
                    t0 = syn.proj_slot0[q] - k0
                    for k in range(k0, k1):
                        dst[t0 + k] += wr[k]
                    continue
                for k in range(k0, k1):
                    sl = cur + syn.delay[k]
                    if sl >= n_slots:
                        sl -= n_slots
                    ring[b, sl, syn.target[k]] += wr[k]
