"""Result.summary(): population sizes beside the recorded counts, the threads each chunk of
steps really ran on, and the kernel compile time when there was one."""
import time

import numba
import numpy as np
import pytest

import neurosim as ns
from neurosim.result import Result, SpikeTrains


def _row(summary, name):
    return next(ln.split() for ln in summary.splitlines() if ln.startswith(name + " "))


def test_neurons_column_is_the_population_size_beside_the_recorded_count():
    # Izhikevich 2007 records pre neuron 0 only: 100 neurons, 1 recorded
    t = np.array([5.0, 250.0, 700.0])
    st = SpikeTrains("pre", 100, np.zeros(3, np.int64), t, np.zeros(3, np.int32), np.array([0]))
    res = Result(spikes={"pre": st}, meta={"duration": 1000.0, "wall_time": 0.5, "backend": "cpu", "threads": 1})
    lines = res.summary().splitlines()
    assert lines[0].split() == ["population", "neurons", "recorded", "spikes", "rate", "(Hz)", "CV", "ISI"]
    assert _row(res.summary(), "pre")[:5] == ["pre", "100", "1", "3", "3.00"]     # 3 spikes / (1 neuron x 1 s)
    assert "backend cpu, 1 thread" in res.summary()


def test_compile_time_is_shown_when_present():
    res = Result(meta={"duration": 100.0, "wall_time": 0.1, "backend": "cpu", "threads": 2, "compile_s": 41.26})
    assert "kernels compiled in 41.3 s (first run only)" in res.summary()
    del res.meta["compile_s"]
    assert "compiled" not in res.summary()


def test_threads_are_those_the_chunks_ran_on_not_those_after_a_fallback():
    """A run whose threads keep waiting for each other goes on with one thread for a while
    (backends/cpu.py); meta["threads"] used to be read after that, so a run that had used 2
    threads reported 1.  Now the fewest and most threads of any chunk are kept."""
    if numba.get_num_threads() < 2:
        pytest.skip("needs 2 Numba threads")
    net = ns.Network(dt=0.1, seed=1)
    cell = ns.LIFCond(i_bias=200.0, v_init=ns.Uniform(-60.0, -50.0))
    exc, inh = net.population("exc", 3200, cell), net.population("inh", 800, cell)
    net.connect(exc, [exc, inh], ns.fixed_probability(0.02), receptor=ns.AMPA(tau_decay=5.0), weight=6.0)
    net.connect(inh, [exc, inh], ns.fixed_probability(0.02), receptor=ns.GABA_A(tau_decay=10.0, e_rev=-80.0),
                weight=67.0)
    net.monitor(exc, "spikes")
    net.run(20.0)
    backend = net._sim.backend
    if backend.threaded_chunks == 0:
        pytest.skip("this network ran on one thread here (another process holds the cores)")
    assert net.result().meta["threads"] == 2
    backend._solo_until = time.monotonic() + 600.0         # what the contention fall-back does
    net.run(20.0)
    assert backend.threads() == 1
    meta = net.result().meta
    assert (meta["threads_min"], meta["threads"]) == (1, 2)
    assert "1-2 threads per chunk" in net.result().summary()
