"""neurosim started as several processes of a real ``mpiexec`` (the ``mpich`` wheel of the test
extra) refuses to build a network, in every process, with a message naming the process count and
what to do, and writes no file; ``mpiexec -n 1`` runs normally.  neurosim does not partition a
network across processes yet (issue 16): without this guard each process would simulate the whole
network and write the same files."""
import os
import shutil
import subprocess
import sys

import pytest

from neurosim.errors import ParallelLaunchError
from neurosim.parallel import launched_processes, refuse_unpartitioned

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COBA = os.path.join(ROOT, "models", "coba.py")


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec (pip install mpich)")
    return found


@pytest.mark.parametrize("env, k", [({}, 1), ({"PMI_SIZE": "1", "PMI_RANK": "0"}, 1), ({"PMI_SIZE": "3"}, 3),
                                    ({"OMPI_COMM_WORLD_SIZE": "4"}, 4), ({"MV2_COMM_WORLD_SIZE": "2"}, 2),
                                    ({"PMI_SIZE": ""}, 1)])
def test_launched_processes_from_the_launchers_variables(env, k):
    assert launched_processes(env) == k
    if k > 1:
        with pytest.raises(ParallelLaunchError, match=f"one of {k} MPI processes"):
            refuse_unpartitioned(env)
    else:
        refuse_unpartitioned(env)


def _mpirun(n, args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MV2_"))}
    return subprocess.run([_mpiexec(), "-n", str(n), sys.executable, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_two_mpi_processes_refuse_to_build_and_write_nothing(tmp_path):
    proc = _mpirun(2, ["-m", "neurosim", "run", COBA, "--set", "n=100", "--duration", "5", "--out", "coba.h5"],
                   tmp_path)
    assert proc.returncode != 0
    # every process says why (mpiexec forwards both processes' stderr, not always line by line)
    assert proc.stderr.count("one of 2 MPI processes") == 2, proc.stderr[-2000:]
    assert proc.stderr.count("mpiexec -n 1") == 2
    assert not any(tmp_path.iterdir()), sorted(p.name for p in tmp_path.iterdir())


def test_one_mpi_process_runs(tmp_path):
    proc = _mpirun(1, ["-m", "neurosim", "run", COBA, "--set", "n=100", "--duration", "5", "--out", "coba.h5",
                       "--no-plot"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "coba.h5").is_file()
