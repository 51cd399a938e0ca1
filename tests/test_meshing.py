"""``lamina mesh`` and the reference meshes of meshes/.

Each reference mesh is rebuilt from its recipe, serially in this process and on 2 ranks under
mpiexec, and compared with the committed file after an ordering of this test's own (points to
1e-12 m, identical cells and tags); the 1- and 2-rank files must also be byte-identical. The
grading is measured on the rebuilt mesh: first row = the case's face element size, successive
row ratio <= mesh.grading, top at z0 + thickness with z0 = max(h), volume = patch x thickness.
"""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

meshio = pytest.importorskip("meshio")

from mpi_helpers import mpirun  # noqa: E402
from solver.case import config  # noqa: E402
from solver.fem import mesh as geometry
from solver.cli.main import main  # noqa: E402
from solver.simulation.surface import build_heights  # noqa: E402

pytestmark = pytest.mark.fem

ROOT = Path(__file__).resolve().parents[1]
MESHES = ROOT / "meshes"
#: recipe -> committed reference mesh
REFERENCES = {"profile_2d.toml": "profile_2d.msh", "patch_3d.toml": "patch_3d.vtu"}
ATOL_POINTS = 1e-12  # m; the meshes are ~1e-5 m, so ~1e-7 relative: bit noise of z0 = max(h) only
TAGS = {"contact": geometry.BOTTOM, "top": geometry.TOP, "left": geometry.LEFT,
        "right": geometry.RIGHT, "front": geometry.FRONT, "back": geometry.BACK}
LITHIUM = 10


def _tags(m, block: int) -> np.ndarray:
    key = "gmsh:physical" if "gmsh:physical" in m.cell_data else "tag"
    return np.asarray(m.cell_data[key][block])


def canonical(m):
    """Points sorted lexicographically and cells/facets sorted by their sorted node lists.

    Independent of solver.cli.mesh's own ordering, so a reordered but equal file still compares
    equal. Returns (points (n, 3), [(type, cells, tags), ...]).
    """
    pts = np.asarray(m.points, dtype=float)
    pts = np.hstack([pts, np.zeros((len(pts), 3 - pts.shape[1]))])
    order = np.lexsort(pts.T)
    new = np.empty(len(pts), dtype=np.int64)
    new[order] = np.arange(len(pts))
    blocks = []
    for i, cb in enumerate(m.cells):
        c = new[np.asarray(cb.data)]
        key = np.sort(c, axis=1)
        o = np.lexsort(key.T[::-1])
        blocks.append((cb.type, c[o], _tags(m, i)[o]))
    return pts[order], blocks


def assert_same_mesh(a, b):
    pa, ba = canonical(a)
    pb, bb = canonical(b)
    assert pa.shape == pb.shape
    np.testing.assert_allclose(pa, pb, rtol=0, atol=ATOL_POINTS)
    assert [t for t, _, _ in ba] == [t for t, _, _ in bb]
    for (t, ca, ta), (_, cb, tb) in zip(ba, bb):
        np.testing.assert_array_equal(ca, cb, err_msg=f"{t} cells differ")
        np.testing.assert_array_equal(ta, tb, err_msg=f"{t} tags differ")


def face_element_size(case) -> float:
    """The case's face element size as documented in [mesh]: given, else short_cutoff / 4."""
    if case.mesh.face_element_size is not None:
        return case.mesh.face_element_size
    return case.surface.short_cutoff / geometry.MIN_ELEMENTS_PER_WAVELENGTH


def _cell_measures(m) -> np.ndarray:
    p = np.asarray(m.points, dtype=float)
    cb = m.cells[0]
    c = np.asarray(cb.data)
    if cb.type == "triangle":
        a, b = p[c[:, 1]] - p[c[:, 0]], p[c[:, 2]] - p[c[:, 0]]
        return 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    if cb.type == "quad":
        a, b = p[c[:, 1]] - p[c[:, 0]], p[c[:, 3]] - p[c[:, 0]]
        return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]     # rectangles
    if cb.type == "hexahedron":                          # axis-aligned boxes
        a, b, e = (p[c[:, k]] - p[c[:, 0]] for k in (1, 3, 4))
        return np.einsum("ij,ij->i", np.cross(a, b), e)
    if cb.type == "tetra":
        a, b, e = (p[c[:, k]] - p[c[:, 0]] for k in (1, 2, 3))
        return np.einsum("ij,ij->i", np.cross(a, b), e) / 6
    raise AssertionError(cb.type)


def check_geometry(m, case):
    """Grading, face size, thickness, tags on the right planes, volume of the rebuilt mesh."""
    h, sizes, _ = build_heights(case.surface, case.seed)
    z0 = float(np.max(h))
    dim = case.mesh.dimension
    vertical = dim - 1
    lengths = sizes[: dim - 1]
    p = np.asarray(m.points, dtype=float)
    size = face_element_size(case)

    rows = np.unique(p[:, vertical])
    dz = np.diff(rows)
    assert abs(rows[0] - z0) <= 1e-12 * z0 + 1e-18, (rows[0], z0)
    assert rows[-1] - rows[0] == pytest.approx(case.mesh.thickness, rel=1e-12)
    assert dz[0] == pytest.approx(size, rel=1e-9), "element height at the contact face"
    ratios = dz[1:] / dz[:-1]
    assert np.all(ratios <= case.mesh.grading * (1 + 1e-9)), ratios.max()
    assert np.all(ratios >= 1 - 1e-9), "element heights shrink away from the face"
    for axis, L in enumerate(lengths):
        xs = np.unique(p[:, axis])
        assert xs[0] == 0.0 and xs[-1] == pytest.approx(L, rel=1e-14)
        dx = np.diff(xs)
        np.testing.assert_allclose(dx, dx[0], rtol=1e-9)      # uniform along the face
        assert dx[0] <= size * (1 + 1e-12)
        assert case.surface.short_cutoff / dx[0] >= geometry.MIN_ELEMENTS_PER_WAVELENGTH - 1e-9

    # every cell positively oriented, and together they fill the block exactly
    vol = _cell_measures(m)
    assert np.all(vol > 0)
    assert vol.sum() == pytest.approx(np.prod(lengths) * case.mesh.thickness, rel=1e-12)

    # facet tags on their planes; every face present with the right count
    tags = _tags(m, 1)
    assert np.all(_tags(m, 0) == LITHIUM)
    fc = np.asarray(m.cells[1].data)
    planes = {"contact": (vertical, z0), "top": (vertical, z0 + case.mesh.thickness),
              "left": (0, 0.0), "right": (0, lengths[0])}
    if dim == 3:
        planes.update(front=(1, 0.0), back=(1, lengths[1]))
    n_face = [round(L / dx) for L, dx in
              zip(lengths, [np.diff(np.unique(p[:, a]))[0] for a in range(dim - 1)])]
    for name, (axis, value) in planes.items():
        sel = tags == TAGS[name]
        assert sel.any(), name
        np.testing.assert_allclose(p[fc[sel], axis], value, rtol=0, atol=1e-12 * (1 + value))
        if name in ("contact", "top"):
            assert sel.sum() == np.prod(n_face) * (2 if m.cells[1].type == "triangle" else 1)
    assert set(np.unique(tags)) == {TAGS[n] for n in planes}


@pytest.mark.parametrize("recipe", sorted(REFERENCES))
def test_reference_mesh_rebuilds_serially(recipe, tmp_path, capsys):
    ref = MESHES / REFERENCES[recipe]
    out = tmp_path / ref.name
    assert main(["mesh", str(MESHES / recipe), "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    m = meshio.read(out)
    assert_same_mesh(m, meshio.read(ref))
    check_geometry(m, config.load(MESHES / recipe))
    # the printed line carries the file's counts
    assert f"{len(m.cells[0].data)} cells, {len(m.points)} vertices" in line, line
    assert "\n" not in line and not list(tmp_path.glob(".*tmp*"))


@pytest.mark.mpi
@pytest.mark.parametrize("recipe", sorted(REFERENCES))
def test_reference_mesh_rebuilds_on_two_ranks(recipe, tmp_path):
    ref = MESHES / REFERENCES[recipe]
    serial, par = tmp_path / f"n1{ref.suffix}", tmp_path / f"n2{ref.suffix}"
    assert main(["mesh", str(MESHES / recipe), "--out", str(serial)]) == 0
    p = mpirun(["-m", "solver", "mesh", str(MESHES / recipe), "--out", str(par)], limit=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("cells,") == 1, "only rank 0 prints"
    assert_same_mesh(meshio.read(par), meshio.read(ref))
    assert par.read_bytes() == serial.read_bytes(), "1- and 2-rank files differ"


def test_too_coarse_mesh_is_refused_with_the_numbers(tmp_path, capsys):
    text = (MESHES / "profile_2d.toml").read_text()
    case = tmp_path / "coarse.toml"
    # 2e-6 m face elements: 2.5 per short cutoff of 5e-6 m, fewer than the 4 required
    case.write_text(text.replace("[mesh]\n", "[mesh]\nface_element_size = 2e-6\n"))
    out = tmp_path / "coarse.msh"
    assert main(["mesh", str(case), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "mesh.face_element_size" in err, err
    for number in ("2e-06", "5e-06", "2.5"):
        assert number in err, (number, err)
    assert not out.exists() and not list(tmp_path.glob(".*tmp*"))


@pytest.mark.parametrize("argv, must_contain", [
    (["--out", "{tmp}/m.stl"], "--out"),                      # no format for the suffix
    (["--out", "{tmp}/m.vtu", "--format", "stl"], "--format"),
    (["--out", "{tmp}/sub"], "is a folder"),
])
def test_bad_output_is_refused(argv, must_contain, tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["mesh", str(MESHES / "profile_2d.toml"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and must_contain in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]
    assert not any((tmp_path / "sub").iterdir())


def test_bad_case_is_refused(tmp_path, capsys):
    case = tmp_path / "bad.toml"
    case.write_text("[mesh]\nthickness = 0.0\n")
    out = tmp_path / "m.vtu"
    assert main(["mesh", str(case), "--out", str(out)]) == 2
    assert "mesh.thickness" in capsys.readouterr().err
    assert not out.exists()


def test_xdmf_export_reads_back(tmp_path):
    out = tmp_path / "m.xdmf"
    assert main(["mesh", str(MESHES / "profile_2d.toml"), "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.xdmf"], "one file, no .h5"
    assert_same_mesh(meshio.read(out), meshio.read(MESHES / "profile_2d.msh"))


def test_references_are_small_and_their_provenance_is_recorded():
    readme = (MESHES / "README.md").read_text()
    for recipe, name in REFERENCES.items():
        data = (MESHES / name).read_bytes()
        assert len(data) < 200_000, name
        sha = hashlib.sha256(data).hexdigest()
        assert sha in readme, f"meshes/README.md: SHA-256 of {name} is not {sha}"
        assert re.search(rf"lamina mesh meshes/{re.escape(recipe)} --out meshes/{re.escape(name)}",
                         readme), f"meshes/README.md: no command for {name}"


def test_write_mesh_is_atomic(tmp_path, monkeypatch):
    from solver.output.meshfile import write_mesh
    path = tmp_path / "m.vtu"
    path.write_bytes(b"old")
    mesh = meshio.Mesh(np.zeros((3, 3)), [("triangle", np.array([[0, 1, 2]]))])

    def broken(filename, *args, **kwargs):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(meshio, "write", broken)
    with pytest.raises(OSError):
        write_mesh(path, mesh)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.vtu"], "temporary file left"
