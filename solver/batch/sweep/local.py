"""The local executor: cases in parallel on this machine."""

from __future__ import annotations

import shlex
import signal
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from solver.checks import fmt_value
from solver.errors import EXIT_FAILED, EXIT_OK
from solver.output.runfolder import folder_status
from solver.batch.mpi import mpiexec_command
from solver.batch.sweep._common import RUNNING, log
from solver.batch.sweep.claims import _tidy, case_state, lock_state
from solver.batch.sweep.runner import (Attempt, lamina_command, mpiexec_launcher, run_one,
                                       thread_env)

#: Exit code of an executor stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


def _case_launch(ranks: int) -> list[str]:
    """``lamina run`` with this interpreter, under ``mpiexec -n ranks`` for more than one rank."""
    base = [*lamina_command(), "run"]
    return base if ranks <= 1 else mpiexec_command(mpiexec_launcher(), ranks, base)


def _describe(entry: dict) -> str:
    """A case's parameters on one line: ``key=value ...``."""
    return " ".join(f"{k}={fmt_value(v)}" for k, v in entry.get("params", {}).items())


def _todo(sweep_dir: Path, entries: list[dict], dry_run: bool) -> list[dict]:
    """The cases that are not done; a done case's stale RUNNING file is tidied (unless dry_run)."""
    todo = []
    for e in entries:
        run = sweep_dir / e["run_folder"]
        if folder_status(run) != "done":
            todo.append(e)
        elif (run / RUNNING).exists() and not dry_run:
            _tidy(run)
    return todo


def run_local(
    sweep_dir: Path, manifest: dict, *, jobs: int = 1, ranks: int = 1, dry_run: bool = False
) -> int:
    """Run the cases that are not done, ``jobs`` at a time; return the exit code."""
    sweep_dir = Path(sweep_dir)
    entries = manifest["cases"]
    todo = _todo(sweep_dir, entries, dry_run)
    n_done = len(entries) - len(todo)
    log.info(
        "sweep '%s': %d cases, %d done, %d to run (%d at a time)",
        manifest.get("sweep"),
        len(entries),
        n_done,
        len(todo),
        jobs,
    )
    if dry_run:
        for e in todo:
            r = e.get("ranks") or ranks
            print(shlex.join([*_case_launch(r), e["case_file"], "--out", e["run_folder"]]))
        return EXIT_OK
    if not todo:
        return EXIT_OK
    counts = {"done": 0, "failed": 0, "interrupted": 0, "skipped-done": 0, "skipped-running": 0}
    if not _run_all(sweep_dir, todo, jobs, ranks, counts):
        return EXIT_INTERRUPTED
    st = [case_state(sweep_dir / e["run_folder"]) for e in entries]
    n_done, n_failed = st.count("done"), st.count("failed")
    log.info(
        "sweep '%s': %d/%d done, %d failed (%d run here, %d by another process)",
        manifest.get("sweep"),
        n_done,
        len(entries),
        n_failed,
        counts["done"] + counts["failed"],
        counts["skipped-done"],
    )
    return EXIT_OK if n_done == len(entries) else EXIT_FAILED


def _run_all(sweep_dir: Path, todo: list[dict], jobs: int, ranks: int, counts: dict) -> bool:
    """Run ``todo``, ``jobs`` at a time, counting the outcomes in ``counts``; False when
    interrupted (Ctrl-C: the running cases get SIGTERM)."""
    stop = threading.Event()
    procs: dict[str, subprocess.Popen] = {}

    def work(e):
        if stop.is_set():
            return e, Attempt(e["hash"], "interrupted")
        r = e.get("ranks") or ranks
        return e, run_one(
            sweep_dir,
            e["hash"],
            _case_launch(r),
            executor="local",
            procs=procs,
            stop=stop,
            env=thread_env(jobs, r),
        )

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lamina-case")
    queue = todo
    k = 0
    try:
        while queue:
            held, k = _run_queue(pool, work, queue, len(todo), counts, k)
            # Cases held by another executor: wait until it lets go of them, then take up the
            # ones it did not finish (it may have died); it never runs twice at once.
            if held:
                log.info("%d case(s) held by another process; waiting for them", len(held))
                counts["skipped-running"] += len(held)
                while any(lock_state(sweep_dir / e["run_folder"]) == "live" for e in held):
                    time.sleep(0.5)
            queue = held
    except KeyboardInterrupt:
        stop.set()
        log.info("interrupted: stopping %d running case(s)", len(procs))
        for p in list(procs.values()):
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        return False
    pool.shutdown(wait=True)
    return True


def _run_queue(pool, work, queue: list[dict], n_todo: int, counts: dict,
               k: int) -> tuple[list[dict], int]:
    """Submit ``queue`` to ``pool`` and log each attempt as it ends (``k``: attempts logged so
    far). Returns the cases another executor held, and the new ``k``."""
    held = []
    futures = {pool.submit(work, e) for e in queue}
    while futures:
        finished, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
        for fut in finished:
            e, a = fut.result()
            if a.state == "skipped-running":
                held.append(e)
                continue
            counts[a.state] += 1
            k += 1
            extra = f" ({a.seconds:.1f} s)" if a.seconds else ""
            why = f": {a.reason}" if a.state == "failed" else ""
            log.info(
                "[%d/%d] %-12s case %d %s %s%s%s",
                k,
                n_todo,
                a.state,
                e["id"],
                e["hash"],
                _describe(e),
                extra,
                why,
            )
    return held, k
