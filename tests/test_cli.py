"""The CLI end to end: exit codes, messages, and files written (or not) by `energysim`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energysim.cli import main

HOURS = 24 * 14


def small_park(tmp_path: Path, **extra: str) -> Path:
    """A two-week park from ready profiles (no weather model needed)."""
    rng = np.random.default_rng(1)
    hour = np.arange(HOURS) % 24
    pv = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 0.8
    wind = np.clip(rng.weibull(2.0, HOURS) * 0.35, 0, 1)
    pd.DataFrame({"pv": pv, "wind": wind, "load": 50 + 5 * rng.standard_normal(HOURS)}).to_csv(
        tmp_path / "cf.csv", index=False
    )
    text = f"""
[site]
name = "Two-week <test> park"
latitude = 39.6
longitude = 109.8
timezone = "Asia/Shanghai"

[load]
profile = "cf.csv:load"

[pv]
capacity_mw = 60
profile = "cf.csv:pv"

[wind]
capacity_mw = 40
profile = "cf.csv:wind"

[battery]
energy_mwh = 100
power_mw = 25
{extra.get("battery", "")}
"""
    path = tmp_path / "park.toml"
    path.write_text(text)
    return path


def test_run_writes_summary_and_flows(tmp_path, capsys):
    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("onsite_share", "green_import_share", "regular_import_share", "clean_share",
                "curtailment_share", "unmet_share", "load_mwh", "pv_mwh", "wind_mwh",
                "annualized_cost", "co2_t", "co2_per_tce", "cfe_hourly_score", "npc",
                "lcoe_per_mwh", "indicators"):
        assert key in summary, key
    total = (summary["onsite_share"] + summary["green_import_share"]
             + summary["regular_import_share"] + summary["unmet_share"])
    assert total == pytest.approx(1.0)
    flows = xr.load_dataset(out / "flows.nc", engine="h5netcdf")
    assert flows.sizes["time"] == HOURS
    assert flows["import_green"].attrs["units"] == "MW"
    text = capsys.readouterr().out
    assert "on-site share" in text and "annualised cost" in text


def test_run_is_deterministic(tmp_path):
    cfg = small_park(tmp_path)
    assert main(["run", str(cfg), "--out", str(tmp_path / "a")]) == 0
    assert main(["run", str(cfg), "--out", str(tmp_path / "b")]) == 0
    summary = "summary.json"
    assert (tmp_path / "a" / summary).read_bytes() == (tmp_path / "b" / summary).read_bytes()


def test_bad_config_exits_2_with_message_and_writes_nothing(tmp_path, capsys):
    cfg = small_park(tmp_path, battery="roundtrip_efficiency = 1.4")
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[battery] roundtrip_efficiency = 1.4" in err
    assert "less than or equal to 1" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_config_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_broken_profile_exits_2(tmp_path, capsys):
    cfg = small_park(tmp_path)
    frame = pd.read_csv(tmp_path / "cf.csv")
    frame.loc[5, "pv"] = 80.0  # capacity factor given in percent
    frame.to_csv(tmp_path / "cf.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cf.csv: pv = 80.0" in err and "per-unit" in err
    assert not out.exists()


def test_profiles_command(tmp_path):
    cfg = small_park(tmp_path)
    assert main(["profiles", str(cfg), "--out", str(tmp_path / "p")]) == 0
    frame = pd.read_csv(tmp_path / "p" / "profiles.csv")
    assert list(frame.columns) == ["time", "pv_pu", "wind_pu", "load_mw"]
    assert len(frame) == HOURS


def test_console_script_help_and_version():
    exe = Path(sys.executable).parent / "energysim"
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "run" in done.stdout and "profiles" in done.stdout
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "energysim" in done.stdout
    done = subprocess.run([str(exe), "run"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_run_writes_tables_on_request(tmp_path):
    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--table", "csv", "--table", "parquet"]) == 0
    flows = xr.load_dataset(out / "flows.nc", engine="h5netcdf")
    csv = pd.read_csv(out / "flows.csv", index_col=0)
    parquet = pd.read_parquet(out / "flows.parquet")
    assert len(csv) == len(parquet) == HOURS
    np.testing.assert_allclose(csv["import_green [MW]"], flows["import_green"], rtol=1e-8)
    np.testing.assert_array_equal(parquet["soc [MWh]"], flows["soc"])


def test_unknown_table_format_exits_2_and_writes_nothing(tmp_path, capsys):
    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--table", "xlsx"]) == 2
    assert "table formats are csv, parquet" in capsys.readouterr().err
    assert not out.exists()


def test_study_answers_the_flagship_questions(tmp_path, capsys):
    """Study = configured run + least-cost mix for the target + frontier, one table."""
    cfg = small_park(tmp_path)
    out = tmp_path / "study"
    assert main(["study", str(cfg), "--shares", "0.5,0.7,0.8", "--out", str(out)]) == 0
    answer = json.loads((out / "study.json").read_text())
    sizing = json.loads((out / "sizing.json").read_text())
    frontier = pd.read_csv(out / "frontier.csv")
    assert sizing["kpis"]["onsite_share"] >= 0.8 - 1e-6  # the sized kit meets the target
    # one sizing.json layout for `size` and `study`: LP and re-simulated shares side by side
    assert sizing["sim_onsite_share"] == pytest.approx(sizing["kpis"]["onsite_share"], abs=1e-12)
    assert sizing["lp_onsite_share"] == pytest.approx(sizing["sim_onsite_share"], abs=1e-6)
    assert "highs_version" in sizing["solver"]
    assert list(frontier["share"]) == [0.5, 0.7, 0.8]
    assert frontier["annualized_cost"].is_monotonic_increasing
    assert frontier.loc[frontier["is_target"], "share"].tolist() == [0.8]
    # the least-cost point at the target is the sized system
    assert frontier.loc[2, "annualized_cost"] == pytest.approx(sizing["annualized_cost"], rel=1e-6)
    assert answer["configured"]["onsite_share"] == pytest.approx(
        json.loads((out / "summary.json").read_text())["onsite_share"])
    text = capsys.readouterr().out
    assert "least-cost mix for 80.0 %" in text and "assumptions (config key, value, source)" in text


def weather_park(tmp_path: Path, weather: str, extra: str = "", *, latitude: float = 39.6,
                 altitude: str = "altitude_m = 1300") -> Path:
    """A PV-only park on a weather file (``[weather] path = weather``, plus ``extra`` keys)."""
    cfg = tmp_path / "park.toml"
    cfg.write_text(f"""
[site]
name = "a PV park on its weather file"
latitude = {latitude}
longitude = 109.8
{altitude}
timezone = "Asia/Shanghai"

[weather]
path = "{weather}"
{extra}

[load]
annual_mwh = 100_000

[pv]
capacity_mw = 20

[wind]
capacity_mw = 0
max_mw = 0
""")
    return cfg


def _far_site(tmp_path: Path, allow: bool) -> Path:
    """A site 3.4 deg north of the shipped Ordos weather (and 1300 m lower)."""
    weather = Path(__file__).resolve().parents[1] / "weather" / "ordos" / "typical_year.csv"
    return weather_park(tmp_path, weather.as_posix(), "allow_site_mismatch = true" if allow else "",
                        latitude=43.0, altitude="")


def test_weather_site_mismatch_is_an_error(tmp_path, capsys):
    """A weather file from elsewhere stops the run (exit 2, nothing written) by default."""
    out = tmp_path / "out"
    assert main(["run", str(_far_site(tmp_path, allow=False)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "site mismatch: weather data at 39.60 N, 109.80 E, [site] at 43.00 N" in err
    assert "allow_site_mismatch = true" in err and "Traceback" not in err
    assert not out.exists()


def test_weather_site_mismatch_is_reported(tmp_path, capsys):
    """Allowed by [weather] allow_site_mismatch, a weather file from elsewhere runs, but the
    run and its report say so loudly (not silently).
    """
    out = tmp_path / "out"
    assert main(["run", str(_far_site(tmp_path, allow=True)), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "WARNING weather site mismatch" in err and "43.00 N" in err
    summary = json.loads((out / "summary.json").read_text())
    assert "site mismatch" in summary["provenance"]["weather_notes"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<div class="warnings"><p>WARNING weather site mismatch: weather data at 39.60 N' in html


def test_result_files_are_ordinary_readable_files(tmp_path):
    """Atomic writes go through mkstemp (0600); the result must get the usual umask mode."""
    import os

    cfg = small_park(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    mask = os.umask(0)
    os.umask(mask)
    for name in ("summary.json", "flows.nc"):
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
    assert not list(out.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("command", ["run", "profiles", "size", "frontier", "study", "sweep",
                                     "pathway", "report", "init"])
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage" in text
    if command in ("run", "size", "frontier", "study"):
        assert "(default: out/" in text  # rich markup must not eat bracketed help
