"""The same PyNN scripts (benchmarks/pynn_scripts) through pyNN.nest and neurosim.pynn.

NEST runs in a fresh process (``in_fresh_process``, spawn: NEST's ResetKernel segfaults once
Numba's OpenMP pool has started in the process); neurosim.pynn runs in this process, and its tests
are skipped with the reason while ``neurosim.pynn`` cannot be imported.

Reference: pyNN.nest with ``setup(spike_precision="on_grid")``.  pyNN.nest's default ("off_grid")
integrates IF_curr_exp / IF_curr_delta with NEST's precise-spike-time models (iaf_psc_exp_ps,
iaf_psc_delta_ps), which is another integration, not a grid one: on the deterministic network
only 17 % (IF_curr_exp) and 59 % (IF_curr_delta) of its spikes lie within 0.1 ms of the on_grid
run's (tonically firing cells drift apart by up to dt per ISI), though the counts per cell
differ by <= 2.

Matching rule (``pynn_scripts._common.match_spikes``): a spike of one simulator matches one of
the other when both belong to the same cell and their times differ by <= dt (+1e-9 ms); each
spike is matched at most once (greedy in time order per cell, a maximum matching).  Required:
>= 99 % of each simulator's spikes matched (both directions), and spike counts per cell equal
to within COUNT_SLACK.

Rates (COBA and CUBA, 4000 cells): the mean rate over all cells, averaged over SEEDS, within 3 %
of NEST's on the identical networks (numpy-drawn, pynn_scripts/va_benchmark.py).  Seed-to-seed
spread of NEST's COBA rate (4000 cells, 500 ms): sd 3.4 % (COBA_SEED_RATES below); the same seeds go through both
simulators, so what differs between them is only how the chaotic dynamics diverge on the same
network, smaller than the seed-to-seed spread.
"""
import importlib
import importlib.util
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
if importlib.util.find_spec("nest") is None or importlib.util.find_spec("pyNN") is None:
    pytest.skip("NEST (nest-simulator) or PyNN is not installed", allow_module_level=True)

from brunel_vs_nest import in_fresh_process  # noqa: E402
from pynn_scripts import _common, deterministic_curr_exp as det, va_benchmark as va  # noqa: E402

DT = 0.1                 # ms
DET_T = 1000.0           # ms, deterministic network
COUNT_SLACK = 1          # spikes per cell
ON_GRID = {"spike_precision": "on_grid"}
SEEDS = (1, 2)
RATE_T = 300.0           # ms, COBA and CUBA (provisional: calibrate against neurosim.pynn)
CUBA_EXACT_T = RATE_T    # ms over which CUBA must be spike-exact (measured: all 6915 spikes of seed 1 over 300 ms)
# NEST's COBA rate (all cells, Hz), 4000 cells, 500 ms, seeds 1-6 (``python
# benchmarks/pynn_scripts/va_benchmark.py --sim nest --duration 500 --seed S``): 14.69, 14.53,
# 15.40, 15.73, 15.55, 15.66: mean 15.26, sd 0.52 Hz (3.4 %) from seed to seed.  At 1000 cells
# (p = 0.08, same in-degree) the kicked activity dies out in most seeds (2-15 Hz): too small.
COBA_SEED_RATES = (14.69, 14.53, 15.40, 15.73, 15.55, 15.66)


def nest_run(script: str, kwargs: dict) -> dict:
    """``pynn_scripts.<script>.run(pyNN.nest, **kwargs)`` (called in a fresh process)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    module = importlib.import_module(f"pynn_scripts.{script}")
    return module.run(importlib.import_module("pyNN.nest"), **kwargs)


@pytest.fixture(scope="module")
def neurosim_pynn():
    try:
        return importlib.import_module("neurosim.pynn")
    except ImportError as exc:
        pytest.skip(f"neurosim.pynn is not importable yet ({exc})")


def test_match_spikes_rule():
    """The matching rule: same cell, |dt| <= tol, one-to-one."""
    a = np.array([[0, 1.0], [0, 1.05], [1, 2.0], [2, 5.0]])
    b = np.array([[0, 1.1], [1, 2.0], [1, 2.05], [2, 5.2], [3, 5.0]])
    assert _common.match_spikes(a, b, 0.1) == 2          # (0, 1.0 or 1.05)-(0, 1.1) once; (1, 2.0)
    assert _common.match_spikes(a, b, 0.2) == 3          # + (2, 5.0)-(2, 5.2)
    assert _common.match_spikes(a, b, 0.0) == 1
    assert _common.match_spikes(b, a, 0.2) == 3
    with pytest.raises(ValueError, match="tol=-1"):
        _common.match_spikes(a, b, -1.0)


@pytest.mark.parametrize("celltype", det.CELLTYPES)
def test_nest_reference_conventions(celltype):
    """What neurosim.pynn must reproduce: NEST (on_grid) records a SpikeSourceArray spike at the
    end of its step (an off-grid time t at ceil(t / dt) dt), and the network is active in all
    i_offset groups."""
    out = in_fresh_process(nest_run, "deterministic_curr_exp",
                           dict(celltype=celltype, duration=DET_T, setup_extra=ON_GRID))
    net = det.network(DET_T)
    expected = np.array([[i, np.ceil(round(t / DT, 6)) * DT] for i, tr in enumerate(net["exc_trains"]) for t in tr])
    got = out["spikes"]["exc_sources"]
    # (pyNN.nest hands NEST t - min_delay; where that float lands just above the grid, NEST delivers
    # the spike one step late: the script leaves such on-grid times out)
    assert len(got) == len(expected)
    assert _common.match_spikes(got, expected, 1e-6) == len(expected)
    counts = _common.spike_counts(out["spikes"]["cells"], det.N_CELLS).reshape(len(det.I_OFFSET_GROUPS), -1)
    # active: the two strongly driven groups always, all four with exponential and delta synapses
    assert (counts.sum(axis=1) > 0).sum() >= (2 if celltype == "IF_curr_alpha" else 4), counts


@pytest.mark.parametrize("celltype", det.CELLTYPES)
def test_deterministic_spike_exact(celltype, neurosim_pynn):
    kwargs = dict(celltype=celltype, duration=DET_T)
    ref = in_fresh_process(nest_run, "deterministic_curr_exp", dict(kwargs, setup_extra=ON_GRID))
    got = det.run(neurosim_pynn, **kwargs)
    for label, n in got["meta"]["sizes"].items():
        a, b = got["spikes"][label], ref["spikes"][label]
        assert len(a) > 100, (label, len(a))
        matched = _common.match_spikes(a, b, DT)
        assert matched >= 0.99 * len(a) and matched >= 0.99 * len(b), (label, matched, len(a), len(b))
        diff = _common.spike_counts(a, n) - _common.spike_counts(b, n)
        assert np.abs(diff).max() <= COUNT_SLACK, (label, diff)
        # measured: every spike on the same step as NEST's over the whole second (exp, alpha, delta)
        assert _common.match_spikes(a, b, 1e-6) == len(a) == len(b), (label, len(a), len(b))


def _rates(benchmark, sim, setup_extra=None):
    kwargs = dict(benchmark=benchmark, duration=RATE_T)
    if sim is None:
        return [in_fresh_process(nest_run, "va_benchmark", dict(kwargs, seed=s, setup_extra=setup_extra))
                for s in SEEDS]
    return [va.run(sim, seed=s, **kwargs) for s in SEEDS]


def test_coba_rate(neurosim_pynn):
    """Measured (deterministic: fixed networks and seeds, any thread count): neurosim 15.65 / 15.73 Hz,
    NEST 15.50 / 15.12 Hz (seeds 1, 2, 300 ms): +2.5 %; over seeds 1-6 and 1 s +2.9 %.  The sign is
    neurosim's integration: exponential Euler holds each conductance at its start-of-step value
    (Brian2's ``exponential_euler``, which neurosim matches spike for spike), NEST's iaf_cond_exp
    integrates with RKF45; on one IF_cond_exp cell the membrane differs by 0.11 mV at dt 0.1 ms and
    0.011 mV at dt 0.01 ms (first order), depolarised, so rates come out slightly higher."""
    ref = np.mean([r["rates"]["all"] for r in _rates("COBA", None)])
    got = np.mean([r["rates"]["all"] for r in _rates("COBA", neurosim_pynn)])
    assert abs(got - ref) <= 0.03 * ref, (got, ref)


def test_cuba_rate_and_initial_spikes(neurosim_pynn):
    ref = _rates("CUBA", None, ON_GRID)
    got = _rates("CUBA", neurosim_pynn)
    r_ref = np.mean([r["rates"]["all"] for r in ref])
    r_got = np.mean([r["rates"]["all"] for r in got])
    assert abs(r_got - r_ref) <= 0.03 * r_ref, (r_got, r_ref)
    for a_run, b_run in zip(got, ref):      # both integrate exactly: identical at first
        for label in ("exc", "inh"):
            a = a_run["spikes"][label]
            b = b_run["spikes"][label]
            a, b = a[a[:, 1] < CUBA_EXACT_T], b[b[:, 1] < CUBA_EXACT_T]
            matched = _common.match_spikes(a, b, DT)
            assert matched >= 0.99 * max(len(a), len(b)), (label, matched, len(a), len(b))
            # both integrate exactly on the grid: the same spikes, step for step
            assert _common.match_spikes(a, b, 1e-6) == len(a) == len(b), (label, len(a), len(b))
