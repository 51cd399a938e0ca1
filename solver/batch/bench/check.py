"""The benchmark convention: every script in ``benchmarks/`` follows it.

A benchmark script defines, at module level::

    NAME = "westergaard"                     # equals the file stem
    CITATION = "Johnson, Contact Mechanics (1985), §13"
    def run(size: str = "small") -> list[Check]: ...
    if __name__ == "__main__":
        raise SystemExit(bench_main(run, NAME, CITATION))

``run`` computes, compares with its reference and returns one :class:`Check` per compared number
(the tolerance is part of the check). It must work serially and under ``mpiexec -n 2`` (every rank
returns the same checks). It may also put curves for the report in ``Check.curve``.
Performance benchmarks return checks of kind ``"info"`` (printed ratios, not pass/fail) or
``"max"``/``"min"`` bounds on a ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field

from solver.fem.backend import comm_world


@dataclass
class Check:
    """One compared number.

    Attributes:
        name: what is compared, e.g. ``"a/λ at p/p*=0.3"``.
        computed: the value lamina computed.
        reference: the analytic or published value (``nan`` for ``kind="info"``).
        tolerance: allowed error; relative for ``kind="rel"``, absolute for ``"abs"``,
            an upper bound on ``computed`` for ``"max"``, a lower bound for ``"min"``.
        kind: ``"rel"``, ``"abs"``, ``"max"``, ``"min"`` or ``"info"``.
        unit: unit of ``computed`` (SI or ``"1"``).
        curve: optional ``{"x": [...], "computed": [...], "reference": [...], "xlabel": ...,
            "ylabel": ..., "logx": bool, "logy": bool}`` drawn in the ``lamina bench`` report.
    """

    name: str
    computed: float
    reference: float = math.nan
    tolerance: float = math.nan
    kind: str = "rel"
    unit: str = "1"
    curve: dict | None = field(default=None)

    def __post_init__(self):
        # numpy scalars would make `passed` a numpy bool that JSON cannot hold
        self.computed = float(self.computed)
        self.reference = float(self.reference)
        self.tolerance = float(self.tolerance)

    @property
    def error(self) -> float:
        if self.kind == "rel":
            return abs(self.computed - self.reference) / abs(self.reference)
        if self.kind == "abs":
            return abs(self.computed - self.reference)
        return math.nan

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.computed):
            return False
        if self.kind in ("rel", "abs"):
            return self.error <= self.tolerance
        if self.kind == "max":
            return self.computed <= self.tolerance
        if self.kind == "min":
            return self.computed >= self.tolerance
        return True

    def as_dict(self) -> dict:
        d = asdict(self)
        d["error"] = self.error
        d["passed"] = self.passed
        return d


def format_checks(checks: list[Check]) -> str:
    """A plain-text table of checks."""
    lines = [f"{'check':48s} {'computed':>13s} {'reference':>13s} {'error':>10s} {'tol':>10s}  ok"]
    for c in checks:
        lines.append(
            f"{c.name[:48]:48s} {c.computed:13.6g} {c.reference:13.6g} {c.error:10.3g} "
            f"{c.tolerance:10.3g}  {'PASS' if c.passed else 'FAIL'}"
        )
    return "\n".join(lines)


def bench_main(run, name: str, citation: str, argv: list[str] | None = None) -> int:
    """Command line of one benchmark script: ``--size small|full``, ``--json FILE``.

    Prints the table on rank 0 and returns 0 when every check passed, 1 otherwise.
    """
    parser = argparse.ArgumentParser(prog=name, description=citation)
    parser.add_argument("--size", choices=("small", "full"), default="small")
    parser.add_argument("--json", help="write the checks to this JSON file (rank 0)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    checks = run(args.size)
    wall = time.perf_counter() - t0
    rank = _rank()
    if rank == 0:
        print(f"# {name} ({args.size}) — {citation}")
        print(format_checks(checks))
        print(f"wall time {wall:.2f} s")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(
                    {"name": name, "citation": citation, "size": args.size, "wall_s": wall,
                     "checks": [c.as_dict() for c in checks]}, f, indent=1)
    return 0 if all(c.passed for c in checks) else 1


def _rank() -> int:
    """This process's MPI rank; 0 when the benchmark never imported mpi4py (a serial one)."""
    if "mpi4py" not in sys.modules:
        return 0
    return comm_world().rank
