"""Current through the pressed interface: the potential problem with a contact-dependent
interface law on its face.

Forms, solver set-up through option presets, and the potential read back from a solution. No
configuration parsing, no file writing, no contact maps (:mod:`solver.simulation.current` puts a
map step on the face). The interface laws themselves are pure physics
(:mod:`solver.physics.interface`); :class:`CurrentProblem` takes either through the
:class:`~solver.physics.interface.InterfaceLaw` protocol, and the law-specific forms and solves
through one formulation per kind of law (:mod:`solver.fem.potential_forms`): a direct solve for
the linear film law, Newton (SNES ``newtonls``, its own prefix, converged reason checked) for
Butler–Volmer.

Counter electrode (the ``counter`` facet markers, default :data:`geometry.TOP`): either an applied
mean current density ``J`` (galvanostatic: uniform flux ``I/A_counter``, ``I = J·A_face``) or an
applied voltage ``V`` (potentiostatic: Dirichlet). In both cases the *potential drop* ``ΔV`` is
taken in the direction of the current — electronic: ``φ_counter − φ_Cu``; ionic:
``φ_metal − φ_counter`` — with ``φ_counter`` the area mean over the counter faces (the
energy-consistent voltage when the counter flux is uniform: ``I·ΔV = ∫ J φ``).

Area-specific resistance: ``ASR = ΔV/J − t/c`` (Ω·m²), the measured resistance per nominal area
minus the bulk resistance of a perfect interface (``t`` the thickness between face and counter,
``c`` = σ or κ); ``asr_cm2 = 1e4·ASR``. With ``solve(..., small_signal=True)`` also the
small-signal ASR ``dΔV/dJ − t/c`` at the operating point (one tangent solve with the Jacobian at
the converged potential, :mod:`solver.fem.potential_tangent`); the dc numbers are unchanged.

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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from solver.errors import InputError, SolveError
from solver.fem import mesh as geometry
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.face_sampling import conserving_factor, face_field
from solver.fem.petsc import destroy_problem
from solver.fem.potential_forms import formulation_of
from solver.fem.potential_tangent import SmallSignal
from solver.physics.interface import InterfaceLaw

KINDS = ("plane_strain", "axisymmetric", "3d")

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
        asr_small_signal: small-signal ASR ``dΔV/dJ − t/c`` at this operating point (Ω·m²;
            :mod:`solver.fem.potential_tangent`), what impedance spectroscopy measures at low
            frequency; equal to ``asr`` for a linear interface. None unless asked for.
        asr_small_signal_cm2: the same in Ω·cm².
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
    asr_small_signal: float | None = None
    asr_small_signal_cm2: float | None = None


def _drive_of(current_density, voltage) -> tuple[str, float]:
    """``("current", J)`` or ``("voltage", V)``; InputError unless exactly one finite non-zero
    drive is given."""
    if (current_density is None) == (voltage is None):
        raise InputError("current solve: give exactly one of current_density (A/m^2) and "
                         "voltage (V)")
    drive = current_density if voltage is None else voltage
    if not (isinstance(drive, (int, float)) and math.isfinite(drive) and drive != 0):
        raise InputError(f"current solve: drive {drive!r} must be a finite non-zero number")
    return ("current" if voltage is None else "voltage"), drive


class CurrentProblem:
    """The potential problem of one body with a contact-dependent interface on its face.

    Args:
        block: the meshed body (:class:`solver.fem.mesh.Block`): the lithium for
            :class:`FilmInterface`, the electrolyte for :class:`KineticInterface` (mesh a flat
            block of the SE's thickness with the lateral size of the surface; the face is its
            ``face_marker`` side — the Laplace problem does not care which way is up).
        model: :class:`FilmInterface` or :class:`KineticInterface`.
        prefix: PETSc options prefix of this problem (unique; ends with ``_``).
        petsc_options: option preset (default
            :data:`~solver.fem.potential_forms.CURRENT_LINEAR` /
            :data:`~solver.fem.potential_forms.CURRENT_NEWTON`); command-line options under the
            prefix win.
        degree: Lagrange degree of φ.
        counter: facet markers of the counter electrode (default: the top face).
        face_marker: facet marker of the interface (default :data:`geometry.BOTTOM`).
        samples: sample points per facet direction for face fields.

    Attributes:
        V, phi: the potential space and solution (V).
        face: DG0 face field — G (S/m²) for a film, the contact fraction A for kinetics.
        face_area, counter_area: nominal areas (m²; m in plane strain; with 2πr in axisymmetry).
        thickness: distance face–counter used for the bulk term (``block.thickness``).
        weight, dx, ds_face, ds_counter: the UFL weight (2πr in axisymmetry, else 1) and the
            measures of the body, the face and the counter faces (for the formulation's forms).
        flux, bc: the counter's uniform flux (a Constant, A/m², galvanostatic) and its Dirichlet
            condition (V, potentiostatic).
    """

    def __init__(self, block: geometry.Block, model: InterfaceLaw, *,
                 prefix: str = "lamina_current_", petsc_options: dict | None = None,
                 degree: int = 1, counter: tuple[int, ...] = (geometry.TOP,),
                 face_marker: int = geometry.BOTTOM, samples: int = 4):
        dolfinx = import_dolfinx()

        if block.kind not in KINDS:
            raise InputError(f"block kind={block.kind!r}: allowed {', '.join(KINDS)}")
        formulation = formulation_of(model)
        self.block, self.model, self.kind = block, model, block.kind
        self.prefix = prefix
        self.samples = int(samples)
        mesh = block.mesh
        self.comm = mesh.comm
        self.V = dolfinx.fem.functionspace(mesh, ("Lagrange", int(degree)))
        self.phi = dolfinx.fem.Function(self.V, name="potential")
        self.face = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("DG", 0)),
                                         name=model.face_name)
        self.facets = block.facet_tags.find(face_marker)
        self.counter_facets = np.concatenate([block.facet_tags.find(m) for m in counter])
        self.face_marker = face_marker
        self.counter = tuple(counter)
        self._measures(face_marker, self.counter)
        self.thickness = float(block.thickness)
        self._drive_terms()
        self._form = formulation(self)
        self._j_form = dolfinx.fem.form(self._form.current * self.weight * self.ds_face)
        self._phi_counter_form = dolfinx.fem.form(self.phi * self.weight * self.ds_counter)
        self.petsc_options = petsc_options
        self._problems: dict[str, object] = {}
        self._small_signal: SmallSignal | None = None
        self._tree = None
        self._map = None
        #: factor of the last :meth:`current_map` (exact interface current / grid integral)
        self.map_scale = 1.0

    def _measures(self, face_marker: int, counter: tuple[int, ...]) -> None:
        """Measures of the body, the face and the counter (weighted by 2πr in axisymmetry) and
        the nominal areas."""
        dolfinx = import_dolfinx()
        import ufl
        from petsc4py import PETSc

        mesh = self.block.mesh
        w = 2 * math.pi * ufl.SpatialCoordinate(mesh)[0] if self.kind == "axisymmetric" else 1.0
        self.weight = w
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=self.block.facet_tags)
        self.ds_face = ds(face_marker)
        self.ds_counter = sum((ds(m) for m in counter[1:]), ds(counter[0]))
        self.dx = ufl.Measure("dx", domain=mesh)
        one = dolfinx.fem.Constant(mesh, PETSc.ScalarType(1.0))
        self.face_area = self._integrate(one * w * self.ds_face)
        self._face_total_form = dolfinx.fem.form(self.face * w * self.ds_face)
        self.counter_area = self._integrate(one * w * self.ds_counter)

    def _drive_terms(self) -> None:
        """The counter electrode's drives: a uniform flux (A/m², galvanostatic) and a Dirichlet
        value (V, potentiostatic)."""
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        mesh = self.block.mesh
        self.flux = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))  # counter flux, A/m²
        self._bc_value = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self.counter_dofs = dolfinx.fem.locate_dofs_topological(self.V, mesh.topology.dim - 1,
                                                                self.counter_facets)
        self.bc = dolfinx.fem.dirichletbc(self._bc_value, self.counter_dofs, self.V)

    def close(self) -> None:
        """Destroy the PETSc objects of the cached problems now (collective; see
        :func:`solver.fem.petsc.destroy_problem`)."""
        for prob in self._problems.values():
            destroy_problem(prob)
        self._problems = {}
        if self._small_signal is not None:
            self._small_signal.close()

    # -- helpers ------------------------------------------------------------------------------
    def _integrate(self, form) -> float:
        dolfinx = import_dolfinx()
        if not isinstance(form, dolfinx.fem.Form):
            form = dolfinx.fem.form(form)
        return self.comm.allreduce(float(dolfinx.fem.assemble_scalar(form)), op=mpi().SUM)

    def _problem(self, mode: str):
        """The (cached) PETSc problem of a drive mode: ``"current"`` or ``"voltage"``."""
        if mode not in self._problems:
            self._problems[mode] = self._form.problem(self, mode)
        return self._problems[mode]

    # -- face fields --------------------------------------------------------------------------
    def set_face_values(self, values: Callable) -> None:
        """Face field from a callable of the lateral coordinates ``values(x, y)`` (``y`` None
        in 2D): G (S/m²) for a film interface, the contact fraction (0…1) for kinetics."""
        face_field(self.face, self.facets, values, kind=self.kind, samples=self.samples)

    def set_map_step(self, st):
        """Face field from one step of a contact map (a
        :class:`solver.simulation.current.MapStep`, or anything with its ``physical_sizes``,
        ``sample``, ``grid_points`` and ``shape``); returns ``st``.

        The map's patch must be the block's lateral extent (InputError otherwise).
        """
        lengths = tuple(self.block.lengths)
        if not np.allclose(st.physical_sizes[: len(lengths)], lengths, rtol=1e-9, atol=0):
            raise InputError(f"contact map: physical_sizes {list(st.physical_sizes)} m do not "
                             f"match the block's lateral size {list(lengths)} m")
        self.set_face_values(lambda x, y: self.model.face_values(st.sample, x, y))
        self._map = st
        return st

    def face_total(self) -> float:
        """∫ face field ds: total conductance (S) or contact area (m²)."""
        return self._integrate(self._face_total_form)

    # -- solve --------------------------------------------------------------------------------
    def solve(self, *, current_density: float | None = None, voltage: float | None = None,
              small_signal: bool = False) -> CurrentSolution:
        """Solve with an applied mean current density J (A/m², over the nominal face) or an
        applied voltage V (ΔV, V). Exactly one of the two. With ``small_signal`` also the
        small-signal ASR at the solution (one more linear solve; the dc results are the same).

        Raises:
            InputError: neither or both given, or a non-finite/zero drive.
            SolveError: no conducting contact, or the solver did not converge.
        """
        mode, drive = _drive_of(current_density, voltage)
        if not self.face_total() > 0:
            raise SolveError(f"current ({self.prefix}): no conducting contact on the face (the "
                             "face field is zero everywhere)")
        prob = self._problem(mode)
        if mode == "current":
            self.flux.value = float(drive) * self.face_area / self.counter_area
        else:
            self._bc_value.value = self.model.drop_sign * float(drive)
        reason, its = self._form.run(self, prob, mode, drive)
        finite = self.comm.allreduce(bool(np.all(np.isfinite(self.phi.x.array))),
                                     op=mpi().LAND)
        if reason <= 0 or not finite:
            raise SolveError(f"current ({self.prefix}): solver did not converge (reason "
                             f"{reason}, {its} Newton iterations)")
        self.phi.x.scatter_forward()
        I_face = self._integrate(self._j_form)
        phi_c = self._integrate(self._phi_counter_form) / self.counter_area
        I = float(drive) * self.face_area if mode == "current" else I_face
        dv = self.model.drop_sign * phi_c
        J = I / self.face_area
        bulk = self.thickness / self.model.conductivity
        asr = dv / J - bulk
        ss = self.small_signal_asr(mode) if small_signal else None
        return CurrentSolution(I, J, dv, dv / I, asr, asr * 1e4, bulk, I_face, its, reason,
                               ss, None if ss is None else ss * 1e4)

    def small_signal_asr(self, mode: str) -> float:
        """Small-signal ASR ``dΔV/dJ − t/c`` (Ω·m²) at the potential of the last solve, whose
        drive mode (``"current"``/``"voltage"``) was ``mode``: one linear solve with the Jacobian
        there (:class:`~solver.fem.potential_tangent.SmallSignal`). Collective.

        Raises:
            SolveError: the tangent solve did not converge.
        """
        if self._small_signal is None:
            self._small_signal = SmallSignal(self, self._form)
        r, reason = self._small_signal.resistance(self, mode)
        if reason <= 0 or not math.isfinite(r):
            raise SolveError(f"current ({self.prefix}): the small-signal (tangent) solve did not "
                             f"converge (reason {reason})")
        return r - self.thickness / self.model.conductivity

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
        MPI = mpi()
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
        return self.model.local_current(fv, phi)

    def current_map(self, st=None) -> np.ndarray:
        """Local current density on the surface grid of a map step (default: the last one set),
        ``(nx, ny)`` A/m², from the interface law at the grid points (G or the indicator there)
        and φ on the face, scaled so that its grid integral is the solution's interface current
        ``∫ j ds`` (so the grid mean is the applied J in galvanostatic runs). Collective.

        The solve sees the contact map through facet means of the face field, the grid points
        through the map itself; where the spots are a few grid cells, the point samples alone
        miss ``∫ j ds`` by several per cent (default case, 2D: grid means from 7.8 to 10.6 A/m²
        for the applied 10 over the press steps, 9.11 at the first). The factor applied is
        kept in :attr:`map_scale` (1 when not applied: axisymmetry, or a zero/opposite sum).
        """
        st = self._map if st is None else st
        X, Y = st.grid_points()
        fv = self.model.face_values(st.sample, X.ravel(), Y.ravel())
        j = self.current_density_at(fv, X.ravel(), Y.ravel()).reshape(st.shape)
        self.map_scale = 1.0
        if self.kind != "axisymmetric":
            nx, ny = st.shape
            lx, ly = (float(v) for v in st.physical_sizes[:2])
            cell = (lx / nx) * (ly / ny if self.kind == "3d" else 1.0 / ny)  # 2D: row mean
            self.map_scale = conserving_factor(float(np.sum(j)) * cell,
                                               self._integrate(self._j_form))
            j = j * self.map_scale
        return j
