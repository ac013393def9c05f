"""Device twin of kernels/cpu/chunk.py: the same phase order (sim/schedule.py, checked by
tests/test_schedule.py), each phase a kernel launch; the step loop runs on the host but no data
crosses to the host inside a chunk."""
from typing import NamedTuple, Optional

import numpy as np

from ...state import arrays as A
from .inputs import advance_tables, inject_currents, poisson_drive, source_spikes
from .neurons import update_neurons
from .propagate import propagate
from .plasticity import plasticity
from .record import sample_state, record_spikes
from .saturating import saturating_step, saturating_arrivals


class LaunchPlan(NamedTuple):
    """Host-side sizes and switches of a network's launches, computed once at upload."""
    n_cur: int                    # current injections
    n_cur_idx: int                # neurons they target, in all
    drive_sizes: tuple            # target population size of each Poisson drive
    n_neurons: int
    n_total: int                  # neurons and sources
    has_poisson: bool
    has_generators: bool
    spike_bound: int              # batch x n_total: the most spikes one step can hold
    sat_sizes: Optional[tuple]    # (batch, groups, projections, largest group, columns), None: no saturating NMDA
    plast: object                 # kernels/cuda/plasticity.plan


def launch_plan(state) -> LaunchPlan:
    """The :class:`LaunchPlan` of a host SimState."""
    from .plasticity import plan
    inp, pops, sat = state.inputs, state.pops, state.sat
    batch, n_neurons = state.neurons.v.shape
    n_total = int(state.neurons.spike_list.shape[1])
    n_grp = int(sat.grp_off.shape[0])
    bound = int(batch * n_total)
    return LaunchPlan(
        n_cur=int(inp.cur_table.shape[0]), n_cur_idx=int(inp.cur_idx.shape[0]),
        drive_sizes=tuple(int(pops.end[p] - pops.start[p]) for p in inp.drv_pop),
        n_neurons=int(n_neurons), n_total=n_total,
        has_poisson=bool(np.any(pops.kind == A.KIND_POISSON)), has_generators=bool(inp.gen_step.shape[0] > 0),
        spike_bound=bound,
        sat_sizes=None if n_grp == 0 else (int(batch), n_grp, int(sat.proj.shape[0]), max(1, int(sat.grp_n.max())),
                                           int(sat.x.shape[1])),
        plast=plan(state.plast, int(batch), bound))


def run_chunk(st, key, dt, step0, n_steps, info, mon_first, mon_buf_off, out_state,
              out_step, out_id, out_trial, n_out, out_counts):
    """Run ``n_steps`` steps on the device.  ``info`` is the network's :class:`LaunchPlan`;
    the caller guarantees the spike buffers cannot overflow within the chunk."""
    pops, neurons = st.pops, st.neurons
    for rel in range(n_steps):
        step = step0 + rel
        advance_tables(st.tables, neurons, step)
        inject_currents(st.inputs, st.tables, neurons, info.n_cur, info.n_cur_idx, key, step, dt)
        poisson_drive(st.inputs, st.tables, pops, neurons, st.chans, key, step, dt, info.drive_sizes)
        source_spikes(pops, st.tables, st.inputs, neurons, key, step, dt, info.n_neurons, info.has_poisson,
                      info.has_generators)
        if info.sat_sizes is not None:
            saturating_step(st.sat, st.syn, neurons, step, dt, info.sat_sizes)
        sample_state(st.rec, st.chans, neurons, step, mon_first, mon_buf_off, out_state)
        update_neurons(pops, st.chans, neurons, step, dt, info.n_neurons)
        propagate(pops, st.syn, st.stp, st.rel, neurons, key, step)
        if info.sat_sizes is not None:
            saturating_arrivals(pops, st.sat, neurons, step, info.n_total)
        plasticity(pops, st.syn, neurons, st.plast, step, info.plast)
        record_spikes(pops, st.rec, neurons, step, rel, out_step, out_id, out_trial, n_out, out_counts,
                      info.spike_bound)
    return n_steps
