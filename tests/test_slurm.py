"""A sweep as a SLURM job array on a real single-node SLURM (tests/slurm_cluster.py).

Installs Debian's slurmd/slurmctld/slurm-client/munge when missing (root and apt-get needed, else
the test is skipped with the reason), starts munged, slurmctld and slurmd in a scratch folder,
submits a 4-case sweep (one case on 2 ranks through ``srun --mpi=pmi2``) with
``lamina sweep --executor slurm``, waits for the queue, collects the table and checks it; then
resubmits the finished array to see every task skip its complete case, and stops exactly the
daemons it started.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import pytest
from slurm_cluster import SlurmCluster, ensure_packages

from solver.case import config

from solver.output import runfolder

from solver.batch import sweep
LAMINA = [sys.executable, "-m", "solver"]
SWEEP = """
[sweep]
name = "slurm-test"
mode = "zip"
[[sweep.axis]]
key = "seed"
values = [0, 1, 2, 3]
[[sweep.axis]]
key = "ranks"
values = [1, 1, 1, 2]

[base]
name = "tiny"
surface.nb_grid_pts = [64, 64]
output.plots = false
output.heights = false
output.stages = ["surface"]   # tiny cases: no press cycle

[slurm]
time = "00:10:00"
max_parallel = 2
signal_before_s = 60
"""


@pytest.fixture(scope="module")
def cluster():
    t0 = time.perf_counter()
    reason = ensure_packages()
    if reason is not None:
        print(f"SKIP test_slurm: {reason}")
        pytest.skip(reason)
    t1 = time.perf_counter()
    c = SlurmCluster.start()
    print(
        f"\nslurm: packages {t1 - t0:.1f} s, daemons idle after {time.perf_counter() - t1:.1f} s; "
        f"pids {c.pids}; {c.root}"
    )
    try:
        yield c
    finally:
        c.stop()
        alive = {k: p.pid for k, p in c.procs.items() if p.poll() is None}
        print(f"slurm: stopped {c.pids}; still alive: {alive or 'none'}")
        assert not alive


def test_sweep_as_slurm_job_array(cluster, tmp_path):
    f = tmp_path / "sweep.toml"
    f.write_text(SWEEP)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    p = subprocess.run(
        [*LAMINA, "sweep", str(f), "--out", str(out), "--executor", "slurm"],
        capture_output=True,
        text=True,
        env=cluster.env,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    print(p.stdout.strip())
    jobs = [
        ln.split()[2].rstrip(":") for ln in p.stdout.splitlines() if ln.startswith("submitted job")
    ]
    # a one-task warm-up that fills the JIT/numba cache seed, then one array per rank count
    assert len(jobs) == 3 and "cache warm-up" in p.stdout.splitlines()[0], p.stdout
    warm, arr1, arr2 = jobs
    script1 = (out / "slurm" / "array-r1.sh").read_text()
    script2 = (out / "slurm" / "array-r2.sh").read_text()
    assert "#SBATCH --array=0-2%2" in script1 and "#SBATCH --array=0-0%1" in script2
    assert "srun --mpi=pmi2 -n 2" in script2 and "#SBATCH --ntasks=2" in script2
    assert "#SBATCH --signal=B:USR1@60" in script1
    waited = cluster.wait_queue_empty(jobs, timeout=240)
    print(f"slurm: queue empty {waited:.1f} s after submission")
    for j in jobs:
        assert set(cluster.job_states(j)) == {"COMPLETED"}, (j, cluster.job_states(j))

    # every case done, by the array, on the ranks asked for
    m = sweep.load_manifest(out)
    states = sweep.states(out, m)
    assert [s for _, s in states] == ["done"] * 4, [
        (e["hash"], s, (out / "logs" / f"{e['hash']}.log").read_text()[-2000:]) for e, s in states
    ]
    for e in m["cases"]:
        res = runfolder.read_results(out / e["run_folder"])
        assert res["provenance"]["mpi_size"] == (e["ranks"] or 1)
        assert not (out / e["run_folder"] / sweep.RUNNING).exists()
        log_text = (out / "logs" / f"{e['hash']}.log").read_text()
        assert "[array]" in log_text and log_text.count("# lamina sweep") == 1

    def task_out(job, i):
        return (out / "logs" / f"slurm-{job}_{i}.out").read_text()

    assert ": done (" in task_out(warm, 0)  # the warm-up ran case 0 ...
    assert ": skipped-done" in task_out(arr1, 0)  # ... so its array task skipped it
    assert all(": done (" in task_out(j, i) for j, i in ((arr1, 1), (arr1, 2), (arr2, 0)))
    assert any((out / "cache" / "numba").rglob("*.nbi")), "the warm-up filled no numba cache"
    walls = [
        runfolder.read_results(out / e["run_folder"])["provenance"]["wall_time_s"] for e in m["cases"]
    ]
    print("slurm: case wall times (s), warm-up first: " + ", ".join(f"{w:.1f}" for w in walls))

    # the table
    p = subprocess.run([*LAMINA, "collect", str(out)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out / "table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows] == ["done"] * 4
    assert (
        [int(r["param.seed"]) for r in rows] == [int(r["input.seed"]) for r in rows] == [0, 1, 2, 3]
    )
    assert [r["param.ranks"] for r in rows] == ["1", "1", "1", "2"]
    assert [int(r["provenance.mpi_size"]) for r in rows] == [1, 1, 1, 2]
    assert all(r["input.surface.nb_grid_pts[0]"] == "64" for r in rows)
    sq = config.default_case().surface.rms_height
    assert all(abs(float(r["output.surface.statistics.Sq"]) / sq - 1) < 1e-9 for r in rows)
    assert len({r["output.surface.statistics.Sa"] for r in rows}) == 4  # four realisations
    assert (out / "failures.csv").read_text().strip() == "id,hash,run_folder,stage,reason,log"

    # resume: nothing left to submit; a resubmitted array skips every complete case
    p = subprocess.run(
        [*LAMINA, "sweep", str(f), "--out", str(out), "--executor", "slurm"],
        capture_output=True,
        text=True,
        env=cluster.env,
        timeout=120,
    )
    assert p.returncode == 0 and "nothing to submit" in p.stdout, (p.stdout, p.stderr)
    before = {e["hash"]: (out / e["run_folder"] / "results.json").read_bytes() for e in m["cases"]}
    q = cluster.run(["sbatch", "--parsable", str(out / "slurm" / "array-r1.sh")])
    assert q.returncode == 0, q.stderr
    job = q.stdout.strip().split(";")[0]
    cluster.wait_queue_empty([job], timeout=120)
    skipped = sorted((out / "logs").glob(f"slurm-{job}_*.out"))
    assert len(skipped) == 3 and all("skipped-done" in s.read_text() for s in skipped)
    assert {
        e["hash"]: (out / e["run_folder"] / "results.json").read_bytes() for e in m["cases"]
    } == before
    submitted = json.loads((out / "slurm" / "submitted.json").read_text())
    assert [s["job_id"] for s in submitted] == jobs and submitted[0]["role"] == "warm-up"
    assert all(f"--dependency=afterany:{warm}" in s["command"] for s in submitted[1:])
    print(
        f"slurm: sweep submitted, run, collected and resubmitted in "
        f"{time.perf_counter() - t0:.1f} s"
    )
