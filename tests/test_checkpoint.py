"""Checkpoint/restart of a case: SIGUSR1 or a wall budget mid press cycle, then the same command.

The restarted case must end with the numbers of an uninterrupted run (1e-8 relative: the platen
force tolerance), on 1 and on 2 ranks; a checkpoint is only continued by the same case on the same number of ranks.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from solver.run import stop as checkpoint
from solver.errors import EXIT_CHECKPOINTED, InputError

from cases import fast_2d
from mpi_helpers import MPIEXEC, ROOT

CASE = fast_2d("restart-2d", plots=False)

LIMIT = 900  # s, per lamina process (generous: a shared, loaded 2-core machine)


def _cmd(ranks: int, *args) -> list[str]:
    lam = [sys.executable, "-m", "solver", *args]
    if ranks == 1:
        return ["timeout", "-k", "10", str(LIMIT), *lam]
    if MPIEXEC is None:
        pytest.skip("no mpiexec")
    return ["timeout", "-k", "10", str(LIMIT), MPIEXEC, "-n", str(ranks), *lam]


def _env():
    return dict(os.environ, HYDRA_IFACE=os.environ.get("HYDRA_IFACE", "lo"), OMP_NUM_THREADS="1",
                PYTHONPATH=str(ROOT))


def _run(ranks, *args, cwd):
    return subprocess.run(_cmd(ranks, *args), cwd=cwd, capture_output=True, text=True,
                          env=_env(), timeout=LIMIT + 30)


def _signal_mid_press(ranks, case, out, cwd, sig=signal.SIGUSR1):
    """Start the case; after its first press segment (progress line) send ``sig`` to it."""
    # Without `timeout` in front, so that the signal reaches lamina (or mpiexec, which
    # forwards SIGUSR1 and SIGTERM to every rank).
    cmd = _cmd(ranks, "run", str(case), "--out", str(out))[4:]
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env())
    killer = threading.Timer(LIMIT, p.kill)
    killer.start()
    lines = []
    try:
        for line in p.stderr:
            lines.append(line)
            if line.startswith("press [") and "1/" in line:
                time.sleep(0.2)
                p.send_signal(sig)
                break
        lines.append(p.communicate()[1] or "")
    finally:
        killer.cancel()
    return p.returncode, "".join(lines)


RTOL = 1e-8


def _compare(a, b, path=""):
    """Every number of ``a`` equals ``b`` to 1e-8 relative (wall times, files and solver
    iteration counts skipped: on 2 ranks MUMPS's round-off differs between two runs, so Newton
    may take one iteration more or less to the same tolerance, and the platen displacement is
    found to a force tolerance of 1e-8 of the load: ``ContactProblem.force_rtol``)."""
    if isinstance(a, dict):
        assert set(a) - {"restarts"} == set(b) - {"restarts"}, path
        for k in a:
            if k in ("wall_time_s", "files", "restarts") or "iterations" in k:
                continue
            _compare(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), (path, len(a), len(b))
        for i, (u, v) in enumerate(zip(a, b)):
            _compare(u, v, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= RTOL * max(abs(a), abs(b)), (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("restart")
    (d / "case.toml").write_text(CASE)
    return d


@pytest.fixture(scope="module")
def reference(work):
    """Uninterrupted runs on 1 and 2 ranks."""
    out = {}
    for n in (1, 2):
        r = _run(n, "run", "case.toml", "--out", f"ref{n}", cwd=work)
        assert r.returncode == 0, r.stderr[-2000:]
        out[n] = json.loads((work / f"ref{n}" / "results.json").read_text())["output"]
    return out


@pytest.mark.parametrize("ranks", [1, 2])
def test_sigusr1_mid_press_then_restart_gives_the_same_numbers(work, reference, ranks):
    out = work / f"sig{ranks}"
    rc, err = _signal_mid_press(ranks, "case.toml", out, work)
    assert rc == EXIT_CHECKPOINTED, err[-2000:]
    assert "lamina: stopped: SIGUSR1: checkpoint after step" in err
    assert not (out / "DONE").exists() and not (out / "FAILED").exists()
    assert not (out / "results.json").exists()
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    n_steps = reference[ranks]["press"]["n_steps"]
    assert state["stage"] == "press" and 0 <= state["step"] < n_steps - 1, state["step"]
    assert state["mpi_size"] == ranks and state["reason"] == "SIGUSR1"

    if ranks == 1:
        # the checkpoint is continued only on the rank count that wrote it
        bad = _run(2, "run", "case.toml", "--out", str(out), cwd=work)
        assert bad.returncode == 2, bad.stderr[-2000:]
        lines = [ln for ln in bad.stderr.splitlines() if ln.startswith("lamina: error")]
        assert len(lines) == 1 and "written on 1 rank(s)" in lines[0]
        assert (out / "checkpoint" / "state.json").exists()
        # a checkpoint without one of the arrays this lamina writes (an earlier version's)
        old = work / "sig_old"
        shutil.copytree(out, old)
        (old / "checkpoint" / "u.petsc").unlink()
        bad = _run(1, "run", "case.toml", "--out", str(old), cwd=work)
        assert bad.returncode == 2, bad.stderr[-2000:]
        lines = [ln for ln in bad.stderr.splitlines() if ln.startswith("lamina: error")]
        assert len(lines) == 1 and "no array 'u'" in lines[0], bad.stderr[-2000:]
        assert not (old / "results.json").exists()

    r = _run(ranks, "run", "case.toml", "--out", str(out), cwd=work)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "DONE").exists() and not (out / "checkpoint").exists()
    res = json.loads((out / "results.json").read_text())["output"]
    assert res["restarts"][0]["step"] == state["step"]
    assert res["restarts"][0]["reason"] == "SIGUSR1"
    _compare(res, reference[ranks])


def test_wall_budget_stops_and_a_changed_case_starts_afresh(work, reference):
    out = work / "budget"
    r = _run(1, "run", "case.toml", "--out", str(out), "--wall-budget", "1", cwd=work)
    assert r.returncode == EXIT_CHECKPOINTED, r.stderr[-2000:]
    assert "wall-clock budget" in r.stderr
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["stage"] == "press" and state["reason"] == "wall-clock budget"
    # an edited case in the same folder does not continue the old checkpoint
    (work / "case2.toml").write_text(CASE.replace("hold_times = [0.0, 5.0]",
                                                  "hold_times = [0.0, 0.0]"))
    r = _run(1, "run", "case2.toml", "--out", str(out), cwd=work)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "belongs to another case" in r.stderr
    res = json.loads((out / "results.json").read_text())["output"]
    assert "restarts" not in res and not (out / "checkpoint").exists()
    assert all(p != "hold" for p in res["press"]["curve"]["phase"])
    shutil.rmtree(out)


@pytest.mark.parametrize("text, seconds", [("3600", 3600.0), ("90m", 5400.0), ("2h", 7200.0),
                                           ("01:30:00", 5400.0), ("1:30", 90.0), ("0.5", 0.5)])
def test_parse_budget(text, seconds):
    assert checkpoint.parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "1:2:3:4", "5x", "inf", "m"])
def test_parse_budget_rejects(text):
    if text == "":
        assert checkpoint.parse_budget(text) is None
        return
    with pytest.raises(InputError, match="--wall-budget"):
        checkpoint.parse_budget(text)


def test_bad_wall_budget_flag_exits_2(tmp_path, capsys):
    from solver.cli.main import main

    assert main(["run", "--out", str(tmp_path / "x"), "--wall-budget", "soon"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--wall-budget" in err[0]
    assert not (tmp_path / "x").exists()


def test_stop_request_signal_and_budget():
    before = signal.getsignal(signal.SIGUSR1)
    with checkpoint.StopRequest(None, budget_s=None) as stop:
        assert stop.should_stop() is None
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.05)
        assert stop.should_stop() == "SIGUSR1"
    assert signal.getsignal(signal.SIGUSR1) == before  # handlers put back
    stop = checkpoint.StopRequest(None, budget_s=10.0)
    assert stop.should_stop() is None
    stop.longest_step = 6.0  # the next step might not fit: 2 × 6 s > 10 s
    assert stop.should_stop() == "wall-clock budget"
