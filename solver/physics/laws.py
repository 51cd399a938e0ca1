"""The constitutive-law API in one namespace (``from solver.physics import laws; laws.J2Params``).

A facade: the code lives in

* :mod:`solver.physics.tensors` — Mandel notation, the strain measure (:func:`small_strain`),
  deviator, von Mises stress, isotropic elasticity;
* :mod:`solver.physics.law_params` — the parameter classes (:class:`ElasticParams`,
  :class:`J2Params`, :class:`NortonParams`, :class:`ElasticCreepParams`,
  :class:`ElastoplasticCreepParams`), :class:`LawState`, :class:`LawResult`;
* :mod:`solver.physics.return_map` — the numba return map and the laws :func:`elastic`,
  :func:`j2_return_map`, :func:`norton_creep`, :func:`elastoplastic_creep`, and the
  material-point driver :func:`mixed_control_step`.

Every law has the shape ``law(Δε, [dt,] state, params) -> LawResult(σ, tangent, state)`` on Mandel
arrays ``(n_points, ncomp)``; see :mod:`solver.physics.return_map`. The interface (current-flow)
laws are in :mod:`solver.physics.electrochemistry`. Units are SI throughout: Pa, s, K, J/mol.
"""

from __future__ import annotations

from solver.physics.law_params import (ElasticCreepParams, ElasticParams, ElastoplasticCreepParams,
                                       J2Params, LawResult, LawState, NortonParams, initial_state)
from solver.physics.return_map import (MixedControlResult, elastic, elastoplastic_creep,
                                       j2_return_map, mixed_control_step, norton_creep)
from solver.physics.tensors import (bulk_shear_moduli, deviator, elastic_stiffness, from_mandel,
                                    small_strain, to_mandel, von_mises)

__all__ = [
    "ElasticCreepParams", "ElasticParams", "ElastoplasticCreepParams", "J2Params", "LawResult",
    "LawState", "MixedControlResult", "NortonParams", "bulk_shear_moduli", "deviator", "elastic",
    "elastic_stiffness", "elastoplastic_creep", "from_mandel", "initial_state", "j2_return_map",
    "mixed_control_step", "norton_creep", "small_strain", "to_mandel", "von_mises",
]
