"""STDP through ``neurosim.pynn`` against PyNN's pair rule and against ``pyNN.nest`` (NEST 3.10's
``stdp_synapse``) running the same script (tests/pynn_stdp_network.py): PyNN's default
``dendritic_delay_fraction = 1`` (Delta t = t_post + d - t_pre, NEST's convention) mapped onto
neurosim's axonal + dendritic delays (neurosim/pynn/native.py)."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

pytest.importorskip("pyNN")
import pynn_stdp_network as script  # noqa: E402  (tests/ is on sys.path under pytest's rootdir conftest-less import)

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_weights_follow_the_all_to_all_pair_rule():
    out = script.run("neurosim.pynn")
    assert sum(len(s) for s in out["post"]) > 50 and sum(len(s) for s in out["pre"]) > 200
    change = (out["w"] - script.W0) / script.W_MAX
    expected = script.pair_sum(out["pre"], out["post"])
    assert np.abs(expected).max() > 0.02          # learning happened
    np.testing.assert_allclose(change, expected, rtol=0, atol=1e-12)


@pytest.mark.skipif(importlib.util.find_spec("nest") is None, reason="nest-simulator is not installed")
def test_weights_and_spikes_match_pynn_nest():
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        nest = ex.submit(script.run, "pyNN.nest").result()
    ours = script.run("neurosim.pynn")
    for a, b in zip(ours["pre"] + ours["post"], nest["pre"] + nest["post"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["w"], nest["w"], rtol=0, atol=1e-9 * script.W_MAX)
