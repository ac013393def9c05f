"""The checks of a projection, one place for each rule: :func:`check_projection` runs them all
for ``Network.connect`` (at once, naming the parameter) and for ``NetworkSpec.check`` (a spec read
from a dict); ``Projection.set`` uses :func:`check_weight` and :func:`check_plasticity`."""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from . import validate as V
from .distributions import Distribution, in_unit
from .plasticity import RULE_TYPES
from .short_term import check_short_term
from .release import check_release
from .timegrid import to_steps
from ..units import to_float


def weight_unit(receptors) -> str:
    """The unit of a projection's weights: nS for conductance-based receptors, pA for current-based
    ones (``"nS or pA"`` if a list mixed them)."""
    kinds = {r.conductance_based for r, _ in receptors}
    return "nS" if kinds == {True} else "pA" if kinds == {False} else "nS or pA"


def plain_weight(name, weight, receptors):
    """``weight`` as given to ``connect`` / ``Projection.set`` with quantities converted (once, here)
    into the receptors' unit (:func:`weight_unit`); a distribution of quantities rescaled into it."""
    where = f"projection {name!r}: weight"
    if isinstance(weight, Distribution):
        return in_unit(weight, where, weight_unit(receptors))
    if isinstance(weight, (str, bytes, bool, np.bool_)):
        return weight   # refused by check_weight
    return to_float(weight, where, weight_unit(receptors))


def check_plasticity(name, rule, receptors, weight):
    """Refuse a plasticity rule that does not fit projection ``name``: not a rule, more than one
    receptor, a negative w_min for a conductance, initial weights outside [w_min, w_max]."""
    if not isinstance(rule, RULE_TYPES):
        raise SpecError(f"projection {name!r}: plasticity must be STDP, TripletSTDP or DopamineSTDP, got {rule!r}")
    if len(receptors) != 1:
        raise SpecError(f"projection {name!r}: plasticity needs a single receptor, got "
                        f"{[r.name for r, _ in receptors]}")
    if receptors[0][0].conductance_based and rule.w_min < 0:
        raise SpecError(f"projection {name!r}: {type(rule).__name__}.w_min must be >= 0 nS for the "
                        f"conductance-based receptor {receptors[0][0].name!r}, got {rule.w_min:g}")
    if not isinstance(weight, Distribution):
        w = np.asarray(to_float(weight, f"projection {name!r}: weight", weight_unit(receptors)), dtype=np.float64)
        if w.size and (w.min() < rule.w_min or w.max() > rule.w_max):
            raise SpecError(f"projection {name!r}: initial weights must lie in [w_min, w_max] = "
                            f"[{rule.w_min:g}, {rule.w_max:g}] of its plasticity rule, got "
                            f"[{w.min():g}, {w.max():g}]")

def check_weight(name, weight, receptors):
    """Refuse a weight that is not a number, array or distribution, not finite, or negative for a
    conductance-based receptor (nS; inhibition comes from e_rev)."""
    if isinstance(weight, Distribution):
        return
    if isinstance(weight, (str, bytes, bool, np.bool_)) or np.asarray(to_float(weight, f"projection {name!r}: weight", weight_unit(receptors))).dtype.kind \
            not in "iuf":
        raise SpecError(f"projection {name!r}: weight must be a number, array or distribution (nS or pA), "
                        f"got {weight!r:.60}")
    w = np.asarray(to_float(weight, f"projection {name!r}: weight", weight_unit(receptors)), dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise SpecError(f"projection {name!r}: weight must be finite (nS or pA), {V.first_bad(w)}")
    if any(r.conductance_based for r, _ in receptors) and w.size and w.min() < 0:
        raise SpecError(f"projection {name!r}: weight must be >= 0 nS for a conductance-based receptor, got "
                        f"{w.min():g} (inhibition comes from the receptor's e_rev)")


def check_delay(name, delay, dt):
    """A delay as given (ms: a number on the dt grid, an array, or a distribution), checked: finite
    and >= dt; returns it as a float, an array or the distribution (None means dt)."""
    if delay is None:
        return dt
    if isinstance(delay, Distribution):
        return in_unit(delay, f"projection {name!r}: delay", "ms")
    d = np.asarray(to_float(delay, f"projection {name!r}: delay", "ms"), dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise SpecError(f"projection {name!r}: delay must be finite (ms), {V.first_bad(d)}")
    if d.size and d.min() < dt - 1e-9 * dt:
        raise SpecError(f"projection {name!r}: delay must be >= dt = {dt} ms, got {d.min():g} ms")
    if d.ndim == 0:   # a scalar delay is a setting: on the grid (arrays are data: rounded)
        to_steps(float(d), dt, f"projection {name!r}: delay")
        return float(d)
    return d


def check_projection(name, pre, post, connector, receptors, weight, delay, plasticity, dt, short_term=None,
                     release_probability=None):
    """Every check of one projection ``pre`` -> ``post`` (populations or their specs) before it is
    built: the target can receive it, each receptor suits the target and the rule, the weights
    (given or the connector's own), the delays (given or the connector's own) and the release
    probability (spec/release.py).  Returns the
    checked delay (see :func:`check_delay`)."""
    from .neurons import LIFCurr
    if post.is_source:
        raise SpecError(f"connect: post {post.name!r} is a spike source and cannot receive synapses")
    for rec, _ in receptors:
        if rec.conductance_based and isinstance(post.model, LIFCurr):
            raise SpecError(f"connect: receptor {rec.name!r} is conductance-based but {post.name!r} is a "
                            "current-based LIFCurr population; use ExpCurrent or an LIFCond population")
        if rec.saturating and plasticity is not None:
            raise SpecError(f"connect: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept per "
                            f"presynaptic neuron and its weights cannot be plastic; plasticity must be None, "
                            f"got {type(plasticity).__name__}")
        if rec.saturating and isinstance(delay, Distribution):
            raise SpecError(f"connect: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept per "
                            f"presynaptic neuron, so delay must be one value (a scalar in ms), got {delay!r}")
    check_short_term(name, short_term, receptors, plasticity)
    check_release(name, release_probability, pre.n, post.n, receptors, plasticity, short_term)
    own_w = getattr(connector, "w", None)
    for w in ([weight] + ([own_w] if own_w is not None else [])):
        check_weight(name, w, receptors)
        if plasticity is not None:
            check_plasticity(name, plasticity, receptors, w)
    own_d = getattr(connector, "delay", None)
    if own_d is not None:
        check_delay(name, own_d, dt)
    return check_delay(name, delay, dt)
