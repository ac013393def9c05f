"""Receptor channels of one neuron block (kernels/cpu/neurons.py and the AdEx update): take this
step's arrivals from the ring buffer, give the value that enters the membrane equation this step
and advance the channel's state one step, exactly, for each kinetics of spec/receptors.py
(exponential, difference of exponentials, alpha, delta; the Mg2+ block of Jahr & Stevens 1990)."""

from ...spec.receptors import MG_K, MG_VOLTAGE_SLOPE
from .block_params import at
from .fastexp import exp_block
from .jit import kernel


@kernel(inline="always")
def _take_arrivals_rise(gdb, grb, rb, X, m, norm, dd, dr):
    for j in range(m):
        x = rb[j] * norm
        rb[j] = 0.0
        gd = gdb[j] + x
        gr = grb[j] + x
        X[j] = gd - gr
        gdb[j] = gd * dd
        grb[j] = gr * dr


@kernel(inline="always", error_model="numpy")
def receptor_values(neurons, chans, ch, b, cur, s0, m, vb, X, E, bits):
    """Channel ``ch`` of one block (slots ``s0:s0+m``): take this step's arrivals, write the value
    entering the membrane equation this step (conductance in nS after the Mg2+ block, or current in
    pA, or the jump of v in mV of a delta channel) to ``X[:m]`` and advance the state one step.  The NMDA block uses ``v`` at the start of the
    step (``vb``)."""
    norm = chans.norm[ch]
    dd = chans.decay_d[ch]
    gdb = neurons.g_decay[b, s0:s0 + m]
    rb = neurons.ring[b, cur, s0:s0 + m]
    if chans.has_rise[ch]:
        grb = neurons.g_rise[b, s0:s0 + m]
        dr = chans.decay_r[ch]
        cpl = chans.couple[ch]
        if cpl > 0.0:           # alpha: the start-of-step g enters; arrivals go into h
            for j in range(m):
                h = grb[j] + rb[j] * norm
                rb[j] = 0.0
                gd = gdb[j]
                X[j] = gd
                gdb[j] = dd * (gd + cpl * h)
                grb[j] = h * dd
        elif chans.direct[ch]:   # arrivals are already in the state (propagate.py)
            for j in range(m):
                gd = gdb[j]
                gr = grb[j]
                X[j] = gd - gr
                gdb[j] = gd * dd
                grb[j] = gr * dr
        else:
            _take_arrivals_rise(gdb, grb, rb, X, m, norm, dd, dr)
    elif chans.direct[ch]:
        for j in range(m):
            gd = gdb[j]
            X[j] = gd
            gdb[j] = gd * dd
    else:
        for j in range(m):
            gd = gdb[j] + rb[j] * norm
            rb[j] = 0.0
            X[j] = gd
            gdb[j] = gd * dd
    mg = chans.mg[ch]
    if chans.cond[ch] and mg >= 0.0:
        # Jahr & Stevens (1990) Mg2+ block at the start-of-step v
        for j in range(m):
            E[j] = -MG_VOLTAGE_SLOPE * vb[j]
        exp_block(E, bits, m)
        k_mg = mg * (1.0 / MG_K)
        for j in range(m):
            X[j] = X[j] / (1.0 + k_mg * E[j])


@kernel(inline="always")
def alpha_curr_values(gdb, grb, rb, D, pdb, prb, m, norm, dd, cpl):
    """An alpha channel of a current-based block: take the arrivals into ``h`` (``grb``), add the
    exact change of ``v`` over the step caused by ``g`` and ``h`` to ``D`` (propagators ``pdb``
    and ``-prb``: state/neuron_params.slot_propagators) and advance ``g``, ``h`` one step."""
    for j in range(m):
        h = grb[j] + rb[j] * norm
        rb[j] = 0.0
        gd = gdb[j]
        D[j] += gd * at(pdb, j)
        D[j] -= h * at(prb, j)
        gdb[j] = dd * (gd + cpl * h)
        grb[j] = h * dd
