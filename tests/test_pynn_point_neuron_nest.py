"""PyNN's composed PointNeuron (LIF + named current-based receptors) through neurosim.pynn against
pyNN.nest (NEST 3.10's iaf_psc_exp_multisynapse) on the same script
(tests/pynn_point_neuron_network.py): parameters read back, membrane traces and spikes."""
import concurrent.futures
import importlib.util
import multiprocessing

import numpy as np
import pytest

pytest.importorskip("pyNN")
if importlib.util.find_spec("nest") is None:  # pragma: no cover - depends on the environment
    pytest.skip("nest-simulator is not installed", allow_module_level=True)
import pynn_point_neuron_network as script  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_point_neuron_matches_pynn_nest():
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        nest = ex.submit(script.run, "pyNN.nest").result()
    ours = script.run("neurosim.pynn")
    assert ours["tau_m"] == 10.0 and ours["nmda_tau"] == 20.0
    assert ours["v"].shape == nest["v"].shape == (3001, 2)
    assert sum(len(s) for s in nest["spikes"]) >= 1 and np.ptp(nest["v"][:, 0]) > 1.0
    np.testing.assert_allclose(ours["v"], nest["v"], rtol=0, atol=1e-9)
    for a, b in zip(ours["spikes"], nest["spikes"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
