"""MNIST learned without labels by STDP: Diehl & Cook (2015), Front. Comput. Neurosci. 9:99.

Trains :class:`neurosim.learning.DiehlCook` (``models/diehl_cook2015.py``; parameters and their sources
in :mod:`neurosim.learning.diehl_cook`) on MNIST training images, one image after the other; then
freezes weights and thresholds, labels each excitatory cell by its mean response per digit to
``--label-images`` training images and classifies the test images (batch axis, ``--batch`` images
side by side).  Writes to ``--out`` (default ``benchmarks/results``):

* ``stdp_mnist.h5``: input weights (784, N), thresholds theta, delays, cell labels, the online
  accuracy curve, spikes and repeats per training image, test predictions; settings as attributes
* ``stdp_mnist_fields.png``: the learned receptive fields, N 28x28 tiles (the paper's Fig. 2)
* ``stdp_mnist_accuracy.png``: accuracy against training images
* ``--json PATH``: ``{"accuracy", "n_excitatory", "train_images", "test_images", "train_wall_s",
  "test_wall_s", "test_after_epoch", ...}`` (accuracy a fraction; ``test_after_epoch``: every evaluation,
  at epoch ends with ``--test-each-epoch`` and every ``--test-every`` images)

The online accuracy (as in the authors' code): every ``--block`` training images, the cells are
labelled from their responses to the previous block (learning on) and the current block is
classified with those labels.  Every file is written atomically.

Usage::

    python benchmarks/stdp_mnist.py --quick                 # 3,000 training, 1,000 test images, N = 100
    python benchmarks/stdp_mnist.py                         # N = 400, 60,000 training, 10,000 test images
    python benchmarks/stdp_mnist.py --speed 300             # training speed only (N = 400), no testing
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neurosim.atomic import atomic_path  # noqa: E402
from neurosim.learning import DiehlCook, assign_labels, classify  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PJ_SYNOP = 0.9   # pJ per synaptic operation (a 32-bit float add; Horowitz 2014, as mnist_snn_vs_mlp.py)


def receptive_fields(weights: np.ndarray) -> np.ndarray:
    """The (784, N) weights as one image of ceil(sqrt N) x ceil(sqrt N) tiles of 28 x 28."""
    n = weights.shape[1]
    side = int(np.ceil(np.sqrt(n)))
    out = np.full((side * 28, side * 28), np.nan)
    for j in range(n):
        r, c = divmod(j, side)
        out[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = weights[:, j].reshape(28, 28)
    return out


def save_figures(out: Path, weights, blocks, online, tests):
    """``tests``: (training images seen, test accuracy) pairs, one per evaluation."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 8))
    im = ax.imshow(receptive_fields(weights), cmap="hot_r", vmin=0.0, vmax=float(np.nanmax(weights)),
                   interpolation="nearest")
    ax.set_title(f"input weights of {weights.shape[1]} excitatory cells (nS)")
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046)
    with atomic_path(out / "stdp_mnist_fields.png") as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(blocks):
        ax.plot(blocks, np.asarray(online) * 100, "o-", label="online (training images, learning on)")
    ax.plot([t[0] for t in tests], [t[1] * 100 for t in tests], "s", color="C3", label="test (weights frozen)")
    ax.set_xlabel("training images")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    with atomic_path(out / "stdp_mnist_accuracy.png") as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)


def save_h5(path: Path, arrays: dict, attrs: dict):
    import h5py
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for k, v in arrays.items():
                f.create_dataset(k, data=np.asarray(v), compression="gzip" if np.asarray(v).size > 1000 else None)
            for k, v in attrs.items():
                f.attrs[k] = json.dumps(v) if isinstance(v, (dict, list)) else v


def write_json(path: Path, summary: dict):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


def speed_report(learner: DiehlCook, wall: float, n_images: int) -> dict:
    """Training speed: images and simulated seconds per wall second, the split of the wall time,
    and one epoch (60,000 images) extrapolated."""
    sim_s = learner.net.t / 1000.0
    t = dict(learner.timing)
    other = wall - sum(t.values())
    return {"images_per_s": n_images / wall, "presentations": learner.presentations,
            "sim_s_per_wall_s": sim_s / wall, "wall_per_image_ms": 1e3 * wall / n_images,
            "split_ms_per_image": {**{k: 1e3 * v / n_images for k, v in t.items()}, "other": 1e3 * other / n_images},
            "epoch_60000_s": 60000 * wall / n_images}


def evaluate(learner: DiehlCook, data, n_label: int, n_test: int, batch: int) -> dict:
    """Freeze the learner, label its cells from the first ``n_label`` training images and classify the
    first ``n_test`` test images; learning goes on afterwards from the unchanged state."""
    t1 = time.perf_counter()
    frozen = learner.freeze(batch=batch)
    label_counts = frozen.respond(data.train_images[:n_label])
    labels = assign_labels(label_counts, data.train_labels[:n_label])
    t2 = time.perf_counter()
    test_counts = frozen.respond(data.test_images[:n_test])
    predicted = classify(test_counts, labels)
    test_wall = time.perf_counter() - t2
    spikes = frozen.spikes_per_image
    n = learner.n
    # SynOps: every spike times its fan-out (input -> exc all-to-all, exc -> inh one-to-one,
    # inh -> exc all but self), as benchmarks/mnist_snn_vs_mlp.py counts them
    synops = spikes["input"] * n + spikes["exc"] * 1 + spikes["inh"] * (n - 1)
    return {"accuracy": float(np.mean(predicted == data.test_labels[:n_test])), "test_images": n_test,
            "spikes_per_test_image": spikes, "synops_per_test_image": synops,
            "energy_uJ_per_test_image": synops * PJ_SYNOP / 1e6,
            "label_images": n_label, "test_wall_s": test_wall, "label_wall_s": t2 - t1,
            "test_images_per_s": n_test / test_wall,
            "exc_spikes_per_test_image": float(test_counts.sum(axis=1).mean()),
            "unlabelled_cells": int(np.sum(labels < 0)),
            "cells_per_class": np.bincount(labels[labels >= 0], minlength=10).tolist(),
            "labels": labels, "predicted": predicted, "test_counts": test_counts}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3,000 training and 1,000 test images, N = 100")
    ap.add_argument("--speed", type=int, default=0, metavar="IMAGES",
                    help="only measure the training speed on this many images (no testing, no files but --json)")
    ap.add_argument("--n-excitatory", type=int, default=None, help="excitatory cells (default 400, quick 100)")
    ap.add_argument("--train-images", type=int, default=None, help="training images (default 60000, quick 3000)")
    ap.add_argument("--epochs", type=int, default=1, help="passes over the training images")
    ap.add_argument("--test-each-epoch", action="store_true",
                    help="also label and test after every epoch but the last (not counted as training time)")
    ap.add_argument("--test-every", type=int, default=0, metavar="IMAGES",
                    help="also label and test after every this many training images (not counted as training time)")
    ap.add_argument("--label-images", type=int, default=None,
                    help="training images used to label the cells (default 10000, quick 1000)")
    ap.add_argument("--test-images", type=int, default=None, help="test images (default 10000, quick 1000)")
    ap.add_argument("--block", type=int, default=None, help="online-accuracy block (default 1000, quick 500)")
    ap.add_argument("--batch", type=int, default=250, help="test images run side by side")
    ap.add_argument("--input-delay", type=float, default=10.0, help="input delays in [0, this] ms (0: one step)")
    ap.add_argument("--simulate-rest", action="store_true", help="simulate the 150 ms rest instead of reset_state")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(RESULTS), help="output folder")
    ap.add_argument("--json", default=None, help="write the summary to this JSON file")
    a = ap.parse_args(argv)
    if a.test_every < 0:
        ap.error(f"--test-every must be >= 0 (0: off), got {a.test_every}")
    q = a.quick
    n = a.n_excitatory or (100 if q else 400)
    n_train = a.speed or a.train_images or (3000 if q else 60000)
    n_label = a.label_images or (1000 if q else 10000)
    n_test = a.test_images or (1000 if q else 10000)
    block = a.block or (500 if q else 1000)

    from neurosim.data import load_mnist
    data = load_mnist()
    epochs = max(1, a.epochs)
    order = np.concatenate([np.arange(n_train)] * epochs)
    learner = DiehlCook(n, seed=a.seed, input_delay=a.input_delay, simulate_rest=a.simulate_rest)
    counts = np.zeros((len(order), n), np.int32)
    repeats = np.zeros(len(order), np.int32)
    blocks, online, evaluations = [], [], []
    train_wall = 0.0
    for k, idx in enumerate(order):
        t0 = time.perf_counter()
        counts[k], repeats[k] = learner.present(data.train_images[idx])
        train_wall += time.perf_counter() - t0
        if (k + 1) % block == 0 and k + 1 >= 2 * block:
            prev = slice(k + 1 - 2 * block, k + 1 - block)
            cur = slice(k + 1 - block, k + 1)
            labels = assign_labels(counts[prev], data.train_labels[order[prev]])
            online.append(float(np.mean(classify(counts[cur], labels) == data.train_labels[order[cur]])))
            blocks.append(k + 1)
            print(f"{k + 1} images, {train_wall:.0f} s training: online accuracy {online[-1]:.3f}", flush=True)
        end_of_epoch = (k + 1) % n_train == 0
        checkpoint = a.test_every > 0 and (k + 1) % a.test_every == 0
        if not a.speed and (k + 1 == len(order) or (end_of_epoch and a.test_each_epoch) or checkpoint):
            evaluations.append(evaluate(learner, data, n_label, n_test, a.batch))
            evaluations[-1].update(train_images=k + 1, train_wall_s=train_wall)
            print(f"after {k + 1} images ({train_wall:.0f} s training): test accuracy "
                  f"{evaluations[-1]['accuracy']:.4f} on {n_test} images ({evaluations[-1]['test_wall_s']:.1f} s; "
                  f"labels from {n_label} training images, {evaluations[-1]['label_wall_s']:.1f} s)", flush=True)
    speed = speed_report(learner, train_wall, len(order))
    print(f"training: {len(order)} images in {train_wall:.1f} s; " + json.dumps(speed, indent=None), flush=True)
    summary = {"n_excitatory": n, "train_images": int(len(order)), "train_wall_s": train_wall, "speed": speed,
               "epochs": epochs, "seed": a.seed, "input_delay_ms": a.input_delay, "simulate_rest": a.simulate_rest,
               "mean_repeats": float(repeats.mean()), "online_accuracy": online, "online_blocks": blocks}
    if a.speed:
        if a.json:
            write_json(Path(a.json), summary)
        return 0

    final = evaluations[-1]
    labels, predicted, test_counts = final.pop("labels"), final.pop("predicted"), final.pop("test_counts")
    for e in evaluations[:-1]:
        for key in ("labels", "predicted", "test_counts"):
            e.pop(key)
    pix = data.test_images[:n_test].reshape(n_test, -1).astype(np.float64)
    input_spikes = float(pix.sum(axis=1).mean() / 255.0 * learner.params["input_rate"] * learner.params["present"]
                         / 1000.0)
    summary.update({k: v for k, v in final.items() if k not in ("train_images", "train_wall_s")})
    summary.update({"input_spikes_per_test_image_expected": input_spikes,
                    "test_after_epoch": [{k: e[k] for k in ("train_images", "train_wall_s", "accuracy")}
                                         for e in evaluations]})
    out = Path(a.out)
    settings = {k: v for k, v in summary.items() if not isinstance(v, (list, dict))}
    save_h5(out / "stdp_mnist.h5",
            {"weights": learner.weights, "theta": learner.theta, "delays": learner.delays, "labels": labels,
             "online_blocks": np.asarray(blocks, np.int64), "online_accuracy": np.asarray(online),
             "train_spikes": counts.sum(axis=1), "train_repeats": repeats, "train_order": order,
             "test_predicted": predicted, "test_spikes": test_counts.sum(axis=1)},
            {**settings, "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in learner.params.items()},
             "speed": speed})
    save_figures(out, learner.weights, blocks, online,
                 [(e["train_images"], e["accuracy"]) for e in summary["test_after_epoch"]])
    if a.json:
        write_json(Path(a.json), summary)
    print(f"wrote {out / 'stdp_mnist.h5'}, {out / 'stdp_mnist_fields.png'}, {out / 'stdp_mnist_accuracy.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
