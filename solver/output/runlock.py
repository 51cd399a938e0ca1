"""Who may write a run folder: one writer at a time, and a complete folder only on request.

A run holds an exclusive ``flock`` on ``DIR/.lamina.lock`` for as long as it writes (rank 0
only); a second run into the same folder is refused with the holder's host and pid. A folder
that holds ``DONE`` is a finished result: a new run into it is refused unless ``overwrite``,
which clears the folder first (only a run folder: one holding ``case.toml``, ``DONE``,
``FAILED`` or ``results.json``). A folder with a checkpoint and no ``DONE`` is continued as
before.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from pathlib import Path

from solver.errors import InputError

LOCK = ".lamina.lock"
#: Files whose presence makes a folder a run folder (so ``overwrite`` may clear it).
_RUN_MARKERS = ("case.toml", "DONE", "FAILED", "results.json")


def check_reuse(path: str | Path, overwrite: bool, what: str = "--out") -> None:
    """Refuse a run into a complete run folder (``DONE``) unless ``overwrite``; with
    ``overwrite``, refuse a non-empty folder that is not a run folder (it would be cleared)."""
    path = Path(path)
    if not path.is_dir():
        return
    if overwrite:
        # (the lock file alone is this run's own, taken before the check under the lock)
        if (any(p.name != LOCK for p in path.iterdir())
                and not any((path / m).exists() for m in _RUN_MARKERS)):
            raise InputError(f"{what} '{path}': --overwrite clears only a run folder (one "
                             f"holding {', '.join(_RUN_MARKERS)}); this folder is not one")
        return
    if (path / "DONE").exists():
        raise InputError(f"{what} '{path}': holds a complete run (DONE); allowed: another "
                         "folder, or --overwrite to clear it and run again")


def clear(path: Path) -> None:
    """Remove everything in the run folder ``path`` but its lock file."""
    for p in path.iterdir():
        if p.name == LOCK:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


class FolderLock:
    """An exclusive flock on ``DIR/.lamina.lock``, recording the holder (host, pid)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK
        self.fd = -1

    def acquire(self, what: str = "--out") -> None:
        """Take the lock or raise InputError naming the holder."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise InputError(f"{what} '{self.path.parent}': in use by another run ({holder}); "
                                 "allowed: wait for it to end, or another folder") from None
            except OSError:  # no flock on this file system: run unlocked, as before
                self.fd = fd
                return
            try:  # the previous holder may have unlinked the file between open and flock
                st, fst = os.stat(self.path), os.fstat(fd)
                same = (st.st_ino, st.st_dev) == (fst.st_ino, fst.st_dev)
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                info = {"host": socket.gethostname(), "pid": os.getpid()}
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
                return
            os.close(fd)

    def release(self) -> None:
        """Remove the lock file (while still holding it) and let go."""
        self.fd = release_flock(self.fd, self.path)


def release_flock(fd: int, path: Path, remove: bool = True) -> int:
    """Let go of an flock held on ``fd`` (no-op for -1); with ``remove``, unlink ``path`` first,
    while still holding it, so that a waiting process then sees another inode. Returns -1."""
    if fd < 0:
        return -1
    if remove:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    os.close(fd)
    return -1


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"host {info.get('host', '?')}, pid {info.get('pid', '?')}"
    except (OSError, ValueError, AttributeError):
        return "holder unknown"
