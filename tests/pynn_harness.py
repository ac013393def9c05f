"""PyNN's own system scenarios (``test/system/scenarios`` of PyNN's source distribution), fetched at
test time and run against any PyNN backend module.

PyNN ships 66 simulator-independent scenario functions in its sdist (not in its wheel).  They are
PyNN's code, so they are never copied into this repository: :func:`obtain_scenarios` downloads the
sdist of the installed PyNN version once with ``pip download --no-binary :all: --no-deps`` into a
cache folder (``$NEUROSIM_PYNN_SDIST`` if set, else ``~/.cache/neurosim/pynn-sdist``), extracts it
(refusing members that would land outside the folder) and :func:`load_scenarios` imports
``test/system/scenarios`` as a package (the modules use relative imports, ``from .fixtures
import ...``).  Every module-level function whose name starts with ``test_`` is a scenario; its
pytest marks (``run_with_simulators``) are ignored and the function is called with the backend
module as ``sim`` (the ``plot_figure`` keyword keeps its default, False).

Used by ``tests/test_pynn_scenarios.py`` (one pytest item per scenario) and as a script::

    python tests/pynn_harness.py --backend pyNN.nest

which runs every scenario in this process (in a scratch working directory: some write files) and
prints ``name  passed/failed/error/skipped  reason`` and the totals.  ``failed`` is an
AssertionError, ``error`` any other exception, ``skipped`` a ``pytest.skip`` inside the scenario.
NEST cannot be reset safely after Numba's OpenMP pool has started in the same process, so run the
NEST backend as this script (its own process), not inside a larger test session.
"""
import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from pathlib import Path

EXPECTED_SCENARIOS = 66   # PyNN 0.13.0; a different count means PyNN changed: review the list
PACKAGE = "_pynn_system_scenarios"   # the name the scenarios' package is imported under


class ScenarioSourceError(RuntimeError):
    """PyNN's scenarios could not be obtained (PyNN missing, download failed and no cache)."""


def pynn_version() -> str:
    """Version of the installed PyNN; ScenarioSourceError if PyNN is not installed."""
    try:
        import pyNN
    except ImportError as exc:
        raise ScenarioSourceError(f"PyNN is not installed ({exc})") from exc
    return pyNN.__version__


def cache_folder() -> Path:
    """``$NEUROSIM_PYNN_SDIST`` if set, else ``~/.cache/neurosim/pynn-sdist``."""
    env = os.environ.get("NEUROSIM_PYNN_SDIST")
    return Path(env) if env else Path.home() / ".cache" / "neurosim" / "pynn-sdist"


def safe_extract(archive: Path, dest: Path) -> None:
    """Extract the tar archive ``archive`` into ``dest``; ValueError (naming the member) for a member
    whose path, or link target, would resolve outside ``dest``, or that is a device/fifo."""
    dest = dest.resolve()
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for m in members:
            target = (dest / m.name).resolve()
            if os.path.isabs(m.name) or not target.is_relative_to(dest):
                raise ValueError(f"{archive}: member {m.name!r} would be extracted outside {dest}")
            if m.issym() or m.islnk():
                base = target.parent if m.issym() else dest
                link = (base / m.linkname).resolve()
                if os.path.isabs(m.linkname) or not link.is_relative_to(dest):
                    raise ValueError(f"{archive}: link {m.name!r} -> {m.linkname!r} points outside {dest}")
            elif not (m.isfile() or m.isdir()):
                raise ValueError(f"{archive}: member {m.name!r} is not a regular file or folder")
        tar.extractall(dest, members=members, filter="data")


def _find_archive(folder: Path, version: str):
    for pattern in (f"[Pp]y[Nn][Nn]-{version}.tar.gz", f"[Pp]y[Nn][Nn]-{version}.zip"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def obtain_sdist(version: str = None, folder: Path = None) -> Path:
    """Root folder of PyNN ``version``'s extracted sdist (default: the installed version),
    downloaded and extracted into ``folder`` (default :func:`cache_folder`) on first use.
    ScenarioSourceError when PyNN is missing or the download fails with nothing cached."""
    version = version or pynn_version()
    folder = Path(folder) if folder else cache_folder()
    root = folder / f"extracted-{version}"
    if root.is_dir():
        return _single_top(root, root)
    folder.mkdir(parents=True, exist_ok=True)
    archive = _find_archive(folder, version)
    if archive is None:
        cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
               f"pyNN=={version}", "-d", str(folder)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        archive = _find_archive(folder, version)
        if proc.returncode != 0 or archive is None:
            raise ScenarioSourceError(f"could not download PyNN {version}'s sdist into {folder} "
                                      f"({' '.join(cmd)} exited {proc.returncode}: "
                                      f"{(proc.stderr or proc.stdout).strip()[-400:]})")
    if archive.suffix == ".zip":
        raise ScenarioSourceError(f"{archive}: zip sdists are not supported")
    tmp = Path(tempfile.mkdtemp(prefix="extract-", dir=folder))
    safe_extract(archive, tmp)
    tmp.rename(root)   # atomic: a half-extracted tree is never taken for a cached one
    return _single_top(root, archive)


def _single_top(root: Path, origin) -> Path:
    tops = [p for p in root.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise ScenarioSourceError(f"{origin} does not hold one top-level folder ({[p.name for p in tops]})")
    return tops[0]


def _sdist_subfolder(relative: str, version: str = None, folder: Path = None) -> Path:
    path = obtain_sdist(version, folder) / relative
    if not path.is_dir():
        raise ScenarioSourceError(f"PyNN's sdist has no {relative} folder ({path})")
    return path


def obtain_scenarios(version: str = None, folder: Path = None) -> Path:
    """Folder ``test/system/scenarios`` of PyNN ``version``'s sdist (see :func:`obtain_sdist`)."""
    return _sdist_subfolder("test/system/scenarios", version, folder)


def obtain_examples(version: str = None, folder: Path = None) -> Path:
    """Folder ``examples`` of PyNN ``version``'s sdist (33 scripts in 0.13.0; see
    :func:`obtain_sdist`)."""
    return _sdist_subfolder("examples", version, folder)


def load_scenarios(scenarios: Path) -> dict:
    """{function name: function} of every module-level ``test_*`` function of the scenario modules,
    in file order.  The folder is imported as package :data:`PACKAGE`.  ValueError if two modules
    define the same name."""
    pkg = sys.modules.get(PACKAGE)
    if pkg is None or Path(pkg.__path__[0]) != Path(scenarios):
        for key in [k for k in sys.modules if k == PACKAGE or k.startswith(PACKAGE + ".")]:
            del sys.modules[key]
        spec = importlib.util.spec_from_file_location(PACKAGE, Path(scenarios) / "__init__.py",
                                                      submodule_search_locations=[str(scenarios)])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = pkg
        spec.loader.exec_module(pkg)
    found = {}
    for path in sorted(Path(scenarios).glob("test*.py")):
        module = importlib.import_module(f"{PACKAGE}.{path.stem}")
        for name, obj in vars(module).items():
            if name.startswith("test_") and callable(obj) and getattr(obj, "__module__", None) == module.__name__:
                if name in found:
                    raise ValueError(f"scenario name {name!r} defined twice ({path.name})")
                found[name] = obj
    return found


def run_scenario(fn, sim) -> tuple:
    """Run one scenario with backend module ``sim`` (``sim.end()`` afterwards, always).  Returns
    (status, short reason): status is passed, failed (AssertionError), error (other exception)
    or skipped (pytest.skip inside the scenario)."""
    import pytest
    try:
        try:
            fn(sim)
        finally:
            try:
                sim.end()
            except Exception:   # a failing end() must not hide the scenario's own outcome
                pass
    except pytest.skip.Exception as exc:
        return "skipped", str(exc.msg)
    except AssertionError as exc:
        return "failed", _short(exc)
    except Exception as exc:
        return "error", _short(exc)
    return "passed", ""


def _short(exc: BaseException, width: int = 100) -> str:
    text = " ".join(str(exc).split()) or traceback.format_exception_only(type(exc), exc)[-1].strip()
    text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= width else text[:width - 3] + "..."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default=os.environ.get("NEUROSIM_PYNN_BACKEND", "neurosim.pynn"),
                        help="PyNN backend module to run the scenarios with (default %(default)s)")
    parser.add_argument("-k", dest="select", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args(argv)
    sim = importlib.import_module(args.backend)
    scenarios = load_scenarios(obtain_scenarios())
    if len(scenarios) != EXPECTED_SCENARIOS:
        print(f"warning: {len(scenarios)} scenarios found, {EXPECTED_SCENARIOS} expected")
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pynn-scenarios-") as scratch:
        cwd = os.getcwd()
        os.chdir(scratch)
        try:
            for name, fn in scenarios.items():
                if args.select not in name:
                    continue
                status, reason = run_scenario(fn, sim)
                counts[status] += 1
                print(f"{name:55s} {status:8s} {reason}", flush=True)
        finally:
            os.chdir(cwd)
    total = sum(counts.values())
    print(f"\n{args.backend}: {counts['passed']} of {total} passed, {counts['failed']} failed, "
          f"{counts['error']} errors, {counts['skipped']} skipped ({time.perf_counter() - start:.0f} s)")
    return 0 if counts["passed"] == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
