"""``lamina mesh``: the case's lithium mesh as ``lamina run`` builds it, written by meshio.

The mesh is the one ``lamina run`` presses (:func:`solver.simulation.press.case_mesh`), gathered to
rank 0 in a canonical order (:mod:`solver.fem.mesh_export`, which lists the tags) so that the file is
the same on any number of ranks, and written by :func:`solver.output.meshfile.write_mesh`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from solver.case import config
from solver.errors import EXIT_OK, InputError
from solver.fem.backend import comm_world
from solver.fem.mesh_export import gather_mesh, summarize, to_meshio
from solver.output.meshfile import write_mesh
from solver.simulation.press import case_mesh

log = logging.getLogger("lamina")

#: File formats by name and by suffix (meshio writes them; see :func:`solver.output.meshfile.write_mesh`).
FORMATS = ("msh", "vtu", "xdmf")
_SUFFIX = {".msh": "msh", ".vtu": "vtu", ".xdmf": "xdmf"}


def resolve_format(out: str, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else from the suffix of ``out``."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"--format {fmt!r}: allowed {', '.join(FORMATS)}")
        return fmt
    suffix = Path(out).suffix.lower()
    if suffix not in _SUFFIX:
        raise InputError(f"--out '{out}': suffix {suffix or '(none)'!r} gives no format; use "
                         f"{', '.join(_SUFFIX)} or --format {{{','.join(FORMATS)}}}")
    return _SUFFIX[suffix]


def check_out(out: str) -> Path:
    """Refuse an output path that is a folder (before any work is done)."""
    path = Path(out)
    if path.is_dir():
        raise InputError(f"--out '{out}': is a folder; give a file name (e.g. {path / 'mesh.vtu'})")
    return path


def cmd_mesh(args, comm) -> int:
    """``lamina mesh CASE --out PATH [--format msh|vtu|xdmf]``."""
    comm = comm_world() if comm is None else comm
    path = check_out(args.out)
    fmt = resolve_format(args.out, args.format)
    case = config.load(args.case)
    setup, short = case_mesh(case, comm)
    g = gather_mesh(setup.block, comm)
    error = None
    if comm.rank == 0:
        summary = summarize(g, setup.block, case.mesh.grading, short)
        try:
            write_mesh(path, to_meshio(g, fmt), fmt)
        except InputError as e:
            error = str(e)
        except OSError as e:
            error = f"--out '{path}': cannot write ({e.strerror or e})"
    # Every rank ends with the same exit status.
    error = comm.bcast(error, root=0)
    if error is not None:
        raise InputError(error)
    if comm.rank == 0:
        kind = f"{setup.block.kind} {g.cell_type}"
        print(summary.line(kind, path))
        sys.stdout.flush()
    return EXIT_OK


def register_cli(sub) -> None:
    """Add ``lamina mesh`` to the ``lamina`` subparsers (called by :mod:`solver.cli.main`)."""
    p = sub.add_parser(
        "mesh", help="write the case's lithium mesh (msh, vtu, xdmf) as `lamina run` builds it",
        description="Build the lithium mesh of CASE exactly as `lamina run` does (in parallel "
        "under mpiexec), gather it in a canonical order (the same file on any number of ranks) "
        "and write it with meshio, with the facet tags (contact, top, lateral faces). Prints "
        "cells, vertices, face element size, elements per short cutoff, grading, thickness.")
    p.add_argument("case", help="case file (TOML)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="mesh file; format from the suffix (.msh, .vtu, .xdmf) unless --format")
    p.add_argument("--format", metavar="{msh,vtu,xdmf}",
                   help="file format (default: from the suffix of --out)")
    p.set_defaults(func=cmd_mesh)
