"""The contact map: contact on the surface's x-y grid, per press step.

This is what the current-flow stage consumes. It is saved in the run folder as
``contact_maps.npz`` with these arrays (SI units; ``S`` steps, surface grid ``nx × ny``; a 2D
plane-strain case has ``ny = 1``, the profile row):

==================  ============  ==============================================================
key                 shape         meaning
==================  ============  ==============================================================
``x``               (nx,)         grid x coordinates (m), ``x_i = i·Lx/nx``
``y``               (ny,)         grid y coordinates (m)
``heights``         (nx, ny)      the rigid surface h (m) on the grid
``physical_sizes``  (2,)          (Lx, Ly) (m)
``surface_sha256``  ()            SHA-256 of the C-ordered float64 heights of the full map
``pressure``        (S, nx, ny)   contact pressure (Pa, ≥ 0), linear interpolation of the FE face
``gap``             (S, nx, ny)   gap between lithium and surface (m, ≥ 0), same interpolation
``in_contact``      (S, nx, ny)   bool, the contact indicator of the nearest FE face node
``mean_pressure``   (S,)          applied mean pressure p̄ (Pa)
``time``            (S,)          time (s) at the end of the step (holds advance it)
``phase``           (S,)          "load", "hold" or "release"
==================  ============  ==============================================================

:func:`check_matches` refuses a map whose grid or surface differs from the case's surface.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.errors import InputError, SolveError
from solver.fem.face_sampling import conserving_factor


def surface_hash(heights: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(heights, dtype=np.float64).tobytes()).hexdigest()


@dataclass
class ContactMaps:
    """Contact maps of all steps of a press cycle (see the module docstring)."""

    x: np.ndarray
    y: np.ndarray
    heights: np.ndarray
    physical_sizes: tuple[float, float]
    surface_sha256: str
    pressure: list
    gap: list
    in_contact: list
    mean_pressure: list
    time: list
    phase: list

    @classmethod
    def empty(cls, heights: np.ndarray, physical_sizes) -> ContactMaps:
        h = np.asarray(heights, dtype=float)
        if h.ndim == 1:
            h = h[:, None]
        nx, ny = h.shape
        Lx, Ly = physical_sizes
        return cls(np.arange(nx) * Lx / nx, np.arange(ny) * Ly / ny if ny > 1 else np.zeros(1),
                   h, (float(Lx), float(Ly)), surface_hash(h), [], [], [], [], [], [])

    def append(self, pressure, gap, in_contact, mean_pressure, time, phase):
        """Add one step's maps (Pa, m, bool) at mean pressure (Pa), time (s) and phase.

        Raises:
            SolveError: a non-finite pressure or gap (a map that looks valid must be).
        """
        if not (np.all(np.isfinite(pressure)) and np.all(np.isfinite(gap))):
            raise SolveError(f"contact map at p = {float(mean_pressure):.6g} Pa: non-finite "
                             "contact pressure or gap recovered from the solution")
        self.pressure.append(np.asarray(pressure, dtype=float))
        self.gap.append(np.asarray(gap, dtype=float))
        self.in_contact.append(np.asarray(in_contact, dtype=bool))
        self.mean_pressure.append(float(mean_pressure))
        self.time.append(float(time))
        self.phase.append(str(phase))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays saved in ``contact_maps.npz``."""
        shape = (0, *self.heights.shape)
        stack = lambda v, dt: np.array(v, dtype=dt) if v else np.zeros(shape, dtype=dt)  # noqa: E731
        return {
            "x": self.x, "y": self.y, "heights": self.heights,
            "physical_sizes": np.array(self.physical_sizes),
            "surface_sha256": np.array(self.surface_sha256),
            "pressure": stack(self.pressure, float), "gap": stack(self.gap, float),
            "in_contact": stack(self.in_contact, bool),
            "mean_pressure": np.array(self.mean_pressure), "time": np.array(self.time),
            "phase": np.array(self.phase, dtype=str),
        }

    @classmethod
    def from_arrays(cls, data: dict, label: str) -> ContactMaps:
        """The maps of the arrays of a ``contact_maps.npz`` (:func:`read_arrays`), checked: one
        InputError naming ``label`` for a wrong shape, type, non-finite value or phase."""
        grid = tuple(data["heights"].shape)
        n = len(data["mean_pressure"])
        if n == 0:
            raise InputError(f"{label}: holds no press steps")
        for key in ("pressure", "gap", "in_contact"):
            if data[key].shape != (n, *grid):
                raise InputError(f"{label}: array '{key}' has shape {data[key].shape}, expected "
                                 f"{(n, *grid)} ({n} steps on the {grid} grid)")
        for key in ("time", "phase"):
            if data[key].shape != (n,):
                raise InputError(f"{label}: array '{key}' has shape {data[key].shape}, expected ({n},)")
        if data["in_contact"].dtype != np.bool_:
            raise InputError(f"{label}: array 'in_contact' is {data['in_contact'].dtype}, expected bool")
        for key in ("pressure", "gap", "mean_pressure", "time"):
            if not np.all(np.isfinite(data[key])):
                raise InputError(f"{label}: array '{key}' has non-finite values")
        phases = {str(p) for p in data["phase"]}
        if bad := phases - {"load", "hold", "release"}:
            raise InputError(f"{label}: phases {sorted(bad)} (allowed: load, hold, release)")
        Lx, Ly = (float(v) for v in data["physical_sizes"])
        return cls(
            np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float),
            np.asarray(data["heights"], dtype=float), (Lx, Ly), str(data["surface_sha256"]),
            list(data["pressure"]), list(data["gap"]), list(data["in_contact"]),
            [float(v) for v in data["mean_pressure"]], [float(v) for v in data["time"]],
            [str(v) for v in data["phase"]])


#: File name of the press stage's contact maps in a run folder.
CONTACT_MAPS_FILE = "contact_maps.npz"


def load(path: str | Path) -> dict[str, np.ndarray]:
    """Read ``contact_maps.npz``; a missing or malformed file is an InputError naming it."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    # a job killed while writing, or a file overwritten by hand: zipfile's and zlib's errors
    # are neither OSError nor ValueError
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        why = " ".join(str(e).split()) or type(e).__name__
        raise InputError(f"contact map '{path}': cannot be read ({why})") from None
    needed = {"x", "y", "heights", "physical_sizes", "surface_sha256", "pressure", "gap",
              "in_contact", "mean_pressure", "time", "phase"}
    if missing := needed - set(data):
        raise InputError(f"contact map '{path}': missing arrays {sorted(missing)}")
    return data


def read_arrays(npz: Path, label: str) -> dict:
    """The arrays of a ``contact_maps.npz``; any unreadable file is one InputError naming it."""
    if not npz.is_file():
        raise InputError(f"{label}: no such file (the folder is not a press run's: allowed is a "
                         f"run folder holding {CONTACT_MAPS_FILE}, or such a file)")
    with open(npz, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            # np.load would try it as a pickle and say so; the user needs to hear what it is not.
            raise InputError(f"{label}: not an .npz (zip) archive (allowed: the "
                             f"{CONTACT_MAPS_FILE} of a press run)")
    try:
        return load(npz)
    except InputError as e:
        raise InputError(f"{label}: {str(e).removeprefix(f'contact map {str(npz)!r}: ')}") from None


def check_matches(data: dict, heights: np.ndarray, physical_sizes, source: str = "contact map"):
    """Raise InputError unless the contact map was made on this very surface grid."""
    h = np.asarray(heights, dtype=float)
    h = h[:, None] if h.ndim == 1 else h
    if tuple(data["heights"].shape) != h.shape:
        raise InputError(f"{source}: grid {tuple(data['heights'].shape)} differs from the "
                         f"surface grid {h.shape}")
    if not np.allclose(data["physical_sizes"], physical_sizes, rtol=1e-12, atol=0):
        raise InputError(f"{source}: physical_sizes {list(data['physical_sizes'])} m differ from "
                         f"the surface's {list(physical_sizes)} m")
    if str(data["surface_sha256"]) != surface_hash(h):
        raise InputError(f"{source}: made on a different surface (heights differ)")


# ---------------------------------------------------------------------------------------------
# face nodes -> surface grid


def force_consistent(pressure: np.ndarray, mean_pressure: float) -> tuple[np.ndarray, float]:
    """The grid contact-pressure map scaled so that its grid mean is ``mean_pressure`` (Pa).

    The map samples the face's nodal pressures at the grid points ((bi)linear between face
    nodes); where spots span a few nodes those samples miss the force the face carries by
    several per cent (default 2D case, 200 µm profile: grid means 1–13 % below p̄ on loading,
    +114 % at the release step). ``mean_pressure`` is the FE force over the face area, so the
    scaled map carries the face's force (as the current map carries the interface current).

    Returns:
        The scaled map and the factor applied (1 where either mean is not positive:
        :func:`solver.fem.face_sampling.conserving_factor`).
    """
    factor = conserving_factor(float(np.mean(pressure)), mean_pressure)
    return pressure * factor, factor


def face_to_grid(points: np.ndarray, values: dict[str, np.ndarray], node_lines: list[np.ndarray],
                 grid_lines: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Interpolate nodal values of a structured FE face onto the surface grid.

    Args:
        points: face node coordinates (n, gdim) (m); all nodes of the face (all ranks).
        values: nodal arrays to interpolate; keys ending in ``"_nearest"`` take the value of the
            nearest node (indicators), the others are (bi)linear.
        node_lines: the face's node coordinates along x (and y) (m), increasing.
        grid_lines: the surface grid coordinates along x (and y) (m).

    Returns:
        The same keys, arrays of the grid's shape ``(nx, ny)`` (2D faces: ``(nx, 1)``).
    """
    from scipy.interpolate import RegularGridInterpolator

    dim = len(node_lines)
    idx = []
    for a in range(dim):
        line = node_lines[a]
        k = np.searchsorted(line, points[:, a])
        k = np.clip(k, 1, len(line) - 1)
        k = np.where(np.abs(line[k - 1] - points[:, a]) < np.abs(line[k] - points[:, a]), k - 1, k)
        idx.append(k)
    shape = tuple(len(line) for line in node_lines)
    mesh_pts = np.stack(np.meshgrid(*grid_lines, indexing="ij"), axis=-1).reshape(-1, dim)
    out = {}
    for key, v in values.items():
        node_grid = np.full(shape, np.nan)
        node_grid[tuple(idx)] = v
        if np.isnan(node_grid).any() or len(points) != node_grid.size:
            raise RuntimeError(f"{len(points)} face nodes do not match the structured face grid "
                               f"{shape}")
        method = "nearest" if key.endswith("_nearest") else "linear"
        f = RegularGridInterpolator(tuple(node_lines), node_grid.astype(float), method=method,
                                    bounds_error=False, fill_value=None)
        res = f(mesh_pts).reshape(tuple(len(g) for g in grid_lines))
        if dim == 1:
            res = res[:, None]
        out[key.removesuffix("_nearest")] = res
    return out
