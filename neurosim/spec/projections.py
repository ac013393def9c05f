"""Checks of a projection's weights and plasticity rule, shared by ``Network.connect`` and
``Projection.set`` (one place for each rule)."""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from . import validate as V
from .distributions import Distribution
from .plasticity import RULE_TYPES
from ..units import to_float


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
        w = np.asarray(to_float(weight, "weight"), dtype=np.float64)
        if w.size and (w.min() < rule.w_min or w.max() > rule.w_max):
            raise SpecError(f"projection {name!r}: initial weights must lie in [w_min, w_max] = "
                            f"[{rule.w_min:g}, {rule.w_max:g}] of its plasticity rule, got "
                            f"[{w.min():g}, {w.max():g}]")

def check_weight(name, weight, receptors):
    """Refuse a weight that is not a number, array or distribution, not finite, or negative for a
    conductance-based receptor (nS; inhibition comes from e_rev)."""
    if isinstance(weight, Distribution):
        return
    if isinstance(weight, (str, bytes, bool, np.bool_)) or np.asarray(to_float(weight, "weight")).dtype.kind \
            not in "iuf":
        raise SpecError(f"projection {name!r}: weight must be a number, array or distribution (nS or pA), "
                        f"got {weight!r:.60}")
    w = np.asarray(to_float(weight, "weight"), dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise SpecError(f"projection {name!r}: weight must be finite (nS or pA), {V.first_bad(w)}")
    if any(r.conductance_based for r, _ in receptors) and w.size and w.min() < 0:
        raise SpecError(f"projection {name!r}: weight must be >= 0 nS for a conductance-based receptor, got "
                        f"{w.min():g} (inhibition comes from the receptor's e_rev)")
