"""How much memory a network's arrays will take, estimated before they are allocated.

:func:`check_memory` is called by the build (``sim/run.py``) before ``build_state``: a network
that cannot fit (``neurosim run coba --set n=1000000``: 2e10 synapses) is refused with an
:class:`~neurosim.errors.InsufficientMemoryError` saying how much it needs and how much is
available, instead of failing deep inside the connectivity draw.

The estimate is::

    synapses x bytes per synapse  +  neurons x bytes per neuron
    + receptor slots x ((2 + ring length) x batch + 2) x bytes per value (conductances, ring buffers,
      PSC propagators)

Synapse counts are exact for all_to_all, one_to_one, fixed_indegree/outdegree and from_arrays,
and the expected count ``n_pre * n_post * p`` for fixed_probability.  The bytes per synapse and
per neuron are measured from the state layout itself (``state/build.py``) on two tiny probe
networks, so they follow any change of index or weight types.  The build draws each projection's
connectivity straight into the final index type (uint16/uint32 ``post``; the presynaptic index
is not kept), converts its delays to uint8/uint16 steps in chunks, lays out its weights without
per-synapse temporaries for scalar weights and delays, and joins the projections part by part, freeing each part as it is copied: its peak is
about the final arrays plus a few bytes per synapse of the largest projection (``TRANSIENT_INDEX``,
``TRANSIENT_DELAY``).  Memory sizes are in bytes; GB are 1e9 bytes.
"""
from __future__ import annotations

import functools
import os
from typing import Optional

import numpy as np

from .errors import InsufficientMemoryError

#: Bytes per synapse of the largest projection that its build holds on top of the final arrays:
#: its int32 presynaptic indices while its weights and delays are drawn (``TRANSIENT_INDEX``), plus
#: the float64 delays (ms) of a delay distribution or array before they become steps
#: (``TRANSIENT_DELAY``).  The other projections' parts are joined part by part, each freed once
#: copied.  Peak RSS rise of ``benchmarks/build_memory.py`` over the final state (issue 16):
#: 1.59x for one fixed_total_number projection of 4e6 synapses with normal delays (19.9 bytes per
#: synapse at the peak, 12.5 kept), 1.31x for 2e7 with a scalar delay, 0.97x for 64 projections
#: (their parts are small; the peak is the joined arrays).
TRANSIENT_INDEX = 4.0
TRANSIENT_DELAY = 8.0
#: Joining the projections' parts frees them in steps of 1/16 of the joined array
#: (state/synapse_join.join): up to that share of the synapse arrays is held twice.
JOIN_SLACK = 1.0 / 16
#: Networks whose estimate is below this many bytes are never refused.
CHECK_ABOVE = 256 * 1024 ** 2


def available_bytes() -> Optional[int]:
    """Memory available to a new allocation (bytes): ``MemAvailable`` of /proc/meminfo, else
    ``os.sysconf`` available pages x page size; None when neither can be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def expected_synapses(connector, n_pre: int, n_post: int, same_population: bool = False) -> float:
    """Number of synapses a connector makes between populations of ``n_pre`` and ``n_post``
    neurons (the expected number for ``fixed_probability``)."""
    rule = connector.rule
    skip = same_population and not connector.allow_autapses
    pairs = float(n_pre) * float(n_post) - (min(n_pre, n_post) if skip else 0)
    if rule == "all_to_all":
        return pairs
    if rule == "one_to_one":
        return float(n_pre)
    if rule == "fixed_probability":
        return pairs * float(connector.p)
    if rule == "fixed_indegree":
        return float(connector.n) * n_post
    if rule == "fixed_outdegree":
        return float(connector.n) * n_pre
    if rule == "fixed_total_number":
        return float(connector.n)
    if rule == "from_arrays":
        return float(np.asarray(connector.pre).size)
    return pairs


def state_nbytes(state) -> int:
    """Bytes held by the numpy arrays of a SimState."""
    return sum(a.nbytes for part in state for a in part if isinstance(a, np.ndarray))


@functools.lru_cache(maxsize=None)
def _probe(Network, dtype: str, batch: int, plastic: bool) -> dict:
    """Bytes of the state layout per synapse (``syn``), per neuron, per Poisson source, per
    presynaptic neuron of a projection (``pre``: its row pointer) and, with ``plastic``, the
    extra bytes per neuron of a population with plastic synapses (``plastic_neuron``: traces,
    spike history); measured on tiny probe networks of class ``Network`` (the class of the
    network estimated: this module is below :mod:`neurosim.network` and does not import it)."""
    from .spec.connectors import all_to_all, one_to_one
    from .spec.neurons import LIFCond
    from .spec.plasticity import STDP
    from .spec.receptors import AMPA
    from .state.build import build_state

    def total(n, connector=None, plastic=False, source=False):
        net = Network(dt=1.0, seed=0, batch=batch, dtype=dtype)
        a = net.poisson("a", n, 1.0) if source else net.population("a", n, LIFCond())
        if connector is not None:
            b = net.population("b", n, LIFCond())
            net.connect(a, b, connector, receptor=AMPA(), weight=0.5, delay=1.0,
                        plasticity=STDP(w_max=1.0) if plastic else None)
        return state_nbytes(build_state(net)[0])

    out = {"neuron": (total(200) - total(100)) / 100,
           "source": (total(200, source=True) - total(100, source=True)) / 100}
    syn = (total(20, all_to_all()) - total(20, one_to_one())) / (400 - 20)
    # per target slot: g_decay, g_rise and a ring of 2 steps per trial; the PSC propagators prop_d, prop_r
    slot = np.dtype(dtype).itemsize * (batch * (2 + 2) + 2)
    out["pre"] = (total(200, one_to_one()) - total(100, one_to_one()) - 100 * (2 * out["neuron"] + syn + slot)) / 100
    out["syn"], out["plastic_neuron"] = syn, 0.0
    if plastic:
        out["syn"] = (total(20, all_to_all(), True) - total(20, one_to_one(), True)) / (400 - 20)
        out["plastic_neuron"] = (total(200, one_to_one(), True) - total(200, one_to_one())
                                 - 200 * (out["syn"] - syn)) / 400
    return out


def _max_delay(delay, dt: float) -> float:
    """Largest delay (ms) of a projection's ``delay`` (scalar, array or distribution)."""
    if delay is None:
        return dt
    if hasattr(delay, "draw"):
        return float(np.max(delay.draw(np.random.default_rng(0), 10_000)))
    d = np.asarray(delay, dtype=np.float64)
    return float(d.max()) if d.size else dt


def estimate_bytes(net) -> dict:
    """Estimated memory of ``net``'s arrays: ``{"synapses", "synapse_bytes", "neuron_bytes",
    "slot_bytes", "total", "peak"}`` (counts and bytes; ``peak`` includes the build's
    transient copies of the synapse arrays)."""
    batch, dtype = int(net.batch), net.dtype
    itemsize = np.dtype(dtype).itemsize
    n_syn, syn_bytes, max_delay, transient = 0.0, 0.0, net.dt, 0.0
    channels, plastic_pops = {}, set()
    for q in net.projections:
        k = expected_synapses(q.connector, q.pre.n, q.post.n, q.pre is q.post)
        probe = _probe(type(net), dtype, batch, q.plasticity is not None)
        if q.plasticity is not None:
            plastic_pops.update((q.pre.index, q.post.index))
        n_syn += k * len(q.receptors)
        syn_bytes += k * len(q.receptors) * probe["syn"] + q.pre.n * len(q.receptors) * probe["pre"]
        if getattr(q, "short_term", None) is not None:   # u, x (, y) and last of each synapse and trial
            syn_bytes += k * len(q.receptors) * batch * 8 * (q.short_term.states + 1)
        conn_delay = q.connector.delay if q.connector.delay is not None else q.delay
        max_delay = max(max_delay, _max_delay(conn_delay, net.dt))
        if q.plasticity is not None and (hasattr(conn_delay, "draw") or np.ndim(conn_delay)):
            # delay buckets (state/plastic.delay_buckets): uint32 per synapse, int32 per (pre, delay step)
            n_d = int(np.floor(_max_delay(conn_delay, net.dt) / net.dt + 0.5)) + 1
            syn_bytes += len(q.receptors) * (4 * k + 4 * q.pre.n * n_d)
        per_syn = TRANSIENT_INDEX + (TRANSIENT_DELAY if hasattr(conn_delay, "draw") or np.ndim(conn_delay) else 0.0)
        transient = max(transient, k * per_syn)
        channels.setdefault(q.post.index, set()).update(r.name for r, _ in q.receptors)
    if any(getattr(q, "release_probability", None) is not None for q in net.projections):
        syn_bytes += n_syn * 8   # one float64 release probability per synapse of the network (state/release.py)
    for pop, rec, _ in net.drives:
        channels.setdefault(pop.index, set()).add(rec.name)
    probe = _probe(type(net), dtype, batch, False)
    neuron_bytes = sum(p.n * probe["source" if p.is_source else "neuron"] for p in net.populations)
    if plastic_pops:
        per_neuron = _probe(type(net), dtype, batch, True)["plastic_neuron"]
        neuron_bytes += sum(net.populations[i].n for i in plastic_pops) * per_neuron
    slots = sum(net.populations[i].n * len(c) for i, c in channels.items())
    ring = int(np.floor(max_delay / net.dt + 0.5)) + 1
    slot_bytes = float(slots) * ((2 + ring) * batch + 2) * itemsize   # + prop_d, prop_r per slot
    total = syn_bytes + neuron_bytes + slot_bytes
    return {"synapses": n_syn, "synapse_bytes": syn_bytes, "neuron_bytes": neuron_bytes,
            "slot_bytes": slot_bytes, "total": total, "peak": total + transient + JOIN_SLACK * syn_bytes}


def _gb(n: float) -> str:
    g = n / 1e9
    return f"{g:,.0f} GB" if g >= 100 else f"{g:.3g} GB"


def check_memory(net, available: Optional[int] = None) -> dict:
    """Refuse a network whose arrays cannot fit: raise InsufficientMemoryError when the build's
    estimated peak (:func:`estimate_bytes`) exceeds ``available`` bytes (default
    :func:`available_bytes`).  Returns the estimate."""
    est = estimate_bytes(net)
    if est["peak"] < CHECK_ABOVE:
        return est
    avail = available_bytes() if available is None else int(available)
    if avail is not None and est["peak"] > avail:
        raise InsufficientMemoryError(
            f"the network is too big for this machine's memory: it needs ~{_gb(est['peak'])} while building "
            f"({est['synapses']:.3g} synapses x {est['synapse_bytes'] / max(est['synapses'], 1):.0f} bytes = "
            f"{_gb(est['synapse_bytes'])}, plus {_gb(est['peak'] - est['total'])} while the largest projection is drawn, plus "
            f"{_gb(est['neuron_bytes'] + est['slot_bytes'])} of neuron state and ring buffers), {_gb(avail)} "
            "available; make it smaller (fewer neurons or a lower connection probability)")
    return est


def _nbytes(x, seen=None) -> int:
    """Bytes of the numpy arrays held in ``x`` (an array, or lists / tuples / dicts of them),
    each array counted once."""
    seen = set() if seen is None else seen
    if isinstance(x, np.ndarray):
        if id(x) in seen:
            return 0
        seen.add(id(x))
        return int(x.nbytes)
    if isinstance(x, dict):
        return sum(_nbytes(v, seen) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v, seen) for v in x)
    return 0


def _tuple_bytes(part) -> int:
    return sum(a.nbytes for a in part if isinstance(a, np.ndarray))


def memory_report(state, layout, projections, recorder=None, buffers=()) -> dict:
    """Bytes held by a built network's arrays, per component (from the arrays' ``nbytes``):

    * ``neurons``: per-population and per-channel tables, neuron state and parameters, receptor
      state (``g_decay``, ``g_rise``) and PSC propagators;
    * ``ring_buffers``: the delay ring buffers (``NeuronState.ring`` and the saturating NMDA ring);
    * ``synapses``: ``{projection name: bytes}``: its blocks' ``post``, ``delay`` and ``w`` entries
      and row pointers, and per-synapse plastic, short-term and release state where it has them;
    * ``synapse_tables``: the rest of the synapse-side arrays (per-block parameters, traces and
      spike histories of plasticity, saturating gating per neuron);
    * ``inputs``: rate and current tables, generator spikes, drive and source state;
    * ``recording``: the recording layout and, with ``recorder`` / ``buffers``, the recorded
      chunks kept so far and the chunk output buffers.

    ``state_total`` is :func:`state_nbytes` of the state and equals the sum of every component
    but the recorded chunks; ``total`` adds them.  ``n_synapses`` counts the synapse entries
    (one per synapse and receptor) and ``bytes_per_synapse`` divides the ``synapses`` sum by it.
    """
    syn, stp, rel, pl = state.syn, state.stp, state.rel, state.plast
    batch_w = syn.w.shape[0]
    per_syn_static = syn.post.itemsize + syn.delay.itemsize + batch_w * syn.w.itemsize
    plastic_blk = {int(r[0]): r for r in pl.pi}
    from .state import arrays as A
    synapses = {}
    for q in projections:
        total = 0
        for _rec, _off, n, blk, rp in layout.proj_blocks[q.index]:
            total += n * per_syn_static + rp.nbytes
            if rel.p.size:
                total += n * rel.p.itemsize
            r = int(stp.proj_row[blk])
            if r >= 0:
                cols = (stp.u, stp.x, stp.last) + ((stp.y,) if stp.states[r] == 3 else ())
                total += sum(n * a.shape[0] * a.itemsize for a in cols)
            if blk in plastic_blk:
                row = plastic_blk[blk]
                total += n * (pl.col_syn.itemsize + pl.col_pre.itemsize) + (int(row[A.PI_N_POST]) + 1) * 8
                if row[A.PI_EL_OFF] >= 0:
                    total += n * pl.elig.shape[0] * pl.elig.itemsize
                if row[A.PI_DPTR] >= 0:     # delay buckets (non-uniform delays only)
                    n_ptr = int(row[A.PI_N_PRE]) * (int(row[A.PI_DMAX]) - int(row[A.PI_DMIN]) + 2)
                    total += n * pl.dperm.itemsize + n_ptr * pl.dptr.itemsize
        synapses[q.name] = total
    state_total = state_nbytes(state)
    ring = state.neurons.ring.nbytes + state.sat.x_ring.nbytes
    neurons = (_tuple_bytes(state.pops) + _tuple_bytes(state.chans) + _tuple_bytes(state.neurons)
               - state.neurons.ring.nbytes)
    syn_side = sum(_tuple_bytes(p) for p in (syn, pl, state.sat, stp, rel))
    inputs = _tuple_bytes(state.tables) + _tuple_bytes(state.inputs)
    rec_layout = _tuple_bytes(state.rec)
    chunks = 0
    if recorder is not None:
        chunks = _nbytes([recorder.spike_chunks, recorder.count_chunks, recorder.state_chunks,
                          recorder.state_first]) + _nbytes(list(buffers))
    n_syn = int(syn.post.size)
    syn_sum = sum(synapses.values())
    return {"neurons": neurons, "ring_buffers": ring, "synapses": synapses,
            "synapse_tables": syn_side - syn_sum - state.sat.x_ring.nbytes, "inputs": inputs,
            "recording": rec_layout + chunks, "recorded_chunks": chunks, "state_total": state_total,
            "total": state_total + chunks, "n_synapses": n_syn,
            "bytes_per_synapse": syn_sum / n_syn if n_syn else 0.0}


def format_memory_report(report: dict) -> str:
    """A text table of :func:`memory_report`'s dict (bytes, MB and shares of the total)."""
    total = max(report["total"], 1)
    rows = [("neurons", report["neurons"]), ("ring buffers", report["ring_buffers"])]
    rows += [(f"synapses {name}", b) for name, b in report["synapses"].items()]
    rows += [("synapse tables", report["synapse_tables"]), ("inputs", report["inputs"]),
             ("recording", report["recording"])]
    width = max(len(r[0]) for r in rows + [("total", 0)])
    lines = [f"{'component':<{width}}  {'bytes':>15}  {'MB':>10}  share"]
    lines += [f"{name:<{width}}  {b:>15,d}  {b / 1e6:>10.2f}  {100 * b / total:5.1f} %" for name, b in rows]
    lines.append(f"{'total':<{width}}  {report['total']:>15,d}  {report['total'] / 1e6:>10.2f}")
    lines.append(f"{report['n_synapses']:,d} synapses, {report['bytes_per_synapse']:.2f} bytes per synapse")
    return "\n".join(lines)
