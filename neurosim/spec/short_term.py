"""Short-term synaptic plasticity: the Tsodyks-Markram model, in its two-state and three-state forms.

Pass ``short_term=TsodyksMarkram(...)`` to ``Network.connect``.  Every synapse of the projection
keeps its own state (per trial); at each presynaptic spike the state is updated exactly (closed
form over the interval ``h`` (ms) since the synapse's previous spike) and the spike transmits a
fraction of the weight instead of ``w``.  Works with every non-saturating receptor (exponential or
difference of exponentials, current- or conductance-based); it is refused together with a
long-term plasticity rule (STDP) and with a saturating receptor.

Two-state model (``states=2``; NEST ``tsodyks2_synapse``)
---------------------------------------------------------
Resources ``x`` and utilisation ``u`` (Tsodyks & Markram 1997, PNAS 94:719; Markram, Wang &
Tsodyks 1998, PNAS 95:5323; the update of Maass & Markram 2002, Neural Netw. 15:155, eqs. 4-5).
``u`` and ``x`` are the values the previous spike used.  At a spike, with ``h`` the time since the
synapse's previous spike, in this order:

    x <- 1 + (x - x u - 1) exp(-h/tau_rec)
    u <- U + u (1 - U) exp(-h/tau_facil)          (tau_facil = 0: u <- U)
    transmitted weight: w u x

The synapse's first spike transmits ``w u0 x0`` and changes nothing (defaults ``u0 = U``,
``x0 = 1``).  This is NEST 3's ``tsodyks2_synapse`` (its ``u``, ``x`` are ``u0``, ``x0``).

Three-state model (``states=3``; NEST ``tsodyks_synapse``, PyNN ``TsodyksMarkramSynapse``)
--------------------------------------------------------------------------------------------
Tsodyks, Uziel & Markram 2000 (J. Neurosci. 20:RC50), eqs. 3-4: recovered ``x``, active ``y``,
inactive ``z = 1 - x - y`` resources and utilisation ``u``.  Between spikes ``y`` decays into
``z`` with ``tau_psc``, ``z`` recovers into ``x`` with ``tau_rec`` and ``u`` decays to 0 with
``tau_facil``; this linear system is propagated exactly over ``h``:

    P_yy = exp(-h/tau_psc), P_zz = exp(-h/tau_rec)
    x <- x + P_xy y + (1 - P_zz) z,  y <- P_yy y,  u <- u exp(-h/tau_facil)  (tau_facil = 0: u <- 0)
    P_xy = 1 - P_yy - (h/tau_psc) max(P_yy, P_zz) expm1(-c)/(-c),  c = h |1/tau_psc - 1/tau_rec|

(``P_xy``: the share of ``y`` that reached ``x``; this form has no cancellation when tau_psc is
near tau_rec).  Then at the spike, in this order: ``u <- u + U (1 - u)``, ``delta = u x``,
``x <- x - delta``, ``y <- y + delta``; the transmitted weight is ``w delta``.  The state
``(u0, x0, y0)`` is the state at t = 0 and is propagated to the first spike, as NEST's
``tsodyks_synapse`` does (defaults ``u0 = 0``, ``x0 = 1``, ``y0 = 0``: its ``u``, ``x``, ``y``).
``tau_psc = None`` takes the target receptor's ``tau_decay`` (as PyNN does).

With the defaults both forms transmit ``w U`` at the first spike.  The weight (``w``) is the
receptor's (nS or pA); ``U`` and the state are dimensionless; times are ms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import validate as V
from ..errors import SpecError

TAU_MAX = 1e6   # ms


def _tau(name, value, allow_zero=False):
    v = V.number(f"TsodyksMarkram.{name}", value, "ms")
    ok = (0.0 <= v if allow_zero else 0.0 < v) and v <= TAU_MAX
    if not ok:
        low = "[0" if allow_zero else "(0"
        raise SpecError(f"TsodyksMarkram.{name} must be in {low}, {TAU_MAX:g}] ms, got {value!r}")
    return v


def _frac(name, value, low_open=False):
    v = V.number(f"TsodyksMarkram.{name}", value, "dimensionless")
    if not ((0.0 < v) if low_open else (0.0 <= v)) or v > 1.0:
        raise SpecError(f"TsodyksMarkram.{name} must be in {'(0' if low_open else '[0'}, 1] (dimensionless), "
                        f"got {value!r}")
    return v


@dataclass(frozen=True)
class TsodyksMarkram:
    """Tsodyks-Markram short-term depression and facilitation (see the module docstring).

    Parameters
    ----------
    U : utilisation increment per spike (release probability), in (0, 1], dimensionless
    tau_rec : recovery time constant of the resources (ms), > 0
    tau_facil : decay time constant of the utilisation (ms), >= 0; 0 switches facilitation off
    states : 2 (NEST ``tsodyks2_synapse``) or 3 (Tsodyks, Uziel & Markram 2000; NEST ``tsodyks_synapse``)
    tau_psc : three-state model only: decay time constant of the active resources ``y`` (ms), > 0;
        None takes the target receptor's ``tau_decay``
    u0 : states=2: utilisation of the first spike, in [0, 1] (default U);
        states=3: utilisation at t = 0 (default 0)
    x0 : resources available at the first spike (states=2) or at t = 0 (states=3), in [0, 1] (default 1)
    y0 : states=3: active resources at t = 0, in [0, 1] with x0 + y0 <= 1 (default 0)
    """
    U: float = 0.5
    tau_rec: float = 800.0
    tau_facil: float = 0.0
    states: int = 2
    tau_psc: Optional[float] = None
    u0: Optional[float] = None
    x0: float = 1.0
    y0: float = 0.0

    def __post_init__(self):
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        if self.states not in (2, 3) or isinstance(self.states, bool):
            raise SpecError(f"TsodyksMarkram.states must be 2 (tsodyks2_synapse) or 3 (Tsodyks, Uziel & Markram "
                            f"2000), got {self.states!r}")
        s("states", int(self.states))
        s("U", _frac("U", self.U, low_open=True))
        s("tau_rec", _tau("tau_rec", self.tau_rec))
        s("tau_facil", _tau("tau_facil", self.tau_facil, allow_zero=True))
        if self.tau_psc is not None:
            if self.states == 2:
                raise SpecError(f"TsodyksMarkram.tau_psc belongs to the three-state model (states=3), got "
                                f"tau_psc={self.tau_psc!r} with states=2")
            s("tau_psc", _tau("tau_psc", self.tau_psc))
        if self.u0 is not None:
            s("u0", _frac("u0", self.u0))
        s("x0", _frac("x0", self.x0))
        s("y0", _frac("y0", self.y0))
        if self.states == 2 and self.y0 != 0.0:
            raise SpecError(f"TsodyksMarkram.y0 belongs to the three-state model (states=3), got y0={self.y0!r} "
                            "with states=2")
        if self.x0 + self.y0 > 1.0:
            raise SpecError(f"TsodyksMarkram: x0 + y0 must be <= 1 (the inactive share z = 1 - x - y is >= 0), "
                            f"got x0={self.x0!r}, y0={self.y0!r}")

    @property
    def initial_u(self) -> float:
        """``u0``, or its default (U for two states, 0 for three)."""
        if self.u0 is not None:
            return self.u0
        return self.U if self.states == 2 else 0.0

    def psc_time(self, receptor) -> float:
        """``tau_psc`` (ms) of the three-state model onto ``receptor`` (its tau_decay when None)."""
        return self.tau_psc if self.tau_psc is not None else float(receptor.tau_decay)

    def to_dict(self) -> dict:
        return {"kind": "tsodyks_markram", "U": self.U, "tau_rec": self.tau_rec, "tau_facil": self.tau_facil,
                "states": self.states, "tau_psc": self.tau_psc, "u0": self.u0, "x0": self.x0, "y0": self.y0}


def short_term_from_dict(d):
    """Inverse of :meth:`TsodyksMarkram.to_dict` (None stays None)."""
    if d is None:
        return None
    d = dict(d)
    kind = d.pop("kind", None)
    if kind != "tsodyks_markram":
        raise SpecError(f"unknown short-term plasticity kind {kind!r}; allowed: 'tsodyks_markram'")
    return TsodyksMarkram(**d)


def check_short_term(name, short_term, receptors, plasticity):
    """Refuse a short-term rule that does not fit projection ``name``: not a TsodyksMarkram, together
    with a long-term rule, or onto a saturating receptor."""
    if short_term is None:
        return
    if not isinstance(short_term, TsodyksMarkram):
        raise SpecError(f"projection {name!r}: short_term must be a TsodyksMarkram or None, got {short_term!r}")
    if plasticity is not None:
        raise SpecError(f"projection {name!r}: short_term (TsodyksMarkram) cannot be combined with a long-term "
                        f"plasticity rule; plasticity must be None, got {type(plasticity).__name__}")
    for rec, _ in receptors:
        if rec.saturating:
            raise SpecError(f"projection {name!r}: receptor {rec.name!r} is saturating (Wang 2002): its gating is kept "
                            "per presynaptic neuron and cannot carry per-synapse short-term plasticity; short_term "
                            "must be None")
