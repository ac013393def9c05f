"""PyNN's own example scripts (``examples/*.py`` of PyNN's sdist, fetched at test time by
:func:`pynn_harness.obtain_examples`, never copied here) run unchanged through ``neurosim.pynn``.

Each example runs in its own subprocess through ``tests/pynn_example_runner.py`` (which makes
``pyNN.neurosim`` an alias of ``neurosim.pynn``), in a scratch folder, without ``--plot-figure``.
The test asserts exit status 0 and reads the Neo files the example writes (``Results/...pkl``):
they must exist and hold spikes (or, for tsodyksmarkram.py, the synaptic conductances).  Numbers
that pyNN.nest gives for the same scripts (PyNN 0.13.0, NEST 3.10) are asserted where the script
is deterministic: specific_network.py's 29 spike times (equal), current_injection.py's v (mV), tsodyksmarkram.py's peak conductances (µS).

Examples run here: specific_network, small_network, tsodyksmarkram, random_numbers,
current_injection, simpleRandomNetwork (about 15 s with Numba's cache warm, a minute cold).  The
others and why they are not run:

* work through neurosim.pynn but are left out to keep this file short: VAbenchmarks (CUBA / COBA,
  4000 cells, 10-50 s), brunel (5000 cells, 2.5 million synapses), inhomogeneous_network,
  parameter_changes, StepCurrentSource, update_spike_source_array, varying_poisson, connections
  and stdp_network (1-3 s each; the last two print connection statistics, no spikes);
* models neurosim does not have: HH_cond_exp2, cell_type_demonstration (HH_cond_exp),
  Izhikevich, synaptic_input (Izhikevich), gif_neuron (GIF_cond_exp), monolith_vs_composed and
  multi_synapse (composed PointNeuron), multiquantal_synapses, stochastic_synapses,
  stochastic_tsodyksmarkram, stochastic_deterministic_comparison (stochastic synapses);
* need packages or simulators that are not installed: distrib_example (mpi4py), nineml_neuron
  (nineml), nineml_brunel and nrn_artificial_cell (NEURON), simpleRandomNetwork_csa (csa);
* fail under pyNN.nest as well with PyNN 0.13.0 and NumPy 2: simple_STDP (OneToOneConnector
  calls ``nonzero`` on a 0-d array), random_distributions (writes into a missing ``Results``
  folder; it uses no simulator).

Skipped when PyNN (or Neo) is missing or its sdist cannot be downloaded.
"""
import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyNN")
neo = pytest.importorskip("neo")

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "pynn_example_runner.py"
TIMEOUT = 180   # s per example (Numba compiles on a cold cache)


@pytest.fixture(scope="module")
def examples():
    sys.path.insert(0, str(HERE))
    try:
        import pynn_harness
        try:
            return pynn_harness.obtain_examples()
        except (pynn_harness.ScenarioSourceError, OSError) as exc:   # no download, unwritable cache
            pytest.skip(f"PyNN's examples are not available: {exc}")
    finally:
        sys.path.remove(str(HERE))


def run_example(examples, tmp_path, name, *args):
    """Run ``examples/<name>.py neurosim *args`` in ``tmp_path``; the Neo blocks it wrote, by file name."""
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(HERE.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable, str(RUNNER), str(examples / f"{name}.py"), "neurosim", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, f"{name}.py exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    files = sorted(glob.glob(str(tmp_path / "Results" / "**" / "*.pkl"), recursive=True))
    return {Path(f).name: neo.get_io(f).read()[0] for f in files}


def spike_count(block) -> int:
    return sum(len(st) for seg in block.segments for st in seg.spiketrains)


def only(blocks, fragment):
    found = [b for name, b in blocks.items() if fragment in name]
    assert len(found) == 1, f"expected one file named *{fragment}*, got {sorted(blocks)}"
    return found[0]


# pyNN.nest's spike times (ms) of specific_network.py's five cells (its input is a spike array)
NEST_SPECIFIC = [[48.8, 81.0, 492.0, 758.7, 872.7], [53.7, 411.5, 493.7, 948.9],
                 [167.6, 254.6, 296.4, 336.1, 502.7, 645.2, 694.5, 752.6, 786.1, 850.5, 872.6],
                 [48.3, 83.9, 499.0, 758.4, 903.4], [53.7, 411.5, 493.7, 948.9]]


def test_specific_network(examples, tmp_path):
    blocks = run_example(examples, tmp_path, "specific_network")
    block = only(blocks, "specific_network_neurosim")
    trains = block.segments[0].spiketrains
    assert spike_count(block) == 29
    for got, want in zip(trains, NEST_SPECIFIC, strict=True):   # spike for spike
        np.testing.assert_allclose(np.asarray(got.rescale("ms")), want, atol=1e-6)


def test_small_network(examples, tmp_path):
    blocks = run_example(examples, tmp_path, "small_network")
    block = only(blocks, "small_network_neurosim")
    seg = block.segments[0]
    assert len(seg.spiketrains) == 20
    assert 300 <= spike_count(block) <= 450  # pyNN.nest: 371 (Poisson input: statistical)
    g = seg.filter(name="gsyn_exc")[0]
    assert g.shape[1] == 2 and np.max(np.asarray(g)) > 0


# pyNN.nest's peak gsyn_inh (µS) of the three cells (tau_syn_I 1.2, 6.7, 4.3 ms) per synapse type
NEST_PEAKS = {"static": [0.0100024, 0.0128999, 0.01108312], "depressing": [0.005, 0.005, 0.005],
              "facilitating": [0.00133238, 0.00166172, 0.00145134]}


def test_tsodyksmarkram(examples, tmp_path):
    blocks = run_example(examples, tmp_path, "tsodyksmarkram")
    for label, peaks in NEST_PEAKS.items():
        seg = only(blocks, f"tsodyksmarkram_{label}_neurosim").segments[0]
        g = np.asarray(seg.filter(name="gsyn_inh")[0])
        assert g.shape == (2001, 3)
        np.testing.assert_allclose(g.max(axis=0), peaks, rtol=1e-5, err_msg=label)
        assert np.asarray(seg.filter(name="v")[0]).min() < -65.0   # inhibition hyperpolarises


def test_random_numbers(examples, tmp_path):
    run_example(examples, tmp_path, "random_numbers")     # sim.NativeRNG; writes no file


# pyNN.nest's v (mV) at t = 100, 230, 300, 420 ms of current_injection.py's DC, step and AC cells
NEST_INJECTION = [[-60.03368973, -61.02695179, -64.9183027], [-60.00000008, -59.27067063, -62.35916435],
                  [-60.0, -66.94634324, -64.90546379], [-64.32332358, -64.47151744, -62.91877172]]


def test_current_injection(examples, tmp_path):
    blocks = run_example(examples, tmp_path, "current_injection")
    sig = only(blocks, "current_injection_neurosim").segments[0].filter(name="v")[0]
    assert sig.shape == (5001, 4)
    idx = np.searchsorted(np.asarray(sig.times.rescale("ms")), [100.0, 230.0, 300.0, 420.0])
    np.testing.assert_allclose(np.asarray(sig)[idx, :3], NEST_INJECTION, atol=1e-6)   # the noisy cell differs


def test_simple_random_network(examples, tmp_path):
    blocks = run_example(examples, tmp_path, "simpleRandomNetwork")
    block = only(blocks, "simpleRandomNetwork_output_neurosim")
    assert len(block.segments[0].spiketrains) == 20
    # pyNN.nest: 588, with precise (off-grid) spike times; neurosim's lie on the 0.025 ms grid
    assert 540 <= spike_count(block) <= 640
