"""Reading the shipped material files (``solver/case/materials/<name>.toml``)."""

from __future__ import annotations

import tomllib
from importlib import resources

from solver.case.materials.records import Material, build
from solver.errors import InputError

_REQUIRED = ("name", "description", "citation", "doi")


def list_materials() -> list[str]:
    """Names of the shipped parameter sets (file stems), sorted."""
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir()
                  if p.name.endswith(".toml"))


def _read(name: str) -> dict:
    """The file of ``name`` as TOML gives it, with the keys every file must have."""
    available = list_materials()
    if name not in available:
        raise InputError(f"material = {name!r}: allowed one of {', '.join(available)}")
    with resources.files(__package__).joinpath(f"{name}.toml").open("rb") as f:
        data = tomllib.load(f)
    missing = [k for k in _REQUIRED if k not in data]
    if missing or data["name"] != name:
        raise InputError(f"materials/{name}.toml: missing keys {missing} or name "
                         f"{data.get('name')!r} != file stem {name!r}")
    return data


def load_material(name: str) -> dict:
    """The parameter set ``name`` (e.g. ``"lithium_masias2019"``) as a dict (a fresh copy).

    The file is validated as its typed record (see :func:`material`) before it is returned.

    Raises:
        InputError: unknown name, or a file without the required keys or with an invalid value.
    """
    data = _read(name)
    build(data, f"materials/{name}.toml")
    return data


def material(name: str) -> Material:
    """The parameter set ``name`` as its typed, validated record, by the file's ``kind``:
    :class:`~solver.case.materials.records.LithiumMaterial`, ``CollectorMaterial`` or
    ``ElectrolyteMaterial``.

    Raises:
        InputError: as :func:`load_material`.
    """
    return build(_read(name), f"materials/{name}.toml")
