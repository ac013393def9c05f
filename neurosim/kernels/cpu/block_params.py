"""What every neuron block update of kernels/cpu/neurons.py shares: the block's parameters, as
scalars for a uniform population or as per-neuron views (:func:`population_params`,
:func:`block_params`, read through :func:`at` and :func:`slots`, which compile to ``x`` or
``x[j]`` by type), and the threshold, reset and refractoriness of phase 4 (:func:`fire`)."""
from numba.core import types
from numba.extending import overload

from .jit import kernel


def at(x, j):
    """``x[j]`` of a per-neuron block view, or ``x`` itself for a population's one value: the
    block updates of neurons.py are written once and compiled twice, with the parameters of a uniform
    population as scalars (loop-invariant: the loops vectorise as with no per-neuron data) and
    with per-neuron views (see :func:`block_params`)."""
    return x[j] if hasattr(x, "__getitem__") else x


def _ov_at_array(x, j):
    return x[j]


def _ov_at_value(x, j):
    return x


@overload(at, inline="always")
def _at(x, j):
    return _ov_at_array if isinstance(x, types.Array) else _ov_at_value


def slots(arr, s0, m, P):
    """The per-slot values ``arr[s0:s0+m]`` of a block, or the one value ``arr[s0]`` when the
    block's parameters ``P`` are scalars (a uniform population: every slot of a channel holds it)."""
    return arr[s0:s0 + m] if hasattr(P[0], "__getitem__") else arr[s0]


def _ov_slots_view(arr, s0, m, P):
    return arr[s0:s0 + m]


def _ov_slot_value(arr, s0, m, P):
    return arr[s0]


@overload(slots, inline="always", jit_options={"_nrt": True})   # a view is returned (inlined: no allocation)
def _slots(arr, s0, m, P):
    return _ov_slots_view if isinstance(P[0], types.Array) else _ov_slot_value


@kernel(inline="always")
def population_params(neurons, g):
    """The parameters of a uniform population as scalars, read at its neuron ``g``: (g_leak, v_rest,
    v_th, v_reset, ref_steps, a_adapt, b_adapt, decay_w, decay_m, dt_c_m, v_t, delta_t, dt_tau_w)."""
    return (neurons.g_leak[g], neurons.v_rest[g], neurons.v_th[g], neurons.v_reset[g], neurons.ref_steps[g],
            neurons.a_adapt[g], neurons.b_adapt[g], neurons.decay_w[g], neurons.decay_m[g], neurons.dt_c_m[g],
            neurons.v_t[g], neurons.delta_t[g], neurons.dt_tau_w[g])


@kernel(inline="always")
def block_params(neurons, g0, m):
    """The same parameters as 1-D views of neurons ``g0 .. g0+m-1`` (a heterogeneous population)."""
    e = g0 + m
    return (neurons.g_leak[g0:e], neurons.v_rest[g0:e], neurons.v_th[g0:e], neurons.v_reset[g0:e],
            neurons.ref_steps[g0:e], neurons.a_adapt[g0:e], neurons.b_adapt[g0:e], neurons.decay_w[g0:e],
            neurons.decay_m[g0:e], neurons.dt_c_m[g0:e], neurons.v_t[g0:e], neurons.delta_t[g0:e],
            neurons.dt_tau_w[g0:e])


@kernel(inline="always")
def fire(vb, lsb, spb, j, v_new, step, ref, v_th, v_reset):
    """Phase 4 for neuron ``j`` of a block, branch-free (selects, so that loops over it vectorise):
    out of its refractory period it takes ``v_new``, and spikes (reset, ``last_spike``, flag) when
    that exceeds ``v_th``.  Returns 1 for a spike, else 0."""
    active = step - lsb[j] >= ref
    v1 = v_new if active else vb[j]
    fire = active and v1 > v_th
    vb[j] = v_reset if fire else v1
    lsb[j] = step if fire else lsb[j]
    spb[j] = 1 if fire else 0
    return 1 if fire else 0


@kernel(inline="always", error_model="numpy")
def threshold(vb, lsb, spb, v_new, m, step, P):
    """Phase 4 for one block (``fire`` for each neuron, with its refractory steps, threshold and
    reset from the block's parameters ``P``); returns the number of spikes."""
    ref = P[4]
    v_th = P[2]
    v_reset = P[3]
    n_spk = 0
    for j in range(m):
        n_spk += fire(vb, lsb, spb, j, v_new[j], step, at(ref, j), at(v_th, j), at(v_reset, j))
    return n_spk


@kernel(inline="always", error_model="numpy")
def fire_and_adapt(neurons, b, g0, m, v_new, step, P, adapt):
    """:func:`threshold` for block ``g0 .. g0+m-1`` of trial ``b`` and, when ``adapt``, the
    spike-triggered increment of the adaptation current (:func:`spike_adaptation`; LIFCond and
    AdEx).  Returns the number of spikes."""
    vb = neurons.v[b, g0:g0 + m]
    lsb = neurons.last_spike[b, g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    n_spk = threshold(vb, lsb, spb, v_new, m, step, P)
    if adapt and n_spk:
        spike_adaptation(neurons, b, g0, m, P)
    return n_spk


@kernel(inline="always", error_model="numpy")
def spike_adaptation(neurons, b, g0, m, P):
    """The spike-triggered increment ``b`` (pA, ``P[6]``) of the adaptation current of the
    neurons of block ``g0 .. g0+m-1`` of trial ``b`` that fired in this step."""
    wb = neurons.w_adapt[b, g0:g0 + m]
    spb = neurons.spiked[b, g0:g0 + m]
    b_ad = P[6]
    for j in range(m):
        if spb[j]:
            wb[j] += at(b_ad, j)
