"""PyNN's TsodyksMarkramSynapse through neurosim.pynn against pyNN.nest (NEST 3.10's
``tsodyks_synapse``, tau_psc copied from the target's tau_syn) on the same script
(tests/pynn_tm_network.py): depressing and facilitating synapses, membrane traces."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

pytest.importorskip("pyNN")
if importlib.util.find_spec("nest") is None:  # pragma: no cover - depends on the environment
    pytest.skip("nest-simulator is not installed", allow_module_level=True)
import pynn_tm_network as script  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_tsodyks_markram_traces_match_pynn_nest():
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        nest = ex.submit(script.run, "pyNN.nest").result()
    ours = script.run("neurosim.pynn")
    assert ours.shape == nest.shape == (4001, 2)
    assert np.ptp(nest, axis=0).min() > 1.0          # the PSPs are there (mV)
    np.testing.assert_allclose(ours, nest, rtol=0, atol=1e-9)
