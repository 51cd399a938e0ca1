"""Provenance of a result: the versions of lamina and its stack, the git commit, host and times."""

from __future__ import annotations

import platform
import socket
import subprocess
from datetime import datetime, timezone

import numpy as np

import solver
from solver._paths import REPO_ROOT
from solver.fem.fieldio import fill_stack_versions


def versions() -> dict[str, str]:
    """Versions of lamina and the stack (DOLFINx and PETSc only if importable)."""
    # numba and scipy are imported here only: both are slow to import
    import numba
    import scipy

    out = {
        "lamina": solver.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
    }
    try:
        fill_stack_versions(out)
    except Exception as e:  # the core works without DOLFINx; say so instead of failing
        out["dolfinx"] = f"not available ({type(e).__name__}: {e})"
    return out


def git_commit() -> str | None:
    """The git commit of the lamina source tree (with ``-dirty``), or None outside a checkout."""
    src = REPO_ROOT
    try:
        head = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def provenance(*, seed: int, mpi_size: int, wall_time_s: float, started: float,
               argv: list[str] | None = None) -> dict:
    """The ``provenance`` table of results.json.

    Args:
        seed: the case's random seed.
        mpi_size: number of MPI ranks of the run.
        wall_time_s: wall-clock time of the run (s).
        started: start time (s since the epoch, :func:`solver.output.runfolder.now`).
        argv: the command line, if known.
    """
    return {
        "versions": versions(),
        "git_commit": git_commit(),
        "seed": seed,
        "mpi_size": mpi_size,
        "wall_time_s": wall_time_s,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(),
        "finished": datetime.now(timezone.utc).isoformat(),
        "host": socket.gethostname(),
        "command": argv,
    }
