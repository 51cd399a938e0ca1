"""Every registered benchmark at --size small, serially and under `mpiexec -n 2`; `lamina bench`.

The benchmark runs are parametrized over benchmarks/registry.toml, so a new entry is tested as soon
as it is registered; a registered script that does not exist fails (it is not skipped). Each run
is a subprocess with a time limit (the registry's ``timeout_small_s`` serially,
``timeout 600 mpiexec -n 2`` in parallel), through the same runner as `lamina bench`.

The report writer and the runner's failure handling (crash, time-out, failed check, missing
script) are tested on fake benchmarks in a temporary registry: fast, no DOLFINx.
"""

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from solver.batch import mpi
from solver.batch.bench import registry, render, runner
from solver.cli.main import main
from solver.errors import EXIT_FAILED, EXIT_INPUT, EXIT_OK

ENTRIES = registry.load_registry()
MPI_TIMEOUT_S = 600
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _runs():
    for e in ENTRIES:
        yield pytest.param(e, 1, id=f"{e.name}-serial", marks=[pytest.mark.fem])
        if e.mpi:
            yield pytest.param(e, 2, id=f"{e.name}-mpi2", marks=[pytest.mark.fem, pytest.mark.mpi])


def _explain(res: runner.BenchResult, out: Path) -> str:
    failed = [c["name"] for c in res.checks if c.get("passed") is not True]
    log = (out / res.log).read_text()[-3000:] if res.log else ""
    return (f"{res.name} ({res.ranks} rank(s)): {res.status}, exit code {res.returncode}; "
            f"failed checks {failed}; {res.reason}\n--- log tail ---\n{log}")


@pytest.mark.timeout(MPI_TIMEOUT_S + 120)
@pytest.mark.parametrize(("entry", "ranks"), list(_runs()))
def test_benchmark_small(entry, ranks, tmp_path):
    assert entry.script.is_file(), (
        f"benchmarks/{entry.script.name} is registered but does not exist")
    if ranks == 1:
        res = runner.run_benchmark(entry, "small", 1, tmp_path)
    else:
        # timeout(1) kills mpiexec and its ranks even if this process dies first
        launcher = ["timeout", "-k", "10", str(MPI_TIMEOUT_S), *mpi.find_mpiexec()]
        res = runner.run_benchmark(entry, "small", ranks, tmp_path, mpiexec=launcher,
                                   timeout=MPI_TIMEOUT_S + 60)
        assert res.command[:5] == launcher[:4] + [launcher[4]]
        assert res.command[res.command.index("-n") + 1] == "2"
    assert res.returncode == 0, _explain(res, tmp_path)
    assert res.status == "passed", _explain(res, tmp_path)
    data = json.loads((tmp_path / f"{entry.name}.json").read_text())
    assert data["name"] == entry.name and data["size"] == "small"
    assert data["checks"] and all(c["passed"] for c in data["checks"]), _explain(res, tmp_path)


# ---------------------------------------------------------------------------------------------
# the harness on fake benchmarks

FAKE_HEAD = '''
import math, sys, time
from solver.batch.bench.check import Check, bench_main

NAME = "{name}"
CITATION = "Fake, J. Tests 1, 1 (2024)"
'''

FAKE_BODIES = {
    "fake_ok": '''
def run(size="small"):
    x = [1.0, 2.0, 4.0, 8.0]
    return [
        Check("a (m)", 1.004e-6, 1.0e-6, 0.01, "rel", "m"),
        Check("offset", 0.02, 0.0, 0.05, "abs"),
        Check("ratio fine/coarse", 0.5, tolerance=1.0, kind="max"),
        Check("rate", 1.9, tolerance=1.5, kind="min"),
        Check("iterations", 7.0, kind="info"),
        Check("curve error", 0.004, tolerance=0.01, kind="max",
              curve={"x": x, "computed": [1 / v**2 for v in x],
                     "reference": [1.1 / v**2 for v in x], "xlabel": "h", "ylabel": "error"}),
    ]
''',
    "fake_fail": '''
def run(size="small"):
    return [Check("good", 1.0, 1.0, 0.01), Check("bad one", 1.5, 1.0, 0.01)]
''',
    "fake_crash": '''
def run(size="small"):
    raise RuntimeError("boom: the solver diverged")
''',
    "fake_hang": '''
def run(size="small"):
    print("started", flush=True)
    time.sleep(120)
    return []
''',
}


def _fake_registry(tmp_path: Path, names, timeout_s: float = 60.0, mpi: bool = False) -> Path:
    d = tmp_path / "benchmarks"
    d.mkdir(exist_ok=True)
    rows = []
    for name in names:
        if name in FAKE_BODIES:
            (d / f"{name}.py").write_text(
                FAKE_HEAD.format(name=name) + FAKE_BODIES[name]
                + '\nif __name__ == "__main__":\n    raise SystemExit(bench_main(run, NAME, '
                  'CITATION))\n')
        rows.append(f'[[benchmark]]\nname = "{name}"\nscript = "{name}.py"\ngroup = "contact"\n'
                    f'mpi = {"true" if mpi else "false"}\ntimeout_small_s = {timeout_s}\n')
    reg = d / "registry.toml"
    reg.write_text("\n".join(rows))
    return reg


def _fake_result(name: str, checks: list[dict], status="passed") -> runner.BenchResult:
    return runner.BenchResult(name, "contact", f"/x/{name}.py", "small", 2, status,
                              ["python", f"{name}.py"], 0, 3.25, 3.0, "Fake (2024)", checks,
                              "" if status == "passed" else "exit code 1; boom", "", "")


def test_report_writer_on_fake_json(tmp_path):
    """bench_main's JSON as written by a script -> report.md rows, valid PNGs, html, DONE."""
    fake_json = {"name": "fakebench", "citation": "Fake (2024)", "size": "small", "wall_s": 3.0,
                 "checks": [
                     {"name": "a at p/p*=0.3", "computed": 1.01, "reference": 1.0,
                      "tolerance": 0.02, "kind": "rel", "unit": "m", "curve": None,
                      "error": 0.01, "passed": True},
                     {"name": "rate", "computed": 0.7, "reference": math.nan, "tolerance": 1.0,
                      "kind": "min", "unit": "1", "error": math.nan, "passed": False,
                      "curve": {"x": [1, 2, 4], "computed": [1, 0.5, 0.25],
                                "reference": [1, 0.25, 0.0625], "xlabel": "h",
                                "ylabel": "error"}},
                     {"name": "iterations", "computed": 9.0, "reference": math.nan,
                      "tolerance": math.nan, "kind": "info", "unit": "1", "error": math.nan,
                      "passed": True, "curve": None}]}
    checks = json.loads(json.dumps(fake_json))["checks"]  # NaN round trip as from the script
    results = [_fake_result("fakebench", checks, "failed"),
               runner.BenchResult("ghost", "surface", "/x/ghost.py", "small", 1, "missing",
                                  reason="script /x/ghost.py not found")]
    meta = {"size": "small", "ranks": 2, "started": "t0", "finished": "t1", "host": "h",
            "versions": {"lamina": "0.1.0", "dolfinx": "0.11"}, "git_commit": "abc123",
            "command": ["lamina", "bench"], "python": "python", "mpiexec": ["mpiexec"]}
    out = tmp_path / "report"
    render.write_report(out, results, meta)

    md = (out / "report.md").read_text()
    assert "| fakebench | a at p/p\\*=0.3 |" in md or "| fakebench | a at p/p*=0.3 |" in md
    assert "| 1.01 | 1 | 0.01 | rel 0.02 | m | PASS | 3.2 | 2 |" in md
    assert "| fakebench | rate | 0.7 | — | — | ≥ 1 |  | FAIL | 3.2 | 2 |" in md
    assert "| fakebench | iterations | 9 | — | — | info |  | info |" in md
    assert "| ghost | (missing) script /x/ghost.py not found |" in md
    assert "Fake (2024)" in md and "abc123" in md and "| dolfinx | 0.11 |" in md
    pngs = sorted(out.glob("*.png"))
    assert [p.name for p in pngs] == ["fakebench-checks.png", "fakebench-curve-1.png"]
    for p in pngs:
        assert p.read_bytes()[:8] == PNG_MAGIC
        assert f"]({p.name})" in md
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert all(f'src="{p.name}"' in page for p in pngs)
    assert "http" not in page.split("<body>")[0]  # self-contained: no external style or script
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] is False and summary["n_benchmarks"] == 2
    assert summary["benchmarks"][0]["checks"][1]["reference"] is None  # strict JSON
    assert (out / "DONE").exists()
    assert not list(out.glob(".*tmp*"))


def test_bench_cli_end_to_end_on_fake_benchmarks(tmp_path, capsys):
    """Passed, failed, crashed, timed-out and missing benchmarks: rows, reasons, exit code 1."""
    reg = _fake_registry(tmp_path, ["fake_ok", "fake_fail", "fake_crash", "fake_hang",
                                    "fake_missing"], timeout_s=4)
    out = tmp_path / "out"
    (out).mkdir()
    (out / "DONE").write_text("stale\n")
    rc = main(["bench", "--registry", str(reg), "--out", str(out)])
    assert rc == EXIT_FAILED
    summary = json.loads((out / "summary.json").read_text())
    status = {b["name"]: b["status"] for b in summary["benchmarks"]}
    assert status == {"fake_ok": "passed", "fake_fail": "failed", "fake_crash": "error",
                      "fake_hang": "timeout", "fake_missing": "missing"}
    by_name = {b["name"]: b for b in summary["benchmarks"]}
    assert "boom: the solver diverged" in by_name["fake_crash"]["reason"]
    assert "timed out after 4 s" in by_name["fake_hang"]["reason"]
    assert "bad one" in by_name["fake_fail"]["reason"]
    md = (out / "report.md").read_text()
    assert ("| fake_crash | (error) exit code 1; no JSON written: RuntimeError: boom: the solver "
            "diverged |") in md
    assert "| fake_hang | (timeout) timed out after 4 s" in md
    assert "| fake_fail | bad one | 1.5 | 1 | 0.5 | rel 0.01 |  | FAIL |" in md
    assert (out / "fake_ok-curve-1.png").read_bytes()[:8] == PNG_MAGIC
    assert (out / "fake_crash.log").read_text().count("RuntimeError") >= 1
    assert (out / "DONE").read_text() != "stale\n"
    assert "1/5 benchmark(s) passed" in capsys.readouterr().out

    # only the passing one: exit code 0
    assert main(["bench", "fake_ok", "--registry", str(reg), "--out", str(tmp_path / "ok")]) \
        == EXIT_OK


def test_bench_unknown_name_exits_2_before_running(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["bench", "nosuch", "--out", str(out)]) == EXIT_INPUT
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nosuch" in err
    assert not out.exists()
    assert main(["bench", "--out", str(out), "--ranks", "0"]) == EXIT_INPUT
    assert not out.exists()


@pytest.mark.mpi
def test_timeout_under_mpiexec_leaves_no_ranks(tmp_path):
    launcher = mpi.find_mpiexec()
    if not launcher:
        pytest.fail("no mpiexec beside the venv's python or on PATH")
    reg = _fake_registry(tmp_path, ["fake_hang"], timeout_s=6, mpi=True)
    [entry] = registry.load_registry(reg)
    out = tmp_path / "out"
    out.mkdir()
    res = runner.run_benchmark(entry, "small", 2, out)
    assert res.status == "timeout" and res.ranks == 2
    assert "-n" in res.command
    marker = str(entry.script)
    left = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmd:
                left.append(pid)
    assert not left, f"processes left running: {left}"


def test_timeout_command_is_available():
    """The MPI runs above rely on coreutils timeout(1)."""
    assert shutil.which("timeout"), "timeout(1) not found on PATH"
