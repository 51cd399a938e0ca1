"""Constants and small helpers shared by the sweep modules."""

from __future__ import annotations

import copy
import dataclasses
import functools
import difflib
import hashlib
import logging
import typing
from datetime import datetime, timezone
from typing import Any

from solver.case import config as cfgmod
from solver.checks import fmt_value
from solver.errors import InputError
from solver._paths import REPO_ROOT


log = logging.getLogger("lamina")

MANIFEST = "manifest.json"
RUNNING = "RUNNING"
MODES = ("product", "zip", "lhs")
EXECUTORS = ("local", "slurm", "pbs", "none")
RANKS_KEY = "ranks"
HPC_DIR = REPO_ROOT / "hpc"
FORMAT_VERSION = 1


# ----------------------------------------------------------------------------------------------
# small helpers


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _unknown_keys(table: dict, allowed, where: str) -> None:
    for k in table:
        if k not in allowed:
            close = difflib.get_close_matches(k, list(allowed), 1)
            hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
            raise InputError(
                f"{where}.{k}: unknown key; {hint}" if where else f"{k}: unknown key; {hint}"
            )


@functools.cache
def _case_leaves(cls=cfgmod.Case, prefix: str = "") -> dict[str, tuple[Any, Any]]:
    """Every leaf field of the case tree: dotted key -> (dataclass field, type).

    Cached (read it, do not change it): resolving the type hints costs milliseconds, and a
    sweep checks every value of every axis against it.
    """
    out = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            out.update(_case_leaves(tp, key + "."))
        else:
            out[key] = (f, tp)
    return out


@functools.cache
def _case_sections(cls=cfgmod.Case, prefix: str = "") -> frozenset[str]:
    out = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out.add(prefix + f.name)
            out |= _case_sections(hints[f.name], prefix + f.name + ".")
    return frozenset(out)


def _check_value(key: str, value, where: str):
    """Type and range check of one axis value for case key ``key`` (no cross-field checks)."""
    if key == RANKS_KEY:
        if not _is_int(value) or value < 1:
            raise InputError(
                f"{where} {key} = {fmt_value(value)}: must be an integer >= 1 (MPI ranks)"
            )
        return value
    f, tp = _case_leaves()[key]
    try:
        v = cfgmod._convert(value, tp, key)  # the case loader's own conversion and message
    except InputError as e:
        raise InputError(f"{where} {e}") from None
    check = f.metadata.get("check")
    if v is not None and check is not None:
        msg = check(v)
        if msg:
            raise InputError(f"{where} {key} = {fmt_value(value)}: {msg}")
    return value


def _number_type(tp):
    """``int`` or ``float`` for a (possibly optional) number field, else None."""
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    return args[0] if len(args) == 1 and args[0] in (int, float) else None


def _set_dotted(data: dict, key: str, value) -> None:
    parts = key.split(".")
    d = data
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = copy.deepcopy(value)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
