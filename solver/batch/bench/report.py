"""Benchmark reproduction in one command: ``lamina bench``.

The benchmarks are the scripts of ``benchmarks/`` (the convention is in :mod:`solver.batch.bench.check`),
listed in ``benchmarks/registry.toml``. ``lamina bench [NAMES...] --size small|full --ranks K
--out DIR`` runs each selected one as a subprocess (``python benchmarks/X.py --size S --json
DIR/X.json``, under ``mpiexec -n K`` when K > 1 and the entry has ``mpi = true``) with a time
limit, and writes a report folder::

    DIR/
      report.md, report.html   summary table, then per benchmark its citation and figures
      summary.json             everything in the tables, plus versions and git commit
      X.json                   the checks as the benchmark wrote them (bench_main's JSON)
      X.log                    its stdout and stderr
      X-curve-1.png ...        computed vs reference for every check that carries a curve
      X-checks.png             computed vs reference ± tolerance of the other checks
      DONE                     written last

A benchmark that crashes, times out or is missing is a FAIL row with its reason; it does not stop
the others. Exit code 0 when every benchmark passed, 1 otherwise, 2 for bad input (an unknown
name, before anything runs).

The scripts live in the source checkout (``benchmarks/`` next to ``solver/``), not in an
installed wheel.
"""

from __future__ import annotations

import html
import logging
import math
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from solver.errors import EXIT_FAILED, EXIT_OK, InputError
from solver._paths import REPO_ROOT

log = logging.getLogger("lamina")

GROUPS = ("contact", "surface", "material", "current", "performance", "sweep")
SIZES = ("small", "full")
FULL_TIMEOUT_FACTOR = 20  # timeout_full_s defaults to this × timeout_small_s
STATUSES = ("passed", "failed", "error", "timeout", "missing")
_TAIL_LINES = 25
_TAIL_CHARS = 3000


# ---------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True, slots=True)
class BenchEntry:
    """One row of ``benchmarks/registry.toml``.

    Attributes:
        name: the script's ``NAME`` (its file stem).
        script: absolute path of the script (it may not exist yet).
        group: one of :data:`GROUPS`.
        mpi: whether the benchmark makes sense under ``mpiexec -n K``.
        timeout_small_s: wall-clock limit of ``--size small`` (s).
        timeout_full_s: limit of ``--size full`` (s); None: ``FULL_TIMEOUT_FACTOR × small``.
    """

    name: str
    script: Path
    group: str
    mpi: bool
    timeout_small_s: float
    timeout_full_s: float | None = None

    def timeout(self, size: str) -> float:
        """The time limit of one run at ``size`` (s)."""
        if size == "small":
            return self.timeout_small_s
        if self.timeout_full_s is not None:
            return self.timeout_full_s
        return FULL_TIMEOUT_FACTOR * self.timeout_small_s

    def ranks(self, requested: int) -> int:
        """The number of MPI ranks this benchmark runs on when ``requested`` are asked for."""
        return requested if self.mpi else 1


def repo_root() -> Path:
    """The folder holding ``solver/`` (and, in a source checkout, ``benchmarks/``)."""
    return REPO_ROOT


def benchmarks_dir() -> Path:
    """``benchmarks/`` next to ``solver/``; an InputError in an installed package without it."""
    d = repo_root() / "benchmarks"
    if not (d / "registry.toml").is_file():
        raise InputError(
            f"no benchmarks/registry.toml next to the solver package ({repo_root()}): the "
            "benchmarks live in the lamina source checkout, not in an installed package; run "
            "lamina bench from an editable install of the repository (pip install -e .) or pass "
            "--registry PATH/benchmarks/registry.toml")
    return d


def registry_path() -> Path:
    return benchmarks_dir() / "registry.toml"


def load_registry(path: str | Path | None = None) -> list[BenchEntry]:
    """The entries of a registry file (default: the checkout's ``benchmarks/registry.toml``).

    Scripts are resolved relative to the registry's folder; they need not exist yet (a missing
    script is reported when it is run, and by tests/test_bench_registry.py).

    Raises:
        InputError: unreadable file, unknown or missing keys, bad values, duplicate names.
    """
    path = registry_path() if path is None else Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"benchmark registry '{path}': no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"benchmark registry '{path}': {e}") from None
    extra = set(data) - {"benchmark"}
    if extra:
        raise InputError(f"benchmark registry '{path}': unknown top-level key(s) "
                         f"{', '.join(sorted(extra))}; allowed: [[benchmark]] tables")
    rows = data.get("benchmark", [])
    if not isinstance(rows, list):
        raise InputError(f"benchmark registry '{path}': 'benchmark' must be an array of tables "
                         "([[benchmark]])")
    entries: list[BenchEntry] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        entries.append(_entry(row, f"{path}: benchmark[{i}]", path.parent))
        if entries[-1].name in seen:
            raise InputError(f"{path}: benchmark[{i}].name = '{entries[-1].name}' appears twice")
        seen.add(entries[-1].name)
    return entries


def _entry(row, where: str, folder: Path) -> BenchEntry:
    required = {"name": str, "script": str, "group": str, "mpi": bool, "timeout_small_s": float}
    allowed = set(required) | {"timeout_full_s"}
    if not isinstance(row, dict):
        raise InputError(f"{where}: must be a table")
    unknown = set(row) - allowed
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                         f"{', '.join(sorted(allowed))}")
    for key in required:
        if key not in row:
            raise InputError(f"{where}: '{key}' is missing")
    name, script, group, mpi = row["name"], row["script"], row["group"], row["mpi"]
    for key in ("name", "script", "group"):
        if not isinstance(row[key], str) or not row[key]:
            raise InputError(f"{where}.{key} = {row[key]!r}: must be a non-empty string")
    if not isinstance(mpi, bool):
        raise InputError(f"{where}.mpi = {mpi!r}: must be true or false")
    if group not in GROUPS:
        raise InputError(f"{where}.group = {group!r}: must be one of {', '.join(GROUPS)}")
    if Path(script).name != script or not script.endswith(".py"):
        raise InputError(f"{where}.script = {script!r}: must be a file name ending in .py in "
                         f"{folder}")
    if Path(script).stem != name:
        raise InputError(f"{where}.name = {name!r}: must equal the script's stem "
                         f"({Path(script).stem!r})")
    timeouts = {}
    for key in ("timeout_small_s", "timeout_full_s"):
        v = row.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v < math.inf):
            raise InputError(f"{where}.{key} = {v!r}: must be a number of seconds > 0")
        timeouts[key] = float(v)
    return BenchEntry(name, folder / script, group, mpi, timeouts["timeout_small_s"],
                      timeouts.get("timeout_full_s"))


def select(entries: list[BenchEntry], names: list[str] | None = None,
           groups: list[str] | None = None) -> list[BenchEntry]:
    """The entries named (in the order given, without repeats), or all; optionally by group.

    Raises:
        InputError: a name not in the registry or an unknown group (before anything runs).
    """
    by_name = {e.name: e for e in entries}
    unknown = [n for n in names or () if n not in by_name]
    if unknown:
        raise InputError(f"unknown benchmark(s) {', '.join(unknown)}; registered: "
                         f"{', '.join(by_name) or '(none)'}")
    bad = [g for g in groups or () if g not in GROUPS]
    if bad:
        raise InputError(f"--group {', '.join(bad)}: must be one of {', '.join(GROUPS)}")
    chosen = [by_name[n] for n in dict.fromkeys(names)] if names else list(entries)
    if groups:
        chosen = [e for e in chosen if e.group in groups]
    return chosen


# ---------------------------------------------------------------------------------------------
# running one benchmark


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


def default_mpiexec() -> list[str]:
    """The MPI launcher: ``$LAMINA_MPIEXEC``, else ``mpiexec`` beside this Python (the wheel's
    MPICH in a venv), else ``mpiexec`` on PATH; ``[]`` when none is found."""
    spec = os.environ.get("LAMINA_MPIEXEC")
    if spec:
        return shlex.split(spec)
    here = Path(sys.executable).with_name("mpiexec")
    if here.is_file() and os.access(here, os.X_OK):
        return [str(here)]
    found = shutil.which("mpiexec")
    return [found] if found else []


# Set by a launcher for the process it started; a child must not inherit them, or it would try
# to join the parent's MPI job instead of starting its own.
_LAUNCHER_ENV = ("PMI_", "PMIX_", "OMPI_COMM_WORLD_", "MPI_LOCALNRANKS", "MPI_LOCALRANKID",
                 "HYDI_", "MPIR_CVAR_CH4_", "OMPI_UNIVERSE_SIZE")


def child_env(ranks: int = 1) -> dict[str, str]:
    """The environment of a benchmark subprocess.

    The repository goes first on PYTHONPATH (the scripts import this ``solver``), launcher
    variables of the parent's own MPI start are dropped, and with several ranks
    ``OMP_NUM_THREADS`` defaults to 1 so that ranks do not oversubscribe the cores.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LAUNCHER_ENV)}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(repo_root()), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    if ranks > 1:
        env.setdefault("OMP_NUM_THREADS", "1")
    return env


def command(entry: BenchEntry, size: str, ranks: int, json_path: Path,
            mpiexec: list[str] | None = None) -> list[str]:
    """The command line of one benchmark run."""
    cmd = [sys.executable, str(entry.script), "--size", size, "--json", str(json_path)]
    if ranks > 1:
        launcher = default_mpiexec() if mpiexec is None else list(mpiexec)
        if not launcher:
            raise InputError(f"--ranks {ranks}: no mpiexec found (set LAMINA_MPIEXEC or pass "
                             "--mpiexec)")
        cmd = [*launcher, "-n", str(ranks), *cmd]
    return cmd


def _tail(text: str) -> str:
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
    from solver.output.io import RunFolder

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
    import json

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


# ---------------------------------------------------------------------------------------------
# figures (built here, saved by solver.output.io)


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _span(values) -> float:
    """max/min of the finite values when all are > 0, else 0 (no log axis possible)."""
    import numpy as np

    a = np.asarray([_num(v) for v in values], dtype=float)
    a = a[np.isfinite(a)]
    if a.size < 2 or not np.all(a > 0):
        return 0.0
    return float(a.max() / a.min())


def _log_axes(curve: dict, name: str, ys) -> tuple[bool, bool]:
    """Log axes of a curve: the curve's own ``logx``/``logy`` if given; else log-log for an
    error against a mesh size or a time step (a convergence plot) that spans a factor > 2, and a
    log axis for positive values spanning more than a factor 30."""
    sx, sy = _span(curve["x"]), _span(ys)
    text = f"{name} {curve.get('ylabel', '')}".lower()
    convergence = ("error" in text or "convergence" in text) and sx > 2 and sy > 2
    logx = curve.get("logx", convergence or sx > 30)
    logy = curve.get("logy", convergence or sy > 30)
    return bool(logx), bool(logy)


def curve_check_figure(check: dict):
    """Computed (solid) vs reference (dashed) of a check's ``curve``.

    The curve is ``{"x", "computed", "reference", "xlabel", "ylabel"}`` as in
    :class:`solver.batch.bench.check.Check`; optional ``"logx"``/``"logy"`` booleans choose the axes.
    """
    import numpy as np

    from solver.output.plots import curve_figure

    curve = check["curve"]
    x = np.asarray([_num(v) for v in curve["x"]], dtype=float)
    y = np.asarray([_num(v) for v in curve["computed"]], dtype=float)
    ref = curve.get("reference")
    reference = None
    if ref is not None:
        reference = {"reference": np.asarray([_num(v) for v in ref], dtype=float)}
    logx, logy = _log_axes(curve, str(check.get("name", "")),
                           [*y, *(reference["reference"] if reference else [])])
    return curve_figure(x, {"computed": y}, str(curve.get("xlabel", "x")),
                        str(curve.get("ylabel", "y")), _wrap(check.get("name", ""), 60),
                        logx=logx, logy=logy, reference=reference)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or " "


def _chartable(c: dict) -> bool:
    if c.get("curve"):
        return False
    if c.get("kind") == "info":
        return math.isfinite(_num(c.get("reference"))) and math.isfinite(_num(c.get("computed")))
    return True


def checks_figure(checks: list[dict], title: str = ""):
    """One small panel per check: the computed value (a point, green passed, red failed, grey
    info) against the reference (dashed) and its tolerance band (shaded), or against the bound
    of a ``max``/``min`` check (dashed, the allowed side shaded)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(checks)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(2.9 * ncols, 2.5 * nrows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    for ax, c in zip(axes.flat, checks):
        kind = c.get("kind", "rel")
        comp, ref, tol = _num(c.get("computed")), _num(c.get("reference")), _num(c.get("tolerance"))
        shown = [comp]
        if kind in ("rel", "abs") and math.isfinite(ref):
            half = tol * abs(ref) if kind == "rel" else tol
            ax.axhline(ref, color="black", ls="--", lw=1.2, label="reference")
            if math.isfinite(half):
                ax.axhspan(ref - half, ref + half, color="tab:green", alpha=0.18, lw=0,
                           label="± tolerance")
                shown += [ref - half, ref + half]
            shown.append(ref)
        elif kind in ("max", "min") and math.isfinite(tol):
            ax.axhline(tol, color="black", ls="--", lw=1.2, label="bound")
            shown.append(tol)
        elif kind == "info" and math.isfinite(ref):
            ax.axhline(ref, color="black", ls="--", lw=1.2, label="reference")
            shown.append(ref)
        finite = [v for v in shown if math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        pad = 0.25 * (hi - lo) if hi > lo else (0.1 * abs(hi) or 1.0)
        lo, hi = lo - pad, hi + pad
        if kind == "max" and math.isfinite(tol):
            ax.axhspan(lo, tol, color="tab:green", alpha=0.18, lw=0, label="allowed")
        elif kind == "min" and math.isfinite(tol):
            ax.axhspan(tol, hi, color="tab:green", alpha=0.18, lw=0, label="allowed")
        color = "0.45" if kind == "info" else ("tab:green" if c.get("passed") else "tab:red")
        if math.isfinite(comp):
            ax.plot([0.0], [comp], "o", ms=8, color=color, mec="black", label="computed")
        else:
            ax.text(0.5, 0.5, f"computed = {comp}", transform=ax.transAxes, ha="center",
                    color="tab:red")
        ax.set_ylim(lo, hi)
        ax.set_xlim(-1.0, 1.0)
        ax.set_xticks([])
        unit = c.get("unit", "1")
        if unit not in ("", "1", None):
            ax.set_ylabel(unit)
        ax.set_title(_wrap(c.get("name", ""), 34), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_offset_text().set_fontsize(7)
    handles, labels = {}, []
    for ax in axes.flat[:n]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    labels = list(handles)
    if labels:
        fig.legend([handles[k] for k in labels], labels, loc="outside lower center",
                   ncols=len(labels), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _figures(res: BenchResult) -> list[tuple[str, object, str]]:
    """(file name, figure, caption) of one benchmark: a curve figure per check with a curve,
    one panel chart of the other checks."""
    figs = []
    k = 0
    for c in res.checks:
        if c.get("curve"):
            k += 1
            figs.append((f"{res.name}-curve-{k}.png", lambda c=c: curve_check_figure(c),
                         f"{c.get('name', '')}: computed vs reference"))
    scalar = [c for c in res.checks if _chartable(c)]
    if scalar:
        title = f"{res.name}: computed vs reference ± tolerance"
        figs.append((f"{res.name}-checks.png", lambda: checks_figure(scalar, title),
                     "computed vs reference ± tolerance"))
    return figs


# ---------------------------------------------------------------------------------------------
# the report


def headline(reason: str, width: int = 200) -> str:
    """One line of a failure reason: its first line and, after it, the last line of the
    output tail (usually the exception)."""
    lines = [ln.strip() for ln in reason.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0].rstrip(":")
    if len(lines) > 1:
        text += ": " + lines[-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(v) -> str:
    x = _num(v)
    if v is None or not math.isfinite(x):
        return "—" if v is None or math.isnan(x) else str(x)
    return f"{x:.6g}"


def _tolerance(c: dict) -> str:
    kind, tol = c.get("kind", "rel"), _num(c.get("tolerance"))
    if kind == "info":
        return "info"
    sym = {"rel": "rel ", "abs": "abs ", "max": "≤ ", "min": "≥ "}.get(kind, f"{kind} ")
    return sym + _fmt(tol)


def _verdict(c: dict) -> str:
    if c.get("kind") == "info":
        return "info"
    return "PASS" if c.get("passed") is True else "FAIL"


def table_rows(results: list[BenchResult]) -> list[dict]:
    """The summary table: one row per check, one FAIL row for a benchmark without checks."""
    rows = []
    for r in results:
        common = {"benchmark": r.name, "wall_s": r.wall_s, "ranks": r.ranks}
        if not r.checks or r.status in ("error", "timeout", "missing"):
            rows.append({**common, "check": f"({r.status}) {headline(r.reason)}",
                         "computed": None,
                         "reference": None, "error": None, "tolerance": "—", "unit": "",
                         "result": "FAIL"})
        for c in r.checks:
            rows.append({**common, "check": str(c.get("name", "")), "computed": c.get("computed"),
                         "reference": c.get("reference"), "error": c.get("error"),
                         "tolerance": _tolerance(c), "unit": c.get("unit", ""),
                         "result": _verdict(c)})
    return rows


_COLUMNS = ("benchmark", "check", "computed", "reference", "error", "tolerance", "unit", "result",
            "wall time (s)", "ranks")


def _cells(row: dict) -> list[str]:
    unit = row["unit"] if row["unit"] not in ("1", None) else ""
    return [row["benchmark"], row["check"], _fmt(row["computed"]), _fmt(row["reference"]),
            _fmt(row["error"]), row["tolerance"], unit, row["result"],
            f"{row['wall_s']:.1f}" if math.isfinite(row["wall_s"]) else "—", str(row["ranks"])]


def _md_cell(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def _status_word(r: BenchResult) -> str:
    return {"passed": "PASS", "failed": "FAIL"}.get(r.status, f"FAIL ({r.status})")


def render_markdown(results: list[BenchResult], meta: dict) -> str:
    n_pass = sum(r.passed for r in results)
    out = ["# lamina benchmark report", "",
           f"size **{meta['size']}** · ranks {meta['ranks']} · {len(results)} benchmark(s): "
           f"**{n_pass} passed, {len(results) - n_pass} failed** · {meta['finished']} · "
           f"{meta['host']} · git {meta['git_commit'] or 'unknown'}", "",
           "## Benchmarks", "",
           "| benchmark | group | result | checks passed | wall time (s) | ranks |",
           "|---|---|---|---|---|---|"]
    for r in results:
        graded = [c for c in r.checks if c.get("kind") != "info"]
        ok = sum(c.get("passed") is True for c in graded)
        wall = f"{r.wall_s:.1f}" if math.isfinite(r.wall_s) else "—"
        out.append(f"| [{r.name}](#{r.name}) | {r.group} | {_status_word(r)} | "
                   f"{ok}/{len(graded)} | {wall} | {r.ranks} |")
    out += ["", "## Checks", "", "| " + " | ".join(_COLUMNS) + " |",
            "|" + "---|" * len(_COLUMNS)]
    for row in table_rows(results):
        out.append("| " + " | ".join(_md_cell(c) for c in _cells(row)) + " |")
    for r in results:
        out += ["", f"## {r.name}", "", f"**{_status_word(r)}** · group {r.group} · "
                f"{r.ranks} rank(s) · {_fmt(r.wall_s)} s" + (
                    f" (run: {_fmt(r.bench_wall_s)} s)" if math.isfinite(r.bench_wall_s) else "")]
        out += ["", f"Citation: {r.citation or '(none: the benchmark wrote no JSON)'}", ""]
        if r.command:
            out += [f"Command: `{shlex.join(r.command)}`", ""]
        links = [f"[{x}]({x})" for x in (r.log, r.json) if x]
        if links:
            out += ["Files: " + ", ".join(links), ""]
        if r.reason:
            out += ["Reason:", "", "```", r.reason, "```", ""]
        for f in r.figures:
            if f.get("file"):
                out += [f"![{_md_cell(f['caption'])}]({f['file']})", ""]
            else:
                out += [f"(figure '{_md_cell(f['caption'])}' failed: {_md_cell(f['error'])})", ""]
    out += ["", "## Versions", "", "| package | version |", "|---|---|"]
    out += [f"| {k} | {_md_cell(v)} |" for k, v in meta["versions"].items()]
    out += ["", f"git commit: `{meta['git_commit'] or 'unknown'}`  ",
            f"command: `{shlex.join(meta['command'])}`  ",
            f"python: `{meta['python']}`  ", f"mpiexec: `{shlex.join(meta['mpiexec']) or '—'}`  ",
            f"started {meta['started']}, finished {meta['finished']}", ""]
    return "\n".join(out)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, monospace; }
tr.PASS td.res { background: #dff5df; } tr.FAIL td.res { background: #f9d6d6; }
tr.info td.res { color: #777; }
pre { background: #f5f5f5; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.PASS { color: #1a7f1a; } .FAIL { color: #b00020; }
"""


def render_html(results: list[BenchResult], meta: dict) -> str:
    e = html.escape
    n_pass = sum(r.passed for r in results)
    word_class = lambda r: "PASS" if r.passed else "FAIL"  # noqa: E731
    h = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
         "<title>lamina benchmark report</title>", f"<style>{_CSS}</style></head><body>",
         "<h1>lamina benchmark report</h1>",
         f"<p>size <b>{e(meta['size'])}</b> · ranks {meta['ranks']} · {len(results)} "
         f"benchmark(s): <b class=\"{'PASS' if n_pass == len(results) else 'FAIL'}\">"
         f"{n_pass} passed, {len(results) - n_pass} failed</b> · {e(meta['finished'])} · "
         f"{e(meta['host'])} · git {e(meta['git_commit'] or 'unknown')}</p>",
         "<h2>Benchmarks</h2><table><tr><th>benchmark</th><th>group</th><th>result</th>"
         "<th>checks passed</th><th>wall time (s)</th><th>ranks</th></tr>"]
    for r in results:
        graded = [c for c in r.checks if c.get("kind") != "info"]
        ok = sum(c.get("passed") is True for c in graded)
        wall = f"{r.wall_s:.1f}" if math.isfinite(r.wall_s) else "—"
        h.append(f"<tr class=\"{word_class(r)}\"><td><a href=\"#{e(r.name)}\">{e(r.name)}</a>"
                 f"</td><td>{e(r.group)}</td><td class=\"res\">{e(_status_word(r))}</td>"
                 f"<td class=\"num\">{ok}/{len(graded)}</td><td class=\"num\">{wall}</td>"
                 f"<td class=\"num\">{r.ranks}</td></tr>")
    h.append("</table><h2>Checks</h2><table><tr>"
             + "".join(f"<th>{e(c)}</th>" for c in _COLUMNS) + "</tr>")
    numeric = {2, 3, 4, 8, 9}
    for row in table_rows(results):
        cells = _cells(row)
        tds = []
        for i, c in enumerate(cells):
            cls = "num" if i in numeric else ("res" if i == 7 else "")
            tds.append(f"<td class=\"{cls}\">{e(c)}</td>" if cls else f"<td>{e(c)}</td>")
        h.append(f"<tr class=\"{e(row['result'])}\">{''.join(tds)}</tr>")
    h.append("</table>")
    for r in results:
        h.append(f"<h2 id=\"{e(r.name)}\">{e(r.name)} <span class=\"{word_class(r)}\">"
                 f"{e(_status_word(r))}</span></h2>")
        run = f" (run: {_fmt(r.bench_wall_s)} s)" if math.isfinite(r.bench_wall_s) else ""
        h.append(f"<p>group {e(r.group)} · {r.ranks} rank(s) · {e(_fmt(r.wall_s))} s{e(run)}</p>")
        h.append(f"<p>Citation: {e(r.citation or '(none: the benchmark wrote no JSON)')}</p>")
        if r.command:
            h.append(f"<p>Command: <code>{e(shlex.join(r.command))}</code></p>")
        links = [f"<a href=\"{e(x)}\">{e(x)}</a>" for x in (r.log, r.json) if x]
        if links:
            h.append("<p>Files: " + ", ".join(links) + "</p>")
        if r.reason:
            h.append(f"<p>Reason:</p><pre>{e(r.reason)}</pre>")
        for f in r.figures:
            if f.get("file"):
                h.append(f"<figure><img src=\"{e(f['file'])}\" alt=\"{e(f['caption'])}\">"
                         f"<figcaption>{e(f['caption'])}</figcaption></figure>")
            else:
                h.append(f"<p>(figure '{e(f['caption'])}' failed: {e(f['error'])})</p>")
    h.append("<h2>Versions</h2><table><tr><th>package</th><th>version</th></tr>")
    h += [f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in meta["versions"].items()]
    h.append("</table>")
    h.append(f"<p>git commit: <code>{e(meta['git_commit'] or 'unknown')}</code><br>"
             f"command: <code>{e(shlex.join(meta['command']))}</code><br>"
             f"python: <code>{e(meta['python'])}</code><br>"
             f"mpiexec: <code>{e(shlex.join(meta['mpiexec']) or '—')}</code><br>"
             f"started {e(meta['started'])}, finished {e(meta['finished'])}</p>")
    h.append("</body></html>\n")
    return "\n".join(h)


def report_meta(size: str, ranks: int, started: float, argv: list[str] | None = None,
                mpiexec: list[str] | None = None) -> dict:
    """Provenance of a report: versions, git commit, host, times, command."""
    from solver.output.io import git_commit, versions

    return {
        "size": size, "ranks": ranks,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "versions": versions(), "git_commit": git_commit(),
        "command": list(argv if argv is not None else ["lamina", "bench"]),
        "python": sys.executable,
        "mpiexec": list(default_mpiexec() if mpiexec is None else mpiexec),
    }


def write_report(out: str | Path, results: list[BenchResult], meta: dict) -> None:
    """Figures, report.md, report.html, summary.json, then DONE (last) into ``out``.

    A figure that cannot be drawn is named in the report with its error; it does not stop the
    report.
    """
    from solver.output.io import RunFolder

    folder = RunFolder(out)
    folder.path.mkdir(parents=True, exist_ok=True)
    for r in results:
        r.figures = []
        for name, build, caption in _figures(r):
            try:
                folder.save_figure(name, build())
                r.figures.append({"file": name, "caption": caption})
            except Exception as exc:  # a bad curve must not cost the whole report
                log.warning("%s: figure %s failed: %s", r.name, name, exc)
                folder.remove(name)
                r.figures.append({"file": "", "caption": caption,
                                  "error": f"{type(exc).__name__}: {exc}"})
    folder.write_text("report.md", render_markdown(results, meta))
    folder.write_text("report.html", render_html(results, meta))
    folder.write_json("summary.json", {
        **meta, "passed": all(r.passed for r in results),
        "n_passed": sum(r.passed for r in results), "n_benchmarks": len(results),
        "rows": table_rows(results),
        "benchmarks": [r.as_dict() for r in results]})
    folder.mark_done()


def run_benchmarks(entries: list[BenchEntry], size: str, ranks: int, out: str | Path, *,
                   mpiexec: list[str] | None = None, timeout: float | None = None,
                   argv: list[str] | None = None) -> list[BenchResult]:
    """Run ``entries`` one after the other and write the report folder ``out``."""
    from solver.output.io import RunFolder, now

    if size not in SIZES:
        raise InputError(f"--size {size!r}: must be one of {', '.join(SIZES)}")
    if ranks < 1:
        raise InputError(f"--ranks {ranks}: must be >= 1")
    launcher = default_mpiexec() if mpiexec is None else list(mpiexec)
    if ranks > 1 and any(e.mpi for e in entries) and not launcher:
        raise InputError(f"--ranks {ranks}: no mpiexec found (set LAMINA_MPIEXEC or pass "
                         "--mpiexec)")
    started = now()
    RunFolder(out).begin()  # drops a stale DONE first
    results = []
    for i, entry in enumerate(entries, 1):
        log.info("[%d/%d] %s (%s, %d rank(s)) ...", i, len(entries), entry.name, size,
                 entry.ranks(ranks))
        r = run_benchmark(entry, size, ranks, out, mpiexec=launcher, timeout=timeout)
        took = f" in {r.wall_s:.1f} s" if math.isfinite(r.wall_s) else ""
        log.info("[%d/%d] %s: %s%s%s", i, len(entries), entry.name, _status_word(r), took,
                 f" ({headline(r.reason)})" if r.reason else "")
        results.append(r)
    write_report(out, results, report_meta(size, ranks, started, argv, launcher))
    return results


# ---------------------------------------------------------------------------------------------
# command line


def cmd_bench(args, comm) -> int:
    if comm is not None and comm.size > 1:
        raise InputError("lamina bench: run it as one process; it starts 'mpiexec -n K' for each "
                         "benchmark itself (--ranks K)")
    entries = load_registry(args.registry)
    if args.list:
        for e in select(entries, args.names, args.group):
            state = "" if e.script.is_file() else "  (script missing)"
            print(f"{e.name:24s} {e.group:12s} mpi={'yes' if e.mpi else 'no ':3s} "
                  f"small≤{e.timeout('small'):g}s full≤{e.timeout('full'):g}s{state}")
        return EXIT_OK
    if not args.out:
        raise InputError("lamina bench: --out DIR is required (the report folder)")
    chosen = select(entries, args.names, args.group)
    if not chosen:
        raise InputError("lamina bench: no benchmark selected")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}': exists and is not a folder")
    if args.timeout is not None and not (0 < args.timeout < math.inf):
        raise InputError(f"--timeout {args.timeout}: must be > 0 seconds")
    mpiexec = shlex.split(args.mpiexec) if args.mpiexec else None
    results = run_benchmarks(chosen, args.size, args.ranks, out, mpiexec=mpiexec,
                             timeout=args.timeout, argv=["lamina", *getattr(args, "argv", [])])
    n_pass = sum(r.passed for r in results)
    print(f"{n_pass}/{len(results)} benchmark(s) passed; report: {out / 'report.html'}")
    for r in results:
        if not r.passed:
            print(f"  FAIL {r.name}: {headline(r.reason) or r.status}")
    return EXIT_OK if n_pass == len(results) else EXIT_FAILED


def register_cli(sub) -> None:
    """Add ``lamina bench`` to the ``lamina`` subparsers (called by :mod:`solver.cli.main`)."""
    b = sub.add_parser("bench", help="run the benchmarks and write a report (md, html, json)",
                       description="Run benchmark scripts of benchmarks/registry.toml, each as a "
                       "subprocess with a time limit, and write report.md, report.html and "
                       "summary.json into --out. Exit code 0 when all passed, 1 otherwise.")
    b.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    b.add_argument("--size", choices=SIZES, default="small", help="problem size (default small)")
    b.add_argument("--ranks", type=int, default=1, metavar="K",
                   help="MPI ranks for benchmarks with mpi = true (default 1: serial)")
    b.add_argument("--out", metavar="DIR", help="report folder (required unless --list)")
    b.add_argument("--group", action="append", metavar="G",
                   help=f"only this group (repeatable): {', '.join(GROUPS)}")
    b.add_argument("--timeout", type=float, metavar="S",
                   help="time limit per benchmark in s (default: the registry's)")
    b.add_argument("--mpiexec", metavar="CMD",
                   help="MPI launcher, e.g. 'srun --cpu-bind=cores' (default: $LAMINA_MPIEXEC, "
                   "else mpiexec beside python, else on PATH); '-n K' is appended")
    b.add_argument("--registry", metavar="FILE",
                   help="registry file (default: benchmarks/registry.toml of the checkout)")
    b.add_argument("--list", action="store_true", help="list the registered benchmarks and exit")
    b.set_defaults(func=cmd_bench)
