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
KIND_ADEX = 2        # adaptive exponential IF (Brette & Gerstner 2005); every neuron kind < KIND_POISSON
KIND_POISSON = 3     # sources from here on
KIND_GENERATOR = 4
KIND_RENEWAL = 5     # gamma-process and dead-time Poisson sources (spec/sources.py)

DRIVE_DECAY, DRIVE_BOTH, DRIVE_RISE = 0, 1, 2   # Inputs.drv_rise

VAR_V = 0
VAR_W_ADAPT = 1
VAR_G = 2        # conductance (nS) or current (pA) of one receptor channel
VAR_I_EXT = 3    # injected current (pA)
VAR_THETA = 4    # adaptive threshold (mV)


class Populations(NamedTuple):
    """Per-population bookkeeping, shape (n_pops,); the neuron parameters are per neuron
    (:class:`NeuronState`)."""
    kind: np.ndarray          # int64, KIND_*
    start: np.ndarray         # int64 first global id
    end: np.ndarray           # int64 one past the last global id
    slot_off: np.ndarray      # int64 first synaptic slot
    ch_off: np.ndarray        # int64 first channel in the channel table
    n_ch: np.ndarray          # int64 number of receptor channels
    rate_factor: np.ndarray   # dt/1000 (probability per Hz in one step) for Poisson sources
    table: np.ndarray         # int64 rate table of a Poisson population, -1 otherwise
    has_bias: np.ndarray      # int64 1 when some neuron's i_bias is not 0
    has_ext: np.ndarray       # int64 1 when a current injection targets the population
    has_adapt: np.ndarray     # int64 1 when the adaptation current evolves (some a, b or w_adapt not 0)
    uniform: np.ndarray       # int64 1 when every neuron of the population has the same parameters
                              # (the kernels then read them once, as scalars)
    has_theta: np.ndarray     # int64 1 when the adaptive threshold can be non-zero (some theta_plus or theta)


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
    delta: np.ndarray         # bool: delta synapse (weights in mV): arrivals jump ``v`` at once, decay_d = 0
    couple: np.ndarray        # alpha kinetics: g <- decay_d (g + couple h), h <- decay_d h with couple =
                              # e dt / tau (g_decay holds g, g_rise holds h, arrivals go into h); 0 otherwise
    direct: np.ndarray        # bool: every input arrives one step after the spike and nothing scales
                              # arrivals, so propagation adds ``w * norm`` straight into g_decay (and
                              # g_rise) instead of the ring buffer (the ring slot is never read)


class NeuronState(NamedTuple):
    """State variables and per-neuron parameters (global neuron id ``g``, synaptic slot ``s``).
    The parameters are set at build time and by ``Population.set`` between runs
    (state/neuron_params.py computes every derived array from the realised parameters)."""
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
    g_leak: np.ndarray        # (N,) nS leak conductance (c_m / tau_m for LIFCurr)
    v_rest: np.ndarray        # (N,) mV
    v_th: np.ndarray          # (N,) mV
    v_reset: np.ndarray       # (N,) mV
    ref_steps: np.ndarray     # (N,) int64, Brian2's int((t_ref + 1e-3 dt)/dt) (spec/timegrid.refractory_steps)
    a_adapt: np.ndarray       # (N,) nS subthreshold adaptation (LIFCond)
    b_adapt: np.ndarray       # (N,) pA spike-triggered adaptation increment (LIFCond)
    decay_w: np.ndarray       # (N,) exp(-dt/tau_w) (LIFCond)
    decay_m: np.ndarray       # (N,) exp(-dt/tau_m) (LIFCurr exact propagator)
    dt_c_m: np.ndarray        # (N,) float64 dt / c_m (ms/pF), LIFCond exponential Euler
    prop_d: np.ndarray        # (S,) float exact propagator of a slot's decay component into v (mV/pA), LIFCurr
    prop_r: np.ndarray        # (S,) float ... of its rise component (mV/pA), LIFCurr
    v_t: np.ndarray           # (N,) mV exponential term's V_T (AdEx; 0 for the LIF models)
    delta_t: np.ndarray       # (N,) mV slope factor Delta_T, 0: no exponential term (AdEx)
    dt_tau_w: np.ndarray      # (N,) float64 dt / tau_w, forward-Euler step of w (AdEx; 0 for the LIF models)
    theta: np.ndarray         # (batch, N) mV adaptive threshold (spike when v > v_th + theta)
    theta_plus: np.ndarray    # (N,) mV increment of theta per spike
    decay_theta: np.ndarray   # (N,) float64 exp(-dt/tau_theta) (1: no decay)


class Synapses(NamedTuple):
    """Synapse blocks (one per projection and receptor) in CSR form over their pre neurons.  At
    rest a static synapse costs ``post`` + ``delay`` + ``w`` bytes: 2 + 1 + 8 = 11 with float64
    weights (4 + 1 + 8 = 13 when a post population has more than 65536 neurons; 7 or 9 with
    ``dtype="float32"``); the presynaptic index is not stored (``row_ptr`` gives it) and the
    synaptic slot is ``proj_slot0 + post`` (issue 16).  Kernels read ``post`` and ``delay`` as
    integers of any width (never uint64, whose mix with int64 would give floats)."""
    proj_pre_pop: np.ndarray  # (n_proj,) int64
    proj_syn_off: np.ndarray  # (n_proj,) int64 first synapse
    proj_rp_off: np.ndarray   # (n_proj,) int64 offset of the projection's row pointer
    proj_dense: np.ndarray    # (n_proj,) bool: all-to-all rows (post 0..n-1 in order) with one delay
    proj_slot0: np.ndarray    # (n_proj,) int64 synaptic slot of post neuron 0 of the target channel
    proj_direct: np.ndarray   # (n_proj,) bool: the target channel is ``direct`` (see Channels)
    proj_norm: np.ndarray     # (n_proj,) peak normalisation of the target channel
    proj_rise: np.ndarray     # (n_proj,) bool: the target channel has a rise component
    proj_post_pop: np.ndarray # (n_proj,) int64 post population
    proj_sorted: np.ndarray   # (n_proj,) bool: ``post`` ascends within every row
    out_ptr: np.ndarray       # (n_pops+1,) int64 projections leaving each population ...
    out_proj: np.ndarray      # ... listed here
    row_ptr: np.ndarray       # concatenated (n_pre+1,) int64 row pointers, relative to proj_syn_off
    post: np.ndarray          # (n_syn,) local post index: uint16 when every post population has at most
                              # 65536 neurons, else uint32 (int64 above 2**32; state/build.index_types); the
                              # synaptic slot of synapse k of block q is proj_slot0[q] + post[k]
    delay: np.ndarray         # (n_syn,) delay in steps (>= 1): uint8 up to 255 steps, else uint16 / uint32
    w: np.ndarray             # (1 or batch, n_syn) weight (nS or pA), the network's dtype (float64 default)


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
    cur_seen: np.ndarray      # (n_cur,) schedule pointer i_ext was last built for, mutable
    drv_table: np.ndarray     # (n_drv,) rate table (width 1 or n_target)
    drv_pop: np.ndarray       # (n_drv,) target population
    drv_slot: np.ndarray      # (n_drv,) first slot of the target channel
    drv_nsrc: np.ndarray      # (n_drv,) int64 number of sources per target neuron
    drv_w: np.ndarray         # (n_drv,) weight per event
    drv_norm: np.ndarray      # (n_drv,) peak normalisation of the target channel
    drv_rise: np.ndarray      # (n_drv,) int64 where events go: DRIVE_DECAY (g_decay), DRIVE_BOTH
                              # (g_decay and g_rise: difference of exponentials), DRIVE_RISE (g_rise
                              # only: the h of an alpha channel)
    # renewal sources (gamma, Poisson with dead time; spec/sources.py, state/sources.py), one row each
    rs_pop: np.ndarray        # (n_rs,) int64 population row
    rs_kind: np.ndarray       # (n_rs,) int64 RENEWAL_GAMMA or RENEWAL_DEAD (kernels/scalar.py)
    rs_shape: np.ndarray      # (n_cols,) float64 gamma shape k per source (dimensionless; 1 for dead-time sources)
    rs_dead: np.ndarray       # (n_cols,) float64 dead time per source (steps; 0 for gamma sources)
    rs_start: np.ndarray      # (n_rs,) int64 first step
    rs_stop: np.ndarray       # (n_rs,) int64 first step without spikes
    rs_off: np.ndarray        # (n_rs+1,) int64 columns of each source population (source i of row r: rs_off[r] + i)
    rs_scale: np.ndarray      # (n_cols,) float64 gamma: 1/beta; dead time: 1/lambda (steps); inf at rate 0
    rs_next: np.ndarray       # (batch, n_cols) float64 time of the next event (steps), -1 before start, mutable
    # generated currents (spec/sources.py): AC (ac_*) and noise (nz_*), one row each
    ac_idx_off: np.ndarray    # (n_ac+1,) offsets into ac_idx
    ac_idx: np.ndarray        # global neuron ids
    ac_par: np.ndarray        # (n_ac, 4) float64 offset (pA), amplitude (pA), omega (rad/ms), phase (rad)
    ac_win: np.ndarray        # (n_ac, 2) int64 first step, first step after
    nz_idx_off: np.ndarray    # (n_nz+1,) offsets into nz_idx
    nz_idx: np.ndarray        # global neuron ids
    nz_par: np.ndarray        # (n_nz, 2) float64 mean, std (pA)
    nz_win: np.ndarray        # (n_nz, 3) int64 first step, first step after, steps per value


class Recording(NamedTuple):
    spike_mask: np.ndarray    # (N_total,) uint8: record this neuron's spikes
    col_var: np.ndarray       # (n_col,) VAR_*
    col_index: np.ndarray     # (n_col,) global neuron id (VAR_V, W, I_EXT) or slot (VAR_G)
    col_trial: np.ndarray     # (n_col,) batch row
    col_chan: np.ndarray      # (n_col,) receptor channel of a VAR_G column, -1 otherwise
    mon_every: np.ndarray     # (n_mon,) sampling period (steps)
    mon_col_off: np.ndarray   # (n_mon+1,) columns of each monitor


RULE_PAIR = 0       # Plasticity.pi[:, PI_RULE]: pair STDP
RULE_TRIPLET = 1    # triplet STDP (Pfister & Gerstner 2006)
RULE_DOPAMINE = 2   # dopamine-modulated STDP (eligibility trace, Izhikevich 2007)

EFFECT_ADAPT_B = 0  # Plasticity.ei[:, EI_KIND]: scale the adaptation increment b of a population
EFFECT_ARRIVALS = 1  # scale the synaptic arrivals of a receptor channel

# columns of Plasticity.pi (int64, one row per plastic block)
(PI_BLK,        # synapse block (index into Synapses.proj_*)
 PI_RULE,       # RULE_*
 PI_NEAREST,    # 1: nearest-spike pairing (traces reset to 1), 0: all-to-all (+1)
 PI_PRE_START,  # first global id of the pre population
 PI_N_PRE,
 PI_POST_START,  # first global id of the post population
 PI_N_POST,
 PI_SYN_OFF,    # first synapse of the block
 PI_N_SYN,
 PI_TR_PRE,     # first trace column of the pre neurons
 PI_TR_POST,    # first trace column of the post neurons
 PI_COL_OFF,    # offset of the block's (n_post + 1) entries in col_ptr
 PI_EL_OFF,     # first eligibility column (RULE_DOPAMINE), else -1
 PI_MOD,        # gating modulator (RULE_DOPAMINE), else -1
 PI_DEND,       # dendritic delay (steps, >= 0)
 PI_DMIN,       # smallest axonal delay of the block (steps)
 PI_DMAX,       # largest axonal delay of the block (steps)
 PI_DPTR,       # non-uniform delays: offset of the block's n_pre x (dmax - dmin + 2) entries in dptr, else -1
 N_PI) = range(19)
# columns of Plasticity.pf (float, one row per plastic block)
(PF_A_PLUS,     # pair: a_plus; triplet: a2_plus; dopamine: a_plus (fractions of w_max)
 PF_A_MINUS,    # pair: a_minus; triplet: a2_minus; dopamine: a_minus
 PF_A3_PLUS,    # triplet a3_plus
 PF_A3_MINUS,   # triplet a3_minus
 PF_MU_PLUS,    # weight-dependence exponents (pair STDP)
 PF_MU_MINUS,
 PF_W_MIN,      # nS or pA
 PF_W_MAX,      # nS or pA
 PF_DEC_PLUS,   # exp(-dt/tau_plus)
 PF_DEC_MINUS,  # exp(-dt/tau_minus)
 PF_DEC_X,      # exp(-dt/tau_x) (triplet)
 PF_DEC_Y,      # exp(-dt/tau_y) (triplet)
 PF_DEC_C,      # exp(-dt/tau_c) (dopamine)
 PF_INT_C,      # integral of exp(-t/tau_c) over one step (ms)
 PF_INT_CD,     # integral of exp(-t/tau_c - t/tau_DA) over one step (ms)
 N_PF) = range(16)
# columns of Plasticity.mi (int64) and mf (float), one row per modulator
MI_SRC_START, MI_SRC_END, N_MI = range(3)     # global ids of the releasing population, -1 if none
MF_DEC, MF_BASE, MF_AMOUNT, N_MF = range(4)     # exp(-dt/tau), baseline (uM), release per spike (uM)
# columns of Plasticity.ei (int64) and ef (float), one row per modulation effect
EI_KIND, EI_MOD, EI_START, EI_N, N_EI = range(5)  # EFFECT_*, modulator, first global id or slot, count
EF_K, N_EF = range(2)                              # k (1/uM); EFFECT_ADAPT_B scales NeuronState.b_adapt


class Plasticity(NamedTuple):
    """Phase 6 (plasticity and neuromodulators); zero-row arrays when a network has none.

    One *block* is one plastic projection (a single receptor block of ``Synapses``); its
    parameters are one row of ``pi`` / ``pf`` (columns ``PI_*`` / ``PF_*``), so that the kernels
    receive a few arrays instead of dozens.  Traces are kept per neuron (a trace depends on one
    neuron's spike train only), decayed exactly once per step and stored for the last ``H`` steps
    (axis 1, slot ``step % H``), so that a synapse reads the exact value its pre trace had
    ``delay`` steps ago, or its post trace ``dendritic_delay`` steps ago.  ``spk``/``spk_n`` keep
    the spike lists of the last ``H`` steps for the delayed pre and post events.
    """
    pi: np.ndarray            # (n_pl, N_PI) int64 block parameters
    pf: np.ndarray            # (n_pl, N_PF) float block parameters
    col_ptr: np.ndarray       # concatenated (n_post+1,) absolute offsets into col_syn / col_pre
    col_syn: np.ndarray       # (n_plastic_syn,) synapse ids grouped by post neuron (ascending)
    col_pre: np.ndarray       # (n_plastic_syn,) local pre index of each col_syn entry
    dperm: np.ndarray         # (n_bucketed_syn,) uint32 synapse offsets within the block, each row's
    #                           synapses stably sorted by delay (only blocks with non-uniform delays)
    dptr: np.ndarray          # int32/int64, per such block n_pre rows of (dmax - dmin + 2) absolute offsets
    #                           into dperm: row i's synapses of delay d are dperm[dptr[r + d - dmin]:
    #                           dptr[r + d - dmin + 1]], r = pi[PI_DPTR] + i * (dmax - dmin + 2)
    tr1: np.ndarray           # (batch, H, n_tr) x_pre / r1 (pre columns), x_post / o1 (post columns)
    tr2: np.ndarray           # (batch, H, n_tr or 0) r2 / o2 of triplet blocks
    spk: np.ndarray           # (batch, H, N_total or 0) int64 spike lists of the last H steps
    spk_n: np.ndarray         # (batch, H) int64 entries of each list
    elig: np.ndarray          # (batch, n_el) eligibility traces (dimensionless)
    mi: np.ndarray            # (n_mod, N_MI) int64 modulator parameters
    mf: np.ndarray            # (n_mod, N_MF) float modulator parameters
    mod_c: np.ndarray         # (batch, n_mod) uM phasic concentration (mutable; net.reward adds here)
    ei: np.ndarray            # (n_eff, N_EI) int64 modulation effects
    ef: np.ndarray            # (n_eff, N_EF) float


class Saturating(NamedTuple):
    """Saturating NMDA kinetics (Wang 2002), kept per presynaptic neuron; zero-row arrays when a
    network has none.

    A *group* is one presynaptic population seen through one saturating receptor with one delay
    (projections with equal (pre, tau_rise, tau_decay, alpha, delay) share it).  Its neurons own
    ``x`` (rise variable, spikes) and ``s`` (gating, dimensionless, in [0, 1]) at
    ``grp_off[q] + i``.  A spike of pre neuron ``i`` adds 1 to ``x`` ``delay`` steps later (the
    ring ``x_ring``).  A saturating projection ``k`` (a block of ``Synapses``, left out of
    ``out_proj``: its spikes are not propagated) adds ``w * s_pre`` into the receptor state of
    its targets every step; with one weight for all its synapses (``proj_uniform``) that is
    ``w * sum_i s_i`` (``s_sum``) onto every target.
    """
    grp_pre_start: np.ndarray  # (n_grp,) int64 first global id of the pre population
    grp_n: np.ndarray          # (n_grp,) int64 its size
    grp_off: np.ndarray        # (n_grp,) int64 first column of x, s, x_ring
    grp_delay: np.ndarray      # (n_grp,) int64 delay (steps, >= 1)
    grp_decay_x: np.ndarray    # (n_grp,) exp(-dt/tau_rise)
    grp_k_decay: np.ndarray    # (n_grp,) 1/tau_decay (1/ms)
    grp_alpha: np.ndarray      # (n_grp,) alpha (1/ms)
    pop_grp_ptr: np.ndarray    # (n_pops+1,) int64 groups pop_grp_ptr[p] .. pop_grp_ptr[p+1]-1 are fed by population p
    proj: np.ndarray           # (n_sp,) int64 the Synapses block of each saturating projection
    proj_grp: np.ndarray       # (n_sp,) int64 its group
    proj_uniform: np.ndarray   # (n_sp,) bool: all-to-all with one weight for every synapse
    x: np.ndarray              # (batch, n_sat) rise variable (spikes)
    s: np.ndarray              # (batch, n_sat) gating variable
    x_ring: np.ndarray         # (batch, n_ring, n_sat) spikes arriving at step k in slot k % n_ring
    s_sum: np.ndarray          # (batch, n_grp) sum of s over each group (this step)


class ShortTerm(NamedTuple):
    """Tsodyks-Markram short-term plasticity (spec/short_term.py), per synapse; zero-row arrays
    (and ``proj_row`` all -1) when a network has none.

    A *block* is one Synapses block (one receptor of a projection) with short-term plasticity; its
    synapses ``syn_off[r] .. syn_off[r] + n - 1`` own the columns ``col_off[r] .. col_off[r] + n - 1``
    of the state (synapse ``k`` -> column ``k - syn_off[r] + col_off[r]``).  ``last`` holds the step
    of the synapse's previous spike (every synapse of one row spikes together, so a row shares it):
    -1 before the first spike of a two-state block, 0 (t = 0) for a three-state one, whose initial
    state is propagated from t = 0 as NEST's tsodyks_synapse does."""
    proj_row: np.ndarray      # (n_proj,) int64 block row of each Synapses block, -1: no short-term plasticity
    states: np.ndarray        # (n_stp,) int64 2 (tsodyks2_synapse) or 3 (Tsodyks, Uziel & Markram 2000)
    syn_off: np.ndarray       # (n_stp,) int64 first synapse of the block
    col_off: np.ndarray       # (n_stp,) int64 its first state column
    U: np.ndarray             # (n_stp,) float64 utilisation increment (dimensionless)
    tau_rec: np.ndarray       # (n_stp,) float64 ms
    tau_facil: np.ndarray     # (n_stp,) float64 ms, 0: no facilitation
    tau_psc: np.ndarray       # (n_stp,) float64 ms (three states; 0 for two)
    dt: np.ndarray            # (1,) float64 ms
    u: np.ndarray             # (batch, n_col) float64 utilisation
    x: np.ndarray             # (batch, n_col) float64 recovered resources
    y: np.ndarray             # (batch, n_col or 0) float64 active resources (three states)
    last: np.ndarray          # (batch, n_col) int64 step of the previous spike


class Release(NamedTuple):
    """Stochastic transmitter release (spec/release.py): synapse ``k`` of a Synapses block ``q``
    with ``shift[q] >= 0`` transmits a spike of step ``step`` in trial ``b`` iff
    ``uniform(key, STREAM_RELEASE, step, b * n_syn + k - shift[q]) < p[k]`` (``k - shift[q]``: the
    same synapse in the projection's first block, so the receptors of one synapse release together).
    Zero-length ``p`` (and ``shift`` all -1) when no projection has a release probability."""
    shift: np.ndarray         # (n_proj,) int64 block offset to the projection's first block, -1: always transmits
    p: np.ndarray             # (n_syn or 0,) float64 release probability of each synapse (1.0 outside such blocks)


class SimState(NamedTuple):
    pops: Populations
    chans: Channels
    neurons: NeuronState
    syn: Synapses
    tables: Tables
    inputs: Inputs
    rec: Recording
    plast: Plasticity
    sat: Saturating
    stp: ShortTerm
    rel: Release
