"""The simulation state as NamedTuples of numpy arrays (structure of arrays).

Index spaces
------------
* global neuron id ``g``: neuron populations first, then spike sources (Poisson, generators);
  population ``p`` owns ``[pop_start[p], pop_end[p])``.
* synaptic slot ``s``: every (population, receptor channel, neuron) of a neuron population;
  population ``p`` owns ``pop_slot_off[p] + c * n_p + i`` for its channel ``c`` and neuron ``i``.
  Synaptic variables ``g_decay``, ``g_rise`` and the delay ring buffer are indexed by slot.
* synapse ``k``: projections concatenated; each projection is a CSR block over its pre neurons.

Arrays with a leading ``batch`` axis hold per-trial state; connectivity is shared.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

KIND_LIF_COND = 0
KIND_LIF_CURR = 1
KIND_POISSON = 2
KIND_GENERATOR = 3

VAR_V = 0
VAR_W_ADAPT = 1
VAR_G = 2        # conductance (nS) or current (pA) of one receptor channel
VAR_I_EXT = 3    # injected current (pA)


class Populations(NamedTuple):
    """Per-population parameters, shape (n_pops,)."""
    kind: np.ndarray          # int64, KIND_*
    start: np.ndarray         # int64 first global id
    end: np.ndarray           # int64 one past the last global id
    slot_off: np.ndarray      # int64 first synaptic slot
    ch_off: np.ndarray        # int64 first channel in the channel table
    n_ch: np.ndarray          # int64 number of receptor channels
    c_m: np.ndarray           # pF
    g_leak: np.ndarray        # nS
    v_rest: np.ndarray        # mV
    v_th: np.ndarray          # mV
    v_reset: np.ndarray       # mV
    ref_steps: np.ndarray     # int64, round(t_ref/dt)
    a: np.ndarray             # nS
    b: np.ndarray             # pA
    decay_w: np.ndarray       # exp(-dt/tau_w)
    decay_m: np.ndarray       # exp(-dt/tau_m)  (current-based exact propagator)
    rate_factor: np.ndarray   # dt/1000 (probability per Hz in one step) for Poisson sources
    table: np.ndarray         # int64 rate table of a Poisson population, -1 otherwise


class Channels(NamedTuple):
    """Per receptor channel (one receptor on one population), shape (n_ch,)."""
    pop: np.ndarray           # int64 owning population
    decay_d: np.ndarray       # exp(-dt/tau_decay)
    decay_r: np.ndarray       # exp(-dt/tau_rise), 0 when instantaneous
    has_rise: np.ndarray      # bool
    norm: np.ndarray          # peak normalisation applied to arrivals
    e_rev: np.ndarray         # mV (ignored when current-based)
    cond: np.ndarray          # bool: conductance-based
    mg: np.ndarray            # mM, < 0 means no Mg2+ block
    prop_d: np.ndarray        # exact propagator of the decay component into v (mV/pA), LIFCurr
    prop_r: np.ndarray        # exact propagator of the rise component into v (mV/pA), LIFCurr


class NeuronState(NamedTuple):
    v: np.ndarray             # (batch, N) mV
    w_adapt: np.ndarray       # (batch, N) pA
    last_spike: np.ndarray    # (batch, N) int64 step of the last spike
    i_bias: np.ndarray        # (N,) pA
    i_ext: np.ndarray         # (batch, N) pA, injected current of the current step
    g_decay: np.ndarray       # (batch, S) decay component of each slot
    g_rise: np.ndarray        # (batch, S) rise component of each slot
    ring: np.ndarray          # (batch, n_slots, S) arrivals waiting for their step
    spiked: np.ndarray        # (batch, N_total) uint8 spikes of the current step
    spike_list: np.ndarray    # (batch, N_total) int64 global ids that spiked this step, ascending
    spike_count: np.ndarray   # (batch,) int64 entries of spike_list in use


class Synapses(NamedTuple):
    proj_pre_pop: np.ndarray  # (n_proj,) int64
    proj_syn_off: np.ndarray  # (n_proj,) int64 first synapse
    proj_rp_off: np.ndarray   # (n_proj,) int64 offset of the projection's row pointer
    proj_dense: np.ndarray    # (n_proj,) bool: all-to-all rows (post 0..n-1 in order) with one delay
    proj_slot0: np.ndarray    # (n_proj,) int64 slot of post neuron 0 (dense projections)
    out_ptr: np.ndarray       # (n_pops+1,) int64 projections leaving each population ...
    out_proj: np.ndarray      # ... listed here
    row_ptr: np.ndarray       # concatenated (n_pre+1,) row pointers, relative to proj_syn_off
    post: np.ndarray          # (n_syn,) int64 local post index
    target: np.ndarray        # (n_syn,) int64 synaptic slot of the post neuron's channel
    delay: np.ndarray         # (n_syn,) int64 delay in steps (>= 1)
    w: np.ndarray             # (1 or batch, n_syn) weight (nS or pA)


class Tables(NamedTuple):
    """Piecewise-constant schedules (rates, currents) concatenated."""
    k_off: np.ndarray         # (n_tab,) offset into steps
    k_n: np.ndarray           # (n_tab,) number of change points
    v_off: np.ndarray         # (n_tab,) offset into vals
    nb: np.ndarray            # (n_tab,) batch rows of the values (1 or batch)
    width: np.ndarray         # (n_tab,) values per row
    steps: np.ndarray         # change-point steps
    vals: np.ndarray          # flattened values (K, nb, width)
    ptr: np.ndarray           # (n_tab,) current change point (-1 before the first), mutable


class Inputs(NamedTuple):
    gen_step: np.ndarray      # (n_gen,) int64 sorted spike steps of all generators
    gen_id: np.ndarray        # (n_gen,) int64 global ids
    gen_trial: np.ndarray     # (n_gen,) int64 batch row, -1 for all rows
    gen_ptr: np.ndarray       # (1,) int64 next generator spike, mutable
    cur_table: np.ndarray     # (n_cur,) table of each current injection
    cur_idx_off: np.ndarray   # (n_cur+1,) offsets into cur_idx
    cur_idx: np.ndarray       # global neuron ids receiving the current
    drv_table: np.ndarray     # (n_drv,) rate table (width 1 or n_target)
    drv_pop: np.ndarray       # (n_drv,) target population
    drv_slot: np.ndarray      # (n_drv,) first slot of the target channel
    drv_nsrc: np.ndarray      # (n_drv,) int64 number of sources per target neuron
    drv_w: np.ndarray         # (n_drv,) weight per event
    drv_norm: np.ndarray      # (n_drv,) peak normalisation of the target channel


class Recording(NamedTuple):
    spike_mask: np.ndarray    # (N_total,) uint8: record this neuron's spikes
    col_var: np.ndarray       # (n_col,) VAR_*
    col_index: np.ndarray     # (n_col,) global neuron id (VAR_V, W, I_EXT) or slot (VAR_G)
    col_trial: np.ndarray     # (n_col,) batch row
    col_chan: np.ndarray      # (n_col,) receptor channel of a VAR_G column, -1 otherwise
    mon_every: np.ndarray     # (n_mon,) sampling period (steps)
    mon_col_off: np.ndarray   # (n_mon+1,) columns of each monitor


class SimState(NamedTuple):
    pops: Populations
    chans: Channels
    neurons: NeuronState
    syn: Synapses
    tables: Tables
    inputs: Inputs
    rec: Recording
