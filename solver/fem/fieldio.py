"""The DOLFINx and PETSc side of lamina's files: VTX writers, PETSc binary vectors, versions.

:mod:`solver.output` decides every file name and writes the run folders; it reaches DOLFINx,
PETSc and MPI only through these functions, since only :mod:`solver.fem` may import them
(lazily, through :func:`solver.fem.backend.import_dolfinx`, so the core works without DOLFINx).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from solver.fem.backend import import_dolfinx, mpi, prepare


def fill_stack_versions(out: dict[str, str]) -> None:
    """Add the versions of DOLFINx, PETSc, mpi4py and the MPI library to ``out``, in that order.

    Raises whatever the import raises when DOLFINx (or PETSc, MPI) is not available; the keys
    set before the failure stay in ``out``.
    """
    dolfinx = import_dolfinx()
    MPI = mpi()
    from petsc4py import PETSc

    out["dolfinx"] = dolfinx.__version__
    out["petsc"] = ".".join(str(v) for v in PETSc.Sys.getVersion())
    out["mpi4py"] = sys.modules["mpi4py"].__version__
    out["mpi"] = " ".join(MPI.Get_library_version().splitlines()[0].split())


def functions_comm(functions: list):
    """The MPI communicator of the mesh of the first DOLFINx function of ``functions``."""
    return functions[0].function_space.mesh.comm


def vtx_step_bytes(functions: list) -> int:
    """Bytes one VTX step of ``functions`` may write, over all ranks: the values (8 B each) and
    the mesh geometry and connectivity that VTX writes with them (an upper estimate)."""
    mesh = functions[0].function_space.mesh
    values = sum(f.x.index_map.size_global * f.x.block_size * 8 for f in functions)
    tdim = mesh.topology.dim
    cells = mesh.topology.index_map(tdim).size_global
    nodes = mesh.geometry.index_map().size_global
    per_cell = mesh.geometry.dofmaps[0].shape[1]
    return int(values + nodes * 3 * 8 + cells * (per_cell + 1) * 8)


def open_vtx(comm, path: Path, functions: list):
    """A ``dolfinx.io.VTXWriter`` (ADIOS2 engine BP4) of ``functions`` into the folder ``path``
    (collective on ``comm``)."""
    dolfinx = import_dolfinx()
    return dolfinx.io.VTXWriter(comm, str(path), functions, engine="BP4")


def write_vec(path: Path, array: np.ndarray, comm) -> int:
    """Write this rank's part ``array`` of a distributed vector to the PETSc binary file ``path``.

    Collective on ``comm`` (None: this process alone). Returns the global size of the vector
    (number of entries over all ranks).
    """
    prepare()
    from petsc4py import PETSc

    pcomm = comm if comm is not None else PETSc.COMM_SELF
    arr = np.ascontiguousarray(array, dtype=PETSc.ScalarType).reshape(-1)
    v = PETSc.Vec().createWithArray(arr, comm=pcomm)
    viewer = PETSc.Viewer().createBinary(str(path), mode="w", comm=pcomm)
    v.view(viewer)
    viewer.destroy()
    size = int(v.getSize())
    v.destroy()
    return size


def read_vec(path: Path, n_local: int, comm) -> tuple[np.ndarray, int]:
    """Read a vector written by :func:`write_vec`, asking for ``n_local`` entries on this rank
    (collective on ``comm``; None: this process alone).

    Returns:
        (a copy of the entries PETSc gave this rank: ``n_local`` unless the file was written on
        another rank count, this rank's index in the communicator).
    """
    prepare()
    from petsc4py import PETSc

    pcomm = comm if comm is not None else PETSc.COMM_SELF
    v = PETSc.Vec().createMPI((int(n_local), PETSc.DECIDE), comm=pcomm)
    viewer = PETSc.Viewer().createBinary(str(path), mode="r", comm=pcomm)
    v.load(viewer)
    viewer.destroy()
    out = v.getArray().copy()
    v.destroy()
    return out, pcomm.rank
