"""The sweep file: axes, base case, scheduler options; parsed and validated on load."""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from solver.case import config as cfgmod
from solver.errors import InputError
from solver.batch.sweep._common import MANIFEST, MODES, RANKS_KEY, _case_leaves, _case_sections, _check_value, _fmt, _is_int, _is_num, _number_type, _unknown_keys


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


# Executor option tables: name -> (default, check(value) -> normalised value, or ValueError(msg))
def _opt_str(v):
    if not isinstance(v, str) or not v.strip() or "\n" in v:
        raise ValueError("must be a non-empty one-line string")
    return v


def _opt_pos_int(v):
    if not _is_int(v) or v < 1:
        raise ValueError("must be an integer >= 1")
    return v


def _opt_nonneg_int(v):
    if not _is_int(v) or v < 0 or v > 65535:
        raise ValueError("must be an integer in [0, 65535]")
    return v


def _opt_bool(v):
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _opt_str_list(v):
    if not isinstance(v, list) or not all(isinstance(x, str) and "\n" not in x for x in v):
        raise ValueError("must be a list of one-line strings")
    return list(v)


_SLURM_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def slurm_seconds(t: str) -> int:
    """Seconds of a SLURM time: ``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M``, ``D-H:M:S``."""
    m = _SLURM_TIME.match(t.strip()) if isinstance(t, str) else None
    if not m:
        raise ValueError("must be a SLURM time: minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]")
    d, a, b, c = m.groups()
    if d is not None:  # D-H[:M[:S]]
        return int(d) * 86400 + int(a) * 3600 + int(b or 0) * 60 + int(c or 0)
    if c is not None:
        return int(a) * 3600 + int(b) * 60 + int(c)
    if b is not None:
        return int(a) * 60 + int(b)
    return int(a) * 60


def _opt_time(v):
    if not isinstance(v, str) or slurm_seconds(v) <= 0:
        raise ValueError('must be a positive SLURM time string such as "00:30:00"')
    return v


def _opt_path(v):
    if not isinstance(v, str) or not v:
        raise ValueError("must be a path")
    return v


SLURM_OPTIONS = {
    "account": (None, _opt_str),
    "partition": (None, _opt_str),
    "qos": (None, _opt_str),
    "time": ("01:00:00", _opt_time),
    "ranks": (1, _opt_pos_int),  # default MPI ranks per case (a `ranks` axis overrides)
    "cpus_per_task": (1, _opt_pos_int),
    "max_parallel": (8, _opt_pos_int),  # --array=...%K
    "max_array_size": (1001, _opt_pos_int),  # the site's MaxArraySize; larger sweeps are chunked
    "modules": ([], _opt_str_list),  # `module load` each
    "setup": ([], _opt_str_list),  # shell lines run before the case (e.g. source an env)
    "signal_before_s": (120, _opt_nonneg_int),  # --signal=B:USR1@T, forwarded to the task; 0: off
    "extra": ([], _opt_str_list),  # more #SBATCH options, e.g. "--mem=4G"
    # A warm JIT/numba cache copied into each task's job-local cache (default SWEEP_DIR/cache);
    # with warm_cache, one one-rank task runs first and fills it, the arrays wait for it.
    "cache_seed": (None, _opt_path),
    "warm_cache": (True, _opt_bool),
    "template": (None, _opt_path),  # a site template instead of hpc/slurm_array.sh.in
}
PBS_OPTIONS = {
    "account": (None, _opt_str),
    "queue": (None, _opt_str),
    "walltime": ("01:00:00", _opt_time),
    "ranks": (1, _opt_pos_int),
    "max_parallel": (8, _opt_pos_int),
    "modules": ([], _opt_str_list),
    "setup": ([], _opt_str_list),
    "extra": ([], _opt_str_list),  # more #PBS options, e.g. "-l mem=4gb"
    "mpiexec": ("mpiexec -n {ranks}", _opt_str),
    "cache_seed": (None, _opt_path),
    "template": (None, _opt_path),
}


def _options(table, spec: dict, where: str) -> dict:
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise InputError(f"{where} = {_fmt(table)}: must be a table ([{where}])")
    _unknown_keys(table, spec, where)
    out = {}
    for k, (default, check) in spec.items():
        if k not in table:
            out[k] = copy.deepcopy(default)
            continue
        try:
            out[k] = check(table[k])
        except ValueError as e:
            raise InputError(f"{where}.{k} = {_fmt(table[k])}: {e}") from None
    if where == "slurm" and out["signal_before_s"] >= slurm_seconds(out["time"]):
        raise InputError(
            f"slurm.signal_before_s = {out['signal_before_s']}: must be shorter than "
            f"slurm.time = {out['time']!r}"
        )
    return out


AXIS_KEYS = ("key", "values", "linspace", "logspace", "range", "bounds", "scale", "group")
_SOURCES = ("values", "linspace", "logspace", "range", "bounds")


def _parse_axis(i: int, t, mode: str) -> Axis:
    where = f"sweep.axis[{i}]"
    if not isinstance(t, dict):
        raise InputError(f"{where} = {_fmt(t)}: must be a table ([[sweep.axis]])")
    _unknown_keys(t, AXIS_KEYS, where)
    key = t.get("key")
    if not isinstance(key, str):
        raise InputError(
            f"{where}.key = {_fmt(key) if key is not None else '(not set)'}: "
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
    given = [s for s in _SOURCES if s in t]
    if len(given) != 1:
        raise InputError(
            f"{where} ({key}): give exactly one of "
            + ", ".join(_SOURCES)
            + (f" (got {', '.join(given)})" if given else "")
        )
    src = given[0]
    raw = t[src]
    group = t.get("group")
    if group is not None:
        if not isinstance(group, str) or not group:
            raise InputError(f"{where}.group = {_fmt(group)}: must be a non-empty string")
        if mode != "product":
            raise InputError(
                f"{where}.group = {group!r}: groups zip axes inside mode = 'product'; "
                f"mode is {mode!r}"
            )
    scale = t.get("scale", "linear")
    if "scale" in t and src != "bounds":
        raise InputError(f"{where}.scale: only with bounds (mode = 'lhs')")
    if src == "bounds":
        if mode != "lhs":
            raise InputError(
                f"{where}.bounds: only with mode = 'lhs' (use values, linspace, logspace or range)"
            )
        if scale not in ("linear", "log"):
            raise InputError(f"{where}.scale = {_fmt(scale)}: must be 'linear' or 'log'")
        if (
            not isinstance(raw, list)
            or len(raw) != 2
            or not all(_is_num(x) for x in raw)
            or not all(math.isfinite(x) for x in raw)
            or not raw[0] < raw[1]
        ):
            raise InputError(
                f"{where}.bounds = {_fmt(raw)}: must be [lo, hi], finite numbers, lo < hi"
            )
        if scale == "log" and raw[0] <= 0:
            raise InputError(f"{where}.bounds = {_fmt(raw)}: log scale needs lo > 0")
        tp = _number_type(leaves[key][1]) if key != RANKS_KEY else int
        if tp is None:
            raise InputError(f"{where}.bounds: {key} is not a number; use values")
        integer = tp is int
        if integer and not all(_is_int(x) for x in raw):
            raise InputError(
                f"{where}.bounds = {_fmt(raw)}: {key} is an integer; give integer bounds"
            )
        for b in raw:
            _check_value(key, b, where)
        return Axis(i, key, (), None, (raw[0], raw[1]), scale, integer)
    if src == "values":
        if not isinstance(raw, list):
            raise InputError(f"{where}.values = {_fmt(raw)}: must be a list")
        values = list(raw)
    elif src in ("linspace", "logspace"):
        if (
            not isinstance(raw, list)
            or len(raw) != 3
            or not _is_num(raw[0])
            or not _is_num(raw[1])
            or not _is_int(raw[2])
            or not all(math.isfinite(x) for x in raw[:2])
        ):
            raise InputError(
                f"{where}.{src} = {_fmt(raw)}: must be [a, b, n] with numbers a, b and an integer n"
            )
        a, b, n = raw
        if n < 0:
            raise InputError(f"{where}.{src} = {_fmt(raw)}: n must be >= 1")
        import numpy as np

        if src == "logspace":
            if a <= 0 or b <= 0:
                raise InputError(f"{where}.logspace = {_fmt(raw)}: a and b must be > 0 (SI values)")
            values = [float(x) for x in np.geomspace(a, b, n)] if n else []
        else:
            values = [float(x) for x in np.linspace(a, b, n)]
    else:  # range
        if not isinstance(raw, list) or len(raw) not in (2, 3) or not all(_is_int(x) for x in raw):
            raise InputError(
                f"{where}.range = {_fmt(raw)}: must be [start, stop] or "
                "[start, stop, step], integers (stop excluded)"
            )
        if len(raw) == 3 and raw[2] == 0:
            raise InputError(f"{where}.range = {_fmt(raw)}: step must not be 0")
        values = list(range(*raw))
    if not values:
        raise InputError(
            f"{where}.{src} = {_fmt(raw)}: empty axis for '{key}'; give at least one value"
        )
    for v in values:
        _check_value(key, v, where)
    if mode == "product" and group is None:  # zipped axes may repeat values
        for j, v in enumerate(values):
            if v in values[:j]:
                raise InputError(
                    f"{where} {key} = {_fmt(v)}: value given twice (would be the same case)"
                )
    return Axis(i, key, tuple(values), group, None, "linear", False)


SWEEP_KEYS = ("name", "mode", "samples", "seed", "axis")
TOP_KEYS = ("sweep", "base", "slurm", "pbs")


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
    name = sw.get("name", source.stem if source is not None else "sweep")
    if not isinstance(name, str) or not name.strip() or "/" in name or "\n" in name:
        raise InputError(f"sweep.name = {_fmt(name)}: must be a non-empty string without '/'")
    mode = sw.get("mode", "product")
    if mode not in MODES:
        close = difflib.get_close_matches(str(mode), MODES, 1)
        raise InputError(
            f"sweep.mode = {_fmt(mode)}: must be one of "
            + ", ".join(map(repr, MODES))
            + (f" (did you mean {close[0]!r}?)" if close else "")
        )
    samples = sw.get("samples")
    seed = sw.get("seed")
    if mode == "lhs":
        if not _is_int(samples) or samples < 1:
            raise InputError(
                f"sweep.samples = {_fmt(samples) if samples is not None else '(not set)'}"
                ": mode = 'lhs' needs an integer number of samples >= 1"
            )
        if seed is None:
            seed = 0
        if not _is_int(seed) or seed < 0:
            raise InputError(f"sweep.seed = {_fmt(seed)}: must be an integer >= 0")
    else:
        for k in ("samples", "seed"):
            if k in sw:
                raise InputError(f"sweep.{k}: only with mode = 'lhs' (mode is {mode!r})")
    axes_raw = sw.get("axis")
    if axes_raw is None:
        raise InputError("sweep.axis: no axes; add [[sweep.axis]] tables with key and values")
    if not isinstance(axes_raw, list) or not axes_raw:
        raise InputError(f"sweep.axis = {_fmt(axes_raw)}: must be [[sweep.axis]] tables")
    axes = []
    seen: dict[str, int] = {}
    for i, t in enumerate(axes_raw):
        ax = _parse_axis(i, t, mode)
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
    # the base case
    if "base" in data and isinstance(data["base"], str):
        bpath = Path(data["base"])
        if not bpath.is_absolute():
            bpath = base_dir / bpath
        try:
            raw = tomllib.loads(bpath.read_text())
        except FileNotFoundError:
            raise InputError(f"base = {data['base']!r}: case file not found ({bpath})") from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"base = {data['base']!r}: cannot be read ({e})") from None
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"base = {data['base']!r}: invalid TOML ({e})") from None
        bdir = bpath.parent
    elif "base" in data:
        raw = data["base"]
        if not isinstance(raw, dict):
            raise InputError(
                f"base = {_fmt(raw)}: must be a case table ([base]) or a case file path"
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
    slurm = _options(data["slurm"], SLURM_OPTIONS, "slurm") if "slurm" in data else None
    pbs = _options(data["pbs"], PBS_OPTIONS, "pbs") if "pbs" in data else None
    for where, opts in (("slurm", slurm), ("pbs", pbs)):
        for k in ("template", "cache_seed"):  # paths relative to the sweep file
            if opts is not None and opts.get(k) and not Path(opts[k]).is_absolute():
                opts[k] = str((base_dir / opts[k]).resolve())
        if opts is not None and opts.get("template") and not Path(opts["template"]).is_file():
            raise InputError(f"{where}.template = {opts['template']!r}: not found")
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
        text = path.read_text(encoding="utf-8")
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
    return parse_sweep(data, base_dir=path.resolve().parent, source=path, text=text)
