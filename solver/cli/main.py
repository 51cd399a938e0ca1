"""The ``lamina`` command line: a thin layer over :mod:`solver.run.pipeline` and friends.

``main(argv) -> int``; exit codes: 0 success, 1 a case failed, 2 bad input (one line on stderr).
Logging goes to stderr on rank 0 only. stdout carries only results a script would read (the
statistics line of ``surface``, ``validate``'s verdict, ``show-default``, ``version``, ``bench``'s
summary, ``status``/``collect``); progress, per-step lines, warnings and ``done: FOLDER`` are log
lines on stderr, for every subcommand alike.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from solver.batch.bench import cli as bench_cli
from solver.batch.sweep import cli as sweep_cli
from solver.case import config
from solver.cli import mesh as mesh_cli
from solver.errors import (EXIT_CHECKPOINTED, EXIT_FAILED, EXIT_INPUT, EXIT_OK, Checkpointed,
                           InputError, SolveError, os_reason)
from solver.fem.backend import comm_world, mpi
from solver.output.provenance import versions
from solver.run import stop as checkpoint
from solver.run.pipeline import asr_text, run_case
from solver.run.rerun import run_current_from_maps
from solver.simulation.surface import build_heights

log = logging.getLogger("lamina")

#: Exit code of a run stopped by Ctrl-C outside a checkpointing stage (128 + SIGINT).
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of usage + message."""

    def error(self, message):  # noqa: D401 - argparse API
        raise InputError(f"{message} (see '{self.prog} --help')")


def _comm():
    """MPI.COMM_WORLD when mpi4py is importable (after the wheel's libraries), else None."""
    try:
        return comm_world()
    except Exception:
        return None


def _setup_logging(comm, verbose: bool) -> None:
    rank = 0 if comm is None else comm.rank
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("lamina: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel((logging.DEBUG if verbose else logging.INFO) if rank == 0 else logging.ERROR)


def _load_case(path: str | None):
    return config.default_case() if path is None else config.load(path)


def cmd_validate(args, comm) -> int:
    case = _load_case(args.case)
    what = ""
    if case.surface.kind == "measured":  # the file's own checks, as `lamina surface` runs them
        heights, sizes, _ = build_heights(case.surface, case.seed)
        what = (f" (measured map {heights.shape[0]} x {heights.shape[1]} points, "
                f"{sizes[0]:.4g} m x {sizes[1]:.4g} m)")
    if _rank(comm) == 0:
        print(f"{args.case}: valid case '{case.name}'{what}")
    return EXIT_OK


def cmd_show_default(args, comm) -> int:
    if _rank(comm) == 0:
        sys.stdout.write(config.to_toml(config.default_case(), comments=True))
    return EXIT_OK


def cmd_version(args, comm) -> int:
    v = versions()
    if comm is not None:
        v["mpi_size"] = str(comm.size)
        v.setdefault("mpi", " ".join(mpi().Get_library_version().splitlines()[0].split()))
    if _rank(comm) == 0:
        for k, val in v.items():
            print(f"{k:8s} {val}")
    return EXIT_OK


def _out_dir(args, case) -> Path:
    if args.out is None:
        return Path("runs") / case.name  # the name is checked to be one folder name
    if not args.out.strip() or "\x00" in args.out:
        raise InputError(f"--out {args.out!r}: allowed a folder path (not empty); leave --out "
                         "out for runs/<case name>")
    longest = max(len(os.fsencode(part)) for part in Path(args.out).parts)
    if longest > 255 or len(os.fsencode(args.out)) > 4095:
        raise InputError(f"--out '{args.out[:40]}...': a name of {longest} bytes, a path of "
                         f"{len(os.fsencode(args.out))}; allowed at most 255 and 4095")
    return Path(args.out)


def cmd_run(args, comm) -> int:
    case = _load_case(args.case)
    out = _out_dir(args, case)
    log.debug("case %r -> %s", case.name, out)
    budget = (checkpoint.parse_budget(args.wall_budget) if args.wall_budget is not None
              else checkpoint.budget_from_env())
    with checkpoint.StopRequest(comm, budget) as stop:
        results = run_case(case, out, comm, argv=["lamina", *args.argv], progress=True,
                           stop=stop, overwrite=args.overwrite)
    log.info("done: %s (stages %s)", out, ", ".join(results["output"]["stages_completed"]))
    return EXIT_OK


def cmd_current(args, comm) -> int:
    case = _load_case(args.case)
    _out_dir(args, case)
    results = run_current_from_maps(case, args.maps, args.out, comm, argv=["lamina", *args.argv],
                                    overwrite=args.overwrite)
    # per-step lines are progress, like `lamina run`'s: the logger (stderr, rank 0)
    for r in results["output"]["current"]["steps"]:
        hot = "" if r.get("asr_ohm_cm2") is None else \
            f"  j_max/j_mean = {r['j_max_over_mean']:.4g}"
        log.info("step %3d %-7s p = %9.4g MPa  %s%s", r["step"], r["phase"],
                 r["mean_pressure"] / 1e6, asr_text(r), hot)
    log.info("done: %s (stages %s)", args.out,
             ", ".join(results["output"].get("stages_completed", ["current"])))
    return EXIT_OK


def cmd_surface(args, comm) -> int:
    case = _load_case(args.case)
    out = _out_dir(args, case)
    results = run_case(case, out, comm, argv=["lamina", *args.argv], stages=("surface",),
                       overwrite=args.overwrite)
    st = results["output"]["surface"]["statistics"]
    if _rank(comm) == 0:
        keys = ("Sq", "Sa", "Sz", "Ssk", "Sku", "Sdq", "Sdr", "hurst", "correlation_ratio", "flatness")
        print(" ".join(f"{k}={st[k]:.4g}" for k in keys if k in st and st[k] is not None))
    log.info("done: %s (stages surface)", out)
    return EXIT_OK


def _rank(comm) -> int:
    return 0 if comm is None else comm.rank


_OVERWRITE_HELP = ("clear the run folder first; without it a folder holding a complete run "
                   "(DONE) is refused (one with a checkpoint is continued)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lamina", description="Pressed lithium | collector interface solver.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a case (the built-in default without CASE)")
    r.add_argument("case", nargs="?", help="case file (TOML)")
    r.add_argument("--out", help="run folder (default: runs/<case name>)")
    r.add_argument("--wall-budget", metavar="DURATION",
                   help="stop with a checkpoint (exit code 75) before this wall-clock time is "
                        "used up: seconds, 90m, 2h or HH:MM:SS (default: $LAMINA_WALL_BUDGET, "
                        "else none); SIGUSR1 and SIGTERM also checkpoint and stop; rerunning "
                        "the same command continues the case")
    r.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("surface", help="generate/import a surface and write its statistics")
    s.add_argument("case", nargs="?", help="case file (TOML)")
    s.add_argument("--out", help="run folder (default: runs/<case name>)")
    s.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)
    s.set_defaults(func=cmd_surface)

    c = sub.add_parser("current", help="re-run the current stage of a case on saved contact "
                       "maps (no press)")
    c.add_argument("case", nargs="?", help="case file (TOML; the built-in default without it)")
    c.add_argument("--maps", required=True,
                   help="run folder holding contact_maps.npz, or that file, made on this case's "
                        "surface")
    c.add_argument("--out", required=True, help="run folder to write (not the folder of --maps)")
    c.add_argument("--overwrite", action="store_true", help=_OVERWRITE_HELP)
    c.set_defaults(func=cmd_current)

    v = sub.add_parser("validate", help="check a case file")
    v.add_argument("case", help="case file (TOML)")
    v.set_defaults(func=cmd_validate)

    d = sub.add_parser("show-default", help="print the built-in default case")
    d.set_defaults(func=cmd_show_default)

    ver = sub.add_parser("version", help="versions of lamina, DOLFINx, PETSc, MPI, numba")
    ver.set_defaults(func=cmd_version)

    # Subcommands owned by other modules: each module's register_cli(sub) adds its parsers,
    # with set_defaults(func=...) taking (args, comm) -> int.
    for module in (sweep_cli, bench_cli, mesh_cli):
        module.register_cli(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    comm = None
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        comm = _comm()
        _setup_logging(comm, args.verbose)
        return args.func(args, comm)
    except InputError as e:
        if _rank(comm) == 0:
            print(f"lamina: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except SolveError as e:
        if _rank(comm) == 0:
            print(f"lamina: failed: {e}", file=sys.stderr)
        return EXIT_FAILED
    except Checkpointed as e:
        if _rank(comm) == 0:
            print(f"lamina: stopped: {e}", file=sys.stderr)
        return EXIT_CHECKPOINTED
    except OSError as e:
        # A path the OS refuses before any run folder exists (the stages turn their own
        # OSErrors into a FAILED folder and exit code 1).
        if _rank(comm) == 0:
            print(f"lamina: error: {os_reason(e)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        if _rank(comm) == 0:
            print("lamina: interrupted (Ctrl-C); the run folder, if any, is left without DONE",
                  file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
