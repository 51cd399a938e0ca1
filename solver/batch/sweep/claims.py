"""Claiming a case: flock on runs/<hash>/RUNNING; the state of a case folder."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from solver.output.runfolder import folder_status
from solver.batch.sweep._common import RUNNING, log
from solver.output.runlock import release_flock


class Claim:
    """An exclusive flock on ``RUNNING`` in a run folder; inherited by the case process."""

    def __init__(self, path: Path, fd: int, locked: bool):
        self.path, self.fd, self.locked = path, fd, locked

    def write_info(self, info: dict) -> None:
        """Who runs the case (host, pid, job): written in place, the lock lives on the inode."""
        data = (json.dumps(info) + "\n").encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def release(self, remove: bool = True) -> None:
        self.fd = release_flock(self.fd, self.path, remove)


_warned_no_flock = False


def claim(run_folder: Path, busy_wait_s: float = 0.3) -> Claim | None:
    """Take the case in ``run_folder``; None when another process holds it.

    A brief non-blocking failure can be a ``lamina status`` probe, so it is retried for
    ``busy_wait_s`` before the case counts as held elsewhere.
    """
    global _warned_no_flock
    run_folder.mkdir(parents=True, exist_ok=True)
    path = run_folder / RUNNING
    deadline = time.monotonic() + busy_wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
            continue
        except OSError as e:  # no flock on this file system
            if not _warned_no_flock:
                log.warning("no flock on %s (%s): cases are not locked", run_folder, e.strerror)
                _warned_no_flock = True
            return Claim(path, fd, locked=False)
        # The previous holder may have unlinked the file between our open and flock.
        try:
            st = os.stat(path)
            fst = os.fstat(fd)
            same = (st.st_ino, st.st_dev) == (fst.st_ino, fst.st_dev)
        except FileNotFoundError:
            same = False
        if same:
            return Claim(path, fd, locked=True)
        os.close(fd)


def _tidy(run_folder: Path) -> None:
    """Remove the stale RUNNING of a done case (its executor died between DONE and the unlink)."""
    c = claim(run_folder, busy_wait_s=0.0)
    if c is not None:
        c.release(remove=True)


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def lock_state(run_folder: Path) -> str:
    """``"none"`` (no RUNNING file), ``"live"`` (held) or ``"stale"`` (left by a dead process)."""
    path = Path(run_folder) / RUNNING
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return "none"
    except OSError:
        return "stale"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "live"
        except OSError:  # no flock here: judge by the recorded host and pid
            try:
                info = json.loads(os.pread(fd, 65536, 0) or b"{}")
            except ValueError:
                return "live"
            if info.get("host") == socket.gethostname():
                return "live" if _pid_alive(info.get("pid")) else "stale"
            return "live"  # another host: cannot tell, assume it runs
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "stale"
    finally:
        os.close(fd)


def case_state(run_folder: str | Path) -> str:
    """``done``, ``running``, ``failed``, ``interrupted`` or ``pending`` (see the module doc)."""
    run_folder = Path(run_folder)
    st = folder_status(run_folder)
    if st == "done":
        return "done"
    if lock_state(run_folder) == "live":
        return "running"
    if st == "failed":
        return "failed"
    if st == "incomplete":
        return "interrupted"
    return "pending"
