"""ISO 25178 height and hybrid parameters of height maps: moments (Sq, Sa, Sz, Ssk, Sku), rms
slope Sdq and developed area ratio Sdr.

Height maps follow :mod:`solver.surface.synthesis` (``h`` of shape ``(nx, ny)`` in m,
``physical_sizes = (Lx, Ly)`` in m). The reductions are numba kernels that write one partial
result per row; the rows are summed in a fixed order, so the numbers do not depend on the thread
count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from solver.surface.validation import domain_sizes, height_array

# ------------------------------------------------------------------------------------------------
# numba kernels (per-row partial sums)
# ------------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _row_sums(h):
    """Σ_j h[i, j] for each row i."""
    nx, ny = h.shape
    out = np.empty(nx)
    for i in prange(nx):
        s = 0.0
        for j in range(ny):
            s += h[i, j]
        out[i] = s
    return out


@njit(cache=True, parallel=True)
def _moment_rows(h, mean):
    """Per row i: [Σ|d|, Σd², Σd³, Σd⁴, min h, max h] with d = h - mean."""
    nx, ny = h.shape
    out = np.empty((nx, 6))
    for i in prange(nx):
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        s4 = 0.0
        lo = h[i, 0]
        hi = h[i, 0]
        for j in range(ny):
            v = h[i, j]
            d = v - mean
            d2 = d * d
            s1 += abs(d)
            s2 += d2
            s3 += d2 * d
            s4 += d2 * d2
            lo = min(lo, v)
            hi = max(hi, v)
        out[i, 0] = s1
        out[i, 1] = s2
        out[i, 2] = s3
        out[i, 3] = s4
        out[i, 4] = lo
        out[i, 5] = hi
    return out


@njit(cache=True, parallel=True)
def _slope_rows(h, dx, dy, periodic):
    """Per row i: [Σ gx², Σ gy², Σ area excess] of forward differences and triangles.

    ``gx = (h[i+1, j] - h[i, j])/dx``, ``gy = (h[i, j+1] - h[i, j])/dy`` (indices wrap when
    periodic; otherwise only pairs inside the map). Each grid cell (i, j)-(i+1, j+1) is split into
    the triangles (i, j), (i+1, j), (i, j+1) and (i+1, j+1), (i, j+1), (i+1, j); the area excess of
    the cell relative to its projection, in units of dx dy, is
    ``½ Σ_triangles (sqrt(1 + |∇h|²) - 1)``.
    """
    nx, ny = h.shape
    out = np.zeros((nx, 3))
    ix_end = nx if periodic else nx - 1
    jy_end = ny if periodic else ny - 1
    for i in prange(nx):
        i1 = i + 1 if i + 1 < nx else 0
        sx = 0.0
        sy = 0.0
        sa = 0.0
        for j in range(ny):
            j1 = j + 1 if j + 1 < ny else 0
            h00 = h[i, j]
            if i < ix_end:
                gx = (h[i1, j] - h00) / dx
                sx += gx * gx
            if j < jy_end:
                gy = (h[i, j1] - h00) / dy
                sy += gy * gy
            if i < ix_end and j < jy_end:
                h10 = h[i1, j]
                h01 = h[i, j1]
                h11 = h[i1, j1]
                ax = (h10 - h00) / dx
                ay = (h01 - h00) / dy
                bx = (h11 - h01) / dx
                by = (h11 - h10) / dy
                ga = ax * ax + ay * ay
                gb = bx * bx + by * by
                # sqrt(1 + g) - 1 without cancellation
                sa += 0.5 * (ga / (math.sqrt(1.0 + ga) + 1.0) + gb / (math.sqrt(1.0 + gb) + 1.0))
        out[i, 0] = sx
        out[i, 1] = sy
        out[i, 2] = sa
    return out


# ------------------------------------------------------------------------------------------------
# Height parameters
# ------------------------------------------------------------------------------------------------


def height_moments(h) -> dict:
    r"""ISO 25178 height parameters about the mean plane.

    With :math:`d = h - \bar h` and the mean :math:`\langle\cdot\rangle` over all points:
    :math:`S_q = \langle d^2\rangle^{1/2}`, :math:`S_a = \langle|d|\rangle`,
    :math:`S_z = \max h - \min h`, :math:`S_{sk} = \langle d^3\rangle/S_q^3`,
    :math:`S_{ku} = \langle d^4\rangle/S_q^4` (3 for a Gaussian).

    Args:
        h: height map (m).

    Returns:
        ``{"Sq", "Sa", "Sz"}`` in m, ``{"Ssk", "Sku"}`` (1); Ssk and Sku are NaN for a flat map.
    """
    h = height_array(h)
    n = h.size
    mean = math.fsum(_row_sums(h)) / n
    rows = _moment_rows(h, mean)
    s1, s2, s3, s4 = (math.fsum(rows[:, k]) / n for k in range(4))
    sq = math.sqrt(s2)
    sz = float(rows[:, 5].max() - rows[:, 4].min())
    with np.errstate(all="ignore"):
        ssk = s3 / sq**3 if sq > 0 else math.nan
        sku = s4 / s2**2 if sq > 0 else math.nan
    return {"Sq": sq, "Sa": s1, "Sz": sz, "Ssk": float(ssk), "Sku": float(sku)}


def _slope_sums(h, physical_sizes, periodic):
    """Mean squares of the x and y forward-difference slopes (1) and Sdr (1) of the map."""
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    nx, ny = h.shape
    rows = _slope_rows(h, lx / nx, ly / ny, bool(periodic))
    nxp = nx if periodic else nx - 1
    nyp = ny if periodic else ny - 1
    mx = math.fsum(rows[:, 0]) / (nxp * ny)
    my = math.fsum(rows[:, 1]) / (nx * nyp)
    area = math.fsum(rows[:, 2]) / (nxp * nyp)
    return mx, my, area


def rms_slope(h, physical_sizes, periodic=True) -> float:
    r"""Root mean square gradient Sdq (ISO 25178), from forward differences.

    .. math::

        S_{dq} = \left(\langle g_x^2\rangle + \langle g_y^2\rangle\right)^{1/2},\quad
        g_x = \frac{h_{i+1,j} - h_{ij}}{\Delta_x},\ g_y = \frac{h_{i,j+1} - h_{ij}}{\Delta_y}

    This is exactly the rms slope of the triangulated surface through the grid points, and it is
    the slope that :func:`solver.surface.synthesis.self_affine` targets with ``rms_slope``. For a
    band-limited sinusoid of wavevector k it is smaller than the continuum value by
    :math:`\sin(k\Delta/2)/(k\Delta/2)`.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        periodic: differences wrap around the map edges; otherwise only pairs inside the map.

    Returns:
        Sdq (1).
    """
    mx, my, _ = _slope_sums(h, physical_sizes, periodic)
    return math.sqrt(mx + my)


def developed_area_ratio(h, physical_sizes, periodic=True) -> float:
    r"""Developed interfacial area ratio Sdr (ISO 25178), as a fraction (not per cent).

    The surface is triangulated (two triangles per grid cell); Sdr is the area of the triangulated
    surface over its projected area, minus one:
    :math:`S_{dr} = \langle \tfrac12\sum_{T}(\sqrt{1 + |\nabla h_T|^2} - 1)\rangle_{cells}`.
    For small slopes :math:`S_{dr} \approx S_{dq}^2/2`.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        periodic: cells wrap around the map edges; otherwise only the ``(nx-1)(ny-1)`` inner cells.

    Returns:
        Sdr (1).
    """
    return _slope_sums(h, physical_sizes, periodic)[2]
