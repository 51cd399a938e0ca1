"""Current through the pressed interface: potential problems with contact-dependent interface laws.

Physics only: forms, solver set-up through option presets, and metrics read back from a solution.
No configuration parsing, no file writing.

Two interface models, one problem class (:class:`CurrentProblem`):

* **Electronic Li|Cu** (:class:`FilmInterface`): the potential φ lives in the lithium body
  (conductivity σ_Li), the copper below is an equipotential at φ = 0. On the contact face the
  current density leaving the lithium is ``j = G(x)·(φ − 0)`` (Robin condition) with
  ``G = laws.film_conductance(p, g, FilmParams)`` taken from the contact map: ``1/R_film`` in
  contact (optionally pressure dependent), 0 (or decaying with the gap) elsewhere.
* **Ionic Li|SE and anode-less Cu|SE** (:class:`KineticInterface`): the solid electrolyte
  (ionic conductivity κ) is the meshed body, the metal is an equipotential at φ_metal = 0. On the
  contact spots the current density entering the electrolyte is Butler–Volmer,
  ``j = A(x)·i_BV(η)``, ``η = φ_metal − φ_SE`` (anodic = stripping positive), with ``A`` the
  fraction of the face in contact (the nearest-node indicator of the map); no current elsewhere.
  Nonlinear: SNES ``newtonls`` with its own prefix; the converged reason is checked.
  **Anode-less Cu|SE** adds a nucleation overpotential η_n (:class:`Kinetics`
  ``eta_nucleation``). Model chosen here, a *dead band*: the kinetics see only the excess
  overpotential ``η_ex = sign(η)·max(|η| − η_n, 0)``, ``j = i_BV(η_ex)``: no current (no plating,
  no stripping) while ``|η| ≤ η_n``, Butler–Volmer shifted by η_n beyond. The kink at ±η_n is
  smoothed over ``smoothing`` (default 1 mV):
  ``η_ex = δ [s((η − η_n)/δ) − s((−η − η_n)/δ)]``, ``s(x) = ln(1 + eˣ)``, so that Newton sees a
  C∞ law; the leakage inside the band is ``≤ i_BV(δ e^{−η_n/δ})``.

Counter electrode (the ``counter`` facet markers, default :data:`geometry.TOP`): either an applied
mean current density ``J`` (galvanostatic: uniform flux ``I/A_counter``, ``I = J·A_face``) or an
applied voltage ``V`` (potentiostatic: Dirichlet). In both cases the *potential drop* ``ΔV`` is
taken in the direction of the current — electronic: ``φ_counter − φ_Cu``; ionic:
``φ_metal − φ_counter`` — with ``φ_counter`` the area mean over the counter faces (the
energy-consistent voltage when the counter flux is uniform: ``I·ΔV = ∫ J φ``).

Area-specific resistance: ``ASR = ΔV/J − t/c`` (Ω·m²), the measured resistance per nominal area
minus the bulk resistance of a perfect interface (``t`` the thickness between face and counter,
``c`` = σ or κ); ``asr_cm2 = 1e4·ASR``.

**Reference geometry.** The potential problem is solved on the undeformed block (the face flat at
its reference height). The pressed face moves by ``u ≈`` a few rms heights, so the bulk term
``t/c`` is off by ``O(u/t)``, and the field near the spots sees a face tilted by the surface
slope. Default case (rms height 0.3 µm, peak-to-valley ≈ 1.5 µm, rms slope 0.10, thickness
50 µm): ``u/t ≲ 3 %`` of the bulk term, which for lithium is ``t/σ = 4.5e-12`` Ω·m², ≈ 1e-10 of a
1e-4 Ω·m² film ASR. Measured on a default-like surface (128² map, seed 1, contact = the top 5 % or
20 % of the heights; 64² × 20 hexahedra): mapping the face onto the surface instead of keeping it
flat changes the ASR by +0.09 % (Li|Cu film: the tilted spots' extra area) and by +0.14 %/+0.17 %
(Li|SE, κ = 0.1 S/m, i₀ = 10 A/m², J = 1 A/m²: the constriction through the asperities), i.e.
O(slope²). The flat reference face is well inside the other modelling errors.

Face fields from a contact map (:func:`face_field_from_map`): the map's in_contact (nearest grid
point), pressure and gap (periodic bilinear) are sampled at ``samples²`` equal-area points of each
face facet, the interface law is evaluated at each point, and the facet mean is stored in a DG0
function (the conductance of parallel strips adds, so the mean conductance is the right facet
value). Grid convention of :mod:`solver.simulation.contactmap`: ``x_i = i·Lx/nx``.

Metrics (:func:`current_metrics`) work on the local current density on the surface grid
(:meth:`CurrentProblem.current_map`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from solver.simulation import contactmap

from solver.fem import mesh as geometry

from solver.physics import laws
from solver.errors import InputError, SolveError
from solver.fem.backend import import_dolfinx
from solver.fem.petsc import GAMG_CG, LINEAR_LU, preset
from solver.fem.petsc import apply as apply_options

KINDS = ("plane_strain", "axisymmetric", "3d")

#: Linear (electronic) potential problem: direct solve. The interface term ``G φ v`` is tiny next
#: to ``σ ∇φ·∇v`` for lithium (σh ≈ 1 against G h² ≈ 1e-10 S), harmless for LU.
CURRENT_LINEAR: dict[str, object] = preset(LINEAR_LU)

#: The same for 3D blocks too large for LU: CG + smoothed-aggregation AMG (a scalar Laplacian).
CURRENT_LINEAR_GAMG: dict[str, object] = preset(GAMG_CG)

#: Butler–Volmer potential problem: Newton with backtracking (the exponentials overshoot from a
#: far iterate), direct linear solves. :class:`CurrentProblem` adds an absolute residual
#: tolerance ∝ the current scale (A).
CURRENT_NEWTON: dict[str, object] = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_rtol": 1.0e-10,
    "snes_stol": 1.0e-14,
    "snes_max_it": 50,
    **LINEAR_LU,
}


# ---------------------------------------------------------------------------------------------
# Interface models
# ---------------------------------------------------------------------------------------------


def _positive(what: str, value, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}={value!r}: must be a number > 0 ({unit})") from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{what}={value!r}: must be finite and > 0 ({unit})")
    return v


@dataclass(frozen=True, slots=True)
class FilmInterface:
    """Electronic Li|Cu contact: lithium body of conductivity ``sigma`` (S/m), copper at φ = 0,
    interface conductance ``G = laws.film_conductance(p, g, film)`` (S/m²)."""

    sigma: float
    film: laws.FilmParams

    def __post_init__(self):
        object.__setattr__(self, "sigma", _positive("sigma (lithium conductivity)", self.sigma,
                                                    "S/m"))
        if not isinstance(self.film, laws.FilmParams):
            raise InputError(f"film={self.film!r}: must be a solver.physics.laws.FilmParams")

    @property
    def conductivity(self) -> float:
        return self.sigma


@dataclass(frozen=True, slots=True)
class Kinetics:
    """Butler–Volmer kinetics with an optional nucleation dead band (see the module docstring).

    Attributes:
        i0: exchange current density, A/m² (> 0); 1 mA/cm² = 10 A/m².
        alpha_a, alpha_c: anodic and cathodic transfer coefficients (> 0).
        T: temperature, K (> 0).
        eta_nucleation: nucleation overpotential η_n, V (≥ 0; 0: plain Butler–Volmer, Li|SE).
        smoothing: width δ of the smoothed dead band, V (> 0; used only when η_n > 0).
    """

    i0: float
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    T: float = 298.15
    eta_nucleation: float = 0.0
    smoothing: float = 1.0e-3

    def __post_init__(self):
        object.__setattr__(self, "i0", _positive("i0 (exchange current density)", self.i0,
                                                 "A/m^2"))
        for name in ("alpha_a", "alpha_c", "T", "smoothing"):
            object.__setattr__(self, name, _positive(name, getattr(self, name),
                                                     "K" if name == "T" else
                                                     ("V" if name == "smoothing" else "1")))
        eta_n = float(self.eta_nucleation)
        if not (math.isfinite(eta_n) and eta_n >= 0):
            raise InputError(f"eta_nucleation={self.eta_nucleation!r}: must be finite and >= 0 (V)")
        object.__setattr__(self, "eta_nucleation", eta_n)

    @property
    def f(self) -> float:
        """F/(RT), 1/V."""
        return laws.FARADAY / (laws.GAS_CONSTANT * self.T)

    @property
    def R_ct(self) -> float:
        """Linearised charge-transfer resistance RT/(F i0 (αa+αc)), Ω·m² (no dead band)."""
        return float(laws.linearised_charge_transfer_resistance(self.i0, self.alpha_a,
                                                                self.alpha_c, self.T))

    def excess_overpotential(self, eta):
        """η_ex(η) of the (smoothed) dead band; η itself when η_n = 0 (numpy)."""
        eta = np.asarray(eta, dtype=float)
        if self.eta_nucleation == 0:
            return eta
        d, en = self.smoothing, self.eta_nucleation
        return d * (np.logaddexp(0.0, (eta - en) / d) - np.logaddexp(0.0, (-eta - en) / d))

    def current(self, eta):
        """Current density (A/m², anodic positive) at overpotential η (V), numpy."""
        return laws.butler_volmer(self.excess_overpotential(eta), self.i0, self.alpha_a,
                                  self.alpha_c, self.T)

    def ufl_current(self, eta):
        """The same law as a UFL expression of η."""
        import ufl

        if self.eta_nucleation > 0:
            d, en = self.smoothing, self.eta_nucleation

            def softplus(x):  # ln(1 + eˣ) without overflow
                return ufl.max_value(x, 0.0) + ufl.ln(1.0 + ufl.exp(-abs(x)))

            eta = d * (softplus((eta - en) / d) - softplus((-eta - en) / d))
        f = self.f
        return self.i0 * (ufl.exp(self.alpha_a * f * eta) - ufl.exp(-self.alpha_c * f * eta))

    def overpotential(self, j: float) -> float:
        """The η at which :meth:`current` equals ``j`` (A/m²); scalar inverse (monotone law)."""
        from scipy.optimize import brentq

        if j == 0:
            return 0.0
        s = math.copysign(1.0, j)
        hi = self.eta_nucleation + 1e-3
        while abs(float(self.current(s * hi))) < abs(j):
            hi *= 2.0
            if hi > 50.0:
                raise InputError(f"current density {j:.4g} A/m^2: needs an overpotential > 50 V "
                                 f"with i0 = {self.i0:.4g} A/m^2")
        return float(brentq(lambda e: float(self.current(e)) - j, *sorted((0.0, s * hi)),
                            xtol=1e-15, rtol=1e-14, maxiter=500))


@dataclass(frozen=True, slots=True)
class KineticInterface:
    """Ionic Li|SE (or anode-less Cu|SE) contact: electrolyte body of ionic conductivity
    ``kappa`` (S/m), metal at φ = 0, Butler–Volmer ``kinetics`` on the contact spots."""

    kappa: float
    kinetics: Kinetics

    def __post_init__(self):
        object.__setattr__(self, "kappa", _positive("kappa (ionic conductivity)", self.kappa,
                                                    "S/m"))
        if not isinstance(self.kinetics, Kinetics):
            raise InputError(f"kinetics={self.kinetics!r}: must be a solver.fem.potential.Kinetics")

    @property
    def conductivity(self) -> float:
        return self.kappa


# ---------------------------------------------------------------------------------------------
# Contact maps on the face
# ---------------------------------------------------------------------------------------------


class MapStep(NamedTuple):
    """One step of a contact map on its surface grid (arrays ``(nx, ny)``)."""

    in_contact: np.ndarray
    pressure: np.ndarray
    gap: np.ndarray
    physical_sizes: tuple[float, float]

    @property
    def shape(self) -> tuple[int, int]:
        return self.in_contact.shape

    @property
    def cell_area(self) -> float:
        """Area of one grid cell (m²; per unit depth, m, for a profile ``ny = 1``)."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        return (Lx / nx) * (Ly / ny if ny > 1 else 1.0)

    def grid_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Lateral coordinates ``(X, Y)`` (arrays (nx, ny)) of the grid points, ``x_i = i·Lx/nx``."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        x = np.arange(nx) * Lx / nx
        y = np.arange(ny) * Ly / ny if ny > 1 else np.zeros(1)
        return tuple(np.meshgrid(x, y, indexing="ij"))

    def sample(self, quantity: str, x: np.ndarray, y: np.ndarray | None = None,
               film: laws.FilmParams | None = None) -> np.ndarray:
        """Values at lateral points (periodic): ``"in_contact"`` (nearest grid point, 0/1),
        ``"pressure"``/``"gap"`` (bilinear), ``"conductance"`` (film law on those, needs
        ``film``)."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        x = np.asarray(x, dtype=float)
        y = np.zeros_like(x) if (y is None or ny == 1) else np.asarray(y, dtype=float)
        if quantity == "in_contact":
            i = np.rint(x / Lx * nx).astype(np.int64) % nx
            j = np.rint(y / Ly * ny).astype(np.int64) % ny if ny > 1 else np.zeros_like(i)
            return self.in_contact[i, j].astype(float)
        if quantity in ("pressure", "gap"):
            field = getattr(self, quantity)
            if ny == 1:
                return geometry.SurfaceHeights(field[:, 0], (Lx,))(x)
            return geometry.SurfaceHeights(field, (Lx, Ly))(x, y)
        if quantity == "conductance":
            if film is None:
                raise InputError("face field 'conductance': needs the film parameters")
            inc = self.sample("in_contact", x, y) > 0.5
            p = self.sample("pressure", x, y)
            g = self.sample("gap", x, y)
            # in contact: g = 0 (closed film); out of contact: open, g > 0 even where the
            # bilinear gap is 0 next to a contact edge
            g_eff = np.where(inc, 0.0, np.maximum(g, np.finfo(float).tiny))
            return laws.film_conductance(p, g_eff, film)
        raise InputError(f"face field quantity={quantity!r}: allowed 'in_contact', 'pressure', "
                         "'gap', 'conductance'")


def map_step(maps, step: int, *, heights=None, physical_sizes=None,
             source: str = "contact map") -> MapStep:
    """Step ``step`` of contact maps: a :class:`solver.simulation.contactmap.ContactMaps` (as the press
    cycle fills it) or its arrays (``contact_maps.npz``, :func:`solver.simulation.contactmap.load`).

    With ``heights`` (and ``physical_sizes``) the map must have been made on that surface grid
    (:func:`solver.simulation.contactmap.check_matches`); InputError otherwise, and for a step out of range.
    """
    if isinstance(maps, contactmap.ContactMaps):
        maps = {"in_contact": maps.in_contact, "pressure": maps.pressure, "gap": maps.gap,
                "physical_sizes": np.asarray(maps.physical_sizes, dtype=float),
                "heights": maps.heights, "surface_sha256": np.array(maps.surface_sha256)}
    for key in ("in_contact", "pressure", "gap", "physical_sizes"):
        if key not in maps:
            raise InputError(f"{source}: missing array '{key}'")
    if heights is not None:
        sizes = maps["physical_sizes"] if physical_sizes is None else physical_sizes
        contactmap.check_matches(maps, heights, sizes, source)
    n = len(maps["in_contact"])
    if not (isinstance(step, (int, np.integer)) and -n <= step < n):
        raise InputError(f"{source}: step={step!r}; the map has {n} steps (0 … {n - 1})")
    inc = np.asarray(maps["in_contact"][step], dtype=bool)
    p = np.asarray(maps["pressure"][step], dtype=float)
    g = np.asarray(maps["gap"][step], dtype=float)
    if inc.ndim == 1:
        inc, p, g = inc[:, None], p[:, None], g[:, None]
    if not (inc.shape == p.shape == g.shape):
        raise InputError(f"{source}: in_contact {inc.shape}, pressure {p.shape}, gap {g.shape} "
                         "differ in shape")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
        raise InputError(f"{source}: step {step} has non-finite pressure or gap")
    Lx, Ly = (float(v) for v in np.asarray(maps["physical_sizes"], dtype=float).ravel()[:2])
    return MapStep(inc, p, g, (Lx, Ly))


def _facet_samples(mesh, facets: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-area sample points of each facet: ``(points (nf, k, 3), weights (nf, k))``.

    Intervals: ``samples`` midpoints; quadrilaterals: ``samples²`` points of the bilinear map;
    triangles: the centroids of the ``samples²`` congruent sub-triangles. Weights are equal
    (sub-areas of affine facets) — the axisymmetric 2πr is applied by the caller.
    """
    dolfinx = import_dolfinx()
    fdim = mesh.topology.dim - 1
    k = int(samples)
    geo = dolfinx.mesh.entities_to_geometry(mesh, fdim, facets)
    X = mesh.geometry.x[geo]  # (nf, nv, 3)
    nv = X.shape[1]
    s = (np.arange(k) + 0.5) / k
    if fdim == 1:  # interval
        lam = np.stack([1 - s, s], axis=1)  # (k, 2)
    elif nv == 4:  # quadrilateral, tensor-product vertex order
        S, T = (a.ravel() for a in np.meshgrid(s, s, indexing="ij"))
        lam = np.stack([(1 - S) * (1 - T), S * (1 - T), (1 - S) * T, S * T], axis=1)
    elif nv == 3:  # triangle
        pts = []
        for i in range(k):
            for j in range(k - i):
                pts.append(((i + 1 / 3) / k, (j + 1 / 3) / k))
                if i + j <= k - 2:
                    pts.append(((i + 2 / 3) / k, (j + 2 / 3) / k))
        b = np.array(pts)
        lam = np.stack([1 - b[:, 0] - b[:, 1], b[:, 0], b[:, 1]], axis=1)
    else:
        raise InputError(f"face facets with {nv} vertices: only intervals, triangles and "
                         "quadrilaterals (affine geometry) are supported")
    points = np.einsum("kv,fvd->fkd", lam, X)
    return points, np.ones(points.shape[:2])


def face_field(target, facets: np.ndarray, values: Callable, *, kind: str = "3d",
               samples: int = 4):
    """Fill a DG0 function with the facet means of ``values(x, y)`` over the given face facets.

    Args:
        target: a DG0 ``dolfinx.fem.Function`` (filled in place) or its function space.
        facets: local indices of the face facets (e.g. ``facet_tags.find(geometry.BOTTOM)``);
            each belongs to one cell, which gets the facet mean.
        values: a callable of the lateral coordinates (numpy arrays; ``y`` is None on a 2D
            face) returning the field at those points.
        kind: the block's kind; ``"axisymmetric"`` weights the mean by r.
        samples: sample points per facet direction (≥ 1).

    Returns:
        The DG0 function (owned and ghost values set).
    """
    dolfinx = import_dolfinx()
    f = target if isinstance(target, dolfinx.fem.Function) else dolfinx.fem.Function(target)
    mesh = f.function_space.mesh
    if int(samples) < 1:
        raise InputError(f"samples={samples}: must be >= 1")
    tdim = mesh.topology.dim
    fdim = tdim - 1
    mesh.topology.create_connectivity(fdim, tdim)
    f2c = mesh.topology.connectivity(fdim, tdim)
    facets = np.asarray(facets, dtype=np.int32)
    if facets.size:
        cells = f2c.array[f2c.offsets[facets]]  # an exterior facet has one cell
        pts, w = _facet_samples(mesh, facets, samples)
        if kind == "axisymmetric":
            w = w * np.maximum(pts[:, :, 0], 0.0)
            w = np.where(w.sum(1, keepdims=True) > 0, w, 1.0)
        flat = pts.reshape(-1, 3)
        gdim = mesh.geometry.dim
        if gdim == 2:
            v = np.asarray(values(flat[:, 0], None), dtype=float)
        else:
            v = np.asarray(values(flat[:, 0], flat[:, 1]), dtype=float)
        v = np.broadcast_to(v, (flat.shape[0],)).reshape(pts.shape[:2])
        mean = (v * w).sum(1) / w.sum(1)
        dofs = f.function_space.dofmap.list[cells, 0]
        f.x.array[dofs] = mean
    f.x.scatter_forward()
    return f


def face_field_from_map(target, maps, step: int, *, facets: np.ndarray,
                        quantity: str = "conductance", film: laws.FilmParams | None = None,
                        kind: str = "3d", samples: int = 4, heights=None, physical_sizes=None):
    """A contact-map field on the face as a DG0 function (facet means, see :func:`face_field`).

    Args:
        target: DG0 ``Function`` (filled in place) or function space.
        maps: contact-map arrays (``contact_maps.npz``); ``step`` selects the step.
        facets: local face facet indices.
        quantity: ``"conductance"`` (S/m², film law, needs ``film``), ``"in_contact"`` (area
            fraction in contact, from the nearest-grid-point indicator), ``"pressure"`` (Pa),
            ``"gap"`` (m).
        heights, physical_sizes: when given, the map must match this surface grid
            (:func:`solver.simulation.contactmap.check_matches`).
    """
    st = map_step(maps, step, heights=heights, physical_sizes=physical_sizes)
    return face_field(target, facets, lambda x, y: st.sample(quantity, x, y, film), kind=kind,
                      samples=samples)


# ---------------------------------------------------------------------------------------------
# The problem
# ---------------------------------------------------------------------------------------------


class CurrentSolution(NamedTuple):
    """Result of one potential solve (SI units; 2D plane strain: per unit depth).

    Attributes:
        current: total current I (A; A/m in plane strain), in the direction of the drive.
        current_density: mean over the nominal face area, J = I/A_face (A/m²).
        delta_v: potential drop ΔV in the direction of the current (V).
        resistance: ΔV/I (Ω; Ω·m in plane strain).
        asr: area-specific resistance ΔV/J − t/c (Ω·m²).
        asr_cm2: the same in Ω·cm².
        bulk_asr: t/c, the bulk of a perfect interface (Ω·m²).
        interface_current: ∫ j ds over the face (A), equal to ``current`` up to solver accuracy.
        iterations: Newton iterations (0 for the linear problem).
        reason: KSP/SNES converged reason (> 0).
    """

    current: float
    current_density: float
    delta_v: float
    resistance: float
    asr: float
    asr_cm2: float
    bulk_asr: float
    interface_current: float
    iterations: int
    reason: int


def _mpi():
    from mpi4py import MPI

    return MPI


class CurrentProblem:
    """The potential problem of one body with a contact-dependent interface on its face.

    Args:
        block: the meshed body (:class:`solver.fem.mesh.Block`): the lithium for
            :class:`FilmInterface`, the electrolyte for :class:`KineticInterface` (mesh a flat
            block of the SE's thickness with the lateral size of the surface; the face is its
            ``face_marker`` side — the Laplace problem does not care which way is up).
        model: :class:`FilmInterface` or :class:`KineticInterface`.
        prefix: PETSc options prefix of this problem (unique; ends with ``_``).
        petsc_options: option preset (default :data:`CURRENT_LINEAR` /
            :data:`CURRENT_NEWTON`); command-line options under the prefix win.
        degree: Lagrange degree of φ.
        counter: facet markers of the counter electrode (default: the top face).
        face_marker: facet marker of the interface (default :data:`geometry.BOTTOM`).
        samples: sample points per facet direction for face fields.

    Attributes:
        V, phi: the potential space and solution (V).
        face: DG0 face field — G (S/m²) for a film, the contact fraction A for kinetics.
        face_area, counter_area: nominal areas (m²; m in plane strain; with 2πr in axisymmetry).
        thickness: distance face–counter used for the bulk term (``block.thickness``).
    """

    def __init__(self, block: geometry.Block, model, *, prefix: str = "lamina_current_",
                 petsc_options: dict | None = None, degree: int = 1,
                 counter: tuple[int, ...] = (geometry.TOP,),
                 face_marker: int = geometry.BOTTOM, samples: int = 4):
        dolfinx = import_dolfinx()
        import ufl
        from petsc4py import PETSc

        if block.kind not in KINDS:
            raise InputError(f"block kind={block.kind!r}: allowed {', '.join(KINDS)}")
        if not isinstance(model, (FilmInterface, KineticInterface)):
            raise InputError(f"current model {type(model).__name__}: allowed FilmInterface, "
                             "KineticInterface")
        self.block, self.model, self.kind = block, model, block.kind
        self.linear = isinstance(model, FilmInterface)
        self.prefix = prefix
        self.samples = int(samples)
        mesh = block.mesh
        self.comm = mesh.comm
        tdim = mesh.topology.dim
        self.V = dolfinx.fem.functionspace(mesh, ("Lagrange", int(degree)))
        self.phi = dolfinx.fem.Function(self.V, name="potential")
        self.face = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("DG", 0)),
                                         name="conductance" if self.linear else "contact_fraction")
        self.facets = block.facet_tags.find(face_marker)
        self.counter_facets = np.concatenate([block.facet_tags.find(m) for m in counter])
        self.face_marker = face_marker
        self.counter = tuple(counter)
        w = 2 * math.pi * ufl.SpatialCoordinate(mesh)[0] if self.kind == "axisymmetric" else 1.0
        self._w = w
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=block.facet_tags)
        self._ds_face = ds(face_marker)
        self._ds_counter = sum((ds(m) for m in counter[1:]), ds(counter[0]))
        dx = ufl.Measure("dx", domain=mesh)
        one = dolfinx.fem.Constant(mesh, PETSc.ScalarType(1.0))
        self.face_area = self._integrate(one * w * self._ds_face)
        self._face_total_form = dolfinx.fem.form(self.face * w * self._ds_face)
        self.counter_area = self._integrate(one * w * self._ds_counter)
        self.thickness = float(block.thickness)
        c = model.conductivity
        phi, v = self.phi, ufl.TestFunction(self.V)
        self._flux = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))  # counter flux, A/m²
        self._bc_value = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        counter_dofs = dolfinx.fem.locate_dofs_topological(self.V, tdim - 1, self.counter_facets)
        self._bc = dolfinx.fem.dirichletbc(self._bc_value, counter_dofs, self.V)
        if self.linear:
            u = ufl.TrialFunction(self.V)
            self._a = c * ufl.inner(ufl.grad(u), ufl.grad(v)) * w * dx \
                + self.face * u * v * w * self._ds_face
            # Galvanostatic: φ = φ₀ + δ with the constant φ₀ = I/∫G (the answer for σ → ∞) and
            # δ solved for. For lithium the constant mode is held only by the film (stiffness
            # ∫G against σ/h for the rest, a condition number ≈ 1e9), and LU loses ≈ 1e-7 of
            # the solution in it; solving for the small correction δ keeps ΔV to round-off.
            self._phi0 = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
            self._dphi = dolfinx.fem.Function(self.V)
            self._L = self._flux * v * w * self._ds_counter \
                - self.face * self._phi0 * v * w * self._ds_face
            self._L0 = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0)) * v * w * self._ds_counter
            self._j = self.face * phi  # current density Li → Cu
        else:
            kin = model.kinetics
            self._j = self.face * kin.ufl_current(-phi)  # into the electrolyte
            self._F_base = c * ufl.inner(ufl.grad(phi), ufl.grad(v)) * w * dx \
                - self._j * v * w * self._ds_face
        self._j_form = dolfinx.fem.form(self._j * w * self._ds_face)
        self._phi_counter_form = dolfinx.fem.form(phi * w * self._ds_counter)
        self._options = petsc_options
        self._problems: dict[str, object] = {}
        self._tree = None

    def close(self) -> None:
        """Destroy the PETSc objects of the cached problems now (collective; see
        :func:`solver.fem.petsc.destroy_problem`)."""
        from solver.fem.petsc import destroy_problem

        for prob in self._problems.values():
            destroy_problem(prob)
        self._problems = {}

    # -- helpers ------------------------------------------------------------------------------
    def _integrate(self, form) -> float:
        dolfinx = import_dolfinx()
        if not isinstance(form, dolfinx.fem.Form):
            form = dolfinx.fem.form(form)
        return self.comm.allreduce(float(dolfinx.fem.assemble_scalar(form)), op=_mpi().SUM)

    def _problem(self, mode: str):
        """The (cached) PETSc problem of a drive mode: ``"current"`` or ``"voltage"``."""
        if mode in self._problems:
            return self._problems[mode]
        dolfinx = import_dolfinx()
        if self.linear:
            L = self._L if mode == "current" else self._L0
            bcs = [] if mode == "current" else [self._bc]
            prob = dolfinx.fem.petsc.LinearProblem(
                self._a, L, bcs=bcs, u=self._dphi if mode == "current" else self.phi,
                petsc_options_prefix=self.prefix)
            apply_options(prob.solver, self.prefix,
                          CURRENT_LINEAR if self._options is None else self._options)
        else:
            import ufl

            F = self._F_base
            bcs = []
            if mode == "current":
                F = F + self._flux * ufl.TestFunction(self.V) * self._w * self._ds_counter
            else:
                bcs = [self._bc]
            prob = dolfinx.fem.petsc.NonlinearProblem(F, self.phi, bcs=bcs,
                                                      petsc_options_prefix=self.prefix)
            apply_options(prob.solver, self.prefix,
                          CURRENT_NEWTON if self._options is None else self._options)
            self._atol0 = float(prob.solver.getTolerances()[1])
        self._problems[mode] = prob
        return prob

    # -- face fields --------------------------------------------------------------------------
    def set_face_values(self, values: Callable) -> None:
        """Face field from a callable of the lateral coordinates ``values(x, y)`` (``y`` None
        in 2D): G (S/m²) for a film interface, the contact fraction (0…1) for kinetics."""
        face_field(self.face, self.facets, values, kind=self.kind, samples=self.samples)

    def set_contact_map(self, maps, step: int, *, heights=None,
                        physical_sizes=None) -> MapStep:
        """Face field from step ``step`` of a contact map; returns that :class:`MapStep`.

        The map's patch must be the block's lateral extent; with ``heights`` it must also have
        been made on that surface grid (:func:`solver.simulation.contactmap.check_matches`).
        """
        st = map_step(maps, step, heights=heights, physical_sizes=physical_sizes)
        lengths = tuple(self.block.lengths)
        if not np.allclose(st.physical_sizes[: len(lengths)], lengths, rtol=1e-9, atol=0):
            raise InputError(f"contact map: physical_sizes {list(st.physical_sizes)} m do not "
                             f"match the block's lateral size {list(lengths)} m")
        if self.linear:
            film = self.model.film
            self.set_face_values(lambda x, y: st.sample("conductance", x, y, film))
        else:
            self.set_face_values(lambda x, y: st.sample("in_contact", x, y))
        self._map = st
        return st

    def face_total(self) -> float:
        """∫ face field ds: total conductance (S) or contact area (m²)."""
        return self._integrate(self._face_total_form)

    # -- solve --------------------------------------------------------------------------------
    def solve(self, *, current_density: float | None = None,
              voltage: float | None = None) -> CurrentSolution:
        """Solve with an applied mean current density J (A/m², over the nominal face) or an
        applied voltage V (ΔV, V). Exactly one of the two.

        Raises:
            InputError: neither or both given, or a non-finite/zero drive.
            SolveError: no conducting contact, or the solver did not converge.
        """
        if (current_density is None) == (voltage is None):
            raise InputError("current solve: give exactly one of current_density (A/m^2) and "
                             "voltage (V)")
        drive = current_density if voltage is None else voltage
        if not (isinstance(drive, (int, float)) and math.isfinite(drive) and drive != 0):
            raise InputError(f"current solve: drive {drive!r} must be a finite non-zero number")
        mode = "current" if voltage is None else "voltage"
        if not self.face_total() > 0:
            raise SolveError(f"current ({self.prefix}): no conducting contact on the face (the "
                             "face field is zero everywhere)")
        c = self.model.conductivity
        prob = self._problem(mode)
        if mode == "current":
            I = float(current_density) * self.face_area
            self._flux.value = I / self.counter_area
            if self.linear:
                self._phi0.value = I / self.face_total()
        else:
            self._bc_value.value = float(voltage) if self.linear else -float(voltage)
        its = 0
        if self.linear:
            prob.solve()
            reason = int(prob.solver.getConvergedReason())
            if mode == "current":
                self.phi.x.array[:] = float(self._phi0.value) + self._dphi.x.array
        else:
            self._initial_guess(mode, drive)
            scale = abs(drive) * self.face_area if mode == "current" else \
                self.model.kinetics.i0 * self.face_area
            prob.solver.setTolerances(atol=max(self._atol0, 1e-12 * scale))
            prob.solve()
            reason = int(prob.solver.getConvergedReason())
            its = int(prob.solver.getIterationNumber())
        finite = self.comm.allreduce(bool(np.all(np.isfinite(self.phi.x.array))),
                                     op=_mpi().LAND)
        if reason <= 0 or not finite:
            raise SolveError(f"current ({self.prefix}): solver did not converge (reason "
                             f"{reason}, {its} Newton iterations)")
        self.phi.x.scatter_forward()
        I_face = self._integrate(self._j_form)
        phi_c = self._integrate(self._phi_counter_form) / self.counter_area
        if mode == "current":
            I = float(current_density) * self.face_area
        else:
            I = I_face
        dv = phi_c if self.linear else -phi_c
        J = I / self.face_area
        bulk = self.thickness / c
        asr = dv / J - bulk
        return CurrentSolution(I, J, dv, dv / I, asr, asr * 1e4, bulk, I_face, its, reason)

    def _initial_guess(self, mode: str, drive: float) -> None:
        """φ of a uniform interface with the same total contact: η₀ from the 1D balance, then
        linear in the distance from the face (exact for full uniform contact)."""
        kin = self.model.kinetics
        frac = self.face_total() / self.face_area
        c = self.model.conductivity
        t = self.thickness
        if mode == "current":
            J = drive
        else:
            from scipy.optimize import brentq

            V = drive

            def gap(J):
                return kin.overpotential(J / frac) + J * t / c - V

            hi = abs(V) * c / t
            J = brentq(gap, *sorted((0.0, math.copysign(hi, V))), xtol=1e-14 * hi + 1e-300,
                       maxiter=500)
        eta0 = kin.overpotential(J / frac)
        v = self.block.mesh.geometry.dim - 1
        zf = self.block.z_face
        xyz = self.V.tabulate_dof_coordinates()
        dist = np.abs(xyz[:, v] - zf)
        self.phi.x.array[:] = -eta0 - J * dist / c
        self.phi.x.scatter_forward()

    # -- local current density ----------------------------------------------------------------
    def eval_potential(self, points: np.ndarray) -> np.ndarray:
        """φ at points (n, 3) (on every rank; collective). Points outside the mesh: InputError."""
        dolfinx = import_dolfinx()
        mesh = self.block.mesh
        pts = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 3)
        if self._tree is None:
            self._tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim)
        cand = dolfinx.geometry.compute_collisions_points(self._tree, pts)
        coll = dolfinx.geometry.compute_colliding_cells(mesh, cand, pts)
        offs = coll.offsets
        has = np.diff(offs) > 0
        val = np.zeros(len(pts))
        cnt = np.zeros(len(pts))
        if np.any(has):
            cells = coll.array[offs[:-1][has]].astype(np.int32)
            val[has] = self.phi.eval(pts[has], cells).ravel()
            cnt[has] = 1.0
        MPI = _mpi()
        tot = np.zeros_like(val)
        num = np.zeros_like(cnt)
        self.comm.Allreduce(val, tot, op=MPI.SUM)
        self.comm.Allreduce(cnt, num, op=MPI.SUM)
        if np.any(num == 0):
            raise InputError(f"current: {int(np.sum(num == 0))} evaluation point(s) lie outside "
                             "the mesh")
        return tot / num

    def face_points(self, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
        """3-vectors of lateral points on the face (at ``block.z_face``)."""
        x = np.asarray(x, dtype=float).ravel()
        pts = np.zeros((x.size, 3))
        pts[:, 0] = x
        v = self.block.mesh.geometry.dim - 1
        if v == 2:
            pts[:, 1] = np.zeros_like(x) if y is None else np.asarray(y, dtype=float).ravel()
        pts[:, v] = self.block.z_face
        return pts

    def current_density_at(self, face_values: np.ndarray, x: np.ndarray,
                           y: np.ndarray | None = None) -> np.ndarray:
        """Local interface current density (A/m², in the direction of the drive) at lateral
        points, given the face field there (G in S/m², or the contact indicator)."""
        phi = self.eval_potential(self.face_points(x, y))
        fv = np.asarray(face_values, dtype=float).ravel()
        if self.linear:
            return fv * phi
        return fv * self.model.kinetics.current(-phi)

    def current_map(self, st: MapStep | None = None) -> np.ndarray:
        """Local current density on the surface grid of a map step (default: the last one set),
        ``(nx, ny)`` A/m², from the interface law at the grid points (G or the indicator there)
        and φ on the face. Collective."""
        st = self._map if st is None else st
        X, Y = st.grid_points()
        if self.linear:
            fv = st.sample("conductance", X.ravel(), Y.ravel(), self.model.film)
        else:
            fv = st.in_contact.astype(float).ravel()
        return self.current_density_at(fv, X.ravel(), Y.ravel()).reshape(st.shape)


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


class SpotCurrents(NamedTuple):
    """Current per contact spot (4-connected components of in_contact), largest current first.

    Attributes:
        n_spots: number of spots.
        current: current of each spot (A; A/m for a profile).
        area: area of each spot (m²; m for a profile).
        mean_density: current/area (A/m²).
        max_density: largest local current density in the spot (A/m²).
        largest_share: share of the total current carried by the spot with the most current.
        spots_for_half: fewest spots that carry half the current.
    """

    n_spots: int
    current: np.ndarray
    area: np.ndarray
    mean_density: np.ndarray
    max_density: np.ndarray
    largest_share: float
    spots_for_half: int


class CurrentMetrics(NamedTuple):
    """Statistics of the local current density j on the surface grid (A/m², drive direction).

    Attributes:
        j_mean: mean over the nominal area.
        j_max: largest value; ``j_max_over_mean`` = j_max/j_mean.
        percentiles: ``{"p50", "p90", "p99", "p99.9"}`` of j over the nominal area (equal cells;
            ``numpy.percentile``, linear interpolation).
        percentiles_contact: the same over the contact cells (``in_contact``; None without it).
        top1_share: share of the current through the 1 % of the area with the highest j (the
            last cell counted fractionally when 1 % of the cells is not whole).
        j_crit: critical current density (A/m²) or None.
        risk_area_fraction: area fraction (of the nominal area) where j > j_crit (None without).
        risk_area: that area (m²).
        spots: per-spot currents (None without ``in_contact``).
    """

    j_mean: float
    j_max: float
    j_max_over_mean: float
    percentiles: dict
    percentiles_contact: dict | None
    top1_share: float
    j_crit: float | None
    risk_area_fraction: float | None
    risk_area: float | None
    spots: SpotCurrents | None

    def summary(self) -> dict:
        """Scalars for results.json (arrays of the spots left out)."""
        d = {"j_mean_A_per_m2": self.j_mean, "j_max_A_per_m2": self.j_max,
             "j_max_over_mean": self.j_max_over_mean,
             **{f"j_{k}_A_per_m2": v for k, v in self.percentiles.items()},
             "top1_area_current_share": self.top1_share}
        if self.percentiles_contact is not None:
            d.update({f"j_contact_{k}_A_per_m2": v for k, v in self.percentiles_contact.items()})
        if self.j_crit is not None:
            d.update({"j_crit_A_per_m2": self.j_crit,
                      "risk_area_fraction": self.risk_area_fraction,
                      "risk_area_m2": self.risk_area})
        if self.spots is not None:
            d.update({"n_spots": self.spots.n_spots,
                      "largest_spot_current_share": self.spots.largest_share,
                      "spots_for_half_current": self.spots.spots_for_half})
        return d


def _pkey(q: float) -> str:
    return f"p{q:g}"


def top_area_share(j: np.ndarray, fraction: float = 0.01) -> float:
    """Share of Σj carried by the ``fraction`` of equal cells with the largest j."""
    v = np.sort(np.asarray(j, dtype=float).ravel())[::-1]
    total = v.sum()
    if total == 0:
        return math.nan
    m = fraction * v.size
    k = int(math.floor(m + 1e-12))
    part = v[:k].sum()
    if k < v.size:
        part += (m - k) * v[k]
    return float(part / total)


def spot_currents(j: np.ndarray, in_contact: np.ndarray, cell_area: float) -> SpotCurrents:
    """Current per contact spot (labels of :func:`solver.simulation.contactmap.label_spots`)."""
    labels, n = contactmap.label_spots(np.ascontiguousarray(in_contact, dtype=np.bool_))
    if n == 0:
        e = np.zeros(0)
        return SpotCurrents(0, e, e, e, e, math.nan, 0)
    lab = labels.ravel()
    jj = np.asarray(j, dtype=float).ravel()
    inside = lab > 0
    cur = np.bincount(lab[inside] - 1, weights=jj[inside], minlength=n) * cell_area
    cnt = np.bincount(lab[inside] - 1, minlength=n).astype(float)
    area = cnt * cell_area
    jmax = np.full(n, -np.inf)
    np.maximum.at(jmax, lab[inside] - 1, jj[inside])
    order = np.argsort(-cur, kind="stable")
    cur, area, jmax = cur[order], area[order], jmax[order]
    total = cur.sum()
    share = float(cur[0] / total) if total != 0 else math.nan
    half = int(np.searchsorted(np.cumsum(cur), 0.5 * total - 1e-12 * abs(total)) + 1) \
        if total > 0 else 0
    return SpotCurrents(int(n), cur, area, cur / area, jmax, share, half)


def current_metrics(j, cell_area: float, *, in_contact=None, j_crit: float | None = None,
                    percentiles=PERCENTILES) -> CurrentMetrics:
    """Metrics of a local current-density map on the surface grid (equal cells of ``cell_area``).

    ``j`` is taken in the direction of the drive (use ``sign(J)·j`` for a negative drive).
    ``j_crit`` (A/m², > 0) sets the dendrite-risk area; ``in_contact`` adds contact-area
    percentiles and per-spot currents.
    """
    j = np.asarray(j, dtype=float)
    cell_area = _positive("cell_area", cell_area, "m^2")
    if j.size == 0 or not np.all(np.isfinite(j)):
        raise InputError("current map: empty or non-finite")
    if j_crit is not None:
        j_crit = _positive("j_crit (critical current density)", j_crit, "A/m^2")
    mean = float(j.mean())
    jmax = float(j.max())
    pct = {_pkey(q): float(v) for q, v in zip(percentiles, np.percentile(j, percentiles))}
    pct_c = spots = None
    if in_contact is not None:
        inc = np.asarray(in_contact, dtype=bool).reshape(j.shape)
        if inc.any():
            pct_c = {_pkey(q): float(v)
                     for q, v in zip(percentiles, np.percentile(j[inc], percentiles))}
        spots = spot_currents(j, inc, cell_area)
    risk = risk_area = None
    if j_crit is not None:
        risk = float(np.mean(j > j_crit))
        risk_area = risk * j.size * cell_area
    return CurrentMetrics(mean, jmax, jmax / mean if mean != 0 else math.inf, pct, pct_c,
                          top_area_share(j), j_crit, risk, risk_area, spots)


class StepCurrent(NamedTuple):
    """The current-flow result of one press step: solution, map (A/m², (nx, ny)), metrics."""

    solution: CurrentSolution
    current_map: np.ndarray
    metrics: CurrentMetrics

    def summary(self) -> dict:
        s = self.solution
        return {"asr_ohm_m2": s.asr, "asr_ohm_cm2": s.asr_cm2, "delta_v_V": s.delta_v,
                "current_density_A_per_m2": s.current_density, "bulk_asr_ohm_m2": s.bulk_asr,
                "newton_iterations": s.iterations, **self.metrics.summary()}


def solve_step(problem: CurrentProblem, maps, step: int, *,
               current_density: float | None = None, voltage: float | None = None,
               j_crit: float | None = None, heights=None, physical_sizes=None) -> StepCurrent:
    """One step of the press cycle: map → face field → solve → current map → metrics."""
    st = problem.set_contact_map(maps, step, heights=heights, physical_sizes=physical_sizes)
    sol = problem.solve(current_density=current_density, voltage=voltage)
    jmap = problem.current_map(st) * math.copysign(1.0, sol.current)
    return StepCurrent(sol, jmap, current_metrics(jmap, st.cell_area, in_contact=st.in_contact,
                                                  j_crit=j_crit))
