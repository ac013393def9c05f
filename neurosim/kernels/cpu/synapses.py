"""Phase 2 of a step: move this step's arrivals from the delay ring buffer into the
receptors' state (scaled by each channel's peak normalisation)."""
from numba import njit


@njit(cache=True)
def deliver_arrivals(pops, chans, neurons, step):
    ring = neurons.ring
    n_slots = ring.shape[1]
    cur = step % n_slots
    gd = neurons.g_decay
    gr = neurons.g_rise
    for p in range(pops.kind.shape[0]):
        nch = pops.n_ch[p]
        if nch == 0:
            continue
        n = pops.end[p] - pops.start[p]
        for c in range(nch):
            ch = pops.ch_off[p] + c
            s0 = pops.slot_off[p] + c * n
            norm = chans.norm[ch]
            rise = chans.has_rise[ch]
            for b in range(gd.shape[0]):
                row = ring[b, cur]
                for s in range(s0, s0 + n):
                    x = row[s]
                    if x != 0.0:
                        row[s] = 0.0
                        x *= norm
                        gd[b, s] += x
                        if rise:
                            gr[b, s] += x
