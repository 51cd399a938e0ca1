"""Import DOLFINx and PETSc in the order the PyPI wheel needs.

The `dolfinx-solver-real` wheel ships its own MPI and PETSc libraries and must be imported before
`dolfinx`, `petsc4py` or `mpi4py` so that they find them. On clusters DOLFINx comes from spack or
conda with the system MPI and the wheel is absent: then nothing extra is imported.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping

#: Variables in which MPI launchers give the number of ranks on this node: MPICH's Hydra
#: (the wheel's ``mpiexec``), Open MPI, Slurm's ``srun`` (when given ``--ntasks-per-node``).
LOCAL_RANKS_VARS = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE")
#: The environment variable that sets numba's threads; where set, lamina leaves them alone.
NUMBA_THREADS_VAR = "NUMBA_NUM_THREADS"
_threads_shared = False


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
    """MPI.COMM_WORLD, imported after the wheel's libraries are in place; on the first call
    with several ranks, :func:`share_cores` (local, no communication)."""
    global _threads_shared
    prepare()
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    if not _threads_shared:
        _threads_shared = True
        share_cores(comm.size)
    return comm


def rank_threads(world_size: int, environ: Mapping[str, str], cpus: int) -> int | None:
    """numba threads per rank so that the ranks on a node do not oversubscribe its cores.

    ``cpus``: the CPUs this process may run on (its affinity mask). ``None`` (numba's own
    default, every CPU of the mask) for one rank, or where the user has set
    ``NUMBA_NUM_THREADS``; else ``max(1, cpus // r)`` with ``r`` the ranks on this node as the
    launcher gives them (:data:`LOCAL_RANKS_VARS`), or all ``world_size`` ranks where it does
    not. A launcher that binds each rank to its own cores gives a smaller mask, and then fewer
    threads than the cores allow; never more. Why: each rank's numba pool starts as many
    threads as there are CPUs, so ``mpiexec -n 2`` on 2 cores ran 4 busy threads:
    ``indentation_size_effect --size small`` on 2 ranks took 114 s, 44 s with one thread per
    rank (2-core machine, 2026-12-07).
    """
    if world_size <= 1 or NUMBA_THREADS_VAR in environ:
        return None
    local = world_size
    for var in LOCAL_RANKS_VARS:
        try:
            local = int(environ[var])
            break
        except (KeyError, ValueError):
            continue
    return max(1, int(cpus) // max(1, local))


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask (a batch system's allocation), else
    the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def share_cores(world_size: int) -> int | None:
    """Apply :func:`rank_threads` to numba's pool (``numba.set_num_threads``) in this process;
    return the threads set, or None where it leaves them."""
    n = rank_threads(world_size, os.environ, usable_cpus())
    if n is None:
        return None
    import numba

    n = min(n, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)
    return n


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
