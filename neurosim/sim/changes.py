"""Changes to a built network between runs, and ``reset``: the runtime side of
``Population.set`` / ``initialize``, ``Projection.set``, rate and current changes and
``Network.reset`` (the handles in handles.py validate; these functions write the arrays).

Each change computes the new arrays with the functions the build uses (state/neuron_params.py,
state/build.py), writes them into the backend's host state and pushes them to the device, so a
value set between runs is the value a network built with it would hold.
"""
from __future__ import annotations

import numpy as np

from ..state import arrays as A
from ..state.build import build_state, schedule_tables, synapse_weights, rng_for, PURPOSE_VINIT, generator_arrays
from ..state.connect import pre_indices
from ..state.neuron_params import (neuron_arrays, slot_propagators, initial_v, initial_w_adapt, realise_params,
                                   is_uniform, initial_theta, theta_flag)


def write_params(sim, pop, vals):
    """Write the realised parameters ``vals`` of neuron population ``pop`` into the state."""
    st = sim.backend.download()
    s, n = sim.layout.pop_start[pop.index], pop.n
    fdt = st.neurons.v.dtype
    arrays = neuron_arrays(vals, sim.net.dt, fdt)
    for field, arr in arrays.items():
        getattr(st.neurons, field)[s:s + n] = arr
    chans = sim.layout.pop_channels.get(pop.index, [])
    pd, pr = slot_propagators(vals, chans, sim.net.dt, fdt)
    if chans:
        off = sim.layout.slot_off[pop.index]
        st.neurons.prop_d[off:off + pd.size] = pd
        st.neurons.prop_r[off:off + pr.size] = pr
    k = sim.layout.pos[pop.index]
    was = (st.pops.uniform[k], st.pops.has_theta[k])
    st.pops.uniform[k] = int(is_uniform(arrays, pd, pr, n))
    _flags(sim, st, pop, vals)
    if (st.pops.uniform[k], st.pops.has_theta[k]) != was:
        sim.replace_state(st)    # the kernels' markers change (kernels/cpu/neurons.neuron_paths)
    else:
        sim.backend.push("neurons", "pops")


def _flags(sim, st, pop, vals):
    k = sim.layout.pos[pop.index]
    s, n = sim.layout.pop_start[pop.index], pop.n
    st.pops.has_bias[k] = int(np.any(st.neurons.i_bias[s:s + n] != 0))
    st.pops.has_adapt[k] = int(st.pops.kind[k] in (A.KIND_LIF_COND, A.KIND_ADEX) and (
        np.any(vals["a"] != 0) or np.any(vals["b"] != 0) or np.any(st.neurons.w_adapt[:, s:s + n] != 0)))
    st.pops.has_theta[k] = theta_flag(pop, vals, st.neurons.theta[:, s:s + n])


def write_initial(sim, pop, names):
    """Write ``pop``'s initial values of the state variables ``names`` into the current state."""
    st = sim.backend.download()
    s, n, batch, seed = sim.layout.pop_start[pop.index], pop.n, sim.net.batch, sim.net.seed
    vals = realise_params(pop, seed)
    if "v" in names:
        st.neurons.v[:, s:s + n] = initial_v(pop, batch, rng_for(seed, PURPOSE_VINIT, pop.index), vals)
    if "w_adapt" in names:
        st.neurons.w_adapt[:, s:s + n] = initial_w_adapt(pop, batch, seed)
    if "theta" in names:
        st.neurons.theta[:, s:s + n] = initial_theta(pop, batch, seed)
    k = sim.layout.pos[pop.index]
    had_theta = st.pops.has_theta[k]
    _flags(sim, st, pop, vals)
    if st.pops.has_theta[k] != had_theta:
        sim.replace_state(st)    # the kernels' markers change (kernels/cpu/neurons.neuron_paths)
    else:
        sim.backend.push("neurons", "pops")


def write_weights(sim, proj):
    """Write ``proj``'s weights (``proj.weight`` realised, as the build does) into the state."""
    st = sim.backend.download()
    w = st.syn.w
    for rec, off, n_syn, blk, rp in sim.layout.proj_blocks[proj.index]:
        factor = next(f for r, f in proj.receptors if r == rec)
        pre = pre_indices(rp)
        post = st.syn.post[off:off + n_syn].astype(np.int64)
        new = synapse_weights(proj, rec, factor, pre, post, None, sim.net.seed)
        if proj.plasticity is not None:
            new = np.clip(new, proj.plasticity.w_min, proj.plasticity.w_max)
        w[:, off:off + n_syn] = new.astype(w.dtype)
        hit = np.flatnonzero(st.sat.proj == blk)
        if hit.size:   # a saturating projection: one weight for all synapses takes the summed path
            st.sat.proj_uniform[hit] = bool(st.syn.proj_dense[blk] and (new.size == 0 or np.all(new == new[0])))
    sim.backend.push("syn", "sat")


def normalize_weights(sim, proj, total: float) -> None:
    """Rescale the weights of ``proj`` so that the incoming weights of each postsynaptic neuron
    sum to ``total`` (per trial where the weights have one row per trial): every synapse onto post
    neuron ``j`` is multiplied by ``total / sum_j``, computed on the first receptor's weights and
    applied to every receptor of the projection (a ``"glutamate"`` projection keeps its NMDA
    ratio).  Neurons whose incoming weights sum to 0 are left as they are.  A plastic projection's
    weights are then clipped to [w_min, w_max] (its sums can then differ from ``total``)."""
    from ..kernels.cpu.normalize import normalisation_factors, scale_weights
    st = sim.backend.download()
    w = st.syn.w
    blocks = sim.layout.proj_blocks[proj.index]
    off0, n0 = blocks[0][1], blocks[0][2]
    factors = np.empty((w.shape[0], proj.post.n))
    normalisation_factors(w, off0, n0, st.syn.post[off0:off0 + n0], proj.post.n, float(total), factors)
    plastic = proj.plasticity is not None
    lo, hi = (float(proj.plasticity.w_min), float(proj.plasticity.w_max)) if plastic else (0.0, 0.0)
    for rec, off, n_syn, blk, pre in blocks:
        scale_weights(w, off, n_syn, st.syn.post[off:off + n_syn], factors, plastic, lo, hi)
        hit = np.flatnonzero(st.sat.proj == blk)
        if hit.size:
            new = w[:, off:off + n_syn]
            st.sat.proj_uniform[hit] = bool(st.syn.proj_dense[blk] and (new.size == 0 or np.all(new == new.flat[0])))
    sim.backend.push("syn", "sat")


def rebuild_inputs(sim):
    """Lay the rate and current tables out anew after a Poisson rate, an injected current or a
    drive's rate changed (schedule times are absolute; the tables' pointers restart and catch up
    with the current step in the next chunk, and the injected currents are rebuilt)."""
    st = sim.backend.download()
    tables, pop_table, cur_table, drv_table = schedule_tables(sim.net, sim.layout.pos, sim.net.dt, sim.net.batch,
                                                              st.neurons.v.dtype)
    inputs = st.inputs._replace(cur_table=cur_table, drv_table=drv_table,
                                cur_seen=np.full_like(st.inputs.cur_seen, -2))
    sim.replace_state(st._replace(tables=tables, inputs=inputs, pops=st.pops._replace(table=pop_table)))


def write_generators(sim):
    """Lay the spike generators' spikes out anew after ``set(times=..., ids=...)``; the pointer
    restarts and the kernels skip the spikes of steps already simulated."""
    st = sim.backend.download()
    sources = [p for p in sim.net.populations if p.is_source]
    gs, gi, gt = generator_arrays(sources, sim.layout.pop_start, sim.net.dt)
    inputs = st.inputs._replace(gen_step=gs, gen_id=gi, gen_trial=gt, gen_ptr=np.zeros(1, np.int64))
    sim.replace_state(st._replace(inputs=inputs))


def reset_state(sim):
    """The fast reset between presentations (``Network.reset_state``): membrane potentials and
    adaptation currents back to their initial values (the same draws as the build), refractoriness
    ended, receptor states and spikes in flight (ring buffer, delayed plasticity events) cleared,
    plasticity traces, eligibility traces, saturating-NMDA gating and neuromodulator concentrations
    set to 0.  Kept: time, weights, parameters, the adaptive thresholds ``theta``, inputs
    (schedules, sources), short-term plasticity state and recordings."""
    st = sim.backend.download()
    nr, batch, seed = st.neurons, sim.net.batch, sim.net.seed
    for pop in sim.net.populations:
        if pop.is_source:
            continue
        s, n = sim.layout.pop_start[pop.index], pop.n
        vals = realise_params(pop, seed)
        nr.v[:, s:s + n] = initial_v(pop, batch, rng_for(seed, PURPOSE_VINIT, pop.index), vals)
        nr.w_adapt[:, s:s + n] = initial_w_adapt(pop, batch, seed)
    nr.last_spike[...] = -(1 << 40)
    for a in (nr.g_decay, nr.g_rise, nr.ring, nr.spiked, st.plast.tr1, st.plast.tr2, st.plast.spk_n,
              st.plast.elig, st.plast.mod_c, st.sat.x, st.sat.s, st.sat.x_ring, st.sat.s_sum):
        a[...] = 0
    sim.backend.push("neurons", "plast", "sat")


def reset(sim, restore_weights: bool = False):
    """Time back to 0 and every state variable back to its initial value: the network is built
    again from its description (same seed: same connectivity, same draws), keeping the current
    weights unless ``restore_weights``."""
    old = sim.backend.download()
    state, layout = build_state(sim.net.spec(), own_ranges=getattr(sim, "own_ranges", None))
    if not restore_weights:
        if state.syn.w.shape != old.syn.w.shape:
            raise RuntimeError("reset: the rebuilt network's weights do not match the running one")
        state.syn.w[...] = old.syn.w
        state.sat.proj_uniform[...] = old.sat.proj_uniform
    sim.restart(state, layout)
