"""Run ``lamina`` for the hostile-input corpora: in this process (fast) or in a child process.

In-process runs call :func:`solver.cli.main.main` exactly as the console script does, with the
working folder, environment, stdout and stderr swapped for the call and restored after it. A
SIGALRM guards against hangs (a FIFO opened for reading blocks in ``open``); ``tracemalloc``
measures the peak of what the call allocated (NumPy's buffers included), which bounds what a
refusal may cost. Rows that must see the real process (exit code of the console script, signals)
use :func:`in_child`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from solver.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
LAMINA = [sys.executable, "-m", "solver"]


@dataclass
class Outcome:
    """What one lamina invocation did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


class _Hung(Exception):
    pass


def _alarm(signum, frame):
    raise _Hung


def in_process(args, cwd: Path, env: dict | None = None, timeout: float = 10.0) -> Outcome:
    """``lamina ARGS`` in this process, in ``cwd``, with ``env`` added to the environment."""
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    log = logging.getLogger("lamina")
    old_handlers, old_level, old_propagate = list(log.handlers), log.level, log.propagate
    out, err = io.StringIO(), io.StringIO()
    old_alarm = signal.signal(signal.SIGALRM, _alarm)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        os.environ.update({"OMP_NUM_THREADS": "1", **(env or {})})
        os.chdir(cwd)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main([str(a) for a in args])
    except _Hung:
        pytest.fail(f"lamina {' '.join(map(str, args))}: still running after {timeout} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_alarm)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
        log.handlers[:] = old_handlers
        log.setLevel(old_level)
        log.propagate = old_propagate
    return Outcome(rc, out.getvalue(), err.getvalue(), seconds, peak / 2**20)


def child_env(**extra) -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **extra}


def in_child(args, cwd: Path, env: dict | None = None, timeout: float = 60.0) -> Outcome:
    """``lamina ARGS`` as a child process (the console script's own exit path and signals);
    the peak memory is the child's own, sampled every 20 ms (:func:`_vm_hwm_mb`)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([*LAMINA, *map(str, args)], cwd=cwd, env=child_env(**(env or {})),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    streams = {}
    readers = [threading.Thread(target=lambda n=n, f=f: streams.__setitem__(n, f.read()))
               for n, f in (("out", p.stdout), ("err", p.stderr))]
    for t in readers:
        t.start()
    hwm = 0.0
    while True:
        hwm = max(hwm, _vm_hwm_mb(p.pid))
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > timeout:
            os.killpg(p.pid, 9)
            os.wait4(p.pid, 0)
            pytest.fail(f"lamina {' '.join(map(str, args))}: still running after {timeout} s")
        time.sleep(0.02)
    for t in readers:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    return Outcome(p.returncode, streams["out"], streams["err"], seconds,
                   hwm or usage.ru_maxrss / 1024)


def _vm_hwm_mb(pid: int) -> float:
    """The process's peak resident memory since its exec (``VmHWM``), MB; 0 once it is gone.

    Not ``wait4``'s ``ru_maxrss``: that keeps the peak from before the exec, i.e. the forked
    copy of this (large) test process."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def tree(d: Path) -> dict:
    """Every path under ``d`` with its size and mtime (to see that nothing changed)."""
    return {str(p.relative_to(d)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in sorted(d.rglob("*"))}


def assert_refused(r: Outcome, *needles: str, out: Path | None = None,
                   max_seconds: float = 10.0, max_mb: float = 500.0) -> None:
    """Exit 2, one ``lamina: error:`` line naming each needle, no traceback, cheap, no folder."""
    assert r.returncode == 2, (r.returncode, r.stderr[-3000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lamina: error: "), r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert r.seconds < max_seconds, r.seconds
    assert r.peak_mb < max_mb, r.peak_mb
    if out is not None:
        assert not out.exists(), sorted(p.name for p in out.rglob("*"))
