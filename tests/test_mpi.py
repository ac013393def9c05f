"""A network run under a real ``mpiexec -n K`` (the ``mpich`` wheel of the test extra, mpi4py) is
partitioned across the K processes (sim/partition.py) and gives bit for bit the spikes, final
state, state traces and weights of one process, for K = 2 and 3 (oversubscribing the two cores of
CI is fine for correctness).  Rank 0 writes one result file, which records ``mpi_processes``; a
rank that fails ends every rank with its message instead of leaving them waiting; an invalid
spec is refused by every rank before anything is allocated."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from neurosim.parallel import launched_processes

pytest.importorskip("mpi4py")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COBA = os.path.join(ROOT, "models", "coba.py")
CASES = os.path.join(ROOT, "tests", "mpi_cases.py")


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec (pip install mpich)")
    return found


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MV2_"))}


def _run(n, args, cwd, timeout=600):
    """``args`` under ``mpiexec -n n`` (n > 0) or as one plain process (n = 0)."""
    cmd = ([_mpiexec(), "-n", str(n)] if n else []) + [sys.executable, *args]
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("env, k", [({}, 1), ({"PMI_SIZE": "1", "PMI_RANK": "0"}, 1), ({"PMI_SIZE": "3"}, 3),
                                    ({"OMPI_COMM_WORLD_SIZE": "4"}, 4), ({"MV2_COMM_WORLD_SIZE": "2"}, 2),
                                    ({"PMI_SIZE": ""}, 1)])
def test_launched_processes_from_the_launchers_variables(env, k):
    assert launched_processes(env) == k


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """Every case of tests/mpi_cases.py run as one process."""
    d = tmp_path_factory.mktemp("single")
    proc = _run(0, [CASES, "single.npz"], d)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(d / "single.npz"))


@pytest.mark.parametrize("k", [2, 3])
def test_partitioned_runs_are_bit_identical_to_one_process(single, k, tmp_path):
    proc = _run(k, [CASES, "mpi.npz"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = dict(np.load(tmp_path / "mpi.npz"))
    assert sorted(got) == sorted(single)
    differ = [key for key in single if got[key].dtype != single[key].dtype or got[key].shape != single[key].shape
              or got[key].tobytes() != single[key].tobytes()]
    assert not differ, f"{len(differ)} of {len(single)} arrays differ, e.g. {differ[:5]}"
    # the comparison has something to compare: every case spiked, learned and was traced
    for case in ("coba", "brunel", "potjans", "wang", "stdp", "short_term", "release"):
        n = sum(v.size for key, v in single.items() if key.startswith(case + "/") and "/spikes/" in key
                and key.endswith("/t"))
        assert n > 50, (case, n)
    w = single["stdp/weights/inputs_to_exc/AMPA"]
    assert np.ptp(w) > 0.1                       # STDP moved the weights away from their common start
    assert single["short_term/1/state/('exc', 'g_I')"].max() > 0


SPLIT = """
import json, sys
sys.path.insert(0, {models!r})
import coba
import neurosim as ns
from neurosim.errors import ParallelLaunchError
from neurosim.parallel import world
net = coba.build(n=4000)
net.build()
report = net.memory_report()
refused = ""
try:
    net.projections[0].set(weight=ns.Normal(5.0, 1.0))
except ParallelLaunchError as exc:
    refused = str(exc)
w = world()
rank = 0 if w is None else w.rank
with open(f"{{sys.argv[1]}}_{{rank}}.json", "w") as f:
    json.dump({{"rank": rank, "n_synapses": report["n_synapses"], "bytes_per_synapse": report["bytes_per_synapse"],
               "refused": refused}}, f)
"""


def test_each_process_keeps_only_the_synapses_onto_its_neurons(tmp_path):
    import json
    (tmp_path / "split.py").write_text(SPLIT.format(models=os.path.join(ROOT, "models")))
    whole = _run(0, ["split.py", "whole"], tmp_path)
    assert whole.returncode == 0, whole.stderr[-3000:]
    whole = json.loads((tmp_path / "whole_0.json").read_text())
    n_whole = whole["n_synapses"]
    proc = _run(2, ["split.py", "split"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"split_{r}.json").read_text()) for r in (0, 1)]
    # every synapse kept by exactly one process, about half each (COBA: 2 x 2000 neurons)
    assert sum(r["n_synapses"] for r in ranks) == n_whole
    assert all(0.3 * n_whole < r["n_synapses"] < 0.7 * n_whole for r in ranks), ranks
    assert all(r["bytes_per_synapse"] <= 12 for r in ranks), ranks
    # one weight per synapse drawn from a distribution needs the whole projection: refused, saying so
    assert all("split across the MPI processes" in r["refused"] for r in ranks), ranks
    assert whole["refused"] == ""


def test_the_cli_under_mpiexec_writes_one_result_like_one_process(tmp_path):
    from neurosim.io.hdf5 import read_result
    args = ["-m", "neurosim", "run", COBA, "--set", "n=600", "--duration", "40"]
    one = _run(0, args + ["--out", "one/coba.h5"], tmp_path)
    assert one.returncode == 0, one.stderr[-3000:]
    two = _run(2, args + ["--out", "two/coba.h5"], tmp_path)
    assert two.returncode == 0, two.stderr[-3000:]
    assert two.stdout.count("wrote two/coba.h5") == 1          # rank 0 prints the summary
    assert "1 thread in each of 2 MPI processes" in two.stdout
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["coba.h5", "coba.png"]
    a, b = read_result(tmp_path / "one" / "coba.h5"), read_result(tmp_path / "two" / "coba.h5")
    assert (a.meta["mpi_processes"], b.meta["mpi_processes"]) == (1, 2)
    for pop in a.spikes:
        assert a.spikes[pop].times.size > 100
        np.testing.assert_array_equal(a.spikes[pop].times, b.spikes[pop].times)
        np.testing.assert_array_equal(a.spikes[pop].node_ids, b.spikes[pop].node_ids)


FAILING = """
import sys
sys.path.insert(0, {models!r})
import coba
from neurosim.parallel import world
net = coba.build(n=400)
net.run(5.0)
if world().rank == 1:
    raise MemoryError("rank 1 ran out of memory")
net.run(5.0)     # rank 0 would wait here for rank 1 forever
print("rank", world().rank, "finished")
"""


def test_a_failing_rank_ends_every_rank_with_its_message(tmp_path):
    (tmp_path / "failing.py").write_text(FAILING.format(models=os.path.join(ROOT, "models")))
    proc = _run(2, ["failing.py"], tmp_path, timeout=240)
    assert proc.returncode != 0
    assert "rank 1 ran out of memory" in proc.stderr
    assert "MPI rank 1 of 2 failed" in proc.stderr
    assert "finished" not in proc.stdout


def test_an_invalid_spec_is_refused_by_every_rank_before_a_build(tmp_path):
    proc = _run(2, ["-m", "neurosim", "run", COBA, "--set", "w_e=-6", "--duration", "5", "--out", "bad.h5"],
                tmp_path, timeout=240)
    assert proc.returncode != 0
    assert "w_e" in proc.stderr or "weight" in proc.stderr, proc.stderr[-2000:]
    assert not any(tmp_path.iterdir()), sorted(p.name for p in tmp_path.iterdir())


def test_what_cannot_be_partitioned_yet_is_refused_with_the_reason(tmp_path):
    script = ("import neurosim as ns\nnet = ns.Network(batch=2)\nnet.population('a', 10, ns.LIFCond())\n"
              "net.run(1.0)\n")
    (tmp_path / "batch.py").write_text(script)
    proc = _run(2, ["batch.py"], tmp_path, timeout=240)
    assert proc.returncode != 0
    assert "batch=2" in proc.stderr and "cannot run partitioned" in proc.stderr, proc.stderr[-2000:]
