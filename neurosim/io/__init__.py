"""Reading and writing results: :func:`write_result`, :func:`read_result`, :class:`ResultWriter`
(HDF5, SONATA-compatible spikes and reports; see :mod:`neurosim.io.hdf5`)."""
from .hdf5 import SCHEMA_VERSION, write_result, read_result, describe_file, ResultWriter, read_spike_window

__all__ = ["SCHEMA_VERSION", "write_result", "read_result", "describe_file", "ResultWriter", "read_spike_window"]
