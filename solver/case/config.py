"""The case file: a frozen, typed dataclass tree loaded from TOML and validated on load.

A case file is TOML in SI units. Every field below carries its unit and meaning in its metadata;
``lamina show-default`` prints the built-in default case with those comments. Loading rejects
unknown keys, wrong types and out-of-range values with an :class:`~solver.errors.InputError` whose
one-line message names the key (``surface.hurst``), the value and what is allowed.

The section classes live in :mod:`solver.case.schema` and the field helpers in
:mod:`solver.case.fields`; this module loads, validates and writes cases and re-exports the
section classes, so ``from solver.case import config; config.Case`` is the case API.

Example::

    name = "rough-cu-10MPa"
    seed = 7

    [surface]
    kind = "self_affine"
    nb_grid_pts = [256, 256]
    physical_sizes = [1e-4, 1e-4]   # m
    hurst = 0.8
    rms_height = 5e-7               # m
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal

from solver.case.fields import FieldError
from solver.case.materials import list_materials, material
from solver.case.schema import (
    MEASURED_FIELDS,
    Case,
    CurrentConfig,
    LithiumConfig,
    MeshConfig,
    OutputConfig,
    PressConfig,
    StatisticsConfig,
    SurfaceConfig,
)
from solver.checks import fmt_value, read_input_file
from solver.errors import InputError
from solver.surface import formats

__all__ = [
    "Case", "CurrentConfig", "LithiumConfig", "MeshConfig", "OutputConfig", "PressConfig",
    "StatisticsConfig", "SurfaceConfig", "check_body", "default_case", "from_dict", "input_echo",
    "load", "replace", "to_dict", "to_toml",
]

# ----------------------------------------------------------------------------------------------
# loading and validation


def _type_name(tp) -> str:
    """What a value of annotated type ``tp`` must be, in words (``a list of 2 numbers``)."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is tuple:
        args = typing.get_args(tp)
        plural = {int: "integers", float: "numbers", str: "strings", bool: "booleans"}.get(
            args[0], "values")
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a non-empty list of {plural}"
        return f"a list of {len(args)} {plural}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _convert(value, tp, key: str):
    """Convert a TOML value to the annotated type or raise InputError naming the key."""
    origin = typing.get_origin(tp)
    bad = InputError(f"{key} = {fmt_value(value)}: must be {_type_name(tp)}")
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in args:
            try:
                return _convert(value, a, key)
            except InputError:
                pass
        raise InputError(f"{key} = {fmt_value(value)}: must be {_type_name(tp)}")
    if origin is Literal:
        if value in typing.get_args(tp) and isinstance(value, str):
            return value
        allowed = difflib.get_close_matches(str(value), [str(a) for a in typing.get_args(tp)], 1)
        hint = f" (did you mean {allowed[0]!r}?)" if allowed else ""
        raise InputError(f"{key} = {fmt_value(value)}: must be {_type_name(tp)}{hint}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            if not isinstance(value, (list, tuple)) or len(value) == 0:
                raise bad
            args = (args[0],) * len(value)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise bad
        return tuple(_convert(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad
    raise TypeError(f"unsupported field type {tp!r}")


def _build(cls, table: Any, path: str):
    """Build and validate section ``cls`` from a TOML table at ``path`` (e.g. ``"surface"``)."""
    where = path or "case"
    if not isinstance(table, dict):
        raise InputError(f"{where} = {fmt_value(table)}: must be a table ([{where}])")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), 1)
            hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(fields)
            raise InputError(f"{_join(path, key)}: unknown key; {hint}")
    kwargs = {}
    for name, f in fields.items():
        key = _join(path, name)
        if name not in table:
            unset_if = f.metadata.get("unset_if")
            if unset_if is not None and unset_if(table):
                kwargs[name] = None
            continue
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, table[name], key)
            continue
        value = _convert(table[name], tp, key)
        check = f.metadata.get("check")
        if value is not None and check is not None:
            msg = check(value)
            if msg:
                raise InputError(f"{key} = {fmt_value(value)}: {msg}")
        kwargs[name] = value
    obj = cls(**kwargs)
    validate = getattr(obj, "validate", None)
    if validate is not None:
        try:
            validate()
        except FieldError as e:
            raise InputError(f"{_join(path, e.name)} = {fmt_value(e.value)}: {e.allowed}") from None
    return obj


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _body_kind(name: str) -> str:
    """The ``kind`` of the material file ``name`` (``lithium``, ``collector``, ``electrolyte``);
    InputError naming ``lithium.material`` for an unknown name."""
    try:
        return material(name).kind
    except InputError as e:
        if str(e).startswith("material = "):
            raise InputError(f"lithium.{e}") from None
        raise


def check_body(case: Case) -> Case:
    """The pressed body must match ``current.interface``; returns ``case``.

    The press stage deforms the body that ``lithium.material`` names against the rigid
    counter-surface. Li|Cu and Li|SE press lithium. An anode-less Cu|SE cell has no lithium
    body: the copper collector is pressed on the (rigid) solid electrolyte, and lithium plates
    onto it. lamina supports that body through the same section: ``lithium.material`` naming a
    *collector* material file (``copper``); its E and ν come from the file, the yield stress
    must be given (the file holds only its range by temper), and it does not creep. So
    ``cu_se`` with a lithium body is refused here, and so is a collector body with a lithium
    interface (electrolyte files are left to the law's own checks).

    Raises:
        InputError: one line naming the field, its value and what is allowed.
    """
    iface, li = case.current.interface, case.lithium
    kind = _body_kind(li.material)
    if iface == "cu_se" and kind != "collector":
        allowed = " or ".join(repr(m) for m in list_materials() if _body_kind(m) == "collector")
        raise InputError(
            f"current.interface = 'cu_se': an anode-less cell presses the copper collector on "
            f"the SE, but lithium.material = '{li.material}' is a {kind} body; allowed: "
            f"lithium.material = {allowed} (with lithium.creep = false and "
            "lithium.yield_stress set), or current.interface = 'li_se' for a lithium body")
    if kind == "collector":
        if iface != "cu_se":
            raise InputError(f"current.interface = '{iface}': needs a lithium body, but "
                             f"lithium.material = '{li.material}' is a collector; allowed: "
                             "current.interface = 'cu_se' for a collector body")
        if li.creep:
            raise InputError(f"lithium.creep = true: the collector body '{li.material}' has no "
                             "creep law; allowed: false (and press.hold_times all 0)")
        if li.plasticity and li.yield_stress is None:
            raise InputError(f"lithium.yield_stress = (not set): required for the collector "
                             f"body '{li.material}' (Pa; its file gives only the range by "
                             "temper), or lithium.plasticity = false")
    return case


def from_dict(data: dict, *, base_dir: str | Path | None = None) -> Case:
    """Build a validated :class:`Case` from a dict as TOML gives it (with :func:`check_body`).

    Relative paths (``surface.file``) are resolved against ``base_dir``.
    """
    case = check_body(_build(Case, data, ""))
    if case.surface.file is not None and base_dir is not None:
        p = Path(case.surface.file)
        if not p.is_absolute():
            case = replace(case, surface={"file": str((Path(base_dir) / p).resolve())})
    s = case.surface
    if s.kind == "measured":  # what the import checks before reading: validate agrees with it
        formats.check_source(s.file, s.unit, s.physical_sizes, s.format)
    return case


def load(path: str | Path) -> Case:
    """Load and validate a case file; every problem is an InputError naming the file or key."""
    path = Path(path)
    try:
        text = read_input_file(path, "case file")
    except FileNotFoundError:
        raise InputError(f"case file '{path}': not found") from None
    except IsADirectoryError:
        raise InputError(f"case file '{path}': is a directory, expected a TOML file") from None
    except OSError as e:
        raise InputError(f"case file '{path}': cannot be read ({e.strerror})") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"case file '{path}': not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"case file '{path}': invalid TOML ({e})") from None
    except RecursionError:
        raise InputError(f"case file '{path}': tables or arrays nested too deeply") from None
    return from_dict(data, base_dir=path.parent)


def default_case() -> Case:
    """The built-in default case (the one ``lamina run`` uses without a file)."""
    return Case()


def replace(case: Case, **changes) -> Case:
    """A copy of ``case`` with nested changes (``surface={"hurst": 0.5}``), validated again."""
    data = to_dict(case)
    for section, value in changes.items():
        if isinstance(value, dict):
            data.setdefault(section, {}).update(value)
        else:
            data[section] = value
    return check_body(_build(Case, data, ""))


def to_dict(obj) -> dict:
    """The resolved case as a plain dict (tuples as lists, unset fields left out)."""
    out = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            out[f.name] = to_dict(v)
        elif v is None:
            continue
        elif isinstance(v, tuple):
            out[f.name] = list(v)
        else:
            out[f.name] = v
    return out


def input_echo(case: Case) -> dict:
    """The case as ``results.json`` echoes it: :func:`to_dict` with only the surface fields that
    apply to its kind (a measured map: no generator parameters such as hurst or nb_grid_pts)."""
    data = to_dict(case)
    if case.surface.kind == "measured":
        data["surface"] = {k: v for k, v in data["surface"].items() if k in MEASURED_FIELDS}
    return data


# ----------------------------------------------------------------------------------------------
# writing TOML (the resolved case in every run folder; show-default)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def to_toml(case: Case, *, comments: bool = False) -> str:
    """The case as TOML text; with ``comments`` each field carries its unit and meaning."""
    lines: list[str] = []

    def emit(obj, path):
        scalars = [f for f in dataclasses.fields(obj) if not dataclasses.is_dataclass(getattr(obj, f.name))]
        sections = [f for f in dataclasses.fields(obj) if dataclasses.is_dataclass(getattr(obj, f.name))]
        if path:
            lines.append("")
            lines.append(f"[{path}]")
            if comments and obj.__doc__:
                lines.append("# " + obj.__doc__.strip().splitlines()[0])
        for f in scalars:
            v = getattr(obj, f.name)
            note = f"  # [{f.metadata.get('unit', '-')}] {f.metadata.get('doc', '')}" if comments else ""
            if v is None:
                if comments:
                    lines.append(f"# {f.name} = ...{note}")
                continue
            lines.append(f"{f.name} = {_toml_value(v)}{note}")
        for f in sections:
            emit(getattr(obj, f.name), _join(path, f.name))

    emit(case, "")
    return "\n".join(lines).lstrip("\n") + "\n"
