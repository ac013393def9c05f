"""Plots: they draw exactly the data asked for, write PNGs, accept a Result or a path and an Axes,
and a 10-million-spike raster renders in seconds."""
import time

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neurosim import plots
from neurosim.io.hdf5 import write_result
from neurosim.result import PopulationRate, Result, SpikeTrains, StateTrace, WeightTable

PNG = b"\x89PNG\r\n\x1a\n"


def _trains(rng, name, n, n_spk, n_trials=1, t_max=100.0, recorded=None):
    t = rng.uniform(0.0, t_max, n_spk)
    ids = rng.integers(0, n, n_spk)
    tr = rng.integers(0, n_trials, n_spk).astype(np.int32)
    rec = np.arange(n) if recorded is None else np.asarray(recorded)
    if recorded is not None:
        keep = np.isin(ids, rec)
        t, ids, tr = t[keep], ids[keep], tr[keep]
    o = np.argsort(t, kind="stable")
    return SpikeTrains(name, n, ids[o].astype(np.int64), t[o], tr[o], rec, n_trials)


@pytest.fixture
def result():
    rng = np.random.default_rng(1)
    batch = 2
    spikes = {"exc": _trains(rng, "exc", 40, 4000, batch), "inh": _trains(rng, "inh", 10, 1500, batch)}
    times = np.arange(200) * 0.5
    v = -60.0 + rng.normal(0.0, 2.0, (200, batch, 4))
    states = {("exc", "v"): StateTrace("exc", "v", "mV", np.array([1, 4, 9, 20]), np.arange(batch), times, v),
              ("exc", "g_AMPA"): StateTrace("exc", "g_AMPA", "nS", np.array([1, 4, 9, 20]), np.arange(batch), times,
                                            rng.random((200, batch, 4)))}
    rates = {"exc": PopulationRate("exc", 40, batch, 0.1, rng.integers(0, 5, 1000).astype(np.int32))}
    pre = np.array([0, 0, 1, 2, 2, 3])
    post = np.array([1, 2, 0, 1, 1, 3])         # (2, 1) is a multapse
    w = np.array([0.5, 1.0, 2.0, 0.25, 0.75, 3.0])
    weights = {"exc_to_inh": WeightTable("exc_to_inh", "AMPA", pre, post, np.full(6, 1.0), w,
                                         snapshot_times=np.array([0.0]), snapshots=np.ones((1, 6)))}
    spec = {"populations": [{"name": "exc", "n": 40}, {"name": "inh", "n": 10}],
            "projections": [{"name": "exc_to_inh", "pre": "exc", "post": "inh"}]}
    return Result(spikes, states, rates, weights, spec, {"dt": 0.1, "duration": 100.0, "batch": batch})


def _raster_lines(fig):
    return {ln.get_gid().split(":", 1)[1]: ln for ax in fig.axes for ln in ax.lines
            if (ln.get_gid() or "").startswith("raster:")}


def test_raster_draws_exactly_the_spikes_in_its_window(result):
    t0, t1, trial = 20.0, 60.0, 1
    fig = plots.raster(result, t_window=(t0, t1), trial=trial)
    lines = _raster_lines(fig)
    assert set(lines) == {"exc", "inh"}
    for name, st in result.spikes.items():
        expected = np.count_nonzero((st.times >= t0) & (st.times < t1) & (st.trials == trial))
        assert len(lines[name].get_xdata()) == expected > 0
        x = np.asarray(lines[name].get_xdata())
        assert x.min() >= t0 and x.max() < t1
    # all trials: every spike in the window
    fig = plots.raster(result, t_window=(t0, t1), trial=None)
    for name, st in result.spikes.items():
        assert len(_raster_lines(fig)[name].get_xdata()) == np.count_nonzero((st.times >= t0) & (st.times < t1))


def test_raster_neuron_subset_rows_and_labels(result):
    subset = [3, 7, 30]
    fig = plots.raster(result, neurons={"exc": subset}, trial=0, rate=False)
    lines = _raster_lines(fig)
    st = result.spikes["exc"]
    sel = np.isin(st.node_ids, subset) & (st.trials == 0)
    x, y = np.asarray(lines["exc"].get_xdata()), np.asarray(lines["exc"].get_ydata())
    assert x.size == np.count_nonzero(sel)
    # neuron 7 is the second row (y = 1), in time order
    assert np.array_equal(x[y == 1], st.times[sel & (st.node_ids == 7)])
    # inh rows come after the 3 exc rows: neuron k of inh is at y = 3 + k
    si = result.spikes["inh"]
    yi = np.asarray(lines["inh"].get_ydata())
    assert np.array_equal(np.sort(yi), np.sort(3 + si.node_ids[si.trials == 0].astype(float)))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.child_axes[0].get_yticklabels()] == ["exc", "inh"]   # names on the right
    ticks = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]))
    assert ticks[0] == "3" and ticks[3] == "0"              # neuron indices: exc row 0 is neuron 3, inh row 0 is 0
    assert lines["exc"].get_color() != lines["inh"].get_color()
    assert lines["exc"].get_rasterized()


def test_raster_rate_histogram_underneath(result):
    fig = plots.raster(result, populations="exc", t_window=(0.0, 100.0), trial=0, bin_ms=10.0)
    assert len(fig.axes) == 2
    rate_ax = fig.axes[1]
    steps = [p for p in rate_ax.patches]
    assert len(steps) == 1
    heights = steps[0].get_data().values
    st = result.spikes["exc"]
    counts, _ = np.histogram(st.times[st.trials == 0], bins=np.arange(0.0, 100.0 + 5.0, 10.0))
    assert np.allclose(heights, counts / (40 * 0.010))


def test_every_plot_writes_a_png_from_result_or_path(result, tmp_path):
    path = tmp_path / "res.h5"
    write_result(result, path)
    makers = {
        "raster": lambda r: plots.raster(r),
        "rates": lambda r: plots.plot_rates(r),
        "traces": lambda r: plots.plot_traces(r, population="exc"),
        "isi": lambda r: plots.plot_isi(r),
        "cv": lambda r: plots.plot_cv(r),
        "wmatrix": lambda r: plots.plot_weight_matrix(r),
        "whist": lambda r: plots.plot_weight_hist(r),
        "weights": lambda r: plots.plot_weights(r),
    }
    for name, make in makers.items():
        for src in (result, path, str(path)):
            fig = make(src)
            assert isinstance(fig, Figure)
            out = tmp_path / f"{name}.png"
            fig.savefig(out)
            assert out.read_bytes()[:8] == PNG and out.stat().st_size > 1000


def test_plots_draw_into_a_given_axes(result):
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for fn in (plots.raster, plots.plot_rates, plots.plot_isi, plots.plot_cv, plots.plot_weight_matrix,
               plots.plot_weight_hist):
        assert fn(result, ax=ax) is fig
    assert plots.plot_traces(result, variables="v", ax=ax) is fig
    assert len(fig.axes) >= 2          # + the weight-matrix colour bar


def test_traces_draw_the_recorded_values(result):
    fig = plots.plot_traces(result, population="exc", variables=["v"], indices=[4, 20], trial=1)
    ax = fig.axes[0]
    tr = result.states[("exc", "v")]
    assert len(ax.lines) == 2
    assert np.array_equal(ax.lines[0].get_ydata(), tr.values[:, 1, 1])
    assert np.array_equal(ax.lines[1].get_ydata(), tr.values[:, 1, 3])
    assert "mV" in ax.get_ylabel()
    two = plots.plot_traces(result, population="exc")
    assert len(two.axes) == 2 and "nS" in two.axes[1].get_ylabel()
    with pytest.raises(KeyError, match="not recorded"):
        plots.plot_traces(result, indices=[5])


def test_rates_use_the_recorded_counts(result):
    fig = plots.plot_rates(result, populations="exc", window=0.0)
    y = fig.axes[0].lines[0].get_ydata()
    r = result.rates["exc"]
    assert np.allclose(y, r.counts / (40 * 2 * 0.1e-3))
    # a population without a rate record falls back to a spike histogram
    fig = plots.plot_rates(result, populations="inh", window=10.0)
    y = fig.axes[0].lines[0].get_ydata()
    si = result.spikes["inh"]
    counts, _ = np.histogram(si.times, bins=np.arange(0.0, 105.0, 10.0))
    assert np.allclose(y, counts / (10 * 2 * 0.010))


def test_isi_and_cv_values():
    ids = np.array([0, 1, 0, 1, 0, 0])
    ts = np.array([1.0, 2.0, 3.0, 6.0, 7.0, 15.0])
    isi, key = plots.intervals(ids, ts)
    assert sorted(isi.tolist()) == [2.0, 4.0, 4.0, 8.0]
    cv = plots.cv_values(ids, ts, min_spikes=3)             # neuron 1 has only 2 spikes
    x = np.array([2.0, 4.0, 8.0])
    assert np.allclose(cv, [x.std() / x.mean()])
    rng = np.random.default_rng(3)
    st = _trains(rng, "p", 30, 3000, n_trials=2)
    res = Result(spikes={"p": st}, meta={"duration": 100.0})
    assert np.isclose(plots.cv_values(st.node_ids, st.times, st.trials).mean(), res.cv_isi("p"))


def test_weight_matrix_values(result):
    m, unit, blocks = plots.weight_matrix(result)
    assert m.shape == (40, 10) and unit == "nS" and blocks == (1, 1)
    assert m[0, 1] == 0.5 and m[0, 2] == 1.0 and m[1, 0] == 2.0 and m[3, 3] == 3.0
    assert m[2, 1] == 0.25 + 0.75                       # multapse summed
    assert np.count_nonzero(~np.isnan(m)) == 5
    ms, _, _ = plots.weight_matrix(result, snapshot=0)
    assert ms[2, 1] == 2.0
    # block means above max_size
    n = 3000
    pre, post = np.arange(n), np.arange(n)
    w = np.arange(n, dtype=float)
    big = Result(weights={"p": WeightTable("p", "AMPA", pre, post, np.ones(n), w)})
    mb, _, blocks = plots.weight_matrix(big, max_size=1000)
    assert blocks == (3, 3) and mb.shape == (1000, 1000)
    assert mb[0, 0] == np.mean([0.0, 1.0, 2.0]) and np.isnan(mb[0, 1])


def test_ten_million_spike_raster_renders_in_seconds(tmp_path):
    n = 10_000_000
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0.0, 1000.0, n))
    n_exc = 8000
    ids = rng.integers(0, 10000, n)
    exc = ids < n_exc
    spikes = {"exc": SpikeTrains("exc", n_exc, ids[exc], t[exc], np.zeros(exc.sum(), np.int32), np.arange(n_exc)),
              "inh": SpikeTrains("inh", 2000, ids[~exc] - n_exc, t[~exc], np.zeros((~exc).sum(), np.int32),
                                 np.arange(2000))}
    del ids, t, exc
    res = Result(spikes=spikes, meta={"duration": 1000.0, "dt": 0.1})
    out = tmp_path / "big.png"
    start = time.perf_counter()
    fig = plots.raster(res, neurons=None)           # all 10000 neurons
    fig.savefig(out, dpi=100)
    elapsed = time.perf_counter() - start
    print(f"\n10M-spike raster rendered to PNG in {elapsed:.1f} s")
    assert sum(len(ln.get_xdata()) for ln in _raster_lines(fig).values()) == n
    assert out.read_bytes()[:8] == PNG
    assert elapsed < 60.0, f"10M-spike raster took {elapsed:.1f} s"


# ----------------------------------------------------------------------------- trials, subsets, readability
from neurosim.errors import SelectionError          # noqa: E402
from neurosim.plots.raster import MAX_NEURONS, nice_bin, rate_edges  # noqa: E402

PLOTS_WITH_TRIAL = {
    "raster": lambda r, k: plots.raster(r, trial=k),
    "rates": lambda r, k: plots.plot_rates(r, trial=k),
    "traces": lambda r, k: plots.plot_traces(r, trial=k),
    "weights": lambda r, k: plots.plot_weights(r, trial=k),
    "isi": lambda r, k: plots.plot_isi(r, trial=k),
    "cv": lambda r, k: plots.plot_cv(r, trial=k),
}


@pytest.mark.parametrize("kind", sorted(PLOTS_WITH_TRIAL))
def test_every_plot_refuses_a_trial_out_of_range(result, kind):
    # the fixture has 2 trials: trial 7 is named with the valid range; so are -1 and a non-integer
    for bad, words in ((7, ["trial 7", "2 trials", "0 to 1"]), (-1, ["trial -1", "0 to 1"]), (1.5, ["1.5"])):
        with pytest.raises(SelectionError) as err:
            PLOTS_WITH_TRIAL[kind](result, bad)
        for w in words:
            assert w in str(err.value), (kind, bad, str(err.value))
    assert isinstance(PLOTS_WITH_TRIAL[kind](result, 1), Figure)


def test_spike_counts_refuse_a_trial_out_of_range(result):
    st = result.spikes["exc"]
    with pytest.raises(ValueError, match=r"exc: trial 7 does not exist: the result has 2 trials \(valid: 0 to 1\)"):
        st.count(trial=7)
    with pytest.raises(ValueError, match="trial 2 does not exist"):
        st.trains(trial=2)
    assert st.count(trial=1).sum() == np.count_nonzero(st.trials == 1)


def test_isi_and_cv_plots_use_only_the_chosen_trial(result):
    fig = plots.plot_isi(result, populations="exc", trial=1)
    st = result.spikes["exc"]
    one = st.trials == 1
    isi, _ = plots.intervals(st.node_ids[one], st.times[one])
    assert f"exc (n={isi.size})" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    cvs = plots.cv_values(st.node_ids[one], st.times[one])
    fig = plots.plot_cv(result, populations="exc", trial=1)
    assert f"exc (mean {cvs.mean():.2f}, n={cvs.size})" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_rates_of_one_trial_are_recomputed_from_its_spikes(result):
    # result.rates holds counts summed over the 2 trials: trial 1 comes from its spikes, 10 ms bins
    fig = plots.plot_rates(result, populations="exc", window=10.0, trial=1)
    y = fig.axes[0].lines[0].get_ydata()
    st = result.spikes["exc"]
    counts, _ = np.histogram(st.times[st.trials == 1], bins=np.arange(0.0, 105.0, 10.0))
    assert np.allclose(y, counts / (40 * 0.010))
    assert "trial 1" in fig.axes[0].get_title()
    # a population with a rate record but no spikes cannot give one trial's rate
    no_spikes = Result(rates=result.rates, meta=result.meta)
    with pytest.raises(SelectionError, match=r"summed over the 2 trials.*trial 1.*spikes"):
        plots.plot_rates(no_spikes, trial=1)


def test_unknown_population_is_one_clear_error(result):
    with pytest.raises(SelectionError) as err:
        plots.raster(result, populations="zzz")
    assert str(err.value) == "no spike record 'zzz' in this result; available: exc, inh"


def _coba_like(n_exc=3200, n_inh=800, duration=400.0, seed=5):
    """Spikes of an asynchronous E/I network at ~20 Hz with a start-up burst in the first 5 ms."""
    rng = np.random.default_rng(seed)
    spikes = {}
    for name, n in (("exc", n_exc), ("inh", n_inh)):
        k = int(n * 20.0 * duration * 1e-3)
        t = np.concatenate([rng.uniform(0.0, duration, k), rng.uniform(0.0, 5.0, n)])   # every cell fires at start
        ids = np.concatenate([rng.integers(0, n, k), np.arange(n)])
        o = np.argsort(t, kind="stable")
        spikes[name] = SpikeTrains(name, n, ids[o], t[o], np.zeros(t.size, np.int32), np.arange(n))
    spec = {"populations": [{"name": "exc", "n": n_exc}, {"name": "inh", "n": n_inh}]}
    return Result(spikes=spikes, spec=spec, meta={"dt": 0.1, "duration": duration, "seed": seed, "batch": 1})


def test_default_raster_shows_a_readable_subset_with_real_neuron_indices():
    res = _coba_like()
    fig = plots.raster(res)
    lines = _raster_lines(fig)
    ax = fig.axes[0]
    # 200 neurons: every 20th of exc (160 rows) and of inh (40 rows), as the title says
    for name, n_rows in (("exc", 160), ("inh", 40)):
        st = res.spikes[name]
        sel = st.node_ids % 20 == 0
        assert len(lines[name].get_xdata()) == np.count_nonzero(sel)
    assert "200 of 4000 recorded neurons shown" in ax.get_title()
    assert "N = 4000 neurons" in ax.get_title() and "seed 5" in ax.get_title()
    assert f"{sum(st.num_spikes for st in res.spikes.values()):,} spikes" in ax.get_title()
    assert MAX_NEURONS == 200
    # the y ticks are neuron indices of the rows they sit at (exc rows 0..159, then inh)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = ax.get_yticks()
    for y, lab in zip(ticks, labels):
        row = int(round(y))
        assert int(lab) == (row * 20 if row < 160 else (row - 160) * 20), (y, lab)
    assert "0" in labels and "3000" in labels and "400" in labels
    # population names sit on the right axis, in their colours
    side = ax.child_axes[0] if ax.child_axes else None
    assert side is not None and [t.get_text() for t in side.get_yticklabels()] == ["exc", "inh"]
    # all neurons on request
    full = plots.raster(res, neurons=None, rate=False)
    assert sum(len(ln.get_xdata()) for ln in _raster_lines(full).values()) == sum(st.num_spikes for st in
                                                                                 res.spikes.values())


def test_rate_panel_bins_label_last_bin_and_transient():
    res = _coba_like()
    fig = plots.raster(res)
    rate_ax = fig.axes[1]
    assert rate_ax.get_ylabel() == "rate (Hz, 2 ms bins)"            # 400 ms / 200 -> 2 ms
    exc = rate_ax.patches[0]
    edges, hz = exc.get_data().edges, exc.get_data().values
    assert edges[0] == 0.0 and edges[-1] == 400.0 and np.allclose(np.diff(edges), 2.0)
    assert exc.get_data().baseline is None                        # no vertical drop at the ends
    # the rate is that of all 3200 exc neurons, not only the 160 drawn
    st = res.spikes["exc"]
    counts, _ = np.histogram(st.times, bins=edges)
    assert np.allclose(hz, counts / (3200 * 2.0e-3))
    # the start-up burst (every cell in the first 5 ms: ~160 Hz) does not set the y range
    late = max(float(p.get_data().values[25:].max()) for p in rate_ax.patches)     # after 50 ms
    assert rate_ax.get_ylim() == (0.0, pytest.approx(1.15 * late))
    assert any("start-up transient clipped" in t.get_text() for t in rate_ax.texts)


def test_rate_bins_divide_by_their_own_width():
    assert nice_bin(1000.0) == 5.0 and nice_bin(100.0) == 0.5 and nice_bin(37.0) == 0.2
    # 454 spikes in 200 ms: 1 ms bins would hold ~2; bins of >= 4.4 ms hold >= 10 -> 5 ms
    assert nice_bin(200.0, fewest_spikes=454) == 5.0 and nice_bin(1000.0, fewest_spikes=16735) == 5.0
    assert nice_bin(200.0, fewest_spikes=3) == 20.0                  # at most a tenth of the window
    e = rate_edges(0.0, 103.0, 10.0)                 # a 3 ms remainder joins the last bin
    assert e[-1] == 103.0 and e[-2] == 90.0 and e.size == 11
    e = rate_edges(0.0, 107.0, 10.0)                 # a 7 ms remainder is its own bin
    assert e[-1] == 107.0 and e[-2] == 100.0
    # a constant-rate train gives the same rate in the short last bin
    t = np.arange(0.0, 107.0, 0.5)
    res = Result(spikes={"p": SpikeTrains("p", 1, np.zeros(t.size, np.int64), t, np.zeros(t.size, np.int32),
                                          np.arange(1))}, meta={"duration": 107.0})
    hz = plots.raster(res, bin_ms=10.0).axes[1].patches[0].get_data().values
    assert np.allclose(hz, 2000.0)
