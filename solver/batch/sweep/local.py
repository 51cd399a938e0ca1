"""The local executor: cases in parallel on this machine."""

from __future__ import annotations

import shlex
import signal
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from solver.output import io
from solver.errors import EXIT_FAILED, EXIT_OK
from solver.batch.sweep._common import RUNNING, _fmt, log
from solver.batch.sweep.claims import _tidy, case_state, lock_state
from solver.batch.sweep.runner import Attempt, lamina_command, mpiexec_command, run_one, thread_env


def _case_launch(ranks: int) -> list[str]:
    base = [*lamina_command(), "run"]
    return base if ranks <= 1 else [mpiexec_command(), "-n", str(ranks), *base]


def _describe(entry: dict) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in entry.get("params", {}).items())


def run_local(
    sweep_dir: Path, manifest: dict, *, jobs: int = 1, ranks: int = 1, dry_run: bool = False
) -> int:
    """Run the cases that are not done, ``jobs`` at a time; return the exit code."""
    sweep_dir = Path(sweep_dir)
    entries = manifest["cases"]
    todo = []
    for e in entries:
        run = sweep_dir / e["run_folder"]
        if io.folder_status(run) != "done":
            todo.append(e)
        elif (run / RUNNING).exists() and not dry_run:
            _tidy(run)
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
    stop = threading.Event()
    procs: dict[str, subprocess.Popen] = {}
    counts = {"done": 0, "failed": 0, "interrupted": 0, "skipped-done": 0, "skipped-running": 0}
    k = 0

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
    try:
        while queue:
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
                        len(todo),
                        a.state,
                        e["id"],
                        e["hash"],
                        _describe(e),
                        extra,
                        why,
                    )
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
        return 130
    pool.shutdown(wait=True)
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
