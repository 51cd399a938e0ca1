"""Benchmark reproduction in one command: ``lamina bench``.

The benchmarks are the scripts of ``benchmarks/`` (the convention is in
:mod:`solver.batch.bench.check`), listed in ``benchmarks/registry.toml``
(:mod:`solver.batch.bench.registry`). ``lamina bench [NAMES...] --size small|full --ranks K
--out DIR`` runs each selected one as a subprocess (:mod:`solver.batch.bench.runner`: ``python
benchmarks/X.py --size S --json DIR/X.json``, under ``mpiexec -n K`` when K > 1 and the entry
has ``mpi = true``) with a time limit, and writes a report folder
(:mod:`solver.batch.bench.render`)::

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

import logging
import math
import shlex
from pathlib import Path

from solver.errors import EXIT_FAILED, EXIT_OK, InputError
from solver.output.runfolder import RunFolder, now
from solver.batch.mpi import find_mpiexec
from solver.batch.bench.registry import GROUPS, SIZES, BenchEntry, load_registry, select
from solver.batch.bench.render import headline, report_meta, status_word, write_report
from solver.batch.bench.runner import BenchResult, require_launcher, run_benchmark

log = logging.getLogger("lamina")


def run_benchmarks(entries: list[BenchEntry], size: str, ranks: int, out: str | Path, *,
                   mpiexec: list[str] | None = None, timeout: float | None = None,
                   argv: list[str] | None = None) -> list[BenchResult]:
    """Run ``entries`` one after the other and write the report folder ``out``."""
    if size not in SIZES:
        raise InputError(f"--size {size!r}: must be one of {', '.join(SIZES)}")
    if ranks < 1:
        raise InputError(f"--ranks {ranks}: must be >= 1")
    if ranks > 1 and any(e.mpi for e in entries):
        launcher = require_launcher(ranks, mpiexec)
    else:
        launcher = find_mpiexec() if mpiexec is None else list(mpiexec)
    started = now()
    RunFolder(out).begin()  # drops a stale DONE first
    results = []
    for i, entry in enumerate(entries, 1):
        log.info("[%d/%d] %s (%s, %d rank(s)) ...", i, len(entries), entry.name, size,
                 entry.ranks(ranks))
        r = run_benchmark(entry, size, ranks, out, mpiexec=launcher, timeout=timeout)
        took = f" in {r.wall_s:.1f} s" if math.isfinite(r.wall_s) else ""
        log.info("[%d/%d] %s: %s%s%s", i, len(entries), entry.name, status_word(r), took,
                 f" ({headline(r.reason)})" if r.reason else "")
        results.append(r)
    write_report(out, results, report_meta(size, ranks, started, argv, launcher))
    return results


def cmd_bench(args, comm) -> int:
    """``lamina bench``: list the registry, or run the selected benchmarks and write the report;
    exit code 0 when all passed, 1 otherwise."""
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
    if not args.out:  # argparse requires --out or --list; an empty --out '' lands here
        raise InputError("lamina bench --out '': must name the report folder")
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
    # --out is required unless --list: argparse says so in the usage line, "(--out DIR | --list)"
    need = b.add_mutually_exclusive_group(required=True)
    need.add_argument("--out", metavar="DIR", help="report folder (required unless --list)")
    need.add_argument("--list", action="store_true",
                      help="list the registered benchmarks and exit")
    b.add_argument("--group", action="append", metavar="G",
                   help=f"only this group (repeatable): {', '.join(GROUPS)}")
    b.add_argument("--timeout", type=float, metavar="S",
                   help="time limit per benchmark in s (default: the registry's)")
    b.add_argument("--mpiexec", metavar="CMD",
                   help="MPI launcher, e.g. 'srun --cpu-bind=cores' (default: $LAMINA_MPIEXEC, "
                   "else mpiexec beside python, else on PATH); '-n K' is appended")
    b.add_argument("--registry", metavar="FILE",
                   help="registry file (default: benchmarks/registry.toml of the checkout)")
    b.set_defaults(func=cmd_bench)
