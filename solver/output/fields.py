"""Field files: time series of DOLFINx functions for ParaView (VTX/ADIOS2 ``.bp`` folders)."""

from __future__ import annotations

import errno
import os
import re
import shutil

from solver.fem.fieldio import functions_comm, open_vtx, vtx_step_bytes
from solver.output.runfolder import RunFolder


#: Bytes kept free on the run folder's file system besides the field steps (for the closing
#: metadata of the field files, the maps and FAILED).
DISK_MARGIN = 4 * 2**20


class FieldWriter:
    """Time series of DOLFINx functions for ParaView (VTX/ADIOS2 ``.bp`` folders), collective.

    One ``.bp`` per function space. The folder is written under a temporary name and renamed
    into place by :meth:`close`, so an interrupted run leaves no half-written field file under
    the final name.

    ADIOS2 aborts the process when a write finds the disk full (an exception it cannot pass
    to Python), so every step first checks, on rank 0 for all, that the file system keeps
    twice the step's size plus :data:`DISK_MARGIN` free, and raises ENOSPC itself otherwise —
    while there is still room to close the files cleanly.
    """

    def __init__(self, rf: RunFolder, name: str, functions: list):
        self.rf = rf
        self.final = rf.path / name
        self.tmp = rf.path / f".{name}.tmp"
        comm = functions_comm(functions)
        if comm.rank == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
        comm.barrier()
        self.comm = comm
        self.step_bytes = vtx_step_bytes(functions)
        self.writer = open_vtx(comm, self.tmp, functions)

    def write(self, t: float) -> None:
        """Append the functions' current values at time ``t`` (s).

        Raises:
            OSError: ADIOS2 could not write (a full disk: ``errno.ENOSPC``).
        """
        free = shutil.disk_usage(self.tmp.parent).free if self.comm.rank == 0 else 0
        free = self.comm.bcast(free, root=0)
        if free < 2 * self.step_bytes + DISK_MARGIN:
            raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (a field step needs about "
                          f"{self.step_bytes / 2**20:.3g} MiB, {free / 2**20:.3g} MiB free)",
                          str(self.final))
        try:
            self.writer.write(float(t))
        except RuntimeError as e:
            raise _os_error(e, self.tmp) from None

    def discard(self) -> None:
        """Close the writer (errors ignored) and remove its folder (collective)."""
        writer, self.writer = self.writer, None
        try:
            if writer is not None:
                writer.close()
        except RuntimeError:
            pass
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.comm.barrier()

    def close(self) -> None:
        """Close the writer and rename the folder into place (collective)."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        try:
            writer.close()
        except RuntimeError as e:
            raise _os_error(e, self.tmp) from None
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.final, ignore_errors=True)
            os.replace(self.tmp, self.final)
        self.comm.barrier()


def close_all(writers: list[FieldWriter], failing: bool) -> None:
    """Close every writer exactly once, so that no ADIOS2 engine is left to flush in a
    destructor (where an error aborts the process). When the run is ``failing``, the files are
    discarded (a failed run leaves no field file that looks complete) and the writers' own
    errors dropped; otherwise the first error is raised after all are closed."""
    first = None
    for w in writers:
        try:
            w.discard() if failing else w.close()
        except OSError as e:
            first = first or e
    if first is not None and not failing:
        raise first


def _os_error(e: RuntimeError, path) -> OSError:
    """ADIOS2's RuntimeError as an OSError: its errno when the message names one (e.g. 28,
    ENOSPC), the message's first line without terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    m = re.search(r"errno = (\d+)", text)
    code = int(m.group(1)) if m else errno.EIO
    return OSError(code, os.strerror(code), str(path))
