"""Surface generation: the numba kernels against NumPy references, the statistics of generated
maps (rms height and slope, Hurst exponent, anisotropy, skewness/kurtosis), determinism, analytic
shapes and bad parameters."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
import scipy.fft
from numpy.testing import assert_allclose, assert_array_equal

from solver.surface import selfaffine
from solver.surface import statistics as st
from solver.surface import synthesis as surface
from solver.surface import synthesis_kernels as kernels
from solver.errors import InputError

L = 1e-4  # m
SIZES = (L, L)

# ---------------------------------------------------------------------------------------------
# NumPy reference of the generator


def _mix64_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def reference_spectrum(nb, sizes, hurst, *, short_cutoff=None, long_cutoff=None, rolloff=1.0,
                       correlation_ratio=1.0, lay_angle=0.0, seed=0) -> np.ndarray:
    """The half spectrum that self_affine builds, written with NumPy from the documented recipe."""
    nx, ny = nb
    lx, ly = sizes
    nky = ny // 2 + 1
    qx = 2 * np.pi * np.fft.fftfreq(nx, lx / nx)[:, None]
    qy = 2 * np.pi * np.fft.rfftfreq(ny, ly / ny)[None, :]
    long_cutoff = max(lx, ly) if long_cutoff is None else long_cutoff
    q_r = 2 * np.pi / long_cutoff
    c, s = math.cos(lay_angle), math.sin(lay_angle)
    q_par = qx * c + qy * s
    q_perp = -qx * s + qy * c
    x = (correlation_ratio**2 * q_par**2 + q_perp**2) / q_r**2
    amp = np.where(x >= 1.0, np.maximum(x, 1.0) ** (-0.5 * (1.0 + hurst)), math.sqrt(rolloff))
    if short_cutoff is not None:
        amp = np.where(x > (long_cutoff / short_cutoff) ** 2, 0.0, amp)
    # counter-based random numbers: splitmix64 of key + (index + 1) * gamma
    key = kernels._seed_key(seed)
    idx = np.arange(nx * nky, dtype=np.uint64).reshape(nx, nky)
    with np.errstate(over="ignore"):
        h = _mix64_np(key + (idx + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15))
    u = ((h >> np.uint64(32)).astype(np.float64) + 0.5) * 2.0**-32
    phi = 2 * np.pi * (h & np.uint64(0xFFFFFFFF)).astype(np.float64) * 2.0**-32
    K = amp * np.sqrt(-np.log(u)) * np.exp(1j * phi)
    # Hermitian ky = 0 (and Nyquist) columns
    for col in [0, nky - 1] if ny % 2 == 0 else [0]:
        for i in range(nx // 2 + 1, nx):
            K[i, col] = np.conj(K[nx - i, col])
        K[0, col] = math.sqrt(2) * K[0, col].real
        if nx % 2 == 0:
            K[nx // 2, col] = math.sqrt(2) * K[nx // 2, col].real
    K[0, 0] = 0.0
    return K


def reference_self_affine(nb, sizes, hurst, rms_height, **kw) -> np.ndarray:
    K = reference_spectrum(nb, sizes, hurst, **kw)
    h = np.fft.irfftn(K, s=nb, axes=(0, 1))
    return h * rms_height / np.sqrt(np.mean(h**2))


def _sha(h: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(h).tobytes()).hexdigest()


CASES = [
    # nb, kwargs (cutoffs chosen off the grid's lattice so no mode sits exactly on a cut)
    ((64, 48), dict(hurst=0.8, long_cutoff=L / 3.7, seed=1)),
    ((63, 50), dict(hurst=0.3, short_cutoff=L / 9.3, long_cutoff=L / 2.6, rolloff=0.3, seed=2)),
    ((50, 63), dict(hurst=0.5, correlation_ratio=2.5, lay_angle=0.7, long_cutoff=L / 5.1,
                    seed=3)),
    ((64, 64), dict(hurst=1.0, short_cutoff=L / 13.3, correlation_ratio=3.0, lay_angle=0.0,
                    long_cutoff=L / 4.2, rolloff=0.0, seed=2**64 - 1)),
    ((31, 33), dict(hurst=0.7, correlation_ratio=1.7, lay_angle=-2.0, seed=5)),
]


@pytest.mark.parametrize(("nb", "kw"), CASES)
def test_spectrum_kernel_matches_numpy_reference(nb, kw):
    kw = dict(kw)
    seed = kw.pop("seed")
    hurst = kw.pop("hurst")
    setup = selfaffine._spectrum_setup(nb, SIZES, hurst, 1.0, None, kw.get("short_cutoff"),
                                    kw.get("long_cutoff"), kw.get("rolloff", 1.0),
                                    kw.get("correlation_ratio", 1.0), kw.get("lay_angle", 0.0))
    K, sum_sq, sum_slope = selfaffine._spectrum(setup, kernels._seed_key(seed))
    K_ref = reference_spectrum(nb, SIZES, hurst, seed=seed, **kw)
    assert_allclose(K, K_ref, rtol=1e-12, atol=0)
    # the sums over the full plane: each interior column counts twice
    w = np.full(K.shape[1], 2.0)
    w[0] = 1.0
    if nb[1] % 2 == 0:
        w[-1] = 1.0
    assert_allclose(sum_sq, np.sum(w * np.abs(K_ref) ** 2), rtol=1e-12)
    # expected slope sum: E|K|² = A², times the forward-difference transfer function
    nx, ny = nb
    dx, dy = L / nx, L / ny
    qx = 2 * np.pi * np.fft.fftfreq(nx, dx)[:, None]
    qy = 2 * np.pi * np.fft.rfftfreq(ny, dy)[None, :]
    d2 = (2 * np.sin(qx * dx / 2) / dx) ** 2 + (2 * np.sin(qy * dy / 2) / dy) ** 2
    amp2 = _reference_amp2(nb, hurst, **kw)
    amp2[0, 0] = 0.0
    assert_allclose(sum_slope, np.sum(w * amp2 * d2), rtol=1e-12)


def _reference_amp2(nb, hurst, short_cutoff=None, long_cutoff=None, rolloff=1.0,
                    correlation_ratio=1.0, lay_angle=0.0):
    """A² (variance of each mode) of the reference, with the Hermitian columns' canonical rows."""
    nx, ny = nb
    qx = 2 * np.pi * np.fft.fftfreq(nx, L / nx)[:, None]
    qy = 2 * np.pi * np.fft.rfftfreq(ny, L / ny)[None, :]
    long_cutoff = L if long_cutoff is None else long_cutoff
    q_r = 2 * np.pi / long_cutoff
    c, s = math.cos(lay_angle), math.sin(lay_angle)
    x = (correlation_ratio**2 * (qx * c + qy * s) ** 2 + (-qx * s + qy * c) ** 2) / q_r**2
    a2 = np.where(x >= 1.0, np.maximum(x, 1.0) ** (-(1.0 + hurst)), rolloff)
    if short_cutoff is not None:
        a2 = np.where(x > (long_cutoff / short_cutoff) ** 2, 0.0, a2)
    for col in [0, a2.shape[1] - 1] if ny % 2 == 0 else [0]:
        for i in range(nx // 2 + 1, nx):
            a2[i, col] = a2[nx - i, col]
    return a2


@pytest.mark.parametrize(("nb", "kw"), CASES[:3])
def test_self_affine_matches_numpy_reference(nb, kw):
    kw = dict(kw)
    hurst = kw.pop("hurst")
    h = surface.self_affine(nb, SIZES, hurst, rms_height=2e-7, **kw)
    h_ref = reference_self_affine(nb, SIZES, hurst, 2e-7, **kw)
    assert_allclose(h, h_ref, rtol=0, atol=1e-12 * np.abs(h_ref).max())


def test_special_function_kernels_match_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(1e-10, 1.0, 2000), np.exp(rng.uniform(-700, 700, 2000)),
                        [2.0**-32, 1 - 2.0**-33, 1.0, 1 + 2.0**-52, 0.5, 2.0, math.sqrt(2)]])
    assert_allclose(kernels._log_vec(x), np.log(x), rtol=1e-15, atol=1e-300)
    y = np.concatenate([rng.uniform(-700, 700, 2000), rng.uniform(-1, 1, 2000), [0.0, -50.0]])
    assert_allclose(kernels._exp_vec(y), np.exp(y), rtol=1e-15)
    f = np.concatenate([rng.uniform(0, 1, 4000), np.arange(16) / 16, [1 - 2.0**-32]])
    c, s = kernels._sincos_2pi_vec(f)
    assert_allclose(c, np.cos(2 * np.pi * f), rtol=0, atol=1e-15)
    assert_allclose(s, np.sin(2 * np.pi * f), rtol=0, atol=1e-15)


def test_scale_kernel_matches_numpy():
    h = np.random.default_rng(1).normal(size=(37, 29))
    ref = h * 1.2345
    kernels._scale_rows(h, 1.2345)
    assert_allclose(h, ref, rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# Statistics of generated maps


@pytest.mark.parametrize("nb", [(128, 96), (65, 64), (64, 33)])
def test_rms_height_is_exact(nb):
    for seed in range(3):
        h = surface.self_affine(nb, SIZES, 0.7, rms_height=3e-7, long_cutoff=L / 3,
                                short_cutoff=L / 10, seed=seed)
        assert h.shape == nb and h.dtype == np.float64
        assert abs(np.sqrt(np.mean(h**2)) / 3e-7 - 1) < 1e-10
        assert abs(h.mean()) < 1e-12 * 3e-7


@pytest.mark.parametrize(("hurst", "short", "ratio"), [(0.8, None, 1.0), (0.3, L / 16, 1.0),
                                                       (0.6, L / 10, 2.0)])
def test_rms_slope_on_average(hurst, short, ratio):
    target = 0.15
    slopes = [st.rms_slope(surface.self_affine((128, 128), SIZES, hurst, rms_slope=target,
                                               short_cutoff=short, long_cutoff=L / 4,
                                               correlation_ratio=ratio, lay_angle=0.3, seed=s),
                           SIZES) for s in range(20)]
    assert abs(np.mean(slopes) / target - 1) < 0.05


@pytest.mark.parametrize("hurst", [0.3, 0.5, 0.8])
def test_hurst_from_psd(hurst):
    h = surface.self_affine((512, 512), SIZES, hurst, rms_height=1e-6, long_cutoff=L / 8, seed=7)
    fit = st.psd_and_fit(h, SIZES, long_cutoff=L / 8).fit
    assert abs(fit["hurst"] - hurst) < 0.05


@pytest.mark.parametrize(("ratio", "angle"), [(3.0, 0.5), (2.0, -1.1)])
def test_anisotropy_correlation_lengths(ratio, angle):
    kw = dict(rms_height=1e-6, long_cutoff=L / 32)
    ratios, angles, minors, iso_minors = [], [], [], []
    for seed in range(3):
        h = surface.self_affine((512, 512), SIZES, 0.8, correlation_ratio=ratio, lay_angle=angle,
                                seed=seed, **kw)
        cl = st.correlation_lengths(h, SIZES)
        ratios.append(cl.major / cl.minor)
        angles.append((cl.angle - angle + math.pi / 2) % math.pi - math.pi / 2)  # lay mod π
        minors.append(cl.minor)
        cl_iso = st.correlation_lengths(surface.self_affine((512, 512), SIZES, 0.8, seed=seed,
                                                            **kw), SIZES)
        assert cl_iso.major / cl_iso.minor < 1.1
        iso_minors.append(cl_iso.minor)
    assert abs(np.mean(ratios) / ratio - 1) < 0.10
    assert abs(np.mean(angles)) < 0.1
    assert abs(np.mean(minors) / np.mean(iso_minors) - 1) < 0.1  # across the lay: as isotropic


@pytest.mark.parametrize(("skew", "kurt"), [(-0.8, 4.0), (0.5, 3.5), (0.0, 5.0), (0.0, 2.2),
                                            (1.2, 3.0)])
def test_non_gaussian_moments(skew, kurt):
    h = surface.self_affine((96, 80), SIZES, 0.8, rms_height=4e-7, long_cutoff=L / 4, seed=2)
    h = h + 1e-6
    g = surface.non_gaussian(h, skew, kurt)
    m = st.height_moments(g)
    assert abs(m["Ssk"] - skew) < 0.1 and abs(m["Sku"] - kurt) < 0.1
    assert abs(m["Ssk"] - skew) < 1e-5 and abs(m["Sku"] - kurt) < 1e-5  # in fact exact
    assert_allclose(g.mean(), h.mean(), rtol=1e-12)
    assert_allclose(m["Sq"], st.height_moments(h)["Sq"], rtol=1e-12)
    assert_array_equal(np.argsort(g, axis=None, kind="stable"),
                       np.argsort(h, axis=None, kind="stable"))


@pytest.mark.parametrize(("skew", "kurt"), [(0.0, 1.0), (1.0, 1.9), (-2.0, 4.5), (0.5, math.nan)])
def test_non_gaussian_rejects_impossible_pairs(skew, kurt):
    with pytest.raises(InputError, match="kurtosis"):
        surface.non_gaussian(np.random.default_rng(0).normal(size=(16, 16)), skew, kurt)


def test_non_gaussian_rejects_constant_map():
    with pytest.raises(InputError, match="constant"):
        surface.non_gaussian(np.ones((8, 8)), 0.0, 4.0)


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_same_map_different_seed_different_map():
    kw = dict(rms_height=1e-6, long_cutoff=L / 8)
    a = surface.self_affine((96, 64), SIZES, 0.8, seed=42, **kw)
    b = surface.self_affine((96, 64), SIZES, 0.8, seed=42, **kw)
    c = surface.self_affine((96, 64), SIZES, 0.8, seed=43, **kw)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)
    assert abs(np.corrcoef(a.ravel(), c.ravel())[0, 1]) < 0.2


GEN_ARGS = dict(nb_grid_pts=(160, 96), physical_sizes=SIZES, hurst=0.7, rms_height=1e-6,
                long_cutoff=L / 3, correlation_ratio=1.5, lay_angle=0.4, seed=9)


def test_independent_of_thread_count_in_process():
    n0 = numba.get_num_threads()
    hashes = set()
    try:
        for n in sorted({1, n0, max(2, n0)} & set(range(1, numba.config.NUMBA_NUM_THREADS + 1))):
            numba.set_num_threads(n)
            hashes.add(_sha(surface.self_affine(**GEN_ARGS)))
    finally:
        numba.set_num_threads(n0)
    assert len(hashes) == 1


def test_independent_of_numba_num_threads_subprocess():
    code = ("import hashlib, numpy as np; from solver.surface import synthesis as surface; "
            f"h = surface.self_affine(**{GEN_ARGS!r}); "
            "print(surface.fft_workers(), hashlib.sha256(h.tobytes()).hexdigest())")
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[0] == "1"
    assert out[1] == _sha(surface.self_affine(**GEN_ARGS))


def test_workspace_is_reused_and_released():
    a = surface.self_affine((64, 64), SIZES, 0.8, rms_height=1e-6, seed=1)
    assert selfaffine._WORKSPACE["K"].shape == (64, 33)
    b = surface.self_affine((64, 64), SIZES, 0.8, rms_height=1e-6, seed=1)
    assert a.tobytes() == b.tobytes()
    surface.release_workspace()
    assert not selfaffine._WORKSPACE


# ---------------------------------------------------------------------------------------------
# Analytic shapes


def test_flat():
    h = surface.flat((8, 6), SIZES)
    assert h.shape == (8, 6) and not h.any()


def test_sinusoids():
    nb, lam, a = (64, 32), L / 4, 2e-7
    h1 = surface.sinusoid_1d(nb, SIZES, a, lam)
    x = np.arange(64) * L / 64
    assert_allclose(h1, np.broadcast_to((a * np.cos(2 * np.pi * x / lam))[:, None], nb))
    h2 = surface.sinusoid_2d(nb, SIZES, a, lam)
    y = np.arange(32) * L / 32
    assert_allclose(h2, a * np.cos(2 * np.pi * x / lam)[:, None]
                    * np.cos(2 * np.pi * y / lam)[None, :])


def test_paraboloid():
    nb, r = (33, 41), 5e-4
    h = surface.paraboloid(nb, (2 * L, L), r)
    i, j = np.unravel_index(np.argmax(h), nb)
    assert (i * 2 * L / 33 - L) ** 2 + (j * L / 41 - L / 2) ** 2 < (L / 20) ** 2
    assert h.max() <= 0
    x = np.arange(33) * 2 * L / 33 - L
    y = np.arange(41) * L / 41 - L / 2
    assert_allclose(h, -(x[:, None] ** 2 + y[None, :] ** 2) / (2 * r))


# ---------------------------------------------------------------------------------------------
# Bad parameters


def _sa(**kw):
    args = dict(nb_grid_pts=(32, 32), physical_sizes=SIZES, hurst=0.8, rms_height=1e-6)
    args.update(kw)
    return surface.self_affine(**args)


@pytest.mark.parametrize(("kw", "match"), [
    (dict(nb_grid_pts=(0, 32)), "nb_grid_pts"),
    (dict(nb_grid_pts=(-4, 32)), "nb_grid_pts"),
    (dict(nb_grid_pts=(32.0, 32)), "nb_grid_pts"),
    (dict(nb_grid_pts=(True, 32)), "nb_grid_pts"),
    (dict(nb_grid_pts=(32,)), "nb_grid_pts"),
    (dict(nb_grid_pts="32x32"), "nb_grid_pts"),
    (dict(physical_sizes=(L, -L)), "physical_sizes"),
    (dict(physical_sizes=(L, 0.0)), "physical_sizes"),
    (dict(physical_sizes=(L, math.inf)), "physical_sizes"),
    (dict(hurst=1.3), r"hurst = 1.3: must be in \(0, 1\]"),
    (dict(hurst=0.0), "hurst"),
    (dict(hurst=math.nan), "hurst"),
    (dict(rms_slope=0.1), "exactly one"),
    (dict(rms_height=None), "exactly one"),
    (dict(rms_height=-1e-6), "rms_height"),
    (dict(rms_height=None, rms_slope=0.0), "rms_slope"),
    (dict(short_cutoff=L / 2, long_cutoff=L / 4), "short_cutoff"),
    (dict(short_cutoff=L / 100), "short_cutoff"),  # < 2 grid spacings
    (dict(short_cutoff=-L), "short_cutoff"),
    (dict(long_cutoff=0.0), "long_cutoff"),
    (dict(rolloff=-0.5), "rolloff"),
    (dict(correlation_ratio=0.5), "correlation_ratio"),
    (dict(lay_angle=math.inf), "lay_angle"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(seed=2**64), "seed"),
])
def test_bad_parameters(kw, match):
    with pytest.raises(InputError, match=match) as info:
        _sa(**kw)
    assert "\n" not in str(info.value)


def test_cutoffs_leaving_no_mode():
    with pytest.raises(InputError, match="no Fourier mode"):
        _sa(long_cutoff=3 * L, short_cutoff=1.5 * L, rolloff=0.0)


@pytest.mark.parametrize(("fn", "args", "match"), [
    (surface.sinusoid_1d, ((8, 8), SIZES, 1e-6, 0.0), "wavelength"),
    (surface.sinusoid_1d, ((8, 8), SIZES, -1e-6, L), "amplitude"),
    (surface.sinusoid_2d, ((8, 8), SIZES, 1e-6, -L), "wavelength"),
    (surface.paraboloid, ((8, 8), SIZES, 0.0), "radius"),
    (surface.flat, ((8, 0), SIZES), "nb_grid_pts"),
])
def test_bad_shape_parameters(fn, args, match):
    with pytest.raises(InputError, match=match):
        fn(*args)


def test_irfftn_of_the_half_spectrum_is_the_real_inverse():
    """The Hermitian fix-up makes irfftn equal the real part of the full complex inverse."""
    nb = (63, 64)
    setup = selfaffine._spectrum_setup(nb, SIZES, 0.6, 1.0, None, None, L / 3, 1.0, 1.0, 0.0)
    K, sum_sq, _ = selfaffine._spectrum(setup, kernels._seed_key(4))
    h = scipy.fft.irfftn(K, s=nb, axes=(0, 1))
    assert_allclose(selfaffine._irfft2(K.copy(), nb[1]), h, rtol=0, atol=1e-14 * np.abs(h).max())
    full = np.zeros(nb, dtype=complex)
    full[:, :K.shape[1]] = K
    for j in range(K.shape[1], nb[1]):  # conjugate half
        full[:, j] = np.conj(K[(-np.arange(nb[0])) % nb[0], nb[1] - j])
    g = np.fft.ifft2(full)
    assert np.abs(g.imag).max() < 1e-12 * np.abs(g.real).max()
    assert_allclose(h, g.real, atol=1e-12 * np.abs(h).max())
    assert_allclose(np.sum(h**2) * h.size, sum_sq, rtol=1e-12)
