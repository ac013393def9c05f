"""The backend interface: upload a SimState once, run chunks of steps, download state, push
changes made to the downloaded state back (between runs)."""
from __future__ import annotations

from abc import ABC, abstractmethod


class Backend(ABC):
    name = "base"

    @abstractmethod
    def upload(self, state):
        """Take ownership of a host SimState (copy it to the device if there is one)."""

    @abstractmethod
    def run_chunk(self, key, dt, step0, n_steps, per_step_max, mon_first, mon_buf_off, out_state,
                  out_step, out_id, out_trial, out_counts):
        """Run up to ``n_steps`` steps; returns (steps done, spikes written)."""

    @abstractmethod
    def download(self):
        """The current SimState as host numpy arrays."""

    def push(self, *parts: str):
        """Make the changes written into the host arrays of :meth:`download`'s state, in the
        SimState parts named (``"neurons"``, ``"syn"``, ``"tables"``, ...), take effect in the
        next chunk.  Nothing to do where the host arrays are the state (CPU)."""

    def threads(self) -> int:
        return 1
