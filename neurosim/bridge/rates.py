"""Steady-state firing rate of the simulator's current-based LIF neuron under a constant current.

For a :class:`~neurosim.spec.neurons.LIFCurr` (``c_m dv/dt = (c_m/tau_m)(v_rest - v) + I``,
threshold ``v > v_th``, reset to ``v_reset``, refractory period ``t_ref``) driven by a constant
current ``I`` (pA) the membrane relaxes towards ``v_inf = v_rest + I tau_m / c_m``.  If
``v_inf > v_th`` the time from reset to threshold is

    T(I) = tau_m ln((v_inf - v_reset) / (v_inf - v_th))
         = tau_m ln(1 + I_gap / (I - I_th)),

with the rheobase ``I_th = c_m (v_th - v_rest) / tau_m`` and ``I_gap = c_m (v_th - v_reset) / tau_m``
(pA), and the rate is ``r(I) = 1 / (t_ref + T(I))`` (:func:`lif_rate`; 0 for ``I <= I_th``).

**On the time grid** (:func:`lif_rate_grid`).  The simulator integrates exactly but tests the
threshold only at the end of each step and holds a neuron for ``n_ref - 1`` steps after its
spike step, so it integrates again ``n_ref`` steps after the spike step, with Brian2's
``n_ref = int((t_ref + 1e-3 dt)/dt)`` (:func:`neurosim.spec.timegrid.refractory_steps`).  From ``v_reset`` it needs the smallest ``m`` with ``m dt > T``,
i.e. ``m = floor(T/dt) + 1`` steps, so the inter-spike interval under a constant current is
exactly ``dt (n_ref + floor(T/dt))`` (``= t_ref + dt (ceil(T/dt) - 1)`` when ``T/dt`` is not an
integer).  Averaged over the position of ``T`` within a step that is ``t_ref + T - dt/2``: the
continuous formula with an *effective* refractory period ``t_ref - dt/2``
(``lif_rate(I, neuron, dt=dt)``), which is what a rate model should use when its weights will
run at step ``dt`` with fluctuating (e.g. Poisson-driven) input.

**Soft LIF** (:func:`soft_lif_rate`; Hunsberger & Eliasmith 2015, "Spiking deep networks with LIF
neurons", arXiv:1510.08829).  ``r(I)`` has an infinite derivative at the rheobase, which makes
backpropagation unstable; the soft LIF replaces ``max(I - I_th, 0)`` (equivalently
``max(v_inf - v_th, 0)``) by the softplus ``gamma log(1 + exp((I - I_th)/gamma))`` with a smoothing
current ``gamma`` (pA).  It tends to :func:`lif_rate` as ``gamma -> 0`` and is smooth and
strictly increasing, with the analytic derivative :func:`soft_lif_rate_and_grad`.

Units: currents pA, rates Hz, times ms (the formulas use ms and convert: ``Hz = 1000 / ms``).
This module imports no simulator code (see DESIGN.md), only the spec's time-grid rule; it reads
the parameters of a ``LIFCurr`` (or of any object with the same attributes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..spec.timegrid import refractory_steps

__all__ = ["LIFParams", "lif_params", "rheobase", "lif_rate", "lif_rate_grid", "soft_lif_rate",
           "soft_lif_rate_and_grad", "lif_current_for_rate", "lif_current_for_rate_grid", "lif_isi_grid",
           "max_rate"]


@dataclass(frozen=True)
class LIFParams:
    """The numbers the rate function needs, taken from a ``LIFCurr`` spec.

    tau_m (ms), c_m (pF), v_rest, v_th, v_reset (mV), t_ref (ms)."""
    tau_m: float
    c_m: float
    v_rest: float
    v_th: float
    v_reset: float
    t_ref: float

    @property
    def i_th(self) -> float:
        """Rheobase (pA): the smallest constant current that makes the neuron fire."""
        return self.c_m * (self.v_th - self.v_rest) / self.tau_m

    @property
    def i_gap(self) -> float:
        """``c_m (v_th - v_reset) / tau_m`` (pA): the current scale of the reset-to-threshold gap."""
        return self.c_m * (self.v_th - self.v_reset) / self.tau_m


def lif_params(neuron) -> LIFParams:
    """:class:`LIFParams` of a ``LIFCurr`` (anything with tau_m, c_m, v_rest, v_th, v_reset, t_ref)."""
    if isinstance(neuron, LIFParams):
        return neuron
    p = LIFParams(float(neuron.tau_m), float(neuron.c_m), float(neuron.v_rest), float(neuron.v_th),
                  float(neuron.v_reset), float(neuron.t_ref))
    if p.v_reset >= p.v_th or p.tau_m <= 0 or p.c_m <= 0 or p.t_ref < 0:
        raise ValueError(f"not a valid LIF parameter set: {p}")
    return p


def rheobase(neuron) -> float:
    """Rheobase current (pA) of ``neuron``."""
    return lif_params(neuron).i_th


def _t_ref(p: LIFParams, dt) -> float:
    """Refractory period of the continuous formula: ``t_ref`` or, on a grid, ``t_ref - dt/2``."""
    if dt is None:
        return p.t_ref
    return max(p.t_ref - 0.5 * float(dt), 0.0)


def max_rate(neuron, dt=None) -> float:
    """Limit of the rate for large currents (Hz): ``1000 / t_ref`` (effective ``t_ref`` with ``dt``)."""
    t = _t_ref(lif_params(neuron), dt)
    return math.inf if t == 0 else 1000.0 / t


def lif_rate(current, neuron, dt=None) -> np.ndarray:
    """Steady-state rate (Hz) of ``neuron`` under constant ``current`` (pA, any shape).

    ``dt=None`` gives the continuous-time rate ``1/(t_ref + T(I))``; with ``dt`` (ms) the
    refractory period becomes ``t_ref - dt/2``, the average of the on-grid rate over the
    position of the threshold crossing within a step.  0 where ``I <= I_th``.
    """
    p = lif_params(neuron)
    i = np.asarray(current, dtype=np.float64)
    x = i - p.i_th
    above = x > 0
    safe = np.where(above, x, 1.0)
    t = p.tau_m * np.log1p(p.i_gap / safe)
    return np.where(above, 1000.0 / (_t_ref(p, dt) + t), 0.0)


def lif_isi_grid(current, neuron, dt: float) -> np.ndarray:
    """Exact inter-spike interval (ms) in the simulator at step ``dt`` (ms) under constant
    ``current``: ``dt (max(n_ref, 1) + floor(T/dt))`` (``n_ref`` = :func:`refractory_steps`);
    ``inf`` where it is silent.

    ``T/dt`` is computed in float64; when it lies within ~1e-9 of an integer the simulator's
    float round-off decides whether the crossing falls in that step or the next.
    """
    p = lif_params(neuron)
    dt = float(dt)
    n_ref = refractory_steps(p.t_ref, dt)
    i = np.asarray(current, dtype=np.float64)
    x = i - p.i_th
    above = x > 0
    safe = np.where(above, x, 1.0)
    t = p.tau_m * np.log1p(p.i_gap / safe)
    # a neuron never integrates in its own spike step, so t_ref < dt acts like one step
    steps = max(n_ref, 1) + np.floor(t / dt)
    return np.where(above, dt * steps, np.inf)


def lif_rate_grid(current, neuron, dt: float) -> np.ndarray:
    """Exact steady-state rate (Hz) of the simulator at step ``dt`` (ms) under constant
    ``current`` (pA): ``1000 / lif_isi_grid(...)`` (a staircase in the current)."""
    isi = lif_isi_grid(current, neuron, dt)
    return np.where(np.isfinite(isi), 1000.0 / isi, 0.0)


#: The soft-LIF argument ``u = (I - I_th)/gamma`` is floored at ``-U_FLOOR``: below it the rate is
#: held at its (tiny) value there and the derivative is 0.  This keeps float32 arithmetic away
#: from subnormal numbers (about 100x slower) and makes float32 and float64 agree.
U_FLOOR = 60.0


def _softplus(u):
    """log(1 + e^u) for u >= -U_FLOOR (u below is treated as -U_FLOOR), stably."""
    return np.log1p(np.exp(-np.minimum(np.abs(u), U_FLOOR))) + np.maximum(u, 0)


def soft_lif_rate(current, neuron, gamma: float, dt=None) -> np.ndarray:
    """Soft-LIF rate (Hz) (Hunsberger & Eliasmith 2015): :func:`lif_rate` with
    ``max(I - I_th, 0)`` replaced by ``gamma * log(1 + exp((I - I_th)/gamma))``; ``gamma`` in pA."""
    return soft_lif_rate_and_grad(current, neuron, gamma, dt)[0]


def soft_lif_rate_and_grad(current, neuron, gamma: float, dt=None):
    """(rate in Hz, d rate / d current in Hz/pA) of the soft LIF, computed stably.

    With ``s = gamma softplus((I - I_th)/gamma)`` and ``g = I_gap``:
    ``r = 1/(t_ref + tau_m log(1 + g/s))`` and
    ``dr/dI = r^2 tau_m g sigmoid((I - I_th)/gamma) / (s (s + g))`` (times 1000 for Hz with ms).
    Below ``I_th - U_FLOOR gamma`` the rate is held at its value there (about
    ``1000 / (t_ref + tau_m (U_FLOOR + ln(I_gap/gamma)))`` Hz) and the derivative is 0.
    """
    p = lif_params(neuron)
    gamma = float(gamma)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0 pA, got {gamma}")
    i = np.asarray(current)
    if i.dtype not in (np.float32, np.float64):   # float32 stays float32 (fast training)
        i = i.astype(np.float64)
    g = p.i_gap
    u = (i - p.i_th) * (1.0 / gamma)
    sp = _softplus(u)                     # s / gamma, s = gamma softplus(u)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        t = np.log1p(g / (gamma * sp))    # T / tau_m; inf where sp underflows to 0
        t *= p.tau_m
        t += _t_ref(p, dt)
        r_ms = np.reciprocal(t)           # 1/ms; 0 where T is inf
        # sigmoid(u) = 1 - exp(-softplus(u)); sigmoid(u)/softplus(u) -> 1 as u -> -inf
        # (where sp underflows to 0 the rate is 0 and so is dr, whatever the ratio)
        ratio = -np.expm1(-sp)
        ratio /= np.maximum(sp, np.finfo(sp.dtype).tiny)
        # dr/dI = r^2 tau_m g sigmoid(u) / (s (s + g)) = r^2 tau_m g ratio / (gamma (s + g))
        dr = r_ms * r_ms
        dr *= ratio
        dr *= (p.tau_m * g / gamma) / (gamma * sp + g)
        dr *= u > -U_FLOOR
    return r_ms * 1000.0, dr * 1000.0


def lif_current_for_rate(rate, neuron, dt=None) -> np.ndarray:
    """Inverse of :func:`lif_rate`: the constant current (pA) that makes ``neuron`` fire at
    ``rate`` (Hz); 0 pA where ``rate <= 0``.  ``rate`` must be below :func:`max_rate`."""
    p = lif_params(neuron)
    r = np.asarray(rate, dtype=np.float64)
    tr = _t_ref(p, dt)
    pos = r > 0
    isi = np.where(pos, 1000.0 / np.where(pos, r, 1.0), np.inf)
    t = isi - tr
    if np.any(pos & (t <= 0)):
        raise ValueError(f"rate must be below the maximum rate {1000.0 / tr if tr else math.inf:g} Hz")
    e = np.exp(-np.where(pos, t, 1.0) / p.tau_m)
    # v_inf - v_th = (v_inf - v_reset) e  ->  v_inf = (v_th - v_reset e) / (1 - e)
    v_inf = (p.v_th - p.v_reset * e) / (-np.expm1(-np.where(pos, t, 1.0) / p.tau_m))
    return np.where(pos, (v_inf - p.v_rest) * p.c_m / p.tau_m, 0.0)


def lif_current_for_rate_grid(rate, neuron, dt: float) -> np.ndarray:
    """Constant current (pA) whose exact on-grid rate (:func:`lif_rate_grid`) is the attainable
    rate nearest to ``rate`` (Hz): the inter-spike interval ``1000/rate`` is rounded to a whole
    number ``n`` of steps (at least ``max(n_ref, 1)``, ``n_ref`` = :func:`refractory_steps`), and the
    current puts ``T`` in the middle of its step, ``T = (n - max(n_ref, 1) + 1/2) dt``, far from the staircase's
    edges.  0 pA where ``rate <= 0``.  Returns ``(current, attained rate in Hz)``."""
    p = lif_params(neuron)
    dt = float(dt)
    n_min = max(refractory_steps(p.t_ref, dt), 1)
    r = np.asarray(rate, dtype=np.float64)
    pos = r > 0
    n = np.maximum(np.rint(1000.0 / (np.where(pos, r, 1.0) * dt)), n_min)
    t = (n - n_min + 0.5) * dt
    e = np.exp(-t / p.tau_m)
    v_inf = (p.v_th - p.v_reset * e) / (-np.expm1(-t / p.tau_m))
    current = np.where(pos, (v_inf - p.v_rest) * p.c_m / p.tau_m, 0.0)
    return current, np.where(pos, 1000.0 / (n * dt), 0.0)
