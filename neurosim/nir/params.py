"""Parameter mapping of NIR neuron nodes onto neurosim's ``LIFCurr`` (numpy only).

NIR (Pedersen et al. 2024, "Neuromorphic intermediate representation", Nat. Commun. 15:8122;
the node equations of the ``nir`` package 1.0) writes its neurons as continuous-time ODEs with
times in seconds and dimensionless voltages and currents:

* LIF:     ``tau dv/dt = (v_leak - v) + r I``, spike when ``v > v_threshold``, then ``v = v_reset``
* CubaLIF: ``tau_syn dI/dt = -I + w_in S``;  ``tau_mem dv/dt = (v_leak - v) + r I``, threshold as LIF
* LI, CubaLI: LIF, CubaLIF without threshold (leaky integrators, read out through ``v``)
* IF:      ``dv/dt = r I`` (t in seconds), threshold as LIF

neurosim's ``LIFCurr`` is ``c_m dv/dt = -g_leak (v - v_rest) + I_syn + i_bias + i_ext`` (ms, pF,
nS, mV, pA).  The mapping, chosen once here (docs/nir.md has the derivation):

* 1 NIR voltage unit = 1 mV: ``v_rest = v_leak``, ``v_th = v_threshold``, ``v_reset = v_reset``;
* ``g_leak = 1 nS`` (:data:`G_LEAK`), so ``c_m = tau_m`` in pF and a current of 1 pA held
  constant moves the steady state by 1 mV;
* ``t_ref = 0`` (NIR has no refractoriness) unless the node's metadata carries
  ``{"neurosim": {"t_ref_ms": ...}}``;
* a spike is the value 1 held for one step ``dt``: its area is ``dt`` (the convention of the
  discrete-time simulators that export NIR, snnTorch among them).  So an input spike through a
  weight ``w`` moves a LIF's ``v`` by ``r w dt / tau`` (a :func:`~neurosim.Delta` synapse, mV) and
  a CubaLIF's ``I`` by ``w_in w dt / tau_syn`` (an :func:`~neurosim.ExpCurrent` synapse of
  ``g_leak r w_in w dt / tau_syn`` pA);
* an Affine bias ``b`` is a constant input: ``g_leak r b`` pA (CubaLIF: ``g_leak r w_in b``);
* IF has no leak: ``tau_m`` = :data:`IF_TAU_MS` (1e8 ms, about 28 hours: over a 1 s run the leak
  changes ``v`` by 1e-5 of itself; a longer one would lose precision in the step's bias increment
  ``(1 - exp(-dt/tau_m)) R i``, about 1e-16 tau_m / dt relative) and the LIF formulas with
  ``r tau`` in place of ``r``;
* LI / CubaLI: ``v_th`` = :data:`LI_V_TH` (50 mV, the highest neurosim allows), out of reach for
  readouts that stay below it (the importer checks after a run that none fired).

Two integrations (``integration=``):

* ``"exact"``: neurosim's exact propagators solve the NIR ODE for spikes of area dt;
* ``"euler"``: reproduce the forward-Euler recursion of snnTorch (and of NIR's own reference
  discretisation) at step ``dt``: ``v[t] = (1 - dt/tau) v[t-1] + (dt/tau)(v_leak + r I[t])``,
  ``I[t] = (1 - dt/tau_syn) I[t-1] + (dt/tau_syn) w_in S[t]``.  neurosim's exact propagators
  reproduce it exactly with the effective time constants ``tau' = -dt / ln(1 - dt/tau)`` (so that
  ``exp(-dt/tau') = 1 - dt/tau``) and, for CubaLIF, a weight that makes the propagated jump of
  ``v`` equal ``(dt/tau_mem) r (dt/tau_syn) w_in w`` (Rotter & Diesmann 1999 propagator).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError

G_LEAK = 1.0          # nS: the leak conductance of every imported neuron
IF_TAU_MS = 1e8       # ms: membrane time constant standing for "no leak" (IF)
LI_V_TH = 50.0        # mV: threshold of the non-spiking leaky integrators (LI, CubaLI)
INTEGRATIONS = ("exact", "euler")
NEURON_TYPES = ("LIF", "CubaLIF", "LI", "CubaLI", "IF")


@dataclass
class NeuronMap:
    """How one NIR neuron node becomes a neurosim population.

    model : keyword arguments of :class:`~neurosim.LIFCurr` (per-neuron arrays, ms/pF/mV)
    receptor : ``("delta", None)`` or ``("exp", tau_syn_ms)``
    weight_scale : (n,) mV (delta) or pA (exp) per unit of NIR weight, per postsynaptic neuron
    bias_scale : (n,) pA per unit of NIR bias (the input ``S`` held constant), a current injected
        from the population's onset on
    bias_event : (n,) pA per unit of NIR bias of one synaptic event at the onset (CubaLIF, CubaLI:
        the synaptic filter's rise ``1 - exp(-t/tau_syn)`` is a constant minus a decaying
        exponential, which is exactly one negative event), None for delta synapses
    spiking : False for LI / CubaLI (read out through ``v``)
    """
    kind: str
    model: dict
    receptor: tuple
    weight_scale: np.ndarray
    bias_scale: np.ndarray
    spiking: bool
    bias_event: object = None


def param(node_name: str, kind: str, node, attr: str, n: int) -> np.ndarray:
    """Parameter ``attr`` of NIR node ``node`` as an (n,) float64 array: a scalar is broadcast,
    an array must have ``n`` elements (any shape, read in C order)."""
    a = np.asarray(getattr(node, attr), dtype=np.float64)
    if a.size == 1:
        a = np.full(n, float(a.reshape(-1)[0]))
    elif a.size != n:
        raise SpecError(f"NIR node {node_name!r} ({kind}): {attr} has {a.size} values (shape {a.shape}); "
                        f"allowed: one value or one per neuron ({n})")
    a = a.reshape(-1)
    if not np.all(np.isfinite(a)):
        raise SpecError(f"NIR node {node_name!r} ({kind}): {attr} must be finite, got {a[~np.isfinite(a)][0]!r}")
    return a


def _positive(node_name, kind, attr, a):
    if np.any(a <= 0):
        raise SpecError(f"NIR node {node_name!r} ({kind}): {attr} must be > 0 s, got {a[a <= 0][0]!r}")
    return a


def effective_tau(tau_ms: np.ndarray, dt: float, integration: str, where: str) -> np.ndarray:
    """Time constant (ms) neurosim integrates exactly: ``tau`` itself (``"exact"``), or
    ``-dt / ln(1 - dt/tau)`` (``"euler"``: ``exp(-dt/tau') = 1 - dt/tau``), which needs
    ``dt < tau``."""
    if integration == "exact":
        return tau_ms
    if np.any(tau_ms <= dt):
        bad = float(tau_ms[tau_ms <= dt][0])
        raise SpecError(f"{where} = {bad:g} ms is not > dt = {dt:g} ms: forward Euler (integration='euler') "
                        "needs dt < tau (decay factor 1 - dt/tau > 0); use a smaller dt or integration='exact'")
    return -dt / np.log1p(-dt / tau_ms)


def psc_propagator(dt: float, tau_m, c_m, tau_s) -> np.ndarray:
    """Change of ``v`` (mV) over one step ``dt`` (ms) per pA of an exponentially decaying current
    present at the start of the step, in ``c_m dv/dt = -c_m v / tau_m + I`` (Rotter & Diesmann 1999):
    ``dt/c_m exp(-dt/tau_m) expm1(a)/a`` with ``a = dt (1/tau_m - 1/tau_s)`` (1 at a = 0)."""
    tau_m, c_m, tau_s = (np.asarray(x, dtype=np.float64) for x in (tau_m, c_m, tau_s))
    a = dt * (tau_s - tau_m) / (tau_m * tau_s)
    safe = np.where(a == 0.0, 1.0, a)
    ratio = np.where(a == 0.0, 1.0, np.expm1(safe) / safe)
    return dt / c_m * np.exp(-dt / tau_m) * ratio


def _t_ref(node) -> float:
    meta = getattr(node, "metadata", None) or {}
    sub = meta.get("neurosim", {}) if isinstance(meta, dict) else {}
    t = sub.get("t_ref_ms", 0.0) if isinstance(sub, dict) else 0.0
    return float(np.asarray(t).reshape(-1)[0]) if np.size(t) else 0.0


def map_neuron(node_name: str, node, n: int, dt: float, integration: str) -> NeuronMap:
    """The :class:`NeuronMap` of NIR neuron node ``node`` (``n`` neurons) at time step ``dt`` (ms)."""
    kind = type(node).__name__
    if integration not in INTEGRATIONS:
        raise SpecError(f"integration must be one of {INTEGRATIONS}, got {integration!r}")
    if kind not in NEURON_TYPES:
        raise SpecError(f"NIR node {node_name!r}: {kind} is not a neuron type neurosim imports; "
                        f"allowed: {', '.join(NEURON_TYPES)}")
    p = lambda attr: param(node_name, kind, node, attr, n)          # noqa: E731
    where = f"NIR node {node_name!r} ({kind})"
    spiking = kind in ("LIF", "CubaLIF", "IF")
    t_ref = _t_ref(node)
    if kind == "IF":
        r = p("r")
        tau_ms = np.full(n, IF_TAU_MS)
        r_eff = r * IF_TAU_MS * 1e-3                     # the LIF formulas with r tau (tau in s)
        v_rest = np.zeros(n)
    elif kind in ("LIF", "LI"):
        tau_ms = 1e3 * _positive(node_name, kind, "tau", p("tau"))
        r_eff = p("r")
        v_rest = p("v_leak")
    else:
        tau_ms = 1e3 * _positive(node_name, kind, "tau_mem", p("tau_mem"))
        r_eff = p("r")
        v_rest = p("v_leak")
    if spiking:
        v_th, v_reset = p("v_threshold"), p("v_reset")
    else:
        v_th, v_reset = np.full(n, LI_V_TH), v_rest.copy()
    tau_m = tau_ms if kind == "IF" else effective_tau(tau_ms, dt, integration, f"{where}: tau (membrane)")
    model = dict(tau_m=tau_m, c_m=G_LEAK * tau_m, v_rest=v_rest, v_th=v_th, v_reset=v_reset, t_ref=t_ref)
    if kind in ("CubaLIF", "CubaLI"):
        tau_s_ms = 1e3 * _positive(node_name, kind, "tau_syn", p("tau_syn"))
        if np.ptp(tau_s_ms) != 0.0:
            raise SpecError(f"{where}: tau_syn must be the same for all neurons of a node (neurosim's synaptic "
                            f"time constant is one per receptor of a population), got values from "
                            f"{tau_s_ms.min() / 1e3:g} to {tau_s_ms.max() / 1e3:g} s")
        w_in = p("w_in")
        tau_s_eff = effective_tau(tau_s_ms, dt, integration, f"{where}: tau_syn")
        if integration == "exact":
            w_scale = G_LEAK * r_eff * w_in * dt / tau_s_ms
        else:
            jump = (dt / tau_ms) * r_eff * (dt / tau_s_ms) * w_in          # mV of v per unit weight
            w_scale = jump / psc_propagator(dt, tau_m, model["c_m"], tau_s_eff)
        receptor = ("exp", float(tau_s_eff[0]))
        b_scale = G_LEAK * r_eff * w_in
        # the bias through the synaptic filter: I_b = w_in b (1 - d^t) = constant - one event at
        # onset of -w_in b (exact: d = exp(-t/tau_syn)) or -w_in b (1 - dt/tau_syn) (euler: the
        # first step already holds dt/tau_syn of it), in units of an input weight: x tau_syn/dt
        first = 1.0 if integration == "exact" else 1.0 - dt / tau_s_ms
        b_event = -w_scale * first * tau_s_ms / dt
    else:
        # delta synapse: a spike of step k is a Dirac at the start of the step (t = k dt); neurosim
        # adds the jump at the end of the step, so exact integration decays it over the step first
        decay = np.exp(-dt / tau_ms) if integration == "exact" else 1.0
        w_scale = r_eff * dt / tau_ms * decay
        receptor = ("delta", None)
        b_scale = G_LEAK * r_eff
        b_event = None
    return NeuronMap(kind, model, receptor, np.asarray(w_scale, np.float64), np.asarray(b_scale, np.float64),
                     spiking, b_event)


def delay_steps(node_name: str, node, n: int, dt: float) -> np.ndarray:
    """Delays (whole steps, (n,)) of a NIR Delay node (``delay`` in s), rounded to the nearest step."""
    d = param(node_name, "Delay", node, "delay", n) * 1e3 / dt
    if np.any(d < 0):
        raise SpecError(f"NIR node {node_name!r} (Delay): delay must be >= 0 s, got {d[d < 0][0] * dt / 1e3!r}")
    return np.floor(d + 0.5 + 1e-9).astype(np.int64)


