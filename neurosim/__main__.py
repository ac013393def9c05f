"""``python -m neurosim``: the ``neurosim`` command line (:func:`neurosim.cli.main`)."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
