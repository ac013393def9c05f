"""build_state(spec, seed) -> SimState: the only place that allocates simulation arrays.

Random draws at build time (connectivity, weights, delays, initial values) come from
generators seeded by (network seed, purpose, index), so they do not depend on threads
or on the order in which other objects were built.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..spec.distributions import realise
from ..spec.inputs import PoissonSource, SpikeGenerator, as_schedule
from ..spec.neurons import LIFCond
from ..spec.adex import AdEx
from ..spec.timegrid import round_steps, times_to_steps
from . import arrays as A
from .connect import draw, index_types, rows_are_ranges, rows_sorted
from .synapse_join import is_scalar as _is_scalar, join as _join, narrow_steps as _narrow_steps
from .sources import source_input_arrays, generated_targets
from .saturating import saturating_arrays
from .partial import partial_rows
from .neuron_params import (NEURON_FIELDS, realise_params, neuron_arrays, slot_propagators, initial_v,
                            initial_w_adapt, is_uniform, initial_theta, theta_flag)

PURPOSE_CONNECT = 1
PURPOSE_WEIGHT = 2
PURPOSE_DELAY = 3
PURPOSE_VINIT = 4


def rng_for(seed: int, purpose: int, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, purpose, index])))


def seed32(seed: int, purpose: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, purpose, index]).generate_state(1)[0])


def counter_key(seed: int) -> int:
    """The 64-bit key (np.uint64) of the counter-based generator for a network seed."""
    return np.uint64(np.random.SeedSequence([seed, 99]).generate_state(1, dtype=np.uint64)[0])


@dataclass(frozen=True, eq=False)
class Layout:
    """Index bookkeeping kept beside the arrays (offsets, channel lists), built once at the end of
    :func:`build_state` and not changed afterwards (frozen; the dicts are not to be changed either).
    Keys are population / projection indices (``Population.index``, ``Projection.index``)."""

    pop_start: dict        # pop index -> first global id (neuron populations first, then sources)
    pop_channels: dict     # neuron pop index -> list of Receptor (channel order)
    proj_blocks: dict      # projection index -> list of (receptor, syn_off, n_syn, proj_row, row_ptr): row_ptr
                           # is the block's (n_pre+1,) view of Synapses.row_ptr (connect.pre_indices)
    n_neurons: int         # neurons (sources excluded)
    n_total: int           # neurons and sources
    pos: dict              # pop index -> row in the Populations arrays
    slot_off: dict         # neuron pop index -> first synaptic slot
    pop_ch_off: dict       # neuron pop index -> first row in the Channels arrays
    plastic_blocks: dict   # plastic projection index -> row in Plasticity.pi / pf
    partial: dict = None   # MPI: projection index -> True when this process keeps part of it (state/partial.py)
    whole_first: dict = None   # projection index -> its first synapse in one process's layout (MPI: release
                               # draws are counted from it, state/release.py)


def _channel_index(pop_channels, pop_index, receptor):
    chans = pop_channels.setdefault(pop_index, [])
    for c, r in enumerate(chans):
        if r == receptor:
            return c
    chans.append(receptor)
    return len(chans) - 1


def _table_builder(dt, batch):
    steps, vals, k_off, k_n, v_off, nb, width = [], [], [], [], [], [], []
    counts = {"k": 0, "v": 0}

    def add(sched):
        t_steps = times_to_steps(sched.times, dt, "schedule time")
        if t_steps.size > 1 and np.any(np.diff(t_steps) <= 0):
            raise SpecError("schedule change points closer than one time step")
        v = np.asarray(sched.values, dtype=np.float64)
        k_off.append(counts["k"]); k_n.append(t_steps.size)
        v_off.append(counts["v"]); nb.append(v.shape[1]); width.append(v.shape[2])
        steps.append(t_steps); vals.append(v.reshape(-1))
        counts["k"] += t_steps.size
        counts["v"] += v.size
        return len(k_off) - 1

    def finish(dtype):
        i64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
        return A.Tables(i64(k_off), i64(k_n), i64(v_off), i64(nb), i64(width),
                        np.concatenate(steps) if steps else np.zeros(0, np.int64),
                        (np.concatenate(vals) if vals else np.zeros(0)).astype(dtype),
                        np.full(len(k_off), -1, np.int64))
    return add, finish


def schedule_tables(net, pos, dt, batch, fdt):
    """The piecewise-constant schedules of a network as one :class:`~neurosim.state.arrays.Tables`:
    the rates of its Poisson populations, then its injected currents, then its Poisson drives.
    Returns (tables, table of each population row (-1: none), table of each current, of each drive).
    Used at build time and when a rate or a current changes between runs."""
    add_table, finish_tables = _table_builder(dt, batch)
    pop_table = np.full(len(pos), -1, np.int64)
    for p in sorted(net.populations, key=lambda q: pos[q.index]):
        if isinstance(p.model, PoissonSource):
            pop_table[pos[p.index]] = add_table(as_schedule(f"poisson {p.name!r}: rate", p.model.rate, p.n, batch,
                                                            "Hz", low=0.0))
    cur_table = [add_table(as_schedule("inject: amplitude", c.amplitude, np.asarray(c.indices).size, batch, "pA"))
                 for p, c in net.currents]
    drv_table = [add_table(as_schedule("poisson_drive: rate", d.rate, p.n, batch, "Hz", low=0.0))
                 for p, rec, d in net.drives]
    return finish_tables(fdt), pop_table, np.asarray(cur_table, np.int64), np.asarray(drv_table, np.int64)


def generator_arrays(pops, pop_start: dict, dt: float):
    """(steps, global ids, trials) of every spike of the spike-generator populations among ``pops``,
    sorted by step then id (the kernels walk them with one pointer); a source firing twice in one
    step is refused."""
    steps, ids_, trials = [], [], []
    for p in pops:
        if isinstance(p.model, SpikeGenerator):
            m = p.model
            st = round_steps(m.times, dt)   # spike times are data: nearest step, halves up
            ids = np.asarray(m.ids, np.int64)
            tr = np.full(st.size, -1, np.int64) if m.trials is None else np.asarray(m.trials, np.int64)
            if st.size and np.unique(np.stack([st, ids, tr]), axis=1).shape[1] != st.size:
                raise SpecError(f"spike_generator {p.name!r}: a source fires twice in one time step "
                                f"(dt = {dt} ms); merge or separate those spikes")
            steps.append(st); ids_.append(ids + pop_start[p.index]); trials.append(tr)
    cat = lambda xs: np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, np.int64)  # noqa: E731
    gs, gi, gt = cat(steps), cat(ids_), cat(trials)
    o = np.lexsort((gi, gs))
    return gs[o], gi[o], gt[o]


def build_state(spec, seed=None, own_ranges=None):
    """Lay a :class:`~neurosim.spec.network.NetworkSpec` out as a
    :class:`~neurosim.state.arrays.SimState` and its :class:`Layout`; ``seed`` (default the
    spec's) seeds every draw.  A ``Network`` is taken as its ``spec()``.  ``own_ranges`` (MPI,
    sim/partition.py): ``pops -> (lo, hi)``, this process's local neuron range of each population;
    synapses onto other processes' neurons are then not kept where that is possible (partial.py)."""
    if callable(getattr(spec, "spec", None)):
        spec = spec.spec()
    if seed is not None and seed != spec.seed:
        from dataclasses import replace
        spec = replace(spec, seed=int(seed))
    net = spec
    dt, batch, seed = net.dt, net.batch, net.seed
    fdt = np.float64 if net.dtype == "float64" else np.float32
    pop_start, pop_channels, proj_blocks, slot_off, pop_ch_off = {}, {}, {}, {}, {}

    # --- global ids: neuron populations first, then sources
    neuron_pops = [p for p in net.populations if not p.is_source]
    source_pops = [p for p in net.populations if p.is_source]
    order = neuron_pops + source_pops
    g = 0
    for p in order:
        pop_start[p.index] = g
        g += p.n
    n_neurons = sum(p.n for p in neuron_pops)
    n_total = g
    pos = {p.index: k for k, p in enumerate(order)}   # population index -> position in `order`

    # --- receptor channels per neuron population (first appearance order)
    for q in net.projections:
        for rec, _ in q.receptors:
            _channel_index(pop_channels, q.post.index, rec)
    for p, rec, _ in net.drives:
        _channel_index(pop_channels, p.index, rec)

    n_pops = len(order)
    P = {k: np.zeros(n_pops, np.int64) for k in ("kind", "start", "end", "slot_off", "ch_off", "n_ch",
                                                   "table", "has_bias", "has_ext", "has_adapt", "uniform",
                                                   "has_theta")}
    F = {"rate_factor": np.zeros(n_pops)}
    ch_rows = []
    slot = 0
    values = {}   # neuron pop index -> realised parameters (state/neuron_params.py)
    par = {f: [] for f in NEURON_FIELDS}
    prop_d, prop_r = [], []
    for k, p in enumerate(order):
        P["start"][k] = pop_start[p.index]
        P["end"][k] = pop_start[p.index] + p.n
        P["table"][k] = -1
        m = p.model
        if isinstance(m, PoissonSource):
            P["kind"][k] = A.KIND_POISSON
            continue
        if isinstance(m, SpikeGenerator):
            P["kind"][k] = A.KIND_GENERATOR
            continue
        if p.is_source:   # gamma or dead-time Poisson (spec/sources.py)
            P["kind"][k] = A.KIND_RENEWAL
            continue
        P["kind"][k] = A.KIND_LIF_COND if isinstance(m, LIFCond) else A.KIND_ADEX if isinstance(m, AdEx) \
            else A.KIND_LIF_CURR
        vals = values[p.index] = realise_params(p, seed)
        arrays = neuron_arrays(vals, dt, fdt)
        for f, arr in arrays.items():
            par[f].append(arr)
        P["has_bias"][k] = int(np.any(par["i_bias"][-1] != 0))
        chans = pop_channels.get(p.index, [])
        pd, pr = slot_propagators(vals, chans, dt, fdt)
        P["uniform"][k] = int(is_uniform(arrays, pd, pr, p.n))
        prop_d.append(pd)
        prop_r.append(pr)
        P["ch_off"][k] = len(ch_rows)
        pop_ch_off[p.index] = len(ch_rows)
        P["n_ch"][k] = len(chans)
        P["slot_off"][k] = slot
        slot_off[p.index] = slot
        slot += len(chans) * p.n
        for rec in chans:
            ch_rows.append(_channel_row(k, rec, dt))
    n_slots_total = slot
    pops = A.Populations(**{f: (P[f] if f in P else F[f].astype(fdt)) for f in A.Populations._fields})
    own = None if own_ranges is None else own_ranges(pops)
    if ch_rows:
        cols = list(zip(*ch_rows))
    else:
        cols = [[] for _ in range(len(A.Channels._fields) - 1)]
    # direct: alpha channels take their arrivals from the ring (into h), the rest is decided below
    cols = list(cols) + [[row[-1] == 0.0 for row in ch_rows]]
    chan_dtypes = {"pop": np.int64, "has_rise": np.bool_, "cond": np.bool_, "direct": np.bool_, "delta": np.bool_}
    chans = A.Channels(*[np.asarray(c, dtype=chan_dtypes.get(f, fdt)) for f, c in zip(A.Channels._fields, cols)])

    # --- synapses
    proj_pre_pop, proj_syn_off, proj_rp_off, proj_dense, proj_slot0 = [], [], [], [], []
    proj_chan, proj_post_pop, proj_sorted = [], [], []
    row_ptrs, posts, delays, weights = [], [], [], []
    post_t = index_types(max((q.post.n for q in net.projections), default=1), 1)[0]
    delay_t = np.uint8     # widened below when some delay needs more than 255 steps
    sat_blocks = []   # (synapse block, pre population, receptor, delay steps, one weight)
    partial, max_steps = {}, 1   # MPI: projections kept in part (partial.py); longest delay of all
    whole_first, whole_off = {}, 0   # projection index -> its first synapse in one process's layout
    syn_off = 0
    rp_off = 0
    for q in net.projections:
        n_pre, n_post = q.pre.n, q.post.n
        pre, post, perm = draw(q.connector, n_pre, n_post, q.pre is q.post, seed32(seed, PURPOSE_CONNECT, q.index),
                               post_t)
        n_syn = pre.size
        conn = q.connector
        # delays (ms -> steps)
        if conn.delay is not None:   # checked with the projection (spec/projections.check_projection)
            d_ms = conn.delay[perm]
        elif _is_scalar(q.delay):    # one value: no per-synapse float copy (same steps)
            d_ms = realise(f"projection {q.name!r}: delay", q.delay, 1, None, low=dt, unit="ms")
        else:
            d_ms = realise(f"projection {q.name!r}: delay", q.delay, n_syn, rng_for(seed, PURPOSE_DELAY, q.index),
                           low=dt, unit="ms", pairs=(pre, post, n_pre, n_post))
        d_steps = _narrow_steps(d_ms, dt, n_syn)
        del d_ms
        if d_steps.itemsize > np.dtype(delay_t).itemsize:
            delay_t = d_steps.dtype
        counts = np.bincount(pre, minlength=n_pre)
        rp = np.zeros(n_pre + 1, np.int64)
        np.cumsum(counts, out=rp[1:])
        del counts
        blocks = []
        post_k = pos[q.post.index]
        max_steps = max(max_steps, int(d_steps.max()) if d_steps.size else 1)
        whole_first[q.index] = whole_off
        whole_off += n_syn * len(q.receptors)
        part = None if own is None else partial_rows(q, pre, post, rp, int(own[0][post_k]), int(own[1][post_k]))
        if part is not None:
            partial[q.index] = True
        for r_i, (rec, factor) in enumerate(q.receptors):
            w = synapse_weights(q, rec, factor, pre, post, perm, seed)
            c = _channel_index(pop_channels, q.post.index, rec)
            proj_pre_pop.append(pos[q.pre.index])
            slot0 = int(pops.slot_off[post_k] + c * n_post)
            proj_slot0.append(slot0)
            ch_g = int(pops.ch_off[post_k] + c)
            proj_chan.append(ch_g)
            proj_post_pop.append(post_k)
            proj_sorted.append(bool(rows_sorted(rp, post)))
            if rec.saturating:
                if d_steps.size and np.any(d_steps != d_steps[0]):
                    raise SpecError(f"projection {q.name!r}: a saturating receptor ({rec.name!r}) keeps its gating "
                                    "per presynaptic neuron, so the projection needs one delay for all its synapses; "
                                    f"got delays of {d_steps.min() * dt:g} to {d_steps.max() * dt:g} ms after rounding")
                sat_blocks.append((len(proj_pre_pop) - 1, pos[q.pre.index], rec,
                                   int(d_steps[0]) if d_steps.size else 1, bool(w.size and np.all(w == w[0]))))
            elif d_steps.size and d_steps.max() > 1:
                chans.direct[ch_g] = False
            proj_dense.append(bool(part is None and n_syn == n_pre * n_post and n_syn > 0
                                   and np.all(d_steps == d_steps[0]) and rows_are_ranges(rp, post, n_post)))
            proj_syn_off.append(syn_off)
            proj_rp_off.append(rp_off)
            keep = slice(None) if part is None else part.keep   # MPI: this process's targets only
            row_ptrs.append(rp if part is None else part.row_ptr)
            posts.append(post[keep])
            delays.append(d_steps[keep] if d_steps.size == n_syn else d_steps)
            weights.append(np.asarray(w[keep], fdt))
            del w
            n_kept = n_syn if part is None else part.n
            blocks.append([rec, syn_off, n_kept, len(proj_pre_pop) - 1, rp_off])
            syn_off += n_kept
            rp_off += n_pre + 1
        proj_blocks[q.index] = blocks
        del pre, post, perm
    for e in getattr(net, "modulations", []):
        # a modulator that scales the arrivals of a channel needs them apart from its state
        if e.quantity != "b":
            for c, rec in enumerate(pop_channels.get(e.pop.index, [])):
                if rec.name == e.quantity[2:]:
                    if rec.saturating:
                        raise SpecError(f"modulate: {e.quantity!r} of {e.pop.name!r} is a saturating receptor, "
                                        "whose gating is shared by all targets of a presynaptic neuron; its "
                                        "arrivals cannot be scaled per target")
                    chans.direct[pops.ch_off[pos[e.pop.index]] + c] = False
    proj_chan = np.asarray(proj_chan, np.int64)
    n_proj = len(proj_pre_pop)
    proj_pre_pop = np.asarray(proj_pre_pop, np.int64)
    # spikes are propagated through every projection but the saturating ones (saturating.py)
    is_sat = np.zeros(n_proj, np.bool_)
    is_sat[[blk for blk, *_ in sat_blocks]] = True
    order_out = np.argsort(proj_pre_pop, kind="stable")
    order_out = order_out[~is_sat[order_out]]
    out_ptr = np.zeros(n_pops + 1, np.int64)
    np.cumsum(np.bincount(proj_pre_pop[~is_sat], minlength=n_pops), out=out_ptr[1:])
    cat = lambda xs, dt_: np.concatenate(xs).astype(dt_) if xs else np.zeros(0, dt_)  # noqa: E731
    d_steps = rp = None   # the last projection's arrays: only the lists hold them now
    syn = A.Synapses(
        proj_pre_pop=proj_pre_pop, proj_syn_off=np.asarray(proj_syn_off, np.int64),
        proj_rp_off=np.asarray(proj_rp_off, np.int64), proj_dense=np.asarray(proj_dense, np.bool_),
        proj_slot0=np.asarray(proj_slot0, np.int64), proj_direct=chans.direct[proj_chan].astype(np.bool_),
        proj_norm=chans.norm[proj_chan].astype(fdt), proj_rise=chans.has_rise[proj_chan].astype(np.bool_),
        proj_post_pop=np.asarray(proj_post_pop, np.int64), proj_sorted=np.asarray(proj_sorted, np.bool_),
        out_ptr=out_ptr, out_proj=order_out.astype(np.int64),
        row_ptr=cat(row_ptrs, np.int64), post=_join(posts, post_t), delay=_join(delays, delay_t),
        w=_join(weights, fdt, row=True))
    for q in net.projections:   # each block's row pointer: a view of row_ptr (its n_pre + 1 offsets)
        proj_blocks[q.index] = [(rec, off, n, blk, syn.row_ptr[rpo:rpo + q.pre.n + 1])
                                for rec, off, n, blk, rpo in proj_blocks[q.index]]
    max_delay = max_steps    # of every synapse, kept or not: the same ring in every process
    n_ring = max_delay + 1

    # --- neuron state
    N, NT = n_neurons, n_total
    v = np.zeros((batch, N), fdt)
    w_adapt, theta = np.zeros((batch, N), fdt), np.zeros((batch, N), fdt)
    for p in neuron_pops:
        s = pop_start[p.index]
        v[:, s:s + p.n] = initial_v(p, batch, rng_for(seed, PURPOSE_VINIT, p.index), values[p.index])
        w_adapt[:, s:s + p.n] = initial_w_adapt(p, batch, seed)
        theta[:, s:s + p.n] = initial_theta(p, batch, seed)
        vals = values[p.index]
        pops.has_theta[pos[p.index]] = theta_flag(p, vals, theta[:, s:s + p.n])
        pops.has_adapt[pos[p.index]] = int(isinstance(p.model, (LIFCond, AdEx)) and (
            np.any(vals["a"] != 0) or np.any(vals["b"] != 0) or np.any(w_adapt[:, s:s + p.n] != 0)))
    pcat = {f: (np.concatenate(par[f]) if par[f] else np.zeros(0)).astype(
        np.int64 if f == "ref_steps" else np.float64 if f in ("dt_c_m", "dt_tau_w", "decay_theta") else fdt) for f in NEURON_FIELDS}
    neurons = A.NeuronState(
        v=v, w_adapt=w_adapt, theta=theta, last_spike=np.full((batch, N), -(1 << 40), np.int64),
        i_ext=np.zeros((batch, N), fdt),
        g_decay=np.zeros((batch, n_slots_total), fdt), g_rise=np.zeros((batch, n_slots_total), fdt),
        ring=np.zeros((batch, n_ring, n_slots_total), fdt), spiked=np.zeros((batch, NT), np.uint8),
        spike_list=np.zeros((batch, NT), np.int64), spike_count=np.zeros(batch, np.int64),
        prop_d=cat(prop_d, fdt), prop_r=cat(prop_r, fdt), **pcat)

    # --- inputs
    gs, gi, gt = generator_arrays(source_pops, pop_start, dt)
    tables, pop_table, cur_table, drv_table = schedule_tables(net, pos, dt, batch, fdt)
    pops.table[:] = pop_table
    cur_idx_off, cur_idx = [0], []
    for p, c in net.currents:
        idx = np.asarray(c.indices, np.int64)
        cur_idx.append(idx + pop_start[p.index])
        cur_idx_off.append(cur_idx_off[-1] + idx.size)
        pops.has_ext[pos[p.index]] = 1
    for k in generated_targets(net):
        pops.has_ext[pos[k]] = 1
    drv = {k: [] for k in ("pop", "slot", "nsrc", "w", "norm", "rise")}
    for p, rec, d in net.drives:
        c = _channel_index(pop_channels, p.index, rec)
        drv["pop"].append(pos[p.index])
        drv["slot"].append(slot_off[p.index] + c * p.n)
        drv["nsrc"].append(d.n_sources)
        drv["w"].append(d.weight)
        drv["norm"].append(rec.peak_norm)
        drv["rise"].append(A.DRIVE_RISE if rec.is_alpha else A.DRIVE_BOTH if rec.tau_rise > 0 else A.DRIVE_DECAY)
    inputs = A.Inputs(
        gen_step=gs, gen_id=gi, gen_trial=gt, gen_ptr=np.zeros(1, np.int64),
        cur_table=cur_table, cur_idx_off=np.asarray(cur_idx_off, np.int64),
        cur_idx=cat(cur_idx, np.int64), cur_seen=np.full(cur_table.size, -2, np.int64),
        drv_table=drv_table, drv_pop=np.asarray(drv["pop"], np.int64),
        drv_slot=np.asarray(drv["slot"], np.int64), drv_nsrc=np.asarray(drv["nsrc"], np.int64),
        drv_w=np.asarray(drv["w"], fdt), drv_norm=np.asarray(drv["norm"], fdt),
        drv_rise=np.asarray(drv["rise"], np.int64),
        **source_input_arrays(net, pos, pop_start, batch, dt))

    # --- the index bookkeeping, complete here: recording and plasticity below only read it
    from .plastic import build_plasticity, plastic_rows
    layout = Layout(pop_start=pop_start, pop_channels=pop_channels, proj_blocks=proj_blocks, n_neurons=n_neurons,
                    n_total=n_total, pos=pos, slot_off=slot_off, pop_ch_off=pop_ch_off,
                    plastic_blocks=plastic_rows(net), partial=partial, whole_first=whole_first)

    # --- recording
    from .recording import recording_arrays
    rec = recording_arrays(net, layout)
    # --- plasticity and neuromodulators (phase 6); per-trial weights when plastic and batch > 1
    syn, plast = build_plasticity(net, layout, syn, batch, NT, fdt, dt)
    sat = saturating_arrays(sat_blocks, syn.proj_dense, pops, batch, n_ring, dt, fdt)
    from .short_term import build_short_term
    stp = build_short_term(net, layout, n_proj, batch, dt)
    from .release import build_release
    state = A.SimState(pops, chans, neurons, syn, tables, inputs, rec, plast, sat, stp,
                       build_release(net, layout, n_proj, syn.post, seed))
    return state, layout


def synapse_weights(q, rec, factor, pre, post, perm, seed) -> np.ndarray:
    """The weights (nS or pA) of projection ``q``'s synapses ``(pre, post)`` (local indices, in the
    built order; ``perm`` maps them to the connector's own order) onto receptor ``rec``: the
    connector's weights (``from_arrays``) unless ``Projection.set`` replaced them, else ``q.weight``
    realised (a distribution drawn from the seed, clipped at 0 for a conductance), times ``factor``
    (the NMDA share of a ``"glutamate"`` projection).  Used at build time and by ``set``."""
    if q.connector.w is not None and not q.weight_set:
        w = q.connector.w[perm] * factor
    elif _is_scalar(q.weight):   # one value: a single array, no per-synapse temporary (same values)
        w0 = realise(f"projection {q.name!r}: weight", q.weight, 1, None, unit="nS or pA",
                     low=0.0 if rec.conductance_based else None)[0] * factor
        w = np.full(pre.size, w0)
    else:
        w = realise(f"projection {q.name!r}: weight", q.weight, pre.size, rng_for(seed, PURPOSE_WEIGHT, q.index),
                    unit="nS or pA", low=0.0 if rec.conductance_based else None,
                    pairs=(pre, post, q.pre.n, q.post.n))
        w = np.multiply(w, factor, out=w if w.flags.owndata and w.flags.writeable else None)   # no second copy
    if rec.conductance_based and w.size and w.min() < 0:
        raise SpecError(f"projection {q.name!r}: weights must be >= 0 nS for {rec.name!r}, got a minimum "
                        f"of {w.min():g}")
    return w


def _channel_row(pop_k, rec, dt):
    """One row of the channel table (the columns of ``Channels`` but ``direct``)."""
    if rec.saturating:
        # the gating lives with the presynaptic neurons (Saturating); saturating.py writes
        # sum_j w_j s_j into g_decay every step and the neuron update consumes it (decay 0)
        return (pop_k, 0.0, 0.0, False, 1.0, rec.e_rev, True, rec.mg if rec.mg_block else -1.0, False, 0.0)
    if rec.is_delta:
        # arrivals are taken whole into v in their step and forgotten (decay 0)
        return (pop_k, 0.0, 0.0, False, 1.0, 0.0, False, -1.0, True, 0.0)
    decay_d = math.exp(-dt / rec.tau_decay)
    if rec.is_alpha:
        # g in g_decay, h in g_rise (both decay with tau); arrivals enter h (Receptor docstring)
        return (pop_k, decay_d, decay_d, True, 1.0, rec.e_rev if rec.e_rev is not None else 0.0,
                rec.conductance_based, -1.0, False, math.e * dt / rec.tau_decay)
    has_rise = rec.tau_rise > 0
    decay_r = math.exp(-dt / rec.tau_rise) if has_rise else 0.0
    return (pop_k, decay_d, decay_r, has_rise, rec.peak_norm,
            rec.e_rev if rec.e_rev is not None else 0.0, rec.conductance_based,
            rec.mg if rec.mg_block else -1.0, False, 0.0)


def psc_propagator(dt: float, tau_m: float, c_m: float, tau_x: float) -> float:
    """Exact change of ``v`` (mV) over one step ``dt`` (ms) caused by a current ``I0 exp(-t/tau_x)``
    per pA of ``I0`` (the current at the start of the step) in ``c_m dv/dt = -c_m v/tau_m + I``
    (c_m pF, tau_m and tau_x ms; Rotter & Diesmann 1999):

        P = tau_m tau_x / (c_m (tau_x - tau_m)) (exp(-dt/tau_x) - exp(-dt/tau_m))
          = dt/c_m exp(-dt/tau_m) expm1(a)/a,    a = dt (1/tau_m - 1/tau_x).

    The first form cancels when ``tau_x`` is near ``tau_m`` (relative error about 1e-16/|a|), the
    second does not (expm1(a)/a is 1 at a = 0, the limit dt/c_m exp(-dt/tau_m)).  The second is used
    for |a| < 1e-3, where the first would lose more than ~1e-13; above, the first, so that
    ordinary time constants give the same bits as before.  Relative error <= 1.1e-13 for all gaps.
    """
    a = dt * (tau_x - tau_m) / (tau_m * tau_x)
    if abs(a) >= 1e-3:
        return (1.0 / c_m) * tau_m * tau_x / (tau_x - tau_m) * (math.exp(-dt / tau_x) - math.exp(-dt / tau_m))
    return dt / c_m * math.exp(-dt / tau_m) * (math.expm1(a) / a if a != 0.0 else 1.0)
