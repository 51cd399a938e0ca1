"""Starting a small MPI job from a serial pytest (shared by the FE test modules)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from solver.fem.backend import comm_world

ROOT = Path(__file__).resolve().parents[1]
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


def mpirun(args: list[str], n: int = 2, limit: int = 300) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` on ``n`` ranks under ``timeout`` (a failing rank cannot hang the suite)."""
    if MPIEXEC is None:
        pytest.skip("no mpiexec next to the Python executable or on PATH")
    if comm_world().size > 1:
        pytest.skip("starts its own MPI job; run this test from a serial pytest")
    cmd = ["timeout", "-k", "10", str(limit), MPIEXEC, "-n", str(n), sys.executable, *args]
    env = dict(os.environ, HYDRA_IFACE=os.environ.get("HYDRA_IFACE", "lo"), OMP_NUM_THREADS="1")
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=limit + 30)
