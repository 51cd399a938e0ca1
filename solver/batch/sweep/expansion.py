"""Expansion of a sweep into cases, and the sweep folder's manifest."""

from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path

from solver.case import config as cfgmod
from solver.output.runfolder import atomic_write_bytes, dumps_json
from solver.checks import fmt_value
from solver.errors import InputError
from solver.batch.sweep._common import (FORMAT_VERSION, MANIFEST, RANKS_KEY, _hash, _now,
                                        _set_dotted, log)
from solver.batch.sweep.spec import Axis, CaseSpec, Sweep


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
                    f"{by_key[culprit].where} {culprit} = {fmt_value(p[culprit])} makes an "
                    f"invalid case (case {i}): {msg}"
                ) from None
            params = ", ".join(f"{k} = {fmt_value(v)}" for k, v in p.items())
            raise InputError(f"sweep case {i} ({params}): {msg}") from None
        text = cfgmod.to_toml(case)
        h = _hash(text)
        if h in seen:
            params = ", ".join(f"{k} = {fmt_value(v)}" for k, v in p.items())
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
            atomic_write_bytes(p, s.toml.encode())
    if sweep.text is not None:
        atomic_write_bytes(out / "sweep.toml", sweep.text.encode())
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
    atomic_write_bytes(out / MANIFEST, dumps_json(manifest).encode())
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
