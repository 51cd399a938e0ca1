"""Sweeps: expansion, bad sweep files, the local executor, resume, status, collect, SIGKILL.

The end-to-end tests run real ``lamina sweep`` processes on tiny cases (64 x 64 surfaces, no plots);
one 20-case sweep is run once per module and shared.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from solver.case import config

from solver.output import runfolder

from solver.batch import sweep
from solver.cli.main import main
from solver.errors import InputError

LAMINA = [sys.executable, "-m", "solver"]
TINY = """
[base]
name = "tiny"
surface.nb_grid_pts = [64, 64]
output.plots = false
output.heights = false
output.stages = ["surface"]   # tiny cases: no press cycle
"""
KILL_SWEEP = (
    """
[sweep]
name = "kill"
mode = "product"
[[sweep.axis]]
key = "surface.rms_height"
values = [2e-7, 5e-7]
[[sweep.axis]]
key = "seed"
range = [0, 10]
"""
    + TINY
)
N_KILL = 20


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _expand(tmp_path, text, name="s.toml"):
    return sweep.expand(sweep.load_sweep(_write(tmp_path / name, text)))


def _run_cli(args, timeout=300, **kw):
    return subprocess.run([*LAMINA, *args], capture_output=True, text=True, timeout=timeout, **kw)


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------------------------
# expansion


def test_product_counts_order_and_values(tmp_path):
    specs = _expand(
        tmp_path,
        """
[sweep]
name = "p"
[[sweep.axis]]
key = "surface.rms_height"
values = [2e-7, 5e-7]
[[sweep.axis]]
key = "seed"
range = [0, 3]
[[sweep.axis]]
key = "surface.hurst"
linspace = [0.5, 0.9, 3]
"""
        + TINY,
    )
    assert len(specs) == 2 * 3 * 3
    assert [s.id for s in specs] == list(range(18))
    # the last axis varies fastest
    assert [s.params["surface.hurst"] for s in specs[:3]] == [0.5, 0.7, 0.9]
    assert [s.params["seed"] for s in specs[:9:3]] == [0, 1, 2]
    assert specs[9].params == {"surface.rms_height": 5e-7, "seed": 0, "surface.hurst": 0.5}
    for s in specs:  # the case file is the resolved case with the params applied
        case = config.from_dict(tomllib.loads(s.toml))
        assert case.surface.rms_height == s.params["surface.rms_height"]
        assert case.seed == s.params["seed"] and case.surface.hurst == s.params["surface.hurst"]
        assert case.surface.nb_grid_pts == (64, 64) and case.name == "tiny"


def test_zip_group_logspace(tmp_path):
    specs = _expand(
        tmp_path,
        """
[sweep]
name = "z"
mode = "zip"
[[sweep.axis]]
key = "surface.rms_height"
logspace = [1e-7, 1e-5, 3]
[[sweep.axis]]
key = "seed"
values = [4, 5, 6]
"""
        + TINY,
    )
    assert [s.params for s in specs] == [
        {"surface.rms_height": 1e-7, "seed": 4},
        {"surface.rms_height": pytest.approx(1e-6, rel=1e-12), "seed": 5},
        {"surface.rms_height": 1e-5, "seed": 6},
    ]
    # a group zips a subset inside a product; `ranks` is an execution parameter, not a case key
    specs = _expand(
        tmp_path,
        """
[sweep]
name = "g"
[[sweep.axis]]
key = "surface.nb_grid_pts"
values = [[64, 64], [128, 128]]
group = "grid"
[[sweep.axis]]
key = "seed"
range = [0, 3]
[[sweep.axis]]
key = "ranks"
values = [1, 2]
group = "grid"
"""
        + TINY,
    )
    assert len(specs) == 6
    assert [(s.params["surface.nb_grid_pts"], s.ranks) for s in specs[::3]] == [
        ([64, 64], 1),
        ([128, 128], 2),
    ]
    assert all("ranks" not in s.toml for s in specs)


def test_lhs_strata_and_seed(tmp_path):
    text = (
        """
[sweep]
name = "l"
mode = "lhs"
samples = 10
seed = 7
[[sweep.axis]]
key = "surface.rms_height"
bounds = [1e-7, 1e-6]
scale = "log"
[[sweep.axis]]
key = "surface.hurst"
bounds = [0.3, 0.9]
[[sweep.axis]]
key = "seed"
bounds = [0, 99]
"""
        + TINY
    )
    specs = _expand(tmp_path, text)
    assert len(specs) == 10
    h = sorted(s.params["surface.hurst"] for s in specs)
    # one sample in each of the 10 strata of every axis
    assert [int((x - 0.3) / 0.06) for x in h] == list(range(10))
    import math

    r = sorted(math.log10(s.params["surface.rms_height"]) for s in specs)
    assert [int((x + 7) / 0.1) for x in r] == list(range(10))
    seeds = sorted(s.params["seed"] for s in specs)
    assert all(isinstance(x, int) for x in seeds) and [x // 10 for x in seeds] == list(range(10))
    again = _expand(tmp_path, text, "again.toml")
    assert [s.hash for s in again] == [s.hash for s in specs]
    other = _expand(tmp_path, text.replace("seed = 7", "seed = 8"), "other.toml")
    assert {s.hash for s in other}.isdisjoint({s.hash for s in specs})


def test_hashes_are_content_based_and_stable(tmp_path):
    text = KILL_SWEEP
    a = _expand(tmp_path, text, "a.toml")
    b = _expand(tmp_path, text, "b.toml")
    assert [s.hash for s in a] == [s.hash for s in b]
    assert len({s.hash for s in a}) == N_KILL
    for s in a:
        assert s.hash == hashlib.sha256(s.toml.encode()).hexdigest()[:12]
        assert s.toml == config.to_toml(config.from_dict(tomllib.loads(s.toml)))
    # the same cases written differently (base from a file, axes in another order, explicit
    # defaults) have the same hashes; the sweep's name does not enter them
    (tmp_path / "base.toml").write_text(
        'name = "tiny"\n[surface]\nnb_grid_pts = [64, 64]\nhurst = 0.8\n'
        '[output]\nplots = false\nheights = false\nstages = ["surface"]\n'
    )
    c = _expand(
        tmp_path,
        """
base = "base.toml"
[sweep]
name = "other-name"
[[sweep.axis]]
key = "seed"
values = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
[[sweep.axis]]
key = "surface.rms_height"
values = [5e-7, 2e-7]
""",
        "c.toml",
    )
    assert {s.hash for s in c} == {s.hash for s in a}
    d = _expand(tmp_path, text.replace("2e-7", "3e-7"), "d.toml")
    assert len({s.hash for s in d} & {s.hash for s in a}) == 10


def test_expansion_writes_cases_and_manifest(tmp_path):
    sw = sweep.load_sweep(_write(tmp_path / "s.toml", KILL_SWEEP))
    specs = sweep.expand(sw)
    out = tmp_path / "out"
    m = sweep.write_expansion(sw, specs, out)
    assert json.loads((out / "manifest.json").read_text()) == json.loads(runfolder.dumps_json(m))
    assert m["sweep"] == "kill" and len(m["cases"]) == N_KILL
    for e, s in zip(m["cases"], specs):
        assert e["case_file"] == f"cases/{s.hash}.toml" and e["run_folder"] == f"runs/{s.hash}"
        assert (out / e["case_file"]).read_text() == s.toml
        assert config.load(out / e["case_file"]).seed == e["params"]["seed"]
    assert (out / "sweep.toml").read_text() == KILL_SWEEP
    assert not list(out.rglob(".*tmp*"))


# ----------------------------------------------------------------------------------------------
# bad sweep files: one line, exit 2, nothing written

AX = '[[sweep.axis]]\nkey = "seed"\nvalues = [0, 1]\n'
BAD_SWEEPS = [
    ("empty-axis", '[sweep]\n[[sweep.axis]]\nkey = "seed"\nvalues = []\n', "sweep.axis[0]"),
    ("empty-range", '[sweep]\n[[sweep.axis]]\nkey = "seed"\nrange = [3, 3]\n', "sweep.axis[0]"),
    (
        "unknown-key",
        '[sweep]\n[[sweep.axis]]\nkey = "surface.rms_hieght"\nvalues = [1e-7]\n',
        "surface.rms_hieght",
    ),
    ("section-key", '[sweep]\n[[sweep.axis]]\nkey = "surface"\nvalues = [1]\n', "surface"),
    ("same-key-twice", "[sweep]\n" + AX + AX, "sweep.axis[1].key = 'seed'"),
    (
        "zip-unequal",
        '[sweep]\nmode = "zip"\n'
        + AX
        + '[[sweep.axis]]\nkey = "surface.hurst"\nvalues = [0.5, 0.6, 0.7]\n',
        "sweep.axis[1]",
    ),
    (
        "group-unequal",
        '[sweep]\n[[sweep.axis]]\nkey = "seed"\nvalues = [0, 1]\ngroup = "g"\n'
        '[[sweep.axis]]\nkey = "surface.hurst"\nvalues = [0.5]\ngroup = "g"\n',
        "group 'g'",
    ),
    (
        "bad-value",
        '[sweep]\n[[sweep.axis]]\nkey = "surface.hurst"\nvalues = [0.5, 1.5]\n',
        "surface.hurst = 1.5",
    ),
    ("wrong-type", '[sweep]\n[[sweep.axis]]\nkey = "seed"\nvalues = [0, "one"]\n', "seed"),
    (
        "float-seed-linspace",
        '[sweep]\n[[sweep.axis]]\nkey = "seed"\nlinspace = [0, 1, 3]\n',
        "seed",
    ),
    (
        "invalid-combination",
        '[sweep]\n[[sweep.axis]]\nkey = "surface.short_cutoff"\nvalues = [4e-6, 1e-6]\n',
        "surface.short_cutoff = 1e-06",
    ),
    (
        "bounds-in-product",
        '[sweep]\n[[sweep.axis]]\nkey = "surface.hurst"\nbounds = [0.1, 0.9]\n',
        "sweep.axis[0].bounds",
    ),
    (
        "lhs-no-samples",
        '[sweep]\nmode = "lhs"\n[[sweep.axis]]\nkey = "surface.hurst"\nbounds = [0.1, 0.9]\n',
        "sweep.samples",
    ),
    ("mode-typo", '[sweep]\nmode = "prodcut"\n' + AX, "sweep.mode"),
    ("no-axes", '[sweep]\nname = "x"\n', "sweep.axis"),
    (
        "two-sources",
        '[sweep]\n[[sweep.axis]]\nkey = "seed"\nvalues = [1]\nrange = [0, 2]\n',
        "sweep.axis[0]",
    ),
    ("bad-base", "[sweep]\n" + AX + "[base]\nsurface.hurst = 3.0\n", "base: surface.hurst"),
    ("missing-base-file", 'base = "nope.toml"\n[sweep]\n' + AX, "nope.toml"),
    ("unknown-table", "[sweep]\n" + AX + '[slurmm]\naccount = "x"\n', "slurmm"),
    ("bad-slurm-time", "[sweep]\n" + AX + '[slurm]\ntime = "soon"\n', "slurm.time"),
    ("missing-template", "[sweep]\n" + AX + '[slurm]\ntemplate = "nope.sh.in"\n', "slurm.template"),
    ("invalid-toml", "[sweep\n" + AX, "invalid TOML"),
    ("duplicate-value", '[sweep]\n[[sweep.axis]]\nkey = "seed"\nvalues = [1, 1]\n', "seed = 1"),
]


@pytest.mark.parametrize("name, text, must", BAD_SWEEPS, ids=[b[0] for b in BAD_SWEEPS])
def test_bad_sweep_file_exits_2_and_writes_nothing(tmp_path, capsys, name, text, must):
    f = _write(tmp_path / "bad.toml", text if "base" in text else text + TINY)
    out = tmp_path / "out"
    rc = main(["sweep", str(f), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "\n" not in err and err.startswith("lamina: error:"), err
    assert must in err, f"{must!r} not in {err!r}"
    assert not out.exists(), "a bad sweep file must not write case files or a manifest"


def test_bad_sweep_files_are_many():
    assert len({t for _, t, _ in BAD_SWEEPS}) == len(BAD_SWEEPS) >= 6


# ----------------------------------------------------------------------------------------------
# scheduler scripts (no scheduler needed)


def test_slurm_and_pbs_scripts(tmp_path):
    f = _write(
        tmp_path / "s.toml",
        """
[sweep]
name = "press roughness"
[[sweep.axis]]
key = "surface.nb_grid_pts"
values = [[64, 64], [128, 128]]
group = "g"
[[sweep.axis]]
key = "ranks"
values = [1, 2]
group = "g"
[[sweep.axis]]
key = "seed"
range = [0, 3]
[slurm]
account = "proj42"
partition = "short"
time = "00:30:00"
max_parallel = 2
modules = ["gcc/12", "openmpi/4"]
signal_before_s = 90
[pbs]
queue = "workq"
max_parallel = 2
"""
        + TINY,
    )
    out = tmp_path / "out"
    p = _run_cli(["sweep", str(f), "--out", str(out), "--executor", "slurm", "--dry-run"])
    assert p.returncode == 0, p.stderr
    m = json.loads((out / "manifest.json").read_text())
    for r, ids in ((1, [0, 1, 2]), (2, [3, 4, 5])):
        text = (out / "slurm" / f"array-r{r}.sh").read_text()
        for line in (
            "#SBATCH --account=proj42",
            "#SBATCH --partition=short",
            "#SBATCH --time=00:30:00",
            f"#SBATCH --ntasks={r}",
            "#SBATCH --array=0-2%2",
            "#SBATCH --signal=B:USR1@90",
            "module load gcc/12",
            "module load openmpi/4",
            f"srun --mpi=pmi2 -n {r}",
            "trap 'kill -USR1",
            "export NUMBA_CACHE_DIR=",
            "export XDG_CACHE_HOME=",
            "#SBATCH --job-name=lamina-press_roughness",
        ):
            assert line in text, (r, line)
        assert "CASES=(" + " ".join(m["cases"][i]["hash"] for i in ids) + ")" in text
        assert "{{" not in text and "#SBATCH --qos" not in text
        assert subprocess.run(["bash", "-n", str(out / "slurm" / f"array-r{r}.sh")]).returncode == 0
    p = _run_cli(["sweep", str(out), "--executor", "pbs"])
    assert p.returncode == 0, p.stderr
    text = (out / "pbs" / "array-r2.sh").read_text()
    for line in ("#PBS -J 0-2%2", "#PBS -q workq", "mpiexec -n 2", "PBS_ARRAY_INDEX"):
        assert line in text, line
    assert subprocess.run(["bash", "-n", str(out / "pbs" / "array-r2.sh")]).returncode == 0


# ----------------------------------------------------------------------------------------------
# the local executor end to end: a 20-case sweep killed (SIGKILL to the whole process group) at
# three random moments and resumed each time; the reference is the same sweep run uninterrupted,
# case after case in one process (run_case directly: an oracle independent of the executor).

REF_RUNNER = """
import sys
from pathlib import Path
from solver.case import config
from solver.batch import sweep
from solver.run.pipeline import run_case
out = Path(sys.argv[1])
for e in sweep.load_manifest(out)["cases"]:
    run_case(config.load(out / e["case_file"]), out / e["run_folder"])
"""
EXCLUDED = ("wall", "time_s", "started", "finished", "timestamp", "created")


def _comparable(rows: list[dict]) -> list[dict]:
    return [
        {
            k: v
            for k, v in r.items()
            if not k.startswith("provenance.") and not any(x in k for x in EXCLUDED)
        }
        for r in rows
    ]


def _group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _done_results(out: Path) -> dict[str, bytes]:
    return {
        p.parent.name: (p.parent / "results.json").read_bytes()
        for p in out.glob("runs/*/DONE")
        if (p.parent / "results.json").exists()
    }


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    """The 20 cases run one after the other without interruption, in one process."""
    d = tmp_path_factory.mktemp("reference")
    sw = sweep.load_sweep(_write(d / "kill.toml", KILL_SWEEP))
    out = d / "ref"
    sweep.write_expansion(sw, sweep.expand(sw), out)
    env = sweep.child_env(sweep.thread_env(jobs=2, ranks=1))  # the executor's thread settings
    p = subprocess.run(
        [sys.executable, "-c", REF_RUNNER, str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def killed_sweep(tmp_path_factory):
    """``lamina sweep --jobs 2`` killed at three random points of progress, then resumed."""
    d = tmp_path_factory.mktemp("killed")
    f = _write(d / "kill.toml", KILL_SWEEP)
    out = d / "out"
    cmd = [*LAMINA, "sweep", str(f), "--out", str(out), "--jobs", "2"]
    rng = random.Random(1234)
    # kill when at least `target` cases are done, plus a random fraction of a case's time
    targets = sorted(rng.sample(range(0, 17), 3))
    extras = [rng.uniform(0.0, 2.5) for _ in targets]
    seen: dict[str, bytes] = {}  # results of cases done before a kill
    kills = []
    rerun = []
    for target, extra in zip(targets, extras):
        p = subprocess.Popen(
            cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        t0 = time.monotonic()
        while len(_done_results(out)) < target and p.poll() is None and time.monotonic() - t0 < 200:
            time.sleep(0.05)
        time.sleep(extra)
        os.killpg(p.pid, signal.SIGKILL)  # the executor and every case it started
        p.wait()
        t0 = time.monotonic()
        while _group_alive(p.pid) and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        assert not _group_alive(p.pid), "a process of the killed sweep survived"
        done = _done_results(out)
        rerun += [h for h, data in seen.items() if done.get(h) != data]
        seen.update(done)
        kills.append((target, round(extra, 2), len(done)))
    # the last resume races a second executor on the same folder: no case may run twice
    t0 = time.perf_counter()
    racer = subprocess.Popen(
        [*LAMINA, "sweep", str(out), "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    racer_err = racer.communicate(timeout=400)[1]
    assert p.returncode == 0, p.stderr[-3000:]
    assert racer.returncode == 0, racer_err[-3000:]
    ran = [err.count("] done ") for err in (p.stderr, racer_err)]
    print(
        f"kills (target done, extra s, done at kill): {kills}; "
        f"resume {time.perf_counter() - t0:.1f}"
        f" s; cases run by the two resuming executors: {ran}"
    )
    return {"file": f, "out": out, "seen": seen, "rerun": rerun, "kills": kills, "ran": ran}


def test_sigkill_at_random_moments_then_resume(killed_sweep, reference_sweep, tmp_path):
    out, seen = killed_sweep["out"], killed_sweep["seen"]
    assert killed_sweep["rerun"] == [], "a case done before a kill was run again"
    assert len(seen) < N_KILL, f"the kills came too late: {killed_sweep['kills']}"
    done = _done_results(out)
    assert len(done) == N_KILL, "lost cases"
    for h, data in seen.items():
        assert done[h] == data, f"case {h} was run again after it was done"
    st = sweep.count_states(sweep.states(out))
    assert (st["done"], st["running"], st["pending"], st["failed"]) == (N_KILL, 0, 0, 0)
    # every case has one attempt, plus one per kill that caught it in flight (<= jobs per kill)
    m = sweep.load_manifest(out)
    attempts = {
        e["hash"]: (out / "logs" / f"{e['hash']}.log").read_text().count("# lamina sweep")
        for e in m["cases"]
    }
    assert all(n >= 1 for n in attempts.values())
    assert sum(attempts.values()) - N_KILL <= 2 * 3, attempts
    assert not list(out.glob("runs/*/RUNNING")), "a lock file outlived its case"
    # the same table as the uninterrupted sweep, apart from times and provenance
    sweep.collect(out, tmp_path / "killed")
    sweep.collect(reference_sweep, tmp_path / "ref")
    rows, ref_rows = _read_csv(tmp_path / "killed.csv"), _read_csv(tmp_path / "ref.csv")
    assert len(rows) == N_KILL and len({r["hash"] for r in rows}) == N_KILL
    assert [r["hash"] for r in rows] == [r["hash"] for r in ref_rows]
    assert _comparable(rows) == _comparable(ref_rows)
    assert len(_comparable(rows)[0]) > 30  # inputs and outputs are compared, not just ids
    print(f"attempts beyond one per case: {sum(attempts.values()) - N_KILL}")


def test_local_sweep_runs_every_case(killed_sweep):
    out = killed_sweep["out"]
    m = sweep.load_manifest(out)
    assert len(m["cases"]) == N_KILL
    for e in m["cases"]:
        res = runfolder.read_results(out / e["run_folder"])
        assert res["input"]["seed"] == e["params"]["seed"]
        assert res["input"]["surface"]["rms_height"] == e["params"]["surface.rms_height"]
        assert res["output"]["surface"]["statistics"]["Sq"] == pytest.approx(
            e["params"]["surface.rms_height"], rel=1e-9
        )
        assert res["provenance"]["command"][-3:] == [e["case_file"], "--out", e["run_folder"]]


def test_status_counts_done(killed_sweep, capsys):
    out = killed_sweep["out"]
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    counts = {ln.split()[0]: int(ln.split()[1]) for ln in text.splitlines()[1:]}
    assert counts == {"done": N_KILL, "failed": 0, "running": 0, "pending": 0}
    assert main(["status", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["done"] == N_KILL


def test_collect_table(killed_sweep, tmp_path, capsys):
    out = killed_sweep["out"]
    assert main(["collect", str(out), "--out", str(tmp_path / "t")]) == 0
    rows = _read_csv(tmp_path / "t.csv")
    m = sweep.load_manifest(out)
    assert [r["hash"] for r in rows] == [e["hash"] for e in m["cases"]]
    for r, e in zip(rows, m["cases"]):
        assert r["status"] == "done"
        assert int(r["param.seed"]) == int(r["input.seed"]) == e["params"]["seed"]
        assert (
            float(r["param.surface.rms_height"])
            == float(r["input.surface.rms_height"])
            == e["params"]["surface.rms_height"]
        )
        assert r["input.surface.nb_grid_pts[0]"] == "64" and r["input.output.plots"] == "false"
        assert float(r["output.surface.statistics.Sq"]) == pytest.approx(
            e["params"]["surface.rms_height"], rel=1e-9
        )
        res = runfolder.read_results(out / e["run_folder"])
        assert (
            float(r["output.surface.statistics.hurst"])
            == res["output"]["surface"]["statistics"]["hurst"]
        )
        assert float(r["provenance.wall_time_s"]) == res["provenance"]["wall_time_s"]
    # arrays are not columns
    assert not any(
        c.startswith("output.surface.nb_grid_pts") or c.startswith("output.stages") for c in rows[0]
    )
    assert _read_csv(tmp_path / "failures.csv") == []
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(tmp_path / "t.parquet").to_pydict()
    assert table["hash"] == [r["hash"] for r in rows]
    assert table["output.surface.statistics.Sq"] == [
        float(r["output.surface.statistics.Sq"]) for r in rows
    ]
    assert table["param.seed"] == [e["params"]["seed"] for e in m["cases"]]


def test_resume_skips_done_cases(killed_sweep):
    f, out = killed_sweep["file"], killed_sweep["out"]
    before = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/DONE")}
    p = _run_cli(["sweep", str(f), "--out", str(out), "--jobs", "2"])
    assert p.returncode == 0, p.stderr
    assert f"{N_KILL} done, 0 to run" in p.stderr
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/DONE")} == before
    # resuming from the folder alone works too
    p = _run_cli(["sweep", str(out)])
    assert p.returncode == 0 and "0 to run" in p.stderr, p.stderr


# ----------------------------------------------------------------------------------------------
# states: running / interrupted / failed (no runs needed)


def test_status_tells_running_from_interrupted(tmp_path, capsys):
    sw = sweep.load_sweep(_write(tmp_path / "s.toml", KILL_SWEEP))
    out = tmp_path / "out"
    m = sweep.write_expansion(sw, sweep.expand(sw)[:4], out)
    runs = [out / e["run_folder"] for e in m["cases"]]
    # 0: held by a live process (this one, through flock) -> running
    c = sweep.claim(runs[0])
    c.write_info({"host": "here", "pid": os.getpid()})
    # 1: started, then its process died: RUNNING unlocked, no marker -> interrupted (pending)
    runs[1].mkdir(parents=True)
    (runs[1] / sweep.RUNNING).write_text('{"pid": 1}')
    (runs[1] / runfolder.CASE).write_text("x")
    # 2: failed
    runfolder.RunFolder(runs[2]).fail("SolveError: diverged", "press")
    # 3: never started -> pending
    try:
        assert [sweep.case_state(r) for r in runs] == [
            "running",
            "interrupted",
            "failed",
            "pending",
        ]
        assert sweep.claim(runs[0], busy_wait_s=0.05) is None  # nobody else can take it
        assert main(["status", str(out), "--list"]) == 0
        lines = capsys.readouterr().out.splitlines()
        counts = {ln.split()[0]: int(ln.split()[1]) for ln in lines[1:5]}
        assert counts == {"done": 0, "failed": 1, "running": 1, "pending": 2}
        assert "(1 interrupted" in lines[4]
        assert len(lines) == 5 + 4  # --list: one line per case
    finally:
        c.release()
    assert sweep.case_state(runs[0]) == "pending"  # released and removed
    c2 = sweep.claim(runs[1])  # a stale lock is simply taken over
    assert c2 is not None
    c2.release()


def test_failed_case_is_recorded_with_reason(tmp_path, capsys):
    f = _write(
        tmp_path / "s.toml",
        """
[sweep]
name = "f"
[[sweep.axis]]
key = "surface.kind"
values = ["flat", "measured"]
[base]
name = "tiny"
surface.nb_grid_pts = [64, 64]
surface.physical_sizes = [5e-5, 5e-5]   # a plain matrix needs them (checked at expansion)
surface.file = "missing-scan.npy"
surface.unit = "um"
output.plots = false
output.heights = false
output.stages = ["surface"]   # tiny cases: no press cycle
""",
    )
    out = tmp_path / "out"
    p = _run_cli(["sweep", str(f), "--out", str(out), "--jobs", "2"])
    assert p.returncode == 1, p.stderr
    assert main(["status", str(out), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["done"], counts["failed"], counts["pending"]) == (1, 1, 0)
    assert main(["collect", str(out)]) == 0
    capsys.readouterr()
    rows = _read_csv(out / "table.csv")
    assert [r["status"] for r in rows] == ["done", "failed"]
    assert (
        rows[1]["input.surface.kind"] == "measured"
        and rows[1]["output.surface.statistics.Sq"] == ""
    )
    fails = _read_csv(out / "failures.csv")
    assert len(fails) == 1 and fails[0]["id"] == "1"
    assert "missing-scan.npy" in fails[0]["reason"], fails[0]


def test_array_task_skips_done_and_forwards_the_time_limit_signal(tmp_path):
    """The job-array task (python -m solver.batch.sweep task): SLURM's USR1 before the time limit reaches
    the case, which ends FAILED with the reason; a complete case is skipped."""
    sw = sweep.load_sweep(_write(tmp_path / "s.toml", KILL_SWEEP))
    out = tmp_path / "out"
    m = sweep.write_expansion(sw, sweep.expand(sw)[:2], out)
    h0, h1 = (e["hash"] for e in m["cases"])
    task = [sys.executable, "-m", "solver.batch.sweep", "task", str(out)]
    # a stand-in for `srun ... lamina run CASE --out RUN` that waits (USR1 terminates it)
    launch = ["bash", "-c", "exec sleep 60", "stand-in"]
    p = subprocess.Popen(
        [*task, h0, "--", *launch], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    t0 = time.monotonic()
    info = {}
    while "pid" not in info and time.monotonic() - t0 < 30:  # the stand-in has started
        time.sleep(0.05)
        try:
            info = json.loads((out / "runs" / h0 / sweep.RUNNING).read_text())
        except (OSError, ValueError):
            pass
    assert sweep.case_state(out / "runs" / h0) == "running"
    assert info["executor"] == "array" and info["executor_pid"] == p.pid
    p.send_signal(signal.SIGUSR1)
    text = p.communicate(timeout=30)[0]
    assert p.returncode == 1, text
    assert sweep.case_state(out / "runs" / h0) == "failed"
    reason = json.loads((out / "runs" / h0 / runfolder.FAILED).read_text())["reason"]
    assert "SIGUSR1" in reason and "time limit" in reason, reason
    assert not (out / "runs" / h0 / sweep.RUNNING).exists()
    # a complete case: skipped, the launch command never starts
    rf = runfolder.RunFolder(out / "runs" / h1)
    rf.begin("x")
    rf.finish({"input": {}, "output": {}, "provenance": {}})
    q = subprocess.run([*task, h1, "--", "false"], capture_output=True, text=True, timeout=60)
    assert q.returncode == 0 and "skipped-done" in q.stdout, (q.stdout, q.stderr)
    assert not (out / "logs" / f"{h1}.log").exists()


def test_claim_sees_through_an_unlinked_lock(tmp_path):
    run = tmp_path / "r"
    a = sweep.claim(run)
    fd = os.open(run / sweep.RUNNING, os.O_RDWR)  # a claimer that opened the file before ...
    a.release(remove=True)  # ... the holder finished and removed it
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # it would lock a dead inode: claim() re-opens
    b = sweep.claim(run)
    assert b is not None and (run / sweep.RUNNING).exists()
    with pytest.raises(BlockingIOError):
        fd2 = os.open(run / sweep.RUNNING, os.O_RDONLY)
        try:
            fcntl.flock(fd2, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd2)
    b.release()
    os.close(fd)


def test_register_cli_subcommands_exist(capsys):
    for cmd in ("sweep", "status", "collect"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
    capsys.readouterr()
    with pytest.raises(InputError):
        sweep.load_manifest("/nonexistent/sweep")


# ----------------------------------------------------------------------------------------------
# the sweep file as documented; sweep.name and base messages (issue 15)


def _docstring_sweep_files() -> list[str]:
    """The example sweep files (``::`` blocks with a [sweep] table) of the package docstring."""
    import textwrap

    blocks, lines = [], sweep.__doc__.splitlines()
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        body = []
        for nxt in lines[i + 1:]:
            if nxt.strip() and not nxt.startswith("    "):
                break
            body.append(nxt)
        text = textwrap.dedent("\n".join(body))
        if "[sweep]" in text:
            blocks.append(text)
    return blocks


def test_docstring_example_sweep_files_parse(tmp_path):
    """Every example sweep file in the docstring parses, the case-file base among them."""
    (tmp_path / "case.toml").write_text('name = "from-file"\n[surface]\nnb_grid_pts = [64, 64]\n')
    blocks = _docstring_sweep_files()
    parsed = [sweep.parse_sweep(tomllib.loads(b), base_dir=tmp_path) for b in blocks]
    assert len(parsed) >= 2
    assert any(sw.base.get("name") == "from-file" for sw in parsed), \
        "the docstring must show base = \"case.toml\" as it is written"
    for sw in parsed:
        assert sweep.expand(sw), "no cases"


def test_base_file_written_inside_the_base_table_says_where_it_goes(tmp_path):
    text = '[sweep]\nname = "x"\n[base]\nbase = "case.toml"\n' + AX
    with pytest.raises(InputError) as e:
        sweep.parse_sweep(tomllib.loads(text), base_dir=tmp_path)
    msg = str(e.value)
    assert "base: base" not in msg and "\n" not in msg, msg
    assert msg.startswith("base.base = 'case.toml': ") and 'base = "case.toml" before the ' \
        "first table" in msg, msg


@pytest.mark.parametrize("name, bad", [("x; touch a", "';'"), ("x; touch /tmp/a", "'/' ';'"),
                                       ("a$(b)", "'$' '(' ')'")])
def test_sweep_name_message_says_which_characters(tmp_path, name, bad):
    text = f'[sweep]\nname = "{name}"\n' + AX
    with pytest.raises(InputError) as e:
        sweep.parse_sweep(tomllib.loads(text), base_dir=tmp_path)
    msg = str(e.value)
    assert f"character(s) {bad} not allowed" in msg, msg
    assert "letters, digits, space and _ - . + = , @" in msg, msg


@pytest.mark.parametrize("name", ["press roughness", "run-1.5_a", "Li+Cu@2MPa"])
def test_sweep_names_of_the_allowed_characters(tmp_path, name):
    text = f'[sweep]\nname = "{name}"\n' + AX
    assert sweep.parse_sweep(tomllib.loads(text), base_dir=tmp_path).name == name


@pytest.mark.parametrize("name", ["..", ".hidden", "-x"])
def test_sweep_name_must_start_with_a_letter_or_digit(tmp_path, name):
    with pytest.raises(InputError, match=f"starts with '{name[0]}'"):
        sweep.parse_sweep(tomllib.loads(f'[sweep]\nname = "{name}"\n' + AX), base_dir=tmp_path)
