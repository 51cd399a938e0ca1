"""Faults from the operating system (issue 14): paths it refuses, a full disk mid-run.

A path the OS refuses before the run folder exists is bad input: exit 2, one ``lamina: error``
line naming it. A write refused mid-run (ENOSPC) ends the run: exit 1, one ``lamina: failed``
line naming the stage and the file, the folder marked FAILED, no DONE, no results.json, no
half-written file. The full disk is real where this machine lets the tests mount a small tmpfs
(root in a container that allows it), and injected into lamina's one writer otherwise.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
from pathlib import Path

import pytest

from cases import fast_2d
from hostile import assert_refused, in_child, in_process, tree
from solver.output import runfolder

SURFACE_ONLY = ('name = "c"\n[surface]\nnb_grid_pts = [64, 64]\n'
                '[output]\nplots = false\nstages = ["surface"]\n')

BAD_OUTS = {
    "name too long": "x" * 300,
    "path too long": "/".join(["y" * 200] * 25),
    "under a file": "afile/sub",
    "a file": "afile",
    "under /proc": "/proc/self/lamina-out",
    "under /sys": "/sys/lamina-out",
    "under /dev/null": "/dev/null/x",
    "deep under a file": "afile/a/b/c",
}


@pytest.mark.parametrize("kind", ["run", "surface"])
@pytest.mark.parametrize("label", list(BAD_OUTS))
def test_an_out_folder_the_os_refuses_is_one_line(tmp_path, label, kind):
    (tmp_path / "case.toml").write_text(SURFACE_ONLY)
    (tmp_path / "afile").write_text("mine")
    before = tree(tmp_path)
    r = in_process([kind, "case.toml", "--out", BAD_OUTS[label]], tmp_path)
    assert_refused(r, "--out" if "long" in label or label == "a file" else "run folder")
    assert tree(tmp_path) == before


BAD_CASE_PATHS = {
    "name too long": "z" * 300 + ".toml",
    "under a file": "afile/case.toml",
    "under /proc": "/proc/self/no-such-case.toml",
    "a folder": ".",
    "missing": "nope.toml",
}


@pytest.mark.parametrize("cmd", ["run", "validate", "surface"])
@pytest.mark.parametrize("label", list(BAD_CASE_PATHS))
def test_a_case_path_the_os_refuses_is_one_line(tmp_path, label, cmd):
    (tmp_path / "afile").write_text("mine")
    before = tree(tmp_path)
    r = in_process([cmd, BAD_CASE_PATHS[label]] + (["--out", "o"] if cmd != "validate" else []),
                   tmp_path)
    assert_refused(r, "case file")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("label", ["under a file", "under /proc", "name too long"])
def test_a_sweep_out_the_os_refuses_is_one_line(tmp_path, label):
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "sweep.toml").write_text(
        '[sweep]\nname = "s"\n[[sweep.axis]]\nkey = "seed"\nvalues = [1, 2]\n'
        '[base]\nsurface.nb_grid_pts = [64, 64]\noutput.stages = ["surface"]\n')
    before = tree(tmp_path)
    r = in_process(["sweep", "sweep.toml", "--out", BAD_OUTS[label], "--executor", "slurm",
                    "--dry-run"], tmp_path)
    assert_refused(r)
    assert tree(tmp_path) == before


def _assert_failed_cleanly(r, out: Path, stage: str, file: str):
    assert r.returncode == 1, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"lamina: failed: {stage} stage: cannot write "), last
    assert file in last and "No space left on device" in last, last
    assert (out / "FAILED").exists()
    left = sorted(p.name for p in out.iterdir())
    assert "DONE" not in left and "results.json" not in left, left
    assert not [n for n in left if ".tmp" in n], left
    if stage != "current":  # the press's field files are complete once the press is
        assert not [n for n in left if n.endswith(".bp")], left


def test_a_full_disk_in_the_current_stage_fails_cleanly(tmp_path, monkeypatch):
    """ENOSPC injected into the run folder's writes: from the current maps on, every write
    fails as write(2) fails on a full disk (no file name), FAILED's reason included."""
    full = {"on": False}

    class FullDisk(io.FileIO):
        def write(self, data):
            if full["on"]:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return super().write(data)

    def fake_open(path, mode="r", *args, **kwargs):
        if Path(path).name.startswith(".current_maps.npz"):
            full["on"] = True
        return FullDisk(path, mode.replace("b", "")) if "b" in mode else open(path, mode)

    monkeypatch.setattr(runfolder, "open", fake_open, raising=False)
    (tmp_path / "case.toml").write_text(fast_2d("full", plots=False))
    r = in_process(["run", "case.toml", "--out", "out"], tmp_path, timeout=300)
    _assert_failed_cleanly(r, tmp_path / "out", "current", "current_maps.npz")
    assert (tmp_path / "out" / "FAILED").read_text() == ""  # no room for the reason
    assert (tmp_path / "out" / "contact_maps.npz").exists()  # written before the disk filled


@pytest.fixture()
def tiny_disk(tmp_path):
    """Mount a tmpfs of a given size (skips where mounting is not allowed)."""
    mounts = []

    def mount(size: str) -> Path:
        d = tmp_path / f"disk{len(mounts)}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounts.append(d)
        return d

    yield mount
    for d in mounts:
        subprocess.run(["umount", str(d)], capture_output=True)


@pytest.mark.parametrize("size,stage,file", [("100k", "surface", "psd.png"),
                                             ("1m", "press", "displacement.bp")])
def test_a_real_full_disk_fails_cleanly(tmp_path, tiny_disk, size, stage, file):
    """A real ENOSPC: the console script in a child (ADIOS2 aborts the process on a full
    disk unless the field writer refuses first, which this would catch)."""
    (tmp_path / "case.toml").write_text(fast_2d("disk", plots=True))
    out = tiny_disk(size) / "out"
    r = in_child(["run", "case.toml", "--out", out], tmp_path, timeout=300)
    _assert_failed_cleanly(r, out, stage, file)
    assert '"stage": "' + stage in (out / "FAILED").read_text()
