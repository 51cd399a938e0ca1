"""Small-signal (differential) resistance of a converged potential solve: one linear solve with
the Jacobian at the converged potential.

What impedance spectroscopy measures at low frequency is the slope of the polarisation curve at
the operating point, ``R_ss = dΔV/dJ`` (Ω·m²), not the dc ratio ``ΔV/J``. It is reported beside
the dc ASR with the same bulk term removed, ``asr_small_signal = dΔV/dJ − t/c``, so that a linear
interface (the Li|Cu film) gives exactly its dc ASR, and Butler–Volmer gives the charge-transfer
resistance ``RT/(F i₀ (α_a+α_c))`` per contact area (plus the constriction) at small current and
less than the dc ASR at large current.

**Tangent, not finite differences.** The residual of the potential problem is
``F(φ; J) = c ∇φ·∇v + s·j(φ) v (face) − s·(J A_face/A_counter) v (counter)``
(:class:`~solver.fem.potential_forms.Formulation`, ``s`` = ``face_sign``), so at the converged φ
``K·dφ/dJ = s (A_face/A_counter) ∫ v (counter)`` with ``K = ∂F/∂φ`` the Newton Jacobian: one
linear solve with the matrix Newton already uses, exact to the solver's accuracy, with no step
to choose. A symmetric difference of two extra nonlinear solves would cost two Newton solves per
step and carry an O(h²) truncation against an O(ε/h) round-off error (≈ 1e-6 at best). The dc
solution is only read, never changed: the dc results stay bit-identical.

*Galvanostatic* (``J`` applied): ``w = dφ/dJ`` is split as ``w = c₀ + δ`` with the constant
``c₀ = A_face / ∫ ∂j/∂φ ds`` (the answer for ``c → ∞``) and the small correction δ solved for,
as :class:`~solver.fem.potential_forms.FilmFormulation` does for the film (there LU would lose
≈ 1e-7 of w in the constant mode, held only by the film); ``dΔV/dJ = drop_sign·mean_counter(w)``.
*Potentiostatic* (``V`` applied): ``K w = 0`` with ``w = drop_sign`` on the counter
(``w = dφ/dV``), ``dJ/dV = ∫ (∂j/∂φ) w ds / A_face`` and ``dΔV/dJ = 1/(dJ/dV)``.
"""

from __future__ import annotations

from solver.fem.backend import import_dolfinx, mpi
from solver.fem.petsc import LINEAR_LU, destroy_problem, linear_part, preset
from solver.fem.petsc import apply as apply_options

#: Tangent solve: a direct solve (the Jacobian of one Newton step).
CURRENT_TANGENT: dict[str, object] = preset(LINEAR_LU)


def tangent_options(petsc_options: dict | None) -> dict:
    """The linear-solver part (``ksp_``, ``pc_``, ``mat_``, ``mg_`` options) of the problem's
    preset, so that a problem set up for CG + AMG solves its tangent the same way;
    :data:`CURRENT_TANGENT` without a preset or when it has none."""
    if petsc_options is None:
        return CURRENT_TANGENT
    linear = linear_part(petsc_options)
    return linear or CURRENT_TANGENT


class SmallSignal:
    """The tangent ``dφ/d(drive)`` of a :class:`~solver.fem.potential.CurrentProblem` at its
    converged potential, and from it ``dΔV/dJ`` (Ω·m²).

    Built from the problem's public space, measures and formulation (``jacobian``,
    ``face_sign``, ``current``); keeps no reference to the problem (see
    :class:`~solver.fem.potential_forms.Formulation`). PETSc options prefix
    ``<problem prefix>tangent_``.
    """

    def __init__(self, p, form):
        dolfinx = import_dolfinx()
        import ufl
        from petsc4py import PETSc

        mesh, w8 = p.block.mesh, p.weight
        v = ufl.TestFunction(p.V)
        self.w = dolfinx.fem.Function(p.V, name="potential_tangent")
        one = dolfinx.fem.Function(p.V)
        one.x.array[:] = 1.0
        self._sign = float(form.face_sign)
        self._jacobian = form.jacobian
        self._unit_flux = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self._c0 = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        # ∫ ∂j/∂φ · v over the face (a linear form in v), its total, and dI along w
        jphi_v = ufl.derivative(form.current * v * w8 * p.ds_face, p.phi, one)
        self._rhs_current = self._unit_flux * v * w8 * p.ds_counter - self._sign * self._c0 * jphi_v
        self._rhs_voltage = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0)) * v * w8 \
            * p.ds_counter
        self._jphi_total = dolfinx.fem.form(
            ufl.derivative(form.current * w8 * p.ds_face, p.phi, one))
        self._dI = dolfinx.fem.form(ufl.derivative(form.current * w8 * p.ds_face, p.phi, self.w))
        self._w_counter = dolfinx.fem.form(self.w * w8 * p.ds_counter)
        self._bc_value = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self._bc = dolfinx.fem.dirichletbc(self._bc_value, p.counter_dofs, p.V)
        self._problems: dict[str, object] = {}

    @staticmethod
    def _integrate(p, form) -> float:
        dolfinx = import_dolfinx()
        return p.comm.allreduce(float(dolfinx.fem.assemble_scalar(form)), op=mpi().SUM)

    def close(self) -> None:
        """Destroy the PETSc objects of the tangent solves (collective)."""
        for prob in self._problems.values():
            destroy_problem(prob)
        self._problems = {}

    def _problem(self, p, mode: str):
        if mode not in self._problems:
            dolfinx = import_dolfinx()
            galvanostatic = mode == "current"
            prob = dolfinx.fem.petsc.LinearProblem(
                self._jacobian, self._rhs_current if galvanostatic else self._rhs_voltage,
                bcs=[] if galvanostatic else [self._bc], u=self.w,
                petsc_options_prefix=f"{p.prefix}tangent_")
            apply_options(prob.solver, f"{p.prefix}tangent_", tangent_options(p.petsc_options))
            self._problems[mode] = prob
        return self._problems[mode]

    def resistance(self, p, mode: str) -> tuple[float, int]:
        """``(dΔV/dJ in Ω·m², KSP converged reason)`` at the converged ``p.phi`` for the drive
        ``mode`` (``"current"`` or ``"voltage"``); NaN where ``∂I/∂φ`` vanishes."""
        prob = self._problem(p, mode)
        if mode == "current":
            jphi = self._integrate(p, self._jphi_total)
            if jphi == 0:
                return float("nan"), 0
            self._c0.value = p.face_area / jphi
            self._unit_flux.value = self._sign * p.face_area / p.counter_area
        else:
            self._bc_value.value = p.model.drop_sign
        prob.solve()
        reason = int(prob.solver.getConvergedReason())
        self.w.x.scatter_forward()
        if mode == "current":
            c0 = float(self._c0.value)
            mean = c0 + self._integrate(p, self._w_counter) / p.counter_area
            self.w.x.array[:] += c0
            return p.model.drop_sign * mean, reason
        dJ_dV = self._integrate(p, self._dI) / p.face_area
        return (1.0 / dJ_dV if dJ_dV != 0 else float("nan")), reason
