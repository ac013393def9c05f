"""Execute the tutorial notebooks and store them with their outputs (as they are committed).

    python notebooks/execute.py            # all notebooks/*.ipynb, run in a temporary folder

The tests (tests/test_notebooks.py) re-execute them and check the stored outputs.
"""
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

HERE = Path(__file__).resolve().parent


def execute(path: Path, workdir: str, timeout: int = 600):
    """Run the notebook at ``path`` top to bottom in ``workdir``; returns the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": workdir}}).execute()
    return nb


def main(paths) -> int:
    for p in paths or sorted(HERE.glob("*.ipynb")):
        with tempfile.TemporaryDirectory() as d:
            nb = execute(Path(p), d)
        nbformat.write(nb, p)
        print(f"executed and stored {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
