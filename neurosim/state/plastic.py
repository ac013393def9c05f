"""Lays out phase 6 (plasticity, neuromodulators) as arrays; called by :func:`build_state`.

* per plastic projection: its rule constants, the axonal-delay range of its synapses, and the
  transposed (post neuron -> synapses) index ``col_ptr``/``col_syn``/``col_pre``, built once
  here with a stable sort so each post neuron's synapses are listed in ascending synapse order;
* per plastic projection with non-uniform axonal delays: each presynaptic row's synapses bucketed
  by delay (``dperm``/``dptr``, :func:`delay_buckets`), so a spike arriving ``d`` steps after it
  was emitted visits only the synapses of delay ``d`` instead of its whole row;
* per-neuron traces with a history of ``H`` steps (see :class:`~neurosim.state.arrays.Plasticity`);
* weights: a plastic network with ``batch > 1`` gets ``Synapses.w`` of shape ``(batch, n_syn)``
  for *all* projections (static ones hold the same row in every trial), so every trial learns
  on its own copy and propagation indexes ``w`` by trial; with ``batch == 1`` ``w`` stays
  ``(1, n_syn)``.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import SpecError
from ..spec.plasticity import STDP, TripletSTDP, DopamineSTDP
from ..spec.timegrid import to_steps
from . import arrays as A
from .connect import pre_indices


def dendritic_steps(delay_ms: float, dt: float, what: str = "dendritic_delay") -> int:
    """The dendritic delay (ms) in steps: a multiple of dt (spec/timegrid.py), 0 allowed."""
    return to_steps(delay_ms, dt, what, min_steps=0)


def _modulator_index(net, name, what):
    for m, mod in enumerate(getattr(net, "modulators", [])):
        if mod.name == name:
            return m
    known = [m.name for m in getattr(net, "modulators", [])]
    raise SpecError(f"{what}: no modulator named {name!r} in the network (known: {known}); add it with "
                    f"net.modulator(Dopamine(name={name!r}), ...)")


def plastic_rows(net) -> dict:
    """Projection index -> its row in ``Plasticity.pi`` / ``pf``: the plastic projections in
    network order, as :func:`build_plasticity` lays them out (``Layout.plastic_blocks``)."""
    return {q.index: i for i, q in enumerate(p for p in net.projections if getattr(p, "plasticity", None) is not None)}


def delay_buckets(pre, d, n_pre, dmin, dmax):
    """Delay bucketing of one block's rows: ``(perm, ptr)`` with ``perm`` (uint32) the block-local
    synapse offsets, each row's synapses stably sorted by delay (so a bucket lists its synapses in
    ascending order, as the row walk visits them), and ``ptr`` (int64, ``n_pre x (nd + 1)``,
    ``nd = dmax - dmin + 1``) where bucket ``(i, d)`` is ``perm[ptr[i, d - dmin]:ptr[i, d - dmin + 1]]``.
    ``pre``: local pre index of each synapse (rows contiguous, ascending); ``d``: delays (steps)."""
    nd = dmax - dmin + 1
    key = pre * nd + (d.astype(np.int64) - dmin)
    perm = np.argsort(key, kind="stable").astype(np.uint32)
    start = np.zeros(n_pre * nd + 1, np.int64)
    np.cumsum(np.bincount(key, minlength=n_pre * nd), out=start[1:])
    ptr = start[np.arange(n_pre, dtype=np.int64)[:, None] * nd + np.arange(nd + 1, dtype=np.int64)[None, :]]
    return perm, ptr


def build_plasticity(net, layout, syn, batch, n_total, fdt, dt):
    """Returns (Synapses with per-trial weights where needed, Plasticity)."""
    rows = []
    col_ptr, col_syn, col_pre = [], [], []
    dperm, dptr = [], []
    n_tr = n_el = n_col = n_cs = n_dp = n_ds = 0
    w = syn.w
    any_triplet = False
    for q in net.projections:
        rule = getattr(q, "plasticity", None)
        if rule is None:
            continue
        blocks = layout.proj_blocks[q.index]
        if len(blocks) != 1:
            raise SpecError(f"projection {q.name!r}: plasticity needs a single receptor, got "
                            f"{[b[0].name for b in blocks]}")
        rec, off, n_syn, blk, rp = blocks[0]
        # weights drawn from a distribution are clipped into the rule's bounds (given weights were
        # checked against them with the projection: spec/projections.check_projection)
        wb = w[0, off:off + n_syn]
        if n_syn and (wb.min() < rule.w_min or wb.max() > rule.w_max):
            np.clip(wb, rule.w_min, rule.w_max, out=wb)
        post = syn.post[off:off + n_syn]
        d = syn.delay[off:off + n_syn]
        dmin = int(d.min()) if n_syn else 1
        dmax = int(d.max()) if n_syn else 1
        order = np.argsort(post, kind="stable")
        cnt = np.bincount(post, minlength=q.post.n)
        cp = np.zeros(q.post.n + 1, np.int64)
        np.cumsum(cnt, out=cp[1:])
        col_ptr.append(cp + n_cs)
        col_syn.append((off + order).astype(np.int64))
        pre = pre_indices(rp)
        col_pre.append(pre[order])
        dp_off = -1
        if dmin != dmax:
            if n_syn >= 2 ** 32:
                raise SpecError(f"projection {q.name!r}: {n_syn} synapses with non-uniform delays and plasticity; "
                                f"at most 2**32 - 1 are supported")
            perm, ptr = delay_buckets(pre, d, q.pre.n, dmin, dmax)
            dperm.append(perm)
            dptr.append((ptr + n_ds).ravel())
            dp_off = n_dp
            n_dp += ptr.size
            n_ds += n_syn
        r = dict(blk=blk, pre_start=layout.pop_start[q.pre.index], n_pre=q.pre.n,
                 post_start=layout.pop_start[q.post.index], n_post=q.post.n, syn_off=off, n_syn=n_syn,
                 tr_pre=n_tr, tr_post=n_tr + q.pre.n, col_off=n_col, el_off=-1, mod=-1,
                 dend=dendritic_steps(rule.dendritic_delay, dt,
                                      f"projection {q.name!r}: {type(rule).__name__}.dendritic_delay"),
                 dmin=dmin, dmax=dmax, dptr=dp_off,
                 nearest=rule.pairing == "nearest", a3_plus=0.0, a3_minus=0.0, mu_plus=0.0, mu_minus=0.0,
                 w_min=rule.w_min, w_max=rule.w_max, dec_plus=math.exp(-dt / rule.tau_plus),
                 dec_minus=math.exp(-dt / rule.tau_minus), dec_x=0.0, dec_y=0.0, dec_c=0.0, int_c=0.0,
                 int_cd=0.0)
        n_tr += q.pre.n + q.post.n
        n_col += q.post.n + 1
        n_cs += n_syn
        if isinstance(rule, STDP):
            r.update(rule=A.RULE_PAIR, a_plus=rule.a_plus, a_minus=rule.a_minus, mu_plus=rule.mu_plus,
                     mu_minus=rule.mu_minus)
        elif isinstance(rule, TripletSTDP):
            any_triplet = True
            r.update(rule=A.RULE_TRIPLET, a_plus=rule.a2_plus, a_minus=rule.a2_minus, a3_plus=rule.a3_plus,
                     a3_minus=rule.a3_minus, dec_x=math.exp(-dt / rule.tau_x), dec_y=math.exp(-dt / rule.tau_y))
        elif isinstance(rule, DopamineSTDP):
            m = _modulator_index(net, rule.modulator, f"projection {q.name!r}: DopamineSTDP.modulator")
            tau_m = net.modulators[m].spec.tau
            tau_cd = 1.0 / (1.0 / rule.tau_c + 1.0 / tau_m)
            r.update(rule=A.RULE_DOPAMINE, a_plus=rule.a_plus, a_minus=rule.a_minus, el_off=n_el, mod=m,
                     dec_c=math.exp(-dt / rule.tau_c), int_c=-rule.tau_c * math.expm1(-dt / rule.tau_c),
                     int_cd=-tau_cd * math.expm1(-dt / tau_cd))
            n_el += n_syn
        else:  # pragma: no cover - Network.connect refuses other objects
            raise SpecError(f"projection {q.name!r}: unknown plasticity rule {rule!r}")
        rows.append(r)

    n_pl = len(rows)
    if n_pl and batch > 1 and w.shape[0] == 1:
        w = np.repeat(w, batch, axis=0)
        syn = syn._replace(w=w)
    H = max([max(r["dmax"], r["dend"]) + 2 for r in rows], default=1)
    cat = lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t)  # noqa: E731
    icols = ["blk", "rule", "nearest", "pre_start", "n_pre", "post_start", "n_post", "syn_off", "n_syn", "tr_pre",
             "tr_post", "col_off", "el_off", "mod", "dend", "dmin", "dmax", "dptr"]
    fcols = ["a_plus", "a_minus", "a3_plus", "a3_minus", "mu_plus", "mu_minus", "w_min", "w_max", "dec_plus",
             "dec_minus", "dec_x", "dec_y", "dec_c", "int_c", "int_cd"]
    assert len(icols) == A.N_PI and len(fcols) == A.N_PF
    pi = np.asarray([[int(r[c]) for c in icols] for r in rows], np.int64).reshape(n_pl, A.N_PI)
    pf = np.asarray([[float(r[c]) for c in fcols] for r in rows], fdt).reshape(n_pl, A.N_PF)

    # --- modulators and their effects
    mods = list(getattr(net, "modulators", []))
    mi = np.asarray([[layout.pop_start[m.source.index], layout.pop_start[m.source.index] + m.source.n]
                     if m.source is not None else [-1, -1] for m in mods], np.int64).reshape(len(mods), A.N_MI)
    mf = np.asarray([[math.exp(-dt / m.spec.tau), m.spec.baseline, m.per_spike] for m in mods],
                    fdt).reshape(len(mods), A.N_MF)
    ei, ef = [], []
    for e in getattr(net, "modulations", []):
        pop = e.pop
        if e.quantity == "b":
            ei.append([A.EFFECT_ADAPT_B, e.modulator.index, layout.pop_start[pop.index], pop.n])
            ef.append([e.k])
        else:
            name = e.quantity[2:]
            chans = layout.pop_channels.get(pop.index, [])
            c = next((c for c, rec in enumerate(chans) if rec.name == name), None)
            if c is None:
                raise SpecError(f"modulate: population {pop.name!r} has no receptor channel {name!r}; known: "
                                f"{['g_' + rec.name for rec in chans]}")
            ei.append([A.EFFECT_ARRIVALS, e.modulator.index, layout.slot_off[pop.index] + c * pop.n, pop.n])
            ef.append([e.k])

    plast = A.Plasticity(
        pi=pi, pf=pf, col_ptr=cat(col_ptr, np.int64), col_syn=cat(col_syn, np.int64), col_pre=cat(col_pre, np.int64),
        dperm=cat(dperm, np.uint32), dptr=cat(dptr, np.int32 if n_ds < 2 ** 31 else np.int64),
        tr1=np.zeros((batch, H, n_tr), fdt), tr2=np.zeros((batch, H, n_tr if any_triplet else 0), fdt),
        spk=np.zeros((batch, H, n_total if n_pl else 0), np.int64), spk_n=np.zeros((batch, H), np.int64),
        elig=np.zeros((batch, n_el), fdt), mi=mi, mf=mf, mod_c=np.zeros((batch, len(mods)), fdt),
        ei=np.asarray(ei, np.int64).reshape(len(ei), A.N_EI), ef=np.asarray(ef, fdt).reshape(len(ef), A.N_EF))
    return syn, plast
