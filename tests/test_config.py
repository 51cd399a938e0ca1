"""Case files: typed loading, defaults, round trip through TOML, one-line errors naming the key."""

import dataclasses
import math
import tomllib

import pytest

from solver.case import config
from solver.errors import InputError


def test_default_case_round_trips_through_toml():
    case = config.default_case()
    text = config.to_toml(case, comments=True)
    again = config.from_dict(tomllib.loads(text))
    assert again == case


SECTIONS = tuple(f.name for f in dataclasses.fields(config.Case)
                 if dataclasses.is_dataclass(getattr(config.default_case(), f.name)))


def test_every_field_documents_its_unit():
    def walk(cls):
        for f in dataclasses.fields(cls):
            if f.name in SECTIONS:
                continue
            assert f.metadata.get("unit"), f"{cls.__name__}.{f.name} has no unit"
            assert f.metadata.get("doc"), f"{cls.__name__}.{f.name} has no doc"

    for cls in (config.Case, *(type(getattr(config.default_case(), s)) for s in SECTIONS)):
        walk(cls)


def test_case_is_frozen():
    case = config.default_case()
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.seed = 3


def test_rms_slope_replaces_default_rms_height():
    case = config.from_dict({"surface": {"rms_slope": 0.2}})
    assert case.surface.rms_height is None and case.surface.rms_slope == 0.2


def test_int_accepted_for_float_and_lists_become_tuples():
    case = config.from_dict({"surface": {"kind": "flat", "physical_sizes": [1, 2], "hurst": 1}})
    assert case.surface.physical_sizes == (1.0, 2.0)
    assert isinstance(case.surface.hurst, float)


def test_relative_surface_file_resolved_against_case_dir(tmp_path):
    (tmp_path / "case.toml").write_text('[surface]\nkind = "measured"\nfile = "scan.npy"\nunit = "um"\n'
                                        'physical_sizes = [1e-4, 1e-4]\n')
    case = config.load(tmp_path / "case.toml")
    assert case.surface.file == str((tmp_path / "scan.npy").resolve())


@pytest.mark.parametrize(
    "data, key",
    [
        ({"surface": {"hurst": math.nan}}, "surface.hurst"),
        ({"surface": {"physical_sizes": [math.inf, 1e-4]}}, "surface.physical_sizes"),
        ({"surface": {"rolloff": -0.1}}, "surface.rolloff"),
        ({"surface": {"nb_grid_pts": [True, 8]}}, "surface.nb_grid_pts[0]"),
    ],
)
def test_from_dict_errors_name_the_key(data, key):
    with pytest.raises(InputError) as e:
        config.from_dict(data)
    msg = str(e.value)
    assert msg.startswith(key) and "\n" not in msg


# ----------------------------------------------------------------------------------------------
# measured surfaces: what the import needs is checked when the case is loaded (issue 15)


@pytest.mark.parametrize("missing, key", [("unit", "surface.unit"),
                                          ("physical_sizes", "surface.physical_sizes")])
def test_plain_matrix_without_unit_or_sizes_is_refused_at_load(tmp_path, missing, key):
    """A .npy carries no unit and no sizes: loading the case refuses it, as the import does, so
    `lamina validate` and `lamina surface` agree."""
    surface = {"kind": "measured", "file": "scan.npy", "unit": "um",
               "physical_sizes": [1e-4, 1e-4]}
    del surface[missing]
    with pytest.raises(InputError) as e:
        config.from_dict({"surface": surface}, base_dir=tmp_path)
    msg = str(e.value)
    assert msg.startswith(f"{key} = (not set): required for 'scan.npy' (a plain matrix)"), msg
    assert "\n" not in msg


def test_instrument_file_needs_no_unit_at_load(tmp_path):
    """An instrument file (and a .dat not there yet: text or binary is unknown) may carry its own
    unit and sizes: the loader does not ask for them (the import does, if the file lacks them)."""
    for name in ("scan.x3p", "scan.dat"):
        case = config.from_dict({"surface": {"kind": "measured", "file": name}}, base_dir=tmp_path)
        assert case.surface.unit is None and case.surface.physical_sizes is None


def test_binary_dat_is_an_instrument_file_at_load(tmp_path):
    (tmp_path / "scan.dat").write_bytes(b"\x88\x1b\x03\x6f" + bytes(200))
    (tmp_path / "text.dat").write_text("1 2 3\n4 5 6\n")
    config.from_dict({"surface": {"kind": "measured", "file": "scan.dat"}}, base_dir=tmp_path)
    with pytest.raises(InputError, match=r"surface\.unit = \(not set\): required for 'text\.dat'"):
        config.from_dict({"surface": {"kind": "measured", "file": "text.dat"}}, base_dir=tmp_path)


def test_bad_format_is_refused_at_load():
    with pytest.raises(InputError, match=r"surface\.format = 'dat': allowed npy, csv, txt, "
                       r"surfacetopography"):
        config.from_dict({"surface": {"kind": "measured", "file": "a.dat", "format": "dat"}})


def test_input_echo_of_a_measured_case_has_no_generator_fields():
    case = config.from_dict({"surface": {"kind": "measured", "file": "scan.x3p", "unit": "nm"}})
    echo = config.input_echo(case)["surface"]
    assert echo == {"kind": "measured", "file": "scan.x3p", "unit": "nm", "detrend": "plane"}
    generated = config.input_echo(config.default_case())["surface"]
    assert generated["hurst"] == 0.8 and generated["nb_grid_pts"] == [128, 128]


# ----------------------------------------------------------------------------------------------
# the pressed body matches the interface (issue 16 item 5: anode-less Cu|SE)

COPPER_BODY = {"lithium": {"material": "copper", "creep": False, "yield_stress": 1.5e8},
               "press": {"hold_times": [0.0, 0.0, 0.0]}, "current": {"interface": "cu_se"}}


def test_cu_se_with_a_lithium_body_is_refused_at_load(tmp_path, capsys):
    """An anode-less cell has no lithium body: cu_se with the default lithium is one line naming
    current.interface, its value, the body and what is allowed; `lamina validate` exits 2."""
    case = tmp_path / "case.toml"
    case.write_text('[current]\ninterface = "cu_se"\n')
    with pytest.raises(InputError) as e:
        config.load(case)
    msg = str(e.value)
    assert msg.startswith("current.interface = 'cu_se': ") and "\n" not in msg
    assert "lithium.material = 'lithium_masias2019' is a lithium body" in msg
    assert "allowed: lithium.material = 'copper'" in msg and "'li_se'" in msg
    from solver.cli.main import main

    assert main(["validate", str(case)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "current.interface = 'cu_se'" in err, err


@pytest.mark.parametrize("change, start", [
    ({"current": {"interface": "li_cu"}}, "current.interface = 'li_cu': needs a lithium body"),
    ({"current": {"interface": "li_se"}}, "current.interface = 'li_se': needs a lithium body"),
    ({"lithium": {"creep": True}, "press": {"hold_times": [0.0, 0.0, 60.0]}},
     "lithium.creep = true: the collector body 'copper' has no creep law"),
    ({"lithium": {"yield_stress": None}}, "lithium.yield_stress = (not set): required"),
    ({"lithium": {"material": "unobtainium"}}, "lithium.material = 'unobtainium': allowed one of"),
])
def test_body_checks_at_load(change, start):
    data = {k: dict(v) for k, v in COPPER_BODY.items()}
    for section, values in change.items():
        data[section].update(values)
        data[section] = {k: v for k, v in data[section].items() if v is not None}
    with pytest.raises(InputError) as e:
        config.from_dict(data)
    assert str(e.value).startswith(start), str(e.value)
    assert "\n" not in str(e.value)


def test_cu_se_presses_the_copper_collector():
    """A valid anode-less case: the press body is copper (E, ν from materials/copper.toml, the
    yield stress from the case), perfectly plastic, no creep; config.replace checks it too."""
    from solver.case.materials import lithium_law_params, material
    from solver.physics.law_params import J2Params

    case = config.from_dict(COPPER_BODY)
    law = lithium_law_params(case.lithium)
    cu = material("copper")
    assert isinstance(law, J2Params)
    assert (law.E, law.nu, law.sigma_y) == (cu.youngs_modulus_Pa, cu.poisson_ratio, 1.5e8)
    assert cu.yield_stress_min_Pa <= law.sigma_y <= cu.yield_stress_max_Pa
    with pytest.raises(InputError, match="current.interface = 'cu_se'"):
        config.replace(config.default_case(), current={"interface": "cu_se"})
