"""Network methods for neuromodulators: add them, let them modulate, release them, and
closed-loop callbacks (:class:`~neurosim.network.Network` inherits them)."""
from __future__ import annotations


from typing import Any, Callable, Optional, Union

import numpy as np

from .errors import SpecError
from .spec import validate as V
from .spec.neurons import LIFCond
from .spec.modulators import MODULATOR_TYPES
from .handles import Modulator, Modulation  # noqa: F401  (re-exported)


class ModulationMixin:
    # ------------------------------------------------------------------ neuromodulation
    def modulator(self, spec: Any, source: Any = None, per_spike: float = 0.0) -> Modulator:
        """Add a neuromodulator (a :class:`~neurosim.spec.modulators.Dopamine` or ``Acetylcholine``
        spec): a concentration per trial that decays with ``spec.tau``.  ``source``: a population
        whose every spike releases ``per_spike`` uM (optional; explicit releases with
        :meth:`reward` / :meth:`release`)."""
        self._check_open()
        if not isinstance(spec, MODULATOR_TYPES):
            raise SpecError(f"modulator: spec must be Dopamine(...) or Acetylcholine(...), got {spec!r}")
        if any(m.name == spec.name for m in self.modulators):
            raise SpecError(f"modulator: a modulator named {spec.name!r} already exists")
        src = None if source is None else self._pop(source, "modulator: source")
        per_spike = V.in_range(f"modulator {spec.name!r}: per_spike", per_spike, 0.0, 1e6, "uM")
        if src is None and per_spike:
            raise SpecError(f"modulator {spec.name!r}: per_spike = {per_spike} needs a source population")
        mod = Modulator(self, len(self.modulators), spec, src, per_spike)
        self.modulators.append(mod)
        return mod

    def _modulator(self, m, what) -> Modulator:
        if isinstance(m, Modulator) and m.net is self:
            return m
        for mod in self.modulators:
            if mod.name == m:
                return mod
        raise SpecError(f"{what}: unknown modulator {m!r}; known: {[x.name for x in self.modulators]}")

    def modulate(self, modulator: Union[Modulator, str], pop: Any, quantity: str, k: float) -> Modulation:
        """Scale ``quantity`` of ``pop`` by ``max(0, 1 + k [modulator])`` (k in 1/uM):
        ``"b"`` (adaptation increment of an LIFCond population) or ``"g_<receptor>"`` (synaptic
        arrivals into that receptor channel).  Models, e.g., cholinergic modulation of excitability."""
        self._check_open()
        mod = self._modulator(modulator, "modulate")
        pop = self._pop(pop, "modulate")
        if pop.is_source:
            raise SpecError(f"modulate: {pop.name!r} is a spike source")
        if not isinstance(quantity, str) or not (quantity == "b" or quantity.startswith("g_")):
            raise SpecError(f"modulate: quantity must be 'b' or 'g_<receptor>', got {quantity!r}")
        if quantity == "b" and not isinstance(pop.model, LIFCond):
            raise SpecError(f"modulate: 'b' needs an LIFCond population (with adaptation), {pop.name!r} is "
                            f"{type(pop.model).__name__}")
        k = V.number("modulate: k", k, "1/uM")
        eff = Modulation(mod, pop, quantity, k)
        self.modulations.append(eff)
        return eff

    def release(self, modulator: Union[Modulator, str], amount: float, trials: Any = None) -> None:
        """Release ``amount`` uM of ``modulator`` now (between runs; at the current time ``net.t``),
        into every trial or the given batch rows.  Negative amounts are refused."""
        mod = self._modulator(modulator, "release")
        amount = V.in_range(f"release {mod.name!r}: amount", amount, 0.0, 1e6, "uM")
        tr = np.arange(self.batch) if trials is None else np.asarray(trials, dtype=np.int64).reshape(-1)
        if tr.size == 0 or tr.min() < 0 or tr.max() >= self.batch:
            raise SpecError(f"release: trials must be in [0, {self.batch - 1}]")
        if self.simulation is None:
            self._pending.append((mod.index, amount, tr))
        else:
            self._apply_release(mod.index, amount, tr)

    def reward(self, amount: float, trials: Any = None, modulator: Union[Modulator, str, None] = None) -> None:
        """Deliver a reward: release ``amount`` uM of dopamine now (the network's only Dopamine
        modulator, or the one named by ``modulator``)."""
        if modulator is None:
            das = [m for m in self.modulators if m.spec.kind == "dopamine"]
            if len(das) != 1:
                raise SpecError(f"reward: the network has {len(das)} dopamine modulators; add one with "
                                "net.modulator(Dopamine()) or name it with modulator=")
            modulator = das[0]
        self.release(modulator, amount, trials)

    def _apply_release(self, m, amount, trials):
        st = self.simulation.backend.download()
        st.plast.mod_c[trials, m] += amount
        self.simulation.backend.push("plast")

    def every(self, interval: float, callback: Callable[[Any], Any], name: Optional[str] = None) -> str:
        """Call ``callback(net)`` every ``interval`` ms of simulated time (at t = interval,
        2 interval, ...), between steps, during :meth:`run` -- closed-loop control such as
        reward delivery.  The spec records its ``name`` (default ``callback.__qualname__``) and
        interval; :meth:`from_spec` needs it back (``callbacks={name: fn}``)."""
        from .callbacks import add_callback
        return add_callback(self, interval, callback, name)

