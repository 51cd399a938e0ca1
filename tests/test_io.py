"""Run folders: atomic files, DONE last, FAILED without results, strict JSON."""

import json

import numpy as np
import pytest

from solver.output import runfolder
from solver.errors import InputError


def test_life_cycle_and_status(tmp_path):
    rf = runfolder.RunFolder(tmp_path / "r")
    assert runfolder.folder_status(rf.path) == "pending"
    rf.begin("name = 'x'\n")
    assert runfolder.folder_status(rf.path) == "incomplete"
    rf.save_array("a.npy", np.arange(3.0))
    rf.finish({"input": {}, "output": {"x": np.float64(1.5), "v": np.arange(2)}, "provenance": {}})
    assert runfolder.folder_status(rf.path) == "done"
    res = runfolder.read_results(rf.path)
    assert res["output"] == {"x": 1.5, "v": [0, 1]}
    # reuse: begin removes the old markers and results first
    rf.begin("name = 'y'\n")
    assert runfolder.folder_status(rf.path) == "incomplete"
    assert not (rf.path / "results.json").exists()
    rf.fail("SolveError: SNES diverged", "press")
    assert runfolder.folder_status(rf.path) == "failed"
    assert json.loads((rf.path / "FAILED").read_text())["stage"] == "press"
    with pytest.raises(InputError):
        runfolder.read_results(rf.path)
    assert not list(rf.path.glob(".*tmp*"))


def test_non_finite_numbers_become_null_in_strict_json(tmp_path):
    text = runfolder.dumps_json({"a": float("nan"), "b": [1.0, float("inf")]})
    assert json.loads(text) == {"a": None, "b": [1.0, None]}


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.txt"
    runfolder.atomic_write_bytes(p, b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(runfolder.os, "replace", boom)
    with pytest.raises(OSError):
        runfolder.atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["f.txt"]
