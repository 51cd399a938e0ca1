"""The array task: ``python -m solver.batch.sweep task SWEEP_DIR HASH -- LAUNCH...``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from solver.output.runfolder import RunFolder
from solver.errors import EXIT_CHECKPOINTED, EXIT_FAILED, EXIT_OK, InputError
from solver.batch.sweep._common import log
from solver.batch.sweep.runner import SignalRelay, run_one


def task_main(argv: list[str]) -> int:
    """One array task: skip if done or held, else hold the case and run ``LAUNCH case --out run``.

    SIGUSR1 (SLURM's warning before the time limit) and SIGTERM are forwarded to the case.
    """
    ap = argparse.ArgumentParser(prog="python -m solver.batch.sweep task")
    ap.add_argument("sweep_dir")
    ap.add_argument("hash")
    ap.add_argument("launch", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    launch = args.launch[1:] if args.launch[:1] == ["--"] else args.launch
    logging.basicConfig(format="lamina-task: %(message)s", level=logging.INFO, stream=sys.stdout)
    if not launch:
        print("lamina-task: error: no launch command after --", file=sys.stderr)
        return 2
    sweep_dir = Path(args.sweep_dir)
    job = {
        k.lower(): os.environ[k]
        for k in (
            "SLURM_JOB_ID",
            "SLURM_ARRAY_JOB_ID",
            "SLURM_ARRAY_TASK_ID",
            "PBS_JOBID",
            "PBS_ARRAY_INDEX",
        )
        if k in os.environ
    }
    relay = SignalRelay()
    for sig in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, relay)
    received = relay.received
    try:
        a = run_one(sweep_dir, args.hash, launch, executor="array", extra_info=job, relay=relay)
    except InputError as e:
        print(f"lamina-task: error: {e}", file=sys.stderr)
        return 2
    what = f" after {', '.join(received)}" if received else ""
    if a.state == "failed" and received:
        run = sweep_dir / "runs" / args.hash
        reason = f"{a.reason}; received {', '.join(received)} (time limit near or job cancelled)"
        RunFolder(run).fail(reason, stage="")
    log.info(
        "case %s: %s%s%s", args.hash, a.state, f" ({a.seconds:.1f} s)" if a.seconds else "", what
    )
    if a.state == "interrupted" and a.reason == "checkpointed":
        return EXIT_CHECKPOINTED  # continued from its checkpoint when the sweep is rerun
    return EXIT_OK if a.state in ("done", "skipped-done", "skipped-running") else EXIT_FAILED
