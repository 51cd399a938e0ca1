"""Parameter checks of the physics dataclasses: one-line :class:`~solver.errors.InputError`
messages of the form ``Class.field = value: allowed ...``."""

from __future__ import annotations

from solver.errors import InputError


def require(cls: str, field: str, value, ok: bool, allowed: str) -> None:
    """Raise ``InputError("cls.field = value: allowed ...")`` unless ``ok``."""
    if not ok:
        raise InputError(f"{cls}.{field} = {value!r}: allowed {allowed}")


def require_parts(obj, **types: type) -> None:
    """Check that each named field of the dataclass ``obj`` is an instance of its type.

    The message names the expected type with its article (``an ElasticParams``, ``a J2Params``).
    """
    for field, typ in types.items():
        value = getattr(obj, field)
        article = "an" if typ.__name__[0] in "AEIOU" else "a"
        require(type(obj).__name__, field, value, isinstance(value, typ),
                f"{article} {typ.__name__}")
