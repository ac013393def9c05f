"""Run one of PyNN's example scripts (``examples/*.py`` of PyNN's sdist, see
:func:`pynn_harness.obtain_examples`) with ``neurosim.pynn`` as its simulator::

    python tests/pynn_example_runner.py <example.py> neurosim [options of the example]

PyNN's examples pick their backend with ``pyNN.utility.get_simulator``, which imports
``pyNN.<name>`` for the simulator named on the command line; this runner makes
``pyNN.neurosim`` an alias of :mod:`neurosim.pynn` and runs the script as ``__main__`` with
``sys.argv = [example, *arguments]``, in the current working directory (the examples write
their data and figures under it: run it in a scratch folder).  Any other simulator name
(``nest``, ``brian2``) is imported by PyNN as usual, so the same runner gives the reference runs.
Matplotlib is put on its non-interactive backend (``Agg``) unless ``MPLBACKEND`` says otherwise.
"""
import os
import runpy
import sys


def register_alias():
    """``import pyNN.neurosim`` gives :mod:`neurosim.pynn` (also as attribute ``pyNN.neurosim``)."""
    import pyNN
    import neurosim.pynn
    sys.modules["pyNN.neurosim"] = neurosim.pynn
    pyNN.neurosim = neurosim.pynn


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or not argv[0].endswith(".py"):
        print(f"usage: {os.path.basename(__file__)} <example.py> <simulator> [options]", file=sys.stderr)
        return 2
    path = os.path.abspath(argv[0])
    if not os.path.isfile(path):
        print(f"{path}: no such example script", file=sys.stderr)
        return 2
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "neurosim" in argv[1:2]:
        register_alias()
    sys.argv = [path] + argv[1:]
    sys.path.insert(0, os.path.dirname(path))   # as `python example.py` would
    runpy.run_path(path, run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
