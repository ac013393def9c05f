"""One receptor channel per name on a population.

A population keeps one state variable (channel) per distinct receptor that targets it; equal
receptors share it.  Channels are addressed by name -- ``g_<name>`` in ``Network.monitor``,
``Network.get``, ``Network.modulate`` and the result files -- so two *different* receptors
with one name on one population (``AMPA(tau_decay=2)`` and ``AMPA(tau_decay=5)``) would make
that name ambiguous: a monitor of ``g_AMPA`` would silently record the first.  Nothing needs
such a pair (any receptor takes its own ``name``), so the second is refused when it is
connected (``connect``, ``poisson_drive``), before anything is built or run.
"""
from __future__ import annotations

from ..errors import SpecError

_FIELDS = (("tau_decay", "ms"), ("tau_rise", "ms"), ("e_rev", "mV"), ("mg_block", ""), ("mg", "mM"),
           ("saturating", ""), ("alpha", "1/ms"))


def channels_of(net, pop) -> list:
    """The distinct receptors that already target ``pop`` (projections, then Poisson drives)."""
    out = []
    recs = [r for q in net.projections if q.post is pop for r, _ in q.receptors]
    for rec in recs + [r for p, r, _ in net.drives if p is pop]:
        if rec not in out:
            out.append(rec)
    return out


def _differences(a, b) -> str:
    return ", ".join(f"{k} {getattr(a, k)!r} vs {getattr(b, k)!r}{' ' + u if u else ''}"
                     for k, u in _FIELDS if getattr(a, k) != getattr(b, k))


def check_channel_names(net, pop, receptors, what: str) -> None:
    """Refuse a receptor in ``receptors`` whose name is taken on ``pop`` by a different receptor."""
    have = channels_of(net, pop)
    for rec in receptors:
        for old in have:
            if old.name == rec.name and old != rec:
                raise SpecError(
                    f"{what}: population {pop.name!r} already has a receptor channel named {rec.name!r} that differs "
                    f"from this one ({_differences(old, rec)}); two channels named {rec.name!r} would make "
                    f"'g_{rec.name}' ambiguous (monitor, get, modulate).  Give the new receptor its own name, e.g. "
                    f"name={rec.name + '_2'!r}; channels of {pop.name!r}: {['g_' + r.name for r in have]}"
                    + (" (receptor='glutamate' brings AMPA() and NMDA() with their default kinetics)"
                       if rec.name in ("AMPA", "NMDA") else ""))
