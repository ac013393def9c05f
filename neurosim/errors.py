"""Exception hierarchy of neurosim."""


class NeurosimError(Exception):
    """Base class of every error neurosim raises on purpose."""


class SpecError(NeurosimError, ValueError):
    """A model description is invalid; raised before anything is simulated.

    The message names the parameter, the value received and the allowed range.
    """


class BackendUnavailableError(NeurosimError, RuntimeError):
    """The requested backend (for example ``"cuda"``) cannot run on this machine."""


class ParallelLaunchError(NeurosimError, RuntimeError):
    """neurosim was started in a way it cannot run in, such as one of several processes of
    ``mpiexec`` (every process would simulate the whole network); raised before a build."""


class ResultFileError(NeurosimError, OSError):
    """A result file is missing, truncated, corrupted, foreign or of a newer schema."""


class ResultFileWarning(UserWarning):
    """A result file was read, but something about it deserves attention (for example, an old
    file that carries no checksums)."""


class SelectionError(NeurosimError, KeyError, ValueError):
    """Something that is not in a result was asked for: a population, projection, variable,
    neuron or trial.  The message names what was asked for and lists what is available."""

    def __str__(self):          # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InsufficientMemoryError(NeurosimError, MemoryError):
    """A network would need more memory than the machine has available; raised before the
    arrays are allocated, with the estimate and the memory available."""
