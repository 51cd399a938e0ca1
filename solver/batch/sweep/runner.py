"""Running one case (shared by the local executor and the array tasks)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from solver.output.runfolder import FAILED, RunFolder, folder_status
from solver.errors import EXIT_CHECKPOINTED, InputError
from solver.batch.sweep._common import _now
from solver.batch import mpi
from solver.batch.sweep.claims import claim
from solver.fem.backend import usable_cpus


def lamina_command() -> list[str]:
    """How to start ``lamina`` with this interpreter: the console script next to it, or -m."""
    script = Path(sys.executable).parent / "lamina"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "solver"]


def mpiexec_launcher() -> list[str]:
    """The MPI launcher of a case (:func:`solver.batch.mpi.find_mpiexec`).

    Raises:
        InputError: none found.
    """
    launcher = mpi.find_mpiexec()
    if not launcher:
        raise InputError("--ranks > 1: no mpiexec next to Python or on PATH")
    return launcher


THREAD_VARS = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(jobs: int, ranks: int) -> dict[str, str]:
    """Threads per rank so that ``jobs`` cases of ``ranks`` ranks share this machine's cores
    without oversubscription; variables the user has set are left alone."""
    n = str(max(1, usable_cpus() // max(1, jobs * ranks)))
    return {v: n for v in THREAD_VARS if v not in os.environ}


def child_env(extra: dict | None = None) -> dict[str, str]:
    """The environment for a case process: this one without an enclosing MPI job's launcher
    variables (:func:`solver.batch.mpi.child_env`), the repository on PYTHONPATH when lamina is
    started as ``python -m solver``, then ``extra``."""
    return mpi.child_env(pythonpath=lamina_command()[0] == sys.executable, extra=extra)


def _failure_reason(log_path: Path, offset: int, rc: int) -> str:
    if rc < 0:
        try:
            how = f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            how = f"killed by signal {-rc}"
    else:
        how = f"exit code {rc}"
    try:
        with open(log_path, "rb") as f:
            f.seek(offset)
            lines = [
                ln.strip() for ln in f.read().decode(errors="replace").splitlines() if ln.strip()
            ]
    except OSError:
        lines = []
    lines = [ln for ln in lines if not ln.startswith("# lamina sweep")]
    msg = next(
        (ln for ln in reversed(lines) if ln.startswith(("lamina: error:", "lamina: failed:"))), None
    )
    if msg is None and lines and rc > 0:
        msg = lines[-1]
    return f"{msg[:400]} ({how})" if msg else how


class SignalRelay:
    """A signal handler that forwards to the case process; a signal that comes before the case
    has started is sent to it as soon as it starts."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.received: list[str] = []

    def __call__(self, signum, frame) -> None:
        self.received.append(signal.Signals(signum).name)
        self._send(signum)

    def started(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        for name in self.received:
            self._send(signal.Signals[name])

    def _send(self, signum) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signum)
            except ProcessLookupError:
                pass


@dataclass
class Attempt:
    """The end of one attempt at a case."""

    hash: str
    state: str  # done | failed | interrupted | skipped-done | skipped-running
    seconds: float = 0.0
    reason: str = ""


def run_one(
    sweep_dir: Path,
    hash_: str,
    launch: list[str],
    *,
    executor: str,
    extra_info: dict | None = None,
    procs: dict | None = None,
    stop: threading.Event | None = None,
    relay: SignalRelay | None = None,
    env: dict | None = None,
) -> Attempt:
    """Claim the case ``hash_`` of ``sweep_dir`` and run ``launch + [case, --out, run]`` there.

    The child's output is appended to ``logs/<hash>.log``. A case that exits without DONE and
    without writing FAILED itself gets FAILED with the reason (exit code or signal and the last
    error line), unless ``stop`` is set (the executor was interrupted: the folder stays
    'interrupted' and is rerun next time).
    """
    sweep_dir = Path(sweep_dir)
    run = sweep_dir / "runs" / hash_
    case_file = sweep_dir / "cases" / f"{hash_}.toml"
    if folder_status(run) == "done":
        return Attempt(hash_, "skipped-done")
    if not case_file.is_file():
        raise InputError(f"case file '{case_file}': not found (run 'lamina sweep' to expand again)")
    c = claim(run)
    if c is None:
        return Attempt(hash_, "skipped-running")
    try:
        if folder_status(run) == "done":  # finished by someone else meanwhile
            return Attempt(hash_, "skipped-done")
        if stop is not None and stop.is_set():
            return Attempt(hash_, "interrupted")
        logs = sweep_dir / "logs"
        logs.mkdir(exist_ok=True)
        log_path = logs / f"{hash_}.log"
        t0 = time.perf_counter()
        rc, offset = _launch(sweep_dir, hash_, launch, c, log_path, executor=executor,
                             extra_info=extra_info, procs=procs, relay=relay, env=env)
        seconds = time.perf_counter() - t0
        return _outcome(run, hash_, rc, seconds, log_path, offset, stop)
    finally:
        c.release(remove=True)


def _launch(sweep_dir: Path, hash_: str, launch: list[str], c, log_path: Path, *, executor: str,
            extra_info: dict | None, procs: dict | None, relay: SignalRelay | None,
            env: dict | None) -> tuple[int, int]:
    """Run the case process to its end, its output appended to ``log_path``; the claim ``c``
    records who runs it. Returns (exit code, offset of this attempt in the log)."""
    cmd = [
        *launch,
        os.path.join("cases", f"{hash_}.toml"),
        "--out",
        os.path.join("runs", hash_),
    ]
    with open(log_path, "ab") as logf:
        offset = logf.tell()
        logf.write(
            f"# lamina sweep [{executor}] {_now()} host {socket.gethostname()}: "
            f"{shlex.join(cmd)}\n".encode()
        )
        logf.flush()
        fds = (c.fd,)
        proc = subprocess.Popen(
            cmd,
            cwd=sweep_dir,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            pass_fds=fds,
            env=child_env(env),
        )
        if procs is not None:
            procs[hash_] = proc
        if relay is not None:
            relay.started(proc)
        c.write_info(
            {
                "host": socket.gethostname(),
                "pid": proc.pid,
                "executor": executor,
                "executor_pid": os.getpid(),
                "started": _now(),
                **(extra_info or {}),
            }
        )
        rc = proc.wait()
        if procs is not None:
            procs.pop(hash_, None)
    return rc, offset


def _outcome(run: Path, hash_: str, rc: int, seconds: float, log_path: Path, offset: int,
             stop: threading.Event | None) -> Attempt:
    """The attempt as the run folder and the exit code tell it; FAILED written for a case that
    ended without DONE or FAILED (unless the executor was stopped)."""
    st = folder_status(run)
    if st == "done":
        return Attempt(hash_, "done", seconds)
    if stop is not None and stop.is_set() and rc != 0:
        return Attempt(hash_, "interrupted", seconds)
    if rc == EXIT_CHECKPOINTED:
        # stopped with a checkpoint (signal or wall budget): continued by the next run
        return Attempt(hash_, "interrupted", seconds, "checkpointed")
    if st == "failed":
        try:
            reason = json.loads((run / FAILED).read_text()).get("reason", "")
        except (OSError, ValueError):
            reason = ""
        return Attempt(hash_, "failed", seconds, reason)
    reason = _failure_reason(log_path, offset, rc)
    if rc == 0:
        reason = f"exited without DONE ({reason})"
    RunFolder(run).fail(reason, stage="")
    return Attempt(hash_, "failed", seconds, reason)
