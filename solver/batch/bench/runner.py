"""Running one benchmark script as a subprocess, with a time limit, and judging its outcome.

``python benchmarks/X.py --size S --json DIR/X.json`` (under ``mpiexec -n K`` when K > 1 and the
entry has ``mpi = true``), started in a session of its own so that a time-out kills mpiexec and
every rank. A benchmark that crashes, times out or is missing is a result with that status; it
never raises.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from solver.errors import InputError
from solver.output.runfolder import RunFolder
from solver.batch.mpi import child_env, find_mpiexec, mpiexec_command
from solver.batch.bench.registry import BenchEntry

STATUSES = ("passed", "failed", "error", "timeout", "missing")
_TAIL_LINES = 25
_TAIL_CHARS = 3000


@dataclass
class BenchResult:
    """The outcome of one benchmark run.

    ``status``: ``"passed"`` (exit code 0, every check passed), ``"failed"`` (a check failed),
    ``"error"`` (crashed, or wrote no usable JSON), ``"timeout"`` or ``"missing"`` (no script).
    """

    name: str
    group: str
    script: str
    size: str
    ranks: int
    status: str
    command: list[str] = field(default_factory=list)
    returncode: int | None = None
    wall_s: float = math.nan  # the whole subprocess, start-up included
    bench_wall_s: float = math.nan  # run(size) alone, as the script measured it
    citation: str = ""
    checks: list[dict] = field(default_factory=list)
    reason: str = ""
    log: str = ""
    json: str = ""
    figures: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        return d


def require_launcher(ranks: int, mpiexec: list[str] | None = None) -> list[str]:
    """``mpiexec`` (a launcher command line), or :func:`solver.batch.mpi.find_mpiexec` when None.

    Raises:
        InputError: no launcher found (for a run on ``ranks`` > 1 ranks).
    """
    launcher = find_mpiexec() if mpiexec is None else list(mpiexec)
    if not launcher:
        raise InputError(f"--ranks {ranks}: no mpiexec found (set LAMINA_MPIEXEC or pass "
                         "--mpiexec)")
    return launcher


def command(entry: BenchEntry, size: str, ranks: int, json_path: Path,
            mpiexec: list[str] | None = None) -> list[str]:
    """The command line of one benchmark run."""
    cmd = [sys.executable, str(entry.script), "--size", size, "--json", str(json_path)]
    if ranks > 1:
        cmd = mpiexec_command(require_launcher(ranks, mpiexec), ranks, cmd)
    return cmd


def _tail(text: str) -> str:
    """The last lines of a process's output (at most ``_TAIL_LINES`` and ``_TAIL_CHARS``)."""
    lines = text.strip().splitlines()[-_TAIL_LINES:]
    out = "\n".join(lines)
    return out[-_TAIL_CHARS:]


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (mpiexec and its ranks), SIGKILL what is left after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _execute(cmd: list[str], env: dict, cwd: Path, timeout: float) -> tuple[int | None, str, str,
                                                                             float, bool]:
    """Run ``cmd`` in its own session; (returncode, stdout, stderr, wall_s, timed_out)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=cwd, start_new_session=True, text=True, errors="replace")
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C): leave no ranks behind
            _kill_group(proc)
    return proc.returncode, out or "", err or "", time.perf_counter() - t0, timed_out


def run_benchmark(entry: BenchEntry, size: str, ranks: int, out: str | Path, *,
                  mpiexec: list[str] | None = None, timeout: float | None = None) -> BenchResult:
    """Run one benchmark as a subprocess; its JSON and log go to ``out`` (which must exist).

    Never raises for a benchmark that crashes, hangs or is absent: that is the result's status.
    """
    folder = RunFolder(out)
    ranks = entry.ranks(ranks)
    json_name, log_name = f"{entry.name}.json", f"{entry.name}.log"
    res = BenchResult(entry.name, entry.group, str(entry.script), size, ranks, "error")
    folder.remove(json_name)
    if not entry.script.is_file():
        res.status = "missing"
        res.reason = f"script {entry.script} not found (registered but not written yet?)"
        return res
    json_path = folder.path.resolve() / json_name
    res.command = command(entry, size, ranks, json_path, mpiexec)
    limit = entry.timeout(size) if timeout is None else float(timeout)
    rc, stdout, stderr, wall, timed_out = _execute(res.command, child_env(ranks),
                                                   folder.path.resolve(), limit)
    res.returncode, res.wall_s = rc, wall
    folder.write_text(log_name, f"$ {shlex.join(res.command)}\n# exit code {rc}, "
                      f"{wall:.1f} s{' (timed out)' if timed_out else ''}\n"
                      f"## stdout\n{stdout}\n## stderr\n{stderr}")
    res.log = log_name
    tail = _tail(stderr) or _tail(stdout)
    if timed_out:
        res.status = "timeout"
        res.reason = f"timed out after {limit:g} s" + (f":\n{tail}" if tail else "")
        return res
    data, problem = _read_json(json_path, entry.name)
    if data is not None:
        res.json = json_name
        res.citation = str(data.get("citation", ""))
        res.bench_wall_s = float(data.get("wall_s", math.nan))
        res.checks = list(data["checks"])
    all_passed = bool(res.checks) and all(c.get("passed") is True for c in res.checks)
    if problem:
        res.status, res.reason = "error", f"exit code {rc}; {problem}" + (
            f":\n{tail}" if tail else "")
    elif rc == 0 and all_passed:
        res.status = "passed"
    elif rc == 1 and not all_passed:
        res.status = "failed"
        res.reason = "failed: " + "; ".join(c.get("name", "?") for c in res.checks
                                            if c.get("passed") is not True)
    else:
        res.status = "error"
        res.reason = (f"exit code {rc} but the checks {'all passed' if all_passed else 'failed'}"
                      + (f":\n{tail}" if tail else ""))
    return res


def _read_json(path: Path, name: str) -> tuple[dict | None, str]:
    """The benchmark's JSON (or None) and what is wrong with it ("" when nothing)."""
    if not path.is_file():
        return None, "no JSON written"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return None, f"unreadable JSON {path.name}: {e}"
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        return None, f"JSON {path.name} has no 'checks' list"
    if data.get("name") != name:
        return None, f"JSON {path.name} is named {data.get('name')!r}, not {name!r}"
    if not data["checks"]:
        return data, "the benchmark returned no checks"
    for c in data["checks"]:
        if not isinstance(c, dict) or "name" not in c or "passed" not in c:
            return None, f"JSON {path.name}: a check lacks 'name' or 'passed'"
    return data, ""
