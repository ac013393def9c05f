"""PyNN's 66 system scenarios against a PyNN backend (default ``neurosim.pynn``; another with
``NEUROSIM_PYNN_BACKEND=pyNN.brian2`` etc.), one pytest item each.

The scenarios are PyNN's code, fetched at test time (tests/pynn_harness.py: ``pip download`` of the
installed PyNN's sdist into ``$NEUROSIM_PYNN_SDIST`` or ``~/.cache/neurosim/pynn-sdist``, once).
Skipped with the reason when PyNN is not installed, the download fails with nothing cached, or the
backend cannot be imported.  Scenarios known not to pass are listed in KNOWN_FAILURES and marked
``xfail(strict=True)``: a listed one that starts passing fails the run, so the list stays true.

NEST: ``pyNN.nest`` must not run inside a larger test session (its ResetKernel segfaults once
Numba's OpenMP pool has started); run ``python tests/pynn_harness.py --backend pyNN.nest`` instead.
"""
import importlib
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pynn_harness as harness  # noqa: E402

BACKEND = os.environ.get("NEUROSIM_PYNN_BACKEND", "neurosim.pynn")

# {scenario name: why it does not pass with neurosim.pynn}; each entry is also in the README's
# PyNN section.  (test_scenario5 needs morphio and multicompartment cells: PyNN skips it.)
KNOWN_FAILURES = {
    "test_HH_cond_exp": "no Hodgkin-Huxley cell type in neurosim",
}


def _load():
    try:
        return harness.load_scenarios(harness.obtain_scenarios()), None
    except harness.ScenarioSourceError as exc:
        return {}, str(exc)


SCENARIOS, UNAVAILABLE = _load()


def _params():
    if UNAVAILABLE:
        return [pytest.param("unavailable", marks=pytest.mark.skip(reason=UNAVAILABLE))]
    params = []
    for name in SCENARIOS:
        marks = ()
        if name in KNOWN_FAILURES:
            marks = (pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]),)
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(scope="module")
def sim():
    try:
        return importlib.import_module(BACKEND)
    except ImportError as exc:
        pytest.skip(f"PyNN backend {BACKEND} is not importable ({exc})")


def test_scenario_count():
    """All 66 of PyNN 0.13.0's scenarios found (a new PyNN version: review KNOWN_FAILURES)."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    assert len(SCENARIOS) == harness.EXPECTED_SCENARIOS, sorted(SCENARIOS)
    assert set(KNOWN_FAILURES) <= set(SCENARIOS), set(KNOWN_FAILURES) - set(SCENARIOS)


@pytest.mark.parametrize("name", _params())
def test_pynn_scenario(name, sim, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # some scenarios write data files into the working directory
    try:
        SCENARIOS[name](sim)
    finally:
        sim.end()
