"""Slow plain-numpy reference of neurosim's time step, for small networks.

Written from the documented equations (DESIGN.md "One time step", the docstrings of
``spec/neurons.py``, ``spec/receptors.py`` and ``Network.connect``), not from the kernels:

* step ``k`` integrates from ``k*dt`` to ``(k+1)*dt``; a spike in that step is stamped ``k*dt``;
* phase order: inputs (injected current, generator spikes) -> arrivals of the delay ring buffer
  added to the receptors (difference-of-exponential receptors: to both the rise and the decay
  component, scaled by the peak normalisation) -> *state sample* (start-of-step values) ->
  membrane update with start-of-step conductances and Mg2+ block, exact receptor decay ->
  threshold ``v > v_th``, reset, refractoriness -> propagation of this step's spikes
  (``w`` enters the receptor ``delay_steps`` later, ``delay_steps = max(1, floor(delay/dt + 0.5))``);
* LIFCond: exponential Euler, ``v1 = v_inf + (v0 - v_inf) exp(-dt G / c_m)`` with
  ``G = g_leak + sum_r g_r B_r(v0)``, ``v_inf = (g_leak v_rest + sum_r g_r B_r(v0) e_r + I) / G``;
* LIFCurr: exact propagator for exponentially decaying synaptic currents;
* saturating receptors (Wang 2002): every synapse keeps its own ``x`` and ``s`` (the simulator keeps
  them per presynaptic neuron); a spike adds 1 to ``x`` ``delay_steps`` later, the receptor's
  conductance is ``sum_k w_k s_k`` with the start-of-step ``s``, then ``s`` advances by exponential
  Euler with ``x`` frozen (``s_inf + (s - s_inf) exp(-dt (1/tau_decay + alpha x))``) and ``x`` decays
  exactly;
* refractoriness: a neuron integrates when ``step - last_spike_step >= int((t_ref + 1e-3 dt)/dt)``
  (Brian2's ``timestep(refractory, dt)``: truncation), otherwise ``v`` stays (at ``v_reset``).

Connectivity (which pairs, weights after drawing, delays after rounding) is taken from the
built network through the public ``Network.connections``; everything that happens in time is
recomputed here.  Poisson sources, Poisson drive, adaptation and plasticity are not supported
(the reference raises NotImplementedError for them).
"""
from __future__ import annotations

import math

import numpy as np

import neurosim as ns
from neurosim.spec.inputs import PoissonSource, Schedule


def peak_norm(tau_rise: float, tau_decay: float) -> float:
    """f such that max_t f (exp(-t/tau_decay) - exp(-t/tau_rise)) = 1 (1 for an instant rise)."""
    if tau_rise <= 0:
        return 1.0
    # d/dt = 0  <=>  exp(-t/td)/td = exp(-t/tr)/tr  <=>  t = ln(td/tr) / (1/tr - 1/td)
    t_peak = math.log(tau_decay / tau_rise) / (1.0 / tau_rise - 1.0 / tau_decay)
    return 1.0 / (math.exp(-t_peak / tau_decay) - math.exp(-t_peak / tau_rise))


def mg_block(v, mg):
    """Jahr & Stevens (1990): B(v) = 1 / (1 + [Mg]/3.57 mM * exp(-0.062 v/mV))."""
    return 1.0 / (1.0 + (mg / 3.57) * np.exp(-0.062 * np.asarray(v, dtype=float)))


def psc_propagator(dt, tau_m, c_m, tau_x):
    """v increment (mV) over one step caused by a current I0 exp(-t/tau_x) (per pA of I0) that
    starts the step at I0, from c_m du/dt = -c_m u / tau_m + I0 exp(-t/tau_x), u(0) = 0."""
    if tau_x == tau_m:
        return dt / c_m * math.exp(-dt / tau_m)
    a = tau_m * tau_x / (tau_x - tau_m) / c_m
    return a * (math.exp(-dt / tau_x) - math.exp(-dt / tau_m))


def round_steps(t_ms, dt):
    """The documented rounding rule: nearest step, halves up (robust to float noise in t/dt)."""
    return np.floor(np.asarray(t_ms, dtype=float) / dt + 0.5 + 1e-9).astype(np.int64)


class _Channel:
    def __init__(self, rec, batch, n, dt):
        self.rec = rec
        self.gd = np.zeros((batch, n))
        self.gr = np.zeros((batch, n))
        self.rise = rec.tau_rise > 0
        self.norm = peak_norm(rec.tau_rise, rec.tau_decay)
        self.qd = math.exp(-dt / rec.tau_decay)    # exact decay over one step
        self.qr = math.exp(-dt / rec.tau_rise) if self.rise else 0.0
        if rec.saturating:   # the value is recomputed from the synapses' gating every step
            self.rise, self.norm, self.qd, self.qr = False, 1.0, 0.0, 0.0

    def value(self):
        return self.gd - self.gr if self.rise else self.gd.copy()


def _schedule_value(sched, k, dt, batch, n):
    """Value of a piecewise-constant input at step k, shape (batch, n)."""
    if not isinstance(sched, Schedule):
        return np.broadcast_to(np.asarray(sched, dtype=float), (batch, n)).astype(float)
    ts = round_steps(sched.times, dt)
    vals = np.asarray(sched.values, dtype=float)
    j = np.searchsorted(ts, k, side="right") - 1
    if j < 0:
        return np.zeros((batch, n))
    v = vals[j]
    if v.ndim == 0:
        v = np.full(n, float(v))
    return np.broadcast_to(v, (batch, n)).astype(float)


class Reference:
    """Step-by-step reference run of a (built, not yet run) neurosim Network."""

    def __init__(self, net):
        if net.drives:
            raise NotImplementedError("Poisson drive is not modelled by the reference")
        self.net, self.dt, self.B = net, net.dt, net.batch
        dt, B = self.dt, self.B
        self.pops = [p for p in net.populations if not p.is_source]
        self.sources = [p for p in net.populations if p.is_source]
        for p in self.sources:
            if isinstance(p.model, PoissonSource):
                raise NotImplementedError("Poisson sources are not modelled by the reference")
        for p in self.pops:
            if p.model.has_adaptation:
                raise NotImplementedError("adaptation is not modelled by the reference")
        self.v = {p.name: net.get(p, "v").astype(float).copy() for p in self.pops}
        self.last = {p.name: np.full((B, p.n), -10 ** 12, dtype=np.int64) for p in self.pops}
        self.ref_steps = {p.name: int((p.model.t_ref + 1e-3 * dt) / dt) for p in self.pops}   # Brian2's timestep
        self.i_bias = {p.name: (np.full(p.n, p.model.i_bias) if p.i_bias is None else np.asarray(p.i_bias, float))
                       for p in self.pops}
        # receptor channels of each population (equal receptors share one state)
        self.chans = {p.name: [] for p in self.pops}

        def chan(pop, rec):
            for c in self.chans[pop.name]:
                if c.rec == rec:
                    return c
            c = _Channel(rec, B, pop.n, dt)
            self.chans[pop.name].append(c)
            return c

        self.syn = []   # (pre name, post name, pre idx, post idx, delay steps, weight, channel)
        self.sat = []   # saturating projections, per-synapse gating (see the module docstring)
        for q in net.projections:
            con = net.connections(q)
            d_steps = np.maximum(1, np.rint(np.asarray(con["delay"]) / dt).astype(np.int64))
            for rec, _factor in q.receptors:
                c = chan(q.post, rec)
                if rec.saturating:
                    n_syn = np.asarray(con["pre"]).size
                    self.sat.append(dict(pre=q.pre.name, pi=np.asarray(con["pre"]), po=np.asarray(con["post"]),
                                         d=d_steps, w=np.asarray(con["weight"][rec.name], float), c=c, rec=rec,
                                         x=np.zeros((B, n_syn)), s=np.zeros((B, n_syn))))
                    continue
                self.syn.append((q.pre.name, q.post.name, np.asarray(con["pre"]), np.asarray(con["post"]),
                                 d_steps, np.asarray(con["weight"][rec.name], float), c))
        self.gen = {}
        for p in self.sources:
            m = p.model
            st = round_steps(m.times, dt)
            tr = None if m.trials is None else np.asarray(m.trials, np.int64)
            self.gen[p.name] = (st, np.asarray(m.ids, np.int64), tr)
        self.currents = [(p, c) for p, c in net.currents]
        # delay ring buffer per channel: slot (k mod L) holds what arrives at step k
        self.L = 1 + max([int(d.max()) for *_, d, _w, _c in self.syn if d.size]
                         + [int(e["d"].max()) for e in self.sat if e["d"].size] + [1])
        for e in self.sat:
            e["ring"] = np.zeros((self.L,) + e["x"].shape)
        for cs in self.chans.values():
            for c in cs:
                c.ring = np.zeros((self.L,) + c.gd.shape)
        self.step = 0
        self.spikes = []    # (step, trial, population name, index)

    def _spiked_sources(self, k):
        out = {}
        for p in self.sources:
            st, ids, tr = self.gen[p.name]
            s = np.zeros((self.B, p.n), bool)
            sel = st == k
            for i, t in zip(ids[sel], (tr[sel] if tr is not None else [None] * int(sel.sum()))):
                if t is None:
                    s[:, i] = True
                else:
                    s[t, i] = True
            out[p.name] = s
        return out

    def run(self, n_steps, record=()):
        """Advance n_steps; returns {(pop, var): (n_steps, B, n) start-of-step samples}."""
        dt, B = self.dt, self.B
        samples = {key: [] for key in record}
        for _ in range(n_steps):
            k = self.step
            # 1. inputs
            i_ext = {p.name: np.zeros((B, p.n)) for p in self.pops}
            for p, c in self.currents:
                idx = np.asarray(c.indices, np.int64)
                i_ext[p.name][:, idx] += _schedule_value(c.amplitude, k, dt, B, idx.size)
            spiked = self._spiked_sources(k)
            # 2. arrivals
            for cs in self.chans.values():
                for c in cs:
                    x = c.ring[k % self.L] * c.norm
                    c.ring[k % self.L] = 0.0
                    c.gd += x
                    if c.rise:
                        c.gr += x
            for e in self.sat:
                e["x"] += e["ring"][k % self.L]
                e["ring"][k % self.L] = 0.0
                for b in range(B):
                    np.add.at(e["c"].gd[b], e["po"], e["w"] * e["s"][b])
            # state sample (start of step k)
            for (pname, var) in record:
                if var == "v":
                    samples[(pname, var)].append(self.v[pname].copy())
                else:
                    c = [c for c in self.chans[pname] if "g_" + c.rec.name == var][0]
                    samples[(pname, var)].append(c.value())
            # 3.-4. membrane, receptor decay, threshold, reset, refractoriness
            for p in self.pops:
                m, v0 = p.model, self.v[p.name]
                if isinstance(m, ns.LIFCond):
                    G = np.full((B, p.n), m.g_leak)
                    I = m.g_leak * m.v_rest + self.i_bias[p.name][None, :] + i_ext[p.name]
                    for c in self.chans[p.name]:
                        g = c.value()
                        if c.rec.e_rev is not None:
                            if c.rec.mg_block:
                                g = g * mg_block(v0, c.rec.mg)
                            G = G + g
                            I = I + g * c.rec.e_rev
                        else:
                            I = I + g
                    v_inf = I / G
                    v1 = v_inf + (v0 - v_inf) * np.exp(-dt * G / m.c_m)
                else:
                    tau_m, c_m = m.tau_m, m.c_m
                    v1 = m.v_rest + (v0 - m.v_rest) * math.exp(-dt / tau_m) \
                        + (self.i_bias[p.name][None, :] + i_ext[p.name]) * tau_m / c_m * (1 - math.exp(-dt / tau_m))
                    for c in self.chans[p.name]:
                        v1 = v1 + c.gd * psc_propagator(dt, tau_m, c_m, c.rec.tau_decay)
                        if c.rise:
                            v1 = v1 - c.gr * psc_propagator(dt, tau_m, c_m, c.rec.tau_rise)
                for c in self.chans[p.name]:
                    c.gd = c.gd * c.qd      # 0 for a saturating receptor
                    if c.rise:
                        c.gr = c.gr * c.qr
                active = (k - self.last[p.name]) >= self.ref_steps[p.name]
                fire = active & (v1 > m.v_th)
                v_new = np.where(active, v1, v0)
                v_new = np.where(fire, m.v_reset, v_new)
                self.last[p.name] = np.where(fire, k, self.last[p.name])
                self.v[p.name] = v_new
                spiked[p.name] = fire
                for b, i in zip(*np.nonzero(fire)):
                    self.spikes.append((k, int(b), p.name, int(i)))
            for e in self.sat:
                r = e["rec"]
                rate = 1.0 / r.tau_decay + r.alpha * e["x"]
                s_inf = r.alpha * e["x"] / rate
                e["s"] = s_inf + (e["s"] - s_inf) * np.exp(-dt * rate)
                e["x"] = e["x"] * math.exp(-dt / r.tau_rise)
            # 5. propagation
            for e in self.sat:
                for b in range(B):
                    act = spiked[e["pre"]][b][e["pi"]]
                    slot = (k + e["d"][act]) % self.L
                    np.add.at(e["ring"][:, b, :], (slot, np.nonzero(act)[0]), 1.0)
            for pre, post, pi, po, d, w, c in self.syn:
                s = spiked[pre]
                for b in range(B):
                    act = s[b][pi]
                    if not act.any():
                        continue
                    slot = (k + d[act]) % self.L
                    np.add.at(c.ring[:, b, :], (slot, po[act]), w[act])
            self.step += 1
        return {key: np.asarray(val) for key, val in samples.items()}

    def gating_conductance(self, pop_name, rec_name):
        """(B, n) conductance a saturating receptor will deliver at the start of the next step."""
        out = None
        for e in self.sat:
            if e["c"] in self.chans[pop_name] and e["rec"].name == rec_name:
                if out is None:
                    out = np.zeros_like(e["c"].gd)
                for b in range(self.B):
                    np.add.at(out[b], e["po"], e["w"] * e["s"][b])
        return out

    def spike_list(self, pop_name):
        """Sorted (step, trial, index) triples of one population's spikes."""
        return sorted((k, b, i) for k, b, n, i in self.spikes if n == pop_name)
