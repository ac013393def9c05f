"""Exception hierarchy of neurosim."""


class NeurosimError(Exception):
    """Base class of every error neurosim raises on purpose."""


class SpecError(NeurosimError, ValueError):
    """A model description is invalid; raised before anything is simulated.

    The message names the parameter, the value received and the allowed range.
    """


class BackendUnavailableError(NeurosimError, RuntimeError):
    """The requested backend (for example ``"cuda"``) cannot run on this machine."""


class ResultFileError(NeurosimError, OSError):
    """A result file is missing, truncated, corrupted, foreign or of a newer schema."""
