"""Contact maps: spot labelling (numba vs SciPy reference), face -> grid interpolation, matching."""

import numpy as np
import pytest
from scipy import ndimage

from solver.physics import spots
from solver.simulation import contactmap
from solver.errors import InputError, SolveError


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_label_spots_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((61, 47)) < 0.45
    labels, n = spots.label_spots(mask)
    ref, n_ref = ndimage.label(mask)  # 4-connectivity by default
    assert n == n_ref
    # same partition: a bijection between labels
    pairs = set(zip(labels[mask].tolist(), ref[mask].tolist()))
    assert len(pairs) == n
    sizes = spots.spot_sizes(labels, n)
    ref_sizes = np.bincount(ref.ravel())[1:]
    assert sorted(sizes.tolist()) == sorted(ref_sizes.tolist())


def test_spot_statistics_areas():
    mask = np.zeros((10, 10), bool)
    mask[1:3, 1:3] = True  # 4 cells
    mask[6, 6] = True      # 1 cell
    st = spots.spot_statistics(mask, cell_area=2.0)
    assert st["n_spots"] == 2 and st["spot_areas"] == [8.0, 2.0]
    assert st["spot_area_max"] == 8.0 and st["spot_area_mean"] == 5.0


def test_face_to_grid_is_exact_for_bilinear_fields():
    xs, ys = np.linspace(0, 2.0, 9), np.linspace(0, 1.0, 5)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    pts = np.column_stack([X.ravel(), Y.ravel()])
    rng = np.random.default_rng(3)
    order = rng.permutation(len(pts))  # nodes come in any order (ranks)
    f = 1.0 + 2.0 * X - 3.0 * Y + 0.5 * X * Y
    gx, gy = np.arange(16) * 2.0 / 16, np.arange(8) * 1.0 / 8
    out = contactmap.face_to_grid(pts[order], {"f": f.ravel()[order],
                                              "c_nearest": (X > 1.0).ravel()[order].astype(float)},
                                  [xs, ys], [gx, gy])
    GX, GY = np.meshgrid(gx, gy, indexing="ij")
    assert np.allclose(out["f"], 1.0 + 2.0 * GX - 3.0 * GY + 0.5 * GX * GY, atol=1e-13)
    assert set(np.unique(out["c"])) <= {0.0, 1.0}


def test_check_matches_refuses_other_surface(tmp_path):
    h = np.random.default_rng(0).normal(size=(16, 16))
    maps = contactmap.ContactMaps.empty(h, (1e-4, 1e-4))
    data = maps.arrays()
    contactmap.check_matches(data, h, (1e-4, 1e-4))
    with pytest.raises(InputError, match="grid"):
        contactmap.check_matches(data, h[:8], (1e-4, 1e-4))
    with pytest.raises(InputError, match="physical_sizes"):
        contactmap.check_matches(data, h, (2e-4, 1e-4))
    h2 = h.copy()
    h2[0, 0] += 1e-9
    with pytest.raises(InputError, match="different surface"):
        contactmap.check_matches(data, h2, (1e-4, 1e-4))


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "text", "missing"])
def test_load_refuses_a_damaged_file_in_one_line(tmp_path, damage):
    """A damaged ``contact_maps.npz`` (cut short by a killed job, overwritten, or absent) is an
    InputError naming the file, not a zipfile/EOF traceback."""
    h = np.random.default_rng(0).normal(size=(16, 16))
    path = tmp_path / "contact_maps.npz"
    np.savez(path, **contactmap.ContactMaps.empty(h, (1e-4, 1e-4)).arrays())
    assert set(contactmap.load(path)) >= {"x", "heights", "pressure"}
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "corrupted":  # the zip directory intact, the members' bytes garbage
        mid = len(raw) // 3
        path.write_bytes(raw[:mid] + bytes(b ^ 0xFF for b in raw[mid:2 * mid]) + raw[2 * mid:])
    elif damage == "text":
        path.write_text("not a zip file\n")
    else:
        path.unlink()
    with pytest.raises(InputError, match="contact map '.*contact_maps.npz'") as e:
        contactmap.load(path)
    assert "\n" not in str(e.value)


def test_a_non_finite_map_is_a_failed_step_not_a_result():
    maps = contactmap.ContactMaps.empty(np.zeros((4, 4)), (1e-4, 1e-4))
    p = np.zeros((4, 4))
    p[1, 2] = np.inf
    with pytest.raises(SolveError, match="non-finite"):
        maps.append(p, np.zeros((4, 4)), p > 0, 1e6, 0.0, "load")
    assert maps.pressure == []
