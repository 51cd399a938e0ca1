"""Forms and solves of the potential problem, one formulation per kind of interface law.

:class:`solver.fem.potential.CurrentProblem` builds the body's measures and the counter
electrode's drives and hands the law-specific part to a formulation (:func:`formulation_of`):

* :class:`FilmFormulation` for :class:`~solver.physics.interface.FilmInterface`
  (``j = G φ``, linear): one direct solve;
* :class:`KineticFormulation` for :class:`~solver.physics.interface.KineticInterface`
  (Butler–Volmer, nonlinear): SNES ``newtonls`` with the problem's prefix; the converged reason
  is checked by the caller.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from solver.errors import InputError
from solver.fem.backend import import_dolfinx
from solver.fem.petsc import GAMG_CG, LINEAR_LU, preset
from solver.fem.petsc import apply as apply_options
from solver.physics.interface import FilmInterface, KineticInterface, Kinetics

#: Linear (electronic) potential problem: direct solve. The interface term ``G φ v`` is tiny next
#: to ``σ ∇φ·∇v`` for lithium (σh ≈ 1 against G h² ≈ 1e-10 S), harmless for LU.
CURRENT_LINEAR: dict[str, object] = preset(LINEAR_LU)

#: The same for 3D blocks too large for LU: CG + smoothed-aggregation AMG (a scalar Laplacian).
CURRENT_LINEAR_GAMG: dict[str, object] = preset(GAMG_CG)

#: Butler–Volmer potential problem: Newton with backtracking (the exponentials overshoot from a
#: far iterate), direct linear solves. :class:`KineticFormulation` adds an absolute residual
#: tolerance ∝ the current scale (A).
CURRENT_NEWTON: dict[str, object] = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_rtol": 1.0e-10,
    "snes_stol": 1.0e-14,
    "snes_max_it": 50,
    **LINEAR_LU,
}


class Formulation(Protocol):
    """The law-specific part of :class:`solver.fem.potential.CurrentProblem`: interface current,
    PETSc problem, solve. A formulation is made with the problem (``Formulation(problem)``) and
    builds on its public space, measures and drives; it keeps no reference to the problem (the
    methods get it again), so that no reference cycle delays the problem's collective PETSc
    destructors to a garbage collection that runs at different times on different ranks.

    Attributes:
        current: UFL expression of the interface current density j (A/m², drive direction).
        face_sign: ``s`` in the residual ``c ∇φ·∇v + s·j v (face) − s·q v (counter)`` with ``q``
            the counter's flux: +1 when ``j`` leaves the body at the face (film), −1 when it
            enters it there (kinetics).
        jacobian: the bilinear form ``∂F/∂φ`` (trial, test) at the current ``p.phi``.
    """

    current: object
    face_sign: float
    jacobian: object

    def problem(self, p, mode: str):
        """A new PETSc problem of ``p`` for the drive mode ``"current"`` or ``"voltage"``."""

    def run(self, p, prob, mode: str, drive: float) -> tuple[int, int]:
        """Solve ``prob`` (drive values already set) into ``p.phi``; ``(reason, iterations)``."""


class FilmFormulation:
    """``j = G φ``: linear in φ, one direct solve per drive (``face_sign`` +1: j leaves the
    lithium at the face).

    Galvanostatic: φ = φ₀ + δ with the constant φ₀ = I/∫G (the answer for σ → ∞) and δ solved
    for. For lithium the constant mode is held only by the film (stiffness ∫G against σ/h for the
    rest, a condition number ≈ 1e9), and LU loses ≈ 1e-7 of the solution in it; solving for the
    small correction δ keeps ΔV to round-off.
    """

    face_sign = 1.0

    def __init__(self, p):
        """Forms of ``p`` (a :class:`solver.fem.potential.CurrentProblem`)."""
        dolfinx = import_dolfinx()
        import ufl
        from petsc4py import PETSc

        mesh, w, ds_face, ds_counter = p.block.mesh, p.weight, p.ds_face, p.ds_counter
        u, v = ufl.TrialFunction(p.V), ufl.TestFunction(p.V)
        self._a = p.model.conductivity * ufl.inner(ufl.grad(u), ufl.grad(v)) * w * p.dx \
            + p.face * u * v * w * ds_face
        self._phi0 = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
        self._dphi = dolfinx.fem.Function(p.V)
        self._L = p.flux * v * w * ds_counter - p.face * self._phi0 * v * w * ds_face
        self._L0 = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0)) * v * w * ds_counter
        self.current = p.face * p.phi  # current density Li → Cu
        self.jacobian = self._a

    def problem(self, p, mode: str):
        dolfinx = import_dolfinx()
        galvanostatic = mode == "current"
        prob = dolfinx.fem.petsc.LinearProblem(
            self._a, self._L if galvanostatic else self._L0,
            bcs=[] if galvanostatic else [p.bc], u=self._dphi if galvanostatic else p.phi,
            petsc_options_prefix=p.prefix)
        apply_options(prob.solver, p.prefix,
                      CURRENT_LINEAR if p.petsc_options is None else p.petsc_options)
        return prob

    def run(self, p, prob, mode: str, drive: float) -> tuple[int, int]:
        if mode == "current":
            self._phi0.value = float(drive) * p.face_area / p.face_total()
        prob.solve()
        reason = int(prob.solver.getConvergedReason())
        if mode == "current":
            p.phi.x.array[:] = float(self._phi0.value) + self._dphi.x.array
        return reason, 0


def ufl_current(kinetics: Kinetics, eta):
    """The law of :meth:`solver.physics.interface.Kinetics.current` as a UFL expression of η (V):
    A/m², the dead band smoothed with a softplus."""
    import ufl

    if kinetics.eta_nucleation > 0:
        d, en = kinetics.smoothing, kinetics.eta_nucleation

        def softplus(x):  # ln(1 + eˣ) without overflow
            return ufl.max_value(x, 0.0) + ufl.ln(1.0 + ufl.exp(-abs(x)))

        eta = d * (softplus((eta - en) / d) - softplus((-eta - en) / d))
    f = kinetics.f
    return kinetics.i0 * (ufl.exp(kinetics.alpha_a * f * eta)
                          - ufl.exp(-kinetics.alpha_c * f * eta))


class KineticFormulation:
    """Butler–Volmer ``j = A·i_BV(0 − φ)``: nonlinear, Newton (SNES) from the 1D estimate
    (``face_sign`` −1: j enters the electrolyte at the face)."""

    face_sign = -1.0

    def __init__(self, p):
        """Residual of ``p`` (a :class:`solver.fem.potential.CurrentProblem`)."""
        import ufl

        self.current = p.face * ufl_current(p.model.kinetics, -p.phi)  # into the electrolyte
        v = ufl.TestFunction(p.V)
        self._F = p.model.conductivity * ufl.inner(ufl.grad(p.phi), ufl.grad(v)) * p.weight * p.dx \
            - self.current * v * p.weight * p.ds_face
        self.jacobian = ufl.derivative(self._F, p.phi, ufl.TrialFunction(p.V))
        self._atol0 = 0.0

    def problem(self, p, mode: str):
        dolfinx = import_dolfinx()
        import ufl

        F = self._F
        bcs = []
        if mode == "current":
            F = F + p.flux * ufl.TestFunction(p.V) * p.weight * p.ds_counter
        else:
            bcs = [p.bc]
        prob = dolfinx.fem.petsc.NonlinearProblem(F, p.phi, bcs=bcs,
                                                  petsc_options_prefix=p.prefix)
        apply_options(prob.solver, p.prefix,
                      CURRENT_NEWTON if p.petsc_options is None else p.petsc_options)
        self._atol0 = float(prob.solver.getTolerances()[1])
        return prob

    def run(self, p, prob, mode: str, drive: float) -> tuple[int, int]:
        self._initial_guess(p, mode, drive)
        scale = abs(drive) * p.face_area if mode == "current" else \
            p.model.kinetics.i0 * p.face_area
        prob.solver.setTolerances(atol=max(self._atol0, 1e-12 * scale))
        prob.solve()
        return int(prob.solver.getConvergedReason()), int(prob.solver.getIterationNumber())

    def _initial_guess(self, p, mode: str, drive: float) -> None:
        """φ of ``p`` for a uniform interface with the same total contact: η₀ from the 1D
        balance, then linear in the distance from the face (exact for full uniform contact)."""
        kin = p.model.kinetics
        frac = p.face_total() / p.face_area
        c = p.model.conductivity
        t = p.thickness
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
        v = p.block.mesh.geometry.dim - 1
        zf = p.block.z_face
        xyz = p.V.tabulate_dof_coordinates()
        dist = np.abs(xyz[:, v] - zf)
        p.phi.x.array[:] = -eta0 - J * dist / c
        p.phi.x.scatter_forward()


FORMULATIONS: tuple[tuple[type, type], ...] = ((FilmInterface, FilmFormulation),
                                               (KineticInterface, KineticFormulation))


def formulation_of(model) -> type:
    """The formulation class of an interface law; InputError for anything else."""
    for law, formulation in FORMULATIONS:
        if isinstance(model, law):
            return formulation
    raise InputError(f"current model {type(model).__name__}: allowed FilmInterface, "
                     "KineticInterface")
