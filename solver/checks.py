"""Scalar checks and value formatting shared by every layer (base layer: imports nothing of lamina
but :mod:`solver.errors`).

One place for "is this a real number", "is this an integer" and "how is a value shown in a one-line
error", so that a case file, a law's parameters, a surface file and a sweep file are judged alike.
"""

from __future__ import annotations

import math
import numbers

from solver.errors import InputError


def is_real(v) -> bool:
    """True for an int or float (NumPy scalars included), False for bool and everything else."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def is_int(v) -> bool:
    """True for an int (not a bool)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def is_finite_real(v) -> bool:
    """A real number (see :func:`is_real`) that is neither inf nor NaN."""
    return is_real(v) and math.isfinite(v)


def fmt_value(v) -> str:
    """A value as a TOML file would show it (for one-line messages): strings quoted, booleans
    ``true``/``false``, sequences in brackets, None as ``(not set)``."""
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt_value(x) for x in v) + "]"
    if v is None:
        return "(not set)"
    return repr(v)


def positive_float(value, not_a_number: str, not_positive: str) -> float:
    """``value`` as a float that is finite and > 0.

    Raises:
        InputError: ``not_a_number`` when ``float(value)`` fails, ``not_positive`` when the
            number is inf, NaN or ≤ 0 (each a complete one-line message of the caller's).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(not_a_number) from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(not_positive)
    return v
