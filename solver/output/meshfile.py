"""Mesh files: a ``meshio.Mesh`` written as Gmsh, VTU or XDMF, atomically and deterministically."""

from __future__ import annotations

import os
from pathlib import Path

from solver.errors import InputError


def write_mesh(path: str | Path, meshio_mesh, fmt: str | None = None) -> None:
    """Write a ``meshio.Mesh`` to ``path`` atomically (temporary file in the same folder, rename).

    Call on one rank only (the caller gathers the mesh). The files are deterministic, so the
    same mesh gives the same bytes: ``msh`` is Gmsh 2.2 ASCII (full ``.16e`` precision, physical
    names from ``field_data``; read by Gmsh and meshio), ``vtu`` binary with zlib compression,
    ``xdmf`` with the arrays inline (``data_format="XML"``: one file, no ``.h5`` beside it).

    Args:
        path: the file; its parent folders are created.
        meshio_mesh: the mesh.
        fmt: ``"msh"``, ``"vtu"`` or ``"xdmf"`` (default: from the suffix of ``path``).
    """
    # meshio is imported here only: it is needed by `lamina mesh` alone
    import meshio

    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    writers = {"msh": ("gmsh22", {"binary": False}), "vtu": ("vtu", {"binary": True}),
               "xdmf": ("xdmf", {"data_format": "XML"})}
    if fmt not in writers:
        raise InputError(f"mesh file '{path}': format {fmt!r}; allowed {', '.join(writers)}")
    if path.is_dir():
        raise InputError(f"mesh file '{path}': is a folder")
    file_format, options = writers[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        meshio.write(tmp, meshio_mesh, file_format=file_format, **options)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
