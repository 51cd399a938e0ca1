"""The pressed body as a finite-element problem: frictionless contact against a rigid surface.

This module builds forms, the unknown, the bounds and the SNES solver of one block pressed onto a
rigid surface, and reads the contact state back; it never parses configurations, steps loads
(:mod:`solver.simulation.loadstep`) or writes files.

* Contact: the rigid surface ``h`` bounds the vertical displacement of the face nodes,
  ``u_z ≥ h(x) − z_node`` (gap ``g = z_node + u_z − h(x) ≥ 0``), frictionless (only the face's
  vertical dofs are bounded), small displacements (``h`` at the node's reference position).
  Solved by the active-set Newton of :mod:`solver.fem.active_set` on a fixed sparsity pattern
  (default), or by PETSc's reduced-space semismooth Newton (SNES ``vinewtonrsls``, variable
  bounds, ``contact_solver="vi"``); each Newton step by LU (MUMPS) or, for large 3D blocks,
  CG + GAMG (``linear_solver``).
* Load (``control``): ``"platen"``, a rigid platen on the top face (``u_z = −w`` there) whose
  displacement ``w`` is found so that the contact force equals ``p̄ A₀`` (one more unknown of the
  active-set Newton, eliminated by bordering; with ``vi`` an outer secant iteration on ``w``,
  :func:`solver.simulation.loadstep.solve_load_step`); or ``"traction"``, a uniform pressure
  ``p̄`` on the top face. The platen is what the press does and what keeps Newton well posed
  with perfectly plastic lithium: under a prescribed traction an iterate whose contact spots
  cannot yet carry the load has no bounded solution (residuals of 1e19 were seen). For the
  blocks used here (thickness several surface wavelengths, or ≥ 20 contact radii) this equals a
  rigid platen carrying the same mean pressure: the non-uniform part of the field decays away
  from the face (periodic: as ``exp(−2π z/λ)``; single contact: Saint-Venant). The benchmarks
  against elastic half-space solutions use the traction; the press cycle of a case the platen.
* Lateral faces are symmetry planes (``u_n = 0``): exact for mirror-symmetric surfaces (the
  benchmarks) and a confined-die approximation of periodicity for general height maps.
  The axisymmetric axis has ``u_r = 0``.
* Material: elastic (a UFL stress map, :class:`solver.fem.kinematics.LinearElastic` or
  :class:`solver.physics.laws.ElasticParams`: linear forms) or inelastic
  (:class:`solver.physics.laws.J2Params`, :class:`~solver.physics.laws.ElasticCreepParams`,
  :class:`~solver.physics.laws.ElastoplasticCreepParams`): then σ and the consistent tangent live
  at quadrature points (:class:`solver.fem.quadrature.QuadratureLaw`) and are re-evaluated from
  the last committed state at every Newton iterate, before the residual or Jacobian is assembled
  (:func:`solver.fem.quadrature.attach`).
* Load state: what a converged step leaves behind (applied pressure, platen displacement, the
  platen's stiffness, the largest pressure so far, the time, whether the block has been loaded)
  is one :class:`LoadState`, replaced as a whole by :meth:`ContactProblem.commit` and put back by
  :meth:`ContactProblem.rollback` / :meth:`ContactProblem.restore`; nothing outside this class
  assigns those attributes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.errors import InputError
from solver.fem import mesh as geometry
from solver.fem import quadrature
from solver.fem.active_set import ActiveSetNewton
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.face_pressure import FacePressure, VertexClosure, count_area_rule, face_edges
from solver.fem.kinematics import KINDS, LinearElastic, strain_mandel, volume_weight
from solver.fem.petsc import (CONTACT_AS_DIRECT, CONTACT_AS_ITERATIVE, CONTACT_VI, CONTACT_VI_GAMG,
                              ITERATIVE_DOFS_3D, PROFILE_ORDERING, destroy_problem, linear_part)
from solver.fem.petsc import apply as apply_options
from solver.physics import laws
from solver.surface.heightmap import HeightMap

CONTROLS = ("traction", "platen")
#: ``vi``: PETSc's ``vinewtonrsls``; ``active_set``: :mod:`solver.fem.active_set`.
CONTACT_SOLVERS = ("vi", "active_set")
#: ``direct``: LU (MUMPS); ``iterative``: CG + GAMG; ``auto``: iterative for 3D blocks above
#: :data:`solver.fem.petsc.ITERATIVE_DOFS_3D` dofs, else direct.
LINEAR_SOLVERS = ("auto", "direct", "iterative")

#: Changes to :data:`solver.fem.petsc.CONTACT_VI` when the material is inelastic and no options are
#: given: the residual is no longer piecewise linear, and full Newton steps from a far iterate
#: (first contact, large increments of a perfectly plastic load) cycle between active sets and
#: plastic zones. The secant line search ``l2`` (two extra residuals per step) converged in
#: 9–13 iterations where ``basic`` failed after 60 and ``bt`` took 16–23 (J2, Westergaard
#: block, 0 → 0.1 → 0.3 → 0.5 p*).
INELASTIC_OVERRIDES: dict[str, object] = {"snes_linesearch_type": "l2"}
#: The same under platen control: ``l2`` accepts steps that raise the residual and wanders off
#: (residual 5 → 5e4 in 60 iterations seen on the default case's second step), backtracking
#: (``bt``) decreases it monotonically and converged on the same step in 5 iterations.
#: ``snes_max_it``: a failed solve is restarted in shorter platen moves, so its iterations are
#: lost; Newton with ``bt`` on perfect plasticity often creeps for 20–70 iterations and then
#: converges. Default case (serial, same 20 steps and results for every limit): 25 → 2762
#: iterations, 54 s; 40 → 2182, 41 s; 80 → 1882, 36 s; 150 → 1952, 36 s; 15 → 24 steps (four
#: cut-backs), 3700 iterations, 79 s.
PLATEN_INELASTIC_OVERRIDES: dict[str, object] = {"snes_linesearch_type": "bt", "snes_max_it": 80}

@dataclass(frozen=True, slots=True)
class LoadState:
    """Where the load of a :class:`ContactProblem` stands after its last converged step.

    The field names are the keys of a checkpoint's ``state.json`` (see
    :meth:`solver.simulation.press.PressCycle.state`).

    Attributes:
        applied_pressure: the mean pressure of the last converged step (Pa); 0 before the first.
        platen: vertical displacement of the top face (m, ≤ 0); platen control only.
        platen_stiffness: d(force)/dw of the last converged step (N/m, per unit depth in 2D),
            the first guess of the next step's secant iteration; 0 before the first.
        peak_pressure: the largest mean pressure of a converged step (Pa).
        time: accumulated time of the committed steps (s).
        loaded: whether a load step has converged.
    """

    applied_pressure: float = 0.0
    platen: float = 0.0
    platen_stiffness: float = 0.0
    peak_pressure: float = 0.0
    time: float = 0.0
    loaded: bool = False


class ContactProblem:
    """A block pressed onto a rigid surface: forms, unknown, state, bounds, contact solver.

    Args:
        block: the meshed block (:mod:`solver.fem.mesh`).
        surface: heights of the rigid surface (:class:`solver.surface.heightmap.HeightMap`, or a
            callable ``h(x)`` / ``h(x, y)``).
        material: the constitutive law. Elastic: a UFL map from the Mandel strain to the Mandel
            stress (``LinearElastic(E, nu).stress``), a ``LinearElastic`` or ``ElasticParams``.
            Inelastic (state at quadrature points): ``J2Params``, ``ElasticCreepParams``,
            ``ElastoplasticCreepParams`` (:mod:`solver.physics.laws`).
        prefix: PETSc options prefix of this problem (unique in the programme, ends with ``_``).
        petsc_options: option preset (:mod:`solver.fem.petsc`); command-line options under the
            prefix override it.
        degree: Lagrange degree of the displacement (1: the bound acts at the vertices). Q1 and
            P1 lock in fully plastic flow (see :mod:`solver.fem.quadrature`); 2 does not.
        force_tol: Newton stops when the residual norm (inactive set) falls below ``force_tol``
            × the load vector's norm (or by ``snes_rtol``; a larger ``snes_atol`` option wins).
        quadrature_degree: rule of the inelastic state; ``None``: 2(k−1) on simplices (≥ 1),
            2k on quadrilaterals/hexahedra.
        control: ``"traction"`` (uniform pressure on the top face) or ``"platen"`` (rigid platen,
            its displacement found for the target mean pressure); see the module docstring.
        force_rtol: platen control: the contact force must match ``p̄ A₀`` to this tolerance
            relative to the largest mean pressure so far times ``A₀``.
        contact_solver: ``"active_set"`` (:mod:`solver.fem.active_set`, the default) or
            ``"vi"`` (PETSc's ``vinewtonrsls``, kept for comparison).
        linear_solver: :data:`LINEAR_SOLVERS`; ignored when ``petsc_options`` are given.

    Attributes:
        V, u: the displacement space and unknown.
        pressure: the applied mean pressure (a ``dolfinx.fem.Constant``, Pa; with a platen the
            target of the last step, not part of the forms).
        platen: vertical displacement of the top face (a ``dolfinx.fem.Constant``, m, ≤ 0);
            platen control only.
        load: the committed :class:`LoadState` (time, platen stiffness, peak pressure, …).
        F: the residual form (UFL); ``problem``: the ``NonlinearProblem``; ``snes``: its SNES.
        law: the :class:`solver.fem.quadrature.QuadratureLaw` of an inelastic material, else None.
        stress: the UFL stress map of an elastic material, else None.
        face_dofs: local (unrolled, owned and ghost) indices of the face's vertical dofs.
        lower: lower bound ``h(x) − z_node`` at ``face_dofs`` (m).
    """

    def __init__(self, block: geometry.Block, surface, material, *,
                 prefix: str = "lamina_contact_", petsc_options: dict | None = None,
                 degree: int = 1, force_tol: float = 1e-8,
                 quadrature_degree: int | None = None, control: str = "traction",
                 force_rtol: float = 1e-8, contact_solver: str = "active_set",
                 linear_solver: str = "auto"):
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        if block.kind not in KINDS:
            raise InputError(f"block kind={block.kind!r}: allowed {', '.join(KINDS)}")
        if control not in CONTROLS:
            raise InputError(f"control={control!r}: allowed {', '.join(CONTROLS)}")
        if contact_solver not in CONTACT_SOLVERS:
            raise InputError(f"contact_solver={contact_solver!r}: allowed "
                             f"{', '.join(CONTACT_SOLVERS)}")
        if linear_solver not in LINEAR_SOLVERS:
            raise InputError(f"linear_solver={linear_solver!r}: allowed "
                             f"{', '.join(LINEAR_SOLVERS)}")
        self.control = control
        self.contact_solver = contact_solver
        self.linear_solver = linear_solver
        self.force_rtol = float(force_rtol)
        self.load = LoadState()
        if not isinstance(surface, HeightMap):
            surface = HeightMap(surface)
        self.block = block
        self.surface = surface
        self.kind = block.kind
        mesh = block.mesh
        self.comm = mesh.comm
        self.vertical = mesh.geometry.dim - 1
        self.V = dolfinx.fem.functionspace(mesh, ("Lagrange", int(degree), (mesh.geometry.dim,)))
        self.u = dolfinx.fem.Function(self.V, name="displacement")
        self.pressure = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self.platen = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self.material = material
        J = self._forms(material, quadrature_degree)
        self.bcs = self._boundary_conditions()
        self._face_bounds(surface)
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            self.F, self.u, bcs=self.bcs, J=J, petsc_options_prefix=prefix)
        self.snes = self.problem.solver
        if self.law is not None:
            quadrature.attach(self.problem, self.law, self.bcs)
        self.prefix = prefix
        options = self._configure_solver(petsc_options, force_tol)
        self._face_areas()
        self.active_set = (ActiveSetNewton(self, options, self.top_dofs)
                           if contact_solver == "active_set" else None)

    # -- construction -------------------------------------------------------------------------
    def _measures(self):
        """``(v, w, dx, ds, e_z)``: test function, volume weight, measures, vertical unit vector."""
        import ufl

        mesh = self.block.mesh
        v = ufl.TestFunction(self.V)
        w = volume_weight(mesh, self.kind)
        dx = ufl.Measure("dx", domain=mesh)
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=self.block.facet_tags)
        return v, w, dx, ds, ufl.unit_vector(self.vertical, mesh.geometry.dim)

    def _forms(self, material, quadrature_degree):
        """Set the residual ``F`` (and ``law`` or ``stress``); return the Jacobian form or None."""
        import ufl

        v, w, dx, ds, ez = self._measures()
        load = (self.pressure * ufl.dot(ez, v) * w * ds(geometry.TOP)
                if self.control == "traction" else 0)
        self.law = None
        self.stress = None
        if isinstance(material, quadrature.INELASTIC):
            self.law = quadrature.QuadratureLaw(self.u, self.kind, material, quadrature_degree)
            self.F = self.law.residual(v, w) + load
            return self.law.jacobian(ufl.TrialFunction(self.V), v, w)
        if isinstance(material, LinearElastic):
            stress = material.stress
        elif isinstance(material, laws.ElasticParams):
            stress = LinearElastic(material.E, material.nu).stress
        elif callable(material):
            stress = material
        else:
            raise InputError(f"material {type(material).__name__}: allowed a UFL stress map, "
                             "LinearElastic, or laws.ElasticParams, J2Params, "
                             "ElasticCreepParams, ElastoplasticCreepParams")
        self.stress = stress
        self.F = (ufl.dot(stress(strain_mandel(self.u, self.kind)), strain_mandel(v, self.kind))
                  * w * dx + load)
        return None

    def _boundary_conditions(self) -> list:
        """Lateral symmetry planes (u_n = 0), the axis of an axisymmetric block (u_r = 0), and
        under platen control the top face's vertical displacement."""
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        V, tags = self.V, self.block.facet_tags
        fdim = self.block.mesh.topology.dim - 1
        lateral = [(geometry.LEFT, 0), (geometry.RIGHT, 0)]
        if self.kind == "3d":
            lateral += [(geometry.FRONT, 1), (geometry.BACK, 1)]
        bcs = []
        for marker, comp in lateral:
            dofs = dolfinx.fem.locate_dofs_topological(V.sub(comp), fdim, tags.find(marker))
            bcs.append(dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0), dofs, V.sub(comp)))
        self.top_dofs = None
        if self.control == "platen":
            dofs = dolfinx.fem.locate_dofs_topological(V.sub(self.vertical), fdim,
                                                       tags.find(geometry.TOP))
            self.top_dofs = dofs
            # The active-set Newton imposes the platen itself (its rows are replaced like the
            # active contact rows, and the platen can be an unknown); vinewtonrsls needs a bc.
            if self.contact_solver == "vi":
                bcs.append(dolfinx.fem.dirichletbc(self.platen, dofs, V.sub(self.vertical)))
        return bcs

    def _face_bounds(self, surface) -> None:
        """Vertical dofs of the contact face, their lower bounds and the height scale; refuses a
        surface that rises above the face."""
        dolfinx = import_dolfinx()

        V, block = self.V, self.block
        gdim = block.mesh.geometry.dim
        face = block.facet_tags.find(geometry.BOTTOM)
        self.face_dofs = dolfinx.fem.locate_dofs_topological(
            V.sub(self.vertical), block.mesh.topology.dim - 1, face)
        bs = V.dofmap.index_map_bs
        coords = V.tabulate_dof_coordinates()[self.face_dofs // bs]
        self.face_points = coords[:, :gdim]
        lateral_xy = [self.face_points[:, i] for i in range(gdim - 1)]
        self.lower = surface(*lateral_xy) - self.face_points[:, self.vertical]
        self._n_owned = V.dofmap.index_map.size_local * bs
        self._owned = self.face_dofs < self._n_owned
        worst = self.comm.allreduce(float(np.max(self.lower, initial=-np.inf)), op=mpi().MAX)
        scale = self.comm.allreduce(float(np.max(np.abs(self.lower), initial=0.0)),
                                    op=mpi().MAX)
        self.height_scale = scale if scale > 0 else block.h_face
        #: platen displacement at which the highest point of the surface touches the face (m)
        self.first_touch = -worst
        if worst > 1e-9 * self.height_scale:
            raise InputError(f"surface: rises {worst:.3g} m above the contact face at z = "
                             f"{block.z_face:.6g} m; place the face at max(h)")

    def _configure_solver(self, petsc_options: dict | None, force_tol: float) -> dict:
        """PETSc options, the residual tolerance's scale and the variable bounds; returns the
        options applied."""
        import ufl
        from petsc4py import PETSc

        dolfinx = import_dolfinx()
        # PETSc decides "x is on its bound" with an absolute tolerance (default 1e-8, in the
        # unknown's units: 10 nm here, more than the displacements): scale it to the surface.
        if petsc_options is None:
            options = dict(CONTACT_VI)
            if self.kind != "3d" and self.contact_solver == "vi":
                options.update(PROFILE_ORDERING)
            if self.law is not None:
                options.update(PLATEN_INELASTIC_OVERRIDES if self.control == "platen"
                               else INELASTIC_OVERRIDES)
            if self.iterative:
                options = {**linear_part(options, linear=False),
                           **(CONTACT_AS_ITERATIVE if self.contact_solver == "active_set"
                              else linear_part(CONTACT_VI_GAMG))}
            elif self.contact_solver == "active_set":
                options.update(CONTACT_AS_DIRECT)
        else:
            options = dict(petsc_options)
        options.setdefault("snes_vi_zero_tolerance", 1e-12 * self.height_scale)
        # With the active-set solver the SNES only evaluates residuals and Jacobians: its linear
        # solver options go to the active-set KSP instead.
        apply_options(self.snes, self.prefix, options if self.contact_solver == "vi" else
                      linear_part(options, linear=False))
        # Absolute residual tolerance ∝ the load: the residual of an exactly solved linear step
        # stalls at round-off (1e-12 to 1e-10 of the load vector's norm on the benchmarks), above
        # rtol times the initial residual of a small load increment. One edge node on the wrong
        # side leaves ≳ 1e-5 of it. See set_residual_scale.
        self.force_tol = float(force_tol)
        self._atol0 = float(self.snes.getTolerances()[1])
        v, w, _, ds, ez = self._measures()
        top = self._assemble(dolfinx.fem.form(ufl.dot(ez, v) * w * ds(geometry.TOP)))
        owned = np.arange(len(top)) < self._n_owned
        self._top_norm = math.sqrt(self.comm.allreduce(float(np.sum(top[owned] ** 2)),
                                                       op=mpi().SUM))
        self._xl, self._xu = self.problem.x.duplicate(), self.problem.x.duplicate()
        self._xl.set(PETSc.NINFINITY)
        self._xu.set(PETSc.INFINITY)
        with self._xl.localForm() as loc:
            loc.array[self.face_dofs] = self.lower
        self.snes.setVariableBounds(self._xl, self._xu)
        return options

    @property
    def iterative(self) -> bool:
        """Whether the Newton steps are solved by CG + GAMG (see :data:`LINEAR_SOLVERS`)."""
        if self.linear_solver != "auto":
            return self.linear_solver == "iterative"
        ndofs = self.V.dofmap.index_map.size_global * self.V.dofmap.index_map_bs
        return self.kind == "3d" and ndofs > ITERATIVE_DOFS_3D

    def _face_areas(self) -> None:
        """Nodal areas ``∫ φ_i ds`` of the face dofs, the face area (all ranks) and the
        recovery that turns reactions into contact pressures."""
        import ufl

        dolfinx = import_dolfinx()
        v, w, _, ds, ez = self._measures()
        self._area_form = dolfinx.fem.form(ufl.dot(ez, v) * w * ds(geometry.BOTTOM))
        self._area = self._assemble(self._area_form)[self.face_dofs]
        self.face_area = self.comm.allreduce(float(np.sum(self._area[self._owned])),
                                             op=mpi().SUM)
        self._count_area = self._area  # what the contact fraction counts: see face_pressure
        rule = count_area_rule(self.V, self.kind)
        self.closure = None  # P2 triangle faces: the contact indicator's VertexClosure
        if rule is not None:
            form = dolfinx.fem.form(ufl.dot(ez, v) * w * ds(geometry.BOTTOM, metadata=rule))
            self._count_area = self._assemble(form)[self.face_dofs]
            edges = face_edges(self.V, self.block.facet_tags, geometry.BOTTOM)
            self.closure = VertexClosure(self.V, edges, self.face_dofs, self._owned)
        du = ufl.TrialFunction(self.V)
        k = self.vertical
        self.face_pressure = FacePressure(self.V, self.face_dofs, self._owned,
                                          self._area[self._owned],
                                          du[k] * v[k] * w * ds(geometry.BOTTOM), self.comm)

    # -- the committed load state --------------------------------------------------------------
    def set_residual_scale(self, pressure: float) -> None:
        """Newton's absolute residual tolerance for a step to mean pressure ``pressure`` (Pa).

        Round-off in the residual scales with the stresses in the body: after a release those of
        the peak load, in a plastic body ≥ :func:`solver.fem.quadrature.roundoff_stress`."""
        scale = max(pressure, self.load.peak_pressure, quadrature.roundoff_stress(self.material))
        self.snes.setTolerances(atol=max(self._atol0, self.force_tol * scale * self._top_norm))

    def commit(self, pressure: float, dt: float, stiffness: float | None = None) -> None:
        """Make the current iterate the converged step to ``pressure`` (Pa) over ``dt`` (s):
        commit the inelastic state and replace :attr:`load` (``stiffness``: the platen's new
        d(force)/dw, None keeps the last)."""
        self.pressure.value = pressure
        if self.law is not None:
            self.law.update()  # no-op unless SNES stopped away from its last residual evaluation
            self.law.commit()
        last = self.load
        self.load = LoadState(
            applied_pressure=float(pressure), platen=float(self.platen.value),
            platen_stiffness=last.platen_stiffness if stiffness is None else float(stiffness),
            peak_pressure=max(last.peak_pressure, float(pressure)),
            time=last.time + float(dt), loaded=True)

    def rollback(self, u: np.ndarray) -> None:
        """Back to the last committed step after a failed solve: displacement ``u`` (the local
        array saved before the step), the applied pressure and platen of :attr:`load`, and the
        committed inelastic state."""
        self.u.x.array[:] = u
        self.u.x.scatter_forward()
        self.pressure.value = self.load.applied_pressure
        self.platen.value = self.load.platen
        if self.law is not None:
            self.law.restore()

    def owned_state(self) -> dict[str, np.ndarray]:
        """Views of this rank's owned displacement dofs and committed law state (flat), by
        name: ``u``, ``law_<field>`` (:class:`solver.physics.laws.LawState`), ``law_eta_solved``."""
        out = {"u": self.u.x.array[:self._n_owned]}
        if self.law is not None:
            for name, arr in zip(laws.LawState._fields, self.law.committed):
                out[f"law_{name}"] = np.asarray(arr).reshape(-1)
            if self.law.has_gradient:
                out["law_eta_solved"] = self.law.eta_solved
        return out

    def restore(self, load: LoadState, owned: dict[str, np.ndarray]) -> None:
        """Put the problem back where :meth:`owned_state` and :attr:`load` were taken (same
        mesh and rank count)."""
        n = owned["u"].size
        self.u.x.array[:n] = owned["u"]
        self.u.x.scatter_forward()
        self.load = load
        self.pressure.value = load.applied_pressure
        self.platen.value = load.platen
        if self.law is not None:
            shapes = [np.shape(a) for a in self.law.committed]
            self.law.set_committed(laws.LawState(*(
                np.asarray(owned[f"law_{name}"], dtype=float).reshape(shape).copy()
                for name, shape in zip(laws.LawState._fields, shapes))),
                owned.get("law_eta_solved"))
            self.law.restore()

    # ----------------------------------------------------------------------------------------
    def _assemble(self, form) -> np.ndarray:
        """Assemble a linear form; return the local array (owned and ghost entries)."""
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        b = dolfinx.fem.petsc.assemble_vector(form)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        b.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        with b.localForm() as loc:
            out = loc.array.copy()
        b.destroy()
        return out

    def close(self) -> None:
        """Destroy the PETSc objects now (collective, :func:`solver.fem.petsc.destroy_problem`);
        the displacement and the law state stay readable."""
        if self.law is not None:
            self.law._callbacks = None
        destroy_problem(self.problem)
        self.face_pressure.destroy()
        if self.active_set is not None:
            self.active_set.destroy()
        for v in (self._xl, self._xu):
            v.destroy()

    def last_iterations(self) -> int:
        """Newton iterations of the last solve (also a failed one)."""
        return (self.active_set.iterations if self.active_set is not None
                else int(self.snes.getIterationNumber()))

    def in_contact_anywhere(self, tol: float | None = None) -> bool:
        """Whether any face node touches the surface (all ranks)."""
        tol = self.default_tol() if tol is None else tol
        gap = self.u.x.array[self.face_dofs] - self.lower
        touching = bool(np.any(gap[self._owned] <= tol))
        return bool(self.comm.allreduce(touching, op=mpi().LOR))

    def default_tol(self) -> float:
        """Gap below which a node counts as in contact: 1e-9 of the surface height range."""
        return 1e-9 * self.height_scale

    def touch(self, depth_fraction: float = 0.01) -> None:
        """Move the block rigidly down onto the surface (start of the first load step).

        Without contact the block is free to translate vertically and the Jacobian is
        singular. The block is translated down by ``depth_fraction`` of the surface's height
        range below its highest point, and the face nodes that then penetrate are put on the
        surface: at the first Newton iterate those nodes are active and fix the translation,
        and the active set grows or shrinks from there. 1 % took the fewest iterations on the
        benchmarks (Hertz 9, against 20 with every face node active at the start).
        """
        MPI = mpi()
        lo = self.comm.allreduce(float(np.min(self.lower, initial=np.inf)), op=MPI.MIN)
        hi = self.comm.allreduce(float(np.max(self.lower, initial=-np.inf)), op=MPI.MAX)
        level = hi - depth_fraction * (hi - lo) if hi > lo else hi - 1e-3 * self.block.h_face
        bs = self.V.dofmap.index_map_bs
        self.u.x.array[self.vertical::bs] = level
        self.u.x.array[self.face_dofs] = np.maximum(self.u.x.array[self.face_dofs], self.lower)
        self.u.x.scatter_forward()
