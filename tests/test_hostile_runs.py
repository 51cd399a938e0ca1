"""Hostile runs (issue 14): case names that would escape runs/, reused and shared run folders,
Ctrl-C.

Each table row is one input run through lamina's ``main()`` in this process (see
:mod:`hostile`) in a fresh folder; a refusal must be exit 2 with one ``lamina: error`` line on
stderr, no traceback, within 10 s and 500 MB, and write nothing (no run folder, nothing outside
the test's folder, no DONE or results.json). Concurrent runs and Ctrl-C use real processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cases import fast_2d
from hostile import assert_refused, child_env, in_child, in_process, tree
from solver.errors import EXIT_CHECKPOINTED
from solver.output.runlock import LOCK, FolderLock

LAMINA = [sys.executable, "-m", "solver"]
SURFACE_ONLY = """
name = {name}
[surface]
nb_grid_pts = [64, 64]
[output]
plots = false
stages = ["surface"]
"""


def _env():
    return child_env()


def _lamina(*args, cwd, timeout=300):
    """lamina in this process (the refusals are judged on the same main() the script runs)."""
    return in_process(args, cwd, timeout=timeout)


_tree = tree


def _refused(r, *needles, seconds=None):
    assert_refused(r, *needles)
    if seconds is not None:
        assert seconds < 10, seconds


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a TOML basic string (with \\uXXXX escapes)


# -- writes outside the run folder ------------------------------------------------------------
BAD_NAMES = {
    "empty": "",
    "space only": " ",
    "dot": ".",
    "dot-dot": "..",
    "parent": "../escape",
    "deep parent": "../../escape2",
    "absolute": "/tmp/lamina-issue14-absolute-{pid}",
    "subfolder": "a/b",
    "trailing slash": "a/",
    "backslash": "a\\b",
    "newline": "a\nb",
    "carriage return": "a\rb",
    "tab": "a\tb",
    "escape code": "\x1b[31mred",
    "nul": "a\x00b",
    "hidden": ".hidden",
    "leading dash": "-rf",
    "leading space": " x",
    "trailing space": "x ",
    "quote": 'a"b',
    "star": "a*",
    "too long": "x" * 300,
    "unicode slash": "a\u2215b",
    "delete char": "a\x7fb",
}


@pytest.mark.parametrize("kind", ["run", "surface"])
@pytest.mark.parametrize("label", list(BAD_NAMES))
def test_bad_case_name_is_refused_and_nothing_is_written(tmp_path, label, kind):
    name = BAD_NAMES[label].replace("{pid}", str(os.getpid()))
    work = tmp_path / "w" / "x"
    work.mkdir(parents=True)
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name=_toml_str(name)))
    before = _tree(tmp_path)
    t0 = time.monotonic()
    r = _lamina(kind, str(tmp_path / "case.toml"), cwd=work)
    _refused(r, "name = ", seconds=time.monotonic() - t0)
    assert _tree(tmp_path) == before
    assert not Path(f"/tmp/lamina-issue14-absolute-{os.getpid()}").exists()


@pytest.mark.parametrize("label", ["parent", "subfolder", "newline", "empty"])
def test_bad_base_name_of_a_sweep_is_refused(tmp_path, label):
    spec = (f'[sweep]\nname = "s"\n[[sweep.axis]]\nkey = "seed"\nvalues = [1, 2]\n'
            f'[base]\nname = {_toml_str(BAD_NAMES[label])}\nsurface.nb_grid_pts = [64, 64]\n'
            'output.stages = ["surface"]\n')
    (tmp_path / "sweep.toml").write_text(spec)
    before = _tree(tmp_path)
    r = _lamina("sweep", "sweep.toml", "--dry-run", cwd=tmp_path)
    _refused(r, "name")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("argv", [
    ["run", "case.toml", "--out", ""],
    ["surface", "case.toml", "--out", ""],
    ["run", "case.toml", "--out", " "],
    ["current", "case.toml", "--maps", "maps", "--out", ""],
], ids=["run", "surface", "run-space", "current"])
def test_empty_out_is_refused(tmp_path, argv):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"fine"'))
    (tmp_path / "maps").mkdir()
    before = _tree(tmp_path)
    r = _lamina(*argv, cwd=tmp_path)
    _refused(r, "--out")
    assert _tree(tmp_path) == before


def test_good_names_still_run(tmp_path):
    for name in ("press roughness", "v1.2+x=3,a@b", "A_b-c"):
        (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name=_toml_str(name)))
        r = _lamina("surface", "case.toml", cwd=tmp_path)
        assert r.returncode == 0, r.stderr[-2000:]
        assert (tmp_path / "runs" / name / "DONE").exists()


# -- reused folders -----------------------------------------------------------------------------
@pytest.fixture()
def done_folder(tmp_path):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"c"'))
    r = _lamina("surface", "case.toml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    return tmp_path


@pytest.mark.parametrize("argv", [
    ["surface", "case.toml", "--out", "out"],
    ["run", "case.toml", "--out", "out"],
    ["current", "case.toml", "--maps", "maps", "--out", "out"],
], ids=["surface", "run", "current"])
def test_a_complete_folder_is_refused_without_overwrite(done_folder, argv):
    d = done_folder
    (d / "maps").mkdir()
    (d / "maps" / "contact_maps.npz").write_bytes(b"not read")
    before = _tree(d)
    r = _lamina(*argv, cwd=d)
    _refused(r, "'out'", "DONE", "--overwrite")
    assert _tree(d) == before


def test_overwrite_clears_the_folder_first(done_folder):
    d = done_folder
    (d / "out" / "contact_maps.npz").write_bytes(b"left by a full run")
    (d / "out" / "old.png").write_bytes(b"stale figure")
    r = _lamina("surface", "case.toml", "--out", "out", "--overwrite", cwd=d)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (d / "out" / "DONE").exists() and (d / "out" / "results.json").exists()
    assert not (d / "out" / "contact_maps.npz").exists() and not (d / "out" / "old.png").exists()
    assert not (d / "out" / LOCK).exists()


def test_overwrite_refuses_a_folder_that_is_not_a_run_folder(tmp_path):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"c"'))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    before = _tree(tmp_path)
    r = _lamina("surface", "case.toml", "--out", "mine", "--overwrite", cwd=tmp_path)
    _refused(r, "--overwrite", "not one")
    assert _tree(tmp_path) == before


def test_a_failed_or_unfinished_folder_is_still_rerun(tmp_path):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"c"'))
    out = tmp_path / "out"
    out.mkdir()
    (out / "FAILED").write_text('{"reason": "x"}')
    r = _lamina("surface", "case.toml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "DONE").exists() and not (out / "FAILED").exists()


def test_a_held_folder_is_refused_naming_the_holder(tmp_path):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"c"'))
    (tmp_path / "out").mkdir()
    lk = FolderLock(tmp_path / "out")
    lk.acquire()
    try:
        r = _lamina("surface", "case.toml", "--out", "out", cwd=tmp_path)
        _refused(r, "in use by another run", f"pid {os.getpid()}")
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [LOCK]
    finally:
        lk.release()
    assert not (tmp_path / "out" / LOCK).exists()


def _start_until(argv, cwd, predicate, limit=600):
    """Start lamina; return (process, stderr lines so far) once a stderr line satisfies
    ``predicate``."""
    # Ctrl-C at a terminal: SIGINT not ignored in the child, also where this test runs in the
    # background (a non-interactive shell's background job inherits SIGINT ignored, and lamina
    # then ignores a Ctrl-C until it installs its own handler: seen in a fresh-clone CI run)
    p = subprocess.Popen([*LAMINA, *argv], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env(),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    killer = threading.Timer(limit, p.kill)
    killer.start()
    lines = []
    for line in p.stderr:
        lines.append(line)
        if predicate(line):
            break
    return p, lines, killer


def test_two_concurrent_runs_into_one_folder_exactly_one_runs(tmp_path):
    (tmp_path / "case.toml").write_text(fast_2d("both", plots=False))
    p, lines, killer = _start_until(["run", "case.toml", "--out", "out"], tmp_path,
                                    lambda ln: ln.startswith("press ["))
    try:
        second = _lamina("run", "case.toml", "--out", "out", cwd=tmp_path)
        _refused(second, "'out'", "in use by another run", f"pid {p.pid}")
        lines.append(p.communicate()[1] or "")
    finally:
        killer.cancel()
    assert p.returncode == 0, "".join(lines)[-3000:]
    out = tmp_path / "out"
    assert (out / "DONE").exists() and not (out / "FAILED").exists()
    assert not (out / LOCK).exists()


# -- interrupts -----------------------------------------------------------------------------------
def _interrupt_and_rerun(tmp_path, name: str, started, stage: str) -> dict:
    """Start a run, Ctrl-C it once a stderr line satisfies ``started``: a checkpoint of
    ``stage`` (exit 75, one last line, neither DONE nor FAILED); the rerun finishes it. Returns
    the rerun's results["output"]."""
    (tmp_path / "case.toml").write_text(fast_2d(name, plots=False))
    p, lines, killer = _start_until(["run", "case.toml", "--out", "out"], tmp_path, started)
    try:
        p.send_signal(signal.SIGINT)
        lines.append(p.communicate()[1] or "")
    finally:
        killer.cancel()
    err = "".join(lines)
    assert p.returncode == EXIT_CHECKPOINTED, err[-3000:]
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        "lamina: stopped: SIGINT")
    out = tmp_path / "out"
    assert not (out / "DONE").exists() and not (out / "FAILED").exists()
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["reason"] == "SIGINT" and state["stage"] == stage
    r = _lamina("run", "case.toml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "continuing from the checkpoint" in r.stderr
    assert (out / "DONE").exists() and not (out / "checkpoint").exists()
    res = json.loads((out / "results.json").read_text())["output"]
    assert res["restarts"][0]["reason"] == "SIGINT"
    return res


def test_ctrl_c_in_the_press_stage_checkpoints_and_the_rerun_finishes(tmp_path):
    _interrupt_and_rerun(tmp_path, "int", lambda ln: ln.startswith("press [") and "1/" in ln,
                         "press")


def test_ctrl_c_before_the_press_stage_is_one_line_and_exit_130(tmp_path):
    (tmp_path / "case.toml").write_text(fast_2d("early", plots=False))
    p, lines, killer = _start_until(["-v", "run", "case.toml", "--out", "out"], tmp_path,
                                    lambda ln: "-> out" in ln)
    try:
        p.send_signal(signal.SIGINT)  # while the surface and the meshes are built
        lines.append(p.communicate()[1] or "")
    finally:
        killer.cancel()
    err = "".join(lines)
    assert p.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("lamina: interrupted")
    assert not (tmp_path / "out" / "DONE").exists()
    assert not (tmp_path / "out" / "FAILED").exists()


def test_ctrl_c_in_the_current_stage_checkpoints_and_the_rerun_finishes(tmp_path):
    res = _interrupt_and_rerun(tmp_path, "cur", lambda ln: ln.startswith("lamina: current [1/"),
                               "current")
    assert len(res["current"]["steps"]) == len(res["press"]["steps"])


def test_overwrite_into_a_new_folder_runs(tmp_path):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY.format(name='"c"'))
    r = _lamina("surface", "case.toml", "--out", "new", "--overwrite", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "new" / "DONE").exists()
