"""The benchmark registry: ``benchmarks/registry.toml`` read, checked and selected from.

Each ``[[benchmark]]`` table names a script of ``benchmarks/`` (the convention is in
:mod:`solver.batch.bench.check`), its group, whether it runs under ``mpiexec -n K`` and its time
limits. The scripts live in the source checkout (``benchmarks/`` next to ``solver/``), not in an
installed wheel.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from solver.errors import InputError
from solver._paths import REPO_ROOT

GROUPS = ("contact", "surface", "material", "current", "performance", "sweep")
SIZES = ("small", "full")
FULL_TIMEOUT_FACTOR = 20  # timeout_full_s defaults to this × timeout_small_s


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
    """The checkout's ``benchmarks/registry.toml`` (an InputError without it)."""
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
    """One checked ``[[benchmark]]`` table; ``where`` names it in errors, scripts resolve in
    ``folder``."""
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
