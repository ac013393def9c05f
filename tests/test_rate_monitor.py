"""The population rate monitor against spike counts computed with numpy from the recorded spikes.

Adjacent populations (a spike generator and three LIF populations) whose boundary neurons all fire:
the rate of each population in each step must equal (spikes of that population in that step, summed
over trials) / (n * n_trials * dt) in Hz, with the spikes taken from spike monitors (.i, .t, .trial).
"""
import numpy as np
import pytest

import neurosim as ns

DT = 0.1
T = 100.0


def _build(batch):
    net = ns.Network(dt=DT, seed=7, batch=batch)
    # source population: every source fires, the first and last more than once
    g_times = np.array([0.0, 1.0, 1.0, 2.5, 2.5, 2.5, 10.0, 30.0, 55.5, 80.0])
    g_ids = np.array([0, 4, 0, 1, 2, 3, 4, 0, 4, 2])
    gen = net.spike_generator("gen", 5, times=g_times, ids=g_ids)
    pops = [gen]
    sizes = {"a": 5, "b": 7, "c": 4}
    for k, (name, n) in enumerate(sizes.items()):
        # every neuron is driven above rheobase (g_leak * (v_th - v_rest) = 100 pA) with its own
        # current, so the first and the last neuron of each population fire repeatedly
        bias = np.linspace(130.0 + 20 * k, 400.0 + 30 * k, n)
        cell = ns.LIFCond(v_init=ns.Uniform(-60.0, -50.0))
        pops.append(net.population(name, n, cell, i_bias=bias))
    sms = {p.name: net.monitor(p, "spikes") for p in pops}
    rms = {p.name: net.monitor(p, "rate") for p in pops}
    return net, pops, sms, rms, (g_times, g_ids)


@pytest.mark.parametrize("batch", [1, 2])
def test_population_rate_equals_numpy_spike_counts_per_step(batch):
    net, pops, sms, rms, (g_times, g_ids) = _build(batch)
    net.run(T)
    n_steps = int(round(T / DT))
    for p in pops:
        sm, rm = sms[p.name], rms[p.name]
        assert rm.rate.shape == (n_steps,)
        np.testing.assert_allclose(rm.t, DT * np.arange(n_steps), rtol=0, atol=1e-9)
        steps = np.rint(np.asarray(sm.t) / DT).astype(np.int64)
        ids = np.asarray(sm.i)
        # the boundary neurons of every population fire, in every trial
        for b in range(batch):
            fired = set(ids[np.asarray(sm.trial) == b].tolist()) if batch > 1 else set(ids.tolist())
            assert {0, p.n - 1} <= fired, (p.name, b, sorted(fired))
        counts = np.bincount(steps, minlength=n_steps)
        assert counts.size == n_steps
        expected = counts / (p.n * batch * DT * 1e-3)              # Hz
        np.testing.assert_allclose(rm.rate, expected, rtol=1e-12, atol=0, err_msg=p.name)
        # spike counts are integers: the rate times n * trials * dt recovers them exactly
        np.testing.assert_array_equal(np.rint(rm.rate * p.n * batch * DT * 1e-3).astype(np.int64), counts)
        np.testing.assert_array_equal(rm.counts, counts)                  # the integer counts themselves
    # the generator's spikes are known in closed form: one count per (time, id) pair per trial
    expected_gen = np.bincount(np.rint(g_times / DT).astype(np.int64), minlength=n_steps) * batch
    np.testing.assert_allclose(rms["gen"].rate, expected_gen / (5 * batch * DT * 1e-3), rtol=1e-12, atol=0)
