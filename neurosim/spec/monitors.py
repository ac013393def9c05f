"""What a monitor records, without the simulator: the descriptions behind ``net.monitor(...)``.

Each class holds what to record (population or projection, neuron indices, variables, sampling
period, trials) and nothing recorded.  :mod:`neurosim.state.recording` lays them out as the
recording arrays of a build; the monitors users get (:mod:`neurosim.sim.recorders`) subclass them
and add the read-back of what a run recorded.  :func:`monitor_spec` is their JSON form in
``Network.to_spec``.
"""
from __future__ import annotations


class SpikeMonitorSpec:
    """Spikes of ``pop`` (all neurons, or the sorted local ``indices``)."""

    def __init__(self, pop, indices):
        self.pop, self.indices = pop, indices


class StateMonitorSpec:
    """``variables`` of ``pop`` (all neurons, or ``indices``) sampled every ``every_steps`` steps
    in the batch rows ``trials``."""

    def __init__(self, pop, variables, indices, every_steps, trials):
        self.pop, self.variables = pop, variables
        self.indices, self.every_steps, self.trials = indices, every_steps, trials


class RateMonitorSpec:
    """Population rate of ``pop`` (spike counts per step)."""

    def __init__(self, pop):
        self.pop = pop


class WeightMonitorSpec:
    """Weights of projection ``proj``: final values, and snapshots every ``every_steps`` steps
    when it is set."""

    def __init__(self, proj, every_steps=None):
        self.proj, self.every_steps = proj, every_steps


def monitor_spec(m) -> dict:
    if isinstance(m, SpikeMonitorSpec):
        return {"pop": m.pop.name, "what": "spikes", "indices": None if m.indices is None else m.indices.tolist()}
    if isinstance(m, RateMonitorSpec):
        return {"pop": m.pop.name, "what": "rate"}
    if isinstance(m, StateMonitorSpec):
        return {"pop": m.pop.name, "what": list(m.variables),
                "indices": None if m.indices is None else m.indices.tolist(),
                "every_steps": m.every_steps, "trials": m.trials.tolist()}
    if isinstance(m, WeightMonitorSpec):
        return {"projection": m.proj.name, "what": "weights", "every_steps": m.every_steps}
    raise TypeError(m)
