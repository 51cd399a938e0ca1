"""Parameter sweeps: expansion into case files, executors, status and collection.

A sweep file is a base case plus parameter axes::

    [sweep]
    name = "press-roughness"
    mode = "product"              # product | zip | lhs
    # samples = 20                # lhs only
    # seed = 1                    # lhs only

    [base]                        # a case table (same schema as a case file) ...
    surface.nb_grid_pts = [128, 128]
    # base = "case.toml"          # ... or a case file, relative to the sweep file

    [[sweep.axis]]
    key = "surface.rms_height"    # dotted case key
    values = [2e-7, 5e-7]         # or linspace / logspace = [a, b, n], range = [i0, i1(, step)]

    [[sweep.axis]]
    key = "seed"                  # surface realisations are an axis like any other
    range = [0, 3]                # Python's range: 0, 1, 2

    [slurm]                       # options of the SLURM job array (see SLURM_OPTIONS)
    account = "proj"
    time = "00:30:00"
    max_parallel = 8

Axes:

* ``values`` (a list), ``linspace = [a, b, n]`` (n evenly spaced, both ends included),
  ``logspace = [a, b, n]`` (n log10-spaced values between a and b, given as SI values, both ends
  exact), ``range = [start, stop]`` or ``[start, stop, step]`` (integers, Python semantics: stop
  excluded); for ``mode = "lhs"`` also ``bounds = [lo, hi]`` with ``scale = "linear" | "log"``
  (integer bounds on an integer key sample integers in [lo, hi]).
* ``mode = "product"``: every combination, the last axis varying fastest. Axes sharing a
  ``group = "g"`` are zipped (equal lengths) and the group enters the product as one axis, at the
  place of its first axis.
* ``mode = "zip"``: all axes zipped (equal lengths).
* ``mode = "lhs"``: ``samples`` points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``,
  seeded by ``seed``) over all axes: continuous over ``bounds``, stratified over the levels of a
  discrete axis (values / linspace / logspace / range).
* The reserved key ``ranks`` is not a case key: it sets the MPI ranks of each case (e.g. zipped with
  ``surface.nb_grid_pts``); it does not enter the case file or its hash.

Expansion validates every case (``config.from_dict``) before anything is written; a bad sweep file
is an :class:`~solver.errors.InputError` naming the axis, key and value, and leaves no case files
and no manifest. Then, written atomically (:func:`solver.io.atomic_write_bytes`), manifest last::

    SWEEP_DIR/
      sweep.toml              the sweep file as given
      cases/<hash>.toml       the resolved case (config.to_toml); hash = sha256 of that text [:12]
      manifest.json           sweep name, options, cases:
                              [{id, hash, params, ranks, case_file, run_folder}]
      runs/<hash>/            the run folder of each case (solver.io convention: DONE last / FAILED)
      runs/<hash>/RUNNING     while an executor runs the case: host, pid, job; flock-ed (see below)
      logs/<hash>.log         output of every attempt at the case (appended)
      slurm/, pbs/            job-array scripts; logs/slurm-<job>_<task>.out
      table.csv, table.parquet, failures.csv     written by ``lamina collect``

Identity is content: a case is its resolved TOML, so re-running a sweep (or an edited sweep that
shares cases) reuses every run folder that is complete.

Running vs interrupted. An executor holds an exclusive ``flock`` on ``runs/<hash>/RUNNING`` for as
long as the case runs; the descriptor is inherited by the ``lamina run`` process (and by ``srun`` /
``mpiexec``), so the lock outlives a killed executor exactly as long as the case process lives, and
the kernel drops it when the last holder dies (SIGKILL included). The file's content (host, pid,
job id) is for people. A case is

* ``done``     ``io.folder_status == "done"`` (DONE and results.json);
* ``running``  someone holds the lock (probed with a non-blocking shared flock);
* ``failed``   FAILED present and nobody holds the lock;
* ``interrupted``  started (files in the run folder) but neither marker and no lock holder: the
  process died; ``lamina status`` counts it under pending, and the next ``lamina sweep`` reruns it;
* ``pending``  never started.

A claimer re-checks DONE after taking the lock and takes the lock only on the file the path still
names, so two executors on one sweep folder never run the same case at once. On file systems
without flock (Lustre mounted without ``-o flock``) the lock is skipped with a warning and the
state falls back to the recorded host and pid.

Executors (``lamina sweep SWEEP.toml|SWEEP_DIR --executor ...``), each running only what is not
done:

* ``local``: ``--jobs N`` cases at once, each ``lamina run cases/<hash>.toml --out runs/<hash>``
  in SWEEP_DIR (under ``mpiexec -n K`` for K > 1 ranks), with OMP/numba threads set to
  cores / (N K) unless set already. A case that ends without DONE and without its own FAILED gets
  FAILED with the exit code or signal and its last error line. Cases held by another executor are
  waited for and taken up if it dies. Exit code 0 when every case is done, 1 otherwise.
* ``slurm``: one job array per rank count from ``hpc/slurm_array.sh.in`` (``[slurm]`` options),
  submitted with sbatch. With ``warm_cache`` (default) a one-task warm-up job runs the first case
  first and fills the JIT/numba cache that every array task copies into its job-local cache.
  Each task is ``python -m solver.sweep task SWEEP_DIR HASH -- srun ... lamina run`` (:func:
  `task_main`): skip if done or held, hold the lock, forward USR1/TERM, FAILED on failure.
* ``pbs``: the same from ``hpc/pbs_array.sh.in`` (``#PBS -J``), written, not submitted.
* ``none`` (or ``--dry-run``): expansion and scripts only.

``lamina collect`` writes one row per case in manifest order: ``id, hash, status``, the swept
values as ``param.<key>``, every scalar of the resolved case as ``input.<key>`` (short lists as
``key[i]``), every scalar of ``output`` as ``output.<key>`` (arrays skipped) and of
``provenance`` as ``provenance.<key>``; CSV always, Parquet with pyarrow; ``failures.csv`` lists
the failed cases with the stage and reason from FAILED.
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import difflib
import fcntl
import hashlib
import io as _stdio
import itertools
import json
import logging
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import typing
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from solver import config as cfgmod
from solver import io
from solver.errors import EXIT_CHECKPOINTED, EXIT_FAILED, EXIT_OK, InputError, SolveError

log = logging.getLogger("lamina")

MANIFEST = "manifest.json"
RUNNING = "RUNNING"
MODES = ("product", "zip", "lhs")
EXECUTORS = ("local", "slurm", "pbs", "none")
RANKS_KEY = "ranks"
HPC_DIR = Path(__file__).resolve().parent.parent / "hpc"
FORMAT_VERSION = 1


# ----------------------------------------------------------------------------------------------
# small helpers


def _fmt(v) -> str:
    """A value as it would be written in TOML (for one-line messages)."""
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return repr(v)


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


def _case_leaves(cls=cfgmod.Case, prefix: str = "") -> dict[str, tuple[Any, Any]]:
    """Every leaf field of the case tree: dotted key -> (dataclass field, type)."""
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


def _case_sections(cls=cfgmod.Case, prefix: str = "") -> set[str]:
    out = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out.add(prefix + f.name)
            out |= _case_sections(hints[f.name], prefix + f.name + ".")
    return out


def _check_value(key: str, value, where: str):
    """Type and range check of one axis value for case key ``key`` (no cross-field checks)."""
    if key == RANKS_KEY:
        if not _is_int(value) or value < 1:
            raise InputError(f"{where} {key} = {_fmt(value)}: must be an integer >= 1 (MPI ranks)")
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
            raise InputError(f"{where} {key} = {_fmt(value)}: {msg}")
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


# ----------------------------------------------------------------------------------------------
# the sweep file


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


# ----------------------------------------------------------------------------------------------
# expansion


def _points(sweep: Sweep) -> list[dict]:
    """The parameter combinations, each ``{key: value}`` in axis order."""
    axes = sweep.axes
    if sweep.mode == "zip":
        return [{ax.key: ax.values[j] for ax in axes} for j in range(len(axes[0].values))]
    if sweep.mode == "product":
        blocks: list[list[Axis]] = []
        by_group: dict[str, list[Axis]] = {}
        for ax in axes:
            if ax.group is None:
                blocks.append([ax])
            elif ax.group in by_group:
                by_group[ax.group].append(ax)
            else:
                by_group[ax.group] = [ax]
                blocks.append(by_group[ax.group])
        ranges = [range(len(b[0].values)) for b in blocks]
        points = []
        for combo in itertools.product(*ranges):
            p = {}
            for block, j in zip(blocks, combo):
                for ax in block:
                    p[ax.key] = ax.values[j]
            points.append({ax.key: p[ax.key] for ax in axes})
        return points
    # Latin hypercube
    import numpy as np
    from scipy.stats import qmc

    rng = np.random.default_rng(sweep.seed)
    try:
        sampler = qmc.LatinHypercube(d=len(axes), rng=rng)
    except TypeError:  # scipy < 1.15
        sampler = qmc.LatinHypercube(d=len(axes), seed=rng)
    u = sampler.random(sweep.samples)
    points = []
    for row in u:
        p = {}
        for ax, x in zip(axes, row):
            if ax.bounds is None:
                p[ax.key] = ax.values[min(int(x * len(ax.values)), len(ax.values) - 1)]
            elif ax.integer:
                lo, hi = ax.bounds
                p[ax.key] = int(min(lo + math.floor(x * (hi - lo + 1)), hi))
            elif ax.scale == "log":
                lo, hi = (math.log10(b) for b in ax.bounds)
                p[ax.key] = float(10.0 ** (lo + x * (hi - lo)))
            else:
                lo, hi = ax.bounds
                p[ax.key] = float(lo + x * (hi - lo))
        points.append(p)
    return points


def expand(sweep: Sweep) -> list[CaseSpec]:
    """Every case of the sweep, validated; raises InputError before anything is written."""
    by_key = {ax.key: ax for ax in sweep.axes}
    specs: list[CaseSpec] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(_points(sweep)):
        data = copy.deepcopy(sweep.base)
        for k, v in p.items():
            if k != RANKS_KEY:
                _set_dotted(data, k, v)
        try:
            case = cfgmod.from_dict(data, base_dir=sweep.base_dir)
        except InputError as e:
            msg = str(e)
            culprit = max((k for k in p if msg.startswith(k)), key=len, default=None)
            if culprit is not None:
                raise InputError(
                    f"{by_key[culprit].where} {culprit} = {_fmt(p[culprit])} makes an "
                    f"invalid case (case {i}): {msg}"
                ) from None
            params = ", ".join(f"{k} = {_fmt(v)}" for k, v in p.items())
            raise InputError(f"sweep case {i} ({params}): {msg}") from None
        text = cfgmod.to_toml(case)
        h = _hash(text)
        if h in seen:
            params = ", ".join(f"{k} = {_fmt(v)}" for k, v in p.items())
            raise InputError(
                f"sweep case {i} ({params}) is identical to case {seen[h]} "
                f"(hash {h}); remove the repeated combination"
            )
        seen[h] = i
        specs.append(CaseSpec(i, h, dict(p), p.get(RANKS_KEY), text))
    return specs


def default_out(sweep_name: str) -> Path:
    return Path("runs") / sweep_name


def write_expansion(sweep: Sweep, specs: list[CaseSpec], out: str | Path) -> dict:
    """Write the case files, the sweep file copy and (last) manifest.json; return the manifest."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}': exists and is not a folder")
    old = out / MANIFEST
    if old.exists():
        try:
            prev = json.loads(old.read_text())
            if prev.get("sweep") != sweep.name:
                log.warning("replacing the manifest of sweep '%s' in %s", prev.get("sweep"), out)
        except (OSError, ValueError):
            pass
    (out / "cases").mkdir(parents=True, exist_ok=True)
    for s in specs:
        p = out / s.case_file
        if not (p.exists() and p.read_text() == s.toml):
            io.atomic_write_bytes(p, s.toml.encode())
    if sweep.text is not None:
        io.atomic_write_bytes(out / "sweep.toml", sweep.text.encode())
    manifest = {
        "format": FORMAT_VERSION,
        "sweep": sweep.name,
        "mode": sweep.mode,
        "samples": sweep.samples,
        "seed": sweep.seed,
        "sweep_file": str(sweep.source.resolve()) if sweep.source is not None else None,
        "created": _now(),
        "axes": [
            {
                "key": a.key,
                "n": len(a.values) if a.bounds is None else None,
                "group": a.group,
                "bounds": a.bounds,
                "scale": a.scale if a.bounds else None,
            }
            for a in sweep.axes
        ],
        "slurm": sweep.slurm,
        "pbs": sweep.pbs,
        "cases": [s.entry() for s in specs],
    }
    io.atomic_write_bytes(out / MANIFEST, io.dumps_json(manifest).encode())
    return manifest


def load_manifest(sweep_dir: str | Path) -> dict:
    sweep_dir = Path(sweep_dir)
    p = sweep_dir / MANIFEST
    if not sweep_dir.is_dir():
        raise InputError(f"sweep folder '{sweep_dir}': not found")
    try:
        m = json.loads(p.read_text())
    except FileNotFoundError:
        raise InputError(
            f"sweep folder '{sweep_dir}': no {MANIFEST} (not a sweep folder, or the "
            "expansion did not finish; run 'lamina sweep' again)"
        ) from None
    except (OSError, ValueError) as e:
        raise InputError(f"sweep folder '{sweep_dir}': unreadable {MANIFEST} ({e})") from None
    if not isinstance(m, dict) or not isinstance(m.get("cases"), list):
        raise InputError(f"sweep folder '{sweep_dir}': {MANIFEST} has no case list")
    return m


# ----------------------------------------------------------------------------------------------
# claiming a case: flock on runs/<hash>/RUNNING


class Claim:
    """An exclusive flock on ``RUNNING`` in a run folder; inherited by the case process."""

    def __init__(self, path: Path, fd: int, locked: bool):
        self.path, self.fd, self.locked = path, fd, locked

    def write_info(self, info: dict) -> None:
        """Who runs the case (host, pid, job): written in place, the lock lives on the inode."""
        data = (json.dumps(info) + "\n").encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def release(self, remove: bool = True) -> None:
        if self.fd < 0:
            return
        if remove:  # while still holding the lock: a waiting claimer then sees another inode
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        os.close(self.fd)
        self.fd = -1


_warned_no_flock = False


def claim(run_folder: Path, busy_wait_s: float = 0.3) -> Claim | None:
    """Take the case in ``run_folder``; None when another process holds it.

    A brief non-blocking failure can be a ``lamina status`` probe, so it is retried for
    ``busy_wait_s`` before the case counts as held elsewhere.
    """
    global _warned_no_flock
    run_folder.mkdir(parents=True, exist_ok=True)
    path = run_folder / RUNNING
    deadline = time.monotonic() + busy_wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
            continue
        except OSError as e:  # no flock on this file system
            if not _warned_no_flock:
                log.warning("no flock on %s (%s): cases are not locked", run_folder, e.strerror)
                _warned_no_flock = True
            return Claim(path, fd, locked=False)
        # The previous holder may have unlinked the file between our open and flock.
        try:
            st = os.stat(path)
            fst = os.fstat(fd)
            same = (st.st_ino, st.st_dev) == (fst.st_ino, fst.st_dev)
        except FileNotFoundError:
            same = False
        if same:
            return Claim(path, fd, locked=True)
        os.close(fd)


def _tidy(run_folder: Path) -> None:
    """Remove the stale RUNNING of a done case (its executor died between DONE and the unlink)."""
    c = claim(run_folder, busy_wait_s=0.0)
    if c is not None:
        c.release(remove=True)


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def lock_state(run_folder: Path) -> str:
    """``"none"`` (no RUNNING file), ``"live"`` (held) or ``"stale"`` (left by a dead process)."""
    path = Path(run_folder) / RUNNING
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return "none"
    except OSError:
        return "stale"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "live"
        except OSError:  # no flock here: judge by the recorded host and pid
            try:
                info = json.loads(os.pread(fd, 65536, 0) or b"{}")
            except ValueError:
                return "live"
            if info.get("host") == socket.gethostname():
                return "live" if _pid_alive(info.get("pid")) else "stale"
            return "live"  # another host: cannot tell, assume it runs
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "stale"
    finally:
        os.close(fd)


def case_state(run_folder: str | Path) -> str:
    """``done``, ``running``, ``failed``, ``interrupted`` or ``pending`` (see the module doc)."""
    run_folder = Path(run_folder)
    st = io.folder_status(run_folder)
    if st == "done":
        return "done"
    if lock_state(run_folder) == "live":
        return "running"
    if st == "failed":
        return "failed"
    if st == "incomplete":
        return "interrupted"
    return "pending"


# ----------------------------------------------------------------------------------------------
# running one case (shared by the local executor and the array tasks)


def lamina_command() -> list[str]:
    """How to start ``lamina`` with this interpreter: the console script next to it, or -m."""
    script = Path(sys.executable).parent / "lamina"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "solver"]


def mpiexec_command() -> str:
    """The MPI launcher next to this interpreter (the wheel's), else ``mpiexec`` on PATH."""
    local = Path(sys.executable).parent / "mpiexec"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which("mpiexec")
    if found is None:
        raise InputError("--ranks > 1: no mpiexec next to Python or on PATH")
    return found


THREAD_VARS = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(jobs: int, ranks: int) -> dict[str, str]:
    """Threads per rank so that ``jobs`` cases of ``ranks`` ranks share this machine's cores
    without oversubscription; variables the user has set are left alone."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    n = str(max(1, cpus // max(1, jobs * ranks)))
    return {v: n for v in THREAD_VARS if v not in os.environ}


def child_env(extra: dict | None = None) -> dict[str, str]:
    """The environment for a case process: this one without an enclosing MPI job's PMI variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("PMI_", "PMIX_", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD")
        )
    }
    pkg_parent = str(Path(__file__).resolve().parent.parent)
    if lamina_command()[0] == sys.executable:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pkg_parent, env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def _failure_reason(log_path: Path, offset: int, rc: int) -> str:
    if rc < 0:
        try:
            how = f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            how = f"killed by signal {-rc}"
    else:
        how = f"exit code {rc}"
    try:
        with open(log_path, "rb") as f:
            f.seek(offset)
            lines = [
                ln.strip() for ln in f.read().decode(errors="replace").splitlines() if ln.strip()
            ]
    except OSError:
        lines = []
    lines = [ln for ln in lines if not ln.startswith("# lamina sweep")]
    msg = next(
        (ln for ln in reversed(lines) if ln.startswith(("lamina: error:", "lamina: failed:"))), None
    )
    if msg is None and lines and rc > 0:
        msg = lines[-1]
    return f"{msg[:400]} ({how})" if msg else how


class SignalRelay:
    """A signal handler that forwards to the case process; a signal that comes before the case
    has started is sent to it as soon as it starts."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.received: list[str] = []

    def __call__(self, signum, frame) -> None:
        self.received.append(signal.Signals(signum).name)
        self._send(signum)

    def started(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        for name in self.received:
            self._send(signal.Signals[name])

    def _send(self, signum) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signum)
            except ProcessLookupError:
                pass


@dataclass
class Attempt:
    """The end of one attempt at a case."""

    hash: str
    state: str  # done | failed | interrupted | skipped-done | skipped-running
    seconds: float = 0.0
    reason: str = ""


def run_one(
    sweep_dir: Path,
    hash_: str,
    launch: list[str],
    *,
    executor: str,
    extra_info: dict | None = None,
    procs: dict | None = None,
    stop: threading.Event | None = None,
    relay: SignalRelay | None = None,
    env: dict | None = None,
) -> Attempt:
    """Claim the case ``hash_`` of ``sweep_dir`` and run ``launch + [case, --out, run]`` there.

    The child's output is appended to ``logs/<hash>.log``. A case that exits without DONE and
    without writing FAILED itself gets FAILED with the reason (exit code or signal and the last
    error line), unless ``stop`` is set (the executor was interrupted: the folder stays
    'interrupted' and is rerun next time).
    """
    sweep_dir = Path(sweep_dir)
    run = sweep_dir / "runs" / hash_
    case_file = sweep_dir / "cases" / f"{hash_}.toml"
    if io.folder_status(run) == "done":
        return Attempt(hash_, "skipped-done")
    if not case_file.is_file():
        raise InputError(f"case file '{case_file}': not found (run 'lamina sweep' to expand again)")
    c = claim(run)
    if c is None:
        return Attempt(hash_, "skipped-running")
    try:
        if io.folder_status(run) == "done":  # finished by someone else meanwhile
            return Attempt(hash_, "skipped-done")
        if stop is not None and stop.is_set():
            return Attempt(hash_, "interrupted")
        logs = sweep_dir / "logs"
        logs.mkdir(exist_ok=True)
        log_path = logs / f"{hash_}.log"
        cmd = [
            *launch,
            os.path.join("cases", f"{hash_}.toml"),
            "--out",
            os.path.join("runs", hash_),
        ]
        t0 = time.perf_counter()
        with open(log_path, "ab") as logf:
            offset = logf.tell()
            logf.write(
                f"# lamina sweep [{executor}] {_now()} host {socket.gethostname()}: "
                f"{shlex.join(cmd)}\n".encode()
            )
            logf.flush()
            fds = (c.fd,)
            proc = subprocess.Popen(
                cmd,
                cwd=sweep_dir,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                pass_fds=fds,
                env=child_env(env),
            )
            if procs is not None:
                procs[hash_] = proc
            if relay is not None:
                relay.started(proc)
            c.write_info(
                {
                    "host": socket.gethostname(),
                    "pid": proc.pid,
                    "executor": executor,
                    "executor_pid": os.getpid(),
                    "started": _now(),
                    **(extra_info or {}),
                }
            )
            rc = proc.wait()
            if procs is not None:
                procs.pop(hash_, None)
        seconds = time.perf_counter() - t0
        st = io.folder_status(run)
        if st == "done":
            return Attempt(hash_, "done", seconds)
        if stop is not None and stop.is_set() and rc != 0:
            return Attempt(hash_, "interrupted", seconds)
        if rc == EXIT_CHECKPOINTED:
            # stopped with a checkpoint (signal or wall budget): continued by the next run
            return Attempt(hash_, "interrupted", seconds, "checkpointed")
        if st == "failed":
            try:
                reason = json.loads((run / io.FAILED).read_text()).get("reason", "")
            except (OSError, ValueError):
                reason = ""
            return Attempt(hash_, "failed", seconds, reason)
        reason = _failure_reason(log_path, offset, rc)
        if rc == 0:
            reason = f"exited without DONE ({reason})"
        io.RunFolder(run).fail(reason, stage="")
        return Attempt(hash_, "failed", seconds, reason)
    finally:
        c.release(remove=True)


# ----------------------------------------------------------------------------------------------
# executors


def _case_launch(ranks: int) -> list[str]:
    base = [*lamina_command(), "run"]
    return base if ranks <= 1 else [mpiexec_command(), "-n", str(ranks), *base]


def _describe(entry: dict) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in entry.get("params", {}).items())


def run_local(
    sweep_dir: Path, manifest: dict, *, jobs: int = 1, ranks: int = 1, dry_run: bool = False
) -> int:
    """Run the cases that are not done, ``jobs`` at a time; return the exit code."""
    sweep_dir = Path(sweep_dir)
    entries = manifest["cases"]
    todo = []
    for e in entries:
        run = sweep_dir / e["run_folder"]
        if io.folder_status(run) != "done":
            todo.append(e)
        elif (run / RUNNING).exists() and not dry_run:
            _tidy(run)
    n_done = len(entries) - len(todo)
    log.info(
        "sweep '%s': %d cases, %d done, %d to run (%d at a time)",
        manifest.get("sweep"),
        len(entries),
        n_done,
        len(todo),
        jobs,
    )
    if dry_run:
        for e in todo:
            r = e.get("ranks") or ranks
            print(shlex.join([*_case_launch(r), e["case_file"], "--out", e["run_folder"]]))
        return EXIT_OK
    if not todo:
        return EXIT_OK
    stop = threading.Event()
    procs: dict[str, subprocess.Popen] = {}
    counts = {"done": 0, "failed": 0, "interrupted": 0, "skipped-done": 0, "skipped-running": 0}
    k = 0

    def work(e):
        if stop.is_set():
            return e, Attempt(e["hash"], "interrupted")
        r = e.get("ranks") or ranks
        return e, run_one(
            sweep_dir,
            e["hash"],
            _case_launch(r),
            executor="local",
            procs=procs,
            stop=stop,
            env=thread_env(jobs, r),
        )

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lamina-case")
    queue = todo
    try:
        while queue:
            held = []
            futures = {pool.submit(work, e) for e in queue}
            while futures:
                finished, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in finished:
                    e, a = fut.result()
                    if a.state == "skipped-running":
                        held.append(e)
                        continue
                    counts[a.state] += 1
                    k += 1
                    extra = f" ({a.seconds:.1f} s)" if a.seconds else ""
                    why = f": {a.reason}" if a.state == "failed" else ""
                    log.info(
                        "[%d/%d] %-12s case %d %s %s%s%s",
                        k,
                        len(todo),
                        a.state,
                        e["id"],
                        e["hash"],
                        _describe(e),
                        extra,
                        why,
                    )
            # Cases held by another executor: wait until it lets go of them, then take up the
            # ones it did not finish (it may have died); it never runs twice at once.
            if held:
                log.info("%d case(s) held by another process; waiting for them", len(held))
                counts["skipped-running"] += len(held)
                while any(lock_state(sweep_dir / e["run_folder"]) == "live" for e in held):
                    time.sleep(0.5)
            queue = held
    except KeyboardInterrupt:
        stop.set()
        log.info("interrupted: stopping %d running case(s)", len(procs))
        for p in list(procs.values()):
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        return 130
    pool.shutdown(wait=True)
    st = [case_state(sweep_dir / e["run_folder"]) for e in entries]
    n_done, n_failed = st.count("done"), st.count("failed")
    log.info(
        "sweep '%s': %d/%d done, %d failed (%d run here, %d by another process)",
        manifest.get("sweep"),
        n_done,
        len(entries),
        n_failed,
        counts["done"] + counts["failed"],
        counts["skipped-done"],
    )
    return EXIT_OK if n_done == len(entries) else EXIT_FAILED


def _bash_array(items) -> str:
    return " ".join(shlex.quote(x) for x in items)


def _template(path_opt: str | None, default_name: str, sweep_dir: Path) -> tuple[Path, str]:
    p = Path(path_opt) if path_opt else HPC_DIR / default_name
    try:
        return p, p.read_text()
    except OSError as e:
        raise InputError(f"job template '{p}': cannot be read ({e.strerror})") from None


def fill_template(text: str, values: dict[str, str | None], name: str) -> str:
    """Replace ``{{NAME}}``; a line whose placeholder is None is dropped; none may remain."""
    out = []
    for line in text.splitlines():
        keys = re.findall(r"\{\{([A-Z_]+)\}\}", line)
        if any(values.get(k, "") is None for k in keys):
            continue
        for k in keys:
            if k not in values:
                raise InputError(f"job template {name}: unknown placeholder {{{{{k}}}}}")
            line = line.replace("{{" + k + "}}", values[k])
        out.append(line)
    return "\n".join(out) + "\n"


def cache_seed(sweep_dir: Path, opts: dict) -> Path:
    """The warm cache that array tasks copy into their job-local cache."""
    return (
        Path(opts["cache_seed"]).resolve()
        if opts.get("cache_seed")
        else (Path(sweep_dir) / "cache").resolve()
    )


def _job_name(name: str) -> str:
    return "lamina-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:56]


def _groups(todo: list[dict], default_ranks: int) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = {}
    for e in todo:
        groups.setdefault(e.get("ranks") or default_ranks, []).append(e)
    return dict(sorted(groups.items()))


def _common_values(
    sweep_dir: Path, manifest: dict, opts: dict, ranks: int, chunk: list[dict], launcher: str
) -> dict:
    lam = lamina_command()
    return {
        "SWEEP_NAME": manifest.get("sweep", ""),
        "JOB_NAME": _job_name(manifest.get("sweep", "sweep")),
        "NCASES": str(len(chunk)),
        "RANKS": str(ranks),
        "SWEEP_DIR": shlex.quote(str(sweep_dir.resolve())),
        "LOG_DIR": str((sweep_dir / "logs").resolve()),
        "PYTHON": shlex.quote(sys.executable),
        "LAMINA": _bash_array(lam),
        "CASES": _bash_array(e["hash"] for e in chunk),
        "CASE_IDS": " ".join(str(e["id"]) for e in chunk),
        "MODULES": "\n".join(f"module load {m}" for m in opts["modules"]) or None,
        "SETUP": "\n".join(opts["setup"]) or None,
        "CACHE_SEED": shlex.quote(str(cache_seed(sweep_dir, opts))),
        "LAUNCH": launcher,
        "GENERATED": _now(),
    }


def write_slurm_scripts(
    sweep_dir: Path, manifest: dict, opts: dict, todo: list[dict], ranks: int | None = None
) -> list[dict]:
    """One array script per rank count (and per ``max_array_size`` chunk); return their records."""
    sweep_dir = Path(sweep_dir)
    tpath, text = _template(opts.get("template"), "slurm_array.sh.in", sweep_dir)
    default_ranks = ranks or opts["ranks"]
    out_dir = sweep_dir / "slurm"
    out_dir.mkdir(exist_ok=True)
    (sweep_dir / "logs").mkdir(exist_ok=True)
    scripts = []
    for r, entries in _groups(todo, default_ranks).items():
        size = opts["max_array_size"]
        chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
        for j, chunk in enumerate(chunks):
            vals = _common_values(
                sweep_dir,
                manifest,
                opts,
                r,
                chunk,
                f"srun --mpi=pmi2 -n {r} -c {opts['cpus_per_task']}",
            )
            par = min(opts["max_parallel"], len(chunk))
            vals.update(
                {
                    "SBATCH_ACCOUNT": f"#SBATCH --account={opts['account']}"
                    if opts["account"]
                    else None,
                    "SBATCH_PARTITION": (
                        f"#SBATCH --partition={opts['partition']}" if opts["partition"] else None
                    ),
                    "SBATCH_QOS": f"#SBATCH --qos={opts['qos']}" if opts["qos"] else None,
                    "TIME": opts["time"],
                    "CPUS_PER_TASK": str(opts["cpus_per_task"]),
                    "ARRAY": f"0-{len(chunk) - 1}%{par}",
                    "SIGNAL_BEFORE_S": str(opts["signal_before_s"])
                    if opts["signal_before_s"]
                    else None,
                    "SBATCH_EXTRA": "\n".join(f"#SBATCH {x}" for x in opts["extra"]) or None,
                }
            )
            name = f"array-r{r}" + (f"-{j}" if len(chunks) > 1 else "") + ".sh"
            path = out_dir / name
            io.atomic_write_bytes(path, fill_template(text, vals, str(tpath)).encode())
            path.chmod(0o755)
            scripts.append(
                {
                    "script": str(path),
                    "ranks": r,
                    "n": len(chunk),
                    "chunk": j,
                    "ids": [e["id"] for e in chunk],
                    "name": manifest.get("sweep", "sweep"),
                }
            )
    return scripts


def _sbatch_commands(sweep_dir: Path, scripts: list[dict], opts: dict) -> list[dict]:
    """The sbatch calls: an optional cache warm-up task, then the arrays."""
    calls = []
    seed = cache_seed(sweep_dir, opts)
    warm = opts.get("warm_cache") and scripts and not (seed.is_dir() and any(seed.iterdir()))
    if warm:
        # The first case of a one-rank array (else of the first array) compiles into the seed
        # cache; its array task later finds the case done and skips it.
        first = next((s for s in scripts if s["ranks"] == 1), scripts[0])
        calls.append(
            {
                "role": "warm-up",
                "script": first["script"],
                "ranks": first["ranks"],
                "args": [
                    "--array=0",
                    "--export=ALL,LAMINA_WARM_CACHE=1",
                    f"--job-name={_job_name(first.get('name', 'sweep'))}-warm",
                ],
            }
        )
    for s in scripts:
        calls.append(
            {
                "role": "array",
                "script": s["script"],
                "ranks": s["ranks"],
                "chunk": s["chunk"],
                "n": s["n"],
                "ids": s["ids"],
                "args": [],
            }
        )
    return calls


def submit_slurm(
    sweep_dir: Path, scripts: list[dict], opts: dict, *, dry_run: bool = False
) -> list[dict]:
    """sbatch the optional cache warm-up task, then every array after it (afterany), chunks of
    one rank count chained (afterany); return the calls with their job ids (none if dry_run)."""
    calls = _sbatch_commands(sweep_dir, scripts, opts)
    if dry_run:
        return calls
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise InputError(
            "--executor slurm: sbatch not found on PATH (use --dry-run or "
            "--executor none to write the script only)"
        )
    warm_job = None
    prev: dict[int, str] = {}
    for c in calls:
        deps = []
        if c["role"] == "array":
            if warm_job:
                deps.append(warm_job)
            if c["chunk"] > 0 and c["ranks"] in prev:
                deps.append(prev[c["ranks"]])
        cmd = [sbatch, "--parsable", *c["args"]]
        if deps:
            cmd.append("--dependency=afterany:" + ":".join(deps))
        cmd.append(c["script"])
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=sweep_dir)
        if p.returncode != 0:
            err = (p.stderr.strip().splitlines() or [f"exit code {p.returncode}"])[-1]
            raise SolveError(f"sbatch {c['script']}: {err}")
        job = p.stdout.strip().split(";")[0]
        c["job_id"], c["submitted"], c["command"] = job, _now(), cmd
        if c["role"] == "warm-up":
            warm_job = job
        else:
            prev[c["ranks"]] = job
    record = sweep_dir / "slurm" / "submitted.json"
    try:
        old = json.loads(record.read_text())
    except (OSError, ValueError):
        old = []
    io.atomic_write_bytes(record, io.dumps_json(old + calls).encode())
    return calls


def write_pbs_scripts(
    sweep_dir: Path, manifest: dict, opts: dict, todo: list[dict], ranks: int | None = None
) -> list[dict]:
    """PBS Pro / OpenPBS array scripts (``#PBS -J``), one per rank count; written, not submitted."""
    sweep_dir = Path(sweep_dir)
    tpath, text = _template(opts.get("template"), "pbs_array.sh.in", sweep_dir)
    default_ranks = ranks or opts["ranks"]
    out_dir = sweep_dir / "pbs"
    out_dir.mkdir(exist_ok=True)
    (sweep_dir / "logs").mkdir(exist_ok=True)
    scripts = []
    for r, chunk in _groups(todo, default_ranks).items():
        vals = _common_values(sweep_dir, manifest, opts, r, chunk, opts["mpiexec"].format(ranks=r))
        par = min(opts["max_parallel"], len(chunk))
        vals.update(
            {
                "PBS_ACCOUNT": f"#PBS -A {opts['account']}" if opts["account"] else None,
                "PBS_QUEUE": f"#PBS -q {opts['queue']}" if opts["queue"] else None,
                "WALLTIME": opts["walltime"],
                # PBS arrays need at least two subjobs; a single case runs as a plain job (index 0)
                "ARRAY": f"0-{len(chunk) - 1}%{par}" if len(chunk) > 1 else None,
                "PBS_EXTRA": "\n".join(f"#PBS {x}" for x in opts["extra"]) or None,
            }
        )
        path = out_dir / f"array-r{r}.sh"
        io.atomic_write_bytes(path, fill_template(text, vals, str(tpath)).encode())
        path.chmod(0o755)
        scripts.append(
            {"script": str(path), "ranks": r, "n": len(chunk), "ids": [e["id"] for e in chunk]}
        )
    return scripts


# ----------------------------------------------------------------------------------------------
# status and collection


def states(sweep_dir: str | Path, manifest: dict | None = None) -> list[tuple[dict, str]]:
    sweep_dir = Path(sweep_dir)
    manifest = manifest or load_manifest(sweep_dir)
    return [(e, case_state(sweep_dir / e["run_folder"])) for e in manifest["cases"]]


def count_states(st: list[tuple[dict, str]]) -> dict[str, int]:
    counts = {"done": 0, "failed": 0, "running": 0, "pending": 0, "interrupted": 0}
    for _, s in st:
        counts[s] += 1
    counts["pending"] += counts["interrupted"]  # interrupted cases are pending (rerun next time)
    return counts


def _flatten(obj, prefix: str, out: dict, *, index_lists: bool) -> None:
    """Scalars of nested dicts under dotted names; short lists indexed (inputs) or skipped."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, index_lists=index_lists)
    elif isinstance(obj, (list, tuple)):
        if index_lists and all(not isinstance(x, (list, tuple, dict)) for x in obj):
            for j, x in enumerate(obj):
                out[f"{prefix}[{j}]"] = x
        # arrays of outputs are skipped
    else:
        out[prefix] = obj


def collect_rows(sweep_dir: str | Path) -> tuple[list[dict], list[dict], dict]:
    """Table rows (manifest order), failure rows and the manifest."""
    sweep_dir = Path(sweep_dir)
    manifest = load_manifest(sweep_dir)
    rows, failures = [], []
    for e, state in states(sweep_dir, manifest):
        run = sweep_dir / e["run_folder"]
        row: dict[str, Any] = {"id": e["id"], "hash": e["hash"], "status": state}
        _flatten(e.get("params", {}), "param", row, index_lists=True)
        results = io.read_results(run) if state == "done" else None
        if results is not None:
            inp = results.get("input", {})
        else:
            try:
                inp = cfgmod.to_dict(cfgmod.load(sweep_dir / e["case_file"]))
            except InputError:
                inp = {}
        _flatten(inp, "input", row, index_lists=True)
        if results is not None:
            _flatten(results.get("output", {}), "output", row, index_lists=False)
            prov = {k: v for k, v in results.get("provenance", {}).items() if k != "command"}
            _flatten(prov, "provenance", row, index_lists=False)
        rows.append(row)
        if state == "failed":
            try:
                f = json.loads((run / io.FAILED).read_text())
            except (OSError, ValueError):
                f = {}
            failures.append(
                {
                    "id": e["id"],
                    "hash": e["hash"],
                    "run_folder": e["run_folder"],
                    "stage": f.get("stage", ""),
                    "reason": f.get("reason", ""),
                    "log": f"logs/{e['hash']}.log",
                }
            )
    return rows, failures, manifest


def _columns(rows: list[dict]) -> list[str]:
    cols: dict[str, None] = {}
    for r in rows:
        for k in r:
            cols.setdefault(k, None)
    return list(cols)


def _csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    buf = _stdio.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        out = []
        for c in columns:
            v = r.get(c)
            if v is None:
                out.append("")
            elif isinstance(v, bool):
                out.append("true" if v else "false")
            elif isinstance(v, float):
                out.append(repr(v))
            else:
                out.append(v)
        w.writerow(out)
    return buf.getvalue().encode()


def _parquet_bytes(rows: list[dict], columns: list[str]) -> bytes | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    arrays = {}
    for c in columns:
        vals = [r.get(c) for r in rows]
        try:
            arr = pa.array(vals)
            if pa.types.is_null(arr.type):
                arr = pa.array(vals, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arr = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
        arrays[c] = arr
    table = pa.table(arrays)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


@dataclass
class Collected:
    csv: Path
    parquet: Path | None
    failures: Path
    rows: int
    counts: dict


def collect(sweep_dir: str | Path, out: str | Path | None = None) -> Collected:
    """Write ``<out>.csv``, ``<out>.parquet`` (with pyarrow) and ``failures.csv`` next to them."""
    sweep_dir = Path(sweep_dir)
    rows, failures, _ = collect_rows(sweep_dir)
    stem = Path(out) if out else sweep_dir / "table"
    if stem.suffix in (".csv", ".parquet"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    cols = _columns(rows)
    csv_path = stem.with_name(stem.name + ".csv")
    io.atomic_write_bytes(csv_path, _csv_bytes(rows, cols))
    pq_bytes = _parquet_bytes(rows, cols)
    pq_path = None
    if pq_bytes is not None:
        pq_path = stem.with_name(stem.name + ".parquet")
        io.atomic_write_bytes(pq_path, pq_bytes)
    fcols = ["id", "hash", "run_folder", "stage", "reason", "log"]
    f_path = stem.parent / "failures.csv"
    io.atomic_write_bytes(f_path, _csv_bytes(failures, fcols))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return Collected(csv_path, pq_path, f_path, len(rows), counts)


# ----------------------------------------------------------------------------------------------
# command line


def _on_rank0(comm, fn) -> int:
    """Run ``fn`` on rank 0 only; every rank returns its exit code (or raises its InputError)."""
    if comm is None or comm.size == 1:
        return fn()
    payload: tuple = (EXIT_OK, None)
    if comm.rank == 0:
        try:
            payload = (fn(), None)
        except InputError as e:
            payload = (None, ("input", str(e)))
        except SolveError as e:
            payload = (None, ("solve", str(e)))
        except BaseException as e:
            comm.bcast((None, ("other", f"{type(e).__name__}: {e}")), root=0)
            raise
    payload = comm.bcast(payload, root=0)
    rc, err = payload
    if err is not None:
        kind, msg = err
        if kind == "input":
            raise InputError(msg)
        if kind == "solve":
            raise SolveError(msg)
        raise RuntimeError(msg)
    return rc


def _sweep_main(args) -> int:
    if args.jobs < 1:
        raise InputError(f"--jobs = {args.jobs}: must be >= 1")
    if args.ranks is not None and args.ranks < 1:
        raise InputError(f"--ranks = {args.ranks}: must be >= 1")
    src = Path(args.sweep)
    if src.is_dir() and (src / MANIFEST).exists():  # resume an expanded sweep folder
        if args.out and Path(args.out).resolve() != src.resolve():
            raise InputError(f"--out '{args.out}': a sweep folder was given; leave --out out")
        out = src
        manifest = load_manifest(out)
        log.info("sweep folder %s: %d cases from %s", out, len(manifest["cases"]), MANIFEST)
    else:
        sweep = load_sweep(src)
        specs = expand(sweep)  # every case validated before anything is written
        out = Path(args.out) if args.out else default_out(sweep.name)
        if args.executor == "slurm" and not args.dry_run and shutil.which("sbatch") is None:
            raise InputError(
                "--executor slurm: sbatch not found on PATH (use --dry-run or "
                "--executor none to write the script only)"
            )
        manifest = write_expansion(sweep, specs, out)
        log.info("sweep '%s': %d cases (%s) -> %s", sweep.name, len(specs), sweep.mode, out)
    todo = [e for e in manifest["cases"] if io.folder_status(out / e["run_folder"]) != "done"]
    ex = args.executor
    if ex == "local":
        return run_local(out, manifest, jobs=args.jobs, ranks=args.ranks or 1, dry_run=args.dry_run)
    slurm_opts = manifest.get("slurm") or _options(None, SLURM_OPTIONS, "slurm")
    pbs_opts = manifest.get("pbs") or _options(None, PBS_OPTIONS, "pbs")
    if ex == "none":
        if not todo:
            print(f"{out}: all {len(manifest['cases'])} cases done")
        # the job scripts of the scheduler tables the sweep file has, for a later submission
        if manifest.get("slurm") is not None and todo:
            for s in write_slurm_scripts(out, manifest, slurm_opts, todo, args.ranks):
                print(f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s))")
        if manifest.get("pbs") is not None and todo:
            for s in write_pbs_scripts(out, manifest, pbs_opts, todo, args.ranks):
                print(f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s))")
        print(f"manifest: {out / MANIFEST}")
        return EXIT_OK
    if ex == "pbs":
        if not todo:
            print(f"{out}: all {len(manifest['cases'])} cases done; nothing to write")
            return EXIT_OK
        for s in write_pbs_scripts(out, manifest, pbs_opts, todo, args.ranks):
            print(
                f"written {s['script']} ({s['n']} cases, {s['ranks']} rank(s)); "
                f"submit with: qsub {s['script']}"
            )
        return EXIT_OK
    # slurm
    if not todo:
        print(f"{out}: all {len(manifest['cases'])} cases done; nothing to submit")
        return EXIT_OK
    scripts = write_slurm_scripts(out, manifest, slurm_opts, todo, args.ranks)
    calls = submit_slurm(out, scripts, slurm_opts, dry_run=args.dry_run)
    for c in calls:
        what = (
            f"cache warm-up: its first case fills {cache_seed(out, slurm_opts)}"
            if c["role"] == "warm-up"
            else f"{c['n']} cases, {c['ranks']} rank(s)"
        )
        if args.dry_run:
            sb = shlex.join(["sbatch", *c["args"], c["script"]])
            after = (
                "; after the warm-up job (--dependency=afterany:JOB)"
                if c["role"] == "array" and calls[0]["role"] == "warm-up"
                else ""
            )
            print(f"written {c['script']} ({what}); submit with: {sb}{after}")
        else:
            print(f"submitted job {c['job_id']}: {c['script']} ({what})")
    return EXIT_OK


def cmd_sweep(args, comm) -> int:
    if comm is not None and comm.size > 1:
        raise InputError(
            f"lamina sweep under {comm.size} MPI ranks: start it without mpiexec; each case is "
            "its own MPI job (--ranks K, or a 'ranks' axis)"
        )

    def fn():
        if threading.current_thread() is threading.main_thread():
            old = signal.getsignal(signal.SIGTERM)

            def on_term(signum, frame):
                raise KeyboardInterrupt

            signal.signal(signal.SIGTERM, on_term)
            try:
                return _sweep_main(args)
            finally:
                signal.signal(signal.SIGTERM, old)
        return _sweep_main(args)

    return _on_rank0(comm, fn)


def cmd_status(args, comm) -> int:
    def fn():
        d = Path(args.sweep_dir)
        manifest = load_manifest(d)
        st = states(d, manifest)
        counts = count_states(st)
        if args.json:
            print(json.dumps({"sweep": manifest.get("sweep"), "cases": len(st), **counts}))
            return EXIT_OK
        print(f"sweep '{manifest.get('sweep')}' ({d}): {len(st)} cases")
        print(f"  done     {counts['done']:6d}")
        print(f"  failed   {counts['failed']:6d}")
        print(f"  running  {counts['running']:6d}")
        note = (
            f"   ({counts['interrupted']} interrupted: started, no live process)"
            if counts["interrupted"]
            else ""
        )
        print(f"  pending  {counts['pending']:6d}{note}")
        if args.list:
            for e, s in st:
                print(f"{e['id']:6d} {e['hash']} {s:12s} {_describe(e)}")
        return EXIT_OK

    return _on_rank0(comm, fn)


def cmd_collect(args, comm) -> int:
    def fn():
        c = collect(args.sweep_dir, args.out)
        summary = ", ".join(f"{v} {k}" for k, v in c.counts.items())
        print(f"{c.rows} cases ({summary})")
        print(f"table: {c.csv}" + (f", {c.parquet}" if c.parquet else ""))
        if c.parquet is None:
            print(
                "pyarrow is not installed: wrote CSV only (pip install 'lamina[sweep]' for Parquet)"
            )
        print(f"failures: {c.failures} ({c.counts.get('failed', 0)})")
        return EXIT_OK

    return _on_rank0(comm, fn)


def register_cli(sub) -> None:
    """Add ``sweep``, ``status`` and ``collect`` to the lamina command line."""
    p = sub.add_parser(
        "sweep",
        help="expand a sweep file into cases and run them",
        description="Expand SWEEP (a sweep file, or an expanded sweep folder to "
        "resume) into case files and a manifest, then run every case that is not "
        "done.",
    )
    p.add_argument("sweep", help="sweep file (TOML), or an existing sweep folder")
    p.add_argument("--out", help="sweep folder (default: runs/<sweep name>)")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: subprocesses here; slurm: job array via sbatch; pbs: write a "
        "PBS array script; none: expand (and write scripts) only",
    )
    p.add_argument("--jobs", type=int, default=1, help="local: cases at once (default 1)")
    p.add_argument(
        "--ranks",
        type=int,
        default=None,
        help="MPI ranks per case unless a 'ranks' axis sets it (local: mpiexec -n K; "
        "default: [slurm]/[pbs] ranks, else 1)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="expand and write scripts, but run or submit nothing"
    )
    p.set_defaults(func=cmd_sweep)

    s = sub.add_parser("status", help="counts of done / failed / running / pending cases")
    s.add_argument("sweep_dir", help="sweep folder")
    s.add_argument("--list", action="store_true", help="one line per case")
    s.add_argument("--json", action="store_true", help="counts as JSON")
    s.set_defaults(func=cmd_status)

    c = sub.add_parser("collect", help="one table (CSV + Parquet) of inputs and scalar outputs")
    c.add_argument("sweep_dir", help="sweep folder")
    c.add_argument("--out", help="table path without suffix (default: SWEEP_DIR/table)")
    c.set_defaults(func=cmd_collect)


# ----------------------------------------------------------------------------------------------
# the array task: python -m solver.sweep task SWEEP_DIR HASH -- LAUNCH...


def task_main(argv: list[str]) -> int:
    """One array task: skip if done or held, else hold the case and run ``LAUNCH case --out run``.

    SIGUSR1 (SLURM's warning before the time limit) and SIGTERM are forwarded to the case.
    """
    ap = argparse.ArgumentParser(prog="python -m solver.sweep task")
    ap.add_argument("sweep_dir")
    ap.add_argument("hash")
    ap.add_argument("launch", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    launch = args.launch[1:] if args.launch[:1] == ["--"] else args.launch
    logging.basicConfig(format="lamina-task: %(message)s", level=logging.INFO, stream=sys.stdout)
    if not launch:
        print("lamina-task: error: no launch command after --", file=sys.stderr)
        return 2
    sweep_dir = Path(args.sweep_dir)
    job = {
        k.lower(): os.environ[k]
        for k in (
            "SLURM_JOB_ID",
            "SLURM_ARRAY_JOB_ID",
            "SLURM_ARRAY_TASK_ID",
            "PBS_JOBID",
            "PBS_ARRAY_INDEX",
        )
        if k in os.environ
    }
    relay = SignalRelay()
    for sig in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, relay)
    received = relay.received
    try:
        a = run_one(sweep_dir, args.hash, launch, executor="array", extra_info=job, relay=relay)
    except InputError as e:
        print(f"lamina-task: error: {e}", file=sys.stderr)
        return 2
    what = f" after {', '.join(received)}" if received else ""
    if a.state == "failed" and received:
        run = sweep_dir / "runs" / args.hash
        reason = f"{a.reason}; received {', '.join(received)} (time limit near or job cancelled)"
        io.RunFolder(run).fail(reason, stage="")
    log.info(
        "case %s: %s%s%s", args.hash, a.state, f" ({a.seconds:.1f} s)" if a.seconds else "", what
    )
    if a.state == "interrupted" and a.reason == "checkpointed":
        return EXIT_CHECKPOINTED  # continued from its checkpoint when the sweep is rerun
    return EXIT_OK if a.state in ("done", "skipped-done", "skipped-running") else EXIT_FAILED


if __name__ == "__main__":
    if sys.argv[1:2] == ["task"]:
        sys.exit(task_main(sys.argv[2:]))
    print("usage: python -m solver.sweep task SWEEP_DIR HASH -- LAUNCH...", file=sys.stderr)
    sys.exit(2)
