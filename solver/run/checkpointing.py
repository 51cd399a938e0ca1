"""Checkpoints of a run: find one to continue, and write one when a stop is requested.

A :class:`Checkpointer` is called between two steps of the press cycle and of the current stage;
when the :class:`solver.run.stop.StopRequest` fires it writes the state
(:mod:`solver.output.checkpoint`) and raises :class:`solver.errors.Checkpointed`.
"""

from __future__ import annotations

import logging

import numpy as np

from solver.case import config as cfgmod
from solver.case.config import Case
from solver.errors import Checkpointed, InputError
from solver.output.checkpoint import (checkpoint_folder, read_checkpoint_arrays,
                                      read_checkpoint_state, write_checkpoint)
from solver.run import stop as checkpoint

log = logging.getLogger("lamina")


def find_checkpoint(case: Case, out, comm):
    """(checkpoint folder to continue or None, whether a stale one must be removed)."""
    folder = checkpoint_folder(out)
    if folder is None:
        return None, False
    state = read_checkpoint_state(folder)
    if state.get("case_sha256") != checkpoint.case_digest(cfgmod.to_toml(case)):
        log.warning("run folder %s: its checkpoint belongs to another case (changed case file); "
                    "starting afresh", out)
        return None, True
    size = 1 if comm is None else comm.size
    if int(state.get("mpi_size", -1)) != size:
        raise InputError(f"--out '{out}': holds a checkpoint written on {state.get('mpi_size')} "
                         f"rank(s), this run has {size}; continue it with mpiexec -n "
                         f"{state.get('mpi_size')} (or delete {folder} to start afresh)")
    return folder, False


class Checkpointer:
    """Between two steps: ask the StopRequest, and if it fires write a checkpoint and stop.

    The checkpoint holds the press cycle's state (see :meth:`solver.simulation.press.PressCycle.state`)
    and, once the current stage has begun, its completed rows and current maps.
    """

    def __init__(self, case: Case, rf, comm, stop, resume):
        self.case, self.rf, self.comm, self.stop = case, rf, comm, stop
        self.digest = checkpoint.case_digest(cfgmod.to_toml(case))
        self.folder = resume
        self.state = read_checkpoint_state(resume) if resume is not None else None
        self.restarts = list(self.state.get("restarts", [])) if self.state else []
        if self.state:
            self.restarts.append({"stage": self.state["stage"], "step": self.state["step"],
                                  "reason": self.state["reason"],
                                  "written": self.state.get("written")})
            log.info("continuing from the checkpoint in %s (%s stage, after step %d, stopped by "
                     "%s)", resume, self.state["stage"], self.state["step"], self.state["reason"])

    def restore_press(self, cycle) -> dict | None:
        """Put the cycle back to the checkpoint (if any); return its position."""
        if self.state is None:
            return None
        dist, self.replicated = read_checkpoint_arrays(self.folder, self.comm,
                                                      cycle.local_sizes())
        cycle.restore(self.state, dist, self.replicated)
        return self.state["position"]

    def current_resume(self) -> tuple[list, list]:
        """Completed rows and current maps of the current stage at the checkpoint."""
        if self.state is None or self.state["stage"] != "current":
            return [], []
        jm = self.replicated["current_density"]
        return list(self.state["current_rows"]), [jm[k] for k in range(jm.shape[0])]

    def __call__(self, cycle, stage: str = "press", rows=None, jmaps=None) -> None:
        if self.stop is None:
            return
        self.stop.step_done()
        reason = self.stop.should_stop()
        if reason is None:
            return
        scalars, dist, rep = cycle.state()
        step = len(cycle.records) - 1 if stage == "press" else len(rows) - 1
        scalars.update(case_sha256=self.digest, stage=stage, step=step, reason=reason,
                       restarts=self.restarts)
        if stage == "current":
            scalars["current_rows"] = rows
            rep = dict(rep, current_density=np.array(jmaps))
        path = write_checkpoint(self.rf, self.comm, scalars, dist, rep)
        raise Checkpointed(f"{reason}: checkpoint after step {step} of the {stage} stage in "
                           f"{path}; run the same command again to continue")
