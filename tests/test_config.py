"""Park config validation: good files load, bad ones give a message naming field, value and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from energysim.config import Capacities, load_park, park_from_dict
from energysim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

MINIMAL = """
[site]
name = "test park"
latitude = 39.6
longitude = 109.8
timezone = "Asia/Shanghai"

[load]
annual_mwh = 1000

[pv]
max_mw = 0

[wind]
max_mw = 0
"""


def write(tmp_path: Path, text: str, name: str = "park.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ordos_config_loads_with_sourced_defaults():
    park = load_park(REPO / "configs" / "ordos.toml")
    assert park.site.timezone == "Asia/Shanghai"
    assert park.load.annual_mwh == 10_000_000
    assert park.targets.onsite_share == 0.80
    assert park.capacities() == Capacities(pv_mw=4000, wind_mw=3000, battery_mwh=4000,
                                           battery_mw=1000)
    # one-way efficiencies are sqrt(round trip) unless given (DESIGN.md)
    assert park.battery.eta_charge == pytest.approx(0.88**0.5)
    assert park.weather is not None and park.weather.path.is_absolute()


def test_minimal_config_uses_documented_defaults(tmp_path):
    park = load_park(write(tmp_path, MINIMAL))
    assert park.grid.emission_factor_t_per_mwh == 0.5856
    assert park.economics.discount_rate == 0.06
    assert park.battery.roundtrip_efficiency == 0.88
    assert park.grid.green_volume_mwh == "remainder"


@pytest.mark.parametrize(
    ("edit", "field", "needle"),
    [
        (("[load]\nannual_mwh = 1000", "[load]\nannual_mwh = -5"), "[load] annual_mwh = -5",
         "greater than 0"),
        (("[pv]\nmax_mw = 0", "[pv]\nmax_mw = 0\ncapacity_mw = -3"), "[pv] capacity_mw = -3",
         "greater than or equal to 0"),
        (("[pv]\nmax_mw = 0", "[pv]\nmax_mw = 0\ncolour = 'red'"), "[pv] colour = 'red'",
         "unknown key; allowed in [pv]:"),
        (("[pv]\nmax_mw = 0", "[pv]\nmax_mw = 0\ntilt_deg = 'steep'"), "[pv] tilt_deg = 'steep'",
         "valid number"),
        (("[load]", "[targets]\nonsite_share = 1.2\n[load]"), "[targets] onsite_share = 1.2",
         "less than or equal to 1"),
        (("timezone = \"Asia/Shanghai\"", "timezone = \"Asia/Beijing\""),
         "[site] timezone = 'Asia/Beijing'", "unknown time zone"),
        (("[load]", "[bogus]\nx = 1\n[load]"), "[bogus]", "unknown section"),
        (("[load]", "[battery]\nroundtrip_efficiency = 1.3\n[load]"),
         "[battery] roundtrip_efficiency = 1.3", "less than or equal to 1"),
        (("[load]", "[battery]\nsoc_min = 0.9\nsoc_max = 0.2\n[load]"), "[battery]",
         "soc_min (0.9) must be below soc_max (0.2)"),
        (("[wind]\nmax_mw = 0", "[wind]\nmax_mw = 0\nturbine = 'X-999/1'"),
         "[wind] turbine = 'X-999/1'", "not in windpowerlib's turbine library"),
        (("[load]\nannual_mwh = 1000", "[load]\nannual_mwh = 1000\nprofile = 'nope.csv:mw'"),
         "[load] profile", "file not found"),
    ],
)
def test_bad_config_names_field_value_and_rule(tmp_path, edit, field, needle):
    path = write(tmp_path, MINIMAL.replace(*edit))
    with pytest.raises(ConfigError) as info:
        load_park(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert needle in message


def test_missing_section_is_named(tmp_path):
    text = MINIMAL.replace("[load]\nannual_mwh = 1000\n", "")
    with pytest.raises(ConfigError, match=r"\[load\]: required but missing"):
        load_park(write(tmp_path, text))


def test_all_problems_reported_together(tmp_path):
    text = MINIMAL.replace("latitude = 39.6", "latitude = 139.6").replace(
        "annual_mwh = 1000", "annual_mwh = 0"
    )
    with pytest.raises(ConfigError) as info:
        load_park(write(tmp_path, text))
    assert len(info.value.problems) == 2


def test_duplicate_key_is_a_toml_error(tmp_path):
    text = MINIMAL.replace("latitude = 39.6", "latitude = 39.6\nlatitude = 40.0")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_park(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_park(tmp_path / "absent.toml")


def test_weather_required_when_a_resource_needs_a_model(tmp_path):
    text = MINIMAL.replace("[pv]\nmax_mw = 0", "[pv]\ncapacity_mw = 10")
    with pytest.raises(ConfigError, match=r"\[weather\] is required"):
        load_park(write(tmp_path, text))


def test_load_needs_exactly_one_source(tmp_path):
    (tmp_path / "load.csv").write_text("mw\n1\n2\n")
    text = MINIMAL.replace("annual_mwh = 1000", "annual_mwh = 1000\nprofile = 'load.csv:mw'")
    with pytest.raises(ConfigError, match="a measured profile excludes annual_mwh and tenants"):
        load_park(write(tmp_path, text))


def test_profile_paths_resolve_relative_to_config(tmp_path):
    sub = tmp_path / "data"
    sub.mkdir()
    (sub / "load.csv").write_text("mw\n1\n2\n")
    text = MINIMAL.replace("annual_mwh = 1000", "profile = 'data/load.csv:mw'")
    park = load_park(write(tmp_path, text))
    assert park.load.profile.path == tmp_path / "data" / "load.csv"
    assert park.load.profile.column == "mw"


def test_with_values_revalidates():
    park = load_park(REPO / "configs" / "ordos.toml")
    cheaper = park.with_values({"pv.capex_per_kw": 2500, "targets.onsite_share": 0.9})
    assert cheaper.pv.capex_per_kw == 2500 and cheaper.targets.onsite_share == 0.9
    assert park.pv.capex_per_kw == 3000
    with pytest.raises(ConfigError, match="less than or equal to 1"):
        park.with_values({"targets.onsite_share": 1.5})
    with pytest.raises(ConfigError, match="unknown key"):
        park.with_values({"pv.bogus": 1})


def test_validated_config_is_frozen(tmp_path):
    """No assignment after validation, at the top and in a section (a change would skip the
    cross-field rules): a changed park is a re-validated copy (with_values).
    """
    from pydantic import ValidationError

    park = load_park(write(tmp_path, MINIMAL))
    with pytest.raises(ValidationError, match="frozen"):
        park.pv = park.pv  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        park.battery.energy_mwh = 10.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        park.site.latitude = 0.0  # type: ignore[misc]
    assert park.battery.energy_mwh == 0.0 and park.site.latitude == 39.6
    assert park.source == tmp_path / "park.toml"


def test_park_from_dict_rejects_non_table():
    with pytest.raises(ConfigError):
        park_from_dict([1, 2])  # type: ignore[arg-type]
