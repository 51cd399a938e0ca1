"""Rough elastic contact at small load: the area–load slope κ in A/A0 = κ p̄/(E* h'_rms).

A thick elastic block (3D, Q1 hexahedra, :func:`solver.fem.mesh.lithium_block_3d`) is pressed onto
a rigid, isotropic self-affine surface (H = 0.8, short cutoff λs, long cutoff λr = L/2 with a flat
plateau below it; ``full``: λr/λs = 8, ``small``: λr/λs = 4) by the product's contact solver
(:class:`solver.fem.contact.ContactProblem`, SNES ``vinewtonrsls``), at four loads
x = p̄/(E* h'_rms) = 0.02, 0.04, 0.06, 0.08 (A/A0 ≈ 4.5–17 %). κ is the least-squares slope of
A/A0 against x through the origin, per seed. Checked: 1.8 ≤ κ ≤ 2.3 for the mean over the FE seeds
(``full``: seeds 1–5) and for the FE's estimate of the surface-class mean (below); FE/BEM on the
same surfaces within 6 %.

Set-up and the choices behind it:

* **Exact lateral conditions (mirror trick).** The surface is generated periodic on the patch
  ``[0, L]²`` (L = 2 λr) and used as it is on the block ``[0, L]²`` whose lateral faces are
  symmetry planes (``u_n = 0``). That problem is *exactly* one quarter of the 2L-periodic contact
  of the surface mirrored across x = L and y = L (an even, 2L-periodic surface): no confined-die
  approximation. The mirror lines are creases of the surface (the normal slope flips there). The
  spectral BEM below solves the mirrored and the plain L-periodic surface: κ differs by
  +1.4 % ± 0.5 % (30 seeds, λr/λs = 4, x = 0.01–0.04), reported as a check of kind ``info``.
* **Surface on the FE face.** The map is generated on a grid of 48 points per λs; the face nodes
  are a subset of the grid points (``n_face = (L/λs) × elements per λs``), so every mesh sees the
  same band-limited surface. The contact bound acts at the face nodes, so the FE presses the
  bilinear interpolant of the nodal heights: h'_rms is the rms of the full gradient of *that*
  interpolant (``√⟨|∇h|²⟩`` over the face, exact per element), the slope of the surface the
  discrete problem actually contains (3.8 % below the continuum value at 4 elements per λs, →
  continuum as the mesh is refined).
* **Thickness** L, elements graded from the face (ratio 1.3, capped at 8 face elements); uniform
  pressure on top. Doubling the thickness changed the node-count areas by < 1 % at 4–6 % area
  and by ≤ 5 % (one spot more or less) at 2.5 % area (seed 1, λr/λs = 4, 4 elements per λs).
* **Contact area: lumped nodal areas with a perimeter correction.** Counting the nodal areas of
  the nodes in contact overestimates the area at coarse resolution (+30 to +45 % at 4 elements
  per λs): the discrete contact extends past the true edge. The excess is proportional to the
  length of the contact boundary times the element size (Yastrebov, Anciaux, Molinari, Tribol.
  Int. 114, 161 (2017), for BEM grids), so ``A = A_nodes − α P Δ`` with ``P`` the length of the
  grid edges between a contact and a free node (edges on the symmetry planes count half, as the
  nodal areas). α is **calibrated in the same run on Hertz contacts** (a paraboloid pressed into
  the same kind of block, spot radii 1.5–3 Δ, centres at random positions in an element; exact
  area πa²): α ≈ 0.18 for these elements. Evidence that it transfers to rough contact: (i) with
  λr/λs = 4 the corrected κ changed by 2 % (mean of 5 seeds) between 4 and 6 elements per λs, the
  node count by 6–12 %, and Richardson extrapolation of the node count (error ∝ Δ, no
  calibration) gave the same mean κ as the corrected count; (ii) the FE κ equals the BEM κ of the
  same surfaces within 3 % per seed and 1 % on the mean (below).
* **Reference on the same surfaces: spectral BEM** (Polonsky & Keer, Wear 231, 206 (1999):
  constrained conjugate gradients, periodic elastic half-space, FFT) on the mirrored surface at
  24 points per λs, area by the same perimeter-corrected count with its own Hertz-calibrated α
  (≈ 0.10). This removes the seed-to-seed scatter from the comparison and checks the FE on
  exactly the same problem. 12 points per λs give the same κ within 0.3 % (seed 1, λr/λs = 8:
  2.213 vs 2.218); 6 points per λs are 1–2 % low. The BEM at 12 points per λs over many seeds
  gives κ of the surface class.
* **Seed scatter and the class estimate.** One seed's κ scatters by 0.15, 0.11, 0.07
  (λr/λs = 4, 8, 16; x = 0.02–0.08) around the class mean: the patch holds only (L/λr)² = 4
  roll-off "macro-asperities" and the heights (H = 0.8) are dominated by them, so the scatter
  falls only slowly with L/λs and grows when L/λr shrinks (L = λr, λr/λs = 8: 0.33 against 0.16
  at x = 0.01–0.04, 9 seeds). A mean over two seeds is uncertain by ±0.11, over five by
  ±0.05–0.07. The check therefore also bounds the **FE estimate of the class mean**: (BEM class
  mean over many seeds) × (FE κ / BEM κ on the FE seeds), a control variate whose error is the
  class mean's standard error (≈ 0.02–0.03) plus the FE/BEM ratio's. ``small`` (one seed)
  checks only this estimate and reports the seed's κ; ``full`` checks both.

What κ to expect, and the choice of bandwidth and load range
------------------------------------------------------------

κ is not one number. Persson's theory gives √(8/π) ≈ 1.60 for any spectrum (Persson, J. Chem.
Phys. 115, 3840 (2001)); the asperity model of Bush, Gibson & Thomas (Wear 35, 87 (1975)) gives
√(2π) ≈ 2.51 as p̄ → 0; numerical solutions of the full elastic problem give κ ≈ 2 for broad
spectra (FE: Hyun, Pei, Molinari, Robbins, Phys. Rev. E 70, 026117 (2004); GFMD: Campañá & Müser,
EPL 77, 38005 (2007); Prodanov, Dapp, Müser, Tribol. Lett. 53, 433 (2014); the methods compared
in Müser et al., "Meeting the contact-mechanics challenge", Tribol. Lett. 65, 118 (2017)), and κ
depends on the spectral breadth through the Nayak parameter α = m0 m4/m2²: at a given
normalised pressure the area decreases logarithmically with α (Yastrebov, Anciaux, Molinari,
J. Mech. Phys. Solids 107, 469 (2017)); narrow spectra sit towards the asperity limit, and the
area–load curve is not exactly linear, so κ also depends on the load range of the fit. The lower
cutoff relative to the patch (L/λr) controls how representative a patch is (Yastrebov et al.,
Phys. Rev. E 86, 035601 (2012)).

Study with the in-script BEM (mirrored surfaces, corrected area, same code as the check; κ class
mean ± standard error, one seed's std in brackets; seeds 1..N):

=========  =====  ==========  =====================  =====================  ==============
λr/λs      Nayak  BEM per λs  x = 0.01–0.04          x = 0.02–0.08          seeds 1–5,
(L = 2λr)  α                  (A/A0 ≈ 2.3–9 %)       (A/A0 ≈ 4.5–17 %)      x = 0.02–0.08
=========  =====  ==========  =====================  =====================  ==============
4          3.9    12, N=100   2.313 ± 0.023 (0.23)   2.178 ± 0.015 (0.15)   2.177
4          3.9    6, N=100    2.280 ± 0.023          2.149 ± 0.015          2.138
8          7.9    12, N=30    2.224 ± 0.030 (0.16)   2.122 ± 0.020 (0.11)   2.179
8          7.9    6, N=60     2.172 ± 0.023          2.077 ± 0.015          2.156
16         18.4   6, N=10     2.130 ± 0.026 (0.08)   2.051 ± 0.021 (0.07)   2.049
=========  =====  ==========  =====================  =====================  ==============

Further windows (λr/λs = 4, 12 per λs): x = 0.005–0.02 (A/A0 1.3–4.8 %) 2.41, x = 0.02–0.06
2.24, x = 0.04–0.10 (9–21 %) 2.13; λr/λs = 8: 2.31, 2.17, 2.08. The secant A/(A0 x) falls
monotonically with load for every band: below A/A0 ≈ 4 % these patches hold few contact spots and
the narrow-band surfaces follow the asperity limit (κ → 2.5), above ≈ 20 % the curve bends over
towards full contact. The old set-up (λr/λs = 4, x = 0.01–0.04) has its class mean at 2.31,
*on* the upper limit of the 1.8–2.3 window: whether a few seeds pass is luck (seeds 1–5: 2.38).

Chosen: loads x = 0.02–0.08 (A/A0 ≈ 4.5–17 %, away from both ends), and for ``full`` the broadest
band a few-tens-of-minutes FE run affords, λr/λs = 8 (L = 16 λs, 3 elements per λs: 48 × 48 face
elements, 93 639 dofs, as many as the old ``full``): class mean 2.12 ± 0.02, 0.18 below the upper
limit (≈ 3.5 standard deviations of a five-seed mean); seeds 1–5 by the BEM 2.18. Broader bands
lower κ further (λr/λs = 16: 2.05) but need L = 32 λs (≈ 0.4–0.8 M dofs a seed: a cluster run).
``small`` keeps λr/λs = 4 (4 elements per λs, 35 937 dofs; CI budget ≈ 3 min): its class mean at
the same loads is 2.18 ± 0.015, 0.12 inside the window, and it checks the class estimate.

Results (κ; FE corrected / BEM on the same surface):

* ``small`` (λr/λs = 4, seed 1, 4 elements per λs, 35 937 dofs; 117 s on the 2-core box,
  serial in CI; one seed since 2026-11-23 to keep the CI suite inside its budget): FE 2.132 /
  BEM 2.151, FE/BEM 0.991; class mean (BEM, 32 seeds) 2.139 ± 0.027, FE class estimate
  **2.119** (checked, 0.18 inside the upper limit); mesh drift 3 vs 4 elements per λs 5.9 %
  (≤ 8 %); passes. With seeds 1–2 (before): 2.132 / 2.151, 2.105 / 2.051, FE/BEM 1.008, class
  estimate 2.157.
* ``full`` (λr/λs = 8, seeds 1–5, 3 elements per λs, 93 639 dofs a seed; convergence runs at 4
  elements per λs, ≈ 177 000 dofs, on seeds 1–2), measured 2026-11-23 serially
  (``python benchmarks/rough_elastic_contact.py --size full``, 58 min wall / 46 min CPU on a
  shared 2-core box): FE corrected / BEM (24 per λs): seed 1 2.245 / 2.218, seed 2 2.195 / 2.186,
  seed 3 2.271 / 2.304, seed 4 2.080 / 2.064, seed 5 2.180 / 2.154; **FE mean 2.194** (inside
  1.8–2.3), BEM mean 2.185, FE/BEM 1.004 (tol 6 %); node counts 2.66–2.92 (α_FE = 0.184 from 6
  Hertz spots); corrected κ 4/λs ÷ 3/λs 0.987 and 0.995 (mesh drift 0.9 %, tol 8 %); class mean
  (BEM, 12 per λs, 40 seeds) 2.118 ± 0.017, FE class estimate 2.127 (inside the window); force
  balance 1.8e-14; ≤ 9 Newton iterations per load. 3 elements per λs is the coarsest usable
  mesh: on λr/λs = 4, seed 1, the corrected κ at 3 per λs is 5.9 % above 4 per λs (``small``).
* Old set-up for comparison (λr/λs = 4, x = 0.01–0.04, ``full`` at 6 elements per λs, seeds
  1–5): FE 2.395, BEM 2.390, FE/BEM 1.002: the FE was right, the surface class and load range
  put κ on the edge of the window.
"""

from __future__ import annotations

import math
import time

import numpy as np

from solver.batch.bench.check import Check, bench_main
from solver.fem import contact
from solver.fem import contact_results
from solver.fem import kinematics
from solver.physics import references as refs
from solver.simulation import loadstep
from solver.surface.heightmap import HeightMap

NAME = "rough_elastic_contact"
CITATION = ("Yastrebov, Anciaux, Molinari, J. Mech. Phys. Solids 107, 469 (2017) and Tribol. Int. "
            "114, 161 (2017): A/A0 = κ p̄/(E* h'rms), κ ≈ 2; Polonsky & Keer, Wear 231, 206 "
            "(1999) (BEM reference)")

# Lithium (Masias et al., J. Mater. Sci. 54, 2585 (2019)); the benchmark is elastic and linear,
# so the result does not depend on E, on the height scale or on the length scale.
E = 7.82e9  # Pa
NU = 0.381
HURST = 0.8
SHORT = 8e-6  # m, short cutoff λs
PATCH_PER_BAND = 2  # patch size L in units of the long cutoff λr (the roll-off wavelength)
RMS_HEIGHT = 0.1e-6  # m (rms gradient ≈ 0.04: small strain)
GEN_PER = 48  # grid points per λs of the generated map; FE and BEM grids are subsets
# x = p̄/(E* h'rms): A/A0 ≈ 4.5–17 %, the range over which κ is fitted (see the docstring)
LOADS = (0.02, 0.04, 0.06, 0.08)
GRADING = 1.3
H_MAX = 8  # cap on the element height, in face elements
HERTZ_PATCH = 8  # side of the Hertz calibration block, in λs (16 elements of λs/2)
KAPPA_MIN, KAPPA_MAX = 1.8, 2.3
TOL_FE_BEM = 0.06  # relative, FE κ / BEM κ on the same seeds (see run())
BEM_PER = 24  # BEM grid points per λs for the reference on the FE seeds
CLASS_PER = 12  # BEM grid points per λs for the surface-class mean
SIZES = {
    # band: λr/λs of the surface class; FE seeds; elements per λs of the κ check; (seed, per)
    # of the mesh-convergence runs; BEM seeds of the surface-class mean and of the
    # mirrored/periodic comparison; seed_mean_checked: whether the plain mean over the FE seeds
    # is checked against the window (always reported) or only the class estimate (see run())
    "small": {"band": 4, "seeds": (1,), "per": 4, "conv": ((1, 3),), "class_seeds": 32,
              "mirror_seeds": 8, "hertz_offsets": 3, "seed_mean_checked": False},
    "full": {"band": 8, "seeds": (1, 2, 3, 4, 5), "per": 3, "conv": ((1, 4), (2, 4)),
             "class_seeds": 40, "mirror_seeds": 16, "hertz_offsets": 6,
             "seed_mean_checked": True},
}


# --------------------------------------------------------------------------------------------
# Surface
# --------------------------------------------------------------------------------------------


def patch(band: int) -> float:
    """Side L of the surface patch (m) for the class with λr/λs = ``band``: L = 2 λr."""
    return PATCH_PER_BAND * band * SHORT


def generated(seed: int, band: int) -> np.ndarray:
    """The self-affine map of ``seed`` on the generation grid (GEN_PER points per λs), class
    λr/λs = ``band`` (long cutoff λr = band λs = L/2, flat PSD plateau below it)."""
    from solver.surface import synthesis as surface
    n = PATCH_PER_BAND * band * GEN_PER
    L = patch(band)
    return surface.self_affine((n, n), (L, L), HURST, rms_height=RMS_HEIGHT, short_cutoff=SHORT,
                               long_cutoff=band * SHORT, seed=seed)


def side(h_gen: np.ndarray) -> float:
    """Side L (m) of a map on the generation grid."""
    return h_gen.shape[0] / GEN_PER * SHORT


def sampled(h_gen: np.ndarray, per: int) -> np.ndarray:
    """The map on the grid of ``per`` points per λs (a subset of the generation grid)."""
    if GEN_PER % per:
        raise ValueError(f"per={per}: must divide GEN_PER={GEN_PER}")
    stride = GEN_PER // per
    return np.ascontiguousarray(h_gen[::stride, ::stride])


def interpolant_rms_gradient(h: np.ndarray, spacing: float) -> float:
    """√⟨|∇h|²⟩ of the bilinear interpolant of a periodic grid map (exact per element).

    On an element with x-differences ``a`` (bottom edge) and ``b`` (top edge), ∂h/∂x varies
    linearly across the element and ⟨(∂h/∂x)²⟩ = (a² + ab + b²)/3; the same for y.
    """
    a = (np.roll(h, -1, 0) - h) / spacing
    b = np.roll(a, -1, 1)
    c = (np.roll(h, -1, 1) - h) / spacing
    d = np.roll(c, -1, 0)
    return math.sqrt(float(np.mean((a * a + a * b + b * b + c * c + c * d + d * d) / 3.0)))


def with_end_nodes(h: np.ndarray) -> np.ndarray:
    """(n, n) periodic map → (n+1, n+1) values at the nodes of [0, L]² (last = first)."""
    n0, n1 = h.shape
    out = np.empty((n0 + 1, n1 + 1))
    out[:n0, :n1] = h
    out[n0, :n1] = h[0, :]
    out[:, n1] = out[:, 0]
    return out


# --------------------------------------------------------------------------------------------
# Contact area on a grid of nodes
# --------------------------------------------------------------------------------------------


def staircase_perimeter(contact: np.ndarray, spacing: float, symmetric: bool) -> float:
    """Length of the grid edges joining a node in contact and a free node (m).

    ``symmetric``: the grid holds the nodes of a face whose boundary lines are symmetry planes;
    edges lying on a boundary line count half (they are shared with the mirror image, as the
    lumped nodal areas there are half). Otherwise the grid is periodic and wraps around.
    """
    c = np.asarray(contact, dtype=bool)
    if not symmetric:
        n = np.count_nonzero(c != np.roll(c, 1, 0)) + np.count_nonzero(c != np.roll(c, 1, 1))
        return float(n) * spacing
    ex = (c[1:, :] != c[:-1, :]).astype(float)
    ex[:, 0] *= 0.5
    ex[:, -1] *= 0.5
    ey = (c[:, 1:] != c[:, :-1]).astype(float)
    ey[0, :] *= 0.5
    ey[-1, :] *= 0.5
    return float(ex.sum() + ey.sum()) * spacing


def corrected_area(node_area: float, perimeter: float, spacing: float, alpha: float) -> float:
    """Contact area from lumped nodal areas less the boundary excess ``α P Δ``."""
    return node_area - alpha * perimeter * spacing


def slope_through_origin(x, y) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(x * np.asarray(y, dtype=float)) / np.sum(x * x))


# --------------------------------------------------------------------------------------------
# Spectral BEM (periodic elastic half-space against a rigid surface)
# --------------------------------------------------------------------------------------------


def mirror(hn: np.ndarray) -> np.ndarray:
    """Node values on [0, L]² ((n+1)²) → the (2n)² periodic map of the surface mirrored across
    x = L and y = L."""
    n = hn.shape[0] - 1
    idx = np.concatenate([np.arange(n + 1), np.arange(n - 1, 0, -1)])
    return hn[np.ix_(idx, idx)]


def bem_solve(h: np.ndarray, size: float, E_star: float, p_mean: float, p0=None,
              rtol: float = 1e-9, max_it: int = 10000, thickness: float = math.inf):
    """Frictionless contact of a flat elastic half-space pressed with mean pressure ``p_mean``
    onto the rigid periodic surface ``h`` (square grid, period ``size``): Polonsky & Keer's
    constrained conjugate gradients. Returns the pressure on the grid points (Pa).
    ``thickness``: an elastic layer of that thickness on a frictionless rigid base (lamina's
    block under its platen) instead of the half-space: each mode's compliance times
    :func:`solver.physics.references.layer_compliance_factor`."""
    n0, n1 = h.shape
    qx = 2 * np.pi * np.fft.fftfreq(n0, size / n0)
    qy = 2 * np.pi * np.fft.rfftfreq(n1, size / n1)
    q = np.hypot(qx[:, None], qy[None, :])
    green = np.zeros_like(q)
    # surface displacement per unit pressure mode
    green[q > 0] = 2.0 / (E_star * q[q > 0]) * refs.layer_compliance_factor(q[q > 0], thickness)

    def compliance(p):
        return np.fft.irfft2(np.fft.rfft2(p) * green, s=(n0, n1))

    p = np.full(h.shape, p_mean) if p0 is None else p0 * (p_mean / p0.mean())
    t = np.zeros_like(h)
    g_old, delta = 1.0, 0.0
    for it in range(max_it):
        gap = compliance(p) - h
        inside = p > 0
        gap -= gap[inside].mean()
        G = float(np.sum(gap[inside] ** 2))
        t[inside] = gap[inside] + delta * (G / g_old) * t[inside]
        t[~inside] = 0.0
        g_old = G
        r = compliance(t)
        r -= r[inside].mean()
        denom = float(np.sum(r[inside] * t[inside]))
        tau = float(np.sum(gap[inside] * t[inside])) / denom if denom != 0 else 0.0
        p_prev = p.copy()
        p[inside] -= tau * t[inside]
        p[p < 0] = 0.0
        overlap = (p == 0) & (gap < 0)
        if np.any(overlap):
            delta = 0.0
            p[overlap] -= tau * gap[overlap]
        else:
            delta = 1.0
        p *= p_mean / p.mean()
        if it > 2 and np.sum(np.abs(p - p_prev)) <= rtol * np.sum(p):
            return p
    raise RuntimeError(f"BEM: no convergence in {max_it} iterations")


def bem_hertz_alpha(n_offsets: int, E_star: float, rng) -> tuple[float, float]:
    """α of the BEM's node count from Hertz spots (a = 1.5–4 grid spacings, random centres);
    returns (α, mean A_nodes/πa²)."""
    n, d, R = 48, 1.0, 1000.0
    num = den = 0.0
    ratios = []
    for _ in range(n_offsets):
        ox, oy = rng.random(2)
        x = (np.arange(n) - n / 2 - ox) * d
        y = (np.arange(n) - n / 2 - oy) * d
        h = -(x[:, None] ** 2 + y[None, :] ** 2) / (2 * R)
        p = None
        for a in (1.5, 2.0, 2.5, 3.0, 4.0):
            P = 4 * E_star * (a * d) ** 3 / (3 * R)
            p = bem_solve(h, n * d, E_star, P / (n * d) ** 2, p0=p)
            c = p > 0
            excess = c.sum() * d * d - math.pi * (a * d) ** 2
            per = staircase_perimeter(c, d, symmetric=False)
            num += excess * per * d
            den += (per * d) ** 2
            ratios.append(c.sum() * d * d / (math.pi * (a * d) ** 2))
    return num / den, float(np.mean(ratios))


def bem_kappa(h_gen: np.ndarray, per: int, E_star: float, alpha: float,
              mirrored: bool = True) -> dict:
    """κ of one surface by the BEM at ``per`` points per λs (mirrored 2L cell, or the L-periodic
    map): fit through the origin of the perimeter-corrected area fractions at LOADS."""
    L = side(h_gen)
    h = sampled(h_gen, per)
    n = h.shape[0]
    d = L / n
    slope = interpolant_rms_gradient(h, d)
    grid, size = (mirror(with_end_nodes(h)), 2 * L) if mirrored else (h, L)
    p = None
    fractions = []
    for x in LOADS:
        p = bem_solve(grid, size, E_star, x * E_star * slope, p0=p)
        c = p > 0
        per_len = staircase_perimeter(c, d, symmetric=False)
        fractions.append(corrected_area(c.sum() * d * d, per_len, d, alpha) / size**2)
    return {"kappa": slope_through_origin(LOADS, fractions), "fractions": fractions,
            "slope": slope}


# --------------------------------------------------------------------------------------------
# FE
# --------------------------------------------------------------------------------------------


def face_contact(cp, state, n: int, spacing: float) -> np.ndarray:
    """The contact indicator of all face nodes as an (n+1, n+1) grid (collective)."""
    parts = cp.comm.allgather((state.points[:, :2], state.in_contact))
    pts = np.concatenate([p[0] for p in parts])
    inc = np.concatenate([p[1] for p in parts])
    out = np.zeros((n + 1, n + 1), dtype=bool)
    out[np.rint(pts[:, 0] / spacing).astype(int), np.rint(pts[:, 1] / spacing).astype(int)] = inc
    return out


def fe_block(comm, L: float, n: int, z0: float):
    from solver.fem import mesh as geometry
    d = L / n
    return geometry.lithium_block_3d(comm, (L, L), L, d, (n, n), GRADING, z0=z0, h_max=H_MAX * d)


def fe_hertz_alpha(comm, n_offsets: int, rng) -> tuple[float, float]:
    """α of the FE node count from Hertz spots: a paraboloid pressed into a 16 × 16-element
    block of the rough benchmark's kind (spot radius a = 1.5–3 elements, centre at a random
    point of a central element; block 16 elements wide and thick, so the mirror images and the
    finite thickness change a by < 0.5 %). Returns (α, mean A_nodes/πa²)."""
    n, R = 16, 1e-3
    L = HERTZ_PATCH * SHORT
    d = L / n
    mat = kinematics.LinearElastic(E, NU)
    block = fe_block(comm, L, n, 0.0)
    num = den = 0.0
    ratios = []
    for k in range(n_offsets):
        cx, cy = (L / 2 + v * d for v in rng.random(2))

        def sphere(x, y, cx=cx, cy=cy):
            return -((x - cx) ** 2 + (y - cy) ** 2) / (2 * R)

        cp = contact.ContactProblem(block, sphere, mat.stress, prefix=f"rough_hertz{k}_")
        for a in (1.5, 2.0, 2.5, 3.0):
            P = 4 * mat.E_star * (a * d) ** 3 / (3 * R)
            loadstep.solve_load_step(cp, P / L**2)
            st = contact_results.contact_state(cp)
            c = face_contact(cp, st, n, d)
            excess = st.fraction * L**2 - math.pi * (a * d) ** 2
            per = staircase_perimeter(c, d, symmetric=True)
            num += excess * per * d
            den += (per * d) ** 2
            ratios.append(st.fraction * L**2 / (math.pi * (a * d) ** 2))
    return num / den, float(np.mean(ratios))


def fe_rough(comm, h_gen: np.ndarray, per: int, seed: int, alpha: float) -> dict:
    """Press one surface at LOADS; the area fractions (node count and corrected) per load."""
    L = side(h_gen)
    h = sampled(h_gen, per)
    n = h.shape[0]
    d = L / n
    slope = interpolant_rms_gradient(h, d)
    mat = kinematics.LinearElastic(E, NU)
    block = fe_block(comm, L, n, float(h.max()))
    cp = contact.ContactProblem(block, HeightMap(h, (L, L)), mat.stress,
                                  prefix=f"rough_s{seed}_n{n}_")
    rows = []
    t0 = time.perf_counter()
    for x in LOADS:
        step = loadstep.solve_load_step(cp, x * mat.E_star * slope)
        st = contact_results.contact_state(cp)
        c = face_contact(cp, st, n, d)
        per_len = staircase_perimeter(c, d, symmetric=True)
        rows.append({"x": x, "nodes": st.fraction,
                     "corrected": corrected_area(st.fraction * L**2, per_len, d, alpha) / L**2,
                     "perimeter_per_area": per_len / (st.fraction * L**2) if st.fraction else 0,
                     "iterations": step.iterations,
                     "force_error": abs(st.force / (x * mat.E_star * slope * L**2) - 1)})
    return {"seed": seed, "per": per, "n_face": n, "slope": slope, "rows": rows,
            "dofs": cp.V.dofmap.index_map.size_global * cp.V.dofmap.index_map_bs,
            "wall_s": time.perf_counter() - t0,
            "kappa_nodes": slope_through_origin(LOADS, [r["nodes"] for r in rows]),
            "kappa": slope_through_origin(LOADS, [r["corrected"] for r in rows])}


# --------------------------------------------------------------------------------------------


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    band = cfg["band"]
    E_star = kinematics.LinearElastic(E, NU).E_star
    rng = np.random.default_rng(20170469)

    alpha_fe, hertz_fe = fe_hertz_alpha(comm, cfg["hertz_offsets"], rng)
    fe = {}
    for seed, per in [(s, cfg["per"]) for s in cfg["seeds"]] + list(cfg["conv"]):
        fe[(seed, per)] = fe_rough(comm, generated(seed, band), per, seed, alpha_fe)

    # The BEM is serial numpy: rank 0 computes, the others receive.
    bem = None
    if comm.rank == 0:
        alpha_bem, hertz_bem = bem_hertz_alpha(16, E_star, np.random.default_rng(1))
        ref = {s: bem_kappa(generated(s, band), BEM_PER, E_star, alpha_bem)
               for s in cfg["seeds"]}
        klass = [bem_kappa(generated(s, band), CLASS_PER, E_star, alpha_bem)["kappa"]
                 for s in range(1, cfg["class_seeds"] + 1)]
        ratio = [klass[s - 1] / bem_kappa(generated(s, band), CLASS_PER, E_star, alpha_bem,
                                          mirrored=False)["kappa"]
                 for s in range(1, cfg["mirror_seeds"] + 1)]
        bem = (alpha_bem, hertz_bem, ref, klass, ratio)
    alpha_bem, hertz_bem, ref, klass, ratio = comm.bcast(bem, root=0)

    per = cfg["per"]
    finest = [fe[(s, per)] for s in cfg["seeds"]]
    kappa = float(np.mean([r["kappa"] for r in finest]))
    kappa_bem = float(np.mean([ref[s]["kappa"] for s in cfg["seeds"]]))
    klass_mean = float(np.mean(klass))
    # The FE's κ of the surface class with the seed scatter removed (control variate): the BEM
    # class mean times the FE/BEM ratio on the FE seeds. Its error is the class mean's standard
    # error (≈ 0.02–0.03) plus the FE/BEM ratio's, not one seed's scatter (0.1–0.15 for these
    # patches, which a mean over two seeds cannot average out).
    kappa_class_fe = klass_mean * kappa / kappa_bem
    checks = [
        Check("α of the FE node count (Hertz calibration)", alpha_fe, kind="info"),
        Check("FE Hertz: lumped node area / πa² (mean, a = 1.5–3 Δ)", hertz_fe, kind="info"),
        Check("α of the BEM node count (Hertz calibration)", alpha_bem, kind="info"),
        Check("BEM Hertz: node area / πa² (mean, a = 1.5–4 Δ)", hertz_bem, kind="info"),
    ]
    for r in finest:
        checks.append(Check(f"κ seed {r['seed']} (FE, {per}/λs, corrected)", r["kappa"],
                            kind="info"))
        checks.append(Check(f"κ seed {r['seed']} (FE, {per}/λs, node count)",
                            r["kappa_nodes"], kind="info"))
        checks.append(Check(f"κ seed {r['seed']} (BEM, {BEM_PER}/λs, corrected)",
                            ref[r["seed"]]["kappa"], kind="info"))
    seeds = ",".join(str(v) for v in cfg["seeds"])
    what = f"κ mean over seeds {seeds} (FE, λr/λs = {band})"
    if cfg["seed_mean_checked"]:
        checks.append(Check(f"{what} ≥ {KAPPA_MIN}", kappa, tolerance=KAPPA_MIN, kind="min"))
        checks.append(Check(f"{what} ≤ {KAPPA_MAX}", kappa, tolerance=KAPPA_MAX, kind="max"))
    else:
        checks.append(Check(what, kappa, kind="info"))
    checks.append(Check("κ mean over the same seeds (BEM)", kappa_bem, kind="info"))
    # FE vs BEM on the same surfaces. Tolerance: α_FE is known to ≈ ±10 % (lattice scatter of
    # the Hertz calibration) and the correction is ≈ 30–40 % of the node count at 3–4 elements
    # per λs, i.e. ±3–4 % on κ; BEM discretisation ±1 %; FE thickness ±1 %.
    checks.append(Check("κ FE / κ BEM, same seeds", kappa / kappa_bem, 1.0, TOL_FE_BEM, "rel"))
    checks.append(Check(f"κ of the surface class (BEM, {CLASS_PER}/λs, {len(klass)} seeds, mean)",
                        klass_mean, kind="info"))
    checks.append(Check("  its standard error", float(np.std(klass, ddof=1)
                                                     / math.sqrt(len(klass))), kind="info"))
    checks.append(Check("  one seed's standard deviation", float(np.std(klass, ddof=1)),
                        kind="info"))
    what = "κ of the surface class, FE estimate (class BEM × FE/BEM)"
    checks.append(Check(f"{what} ≥ {KAPPA_MIN}", kappa_class_fe, tolerance=KAPPA_MIN,
                        kind="min"))
    checks.append(Check(f"{what} ≤ {KAPPA_MAX}", kappa_class_fe, tolerance=KAPPA_MAX,
                        kind="max"))
    checks.append(Check(f"κ mirrored / κ periodic surface (BEM, {len(ratio)} seeds)",
                        float(np.mean(ratio)), kind="info"))

    # Mesh convergence: the same seeds on a second mesh (coarser or finer).
    for seed, cper in cfg["conv"]:
        c, f = fe[(seed, cper)], fe[(seed, per)]
        checks.append(Check(f"seed {seed}: κ corrected {cper}/λs ÷ {per}/λs", c["kappa"]
                            / f["kappa"], kind="info"))
        checks.append(Check(f"seed {seed}: κ node count {cper}/λs ÷ {per}/λs",
                            c["kappa_nodes"] / f["kappa_nodes"], kind="info"))
    pairs = [(fe[(s, cp_)], fe[(s, per)]) for s, cp_ in cfg["conv"]]
    # Richardson extrapolation of the uncorrected node count, error ∝ Δ ∝ 1/per (no α).
    rich = [(f["per"] * f["kappa_nodes"] - c["per"] * c["kappa_nodes"]) / (f["per"] - c["per"])
            for c, f in pairs]
    checks.append(Check(f"κ node count extrapolated to Δ → 0 (mean of {len(rich)})",
                        float(np.mean(rich)), kind="info"))
    checks.append(Check("  the corrected κ of the same seeds",
                        float(np.mean([f["kappa"] for _, f in pairs])), kind="info"))
    drift = float(np.mean([abs(c["kappa"] / f["kappa"] - 1) for c, f in pairs]))
    checks.append(Check("mesh drift of corrected κ, mean |other mesh/κ-check mesh − 1|", drift,
                        tolerance=0.08, kind="max"))

    # The area–load curve of the κ-check mesh, mean over the seeds.
    mean_frac = np.mean([[row["corrected"] for row in r["rows"]] for r in finest], axis=0)
    mean_nodes = np.mean([[row["nodes"] for row in r["rows"]] for r in finest], axis=0)
    for x, a, b in zip(LOADS, mean_frac, mean_nodes, strict=True):
        checks.append(Check(f"A/A0 at p̄/(E*h')={x:g} (corrected; node count {b:.4f})",
                            float(a), kind="info"))
    checks.append(Check(
        "A/A0 ÷ (2 p̄/(E*h')), largest load", float(mean_frac[-1] / (2.0 * LOADS[-1])),
        kind="info",
        curve={"x": list(LOADS), "computed": [float(v) for v in mean_frac],
               "reference": [2.0 * x for x in LOADS],
               "xlabel": "p̄/(E* h'rms)", "ylabel": "A/A0 (FE, corrected; reference κ = 2)"}))
    iters = [row["iterations"] for r in fe.values() for row in r["rows"]]
    checks.append(Check("Newton iterations per load (max)", float(max(iters)), kind="info"))
    checks.append(Check("contact force / applied load − 1 (max)",
                        max(row["force_error"] for r in fe.values() for row in r["rows"]),
                        tolerance=1e-6, kind="max"))
    checks.append(Check(f"h'rms interpolant / continuum-like ({per} vs {GEN_PER}/λs), seed "
                        f"{cfg['seeds'][0]}",
                        finest[0]["slope"] / interpolant_rms_gradient(
                            generated(cfg["seeds"][0], band), SHORT / GEN_PER), kind="info"))
    checks.append(Check(f"FE dofs at {per}/λs", float(finest[0]["dofs"]), kind="info"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
