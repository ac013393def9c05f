"""The tutorial notebooks run from top to bottom (small sizes) and are stored without outputs."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_both_tutorials_exist():
    names = [p.name for p in NOTEBOOKS]
    assert "01_getting_started.ipynb" in names and "02_synapse_kinetics.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a tutorial without code"
    assert all(not c.outputs and c.execution_count is None for c in code), "store notebooks without outputs"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()              # raises CellExecutionError on the first failing cell
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    # every cell ran and the figures were rendered
    assert all(c.execution_count is not None for c in code)
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2
