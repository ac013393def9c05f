"""Result -> Neo (neurosim.io.neo.to_neo / Result.to_neo) checked with the real Neo and Elephant:
the spike trains and sampled states survive exactly, Elephant's own statistics equal neurosim's,
and Neo spike trains drive a spike generator (from_neo)."""
import numpy as np
import pytest

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
elephant = pytest.importorskip("elephant")

import neurosim as ns  # noqa: E402
from neurosim.io.neo import from_neo, to_neo  # noqa: E402

from export_fixture import BATCH, PERIOD, TRACED, traced_result  # noqa: E402

DURATION = 500.0  # ms


@pytest.fixture(scope="module")
def result():
    res = traced_result(DURATION, "in", 50)
    assert res.spikes["exc"].num_spikes > 200  # enough spikes for the statistics to mean something
    return res


@pytest.fixture(scope="module")
def block(result):
    return result.to_neo()


def _trains(block, trial):
    seg = block.segments[trial]
    return [s for s in seg.spiketrains if s.annotations["population"] == "exc"]


def test_layout_and_spike_times(result, block):
    st = result.spikes["exc"]
    assert isinstance(block, neo.Block)
    assert [seg.annotations["trial"] for seg in block.segments] == list(range(BATCH))
    for trial in range(BATCH):
        trains = _trains(block, trial)
        expected = st.trains(trial)
        assert [s.annotations["neuron_id"] for s in trains] == sorted(expected)
        for s in trains:
            assert s.annotations["trial"] == trial
            assert s.units == pq.ms
            assert float(s.t_start) == 0.0 and float(s.t_stop.rescale(pq.ms)) == DURATION
            np.testing.assert_array_equal(s.magnitude, expected[s.annotations["neuron_id"]])
    # the two trials differ (so a mix-up of trials would be seen)
    a, b = (np.concatenate([s.magnitude for s in _trains(block, t)]) for t in range(BATCH))
    assert a.size != b.size or not np.array_equal(a, b)
    assert sum(len(s) for t in range(BATCH) for s in _trains(block, t)) == st.num_spikes


def test_analog_signals(result, block):
    for trial in range(BATCH):
        sigs = {s.name: s for s in block.segments[trial].analogsignals}
        assert set(sigs) == {"exc.v", "exc.g_AMPA"}
        for var, unit in (("v", pq.mV), ("g_AMPA", pq.nS)):
            sig, tr = sigs[f"exc.{var}"], result.states[("exc", var)]
            assert sig.units == unit.units
            assert float(sig.sampling_period.rescale(pq.ms)) == pytest.approx(PERIOD, abs=1e-12)
            assert float(sig.t_start.rescale(pq.ms)) == tr.times[0]
            np.testing.assert_array_equal(sig.times.rescale(pq.ms).magnitude, tr.times)
            np.testing.assert_array_equal(sig.array_annotations["neuron_id"], TRACED)
            np.testing.assert_array_equal(sig.magnitude, tr.values[:, trial, :])
            assert sig.annotations["trial"] == trial and sig.annotations["population"] == "exc"
    # the mV values are membrane potentials, not a copy of another variable
    v = block.segments[0].analogsignals[0] if block.segments[0].analogsignals[0].name == "exc.v" \
        else block.segments[0].analogsignals[1]
    assert -80.0 < float(v.magnitude.mean()) < -40.0


def test_elephant_rate_and_cv_equal_neurosim(result, block):
    from elephant.statistics import cv, isi, mean_firing_rate
    trains = [s for t in range(BATCH) for s in _trains(block, t)]
    rates = [float(mean_firing_rate(s).rescale(pq.Hz)) for s in trains]
    assert np.mean(rates) == pytest.approx(result.mean_rate("exc"), rel=0, abs=1e-12)
    cvs = [float(cv(isi(s))) for s in trains if len(s) >= 3]
    assert len(cvs) > 10
    assert np.mean(cvs) == pytest.approx(result.cv_isi("exc"), rel=0, abs=1e-12)
    # per train too: elephant's CV of one neuron equals neurosim's cv_isi of that train
    st = result.spikes["exc"]
    for s in trains[:5]:
        own = ns.result.cv_isi(np.zeros(len(s), dtype=int), s.magnitude) if len(s) >= 3 else None
        if own is not None:
            assert float(cv(isi(s))) == pytest.approx(own, rel=0, abs=1e-12)
    assert st.n_trials == BATCH


def test_elephant_fano_cch_van_rossum_run(block):
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import cross_correlation_histogram
    from elephant.spike_train_dissimilarity import van_rossum_distance
    from elephant.statistics import fanofactor
    trains = _trains(block, 0)
    ff = fanofactor(trains)
    assert np.isfinite(ff) and ff > 0
    a, b = (BinnedSpikeTrain(s, bin_size=5 * pq.ms) for s in trains[:2])
    cch, lags = cross_correlation_histogram(a, b, window=[-10, 10])
    assert cch.shape[0] == 21 and lags.size == 21
    assert float(cch.magnitude.sum()) > 0
    d = van_rossum_distance(trains[:4], time_constant=10 * pq.ms)
    assert d.shape == (4, 4) and np.allclose(np.diag(d), 0) and d[0, 1] > 0


def test_from_neo_round_trip(result, block):
    st = result.spikes["exc"]
    times, ids = from_neo(block, population="exc", trial=1)
    sel = st.trials == 1
    order = np.lexsort((st.node_ids[sel], st.times[sel]))
    np.testing.assert_array_equal(times, st.times[sel][order])
    np.testing.assert_array_equal(ids, st.node_ids[sel][order])
    t_all, i_all, tr_all = from_neo(block, population="exc", return_trials=True)
    assert t_all.size == st.num_spikes and set(np.unique(tr_all)) == set(range(BATCH))
    with pytest.raises(ns.errors.SelectionError, match="return_trials"):
        from_neo(block, population="exc")
    with pytest.raises(ns.errors.SelectionError, match="trial 7"):
        from_neo(block, trial=7)
    with pytest.raises(TypeError, match="block_or_segment"):
        from_neo(np.zeros(3))

    # the arrays drive a spike generator that fires at exactly those times, trial by trial
    net = ns.Network(dt=0.1, seed=0, batch=BATCH)
    gen = net.spike_generator("replay", st.n, times=t_all, ids=i_all, trials=tr_all)
    net.monitor(gen, "spikes")
    replay = net.run(DURATION).spikes["replay"]
    for trial in range(BATCH):
        want, got = st.trains(trial), replay.trains(trial)
        for nid in want:
            np.testing.assert_allclose(got[nid], want[nid], rtol=0, atol=1e-9)
