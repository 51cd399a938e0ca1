"""Field files: time series of DOLFINx functions for ParaView (VTX/ADIOS2 ``.bp`` folders)."""

from __future__ import annotations

import os
import shutil

from solver.fem.fieldio import functions_comm, open_vtx
from solver.output.runfolder import RunFolder


class FieldWriter:
    """Time series of DOLFINx functions for ParaView (VTX/ADIOS2 ``.bp`` folders), collective.

    One ``.bp`` per function space. The folder is written under a temporary name and renamed
    into place by :meth:`close`, so an interrupted run leaves no half-written field file under
    the final name.
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
        self.writer = open_vtx(comm, self.tmp, functions)

    def write(self, t: float) -> None:
        """Append the functions' current values at time ``t`` (s)."""
        self.writer.write(float(t))

    def close(self) -> None:
        """Close the writer and rename the folder into place (collective)."""
        self.writer.close()
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.final, ignore_errors=True)
            os.replace(self.tmp, self.final)
        self.comm.barrier()
