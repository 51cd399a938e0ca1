"""Contact spots: 4-connected components of a contact map and their sizes.

Pure NumPy/numba on the surface grid (arrays ``(nx, ny)``; see :mod:`solver.simulation.contactmap`
for the grid convention): no mesh, no DOLFINx.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def label_spots(mask):
    """4-connected components of a boolean map (non-periodic).

    Args:
        mask: (nx, ny) bool.

    Returns:
        (labels, n): labels (nx, ny) int64 with 0 outside contact and 1..n inside, numbered in
        C order of each spot's first cell; n the number of spots.
    """
    nx, ny = mask.shape
    labels = np.zeros((nx, ny), dtype=np.int64)
    stack = np.empty((nx * ny, 2), dtype=np.int64)
    n = 0
    for i0 in range(nx):
        for j0 in range(ny):
            if not mask[i0, j0] or labels[i0, j0] != 0:
                continue
            n += 1
            labels[i0, j0] = n
            top = 0
            stack[0, 0] = i0
            stack[0, 1] = j0
            top = 1
            while top > 0:
                top -= 1
                i = stack[top, 0]
                j = stack[top, 1]
                for d in range(4):
                    ii = i + (1 if d == 0 else (-1 if d == 1 else 0))
                    jj = j + (1 if d == 2 else (-1 if d == 3 else 0))
                    if 0 <= ii < nx and 0 <= jj < ny and mask[ii, jj] and labels[ii, jj] == 0:
                        labels[ii, jj] = n
                        stack[top, 0] = ii
                        stack[top, 1] = jj
                        top += 1
    return labels, n


@numba.njit(cache=True)
def spot_sizes(labels, n):
    """Number of grid cells of each spot 1..n (array of length n)."""
    sizes = np.zeros(n, dtype=np.int64)
    nx, ny = labels.shape
    for i in range(nx):
        for j in range(ny):
            if labels[i, j] > 0:
                sizes[labels[i, j] - 1] += 1
    return sizes


def spot_statistics(in_contact: np.ndarray, cell_area: float) -> dict:
    """Number of contact spots and their size distribution (areas in m²)."""
    labels, n = label_spots(np.ascontiguousarray(in_contact, dtype=np.bool_))
    areas = spot_sizes(labels, n) * cell_area
    if n == 0:
        return {"n_spots": 0, "spot_area_mean": 0.0, "spot_area_max": 0.0,
                "spot_area_percentiles": {}, "spot_areas": []}
    pct = np.percentile(areas, [10, 50, 90])
    return {"n_spots": int(n), "spot_area_mean": float(areas.mean()),
            "spot_area_max": float(areas.max()),
            "spot_area_percentiles": {"p10": float(pct[0]), "p50": float(pct[1]),
                                      "p90": float(pct[2])},
            "spot_areas": np.sort(areas)[::-1].tolist()}
