"""Streaming spikes to the result file (``Network.stream_to`` / ``run(stream_to=)`` / ``save``):
the file equals the in-memory result, the summary statistics kept on the fly equal those of the
full spike arrays, and an exception or interrupt mid-run never leaves a file (or a temporary
file) behind while an older file at the target stays intact."""
import gc
import os

import numpy as np
import pytest

import neurosim as ns
import neurosim.sim.run as simrun
from neurosim.errors import ResultFileError, SpecError
from neurosim.io.hdf5 import read_result, read_spike_window, searchsorted_dataset, write_result
from neurosim.result import cv_isi
from neurosim.sim.streaming import StreamedSpikeTrains

RUNS = (25.0, 13.0, 7.0)          # ms, several run() calls, each several chunks


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(simrun, "CHUNK_STEPS", 40)


def small_net(seed=3, batch=2):
    net = ns.Network(dt=0.1, seed=seed, batch=batch)
    src = net.poisson("src", 40, 60.0)
    cell = ns.LIFCond(v_init=ns.Uniform(-60.0, -50.0), i_bias=150.0)
    exc = net.population("exc", 30, cell)
    inh = net.population("inh", 10, cell)
    net.connect(src, [exc, inh], ns.fixed_probability(0.3), receptor=ns.AMPA(tau_decay=5.0), weight=4.0)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.2), receptor=ns.AMPA(tau_decay=5.0), weight=2.0)
    net.connect(inh, exc, ns.fixed_probability(0.3), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0), weight=8.0)
    net.monitor(exc, "spikes")
    net.monitor(inh, "spikes", indices=[1, 3, 4, 8])
    net.monitor(src, "spikes")
    net.monitor(exc, "rate")
    net.monitor(exc, "v", indices=[0, 5], trials=[0, 1])
    return net


def run_all(net, **kw):
    res = None
    for i, d in enumerate(RUNS):
        res = net.run(d, **(kw if i == 0 else {}))
    return res


def assert_same_spikes(a, b):
    assert a.population == b.population and a.n == b.n and a.n_trials == b.n_trials
    np.testing.assert_array_equal(a.recorded, b.recorded)
    for name in ("times", "node_ids", "trials"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.fixture
def pair(tmp_path):
    mem = small_net()
    rm = run_all(mem)
    st = small_net()
    path = tmp_path / "streamed.h5"
    rs = run_all(st, stream_to=path)
    return mem, rm, st, rs, path


def test_streamed_file_equals_in_memory_result(pair):
    mem, rm, st, rs, path = pair
    assert not path.exists()                       # nothing at the target before save()
    assert rm.spikes["exc"].num_spikes > 100 and rm.spikes["inh"].num_spikes > 10
    assert st.save() == str(path)
    assert [p.name for p in path.parent.iterdir()] == ["streamed.h5"]   # no temporary files
    back = read_result(path)
    ref = read_result(write_result(rm, path.parent / "memory.h5"))
    assert list(back.spikes) == list(rm.spikes)
    for p in rm.spikes:
        assert isinstance(rs.spikes[p], StreamedSpikeTrains)
        assert_same_spikes(rm.spikes[p], back.spikes[p])
        assert_same_spikes(ref.spikes[p], back.spikes[p])
    np.testing.assert_array_equal(back.rates["exc"].counts, ref.rates["exc"].counts)
    np.testing.assert_array_equal(back.states[("exc", "v")].values, ref.states[("exc", "v")].values)
    assert back.meta["duration"] == pytest.approx(sum(RUNS)) and back.spec == ref.spec
    with __import__("h5py").File(path, "r") as f:
        assert int(f["spikes/exc"].attrs["sorting"]) == 2             # by_time


def test_streamed_result_and_monitors_before_and_after_save(pair):
    mem, rm, st, rs, path = pair
    for p in rm.spikes:
        # lazy arrays come from the temporary file while the stream is open ...
        assert_same_spikes(rm.spikes[p], rs.spikes[p].load())
        np.testing.assert_array_equal(rs.spikes[p].count(), rm.spikes[p].count())
        np.testing.assert_array_equal(rs.spikes[p].count(trial=1), rm.spikes[p].count(trial=1))
        assert rs.spikes[p].trains(1).keys() == rm.spikes[p].trains(1).keys()
    ms, ss = mem.monitors[0], st.monitors[0]
    assert ss.num_spikes == ms.num_spikes and np.array_equal(ss.count, ms.count) and np.array_equal(ss.t, ms.t)
    st.save()
    for p in rm.spikes:                            # ... and from the saved file afterwards
        assert_same_spikes(rm.spikes[p], rs.spikes[p].load())
        w = rs.spikes[p].window(10.0, 30.0)
        sel = (rm.spikes[p].times >= 10.0) & (rm.spikes[p].times < 30.0)
        np.testing.assert_array_equal(w.times, rm.spikes[p].times[sel])
        np.testing.assert_array_equal(w.node_ids, rm.spikes[p].node_ids[sel])
        np.testing.assert_array_equal(w.trials, rm.spikes[p].trials[sel])
    with pytest.raises(SpecError, match="saved"):
        st.run(1.0)


def test_summary_rates_and_cv_equal_those_of_the_full_spikes(pair):
    mem, rm, st, rs, path = pair
    rows_m, rows_s = rm.summary_rows(), rs.summary_rows()
    assert len(rows_m) == len(rows_s) == 3
    for (na, nn, sa, ra, ca), (nb, nb_n, sb, rb, cb) in zip(rows_m, rows_s):
        assert (na, nn, sa) == (nb, nb_n, sb) and ra == rb
        assert cb == pytest.approx(ca, rel=1e-9, abs=1e-12)
    for p, s in rs.spikes.items():
        full = s.load()
        assert rs.cv_isi(p) == pytest.approx(cv_isi(full.node_ids, full.times, full.trials), rel=1e-9)
        assert rs.cv_isi(p, min_spikes=5) == pytest.approx(cv_isi(full.node_ids, full.times, full.trials, 5),
                                                          rel=1e-9)
        n = full.recorded.size * full.n_trials
        assert rs.mean_rate(p) == full.times.size / (n * sum(RUNS) * 1e-3)
    assert rs.summary().splitlines()[:4] == rm.summary().splitlines()[:4]


def test_stream_started_after_in_memory_runs_and_spikes_since(tmp_path, monkeypatch):
    import neurosim.sim.streaming as streaming
    monkeypatch.setattr(streaming, "TAIL_STEPS", 100)      # 10 ms kept in memory
    mem, st = small_net(), small_net()
    mem.run(20.0)
    st.run(20.0)
    st.stream_to(tmp_path / "late.h5")             # spikes so far are written first
    for d in (15.0, 9.0):
        rm, rs = mem.run(d), st.run(d)
    for mon_m, mon_s in zip(mem.monitors[:3], st.monitors[:3]):
        for t in (st.t - 2.0, st.t - 9.0, st.t - 30.0, 0.0):   # in-memory tail, file fallback
            if t >= st.t - 9.0:
                assert st._stream.tail[0][0] <= round(t / st.dt)
            else:
                assert st._stream.tail[0][0] > round(t / st.dt)
            for a, b in zip(mon_m.since(t), mon_s.since(t)):
                np.testing.assert_array_equal(a, b)
    st.save()
    back = read_result(tmp_path / "late.h5")
    for p in rm.spikes:
        assert_same_spikes(rm.spikes[p], back.spikes[p])
        assert rs.cv_isi(p) == pytest.approx(rm.cv_isi(p), rel=1e-9)


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
@pytest.mark.parametrize("older", [False, True])
def test_exception_mid_run_leaves_no_file_and_keeps_an_older_one(tmp_path, exc, older):
    path = tmp_path / "out.h5"
    if older:
        old = small_net(seed=9)
        old.run(5.0)
        old.save(path)
        before = path.read_bytes()
    net = small_net()
    net.stream_to(path)
    net.run(10.0)                                  # a first run streams fine
    backend = net._sim.backend
    real, calls = backend.run_chunk, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) > 2:
            raise exc("stop")
        return real(*args, **kw)
    backend.run_chunk = flaky
    with pytest.raises(exc):
        net.run(20.0)
    assert len(calls) == 3
    if older:
        assert path.read_bytes() == before
        assert read_result(path).meta["seed"] == 9
    else:
        assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["out.h5"] if older else [])
    backend.run_chunk = real
    with pytest.raises(SpecError, match="discarded"):
        net.run(1.0)
    res = net.result()                             # counts survive, the arrays are gone
    assert res.spikes["exc"].num_spikes > 0
    with pytest.raises(ResultFileError, match="discarded"):
        res.spikes["exc"].times


def test_unsaved_stream_leaves_no_temporary_file(tmp_path):
    net = small_net()
    net.run(5.0, stream_to=tmp_path / "never.h5")
    assert len(os.listdir(tmp_path)) == 1          # the temporary file
    del net
    gc.collect()
    assert os.listdir(tmp_path) == []


def test_stream_to_rules(tmp_path):
    net = small_net()
    net.stream_to(tmp_path / "a.h5")
    net.stream_to(tmp_path / "a.h5")               # the same path again: fine
    assert not list(tmp_path.iterdir())            # nothing before the network is built
    net.run(2.0, stream_to=str(tmp_path / "a.h5"))
    with pytest.raises(SpecError, match="already stream"):
        net.stream_to(tmp_path / "b.h5")
    with pytest.raises(SpecError, match="not"):
        net.save(tmp_path / "b.h5")
    net.save(tmp_path / "a.h5")
    assert read_result(tmp_path / "a.h5").spikes["exc"].times.size == net.result().spikes["exc"].num_spikes
    plain = small_net()
    plain.run(2.0)
    with pytest.raises(SpecError, match="path"):
        plain.save()
    plain.save(tmp_path / "plain.h5")
    assert not isinstance(plain.result().spikes["exc"], StreamedSpikeTrains)


def test_searchsorted_dataset_and_spike_window(tmp_path):
    import h5py
    rng = np.random.default_rng(1)
    ts = np.sort(np.round(rng.uniform(0, 100, 5000), 1))
    with h5py.File(tmp_path / "d.h5", "w") as f:
        d = f.create_dataset("t", data=ts, chunks=(64,))
        for v in [-1.0, 0.0, ts[0], ts[63], ts[64], 37.3, ts[-1], 100.0, 200.0]:
            assert searchsorted_dataset(d, v) == np.searchsorted(ts, v, side="left"), v
    net = small_net()
    res = net.run(30.0)
    write_result(res, tmp_path / "r.h5")
    win = read_spike_window(tmp_path / "r.h5", (12.0, 21.5), populations="exc")
    assert list(win) == ["exc"]
    full = res.spikes["exc"]
    sel = (full.times >= 12.0) & (full.times < 21.5)
    np.testing.assert_array_equal(win["exc"].times, full.times[sel])
    np.testing.assert_array_equal(win["exc"].node_ids, full.node_ids[sel])


def test_cli_run_streams_and_draws_a_window(tmp_path, monkeypatch, capsys):
    from neurosim import cli
    monkeypatch.setattr(cli, "RASTER_WINDOW_MS", 20.0)
    drawn = {}
    real_raster = __import__("neurosim.plots", fromlist=["raster"]).raster

    def spy(result, **kw):
        drawn.update(kw, n=sum(s.times.size for s in result.spikes.values()),
                     tmax=max(float(s.times.max()) for s in result.spikes.values() if s.times.size))
        return real_raster(result, **kw)
    monkeypatch.setattr("neurosim.plots.raster", spy)
    out = tmp_path / "o" / "coba.h5"
    res, h5, png = cli.run_and_save("coba", duration=60.0, sets=["n=100"], out=str(out))
    assert h5 == str(out) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(out.parent)) == ["coba.h5", "coba.png"]
    back = read_result(out)
    assert back.meta["model"] == "coba.py" and back.meta["duration"] == pytest.approx(60.0)
    assert drawn["t_window"] == (0.0, 20.0) and drawn["tmax"] < 20.0
    assert drawn["n"] == sum(int((s.times < 20.0).sum()) for s in back.spikes.values())
    text = capsys.readouterr().out
    for p, s in back.spikes.items():
        assert any(line.split()[:4] == [p, str(s.n), str(s.recorded.size), str(s.times.size)]
                   for line in text.splitlines())
