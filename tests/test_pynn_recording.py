"""Recording through ``neurosim.pynn`` as PyNN scripts use it (sampling interval, ``record(None)``,
``get_data(clear=True)``, ``write_data`` read back with Neo, spike counts), and ``setup(threads=...)``
giving the same spikes on one thread and on two (each in a fresh process, since Numba's thread
count is a process setting).  Expected values are closed forms or plain numpy."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

pytest.importorskip("pyNN")
import neurosim.pynn as sim  # noqa: E402
from pyNN.random import NumpyRNG  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

DT = 0.1
CM, TAU_M, V_REST = 1.0, 20.0, -65.0          # nF, ms, mV


def _v_closed_form(t, i_offset):
    """v (mV) of an IF_curr_exp cell from rest under a constant ``i_offset`` (nA), below threshold."""
    return V_REST + i_offset * TAU_M / CM * (1.0 - np.exp(-t / TAU_M))


def _cells(n=1, i_offset=0.5, v_thresh=-50.0):
    p = sim.Population(n, sim.IF_curr_exp(cm=CM, tau_m=TAU_M, v_rest=V_REST, v_reset=V_REST, i_offset=i_offset,
                                          v_thresh=v_thresh, tau_refrac=0.0))
    p.initialize(v=V_REST)
    return p


def _spike_times(segment):
    return [np.asarray(st.magnitude, float) for st in segment.spiketrains]


def _regular_times(i_offset, v_thresh, t_stop):
    """Spike times (ms, end of the crossing step) of a cell charging from rest and reset to rest."""
    t = np.arange(int(round(t_stop / DT)) + 1) * DT
    period = t[np.argmax(_v_closed_form(t, i_offset) >= v_thresh)]
    return np.arange(1, int(t_stop / period) + 1) * period


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(timestep=DT)
    yield
    sim.end()


def test_sampling_interval_gives_samples_at_whole_intervals():
    p = _cells(i_offset=0.5, v_thresh=-40.0)           # v_inf = -55 mV: never fires
    p.record("v", sampling_interval=1.0)
    sim.run(50.0)
    sig = p.get_data().segments[0].filter(name="v")[0]
    t = np.asarray(sig.times, float)
    assert sig.shape[0] == 50 / 1.0 + 1
    np.testing.assert_allclose(t, np.arange(51) * 1.0, rtol=0, atol=1e-9)
    assert float(sig.sampling_period.rescale("ms")) == 1.0
    np.testing.assert_allclose(sig.magnitude[:, 0], _v_closed_form(t, 0.5), rtol=0, atol=1e-9)


def test_record_none_stops_recording():
    p = _cells(2, i_offset=1.0, v_thresh=-55.0)
    p.record(["spikes", "v"])
    sim.run(50.0)
    sim.reset()
    p.record(None)
    sim.run(50.0)
    blk = p.get_data()
    assert len(blk.segments) == 2
    first, second = blk.segments
    assert sum(map(len, _spike_times(first))) > 0 and len(first.analogsignals) == 1
    assert len(second.spiketrains) == 0 and len(second.analogsignals) == 0
    # spikes only, stopped in the middle of a run: nothing reported for that run any more
    sim.setup(timestep=DT)
    q = _cells(1, i_offset=1.0, v_thresh=-55.0)
    q.record("spikes")
    sim.run(50.0)
    assert len(q.get_data().segments[0].spiketrains[0]) > 0
    q.record(None)
    sim.run(50.0)
    assert len(q.get_data().segments[0].spiketrains) == 0


def test_get_data_clear_drops_earlier_data():
    i_offset, v_th = 1.0, -55.0
    p = _cells(1, i_offset=i_offset, v_thresh=v_th)
    p.record(["spikes", "v"])
    sim.run(50.0)
    expected = _regular_times(i_offset, v_th, 100.0)
    first = p.get_data(clear=True).segments[0]
    np.testing.assert_allclose(_spike_times(first)[0], expected[expected <= 50.0], rtol=0, atol=1e-9)
    sim.run(50.0)
    second = p.get_data().segments[0]
    np.testing.assert_allclose(_spike_times(second)[0], expected[expected > 50.0], rtol=0, atol=1e-9)
    t = np.asarray(second.filter(name="v")[0].times, float)
    assert t[0] >= 50.0 - 1e-9 and t[-1] == pytest.approx(100.0)


@pytest.mark.parametrize("suffix", ["pkl", "nix"])
def test_write_data_reads_back_with_neo(tmp_path, suffix):
    import neo
    if suffix == "nix" and importlib.util.find_spec("nixio") is None:
        pytest.skip("neo's NixIO needs the nixio package, which is not installed")
    i_offset, v_th = 1.0, -55.0
    p = _cells(3, i_offset=i_offset, v_thresh=v_th)
    p[1:2].set(i_offset=0.0)                           # one silent cell
    p.record(["spikes", "v"])
    sim.run(60.0)
    path = str(tmp_path / f"data.{suffix}")
    p.write_data(path)
    io = neo.get_io(path)
    blk = io.read_block()
    if hasattr(io, "close"):
        io.close()
    got = _spike_times(blk.segments[0])
    expected = _regular_times(i_offset, v_th, 60.0)
    assert len(got) == 3 and expected.size >= 2
    for k, want in enumerate([expected, np.zeros(0), expected]):
        np.testing.assert_allclose(got[k], want, rtol=0, atol=1e-9)


def test_spike_counts_match_the_spike_trains():
    src = sim.Population(12, sim.SpikeSourcePoisson(rate=60.0))
    cells = _cells(8, i_offset=0.0, v_thresh=-64.0)
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=9)),
                   sim.StaticSynapse(weight=0.5, delay=1.0))
    src.record("spikes")
    cells.record("spikes")
    sim.run(200.0)
    for pop in (src, cells):
        trains = pop.get_data().segments[0].spiketrains
        lengths = {int(st.annotations["source_index"]): len(st) for st in trains}
        assert len(lengths) == pop.size and sum(lengths.values()) > 20
        assert {int(pop.id_to_index(k)): v for k, v in pop.get_spike_counts().items()} == lengths
        assert pop.mean_spike_count() == pytest.approx(np.mean(list(lengths.values())))


# ---------------------------------------------------------------------------------- threads
N_THREADED = 2000     # IF_cond_exp cells: enough work for the CPU backend to use its threads


def threaded_run(threads):
    """Spikes (cell, time) of a recurrent network run with ``setup(threads=threads)``, and how many
    chunks ran on more than one thread (run in a fresh process)."""
    import warnings
    warnings.simplefilter("ignore")
    import neurosim.pynn as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=0.1, threads=threads, rng_seed=3)
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0))
    cells = sim.Population(N_THREADED, sim.IF_cond_exp())
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(seed=1)),
                   sim.StaticSynapse(weight=0.004, delay=1.0))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.01, rng=NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=0.002, delay=1.5))
    cells.record("spikes")
    sim.run(200.0)
    trains = cells.get_data().segments[0].spiketrains
    out = sorted((int(st.annotations["source_index"]), float(t)) for st in trains for t in st.magnitude)
    chunks = sim.simulator.state.net.simulation.backend.threaded_chunks
    sim.end()
    return out, chunks


def _max_threads():
    import numba
    return int(numba.config.NUMBA_NUM_THREADS)


@pytest.mark.skipif(_max_threads() < 2, reason="Numba allows one thread here (NUMBA_NUM_THREADS < 2)")
def test_threads_do_not_change_the_spikes():
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx, max_tasks_per_child=1) as ex:
        one, chunks1 = ex.submit(threaded_run, 1).result()
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx, max_tasks_per_child=1) as ex:
        two, chunks2 = ex.submit(threaded_run, 2).result()
    assert chunks1 == 0 and chunks2 > 0                 # the second run really used two threads
    assert len(one) > 100
    assert one == two
