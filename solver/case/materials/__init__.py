"""Material parameter sets as data: one TOML file per set, shipped with the package.

Every file holds ``name``, ``description``, ``citation``, ``doi`` (empty for handbook values),
values in SI with the unit in the key name (``youngs_modulus_Pa``, ``ionic_conductivity_S_per_m``,
``creep_prefactor_per_s_per_MPa_n`` …) and a ``[provenance]`` table that says, per key, whether the
value is from the cited paper, derived by lamina, a lamina choice, or still to be checked.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from solver.errors import InputError

_REQUIRED = ("name", "description", "citation", "doi")


def list_materials() -> list[str]:
    """Names of the shipped parameter sets (file stems), sorted."""
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".toml"))


def load_material(name: str) -> dict:
    """The parameter set ``name`` (e.g. ``"lithium_masias2019"``) as a dict (a fresh copy).

    Raises:
        InputError: unknown name, or a file without the required keys.
    """
    available = list_materials()
    if name not in available:
        raise InputError(f"material = {name!r}: allowed one of {', '.join(available)}")
    with resources.files(__name__).joinpath(f"{name}.toml").open("rb") as f:
        data = tomllib.load(f)
    missing = [k for k in _REQUIRED if k not in data]
    if missing or data["name"] != name:
        raise InputError(f"materials/{name}.toml: missing keys {missing} or name "
                         f"{data.get('name')!r} != file stem {name!r}")
    return data
