"""Determinism: seeds, thread counts, run splitting, float32.

DESIGN.md: random draws are counter-based (a pure function of seed, stream, step, index), so
the same seed gives the same spikes on any number of threads and a run can be continued.
"""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurosim as ns

# A small COBA-like network (Vogels & Abbott 2005 cell) with Poisson sources and Poisson
# drive; the same source runs in this process and in the subprocesses below.
NET_SRC = textwrap.dedent('''
    import numpy as np
    import neurosim as ns

    def make(seed, dtype="float64", batch=1, delay=0.5, nmda=False):
        net = ns.Network(dt=0.1, seed=seed, dtype=dtype, batch=batch)
        cell = ns.LIFCond(v_init=ns.Uniform(-60.0, -50.0))
        exc = net.population("exc", 160, cell)
        inh = net.population("inh", 40, cell)
        src = net.poisson("src", 100, 15.0)
        ampa = ns.AMPA(tau_decay=5.0)
        gaba = ns.GABA_A(tau_decay=10.0, e_rev=-80.0)
        net.connect(src, [exc, inh], ns.fixed_probability(0.1), receptor=ampa, weight=ns.Uniform(2.0, 4.0),
                    delay=ns.Uniform(0.1, 1.5))
        net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor=ampa, weight=1.0, delay=delay)
        net.connect(inh, [exc, inh], ns.fixed_probability(0.1), receptor=gaba, weight=6.0, delay=delay)
        net.poisson_drive(exc, ampa, 50, 5.0, 0.5)
        if nmda:   # Wang's saturating NMDA (gating per presynaptic neuron, summed into the targets)
            net.connect(exc, [exc, inh], ns.fixed_probability(0.1), receptor=ns.NMDA(saturating=True),
                        weight=0.3, delay=delay)
        return net, net.monitor(exc, "spikes"), net.monitor(inh, "spikes")

    def spikes(seed, T=300.0, dtype="float64", split=None, batch=1, delay=0.5, nmda=False):
        """(step, trial, population, index) rows of all spikes, sorted."""
        net, m_e, m_i = make(seed, dtype, batch, delay, nmda)
        if split is None:
            net.run(T)
        else:
            net.run(split)
            net.run(T - split)
        out = []
        for k, m in enumerate((m_e, m_i)):
            out.append(np.stack([np.rint(m.t / 0.1).astype(np.int64), m.trial.astype(np.int64),
                                 np.full(m.i.size, k, np.int64), m.i.astype(np.int64)], 1))
        a = np.concatenate(out)
        return a[np.lexsort(a.T[::-1])]
''')
_ns = {}
exec(NET_SRC, _ns)
spikes = _ns["spikes"]

SEED_A, SEED_B = 0, 3


def test_same_seed_same_spikes():
    a = spikes(SEED_A)
    b = spikes(SEED_A)
    assert a.shape[0] > 200, "the network must be active"
    np.testing.assert_array_equal(a, b)


def test_different_seed_different_spikes():
    a = spikes(SEED_A)
    b = spikes(SEED_B)
    assert not (a.shape == b.shape and np.array_equal(a, b))


def test_split_run_equals_single_run():
    """run(T1); run(T2) continues exactly (also across the 2000-step chunk boundary)."""
    np.testing.assert_array_equal(spikes(SEED_A, T=300.0), spikes(SEED_A, T=300.0, split=123.4))


def _run_sub(code, env_extra, tmp_path, name):
    env = dict(os.environ)
    env.update(env_extra)
    root = os.path.dirname(os.path.dirname(os.path.abspath(ns.__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    script = tmp_path / f"{name}.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("batch,delay,nmda", [(1, 0.5, False), (1, 0.1, False), (2, 0.5, False), (1, 0.5, True)])
def test_same_spikes_with_1_and_2_threads(tmp_path, batch, delay, nmda):
    """The multi-threaded chunk runner is forced on (this network is below the size where the
    backend would choose it): with one trial each thread propagates into its own neurons
    (through the ring buffer with delay 0.5 ms, straight into the receptor state with 0.1 ms),
    with two trials thread 0 propagates for both; saturating NMDA gating (thread 0, before the
    neuron update) with one trial.  Spikes and final state equal the
    single-thread run's, bit for bit."""
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"spikes_{threads}.npz"
        code = NET_SRC + textwrap.dedent(f'''
            import numba
            import neurosim.kernels.cpu.neurons as kernels
            assert numba.get_num_threads() == {threads}, numba.get_num_threads()
            kernels.PARALLEL_MIN_WORK = 0
            net, m_e, m_i = make({SEED_A}, "float64", {batch}, {delay}, {nmda})
            net.run(200.0)
            assert (net._sim.backend.threaded_chunks > 0) == ({threads} > 1)
            st = net._sim.state
            np.savez({str(out)!r}, spikes=spikes({SEED_A}, T=200.0, batch={batch}, delay={delay}, nmda={nmda}),
                     v=st.neurons.v, g=st.neurons.g_decay, s=st.sat.s, x=st.sat.x)
        ''')
        r = _run_sub(code, {"NUMBA_NUM_THREADS": str(threads)}, tmp_path, f"threads_{threads}")
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(dict(np.load(out)))
    assert outs[0]["spikes"].shape[0] > 300 and set(outs[0]["spikes"][:, 1]) == set(range(batch))
    assert (outs[0]["s"].size > 0 and outs[0]["s"].max() > 0.1) == nmda
    for key in ("spikes", "v", "g", "s", "x"):
        np.testing.assert_array_equal(outs[0][key], outs[1][key], err_msg=key)
    # and equal to this process's run
    np.testing.assert_array_equal(outs[0]["spikes"], spikes(SEED_A, T=200.0, batch=batch, delay=delay, nmda=nmda))


def test_seed_key_above_int64_range(tmp_path):
    """Networks with seeds 0 then 1 in one fresh process (counter keys < 2**63 then >= 2**63).
    Regression: the key used to reach the compiled kernel as a Python int, typed int64 on the
    first call, so a later key >= 2**63 raised OverflowError."""
    code = textwrap.dedent('''
        import neurosim as ns
        from neurosim.state.build import counter_key
        assert counter_key(0) < 2 ** 63 <= counter_key(1)
        for seed in (0, 1):
            net = ns.Network(dt=0.1, seed=seed)
            src = net.poisson("s", 10, 50.0)
            m = net.monitor(src, "spikes")
            net.run(5.0)
        print("OK")
    ''')
    r = _run_sub(code, {}, tmp_path, "seed_key")
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr[-2000:]


@pytest.mark.slow   # compiles the float32 kernels on a cold cache
def test_float32_runs_and_rates_match_float64():
    """float32 state: the run works, the state is float32, and the spike count matches the
    float64 run.  Tolerance: if the two counts were independent Poisson counts their
    difference would have sd sqrt(c64 + c32); 5 such sd (the runs share their input, so this
    is conservative unless float32 changes the dynamics)."""
    net32, e32, i32 = _ns["make"](SEED_A, "float32")
    net32.run(500.0)
    assert net32._sim.state.neurons.v.dtype == np.float32
    v = net32.get("exc", "v")
    assert np.all(np.isfinite(v))
    net64, e64, i64 = _ns["make"](SEED_A, "float64")
    net64.run(500.0)
    for m32, m64 in ((e32, e64), (i32, i64)):
        c32, c64 = m32.num_spikes, m64.num_spikes
        assert c64 > 100
        assert abs(c32 - c64) < 5 * math.sqrt(c32 + c64), (c32, c64)
