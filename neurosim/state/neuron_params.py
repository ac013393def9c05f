"""Per-neuron parameters: from what a population was given (its model's fields and the values set
with ``Population.set``: numbers, per-neuron arrays or distributions) to the arrays the kernels
read (``NeuronState`` fields and per-slot propagators).

The same functions serve the build (state/build.py) and every change between runs
(``Population.set``), so a value set later is exactly the value a network built with it would
have.  Distributions are drawn from generators seeded by (network seed, PURPOSE_PARAM,
population index, parameter), so a rebuild (``Network.reset``) draws the same values.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import SpecError
from ..spec.distributions import Distribution
from ..spec.adex import AdEx, check_adex
from ..spec.neurons import LIFCond, check_values
from ..spec.timegrid import refractory_steps

PURPOSE_PARAM = 5
PURPOSE_WINIT = 6
PURPOSE_THETA = 8     # state/release.py: 7
# every parameter a population can hold, in a fixed order (its position seeds its draws)
ALL_PARAMETERS = ("c_m", "g_leak", "tau_m", "v_rest", "v_th", "v_reset", "t_ref", "i_bias", "a", "b", "tau_w",
                  "v_t", "delta_t", "v_peak", "theta_plus", "tau_theta")
# NeuronState fields computed here, per neuron
NEURON_FIELDS = ("i_bias", "g_leak", "v_rest", "v_th", "v_reset", "ref_steps", "a_adapt", "b_adapt", "decay_w",
                 "decay_m", "dt_c_m", "v_t", "delta_t", "dt_tau_w", "theta_plus", "decay_theta")


def settable(model) -> tuple:
    """Names ``Population.set`` accepts for ``model``: its parameters, and ``tau_m`` for LIFCond
    (which sets ``g_leak = c_m / tau_m``)."""
    return model.PARAMETERS + (("tau_m",) if isinstance(model, LIFCond) else ())


def given(pop) -> dict:
    """{parameter: value as given} for ``pop``: the values set on the population over its model's.
    For LIFCond a ``tau_m`` set on the population replaces ``g_leak`` (derived from c_m)."""
    out = {k: getattr(pop.model, k) for k in pop.model.PARAMETERS}
    out.update(pop.params)
    return out


def _rng(seed: int, pop_index: int, key: str) -> np.random.Generator:
    ss = np.random.SeedSequence([seed, PURPOSE_PARAM, pop_index, ALL_PARAMETERS.index(key)])
    return np.random.Generator(np.random.Philox(ss))


def _draw(pop, key, value, seed) -> np.ndarray:
    where = f"population {pop.name!r}"
    if isinstance(value, Distribution):
        return check_values(where, key, value.draw(_rng(seed, pop.index, key), pop.n), pop.model.RULES)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(pop.n, float(arr))
    if arr.shape != (pop.n,):
        raise SpecError(f"{where}.{key} must be a number, a distribution or an array of shape ({pop.n},), "
                        f"got shape {arr.shape}")
    return arr.copy()


def realise_params(pop, seed: int) -> dict:
    """{parameter: (n,) float64} of a neuron population, the derived ``tau_m`` (LIFCond) or
    ``g_leak`` (LIFCurr) included; checks every neuron (ranges, v_reset < v_th)."""
    vals = {k: _draw(pop, k, v, seed) for k, v in given(pop).items()}
    if isinstance(pop.model, AdEx):   # the spike threshold is v_peak; g_leak given, as LIFCond
        check_adex(f"population {pop.name!r}", vals)
        vals["v_th"] = vals["v_peak"]
        vals["tau_m"] = vals["c_m"] / vals["g_leak"]
    elif isinstance(pop.model, LIFCond):
        if "tau_m" in vals:   # set as tau_m: g_leak follows c_m
            vals["g_leak"] = vals["c_m"] / vals["tau_m"]
        vals["tau_m"] = vals["c_m"] / vals["g_leak"]
    else:
        vals["g_leak"] = vals["c_m"] / vals["tau_m"]
        vals["a"] = np.zeros(pop.n)
        vals["b"] = np.zeros(pop.n)
        vals["tau_w"] = np.full(pop.n, 100.0)
    bad = np.flatnonzero(vals["v_reset"] >= vals["v_th"])
    if bad.size:
        i = int(bad[0])
        raise SpecError(f"population {pop.name!r}.v_reset must be < v_th ({vals['v_th'][i]:g} mV), got "
                        f"{vals['v_reset'][i]:g} mV at neuron {i}")
    return vals


def _per_unique(fn, x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """``fn`` (a scalar function: math.exp, ...) of every entry, evaluated once per distinct value
    (the libm result, as the scalar code has always used)."""
    u, inv = np.unique(x, return_inverse=True)
    return np.asarray([fn(float(v)) for v in u], dtype=dtype)[inv.reshape(-1)]


def neuron_arrays(vals: dict, dt: float, fdt) -> dict:
    """The NeuronState parameter fields (:data:`NEURON_FIELDS`) of one population from its realised
    parameters; the state's float type ``fdt`` as the per-population arrays had, ``dt_c_m`` float64."""
    c_m = vals["c_m"].astype(fdt)
    # tau_m as the kernels have always seen it: c_m / g_leak (LIFCurr: g_leak = c_m / tau_m first)
    tau_m = vals["c_m"] / vals["g_leak"]
    return {
        "i_bias": vals["i_bias"].astype(fdt), "g_leak": vals["g_leak"].astype(fdt),
        "v_rest": vals["v_rest"].astype(fdt), "v_th": vals["v_th"].astype(fdt),
        "v_reset": vals["v_reset"].astype(fdt),
        "ref_steps": _per_unique(lambda t: refractory_steps(t, dt), vals["t_ref"], np.int64),
        "a_adapt": vals["a"].astype(fdt), "b_adapt": vals["b"].astype(fdt),
        "decay_w": _per_unique(lambda t: math.exp(-dt / t), vals["tau_w"]).astype(fdt),
        "decay_m": _per_unique(lambda t: math.exp(-dt / t), tau_m).astype(fdt),
        "dt_c_m": dt / c_m.astype(np.float64),
        # AdEx only (0 for the LIF models): V_T, Delta_T (mV) and dt/tau_w of the Euler step of w
        "v_t": vals["v_t"].astype(fdt) if "v_t" in vals else np.zeros(c_m.size, fdt),
        "delta_t": vals["delta_t"].astype(fdt) if "v_t" in vals else np.zeros(c_m.size, fdt),
        "dt_tau_w": dt / vals["tau_w"] if "v_t" in vals else np.zeros(c_m.size),
        # adaptive threshold (LIF models; AdEx has none): increment (mV) and float64 exp(-dt/tau_theta)
        "theta_plus": vals["theta_plus"].astype(fdt) if "theta_plus" in vals else np.zeros(c_m.size, fdt),
        "decay_theta": (_per_unique(lambda t: math.exp(-dt / t), vals["tau_theta"]) if "tau_theta" in vals
                        else np.ones(c_m.size)),
    }


def slot_propagators(vals: dict, receptors, dt: float, fdt):
    """(prop_d, prop_r): the exact per-pA change of ``v`` over one step caused by each receptor
    channel's decay and rise components, per neuron (channel-major, as the slots), for a
    current-based population (Rotter & Diesmann 1999; 0 where not used)."""
    from .build import psc_propagator
    tau_m = vals["c_m"] / vals["g_leak"]
    pairs, inv = np.unique(np.stack([tau_m, vals["c_m"]]), axis=1, return_inverse=True)
    inv = inv.reshape(-1)
    pd, pr = [], []
    for rec in receptors:
        if rec.saturating or rec.is_delta:
            # saturating: unused; delta: the arrivals (mV) move v whole, once
            pd.append(np.full(tau_m.size, 1.0 if rec.is_delta else 0.0)); pr.append(np.zeros(tau_m.size))
            continue
        d = [psc_propagator(dt, float(t), float(c), rec.tau_decay) for t, c in pairs.T]
        if rec.is_alpha:
            r = [-alpha_h_propagator(dt, float(t), float(c), rec.tau_decay) for t, c in pairs.T]
        else:
            r = [psc_propagator(dt, float(t), float(c), rec.tau_rise) if rec.tau_rise > 0 else 0.0
                 for t, c in pairs.T]
        pd.append(np.asarray(d)[inv]); pr.append(np.asarray(r)[inv])
    cat = lambda xs: (np.concatenate(xs) if xs else np.zeros(0)).astype(fdt)  # noqa: E731
    return cat(pd), cat(pr)


def alpha_h_propagator(dt: float, tau_m: float, c_m: float, tau: float) -> float:
    """Exact change of ``v`` (mV) over one step ``dt`` (ms) per pA of the auxiliary variable ``h``
    of an alpha synapse (spec/receptors.py: ``g(s) = exp(-s/tau) (g0 + e s/tau h0)`` over the step)
    in ``c_m dv/dt = -c_m v/tau_m + g`` (c_m pF, tau_m and tau ms):

        P_h = e / (tau c_m) exp(-dt/tau_m) J,   J = int_0^dt s exp(-k s) ds,   k = 1/tau - 1/tau_m,
        J = (1 - exp(-k dt) (1 + k dt)) / k^2 = dt^2 sum_n (-k dt)^n / (n! (n + 2)).

    The series is used for |k dt| < 1 (30 terms: truncation below 1e-33), the closed form above,
    where it loses at most a few ulp; both are exact to about 1e-15 relative, ``tau == tau_m``
    included."""
    x = dt * (1.0 / tau - 1.0 / tau_m)
    if abs(x) < 1.0:
        term, total = 1.0, 0.0
        for n in range(30):
            total += term / (n + 2)
            term *= -x / (n + 1)
        j = dt * dt * total
    else:
        j = dt * dt * (1.0 - math.exp(-x) * (1.0 + x)) / (x * x)
    return math.e / (tau * c_m) * math.exp(-dt / tau_m) * j


def is_uniform(arrays: dict, prop_d: np.ndarray, prop_r: np.ndarray, n: int) -> bool:
    """True when every neuron of a population of ``n`` has the same kernel parameters
    (:func:`neuron_arrays`) and every slot of each of its channels the same propagators: the
    kernels then take them as scalars (kernels/cpu/neurons.py, ``Populations.uniform``)."""
    same = lambda x: x.size == 0 or bool(np.all(x == x.reshape(-1)[0]))  # noqa: E731
    if not all(same(arrays[f]) for f in NEURON_FIELDS):
        return False
    return all(same(x.reshape(-1, n)[c]) for x in (prop_d, prop_r) for c in range(x.size // n if n else 0))


def initial_w_adapt(pop, batch: int, seed: int) -> np.ndarray:
    """(batch, n) initial adaptation current (pA) of a population: ``Population.initialize``'s
    value or 0."""
    value = pop.initial.get("w_adapt")
    if value is None:
        return np.zeros((batch, pop.n))
    return _initial(pop, "w_adapt", value, batch, np.random.Generator(np.random.Philox(
        np.random.SeedSequence([seed, PURPOSE_WINIT, pop.index]))), "pA")


def theta_flag(pop, vals: dict, theta: np.ndarray) -> int:
    """1 when population ``pop`` (realised parameters ``vals``, current ``theta`` (batch, n) mV) needs
    the adaptive threshold in its update: some ``theta_plus`` or ``theta`` not 0; else 0 (its
    update then leaves theta out: kernels/cpu/neurons.py)."""
    if "theta_plus" not in vals:   # AdEx
        return 0
    return int(bool(np.any(vals["theta_plus"] != 0) or np.any(theta != 0)))


def initial_theta(pop, batch: int, seed: int) -> np.ndarray:
    """(batch, n) initial adaptive threshold ``theta`` (mV) of a population:
    ``Population.initialize(theta=...)``'s value or 0."""
    value = pop.initial.get("theta")
    if value is None:
        return np.zeros((batch, pop.n))
    return _initial(pop, "theta", value, batch, np.random.Generator(np.random.Philox(
        np.random.SeedSequence([seed, PURPOSE_THETA, pop.index]))), "mV")


def _initial(pop, name, value, batch, rng, unit) -> np.ndarray:
    if isinstance(value, Distribution):
        return value.draw(rng, (batch, pop.n))
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0 or arr.shape == (pop.n,) or arr.shape == (batch, pop.n):
        return np.broadcast_to(arr, (batch, pop.n)).copy()
    raise SpecError(f"population {pop.name!r}: initial {name} must be a number, a distribution or an array of "
                    f"shape ({pop.n},) or ({batch}, {pop.n}) ({unit}), got shape {arr.shape}")


def initial_v(pop, batch: int, rng_vinit, vals: dict) -> np.ndarray:
    """(batch, n) initial membrane potential (mV): ``Population.initialize(v=...)``, else the
    model's ``v_init``, else each neuron's ``v_rest``."""
    value = pop.initial.get("v", pop.model.v_init)
    if value is None:
        return np.broadcast_to(vals["v_rest"], (batch, pop.n)).copy()
    if isinstance(value, tuple):
        value = np.asarray(value)
    return _initial(pop, "v", value, batch, rng_vinit, "mV")
