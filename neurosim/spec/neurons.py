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

Adaptive threshold (both models; Diehl & Cook 2015, eqs. after their "Neuron and synapse model"):
each neuron's threshold is ``v_th + theta``, with a state variable ``theta`` (mV) that decays
exactly, ``theta <- theta exp(-dt / tau_theta)`` in the membrane step (also while refractory), is
compared after that decay, and grows by ``theta_plus`` at each spike (after the threshold test)::

    tau_theta dtheta/dt = -theta ;   theta += theta_plus at each spike ;   spike when v > v_th + theta

(the order of Brian2's ``dtheta/dt = -theta/tau_theta``, threshold ``v > v_th + theta``, reset
``theta += theta_plus``).  ``tau_theta = inf`` stops the decay; ``theta_plus = 0`` with
``tau_theta = inf`` freezes theta (e.g. for testing a trained network).  ``theta`` starts at 0 or at
``Population.initialize(theta=...)``; ``Population.get('theta')`` reads it and ``set(theta=...)``
writes it; a state monitor records it.  A population whose ``theta_plus`` and ``theta`` are all 0
takes the kernels without it (compiled out).

Units: c_m pF, g_leak nS, tau_m ms, r_m MOhm, voltages mV, t_ref ms, currents pA,
a nS, b pA, tau_w ms, theta_plus mV, tau_theta ms.

Every parameter may be one value for the whole population, a 1-D array with one value per
neuron, or a distribution (:mod:`neurosim.spec.distributions`) drawn per neuron when the network
is built (state/neuron_params.py; ``Population.set`` changes them, also between runs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import validate as V
from .distributions import Distribution, describe, undescribe, in_unit

_INF = math.inf
# parameter -> (unit, low, high, low allowed): the range every neuron's value must lie in
RULES = {
    "c_m": ("pF", 0.0, _INF, False), "g_leak": ("nS", 0.0, _INF, False), "tau_m": ("ms", 0.0, _INF, False),
    "r_m": ("MOhm", 0.0, _INF, False),
    "v_rest": ("mV", -150.0, 50.0, True), "v_th": ("mV", -150.0, 50.0, True), "v_reset": ("mV", -150.0, 50.0, True),
    "t_ref": ("ms", 0.0, 1e4, True), "i_bias": ("pA", -_INF, _INF, True),
    "a": ("nS", 0.0, _INF, True), "b": ("pA", 0.0, _INF, True), "tau_w": ("ms", 0.0, _INF, False),
    "theta_plus": ("mV", 0.0, 100.0, True), "tau_theta": ("ms", 0.0, _INF, False),
}
# parameters that may be +inf (``tau_theta = inf``: theta does not decay)
INF_ALLOWED = ("tau_theta",)


def _range_text(key, rules=None) -> str:
    unit, lo, hi, lo_ok = (rules or RULES)[key]
    if hi == _INF:
        return f"{'>=' if lo_ok else '>'} {lo:g} {unit}" if lo > -_INF else f"finite ({unit})"
    return f"in [{lo:g}, {hi:g}] {unit}"


def check_values(where: str, key: str, arr: np.ndarray, rules=None) -> np.ndarray:
    """Raise SpecError naming ``where.key``, the first neuron out of range, its value and the
    allowed range; return ``arr`` (float64).  ``rules``: a model's own table (default RULES)."""
    unit, lo, hi, lo_ok = (rules or RULES)[key]
    arr = np.asarray(arr, dtype=np.float64)
    finite = np.isfinite(arr) | ((arr == _INF) if key in INF_ALLOWED else False)
    ok = finite & (arr <= hi) & ((arr >= lo) if lo_ok else (arr > lo))
    if not np.all(ok):
        i = int(np.flatnonzero(~ok.reshape(-1))[0])
        val = float(arr.reshape(-1)[i])
        hint = ""
        if unit == "mV" and 0 < abs(val) < 1:
            hint = f" (did you give volts? {val} V = {val * 1000:g} mV)"
        at = f" at neuron {i}" if arr.ndim else ""
        finite = "" if math.isfinite(val) or key in INF_ALLOWED else "finite and "
        raise V.SpecError(f"{where}.{key} must be {finite}{_range_text(key, rules)}, got {val!r}{at}{hint}")
    return arr


def check_param(where: str, key: str, value, rules=None):
    """A neuron parameter as given: a float, a read-only float64 1-D array (one value per neuron)
    or a distribution (checked per neuron once drawn).  ``rules``: as :func:`check_values`."""
    unit = (rules or RULES)[key][0]
    if isinstance(value, Distribution):
        return in_unit(value, f"{where}.{key}", unit)
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise V.SpecError(f"{where}.{key} must be a number, a 1-D array or a distribution ({unit}), got {value!r}")
    arr = np.asarray(V.to_float(value, f"{where}.{key}", unit), dtype=np.float64)
    if arr.dtype.kind not in "iuf" or arr.ndim > 1:
        raise V.SpecError(f"{where}.{key} must be a number, a 1-D array or a distribution ({unit}), "
                          f"got {'shape ' + str(arr.shape) if arr.ndim > 1 else repr(value)}")
    if arr.ndim == 0:
        return float(check_values(where, key, arr, rules))
    check_values(where, key, arr, rules)
    arr = arr.copy()
    arr.flags.writeable = False
    return arr


def _voltages_ordered(where: str, v_th, v_reset):
    if not isinstance(v_th, Distribution) and not isinstance(v_reset, Distribution):
        th, rs = np.broadcast_arrays(np.asarray(v_th, np.float64), np.asarray(v_reset, np.float64))
        bad = np.flatnonzero((rs >= th).reshape(-1))
        if bad.size:
            i = int(bad[0])
            at = f" at neuron {i}" if th.ndim else ""
            raise V.SpecError(f"{where}.v_reset must be < v_th ({float(th.reshape(-1)[i])} mV), got "
                              f"{float(rs.reshape(-1)[i])} mV{at}")


def _check_v_init(model: str, v_init):
    if v_init is None or isinstance(v_init, Distribution):
        return in_unit(v_init, f"{model}.v_init", "mV")
    arr = V.finite_array(f"{model}.v_init", v_init, unit="mV")
    if arr.ndim == 0:
        return V.physiological(f"{model}.v_init", float(arr), -200.0, 100.0, "mV")
    if arr.ndim != 1:
        raise V.SpecError(f"{model}.v_init must be a scalar, a distribution or a 1-D array, "
                          f"got shape {arr.shape}")
    return tuple(arr.tolist())


def _nonzero(value) -> bool:
    return True if isinstance(value, Distribution) else bool(np.any(np.asarray(value) != 0))


class _Neuron:
    """What both models share: checking, sizes, serialisation."""

    PARAMETERS: tuple = ()
    RULES = RULES   # parameter -> (unit, low, high, low allowed) of this model (AdEx has its own)

    def _check_all(self):
        m = type(self).__name__
        for k in self.PARAMETERS:
            object.__setattr__(self, k, check_param(m, k, getattr(self, k), self.RULES))
        self._check_relations(m)
        object.__setattr__(self, "v_init", _check_v_init(m, self.v_init))

    def _check_relations(self, m):
        """Checks between parameters (after each is in range): v_reset < v_th."""
        _voltages_ordered(m, self.v_th, self.v_reset)

    @property
    def has_theta(self) -> bool:
        """True when the adaptive threshold can move (some ``theta_plus`` not 0)."""
        return _nonzero(getattr(self, "theta_plus", 0.0))

    def sizes(self) -> dict:
        """{parameter: length} of the parameters given as per-neuron arrays (``v_init`` included)."""
        out = {k: len(getattr(self, k)) for k in self.PARAMETERS if isinstance(getattr(self, k), np.ndarray)}
        if isinstance(self.v_init, tuple):
            out["v_init"] = len(self.v_init)
        return out

    def _key(self):
        """The parameter values as hashable items (arrays by their bytes)."""
        def item(v):
            if isinstance(v, np.ndarray):
                return ("array", v.shape, v.tobytes())
            return v
        return (type(self),) + tuple(item(getattr(self, k)) for k in self.PARAMETERS + ("v_init",))

    def __eq__(self, other):
        """Equal models: same type and equal parameters (per-neuron arrays compared element-wise)."""
        return isinstance(other, _Neuron) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def to_dict(self):
        d = {k: describe(getattr(self, k)) for k in self.PARAMETERS}
        d["v_init"] = describe(self.v_init) if self.v_init is not None else None
        d["model"] = self.kind
        return d

    def __repr__(self):
        def short(v):
            if isinstance(v, np.ndarray):
                return f"array(n={v.size}, {v.min():g}..{v.max():g})"
            return repr(v)
        return f"{type(self).__name__}(" + ", ".join(f"{k}={short(getattr(self, k))}" for k in self.PARAMETERS) + ")"


@dataclass(frozen=True, eq=False, repr=False)
class LIFCond(_Neuron):
    """Conductance-based LIF neuron (exponential-Euler integration).  Defaults are the
    COBA benchmark cell (Brette et al. 2007, after Vogels & Abbott 2005).

    Parameters (each a scalar, an array with one value per neuron, or a distribution)
    ----------
    c_m : membrane capacitance (pF), > 0
    g_leak : leak conductance (nS), > 0
    v_rest, v_th, v_reset : resting, threshold and reset potentials (mV) in [-150, 50]; v_reset < v_th
    t_ref : absolute refractory period (ms), in [0, 1e4]
    i_bias : constant bias current (pA)
    a : subthreshold adaptation conductance (nS), >= 0
    b : spike-triggered adaptation increment (pA), >= 0
    tau_w : adaptation time constant (ms), > 0
    theta_plus : adaptive-threshold increment per spike (mV), in [0, 100] (0: no adaptive threshold)
    tau_theta : decay time constant of the adaptive threshold ``theta`` (ms), > 0, ``math.inf`` allowed
                (no decay); default 1e7 ms, Diehl & Cook (2015)
    v_init : initial membrane potential (mV): a scalar, a 1-D array or a distribution;
             ``None`` means ``v_rest``
    """
    c_m: Any = 200.0
    g_leak: Any = 10.0
    v_rest: Any = -60.0
    v_th: Any = -50.0
    v_reset: Any = -60.0
    t_ref: Any = 5.0
    i_bias: Any = 0.0
    a: Any = 0.0
    b: Any = 0.0
    tau_w: Any = 100.0
    theta_plus: Any = 0.0
    tau_theta: Any = 1e7
    v_init: Any = None

    kind = "lif_cond"
    PARAMETERS = ("c_m", "g_leak", "v_rest", "v_th", "v_reset", "t_ref", "i_bias", "a", "b", "tau_w",
                  "theta_plus", "tau_theta")

    def __post_init__(self):
        self._check_all()

    @property
    def tau_m(self):
        """Membrane time constant c_m / g_leak (ms)."""
        if isinstance(self.c_m, Distribution) or isinstance(self.g_leak, Distribution):
            raise V.SpecError("LIFCond.tau_m: c_m or g_leak is a distribution; read the drawn values with "
                              "pop.get('tau_m')")
        return self.c_m / self.g_leak

    @property
    def has_adaptation(self) -> bool:
        return _nonzero(self.a) or _nonzero(self.b)


@dataclass(frozen=True, eq=False, repr=False)
class LIFCurr(_Neuron):
    """Current-based LIF neuron (exact integration).  Defaults are NEST's ``iaf_psc_exp``.

    Parameters (each a scalar, an array with one value per neuron, or a distribution)
    ----------
    tau_m : membrane time constant (ms), > 0
    c_m : membrane capacitance (pF), > 0.  Give ``r_m`` instead to set c_m = 1000 tau_m / r_m
          (ms / MOhm = nF = 1000 pF; tau_m = 10 ms and r_m = 40 MOhm give 250 pF).
    r_m : membrane resistance (MOhm, a plain number like rates in Hz: ``R / units.Mohm`` for a
          resistance R built from :mod:`neurosim.units`); optional alternative to c_m (a scalar
          or an array, not a distribution)
    v_rest, v_th, v_reset : mV ; t_ref : ms ; i_bias : pA ; v_init : as :class:`LIFCond`
    theta_plus : mV ; tau_theta : ms ; the adaptive threshold, as :class:`LIFCond`
    """
    tau_m: Any = 10.0
    c_m: Any = 250.0
    v_rest: Any = -70.0
    v_th: Any = -55.0
    v_reset: Any = -70.0
    t_ref: Any = 2.0
    i_bias: Any = 0.0
    r_m: Any = None
    theta_plus: Any = 0.0
    tau_theta: Any = 1e7
    v_init: Any = None

    kind = "lif_curr"
    PARAMETERS = ("tau_m", "c_m", "v_rest", "v_th", "v_reset", "t_ref", "i_bias", "theta_plus", "tau_theta")

    def __post_init__(self):
        if self.r_m is not None:
            m = "LIFCurr"
            r_m = check_param(m, "r_m", self.r_m)
            tau_m = check_param(m, "tau_m", self.tau_m)
            if isinstance(r_m, Distribution) or isinstance(tau_m, Distribution):
                raise V.SpecError("LIFCurr.r_m: with r_m given, r_m and tau_m must be numbers or arrays "
                                  "(give c_m as a distribution instead)")
            object.__setattr__(self, "r_m", r_m)
            object.__setattr__(self, "c_m", 1000.0 * np.asarray(tau_m) / np.asarray(r_m)
                               if np.ndim(tau_m) or np.ndim(r_m) else 1000.0 * tau_m / r_m)   # ms / MOhm = 1000 pF
        self._check_all()

    @property
    def g_leak(self):
        """Leak conductance c_m / tau_m (nS)."""
        if isinstance(self.c_m, Distribution) or isinstance(self.tau_m, Distribution):
            raise V.SpecError("LIFCurr.g_leak: c_m or tau_m is a distribution; read the drawn values with "
                              "pop.get('g_leak')")
        return self.c_m / self.tau_m

    has_adaptation = False
    a = 0.0
    b = 0.0
    tau_w = 100.0

    def to_dict(self):
        d = super().to_dict()
        d["r_m"] = describe(self.r_m) if self.r_m is not None else None
        return d


def neuron_from_dict(d: dict):
    d = dict(d)
    kind = d.pop("model")
    d = {k: (undescribe(v) if v is not None else None) for k, v in d.items()}
    if kind == "lif_cond":
        return LIFCond(**d)
    if kind == "lif_curr":
        if d.get("r_m") is not None:
            d.pop("c_m", None)
        return LIFCurr(**d)
    if kind == "adex":
        from .adex import AdEx
        return AdEx(**d)
    raise V.SpecError(f"unknown neuron model {kind!r}; allowed: lif_cond, lif_curr, adex")
