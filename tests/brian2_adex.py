"""The AdEx part of :class:`brian2_models.Brian2Twin` (neurosim's ``AdEx``, spec/adex.py).

Translation (neurosim -> Brian2):

* ``v`` and ``w`` (``w_ad``): the AdEx equations of Brette & Gerstner (2005), ``method='euler'``
  (the scheme Brian2 itself picks for them with ``method=None``), ``v`` ``(unless refractory)``,
  ``threshold='v > v_peak'``, ``reset='v = v_reset; w_ad += b_ad'``, ``refractory='t_ref'``.
* receptors: neurosim advances them exactly, Brian2's Euler would not, so in the AdEx group every
  receptor variable is a plain (non-differential) variable, incremented by ``on_pre`` as in the
  LIF twin and multiplied by ``exp(-dt/tau)`` (the same float64 factor neurosim uses) by a
  ``run_regularly`` operation placed right after the state updater (slot ``'groups'``, order 1):
  the state update reads the start-of-step values, arrivals included, then they decay, as in
  neurosim.  tests/test_adex_brian2.py checks this order empirically (a single synaptic event).
* delta receptors (weights mV): ``v_post += w * int(not_refractory_post)`` in a synaptic pathway
  moved into the ``'groups'`` slot after the state updater (order 2), i.e. after the Euler step and
  before the threshold, with arrivals at refractory neurons discarded, as neurosim; its delay
  is the LIF twin's ``d - dt`` (the pathway runs before the thresholds of its step, so a spike of
  step ``k`` is delivered at step ``k + d/dt``).
"""
from __future__ import annotations

import math

import numpy as np

try:
    import brian2 as b2
except ImportError:  # pragma: no cover
    b2 = None

ADEX_PARAMS = {"c_m": ("c_m", "pF"), "g_leak": ("g_leak", "nS"), "v_rest": ("v_rest", "mV"),
               "v_reset": ("v_reset", "mV"), "v_t": ("v_t", "mV"), "delta_t": ("delta_t", "mV"),
               "v_peak": ("v_peak", "mV"), "t_ref": ("t_ref", "ms"), "a": ("a_ad", "nS"), "b": ("b_ad", "pA"),
               "tau_w": ("tau_w", "ms"), "i_bias": ("i_bias", "pA")}
_B2_DIM = {"pF": "farad", "nS": "siemens", "mV": "volt", "ms": "second", "pA": "amp"}


def _plain_receptor(rec, dt):
    """(variable lines, decay code, current term, namespace) of one receptor of an AdEx group."""
    nm = rec.name
    if rec.saturating or rec.kinetics != "exponential":
        raise NotImplementedError(f"the AdEx twin handles exponential receptors (and delta), not {rec!r}")
    unit = "siemens" if rec.conductance_based else "amp"
    ns = {f"dd_{nm}": math.exp(-dt / rec.tau_decay)}
    if rec.tau_rise > 0:
        ns[f"dr_{nm}"] = math.exp(-dt / rec.tau_rise)
        lines = [f"xd_{nm} : {unit}", f"xr_{nm} : {unit}"]
        decay = [f"xd_{nm} = xd_{nm}*dd_{nm}", f"xr_{nm} = xr_{nm}*dr_{nm}"]
        x = f"(xd_{nm} - xr_{nm})"
    else:
        lines = [f"x_{nm} : {unit}"]
        decay = [f"x_{nm} = x_{nm}*dd_{nm}"]
        x = f"x_{nm}"
    from brian2_models import membrane_term   # (brian2_models imports this module)
    return lines, decay, membrane_term(rec, x, ns, lines), ns


def adex_group(twin, p, chans, v0, n_steps, objects, current_table):
    """The Brian2 NeuronGroup of AdEx population ``p`` (and its receptor-decay operation)."""
    vals = twin._values(p)
    dt = twin.net.dt
    ns, lines, terms, decay = {}, [], [], []
    for rec in chans:
        if rec.is_delta:
            continue
        l_, d_, t_, n_ = _plain_receptor(rec, dt)
        lines += l_
        decay += d_
        terms.append(t_)
        ns.update(n_)
    i_syn = " + ".join(terms) if terms else "0*amp"
    dlt = vals["delta_t"]
    if np.all(dlt > 0):
        spike_term = " + g_leak*delta_t*exp((v - v_t)/delta_t)"
    elif np.all(dlt == 0):
        spike_term = ""
    else:
        raise NotImplementedError("the AdEx twin needs delta_t > 0 for all neurons or 0 for all")
    eq = [f"dv/dt = (g_leak*(v_rest - v){spike_term} + I_rec + i_bias + i_ext - w_ad)/c_m : volt (unless refractory)",
          "dw_ad/dt = (a_ad*(v - v_rest) - w_ad)/tau_w : amp"]
    eq += [f"{b2n} : {_B2_DIM[unit]} (constant)" for b2n, unit in ADEX_PARAMS.values()]
    eq += [f"I_rec = {i_syn} : amp", "i_ext : amp"] + lines
    table = current_table(twin.net, p, n_steps)
    if table is not None:
        ns["ta_iext"] = b2.TimedArray(table * b2.pA, dt=dt * b2.ms, name=f"ta_{p.name}")
    g = b2.NeuronGroup(p.n, "\n".join(eq), threshold="v > v_peak", reset="v = v_reset\nw_ad += b_ad",
                       refractory="t_ref", method="euler", namespace=ns, name=f"pop_{p.name}")
    twin._names[p.name] = dict(ADEX_PARAMS)
    twin._write_params(p.name, g, vals)
    g.v = np.asarray(v0, np.float64) * b2.mV
    w0 = p.initial.get("w_adapt") if hasattr(p, "initial") else None
    if w0 is not None:
        g.w_ad = np.broadcast_to(np.asarray(w0, np.float64), (p.n,)) * b2.pA
    if decay:
        objects.append(g.run_regularly("\n".join(decay), when="groups", order=1, name=f"decay_{p.name}"))
    if table is not None:
        objects.append(g.run_regularly("i_ext = ta_iext(t, i)", when="before_groups", name=f"iext_{p.name}"))
    return g
