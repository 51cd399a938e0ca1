"""Face fields: facet means of a function of the lateral coordinates over the contact face.

The field is sampled at ``samples²`` equal-area points of each face facet (``samples`` on a 2D
face), and the facet mean is stored in a DG0 function (the conductance of parallel strips adds, so
the mean conductance is the right facet value). Used for the interface field of the potential
problem (:class:`solver.fem.potential.CurrentProblem`), e.g. a contact map's film conductance or
contact indicator (:func:`solver.simulation.current.face_field_from_map`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solver.errors import InputError
from solver.fem.backend import import_dolfinx


def conserving_factor(on_grid: float, exact: float) -> float:
    """The factor that makes a grid sample of a face field carry the field's exact integral
    (or mean): ``exact / on_grid`` where both have the same sign, else 1 (nothing to scale).

    A grid map samples a face field at points; where the field's support spans few face nodes
    (contact spots, current through them) the samples miss its integral by per cents. Scaling
    by this factor keeps the map's shape and makes its aggregate exact (the contact-pressure
    map: :func:`solver.simulation.contactmap.force_consistent`; the current map:
    :meth:`solver.fem.potential.CurrentProblem.current_map`).
    """
    return float(exact) / on_grid if on_grid * exact > 0 else 1.0


def _facet_samples(mesh, facets: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-area sample points of each facet: ``(points (nf, k, 3), weights (nf, k))``.

    Intervals: ``samples`` midpoints; quadrilaterals: ``samples²`` points of the bilinear map;
    triangles: the centroids of the ``samples²`` congruent sub-triangles. Weights are equal
    (sub-areas of affine facets) — the axisymmetric 2πr is applied by the caller.
    """
    dolfinx = import_dolfinx()
    fdim = mesh.topology.dim - 1
    k = int(samples)
    geo = dolfinx.mesh.entities_to_geometry(mesh, fdim, facets)
    X = mesh.geometry.x[geo]  # (nf, nv, 3)
    nv = X.shape[1]
    s = (np.arange(k) + 0.5) / k
    if fdim == 1:  # interval
        lam = np.stack([1 - s, s], axis=1)  # (k, 2)
    elif nv == 4:  # quadrilateral, tensor-product vertex order
        S, T = (a.ravel() for a in np.meshgrid(s, s, indexing="ij"))
        lam = np.stack([(1 - S) * (1 - T), S * (1 - T), (1 - S) * T, S * T], axis=1)
    elif nv == 3:  # triangle
        pts = []
        for i in range(k):
            for j in range(k - i):
                pts.append(((i + 1 / 3) / k, (j + 1 / 3) / k))
                if i + j <= k - 2:
                    pts.append(((i + 2 / 3) / k, (j + 2 / 3) / k))
        b = np.array(pts)
        lam = np.stack([1 - b[:, 0] - b[:, 1], b[:, 0], b[:, 1]], axis=1)
    else:
        raise InputError(f"face facets with {nv} vertices: only intervals, triangles and "
                         "quadrilaterals (affine geometry) are supported")
    points = np.einsum("kv,fvd->fkd", lam, X)
    return points, np.ones(points.shape[:2])


def face_field(target, facets: np.ndarray, values: Callable, *, kind: str = "3d",
               samples: int = 4):
    """Fill a DG0 function with the facet means of ``values(x, y)`` over the given face facets.

    Args:
        target: a DG0 ``dolfinx.fem.Function`` (filled in place) or its function space.
        facets: local indices of the face facets (e.g. ``facet_tags.find(geometry.BOTTOM)``);
            each belongs to one cell, which gets the facet mean.
        values: a callable of the lateral coordinates (numpy arrays; ``y`` is None on a 2D
            face) returning the field at those points.
        kind: the block's kind; ``"axisymmetric"`` weights the mean by r.
        samples: sample points per facet direction (≥ 1).

    Returns:
        The DG0 function (owned and ghost values set).
    """
    dolfinx = import_dolfinx()
    f = target if isinstance(target, dolfinx.fem.Function) else dolfinx.fem.Function(target)
    mesh = f.function_space.mesh
    if int(samples) < 1:
        raise InputError(f"samples={samples}: must be >= 1")
    tdim = mesh.topology.dim
    fdim = tdim - 1
    mesh.topology.create_connectivity(fdim, tdim)
    f2c = mesh.topology.connectivity(fdim, tdim)
    facets = np.asarray(facets, dtype=np.int32)
    if facets.size:
        cells = f2c.array[f2c.offsets[facets]]  # an exterior facet has one cell
        pts, w = _facet_samples(mesh, facets, samples)
        if kind == "axisymmetric":
            w = w * np.maximum(pts[:, :, 0], 0.0)
            w = np.where(w.sum(1, keepdims=True) > 0, w, 1.0)
        flat = pts.reshape(-1, 3)
        gdim = mesh.geometry.dim
        if gdim == 2:
            v = np.asarray(values(flat[:, 0], None), dtype=float)
        else:
            v = np.asarray(values(flat[:, 0], flat[:, 1]), dtype=float)
        v = np.broadcast_to(v, (flat.shape[0],)).reshape(pts.shape[:2])
        mean = (v * w).sum(1) / w.sum(1)
        dofs = f.function_space.dofmap.list[cells, 0]
        f.x.array[dofs] = mean
    f.x.scatter_forward()
    return f
