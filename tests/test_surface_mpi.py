"""The same seed gives the bit-identical surface on every MPI rank and in a serial run; the ranks
of one node share its cores (numba threads, :func:`solver.fem.backend.share_cores`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver.fem import backend
from solver.surface import synthesis as surface

ARGS = dict(nb_grid_pts=(96, 80), physical_sizes=(1e-4, 1e-4), hurst=0.75, rms_height=5e-7,
            short_cutoff=1e-4 / 20, long_cutoff=1e-4 / 3, correlation_ratio=2.0, lay_angle=0.3,
            seed=123)

SCRIPT = f"""
import hashlib, json, os
import numba
from solver.fem.backend import comm_world  # imports the wheel's MPI before mpi4py
comm = comm_world()
from solver.surface import synthesis as surface
h = surface.self_affine(**{ARGS!r})
shas = comm.allgather(hashlib.sha256(h.tobytes()).hexdigest())
threads = comm.allgather([numba.get_num_threads(), len(os.sched_getaffinity(0))])
if comm.rank == 0:
    print("RESULT", json.dumps({{"size": comm.size, "shas": shas, "threads": threads}}))
"""

MPIEXEC = Path(sys.executable).parent / "mpiexec"


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> dict:
    """The script's result on 2 ranks, started as a user would (numba's threads not set)."""
    if not MPIEXEC.exists():
        pytest.skip(f"no mpiexec next to the Python ({MPIEXEC})")
    tmp_path = tmp_path_factory.mktemp("surface_mpi")
    script = tmp_path / "surface_mpi.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    proc = subprocess.run(["timeout", "120", str(MPIEXEC), "-n", "2", sys.executable, str(script)],
                          capture_output=True, text=True, timeout=150, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


@pytest.mark.mpi
def test_same_map_on_every_rank_and_serially(two_ranks):
    res = two_ranks
    serial = hashlib.sha256(surface.self_affine(**ARGS).tobytes()).hexdigest()
    assert res["size"] == 2
    assert res["shas"] == [serial, serial]


@pytest.mark.mpi
def test_two_ranks_on_one_node_do_not_oversubscribe_its_cores(two_ranks):
    # each rank's numba pool would start one thread per CPU of its mask (4 busy threads on a
    # 2-core machine); shared, the two ranks' threads fit the CPUs (at least one each)
    for threads, cpus in two_ranks["threads"]:
        assert threads == max(1, cpus // 2), two_ranks["threads"]


@pytest.mark.parametrize("size, env, cpus, expected", [
    (1, {}, 16, None),                                    # one rank: numba's own default
    (2, {}, 2, 1),                                        # mpiexec -n 2 on 2 cores
    (4, {}, 2, 1),                                        # never fewer than one
    (2, {"NUMBA_NUM_THREADS": "2"}, 2, None),             # the user's choice stands
    (64, {"MPI_LOCALNRANKS": "16"}, 32, 2),               # Hydra: 16 of 64 ranks on this node
    (64, {"OMPI_COMM_WORLD_LOCAL_SIZE": "8"}, 32, 4),     # Open MPI
    (8, {"SLURM_NTASKS_PER_NODE": "4"}, 16, 4),           # srun --ntasks-per-node
    (8, {"MPI_LOCALNRANKS": "x"}, 16, 2),                 # unreadable: all ranks counted
    (4, {}, 1, 1),                                        # bound to one core per rank
])
def test_rank_threads(size, env, cpus, expected):
    assert backend.rank_threads(size, env, cpus) == expected
