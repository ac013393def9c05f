"""Lays out the monitors of a network (:mod:`neurosim.spec.monitors`) as the recording arrays of
a build (:class:`~neurosim.state.arrays.Recording`); called by :func:`build_state`.  The
recorded data are read back by :mod:`neurosim.sim.recorders`."""
from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..spec.monitors import SpikeMonitorSpec, StateMonitorSpec
from . import arrays as A


def variable_column(layout, pop, variable):
    """(VAR code, index offset, channel receptor) of a variable name for population ``pop``."""
    start = layout.pop_start[pop.index]
    if variable == "v":
        return A.VAR_V, start, None
    if variable == "w_adapt":
        return A.VAR_W_ADAPT, start, None
    if variable == "i_ext":
        return A.VAR_I_EXT, start, None
    if variable == "theta" and hasattr(pop.model, "theta_plus"):
        return A.VAR_THETA, start, None
    if variable.startswith("g_"):
        name = variable[2:]
        for c, rec in enumerate(layout.pop_channels.get(pop.index, [])):
            if rec.name == name:
                return A.VAR_G, layout.slot_off[pop.index] + c * pop.n, rec
    known = ["v", "i_ext"] + (["w_adapt"] if pop.model.has_adaptation else []) + \
        (["theta"] if hasattr(pop.model, "theta_plus") else []) + \
        [f"g_{r.name}" for r in layout.pop_channels.get(pop.index, [])]
    raise SpecError(f"monitor: population {pop.name!r} has no variable {variable!r}; known: {known}")


def recording_arrays(net, layout) -> A.Recording:
    mask = np.zeros(layout.n_total, np.uint8)
    cols_var, cols_idx, cols_tr, cols_ch, every, off = [], [], [], [], [], [0]
    for m in net.monitors:
        if isinstance(m, SpikeMonitorSpec):
            s = layout.pop_start[m.pop.index]
            if m.indices is None:
                mask[s:s + m.pop.n] = 1
            else:
                mask[s + m.indices] = 1
        elif isinstance(m, StateMonitorSpec):
            idx = np.arange(m.pop.n) if m.indices is None else m.indices
            for var in m.variables:
                code, base, receptor = variable_column(layout, m.pop, var)
                ch = -1
                if receptor is not None:
                    ch = int(layout.pop_ch_off[m.pop.index]) + layout.pop_channels[m.pop.index].index(receptor)
                for tr in m.trials:
                    cols_ch.extend([ch] * idx.size)
                    cols_var.extend([code] * idx.size)
                    cols_idx.extend((base + idx).tolist())
                    cols_tr.extend([int(tr)] * idx.size)
            every.append(m.every_steps)
            off.append(len(cols_var))
    i64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    return A.Recording(mask, i64(cols_var), i64(cols_idx), i64(cols_tr), i64(cols_ch), i64(every), i64(off))
