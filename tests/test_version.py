"""The version: one source (neurosim/_version.py), repeated in pyproject.toml for setuptools."""
import tomllib
from pathlib import Path

import neurosim
from neurosim import _version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_matches_pyproject():
    with open(PYPROJECT, "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert neurosim.__version__ == project["version"]


def test_package_version_is_the_single_source():
    assert neurosim.__version__ is _version.__version__
    assert "__version__" in neurosim.__all__
