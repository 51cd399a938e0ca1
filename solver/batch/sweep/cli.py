"""The ``lamina sweep``, ``lamina status`` and ``lamina collect`` commands."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import threading
from pathlib import Path

from solver.output.runfolder import folder_status
from solver.errors import EXIT_OK, InputError, SolveError
from solver.batch.sweep._common import EXECUTORS, MANIFEST, log
from solver.batch.sweep.collect import collect, count_states, states
from solver.batch.sweep.expansion import default_out, expand, load_manifest, write_expansion
from solver.batch.sweep.local import _describe, run_local
from solver.batch.sweep.scheduler import (cache_seed, submit_slurm, write_pbs_scripts,
                                          write_slurm_scripts)
from solver.batch.sweep.options import PBS_OPTIONS, SLURM_OPTIONS, _options
from solver.batch.sweep.spec import load_sweep


def _on_rank0(comm, fn) -> int:
    """Run ``fn`` on rank 0 only; every rank returns its exit code (or raises its InputError)."""
    if comm is None or comm.size == 1:
        return fn()
    payload: tuple = (EXIT_OK, None)
    if comm.rank == 0:
        try:
            payload = (fn(), None)
        except InputError as e:
            payload = (None, ("input", str(e)))
        except SolveError as e:
            payload = (None, ("solve", str(e)))
        except BaseException as e:
            comm.bcast((None, ("other", f"{type(e).__name__}: {e}")), root=0)
            raise
    payload = comm.bcast(payload, root=0)
    rc, err = payload
    if err is not None:
        kind, msg = err
        if kind == "input":
            raise InputError(msg)
        if kind == "solve":
            raise SolveError(msg)
        raise RuntimeError(msg)
    return rc


def _sweep_main(args) -> int:
    if args.jobs < 1:
        raise InputError(f"--jobs = {args.jobs}: must be >= 1")
    if args.ranks is not None and args.ranks < 1:
        raise InputError(f"--ranks = {args.ranks}: must be >= 1")
    src = Path(args.sweep)
    if src.is_dir() and (src / MANIFEST).exists():  # resume an expanded sweep folder
        if args.out and Path(args.out).resolve() != src.resolve():
            raise InputError(f"--out '{args.out}': a sweep folder was given; leave --out out")
        out = src
        manifest = load_manifest(out)
        log.info("sweep folder %s: %d cases from %s", out, len(manifest["cases"]), MANIFEST)
    else:
        sweep = load_sweep(src)
        specs = expand(sweep)  # every case validated before anything is written
        out = Path(args.out) if args.out else default_out(sweep.name)
        if args.executor == "slurm" and not args.dry_run and shutil.which("sbatch") is None:
            raise InputError(
                "--executor slurm: sbatch not found on PATH (use --dry-run or "
                "--executor none to write the script only)"
            )
        manifest = write_expansion(sweep, specs, out)
        log.info("sweep '%s': %d cases (%s) -> %s", sweep.name, len(specs), sweep.mode, out)
    todo = [e for e in manifest["cases"] if folder_status(out / e["run_folder"]) != "done"]
    ex = args.executor
    if ex == "local":
        return run_local(out, manifest, jobs=args.jobs, ranks=args.ranks or 1, dry_run=args.dry_run)
    slurm_opts = manifest.get("slurm") or _options(None, SLURM_OPTIONS, "slurm")
    pbs_opts = manifest.get("pbs") or _options(None, PBS_OPTIONS, "pbs")
    if ex == "none":
        if not todo:
            print(f"{out}: all {len(manifest['cases'])} cases done")
        # the job scripts of the scheduler tables the sweep file has, for a later submission
        if manifest.get("slurm") is not None and todo:
            for s in write_slurm_scripts(out, manifest, slurm_opts, todo, args.ranks):
                print(f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s))")
        if manifest.get("pbs") is not None and todo:
            for s in write_pbs_scripts(out, manifest, pbs_opts, todo, args.ranks):
                print(f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s))")
        print(f"manifest: {out / MANIFEST}")
        return EXIT_OK
    if ex == "pbs":
        if not todo:
            print(f"{out}: all {len(manifest['cases'])} cases done; nothing to write")
            return EXIT_OK
        for s in write_pbs_scripts(out, manifest, pbs_opts, todo, args.ranks):
            print(
                f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s)); "
                f"submit with: qsub {s['script']}"
            )
        return EXIT_OK
    # slurm
    if not todo:
        print(f"{out}: all {len(manifest['cases'])} cases done; nothing to submit")
        return EXIT_OK
    scripts = write_slurm_scripts(out, manifest, slurm_opts, todo, args.ranks)
    calls = submit_slurm(out, scripts, slurm_opts, dry_run=args.dry_run)
    for c in calls:
        what = (
            f"cache warm-up: its first case fills {cache_seed(out, slurm_opts)}"
            if c["role"] == "warm-up"
            else f"{c['n']} cases, {c['ranks']} rank(s)"
        )
        if args.dry_run:
            sb = shlex.join(["sbatch", *c["args"], c["script"]])
            after = (
                "; after the warm-up job (--dependency=afterany:JOB)"
                if c["role"] == "array" and calls[0]["role"] == "warm-up"
                else ""
            )
            print(f"written {c['script']} ({what}); submit with: {sb}{after}")
        else:
            print(f"submitted job {c['job_id']}: {c['script']} ({what})")
    return EXIT_OK


def cmd_sweep(args, comm) -> int:
    if comm is not None and comm.size > 1:
        raise InputError(
            f"lamina sweep under {comm.size} MPI ranks: start it without mpiexec; each case is "
            "its own MPI job (--ranks K, or a 'ranks' axis)"
        )

    def fn():
        if threading.current_thread() is threading.main_thread():
            old = signal.getsignal(signal.SIGTERM)

            def on_term(signum, frame):
                raise KeyboardInterrupt

            signal.signal(signal.SIGTERM, on_term)
            try:
                return _sweep_main(args)
            finally:
                signal.signal(signal.SIGTERM, old)
        return _sweep_main(args)

    return _on_rank0(comm, fn)


def cmd_status(args, comm) -> int:
    def fn():
        d = Path(args.sweep_dir)
        manifest = load_manifest(d)
        st = states(d, manifest)
        counts = count_states(st)
        if args.json:
            print(json.dumps({"sweep": manifest.get("sweep"), "cases": len(st), **counts}))
            return EXIT_OK
        print(f"sweep '{manifest.get('sweep')}' ({d}): {len(st)} cases")
        print(f"  done     {counts['done']:6d}")
        print(f"  failed   {counts['failed']:6d}")
        print(f"  running  {counts['running']:6d}")
        note = (
            f"   ({counts['interrupted']} interrupted: started, no live process)"
            if counts["interrupted"]
            else ""
        )
        print(f"  pending  {counts['pending']:6d}{note}")
        if args.list:
            for e, s in st:
                print(f"{e['id']:6d} {e['hash']} {s:12s} {_describe(e)}")
        return EXIT_OK

    return _on_rank0(comm, fn)


def cmd_collect(args, comm) -> int:
    def fn():
        c = collect(args.sweep_dir, args.out)
        summary = ", ".join(f"{v} {k}" for k, v in c.counts.items())
        print(f"{c.rows} cases ({summary})")
        print(f"table: {c.csv}" + (f", {c.parquet}" if c.parquet else ""))
        if c.parquet is None:
            print(
                "pyarrow is not installed: wrote CSV only (pip install 'lamina[sweep]' for Parquet)"
            )
        print(f"failures: {c.failures} ({c.counts.get('failed', 0)})")
        return EXIT_OK

    return _on_rank0(comm, fn)


def register_cli(sub) -> None:
    """Add ``sweep``, ``status`` and ``collect`` to the lamina command line."""
    p = sub.add_parser(
        "sweep",
        help="expand a sweep file into cases and run them",
        description="Expand SWEEP (a sweep file, or an expanded sweep folder to "
        "resume) into case files and a manifest, then run every case that is not "
        "done.",
    )
    p.add_argument("sweep", help="sweep file (TOML), or an existing sweep folder")
    p.add_argument("--out", help="sweep folder (default: runs/<sweep name>)")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: subprocesses here; slurm: job array via sbatch; pbs: write a "
        "PBS array script; none: expand (and write scripts) only",
    )
    p.add_argument("--jobs", type=int, default=1, help="local: cases at once (default 1)")
    p.add_argument(
        "--ranks",
        type=int,
        default=None,
        help="MPI ranks per case unless a 'ranks' axis sets it (local: mpiexec -n K; "
        "default: [slurm]/[pbs] ranks, else 1)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="expand and write scripts, but run or submit nothing"
    )
    p.set_defaults(func=cmd_sweep)

    s = sub.add_parser("status", help="counts of done / failed / running / pending cases")
    s.add_argument("sweep_dir", help="sweep folder")
    s.add_argument("--list", action="store_true", help="one line per case")
    s.add_argument("--json", action="store_true", help="counts as JSON")
    s.set_defaults(func=cmd_status)

    c = sub.add_parser("collect", help="one table (CSV + Parquet) of inputs and scalar outputs")
    c.add_argument("sweep_dir", help="sweep folder")
    c.add_argument("--out", help="table path without suffix (default: SWEEP_DIR/table)")
    c.set_defaults(func=cmd_collect)
