"""Shared test set-up.

* ``tests/`` is on ``sys.path`` (pytest's rootdir-relative import), so test modules import the
  helpers beside them (``mpi_helpers``, ``cases``, ``bad_surfaces``).
* :func:`collective_cleanup`: FE test modules use it (``pytestmark = [pytest.mark.fem,
  pytest.mark.usefixtures("collective_cleanup")]``): PETSc objects are destroyed collectively, so
  every rank collects garbage and meets at a barrier after each test, or the next test's
  collective operation can hang under ``mpiexec``. It imports MPI only when used, so the tests of
  the DOLFINx-free layers run without it.
"""

from __future__ import annotations

import gc

import pytest


@pytest.fixture
def collective_cleanup():
    """After the test: ``gc.collect()`` on every rank, then a barrier on COMM_WORLD."""
    yield
    from solver.fem.backend import comm_world

    gc.collect()  # PETSc destructors are collective
    comm_world().Barrier()
