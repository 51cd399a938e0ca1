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
active set changes. Steps of inelastic problems are damped by backtracking on the merit
``‖(Φ, G)‖`` (as in deal.II's step-42, Frohne, Heister & Bangerth 2016), or, with the PETSc option
``-<prefix>as_line_search free``, by a line search on the step's free dofs
(:meth:`ActiveSetNewton._line_search`).

Size-dependent (CMSG) laws: the plastic-strain gradient is iterated with the displacement
(``-<prefix>as_gradient implicit``, the default): before each convergence test the law's ``η`` is
raised to that of the iterate's own plastic strain, ``η ← max(η, η^p(ε^p_trial))``, and the
residual re-evaluated, so a converged step has a flow stress at least that of its own gradient.
The Jacobian leaves out the gradient's dependence on the displacement (a non-local term), so this
is a fixed point within the Newton iteration; the max keeps it from alternating. ``lagged`` uses
the last committed step's gradient for the whole step (the earlier behaviour, and that of the
``vinewtonrsls`` path, which has no such hook).

Under platen control the top face's vertical dofs are Dirichlet rows of the same kind, at the
platen's displacement ``z`` (``u_z = z`` on the top, ``z ≤ 0``). :meth:`ActiveSetNewton.solve`
holds ``z`` fixed; :meth:`ActiveSetNewton.solve_force` makes it one more unknown with the force
equation ``G = F(u) − F* = 0`` (``F = Σ_face R_i``, the contact force; ``F* = p̄ A₀``) and
eliminates it by bordering: with one factorisation of the Jacobian ``K`` (active and top rows
replaced), each iteration solves ``K δu₁ = −R`` (platen held) and ``K δu₂ = e`` (a unit platen
move ``δz = 1``, lifted into the free rows), and then the scalar equation
``G + vᵀ(δu₁ + δz δu₂) = 0`` with ``v = K_origᵀ 1_face``: ``δz = −(G + vᵀδu₁)/(vᵀδu₂)``,
``δu = δu₁ + δz δu₂``. No outer loop over the platen, no discarded solves; ``−vᵀδu₂`` is the
platen stiffness ``dF/dw`` at the solution.
"""

from __future__ import annotations

import numpy as np

from solver.errors import DivergedError, SolveError
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.petsc import apply as apply_options
from solver.fem.petsc import choice_option, linear_part, rigid_body_modes

#: Halvings of a Newton step before it is taken as it is.
MAX_BACKTRACKS = 8
#: Secant trials of the "free" line search (:meth:`ActiveSetNewton._free_search`), shortest α;
#: the line searches of :meth:`ActiveSetNewton._line_search`.
SECANT_TRIALS, SECANT_MIN, LINE_SEARCHES = 2, 0.1, ("merit", "free")
#: The plastic-strain gradient of a size-dependent law within a solve (:meth:`_newton`):
#: iterated with the displacement, or that of the last committed step.
GRADIENTS = ("implicit", "lagged")
#: A Krylov solve keeps the preconditioner built on an earlier Jacobian (GAMG's hierarchy and
#: Galerkin operators) while the CG iterations it needs per decade of residual reduction stay
#: within this factor of those of the first solve after the last rebuild (:meth:`_lag`).
PC_LAG_GROWTH = 1.5
#: PETSc log event around one active-set Newton solve (the counterpart of ``SNESSolve``).
LOG_EVENT = "LaminaASNewton"


def line_search_option(prefix: str) -> str:
    """PETSc option ``-<prefix>as_line_search`` (:data:`LINE_SEARCHES`, default "merit")."""
    return choice_option(prefix + "as_line_search", LINE_SEARCHES)


def gradient_option(prefix: str) -> str:
    """PETSc option ``-<prefix>as_gradient`` (:data:`GRADIENTS`, default "implicit")."""
    return choice_option(prefix + "as_gradient", GRADIENTS)


class ActiveSetNewton:
    """The solver state of one contact problem: a KSP with its own options prefix and work vectors.

    Args:
        cp: the :class:`solver.fem.contact.ContactProblem` (its SNES supplies the residual and
            Jacobian callbacks, with the inelastic law's update).
        options: the problem's PETSc options; their linear-solver part
            (:data:`solver.fem.petsc.LINEAR_FAMILIES`) configures this KSP.
        top_dofs: local (unrolled) indices of the top face's vertical dofs when the platen is
            imposed here (platen control), else None.
    """

    def __init__(self, cp, options: dict, top_dofs=None):
        from petsc4py import PETSc

        self.cp = cp
        self.ksp = PETSc.KSP().create(cp.comm)
        self.prefix = cp.prefix + "as_"
        #: line search of inelastic steps (:meth:`_line_search`)
        self.line_search = line_search_option(cp.prefix)
        law = cp.law
        #: the law whose plastic-strain gradient is iterated within a solve, or None
        self._implicit = (law if law is not None and law.has_gradient
                          and gradient_option(cp.prefix) == "implicit" else None)
        self.ksp.setOptionsPrefix(self.prefix)
        apply_options(self.ksp, self.prefix, linear_part(options))
        x = cp.problem.x
        self.R, self.du, self.rhs, self.trial, self.du2, self.rhs2, self.ones = (
            x.duplicate() for _ in range(7))
        bs = cp.V.dofmap.index_map_bs
        start = cp.V.dofmap.index_map.local_range[0] * bs
        n_owned = cp._n_owned
        self._local = np.asarray(cp.face_dofs)[cp._owned]
        self._rows = (start + self._local).astype(PETSc.IntType)
        self._lower = np.asarray(cp.lower)[cp._owned]
        top = np.asarray([] if top_dofs is None else top_dofs, dtype=np.int64)
        self.platen = top_dofs is not None
        self._top = top[top < n_owned]
        self._top_rows = (start + self._top).astype(PETSc.IntType)
        self.ones.set(0.0)
        self.ones.array[self._local] = 1.0
        self.iterations = 0
        self.linear_iterations = 0
        self.stiffness = float("nan")
        #: linear solves, Krylov iterations (LU: 1 per solve) and operator set-ups of the
        #: preconditioner (factorisations, GAMG hierarchies) over the solver's life
        self.totals = {"solves": 0, "krylov": 0, "pc_setups": 0}
        self._event = PETSc.Log.Event(LOG_EVENT)
        if self.ksp.getPC().getType() == "cholesky":
            # symmetric factorisation (solver.fem.petsc.CONTACT_AS_DIRECT): the Jacobian is
            # symmetric at every iterate, and its row replacements keep it so
            A = cp.problem.A
            A.setOption(A.Option.SYMMETRIC, True)
            A.setOption(A.Option.SYMMETRY_ETERNAL, True)
        self.du2.set(0.0)
        #: whether the unit-move solve starts from the previous one (Krylov solves only)
        self._warm = self.ksp.getType() != "preonly"
        #: Eisenstat–Walker forcing terms for Krylov solves (the SNES's ``snes_ksp_ew``
        #: options, :meth:`_forcing`); the KSP's own rtol is their floor
        self._ew = cp.snes.getParamsEW() if self._warm and cp.snes.getUseEW() else None
        self._rtol_floor = self.ksp.getTolerances()[0]
        self._rtol_last = None
        #: lagged preconditioner (Krylov solves only): rebuild at the next step, and the CG
        #: iterations per decade right after the last rebuild
        self._rebuild, self._pc_rate, self._reusing = True, None, False
        if self.ksp.getPC().getType() == "gamg":
            # the full matrix keeps its block size; GAMG also needs the rigid-body modes
            cp.problem.A.setNearNullSpace(rigid_body_modes(cp.V))

    # -- residual and merit ---------------------------------------------------------------------
    def _sum(self, value: float) -> float:
        return float(self.cp.comm.allreduce(float(value), op=mpi().SUM))

    def _residual(self, x, out, z: float, target: float | None) -> tuple[float, float]:
        """Residual at ``x`` (platen at ``z``) into ``out``; ``(‖Φ‖, G)`` on all ranks (``G`` 0
        without a force target)."""
        self.cp.snes.computeFunction(x, out)
        phi = out.array.copy()
        force = self._sum(np.sum(phi[self._local])) if target is not None else 0.0
        lam = phi[self._local]
        gap = x.array[self._local] - self._lower
        phi[self._local] = np.minimum(lam, self._c * gap)
        phi[self._top] = self._c_top * (x.array[self._top] - z)
        norm = np.sqrt(self._sum(np.sum(phi[:self.cp._n_owned] ** 2)))
        return float(norm), (force - target if target is not None else 0.0)

    # -- the linear steps -------------------------------------------------------------------------
    def _jacobian_scale(self, x, A) -> None:
        """The complementarity scale ``c``: the Jacobian's diagonal at the face and top dofs."""
        self.cp.snes.computeJacobian(x, A, A)
        diag = A.getDiagonal()
        self._c = np.abs(diag.array[self._local]) + 1e-300
        self._c_top = np.abs(diag.array[self._top]) + 1e-300
        # the scale of the replaced rows in a Krylov solve: the mean diagonal (the same on all
        # ranks, so that the rank count does not change the operator)
        n = self.cp._n_owned
        self._diag = (self._sum(np.sum(np.abs(diag.array[:n])))
                      / max(1.0, self._sum(n))) or 1.0
        diag.destroy()

    def _newton_step(self, x, A, z: float, bordered: bool) -> tuple[float, float]:
        """Solve for the step ``self.du`` (platen held) and, bordered, ``self.du2`` (unit platen
        move); return ``(vᵀδu₁, vᵀδu₂)`` (0, 0 when not bordered)."""
        lam = self.R.array[self._local]
        gap = x.array[self._local] - self._lower
        active = lam - self._c * gap > 0
        self._active = active
        if bordered:
            v = A.createVecRight()
            A.multTranspose(self.ones, v)  # dF/du: the face rows' sum, before they are replaced
            unit = self.trial.duplicate()
            unit.set(0.0)
            unit.array[self._top] = 1.0
            A.mult(unit, self.rhs2)  # the free rows' response to a unit platen move
            self.rhs2.scale(-1.0)
            self.rhs2.array[self._local[active]] = 0.0
            self.rhs2.array[self._top] = self._diag if self._warm else 1.0
            unit.destroy()
        self.rhs.array[:] = -self.R.array
        self.trial.set(0.0)
        self.trial.array[self._local] = -gap  # the step that puts an active dof on its bound
        self.trial.array[self._top] = z - x.array[self._top]
        rows = np.concatenate([self._rows[active], self._top_rows])
        # The replaced rows on the stiffness's scale for a Krylov solve (an identity row among
        # rows of ~1e4 N/m would be a far outlier of the spectrum, and its residual would not
        # count in the relative tolerance); a direct solve keeps 1.
        A.zeroRowsColumns(rows, diag=self._diag if self._warm else 1.0, x=self.trial,
                          b=self.rhs)
        if self._warm:
            self._reusing = not self._rebuild
            self.ksp.getPC().setReusePreconditioner(self._reusing)
        self.totals["pc_setups"] += not self._reusing
        self.ksp.setOperators(A)
        self._linear_solve(self.rhs, self.du)
        self._lag()
        fixed = np.concatenate([self._local[active], self._top]) if self._warm else None
        if self._warm:
            # The replaced rows and columns decouple their unknowns from the rest: their exact
            # values can be put in after an inexact Krylov solve (Eisenstat–Walker tolerances
            # leave them off by up to rtol ‖b‖ / diag), so that an active dof lands on its bound.
            self.du.array[fixed] = self.trial.array[fixed]
        if not bordered:
            return 0.0, 0.0
        # The platen's unit move changes little between Newton iterations: a Krylov solve
        # starts from the last one (a direct solve ignores the guess).
        self._linear_solve(self.rhs2, self.du2, guess=self._warm)
        if self._warm:
            self.du2.array[fixed] = self.rhs2.array[fixed] / self._diag
        d1, d2 = v.dot(self.du), v.dot(self.du2)
        v.destroy()
        return d1, d2

    def _linear_solve(self, b, x, guess: bool = False) -> None:
        """``K x = b``, from ``x`` as it stands if ``guess`` (else from 0); a Krylov solve that
        did not converge raises (the step is cut back)."""
        if guess and self._sum(np.count_nonzero(~np.isfinite(x.array))) > 0:
            x.set(0.0)  # after a failed step
        self.ksp.setInitialGuessNonzero(bool(guess))
        self.ksp.solve(b, x)
        self.linear_iterations += max(1, self.ksp.getIterationNumber())
        self.totals["solves"] += 1
        self.totals["krylov"] += self.ksp.getIterationNumber()
        reason = self.ksp.getConvergedReason()
        if reason < 0 and self._warm and self._reusing:
            # a preconditioner of an older Jacobian that no longer does: rebuild it and retry
            self._reusing = False
            self.totals["pc_setups"] += 1
            self.ksp.getPC().setReusePreconditioner(False)
            self.ksp.setOperators(self.ksp.getOperators()[0])
            self._linear_solve(b, x, guess=False)
            self._rebuild = True  # the rate right after the rebuild is measured by _lag
            return
        if reason < 0:
            raise SolveError(f"contact active-set Newton ({self.cp.prefix}): linear solve "
                             f"diverged (KSP reason {reason}) after "
                             f"{self.ksp.getIterationNumber()} iterations")

    def _lag(self) -> None:
        """After the step's first Krylov solve: whether the next step rebuilds the
        preconditioner. The one of an earlier Jacobian is kept (``PCSetReusePreconditioner``)
        while its CG iterations per decade of reduction (``its / −log₁₀ rtol``, for a solve
        stopped by its relative tolerance) stay within :data:`PC_LAG_GROWTH` times those of the
        first solve after the last rebuild: the Jacobian changes little between Newton
        iterations. Measured on the default 3D case's surface on a 25 µm patch (32 805 dofs,
        hardening lithium, 3 increments to 1 MPa, one rank): one preconditioner for the whole
        press, 17.5 instead of 15.5 CG iterations per solve and 33 s instead of 45 s of press;
        this rule, 4 set-ups for 22 Newton steps, 15.6 CG iterations, 32 s.
        """
        if not self._warm:
            return
        fresh, self._rebuild = self._rebuild, False
        its = self.ksp.getIterationNumber()
        rtol = self.ksp.getTolerances()[0]
        if self.ksp.getConvergedReason() != 2 or not 0 < rtol < 1 or its == 0:
            return  # not stopped by rtol (atol, or no iteration): no rate to compare
        rate = its / -np.log10(rtol)
        if fresh or self._pc_rate is None:
            self._pc_rate = rate
        elif rate > PC_LAG_GROWTH * self._pc_rate:
            self._rebuild = True

    def _forcing(self, it: int, merit: float, merit_last: float, atol: float) -> None:
        """Set the Krylov relative tolerance of Newton iteration ``it`` (inexact Newton).

        Eisenstat & Walker (SIAM J. Sci. Comput. 17, 16 (1996)), choice 2, as PETSc's
        ``-snes_ksp_ew`` (version 2 only): ``η₀ = rtol_0``, then ``η_k = γ (‖F_k‖/‖F_{k−1}‖)^α``,
        kept ≥ ``γ η_{k−1}^α`` when that exceeds ``threshold``, ≤ ``rtol_max``; here ``‖F‖`` is
        the merit ``‖(Φ, G)‖``. Kept ≥ ``0.1 atol/‖F_k‖`` (a linear residual far below the
        Newton tolerance buys nothing: Kelley, Iterative Methods for Linear and Nonlinear
        Equations, 1995, §6.3) and ≥ the KSP's own rtol.
        """
        if self._ew is None:
            return
        p = self._ew
        if it == 0 or self._rtol_last is None or not merit_last > 0:
            eta = p["rtol_0"]
        else:
            eta = p["gamma"] * (merit / merit_last) ** p["alpha"]
            safe = p["gamma"] * self._rtol_last ** p["alpha"]
            if safe > p["threshold"]:
                eta = max(eta, safe)
        eta = min(eta, p["rtol_max"])
        eta = max(eta, 0.1 * atol / merit if merit > 0 else 0.0, self._rtol_floor)
        self._rtol_last = eta
        self.ksp.setTolerances(rtol=eta)

    # -- Newton ---------------------------------------------------------------------------------
    def solve(self, pressure: float, dt: float) -> tuple[int, int, int]:
        """Newton from ``cp.u`` to convergence, the platen (if any) held at ``cp.platen``;
        ``(reason, iterations, linear iterations)``.

        Raises:
            SolveError: not converged within ``snes_max_it`` iterations or a non-finite iterate;
                ``cp.u`` is left at the last iterate.
        """
        return self._run(pressure, dt, None)

    def solve_force(self, pressure: float, dt: float, target: float,
                    tol: float) -> tuple[int, int, int]:
        """Newton for the displacement and the platen together, to the contact force ``target``
        (N, 2D: N/m) within ``tol``, from ``cp.u`` and ``cp.platen``; leaves the platen in
        ``cp.platen`` and its stiffness ``dF/dw`` (N/m) in :attr:`stiffness`."""
        if not self.platen:
            raise ValueError("solve_force needs the platen's dofs (platen control)")
        return self._run(pressure, dt, (float(target), float(tol)))

    def _run(self, pressure: float, dt: float, force) -> tuple[int, int, int]:
        self._event.begin()
        try:
            return self._newton(pressure, dt, force)
        finally:
            self._event.end()

    def _newton(self, pressure: float, dt: float, force) -> tuple[int, int, int]:
        dolfinx = import_dolfinx()
        from dolfinx.fem.petsc import assign
        from petsc4py import PETSc

        cp, snes = self.cp, self.cp.snes
        x, A = cp.problem.x, cp.problem.A
        assign(cp.u, x)
        z = float(cp.platen.value) if self.platen else 0.0
        target, ftol = force if force is not None else (None, np.inf)
        atol, max_it = snes.getTolerances()[1], snes.getTolerances()[3]
        self.iterations = self.linear_iterations = 0
        if cp.law is not None:
            cp.law.reset_gradient()
        self._jacobian_scale(x, A)
        norm, g = self._residual(x, self.R, z, target)
        # SNES's divergence test (-snes_divergence_tolerance, 1e4 by default):
        # a merit that grew 1e4-fold does not come back (measured on doux_sulfide_pressure:
        # such solves ran on to ‖Φ‖ ≈ 1e100 in their 80 iterations; no converging one ever
        # grew 100-fold), so the step is cut back at once.
        divtol = snes.getDivergenceTolerance()
        limit = divtol * np.hypot(norm, g) if divtol > 0 else np.inf
        merit_last = np.nan
        for it in range(max_it + 1):
            if self._implicit is not None and self._implicit.iterate_gradient():
                # the step's own plastic-strain gradient (implicit CMSG): the residual of the
                # hardened law at the same iterate; a solve converges only where it holds
                if it == 0:
                    self._jacobian_scale(x, A)
                norm, g = self._residual(x, self.R, z, target)
            if not (np.isfinite(norm) and np.isfinite(g)) or np.hypot(norm, g) > limit:
                break
            if norm <= atol and abs(g) <= ftol:
                dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT,
                                               PETSc.ScatterMode.FORWARD)
                assign(x, cp.u)
                if self.platen:
                    cp.platen.value = z
                return 2, it, self.linear_iterations
            if it == max_it:
                break
            if it > 0:
                snes.computeJacobian(x, A, A)
            merit = float(np.hypot(norm, g))
            self._forcing(it, merit, merit_last, atol)
            merit_last = merit
            d1, d2 = self._newton_step(x, A, z, force is not None)
            dz = 0.0
            if force is not None:
                dz = -(g + d1) / d2 if d2 != 0 else 0.0
                self.stiffness = -d2
                self.du.axpy(dz, self.du2)
            norm, g, z = self._line_search(x, norm, g, z, dz, target)
            self.iterations = it + 1
        assign(x, cp.u)
        if self.platen:
            cp.platen.value = z
        what = (f", force {target + g:.6g} for {target:.6g} (tolerance {ftol:.3g})"
                if force is not None else "")
        diverged = not np.hypot(norm, g) <= limit  # also non-finite
        how = "diverged" if diverged else "did not converge"
        error = DivergedError if diverged else SolveError
        raise error(f"contact active-set Newton ({cp.prefix}) {how} at p = {pressure:.6g} Pa, "
                    f"dt = {dt:.6g} s: ‖Φ‖ = {norm:.3g} after {self.iterations} iterations "
                    f"(tolerance {atol:.3g}){what}")

    def _line_search(self, x, norm: float, g: float, z: float, dz: float, target):
        """``x += α δx``, ``z += α δz``; the new ``(‖Φ‖, G, z)``.

        Elastic material: α = 1. The residual is linear on each active set, so a full step is
        the exact solution for the set it assumed, and a line search only slows the set's
        updates (as CONTACT_VI's "basic" line search; measured on rough_elastic_contact small:
        ≤ 18 Newton iterations per load with backtracking, ≤ 8 without).

        Inelastic material, :attr:`line_search` "merit" (the default): backtracking on the
        whole merit ``‖(Φ, G)‖`` (:meth:`_backtrack`); "free": :meth:`_free_search`, fewer
        Newton iterations in 2D, more in 3D (``press_performance_3d`` full: 14.7 against 12 per
        increment); it converges larger load steps, and the lagged plastic-strain gradient of
        CMSG lithium (:mod:`solver.fem.plastic_gradient`) makes results depend on the steps
        (``doux_sulfide_pressure`` small: A_r/A0 at 10 MPa 0.57 in one step from 5, 0.33 in 4).
        """
        if self.cp.law is None:
            x.axpy(1.0, self.du)
            new, gn = self._residual(x, self.R, z + dz, target)
            return new, gn, z + dz
        x0 = x.copy()
        out = None
        if self.line_search == "free":
            out = self._free_search(x, x0, g, z, dz, target)
        if out is None:
            out = self._backtrack(x, x0, np.hypot(norm, g), z, dz, target)
        x0.destroy()
        return out

    def _free_search(self, x, x0, g: float, z: float, dz: float, target):
        """The line search on the step's *free* dofs F (neither active nor top); the new
        ``(‖Φ‖, G, z)``, or None where it finds no decrease.

        As step-42's merit, the residual without the active constraints: a face dof that the
        full step pushes through the surface counts in ``‖Φ‖`` with ``c`` times its penetration
        (4e3–7e3 against a merit of 1.5e2), which cuts such steps to α = 1/64 … 1/4 and grows
        the contact set by one node per iteration; here the next iteration makes them active.

        1. Secant on ``f(α) = δx_Fᵀ R_F(x₀ + α δx)``, the slope of the (convex, for J2 with
           hardening) incremental energy along the step, as PETSc's ``cp``: if ``f(1) > 0`` the
           step overshoots (by ≈ 2× for many iterations where plastic points switch branch),
           and up to :data:`SECANT_TRIALS` regula-falsi trials on the bracket pick α.
        2. Backtracking (halving, at most :data:`MAX_BACKTRACKS` times) from there until the
           merit ``‖(R_F, G)‖`` decreases. None if it does not (seen with Krylov steps solved
           to a loose 1e-2, whose free part need not descend): the caller backtracks on the
           whole merit.

        ``press_performance``: Newton iterations 40 → 33 (19 038 dofs), 67 → 44 (152 038).
        """
        free = np.ones(self.cp._n_owned, dtype=bool)
        free[self._local[self._active]] = False
        free[self._top] = False
        step = self.du.array[:self.cp._n_owned][free]

        def measure(R, gn):
            r = R.array[:self.cp._n_owned][free]
            return (float(np.hypot(np.sqrt(self._sum(np.dot(r, r))), gn)),
                    self._sum(np.dot(step, r)))

        merit, f0 = measure(self.R, g)
        lo, f_lo, hi, f_hi = 0.0, f0, None, None
        alpha, secants, backtracks = 1.0, 0, 0
        while True:
            x.waxpy(alpha, self.du, x0)
            zn = z + alpha * dz
            new, gn = self._residual(x, self.R, zn, target)
            m, f = measure(self.R, gn)
            if secants < SECANT_TRIALS and f0 < 0 and np.isfinite(f):
                secants += 1
                if f > 0:
                    hi, f_hi = alpha, f
                else:
                    lo, f_lo = alpha, f
                if hi is not None:
                    a = min(1.0, max(lo + (hi - lo) * f_lo / (f_lo - f_hi), SECANT_MIN))
                    if abs(a - alpha) > 0.01 * alpha:
                        alpha = a
                        continue
            secants = SECANT_TRIALS  # backtracking from here on
            if np.isfinite(new) and m < (1 - 1e-4 * alpha) * merit:
                return new, gn, zn
            if backtracks == MAX_BACKTRACKS:
                return None
            backtracks += 1
            alpha /= 2

    def _backtrack(self, x, x0, merit: float, z: float, dz: float, target):
        """``x = x0 + α δx`` with the first of α = 1, 1/2, … (at most :data:`MAX_BACKTRACKS`
        halvings) that decreases the whole merit ``‖(Φ, G)‖`` from ``merit``."""
        alpha = 1.0
        for _ in range(MAX_BACKTRACKS + 1):
            x.waxpy(alpha, self.du, x0)
            zn = z + alpha * dz
            new, gn = self._residual(x, self.R, zn, target)
            if np.isfinite(new) and np.hypot(new, gn) < (1 - 1e-4 * alpha) * merit:
                break
            alpha /= 2
        return new, gn, zn

    def destroy(self) -> None:
        """Free the PETSc objects (collective)."""
        for obj in (self.ksp, self.R, self.du, self.rhs, self.trial, self.du2, self.rhs2,
                    self.ones):
            obj.destroy()
