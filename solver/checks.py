"""Scalar checks and value formatting shared by every layer (base layer: imports nothing of lamina
but :mod:`solver.errors`).

One place for "is this a real number", "is this an integer" and "how is a value shown in a one-line
error", so that a case file, a law's parameters, a surface file and a sweep file are judged alike;
and the checks made before anything is read or allocated: only regular files of bounded size
(:func:`read_input_file`), memory estimates against what is available (:func:`check_memory`).
"""

from __future__ import annotations

import math
import numbers
import os
import stat

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


# ----------------------------------------------------------------------------------------------
# input files and resources: refused before anything is read or allocated

#: Largest case or sweep file read (bytes): a TOML file of a case is a few kB.
MAX_TEXT_FILE_BYTES = 10 * 2**20
#: Environment variable raising (or lowering) the memory a case may plan to use, in GiB.
MAX_MEMORY_ENV = "LAMINA_MAX_MEMORY_GB"


def read_input_file(path, what: str, max_bytes: int = MAX_TEXT_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, judged by ``stat`` before opening
    (a FIFO, a device such as /dev/zero or a folder is refused, never read or waited on).

    Raises:
        InputError: ``"{what} 'path': ..."``; FileNotFoundError and IsADirectoryError pass
            through for the caller's own message.
    """
    st = os.stat(path)  # FileNotFoundError / PermissionError for the caller
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{what} '{path}': not a regular file (a pipe, device or socket); "
                         "give a file")
    if st.st_size > max_bytes:
        raise InputError(f"{what} '{path}': {st.st_size} bytes; at most {max_bytes} bytes "
                         "allowed")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{what} '{path}': more than {max_bytes} bytes; at most {max_bytes} "
                         "bytes allowed")
    return data


def available_memory() -> int:
    """Bytes of memory a run may plan to use: ``LAMINA_MAX_MEMORY_GB`` when set, else the
    machine's available memory (``MemAvailable`` of /proc/meminfo, else free pages)."""
    env = os.environ.get(MAX_MEMORY_ENV)
    if env is not None and env.strip():
        gb = positive_float(env, f"{MAX_MEMORY_ENV}={env!r}: must be a number of GiB",
                            f"{MAX_MEMORY_ENV}={env!r}: must be a finite number of GiB > 0")
        return int(gb * 2**30)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 2**63


def fmt_bytes(n: float) -> str:
    """``12.3 GiB`` style."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def check_memory(need: float, what: str) -> None:
    """Refuse a plan needing ``need`` bytes when more than :func:`available_memory`.

    Raises:
        InputError: ``"{what}: needs about X, available Y; ..."`` with how to override.
    """
    have = available_memory()
    if need > have:
        raise InputError(f"{what}: needs about {fmt_bytes(need)} of memory, {fmt_bytes(have)} "
                         f"available; make it smaller, or set {MAX_MEMORY_ENV} (GiB) to allow "
                         "more")
