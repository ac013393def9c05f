"""Long-term synaptic plasticity rules: trace-based pair STDP, triplet STDP and dopamine-modulated STDP.

Pass a rule to ``Network.connect(..., plasticity=rule)``.  All three are frozen, validated
dataclasses; bad parameters raise :class:`~neurosim.errors.SpecError` (naming the parameter, the
value received and the allowed range) when the rule is created, before anything runs.

Units
-----
* time constants and delays: ms;
* ``w_min``, ``w_max``: absolute weights in the unit of the projection's weight (nS for a
  conductance-based receptor, where ``w_min`` must be >= 0; pA for a current-based one);
* amplitudes (``a_plus``, ``a_minus``, ``a2_plus``, ...): **dimensionless fractions of** ``w_max``:
  one full potentiating pairing of an additive rule adds ``a_plus * w_max`` (the convention of
  Song, Miller & Abbott 2000 and of NEST's ``lambda``).

Traces and pairings (Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459)
------------------------------------------------------------------------------
Each presynaptic neuron has a trace ``x_pre`` (time constant ``tau_plus``) and each postsynaptic
neuron a trace ``x_post`` (``tau_minus``); both decay exponentially and jump at the neuron's
spikes: by +1 for ``pairing="all_to_all"`` (every pre spike pairs with every post spike) or to
exactly 1 for ``pairing="nearest"`` (symmetric nearest-spike pairing: each spike pairs only with
the latest spike of the other side).

Timing at the synapse (delays)
------------------------------
A presynaptic spike stamped at step ``k`` reaches the synapse with the projection's axonal delay
``d`` (steps), at step ``k + d`` -- the step its weight enters the receptor -- and its plasticity
update happens then.  A postsynaptic spike stamped at step ``k'`` reaches the synapse after the
rule's ``dendritic_delay`` ``dd`` (back-propagation delay, steps, default 0), at step ``k' + dd``.
The pairing interval seen by the rule is therefore

    ``Delta t = (t_post + dendritic_delay) - (t_pre + axonal_delay)``

and a single pairing changes the weight by ``+a_plus * w_max * exp(-Delta t/tau_plus)`` for
``Delta t >= 0`` and ``-a_minus * w_max * exp(Delta t/tau_minus)`` for ``Delta t < 0`` (additive
rule).  Within one step presynaptic arrivals are processed before postsynaptic events, so
``Delta t = 0`` counts as pre-before-post (potentiation), as in Brian2's default pathway order.
The weight a spike *transmits* is the one it had at its emission step (propagation, phase 5,
reads ``w`` before the plasticity phase 6 of the same step).

Weight dependence of pair STDP (``rule``)
-----------------------------------------
With ``u = (w - w_min) / (w_max - w_min)`` in [0, 1]:

* ``"additive"``: ``dw+ = a_plus w_max x_pre``, ``dw- = a_minus w_max x_post``, hard bounds
  (the weight is clipped to [w_min, w_max]); Song, Miller & Abbott 2000;
* ``"multiplicative"`` (soft bounds): ``dw+ = a_plus w_max x_pre (1 - u)``,
  ``dw- = a_minus w_max x_post u`` -- weights approach the bounds only asymptotically as long
  as ``a * x < 1`` (van Rossum, Bi & Turrigiano 2000; Rubin, Lee & Sompolinsky 2001);
* ``"van_rossum"``: additive potentiation, multiplicative depression ``dw- = a_minus w_max x_post u``
  (van Rossum, Bi & Turrigiano 2000, J. Neurosci. 20:8812), clipped at ``w_max``;
* ``"gutig"``: ``dw+ = a_plus w_max x_pre (1 - u)**mu``, ``dw- = a_minus w_max x_post u**mu``
  with ``0 <= mu <= 1`` (Gütig, Aharonov, Rotter & Sompolinsky 2003, J. Neurosci. 23:3697;
  mu = 0 is additive, mu = 1 multiplicative).

Every update is followed by clipping to [w_min, w_max] (inactive for soft bounds while a*x < 1).

Triplet STDP (Pfister & Gerstner 2006, J. Neurosci. 26:9673)
-------------------------------------------------------------
Two presynaptic traces ``r1`` (``tau_plus``), ``r2`` (``tau_x``) and two postsynaptic traces ``o1``
(``tau_minus``), ``o2`` (``tau_y``).  At a presynaptic arrival
``w -= w_max * o1 * (a2_minus + a3_minus * r2(t-))``; at a postsynaptic event
``w += w_max * r1 * (a2_plus + a3_plus * o2(t-))`` where ``(t-)`` is the value just before the
spike's own jump.  Hard bounds as the additive rule.  ``pairing="nearest"`` resets the traces to 1
(the paper's nearest-spike model); ``"all_to_all"`` adds 1.  :meth:`TripletSTDP.visual_cortex`
and :meth:`TripletSTDP.hippocampal` give the fitted parameter sets of the paper's Table 4.

Dopamine-modulated STDP (Izhikevich 2007, Cereb. Cortex 17:2443)
-----------------------------------------------------------------
Pair-STDP events (same traces and pairing as :class:`STDP`) do not change ``w`` directly but an
eligibility trace ``c`` per synapse (dimensionless): ``c += a_plus x_pre`` at a postsynaptic event,
``c -= a_minus x_post`` at a presynaptic arrival; ``c`` decays with ``tau_c``.  The weight follows

    ``dw/dt = w_max * c(t) * [DA](t)``        ([DA] in uM, t in ms: the rate is per uM per ms)

clipped to [w_min, w_max], where [DA] is the concentration of the named dopamine modulator (see
:mod:`neurosim.spec.modulators`).  Between steps ``c`` and the phasic part of [DA] are both
exponentials, so the weight change over each step is integrated exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict, fields

from . import validate as V
from ..errors import SpecError

PAIRINGS = ("all_to_all", "nearest")
RULES = ("additive", "multiplicative", "van_rossum", "gutig")
TAU_MAX = 1e6     # ms: time constants are accepted in (0, TAU_MAX]
DELAY_MAX = 1e4   # ms


def _tau(cls: str, name: str, value) -> float:
    v = V.number(f"{cls}.{name}", value, "ms")
    if not (0.0 < v <= TAU_MAX):
        hint = ""
        if 0 < v < 0.05:
            hint = f" (did you give seconds? {v} s = {v * 1000:g} ms)"
        raise SpecError(f"{cls}.{name} must be in (0, {TAU_MAX:g}] ms, got {value!r}{hint}")
    return v


def _amp(cls: str, name: str, value) -> float:
    v = V.number(f"{cls}.{name}", value, "fraction of w_max")
    if not (0.0 <= v <= 1.0):
        raise SpecError(f"{cls}.{name} must be in [0, 1] (a dimensionless fraction of w_max), got {value!r}")
    return v


def _choice(cls: str, name: str, value, allowed) -> str:
    if value not in allowed:
        raise SpecError(f"{cls}.{name} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value


def _bounds(cls: str, w_min, w_max):
    lo = V.number(f"{cls}.w_min", w_min, "nS or pA")
    hi = V.number(f"{cls}.w_max", w_max, "nS or pA")
    if not lo < hi:
        raise SpecError(f"{cls}.w_min must be < w_max ({hi:g}), got w_min = {lo:g} (the allowed range of the "
                        f"weight is [w_min, w_max] in the projection's unit, nS or pA)")
    if hi <= 0:
        raise SpecError(f"{cls}.w_max must be > 0 (nS or pA; amplitudes are fractions of it), got {hi:g}")
    return lo, hi


def _delay(cls: str, value) -> float:
    return V.in_range(f"{cls}.dendritic_delay", value, 0.0, DELAY_MAX, "ms")


class _Rule:
    """Common helpers of the plasticity dataclasses."""
    kind = "base"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rule_kind"] = self.kind
        return d

    def replace(self, **changes):
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(changes)
        return type(self)(**d)


@dataclass(frozen=True)
class STDP(_Rule):
    """Pair-based, trace-based STDP (see the module docstring for the exact equations).

    Parameters
    ----------
    tau_plus : ms, > 0 -- decay of the presynaptic trace (potentiation window)
    tau_minus : ms, > 0 -- decay of the postsynaptic trace (depression window)
    a_plus, a_minus : fractions of ``w_max`` in [0, 1] -- amplitudes of potentiation, depression
    w_max, w_min : bounds in the projection's weight unit (nS or pA), w_min < w_max, w_max > 0
    rule : ``"additive"`` (hard bounds), ``"multiplicative"`` (soft bounds), ``"van_rossum"``
        or ``"gutig"`` (with exponent ``mu``)
    mu : weight-dependence exponent of Gütig et al. (2003) in [0, 1], used by ``rule="gutig"``
    pairing : ``"all_to_all"`` or ``"nearest"``
    dendritic_delay : ms, >= 0 -- back-propagation delay of postsynaptic spikes to the synapse

    The default is Song, Miller & Abbott (2000): tau 20 ms, a_plus 0.005, a_minus/a_plus 1.05.
    """
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    a_plus: float = 0.005
    a_minus: float = 0.00525
    w_max: float = 1.0
    w_min: float = 0.0
    rule: str = "additive"
    mu: float = 0.0
    pairing: str = "all_to_all"
    dendritic_delay: float = 0.0

    kind = "stdp"

    def __post_init__(self):
        c = "STDP"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        s("tau_plus", _tau(c, "tau_plus", self.tau_plus))
        s("tau_minus", _tau(c, "tau_minus", self.tau_minus))
        s("a_plus", _amp(c, "a_plus", self.a_plus))
        s("a_minus", _amp(c, "a_minus", self.a_minus))
        lo, hi = _bounds(c, self.w_min, self.w_max)
        s("w_min", lo)
        s("w_max", hi)
        _choice(c, "rule", self.rule, RULES)
        s("mu", V.in_range(f"{c}.mu", self.mu, 0.0, 1.0, ""))
        _choice(c, "pairing", self.pairing, PAIRINGS)
        s("dendritic_delay", _delay(c, self.dendritic_delay))

    @property
    def mu_plus(self) -> float:
        """Exponent of the potentiation weight dependence ``(1 - u)**mu_plus``."""
        return {"additive": 0.0, "multiplicative": 1.0, "van_rossum": 0.0, "gutig": self.mu}[self.rule]

    @property
    def mu_minus(self) -> float:
        """Exponent of the depression weight dependence ``u**mu_minus``."""
        return {"additive": 0.0, "multiplicative": 1.0, "van_rossum": 1.0, "gutig": self.mu}[self.rule]

    def window(self, delta_t):
        """Weight change (in units of w_max) of one isolated pairing with interval ``delta_t`` (ms,
        post minus pre at the synapse) under the additive rule."""
        import numpy as np
        dt_ = np.asarray(delta_t, dtype=float)
        return np.where(dt_ >= 0, self.a_plus * np.exp(-dt_ / self.tau_plus),
                        -self.a_minus * np.exp(dt_ / self.tau_minus))


# Pfister & Gerstner (2006), Table 4: (a2_plus, a3_plus, a2_minus, a3_minus, tau_x, tau_y);
# tau_plus = 16.8 ms and tau_minus = 33.7 ms throughout; tau_x is unused by minimal models (a3_minus = 0)
_PG2006 = {
    ("visual_cortex", "all_to_all", False): (5e-10, 6.2e-3, 7e-3, 2.3e-4, 101.0, 125.0),
    ("visual_cortex", "all_to_all", True): (0.0, 6.5e-3, 7.1e-3, 0.0, 101.0, 114.0),
    ("visual_cortex", "nearest", False): (8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3, 714.0, 40.0),
    ("visual_cortex", "nearest", True): (0.0, 5e-2, 8e-3, 0.0, 714.0, 40.0),
    ("hippocampal", "all_to_all", False): (6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3, 946.0, 27.0),
    ("hippocampal", "all_to_all", True): (5.3e-3, 8e-3, 3.5e-3, 0.0, 946.0, 40.0),
    ("hippocampal", "nearest", False): (4.6e-3, 9.1e-3, 3e-3, 7.5e-9, 575.0, 47.0),
    ("hippocampal", "nearest", True): (4.6e-3, 9.1e-3, 3e-3, 0.0, 575.0, 48.0),
}


@dataclass(frozen=True)
class TripletSTDP(_Rule):
    """Triplet STDP of Pfister & Gerstner (2006), additive with hard bounds.

    Parameters
    ----------
    tau_plus, tau_minus : ms -- fast pre (r1) and post (o1) traces
    tau_x, tau_y : ms -- slow pre (r2) and post (o2) traces
    a2_plus, a3_plus, a2_minus, a3_minus : fractions of ``w_max`` in [0, 1]
    w_max, w_min, pairing, dendritic_delay : as :class:`STDP`

    The defaults are the paper's visual-cortex all-to-all full model.
    """
    tau_plus: float = 16.8
    tau_minus: float = 33.7
    tau_x: float = 101.0
    tau_y: float = 125.0
    a2_plus: float = 5e-10
    a3_plus: float = 6.2e-3
    a2_minus: float = 7e-3
    a3_minus: float = 2.3e-4
    w_max: float = 1.0
    w_min: float = 0.0
    pairing: str = "all_to_all"
    dendritic_delay: float = 0.0

    kind = "triplet"

    def __post_init__(self):
        c = "TripletSTDP"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        for k in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            s(k, _tau(c, k, getattr(self, k)))
        for k in ("a2_plus", "a3_plus", "a2_minus", "a3_minus"):
            s(k, _amp(c, k, getattr(self, k)))
        lo, hi = _bounds(c, self.w_min, self.w_max)
        s("w_min", lo)
        s("w_max", hi)
        _choice(c, "pairing", self.pairing, PAIRINGS)
        s("dendritic_delay", _delay(c, self.dendritic_delay))

    @classmethod
    def _fit(cls, data: str, pairing: str, minimal: bool, kw):
        _choice(f"TripletSTDP.{data}", "pairing", pairing, PAIRINGS)
        a2p, a3p, a2m, a3m, tx, ty = _PG2006[(data, pairing, bool(minimal))]
        return cls(tau_plus=16.8, tau_minus=33.7, tau_x=tx, tau_y=ty, a2_plus=a2p, a3_plus=a3p,
                   a2_minus=a2m, a3_minus=a3m, pairing=pairing, **kw)

    @classmethod
    def visual_cortex(cls, pairing: str = "all_to_all", minimal: bool = False, **kw) -> "TripletSTDP":
        """Fit to the visual-cortex pairing-frequency data of Sjöström, Turrigiano & Nelson (2001)
        (Pfister & Gerstner 2006, Table 4).  ``kw``: w_max, w_min, dendritic_delay."""
        return cls._fit("visual_cortex", pairing, minimal, kw)

    @classmethod
    def diehl_cook2015(cls, **kw) -> "TripletSTDP":
        """The input-to-excitatory learning rule of Diehl & Cook's public code for their 2015 paper
        (Front. Comput. Neurosci. 9:99; github.com/peter-u-diehl/stdp-mnist): a presynaptic trace
        ``x_pre`` (20 ms) and two postsynaptic traces ``post1`` (20 ms) and ``post2`` (40 ms), each
        *set* to 1 at its neuron's spike; at a presynaptic spike ``w -= nu_pre post1`` with
        ``nu_pre = 1e-4``; at a postsynaptic spike ``w += nu_post x_pre post2(t-)`` with
        ``nu_post = 1e-2`` (post2 read before its own reset); weights clipped to [0, w_max = 1].
        That is the minimal nearest-spike triplet rule: ``tau_plus = 20`` (x_pre = r1),
        ``tau_minus = 20`` (post1 = o1), ``tau_y = 40`` (post2 = o2), ``a2_minus = 1e-4``,
        ``a3_plus = 1e-2``, ``a2_plus = a3_minus = 0``.  The amplitudes are fractions of ``w_max``:
        with the default ``w_max = 1`` they are the code's absolute rates.  ``kw`` overrides any field.

        (The paper's text, eq. 3, gives a different variant, ``dw = eta (x_pre - x_tar)(w_max - w)^mu``
        at postsynaptic spikes, and reports similar accuracy for four rules; the code's default,
        above, is the one its published results were produced with.)"""
        d = dict(tau_plus=20.0, tau_minus=20.0, tau_x=20.0, tau_y=40.0, a2_plus=0.0, a3_plus=1e-2,
                 a2_minus=1e-4, a3_minus=0.0, w_max=1.0, w_min=0.0, pairing="nearest")
        d.update(kw)
        return cls(**d)

    @classmethod
    def hippocampal(cls, pairing: str = "all_to_all", minimal: bool = False, **kw) -> "TripletSTDP":
        """Fit to the hippocampal-culture triplet and quadruplet data of Wang et al. (2005)
        (Pfister & Gerstner 2006, Table 4).  ``kw``: w_max, w_min, dendritic_delay."""
        return cls._fit("hippocampal", pairing, minimal, kw)


@dataclass(frozen=True)
class DopamineSTDP(_Rule):
    """Dopamine-modulated STDP with an eligibility trace per synapse (Izhikevich 2007).

    Parameters
    ----------
    tau_plus, tau_minus : ms -- STDP trace time constants (20 ms in the paper)
    a_plus, a_minus : eligibility increments per pairing (dimensionless, in [0, 1]); the
        paper's ratio a_minus/a_plus = 1.5 biases unrewarded synapses towards depression
    tau_c : ms -- decay of the eligibility trace (1 s in the paper)
    modulator : name of the network's dopamine modulator (``net.modulator(Dopamine(...))``)
    w_max, w_min, pairing, dendritic_delay : as :class:`STDP`

    ``dw/dt = w_max * c * [DA]`` with [DA] in uM (time in ms), see the module docstring.
    """
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    a_plus: float = 1e-3
    a_minus: float = 1.5e-3
    tau_c: float = 1000.0
    modulator: str = "dopamine"
    w_max: float = 1.0
    w_min: float = 0.0
    pairing: str = "all_to_all"
    dendritic_delay: float = 0.0

    kind = "dopamine_stdp"

    def __post_init__(self):
        c = "DopamineSTDP"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        s("tau_plus", _tau(c, "tau_plus", self.tau_plus))
        s("tau_minus", _tau(c, "tau_minus", self.tau_minus))
        s("a_plus", _amp(c, "a_plus", self.a_plus))
        s("a_minus", _amp(c, "a_minus", self.a_minus))
        s("tau_c", _tau(c, "tau_c", self.tau_c))
        if not isinstance(self.modulator, str) or not self.modulator:
            raise SpecError(f"{c}.modulator must be the name of a dopamine modulator (a non-empty string), "
                            f"got {self.modulator!r}")
        lo, hi = _bounds(c, self.w_min, self.w_max)
        s("w_min", lo)
        s("w_max", hi)
        _choice(c, "pairing", self.pairing, PAIRINGS)
        s("dendritic_delay", _delay(c, self.dendritic_delay))


RULE_TYPES = (STDP, TripletSTDP, DopamineSTDP)
_BY_KIND = {cls.kind: cls for cls in RULE_TYPES}


def plasticity_from_dict(d: dict):
    """Inverse of ``rule.to_dict()``."""
    d = dict(d)
    kind = d.pop("rule_kind", None)
    if kind not in _BY_KIND:
        raise SpecError(f"unknown plasticity rule kind {kind!r}; allowed: {', '.join(sorted(_BY_KIND))}")
    return _BY_KIND[kind](**d)
