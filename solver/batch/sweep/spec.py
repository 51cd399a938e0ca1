"""The sweep file: axes, base case, scheduler options; parsed and validated on load."""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.case import config as cfgmod
from solver.checks import fmt_value, read_input_file
from solver.errors import InputError
from solver.batch.sweep._common import (MANIFEST, MODES, RANKS_KEY, _case_leaves, _case_sections,
                                        _check_value, _is_int, _is_num, _number_type,
                                        _unknown_keys)
from solver.batch.sweep.options import executor_options


@dataclass(frozen=True)
class Axis:
    """One parameter axis as read from ``[[sweep.axis]]``."""

    index: int
    key: str
    values: tuple = ()  # the values (product, zip) or the discrete levels (lhs)
    group: str | None = None
    bounds: tuple[float, float] | None = None  # lhs, continuous
    scale: str = "linear"
    integer: bool = False  # lhs bounds on an integer key

    @property
    def where(self) -> str:
        return f"sweep.axis[{self.index}]"


@dataclass(frozen=True)
class Sweep:
    """A parsed, checked sweep file (not yet expanded)."""

    name: str
    mode: str
    axes: tuple[Axis, ...]
    base: dict  # the raw base table (relative surface.file made absolute)
    base_dir: Path  # where relative paths in axis values resolve
    samples: int | None = None
    seed: int | None = None
    slurm: dict | None = None  # None: no [slurm] table (the executor then uses the defaults)
    pbs: dict | None = None
    source: Path | None = None
    text: str | None = None


@dataclass(frozen=True)
class CaseSpec:
    """One expanded case."""

    id: int
    hash: str
    params: dict
    ranks: int | None
    toml: str

    @property
    def case_file(self) -> str:
        return f"cases/{self.hash}.toml"

    @property
    def run_folder(self) -> str:
        return f"runs/{self.hash}"

    def entry(self) -> dict:
        return {
            "id": self.id,
            "hash": self.hash,
            "params": self.params,
            "ranks": self.ranks,
            "case_file": self.case_file,
            "run_folder": self.run_folder,
        }


#: Most cases a sweep expands to unless ``sweep.max_cases`` raises it.
MAX_CASES = 100_000

AXIS_KEYS = ("key", "values", "linspace", "logspace", "range", "bounds", "scale", "group")
_SOURCES = ("values", "linspace", "logspace", "range", "bounds")


def _axis_key(t: dict, where: str) -> str:
    """The axis's ``key``: a leaf of the case tree or ``ranks``."""
    key = t.get("key")
    if not isinstance(key, str):
        raise InputError(
            f"{where}.key = {fmt_value(key)}: "
            'must be a dotted case key such as "surface.rms_height"'
        )
    leaves = _case_leaves()
    if key != RANKS_KEY and key not in leaves:
        if key in _case_sections():
            raise InputError(
                f"{where}.key = {key!r}: is a section; give one of its fields, e.g. "
                f"'{next(k for k in leaves if k.startswith(key + '.'))}'"
            )
        close = difflib.get_close_matches(key, [*leaves, RANKS_KEY], 1)
        hint = (
            f"did you mean '{close[0]}'?" if close else "a dotted case key such as 'surface.hurst'"
        )
        raise InputError(f"{where}.key = {key!r}: unknown case key; {hint}")
    return key


def _axis_source(t: dict, where: str, key: str) -> str:
    """Which one of :data:`_SOURCES` gives the axis's values."""
    given = [s for s in _SOURCES if s in t]
    if len(given) != 1:
        raise InputError(
            f"{where} ({key}): give exactly one of "
            + ", ".join(_SOURCES)
            + (f" (got {', '.join(given)})" if given else "")
        )
    return given[0]


def _axis_group(t: dict, where: str, mode: str) -> str | None:
    """The axis's ``group`` (axes of one group are zipped inside mode = 'product'), or None."""
    group = t.get("group")
    if group is not None:
        if not isinstance(group, str) or not group:
            raise InputError(f"{where}.group = {fmt_value(group)}: must be a non-empty string")
        if mode != "product":
            raise InputError(
                f"{where}.group = {group!r}: groups zip axes inside mode = 'product'; "
                f"mode is {mode!r}"
            )
    return group


def _bounds_axis(i: int, where: str, key: str, raw, scale, mode: str) -> Axis:
    """A continuous lhs axis from ``bounds = [lo, hi]`` on a ``scale`` (linear or log)."""
    if mode != "lhs":
        raise InputError(
            f"{where}.bounds: only with mode = 'lhs' (use values, linspace, logspace or range)"
        )
    if scale not in ("linear", "log"):
        raise InputError(f"{where}.scale = {fmt_value(scale)}: must be 'linear' or 'log'")
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(_is_num(x) for x in raw)
        or not all(math.isfinite(x) for x in raw)
        or not raw[0] < raw[1]
    ):
        raise InputError(
            f"{where}.bounds = {fmt_value(raw)}: must be [lo, hi], finite numbers, lo < hi"
        )
    if scale == "log" and raw[0] <= 0:
        raise InputError(f"{where}.bounds = {fmt_value(raw)}: log scale needs lo > 0")
    tp = _number_type(_case_leaves()[key][1]) if key != RANKS_KEY else int
    if tp is None:
        raise InputError(f"{where}.bounds: {key} is not a number; use values")
    integer = tp is int
    if integer and not all(_is_int(x) for x in raw):
        raise InputError(
            f"{where}.bounds = {fmt_value(raw)}: {key} is an integer; give integer bounds"
        )
    for b in raw:
        _check_value(key, b, where)
    return Axis(i, key, (), None, (raw[0], raw[1]), scale, integer)


def _check_count(what: str, n: int, cap: int) -> None:
    """Refuse ``n`` values or cases beyond ``cap`` (before they are made)."""
    if n > cap:
        raise InputError(f"{what}: {n} cases; at most {cap} allowed (sweep.max_cases raises "
                         "the cap)")


def _spaced_values(where: str, src: str, raw, cap: int = MAX_CASES) -> list:
    """The values of ``linspace``/``logspace = [a, b, n]`` (SI values, n points)."""
    if (
        not isinstance(raw, list)
        or len(raw) != 3
        or not _is_num(raw[0])
        or not _is_num(raw[1])
        or not _is_int(raw[2])
        or not all(math.isfinite(x) for x in raw[:2])
    ):
        raise InputError(
            f"{where}.{src} = {fmt_value(raw)}: must be [a, b, n] with numbers a, b and an "
            "integer n"
        )
    a, b, n = raw
    if n < 0:
        raise InputError(f"{where}.{src} = {fmt_value(raw)}: n must be >= 1")
    _check_count(f"{where}.{src} = {fmt_value(raw)}", n, cap)
    if src == "logspace":
        if a <= 0 or b <= 0:
            raise InputError(
                f"{where}.logspace = {fmt_value(raw)}: a and b must be > 0 (SI values)"
            )
        return [float(x) for x in np.geomspace(a, b, n)] if n else []
    return [float(x) for x in np.linspace(a, b, n)]


def _listed_values(where: str, key: str, src: str, raw, cap: int = MAX_CASES) -> list:
    """The values of a discrete axis: ``values``, ``linspace``, ``logspace`` or ``range``
    (integers, stop excluded); at least one."""
    if src == "values":
        if not isinstance(raw, list):
            raise InputError(f"{where}.values = {fmt_value(raw)}: must be a list")
        _check_count(f"{where}.values", len(raw), cap)
        values = list(raw)
    elif src in ("linspace", "logspace"):
        values = _spaced_values(where, src, raw, cap)
    else:  # range
        if not isinstance(raw, list) or len(raw) not in (2, 3) or not all(_is_int(x) for x in raw):
            raise InputError(
                f"{where}.range = {fmt_value(raw)}: must be [start, stop] or "
                "[start, stop, step], integers (stop excluded)"
            )
        if len(raw) == 3 and raw[2] == 0:
            raise InputError(f"{where}.range = {fmt_value(raw)}: step must not be 0")
        _check_count(f"{where}.range = {fmt_value(raw)}", len(range(*raw)), cap)
        values = list(range(*raw))
    if not values:
        raise InputError(
            f"{where}.{src} = {fmt_value(raw)}: empty axis for '{key}'; give at least one value"
        )
    return values


def _frozen(v):
    """A hashable stand-in for an axis value (lists become tuples; 1 and 1.0 stay equal)."""
    if isinstance(v, (list, tuple)):
        return tuple(_frozen(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _frozen(x)) for k, x in v.items()))
    return v


def _parse_axis(i: int, t, mode: str, cap: int = MAX_CASES) -> Axis:
    """``sweep.axis[i]`` checked: its key, exactly one source of values, its group and values."""
    where = f"sweep.axis[{i}]"
    if not isinstance(t, dict):
        raise InputError(f"{where} = {fmt_value(t)}: must be a table ([[sweep.axis]])")
    _unknown_keys(t, AXIS_KEYS, where)
    key = _axis_key(t, where)
    src = _axis_source(t, where, key)
    raw = t[src]
    group = _axis_group(t, where, mode)
    scale = t.get("scale", "linear")
    if "scale" in t and src != "bounds":
        raise InputError(f"{where}.scale: only with bounds (mode = 'lhs')")
    if src == "bounds":
        return _bounds_axis(i, where, key, raw, scale, mode)
    values = _listed_values(where, key, src, raw, cap)
    for v in values:
        _check_value(key, v, where)
    if mode == "product" and group is None:  # zipped axes may repeat values
        seen = set()
        for v in values:
            h = _frozen(v)
            if h in seen:
                raise InputError(
                    f"{where} {key} = {fmt_value(v)}: value given twice (would be the same case)"
                )
            seen.add(h)
    return Axis(i, key, tuple(values), group, None, "linear", False)


SWEEP_KEYS = ("name", "mode", "samples", "seed", "axis", "max_cases")
TOP_KEYS = ("sweep", "base", "slurm", "pbs")


NAME_CHARS = "letters, digits, space and _ - . + = , @"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.+=,@-]*")


def _check_name(name) -> str:
    """``sweep.name``: it names the folder ``runs/<name>`` and the scheduler's job, so only
    :data:`NAME_CHARS`, starting with a letter or digit; the message names what is wrong."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"sweep.name = {fmt_value(name)}: must be a non-empty string of "
                         f"{NAME_CHARS}")
    if _NAME_RE.fullmatch(name):
        return name
    bad = sorted({c for c in name if not _NAME_RE.fullmatch("a" + c)})
    what = (f"character(s) {' '.join(repr(c) for c in bad)} not allowed" if bad else
            f"starts with {name[0]!r}")
    raise InputError(f"sweep.name = {fmt_value(name)}: {what}; use {NAME_CHARS}, starting "
                     "with a letter or digit (it names the folder runs/<name> and the job)")


def _sweep_header(sw: dict, source: Path | None) -> tuple[str, str, int | None, int | None]:
    """(name, mode, samples, seed) of the ``[sweep]`` table; samples and seed only for lhs."""
    name = _check_name(sw.get("name", source.stem if source is not None else "sweep"))
    mode = sw.get("mode", "product")
    if mode not in MODES:
        close = difflib.get_close_matches(str(mode), MODES, 1)
        raise InputError(
            f"sweep.mode = {fmt_value(mode)}: must be one of "
            + ", ".join(map(repr, MODES))
            + (f" (did you mean {close[0]!r}?)" if close else "")
        )
    samples = sw.get("samples")
    seed = sw.get("seed")
    if mode == "lhs":
        if not _is_int(samples) or samples < 1:
            raise InputError(
                f"sweep.samples = {fmt_value(samples)}"
                ": mode = 'lhs' needs an integer number of samples >= 1"
            )
        if seed is None:
            seed = 0
        if not _is_int(seed) or seed < 0:
            raise InputError(f"sweep.seed = {fmt_value(seed)}: must be an integer >= 0")
    else:
        for k in ("samples", "seed"):
            if k in sw:
                raise InputError(f"sweep.{k}: only with mode = 'lhs' (mode is {mode!r})")
    return name, mode, samples, seed


def _parse_axes(sw: dict, mode: str, cap: int = MAX_CASES) -> list[Axis]:
    """The ``[[sweep.axis]]`` tables, each key swept once, zipped axes of equal lengths."""
    axes_raw = sw.get("axis")
    if axes_raw is None:
        raise InputError("sweep.axis: no axes; add [[sweep.axis]] tables with key and values")
    if not isinstance(axes_raw, list) or not axes_raw:
        raise InputError(f"sweep.axis = {fmt_value(axes_raw)}: must be [[sweep.axis]] tables")
    axes = []
    seen: dict[str, int] = {}
    for i, t in enumerate(axes_raw):
        ax = _parse_axis(i, t, mode, cap)
        if ax.key in seen:
            raise InputError(
                f"sweep.axis[{i}].key = {ax.key!r}: swept twice (also sweep.axis[{seen[ax.key]}])"
            )
        seen[ax.key] = i
        axes.append(ax)
    # equal lengths where axes are zipped
    zipped: dict[str, list[Axis]] = {}
    if mode == "zip":
        zipped["(mode = 'zip')"] = axes
    elif mode == "product":
        for ax in axes:
            if ax.group is not None:
                zipped.setdefault(f"group {ax.group!r}", []).append(ax)
    for what, members in zipped.items():
        n0 = len(members[0].values)
        for ax in members[1:]:
            if len(ax.values) != n0:
                raise InputError(
                    f"{ax.where} ({ax.key}): {len(ax.values)} values, but zipped axes "
                    f"{what} need equal lengths; {members[0].where} "
                    f"({members[0].key}) has {n0}"
                )
    return axes


def _max_cases(sw: dict) -> int:
    """``sweep.max_cases``: the cap on the number of cases (default :data:`MAX_CASES`)."""
    cap = sw.get("max_cases", MAX_CASES)
    if not _is_int(cap) or cap < 1:
        raise InputError(f"sweep.max_cases = {fmt_value(cap)}: must be an integer >= 1")
    return cap


def _case_count(axes: list[Axis], mode: str, samples: int | None) -> int:
    """How many cases the axes expand to (without expanding them)."""
    if mode == "lhs":
        return samples or 0
    if mode == "zip":
        return len(axes[0].values)
    n, groups = 1, set()
    for ax in axes:
        if ax.group is None or ax.group not in groups:
            n *= len(ax.values)
            if ax.group is not None:
                groups.add(ax.group)
    return n


def _read_base_file(spec: str, base_dir: Path) -> tuple[dict, Path]:
    """``base = "case.toml"``: the case file's table and its folder (relative to ``base_dir``)."""
    bpath = Path(spec)
    if not bpath.is_absolute():
        bpath = base_dir / bpath
    try:
        raw = tomllib.loads(read_input_file(bpath, f"base = {spec!r}: case file").decode())
    except FileNotFoundError:
        raise InputError(f"base = {spec!r}: case file not found ({bpath})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"base = {spec!r}: cannot be read ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"base = {spec!r}: invalid TOML ({e})") from None
    except RecursionError:
        raise InputError(f"base = {spec!r}: tables or arrays nested too deeply") from None
    return raw, bpath.parent


def _load_base(data: dict, base_dir: Path) -> dict:
    """The base case (a ``[base]`` table, a case file path, or none), checked as a case; a
    relative ``surface.file`` made absolute."""
    if "base" in data and isinstance(data["base"], str):
        raw, bdir = _read_base_file(data["base"], base_dir)
    elif "base" in data:
        raw = data["base"]
        if not isinstance(raw, dict):
            raise InputError(
                f"base = {fmt_value(raw)}: must be a case table ([base]) or a case file path"
            )
        if "base" in raw:  # base = "case.toml" written inside [base]
            raise InputError(
                f"base.base = {fmt_value(raw['base'])}: a base case file is a top-level key: "
                'write base = "case.toml" before the first table, in place of the [base] table'
            )
        raw = copy.deepcopy(raw)
        bdir = base_dir
    else:
        raw, bdir = {}, base_dir
    try:
        cfgmod.from_dict(copy.deepcopy(raw), base_dir=bdir)
    except InputError as e:
        raise InputError(f"base: {e}") from None
    surf = raw.get("surface")
    if (
        isinstance(surf, dict)
        and isinstance(surf.get("file"), str)
        and not Path(surf["file"]).is_absolute()
    ):
        surf["file"] = str((bdir / surf["file"]).resolve())
    return raw


def parse_sweep(
    data: dict, *, base_dir: Path, source: Path | None = None, text: str | None = None
) -> Sweep:
    """Check a sweep table as TOML gives it; every problem is a one-line InputError."""
    if not isinstance(data, dict):
        raise InputError("sweep file: must be a TOML table")
    _unknown_keys(data, TOP_KEYS, "")
    sw = data.get("sweep")
    if not isinstance(sw, dict):
        raise InputError("sweep: missing [sweep] table (name, mode, [[sweep.axis]])")
    _unknown_keys(sw, SWEEP_KEYS, "sweep")
    name, mode, samples, seed = _sweep_header(sw, source)
    cap = _max_cases(sw)
    if mode == "lhs":
        _check_count(f"sweep.samples = {samples}", samples, cap)
    axes = _parse_axes(sw, mode, cap)
    _check_count("sweep", _case_count(axes, mode, samples), cap)
    raw = _load_base(data, base_dir)
    slurm, pbs = executor_options(data, base_dir)
    return Sweep(
        name=name,
        mode=mode,
        axes=tuple(axes),
        base=raw,
        base_dir=base_dir,
        samples=samples,
        seed=seed,
        slurm=slurm,
        pbs=pbs,
        source=source,
        text=text,
    )


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file."""
    path = Path(path)
    try:
        text = read_input_file(path, "sweep file").decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"sweep file '{path}': not found") from None
    except IsADirectoryError:
        raise InputError(f"sweep file '{path}': is a folder without {MANIFEST}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"sweep file '{path}': cannot be read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"sweep file '{path}': invalid TOML ({e})") from None
    except RecursionError:
        raise InputError(f"sweep file '{path}': tables or arrays nested too deeply") from None
    return parse_sweep(data, base_dir=path.resolve().parent, source=path, text=text)
