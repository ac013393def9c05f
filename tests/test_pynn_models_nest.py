"""Synapse and cell models through ``neurosim.pynn`` against ``pyNN.nest`` (NEST 3.10) running the
same PyNN scripts, NEST in a fresh process (its ResetKernel segfaults once Numba's OpenMP pool has
started in the process):

* STDP (tests/pynn_stdp_network.py): PyNN's default ``dendritic_delay_fraction = 1`` (Delta t =
  t_post + d - t_pre, NEST's ``stdp_synapse``) mapped onto neurosim's axonal + dendritic delays
  (neurosim/pynn/native.py), also against PyNN's all-to-all pair rule in numpy;
* TsodyksMarkramSynapse (tests/pynn_tm_network.py): the three-state model, NEST's ``tsodyks_synapse``
  with tau_psc copied from the target's tau_syn; depressing and facilitating, membrane traces;
* PyNN's composed PointNeuron, LIF + named current-based receptors
  (tests/pynn_point_neuron_network.py): NEST's ``iaf_psc_exp_multisynapse``; traces and spikes."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

pytest.importorskip("pyNN")
if importlib.util.find_spec("nest") is None:  # pragma: no cover - depends on the environment
    pytest.skip("nest-simulator is not installed", allow_module_level=True)
import pynn_point_neuron_network as point_script  # noqa: E402
import pynn_stdp_network as stdp_script  # noqa: E402
import pynn_tm_network as tm_script  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def through_both(run):
    """(neurosim.pynn's, pyNN.nest's) results of ``run(backend)``."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        nest = ex.submit(run, "pyNN.nest").result()
    return run("neurosim.pynn"), nest


def test_stdp_weights_follow_the_all_to_all_pair_rule():
    out = stdp_script.run("neurosim.pynn")
    assert sum(len(s) for s in out["post"]) > 50 and sum(len(s) for s in out["pre"]) > 200
    change = (out["w"] - stdp_script.W0) / stdp_script.W_MAX
    expected = stdp_script.pair_sum(out["pre"], out["post"])
    assert np.abs(expected).max() > 0.02          # learning happened
    np.testing.assert_allclose(change, expected, rtol=0, atol=1e-12)


def test_stdp_weights_and_spikes_match_pynn_nest():
    ours, nest = through_both(stdp_script.run)
    for a, b in zip(ours["pre"] + ours["post"], nest["pre"] + nest["post"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["w"], nest["w"], rtol=0, atol=1e-9 * stdp_script.W_MAX)


def test_tsodyks_markram_traces_match_pynn_nest():
    ours, nest = through_both(tm_script.run)
    assert ours.shape == nest.shape == (4001, 2)
    assert np.ptp(nest, axis=0).min() > 1.0          # the PSPs are there (mV)
    np.testing.assert_allclose(ours, nest, rtol=0, atol=1e-9)


def test_point_neuron_matches_pynn_nest():
    ours, nest = through_both(point_script.run)
    assert ours["tau_m"] == 10.0 and ours["nmda_tau"] == 20.0
    assert ours["v"].shape == nest["v"].shape == (3001, 2)
    assert sum(len(s) for s in nest["spikes"]) >= 1 and np.ptp(nest["v"][:, 0]) > 1.0
    np.testing.assert_allclose(ours["v"], nest["v"], rtol=0, atol=1e-9)
    for a, b in zip(ours["spikes"], nest["spikes"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
