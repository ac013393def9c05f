"""The version of neurosim: the single source, with no imports, so that any module can import it
without importing the package ``__init__`` (pyproject.toml repeats it for setuptools; a test keeps
the two equal)."""
__version__ = "0.1.0"
