"""A distributed lithium block gathered to rank 0 in a canonical order, as a ``meshio.Mesh``.

``lamina mesh`` (:mod:`solver.cli.mesh`) writes it with :func:`solver.output.meshfile.write_mesh`.

Canonical order, so that the file is the same (byte for byte) on any number of ranks: every rank
sends its owned cells (``mesh.geometry.dofmaps[0]``) and owned tagged facets
(``entities_to_geometry``) as lists of *input* node indices (``geometry.input_global_indices``,
the same for a node on every rank that holds it) with the coordinates of those nodes. Rank 0
merges the nodes by input index, sorts them lexicographically by (vertical, y, x) coordinate,
renumbers, and sorts the cells by their sorted node lists (facets by tag first). The vertex order
inside each cell is DOLFINx's (permuted to VTK/meshio order for quadrilaterals and hexahedra; 2D
cells turned counter-clockwise), which comes from the mesh generator and the coordinates, so it
is also partition-independent.

Tags (cell data ``tag``; for ``.msh`` ``gmsh:physical`` = ``gmsh:geometrical`` with physical names):

========  ===  ===========================================================
name      tag  entities
========  ===  ===========================================================
lithium   10   cells of the lithium body
contact    1   facets of the contact face (bottom, at ``z0 = max(h)``)
top        2   facets of the loaded face (``z0 + thickness``)
left       3   facets at x = 0
right      4   facets at x = Lx
front      5   facets at y = 0 (3D)
back       6   facets at y = Ly (3D)
========  ===  ===========================================================
"""


from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solver.errors import InputError
from solver.fem import mesh as geometry
from solver.fem.backend import import_dolfinx

#: Tag of the lithium body's cells (distinct from the facet markers of :mod:`solver.fem.mesh`).
LITHIUM = 10
TAG_NAMES = {geometry.BOTTOM: "contact", geometry.TOP: "top", geometry.LEFT: "left",
             geometry.RIGHT: "right", geometry.FRONT: "front", geometry.BACK: "back"}

# DOLFINx cell name -> (meshio cell type, meshio facet type, DOLFINx -> VTK vertex permutation
# of the cell, of the facet). Quadrilaterals are numbered tensor-product in DOLFINx
# ((0,0), (1,0), (0,1), (1,1)) and counter-clockwise in VTK, which meshio uses for every format.
_TYPES = {
    "triangle": ("triangle", "line", None, None),
    "quadrilateral": ("quad", "line", [0, 1, 3, 2], None),
    "tetrahedron": ("tetra", "triangle", None, None),
    "hexahedron": ("hexahedron", "quad", [0, 1, 3, 2, 4, 5, 7, 6], [0, 1, 3, 2]),
}


class GatheredMesh(NamedTuple):
    """A mesh on rank 0 in canonical order (SI units).

    Attributes:
        points: node coordinates, shape ``(n_nodes, gdim)`` (m).
        cell_type, cells: meshio cell type and node indices ``(n_cells, k)`` (meshio order).
        facet_type, facets: meshio facet type and node indices of the tagged boundary facets.
        facet_tags: marker of each facet (:data:`TAG_NAMES`).
        tdim: topological dimension.
    """

    points: np.ndarray
    cell_type: str
    cells: np.ndarray
    facet_type: str
    facets: np.ndarray
    facet_tags: np.ndarray
    tdim: int


class MeshSummary(NamedTuple):
    """The numbers ``lamina mesh`` prints, measured on the gathered mesh (lengths in m).

    With the node rows ``z_0 < z_1 < … < z_n`` through the thickness and row heights
    ``h_k = z_{k+1} − z_k``: ``face_element_size = h_0``, ``max_row_ratio = max_k h_{k+1}/h_k``
    (≤ ``grading`` by construction), ``thickness = z_n − z_0``, ``rows = n``;
    ``elements_per_short_cutoff = short_cutoff / lateral_element_size`` (≥ 4 is what
    :func:`solver.fem.mesh.check_resolution` accepts).
    """

    cells: int
    vertices: int
    facets: int
    face_element_size: float        # element height at the contact face
    lateral_element_size: float     # element size along the face
    elements_per_short_cutoff: float | None
    short_cutoff: float | None
    grading: float                  # the case's limit
    max_row_ratio: float            # largest ratio of successive element heights in the mesh
    rows: int                       # element rows through the thickness
    thickness: float

    def line(self, kind: str, path) -> str:
        per = ("n/a (no short cutoff)" if self.elements_per_short_cutoff is None else
               f"{self.elements_per_short_cutoff:.3g} per short cutoff {self.short_cutoff:.4g} m")
        return (f"{kind}: {self.cells} cells, {self.vertices} vertices, {self.facets} tagged "
                f"facets; face element {self.face_element_size:.4g} m (lateral "
                f"{self.lateral_element_size:.4g} m, {per}); grading {self.grading:g} "
                f"(largest row ratio {self.max_row_ratio:.4g}, {self.rows} rows); "
                f"thickness {self.thickness:.4g} m -> {path}")


# ---------------------------------------------------------------------------------------------
# gathering


def gather_mesh(block: geometry.Block, comm) -> GatheredMesh | None:
    """Gather a distributed block to rank 0 in canonical order (collective; None off rank 0).

    Args:
        block: the lithium block (:func:`solver.fem.mesh.lithium_block_2d`/``_3d``), linear
            geometry.
        comm: the mesh's communicator.
    """
    dolfinx = import_dolfinx()
    mesh = block.mesh
    tdim = mesh.topology.dim
    fdim = tdim - 1
    gdim = mesh.geometry.dim
    cell_name = mesh.topology.cell_type.name
    if cell_name not in _TYPES:
        raise InputError(f"mesh cell type {cell_name!r}: export supports {', '.join(_TYPES)}")
    mtype, ftype, perm, fperm = _TYPES[cell_name]

    n_owned = mesh.topology.index_map(tdim).size_local
    dofmap = np.asarray(mesh.geometry.dofmaps[0])[:n_owned]
    if dofmap.shape[1] != len(perm or range(tdim + 1)):
        raise InputError(f"mesh geometry: {dofmap.shape[1]} nodes per {cell_name}; export "
                         "supports linear (degree 1) geometry only")
    inp = np.asarray(mesh.geometry.input_global_indices, dtype=np.int64)
    x = np.asarray(mesh.geometry.x)[:, :gdim]

    n_facets_owned = mesh.topology.index_map(fdim).size_local
    ft = block.facet_tags
    # A boundary facet can also be a ghost on a neighbour: send owned facets only.
    keep = ft.indices < n_facets_owned
    facets = ft.indices[keep].astype(np.int32)
    fvals = ft.values[keep].astype(np.int64)
    fnodes = dolfinx.mesh.entities_to_geometry(mesh, fdim, facets).reshape(len(facets), -1)

    used = np.unique(np.concatenate([dofmap.ravel(), fnodes.ravel()]))
    parts = comm.gather((inp[used], x[used], inp[dofmap], inp[fnodes], fvals), root=0)
    if comm.rank != 0:
        return None

    keys = np.concatenate([p[0] for p in parts])
    coords = np.concatenate([p[1] for p in parts])
    cells = np.concatenate([p[2] for p in parts])
    fcells = np.concatenate([p[3] for p in parts])
    tags = np.concatenate([p[4] for p in parts])

    ukeys, first = np.unique(keys, return_index=True)
    ucoords = coords[first]
    # Canonical node order: vertical coordinate first (rows from the face up), then y, then x.
    order = np.lexsort(ucoords.T)
    canon_coords = ucoords[order]
    rank_of = np.empty(len(ukeys), dtype=np.int64)
    rank_of[order] = np.arange(len(ukeys))

    def renumber(c):
        return rank_of[np.searchsorted(ukeys, c)]

    cells = renumber(cells)
    fcells = renumber(fcells)
    if perm is not None:
        cells = cells[:, perm]
    if fperm is not None:
        fcells = fcells[:, fperm]
    if tdim == 2:
        # DOLFINx leaves 2D cells in either orientation; Gmsh and VTK expect counter-clockwise
        # (positive area in the x-y plane), so reverse the clockwise ones (first node kept).
        p = canon_coords
        a = p[cells[:, 1]] - p[cells[:, 0]]
        b = p[cells[:, -1]] - p[cells[:, 0]]
        cw = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] < 0
        cells[cw, 1:] = cells[cw, :0:-1]
    # Cells by their sorted node lists; facets by tag, then sorted node lists.
    cells = cells[np.lexsort(np.sort(cells, axis=1).T[::-1])]
    fkey = np.sort(fcells, axis=1).T[::-1]
    forder = np.lexsort(np.vstack([fkey, tags[None, :]]))
    return GatheredMesh(canon_coords, mtype, cells, ftype, fcells[forder], tags[forder], tdim)


def to_meshio(g: GatheredMesh, fmt: str):
    """The gathered mesh as a ``meshio.Mesh`` with its tags (see the module docstring)."""
    import meshio

    cell_tags = [np.full(len(g.cells), LITHIUM, dtype=np.int32), g.facet_tags.astype(np.int32)]
    if fmt == "msh":
        cell_data = {"gmsh:physical": cell_tags, "gmsh:geometrical": [t.copy() for t in cell_tags]}
    else:
        cell_data = {"tag": cell_tags}
    present = set(int(t) for t in np.unique(g.facet_tags))
    field_data = {"lithium": np.array([LITHIUM, g.tdim])}
    field_data.update({name: np.array([tag, g.tdim - 1]) for tag, name in TAG_NAMES.items()
                       if tag in present})
    points = g.points
    if fmt == "vtu" and points.shape[1] == 2:
        # VTU stores 3 coordinates; pad here rather than let meshio warn on every 2D export.
        points = np.hstack([points, np.zeros((len(points), 1))])
    return meshio.Mesh(points, [(g.cell_type, g.cells), (g.facet_type, g.facets)],
                       cell_data=cell_data, field_data=field_data)


def summarize(g: GatheredMesh, block: geometry.Block, grading: float,
              short_cutoff: float | None) -> MeshSummary:
    """Counts and grading of a gathered mesh, measured from its node rows.

    Args:
        g: the gathered mesh (rank 0).
        block: the block it came from (lateral element size).
        grading: the case's ``mesh.grading``.
        short_cutoff: the surface's shortest wavelength (m), None when it has none.
    """
    rows = np.unique(g.points[:, g.tdim - 1])
    dz = np.diff(rows)
    ratio = float(np.max(dz[1:] / dz[:-1])) if len(dz) > 1 else 1.0
    per = None if short_cutoff is None else short_cutoff / block.h_lateral
    return MeshSummary(len(g.cells), len(g.points), len(g.facets), float(dz[0]),
                       block.h_lateral, per, short_cutoff, grading, ratio, len(dz),
                       float(rows[-1] - rows[0]))
