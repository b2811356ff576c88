"""Defaults that must fit the user's site: PV orientation of `init`, the currency of prices,
what the assumptions table credits, the sizing bounds note and the frontier's marginal unit.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import small_park  # noqa: E402

from energysim.cli import main, starter_pv_orientation  # noqa: E402
from energysim.config import assumptions, load_park, park_from_dict  # noqa: E402
from energysim.errors import ConfigError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _init(tmp_path: Path, *args: str) -> dict:
    assert main(["init", str(tmp_path / "site"), *args]) == 0
    return tomllib.loads((tmp_path / "site" / "park.toml").read_text())


def test_init_faces_pv_to_the_equator(tmp_path):
    south = _init(tmp_path / "s", "--latitude", "-33.9", "--longitude", "151.2",
                  "--timezone", "Australia/Sydney", "--altitude-m", "40")
    assert south["pv"]["azimuth_deg"] == 0 and south["pv"]["tilt_deg"] == 29
    north = _init(tmp_path / "n")
    assert north["pv"]["azimuth_deg"] == 180 and north["pv"]["tilt_deg"] == 31
    equator = _init(tmp_path / "e", "--latitude", "0.5", "--longitude", "-78.5",
                    "--timezone", "America/Guayaquil")
    assert equator["pv"]["tilt_deg"] <= 3


def _annual_poa(latitude: float, tilt: float, azimuth: float) -> float:
    """Annual plane-of-array irradiation under a clear sky (pvlib Ineichen, isotropic) [kWh/m2]."""
    times = pd.date_range("2001-01-01 00:30", periods=8760, freq="h", tz="UTC")
    loc = pvlib.location.Location(latitude, 0.0)
    sun = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, solar_position=sun)
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, sun["apparent_zenith"],
                                                sun["azimuth"], cs["dni"], cs["ghi"], cs["dhi"])
    return float(poa["poa_global"].clip(lower=0).sum()) / 1000


@pytest.mark.parametrize("latitude", [-33.9, 39.6])
def test_init_orientation_is_near_the_best_fixed_tilt(latitude):
    """Within 3 % of the best tilt's clear-sky irradiation; the other azimuth loses > 15 %."""
    tilt, azimuth = starter_pv_orientation(latitude)
    ours = _annual_poa(latitude, tilt, azimuth)
    best = max(_annual_poa(latitude, t, azimuth) for t in range(0, 65, 5))
    assert ours >= 0.97 * best
    assert _annual_poa(latitude, tilt, 180 - azimuth) < 0.85 * ours


def _usd(**extra_grid) -> dict:
    grid = {"emission_factor_t_per_mwh": 0.4, **extra_grid}
    return {"site": {"latitude": 39.6, "longitude": 109.8}, "load": {"annual_mwh": 1e5},
            "pv": {"profile": None, "max_mw": 0.0},
            "wind": {"max_mw": 0.0}, "battery": {"max_mwh": 100.0}, "grid": grid,
            "economics": {"currency": "USD"}}


def test_other_currency_needs_every_price():
    with pytest.raises(ConfigError) as err:
        park_from_dict(_usd())
    msg = str(err.value)
    assert "[economics] currency = 'USD'" in msg and "default prices are in CNY" in msg
    assert "missing battery.capex_per_kwh, battery.capex_per_kw, grid.import_price_per_mwh, " \
           "grid.green_premium_per_mwh" in msg
    assert "pv." not in msg  # PV and wind cannot be built here (max_mw = 0): no price needed
    data = _usd(import_price_per_mwh=60.0, green_premium_per_mwh=2.0)
    data["battery"].update(capex_per_kwh=300.0, capex_per_kw=60.0)
    park = park_from_dict(data)
    basis = {key: src for key, _, src in assumptions(park)}
    assert basis["grid.import_price_per_mwh"] == basis["battery.capex_per_kwh"] == "config"
    assert basis["pv.capex_per_kw"] == "config"  # a CNY default must not be credited in USD


def test_assumptions_credit_sources_only_for_sourced_values():
    park = load_park(REPO / "configs" / "ordos.toml")
    basis = {key: src for key, _, src in assumptions(park)}
    assert "SMM/Polaris" in basis["pv.capex_per_kw"]
    assert "CREEI" in basis["wind.capex_per_kw"]
    # issue 14: the Ordos default is the 2023 factor excluding market-traded non-fossil power
    assert basis["grid.emission_factor_t_per_mwh"].startswith("MEE/NBS 2023")
    assert basis["grid.import_price_per_mwh"].startswith("assumption")
    assert basis["pv.fixed_om_per_kw_yr"].startswith("assumption")
    assert basis["site.latitude/longitude"].startswith("assumption")
    changed = park.with_values({"pv.capex_per_kw": 2500.0,
                                "grid.emission_factor_t_per_mwh": 0.6096})
    basis = {key: src for key, _, src in assumptions(changed)}
    assert basis["pv.capex_per_kw"] == "config"
    assert basis["grid.emission_factor_t_per_mwh"].startswith("MEE/NBS 2023")
    for _, _, src in assumptions(changed):
        assert "to confirm" not in src and "FACTS.md" not in src


def test_no_to_confirm_reaches_a_user():
    """No '(to confirm)' in the package: every number is sourced, an assumption, or config."""
    hits = [str(p.relative_to(REPO)) for p in (REPO / "energysim").rglob("*.py")
            if "to confirm" in p.read_text(encoding="utf-8")]
    assert hits == []


def test_size_says_a_zero_battery_is_not_a_bound(tmp_path, capsys):
    cfg = small_park(tmp_path)
    cfg.write_text(cfg.read_text().replace("energy_mwh = 100", "energy_mwh = 0")
                   .replace("power_mw = 25", "power_mw = 0"))
    assert main(["size", str(cfg), "--onsite-share", "0.5", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert ("[battery] energy_mwh = 0 is the value `run` simulates, not a bound"
            in " ".join(out.split()))
    assert "set max_mwh = 0 to size without it" in " ".join(out.split())
    cfg.write_text(cfg.read_text().replace("power_mw = 0", "power_mw = 0\nmax_mwh = 0\nmax_mw = 0"))
    assert main(["size", str(cfg), "--onsite-share", "0.5", "--out", str(tmp_path / "o")]) == 0
    assert "energy_mwh = 0 is the value" not in capsys.readouterr().out


def test_frontier_marginal_is_per_percentage_point(tmp_path):
    """The column says M money/yr for one more point of share and shows that number: the LP's
    marginal (money/yr per unit share) / 100 / 1e6, bracketing the cost curve's slope.
    """
    from rich.console import Console

    from energysim.cli import frontier_table

    cfg = small_park(tmp_path)
    out = tmp_path / "f"
    # the two-week park reaches 99 % at least cost: the marginals live above it
    assert main(["frontier", str(cfg), "--shares", "0.992,0.994,0.996,0.998",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out / "frontier.csv")
    console = Console(width=200, record=True)
    console.print(frontier_table(table, "CNY", "t"))
    text = console.export_text()
    assert "+1 pt MCNY/yr" in text
    assert "+1 pt: marginal cost of one more percentage point of on-site share" in text
    rows = [line for line in text.splitlines() if re.match(r"^│\s+\d\d\.\d %", line)]
    shown = np.array([float(r.split("│")[-2].replace(",", "")) for r in rows])
    marg = table["marginal_cost_of_share"].to_numpy() / 1e8
    assert (marg > 0.01).any()  # the test sees real marginals, not zeros
    np.testing.assert_allclose(shown, marg, atol=0.006)
    slope = np.diff(table["annualized_cost"]) / np.diff(100 * table["share"]) / 1e6  # per pt
    assert np.all(marg[:-1] <= slope * (1 + 1e-6) + 1e-9)
    assert np.all(slope <= marg[1:] * (1 + 1e-6) + 1e-9)
