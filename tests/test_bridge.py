"""The bridge: LIF rate functions against the simulator, rate-model gradients, conversion.

MNIST-dependent tests use $NEUROSIM_DATA/mnist (no download); when the files are not there
(``DataNotFoundError``) the training/conversion tests run on a synthetic 10-class data set
instead and say so with a ``UserWarning`` (shown in pytest's warnings summary).  A file that is
there but corrupted (``ChecksumError``, ``IDXFormatError``, other ``DataError``) is an error,
never silently replaced by synthetic data.
"""
import warnings

import numpy as np
import pytest

import neurosim as ns
from neurosim.bridge.rates import (lif_rate, lif_rate_grid, lif_isi_grid, soft_lif_rate, soft_lif_rate_and_grad,
                                   lif_current_for_rate, lif_current_for_rate_grid, rheobase, U_FLOOR)
from neurosim.bridge.model import RateModel
from neurosim.bridge.convert import to_network, synaptic_weights
from neurosim.bridge.evaluate import evaluate, latency, predictions_over_time

CELL = ns.LIFCurr()          # the bridge's neuron: tau_m 10 ms, c_m 250 pF, 15 mV to threshold, t_ref 2 ms


def _measured_isi(currents, dt, duration):
    """Mean inter-spike interval (ms) after the first spike, per neuron, from a simulation."""
    net = ns.Network(dt=dt, seed=0)
    pop = net.population("p", len(currents), CELL)
    net.inject(pop, np.asarray(currents, dtype=float))
    mon = net.monitor(pop, "spikes")
    net.run(duration, progress=False)
    trains = mon.spike_trains()
    isi = np.full(len(currents), np.inf)
    n_spk = np.zeros(len(currents), int)
    for i, t in trains.items():
        n_spk[i] = t.size
        if t.size >= 3:
            isi[i] = (t[-1] - t[1]) / (t.size - 2)
    return isi, n_spk


def test_rate_function_matches_simulator():
    """Continuous rate within 1 % (> 5 Hz) at a fine step; the on-grid ISI exactly at dt = 0.1, 1 ms."""
    i_th = rheobase(CELL)
    assert i_th == pytest.approx(375.0)
    # the rate rises steeply at the rheobase: 5-10 Hz lie within 0.01 pA of it
    currents = np.concatenate([[0.5 * i_th, 0.99 * i_th],
                               i_th + np.array([1e-6, 1e-3, 0.1, 2.0, 20.0, 100.0, 300.0, 800.0, 2000.0, 5000.0])])
    rate = lif_rate(currents, CELL)
    assert rate[0] == rate[1] == 0.0 and 5.0 < rate[2] < 6.0
    assert rate[-1] > 300.0                                                # the test spans 5..300+ Hz

    isi, n_spk = _measured_isi(currents, dt=0.01, duration=1200.0)
    assert n_spk[0] == n_spk[1] == 0                                         # silent below the rheobase
    measured = np.where(np.isfinite(isi), 1000.0 / isi, 0.0)
    sel = rate > 5.0
    assert sel.sum() == 10
    rel = np.abs(measured[sel] - rate[sel]) / rate[sel]
    assert rel.max() < 0.01, rel
    # the on-grid rate at the same step is closer still
    grid = lif_rate_grid(currents, CELL, 0.01)
    assert np.all(np.abs(measured[sel] - grid[sel]) / grid[sel] < 1e-9)

    for dt in (0.1, 1.0):
        isi, _ = _measured_isi(currents, dt=dt, duration=1000.0)
        want = lif_isi_grid(currents, CELL, dt)
        sel = np.isfinite(want) & (want < 300.0)
        assert np.all(np.isfinite(isi[sel]))
        np.testing.assert_allclose(isi[sel], want[sel], rtol=1e-9)
        # the brief's closed form: t_ref + dt (ceil(T/dt) - 1) (T/dt is never an integer here)
        T = CELL.tau_m * np.log1p((CELL.c_m * (CELL.v_th - CELL.v_reset) / CELL.tau_m) / (currents[sel] - i_th))
        np.testing.assert_allclose(isi[sel], CELL.t_ref + dt * (np.ceil(T / dt) - 1), rtol=1e-9)
    # at a coarse step the continuous rate underestimates the staircase by ~9 % on average; the
    # t_ref - dt/2 correction removes that bias
    i_many = i_th * np.linspace(1.05, 6.0, 200)
    grid = lif_rate_grid(i_many, CELL, 1.0)
    bias_plain = np.mean((lif_rate(i_many, CELL) - grid) / grid)
    bias_corr = np.mean((lif_rate(i_many, CELL, dt=1.0) - grid) / grid)
    assert bias_plain < -0.05 and abs(bias_corr) < 0.005


def test_soft_lif_and_inverse():
    i = np.linspace(-1000.0, 4000.0, 501)
    hard = lif_rate(i, CELL)
    for gamma in (1.0, 10.0, 50.0):
        soft, grad = soft_lif_rate_and_grad(i, CELL, gamma)
        assert np.all(soft >= hard - 1e-9) and np.all(np.diff(soft) >= 0)     # above the LIF, monotonic
        live = i[1:] > rheobase(CELL) - U_FLOOR * gamma                        # (held below the floor)
        assert np.all(np.diff(soft)[live] > 0)
        h = 1e-3
        fd = (soft_lif_rate(i + h, CELL, gamma) - soft_lif_rate(i - h, CELL, gamma)) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-9)
    far = i > rheobase(CELL) + 200.0
    soft = soft_lif_rate(i, CELL, 0.5)
    np.testing.assert_allclose(soft[far], hard[far], rtol=1e-6)
    # float32 in, float32 out, same values
    s32 = soft_lif_rate(i.astype(np.float32), CELL, 10.0)
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s32, soft_lif_rate(i, CELL, 10.0), rtol=2e-5, atol=1e-3)
    # inverses
    r = np.array([0.0, 9.0, 40.0, 150.0, 400.0])
    np.testing.assert_allclose(lif_rate(lif_current_for_rate(r, CELL), CELL), r, rtol=1e-10)
    cur, attained = lif_current_for_rate_grid(r, CELL, 1.0)
    np.testing.assert_allclose(lif_rate_grid(cur, CELL, 1.0), attained, rtol=1e-12)
    assert np.all(np.abs(1000.0 / attained[1:] - 1000.0 / r[1:]) <= 0.5 + 1e-9)   # ISI rounded to a step


@pytest.mark.parametrize("output", ["linear", "lif"])
def test_rate_model_gradients_finite_difference(output):
    rng = np.random.default_rng(3)
    m = RateModel((12, 9, 7, 4), seed=1, dtype=np.float64, output=output, dt=1.0, gamma=20.0, noise=0.0)
    x = rng.random((6, 12))
    y = rng.integers(0, 4, 6)
    _, gw, gb = m.loss_and_grads(x, y)
    num, ana = [], []
    for l in range(m.n_layers):
        for p, g in ((m.weights[l], gw[l]), (m.biases[l], gb[l])):
            for idx in np.ndindex(p.shape):
                old = p[idx]
                h = 1e-6
                p[idx] = old + h
                lp = m.loss_and_grads(x, y)[0]
                p[idx] = old - h
                lm = m.loss_and_grads(x, y)[0]
                p[idx] = old
                num.append((lp - lm) / (2 * h))
                ana.append(g[idx])
    num, ana = np.array(num), np.array(ana)
    assert np.abs(ana).max() > 1e-3                    # not a vacuous check
    assert np.linalg.norm(num - ana) / np.linalg.norm(num + ana) < 1e-5
    floor = 1e-3 * np.abs(ana).max()                   # below this, central differences are round-off
    rel = np.abs(num - ana) / np.maximum(np.abs(num) + np.abs(ana), floor)
    assert rel.max() < 1e-5, rel.max()


def test_rate_model_save_load(tmp_path):
    m = RateModel((6, 5, 3), seed=2, output="lif", dt=0.5, max_rate=150.0, train_mode="surrogate")
    x = np.random.default_rng(0).random((4, 6)).astype(np.float32)
    path = m.save(tmp_path / "m", extra={"note": "x"})
    m2 = RateModel.load(path)
    assert m2.sizes == m.sizes and m2.output == "lif" and m2.dt == 0.5 and m2.max_rate == 150.0
    assert m2.neuron == m.neuron and m2.train_mode == "surrogate" and m2.extra == {"note": "x"}
    np.testing.assert_array_equal(m2.logits(x), m.logits(x))


def test_weight_conversion_reproduces_mean_current():
    """A presynaptic rate rho through w (pA) and tau_syn gives the model's current."""
    m = RateModel((5, 4, 3), seed=0, dt=1.0)
    w = synaptic_weights(m, 0, input_rate=100.0, tau_syn=2.0)
    rho = np.array([10.0, 0.0, 50.0, 100.0, 30.0])
    mean_current = rho @ w * 2.0 / 1000.0
    np.testing.assert_allclose(mean_current, m.current_scale * (rho / 100.0) @ m.weights[0], rtol=1e-6)
    conv = to_network(m, np.full((2, 5), 0.5), "poisson", input_rate=100.0, tau_syn=2.0)
    c = conv.net.connections(conv.net.projections[0])
    got = np.zeros((5, 4))
    got[c["pre"], c["post"]] = c["weight"]["I_syn"]
    np.testing.assert_allclose(got, w, rtol=1e-12)
    assert conv.layers == ["input", "hidden1", "output"] and conv.fan_out == {"input": 4, "hidden1": 3, "output": 0}


def test_latency_and_count_readout():
    t = np.arange(1, 11, dtype=float)
    acc = np.array([.1, .5, .9, .95, .93, .96, .955, .96, .96, .96])
    assert latency(t, acc, 0.005) == 6.0
    assert latency(t, acc, 0.06) == 3.0
    assert latency(t, acc, 0.05) == 4.0
    assert latency(t, acc, 0.0) == 8.0


# ------------------------------------------------------------------ conversion on trained nets
def _dataset():
    """(x_train, y_train, x_test, y_test): MNIST subsets if available, else synthetic 10 classes."""
    from neurosim.data import load_mnist, DataNotFoundError
    try:
        d = load_mnist(download=False)
    except DataNotFoundError as exc:                   # no local MNIST (only this): a synthetic 784-pixel task
        warnings.warn(f"MNIST not available ({str(exc).splitlines()[0]}); test_bridge.py trains and converts "
                      f"on a SYNTHETIC 10-class data set instead", UserWarning)
        rng = np.random.default_rng(0)
        protos = rng.random((10, 784)) < 0.15
        def draw(n):
            y = rng.integers(0, 10, n)
            x = np.where(rng.random((n, 784)) < 0.1, ~protos[y], protos[y]) * rng.uniform(0.5, 1.0, (n, 784))
            return x.astype(np.float32), y
        xtr, ytr = draw(6000)
        xte, yte = draw(200)
        return xtr, ytr, xte, yte, False
    return d.train_images[:12000], d.train_labels[:12000], d.test_images[:200], d.test_labels[:200], True


@pytest.fixture(scope="module")
def small_trained():
    xtr, ytr, xte, yte, is_mnist = _dataset()
    m = RateModel((784, 100, 10), seed=0, dt=1.0)
    m.fit(xtr, ytr, epochs=3, batch_size=128, lr=2e-3, dropout_in=0.1, dropout_hidden=0.2)
    return m, xte, yte, is_mnist


def test_rate_model_learns(small_trained):
    m, xte, yte, is_mnist = small_trained
    acc = m.accuracy(xte, yte)
    assert acc > (0.88 if is_mnist else 0.9), acc


@pytest.mark.parametrize("encoding", ["current", "analog"])
def test_conversion_preserves_predictions(small_trained, encoding):
    """Constant-current input, long simulation: >= 95 % agreement with the rate model."""
    m, xte, yte, _ = small_trained
    pred = m.predict(xte)
    ev = evaluate(m, xte, yte, encoding, duration=200.0, batch_size=200, every=10.0, rate_model_predictions=pred)
    assert ev.agreement >= 0.95, ev.agreement
    assert abs(ev.final_accuracy - np.mean(pred == yte)) <= 0.05
    assert ev.times[-1] == 200.0 and ev.accuracy.shape == ev.times.shape
    assert ev.spikes_per_image["hidden1"] > 0
    if encoding == "current":
        assert ev.spikes_per_image["input"] > 0 and ev.macs_per_image == 0
        assert ev.synops_per_image == pytest.approx(ev.spikes_per_image["input"] * 100
                                                    + ev.spikes_per_image["hidden1"] * 10)
    else:
        assert "input" not in ev.spikes_per_image and ev.macs_per_image == 784 * 100


def test_lif_output_count_readout():
    """Output LIF layer: scores are spike counts with a membrane-potential tie-breaker."""
    m = RateModel((4, 3, 2), seed=0, output="lif", dt=1.0)
    m.weights[0][...] = 0.0
    m.weights[1][...] = 0.0
    m.biases[1][...] = np.array([0.0, 1.5])          # output 1 fires, output 0 is silent
    conv = to_network(m, np.zeros((3, 4)), "analog", random_init=False)
    conv.net.run(50.0, progress=False)
    times = np.array([10.0, 50.0])
    sc = predictions_over_time(conv, 3, times, conv.net.get(conv.net.populations[-1], "v"))
    assert sc.shape == (2, 3, 2)
    assert np.all(np.argmax(sc, axis=2) == 1)
    n1 = conv.monitors["spikes"]["output"].count[1] / 3
    assert sc[1, 0, 1] == pytest.approx(n1, abs=0.5) and n1 > 5


# ------------------------------------------------------------------ the default (Poisson) input encoding
def test_poisson_input_spike_counts_match_documented_rates():
    """``to_network`` with the default encoding (``"poisson"``): pixel i of image b is a Poisson
    source of trial b at ``input_rate * intensity`` Hz (intensity = uint8 / 255, input_rate
    given explicitly here); a source fires in a step with probability ``rate * dt / 1000``, so
    its count over ``n`` steps is Binomial(n, p).  Checked against that, independently of the
    library: black pixels never fire; the total count is within 5 sqrt(expected) of the
    expectation; the regression slope of count on expectation (through 0) is 1 within 5 of its
    standard deviations; and the per-pixel chi-square (exact binomial variances, also of the
    statistic itself) is within 5 standard deviations of its mean -- which also catches rates
    sent to the wrong pixel or the wrong trial."""
    rng = np.random.default_rng(7)
    n_img, dt, duration, rate_white = 4, 1.0, 500.0, 200.0
    images = rng.integers(0, 256, (n_img, 784)).astype(np.uint8)
    images[rng.random((n_img, 784)) < 0.2] = 0                          # black pixels, as in MNIST
    images[:, :8] = 255                                                  # some white ones
    m = RateModel((784, 10, 10), seed=0, dt=dt, max_rate=rate_white)
    conv = to_network(m, images, input_rate=rate_white, seed=5, record_spikes=("input",),
                      record_rates=False, sample_every=0)                # default encoding
    assert conv.encoding == "poisson"
    conv.net.run(duration, progress=False)
    mon = conv.monitors["spikes"]["input"]
    counts = np.zeros((n_img, 784))
    np.add.at(counts, (mon.trial, mon.i), 1.0)

    n_steps = int(round(duration / dt))
    p = images.astype(np.float64) / 255.0 * rate_white * dt / 1000.0      # spike probability per step
    e = n_steps * p                                                       # expected count per pixel
    var = n_steps * p * (1.0 - p)
    black = images == 0
    assert counts[black].sum() == 0
    total, exp_total = counts.sum(), e.sum()
    print(f"input spikes {total:.0f}, expected {exp_total:.0f} +- {np.sqrt(exp_total):.0f}")
    assert abs(total - exp_total) < 5.0 * np.sqrt(exp_total)
    live = ~black
    c, ev, vv = counts[live], e[live], var[live]
    slope = (c * ev).sum() / (ev ** 2).sum()
    slope_sd = np.sqrt((ev ** 2 * vv).sum()) / (ev ** 2).sum()
    assert abs(slope - 1.0) < 5.0 * slope_sd, (slope, slope_sd)
    # chi-square: E[(X-mu)^2/var] = 1, Var = 2 + (1 - 6 p q) / (n p q) for a binomial
    pl = p[live]
    chi2 = ((c - ev) ** 2 / vv).sum()
    chi2_sd = np.sqrt((2.0 + (1.0 - 6.0 * pl * (1.0 - pl)) / vv).sum())
    print(f"slope {slope:.4f} +- {slope_sd:.4f}; chi2 {chi2:.0f} for {c.size} pixels +- {chi2_sd:.0f}")
    assert abs(chi2 - c.size) < 5.0 * chi2_sd


# ------------------------------------------------------------------ the data-set fallback of this file
def test_dataset_fallback_only_when_mnist_is_missing(monkeypatch):
    """Missing MNIST -> synthetic data with a warning; a corrupted file -> the error propagates."""
    import neurosim.data as nd
    from neurosim.data import ChecksumError, IDXFormatError, DataNotFoundError

    def missing(**kw):
        raise DataNotFoundError("no MNIST here")
    monkeypatch.setattr(nd, "load_mnist", missing)
    with pytest.warns(UserWarning, match="SYNTHETIC"):
        *_, is_mnist = _dataset()
    assert is_mnist is False
    for err in (ChecksumError("train-images-idx3-ubyte: SHA-256 mismatch"), IDXFormatError("truncated")):
        def corrupt(err=err, **kw):
            raise err
        monkeypatch.setattr(nd, "load_mnist", corrupt)
        with pytest.raises(type(err)):
            _dataset()
