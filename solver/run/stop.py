"""When a case stops early and how it continues: signals, a wall-clock budget, restart checks.

On a cluster a case rarely owns its node for as long as it likes: SLURM sends ``SIGUSR1`` a
configurable time before the limit (``#SBATCH --signal=B:USR1@300``, forwarded to the case by the
array task of :mod:`solver.batch.sweep`) and ``SIGTERM`` at the limit or on ``scancel``; a case may
also be given its own budget (``lamina run --wall-budget SECONDS`` or ``LAMINA_WALL_BUDGET``).

:class:`StopRequest` turns these into one collective decision taken between two converged steps:
every rank contributes whether it saw a signal or is out of budget, and one ``allreduce`` makes
all ranks agree, so no rank leaves a collective behind. The caller (:mod:`solver.run.pipeline`) then
writes a checkpoint through :mod:`solver.output.checkpoint` and raises :class:`solver.errors.Checkpointed`; the
CLI exits with :data:`solver.errors.EXIT_CHECKPOINTED` (75). Running the same command again
continues from the checkpoint, which must have been written by the same case (its resolved TOML
is hashed) on the same number of ranks.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time

from solver.errors import InputError
from solver.fem.backend import initialise_petsc

#: Signals that ask a running case to checkpoint and stop. SIGINT (Ctrl-C) does so only once
#: :meth:`StopRequest.arm` was called (the press and current stages, which checkpoint between
#: steps); before that it raises KeyboardInterrupt as usual (a clean exit 130 in the CLI).
SIGNALS = ("SIGUSR1", "SIGTERM", "SIGINT")
#: The budget is judged against the time the next step may take: this many times the longest
#: step seen so far (steps grow with the adaptive increment).
NEXT_STEP_FACTOR = 2.0


def parse_budget(text: str | float | None, what: str = "--wall-budget") -> float | None:
    """Seconds from ``"3600"``, ``"90m"``, ``"2h"``, ``"01:30:00"`` (None or "" → None)."""
    if text is None or text == "":
        return None
    s = str(text).strip()
    try:
        if ":" in s:
            parts = [float(v) for v in s.split(":")]
            if len(parts) > 3:
                raise ValueError
            sec = 0.0
            for v in parts:
                sec = sec * 60 + v
        elif s[-1] in ("s", "m", "h"):
            sec = float(s[:-1]) * {"s": 1, "m": 60, "h": 3600}[s[-1]]
        else:
            sec = float(s)
    except (ValueError, IndexError):
        raise InputError(f"{what} = {text!r}: allowed seconds (e.g. 3600), 90m, 2h or "
                         "HH:MM:SS") from None
    if not (sec > 0 and sec < float("inf")):
        raise InputError(f"{what} = {text!r}: must be a positive, finite duration")
    return sec


def case_digest(case_toml: str) -> str:
    """SHA-256 of a resolved case: a checkpoint only continues the case that wrote it."""
    return hashlib.sha256(case_toml.encode()).hexdigest()


class StopRequest:
    """Signals and a wall-clock budget, turned into a collective "stop now" between steps.

    Args:
        comm: the case's communicator (None: serial).
        budget_s: wall-clock budget in seconds from construction (None: none).
        signals: names of the signals to catch (only in the main thread; elsewhere none).

    Use as a context manager: the previous handlers are put back on exit.
    """

    def __init__(self, comm=None, budget_s: float | None = None, signals=SIGNALS):
        self.comm = comm
        self.budget_s = budget_s
        self.t0 = time.monotonic()
        self.received: list[str] = []
        self.longest_step = 0.0
        self._last = self.t0
        self._signals = signals
        self._old: dict = {}
        self.armed = False

    def __enter__(self) -> StopRequest:
        # PETSc installs handlers for SIGUSR1 and SIGTERM (among others) when it initialises,
        # which happens on first import, and aborts on them. Initialise it now so that the
        # handlers installed below come after, and replace, its.
        initialise_petsc()
        if threading.current_thread() is threading.main_thread():
            for name in self._signals:
                sig = getattr(signal, name)
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    def arm(self) -> None:
        """From now on SIGINT asks for a checkpoint at the next step, like SIGTERM."""
        self.armed = True

    def _handler(self, signum, frame) -> None:
        if signum == signal.SIGINT and not self.armed:
            raise KeyboardInterrupt
        self.received.append(signal.Signals(signum).name)

    def step_done(self) -> None:
        """Note that a step ended now (its duration feeds the budget decision)."""
        t = time.monotonic()
        self.longest_step = max(self.longest_step, t - self._last)
        self._last = t

    def local_reason(self) -> str | None:
        """Why this rank wants to stop (a signal name or "wall-clock budget"), or None."""
        if self.received:
            return self.received[0]
        if self.budget_s is not None:
            elapsed = time.monotonic() - self.t0
            if elapsed + NEXT_STEP_FACTOR * self.longest_step > self.budget_s:
                return "wall-clock budget"
        return None

    def should_stop(self) -> str | None:
        """Collective: the reason to stop if any rank has one (all ranks get the same answer)."""
        reason = self.local_reason()
        if self.comm is None or self.comm.size == 1:
            return reason
        reasons = self.comm.allgather(reason)
        return next((r for r in reasons if r is not None), None)


def budget_from_env() -> float | None:
    """``LAMINA_WALL_BUDGET`` (same syntax as ``--wall-budget``), or None."""
    return parse_budget(os.environ.get("LAMINA_WALL_BUDGET"), "LAMINA_WALL_BUDGET")
