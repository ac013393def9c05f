"""The tutorial notebooks are stored executed (their outputs show where the repository is
browsed; ``python notebooks/execute.py`` refreshes them), the stored outputs are clean (no
default object reprs such as ``<neurosim.network.Network at 0x...>`` or ``np.float64(...)``,
no errors), and they still run from top to bottom (small sizes)."""
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_both_tutorials_exist():
    names = [p.name for p in NOTEBOOKS]
    assert "01_getting_started.ipynb" in names and "02_synapse_kinetics.ipynb" in names


#: Text that must not appear in a stored output: default reprs, numpy scalar reprs, tracebacks.
BAD_OUTPUT = re.compile(r"<[\w.]+ (object )?at 0x[0-9a-f]+>|\bnp\.(float|int|bool)\w*\(|Traceback|Error:")


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    return str(output.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_notebook_is_executed_with_clean_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "store the notebooks executed (notebooks/execute.py)"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "executed in order, top to bottom"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) >= 2, "the figures are stored"
    for c in code:
        for o in c.outputs:
            bad = BAD_OUTPUT.search(_text(o))
            assert bad is None, f"cell {c.execution_count} prints {bad.group(0)!r}: {_text(o)[:200]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a tutorial without code"
    for c in code:                # re-execute from scratch, as CI does
        c.outputs, c.execution_count = [], None
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()              # raises CellExecutionError on the first failing cell
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    # every cell ran and the figures were rendered
    assert all(c.execution_count is not None for c in code)
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2
    for o in (o for c in code for o in c.outputs):
        assert BAD_OUTPUT.search(_text(o)) is None, _text(o)[:200]
