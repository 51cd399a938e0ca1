"""Rough elastic contact (benchmarks/rough_elastic_contact.py) and the press performance benchmark.

* The pure helpers of the rough-contact benchmark (no DOLFINx): the rms gradient of the bilinear
  interpolant, the contact perimeter on a symmetric face, the mirror map, the spectral BEM on a
  Hertz contact, the fit through the origin.
* ``rough_elastic_contact --size small`` run serially: every check passes (κ in 1.8–2.3, FE κ =
  BEM κ on the same surfaces within 6 %, corrected κ mesh-independent within 8 %).
* ``press_performance --size small`` under ``timeout 300 mpiexec -n 2``: exit code 0, and its
  JSON reports 2 ranks and ≈ 50k dofs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solver import benchreport

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rough = _load("rough_elastic_contact")


# ---------------------------------------------------------------------------------------------
# helpers (fast, no DOLFINx)


def test_interpolant_gradient_of_a_sinusoid():
    """h = cos(2πx/λ) on N points per λ: the bilinear interpolant is piecewise linear along x, its
    rms slope is the forward-difference one, sin(π/N)/(π/N) × the continuum 2π/(λ√2)."""
    n, per = 64, 8
    L = 1.0
    lam = L * per / n
    x = np.arange(n) * L / n
    h = np.cos(2 * np.pi * x / lam)[:, None] * np.ones((1, n))
    got = rough.interpolant_rms_gradient(h, L / n)
    exact = 2 * np.pi / lam / math.sqrt(2) * math.sin(math.pi / per) / (math.pi / per)
    assert got == pytest.approx(exact, rel=1e-12)


def test_interpolant_gradient_is_below_forward_differences():
    """Across an element the bilinear x-slope varies linearly between its two edge values a, b:
    ⟨·²⟩ = (a² + ab + b²)/3 ≤ (a² + b²)/2."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((16, 16))
    fd = math.sqrt(np.mean((np.roll(h, -1, 0) - h) ** 2 + (np.roll(h, -1, 1) - h) ** 2))
    assert rough.interpolant_rms_gradient(h, 1.0) < fd


def test_staircase_perimeter_of_a_square_patch():
    c = np.zeros((9, 9), dtype=bool)
    c[2:5, 3:7] = True  # 3 × 4 nodes inside
    assert rough.staircase_perimeter(c, 0.5, symmetric=False) == pytest.approx(2 * (3 + 4) * 0.5)
    assert rough.staircase_perimeter(c, 0.5, symmetric=True) == pytest.approx(2 * (3 + 4) * 0.5)
    # a patch on the symmetry line x = 0: the edges lying on that line count half
    e = np.zeros((9, 9), dtype=bool)
    e[0:2, 3:7] = True
    # edges: across x (at x=1.5 between rows 1 and 2): 4 full; across y at the two ends: rows
    # 0 (on the boundary line: half) and 1 (full), both ends
    assert rough.staircase_perimeter(e, 1.0, symmetric=True) == pytest.approx(4 + 2 * (0.5 + 1))


def test_mirror_is_even_and_periodic():
    rng = np.random.default_rng(1)
    hn = rough.with_end_nodes(rng.standard_normal((6, 6)))
    m = rough.mirror(hn)
    assert m.shape == (12, 12)
    assert np.array_equal(m[:7, :7], hn)
    assert np.array_equal(m, m[::-1, :][np.r_[-1, 0:11]])  # even about x = 0 (periodic shift)
    assert np.array_equal(m[1:6], m[11:6:-1])


def test_slope_through_origin():
    assert rough.slope_through_origin([1, 2, 3], [2, 4, 6]) == pytest.approx(2.0)


def test_bem_hertz_area():
    """The spectral BEM against Hertz (a = 6 grid spacings on a 64² periodic cell): the node count
    overestimates πa² by the boundary excess, the corrected count is within 3 %."""
    n, d, R, E_star = 64, 1.0, 1000.0, 1.0
    x = (np.arange(n) - n / 2 - 0.37) * d
    y = (np.arange(n) - n / 2 - 0.61) * d
    h = -(x[:, None] ** 2 + y[None, :] ** 2) / (2 * R)
    a = 6.0
    P = 4 * E_star * a**3 / (3 * R)
    p = rough.bem_solve(h, n * d, E_star, P / (n * d) ** 2)
    assert p.mean() * (n * d) ** 2 == pytest.approx(P, rel=1e-12)
    c = p > 0
    nodes = c.sum() * d * d
    assert 1.0 < nodes / (math.pi * a * a) < 1.15
    per = rough.staircase_perimeter(c, d, symmetric=False)
    corrected = rough.corrected_area(nodes, per, d, 0.1)
    assert corrected / (math.pi * a * a) == pytest.approx(1.0, abs=0.03)
    # peak pressure: p0 = 3P/(2πa²), on the node nearest the centre (cell-centred BEM: ± 5 %)
    assert p.max() == pytest.approx(3 * P / (2 * math.pi * a * a), rel=0.05)


def test_sampled_grids_share_the_surface():
    h = np.arange(48 * 8 * 48 * 8, dtype=float).reshape(48 * 8, 48 * 8)
    h4 = rough.sampled(h, 4)
    h12 = rough.sampled(h, 12)
    assert h4.shape == (32, 32) and np.array_equal(h12[::3, ::3], h4)
    with pytest.raises(ValueError):
        rough.sampled(h, 5)


# ---------------------------------------------------------------------------------------------
# the benchmarks (DOLFINx, subprocesses)


def _run(cmd: list[str], ranks: int, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=benchreport.child_env(ranks), capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.fem
@pytest.mark.timeout(1000)
def test_rough_elastic_contact_small_serial(tmp_path):
    out = tmp_path / "rough.json"
    res = _run([sys.executable, str(BENCH / "rough_elastic_contact.py"), "--size", "small",
                "--json", str(out)], 1, 900)
    tail = (res.stdout + res.stderr)[-4000:]
    assert out.is_file(), tail
    data = json.loads(out.read_text())
    failed = [c["name"] for c in data["checks"] if not c["passed"]]
    assert not failed, f"failed checks {failed}\n{tail}"
    assert res.returncode == 0, tail
    by_name = {c["name"]: c for c in data["checks"]}
    kappa = [c for c in data["checks"] if c["name"].startswith("κ mean over seeds")]
    assert {c["kind"] for c in kappa} == {"min", "max"}
    assert by_name["κ FE / κ BEM, same seeds"]["kind"] == "rel"


@pytest.mark.fem
@pytest.mark.mpi
@pytest.mark.timeout(420)
def test_press_performance_small_mpi2(tmp_path):
    launcher = benchreport.default_mpiexec()
    if not launcher:
        pytest.fail("no mpiexec beside the venv's python or on PATH")
    out = tmp_path / "press.json"
    cmd = ["timeout", "-k", "10", "300", *launcher, "-n", "2", sys.executable,
           str(BENCH / "press_performance.py"), "--size", "small", "--json", str(out)]
    res = _run(cmd, 2, 360)
    tail = (res.stdout + res.stderr)[-4000:]
    assert res.returncode == 0, tail
    data = json.loads(out.read_text())
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name["MPI ranks"]["computed"] == 2
    assert 45_000 < by_name["displacement dofs (global)"]["computed"] < 55_000
    assert by_name["Newton step / linear solve"]["passed"]
    assert by_name["peak RSS per dof"]["computed"] > 0
