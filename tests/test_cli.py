"""The command line end to end: exit codes, one-line errors, run folders.

Every malformed case file and surface file must end in exit code 2 with a one-line message naming
the offending key or file, and leave no run folder that looks complete.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cases import fast_2d
from solver.cli.main import main

SURF = '[surface]\n'
BAD_CASES = [
    # (id, case text, text the message must contain)
    ("hurst-too-big", SURF + "hurst = 1.5\n", "surface.hurst"),
    ("hurst-zero", SURF + "hurst = 0.0\n", "surface.hurst"),
    ("hurst-nan", SURF + "hurst = nan\n", "surface.hurst"),
    ("hurst-string", SURF + 'hurst = "high"\n', "surface.hurst"),
    ("typo-key", SURF + "hurts = 0.5\n", "surface.hurts"),
    ("unknown-section", "[pressure]\nmean = 1e6\n", "pressure"),
    ("unknown-top-key", "sead = 3\n", "sead"),
    ("grid-too-small", SURF + "nb_grid_pts = [4, 4]\n", "surface.nb_grid_pts"),
    ("grid-one-entry", SURF + "nb_grid_pts = [256]\n", "surface.nb_grid_pts"),
    ("grid-float", SURF + "nb_grid_pts = [256.5, 256]\n", "surface.nb_grid_pts[0]"),
    ("size-negative", SURF + "physical_sizes = [-1e-4, 1e-4]\n", "surface.physical_sizes"),
    ("size-zero", SURF + "physical_sizes = [0.0, 1e-4]\n", "surface.physical_sizes"),
    ("size-inf", SURF + "physical_sizes = [inf, 1e-4]\n", "surface.physical_sizes"),
    ("rms-negative", SURF + "rms_height = -1e-6\n", "surface.rms_height"),
    ("rms-both", SURF + "rms_height = 1e-6\nrms_slope = 0.1\n", "surface.rms_height"),
    ("cutoffs-crossed", SURF + "short_cutoff = 6e-5\nlong_cutoff = 5e-5\n", "surface.short_cutoff"),
    ("cutoff-below-grid", SURF + "short_cutoff = 1e-7\n", "surface.short_cutoff"),
    ("kind-unknown", SURF + 'kind = "fractal"\n', "surface.kind"),
    ("rolloff-range", SURF + "rolloff = 2.0\n", "surface.rolloff"),
    ("ratio-below-one", SURF + "correlation_ratio = 0.5\n", "surface.correlation_ratio"),
    ("lay-angle-range", SURF + "lay_angle_deg = 400.0\n", "surface.lay_angle_deg"),
    ("kurtosis-range", SURF + "kurtosis = 0.5\n", "surface.kurtosis"),
    ("seed-negative", "seed = -3\n", "seed"),
    ("seed-float", "seed = 1.5\n", "seed"),
    ("seed-string", 'seed = "abc"\n', "seed"),
    ("name-int", "name = 5\n", "name"),
    ("plots-string", '[output]\nplots = "yes"\n', "output.plots"),
    ("surface-not-table", "surface = 5\n", "surface"),
    ("invalid-toml", "[surface\nhurst = 0.5\n", "case.toml"),
    ("sinusoid-no-amplitude", SURF + 'kind = "sinusoid_1d"\nwavelength = 1e-4\n', "surface.amplitude"),
    ("sinusoid-bad-wavelength", SURF + 'kind = "sinusoid_1d"\namplitude = 1e-6\nwavelength = 3e-5\n',
     "surface.wavelength"),
    ("paraboloid-no-radius", SURF + 'kind = "paraboloid"\n', "surface.radius"),
    ("measured-no-file", SURF + 'kind = "measured"\nunit = "um"\n', "surface.file"),
    ("crop-crossed", SURF + 'kind = "measured"\nfile = "x.npy"\nunit = "um"\ncrop = [5e-5, 1e-5, 0.0, 1e-5]\n',
     "surface.crop"),
    ("detrend-unknown", SURF + 'detrend = "cubic"\n', "surface.detrend"),
    ("flatness-negative", "[statistics]\nflatness_cutoff = -1e-5\n", "statistics.flatness_cutoff"),
    ("pressure-negative", "[press]\npressures = [-1e6]\nhold_times = [0.0]\n", "press.pressures"),
    ("hold-times-mismatch", "[press]\npressures = [1e6]\n", "press.hold_times"),
    ("thickness-zero", "[mesh]\nthickness = 0.0\n", "mesh.thickness"),
    ("dimension-four", "[mesh]\ndimension = 4\n", "mesh.dimension"),
    ("hold-without-creep", "[lithium]\ncreep = false\n", "press.hold_times"),
    ("mesh-too-coarse", "[mesh]\nface_element_size = 5e-6\n", "mesh.face_element_size"),
    ("yield-negative", "[lithium]\nyield_stress = -1.0\n", "lithium.yield_stress"),
    ("unknown-stage", '[output]\nstages = ["surface", "current"]\n', "output.stages"),
    ("conductivity-zero", "[current]\nelectrolyte_conductivity = 0.0\n", "current.electrolyte_conductivity"),
    ("exchange-current-negative", "[current]\nexchange_current_density = -1.0\n",
     "current.exchange_current_density"),
    ("critical-current-zero", "[current]\ncritical_current_density = 0.0\n",
     "current.critical_current_density"),
    ("interface-unknown", '[current]\ninterface = "li_llzo"\n', "current.interface"),
    ("non-gaussian-impossible", SURF + "skewness = 2.0\nkurtosis = 3.0\n", "surface.kurtosis"),
]


def _run_expect_input_error(capsys, argv, must_contain, out_dir: Path):
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "\n" not in err, f"message is not one line: {err!r}"
    assert must_contain in err, f"{must_contain!r} not in {err!r}"
    assert not (out_dir / "DONE").exists() and not (out_dir / "results.json").exists()


@pytest.mark.parametrize("name, text, key", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_malformed_case_exits_2(tmp_path, capsys, name, text, key):
    case = tmp_path / "case.toml"
    case.write_text(text)
    out = tmp_path / "run"
    _run_expect_input_error(capsys, ["run", str(case), "--out", str(out)], key, out)
    assert not out.exists(), "an input error must not create the run folder"
    _run_expect_input_error(capsys, ["validate", str(case)], key, out)


def test_malformed_case_files_are_distinct_and_many():
    assert len({t for _, t, _ in BAD_CASES}) == len(BAD_CASES) >= 30


@pytest.mark.parametrize("variant", ["missing", "directory", "not-utf8"])
def test_unreadable_case_file(tmp_path, capsys, variant):
    case = tmp_path / "case.toml"
    if variant == "directory":
        case.mkdir()
    elif variant == "not-utf8":
        case.write_bytes(b"\xff\xfe\x00[surface]")
    _run_expect_input_error(capsys, ["run", str(case), "--out", str(tmp_path / "run")], "case.toml",
                            tmp_path / "run")


def test_bad_surface_files_exit_2(tmp_path, capsys):
    from bad_surfaces import write_bad_surface_files

    pairs = write_bad_surface_files(tmp_path)
    assert len(pairs) >= 15
    for desc, surface in pairs:
        case = tmp_path / f"case-{abs(hash(desc))}.toml"
        lines = ["[surface]"]
        for k, v in surface.items():
            lines.append(f"{k} = {json.dumps(v)}")
        case.write_text("\n".join(lines) + "\n")
        out = tmp_path / f"run-{abs(hash(desc))}"
        rc = main(["run", str(case), "--out", str(out)])
        err = capsys.readouterr().err.strip()
        assert rc == 2, (desc, err)
        assert "\n" not in err, (desc, err)
        named = [str(Path(surface.get("file", "")).name)] + ["surface."]
        assert any(n and n in err for n in named), (desc, err)
        assert not (out / "DONE").exists() and not (out / "results.json").exists(), desc


def test_bad_cli_flags_exit_2(capsys):
    for argv in (["frobnicate"], ["run", "--bogus"], [], ["validate"]):
        rc = main(argv)
        err = capsys.readouterr().err.strip()
        assert rc == 2 and "\n" not in err, (argv, err)


def test_show_default_is_a_valid_case(tmp_path, capsys):
    assert main(["show-default"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "d.toml").write_text(text)
    assert main(["validate", str(tmp_path / "d.toml")]) == 0


def test_version_lists_the_stack(capsys):
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    for name in ("lamina", "dolfinx", "petsc", "mpi", "numba"):
        assert any(line.split()[0] == name for line in out.splitlines()), name


FAST_2D = fast_2d("fast-2d")


def test_surface_command_on_default_case(tmp_path):
    out = tmp_path / "s"
    assert main(["surface", "--out", str(out)]) == 0
    assert (out / "DONE").exists()
    res = json.loads((out / "results.json").read_text())
    assert set(res) == {"input", "output", "provenance"}
    assert res["output"]["stages_completed"] == ["surface"]
    st = res["output"]["surface"]["statistics"]
    assert abs(st["Sq"] - 3e-7) / 3e-7 < 1e-10
    for png in ("surface.png", "psd.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h = np.load(out / "surface.npy")
    assert h.shape == (128, 128)
    # same seed -> identical map; a complete folder is reused only with --overwrite
    assert main(["surface", "--out", str(out)]) == 2
    assert main(["surface", "--out", str(out), "--overwrite"]) == 0
    assert np.array_equal(np.load(out / "surface.npy"), h)
    assert not list(out.glob(".*tmp*")), "temporary files left behind"


def test_run_press_cycle_writes_complete_folder(tmp_path):
    case = tmp_path / "case.toml"
    case.write_text(FAST_2D)
    out = tmp_path / "run"
    assert main(["run", str(case), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["output"]["stages_completed"] == ["surface", "press", "current"]
    prov = res["provenance"]
    for k in ("versions", "git_commit", "seed", "mpi_size", "wall_time_s"):
        assert k in prov
    press = res["output"]["press"]
    phases = [s["phase"] for s in press["steps"]]
    assert phases[0] == "load" and "hold" in phases and phases[-1] == "release"
    # contact grows with load and during the hold; the release leaves less contact
    curve = press["curve"]
    load = [f for f, ph in zip(curve["contact_fraction"], curve["phase"]) if ph == "load"]
    assert all(b >= a - 1e-12 for a, b in zip(load, load[1:]))
    hold = [f for f, ph in zip(curve["contact_fraction"], curve["phase"]) if ph == "hold"]
    assert hold[-1] >= load[-1]
    assert press["after_release"]["contact_fraction"] <= press["peak"]["contact_fraction"]
    maps = np.load(out / "contact_maps.npz")
    n = len(press["steps"])
    assert maps["in_contact"].shape == (n, 64, 1) and maps["pressure"].shape == (n, 64, 1)
    for png in ("contact_map.png", "gap_map.png", "area_pressure.png", "summary.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert res["output"]["current"]["files"]["summary_png"] == "summary.png"
    assert (out / "displacement.bp").is_dir()
    assert (out / "DONE").exists()


def test_console_script_exit_code(tmp_path):
    exe = Path(sys.executable).with_name("lamina")
    bad = tmp_path / "bad.toml"
    bad.write_text("[surface]\nhurst = 2.0\n")
    p = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "surface.hurst" in p.stderr
    p = subprocess.run([sys.executable, "-m", "solver", "validate", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2


# ----------------------------------------------------------------------------------------------
# what a new user trips over (issue 15)

ROOT = Path(__file__).resolve().parents[1]


def test_readme_states_the_real_default_stages():
    """The README's "`output.stages = [...]` (the default)" is the default case's value."""
    import re

    from solver.case import config

    text = (ROOT / "README.md").read_text()
    claims = re.findall(r"`output\.stages = (\[[^\]]*\])` \(the default\)", text)
    assert len(claims) == 1, "README must state the default output.stages once, as " \
        "`output.stages = [...]` (the default)"
    assert json.loads(claims[0]) == list(config.default_case().output.stages), claims[0]


def test_current_per_step_lines_are_log_lines_on_stderr(tmp_path, capsys, monkeypatch):
    """`lamina current` reports its steps like `lamina run` reports progress: log lines on
    stderr, nothing on stdout."""
    from solver.cli import main as cli_main

    steps = [{"step": 1, "phase": "load", "mean_pressure": 5e5, "asr_ohm_cm2": 12.5,
              "asr_small_signal_ohm_cm2": 9.75, "j_max_over_mean": 3.25},
             {"step": 2, "phase": "release", "mean_pressure": 1e3, "asr_ohm_cm2": None,
              "asr_small_signal_ohm_cm2": None}]
    monkeypatch.setattr(cli_main, "run_current_from_maps", lambda *a, **k: {
        "output": {"stages_completed": ["surface", "current"], "current": {"steps": steps}}})
    out = tmp_path / "b"
    assert main(["current", "--maps", str(tmp_path / "a"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert any(line.startswith("lamina: step   1 load") and "ASR = 12.5 Ohm cm^2" in line
               and "small-signal ASR = 9.75 Ohm cm^2" in line and "j_max/j_mean = 3.25" in line
               for line in err), err
    assert any("step   2 release" in line and "no contact" in line for line in err), err
    assert err[-1] == f"lamina: done: {out} (stages surface, current)"


def _measured_case(tmp_path, surface: str) -> Path:
    case = tmp_path / "case.toml"
    case.write_text('name = "scan"\n[surface]\nkind = "measured"\n' + surface
                    + '[output]\nplots = false\nstages = ["surface"]\n')
    return case


def test_validate_and_surface_agree_on_a_plain_matrix_without_unit(tmp_path, capsys):
    np.save(tmp_path / "scan.npy", np.random.default_rng(0).normal(size=(16, 16)))
    case = _measured_case(tmp_path, 'file = "scan.npy"\nphysical_sizes = [1e-4, 1e-4]\n')
    msgs = []
    for argv in (["validate", str(case)], ["surface", str(case), "--out", str(tmp_path / "s")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "surface.unit = (not set): required for 'scan.npy'" in err
        msgs.append(err)
    assert msgs[0] == msgs[1]
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(__import__("solver.surface.measured", fromlist=["x"])
                    .surfacetopography_version() is None, reason="needs lamina[topography]")
def test_validate_reads_an_instrument_file_as_surface_does(tmp_path, capsys):
    """An instrument file that does not say its unit, in a case without one: validate refuses it
    as the surface stage does (it used to say 'valid')."""
    from solver.fem.backend import prepare

    prepare()
    from SurfaceTopography import Topography

    Topography(np.random.default_rng(1).normal(size=(16, 16)),
               physical_sizes=(3.0, 2.0)).to_netcdf(str(tmp_path / "nounit.nc"))
    case = _measured_case(tmp_path, 'file = "nounit.nc"\n')
    errs = []
    for argv in (["validate", str(case)], ["surface", str(case), "--out", str(tmp_path / "s")]):
        assert main(argv) == 2, argv
        errs.append(capsys.readouterr().err.strip())
    assert errs[0] == errs[1] and "\n" not in errs[0], errs
    assert "surface.unit = (not set): required: " in errs[0] and "nounit.nc" in errs[0]


def test_results_input_of_a_measured_case_has_no_generator_defaults(tmp_path, capsys):
    h = np.random.default_rng(2).normal(size=(24, 20))
    np.save(tmp_path / "scan.npy", h)
    case = _measured_case(tmp_path, 'file = "scan.npy"\nunit = "um"\n'
                          'physical_sizes = [2.4e-5, 2e-5]\n')
    out = tmp_path / "s"
    assert main(["surface", str(case), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    surface = res["input"]["surface"]
    assert set(surface) == {"kind", "file", "unit", "physical_sizes", "detrend"}, surface
    assert surface["unit"] == "um" and surface["physical_sizes"] == [2.4e-5, 2e-5]
    assert res["output"]["surface"]["nb_grid_pts"] == [24, 20]
    capsys.readouterr()
    assert main(["validate", str(case)]) == 0  # validate reads the map and says what it found
    assert "measured map 24 x 20 points" in capsys.readouterr().out
