"""Per-case overhead of ``lamina sweep`` with the local executor, warm caches.

A sweep of ``n`` tiny cases (64² surfaces, surface stage only, no plots) runs one case at a time
(``--jobs 1``), so its wall time is the sum of what each case costs. Each case's in-process solve
time is ``provenance.wall_time_s`` of its results.json; the rest is overhead::

    overhead per case = (sweep wall time - sum of the cases' wall_time_s) / n

It contains the sweep's own start and expansion (amortised over n), and per case the launch of a
fresh ``lamina run`` interpreter (imports of numpy, scipy, numba, mpi4py and DOLFINx for the
provenance), the flock/RUNNING bookkeeping, the log file, and writing the run folder. The launch
of one bare ``lamina run`` (warm) is measured alone, so the executor's own share is reported too,
as are the cost of a resume that finds every case done and the expansion (validation + one case
file written) per case. The numba and JIT caches are warmed by a first run before anything is
timed.

Bound (``max`` check): the overhead per case must stay below ``MAX_OVERHEAD_S`` = 10 s. Expected is
the interpreter launch, 1.5-3 s on a 2-core laptop and up to twice that when the cores are shared
with other work; the executor itself adds milliseconds. 10 s is 3-5 times the expected value, so a
loaded machine passes, while the regressions that matter fail: numba kernels or forms compiled
again for every case (a cold numba cache costs 20-40 s per case here) or cases serialised on a lock.
Serial benchmark (``mpi = false`` in the registry): the executor is one process on rank 0.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from solver.batch.bench.check import Check, bench_main

NAME = "sweep_overhead"
CITATION = (
    "Raicu, Foster, Zhao, 'Many-task computing for grids and supercomputers', MTAGS 2008 "
    "(IEEE): per-task dispatch overhead against task length decides the efficiency of "
    "many short tasks"
)
SIZES = {"small": {"cases": 6, "expand": 200}, "full": {"cases": 20, "expand": 2000}}
MAX_OVERHEAD_S = 10.0
LAMINA = [sys.executable, "-m", "solver"]
BASE = """
[base]
name = "overhead"
surface.nb_grid_pts = [64, 64]
output.plots = false
output.heights = false
output.stages = ["surface"]
"""


def _sweep_text(n: int) -> str:
    return f'[sweep]\nname = "overhead"\n[[sweep.axis]]\nkey = "seed"\nrange = [0, {n}]\n' + BASE


def _timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall


def _solve_wall(run_folder: Path) -> float:
    return json.loads((run_folder / "results.json").read_text())["provenance"]["wall_time_s"]


def run(size: str = "small") -> list[Check]:
    from solver.batch import sweep
    n, n_expand = SIZES[size]["cases"], SIZES[size]["expand"]
    with tempfile.TemporaryDirectory(prefix="lamina-sweep-bench-") as tmp:
        d = Path(tmp)
        case = d / "case.toml"
        # a plain case file with the same content as the sweep's base
        case.write_text(
            'name = "overhead"\n[surface]\nnb_grid_pts = [64, 64]\n'
            '[output]\nplots = false\nheights = false\nstages = ["surface"]\n'
        )
        # warm the numba/JIT caches and the file cache; then one warm bare launch
        _timed([*LAMINA, "run", str(case), "--out", str(d / "warm")], d)
        bare = [
            _timed([*LAMINA, "run", str(case), "--out", str(d / f"bare{i}")], d)
            - _solve_wall(d / f"bare{i}")
            for i in range(2)
        ]
        bare_launch = min(bare)

        f = d / "sweep.toml"
        f.write_text(_sweep_text(n))
        out = d / "sweep"
        wall = _timed([*LAMINA, "sweep", str(f), "--out", str(out), "--jobs", "1"], d)
        m = sweep.load_manifest(out)
        solves = [_solve_wall(out / e["run_folder"]) for e in m["cases"]]
        overhead = (wall - sum(solves)) / n
        resume = _timed([*LAMINA, "sweep", str(f), "--out", str(out), "--jobs", "1"], d)

        # expansion alone, in this process: validation + one case file per case (fsync'ed)
        big = sweep.load_sweep(_write(d / "big.toml", _sweep_text(n_expand)))
        t0 = time.perf_counter()
        sweep.write_expansion(big, sweep.expand(big), d / "big")
        expand_per_case = (time.perf_counter() - t0) / n_expand

    mean_solve = statistics.fmean(solves)
    return [
        Check("cases (jobs 1, 64² surface stage)", float(n), kind="info"),
        Check("solve wall per case (results.json)", mean_solve, kind="info", unit="s"),
        Check("sweep wall per case", wall / n, kind="info", unit="s"),
        Check("overhead per case", overhead, kind="info", unit="s"),
        Check("overhead / solve", overhead / mean_solve, kind="info"),
        Check("bare `lamina run` launch (warm)", bare_launch, kind="info", unit="s"),
        Check(
            "executor share per case (overhead - launch)",
            overhead - bare_launch,
            kind="info",
            unit="s",
        ),
        Check("resume, all done: wall per case", resume / n, kind="info", unit="s"),
        Check(f"expansion per case ({n_expand} cases)", expand_per_case, kind="info", unit="s"),
        Check(
            "overhead per case < bound", overhead, tolerance=MAX_OVERHEAD_S, kind="max", unit="s"
        ),
    ]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
