"""Synaptic receptors: neurotransmitter-specific conductance (or current) kinetics.

A receptor turns presynaptic spikes into a postsynaptic conductance (nS; conductance-based,
``e_rev`` set) or current (pA; current-based, ``e_rev=None``).  Kinetics:

* single exponential (``tau_rise == 0``, ``kinetics="exponential"``, the default): a spike of
  weight ``w`` adds ``w`` to ``g``, which decays with ``tau_decay`` (NEST ``iaf_psc_exp`` /
  ``iaf_cond_exp``);
* difference of exponentials (``tau_rise > 0``): a spike of weight ``w`` produces
  ``g(t) = w * f * (exp(-t/tau_decay) - exp(-t/tau_rise))`` with ``f`` chosen so that the peak
  equals ``w`` (NEST's ``*_beta`` convention).  Both exponentials are decayed exactly.
* alpha function (``kinetics="alpha"``; NEST ``iaf_psc_alpha`` / ``iaf_cond_alpha``, PyNN
  ``IF_curr_alpha`` / ``IF_cond_alpha``; Rall 1967): a spike of weight ``w`` at ``t = 0`` gives
  ``g(t) = w (t/tau) exp(1 - t/tau)``, peak ``w`` at ``t = tau`` (``tau = tau_decay``).  Kept as
  ``h`` (``dh/dt = -h/tau``, a spike adds ``w``) and ``g`` (``dg/dt = -g/tau + e h/tau``), advanced
  exactly each step: ``g <- exp(-dt/tau) (g + e dt/tau h)``, ``h <- exp(-dt/tau) h``.  A spike
  arriving at step ``k`` enters ``h``; ``g`` rises from the next step on.
* delta (:func:`Delta`, ``kinetics="delta"``; NEST ``iaf_psc_delta``, PyNN ``IF_curr_delta``):
  weights are in mV and an arriving spike moves ``v`` by ``w`` at once, in the step it arrives:
  ``v(k) = propagated v + sum of arrivals``, then the threshold is tested.  Spikes arriving while
  the neuron is refractory are discarded (NEST's default, ``refractory_input = False``).
* optional voltage-dependent Mg2+ block (Jahr & Stevens 1990):
  ``B(v) = 1 / (1 + [Mg2+]/MG_K * exp(-MG_VOLTAGE_SLOPE v))`` (``MG_K = 3.57 mM``,
  ``MG_VOLTAGE_SLOPE = 0.062 /mV``, shared with the kernels: kernels/scalar.py), evaluated at the start-of-step ``v``;
* optional saturating NMDA kinetics (Wang 2002, Neuron 36:955), kept per presynaptic neuron:
  ``dx/dt = -x/tau_rise + sum_k delta(t - t_k - delay)``, ``ds/dt = -s/tau_decay + alpha x (1 - s)``,
  ``g_post = sum_j w_j s_j`` (``w`` in nS per unit of ``s``, ``s`` dimensionless in [0, 1]);
  integrated by exponential Euler with ``x`` frozen over the step (as Brian2's
  ``exponential_euler``; kernels/cpu/saturating.py).  A projection through a saturating
  receptor takes one delay for all its synapses and static weights, and Poisson drive cannot
  target it.

Units: tau_* ms, e_rev mV, mg mM, alpha 1/ms, weights nS (conductance), pA (current) or mV (delta).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict
from typing import Optional

from . import validate as V

# Mg2+ block of the NMDA receptor (Jahr & Stevens 1990), B(v) = 1 / (1 + [Mg2+]/MG_K exp(-MG_VOLTAGE_SLOPE v)):
# the one definition, used here and by the kernels (kernels/scalar.py)
MG_VOLTAGE_SLOPE = 0.062              # per mV
MG_K = 3.57                           # mM


@dataclass(frozen=True)
class Receptor:
    """A receptor type; projections name one and equal receptors share one state variable.

    Parameters
    ----------
    name : label used in monitors (``g_<name>``) and results
    tau_decay : decay time constant (ms), > 0
    tau_rise : rise time constant (ms), 0 for an instantaneous rise, else 0 < tau_rise < tau_decay
    e_rev : reversal potential (mV); ``None`` makes a current-based receptor (weights in pA)
    mg_block : apply the Jahr & Stevens (1990) Mg2+ block
    mg : extracellular [Mg2+] (mM), >= 0
    saturating : Wang (2002) saturating NMDA kinetics (needs tau_rise > 0 and a conductance-based
                 receptor); ``alpha`` (1/ms) is its saturation rate, > 0
    kinetics : ``"exponential"`` (default: one exponential, or a difference of two with
               ``tau_rise > 0``), ``"alpha"`` (alpha function with time constant ``tau_decay``,
               peak ``w`` at ``t = tau_decay``) or ``"delta"`` (use :func:`Delta`)
    """
    name: str
    tau_decay: float
    tau_rise: float = 0.0
    e_rev: Optional[float] = None
    mg_block: bool = False
    mg: float = 1.0
    saturating: bool = False
    alpha: float = 0.5
    kinetics: str = "exponential"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise V.SpecError(f"Receptor.name must be an identifier-like string, got {self.name!r}")
        n = f"Receptor({self.name}).{{}}"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        if self.kinetics not in KINETICS:
            raise V.SpecError(f"{n.format('kinetics')} must be one of {KINETICS}, got {self.kinetics!r}")
        if self.kinetics != "exponential":
            fixed = [("tau_rise", 0.0), ("mg_block", False), ("saturating", False)]
            if self.kinetics == "delta":
                fixed.append(("e_rev", None))   # a delta synapse moves v by w mV: no reversal potential
            for key, default in fixed:
                if getattr(self, key) != default:
                    raise V.SpecError(f"{n.format(key)} must be {default!r} with kinetics={self.kinetics!r} "
                                      f"(allowed only with exponential kinetics), got {getattr(self, key)!r}")
        s("tau_decay", V.in_range(n.format("tau_decay"), V.positive(n.format("tau_decay"), self.tau_decay, "ms"),
                                  1e-3, 1e5, "ms"))
        s("tau_rise", V.non_negative(n.format("tau_rise"), self.tau_rise, "ms"))
        if self.tau_rise > 0 and self.tau_rise >= self.tau_decay:
            raise V.SpecError(f"{n.format('tau_rise')} must be < tau_decay ({self.tau_decay} ms), "
                              f"got {self.tau_rise} ms")
        if self.e_rev is not None:
            s("e_rev", V.physiological(n.format("e_rev"), self.e_rev, -150.0, 150.0, "mV"))
        s("mg", V.non_negative(n.format("mg"), self.mg, "mM"))
        if self.mg_block and self.e_rev is None:
            raise V.SpecError(f"{n.format('mg_block')} needs a conductance-based receptor (e_rev set)")
        s("alpha", V.positive(n.format("alpha"), self.alpha, "1/ms"))
        if self.saturating and (self.tau_rise <= 0 or self.e_rev is None):
            raise V.SpecError(f"{n.format('saturating')} needs tau_rise > 0 and e_rev set")

    @property
    def conductance_based(self) -> bool:
        return self.e_rev is not None

    @property
    def is_delta(self) -> bool:
        """True for a delta synapse (weights in mV, ``v`` jumps at arrival)."""
        return self.kinetics == "delta"

    @property
    def is_alpha(self) -> bool:
        return self.kinetics == "alpha"

    @property
    def peak_norm(self) -> float:
        """Factor f that makes the peak of the difference of exponentials equal to w (1 for the
        other kinetics: the alpha function peaks at w by construction)."""
        if self.tau_rise <= 0:
            return 1.0
        td, tr = self.tau_decay, self.tau_rise
        t_peak = td * tr / (td - tr) * math.log(td / tr)
        return 1.0 / (math.exp(-t_peak / td) - math.exp(-t_peak / tr))

    @property
    def t_peak(self) -> float:
        """Time of the peak after a spike (ms); 0 for an instantaneous rise, tau_decay for alpha."""
        if self.kinetics == "alpha":
            return self.tau_decay
        if self.tau_rise <= 0:
            return 0.0
        td, tr = self.tau_decay, self.tau_rise
        return td * tr / (td - tr) * math.log(td / tr)

    def mg_factor(self, v):
        """The Mg2+ block factor B(v) (dimensionless) at membrane potential ``v`` (mV)."""
        import numpy as np
        if not self.mg_block:
            return np.ones_like(np.asarray(v, dtype=float))
        return 1.0 / (1.0 + self.mg / MG_K * np.exp(-MG_VOLTAGE_SLOPE * np.asarray(v, dtype=float)))

    def to_dict(self):
        return asdict(self)


def receptor_from_dict(d):
    return Receptor(**d)


KINETICS = ("exponential", "alpha", "delta")
DELTA_TAU = 1.0   # ms: the nominal tau_decay a delta receptor carries (unused by the kernels)


def Delta(name: str = "delta") -> Receptor:
    """Delta synapse (NEST ``iaf_psc_delta``, PyNN ``IF_curr_delta``, Brian2 ``on_pre='v += w'``):
    weights in mV; a spike arriving at step ``k`` adds ``w`` to ``v`` after the membrane has been
    propagated over the step, before the threshold test (so a large enough ``w`` fires the neuron
    in that step).  While the neuron is refractory arriving spikes are discarded, as NEST does by
    default (``refractory_input = False``).  Works on LIFCurr, LIFCond and AdEx targets."""
    return Receptor(name, tau_decay=DELTA_TAU, kinetics="delta")


def Alpha(name: str, tau: float, e_rev: Optional[float] = None) -> Receptor:
    """Alpha-function synapse with time constant ``tau`` (ms): ``g(t) = w (t/tau) exp(1 - t/tau)``
    (peak ``w`` at ``t = tau``; NEST ``iaf_psc_alpha`` / ``iaf_cond_alpha``); conductance-based
    (weights nS) when ``e_rev`` (mV) is given, else current-based (weights pA)."""
    return Receptor(name, tau_decay=tau, e_rev=e_rev, kinetics="alpha")


def AMPA(tau_decay: float = 2.0, tau_rise: float = 0.0, e_rev: float = 0.0, name: str = "AMPA") -> Receptor:
    """Glutamatergic AMPA receptor: e_rev 0 mV, decay ~2 ms (Hestrin et al. 1990; Destexhe,
    Mainen & Sejnowski 1998; Wang 2002 uses 2 ms)."""
    return Receptor(name, tau_decay=tau_decay, tau_rise=tau_rise, e_rev=e_rev)


def NMDA(tau_decay: float = 100.0, tau_rise: float = 2.0, e_rev: float = 0.0, mg: float = 1.0,
         saturating: bool = False, alpha: float = 0.5, name: str = "NMDA") -> Receptor:
    """Glutamatergic NMDA receptor: rise 2 ms, decay 100 ms, e_rev 0 mV, Mg2+ block of
    Jahr & Stevens (1990) with [Mg2+] = 1 mM (Wang 2002).  ``saturating=True`` selects
    Wang's (2002) saturating kinetics (alpha = 0.5 /ms)."""
    return Receptor(name, tau_decay=tau_decay, tau_rise=tau_rise, e_rev=e_rev, mg_block=True, mg=mg,
                    saturating=saturating, alpha=alpha)


def GABA_A(tau_decay: float = 5.0, tau_rise: float = 0.0, e_rev: float = -70.0, name: str = "GABA_A") -> Receptor:
    """GABA_A receptor (Cl-): e_rev -70 mV, decay 5 ms (Wang 2002; Bartos et al. 2007
    report 2-10 ms)."""
    return Receptor(name, tau_decay=tau_decay, tau_rise=tau_rise, e_rev=e_rev)


def GABA_B(tau_decay: float = 150.0, tau_rise: float = 30.0, e_rev: float = -90.0, name: str = "GABA_B") -> Receptor:
    """GABA_B receptor (G-protein coupled K+): slow, rise ~30 ms, decay ~150 ms, e_rev -90 mV,
    approximated by a difference of exponentials (Destexhe & Sejnowski 1995 report a
    time-to-peak of ~100 ms and decay of 100-200 ms; Otis, De Koninck & Mody 1993)."""
    return Receptor(name, tau_decay=tau_decay, tau_rise=tau_rise, e_rev=e_rev)


def ExpCurrent(tau_decay: float = 5.0, name: str = "I_syn", tau_rise: float = 0.0) -> Receptor:
    """Current-based exponential synapse (weights in pA; negative for inhibition)."""
    return Receptor(name, tau_decay=tau_decay, tau_rise=tau_rise, e_rev=None)


NAMED = {"AMPA": AMPA, "NMDA": NMDA, "GABA_A": GABA_A, "GABA_B": GABA_B}


def resolve(receptor, nmda_ratio: float = 1.0):
    """Turn a projection's ``receptor`` argument into a list of (Receptor, weight factor).

    ``"glutamate"`` gives AMPA + NMDA, the NMDA weight being ``nmda_ratio`` times the AMPA one.
    """
    if isinstance(receptor, Receptor):
        return [(receptor, 1.0)]
    if isinstance(receptor, str):
        if receptor == "glutamate":
            ratio = V.non_negative("nmda_ratio", nmda_ratio, "dimensionless")
            return [(AMPA(), 1.0), (NMDA(), ratio)]
        if receptor in NAMED:
            return [(NAMED[receptor](), 1.0)]
    raise V.SpecError(f"unknown receptor {receptor!r}; allowed: a Receptor, 'AMPA', 'NMDA', 'GABA_A', "
                      "'GABA_B' or 'glutamate' (AMPA + NMDA)")
