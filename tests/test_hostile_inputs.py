"""Hostile inputs (issue 14): resources estimated before allocating, files that are not files,
shell text in job scripts, valid but absurd loads.

Every row of the corpus is one input run through lamina's ``main()`` in this process (see
:mod:`hostile`: a timer guards against hangs, tracemalloc measures the peak): exit code 2, one
stderr line ``lamina: error: ...`` naming the field or file, no traceback, the output folder not
created, in under 10 s and 500 MB. The files that are not files are also tried through the
console script in a child process, as a user meets them.
``LAMINA_MAX_MEMORY_GB`` is pinned so that the memory refusals do not depend on the machine.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from hostile import assert_refused, in_child, in_process

MEMORY_GB = "16"


def _env(**extra):
    return {"LAMINA_MAX_MEMORY_GB": MEMORY_GB, **extra}


def _lamina(args, cwd, env=None, timeout=10):
    """lamina ARGS in this process (see :mod:`hostile`), the memory limit pinned."""
    return in_process(args, cwd, env=env or _env(), timeout=timeout)


def _assert_refused(r, needle, out: Path):
    assert_refused(r, needle, out=out)


# ----------------------------------------------------------------------------------------------
# resources: case files whose surface grid or mesh cannot fit (refused before allocating)

SINUS2D = ('[surface]\nkind = "sinusoid_2d"\nnb_grid_pts = [64, 64]\n'
           'physical_sizes = [1e-4, 1e-4]\namplitude = 1e-6\nwavelength = 5e-5\n')
FLAT = '[surface]\nkind = "flat"\nnb_grid_pts = [64, 64]\nphysical_sizes = [1e-4, 1e-4]\n'

RESOURCE_CASES = [
    # (id, case text, text the one line must contain)
    ("grid-65536-square", "[surface]\nnb_grid_pts = [65536, 65536]\n", "surface.nb_grid_pts"),
    ("grid-65536x32768", "[surface]\nnb_grid_pts = [65536, 32768]\n", "surface.nb_grid_pts"),
    ("grid-flat-65536", '[surface]\nkind = "flat"\nnb_grid_pts = [65536, 65536]\n',
     "surface.nb_grid_pts"),
    ("grid-sinusoid-65536", '[surface]\nkind = "sinusoid_2d"\nnb_grid_pts = [65536, 65536]\n'
     "amplitude = 1e-6\nwavelength = 5e-5\n", "surface.nb_grid_pts"),
    ("grid-sinusoid1d-65536", '[surface]\nkind = "sinusoid_1d"\nnb_grid_pts = [65536, 65536]\n'
     "amplitude = 1e-6\nwavelength = 5e-5\n", "surface.nb_grid_pts"),
    ("grid-paraboloid-65536", '[surface]\nkind = "paraboloid"\nnb_grid_pts = [65536, 65536]\n'
     "radius = 1e-3\n", "surface.nb_grid_pts"),
    ("grid-surface-stage-only", "[surface]\nnb_grid_pts = [65536, 65536]\n"
     '[output]\nstages = ["surface"]\n', "surface.nb_grid_pts"),
    ("mesh-3d-1e9-dofs", SINUS2D + "[mesh]\ndimension = 3\nface_element_size = 1e-7\n", "dofs"),
    ("mesh-3d-box-fine", SINUS2D + '[mesh]\ndimension = 3\ncell = "box"\n'
     "face_element_size = 2e-7\n", "dofs"),
    ("mesh-3d-degree1-fine", SINUS2D + "[mesh]\ndimension = 3\ndegree = 1\n"
     "face_element_size = 1e-7\n", "dofs"),
    ("mesh-2d-face-1e-300", "[mesh]\nface_element_size = 1e-300\n", "dofs"),
    ("mesh-2d-face-denormal", "[mesh]\nface_element_size = 5e-324\n", "mesh"),
    ("mesh-2d-face-1e-12", "[mesh]\nface_element_size = 1e-12\n", "mesh"),
    ("mesh-3d-face-1e-300", SINUS2D + "[mesh]\ndimension = 3\nface_element_size = 1e-300\n",
     "mesh"),
    ("mesh-2d-uniform-layers", "[mesh]\nface_element_size = 1e-10\ngrading = 1.0\n",
     "element layers"),
    ("mesh-2d-thick-0.9m", "[mesh]\nthickness = 0.9\n", "mesh.thickness"),
    ("mesh-2d-thick-1km", "[mesh]\nthickness = 1000.0\n", "mesh.thickness"),
    ("mesh-3d-thick-0.9m", SINUS2D + "[mesh]\ndimension = 3\nthickness = 0.9\n",
     "mesh.thickness"),
    ("size-flat-1e-300", '[surface]\nkind = "flat"\nnb_grid_pts = [64, 64]\n'
     "physical_sizes = [1e-300, 1e-300]\n", "surface.physical_sizes"),
    ("size-paraboloid-1e-300", '[surface]\nkind = "paraboloid"\nnb_grid_pts = [64, 64]\n'
     "physical_sizes = [1e-300, 1e-300]\nradius = 1e-3\n", "surface.physical_sizes"),
    ("size-selfaffine-1e-300", "[surface]\nphysical_sizes = [1e-300, 1e-300]\n",
     "surface.physical_sizes"),
    ("size-selfaffine-denormal", "[surface]\nphysical_sizes = [5e-324, 5e-5]\n",
     "surface.physical_sizes"),
    ("size-flat-1e-12", '[surface]\nkind = "flat"\nnb_grid_pts = [64, 64]\n'
     "physical_sizes = [1e-12, 1e-12]\n", "surface.physical_sizes"),
    ("mesh-flat-face-1e-300", FLAT + "[mesh]\nface_element_size = 1e-300\n", "mesh"),
]


@pytest.mark.parametrize("label,text,needle", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_resources_are_estimated_before_allocating(tmp_path, label, text, needle):
    (tmp_path / "case.toml").write_text(text)
    out = tmp_path / "out"
    res = _lamina(["run", "case.toml", "--out", str(out)], tmp_path)
    _assert_refused(res, needle, out)
    assert any(w in res.stderr for w in ("available", "at most", ">= 1e-09"))  # the numbers


def test_the_refusal_names_the_override_and_the_override_works(tmp_path):
    (tmp_path / "case.toml").write_text("[surface]\nnb_grid_pts = [256, 256]\n"
                                        '[output]\nstages = ["surface"]\nplots = false\n')
    out = tmp_path / "out"
    r = _lamina(["surface", "case.toml", "--out", str(out)], tmp_path,
                          env=_env(LAMINA_MAX_MEMORY_GB="0.001"))
    assert r.returncode == 2, r.stderr
    assert "LAMINA_MAX_MEMORY_GB" in r.stderr and "needs about" in r.stderr, r.stderr
    assert not out.exists()
    r = _lamina(["surface", "case.toml", "--out", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_a_bad_memory_override_is_one_line(tmp_path, value):
    out = tmp_path / "out"
    res = _lamina(["surface", "--out", str(out)], tmp_path, env=_env(LAMINA_MAX_MEMORY_GB=value))
    _assert_refused(res, "LAMINA_MAX_MEMORY_GB", out)


# ----------------------------------------------------------------------------------------------
# .npy headers that declare more than the file holds or memory allows


def _npy(path: Path, shape, descr="<f8", version=(1, 0), fortran=False, data=b"\0" * 64):
    header = {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}
    with open(path, "wb") as f:
        if version == (1, 0):
            np.lib.format.write_array_header_1_0(f, header)
        else:
            np.lib.format.write_array_header_2_0(f, header)
        f.write(data)


NPY_ROWS = [
    ("200000-square-f8", dict(shape=(200000, 200000))),
    ("200000-square-f4", dict(shape=(200000, 200000), descr="<f4")),
    ("200000-square-i2", dict(shape=(200000, 200000), descr="<i2")),
    ("200000-square-fortran", dict(shape=(200000, 200000), fortran=True)),
    ("200000-square-v2", dict(shape=(200000, 200000), version=(2, 0))),
    ("1e9-by-8", dict(shape=(10**9, 8))),
    ("huge-1d", dict(shape=(10**12,))),
    ("huge-3d", dict(shape=(1000, 1000, 1000))),
    ("big-endian-huge", dict(shape=(100000, 100000), descr=">f8")),
    ("256-square-no-data", dict(shape=(256, 256), data=b"")),
    ("256-square-half-data", dict(shape=(256, 256), data=b"\0" * (256 * 128 * 8))),
]


@pytest.mark.parametrize("label,kw", NPY_ROWS, ids=[r[0] for r in NPY_ROWS])
def test_npy_header_is_judged_before_the_data_is_read(tmp_path, label, kw):
    _npy(tmp_path / "h.npy", **kw)
    (tmp_path / "case.toml").write_text('[surface]\nkind = "measured"\nfile = "h.npy"\n'
                                        'unit = "um"\nphysical_sizes = [1e-4, 1e-4]\n')
    out = tmp_path / "out"
    res = _lamina(["surface", "case.toml", "--out", str(out)], tmp_path)
    _assert_refused(res, "h.npy", out)


def test_npy_that_fits_the_file_but_not_memory_is_refused_with_the_numbers(tmp_path):
    np.save(tmp_path / "h.npy", np.zeros((256, 256)))
    (tmp_path / "case.toml").write_text('[surface]\nkind = "measured"\nfile = "h.npy"\n'
                                        'unit = "um"\nphysical_sizes = [1e-4, 1e-4]\n')
    out = tmp_path / "out"
    res = _lamina(["surface", "case.toml", "--out", str(out)], tmp_path,
                  env=_env(LAMINA_MAX_MEMORY_GB="0.001"))
    _assert_refused(res, "needs about", out)


# ----------------------------------------------------------------------------------------------
# files that are not files, huge files, deep nesting: case files, surface files, sweep files


def _fifo(p: Path) -> str:
    os.mkfifo(p)
    return str(p)


def _huge(p: Path) -> str:
    with open(p, "w") as f:
        f.write("# padding\n" * (11 * 2**20 // 10 + 1))
    return str(p)


def _deep_arrays(p: Path) -> str:
    p.write_text("seed = " + "[" * 5000 + "]" * 5000 + "\n")
    return str(p)


def _deep_tables(p: Path) -> str:
    p.write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
    return str(p)


def _deep_mixed(p: Path) -> str:
    p.write_text("x = " + "[{a = " * 2500 + "1" + "}]" * 2500 + "\n")
    return str(p)


def _symlink_fifo(p: Path) -> str:
    os.mkfifo(p.with_suffix(".fifo"))
    p.symlink_to(p.with_suffix(".fifo"))
    return str(p)


def _symlink_zero(p: Path) -> str:
    p.symlink_to("/dev/zero")
    return str(p)


def _dir(p: Path) -> str:
    p.mkdir()
    return str(p)


NOT_FILES = [
    ("fifo", _fifo, "not a regular file"),
    ("dev-zero", lambda p: "/dev/zero", "not a regular file"),
    ("dev-urandom", lambda p: "/dev/urandom", "not a regular file"),
    ("dev-null", lambda p: "/dev/null", "not a regular file"),
    ("dev-stdin", lambda p: "/dev/stdin", "not a regular file"),
    ("symlink-to-fifo", _symlink_fifo, "not a regular file"),
    ("symlink-to-dev-zero", _symlink_zero, "not a regular file"),
    ("huge-11MB", _huge, "bytes"),
    ("deep-arrays-5000", _deep_arrays, "nested too deeply"),
    ("deep-inline-tables-5000", _deep_tables, "nested too deeply"),
    ("deep-mixed-5000", _deep_mixed, "nested too deeply"),
]


@pytest.mark.parametrize("label,make,needle", NOT_FILES, ids=[r[0] for r in NOT_FILES])
@pytest.mark.parametrize("cmd", ["run", "validate"])
def test_case_file_that_is_not_a_file(tmp_path, label, make, needle, cmd):
    path = make(tmp_path / "case.toml")
    out = tmp_path / "out"
    args = [cmd, path] + (["--out", str(out)] if cmd == "run" else [])
    _assert_refused(_lamina(args, tmp_path), needle, out)


@pytest.mark.parametrize("label,make,needle", [r for r in NOT_FILES if r[0] in
                                               ("fifo", "dev-zero", "deep-arrays-5000")])
def test_the_console_script_refuses_a_case_file_that_is_not_a_file(tmp_path, label, make,
                                                                   needle):
    path = make(tmp_path / "case.toml")
    out = tmp_path / "out"
    r = in_child(["run", path, "--out", out], tmp_path, env=_env(), timeout=60)
    _assert_refused(r, needle, out)


@pytest.mark.parametrize("label,make,needle", NOT_FILES, ids=[r[0] for r in NOT_FILES])
def test_sweep_file_that_is_not_a_file(tmp_path, label, make, needle):
    path = make(tmp_path / "sweep.toml")
    out = tmp_path / "out"
    args = ["sweep", path, "--out", str(out), "--executor", "slurm", "--dry-run"]
    _assert_refused(_lamina(args, tmp_path, timeout=10), needle, out)


@pytest.mark.parametrize("label,make,needle", NOT_FILES, ids=[r[0] for r in NOT_FILES])
def test_sweep_base_file_that_is_not_a_file(tmp_path, label, make, needle):
    path = make(tmp_path / "base.toml")
    (tmp_path / "sweep.toml").write_text(
        f'base = "{path}"\n[sweep]\nname = "s"\n[[sweep.axis]]\nkey = "seed"\nvalues = [1, 2]\n')
    out = tmp_path / "out"
    args = ["sweep", "sweep.toml", "--out", str(out), "--executor", "slurm", "--dry-run"]
    _assert_refused(_lamina(args, tmp_path, timeout=10), "base", out)


SURFACE_NOT_FILES = [
    ("fifo", _fifo), ("dev-zero", lambda p: "/dev/zero"), ("dev-null", lambda p: "/dev/null"),
    ("symlink-to-fifo", _symlink_fifo), ("symlink-to-dev-zero", _symlink_zero),
]


@pytest.mark.parametrize("label,make", SURFACE_NOT_FILES, ids=[r[0] for r in SURFACE_NOT_FILES])
@pytest.mark.parametrize("fmt", ["npy", "csv"])
def test_surface_file_that_is_not_a_file(tmp_path, label, make, fmt):
    path = make(tmp_path / f"h.{fmt}")
    (tmp_path / "case.toml").write_text(
        f'[surface]\nkind = "measured"\nfile = "{path}"\nformat = "{fmt}"\nunit = "um"\n'
        "physical_sizes = [1e-4, 1e-4]\n")
    out = tmp_path / "out"
    _assert_refused(_lamina(["surface", "case.toml", "--out", str(out)], tmp_path, timeout=10),
                    "surface", out)


# ----------------------------------------------------------------------------------------------
# sweeps: case counts capped before the cases are made

SWEEP_HEAD = '[sweep]\nname = "big"\n'
TINY_BASE = ('[base]\nsurface.nb_grid_pts = [64, 64]\noutput.plots = false\n'
             'output.stages = ["surface"]\n')


def _axis(key, src):
    return f"[[sweep.axis]]\nkey = \"{key}\"\n{src}\n"


SWEEP_ROWS = [
    ("range-1e8", SWEEP_HEAD + _axis("seed", "range = [0, 100000000]"), "sweep.axis[0].range"),
    ("range-1e15-step", SWEEP_HEAD + _axis("seed", "range = [0, 1000000000000000, 7]"),
     "sweep.axis[0].range"),
    ("range-100001", SWEEP_HEAD + _axis("seed", "range = [0, 100001]"), "100001 cases"),
    ("linspace-1e8", SWEEP_HEAD + _axis("surface.hurst", "linspace = [0.3, 0.9, 100000000]"),
     "sweep.axis[0].linspace"),
    ("logspace-1e9", SWEEP_HEAD + _axis("surface.rms_height", "logspace = [1e-7, 1e-6, "
                                        "1000000000]"), "sweep.axis[0].logspace"),
    ("lhs-1e9", '[sweep]\nname = "big"\nmode = "lhs"\nsamples = 1000000000\n'
     + _axis("surface.hurst", "bounds = [0.3, 0.9]"), "sweep.samples"),
    ("lhs-100001", '[sweep]\nname = "big"\nmode = "lhs"\nsamples = 100001\n'
     + _axis("surface.hurst", "bounds = [0.3, 0.9]"), "sweep.samples"),
    ("product-1e6", SWEEP_HEAD + _axis("seed", "range = [0, 1000]")
     + _axis("surface.hurst", "linspace = [0.3, 0.9, 1000]"), "1000000 cases"),
    ("product-three-axes", SWEEP_HEAD + _axis("seed", "range = [0, 100]")
     + _axis("surface.hurst", "linspace = [0.3, 0.9, 100]")
     + _axis("surface.rms_height", "logspace = [1e-7, 1e-6, 100]"), "1000000 cases"),
    ("zip-1e8", '[sweep]\nname = "big"\nmode = "zip"\n'
     + _axis("seed", "range = [0, 100000000]")
     + _axis("surface.hurst", "linspace = [0.3, 0.9, 100000000]"), "sweep.axis[0].range"),
    ("cap-lowered", '[sweep]\nname = "big"\nmax_cases = 3\n' + _axis("seed", "range = [0, 4]"),
     "at most 3"),
    ("max-cases-zero", '[sweep]\nname = "big"\nmax_cases = 0\n' + _axis("seed", "range = [0, 4]"),
     "sweep.max_cases"),
    ("max-cases-float", '[sweep]\nname = "big"\nmax_cases = 1.5\n'
     + _axis("seed", "range = [0, 4]"), "sweep.max_cases"),
    ("max-cases-string", '[sweep]\nname = "big"\nmax_cases = "lots"\n'
     + _axis("seed", "range = [0, 4]"), "sweep.max_cases"),
    ("max-cases-bool", '[sweep]\nname = "big"\nmax_cases = true\n'
     + _axis("seed", "range = [0, 4]"), "sweep.max_cases"),
]


@pytest.mark.parametrize("label,text,needle", SWEEP_ROWS, ids=[r[0] for r in SWEEP_ROWS])
@pytest.mark.parametrize("executor", ["slurm", "local"])
def test_sweep_case_count_is_capped(tmp_path, label, text, needle, executor):
    (tmp_path / "sweep.toml").write_text(text + TINY_BASE)
    out = tmp_path / "out"
    args = ["sweep", "sweep.toml", "--out", str(out), "--executor", executor]
    if executor == "slurm":
        args.append("--dry-run")
    _assert_refused(_lamina(args, tmp_path, timeout=10), needle, out)


def test_a_raised_cap_allows_the_sweep(tmp_path):
    from solver.batch.sweep.spec import parse_sweep
    import tomllib

    text = ('[sweep]\nname = "big"\nmax_cases = 200000\n' + _axis("seed", "range = [0, 150000]")
            + TINY_BASE)
    sw = parse_sweep(tomllib.loads(text), base_dir=tmp_path)
    assert len(sw.axes[0].values) == 150000


# ----------------------------------------------------------------------------------------------
# shell text in job scripts

INJECTIONS = ["x; touch /tmp/pwned", "x && rm -rf ~", "$(touch /tmp/pwned)", "`id`", "a|b",
              "x > /etc/passwd", "'quoted'"]


@pytest.mark.parametrize("scheduler", ["slurm", "pbs"])
@pytest.mark.parametrize("module", INJECTIONS)
def test_modules_are_quoted_in_job_scripts(tmp_path, scheduler, module):
    import shlex

    esc = module.replace("\\", "\\\\").replace('"', '\\"')
    (tmp_path / "sweep.toml").write_text(
        SWEEP_HEAD + _axis("seed", "values = [1, 2]") + TINY_BASE
        + f'[{scheduler}]\nmodules = ["gcc/12", "{esc}"]\n')
    out = tmp_path / "out"
    r = _lamina(["sweep", "sweep.toml", "--out", str(out), "--executor", scheduler,
                           "--dry-run"], tmp_path)
    assert r.returncode == 0, r.stderr
    script = next((out / scheduler).glob("*.sh")).read_text()
    lines = [ln for ln in script.splitlines() if ln.startswith("module load")]
    assert lines[0] == "module load gcc/12"
    assert lines[1] == "module load " + " ".join(shlex.quote(w) for w in module.split())
    # the shell sees module names only: no command separator, substitution or redirection
    lex = shlex.shlex(lines[1], posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    assert list(lex) == ["module", "load", *module.split()]
    if module == "x; touch /tmp/pwned":
        assert "module load 'x;' touch /tmp/pwned" == lines[1]


# ----------------------------------------------------------------------------------------------
# valid but absurd


def test_an_absurd_pressure_is_warned_about_once():
    import logging

    from solver.case import config
    from solver.simulation import press

    case = config.from_dict({"press": {"pressures": [1e12], "hold_times": [0.0]}})
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("lamina")
    log.addHandler(handler)
    try:
        assert press.warn_absurd_load(case)
        assert not press.warn_absurd_load(config.default_case())
    finally:
        log.removeHandler(handler)
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    msg = records[0].getMessage()
    assert "\n" not in msg and "press.pressures" in msg and "1e+12" in msg and "yield" in msg
