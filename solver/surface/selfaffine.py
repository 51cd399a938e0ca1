"""Self-affine height maps by Fourier filtering: parameter set-up, the spectrum workspace and
:func:`self_affine` (the numba fill of the spectrum is in :mod:`solver.surface.synthesis_kernels`).

Complex Gaussian amplitudes with variance ``C(q)`` are drawn on the half-plane of the real FFT,
then one inverse real FFT gives the map. It is a pure function of the parameters and the seed:
bit-identical for any number of numba threads and FFT workers, and on every MPI rank.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np
import scipy.fft

from solver.errors import InputError
from solver.surface.synthesis_kernels import _fill_rows, _hermitian_columns, _scale_rows, _seed_key
from solver.surface.validation import domain_sizes, grid_pts, positive_param, real_param


def fft_workers() -> int:
    """Threads for lamina's FFTs: numba's thread count (``NUMBA_NUM_THREADS``).

    ``scipy.fft`` splits a multi-dimensional transform into independent 1-D transforms over the
    threads, so the result does not depend on this number (tested); it only sets the speed.
    """
    return max(1, int(numba.get_num_threads()))


# ------------------------------------------------------------------------------------------------
# Self-affine surfaces
# ------------------------------------------------------------------------------------------------


def _spectrum_setup(nb_grid_pts, physical_sizes, hurst, rms_height, rms_slope, short_cutoff,
                    long_cutoff, rolloff, correlation_ratio, lay_angle):
    """Validate the parameters of :func:`self_affine`; return the arguments of the kernels."""
    nx, ny = grid_pts(nb_grid_pts)
    lx, ly = domain_sizes(physical_sizes)
    hurst = real_param("hurst", hurst)
    if not 0.0 < hurst <= 1.0:
        raise InputError(f"hurst = {hurst!r}: must be in (0, 1]")
    if (rms_height is None) == (rms_slope is None):
        raise InputError(
            f"rms_height = {rms_height!r}, rms_slope = {rms_slope!r}: give exactly one of them")
    rms_height = positive_param("rms_height", rms_height, allow_none=True)
    rms_slope = positive_param("rms_slope", rms_slope, allow_none=True)
    short_cutoff = positive_param("short_cutoff", short_cutoff, allow_none=True)
    long_cutoff = positive_param("long_cutoff", long_cutoff, allow_none=True)
    dmax = max(lx / nx, ly / ny)
    if short_cutoff is not None and short_cutoff < 2 * dmax * (1 - 1e-12):
        raise InputError(f"short_cutoff = {short_cutoff!r}: must be >= 2 grid spacings "
                         f"= {2 * dmax:g} m")
    if long_cutoff is None:
        long_cutoff = max(lx, ly)
    if short_cutoff is not None and short_cutoff >= long_cutoff:
        raise InputError(f"short_cutoff = {short_cutoff!r}: must be < long_cutoff "
                         f"= {long_cutoff:g} m")
    rolloff = real_param("rolloff", rolloff)
    if rolloff < 0:
        raise InputError(f"rolloff = {rolloff!r}: must be >= 0")
    gamma = real_param("correlation_ratio", correlation_ratio)
    if gamma < 1:
        raise InputError(f"correlation_ratio = {correlation_ratio!r}: must be >= 1")
    theta = real_param("lay_angle", lay_angle)

    q_r = 2 * math.pi / long_cutoff
    # q'² = γ² q∥² + q⊥², q∥ = q·(cos θ, sin θ): the long correlation length lies along θ
    c, s = math.cos(theta), math.sin(theta)
    g2 = gamma * gamma
    axx = (g2 * c * c + s * s) / q_r**2
    ayy = (g2 * s * s + c * c) / q_r**2
    axy = 2.0 * (g2 - 1.0) * c * s / q_r**2
    if abs(axy) <= 1e-14 * (axx + ayy):  # lay along x or y (θ = π/2 gives cos θ ≈ 6e-17)
        axy = 0.0
    x_cut = math.inf if short_cutoff is None else (long_cutoff / short_cutoff) ** 2
    p = -0.5 * (1.0 + hurst)
    qx = 2 * math.pi * np.fft.fftfreq(nx, lx / nx)
    qy = 2 * math.pi * np.fft.rfftfreq(ny, ly / ny)
    dx2 = (2.0 * np.sin(0.5 * qx * lx / nx) / (lx / nx)) ** 2
    dy2 = (2.0 * np.sin(0.5 * qy * ly / ny) / (ly / ny)) ** 2
    nky = ny // 2 + 1
    columns = np.array([0, nky - 1] if ny % 2 == 0 else [0], dtype=np.int64)
    wcol = np.full(nky, 2.0)
    wcol[columns] = 0.0
    return dict(nx=nx, ny=ny, qx=qx, qy=qy, axx=axx, axy=axy, ayy=ayy, p=p, x_cut=x_cut,
                amp_low=math.sqrt(rolloff), dx2=dx2, dy2=dy2, columns=columns, wcol=wcol,
                rms_height=rms_height, rms_slope=rms_slope)


def _irfft2(K: np.ndarray, ny: int) -> np.ndarray:
    """``scipy.fft.irfftn(K, s=(nx, ny))``, with the complex pass along x done in place in ``K``.

    Same 1-D transforms as ``irfftn`` (the result is identical), but ``irfftn`` first copies its
    input (it does not use ``overwrite_x``); here the half spectrum is scratch and is overwritten.
    """
    workers = fft_workers()
    Kx = scipy.fft.ifft(K, axis=0, overwrite_x=True, workers=workers)
    return scipy.fft.irfft(Kx, n=ny, axis=1, workers=workers)


# One spectrum buffer is kept between calls of self_affine (its contents are scratch once the
# inverse FFT has run): generating ensembles then does not page-fault a fresh 16·nx·(ny/2+1)-byte
# array every time, which costs as much as the fill itself on some machines.
_WORKSPACE: dict = {}
_WORKSPACE_LOCK = threading.Lock()


def _take_workspace(shape) -> np.ndarray:
    """The kept spectrum buffer if it has ``shape``, else a new one (complex128, scratch)."""
    with _WORKSPACE_LOCK:
        buf = _WORKSPACE.pop("K", None)
    if buf is None or buf.shape != tuple(shape):
        del buf
        buf = np.empty(shape, dtype=np.complex128)
    return buf


def _return_workspace(buf: np.ndarray) -> None:
    """Keep ``buf`` for the next :func:`self_affine` call."""
    with _WORKSPACE_LOCK:
        _WORKSPACE["K"] = buf


def release_workspace() -> None:
    """Free the spectrum buffer that :func:`self_affine` keeps for its next call
    (16·nx·(ny/2+1) bytes of the last map size)."""
    with _WORKSPACE_LOCK:
        _WORKSPACE.clear()


def _spectrum(setup: dict, key, out=None) -> tuple[np.ndarray, float, float]:
    """The Hermitian half-plane spectrum and its sums (Σ|K|², E Σ|K|²|D|²) over the full plane."""
    su = setup
    shape = (su["nx"], su["ny"] // 2 + 1)
    K = np.empty(shape, dtype=np.complex128) if out is None else out
    row_sq = np.empty(su["nx"])
    row_slope = np.empty(su["nx"])
    args = (su["qx"], su["qy"], su["axx"], su["axy"], su["ayy"], su["p"], su["x_cut"],
            su["amp_low"], su["dx2"], su["dy2"])
    _fill_rows(K, key, *args, su["wcol"], row_sq, row_slope)
    col_sq, col_slope = _hermitian_columns(K, *args, su["columns"])
    sum_sq = math.fsum(row_sq) + col_sq
    sum_slope = math.fsum(row_slope) + col_slope
    return K, sum_sq, sum_slope


def _rms_factor(setup: dict, sum_sq: float, sum_slope: float) -> float:
    """The factor that scales the unnormalised map to the target rms height (exactly) or the
    target expected rms slope, from the spectrum sums of :func:`_spectrum`."""
    n_tot = float(setup["nx"]) * float(setup["ny"])
    if setup["rms_height"] is not None:
        return setup["rms_height"] * n_tot / math.sqrt(sum_sq)  # <h²> = Σ|K|²/N²
    return setup["rms_slope"] * n_tot / math.sqrt(sum_slope)


def self_affine(nb_grid_pts, physical_sizes, hurst, *, rms_height=None, rms_slope=None,
                short_cutoff=None, long_cutoff=None, rolloff=1.0, correlation_ratio=1.0,
                lay_angle=0.0, seed=0) -> np.ndarray:
    r"""A random self-affine (optionally anisotropic) height map by Fourier filtering.

    The power spectral density (SurfaceTopography normalisation,
    :math:`h_{rms}^2 = (2\pi)^{-2}\int C(\mathbf q)\, d^2q`) is

    .. math::

        C(\mathbf q) = C_0 \begin{cases} \text{rolloff}\; q_r^{-2(1+H)} & q' < q_r \\
        q'^{-2(1+H)} & q_r \le q' \le q_s \\ 0 & q' > q_s \end{cases},
        \qquad q'^2 = \gamma^2 q_\parallel^2 + q_\perp^2,

    with :math:`q_s = 2\pi/\text{short\_cutoff}`, :math:`q_r = 2\pi/\text{long\_cutoff}`,
    :math:`q_\parallel = q_x\cos\theta + q_y\sin\theta` (along the lay) and
    :math:`q_\perp = -q_x\sin\theta + q_y\cos\theta`. With :math:`\gamma = 1` it is isotropic. With
    :math:`\gamma > 1` the map is the isotropic one stretched by :math:`\gamma` along the lay: the
    correlation length along the lay is :math:`\gamma` times the one across, and the cutoff
    wavelengths hold across the lay (they are :math:`\gamma` times longer along it). The mean
    (q = 0 mode) is zero.

    Each Fourier mode of the real-FFT half-plane gets a complex Gaussian amplitude of variance
    :math:`C(\mathbf q)` from a counter-based generator (splitmix64 of the seed and the mode's
    index, Box-Muller); the ky = 0 and Nyquist columns are made Hermitian so that the map is exactly
    ``scipy.fft.irfftn`` of the half spectrum (computed as its two passes, the complex one in place;
    :func:`fft_workers` threads), i.e. the real inverse of the full spectrum. The result
    depends only on the arguments: the same seed gives a bit-identical map for any number of
    threads or MPI ranks. Modes beyond the short cutoff are not drawn (but keep their place in the
    random stream), so a short cutoff makes the generation cheaper. One spectrum buffer
    (16·nx·(ny/2+1) bytes) is kept for the next call; :func:`release_workspace` frees it.

    Normalisation (:math:`C_0`):

    * ``rms_height``: every realisation is scaled exactly (Parseval on the spectrum), so
      :math:`\sqrt{\langle h^2\rangle}` equals the target to rounding.
    * ``rms_slope``: :math:`C_0` is set from the expected PSD so that the *expected* mean square
      slope equals the target. The slope is the forward-difference slope of the grid, as measured by
      :func:`solver.surface.statistics.rms_slope` (the slope of the triangulated surface):
      :math:`\langle|\nabla h|^2\rangle = N^{-2}\sum_{\mathbf q} E|K_\mathbf q|^2 \,
      [(2\sin(q_x\Delta_x/2)/\Delta_x)^2 + (2\sin(q_y\Delta_y/2)/\Delta_y)^2]` summed over the
      grid's modes. It holds for any cutoffs (no continuum approximation); a single realisation
      fluctuates around the target by a few per cent for small maps.

    Args:
        nb_grid_pts: grid points ``(nx, ny)``, integers >= 2.
        physical_sizes: ``(Lx, Ly)`` in m.
        hurst: Hurst exponent H in (0, 1].
        rms_height: target rms height (m). Exactly one of ``rms_height``, ``rms_slope``.
        rms_slope: target rms slope (1).
        short_cutoff: shortest wavelength (m), >= 2 grid spacings; None: no cut (grid Nyquist).
        long_cutoff: roll-off wavelength (m), > short_cutoff; None: the larger domain size.
        rolloff: PSD below q_r relative to C(q_r), >= 0 (1: flat plateau, 0: nothing).
        correlation_ratio: :math:`\gamma \ge 1`, correlation length along / across the lay.
        lay_angle: :math:`\theta`, direction of the lay (long correlation) from x (rad).
        seed: integer in [0, 2**64).

    Returns:
        Heights ``h`` (m), float64 array of shape ``(nx, ny)``, mean zero.

    Raises:
        InputError: a parameter out of range, or cutoffs that leave no Fourier mode on the grid.
    """
    setup = _spectrum_setup(nb_grid_pts, physical_sizes, hurst, rms_height, rms_slope,
                            short_cutoff, long_cutoff, rolloff, correlation_ratio, lay_angle)
    key = _seed_key(seed)
    nx, ny = setup["nx"], setup["ny"]
    K = _take_workspace((nx, ny // 2 + 1))
    K, sum_sq, sum_slope = _spectrum(setup, key, out=K)
    if not sum_sq > 0.0:
        raise InputError(f"short_cutoff = {short_cutoff!r}, long_cutoff = {long_cutoff!r}, "
                         f"rolloff = {rolloff!r}: leave no Fourier mode on the {nx}x{ny} grid")
    h = _irfft2(K, ny)
    _return_workspace(K)
    del K
    _scale_rows(h, _rms_factor(setup, sum_sq, sum_slope))
    return h
