"""Data sets and input encodings (imports no simulator code; loads no data on import).

``load_mnist`` / ``read_idx`` (:mod:`neurosim.data.mnist`) and ``poisson_rates`` /
``constant_currents`` (:mod:`neurosim.data.encoding`).
"""
from .mnist import (MNIST, load_mnist, read_idx, train_val_split, DataError, IDXFormatError,
                    ChecksumError, DataNotFoundError)
from .encoding import poisson_rates, constant_currents, to_unit_interval, spike_probability

__all__ = ["MNIST", "load_mnist", "read_idx", "train_val_split", "DataError", "IDXFormatError",
           "ChecksumError", "DataNotFoundError", "poisson_rates", "constant_currents",
           "to_unit_interval", "spike_probability"]
