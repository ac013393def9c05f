"""Device twin of kernels/cpu/propagate.py: one thread block per spike (grid-stride), its
threads walk the spike's CSR rows and add ``w`` atomically into the ring-buffer slot ``delay``
steps ahead (or ``w * norm`` into the receptor state of a ``direct`` channel).  Atomic adds make the summation order, and so the last bits, order-dependent.
A synapse with Tsodyks-Markram short-term plasticity (``stp.proj_row[q] >= 0``) is updated by the
thread that walks it (short_term.py) and adds ``w`` times its transmitted fraction.  A synapse
with a release probability (``rel.shift[q] >= 0``, spec/release.py) adds ``w`` iff its draw
``uniform(key, STREAM_RELEASE, step, b * n_syn + k - shift[q])`` is below ``p[k]``, the same draw as
the CPU's (kernels/cpu/release.py).  ``post`` and ``delay`` are narrow unsigned integers
(state/arrays.Synapses): they are read through ``int()``, so that the simulator (numpy scalar rules,
where a Python int minus a uint8 stays uint8) computes slots as the compiled kernels do."""
from numba import config, cuda

from .short_term import short_term_amount
from .maths import step_base, uniform_at
from ..scalar import STREAM_RELEASE

# the simulator runs every CUDA thread as a Python thread: keep its grids tiny
PROP_BLOCKS = 2 if config.ENABLE_CUDASIM else 256
PROP_THREADS = 4 if config.ENABLE_CUDASIM else 64


@cuda.jit
def _propagate(pops, syn, stp, rel, neurons, key, step):
    ring = neurons.ring
    n_slots = ring.shape[1]
    cur = step % n_slots
    batch = ring.shape[0]
    nt = neurons.spike_list.shape[1]
    shared_w = syn.w.shape[0] == 1
    n_syn = syn.post.shape[0]
    rbase = step_base(key, STREAM_RELEASE, step)
    for job in range(cuda.blockIdx.x, batch * nt, cuda.gridDim.x):
        b = job // nt
        s = job - b * nt
        if s >= neurons.spike_count[b]:
            continue
        g = neurons.spike_list[b, s]
        p = 0
        while g >= pops.end[p]:
            p += 1
        i = g - pops.start[p]
        wrow = 0 if shared_w else b
        for qq in range(syn.out_ptr[p], syn.out_ptr[p + 1]):
            q = syn.out_proj[qq]
            base = syn.proj_syn_off[q]
            rp = syn.proj_rp_off[q]
            k0 = base + syn.row_ptr[rp + i]
            k1 = base + syn.row_ptr[rp + i + 1]
            tm = stp.proj_row[q] >= 0
            shift = rel.shift[q]
            t0 = syn.proj_slot0[q]
            idx0 = b * n_syn - shift
            if syn.proj_direct[q]:
                # straight into the receptor state (see kernels/cpu/propagate.py)
                norm = syn.proj_norm[q]
                rise = syn.proj_rise[q]
                for k in range(k0 + cuda.threadIdx.x, k1, cuda.blockDim.x):
                    if shift >= 0 and not uniform_at(rbase, idx0 + k) < rel.p[k]:
                        continue
                    x = syn.w[wrow, k] * short_term_amount(stp, b, q, k, step) * norm if tm else syn.w[wrow, k] * norm
                    cuda.atomic.add(neurons.g_decay, (b, t0 + int(syn.post[k])), x)
                    if rise:
                        cuda.atomic.add(neurons.g_rise, (b, t0 + int(syn.post[k])), x)
                continue
            for k in range(k0 + cuda.threadIdx.x, k1, cuda.blockDim.x):
                if shift >= 0 and not uniform_at(rbase, idx0 + k) < rel.p[k]:
                    continue
                sl = cur + int(syn.delay[k])
                if sl >= n_slots:
                    sl -= n_slots
                wk = syn.w[wrow, k] * short_term_amount(stp, b, q, k, step) if tm else syn.w[wrow, k]
                cuda.atomic.add(ring, (b, sl, t0 + int(syn.post[k])), wk)


def propagate(pops, syn, stp, rel, neurons, key, step):
    _propagate[PROP_BLOCKS, PROP_THREADS](pops, syn, stp, rel, neurons, key, step)
