"""Sizing for the years of life (energysim.sizing.life): a linear proxy, certified year by year.

A mix sized on year one misses its target once the battery has faded and the
load has grown; :func:`size_for_life` sizes on the last year's conditions and
its answer holds the target in every simulated year of life (the lifetime
simulation, not the proxy, is the judge).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energysim.cli import main
from energysim.config import park_from_dict
from energysim.lifetime import simulate_lifetime
from energysim.sizing import size
from energysim.sizing.life import proxy_factors, size_for_life

HOURS = 24 * 21


def _case(tmp_path, **extra):
    rng = np.random.default_rng(4)
    h = np.arange(HOURS) % 24
    day = rng.uniform(0.3, 1.0, HOURS // 24 + 1).repeat(24)[:HOURS]
    pv = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None) * day
    wind = np.clip(0.3 + 0.25 * np.sin(np.arange(HOURS) / 30.0) + rng.normal(0, 0.1, HOURS), 0, 1)
    load = 500.0 * (1 + 0.05 * rng.standard_normal(HOURS))
    csv = tmp_path / "p.csv"
    pd.DataFrame({"pv": pv, "wind": wind, "load": load}).to_csv(csv, index=False)
    data = {
        "site": {"latitude": 39.6, "longitude": 109.8},
        "load": {"profile": f"{csv}:load", "growth_pct_yr": 1.0},
        "pv": {"profile": f"{csv}:pv", "degradation_pct_yr": 0.5},
        "wind": {"profile": f"{csv}:wind"},
        "battery": {"calendar_fade_pct_yr": 2.0, "replace_at_soh": 0.75},
        "economics": {"project_life_yr": 8},
        "targets": {"onsite_share": 0.85, "clean_share": 1.0},
    }
    for k, v in extra.items():
        data[k] = {**data.get(k, {}), **v}
    park = park_from_dict(data)
    time = pd.date_range("2001-04-01", periods=HOURS, freq="h")
    prof = xr.Dataset({"pv_pu": ("time", pv), "wind_pu": ("time", wind), "load": ("time", load)},
                      coords={"time": time})
    return park, prof


def test_year_one_mix_fades_and_the_life_mix_holds(tmp_path):
    park, prof = _case(tmp_path)
    one = size(park, prof)
    later = simulate_lifetime(park, one.capacities, profiles=[prof]).table["onsite_share"]
    assert later.iloc[0] >= 0.85 - 1e-6 and later.min() < 0.85 - 1e-3  # fades below target
    life = size_for_life(park, prof)
    shares = life.life.table["onsite_share"]
    assert len(shares) == 8 and shares.min() >= 0.85 - 1e-6
    a = life.answer()
    assert a["years_meeting_target"] == 8 and a["rounds"] == len(a["proxy_targets"]) >= 1
    # the proxy: PV after 7 years at 0.5 %/yr, load grown 7 years at 1 %/yr, battery at 75 %
    f = proxy_factors(park)
    assert f["pv"] == pytest.approx(0.995**7) and f["load"] == pytest.approx(1.01**7)
    assert f["battery_soh"] == 0.75
    assert life.sizing.annualized_cost > one.annualized_cost  # holding the target costs more


def test_no_fade_the_proxy_is_year_one(tmp_path):
    park, prof = _case(tmp_path, battery={"degradation": "none", "calendar_fade_pct_yr": 0.0},
                       pv={"degradation_pct_yr": 0.0}, load={"growth_pct_yr": 0.0})
    one = size(park, prof)
    life = size_for_life(park, prof)
    assert life.sizing.annualized_cost == pytest.approx(one.annualized_cost, rel=1e-9)
    assert life.life.table["onsite_share"].min() == pytest.approx(one.sim_onsite_share, abs=1e-9)


def test_cli_size_lifetime_writes_the_years(tmp_path, capsys):
    park, prof = _case(tmp_path)
    toml = tmp_path / "park.toml"
    toml.write_text(f"""
[site]
latitude = 39.6
longitude = 109.8
[load]
profile = "{tmp_path / 'p.csv'}:load"
growth_pct_yr = 1.0
[pv]
profile = "{tmp_path / 'p.csv'}:pv"
degradation_pct_yr = 0.5
[wind]
profile = "{tmp_path / 'p.csv'}:wind"
[battery]
calendar_fade_pct_yr = 2.0
replace_at_soh = 0.75
[economics]
project_life_yr = 8
[targets]
onsite_share = 0.85
""")
    assert main(["size", str(toml), "--lifetime", "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "lifetime.csv")
    assert len(table) == 8 and table["onsite_share"].min() >= 0.85 - 1e-6
    assert "of life" in capsys.readouterr().out
