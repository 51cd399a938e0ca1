"""Inelastic material state at quadrature points, and the forms and SNES hooks that use it.

The constitutive laws of :mod:`solver.physics.laws` are pure functions of the strain increment and the
state at independent material points. This module puts those points at the quadrature points of
a mesh (the approach of Bleyer's plasticity tours and dolfinx_materials):

* the state (total strain, inelastic strain, accumulated plastic and creep strain) is a set of
  NumPy arrays over the quadrature points of the cells owned by this rank, ordered cell-major
  (``cell * n_qp + q``);
* the stress ``σ`` and the consistent tangent ``C = dσ/dε`` live in quadrature spaces
  (``basix.ufl.quadrature_element``, the same points as the integration rule), so that the
  residual ``∫ σ·ε(v) w dx`` and the Jacobian ``∫ (C ε(du))·ε(v) w dx`` are ordinary UFL forms;
* :meth:`QuadratureLaw.update` evaluates the strain of the current displacement at those points
  (a ``dolfinx.fem.Expression`` of :func:`solver.fem.kinematics.strain_mandel`), calls the law with the
  increment from the last committed state, and writes σ and C. :func:`attach` wraps the SNES
  residual and Jacobian callbacks so that this happens at every Newton iterate, before either is
  assembled: the Jacobian is always the tangent of the iterate it is assembled at.

Only cells owned by this rank are evaluated (DOLFINx integrates cell integrals over owned cells),
so an update is local: no communication, and ranks may skip it independently.

Quadrature degree (:func:`default_quadrature_degree`): ``2(k−1)`` on simplices (P1: one point,
P2: three points in 2D; the elastic stiffness of an affine cell is then exact), ``2k`` on
quadrilaterals/hexahedra (full Gauss integration, 2×2 for Q1). Note that low-order elements with
full integration lock in fully plastic plane-strain and 3D flow (plastic incompressibility,
Nagtegaal, Parks & Rice, CMAME 4, 153 (1974)); use ``degree=2`` for limit loads.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solver.errors import InputError
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.kinematics import strain_mandel
from solver.fem.plastic_gradient import PlasticStrainGradient
from solver.physics import laws

#: Parameter types of the inelastic laws (quadrature-point state needed).
INELASTIC = (laws.J2Params, laws.ElasticCreepParams, laws.ElastoplasticCreepParams)
#: Every law parameter type accepted by :class:`QuadratureLaw`.
LAW_PARAMS = (laws.ElasticParams, *INELASTIC)
#: :meth:`QuadratureLaw.iterate_gradient`: a rise of ``ℓ η`` below this fraction of
#: ``1 + ℓ η`` (of ``σ_f²`` at bulk yield) does not count as a change of the law.
GRADIENT_RTOL = 1e-8
#: The fraction of the yield stress below which a contact residual's tolerance is not scaled
#: (:func:`roundoff_stress`): 30 times the measured round-off.
ROUNDOFF_YIELD_FRACTION = 0.1


def law_function(material) -> Callable:
    """``f(deps, dt, state, eta) -> LawResult`` for a parameter object of
    :mod:`solver.physics.laws` (``eta``: the CMSG plastic-strain gradient per point, 1/m, or None;
    used by the laws with a J2 part)."""
    if isinstance(material, laws.ElasticParams):
        return lambda de, dt, st, eta=None: laws.elastic(de, st, material)
    if isinstance(material, laws.J2Params):
        return lambda de, dt, st, eta=None: laws.j2_return_map(de, st, material, eta)
    if isinstance(material, laws.ElasticCreepParams):
        return lambda de, dt, st, eta=None: laws.norton_creep(de, dt, st, material)
    if isinstance(material, laws.ElastoplasticCreepParams):
        return lambda de, dt, st, eta=None: laws.elastoplastic_creep(de, dt, st, material, eta)
    raise InputError(f"material {type(material).__name__}: allowed "
                     f"{', '.join(t.__name__ for t in LAW_PARAMS)}")


def elastic_moduli(material) -> tuple[float, float]:
    """``(E, ν)`` of a law parameter object."""
    if isinstance(material, (laws.ElasticParams, laws.J2Params)):
        return material.E, material.nu
    if isinstance(material, laws.ElasticCreepParams):
        return material.elastic.E, material.elastic.nu
    if isinstance(material, laws.ElastoplasticCreepParams):
        return material.plastic.E, material.plastic.nu
    raise InputError(f"material {type(material).__name__}: allowed "
                     f"{', '.join(t.__name__ for t in LAW_PARAMS)}")


def j2_part(material):
    """The :class:`laws.J2Params` of a law parameter object, or None (no plasticity)."""
    if isinstance(material, laws.J2Params):
        return material
    if isinstance(material, laws.ElastoplasticCreepParams):
        return material.plastic
    return None


def intrinsic_length(material) -> float:
    """The CMSG intrinsic length ``ℓ`` (m) of a law parameter object (0 without a J2 part)."""
    j2 = j2_part(material)
    return j2.intrinsic_length if j2 is not None else 0.0


def roundoff_stress(material) -> float:
    """A stress (Pa) below which a contact residual's tolerance should not be scaled:
    :data:`ROUNDOFF_YIELD_FRACTION` × the initial yield stress ``σ_y0`` (0 without a J2 part).

    The contact spots of a plastic body yield from the first touch, so its residual carries the
    round-off of stresses ≥ σ_y0 however low the mean pressure. Measured: the first step of a
    press to 1 kPa (``krauskopf_pressure`` small, CMSG lithium, σ_y0 = 0.81 MPa) cut back to
    3.9 Pa, where Newton stalled at ‖Φ‖ = 1.15e-11 against a tolerance of 1.8e-14 scaled with
    3.9 Pa: the round-off of a pressure of ≈ 2.5 kPa = 3e-3 σ_y0.
    """
    j2 = j2_part(material)
    return ROUNDOFF_YIELD_FRACTION * j2.sigma_y if j2 is not None else 0.0


def default_quadrature_degree(mesh, degree: int) -> int:
    """``2(k−1)`` (≥ 1) on simplices, ``2k`` on quadrilaterals and hexahedra (see module doc)."""
    simplex = mesh.basix_cell().name in ("interval", "triangle", "tetrahedron")
    return max(1, 2 * (int(degree) - 1)) if simplex else 2 * int(degree)


class QuadratureLaw:
    """State, stress and tangent of a constitutive law at the quadrature points of a mesh.

    Args:
        u: the displacement Function (its mesh and kinematics define the strain).
        kind: ``"plane_strain"``, ``"axisymmetric"`` or ``"3d"`` (see :mod:`solver.fem.contact`).
        material: a parameter object of :mod:`solver.physics.laws` (see :data:`LAW_PARAMS`).
        quadrature_degree: degree of the rule; ``None``: :func:`default_quadrature_degree`.

    Attributes:
        sigma, tangent: quadrature Functions of σ (Mandel, ``ncomp``) and C (``ncomp × ncomp``).
        committed: :class:`solver.physics.laws.LawState` at the end of the last committed step.
        trial: the state of the last :meth:`update` (becomes ``committed`` on :meth:`commit`).
        eta: CMSG effective plastic-strain gradient per owned point used by the law (1/m;
            zeros when the material has no intrinsic length): the committed state's
            (:attr:`eta_committed`, recomputed on :meth:`commit` and :meth:`set_committed` by
            :mod:`solver.fem.plastic_gradient`), raised within a step by
            :meth:`iterate_gradient` (implicit gradient), reset by :meth:`reset_gradient`.
        dt: time increment of the current step (s), used by creep laws.
        dx: the integration measure matching the quadrature spaces.
        points: physical coordinates of the owned quadrature points, ``(n, gdim)``.
        ncomp: 4 (plane strain, axisymmetric) or 6 (3D).
    """

    def __init__(self, u, kind: str, material, quadrature_degree: int | None = None):
        dolfinx = import_dolfinx()
        import basix
        import basix.ufl
        import ufl

        self.u = u
        self.kind = kind
        self.material = material
        self._law = law_function(material)
        mesh = u.function_space.mesh
        self.mesh = mesh
        self.ncomp = 6 if kind == "3d" else 4
        if kind != "3d" and mesh.geometry.dim != 2:
            raise InputError(f"kind={kind!r} needs a 2D mesh, got gdim={mesh.geometry.dim}")
        k = u.function_space.ufl_element().degree
        qdeg = default_quadrature_degree(mesh, k) if quadrature_degree is None \
            else int(quadrature_degree)
        self.quadrature_degree = qdeg
        cell = mesh.basix_cell()
        self.reference_points, self.reference_weights = basix.make_quadrature(cell, qdeg)
        self.n_qp = len(self.reference_weights)

        def qspace(shape):
            el = basix.ufl.quadrature_element(cell, value_shape=shape, scheme="default",
                                              degree=qdeg)
            return dolfinx.fem.functionspace(mesh, el)

        m = self.ncomp
        self.V_sigma = qspace((m,))
        self.V_tangent = qspace((m, m))
        self.sigma = dolfinx.fem.Function(self.V_sigma, name="stress")
        self.tangent = dolfinx.fem.Function(self.V_tangent, name="tangent")
        tdim = mesh.topology.dim
        self.n_cells = mesh.topology.index_map(tdim).size_local
        self.cells = np.arange(self.n_cells, dtype=np.int32)
        self.n_points = self.n_cells * self.n_qp
        # Function-array positions of the owned points, cell-major (dofmap, not assumed).
        dofs = self.V_sigma.dofmap.list[:self.n_cells].reshape(-1)
        self._dofs = dofs.astype(np.int64)
        self.dx = ufl.Measure("dx", domain=mesh,
                              metadata={"quadrature_degree": qdeg, "quadrature_scheme": "default"})
        self._strain = dolfinx.fem.Expression(strain_mandel(u, kind), self.reference_points)
        xq = dolfinx.fem.Expression(ufl.SpatialCoordinate(mesh), self.reference_points)
        self.points = xq.eval(mesh, self.cells).reshape(self.n_points, -1).copy()
        self.committed = laws.initial_state(self.n_points, m)
        self.trial = self.committed
        self.eta = np.zeros(self.n_points)
        self.eta_committed = self.eta
        #: the ``η`` the committed step was solved with (its σ lies on that flow stress)
        self.eta_solved = self.eta
        self._gradient = None
        if intrinsic_length(material) > 0.0:
            self._gradient = PlasticStrainGradient(self)
        self.dt = 0.0
        self._key = None
        self._write(np.zeros((self.n_points, m)),
                    np.broadcast_to(laws.elastic_stiffness(*elastic_moduli(material), m),
                                    (self.n_points, m, m)))

    # ------------------------------------------------------------------------------------------
    def residual(self, v, weight=1.0):
        """``∫ σ·ε(v) w dx`` (UFL)."""
        import ufl

        return ufl.dot(self.sigma, strain_mandel(v, self.kind)) * weight * self.dx

    def jacobian(self, du, v, weight=1.0):
        """``∫ (C ε(du))·ε(v) w dx`` (UFL)."""
        import ufl

        return (ufl.dot(ufl.dot(self.tangent, strain_mandel(du, self.kind)),
                        strain_mandel(v, self.kind)) * weight * self.dx)

    def strain(self) -> np.ndarray:
        """Total Mandel strain of the current ``u`` at the owned points, ``(n, ncomp)``."""
        vals = self._strain.eval(self.mesh, self.cells)
        return vals.reshape(self.n_points, self.ncomp)

    def update(self, force: bool = False) -> bool:
        """Evaluate the law at the current ``u`` from the committed state over ``dt``.

        Skipped when neither ``u`` (owned and ghost values) nor ``dt`` changed since the last
        update (unless ``force``). Local: no communication. Returns whether it evaluated.
        """
        arr = self.u.x.array
        if (not force and self._key is not None and self._key[1] == self.dt
                and np.array_equal(self._key[0], arr)):
            return False
        deps = self.strain() - self.committed.eps
        res = self._law(deps, self.dt, self.committed,
                        self.eta if self._gradient is not None else None)
        self.trial = res.state
        self._write(res.stress, res.tangent)
        self._key = (arr.copy(), self.dt)
        return True

    def _write(self, stress: np.ndarray, tangent: np.ndarray) -> None:
        m = self.ncomp
        self.sigma.x.array.reshape(-1, m)[self._dofs] = stress
        self.tangent.x.array.reshape(-1, m * m)[self._dofs] = tangent.reshape(-1, m * m)

    def commit(self) -> None:
        """Accept the last update as the state at the end of the step.

        σ and C stay those of that update, which are the committed state's at ``dt = 0``: the
        time increment is reset, so that reading the reactions after the step (an
        :meth:`update` at the same ``u``) does not apply the step's creep a second time (it did:
        contact forces 3.5–4 % below the load in the default case's hold steps).
        """
        self.committed = self.trial
        self.eta_solved = self.eta
        self.dt = 0.0
        self._key = None if self._key is None else (self._key[0], 0.0)
        self._refresh_gradient()

    def set_committed(self, state: laws.LawState, eta_solved: np.ndarray | None = None) -> None:
        """Replace the committed state (a checkpoint's) and recompute :attr:`eta` from it;
        ``eta_solved``: the ``η`` its step was solved with (None: the recomputed one). Call
        :meth:`restore` next. Collective when the material has an intrinsic length."""
        self.committed = state
        self.trial = state
        self._refresh_gradient()
        self.eta_solved = (self.eta_committed if eta_solved is None
                           else np.array(eta_solved, dtype=float))

    def _refresh_gradient(self) -> None:
        """:attr:`eta` from the committed plastic strain (collective; no-op without ℓ)."""
        if self._gradient is not None:
            self.eta = self.eta_committed = self._gradient.compute(self.committed.eps_p)

    @property
    def has_gradient(self) -> bool:
        """Whether the material has an intrinsic length (a plastic-strain gradient)."""
        return self._gradient is not None

    def reset_gradient(self) -> None:
        """:attr:`eta` back to the committed state's, for a solve that starts from it (local;
        the next :meth:`update` re-evaluates the law, whatever it evaluated last, so a solve
        after a restart starts as it would have without one; no-op without ℓ)."""
        if self._gradient is not None:
            self.eta = self.eta_committed
            self._key = None

    def iterate_gradient(self, rtol: float = GRADIENT_RTOL) -> bool:
        """Implicit gradient, one fixed-point pass: ``η ← max(η, η^p(trial ε^p))`` and the law
        re-evaluated at the same ``u``; whether σ changed on any rank (collective).

        The plastic-strain gradient of the step's own plastic strain then hardens the points
        that yield in it, as CMSG's flow stress says, instead of one step late; the max keeps
        the pass monotone (a point that yields and then hardens enough to unload would otherwise
        alternate between the two). A change counts where ``ℓ Δη > rtol (1 + ℓ η)`` (the
        relative change of ``σ_f²`` at bulk yield; no-op without ℓ).
        """
        if self._gradient is None:
            return False
        new = np.maximum(self.eta, self._gradient.compute(self.trial.eps_p))
        ell = intrinsic_length(self.material)
        local = bool(np.any(ell * (new - self.eta) > rtol * (1.0 + ell * self.eta)))
        changed = bool(self.mesh.comm.allreduce(local, op=mpi().LOR))
        if changed:
            self.eta = new
            self.update(force=True)
        return changed

    def restore(self) -> None:
        """Discard the trial state: σ and C back to those of the committed state (``dt = 0``)."""
        self.dt = 0.0
        self.trial = self.committed
        # σ as the committed step left it (on the flow stress it was solved with), η for the
        # next step the committed one: as after :meth:`commit`
        self.eta = self.eta_solved
        self.update(force=True)
        self.eta = self.eta_committed

    # ------------------------------------------------------------------------------------------
    def stress_values(self) -> np.ndarray:
        """σ of the last update at the owned points, ``(n, ncomp)`` (Mandel, Pa)."""
        return self.sigma.x.array.reshape(-1, self.ncomp)[self._dofs].copy()

    def equivalent_inelastic_strain(self, part: str = "inelastic") -> np.ndarray:
        """Accumulated equivalent strain of the committed state per owned point.

        ``part``: ``"plastic"`` (``p``), ``"creep"`` (``p_creep``) or ``"inelastic"`` (their sum).
        """
        st = self.committed
        if part == "plastic":
            return st.p.copy()
        if part == "creep":
            return st.p_creep.copy()
        if part == "inelastic":
            return st.p + st.p_creep
        raise InputError(f"part={part!r}: allowed 'plastic', 'creep', 'inelastic'")

    def cell_average(self, values: np.ndarray):
        """A DG0 Function with the quadrature-weighted mean of ``values`` (per point) per cell.

        The weights are those of the reference rule (exact means on affine cells). Collective
        (ghost cells are updated).
        """
        dolfinx = import_dolfinx()
        V0 = dolfinx.fem.functionspace(self.mesh, ("DG", 0))
        f = dolfinx.fem.Function(V0)
        w = self.reference_weights / np.sum(self.reference_weights)
        mean = np.asarray(values).reshape(self.n_cells, self.n_qp) @ w
        f.x.array[V0.dofmap.list[:self.n_cells, 0]] = mean
        f.x.scatter_forward()
        return f


def attach(problem, law: QuadratureLaw, bcs) -> None:
    """Make ``problem``'s SNES update ``law`` before every residual and Jacobian assembly.

    ``problem`` is a ``dolfinx.fem.petsc.NonlinearProblem`` whose forms use ``law.sigma`` and
    ``law.tangent``; ``bcs`` its Dirichlet conditions. The residual and Jacobian callbacks that
    DOLFINx installed are replaced by wrappers that put the iterate into ``u``, call
    :meth:`QuadratureLaw.update` (skipped if the iterate did not change) and then assemble as
    DOLFINx does. Works with any SNES type, including ``vinewtonrsls``.
    """
    dolfinx = import_dolfinx()
    from dolfinx.fem.petsc import assemble_jacobian, assemble_residual, assign
    from petsc4py import PETSc

    u = problem.u
    fctx = {"u": u, "residual": problem.F, "jacobian": problem.J, "bcs": bcs}
    jctx = {"u": u, "jacobian": problem.J, "preconditioner": problem.preconditioner, "bcs": bcs}

    def _at(x):
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        assign(x, u)
        law.update()

    def residual(snes, x, b):
        _at(x)
        assemble_residual(snes, x, b, **fctx)

    def jacobian(snes, x, J, P):
        _at(x)
        assemble_jacobian(snes, x, J, P, **jctx)

    problem.solver.setFunction(residual, problem.b)
    problem.solver.setJacobian(jacobian, problem.A, problem.P_mat)
    law._callbacks = (residual, jacobian)  # keep them alive with the law
