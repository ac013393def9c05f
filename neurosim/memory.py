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
connectivity straight into the final index type (int64 ``post``, int32 ``pre`` kept in the Layout),
lays out its targets, delays and weights without per-synapse temporaries for scalar weights and
delays, and joins the projections part by part, freeing each part as it is copied: its peak is
about ``BUILD_PEAK_FACTOR`` times the synapse arrays.  Memory sizes are in bytes; GB are 1e9 bytes.
"""
from __future__ import annotations

import functools
import os
from typing import Optional

import numpy as np

from .errors import InsufficientMemoryError

#: The build's peak is about this many times the final synapse arrays: the 4 bytes per synapse of
#: presynaptic indices the Layout keeps (int32) and the transients of drawing and joining.  Peak
#: RSS rise over the final arrays, measured with ``benchmarks/build_memory.py`` (tests/test_memory.py
#: bounds it): 1.11 for one fixed_total_number projection of 2e7 synapses, 1.12 for 64 projections,
#: 1.29 for COBA at n = 20000 (8e6 synapses in 4 fixed_probability projections).  It was 2.5 before
#: the connector memory work (int64 copies of every index, sort and concatenation copies).
BUILD_PEAK_FACTOR = 1.35
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
    n_syn, syn_bytes, max_delay = 0.0, 0.0, net.dt
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
            "slot_bytes": slot_bytes, "total": total, "peak": total + (BUILD_PEAK_FACTOR - 1.0) * syn_bytes}


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
            f"{_gb(est['synapse_bytes'])}, about {BUILD_PEAK_FACTOR:g}x that during the build, plus "
            f"{_gb(est['neuron_bytes'] + est['slot_bytes'])} of neuron state and ring buffers), {_gb(avail)} "
            "available; make it smaller (fewer neurons or a lower connection probability)")
    return est
