"""Packaging (issue 15, item 5): ``python -m neurosim``, logging instead of print, py.typed.

The library logs to children of the ``neurosim`` logger (which carries a NullHandler) and
prints nothing itself; ``neurosim run`` shows the INFO records (the compile notice) on stderr.
"""
import ast
import logging
import os
import subprocess
import sys

import numpy as np

import neurosim  # noqa: F401  (installs the NullHandler)
from neurosim.baselines.mlp import MLP
from neurosim.logs import log_to_stderr
from neurosim.sim.compile_notice import compile_notice

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "neurosim")


def test_python_m_neurosim_is_the_command_line():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "neurosim", "--help"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: neurosim"), proc.stdout
    for cmd in ("run", "info", "plot"):
        assert cmd in proc.stdout


def _compile_something():
    """Compile a fresh Numba function (not cached) inside compile_notice; returns the notice."""
    from numba import njit

    @njit(cache=False)
    def twice(x):
        return 2 * x + 1

    with compile_notice() as notice:
        assert twice(20) == 41
    return notice


def test_compile_notice_is_an_info_record_of_a_neurosim_logger(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="neurosim"):
        notice = _compile_something()
    assert notice.compiled and notice.seconds > 0
    recs = [r for r in caplog.records if r.name == "neurosim.sim.compile_notice"]
    assert [r.levelno for r in recs] == [logging.INFO, logging.INFO]
    assert "compiling kernels" in recs[0].getMessage()
    assert recs[1].getMessage() == f"kernels compiled in {notice.seconds:.1f} s"
    out, err = capsys.readouterr()
    assert "compiling" not in out + err   # a library does not print: nothing without a handler


def test_the_command_line_shows_the_notice_on_stderr(capsys):
    log = logging.getLogger("neurosim")
    handlers, level = list(log.handlers), log.level
    try:
        log_to_stderr()
        log_to_stderr()   # idempotent: one line per record
        _compile_something()
    finally:
        log.handlers[:], log.level = handlers, level
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("neurosim: compiling kernels") and lines[1].startswith("neurosim: kernels compiled in")


def _tiny_fit(verbose):
    rng = np.random.default_rng(0)
    x = rng.random((32, 4), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    MLP((4, 3, 2), seed=1).fit(x, y, epochs=2, batch_size=16, verbose=verbose)


def test_progress_lines_are_debug_records_unless_verbose(caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="neurosim"):
        _tiny_fit(verbose=False)
    msgs = [r.getMessage() for r in caplog.records if r.name == "neurosim.baselines.mlp"]
    assert len(msgs) == 2 and msgs[0].startswith("epoch   1/2") and msgs[1].startswith("epoch   2/2"), msgs
    assert capsys.readouterr().out == ""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="neurosim"):
        _tiny_fit(verbose=True)                       # the documented output of verbose=True: stdout
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("epoch   2/2"), out
    assert not [r for r in caplog.records if r.name == "neurosim.baselines.mlp"]


def test_the_library_logger_has_a_null_handler():
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("neurosim").handlers)


def test_no_print_outside_the_command_line():
    """``print`` only in cli.py and cli_export.py (the command's own output) and logs.py
    (verbose=True lines)."""
    found = []
    for dirpath, _, files in os.walk(PKG):
        for fn in files:
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, PKG)
            if not fn.endswith(".py") or rel in ("cli.py", "cli_export.py", "logs.py"):
                continue
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            if "print" not in text:
                continue
            tree = ast.parse(text)
            found += [f"{rel}:{n.lineno}" for n in ast.walk(tree)
                      if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]
    assert found == []


def test_py_typed_ships_with_the_package():
    tomllib = __import__("tomllib") if sys.version_info >= (3, 11) else __import__("tomli")
    assert os.path.isfile(os.path.join(PKG, "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        cfg = tomllib.load(fh)
    assert "py.typed" in cfg["tool"]["setuptools"]["package-data"]["neurosim"]


def test_the_command_line_leaves_no_handler_behind(tmp_path, capsys):
    """``neurosim.cli.main([...])`` called from Python shows its records on stderr while it runs and
    gives the ``neurosim`` logger its handlers back afterwards (else a later library call would
    print: test order must not matter)."""
    from neurosim.cli import main
    log = logging.getLogger("neurosim")
    before = (list(log.handlers), log.level)
    assert main(["info", str(tmp_path / "missing.h5")]) != 0
    assert (list(log.handlers), log.level) == before
    capsys.readouterr()
