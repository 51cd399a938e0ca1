"""Status of a sweep and collection of its results into one table."""

from __future__ import annotations

import csv
import io as _stdio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solver.case import config as cfgmod
from solver.output.runfolder import FAILED, atomic_write_bytes, read_results
from solver.errors import InputError
from solver.batch.sweep.claims import case_state
from solver.batch.sweep.expansion import load_manifest


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
        results = read_results(run) if state == "done" else None
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
                f = json.loads((run / FAILED).read_text())
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
    atomic_write_bytes(csv_path, _csv_bytes(rows, cols))
    pq_bytes = _parquet_bytes(rows, cols)
    pq_path = None
    if pq_bytes is not None:
        pq_path = stem.with_name(stem.name + ".parquet")
        atomic_write_bytes(pq_path, pq_bytes)
    fcols = ["id", "hash", "run_folder", "stage", "reason", "log"]
    f_path = stem.parent / "failures.csv"
    atomic_write_bytes(f_path, _csv_bytes(failures, fcols))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return Collected(csv_path, pq_path, f_path, len(rows), counts)
