"""Typed, validated material records: one frozen dataclass per kind of parameter set.

A material file names its ``kind`` (``"lithium"``, ``"collector"`` or ``"electrolyte"``) and
:func:`build` turns its table into :class:`LithiumMaterial`, :class:`CollectorMaterial` or
:class:`ElectrolyteMaterial`. Field names are the file's keys (SI, the unit in the key name), so
``record.youngs_modulus_Pa`` is ``youngs_modulus_Pa`` of the file. Unknown keys, missing required
keys, wrong types and out-of-range values are one-line :class:`~solver.errors.InputError`\\ s that
name the file and the key. Citation and provenance travel with the record.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from solver.case.fields import in_range, non_negative, positive
from solver.checks import fmt_value, is_real
from solver.errors import InputError

_REQUIRED = dataclasses.MISSING


def value(default=_REQUIRED, check=None):
    """A record field: required unless ``default`` is given; ``check`` as in
    :mod:`solver.case.fields` (``value -> str | None``)."""
    return field(default=default, metadata={"check": check})


def bound():
    """An optional end (> 0) of a range quoted by the source, e.g. ``yield_stress_min_Pa``."""
    return value(None, positive)


_POISSON = in_range(-1.0, 0.5, lo_open=True, hi_open=True)


@dataclass(frozen=True, slots=True)
class CreepData:
    """Measured creep rates that a creep law was fitted to.

    Attributes:
        stress_Pa: applied stresses, Pa.
        min_strain_rate_per_s: minimum (steady) creep strain rate at each stress, 1/s.
    """

    stress_Pa: tuple[float, ...] = value(check=positive)
    min_strain_rate_per_s: tuple[float, ...] = value(check=positive)

    def validate(self) -> str | None:
        """What is wrong across the fields, or None."""
        if len(self.stress_Pa) != len(self.min_strain_rate_per_s):
            return "stress_Pa and min_strain_rate_per_s must have the same length"
        return None


@dataclass(frozen=True, slots=True)
class Material:
    """What every parameter set records.

    Attributes:
        kind: ``"lithium"``, ``"collector"`` or ``"electrolyte"``.
        name: the file stem.
        description: one line.
        citation: the source of the values.
        doi: DOI of the citation (empty for handbook values).
        temperature_K: temperature the values hold at, K.
        provenance: per key, where the value comes from (paper, derived, lamina choice, check).
    """

    kind: str = value()
    name: str = value()
    description: str = value()
    citation: str = value()
    doi: str = value()
    temperature_K: float = value(check=positive)
    provenance: Mapping[str, str] = value()


@dataclass(frozen=True, slots=True)
class LithiumMaterial(Material):
    """Lithium metal: elasticity, J2 yield, Norton creep, electronic conductivity.

    Attributes (SI, the unit in the name): the elastic constants ``youngs_modulus_Pa`` and
    ``poisson_ratio``; the yield stress ``yield_stress_Pa`` (compression) and
    ``hardening_modulus_Pa``; the Norton creep law ``creep_stress_exponent``,
    ``creep_prefactor_per_s_per_MPa_n`` (rate at 1 MPa, 1/s) and
    ``creep_activation_energy_J_per_mol`` at ``creep_reference_temperature_K`` (unset: the
    temperature of the case); optional cross-checks and scatter of the source (shear and bulk
    modulus, yield scatter and tension range), ``electronic_conductivity_S_per_m``, the creep data
    the prefactor was fitted to and the fit's numbers (``creep_fit``, 1/s/MPa^n and decades);
    ``intrinsic_length_m``, the CMSG length of a size-dependent strength (unset: 0, bulk J2).
    """

    youngs_modulus_Pa: float = value(check=positive)
    poisson_ratio: float = value(check=_POISSON)
    yield_stress_Pa: float = value(check=positive)
    hardening_modulus_Pa: float = value(check=non_negative)
    creep_stress_exponent: float = value(check=in_range(1.0, 20.0))
    creep_prefactor_per_s_per_MPa_n: float = value(check=positive)
    creep_activation_energy_J_per_mol: float = value(check=non_negative)
    creep_reference_temperature_K: float | None = value(None, positive)
    electronic_conductivity_S_per_m: float | None = value(None, positive)
    shear_modulus_Pa: float | None = value(None, positive)
    bulk_modulus_Pa: float | None = value(None, positive)
    yield_stress_compression_sd_Pa: float | None = value(None, non_negative)
    yield_stress_tension_min_Pa: float | None = bound()
    yield_stress_tension_max_Pa: float | None = bound()
    creep_data: CreepData | None = value(None)
    creep_fit: Mapping[str, float] | None = value(None)
    intrinsic_length_m: float | None = value(None, non_negative)


@dataclass(frozen=True, slots=True)
class CollectorMaterial(Material):
    """A current-collector metal (copper foil): elasticity, yield range, electrical conductivity.

    Attributes: ``youngs_modulus_Pa`` (with its handbook range ``youngs_modulus_min_Pa``,
    ``youngs_modulus_max_Pa``), ``poisson_ratio``, ``electrical_conductivity_S_per_m`` and the
    yield stress range by temper, ``yield_stress_min_Pa`` … ``yield_stress_max_Pa`` (Pa, S/m).
    """

    youngs_modulus_Pa: float = value(check=positive)
    poisson_ratio: float = value(check=_POISSON)
    electrical_conductivity_S_per_m: float = value(check=positive)
    youngs_modulus_min_Pa: float | None = bound()
    youngs_modulus_max_Pa: float | None = bound()
    yield_stress_min_Pa: float | None = bound()
    yield_stress_max_Pa: float | None = bound()


@dataclass(frozen=True, slots=True)
class ElectrolyteMaterial(Material):
    """A solid electrolyte: ionic conductivity (with its range), elasticity where known.

    Attributes: ``ionic_conductivity_S_per_m`` and its range ``ionic_conductivity_min_S_per_m``,
    ``ionic_conductivity_max_S_per_m`` (S/m); ``youngs_modulus_Pa`` (Pa) and ``poisson_ratio``,
    unset where no checked source exists.
    """

    ionic_conductivity_S_per_m: float = value(check=positive)
    ionic_conductivity_min_S_per_m: float | None = bound()
    ionic_conductivity_max_S_per_m: float | None = bound()
    youngs_modulus_Pa: float | None = value(None, positive)
    poisson_ratio: float | None = value(None, _POISSON)


#: Record class of each ``kind``.
KINDS: dict[str, type[Material]] = {
    "lithium": LithiumMaterial,
    "collector": CollectorMaterial,
    "electrolyte": ElectrolyteMaterial,
}


def build(data: dict, where: str) -> Material:
    """The record of a material file's table ``data``; ``where`` names the file in messages.

    Raises:
        InputError: unknown ``kind``, unknown or missing key, wrong type, value out of range.
    """
    kind = data.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}: kind = {fmt_value(kind)}: must be one of "
                         + ", ".join(repr(k) for k in KINDS))
    return _build(KINDS[kind], data, where, "")


def _build(cls, table: dict, where: str, prefix: str):
    if not isinstance(table, dict):
        raise InputError(f"{where}: {prefix.rstrip('.')} = {fmt_value(table)}: must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in table if k not in fields]
    if unknown:
        raise InputError(f"{where}: {prefix}{unknown[0]}: unknown key; allowed: "
                         + ", ".join(fields))
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        key = prefix + name
        if name not in table:
            if f.default is _REQUIRED:
                raise InputError(f"{where}: {key}: missing")
            continue
        kwargs[name] = _convert(table[name], hints[name], where, key)
        check = f.metadata.get("check")
        msg = check(kwargs[name]) if check is not None and kwargs[name] is not None else None
        if msg:
            raise InputError(f"{where}: {key} = {fmt_value(table[name])}: {msg}")
    obj = cls(**kwargs)
    msg = obj.validate() if hasattr(obj, "validate") else None
    if msg:
        raise InputError(f"{where}: {prefix.rstrip('.')}: {msg}")
    return obj


def _convert(v, tp, where: str, key: str):
    """``v`` as the annotated type ``tp`` (float, str, tuple of floats, mapping, record)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # optional: X | None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if dataclasses.is_dataclass(tp):
        return _build(tp, v, where, key + ".")
    origin = typing.get_origin(tp)
    if tp is float and is_real(v):
        return float(v)
    if tp is str and isinstance(v, str):
        return v
    if origin is tuple and isinstance(v, list) and v and all(is_real(x) for x in v):
        return tuple(float(x) for x in v)
    if origin is Mapping and isinstance(v, dict):
        vtype = typing.get_args(tp)[1]
        if all(isinstance(x, str) if vtype is str else is_real(x) for x in v.values()):
            return MappingProxyType(dict(v))
    what = {float: "a number", str: "a string"}.get(tp) or (
        "a non-empty list of numbers" if origin is tuple else
        f"a table of {'strings' if typing.get_args(tp)[1] is str else 'numbers'}")
    raise InputError(f"{where}: {key} = {fmt_value(v)}: must be {what}")
