"""Convert a trained :class:`~neurosim.bridge.model.RateModel` into a spiking :class:`Network`.

Every LIF layer of the rate model becomes a population of the very ``LIFCurr`` neurons whose
rate function it was trained with; its biases become per-neuron bias currents ``i_bias =
current_scale * b`` (pA); its weights become current-based exponential synapses
(:func:`neurosim.ExpCurrent`, time constant ``tau_syn``) on dense (``all_to_all``) projections.
A presynaptic neuron firing at ``rho`` Hz through a synapse of weight ``w`` (pA) injects the mean
current ``w rho tau_syn / 1000`` (each spike carries the charge ``w tau_syn``), so the rate
model's current ``current_scale * W * rho / R_pre`` is reproduced by

    w = current_scale * W * 1000 / (R_pre * tau_syn)          [pA]

with ``R_pre`` the presynaptic normalisation: ``input_rate`` for the input, ``max_rate`` for
hidden layers.  Delays are one step (the minimum).

Input encodings (one image per trial of the batch, shared connectivity):

* ``"poisson"``: 784 Poisson sources at ``input_rate * intensity`` Hz (``net.poisson`` with
  per-trial ``(batch, 784)`` rates);
* ``"current"``: 784 input LIF neurons (the same ``LIFCurr``) driven by constant currents
  (``net.inject`` with per-trial ``(batch, 784)`` amplitudes) chosen so that each fires
  regularly at the attainable on-grid rate nearest to ``input_rate * intensity``
  (:func:`~neurosim.bridge.rates.lif_current_for_rate_grid`); black pixels get no current;
* ``"analog"``: no input spikes; the first LIF layer receives its rate-model current
  ``current_scale * (W_0 x + b_0)`` directly (``net.inject``), as in Rueckauer et al. (2017).
  The 784 x n multiply-accumulates of that projection are then done once per image outside
  the network.

Readout: for ``output="linear"`` an ``"output"`` population of 10 non-spiking integrators
(``tau_m`` = 1e7 ms, threshold out of reach) sums the last hidden layer's weighted spikes; its
membrane potential ``v`` is the running logit (``v - v_rest`` = logit * time / c_m with
``OUTPUT_CURRENT`` pA per logit).  For ``output="lif"`` the output population is LIF and is read
out by spike counts.

LIF populations start from a membrane potential drawn uniformly between reset and threshold
(``random_init``), which spreads the first spikes and removes the rounding-down bias of spike
counts started in phase.

This module builds only a ``Network`` spec (DESIGN.md): it imports no kernels, backends or sim.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .. import network as _network
from ..spec.connectors import all_to_all
from ..spec.distributions import Uniform
from ..spec.neurons import LIFCurr
from ..spec.receptors import ExpCurrent
from ..data.encoding import to_unit_interval
from .rates import lif_current_for_rate_grid
from ..units import to_float

__all__ = ["to_network", "ConvertedNetwork", "ENCODINGS", "synaptic_weights", "readout_neuron",
           "OUTPUT_CURRENT"]

ENCODINGS = ("poisson", "current", "analog")

#: pA of readout current per unit of logit (output="linear").
OUTPUT_CURRENT = 1.0


def readout_neuron() -> LIFCurr:
    """The non-spiking integrator of the linear readout: c_m 1000 pF, tau_m 1e7 ms (no leak
    over a trial), v_rest 0 mV, threshold 50 mV (a logit of z moves v by z mV per second)."""
    return LIFCurr(tau_m=1e7, c_m=1000.0, v_rest=0.0, v_th=50.0, v_reset=-50.0, t_ref=0.0)


@dataclass
class ConvertedNetwork:
    """A converted network and what evaluation needs to read it.

    net : the :class:`~neurosim.network.Network` (batch = number of images)
    layers : population names in order, input first (no input for ``"analog"``)
    fan_out : synapses per spike of each population (``{name: int}``)
    monitors : ``{"rate": {name: RateMonitor}, "spikes": {name: SpikeMonitor}, "v": StateMonitor}``
    encoding, input_rate (Hz), tau_syn (ms), dt (ms), readout (``"linear"`` or ``"lif"``)
    first_layer_macs : multiply-accumulates per image done outside the network (``"analog"``)
    """
    net: object
    layers: list
    fan_out: dict
    monitors: dict
    encoding: str
    input_rate: float
    tau_syn: float
    dt: float
    readout: str
    sample_every: float
    first_layer_macs: int = 0
    info: dict = field(default_factory=dict)


def synaptic_weights(model, layer: int, input_rate: float, tau_syn: float) -> np.ndarray:
    """Synaptic weights (pA), shape ``(n_pre, n_post)``, of the projection into layer ``layer+1``
    (``layer = 0``: from the input)."""
    r_pre = input_rate if layer == 0 else model.max_rate
    scale = model.current_scale if (layer < model.n_layers - 1 or model.output == "lif") else OUTPUT_CURRENT
    return np.asarray(model.weights[layer], np.float64) * (scale * 1000.0 / (r_pre * tau_syn))


def _bias(model, layer):
    scale = model.current_scale if (layer < model.n_layers - 1 or model.output == "lif") else OUTPUT_CURRENT
    return np.asarray(model.biases[layer], np.float64) * scale


def to_network(model, images, encoding: str = "poisson", *, dt=None, input_rate=None, tau_syn: float = 1.0,
               seed: int = 1, random_init: bool = True, sample_every=None, record_spikes=(),
               record_rates: bool = True, dtype: str = "float64") -> ConvertedNetwork:
    """Build the spiking network of ``model`` for a batch of ``images`` (one image per trial).

    Parameters
    ----------
    model : a trained :class:`~neurosim.bridge.model.RateModel`
    images : uint8 (n, 28, 28) / (n, 784) or floats in [0, 1]
    encoding : ``"poisson"``, ``"current"`` or ``"analog"`` (module docstring)
    dt : time step (ms); default the model's ``dt`` (1 ms if it has none)
    input_rate : rate of a white pixel (Hz); default ``model.max_rate``
    tau_syn : synaptic current time constant (ms)
    seed : network seed (Poisson spikes, initial potentials)
    random_init : start LIF neurons uniformly between reset and threshold (else at v_rest)
    sample_every : sampling period (ms) of the output ``v`` monitor (default every step; None
        keeps the default, 0 records no ``v``)
    record_spikes : names of populations whose spikes are recorded (the output's always are for
        ``output="lif"``; ``"all"`` records every population)
    record_rates : attach a population-rate monitor (spikes per step) to every population
    dtype : ``"float64"`` or ``"float32"`` simulation state
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    x = to_unit_interval(images)
    if x.shape[1] != model.sizes[0]:
        raise ValueError(f"images have {x.shape[1]} pixels, the model expects {model.sizes[0]}")
    batch = x.shape[0]
    dt = float(model.dt if dt is None and model.dt is not None else (1.0 if dt is None else to_float(dt, "dt", "ms")))
    input_rate = float(model.max_rate if input_rate is None else to_float(input_rate, "input_rate", "Hz"))
    tau_syn = float(to_float(tau_syn, "tau_syn", "ms"))
    if sample_every is None:
        sample_every = dt
    net = _network.Network(dt=dt, seed=seed, batch=batch, dtype=dtype)
    neuron = model.neuron
    cell = replace(neuron, v_init=Uniform(neuron.v_reset, neuron.v_th)) if random_init else neuron
    syn = ExpCurrent(tau_decay=tau_syn, name="I_syn")
    L = model.n_layers
    sizes = model.sizes
    pops = []
    first_layer_macs = 0
    info = {}

    # ---- input
    if encoding == "poisson":
        pops.append(net.poisson("input", sizes[0], x * input_rate))
    elif encoding == "current":
        cur, attained = lif_current_for_rate_grid(x * input_rate, neuron, dt)
        inp = net.population("input", sizes[0], cell)
        net.inject(inp, cur)
        pops.append(inp)
        info["input_rate_error"] = float(np.abs(attained - x * input_rate).mean())

    # ---- LIF layers (and the readout)
    for l in range(L):
        is_out = l == L - 1
        name = "output" if is_out else f"hidden{l + 1}"
        if is_out and model.output == "linear":
            model_l = readout_neuron()
        else:
            model_l = cell
        pop = net.population(name, sizes[l + 1], model_l, i_bias=_bias(model, l))
        if l == 0 and encoding == "analog":
            w0 = np.asarray(model.weights[0], np.float64)
            net.inject(pop, (x @ w0) * model.current_scale)
            first_layer_macs = int(sizes[0] * sizes[1])
        else:
            pre = pops[-1]
            w = synaptic_weights(model, l, input_rate, tau_syn)
            net.connect(pre, pop, all_to_all(), receptor=syn, weight=w)      # (n_pre, n_post) pA
        pops.append(pop)

    names = [p.name for p in pops]
    fan_out = {p.name: (pops[k + 1].n if k + 1 < len(pops) else 0) for k, p in enumerate(pops)}
    monitors = {"rate": {}, "spikes": {}, "v": None}
    if record_rates:
        for p in pops:
            monitors["rate"][p.name] = net.monitor(p, "rate")
    rec = set(names) if record_spikes == "all" else set(record_spikes or ())
    if model.output == "lif":
        rec.add("output")
    for p in pops:
        if p.name in rec:
            monitors["spikes"][p.name] = net.monitor(p, "spikes")
    if sample_every:
        monitors["v"] = net.monitor(pops[-1], "v", every=sample_every)
    return ConvertedNetwork(net, names, fan_out, monitors, encoding, input_rate, tau_syn, dt,
                            model.output, float(sample_every or 0.0), first_layer_macs, info)
