"""Brian2 twins of neurosim networks, for the validation tests in ``test_brian2_validation.py``.

:class:`Brian2Twin` rebuilds a neurosim :class:`~neurosim.Network` in Brian2 from what neurosim
exports -- the initial ``v`` of every neuron, the synapses of every projection
(``net.connections``: pre, post, delay, weight per receptor), the spikes its sources emitted
(Poisson sources are recorded in neurosim and replayed by a ``SpikeGeneratorGroup``) and the
injected currents -- so that both simulators integrate the same equations from the same state
with the same input, and their spikes can be compared one by one.

Conventions translated (neurosim -> Brian2):

* LIFCond: ``method='exponential_euler'``; LIFCurr: ``method='exact'``; ``v`` is
  ``(unless refractory)``, ``refractory=t_ref``, ``threshold='v > v_th'``, ``reset='v = v_reset'``.
* a receptor with ``tau_rise == 0`` is one exponentially decaying variable incremented by ``w``;
  with ``tau_rise > 0`` two (``xd`` with tau_decay, ``xr`` with tau_rise), both incremented by
  ``f*w`` (``f`` = :attr:`Receptor.peak_norm`), the conductance (or current) being ``xd - xr``.
* the Mg2+ block is a ``(constant over dt)`` subexpression: evaluated once per step from the
  start-of-step ``v``, as neurosim does (and it keeps ``dv/dt`` linear in ``v`` for exponential Euler).
* neurosim's delay ``d`` (>= dt) is Brian2's ``d - dt`` (Brian2 applies delay 0 on the next step).
* a saturating receptor (Wang 2002): ``x`` and ``s`` are clock-driven variables of the synapses
  (``method='exponential_euler'``, as neurosim: ``x`` frozen over the step), ``on_pre: x += 1``,
  and each projection sums ``w*s`` into its own variable of the post group, ``sg_<receptor>_<k>``
  (``(summed)``: updated before the groups, from the start-of-step ``s``); the conductance is their
  sum (Brian2 refuses two summed variables with one target).
* adaptation (LIFCond ``a``, ``b``): ``dw_ad/dt = (a*(v - v_rest) - w_ad)/tau_w`` (not refractory-held),
  ``w_ad += b`` at reset.
* neuron parameters are per-neuron Brian2 variables (``c_m : farad (constant)``, ``t_ref : second
  (constant)`` with ``refractory='t_ref'``, ...), read from ``pop.get(name)`` (the realised
  per-neuron values, distributions drawn) when the Population has ``get``, else from the model's
  scalars (and the population's ``i_bias`` override).  ``params`` / ``weights`` arguments override
  what is read (for a twin of a network whose parameters changed between runs: build it with the
  values of the first run, then :meth:`Brian2Twin.set_params` / :meth:`Brian2Twin.set_weights`
  between ``run`` calls).

Not translated (refused with NotImplementedError): ``poisson_drive`` (random in both simulators,
so it cannot be replayed), plasticity, neuromodulators, batch > 1, float32.
"""
from __future__ import annotations

import os

import numpy as np

try:  # the tests skip when Brian2 is missing; importing this module must not fail
    import brian2 as b2
except ImportError:  # pragma: no cover - exercised only without brian2
    b2 = None

from neurosim.spec.inputs import PoissonSource, SpikeGenerator, as_schedule
from neurosim.spec.neurons import LIFCond
from neurosim.spec.adex import AdEx
import brian2_adex  # noqa: E402  (AdEx groups and delta pathways: tests/brian2_adex.py)


def brian2_target() -> str:
    """Brian2's runtime code-generation target: ``$NEUROSIM_BRIAN2_TARGET`` if set, else ``'numpy'``.

    ``'cython'`` runs these tests faster once its compiled code is cached in ``~/.cython``
    (measured on a loaded 2-core machine: whole validation file 69 s warm), but compiling it
    the first time takes several minutes (592 s for the file with an empty cache), while
    ``'numpy'`` needs no compiler and takes about 105 s every time."""
    return os.environ.get("NEUROSIM_BRIAN2_TARGET", "numpy")


def setup(target: str | None = None, dt: float = 0.1) -> str:
    """Set Brian2's code-generation target (default :func:`brian2_target`) and
    ``defaultclock.dt`` (ms); returns the target."""
    target = target or brian2_target()
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt * b2.ms
    return target


def _receptor_terms(rec, sat_sources=(), exact_group=False, regular=None):
    """(equation lines, current term, namespace) of one receptor channel of a post population;
    ``sat_sources``: indices of the projections summing into a saturating receptor.  A delta
    receptor has no variable (term None: ``on_pre`` moves ``v``).  An alpha receptor is ``g``
    and ``h`` (``dg/dt = (e h - g)/tau``, ``dh/dt = -h/tau``): ODEs in a group integrated by
    ``'exact'`` (``exact_group``), else plain variables advanced exactly by a ``run_regularly``
    operation right after the state update (its statements are appended to ``regular``):
    Brian2's exponential Euler would freeze ``h`` over the step."""
    nm = rec.name
    unit = "siemens" if rec.conductance_based else "amp"
    if rec.is_delta:
        return [], None, {}
    ns = {f"tau_d_{nm}": rec.tau_decay * b2.ms}
    if rec.is_alpha:
        if exact_group:
            ns[f"e_{nm}"] = np.e
            lines = [f"dg_{nm}/dt = (e_{nm}*h_{nm} - g_{nm})/tau_d_{nm} : {unit}",
                     f"dh_{nm}/dt = -h_{nm}/tau_d_{nm} : {unit}"]
        else:
            dt = float(b2.defaultclock.dt / b2.ms)
            ns[f"dd_{nm}"] = np.exp(-dt / rec.tau_decay)
            ns[f"c_{nm}"] = np.e * dt / rec.tau_decay
            lines = [f"g_{nm} : {unit}", f"h_{nm} : {unit}"]
            regular += [f"g_{nm} = dd_{nm}*(g_{nm} + c_{nm}*h_{nm})", f"h_{nm} = dd_{nm}*h_{nm}"]
        x = f"g_{nm}"
    elif rec.saturating:
        lines = [f"sg_{nm}_{k} : siemens" for k in sat_sources]
        x = "(" + " + ".join([f"sg_{nm}_{k}" for k in sat_sources] or ["0*nS"]) + ")"
    elif rec.tau_rise > 0:
        ns[f"tau_r_{nm}"] = rec.tau_rise * b2.ms
        lines = [f"dxd_{nm}/dt = -xd_{nm}/tau_d_{nm} : {unit}",
                 f"dxr_{nm}/dt = -xr_{nm}/tau_r_{nm} : {unit}"]
        x = f"(xd_{nm} - xr_{nm})"
    else:
        lines = [f"dx_{nm}/dt = -x_{nm}/tau_d_{nm} : {unit}"]
        x = f"x_{nm}"
    return lines, membrane_term(rec, x, ns, lines), ns


def membrane_term(rec, x, ns, lines):
    """The term of receptor ``rec`` (value ``x``) in the membrane current: ``x (E - v)``, times the
    Mg2+ block (a ``(constant over dt)`` subexpression appended to ``lines``) for a conductance,
    ``x`` itself for a current; the constants go into ``ns``."""
    nm = rec.name
    if not rec.conductance_based:
        return x
    ns[f"E_{nm}"] = rec.e_rev * b2.mV
    if rec.mg_block:
        ns[f"mg_{nm}"] = rec.mg
        lines.append(f"B_{nm} = 1/(1 + mg_{nm}/3.57*exp(-0.062*v/mV)) : 1 (constant over dt)")
        return f"{x}*B_{nm}*(E_{nm} - v)"
    return f"{x}*(E_{nm} - v)"


def _on_pre(rec, k=0, emission=False):
    """(synapse model lines, on_pre lines, namespace) for one receptor of projection ``k``;
    ``emission``: see ``Brian2Twin(weights_at=...)``."""
    nm = rec.name
    unit = "volt" if rec.is_delta else "siemens" if rec.conductance_based else "amp"
    if rec.saturating:
        model = "\n".join([f"w_{nm} : siemens",
                           f"dx_{nm}/dt = -x_{nm}/tau_r_{nm} : 1 (clock-driven)",
                           f"ds_{nm}/dt = -s_{nm}/tau_d_{nm} + alpha_{nm}*x_{nm}*(1 - s_{nm}) : 1 (clock-driven)",
                           f"sg_{nm}_{k}_post = w_{nm}*s_{nm} : siemens (summed)"])
        return model, [f"x_{nm} += 1"], {f"tau_r_{nm}": rec.tau_rise * b2.ms, f"tau_d_{nm}": rec.tau_decay * b2.ms,
                                          f"alpha_{nm}": rec.alpha / b2.ms}
    w = f"w_{nm}"
    model = f"w_{nm} : {unit}"
    if emission:
        # the weight a spike carries is the one when it was emitted: spikes emitted before the
        # last set_weights (t_chg) and still in flight carry the previous weight w0
        new = "int(t - delay > t_chg - 0.5*dt)"
        w = f"(w_{nm}*{new} + w0_{nm}*(1 - {new}))"
        model += f"\nw0_{nm} : {unit}"
    if rec.is_delta:
        # NEST iaf_psc_delta: the jump enters after the step's propagation, before the threshold,
        # and is discarded while refractory (the pathway runs just before the thresholds: see
        # Brian2Twin)
        return model, [f"v_post += {w}*int(not_refractory_post)"], {}
    if rec.is_alpha:
        return model, [f"h_{nm}_post += {w}"], {}
    if rec.tau_rise > 0:
        return (model, [f"xd_{nm}_post += f_{nm}*{w}", f"xr_{nm}_post += f_{nm}*{w}"],
                {f"f_{nm}": rec.peak_norm})
    return model, [f"x_{nm}_post += {w}"], {}


def initial_v(net) -> dict:
    """Build ``net`` (if needed) and return {population name: initial v (mV)} of its neuron
    populations; call before ``net.run``."""
    return {p.name: net.get(p, "v")[0].copy() for p in net.populations if not p.is_source}


# neurosim parameter -> (Brian2 variable, Brian2 unit name) of each neuron model
COND_PARAMS = {"c_m": ("c_m", "pF"), "g_leak": ("g_leak", "nS"), "v_rest": ("v_rest", "mV"),
               "v_th": ("v_th", "mV"), "v_reset": ("v_reset", "mV"), "t_ref": ("t_ref", "ms"),
               "i_bias": ("i_bias", "pA"), "a": ("a_ad", "nS"), "b": ("b_ad", "pA"), "tau_w": ("tau_w", "ms")}
CURR_PARAMS = {"tau_m": ("tau_m", "ms"), "c_m": ("c_m", "pF"), "v_rest": ("v_rest", "mV"),
               "v_th": ("v_th", "mV"), "v_reset": ("v_reset", "mV"), "t_ref": ("t_ref", "ms"),
               "i_bias": ("i_bias", "pA")}
_B2_DIM = {"pF": "farad", "nS": "siemens", "mV": "volt", "ms": "second", "pA": "amp"}


def param_names(pop) -> dict:
    """{neurosim parameter: (Brian2 variable, unit)} of a neuron population's model."""
    if isinstance(pop.model, AdEx):
        return brian2_adex.ADEX_PARAMS
    return COND_PARAMS if isinstance(pop.model, LIFCond) else CURR_PARAMS


def neuron_params(pop) -> dict:
    """{parameter: (n,) float64} of a neuron population: ``pop.get(name)`` (the realised
    per-neuron values) when the Population has ``get``, else the model's scalars (and the
    population's ``i_bias`` override)."""
    out = {}
    for name in param_names(pop):
        if hasattr(pop, "get"):
            val = np.asarray(pop.get(name), np.float64)
            if val.shape != (pop.n,):
                raise ValueError(f"{pop.name}.get({name!r}) has shape {val.shape}, expected ({pop.n},)")
        elif name == "i_bias" and getattr(pop, "i_bias", None) is not None:
            val = np.asarray(pop.i_bias, np.float64)
        else:
            val = np.full(pop.n, float(getattr(pop.model, name)))
        out[name] = val
    return out


def all_params(net) -> dict:
    """{population name: :func:`neuron_params`} of every neuron population of ``net``."""
    return {p.name: neuron_params(p) for p in net.populations if not p.is_source}


def all_weights(net) -> dict:
    """{projection name: {receptor name: (n_syn,) weights}} of every projection (a copy)."""
    return {q.name: {k: np.array(v, np.float64) for k, v in net.connections(q)["weight"].items()}
            for q in net.projections}


def _current_table(net, pop, n_steps):
    """(n_steps + 1, n) injected current (pA) of ``pop`` at each step, or None."""
    table = None
    for p, inj in net.currents:
        if p is not pop:
            continue
        idx = np.asarray(inj.indices, np.int64)
        sch = as_schedule("inject", inj.amplitude, idx.size, net.batch, "pA")
        t_steps = np.floor(np.asarray(sch.times) / net.dt + 0.5 + 1e-9).astype(np.int64)
        vals = np.asarray(sch.values)[:, 0, :]          # (K, n_idx), batch 1
        k = np.searchsorted(t_steps, np.arange(n_steps + 1), side="right") - 1
        per_step = np.where(k[:, None] >= 0, vals[np.maximum(k, 0)], 0.0)
        if table is None:
            table = np.zeros((n_steps + 1, pop.n))
        table[:, idx] += per_step
    return table


class Brian2Twin:
    """The Brian2 version of a neurosim network.

    Parameters
    ----------
    net : the neurosim Network (already run, so its connectivity and recorded source spikes exist)
    v0 : {population: initial v (mV)} from :func:`initial_v`, taken before the neurosim run
    result : the neurosim Result (for the spikes of Poisson sources; each needs a spike monitor)
    duration : ms to be simulated (sizes the injected-current tables)
    record_v : {population: indices} whose ``v`` is recorded (at the start of each step)
    delay_shift : steps added to every Brian2 delay of a projection between neuron populations
        (0 for the faithful twin; 1 makes the off-by-one delay convention error, a negative control)
    params : {population: {parameter: scalar or (n,) values}} used instead of what
        :func:`neuron_params` reads (parameters not named are read)
    weights : {projection: {receptor: (n_syn,) weights in ``net.connections`` order}} used instead
        of the current weights of ``net.connections``
    weights_at : which weight a spike still in flight when :meth:`set_weights` changes the weights
        carries: ``"delivery"`` (Brian2's own rule: the weight when its ``on_pre`` runs) or
        ``"emission"`` (the weight when it was emitted: neurosim adds a spike's weight into its
        ring buffer when the spike is propagated, so spikes emitted before ``proj.set`` and
        arriving after it carry the old weight).  Saturating receptors read the weight at every
        step in both simulators and ignore this.
    """

    def __init__(self, net, v0, result, duration, record_v=None, delay_shift=0, params=None, weights=None,
                 weights_at="delivery"):
        if weights_at not in ("delivery", "emission"):
            raise ValueError(f"weights_at must be 'delivery' or 'emission', got {weights_at!r}")
        if net.batch != 1:
            raise NotImplementedError("Brian2Twin handles batch = 1 only")
        if net.drives:
            raise NotImplementedError("poisson_drive is random in both simulators; use a Poisson "
                                      "population (its spikes are replayed) instead")
        if getattr(net, "generated_currents", None):
            raise NotImplementedError("Brian2Twin does not translate inject_ac / inject_noise currents")
        if getattr(net, "modulators", None) or getattr(net, "modulations", None) or getattr(net, "_controllers", None):
            raise NotImplementedError("Brian2Twin does not translate neuromodulators or controllers")
        if net.dtype != "float64":
            raise NotImplementedError("Brian2Twin compares float64 networks only")
        for q in net.projections:
            if getattr(q, "plasticity", None) is not None:
                raise NotImplementedError(f"projection {q.name!r} is plastic; Brian2Twin handles static synapses")
        dt = net.dt
        if abs(b2.defaultclock.dt / b2.ms - dt) > 1e-12:
            raise ValueError(f"call setup(dt={dt}) first (defaultclock.dt is {b2.defaultclock.dt})")
        n_steps = int(round(duration / dt))
        self.net = net
        self.groups, self.spike_mons, self.v_mons, self.syns = {}, {}, {}, {}
        self._params = params or {}
        self._names = {}                 # {population: {parameter: (Brian2 variable, unit)}}
        objects = []
        # receptor channels of each post population, in neurosim's order of first appearance
        chans = {}
        for q in net.projections:
            for rec, _ in q.receptors:
                lst = chans.setdefault(q.post.name, [])
                if rec not in lst:
                    if any(r.name == rec.name for r in lst):
                        raise NotImplementedError(f"two different receptors named {rec.name!r} on {q.post.name!r}")
                    lst.append(rec)
        for p in net.populations:
            m = p.model
            if isinstance(m, (PoissonSource, SpikeGenerator)):
                if isinstance(m, SpikeGenerator):
                    steps = np.floor(np.asarray(m.times) / dt + 0.5 + 1e-9).astype(np.int64)
                    ids = np.asarray(m.ids, np.int64)
                else:
                    if p.name not in result.spikes:
                        raise ValueError(f"Poisson population {p.name!r} needs a spike monitor in neurosim")
                    st = result.spikes[p.name]
                    steps = np.round(np.asarray(st.times) / dt).astype(np.int64)
                    ids = np.asarray(st.node_ids, np.int64)
                keep = steps < n_steps
                g = b2.SpikeGeneratorGroup(p.n, ids[keep], steps[keep] * dt * b2.ms, name=f"src_{p.name}")
            else:
                g = self._neuron_group(p, chans.get(p.name, []), v0[p.name], n_steps, objects)
                self.spike_mons[p.name] = b2.SpikeMonitor(g, name=f"spk_{p.name}")
                objects.append(self.spike_mons[p.name])
                if record_v and p.name in record_v:
                    self.v_mons[p.name] = b2.StateMonitor(g, "v", record=list(record_v[p.name]),
                                                          name=f"vmon_{p.name}")
                    objects.append(self.v_mons[p.name])
            self.groups[p.name] = g
            objects.append(g)
        for q in net.projections:
            c = net.connections(q)
            model, on_pre, ns = [], [], {}
            emission = weights_at == "emission" and not any(r.saturating for r, _ in q.receptors)
            for rec, _ in q.receptors:
                var, lines, nsr = _on_pre(rec, q.index, emission)
                model.append(var)
                on_pre += lines
                ns.update(nsr)
            if emission:
                model.append("t_chg : second (shared)")
            syn = b2.Synapses(self.groups[q.pre.name], self.groups[q.post.name], model="\n".join(model),
                              on_pre="\n".join(on_pre), namespace=ns, name=f"syn_{q.name}",
                              method="exponential_euler")
            self.syns[q.name] = syn
            if any(r.is_delta for r, _ in q.receptors):
                # deliver just before the thresholds: a spike pushed there is the previous step's, so
                # Brian2's delay stays d - dt (below) and the jump is not decayed before the test
                syn.pre.when = "thresholds"
                syn.pre.order = -1
            if c["pre"].size:
                syn.connect(i=np.asarray(c["pre"], np.int64), j=np.asarray(c["post"], np.int64))
                w = dict(c["weight"])
                w.update((weights or {}).get(q.name, {}))
                self._set_w(q, w)
                if emission:
                    syn.t_chg = -1 * b2.second
                    for rec, _ in q.receptors:
                        setattr(syn, f"w0_{rec.name}", getattr(syn, f"w_{rec.name}")[:])
                d_steps = np.round(np.asarray(c["delay"]) / dt).astype(np.int64)
                if not q.pre.is_source:
                    d_steps = d_steps + delay_shift
                syn.delay = (d_steps - 1) * dt * b2.ms
            objects.append(syn)
        self.b2net = b2.Network(*objects)

    def _values(self, p) -> dict:
        """{parameter: (n,) float64} of population ``p``: the ``params`` overrides, else read."""
        over = self._params.get(p.name, {})
        unknown = set(over) - set(param_names(p))
        if unknown:
            raise ValueError(f"params for {p.name!r}: unknown {sorted(unknown)}")
        vals = neuron_params(p) if set(param_names(p)) - set(over) else {}
        for k, v in over.items():
            arr = np.asarray(v, np.float64)
            vals[k] = np.full(p.n, float(arr)) if arr.ndim == 0 else arr
        for k, v in vals.items():
            if v.shape != (p.n,):
                raise ValueError(f"{p.name}.{k}: shape {v.shape}, expected ({p.n},)")
        return vals

    def _neuron_group(self, p, chans, v0, n_steps, objects):
        m = p.model
        if isinstance(m, AdEx):
            return brian2_adex.adex_group(self, p, chans, v0, n_steps, objects, _current_table)
        cond = isinstance(m, LIFCond)
        vals = self._values(p)
        ns = {}
        lines, terms, regular = [], [], []
        for rec in chans:
            l_, t_, n_ = _receptor_terms(rec, [q.index for q in self.net.projections if q.post is p
                                               and any(r == rec for r, _ in q.receptors)],
                                         exact_group=not cond, regular=regular)
            lines += l_
            if t_ is not None:
                terms.append(t_)
            ns.update(n_)
        i_syn = " + ".join(terms) if terms else "0*amp"
        table = _current_table(self.net, p, n_steps)
        if table is not None:
            ns["ta_iext"] = b2.TimedArray(table * b2.pA, dt=self.net.dt * b2.ms, name=f"ta_{p.name}")
        names = dict(param_names(p))
        if cond:
            adapt = bool(np.any(vals["a"] > 0) or np.any(vals["b"] > 0))
            eq = [f"dv/dt = (g_leak*(v_rest - v) + I_rec + i_bias + i_ext{' - w_ad' if adapt else ''})/c_m "
                  ": volt (unless refractory)"]
            if adapt:
                eq.append("dw_ad/dt = (a_ad*(v - v_rest) - w_ad)/tau_w : amp")
            else:
                for k in ("a", "b", "tau_w"):
                    names.pop(k)
            method = "exponential_euler"
        else:
            adapt = False
            eq = ["dv/dt = (v_rest - v)/tau_m + (I_rec + i_bias + i_ext)/c_m : volt (unless refractory)"]
            method = "exact"
        # every parameter a per-neuron constant of the group (i_bias included)
        eq += [f"{b2n} : {_B2_DIM[unit]} (constant)" for b2n, unit in names.values()]
        eq += [f"I_rec = {i_syn} : amp", "i_ext : amp"] + lines
        g = b2.NeuronGroup(p.n, "\n".join(eq), threshold="v > v_th",
                           reset="v = v_reset" + ("\nw_ad += b_ad" if adapt else ""),
                           refractory="t_ref", method=method, namespace=ns, name=f"pop_{p.name}")
        self._names[p.name] = names
        self._write_params(p.name, g, vals)
        g.v = np.asarray(v0, np.float64) * b2.mV
        if regular:
            # exact alpha kinetics, right after the state update has used the start-of-step g
            objects.append(g.run_regularly("\n".join(regular), when="groups", order=1, name=f"alpha_{p.name}"))
        if table is not None:
            # set at the start of each step, before the state update (neurosim's phase 1)
            objects.append(g.run_regularly("i_ext = ta_iext(t, i)", when="before_groups",
                                           name=f"iext_{p.name}"))
        return g

    def _write_params(self, name, g, vals):
        names = self._names[name]
        for k, v in vals.items():
            if k not in names:
                if np.any(np.asarray(v) != 0) and k in ("a", "b"):
                    raise NotImplementedError(f"{name}.{k} became non-zero: the twin was built without adaptation")
                continue
            b2n, unit = names[k]
            setattr(g, b2n, np.asarray(v, np.float64) * getattr(b2, unit))

    def _set_w(self, q, w, t_chg=None):
        syn = self.syns[q.name]
        if t_chg is not None and "t_chg" in syn.variables:
            syn.t_chg = t_chg
            for rec, _ in q.receptors:
                setattr(syn, f"w0_{rec.name}", getattr(syn, f"w_{rec.name}")[:])
        for rec, _ in q.receptors:
            unit = b2.mV if rec.is_delta else b2.nS if rec.conductance_based else b2.pA
            setattr(syn, f"w_{rec.name}", np.asarray(w[rec.name], np.float64) * unit)

    def set_params(self, params: dict):
        """Between runs: {population: {parameter: scalar or (n,) values}} written into the
        Brian2 groups (the next :meth:`run` continues from the current state with them)."""
        for name, over in params.items():
            p = next(q for q in self.net.populations if q.name == name)
            unknown = set(over) - set(param_names(p))
            if unknown:
                raise ValueError(f"params for {name!r}: unknown {sorted(unknown)}")
            vals = {k: np.broadcast_to(np.asarray(v, np.float64), (p.n,)) for k, v in over.items()}
            self._write_params(name, self.groups[name], vals)

    def set_weights(self, weights: dict):
        """Between runs: {projection: {receptor: (n_syn,) weights in ``net.connections`` order}}."""
        for name, w in weights.items():
            q = next(x for x in self.net.projections if x.name == name)
            self._set_w(q, w, t_chg=self.b2net.t)

    def get_param(self, pop: str, name: str) -> np.ndarray:
        """The (n,) values of a parameter in the Brian2 group (in neurosim's unit)."""
        b2n, unit = self._names[pop][name]
        return np.asarray(getattr(self.groups[pop], b2n)[:] / getattr(b2, unit), np.float64)

    def run(self, duration: float):
        self.b2net.run(duration * b2.ms, namespace={})

    def spikes(self, name: str):
        """(neuron indices, spike times in ms) of a neuron population."""
        mon = self.spike_mons[name]
        return np.asarray(mon.i[:], np.int64), np.asarray(mon.t[:] / b2.ms)

    def v(self, name: str):
        """(times ms, v mV with shape (n_samples, n_recorded)) of a recorded population."""
        mon = self.v_mons[name]
        return np.asarray(mon.t[:] / b2.ms), np.asarray(mon.v[:] / b2.mV).T


def match_spikes(ids_a, t_a, ids_b, t_b, n, tol):
    """Fraction of the spikes of ``a`` (neuron indices ``ids_a`` in [0, n), times ``t_a`` ms)
    whose nearest spike of the same neuron in ``b`` lies within ``tol`` ms (NaN if ``a`` is empty)."""
    ids_a, t_a = np.asarray(ids_a, np.int64), np.asarray(t_a, np.float64)
    ids_b, t_b = np.asarray(ids_b, np.int64), np.asarray(t_b, np.float64)
    if t_a.size == 0:
        return float("nan")
    if t_b.size == 0:
        return 0.0
    span = 2.0 * (max(t_a.max(), t_b.max()) + 1.0)       # keeps the neurons' key ranges apart
    key_a, key_b = ids_a * span + t_a, ids_b * span + t_b
    order = np.argsort(key_b, kind="stable")
    key_b, ids_b = key_b[order], ids_b[order]
    j = np.searchsorted(key_b, key_a)
    best = np.full(t_a.size, np.inf)
    for nb in (j - 1, j):
        ok = (nb >= 0) & (nb < key_b.size)
        nbc = np.clip(nb, 0, key_b.size - 1)
        same = ok & (ids_b[nbc] == ids_a)
        best = np.where(same, np.minimum(best, np.abs(key_b[nbc] - key_a)), best)
    return float(np.count_nonzero(best <= tol)) / t_a.size


def compare(res, twin, pops, dt, t_min=None, t_max=None):
    """(matched fraction neurosim->Brian2, Brian2->neurosim, neurosim count, Brian2 count) of
    the spikes of the neuron populations ``pops`` (within one dt, :func:`match_spikes`), over all
    of the run or only the spikes with ``t_min <= t < t_max`` (ms)."""
    tol = dt * (1 + 1e-6)
    ids_a, t_a, ids_b, t_b = [], [], [], []
    off = 0
    for name in pops:
        st = res.spikes[name]
        ib, tb = twin.spikes(name)
        ids_a.append(np.asarray(st.node_ids) + off), t_a.append(np.asarray(st.times))
        ids_b.append(ib + off), t_b.append(tb)
        off += st.n
    ids_a, t_a, ids_b, t_b = map(np.concatenate, (ids_a, t_a, ids_b, t_b))
    lo = -np.inf if t_min is None else t_min - 1e-9
    hi = np.inf if t_max is None else t_max - 1e-9
    ka, kb = (t_a >= lo) & (t_a < hi), (t_b >= lo) & (t_b < hi)
    ids_a, t_a, ids_b, t_b = ids_a[ka], t_a[ka], ids_b[kb], t_b[kb]
    return (match_spikes(ids_a, t_a, ids_b, t_b, off, tol), match_spikes(ids_b, t_b, ids_a, t_a, off, tol),
            t_a.size, t_b.size)


def cv_isi(ids, times, min_spikes: int = 3) -> float:
    """Mean ISI coefficient of variation over neurons with at least ``min_spikes`` spikes."""
    from neurosim.result import cv_isi as _cv
    return _cv(np.asarray(ids), np.asarray(times), None, min_spikes)


def brian2_coba(n: int = 4000, p: float = 0.02, seed: int = 1, duration: float = 1000.0):
    """Brian2's COBA example (Brette et al. 2007 benchmark 1; BENCHMARKS.md), with its own
    connectivity and initial values drawn from ``seed``.  Returns (ids, times ms, wall s)."""
    import time
    b2.seed(seed)
    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    Vt, Vr, El = -50 * b2.mV, -60 * b2.mV, -60 * b2.mV
    ns = dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=El, Ee=0 * b2.mV, Ei=-80 * b2.mV,
              I=20 * b2.mV, we=6.0 / 10.0, wi=67.0 / 10.0)
    eqs = """
    dv/dt = (ge*(Ee - v) + gi*(Ei - v) - (v - El) + I)/taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * b2.ms,
                       method="exponential_euler", namespace=ns, name="coba")
    n_e = int(round(0.8 * n))
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns, name="coba_e")
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns, name="coba_i")
    Ce.connect(f"i < {n_e}", p=p)
    Ci.connect(f"i >= {n_e}", p=p)
    P.v = "Vr + rand()*(Vt - Vr)"
    P.ge = 0
    P.gi = 0
    mon = b2.SpikeMonitor(P, name="coba_spk")
    bnet = b2.Network(P, Ce, Ci, mon)
    t0 = time.perf_counter()
    bnet.run(duration * b2.ms)
    return np.asarray(mon.i[:], np.int64), np.asarray(mon.t[:] / b2.ms), time.perf_counter() - t0
