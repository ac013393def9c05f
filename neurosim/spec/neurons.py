"""Leaky integrate-and-fire neuron parameter sets.

Two models, both with absolute refractoriness (``v`` held at ``v_reset`` while refractory)
and a hard threshold ``v > v_th``:

* :class:`LIFCond` - conductance-based LIF, integrated by exponential Euler
  (all conductances and the Mg2+ block taken at their start-of-step values, as Brian2's
  ``exponential_euler``), optionally with a spike-triggered adaptation current
  (Brette & Gerstner 2005 without the exponential term)::

      c_m dv/dt = g_leak (v_rest - v) + sum_r g_r B_r(v) (e_r - v) + sum_c I_c + i_bias + i_ext - w
      tau_w dw/dt = a (v - v_rest) - w ;   w += b at each spike

* :class:`LIFCurr` - current-based LIF, integrated exactly (the linear propagator of
  Rotter & Diesmann 1999 for exponentially decaying synaptic currents)::

      c_m dv/dt = (c_m / tau_m) (v_rest - v) + sum_c I_c + i_bias + i_ext

Timing convention (Brian2's): step ``k`` integrates from ``k*dt`` to ``(k+1)*dt``; a
threshold crossing in that step is stamped ``k*dt``; the neuron is then held at ``v_reset``
for the following ``n - 1`` steps and integrates again in step ``k + max(n, 1)``, with Brian2's
``n = int((t_ref + 1e-3 dt) / dt)``: ``t_ref`` need not be a multiple of dt and is truncated to
whole steps (2.05 ms at dt = 0.1 ms is 20 steps; :func:`neurosim.spec.timegrid.refractory_steps`).

Units: c_m pF, g_leak nS, tau_m ms, r_m MOhm, voltages mV, t_ref ms, currents pA,
a nS, b pA, tau_w ms.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict, field
from typing import Any

from . import validate as V
from .distributions import Distribution, describe, undescribe


def _check_voltages(model: str, v_rest, v_th, v_reset):
    V.physiological(f"{model}.v_rest", v_rest, -150.0, 50.0, "mV")
    V.physiological(f"{model}.v_th", v_th, -150.0, 50.0, "mV")
    V.physiological(f"{model}.v_reset", v_reset, -150.0, 50.0, "mV")
    if v_reset >= v_th:
        raise V.SpecError(f"{model}.v_reset must be < v_th ({v_th} mV), got {v_reset} mV")


def _check_v_init(model: str, v_init):
    if v_init is None or isinstance(v_init, Distribution):
        return v_init
    arr = V.finite_array(f"{model}.v_init", v_init, unit="mV")
    if arr.ndim == 0:
        return V.physiological(f"{model}.v_init", float(arr), -200.0, 100.0, "mV")
    if arr.ndim != 1:
        raise V.SpecError(f"{model}.v_init must be a scalar, a distribution or a 1-D array, "
                          f"got shape {arr.shape}")
    return tuple(arr.tolist())


@dataclass(frozen=True)
class LIFCond:
    """Conductance-based LIF neuron (exponential-Euler integration).  Defaults are the
    COBA benchmark cell (Brette et al. 2007, after Vogels & Abbott 2005).

    Parameters
    ----------
    c_m : membrane capacitance (pF), > 0
    g_leak : leak conductance (nS), > 0
    v_rest, v_th, v_reset : resting, threshold and reset potentials (mV); v_reset < v_th
    t_ref : absolute refractory period (ms), >= 0
    i_bias : constant bias current (pA)
    a : subthreshold adaptation conductance (nS), >= 0
    b : spike-triggered adaptation increment (pA), >= 0
    tau_w : adaptation time constant (ms), > 0
    v_init : initial membrane potential (mV): a scalar, a 1-D array or a distribution;
             ``None`` means ``v_rest``
    """
    c_m: float = 200.0
    g_leak: float = 10.0
    v_rest: float = -60.0
    v_th: float = -50.0
    v_reset: float = -60.0
    t_ref: float = 5.0
    i_bias: float = 0.0
    a: float = 0.0
    b: float = 0.0
    tau_w: float = 100.0
    v_init: Any = None

    kind = "lif_cond"

    def __post_init__(self):
        m = "LIFCond"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        s("c_m", V.positive(f"{m}.c_m", self.c_m, "pF"))
        s("g_leak", V.positive(f"{m}.g_leak", self.g_leak, "nS"))
        for k in ("v_rest", "v_th", "v_reset"):
            s(k, V.number(f"{m}.{k}", getattr(self, k), "mV"))
        _check_voltages(m, self.v_rest, self.v_th, self.v_reset)
        s("t_ref", V.in_range(f"{m}.t_ref", self.t_ref, 0.0, 1e4, "ms"))
        s("i_bias", V.number(f"{m}.i_bias", self.i_bias, "pA"))
        s("a", V.non_negative(f"{m}.a", self.a, "nS"))
        s("b", V.non_negative(f"{m}.b", self.b, "pA"))
        s("tau_w", V.positive(f"{m}.tau_w", self.tau_w, "ms"))
        s("v_init", _check_v_init(m, self.v_init))

    @property
    def tau_m(self) -> float:
        """Membrane time constant c_m / g_leak (ms)."""
        return self.c_m / self.g_leak

    @property
    def has_adaptation(self) -> bool:
        return self.a > 0 or self.b > 0

    def to_dict(self):
        d = asdict(self)
        d["v_init"] = describe(self.v_init) if self.v_init is not None else None
        d["model"] = self.kind
        return d


@dataclass(frozen=True)
class LIFCurr:
    """Current-based LIF neuron (exact integration).  Defaults are NEST's ``iaf_psc_exp``.

    Parameters
    ----------
    tau_m : membrane time constant (ms), > 0
    c_m : membrane capacitance (pF), > 0.  Give ``r_m`` instead to set c_m = 1000 tau_m / r_m
          (ms / MOhm = nF = 1000 pF; tau_m = 10 ms and r_m = 40 MOhm give 250 pF).
    r_m : membrane resistance (MOhm, a plain number like rates in Hz: ``R / units.Mohm`` for a
          resistance R built from :mod:`neurosim.units`); optional alternative to c_m
    v_rest, v_th, v_reset : mV ; t_ref : ms ; i_bias : pA ; v_init : as :class:`LIFCond`
    """
    tau_m: float = 10.0
    c_m: float = 250.0
    v_rest: float = -70.0
    v_th: float = -55.0
    v_reset: float = -70.0
    t_ref: float = 2.0
    i_bias: float = 0.0
    r_m: Any = None
    v_init: Any = None

    kind = "lif_curr"

    def __post_init__(self):
        m = "LIFCurr"
        s = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        s("tau_m", V.positive(f"{m}.tau_m", self.tau_m, "ms"))
        if self.r_m is not None:
            r_m = V.positive(f"{m}.r_m", self.r_m, "MOhm")
            s("r_m", r_m)
            s("c_m", 1000.0 * self.tau_m / r_m)   # ms / MOhm = 1000 pF
        s("c_m", V.positive(f"{m}.c_m", self.c_m, "pF"))
        for k in ("v_rest", "v_th", "v_reset"):
            s(k, V.number(f"{m}.{k}", getattr(self, k), "mV"))
        _check_voltages(m, self.v_rest, self.v_th, self.v_reset)
        s("t_ref", V.in_range(f"{m}.t_ref", self.t_ref, 0.0, 1e4, "ms"))
        s("i_bias", V.number(f"{m}.i_bias", self.i_bias, "pA"))
        s("v_init", _check_v_init(m, self.v_init))

    @property
    def g_leak(self) -> float:
        """Leak conductance c_m / tau_m (nS)."""
        return self.c_m / self.tau_m

    has_adaptation = False
    a = 0.0
    b = 0.0
    tau_w = 100.0

    def to_dict(self):
        d = asdict(self)
        d["v_init"] = describe(self.v_init) if self.v_init is not None else None
        d["model"] = self.kind
        return d


def neuron_from_dict(d: dict):
    d = dict(d)
    kind = d.pop("model")
    if d.get("v_init") is not None:
        d["v_init"] = undescribe(d["v_init"])
    if kind == "lif_cond":
        return LIFCond(**d)
    if kind == "lif_curr":
        return LIFCurr(**d)
    raise V.SpecError(f"unknown neuron model {kind!r}; allowed: lif_cond, lif_curr")
