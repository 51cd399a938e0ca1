"""Field helpers of the case tree: :func:`param` (a dataclass field with unit, documentation and
range check), the range checks, and :class:`FieldError`.

A check is a callable ``value -> str | None`` that returns what is allowed when the value is bad
(the loader, :mod:`solver.case.config`, turns that into a one-line
:class:`~solver.errors.InputError` naming the key).
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any


def param(default, *, unit: str, doc: str, check=None, unset_if=None):
    """A case-file field with its unit, documentation and range check.

    Args:
        default: default value (None: optional / not set).
        unit: SI unit of the value, ``"1"`` for dimensionless, ``"-"`` for text/flags.
        doc: one-line meaning shown by ``lamina show-default``.
        check: callable ``value -> str | None`` returning what is allowed when the value is bad.
        unset_if: when the file does not set this field and ``unset_if(table)`` is true, the
            default is dropped (None), e.g. rms_height when rms_slope is given.
    """
    md = {"unit": unit, "doc": doc, "check": check, "unset_if": unset_if}
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for sequence defaults")
    return field(default=default, metadata=md)


def _values(v) -> tuple:
    """A scalar or a tuple field value as a tuple of its entries."""
    return v if isinstance(v, tuple) else (v,)


def positive(v) -> str | None:
    """Every entry finite and > 0."""
    if all(math.isfinite(x) and x > 0 for x in _values(v)):
        return None
    return "must be finite and > 0"


def non_negative(v) -> str | None:
    """Every entry finite and >= 0."""
    if all(math.isfinite(x) and x >= 0 for x in _values(v)):
        return None
    return "must be finite and >= 0"


def finite(v) -> str | None:
    """Every entry finite."""
    return None if all(math.isfinite(x) for x in _values(v)) else "must be finite"


def in_range(lo, hi, *, lo_open=False, hi_open=False):
    """Check for lo <= v <= hi (open ends as asked); message in interval notation."""

    def check(v):
        ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if ok:
            return None
        return f"must be in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"

    return check


def grid_pts(v) -> str | None:
    """Grid point counts: each an integer in [8, 65536]."""
    if all(8 <= n <= 65536 for n in v):
        return None
    return "each entry must be an integer in [8, 65536]"


class FieldError(Exception):
    """Raised inside a section's ``validate``; the loader adds the section path."""

    def __init__(self, name: str, value: Any, allowed: str):
        super().__init__(name)
        self.name, self.value, self.allowed = name, value, allowed
