"""The benchmark report: summary and checks tables as Markdown and HTML, and the report folder.

``DIR/report.md``, ``report.html`` and ``summary.json`` (every row of the tables, with versions
and git commit), the figures of :mod:`solver.batch.bench.figures`, then ``DONE`` (last).
"""

from __future__ import annotations

import html
import logging
import math
import shlex
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from solver.output.provenance import git_commit, versions
from solver.output.runfolder import RunFolder
from solver.batch.mpi import find_mpiexec
from solver.batch.bench.figures import as_float, figures
from solver.batch.bench.runner import BenchResult

log = logging.getLogger("lamina")


def headline(reason: str, width: int = 200) -> str:
    """One line of a failure reason: its first line and, after it, the last line of the
    output tail (usually the exception)."""
    lines = [ln.strip() for ln in reason.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0].rstrip(":")
    if len(lines) > 1:
        text += ": " + lines[-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(v) -> str:
    """A number for a table: 6 significant digits, — for None or NaN."""
    x = as_float(v)
    if v is None or not math.isfinite(x):
        return "—" if v is None or math.isnan(x) else str(x)
    return f"{x:.6g}"


def _tolerance(c: dict) -> str:
    """The tolerance column: ``rel 0.01``, ``≤ 5``, ``info``, ..."""
    kind, tol = c.get("kind", "rel"), as_float(c.get("tolerance"))
    if kind == "info":
        return "info"
    sym = {"rel": "rel ", "abs": "abs ", "max": "≤ ", "min": "≥ "}.get(kind, f"{kind} ")
    return sym + _fmt(tol)


def _verdict(c: dict) -> str:
    """The result column of a check: PASS, FAIL or info."""
    if c.get("kind") == "info":
        return "info"
    return "PASS" if c.get("passed") is True else "FAIL"


def table_rows(results: list[BenchResult]) -> list[dict]:
    """The summary table: one row per check, one FAIL row for a benchmark without checks."""
    rows = []
    for r in results:
        common = {"benchmark": r.name, "wall_s": r.wall_s, "ranks": r.ranks}
        if not r.checks or r.status in ("error", "timeout", "missing"):
            rows.append({**common, "check": f"({r.status}) {headline(r.reason)}",
                         "computed": None,
                         "reference": None, "error": None, "tolerance": "—", "unit": "",
                         "result": "FAIL"})
        for c in r.checks:
            rows.append({**common, "check": str(c.get("name", "")), "computed": c.get("computed"),
                         "reference": c.get("reference"), "error": c.get("error"),
                         "tolerance": _tolerance(c), "unit": c.get("unit", ""),
                         "result": _verdict(c)})
    return rows


_COLUMNS = ("benchmark", "check", "computed", "reference", "error", "tolerance", "unit", "result",
            "wall time (s)", "ranks")


def _cells(row: dict) -> list[str]:
    """The cells of a row of :func:`table_rows`, as text in the order of ``_COLUMNS``."""
    unit = row["unit"] if row["unit"] not in ("1", None) else ""
    return [row["benchmark"], row["check"], _fmt(row["computed"]), _fmt(row["reference"]),
            _fmt(row["error"]), row["tolerance"], unit, row["result"],
            f"{row['wall_s']:.1f}" if math.isfinite(row["wall_s"]) else "—", str(row["ranks"])]


def _md_cell(s: str) -> str:
    """Text for a Markdown table cell: one line, ``|`` escaped."""
    return " ".join(str(s).split()).replace("|", "\\|")


def status_word(r: BenchResult) -> str:
    """PASS, FAIL, or FAIL with the status (error, timeout, missing)."""
    return {"passed": "PASS", "failed": "FAIL"}.get(r.status, f"FAIL ({r.status})")


def _summary(r: BenchResult) -> tuple[str, str]:
    """A benchmark's row of the summary table: (graded checks passed "k/n", wall time (s))."""
    graded = [c for c in r.checks if c.get("kind") != "info"]
    ok = sum(c.get("passed") is True for c in graded)
    wall = f"{r.wall_s:.1f}" if math.isfinite(r.wall_s) else "—"
    return f"{ok}/{len(graded)}", wall


def render_markdown(results: list[BenchResult], meta: dict) -> str:
    """report.md: summary, checks table, then per benchmark its citation, files and figures."""
    n_pass = sum(r.passed for r in results)
    out = ["# lamina benchmark report", "",
           f"size **{meta['size']}** · ranks {meta['ranks']} · {len(results)} benchmark(s): "
           f"**{n_pass} passed, {len(results) - n_pass} failed** · {meta['finished']} · "
           f"{meta['host']} · git {meta['git_commit'] or 'unknown'}", "",
           "## Benchmarks", "",
           "| benchmark | group | result | checks passed | wall time (s) | ranks |",
           "|---|---|---|---|---|---|"]
    for r in results:
        passed, wall = _summary(r)
        out.append(f"| [{r.name}](#{r.name}) | {r.group} | {status_word(r)} | "
                   f"{passed} | {wall} | {r.ranks} |")
    out += ["", "## Checks", "", "| " + " | ".join(_COLUMNS) + " |",
            "|" + "---|" * len(_COLUMNS)]
    for row in table_rows(results):
        out.append("| " + " | ".join(_md_cell(c) for c in _cells(row)) + " |")
    for r in results:
        out += ["", f"## {r.name}", "", f"**{status_word(r)}** · group {r.group} · "
                f"{r.ranks} rank(s) · {_fmt(r.wall_s)} s" + (
                    f" (run: {_fmt(r.bench_wall_s)} s)" if math.isfinite(r.bench_wall_s) else "")]
        out += ["", f"Citation: {r.citation or '(none: the benchmark wrote no JSON)'}", ""]
        if r.command:
            out += [f"Command: `{shlex.join(r.command)}`", ""]
        links = [f"[{x}]({x})" for x in (r.log, r.json) if x]
        if links:
            out += ["Files: " + ", ".join(links), ""]
        if r.reason:
            out += ["Reason:", "", "```", r.reason, "```", ""]
        for f in r.figures:
            if f.get("file"):
                out += [f"![{_md_cell(f['caption'])}]({f['file']})", ""]
            else:
                out += [f"(figure '{_md_cell(f['caption'])}' failed: {_md_cell(f['error'])})", ""]
    out += ["", "## Versions", "", "| package | version |", "|---|---|"]
    out += [f"| {k} | {_md_cell(v)} |" for k, v in meta["versions"].items()]
    out += ["", f"git commit: `{meta['git_commit'] or 'unknown'}`  ",
            f"command: `{shlex.join(meta['command'])}`  ",
            f"python: `{meta['python']}`  ", f"mpiexec: `{shlex.join(meta['mpiexec']) or '—'}`  ",
            f"started {meta['started']}, finished {meta['finished']}", ""]
    return "\n".join(out)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, monospace; }
tr.PASS td.res { background: #dff5df; } tr.FAIL td.res { background: #f9d6d6; }
tr.info td.res { color: #777; }
pre { background: #f5f5f5; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.PASS { color: #1a7f1a; } .FAIL { color: #b00020; }
"""


def render_html(results: list[BenchResult], meta: dict) -> str:
    """report.html: the content of :func:`render_markdown` as a standalone page."""
    e = html.escape
    n_pass = sum(r.passed for r in results)
    word_class = lambda r: "PASS" if r.passed else "FAIL"  # noqa: E731
    h = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
         "<title>lamina benchmark report</title>", f"<style>{_CSS}</style></head><body>",
         "<h1>lamina benchmark report</h1>",
         f"<p>size <b>{e(meta['size'])}</b> · ranks {meta['ranks']} · {len(results)} "
         f"benchmark(s): <b class=\"{'PASS' if n_pass == len(results) else 'FAIL'}\">"
         f"{n_pass} passed, {len(results) - n_pass} failed</b> · {e(meta['finished'])} · "
         f"{e(meta['host'])} · git {e(meta['git_commit'] or 'unknown')}</p>",
         "<h2>Benchmarks</h2><table><tr><th>benchmark</th><th>group</th><th>result</th>"
         "<th>checks passed</th><th>wall time (s)</th><th>ranks</th></tr>"]
    for r in results:
        passed, wall = _summary(r)
        h.append(f"<tr class=\"{word_class(r)}\"><td><a href=\"#{e(r.name)}\">{e(r.name)}</a>"
                 f"</td><td>{e(r.group)}</td><td class=\"res\">{e(status_word(r))}</td>"
                 f"<td class=\"num\">{passed}</td><td class=\"num\">{wall}</td>"
                 f"<td class=\"num\">{r.ranks}</td></tr>")
    h.append("</table><h2>Checks</h2><table><tr>"
             + "".join(f"<th>{e(c)}</th>" for c in _COLUMNS) + "</tr>")
    numeric = {2, 3, 4, 8, 9}
    for row in table_rows(results):
        cells = _cells(row)
        tds = []
        for i, c in enumerate(cells):
            cls = "num" if i in numeric else ("res" if i == 7 else "")
            tds.append(f"<td class=\"{cls}\">{e(c)}</td>" if cls else f"<td>{e(c)}</td>")
        h.append(f"<tr class=\"{e(row['result'])}\">{''.join(tds)}</tr>")
    h.append("</table>")
    for r in results:
        h.append(f"<h2 id=\"{e(r.name)}\">{e(r.name)} <span class=\"{word_class(r)}\">"
                 f"{e(status_word(r))}</span></h2>")
        run = f" (run: {_fmt(r.bench_wall_s)} s)" if math.isfinite(r.bench_wall_s) else ""
        h.append(f"<p>group {e(r.group)} · {r.ranks} rank(s) · {e(_fmt(r.wall_s))} s{e(run)}</p>")
        h.append(f"<p>Citation: {e(r.citation or '(none: the benchmark wrote no JSON)')}</p>")
        if r.command:
            h.append(f"<p>Command: <code>{e(shlex.join(r.command))}</code></p>")
        links = [f"<a href=\"{e(x)}\">{e(x)}</a>" for x in (r.log, r.json) if x]
        if links:
            h.append("<p>Files: " + ", ".join(links) + "</p>")
        if r.reason:
            h.append(f"<p>Reason:</p><pre>{e(r.reason)}</pre>")
        for f in r.figures:
            if f.get("file"):
                h.append(f"<figure><img src=\"{e(f['file'])}\" alt=\"{e(f['caption'])}\">"
                         f"<figcaption>{e(f['caption'])}</figcaption></figure>")
            else:
                h.append(f"<p>(figure '{e(f['caption'])}' failed: {e(f['error'])})</p>")
    h.append("<h2>Versions</h2><table><tr><th>package</th><th>version</th></tr>")
    h += [f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in meta["versions"].items()]
    h.append("</table>")
    h.append(f"<p>git commit: <code>{e(meta['git_commit'] or 'unknown')}</code><br>"
             f"command: <code>{e(shlex.join(meta['command']))}</code><br>"
             f"python: <code>{e(meta['python'])}</code><br>"
             f"mpiexec: <code>{e(shlex.join(meta['mpiexec']) or '—')}</code><br>"
             f"started {e(meta['started'])}, finished {e(meta['finished'])}</p>")
    h.append("</body></html>\n")
    return "\n".join(h)


def report_meta(size: str, ranks: int, started: float, argv: list[str] | None = None,
                mpiexec: list[str] | None = None) -> dict:
    """Provenance of a report: versions, git commit, host, times, command."""
    return {
        "size": size, "ranks": ranks,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "versions": versions(), "git_commit": git_commit(),
        "command": list(argv if argv is not None else ["lamina", "bench"]),
        "python": sys.executable,
        "mpiexec": list(find_mpiexec() if mpiexec is None else mpiexec),
    }


def write_report(out: str | Path, results: list[BenchResult], meta: dict) -> None:
    """Figures, report.md, report.html, summary.json, then DONE (last) into ``out``.

    A figure that cannot be drawn is named in the report with its error; it does not stop the
    report.
    """
    folder = RunFolder(out)
    folder.path.mkdir(parents=True, exist_ok=True)
    for r in results:
        r.figures = []
        for name, build, caption in figures(r):
            try:
                folder.save_figure(name, build())
                r.figures.append({"file": name, "caption": caption})
            except Exception as exc:  # a bad curve must not cost the whole report
                log.warning("%s: figure %s failed: %s", r.name, name, exc)
                folder.remove(name)
                r.figures.append({"file": "", "caption": caption,
                                  "error": f"{type(exc).__name__}: {exc}"})
    folder.write_text("report.md", render_markdown(results, meta))
    folder.write_text("report.html", render_html(results, meta))
    folder.write_json("summary.json", {
        **meta, "passed": all(r.passed for r in results),
        "n_passed": sum(r.passed for r in results), "n_benchmarks": len(results),
        "rows": table_rows(results),
        "benchmarks": [r.as_dict() for r in results]})
    folder.mark_done()
