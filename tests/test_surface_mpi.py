"""The same seed gives the bit-identical surface on every MPI rank and in a serial run."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from solver.surface import synthesis as surface
ARGS = dict(nb_grid_pts=(96, 80), physical_sizes=(1e-4, 1e-4), hurst=0.75, rms_height=5e-7,
            short_cutoff=1e-4 / 20, long_cutoff=1e-4 / 3, correlation_ratio=2.0, lay_angle=0.3,
            seed=123)

SCRIPT = f"""
import hashlib, json
from solver.fem.backend import comm_world  # imports the wheel's MPI before mpi4py
comm = comm_world()
from solver.surface import synthesis as surface
h = surface.self_affine(**{ARGS!r})
shas = comm.allgather(hashlib.sha256(h.tobytes()).hexdigest())
if comm.rank == 0:
    print("RESULT", json.dumps({{"size": comm.size, "shas": shas}}))
"""

MPIEXEC = Path(sys.executable).parent / "mpiexec"


@pytest.mark.mpi
@pytest.mark.skipif(not MPIEXEC.exists(), reason=f"no mpiexec next to the Python ({MPIEXEC})")
def test_same_map_on_every_rank_and_serially(tmp_path):
    script = tmp_path / "surface_mpi.py"
    script.write_text(SCRIPT)
    proc = subprocess.run(["timeout", "120", str(MPIEXEC), "-n", "2", sys.executable, str(script)],
                          capture_output=True, text=True, timeout=150, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    res = json.loads(line.removeprefix("RESULT "))
    serial = hashlib.sha256(surface.self_affine(**ARGS).tobytes()).hexdigest()
    assert res["size"] == 2
    assert res["shas"] == [serial, serial]
