"""Import DOLFINx and PETSc in the order the PyPI wheel needs.

The `dolfinx-solver-real` wheel ships its own MPI and PETSc libraries and must be imported before
`dolfinx`, `petsc4py` or `mpi4py` so that they find them. On clusters DOLFINx comes from spack or
conda with the system MPI and the wheel is absent: then nothing extra is imported.
"""

from __future__ import annotations

import importlib.util


def prepare() -> bool:
    """Import `dolfinx_solver` when it is installed; return whether it was."""
    if importlib.util.find_spec("dolfinx_solver") is None:
        return False
    if importlib.util.find_spec("h5py") is not None:
        # h5py imported after the wheel's HDF5 fails ("Not a datatype"); before it, both work.
        # SurfaceTopography's instrument readers import h5py.
        import h5py  # noqa: F401
    import dolfinx_solver  # noqa: F401

    return True


def import_dolfinx():
    """Return the `dolfinx` module, with `dolfinx.fem.petsc` imported (collective set-up on all ranks)."""
    prepare()
    import dolfinx
    import dolfinx.fem.petsc  # noqa: F401

    return dolfinx


def comm_world():
    """MPI.COMM_WORLD, imported after the wheel's libraries are in place."""
    prepare()
    from mpi4py import MPI

    return MPI.COMM_WORLD


def mpi():
    """The ``mpi4py.MPI`` module (for reduction operators), imported after the wheel's libraries."""
    prepare()
    from mpi4py import MPI

    return MPI


def initialise_petsc() -> bool:
    """Initialise PETSc now, if it is installed; return whether it is.

    PETSc installs handlers for SIGUSR1 and SIGTERM (among others) when it initialises, which
    happens on first import, and aborts on them: a caller that installs its own handlers
    initialises PETSc first so that its handlers come after, and replace, PETSc's.
    """
    try:
        prepare()
        from petsc4py import PETSc  # noqa: F401
    except ImportError:  # surface-only installs: no PETSc
        return False
    return True
