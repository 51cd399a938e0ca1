"""Primal–dual active-set (semismooth) Newton for the contact problem, on a fixed sparsity pattern.

An alternative to PETSc's ``vinewtonrsls`` (:data:`solver.fem.petsc.CONTACT_VI`), selected by
``ContactProblem(..., contact_solver="active_set")``. With the face's vertical dofs ``x_i`` bounded
below by ``l_i`` and the residual ``R`` (the reaction ``λ_i = R_i`` at a face dof), the
complementarity conditions ``x_i ≥ l_i, λ_i ≥ 0, λ_i (x_i − l_i) = 0`` are written with the min
function, ``Φ_i = min(λ_i, c_i (x_i − l_i)) = 0`` (``c_i`` the Jacobian's diagonal, so that both
arguments are forces), and solved by semismooth Newton (Hintermüller, Ito & Kunisch, SIAM J.
Optim. 13, 865 (2003)): the active set ``A = {i : λ_i − c_i (x_i − l_i) > 0}`` is fixed by the
iterate, the active dofs are imposed as Dirichlet rows at the bound, ``δx_i = l_i − x_i``, on the
*full* Jacobian (``MatZeroRowsColumns``: the sparsity pattern is kept), and the rest is Newton on
the residual. Because the pattern never changes, the direct solver's analysis (MUMPS ordering and
symbolic factorisation) is done once per problem; every Newton iteration only refactorises
numerically — where ``vinewtonrsls`` extracts a new reduced matrix, and re-analyses, whenever the
active set changes. Steps are damped by backtracking on ``‖Φ‖`` (as in deal.II's step-42,
Frohne, Heister & Bangerth 2016).
"""

from __future__ import annotations

import numpy as np

from solver.errors import SolveError
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.petsc import apply as apply_options

#: Halvings of a Newton step before it is taken as it is.
MAX_BACKTRACKS = 8


class ActiveSetNewton:
    """The solver state of one contact problem: a KSP with its own options prefix and work vectors.

    Args:
        cp: the :class:`solver.fem.contact.ContactProblem` (its SNES supplies the residual and
            Jacobian callbacks, with the inelastic law's update).
        options: the linear solver's PETSc options (``ksp_``/``pc_``/``mat_`` keys).
    """

    def __init__(self, cp, options: dict):
        from petsc4py import PETSc

        self.cp = cp
        self.ksp = PETSc.KSP().create(cp.comm)
        self.prefix = cp.prefix + "as_"
        self.ksp.setOptionsPrefix(self.prefix)
        apply_options(self.ksp, self.prefix, {k: v for k, v in options.items()
                                              if k.startswith(("ksp_", "pc_", "mat_"))})
        x = cp.problem.x
        self.R, self.du, self.rhs, self.trial = (x.duplicate() for _ in range(4))
        bs = cp.V.dofmap.index_map_bs
        self._local = np.asarray(cp.face_dofs)[cp._owned]
        self._rows = (cp.V.dofmap.index_map.local_range[0] * bs + self._local).astype(
            PETSc.IntType)
        self._lower = np.asarray(cp.lower)[cp._owned]
        self.iterations = 0
        self.linear_iterations = 0

    def _residual(self, x, out) -> float:
        """Residual at ``x`` into ``out``; return ``‖Φ‖`` (all ranks)."""
        self.cp.snes.computeFunction(x, out)
        phi = out.array.copy()
        lam = phi[self._local]
        gap = x.array[self._local] - self._lower
        phi[self._local] = np.minimum(lam, self._c * gap)
        n_owned = self.cp._n_owned
        return float(np.sqrt(self.cp.comm.allreduce(float(np.sum(phi[:n_owned] ** 2)),
                                                    op=mpi().SUM)))

    def solve(self, pressure: float, dt: float) -> tuple[int, int, int]:
        """Newton from ``cp.u`` to convergence; ``(reason, iterations, linear iterations)``.

        Raises:
            SolveError: not converged within ``snes_max_it`` iterations or a non-finite iterate;
                ``cp.u`` is left at the last iterate.
        """
        dolfinx = import_dolfinx()
        from dolfinx.fem.petsc import assign
        from petsc4py import PETSc

        cp, snes = self.cp, self.cp.snes
        x, A = cp.problem.x, cp.problem.A
        assign(cp.u, x)
        atol = snes.getTolerances()[1]
        max_it = snes.getTolerances()[3]
        self.iterations = self.linear_iterations = 0
        self._c = np.ones(len(self._local))
        snes.computeJacobian(x, A, A)
        diag = A.getDiagonal()
        self._c = np.abs(diag.array[self._local]) + 1e-300
        diag.destroy()
        norm = self._residual(x, self.R)
        for it in range(max_it + 1):
            if not np.isfinite(norm):
                break
            if norm <= atol:
                dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT,
                                               PETSc.ScatterMode.FORWARD)
                assign(x, cp.u)
                return 2, it, self.linear_iterations
            if it == max_it:
                break
            if it > 0:
                snes.computeJacobian(x, A, A)
            lam = self.R.array[self._local]
            gap = x.array[self._local] - self._lower
            active = lam - self._c * gap > 0
            self.rhs.array[:] = -self.R.array
            self.trial.array[self._local] = -gap  # the step that puts an active dof on its bound
            A.zeroRowsColumns(self._rows[active], diag=1.0, x=self.trial, b=self.rhs)
            self.ksp.setOperators(A)
            self.ksp.solve(self.rhs, self.du)
            self.linear_iterations += max(1, self.ksp.getIterationNumber())
            norm = self._line_search(x, norm)
            self.iterations = it + 1
        assign(x, cp.u)
        raise SolveError(f"contact active-set Newton ({cp.prefix}) did not converge at p = "
                         f"{pressure:.6g} Pa, dt = {dt:.6g} s: ‖Φ‖ = {norm:.3g} after "
                         f"{self.iterations} iterations (tolerance {atol:.3g})")

    def _line_search(self, x, norm: float) -> float:
        """``x += α δx`` with the first of α = 1, 1/2, … that decreases ``‖Φ‖``; the new norm."""
        alpha = 1.0
        x0 = x.copy()
        for _ in range(MAX_BACKTRACKS + 1):
            x.waxpy(alpha, self.du, x0)
            new = self._residual(x, self.R)
            if np.isfinite(new) and new < (1 - 1e-4 * alpha) * norm:
                break
            alpha /= 2
        x0.destroy()
        return new

    def destroy(self) -> None:
        """Free the PETSc objects (collective)."""
        for obj in (self.ksp, self.R, self.du, self.rhs, self.trial):
            obj.destroy()
