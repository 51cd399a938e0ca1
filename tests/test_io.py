"""Run folders: atomic files, DONE last, FAILED without results, strict JSON."""

import json

import numpy as np
import pytest

from solver.output import io
from solver.errors import InputError


def test_life_cycle_and_status(tmp_path):
    rf = io.RunFolder(tmp_path / "r")
    assert io.folder_status(rf.path) == "pending"
    rf.begin("name = 'x'\n")
    assert io.folder_status(rf.path) == "incomplete"
    rf.save_array("a.npy", np.arange(3.0))
    rf.finish({"input": {}, "output": {"x": np.float64(1.5), "v": np.arange(2)}, "provenance": {}})
    assert io.folder_status(rf.path) == "done"
    res = io.read_results(rf.path)
    assert res["output"] == {"x": 1.5, "v": [0, 1]}
    # reuse: begin removes the old markers and results first
    rf.begin("name = 'y'\n")
    assert io.folder_status(rf.path) == "incomplete"
    assert not (rf.path / "results.json").exists()
    rf.fail("SolveError: SNES diverged", "press")
    assert io.folder_status(rf.path) == "failed"
    assert json.loads((rf.path / "FAILED").read_text())["stage"] == "press"
    with pytest.raises(InputError):
        io.read_results(rf.path)
    assert not list(rf.path.glob(".*tmp*"))


def test_non_finite_numbers_become_null_in_strict_json(tmp_path):
    text = io.dumps_json({"a": float("nan"), "b": [1.0, float("inf")]})
    assert json.loads(text) == {"a": None, "b": [1.0, None]}


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.txt"
    io.atomic_write_bytes(p, b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["f.txt"]
