"""Neuromodulators as volume signals: dopamine and acetylcholine.

A modulator is one concentration per trial, shared by the whole network (volume transmission):

    ``[M](t) = baseline + m(t)``,  ``dm/dt = -m / tau + sum_k amount_k delta(t - t_k)``

Releases ``amount_k`` (uM) come from

* the spikes of a chosen population: ``net.modulator(Dopamine(), source=pop, per_spike=0.05)``
  releases ``per_spike`` uM for every spike of ``pop`` (in the trial where it fired), at the
  spike's time stamp;
* explicit calls between runs: ``net.reward(amount)`` (dopamine) or ``net.release(name, amount)``,
  which act at the current simulation time (the start of the next step).

Effects
-------
* dopamine gates :class:`~neurosim.spec.plasticity.DopamineSTDP` (``dw/dt = w_max c [DA]``);
* any modulator (typically acetylcholine) can scale a quantity by ``max(0, 1 + k [M])``
  with ``net.modulate(modulator, pop, quantity, k)`` (``k`` in 1/uM):

  - ``quantity="b"``: the spike-triggered adaptation increment ``b`` of an LIFCond population
    (each spike adds ``b (1 + k [M])`` to ``w_adapt``, [M] taken at the spike, including the
    releases of that step);
  - ``quantity="g_<receptor>"``: the synaptic arrivals (from projections, not ``poisson_drive``)
    into that receptor channel of ``pop``; an arrival at step ``k`` is scaled by [M] at time
    ``k*dt`` just before that step's releases.

  Cholinergic suppression of adaptation (``k < 0`` on ``b``) or enhancement of afferent input
  are modelled this way (Hasselmo 2006, Curr. Opin. Neurobiol. 16:710).

Units: tau ms, baseline and amounts uM, k 1/uM.  The concentration is updated exactly once per
step in phase 6: releases of the step are added, the effects use it, then it decays by
``exp(-dt/tau)``.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict

from . import validate as V
from ..errors import SpecError


def _check(cls: str, obj):
    s = lambda k, v: object.__setattr__(obj, k, v)  # noqa: E731
    if not isinstance(obj.name, str) or not obj.name.isidentifier():
        raise SpecError(f"{cls}.name must be an identifier-like string, got {obj.name!r}")
    tau = V.number(f"{cls}.tau", obj.tau, "ms")
    if not (0.0 < tau <= 1e6):
        hint = f" (did you give seconds? {tau} s = {tau * 1000:g} ms)" if 0 < tau < 0.05 else ""
        raise SpecError(f"{cls}.tau must be in (0, 1e+06] ms, got {obj.tau!r}{hint}")
    s("tau", tau)
    s("baseline", V.in_range(f"{cls}.baseline", obj.baseline, 0.0, 1e6, "uM"))


@dataclass(frozen=True)
class Dopamine:
    """Dopamine: decay ``tau`` (ms; 200 ms in Izhikevich 2007), tonic ``baseline`` (uM; the paper
    uses a small tonic level of about 0.01 uM)."""
    tau: float = 200.0
    baseline: float = 0.0
    name: str = "dopamine"

    kind = "dopamine"

    def __post_init__(self):
        _check("Dopamine", self)

    def to_dict(self):
        d = asdict(self)
        d["kind"] = self.kind
        return d


@dataclass(frozen=True)
class Acetylcholine:
    """Acetylcholine: decay ``tau`` (ms; cholinergic volume signals last hundreds of ms to
    seconds, default 500 ms), tonic ``baseline`` (uM)."""
    tau: float = 500.0
    baseline: float = 0.0
    name: str = "acetylcholine"

    kind = "acetylcholine"

    def __post_init__(self):
        _check("Acetylcholine", self)

    def to_dict(self):
        d = asdict(self)
        d["kind"] = self.kind
        return d


MODULATOR_TYPES = (Dopamine, Acetylcholine)


def modulator_from_dict(d: dict):
    d = dict(d)
    kind = d.pop("kind", None)
    for cls in MODULATOR_TYPES:
        if cls.kind == kind:
            return cls(**d)
    raise SpecError(f"unknown modulator kind {kind!r}; allowed: 'dopamine', 'acetylcholine'")
