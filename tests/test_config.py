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
    (tmp_path / "case.toml").write_text('[surface]\nkind = "measured"\nfile = "scan.npy"\nunit = "um"\n')
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
