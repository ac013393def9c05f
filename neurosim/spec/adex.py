"""Adaptive exponential integrate-and-fire neuron (AdEx; Brette & Gerstner 2005, J Neurophysiol
94:3637) and, with ``a = b = 0``, the exponential IF neuron (EIF; Fourcaud-Trocme et al. 2003)::

    c_m dv/dt = -g_leak (v - v_rest) + g_leak delta_t exp((v - v_t)/delta_t)
                + sum_r g_r (e_r - v) + sum_c I_c + i_bias + i_ext - w
    tau_w dw/dt = a (v - v_rest) - w

    v > v_peak:  v <- v_reset,  w <- w + b,  refractory for t_ref (v held at v_reset, w evolves)

Receptors as for :class:`~neurosim.spec.neurons.LIFCond`: one with ``e_rev`` gives a conductance
``g (e_rev - v)``, one without a current, a delta receptor (:func:`~neurosim.spec.receptors.Delta`)
jumps ``v`` by its weight (mV) after the membrane update, before the threshold test.

``delta_t = 0`` drops the exponential term (an LIF neuron with adaptation whose threshold is
``v_peak``; NEST allows ``Delta_T = 0`` too).

Integration (kernels/cpu/adex.py): forward Euler for ``v`` and ``w``, both from their start-of-step
values, which is the scheme Brian2 picks for these equations with ``method=None`` (its
``exponential_euler`` does not apply: ``dv/dt`` is not linear in ``v``; Brian2 2.9 tries
``exact``, then ``euler``).  The receptors are advanced exactly (their start-of-step values enter
the update), as for the LIF models.  The exponential is evaluated at ``min(v, v_peak)`` (NEST's
``aeif_cond_exp`` clamps ``v`` at ``V_peak`` inside the exponential), and
``(v_peak - v_t)/delta_t`` is limited to :data:`MAX_EXP_ARG` so the term cannot overflow.

Refractoriness and timing as the LIF models (Brian2's): a neuron that spiked at step ``k`` is
refractory while ``step - k < ref_steps`` (``ref_steps = int((t_ref + 1e-3 dt)/dt)``); ``t_ref = 0``
(NEST's default for ``aeif_cond_exp``) means no refractory period.

Defaults: Brette & Gerstner (2005) / NEST ``aeif_cond_exp`` (c_m 281 pF, g_leak 30 nS, v_rest =
v_reset = -70.6 mV, v_t -50.4 mV, delta_t 2 mV, a 4 nS, b 80.5 pA, tau_w 144 ms), with NEST's
``V_peak = 0 mV`` and ``t_ref = 0 ms``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import validate as V
from .distributions import Distribution
from .neurons import RULES as LIF_RULES, _Neuron, _nonzero

MAX_EXP_ARG = 50.0   # largest (v_peak - v_t)/delta_t: exp(50) ~ 5e21, far from overflow in float32 too

_INF = math.inf
RULES = dict(LIF_RULES)
RULES.update({
    "a": ("nS", -_INF, _INF, True),          # negative a: Naud et al. 2008's delayed/irregular patterns
    "v_t": ("mV", -150.0, 50.0, True), "delta_t": ("mV", 0.0, 100.0, True),
    "v_peak": ("mV", -150.0, 100.0, True),
})


def check_adex(where: str, vals: dict):
    """The relations between AdEx parameters, per neuron (``vals``: {name: scalar or (n,) array};
    distributions are skipped here and checked once drawn): ``v_reset < v_peak`` and
    ``v_t <= v_peak`` (as NEST), ``(v_peak - v_t)/delta_t <= MAX_EXP_ARG`` where ``delta_t > 0``."""
    keys = ("v_t", "v_peak", "delta_t", "v_reset")
    if any(isinstance(vals[k], Distribution) for k in keys):
        return
    vt, vp, dlt, vr = np.broadcast_arrays(*(np.asarray(vals[k], np.float64) for k in keys))
    at = lambda i: f" at neuron {i}" if vt.ndim else ""  # noqa: E731
    bad = np.flatnonzero((vr >= vp).reshape(-1))
    if bad.size:
        i = int(bad[0])
        raise V.SpecError(f"{where}.v_reset must be < v_peak ({float(vp.reshape(-1)[i]):g} mV), got "
                          f"{float(vr.reshape(-1)[i]):g} mV{at(i)}")
    bad = np.flatnonzero((vt > vp).reshape(-1))
    if bad.size:
        i = int(bad[0])
        raise V.SpecError(f"{where}.v_t must be <= v_peak ({float(vp.reshape(-1)[i]):g} mV), got "
                          f"{float(vt.reshape(-1)[i]):g} mV{at(i)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dlt > 0, (vp - vt) / np.where(dlt > 0, dlt, 1.0), 0.0)
    bad = np.flatnonzero((ratio > MAX_EXP_ARG).reshape(-1))
    if bad.size:
        i = int(bad[0])
        raise V.SpecError(f"{where}.delta_t: (v_peak - v_t)/delta_t must be <= {MAX_EXP_ARG:g} (the exponential "
                          f"term would overflow), got ({float(vp.reshape(-1)[i]):g} - {float(vt.reshape(-1)[i]):g})"
                          f"/{float(dlt.reshape(-1)[i]):g} = {float(ratio.reshape(-1)[i]):g}{at(i)}; raise delta_t "
                          "or lower v_peak")


@dataclass(frozen=True, eq=False, repr=False)
class AdEx(_Neuron):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005; NEST
    ``aeif_cond_exp`` / ``aeif_psc_exp`` by its receptors), forward-Euler integrated as Brian2
    does for these equations (see the module docstring).

    Parameters (each a scalar, an array with one value per neuron, or a distribution)
    ----------
    c_m : membrane capacitance (pF), > 0
    g_leak : leak conductance (nS), > 0
    v_rest : leak reversal potential E_L (mV), in [-150, 50]
    v_reset : reset potential (mV), in [-150, 50], < v_peak
    v_t : threshold slope factor's midpoint V_T (mV), in [-150, 50], <= v_peak
    delta_t : slope factor Delta_T (mV), in [0, 100]; 0: no exponential term;
              (v_peak - v_t)/delta_t <= 50
    v_peak : spike detection threshold (mV), in [-150, 100]
    t_ref : absolute refractory period (ms), in [0, 1e4]
    a : subthreshold adaptation conductance (nS), any sign
    b : spike-triggered adaptation increment (pA), >= 0
    tau_w : adaptation time constant (ms), > 0
    i_bias : constant bias current (pA)
    v_init : initial membrane potential (mV): a scalar, a 1-D array or a distribution;
             ``None`` means ``v_rest``
    """
    c_m: Any = 281.0
    g_leak: Any = 30.0
    v_rest: Any = -70.6
    v_reset: Any = -70.6
    v_t: Any = -50.4
    delta_t: Any = 2.0
    v_peak: Any = 0.0
    t_ref: Any = 0.0
    a: Any = 4.0
    b: Any = 80.5
    tau_w: Any = 144.0
    i_bias: Any = 0.0
    v_init: Any = None

    kind = "adex"
    PARAMETERS = ("c_m", "g_leak", "v_rest", "v_reset", "v_t", "delta_t", "v_peak", "t_ref", "a", "b", "tau_w",
                  "i_bias")
    RULES = RULES

    def __post_init__(self):
        self._check_all()

    def _check_relations(self, m):
        """v_reset < v_peak, v_t <= v_peak, (v_peak - v_t)/delta_t <= 50 (:func:`check_adex`)."""
        check_adex(m, {k: getattr(self, k) for k in ("v_t", "v_peak", "delta_t", "v_reset")})

    @property
    def v_th(self):
        """The spike threshold: ``v_peak`` (mV)."""
        return self.v_peak

    @property
    def tau_m(self):
        """Membrane time constant c_m / g_leak (ms)."""
        if isinstance(self.c_m, Distribution) or isinstance(self.g_leak, Distribution):
            raise V.SpecError("AdEx.tau_m: c_m or g_leak is a distribution; read the drawn values with "
                              "pop.get('tau_m')")
        return self.c_m / self.g_leak

    @property
    def has_adaptation(self) -> bool:
        return _nonzero(self.a) or _nonzero(self.b)
