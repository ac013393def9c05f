"""Network methods that add spike sources, injected currents, Poisson drive and monitors
(:class:`~neurosim.network.Network` inherits them)."""
from __future__ import annotations


from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np

from .errors import SpecError
from .spec import validate as V
from .spec.inputs import PoissonSource, SpikeGenerator, CurrentInjection, PoissonDrive, as_schedule, plain
from .spec.sources import GammaSource, PoissonRefractorySource, ACCurrent, NoiseCurrent
from .spec.timegrid import period_steps
from .spec.channels import check_channel_names
from .spec.neurons import LIFCurr
from .spec.receptors import resolve
from .units import to_float
from .handles import Population, Projection, rebuild_inputs_of

if TYPE_CHECKING:   # annotations only
    from .sim.recorders import SpikeMonitor, StateMonitor, RateMonitor, WeightMonitor


class InputsMixin:
    def poisson(self, name: str, n: int, rate: Any) -> Population:
        """Add ``n`` Poisson spike sources; ``rate`` in Hz: scalar, (n,), (batch, n) or a Schedule."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"poisson {name!r}: n", n)
        rate = plain(f"poisson {name!r}: rate", rate, "Hz")
        as_schedule(f"poisson {name!r}: rate", rate, n, self.batch, "Hz", low=0.0, dt=self.dt)
        return self._add_source(name, n, PoissonSource(n, rate))

    def spike_generator(self, name: str, n: int, times: Any, ids: Any, trials: Any = None) -> Population:
        """Add ``n`` sources that fire at ``times`` (ms, >= 0) with source ``ids`` (0..n-1);
        ``trials`` optionally gives each spike's batch row (default: all rows).  The spikes can be
        replaced before a run or between runs: ``pop.set(times=..., ids=...)``."""
        self._check_open()
        self._check_name(name, "population")
        n = V.positive_int(f"spike_generator {name!r}: n", n)
        return self._add_source(name, n, generator_model(f"spike_generator {name!r}", n, times, ids, trials,
                                                         self.batch))

    def inject(self, pop: Union[Population, str], amplitude: Any, indices: Any = None) -> CurrentInjection:
        """Inject a current (pA): scalar, (n,), (batch, n) or a Schedule (steps, timed_array),
        into ``indices`` of ``pop`` (default all)."""
        self._check_open()
        pop = self._pop(pop, "inject")
        if pop.is_source:
            raise SpecError(f"inject: {pop.name!r} is a spike source")
        idx = np.arange(pop.n) if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
            got = "none" if idx.size == 0 else f"[{idx.min()}, {idx.max()}]"
            raise SpecError(f"inject: indices must be in [0, {pop.n - 1}], got {got}")
        amplitude = plain("inject: amplitude", amplitude, "pA")
        as_schedule("inject: amplitude", amplitude, idx.size, self.batch, "pA", dt=self.dt)
        inj = CurrentInjection(amplitude, idx)
        self.currents.append((pop, inj))
        return inj

    def gamma_source(self, name: str, n: int, shape: Any, rate: Any, start: float = 0.0,
                     stop: Optional[float] = None) -> Population:
        """Add ``n`` gamma-process spike sources: ISIs ~ Gamma(``shape``, rate ``shape * rate``),
        mean rate ``rate`` (Hz, a number or (n,) values), ISI CV ``1/sqrt(shape)``; ``shape`` > 0
        (dimensionless, any real; 1 is Poisson), a number or (n,) per-source values; spikes for
        ``start <= t < stop`` (ms, on the dt grid), stationary from ``start``.  PyNN
        ``SpikeSourceGamma(alpha=shape, beta=shape*rate)`` (alpha per cell), NEST
        ``gamma_sup_generator`` (see :mod:`neurosim.spec.sources`)."""
        self._check_open()
        self._check_name(name, "population")
        model = GammaSource.make(name, n, shape, rate, start, stop, self.dt)
        return self._add_source(name, model.n, model)

    def poisson_refractory(self, name: str, n: int, rate: Any, dead_time: Any, start: float = 0.0,
                           stop: Optional[float] = None) -> Population:
        """Add ``n`` Poisson sources with dead time ``dead_time`` (ms, >= 0, a number or (n,)
        per-source values): mean rate ``rate`` (Hz, a number or (n,) values) including the dead
        time, hazard ``rate / (1 - rate*dead_time)`` outside it, ``rate * dead_time < 1`` for every
        source; spikes for ``start <= t < stop`` (ms).  PyNN ``SpikeSourcePoissonRefractory(rate,
        tau_refrac)`` (tau_refrac per cell), NEST ``ppd_sup_generator`` (see
        :mod:`neurosim.spec.sources`)."""
        self._check_open()
        self._check_name(name, "population")
        model = PoissonRefractorySource.make(name, n, rate, dead_time, start, stop, self.dt)
        return self._add_source(name, model.n, model)

    def _add_source(self, name: str, n: int, model) -> Population:
        """Append source population ``name`` of ``n`` sources described by ``model``; returns it."""
        pop = Population(self, len(self.populations), name, n, model)
        self.populations.append(pop)
        return pop

    def _current_target(self, pop, what, indices):
        pop = self._pop(pop, what)
        if pop.is_source:
            raise SpecError(f"{what}: {pop.name!r} is a spike source")
        idx = np.arange(pop.n) if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
            got = "none" if idx.size == 0 else f"[{idx.min()}, {idx.max()}]"
            raise SpecError(f"{what}: indices must be in [0, {pop.n - 1}], got {got}")
        return pop, idx

    def inject_ac(self, pop: Union[Population, str], amplitude: float, frequency: float, phase: float = 0.0,
                  offset: float = 0.0, start: float = 0.0, stop: Optional[float] = None,
                  indices: Any = None) -> ACCurrent:
        """Inject ``offset + amplitude sin(2 pi frequency t + phase)`` (pA; frequency Hz >= 0,
        phase degrees) into ``indices`` of ``pop`` (default all) for ``start <= t < stop`` (ms).
        The value is taken at the start of each step (t = step*dt, Brian2's convention) and held
        over the step.  NEST ``ac_generator``, PyNN ``ACSource`` (see :mod:`neurosim.spec.sources`)."""
        self._check_open()
        pop, idx = self._current_target(pop, "inject_ac", indices)
        cur = ACCurrent.make(idx, amplitude, frequency, phase, offset, start, stop, self.dt)
        self.generated_currents.append((pop, cur))
        return cur

    def inject_noise(self, pop: Union[Population, str], mean: float, std: float, dt_noise: float,
                     start: float = 0.0, stop: Optional[float] = None, indices: Any = None) -> NoiseCurrent:
        """Inject a noisy current ``mean + std N(0, 1)`` (pA; std >= 0) into ``indices`` of ``pop``
        (default all) for ``start <= t < stop`` (ms): a new independent value per neuron (and per
        trial) every ``dt_noise`` ms (a whole number of steps, counted from ``start``), constant in
        between.  NEST ``noise_generator``, PyNN ``NoisyCurrentSource`` (see
        :mod:`neurosim.spec.sources`)."""
        self._check_open()
        pop, idx = self._current_target(pop, "inject_noise", indices)
        cur = NoiseCurrent.make(idx, mean, std, dt_noise, start, stop, self.dt)
        self.generated_currents.append((pop, cur))
        return cur

    def poisson_drive(self, pop: Union[Population, str], receptor: Any, n_sources: int, rate: Any,
                      weight: float) -> PoissonDrive:
        """Brian2-style PoissonInput: ``n_sources`` Poisson sources at ``rate`` Hz onto every neuron
        of ``pop`` through ``receptor``, each event adding ``weight`` (nS or pA)."""
        self._check_open()
        pop = self._pop(pop, "poisson_drive")
        if pop.is_source:
            raise SpecError(f"poisson_drive: {pop.name!r} is a spike source")
        recs = resolve(receptor)
        if len(recs) != 1:
            raise SpecError("poisson_drive: receptor must be a single receptor, not 'glutamate'")
        rec = recs[0][0]
        if rec.conductance_based and isinstance(pop.model, LIFCurr):
            raise SpecError(f"poisson_drive: receptor {rec.name!r} is conductance-based but {pop.name!r} is LIFCurr")
        if rec.saturating:
            raise SpecError(f"poisson_drive: receptor {rec.name!r} is saturating (Wang 2002), whose gating belongs to "
                            "presynaptic neurons; use a poisson population and net.connect for saturating input")
        n_sources = V.positive_int("poisson_drive: n_sources", n_sources)
        check_channel_names(self, pop, [rec], "poisson_drive")
        rate = plain("poisson_drive: rate (per source)", rate, "Hz")
        as_schedule("poisson_drive: rate (per source)", rate, pop.n, self.batch, "Hz", low=0.0, dt=self.dt)
        weight = V.number("poisson_drive: weight", weight, "nS or pA")
        if rec.conductance_based and weight < 0:
            raise SpecError(f"poisson_drive: weight must be >= 0 nS for conductance-based {rec.name!r}, got {weight}")
        drv = PoissonDrive(n_sources, rate, weight)
        self.drives.append((pop, rec, drv))
        return drv

    def set_input(self, inp: Union[CurrentInjection, PoissonDrive], amplitude: Any = None, rate: Any = None) -> None:
        """Change an input before a run or between runs: the ``amplitude`` (pA) of a current
        injection (:meth:`inject`'s return value) or the ``rate`` (Hz per source) of a Poisson drive
        (:meth:`poisson_drive`'s), in the forms those methods take.  A Schedule's times are
        absolute (ms from t = 0); a number holds from now on (as from t = 0).  Poisson populations:
        ``pop.set(rate=...)``."""
        for pop, cur in self.currents:
            if cur is inp:
                if amplitude is None or rate is not None:
                    raise SpecError("set_input: a current injection takes amplitude=... (pA)")
                amplitude = plain("set_input: amplitude", amplitude, "pA")
                as_schedule("set_input: amplitude", amplitude, np.asarray(cur.indices).size, self.batch, "pA",
                            dt=self.dt)
                object.__setattr__(cur, "amplitude", amplitude)   # the handle the user holds stays valid
                rebuild_inputs_of(self)
                return
        for pop, rec, drv in self.drives:
            if drv is inp:
                if rate is None or amplitude is not None:
                    raise SpecError("set_input: a Poisson drive takes rate=... (Hz per source)")
                rate = plain("set_input: rate (per source)", rate, "Hz")
                as_schedule("set_input: rate (per source)", rate, pop.n, self.batch, "Hz", low=0.0, dt=self.dt)
                object.__setattr__(drv, "rate", rate)
                rebuild_inputs_of(self)
                return
        raise SpecError(f"set_input: {inp!r:.80} is not a current injection or Poisson drive of this network "
                        "(for a Poisson population use pop.set(rate=...))")

    def monitor(self, pop: Union[Population, Projection, str], what: Union[str, Sequence[str]] = "spikes",
                indices: Any = None, every: Optional[float] = None, trials: Any = None
                ) -> Union[SpikeMonitor, StateMonitor, RateMonitor, WeightMonitor]:
        """Record from ``pop``.

        what : ``"spikes"`` -> SpikeMonitor (``.i``, ``.t``, ``.count``, ``spike_trains()``);
               ``"rate"`` -> PopulationRateMonitor (``.t``, ``.rate`` in Hz);
               a variable name or list (``"v"``, ``"w_adapt"``, ``"i_ext"``, ``"g_<receptor>"``)
               -> StateMonitor (``.t`` and one attribute per variable, shape (n_samples, n_recorded)
               for batch 1, else (n_samples, n_trials, n_recorded))
        indices : neurons to record (default all)
        every : sampling period for state (ms, a whole number of steps; default dt)
        trials : batch rows to record state from (default all)

        ``pop`` may also be a Projection (or its name) with ``what="weights"`` -> WeightMonitor:
        the final weights go to ``Result.weights`` and, with ``every`` (ms, a whole number of
        steps), snapshots at t = 0, every, 2 every, ... (``.t``, ``.w``; shape (n_snapshots, n_syn),
        or (n_snapshots, batch, n_syn) for a plastic projection with batch > 1).
        """
        from .sim.recorders import SpikeMonitor, StateMonitor, RateMonitor, WeightMonitor
        self._check_open()
        proj = self._projection(pop) if (isinstance(pop, Projection) or what == "weights") else None
        if proj is not None:
            if what != "weights":
                raise SpecError(f"monitor: a projection records only 'weights', got {what!r}")
            every_steps = None
            if every is not None:
                every_steps = period_steps("monitor: every", every, self.dt)
            mon = WeightMonitor(self, proj, every_steps)
            proj.record_weights = True
            self.monitors.append(mon)
            return mon
        pop = self._pop(pop, "monitor")
        idx = None
        if indices is not None:
            idx = np.unique(np.asarray(indices, dtype=np.int64).reshape(-1))
            if idx.size == 0 or idx.min() < 0 or idx.max() >= pop.n:
                raise SpecError(f"monitor: indices must be in [0, {pop.n - 1}]")
        if what == "spikes":
            mon = SpikeMonitor(self, pop, idx)
        elif what == "rate":
            mon = RateMonitor(self, pop)
        else:
            variables = [what] if isinstance(what, str) else list(what)
            if pop.is_source:
                raise SpecError(f"monitor: {pop.name!r} is a spike source; only 'spikes' and 'rate' can be recorded")
            every_steps = 1 if every is None else period_steps("monitor: every", every, self.dt)
            tr = np.arange(self.batch) if trials is None else np.asarray(trials, dtype=np.int64).reshape(-1)
            if tr.size == 0 or tr.min() < 0 or tr.max() >= self.batch:
                raise SpecError(f"monitor: trials must be in [0, {self.batch - 1}]")
            mon = StateMonitor(self, pop, variables, idx, every_steps, tr)
        self.monitors.append(mon)
        return mon


def generator_model(where: str, n: int, times, ids, trials, batch: int) -> SpikeGenerator:
    """A checked :class:`SpikeGenerator` of ``n`` sources: ``times`` (ms, finite, >= 0), ``ids`` (integers
    in [0, n-1]) and optional ``trials`` (batch rows in [0, batch-1]) of equal length."""
    times = np.asarray(to_float(times, f"{where}: times", "ms"), dtype=np.float64).reshape(-1)
    ids = np.asarray(ids).reshape(-1)
    if times.shape != ids.shape:
        raise SpecError(f"{where}: times and ids must have equal length, got {times.size} and {ids.size}")
    if times.size:
        if not np.all(np.isfinite(times)) or times.min() < 0:
            bad = times[~np.isfinite(times) | (times < 0)]
            raise SpecError(f"{where}: times must be finite and >= 0 ms, got {bad[0]!r}")
        if not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= n:
            raise SpecError(f"{where}: ids must be integers in [0, {n - 1}], got dtype "
                            f"{ids.dtype} with range [{ids.min()}, {ids.max()}]")
    if trials is not None:
        trials = np.asarray(trials).reshape(-1)
        if trials.shape != ids.shape or (trials.size and (trials.min() < 0 or trials.max() >= batch)):
            raise SpecError(f"{where}: trials must match ids and lie in [0, {batch - 1}]")
        trials = trials.astype(np.int64)
    return SpikeGenerator(n, times, ids.astype(np.int64), trials)

