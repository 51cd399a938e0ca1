"""Surface statistics: numba kernels against NumPy references, analytic shapes (sinusoids, planes),
PSD normalisation and Hurst fit, correlation lengths, flatness, the summary dict, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.integrate
from numpy.testing import assert_allclose

from solver.errors import InputError
from solver.surface import moments, spectral
from solver.surface import statistics as st
from solver.surface import synthesis as surface

L = 1e-4
SIZES = (L, L)


@pytest.fixture(scope="module")
def rough():
    """A rough periodic map (m) and its sizes."""
    sizes = (L, 0.8 * L)
    return surface.self_affine((96, 80), sizes, 0.7, rms_height=3e-7, long_cutoff=L / 4,
                               seed=5) + 2e-7, sizes


# ---------------------------------------------------------------------------------------------
# numba kernels against NumPy


def test_moment_kernels_match_numpy(rough):
    h, _ = rough
    assert_allclose(moments._row_sums(h), h.sum(axis=1), rtol=1e-12)
    mean = h.mean()
    d = h - mean
    ref = np.stack([np.abs(d).sum(1), (d**2).sum(1), (d**3).sum(1), (d**4).sum(1),
                    h.min(1), h.max(1)], axis=1)
    scale = np.abs(ref).max(0)
    assert_allclose(moments._moment_rows(h, mean) / scale, ref / scale, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("periodic", [True, False])
def test_slope_kernel_matches_numpy(rough, periodic):
    h, (lx, ly) = rough
    nx, ny = h.shape
    dx, dy = lx / nx, ly / ny
    if periodic:
        hp = np.pad(h, ((0, 1), (0, 1)), mode="wrap")
    else:
        hp = h
    gx = np.diff(hp, axis=0)[:, :ny if periodic else None] / dx
    gy = np.diff(hp, axis=1)[:nx if periodic else None, :] / dy
    ax = (hp[1:, :-1] - hp[:-1, :-1]) / dx
    ay = (hp[:-1, 1:] - hp[:-1, :-1]) / dy
    bx = (hp[1:, 1:] - hp[:-1, 1:]) / dx
    by = (hp[1:, 1:] - hp[1:, :-1]) / dy
    area = 0.5 * (np.sqrt(1 + ax**2 + ay**2) - 1 + np.sqrt(1 + bx**2 + by**2) - 1)
    ref_rows = np.zeros((nx, 3))
    ref_rows[: gx.shape[0], 0] = (gx**2).sum(1)
    ref_rows[:, 1] = (gy**2).sum(1)
    ref_rows[: area.shape[0], 2] = area.sum(1)
    assert_allclose(moments._slope_rows(h, dx, dy, periodic), ref_rows, rtol=1e-12)


def test_binning_kernel_matches_numpy(rough):
    h, (lx, ly) = rough
    nx, ny = h.shape
    qx, qy, wcol = spectral._half_plane(nx, ny, lx, ly)
    C = spectral._psd_half_plane(h, lx, ly, True)
    edges = np.geomspace(2 * math.pi / lx, 1.01 * math.hypot(abs(qx).max(), qy.max()), 13)
    q = np.hypot(qx[:, None], qy[None, :])
    w = np.broadcast_to(wcol, C.shape)
    idx = np.searchsorted(edges**2, q**2, side="right") - 1
    ref = np.zeros((len(edges) - 1, 3))
    for b in range(len(edges) - 1):
        m = idx == b
        ref[b] = [w[m].sum(), (w * q)[m].sum(), (w * C)[m].sum()]
    got = spectral._sum_rows(spectral._bin_rows(C, qx, qy, wcol, edges**2))
    scale = np.abs(ref).max(0)
    assert_allclose(got / scale, ref / scale, rtol=1e-12, atol=1e-12)
    # and radial_psd returns the bin means of the non-empty bins
    q_b, C_b = st.radial_psd(h, rough[1], nb_bins=12)
    assert np.all(np.diff(q_b) > 0) and np.all(C_b > 0)


# ---------------------------------------------------------------------------------------------
# Analytic shapes


def test_sinusoid_1d_statistics():
    a, lam, n = 3e-7, L / 4, 256
    h = surface.sinusoid_1d((n, 32), SIZES, a, lam)
    m = st.height_moments(h)
    assert_allclose(m["Sq"], a / math.sqrt(2), rtol=1e-12)
    assert_allclose(m["Sa"], 2 * a / math.pi, rtol=1e-3)
    assert_allclose(m["Sz"], 2 * a, rtol=1e-12)
    assert abs(m["Ssk"]) < 1e-12
    assert_allclose(m["Sku"], 1.5, rtol=1e-12)
    k, dx = 2 * math.pi / lam, L / n
    sdq = st.rms_slope(h, SIZES)
    assert_allclose(sdq, 2 * math.pi * a / (lam * math.sqrt(2)), rtol=1e-3)
    # exactly, the forward difference of a sampled sinusoid
    assert_allclose(sdq, (2 * a / dx) * math.sin(k * dx / 2) / math.sqrt(2), rtol=1e-12)
    # Sdr: the arc length of the profile
    s = 2 * math.pi * a / lam
    exact = scipy.integrate.quad(lambda t: math.sqrt(1 + (s * math.sin(t)) ** 2) - 1,
                                 0, 2 * math.pi)[0] / (2 * math.pi)
    assert_allclose(st.developed_area_ratio(h, SIZES), exact, rtol=2e-3)


def test_sinusoid_2d_statistics():
    a, lam = 2e-7, L / 2
    h = surface.sinusoid_2d((128, 128), SIZES, a, lam)
    m = st.height_moments(h)
    assert_allclose(m["Sq"], a / 2, rtol=1e-12)
    assert_allclose(m["Sku"], 2.25, rtol=1e-12)
    assert abs(m["Ssk"]) < 1e-12
    assert_allclose(st.rms_slope(h, SIZES), 2 * math.pi * a / (lam * math.sqrt(2)), rtol=1e-3)


def test_plane_slope_and_area_non_periodic():
    nx, ny = 40, 30
    x = np.arange(nx)[:, None] * (L / nx)
    y = np.arange(ny)[None, :] * (L / ny)
    h = 0.3 * x - 0.4 * y
    assert_allclose(st.rms_slope(h, SIZES, periodic=False), 0.5, rtol=1e-12)
    assert_allclose(st.developed_area_ratio(h, SIZES, periodic=False), math.sqrt(1.25) - 1,
                    rtol=1e-12)
    # a plane has no roughness once levelled: its windowed PSD is (numerically) zero
    q, C = st.radial_psd(h, SIZES, periodic=False)
    assert C.max() < 1e-20 * (0.5 * L) ** 2 * L**2


def test_flat_map_statistics():
    h = surface.flat((16, 16), SIZES)
    m = st.height_moments(h)
    assert m["Sq"] == 0 and m["Sz"] == 0 and math.isnan(m["Ssk"]) and math.isnan(m["Sku"])
    s = st.surface_statistics(h, SIZES)
    assert s["Sdq"] == 0 and s["flatness"] == 0 and math.isnan(s["hurst"])


# ---------------------------------------------------------------------------------------------
# PSD and Hurst fit


def test_psd_parseval(rough):
    h, (lx, ly) = rough
    C = spectral._psd_half_plane(h, lx, ly, True)
    w = spectral._half_plane(*h.shape, lx, ly)[2]
    assert_allclose(np.sum(w * C) / (lx * ly), np.mean((h - h.mean()) ** 2), rtol=1e-12)


def test_psd_of_a_sinusoid():
    a, lam = 1e-7, L / 8
    h = surface.sinusoid_1d((64, 64), SIZES, a, lam)
    C = spectral._psd_half_plane(h, L, L, True)
    # h̃(±k) = A a/2, C = |h̃|²/A = A a²/4, at qx = ±2π/λ (both rows lie in the half-plane)
    assert_allclose(C[8, 0], L * L * a**2 / 4, rtol=1e-12)
    assert_allclose(C[-8, 0], L * L * a**2 / 4, rtol=1e-12)
    assert C.sum() == pytest.approx(2 * L * L * a**2 / 4, rel=1e-12)


def test_fit_hurst_exact_power_law():
    q = np.geomspace(1e4, 1e7, 40)
    C = 3.2e-30 * q ** (-2 * 1.65)
    hurst, c = st.fit_hurst(q, C, 2e4, 5e6)
    assert_allclose(hurst, 0.65, rtol=1e-10)
    assert_allclose(c, 3.2e-30, rtol=1e-8)
    with pytest.raises(InputError, match="fewer than 2"):
        st.fit_hurst(q, C, 2e7, 3e7)


def test_psd_and_fit_ranges():
    h = surface.self_affine((256, 256), SIZES, 0.6, rms_height=1e-6, short_cutoff=L / 64,
                            long_cutoff=L / 4, seed=1)
    q, C, fit = st.psd_and_fit(h, SIZES, short_cutoff=L / 64, long_cutoff=L / 4)
    q_lo, q_hi = 2 * math.pi / (L / 4), 2 * math.pi / (L / 64)
    # a generated surface is a power law exactly between its cutoffs: the band is theirs
    assert_allclose([fit["q_min"], fit["q_max"]], [q_lo, q_hi])
    assert_allclose(fit["decades"], math.log10(16))
    assert abs(fit["hurst"] - 0.6) < 3 * fit["hurst_stderr"] and fit["hurst_stderr"] < 0.05
    assert set(fit) == {"hurst", "prefactor", "q_min", "q_max", "hurst_stderr", "n_points",
                        "decades"}
    # the modes of the band: |q| in [q_lo, q_hi] on the 256² grid (a conjugate pair once)
    qx = 2 * math.pi * np.fft.fftfreq(256, L / 256)
    qq = np.hypot(qx[:, None], qx[None, :])
    assert fit["n_points"] == np.count_nonzero((qq >= q_lo * (1 - 1e-9))
                                               & (qq <= q_hi * (1 + 1e-9))) // 2
    # the prefactor puts the line on the spectrum: C(q) of the bins in the band
    band = (q > 1.2 * q_lo) & (q < q_hi / 1.2)
    ratio = C[band] / (fit["prefactor"] * q[band] ** (-2 * (1 + fit["hurst"])))
    assert abs(np.exp(np.mean(np.log(ratio)))) == pytest.approx(1, abs=0.15)
    # the windowed (non-periodic) PSD gives the same exponent over a wide enough range; its
    # ends that no cutoff fixes move in (window leakage, aliasing)
    h = surface.self_affine((512, 512), SIZES, 0.6, rms_height=1e-6, long_cutoff=L / 4, seed=1)
    fits = [st.psd_and_fit(h, SIZES, long_cutoff=L / 4, periodic=p).fit for p in (True, False)]
    assert fits[0]["q_max"] == pytest.approx(math.pi * 512 / L)
    assert fits[1]["q_min"] == pytest.approx(2 * math.pi / (L / 4))
    assert fits[1]["q_max"] == pytest.approx(math.pi * 512 / L / 2)
    assert abs(fits[0]["hurst"] - 0.6) < 0.05 and abs(fits[1]["hurst"] - 0.6) < 0.05


# ---------------------------------------------------------------------------------------------
# Correlation lengths and flatness


def test_correlation_lengths_scale_with_physical_sizes():
    h = surface.self_affine((256, 256), SIZES, 0.8, rms_height=1e-6, long_cutoff=L / 16, seed=4)
    iso = st.correlation_lengths(h, SIZES)
    assert iso.major / iso.minor < 1.1
    stretched = st.correlation_lengths(h, (3 * L, L))  # same samples, 3x longer along x
    assert abs(stretched.major / stretched.minor / 3 - 1) < 0.1
    assert abs(stretched.angle) < 0.05
    assert abs(stretched.minor / iso.minor - 1) < 0.1


def test_flatness_of_a_long_sinusoid():
    a = 1e-7
    h = surface.sinusoid_1d((128, 16), SIZES, a, L) + 0.01 * surface.sinusoid_1d(
        (128, 16), SIZES, a, L / 32)
    lam_c = L / 4
    # Gaussian transmission exp(-ln2 (λc/λ)²): 1/2 at the cutoff; the short ripple is removed
    expected = 2 * a * math.exp(-math.log(2) * (lam_c / L) ** 2)
    assert_allclose(st.flatness(h, SIZES, lam_c), expected, rtol=1e-6)
    w = st.waviness(surface.sinusoid_1d((128, 16), SIZES, a, lam_c), SIZES, lam_c)
    assert_allclose(np.ptp(w), a, rtol=1e-12)  # 50 % at the cutoff wavelength
    # non-periodic filter (reflecting edges): close to the periodic one in the interior
    assert abs(st.flatness(h, SIZES, lam_c, periodic=False) / expected - 1) < 0.1


def test_surface_statistics_dict(rough):
    h, sizes = rough
    s = st.surface_statistics(h, sizes, long_cutoff=L / 4)
    keys = {"Sq", "Sa", "Sz", "Ssk", "Sku", "Sdq", "Sdr", "hurst", "hurst_stderr",
            "psd_fit_q_min", "psd_fit_q_max", "psd_fit_decades", "psd_prefactor",
            "correlation_length_major", "correlation_length_minor", "correlation_ratio",
            "lay_angle", "Ssk_scatter", "independent_areas", "flatness", "flatness_cutoff"}
    assert set(s) == keys | {"psd_fit_points", "hurst_reliable", "notes"}
    assert all(type(s[k]) is float for k in keys)
    assert type(s["psd_fit_points"]) is int and type(s["hurst_reliable"]) is bool
    assert all(type(n) is str for n in s["notes"])
    json.dumps(s)
    assert_allclose(s["Sq"], 3e-7, rtol=1e-10)
    assert s["Sdq"] == pytest.approx(st.rms_slope(h, sizes), rel=1e-14)
    assert s["flatness_cutoff"] == L / 4
    assert s["correlation_ratio"] == pytest.approx(
        s["correlation_length_major"] / s["correlation_length_minor"])
    assert 0 < s["Sdr"] < s["Sdq"] ** 2 / 2 * 1.01


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(("call", "match"), [
    (lambda: st.height_moments(np.zeros(5)), "2-D"),
    (lambda: st.height_moments(np.full((4, 4), np.nan)), "NaN"),
    (lambda: st.height_moments(np.zeros((1, 4))), "2-D"),
    (lambda: st.rms_slope(np.zeros((4, 4)), (L, -L)), "physical_sizes"),
    (lambda: st.rms_slope(np.zeros((4, 4)), (L,)), "physical_sizes"),
    (lambda: st.radial_psd(np.ones((8, 8)), SIZES, nb_bins=0), "nb_bins"),
    (lambda: st.correlation_lengths(np.random.rand(8, 8), SIZES, threshold=1.5), "threshold"),
    (lambda: st.correlation_lengths(np.ones((8, 8)), SIZES), "constant"),
    (lambda: st.flatness(np.ones((8, 8)), SIZES, 0.0), "cutoff"),
    (lambda: st.surface_statistics(np.ones((8, 8)), SIZES, flatness_cutoff=-1.0),
     "flatness_cutoff"),
    (lambda: st.default_fit_range(SIZES, (8, 8), short_cutoff=L, long_cutoff=L / 2), "empty"),
])
def test_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_a_band_of_one_ring_of_modes_is_not_fitted_and_does_not_overflow():
    """Cutoffs that leave one live ring of modes (16² map, 25–50 µm on 50 µm, the modes at the
    short cutoff rolled off to ~1e-57) once gave a slope of −115 and an OverflowError traceback
    in ``exp(intercept)``; now the Hurst fit is reported as not fitted and the run goes on."""
    h = surface.self_affine((16, 16), (5e-5, 5e-5), 0.8, rms_height=3e-7, short_cutoff=2.5e-5,
                            long_cutoff=5e-5, seed=0)
    with pytest.raises(InputError, match="PSD fit"):
        st.psd_and_fit(h, (5e-5, 5e-5), short_cutoff=2.5e-5, long_cutoff=5e-5)
    stats = st.surface_statistics(h, (5e-5, 5e-5), short_cutoff=2.5e-5, long_cutoff=5e-5)
    assert math.isnan(stats["hurst"]) and stats["hurst_reliable"] is False
    assert any(n.startswith("hurst: not fitted") for n in stats["notes"])
    assert stats["Sq"] == pytest.approx(3e-7, rel=1e-6)
