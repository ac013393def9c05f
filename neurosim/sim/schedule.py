"""The schedule of one time step as data: the phases that both chunk runners follow, in order.

``PHASES`` is the single statement of the order in DESIGN.md ("One time step"), at the level of
the kernel functions that ``kernels/cpu/chunk.py::run_chunk`` and ``kernels/cuda/chunk.py::
run_chunk`` call.  tests/test_schedule.py reads both runners' source and fails when either calls
its phase kernels in another order, or calls one that is not listed here, or leaves one out: a
change of the order is made here first, then in both runners.

Runners (the ``RUNNERS`` names):

``"cpu"``        kernels/cpu/chunk.py with one thread, or several trials on several threads:
                 thread 0 collects every spike and propagates it;
``"cpu-owned"``  the same runner with one trial on several threads: every thread collects the
                 spikes of its own neuron blocks and propagates every spike into its own neurons;
``"cuda"``       kernels/cuda/chunk.py, each phase one or more kernel launches from the host (the
                 neuron update appends each spike to its trial's list itself, so there is no
                 separate collection).

Plain data: importing this module imports neither Numba nor any kernel.  :func:`summary` (behind
``Network.schedule_summary()``) imports the CPU runner's ``chunk_args`` to tell which phases a
network runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RUNNERS = ("cpu", "cpu-owned", "cuda")


@dataclass(frozen=True)
class Phase:
    """One phase of a step.

    name      : short name, unique
    step      : the number of the phase in DESIGN.md's "One time step" (1 inputs ... 7 record)
    cpu       : kernel functions the CPU runner calls, in order (thread 0 collects and propagates)
    cpu_owned : the same with one trial on several threads (``None``: as ``cpu``)
    cuda      : kernel functions (host-side launchers) the CUDA runner calls, in order
    runs_on   : which CPU threads run it (``runs_on_owned``: with one trial on several threads;
                ``None``: the same)
    condition : when the network runs it (``"always"``, or what the network must have)
    marker    : the ``run_chunk`` argument (from ``chunk_args``) that is ``None`` when the phase is
                left out of the compiled CPU code, ``None`` if it always runs
    parts     : ``(argument, label)``: the ``run_chunk`` arguments marking the code paths of the
                phase that are compiled in (``True``) or left out (``None``)
    no_parts  : the label when none of ``parts`` is compiled in
    cuda_always : the CUDA runner launches it every step whatever the network
    note      : what the phase does
    """
    name: str
    step: int
    cpu: tuple
    cuda: tuple
    runs_on: str
    condition: str
    note: str
    cpu_owned: Optional[tuple] = None
    runs_on_owned: Optional[str] = None
    marker: Optional[str] = None
    parts: tuple = ()
    no_parts: str = "none"
    cuda_always: bool = False

    def kernels(self, runner: str) -> tuple:
        """The kernel functions this phase calls on ``runner`` (one of ``RUNNERS``), in order."""
        if runner == "cpu":
            return self.cpu
        if runner == "cpu-owned":
            return self.cpu if self.cpu_owned is None else self.cpu_owned
        if runner == "cuda":
            return self.cuda
        raise ValueError(f"runner must be one of {RUNNERS}, got {runner!r}")


PHASES = (
    Phase("schedules", 1, ("advance_tables",), ("advance_tables",), "thread 0",
          "the network has schedules (time-varying rates or amplitudes)",
          "move every schedule to its value at this step (CUDA: also empties the step's spike lists)",
          marker="use_tables", cuda_always=True),
    Phase("currents", 1, ("inject_currents",), ("inject_currents",), "thread 0",
          "the network has injected currents", "set i_ext from the current injections (and AC / noise currents)",
          marker="use_currents"),
    Phase("poisson_drive", 1, ("poisson_drive",), ("poisson_drive",), "thread 0",
          "the network has a Poisson drive", "add the drive's binomial input into the receptors",
          runs_on_owned="thread 0 when the network has state monitors (they sample the drive), for "
                        "every neuron (under MPI: the process's own); else poisson_drive_own",
          marker="use_drive"),
    Phase("sources", 1, ("source_spikes",), ("source_spikes",), "thread 0",
          "the network has Poisson, gamma or dead-time sources or spike generators", "mark this step's source spikes",
          marker="use_sources"),
    Phase("saturating_step", 2, ("saturating_step",), ("saturating_step",), "thread 0",
          "the network has saturating NMDA receptors", "advance the presynaptic NMDA gating",
          marker="sat"),
    Phase("sample_state", 7, ("sample_state",), ("sample_state",), "thread 0",
          "the network has state monitors",
          "state monitors sample the start-of-step values (time step*dt, this step's arrivals included)",
          marker="use_monitors"),
    Phase("poisson_drive_own", 1, (), (), "-", "the network has a Poisson drive",
          "the drive's input for a thread's own neurons, just before their update (one trial on several "
          "threads or MPI processes, no state monitors)",
          cpu_owned=("poisson_drive",), runs_on_owned="every thread (its own neurons), after the first barrier",
          marker="use_drive"),
    Phase("neurons", 2, ("update_neurons",), ("update_neurons",), "every thread (its blocks)", "always",
          "arrivals from the ring buffer, exact decay, membrane, threshold, reset, refractoriness",
          parts=(("use_cond", "conductance-based"), ("use_cond_fused", "conductance-based 2-channel fused"),
                 ("use_curr", "current-based"), ("use_curr_fused", "current-based 2-channel fused"),
                 ("use_per_neuron", "per-neuron parameters"), ("use_adex", "adaptive exponential IF"),
                 ("use_theta", "adaptive threshold"))),
    Phase("collect", 4, ("collect_spikes",), (), "thread 0", "always",
          "gather the step's spikes into the spike list (CUDA: done inside update_neurons)",
          cpu_owned=("collect_owned", "exchange_spikes", "collect_sources"),
          runs_on_owned="every thread (sources: thread 0); under MPI each process collects its own neurons' "
                        "spikes and exchanges them with the others (exchange_spikes, compiled in only then)"),
    Phase("propagate", 5, ("propagate",), ("propagate",), "thread 0", "always",
          "each spike walks its CSR rows into the ring buffer (or a direct channel)",
          cpu_owned=("propagate_owned",), runs_on_owned="every thread (into its own neurons)",
          parts=(("use_ring", "ring buffer"), ("use_dense", "dense rows"), ("use_rise", "rise components"),
                 ("use_unsorted", "unsorted rows"), ("use_stp", "Tsodyks-Markram short-term plasticity"),
                 ("use_rel", "stochastic release")),
          no_parts="direct channels only"),
    Phase("saturating_arrivals", 5, ("saturating_arrivals",), ("saturating_arrivals",), "thread 0",
          "the network has saturating NMDA receptors", "the gating's arrivals at the postsynaptic neurons",
          marker="sat"),
    Phase("plasticity", 6, ("plasticity",), ("plasticity",), "thread 0",
          "the network has plastic projections or neuromodulators",
          "traces, STDP updates, modulator releases and eligibility", marker="plast"),
    Phase("record_spikes", 7, ("record_spikes",), ("record_spikes",), "thread 0", "always",
          "recorded spikes into the output buffers, per-population counts"),
)


def kernel_names() -> frozenset:
    """Every kernel function that some phase calls on some runner."""
    return frozenset(k for ph in PHASES for r in RUNNERS for k in ph.kernels(r))


def order(runner: str) -> tuple:
    """The kernel calls of one step on ``runner``, in order."""
    return tuple(k for ph in PHASES for k in ph.kernels(runner))


class ScheduleSummary:
    """The phases one network runs, in order (``Network.schedule_summary()``); ``rows`` holds
    ``(phase, runs, detail)`` and ``str``/``repr`` give the table."""

    def __init__(self, runner, rows, built):
        self.runner = runner
        self.rows = rows
        self.built = built

    def __str__(self):
        head = (f"Schedule of one time step ({self.runner} runner, sim/schedule.py"
                f"{'' if self.built else '; network not built yet: markers from its arrays'}):")
        table = [("#", "phase", "kernel(s)", "runs on", "")]
        for i, (ph, runs, detail) in enumerate(self.rows, 1):
            kern = ", ".join(ph.kernels(self.runner)) or "-"
            if self.runner == "cuda":
                where = "device"
            elif self.runner == "cpu-owned" and ph.runs_on_owned is not None:
                where = ph.runs_on_owned
            else:
                where = ph.runs_on
            table.append((str(i), ph.name, kern, where, detail if runs else f"LEFT OUT ({detail})"))
        w = [max(len(r[c]) for r in table) for c in range(4)]
        lines = [head] + ["  " + "  ".join(r[c].ljust(w[c]) for c in range(4)) + "  " + r[4]
                          for r in table]
        return "\n".join(line.rstrip() for line in lines)

    __repr__ = __str__


def summary(net, runner: Optional[str] = None) -> ScheduleSummary:
    """The phases ``net`` runs on ``runner`` (default: its backend's runner, ``"cpu"`` before it is
    built), with the ones left out for this network marked, from the ``run_chunk`` markers of
    ``kernels/cpu/chunk.py::chunk_args`` (the same markers decide the CUDA launches).  An unbuilt
    network is laid out as arrays for this (``state.build.build_state``), but not built."""
    import inspect
    from ..kernels.cpu.chunk import chunk_args, run_chunk
    sim = net._sim
    built = sim is not None
    if built:
        state = sim.state
        if runner is None:
            runner = "cuda" if sim.backend_name == "cuda" else "cpu"
    else:
        from ..state.build import build_state
        state = build_state(net)[0]
    runner = runner or "cpu"
    if runner not in RUNNERS:
        raise ValueError(f"runner must be one of {RUNNERS}, got {runner!r}")
    names = list(inspect.signature(run_chunk.py_func).parameters)
    marks = dict(zip(names, chunk_args(state)))
    rows = []
    for ph in PHASES:
        runs = ph.marker is None or marks[ph.marker] is not None or (runner == "cuda" and ph.cuda_always)
        if not runs:
            detail = "needs: " + ph.condition
        elif not ph.kernels(runner):
            detail = ph.note
        elif ph.parts:
            on = [label for arg, label in ph.parts if marks[arg] is not None]
            detail = "paths: " + (", ".join(on) if on else ph.no_parts)
        elif ph.marker is not None and marks[ph.marker] is None:
            detail = "always on CUDA (it also empties the spike lists)"
        else:
            detail = ""
        rows.append((ph, runs, detail))
    return ScheduleSummary(runner, rows, built)
