"""Run folders: results.json, arrays, figures and the DONE / FAILED markers, written atomically.

Run-folder convention (every command that produces results uses it)::

    DIR/
      case.toml       the resolved case (every default filled in)
      results.json    {"input": resolved case, "output": results, "provenance": versions, seed, ...}
      surface.npy     fields and maps (.npy, ParaView files)
      *.png           figures
      DONE            written last: the folder is complete
      FAILED          instead of DONE and results.json when the case failed: {"reason": ...}

Each file is written under a temporary name and renamed into place, so a reader sees either the
old file or the whole new one. ``DONE`` is removed first when a folder is reused and written last,
so a folder without ``DONE`` is never a result. Only rank 0 writes; every rank calls the methods
(they end in a barrier), which keeps collectives aligned.
"""

from __future__ import annotations

import io as _io
import json
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from solver.errors import InputError, os_reason
from solver.output import runlock

DONE = "DONE"
FAILED = "FAILED"
RESULTS = "results.json"
CASE = "case.toml"


def _jsonable(obj):
    """Convert numpy scalars/arrays and non-finite floats into strict JSON values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename is None:  # a failed write names no file
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


def dumps_json(obj) -> str:
    """``obj`` as strict, indented JSON text (NaN and inf become null), ending in a newline."""
    return json.dumps(_jsonable(obj), indent=1, allow_nan=False) + "\n"


class RunFolder:
    """A run folder written by rank 0 of ``comm`` (or by this process when ``comm`` is None)."""

    def __init__(self, path: str | Path, comm=None):
        self.path = Path(path)
        self.comm = comm
        self.rank = 0 if comm is None else comm.rank
        self._lock = None

    # -- life cycle ---------------------------------------------------------------------------
    def begin(self, case_toml: str | None = None, *, lock: bool = False,
              overwrite: bool = False) -> None:
        """Create the folder, drop stale markers and results, write the resolved case (if given).

        Without ``case_toml`` the folder is not a case's (e.g. a ``lamina bench`` report): only
        the markers and results are dropped. With ``lock``, rank 0 holds the folder's lock
        (:mod:`solver.output.runlock`) until :meth:`release`, and a complete folder is refused
        unless ``overwrite`` (which clears it first); refusals raise InputError on every rank
        before anything is written.
        """
        err = None
        if self.rank == 0:
            try:
                self._begin(case_toml, lock, overwrite)
            except InputError as e:
                err = str(e)
            except OSError as e:  # cannot be created or written: nothing of the run exists yet
                self.release()
                err = f"run folder '{self.path}': cannot be written ({os_reason(e)})"
        if self.comm is not None and self.comm.size > 1:
            err = self.comm.bcast(err, root=0)
        if err is not None:
            raise InputError(err)

    def _begin(self, case_toml, lock: bool, overwrite: bool) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"--out '{self.path}': exists and is not a folder")
        if lock:
            runlock.check_reuse(self.path, overwrite)
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = runlock.FolderLock(self.path)
            self._lock.acquire()
            try:  # again under the lock: another run may have completed it meanwhile
                runlock.check_reuse(self.path, overwrite)
            except InputError:
                self.release()
                raise
            if overwrite:
                runlock.clear(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        for stale in (DONE, FAILED, RESULTS):
            (self.path / stale).unlink(missing_ok=True)
        if case_toml is not None:
            atomic_write_bytes(self.path / CASE, case_toml.encode())

    def release(self) -> None:
        """Let go of the folder's lock (taken by :meth:`begin` with ``lock``)."""
        lk = getattr(self, "_lock", None)
        if lk is not None:
            lk.release()
            self._lock = None

    def finish(self, results: dict) -> None:
        """Write results.json, then DONE (last)."""
        if self.rank == 0:
            atomic_write_bytes(self.path / RESULTS, dumps_json(results).encode())
        self.mark_done()

    def mark_done(self) -> None:
        """Write DONE (a UTC time stamp): call it last, after every other file is in place."""
        if self.rank == 0:
            atomic_write_bytes(self.path / DONE, (datetime.now(timezone.utc).isoformat() + "\n").encode())
        self._barrier()

    def fail(self, reason: str, stage: str = "") -> None:
        """Mark the case failed; results.json and DONE are absent, so nothing looks valid.

        On a full disk the reason may not fit: FAILED is then left empty (an empty file needs
        no data block), and if even that is refused the folder still has no DONE.
        """
        if self.rank == 0:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                for stale in (DONE, RESULTS):
                    (self.path / stale).unlink(missing_ok=True)
                atomic_write_bytes(self.path / FAILED,
                                   dumps_json({"reason": reason, "stage": stage}).encode())
            except OSError:
                try:
                    (self.path / FAILED).touch()
                except OSError:
                    pass
        self._barrier()

    # -- content ------------------------------------------------------------------------------
    def write_json(self, name: str, obj) -> None:
        """A JSON file (rank 0; strict JSON, see :func:`dumps_json`)."""
        if self.rank == 0:
            atomic_write_bytes(self.path / name, dumps_json(obj).encode())

    def write_text(self, name: str, text: str) -> None:
        """A UTF-8 text file (rank 0), e.g. a report or a log."""
        if self.rank == 0:
            atomic_write_bytes(self.path / name, text.encode("utf-8"))

    def remove(self, name: str) -> None:
        """Remove a file of the folder if present (rank 0), e.g. a stale output before a rerun."""
        if self.rank == 0:
            (self.path / name).unlink(missing_ok=True)

    def save_array(self, name: str, array: np.ndarray) -> None:
        """An array as ``.npy`` (rank 0)."""
        if self.rank == 0:
            buf = _io.BytesIO()
            np.save(buf, np.asarray(array))
            atomic_write_bytes(self.path / name, buf.getvalue())

    def save_figure(self, name: str, fig) -> None:
        """Save a matplotlib figure as PNG (rank 0) and close it."""
        if self.rank == 0:
            buf = _io.BytesIO()
            fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
            atomic_write_bytes(self.path / name, buf.getvalue())
        # pyplot is imported only here: it is slow to import and most runs draw no figure
        import matplotlib.pyplot as plt

        plt.close(fig)

    def _barrier(self):
        if self.comm is not None and self.comm.size > 1:
            self.comm.barrier()


def folder_status(path: str | Path) -> str:
    """``"done"``, ``"failed"``, ``"incomplete"`` (started, neither marker) or ``"pending"``."""
    path = Path(path)
    if (path / DONE).exists() and (path / RESULTS).exists():
        return "done"
    if (path / FAILED).exists():
        return "failed"
    if path.exists() and any(path.iterdir()):
        return "incomplete"
    return "pending"


def read_results(path: str | Path) -> dict:
    """results.json of a complete run folder."""
    path = Path(path)
    if folder_status(path) != "done":
        raise InputError(f"run folder '{path}': not complete (no {DONE})")
    return json.loads((path / RESULTS).read_text())


def now() -> float:
    """The wall-clock time (s since the epoch), as :func:`solver.output.provenance.provenance`
    takes it for ``started``."""
    return time.time()


def save_npz(rf: RunFolder, name: str, arrays: dict) -> None:
    """Save arrays as a compressed .npz in the run folder (rank 0, atomic)."""
    if rf.rank == 0:
        buf = _io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(rf.path / name, buf.getvalue())
