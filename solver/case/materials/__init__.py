"""Material parameter sets as data: one TOML file per set, shipped with the package.

Every file holds ``kind`` (``"lithium"``, ``"collector"`` or ``"electrolyte"``), ``name``,
``description``, ``citation``, ``doi`` (empty for handbook values), values in SI with the unit in
the key name (``youngs_modulus_Pa``, ``ionic_conductivity_S_per_m``,
``creep_prefactor_per_s_per_MPa_n`` …) and a ``[provenance]`` table that says, per key, whether the
value is from the cited paper, derived by lamina, a lamina choice, or still to be checked.

The package is used as one API: :func:`list_materials`, :func:`load_material` (the file as a
dict), :func:`material` (the typed record, :mod:`~solver.case.materials.records`) and
:func:`lithium_law_params` / :func:`lithium_conductivity` (the case's lithium as law parameters,
:mod:`~solver.case.materials.lithium_law`).
"""

from solver.case.materials.lithium_law import lithium_conductivity, lithium_law_params
from solver.case.materials.loader import list_materials, load_material, material
from solver.case.materials.records import (
    CollectorMaterial,
    CreepData,
    ElectrolyteMaterial,
    LithiumMaterial,
    Material,
)

__all__ = [
    "CollectorMaterial", "CreepData", "ElectrolyteMaterial", "LithiumMaterial", "Material",
    "list_materials", "lithium_conductivity", "lithium_law_params", "load_material", "material",
]
