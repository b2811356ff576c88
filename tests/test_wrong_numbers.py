"""Silent wrong numbers become errors (or, where a value can occur, loud warnings).

Non-finite or absurd config numbers anywhere, vanishing loads, weather from
another site, daylight zeros, EPW header lines, partial ensemble years. (The
bad-input corpus, tests/bad_inputs/, has one CLI case per rule as well.)
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_weather_readers import ORDOS, clear_sky, read, write_csv, write_epw  # noqa: E402

from energysim.cli import main  # noqa: E402
from energysim.config import ParkConfig, park_from_dict  # noqa: E402
from energysim.errors import ConfigError, WeatherError  # noqa: E402
from energysim.weather import read_ensemble_years  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MINIMAL = {"site": {"latitude": 39.6, "longitude": 109.8}, "load": {"annual_mwh": 1e5},
           "pv": {"max_mw": 0.0}, "wind": {"max_mw": 0.0}}


def _float_fields() -> list[tuple[str, str]]:
    """Every float field of every config section (the whole schema, as it grows)."""
    out = []
    for section, info in ParkConfig.model_fields.items():
        model = typing.get_args(info.annotation) or (info.annotation,)
        model = next((m for m in model if hasattr(m, "model_fields")), None)
        if model is None:
            continue
        for name, field in model.model_fields.items():
            if float in (typing.get_args(field.annotation) or (field.annotation,)):
                out.append((section, name))
    return out


FLOAT_FIELDS = _float_fields()


def test_schema_has_float_fields_to_check():
    assert len(FLOAT_FIELDS) > 60 and ("indicators", "other_energy_tce") in FLOAT_FIELDS


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")],
                         ids=["inf", "-inf", "nan"])
def test_non_finite_numbers_are_rejected_everywhere(value):
    """inf/nan in any float field of any section: an error naming that field."""
    for section, name in FLOAT_FIELDS:
        data = {k: dict(v) for k, v in MINIMAL.items()}
        data.setdefault(section, {})[name] = value
        with pytest.raises(ConfigError) as err:
            park_from_dict(data)
        assert f"[{section}] {name}" in str(err.value), (section, name, str(err.value))


def test_inf_other_energy_no_longer_passes_the_indicators(tmp_path, capsys):
    """The issue's case: `other_energy_tce = inf` made a park 'pass'."""
    from test_cli import small_park

    cfg = small_park(tmp_path)
    cfg.write_text(cfg.read_text() + "\n[indicators]\nother_energy_tce = inf\n")
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 2
    assert "[indicators] other_energy_tce = inf: Input should be a finite number" in \
        capsys.readouterr().err


@pytest.mark.parametrize("key, value, needle", [
    ("load.annual_mwh", 1e-300, "an annual load below 1 MWh is not a park's"),
    ("load.annual_mwh", 0.5, "an annual load below 1 MWh is not a park's"),
    ("pv.capacity_mw", 1e-300, "a capacity or energy below 1e-06 MW"),
    ("battery.max_mwh", 1e-200, "a capacity or energy below 1e-06 MW"),
    ("grid.import_max_mw", 1e300, "less than or equal to 1000000000"),
])
def test_absurd_numbers_are_rejected(key, value, needle):
    section, name = key.split(".")
    data = {k: dict(v) for k, v in MINIMAL.items()}
    data.setdefault(section, {})[name] = value
    with pytest.raises(ConfigError, match=needle):
        park_from_dict(data)


def test_a_weather_ensemble_starting_mid_year_is_an_error(tmp_path):
    """Half a year would count as a weather year: the partial year is named."""
    from energysim.config import WeatherConfig

    df = clear_sky("2001-07-01", 8760 + 4416)  # 2001-07-01 .. 2002-12-31
    path = write_csv(df, tmp_path / "ensemble.csv")
    cfg = WeatherConfig(path=path, ensemble_path=path, max_fill_fraction=0.0)
    with pytest.raises(WeatherError) as err:
        read_ensemble_years(cfg, ORDOS)
    msg = str(err.value)
    assert "ensemble.csv: time = 2001: year 2001 has only 4416 of 8760 hours" in msg
    assert "2001-07-01 00:00 to 2001-12-31 23:00" in msg and "2002" not in msg.split("hours")[0]
    whole = write_csv(df.loc["2002"], tmp_path / "whole.csv")
    years = read_ensemble_years(WeatherConfig(path=whole, ensemble_path=whole), ORDOS)
    assert list(years) == [2002] and years[2002].sizes["time"] == 8760


def test_study_checks_the_ensemble_before_solving(tmp_path, capsys):
    from test_cli import small_park

    cfg = small_park(tmp_path)
    df = clear_sky("2001-07-01", 24 * 30)
    write_csv(df, tmp_path / "ens.csv")
    text = cfg.read_text().replace('timezone = "Asia', 'altitude_m = 1300\ntimezone = "Asia')
    cfg.write_text(text.replace(
        "[load]", f'[weather]\npath = "{(REPO / "weather/ordos/typical_year.csv").as_posix()}"\n'
                  'ensemble_path = "ens.csv"\n\n[load]'))
    out = tmp_path / "out"
    assert main(["study", str(cfg), "--out", str(out)]) == 2
    assert "year 2001 has only 720 of 8760 hours" in capsys.readouterr().err
    assert not out.exists()


def test_daylight_zeros_error_and_warning(tmp_path):
    """Zero GHI through daylight: an error above 2 % of daylight hours, else a loud note."""
    df = clear_sky("2001-06-01", 24 * 30)
    df.loc["2001-06-10", ["ghi", "dni", "dhi"]] = 0.0
    df.loc["2001-06-11", ["ghi", "dni", "dhi"]] = 0.0
    with pytest.raises(WeatherError, match="consecutive hours of full daylight"):
        read(write_csv(df, tmp_path / "a.csv"))
    year = clear_sky("2001-01-01", 8760)
    year.loc["2001-06-10", ["ghi", "dni", "dhi"]] = 0.0  # one day of a year: 0.3 %
    notes = read(write_csv(year, tmp_path / "b.csv")).attrs["notes"]
    assert "daylight zeros: GHI < 1 W m-2 through 12 consecutive hours" in notes
    # zeros at night, and dim (but not zero) daylight, are weather
    dim = clear_sky("2001-06-01", 24 * 30)
    dim.loc["2001-06-10", ["ghi", "dhi"]] = 15.0
    dim.loc["2001-06-10", "dni"] = 0.0
    assert "daylight zeros" not in read(write_csv(dim, tmp_path / "c.csv")).attrs["notes"]


def test_real_station_year_with_a_dark_day_is_kept_with_a_loud_warning(shared_ordos):
    ds = read(shared_ordos / "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw", "epw")
    assert "daylight zeros: GHI < 1 W m-2 through 11 consecutive hours of full daylight " \
           "(sun above 10 deg) from 2005-09-06 08:00" in ds.attrs["notes"]


@pytest.mark.parametrize("drop", [1, 3, 7], ids=["DESIGN CONDITIONS", "GROUND TEMPERATURES",
                                                 "DATA PERIODS"])
def test_epw_with_a_missing_header_line_is_an_error(tmp_path, drop):
    path = write_epw(clear_sky("2001-06-01", 72), tmp_path / "x.epw")
    lines = path.read_text().splitlines()
    name = lines[drop].split(",")[0]
    del lines[drop]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(WeatherError) as err:
        read(path, "epw")
    assert f"EPW header line {drop + 1} must start with {name!r}" in str(err.value)
    assert f"missing: {name}" in str(err.value)


def test_all_zero_load_stops_before_any_result(tmp_path, capsys):
    from test_cli import small_park

    cfg = small_park(tmp_path)
    frame = pd.read_csv(tmp_path / "cf.csv")
    frame["load"] = 0.0
    frame.to_csv(tmp_path / "cf.csv", index=False)
    out = tmp_path / "out"
    for command in ("run", "size", "profiles"):
        assert main([command, str(cfg), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "cf.csv: load = 0.0: the park load is zero in every hour" in err
        assert "Traceback" not in err and not out.exists()
    frame["load"] = np.where(np.arange(len(frame)) == 5, 1e-6, 0.0)
    frame.to_csv(tmp_path / "cf.csv", index=False)
    assert main(["run", str(cfg), "--out", str(out)]) == 2
    assert "the park load sums to" in capsys.readouterr().err
