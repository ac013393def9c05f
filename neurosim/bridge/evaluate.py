"""Run test images through a converted spiking network and measure it.

:func:`evaluate` simulates the images in batches (one image per trial of a batch; shared
connectivity) and returns an :class:`Evaluation` with

* accuracy against simulated time, from one run per batch: at each time ``t`` of the grid the
  prediction is the argmax of the readout at ``t`` (linear readout: the output integrators'
  membrane potential; LIF output: the spike count up to ``t``, ties broken by the membrane
  potential);
* latency: the earliest time from which the accuracy stays within 0.5 (and 0.1) points of its
  final value;
* spikes per image and synaptic operations (SynOps, a spike times its fan-out) per image, per
  population and against time, and the multiply-accumulates done outside the network
  (``"analog"`` input);
* wall time (network building + simulation, and simulation only) and agreement with the rate
  model's predictions.

Like the rest of the bridge, this module drives the simulator only through the public
``Network`` API.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .convert import to_network
from ..logs import progress_line
from ..units import to_float

LOG = logging.getLogger(__name__)

__all__ = ["Evaluation", "evaluate", "latency", "predictions_over_time", "record_raster"]


@dataclass
class Evaluation:
    """Results of :func:`evaluate` (times in ms, accuracies as fractions)."""
    encoding: str
    readout: str
    dt: float
    duration: float
    times: np.ndarray                 # (n_t,) evaluation times (ms)
    accuracy: np.ndarray              # (n_t,) accuracy at each time
    predictions: np.ndarray           # (n_images,) predictions at the final time
    labels: np.ndarray
    spikes_per_image: dict            # population -> mean spikes per image over the whole run
    synops_per_image: float           # sum over populations of spikes * fan-out, per image
    spikes_time: np.ndarray           # (n_t,) cumulative spikes per image (all populations) up to t
    synops_time: np.ndarray           # (n_t,) cumulative SynOps per image up to t
    macs_per_image: int               # multiply-accumulates done outside the network (analog input)
    wall_time: float                  # s, building + simulating + reading out (all batches)
    cpu_time: float                   # s, process CPU time of the same (all threads)
    sim_time: float                   # s, simulation only (the simulator's run wall time)
    compile_time: float               # s, a warm-up run that compiles / loads the kernels (not in wall_time)
    batch_size: int
    n_images: int
    params: dict = field(default_factory=dict)
    rate_model_predictions: np.ndarray | None = None
    scores: np.ndarray | None = None  # (n_images, n_classes) readout at the final time

    @property
    def final_accuracy(self) -> float:
        return float(self.accuracy[-1])

    def latency(self, tolerance: float = 0.005) -> float:
        """Earliest time (ms) from which the accuracy stays within ``tolerance`` of its final value."""
        return latency(self.times, self.accuracy, tolerance)

    def accuracy_at(self, t: float) -> float:
        """Accuracy at the last evaluation time <= ``t`` (ms)."""
        k = np.searchsorted(self.times, t + 1e-9, side="right") - 1
        return float(self.accuracy[max(k, 0)]) if k >= 0 else float("nan")

    @property
    def agreement(self) -> float:
        """Fraction of images where the SNN's final prediction equals the rate model's."""
        if self.rate_model_predictions is None:
            return float("nan")
        return float(np.mean(self.predictions == self.rate_model_predictions))

    @property
    def spikes_total(self) -> float:
        return float(sum(self.spikes_per_image.values()))

    def summary(self) -> dict:
        return {"encoding": self.encoding, "readout": self.readout, "dt": self.dt, "duration": self.duration,
                "n_images": self.n_images, "accuracy": self.final_accuracy,
                "latency_0.5": self.latency(0.005), "latency_0.1": self.latency(0.001),
                "accuracy_at_50ms": self.accuracy_at(50.0),
                "spikes_per_image": self.spikes_total, "spikes_per_image_by_population": self.spikes_per_image,
                "synops_per_image": self.synops_per_image, "macs_per_image": self.macs_per_image,
                "wall_time": self.wall_time, "cpu_time": self.cpu_time, "sim_time": self.sim_time, "compile_time": self.compile_time,
                "agreement_with_rate_model": self.agreement, "batch_size": self.batch_size, **self.params}


def latency(times, accuracy, tolerance: float = 0.005) -> float:
    """Earliest time from which ``accuracy`` stays within ``tolerance`` (a fraction: 0.005 is half a
    percentage point) of its final value; NaN for an empty curve."""
    acc = np.asarray(accuracy, dtype=np.float64)
    if acc.size == 0:
        return float("nan")
    bad = np.flatnonzero(acc < acc[-1] - tolerance - 1e-12)
    k = 0 if bad.size == 0 else bad[-1] + 1
    return float(np.asarray(times)[k])


def predictions_over_time(conv, n_images: int, times: np.ndarray, final_v=None):
    """Readout scores ``(n_t, n_images, n_classes)`` at ``times`` (ms) of a run of ``conv``.

    Linear readout: the output membrane potential sampled at each time (``final_v`` for the end
    of the run).  LIF output: spike counts of the spikes stamped before ``t``, plus a tie-breaker
    in [0, 0.5) increasing with the membrane potential."""
    n_out = conv.net.populations[-1].n
    vmon = conv.monitors["v"]
    v = None
    if vmon is not None:
        vt = vmon.t
        vv = vmon.trace("v")                       # (n_samples, batch, n_out)
        v = np.empty((times.size, n_images, n_out))
        for j, t in enumerate(times):
            k = int(np.searchsorted(vt, t - 1e-9 * conv.dt, side="left"))
            if k < vt.size and abs(vt[k] - t) < 1e-6 * conv.dt:
                v[j] = vv[k]
            elif final_v is not None and j == times.size - 1:
                v[j] = final_v
            else:
                v[j] = vv[min(max(k - 1, 0), vt.size - 1)] if vt.size else 0.0
    if conv.readout == "linear":
        return v
    mon = conv.monitors["spikes"]["output"]
    cell = conv.net.populations[-1].model
    edges = np.concatenate([[-np.inf], np.asarray(times) - 1e-9 * conv.dt])
    counts = np.zeros((times.size + 1, n_images, n_out))
    tb = np.searchsorted(edges, mon.t, side="right") - 1      # spikes before times[j] -> bins <= j
    np.add.at(counts, (tb, mon.trial, mon.i), 1.0)
    cum = np.cumsum(counts, axis=0)[:-1]
    if v is not None:
        span = cell.v_th - cell.v_reset
        cum = cum + 0.5 * np.clip((v - cell.v_reset) / span, 0.0, 0.999)
    return cum


def evaluate(model, images, labels, encoding: str = "poisson", *, duration: float = 100.0, dt=None,
             batch_size: int = 1000, input_rate=None, tau_syn: float = 1.0, seed: int = 1, every=None,
             random_init: bool = True, backend: str = "cpu", progress: bool = False, dtype: str = "float64",
             rate_model_predictions=None, verbose: bool = False) -> Evaluation:
    """Simulate ``images`` through the spiking version of ``model`` and measure it.

    Parameters
    ----------
    model : a trained :class:`~neurosim.bridge.model.RateModel`
    images, labels : test images (uint8 or [0, 1] floats) and labels
    encoding : ``"poisson"``, ``"current"`` or ``"analog"`` (:func:`~neurosim.bridge.convert.to_network`)
    duration : simulated time per image (ms)
    dt : time step (ms), default the model's (else 1 ms)
    batch_size : images simulated side by side in one run (trials of a batch)
    input_rate, tau_syn, random_init, dtype : as :func:`~neurosim.bridge.convert.to_network`
    seed : network seed of the first batch (batch ``k`` uses ``seed + k``)
    every : spacing (ms) of the accuracy-against-time grid (default: every step)
    rate_model_predictions : optional predictions of the rate model, for the agreement
    verbose : print one line per batch on stdout; without it the line is a DEBUG record of the
        logger ``neurosim.bridge.evaluate``
    """
    labels = np.asarray(labels)
    n = len(labels)
    if n == 0:
        raise ValueError("no images to evaluate")
    duration = float(to_float(duration, "evaluate: duration", "ms"))
    dt_ = float(model.dt if dt is None and model.dt is not None else
                (1.0 if dt is None else to_float(dt, "evaluate: dt", "ms")))
    every = dt_ if every is None else float(to_float(every, "evaluate: every", "ms"))
    n_t = int(round(duration / every))
    times = every * np.arange(1, n_t + 1)
    n_steps = int(round(duration / dt_))
    correct = np.zeros(times.size)
    preds = np.empty(n, np.int64)
    scores_final = np.empty((n, model.sizes[-1]))
    spikes = {}
    spikes_t = np.zeros(times.size)
    synops_t = np.zeros(times.size)
    wall = cpu = sim = 0.0
    macs = 0
    fan_out = {}
    batch_size = int(max(1, min(batch_size, n)))
    # compile (or load from numba's cache) the kernels on a one-image, one-step run, so that
    # the timings below measure simulation only
    t0 = time.perf_counter()
    warm = to_network(model, images[:1], encoding, dt=dt_, input_rate=input_rate, tau_syn=tau_syn, seed=seed,
                      random_init=random_init, sample_every=every, dtype=dtype)
    warm.net.run(dt_, backend=backend, progress=False)
    compile_time = time.perf_counter() - t0
    del warm
    for k, s in enumerate(range(0, n, batch_size)):
        t0 = time.perf_counter()
        c0 = time.process_time()
        xb = images[s:s + batch_size]
        nb = len(xb)
        conv = to_network(model, xb, encoding, dt=dt_, input_rate=input_rate, tau_syn=tau_syn, seed=seed + k,
                          random_init=random_init, sample_every=every, dtype=dtype)
        net = conv.net
        t_b = time.perf_counter()
        net.build(backend)
        t_c = time.perf_counter()
        res = net.run(duration, backend=backend, progress=progress)
        final_v = net.get(net.populations[-1], "v")
        sc = predictions_over_time(conv, nb, times, final_v)
        pb = np.argmax(sc, axis=2)                                  # (n_t, nb)
        correct += (pb == labels[s:s + nb][None, :]).sum(axis=1)
        preds[s:s + nb] = pb[-1]
        scores_final[s:s + nb] = sc[-1]
        macs = conv.first_layer_macs
        fan_out = conv.fan_out
        for name, mon in conv.monitors["rate"].items():
            counts = _counts(mon, n_steps, nb, dt_)
            spikes[name] = spikes.get(name, 0.0) + counts.sum()
            cum = np.concatenate([[0.0], np.cumsum(counts)])
            # spikes stamped before time t: steps 0 .. t/dt - 1
            c_t = cum[np.clip(np.rint(times / dt_).astype(int), 0, n_steps)]
            spikes_t += c_t
            synops_t += c_t * conv.fan_out[name]
        t_end = time.perf_counter()
        c_end = time.process_time()
        wall += t_end - t0
        cpu += c_end - c0
        sim += res.meta["wall_time"]
        progress_line(LOG, verbose, f"  batch {k + 1}/{-(-n // batch_size)}: {nb} images, acc "
                      f"{np.mean(pb[-1] == labels[s:s + nb]):.4f}, build {t_c - t_b:.2f} s, run "
                      f"{res.meta['wall_time']:.2f} s, total {t_end - t0:.2f} s")
        del conv, net, res
    spikes_per_image = {k_: v / n for k_, v in spikes.items()}
    synops = sum(spikes_per_image[k_] * fan_out.get(k_, 0) for k_ in spikes_per_image)
    ev = Evaluation(encoding=encoding, readout=model.output, dt=dt_, duration=float(duration), times=times,
                    accuracy=correct / n, predictions=preds, labels=labels, spikes_per_image=spikes_per_image,
                    synops_per_image=float(synops), spikes_time=spikes_t / n, synops_time=synops_t / n,
                    macs_per_image=int(macs), wall_time=wall, cpu_time=cpu, sim_time=sim, compile_time=compile_time,
                    batch_size=batch_size, n_images=n,
                    params={"input_rate": float(model.max_rate if input_rate is None else input_rate),
                            "tau_syn": float(tau_syn), "seed": int(seed), "random_init": bool(random_init),
                            "every": every, "dtype": dtype},
                    rate_model_predictions=None if rate_model_predictions is None
                    else np.asarray(rate_model_predictions), scores=scores_final)
    return ev


def _counts(mon, n_steps, n_trials, dt):
    """Spikes per step (summed over trials) from a population-rate monitor, length ``n_steps``."""
    c = np.rint(np.asarray(mon.rate, np.float64) * (mon.pop.n * n_trials * dt * 1e-3))
    if c.size < n_steps:
        c = np.concatenate([c, np.zeros(n_steps - c.size)])
    return c[:n_steps]


def record_raster(model, image, encoding: str = "poisson", *, duration: float = 100.0, dt=None, input_rate=None,
                  tau_syn: float = 1.0, seed: int = 1, random_init: bool = True):
    """Simulate one image with every population's spikes recorded.

    Returns ``(result, conv)``: the :class:`~neurosim.result.Result` (``result.spikes[name]``) and
    the :class:`~neurosim.bridge.convert.ConvertedNetwork` (output ``v`` in ``conv.monitors["v"]``)."""
    img = np.asarray(image)
    if img.ndim in (1, 2) and img.size == model.sizes[0]:
        img = img.reshape(1, -1)
    conv = to_network(model, img, encoding, dt=dt, input_rate=input_rate, tau_syn=tau_syn, seed=seed,
                      random_init=random_init, record_spikes="all")
    res = conv.net.run(duration, progress=False)
    return res, conv
