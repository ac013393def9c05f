"""Values of the generated currents (``inject_noise``) of a built network, as the kernels inject
them: for recording the current of one source (PyNN's ``NoisyCurrentSource.record()``), where
the neuron's total ``i_ext`` would mix every source into it."""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..kernels.scalar import step_base, normal_at, STREAM_NOISE
from ..spec.sources import NoiseCurrent
from ..state.sources import _window_steps


def noise_current(net, current, steps, target: int = 0, trial: int = 0) -> np.ndarray:
    """The current (pA) that the noise injection ``current`` (:meth:`Network.inject_noise`'s return
    value) gives its ``target``-th neuron (position in its ``indices``) in batch row ``trial`` at
    each step of ``steps`` (an int array): ``mean + std N(0, 1)``, one draw per ``dt_noise`` window
    from ``start``, 0 outside ``[start, stop)``.  Needs the network built (its seed's key)."""
    sim = net.simulation
    if sim is None:
        raise SpecError("noise_current: build or run the network first")
    noises = [c for _, c in net.generated_currents if isinstance(c, NoiseCurrent)]
    position = next((k for k, c in enumerate(noises) if c is current), None)
    if position is None:
        raise SpecError("noise_current: not a noise injection of this network (use inject_noise's return value)")
    m = np.asarray(current.indices).size
    if not 0 <= target < m or not 0 <= trial < net.batch:
        raise SpecError(f"noise_current: target must be in [0, {m - 1}] and trial in [0, {net.batch - 1}]")
    a, e = _window_steps(current.start, current.stop, net.dt)
    every = int(round(current.dt_noise / net.dt))
    steps = np.asarray(steps, dtype=np.int64).reshape(-1)
    out = np.zeros(steps.size)
    with np.errstate(over="ignore"):   # the generator's uint64 wrap-around is intended (as in the kernels)
        for k, s in enumerate(steps):
            if a <= s < e:
                base = step_base(sim.key, STREAM_NOISE + position, a + ((s - a) // every) * every)
                out[k] = current.mean + current.std * normal_at(base, 2 * (trial * m + target))
    return out
