"""Meshes of the pressed lithium body and the heights of the rigid collector under its face.

Conventions shared with the rest of lamina:

* The rigid collector surface is a height map ``h`` (array ``(nx, ny)`` in m, ``h[i, j]`` at
  ``x = i·Lx/nx``, ``y = j·Ly/ny``, periodic grid), in 2D plane strain a profile ``h(x)`` (1-D
  array, ``h[i]`` at ``x = i·Lx/nx``), or an analytic callable. Heights point up.
* The lithium body sits above the surface: its bottom (contact) face is at ``z0 = max(h)`` (2D:
  ``y0``) in the reference configuration, and it is pressed down. The gap is
  ``g = z_face + u_z − h(x) ≥ 0``.

The blocks are structured meshes created distributed (``create_rectangle``/``create_box`` on an
index box whose vertices sit at integer coordinates), then every vertex coordinate is mapped by a
1-D spacing: uniform (or uniform then growing, for the axisymmetric radius) along the face, and
graded vertically so that elements are smallest at the contact face and grow geometrically away
from it. Mapping the coordinates of a structured mesh axis by axis keeps quadrilaterals and
hexahedra rectangular.

Facet markers: :data:`BOTTOM` (contact face), :data:`TOP` (loaded face) and the lateral faces
:data:`LEFT`/:data:`RIGHT` (x = 0, x = Lx; the axis and the outer radius in axisymmetry) and
:data:`FRONT`/:data:`BACK` (y = 0, y = Ly, 3D only).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from solver.case.schema import MIN_ELEMENTS_PER_WAVELENGTH  # the case checks it too
from solver.checks import check_memory
from solver.errors import InputError
from solver.fem.backend import import_dolfinx

BOTTOM = 1
TOP = 2
LEFT = 3
RIGHT = 4
FRONT = 5
BACK = 6


class Block(NamedTuple):
    """A meshed lithium block.

    Attributes:
        mesh: the distributed DOLFINx mesh (2D: x lateral, y vertical; 3D: z vertical;
            axisymmetric: x = r, y = z).
        facet_tags: facet markers :data:`BOTTOM`, :data:`TOP`, :data:`LEFT`, :data:`RIGHT`
            (and :data:`FRONT`, :data:`BACK` in 3D).
        z_face: vertical coordinate of the contact face in the reference configuration (m).
        h_face: element height at the contact face (m).
        h_lateral: element size along the contact face (m; the smallest, where it varies).
        lengths: lateral extent(s) of the block (m): ``(Lx,)`` or ``(Lx, Ly)``.
        thickness: block thickness (m).
        kind: ``"plane_strain"``, ``"axisymmetric"`` or ``"3d"``.
    """

    mesh: object
    facet_tags: object
    z_face: float
    h_face: float
    h_lateral: float
    lengths: tuple[float, ...]
    thickness: float
    kind: str


# --------------------------------------------------------------------------------------------
# 1-D spacings
# --------------------------------------------------------------------------------------------


def graded_nodes(length: float, h_first: float, growth: float,
                 h_max: float = math.inf) -> np.ndarray:
    """Node positions on ``[0, length]``: first element ``h_first``, then geometric growth.

    The number of elements is the smallest for which the series ``h_first·r^k`` (capped at
    ``h_max``) with ``r = growth`` reaches ``length``; the ratio is then lowered to ``r ≤ growth``
    so that the series ends exactly at ``length`` with the first element still ``h_first``.

    Args:
        length: total length (m), > 0.
        h_first: size of the first element (m), > 0.
        growth: ratio of successive element sizes, ≥ 1 (1 gives a uniform spacing ≤ h_first).
        h_max: cap on the element size (m).

    Returns:
        Increasing node positions, first 0, last ``length``.
    """
    if not (length > 0 and h_first > 0 and h_max > 0):
        raise InputError(f"graded spacing: length={length}, h_first={h_first}, h_max={h_max}; "
                         "all must be > 0")
    if not growth >= 1.0:
        raise InputError(f"grading={growth}: must be >= 1 (ratio of successive element heights)")
    h_first = min(h_first, h_max)
    if h_first >= length:
        return np.array([0.0, length])

    def sizes(r: float, n: int) -> np.ndarray:
        return np.minimum(h_first * r ** np.arange(n), h_max)

    if growth == 1.0:
        n = math.ceil(length / h_first - 1e-9)
        return np.linspace(0.0, length, n + 1)
    n = 1
    while sizes(growth, n).sum() < length:
        n += 1
        if n > 100000:
            raise InputError(f"graded spacing: more than 1e5 elements for length={length}, "
                             f"h_first={h_first}, grading={growth}")
    if n * h_first >= length:
        return np.linspace(0.0, length, n + 1)
    lo, hi = 1.0, growth
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if sizes(mid, n).sum() < length:
            lo = mid
        else:
            hi = mid
    h = sizes(hi, n)
    h *= length / h.sum()  # the bisection leaves ~1e-16 relative; close the series exactly
    return np.concatenate([[0.0], np.cumsum(h)])


def graded_count(length: float, h_first: float, growth: float, h_max: float = math.inf) -> float:
    """The number of elements :func:`graded_nodes` makes (within one), without making them:
    a float, ``inf`` when it overflows."""
    h_first = min(h_first, h_max)
    if h_first >= length:
        return 1.0
    if growth <= 1.0:
        return math.ceil(length / h_first) if math.isfinite(length / h_first) else math.inf
    lr = math.log(growth)
    n_geo = math.log1p(length * (growth - 1) / h_first) / lr
    k_cap = math.log(h_max / h_first) / lr if math.isfinite(h_max) else math.inf
    if not math.isfinite(n_geo):
        return math.inf
    if n_geo <= k_cap:
        return float(math.ceil(n_geo))
    reached = h_first * math.expm1(math.ceil(k_cap) * lr) / (growth - 1)
    rest = (length - reached) / h_max
    return math.ceil(k_cap) + (math.ceil(rest) if math.isfinite(rest) and rest > 0 else 0)


#: Largest lithium thickness, in patch lengths.
MAX_THICKNESS_RATIO = 100.0
#: Largest number of element layers through the thickness (graded_nodes' own limit).
MAX_LAYERS = 100000
#: Bytes per degree of freedom a press solve needs at its peak (matrix, MUMPS factors, fields):
#: a rough lower figure, so that only meshes that cannot fit are refused; not a prediction.
BYTES_PER_DOF = {2: 2048, 3: 8192}


def check_mesh_size(lengths: tuple[float, ...], thickness: float, h_face: float, grading: float,
                    h_max: float, degree: int, simplex: bool) -> tuple[float, float]:
    """Estimate the cells and dofs of the block before it is built; refuse one that cannot fit.

    Returns:
        ``(cells, dofs)`` as floats.

    Raises:
        InputError: too many layers, or more memory than available (the numbers, the override).
    """
    if thickness > MAX_THICKNESS_RATIO * max(lengths):
        raise InputError(f"mesh.thickness = {thickness:g}: {thickness / max(lengths):.3g} x the "
                         f"patch length {max(lengths):.3g} m; at most {MAX_THICKNESS_RATIO:g} x "
                         "(thicker lithium only adds elements of extreme aspect ratio)")
    nz = graded_count(thickness, h_face, grading, h_max)
    if nz > MAX_LAYERS:
        raise InputError(f"mesh: about {nz:.3g} element layers through mesh.thickness = "
                         f"{thickness:g} m from a face element of {h_face:.3g} m; at most "
                         f"{MAX_LAYERS} (a larger face element size or grading)")
    n_lat = [max(1.0, float(math.ceil(L / h_face))) if math.isfinite(L / h_face) else math.inf
             for L in lengths]
    dim = len(lengths) + 1
    cells = math.prod(n_lat) * nz * ((2 if dim == 2 else 6) if simplex else 1)
    dofs = dim * math.prod(degree * n + 1 for n in n_lat) * (degree * nz + 1)
    check_memory(dofs * BYTES_PER_DOF[dim], f"mesh: about {cells:.3g} cells and {dofs:.3g} dofs "
                 f"({dim}D, face elements of {h_face:.3g} m)")
    return cells, dofs


def uniform_then_graded_nodes(length: float, fine_length: float, n_fine: int,
                              growth: float) -> np.ndarray:
    """Nodes that are uniform (``n_fine`` elements) on ``[0, fine_length]``, then grow.

    Used for the radius of the axisymmetric block: fine near the axis where contact happens.
    """
    if not (0 < fine_length <= length):
        raise InputError(f"fine_length={fine_length}: must lie in (0, length={length}]")
    if n_fine < 1:
        raise InputError(f"n_face={n_fine}: must be >= 1")
    fine = np.linspace(0.0, fine_length, n_fine + 1)
    if fine_length >= length * (1 - 1e-12):
        return fine
    h = fine_length / n_fine
    coarse = graded_nodes(length - fine_length, h * growth, growth)
    return np.concatenate([fine, fine_length + coarse[1:]])


def _map_axis(x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Map integer index coordinates (0 … n) to the node positions."""
    return np.interp(x, np.arange(len(nodes), dtype=float), nodes)


def _tag_facets(mesh, planes: list[tuple[int, int, float]]):
    """Mark boundary facets lying on the coordinate planes ``x[axis] == value`` (in index space)."""
    dolfinx = import_dolfinx()
    fdim = mesh.topology.dim - 1
    mesh.topology.create_connectivity(fdim, mesh.topology.dim)
    found = []
    for marker, axis, value in planes:
        facets = dolfinx.mesh.locate_entities_boundary(
            mesh, fdim, lambda x, a=axis, v=value: np.isclose(x[a], v, atol=1e-8))
        found.append((facets, np.full(len(facets), marker, dtype=np.int32)))
    facets = np.concatenate([f for f, _ in found])
    values = np.concatenate([v for _, v in found])
    # Edges shared by two planes are not facets in 2D/3D, so a facet lies on one plane only.
    order = np.argsort(facets, kind="stable")
    return dolfinx.mesh.meshtags(mesh, fdim, facets[order], values[order])


def _check_common(thickness: float, h_face: float, grading: float) -> None:
    if not (thickness > 0):
        raise InputError(f"thickness={thickness}: must be > 0 (m)")
    if not (0 < h_face <= thickness):
        raise InputError(f"h_face={h_face}: must lie in (0, thickness={thickness}] (m)")
    if not (grading >= 1):
        raise InputError(f"grading={grading}: must be >= 1")


def lithium_block_2d(comm, length: float, thickness: float, h_face: float, n_face: int,
                     grading: float = 1.1, *, z0: float = 0.0, h_max: float = math.inf,
                     cell: str = "quadrilateral") -> Block:
    """A plane-strain block ``[0, length] × [z0, z0 + thickness]``, contact face at ``y = z0``.

    Args:
        comm: MPI communicator (the mesh is created distributed).
        length: lateral extent (m).
        thickness: height of the block (m).
        h_face: element height at the contact face (m).
        n_face: number of (uniform) elements along the face.
        grading: ratio of successive element heights away from the face (≥ 1).
        z0: height of the contact face in the reference configuration; use ``max(h)``.
        h_max: cap on the element height (m), e.g. a few times the lateral size to bound the
            aspect ratio.
        cell: ``"quadrilateral"`` (Q1, default) or ``"triangle"``.
    """
    dolfinx = import_dolfinx()
    _check_common(thickness, h_face, grading)
    if not (length > 0) or int(n_face) < 1:
        raise InputError(f"length={length}, n_face={n_face}: must be > 0 and >= 1")
    n_face = int(n_face)
    xs = np.linspace(0.0, length, n_face + 1)
    zs = z0 + graded_nodes(thickness, h_face, grading, h_max)
    return _block_2d(comm, dolfinx, xs, zs, cell, "plane_strain", (float(length),))


def lithium_block_axisymmetric(comm, radius: float, thickness: float, h_face: float,
                               n_face: int, grading: float = 1.1, *, fine_radius: float,
                               z0: float = 0.0, h_max: float = math.inf,
                               cell: str = "quadrilateral") -> Block:
    """An axisymmetric block ``r ∈ [0, radius]``, ``z ∈ [z0, z0 + thickness]`` (x = r, y = z).

    Radially the face is uniform with ``n_face`` elements up to ``fine_radius`` (where contact
    happens), then the elements grow with ``grading``; vertically as in :func:`lithium_block_2d`.
    :data:`LEFT` is the axis r = 0, :data:`RIGHT` the outer radius.
    """
    dolfinx = import_dolfinx()
    _check_common(thickness, h_face, grading)
    if not (radius > 0):
        raise InputError(f"radius={radius}: must be > 0 (m)")
    rs = uniform_then_graded_nodes(radius, fine_radius, int(n_face), grading)
    zs = z0 + graded_nodes(thickness, h_face, grading, h_max)
    return _block_2d(comm, dolfinx, rs, zs, cell, "axisymmetric", (float(radius),))


def _block_2d(comm, dolfinx, xs, zs, cell, kind, lengths) -> Block:
    cells = {"quadrilateral": dolfinx.mesh.CellType.quadrilateral,
             "triangle": dolfinx.mesh.CellType.triangle}
    if cell not in cells:
        raise InputError(f"cell={cell!r}: allowed 'quadrilateral', 'triangle'")
    nx, nz = len(xs) - 1, len(zs) - 1
    mesh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [float(nx), float(nz)]], [nx, nz],
                                         cell_type=cells[cell])
    tags = _tag_facets(mesh, [(BOTTOM, 1, 0.0), (TOP, 1, float(nz)), (LEFT, 0, 0.0),
                              (RIGHT, 0, float(nx))])
    x = mesh.geometry.x
    x[:, 0] = _map_axis(x[:, 0], xs)
    x[:, 1] = _map_axis(x[:, 1], zs)
    return Block(mesh, tags, float(zs[0]), float(zs[1] - zs[0]), float(np.min(np.diff(xs))),
                 lengths, float(zs[-1] - zs[0]), kind)


def lithium_block_3d(comm, sizes: tuple[float, float], thickness: float, h_face: float,
                     n_face: tuple[int, int], grading: float = 1.15, *, z0: float = 0.0,
                     h_max: float = math.inf, cell: str = "hexahedron") -> Block:
    """A 3D block ``[0, Lx] × [0, Ly] × [z0, z0 + thickness]``, contact face at ``z = z0``.

    Args:
        comm: MPI communicator.
        sizes: ``(Lx, Ly)`` (m).
        thickness: height (m).
        h_face: element height at the contact face (m).
        n_face: ``(nx, ny)`` uniform elements along the face.
        grading: ratio of successive element heights away from the face.
        z0: height of the contact face; use ``max(h)``.
        h_max: cap on the element height (m).
        cell: ``"hexahedron"`` (Q1, default) or ``"tetrahedron"``.
    """
    dolfinx = import_dolfinx()
    _check_common(thickness, h_face, grading)
    Lx, Ly = (float(s) for s in sizes)
    nx, ny = (int(n) for n in n_face)
    if not (Lx > 0 and Ly > 0 and nx >= 1 and ny >= 1):
        raise InputError(f"sizes={sizes}, n_face={n_face}: sizes must be > 0, counts >= 1")
    cells = {"hexahedron": dolfinx.mesh.CellType.hexahedron,
             "tetrahedron": dolfinx.mesh.CellType.tetrahedron}
    if cell not in cells:
        raise InputError(f"cell={cell!r}: allowed 'hexahedron', 'tetrahedron'")
    xs = np.linspace(0.0, Lx, nx + 1)
    ys = np.linspace(0.0, Ly, ny + 1)
    zs = z0 + graded_nodes(thickness, h_face, grading, h_max)
    nz = len(zs) - 1
    mesh = dolfinx.mesh.create_box(comm, [np.zeros(3), np.array([nx, ny, nz], dtype=float)],
                                   [nx, ny, nz], cell_type=cells[cell])
    tags = _tag_facets(mesh, [(BOTTOM, 2, 0.0), (TOP, 2, float(nz)), (LEFT, 0, 0.0),
                              (RIGHT, 0, float(nx)), (FRONT, 1, 0.0), (BACK, 1, float(ny))])
    x = mesh.geometry.x
    x[:, 0] = _map_axis(x[:, 0], xs)
    x[:, 1] = _map_axis(x[:, 1], ys)
    x[:, 2] = _map_axis(x[:, 2], zs)
    return Block(mesh, tags, float(zs[0]), float(zs[1] - zs[0]),
                 float(min(Lx / nx, Ly / ny)), (Lx, Ly), float(zs[-1] - zs[0]), "3d")


def check_resolution(short_cutoff: float, h_face_lateral: float,
                     min_per_wavelength: float = MIN_ELEMENTS_PER_WAVELENGTH) -> float:
    """Raise :class:`InputError` when the face elements are too coarse for the surface.

    Rule: at least ``min_per_wavelength`` (default 4) face elements per shortest surface
    wavelength ``short_cutoff``. With N elements per wavelength, the piecewise-linear
    interpolant of a sinusoid keeps a fraction sinc(π/N) of its rms slope (0.90 at N = 4) and its
    peaks; below 4, asperity tops, which carry the contact at low load, are cut off.

    Returns:
        The number of elements per shortest wavelength.
    """
    if not (short_cutoff > 0 and h_face_lateral > 0):
        raise InputError(f"short_cutoff={short_cutoff} m, face element size={h_face_lateral} m: "
                         "both must be > 0")
    n = short_cutoff / h_face_lateral
    if n < min_per_wavelength:
        raise InputError(
            f"face element size {h_face_lateral:.4g} m gives {n:.3g} elements per short_cutoff "
            f"wavelength {short_cutoff:.4g} m; need >= {min_per_wavelength:g} (face element size "
            f"<= {short_cutoff / min_per_wavelength:.4g} m)")
    return n

