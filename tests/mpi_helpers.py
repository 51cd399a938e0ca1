"""Starting a small MPI job from a serial pytest (shared by the FE test modules)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver.batch.mpi import child_env, find_mpiexec, mpiexec_command
from solver.fem.backend import comm_world

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = find_mpiexec()
#: The launcher program (None: none found); callers append ``-n K`` and the command.
MPIEXEC = LAUNCHER[0] if LAUNCHER else None


def mpirun(args: list[str], n: int = 2, limit: int = 300) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` on ``n`` ranks under ``timeout`` (a failing rank cannot hang the
    suite)."""
    if not LAUNCHER:
        pytest.skip("no mpiexec next to the Python executable or on PATH")
    if comm_world().size > 1:
        pytest.skip("starts its own MPI job; run this test from a serial pytest")
    cmd = ["timeout", "-k", "10", str(limit),
           *mpiexec_command(LAUNCHER, n, [sys.executable, *args])]
    # Hydra (MPICH's mpiexec) on the loopback interface: test machines may have no other one
    env = child_env(n, extra={"HYDRA_IFACE": os.environ.get("HYDRA_IFACE", "lo"),
                              "OMP_NUM_THREADS": "1"})
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=limit + 30)


def serial_and_two_ranks(serial_case, script) -> tuple[dict, dict]:
    """``serial_case()`` run here, and the JSON object that ``python script`` prints last on 2
    ranks (its ``"ranks"`` checked to be 2). Skipped under mpiexec: it compares with a 2-rank
    run of its own."""
    if comm_world().size > 1:
        pytest.skip("compares a serial run with a 2-rank run")
    serial = serial_case()
    proc = mpirun([str(script)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # PETSc may print its unused-option warnings after the result
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, proc.stdout[-3000:]
    parallel = json.loads(lines[-1])
    assert parallel["ranks"] == 2
    return serial, parallel
