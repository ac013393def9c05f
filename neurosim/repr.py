"""Readable ``repr`` of a :class:`~neurosim.network.Network` (shown by notebooks and the REPL)."""
from __future__ import annotations

from .memory import expected_synapses

#: Populations named in the repr; more are summarised as "... and k more".
MAX_NAMED = 6


def _count(n: float) -> str:
    return f"{int(round(n)):,}"


def network_repr(net) -> str:
    """``Network(dt=0.1 ms, seed=1, 2 populations (exc 3200, inh 800), 4 projections
    (~320,000 synapses), t=0.0 ms)``: the synapse count is exact once the network is built and
    the expected one (``~``) before."""
    parts = [f"dt={net.dt:g} ms", f"seed={net.seed}"]
    if net.batch > 1:
        parts.append(f"batch={net.batch}")
    pops = net.populations
    named = ", ".join(f"{p.name} {p.n}" for p in pops[:MAX_NAMED])
    if len(pops) > MAX_NAMED:
        named += f", ... and {len(pops) - MAX_NAMED} more"
    parts.append(f"{len(pops)} population{'s' if len(pops) != 1 else ''}" + (f" ({named})" if pops else ""))
    projs = net.projections
    if projs:
        sim = net.simulation
        if sim is not None:
            n_syn = sum(n for q in projs for _, _, n, _, _ in sim.layout.proj_blocks[q.index][:1])
            syn = f"{_count(n_syn)} synapses"
        else:
            n_syn = sum(expected_synapses(q.connector, q.pre.n, q.post.n, q.pre is q.post) for q in projs)
            syn = f"~{_count(n_syn)} synapses"
        parts.append(f"{len(projs)} projection{'s' if len(projs) != 1 else ''} ({syn})")
    else:
        parts.append("no projections")
    if net._controllers:
        parts.append(f"{len(net._controllers)} callback{'s' if len(net._controllers) != 1 else ''}")
    parts.append(f"t={net.t:g} ms")
    return "Network(" + ", ".join(parts) + ")"
