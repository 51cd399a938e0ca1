"""One Newton solve of a contact problem from its current iterate, and the test of its success.

:func:`newton` runs the problem's contact solver — PETSc's ``vinewtonrsls`` (the SNES of
:class:`solver.fem.contact.ContactProblem`) or the active-set Newton of
:mod:`solver.fem.active_set` — and refuses what only looks converged: a non-positive SNES reason,
a non-finite iterate, or a step-size "success" far above the residual tolerance.
"""

from __future__ import annotations

import numpy as np

from solver.errors import SolveError
from solver.fem.backend import mpi
from solver.fem.contact import ContactProblem

#: SNES reason CONVERGED_SNORM_RELATIVE (step < snes_stol·‖x‖).
SNORM_RELATIVE = 4
#: A step that "converged" by the step-size test is accepted only if its residual norm is at
#: most this many times the absolute tolerance (1e-6 of the load vector's norm by default): a
#: diverging iterate (‖x‖ → 1e137 seen with a full-step Newton on perfect plasticity) takes
#: small steps relative to ‖x‖ and stops there with reason 4 and a finite, useless x. A genuine
#: round-off stall lies 100× below the absolute tolerance (see ContactProblem).
STALL_FACTOR = 100.0


def newton(cp: ContactProblem, pressure: float, dt: float) -> tuple[int, int, int]:
    """One SNES solve from the current iterate; ``(reason, iterations, linear iterations)``.

    Raises:
        SolveError: not converged (reason ≤ 0, a non-finite iterate, or a step-size "success"
            far above the residual tolerance); ``cp.u`` is left where SNES stopped.
    """
    if cp.active_set is not None:
        return cp.active_set.solve(pressure, dt)
    cp.problem.solve()
    reason = int(cp.snes.getConvergedReason())
    its = int(cp.snes.getIterationNumber())
    lits = int(cp.snes.getLinearSolveIterations())
    finite = cp.comm.allreduce(bool(np.all(np.isfinite(cp.u.x.array))), op=mpi().LAND)
    fnorm = float(cp.snes.getFunctionNorm())
    # a diverging iterate also takes small steps relative to ‖x‖: not converged
    stalled = (reason == SNORM_RELATIVE
               and not fnorm <= STALL_FACTOR * cp.snes.getTolerances()[1])
    if reason <= 0 or not finite or stalled:
        where = (f", platen w = {-float(cp.platen.value):.6g} m" if cp.control == "platen"
                 else "")
        raise SolveError(f"contact Newton ({cp.prefix}) did not converge at p = {pressure:.6g} "
                         f"Pa, dt = {dt:.6g} s{where}: SNES reason {reason} after {its} "
                         f"iterations (residual norm {fnorm:.3g}"
                         f"{', step-size test far above the tolerance' if stalled else ''})")
    return reason, its, lits
