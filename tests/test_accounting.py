"""KPIs on hand-computable parks: each expected number is worked out in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energysim import accounting
from energysim.config import Capacities, park_from_dict
from energysim.economics import asset_costs, capital_recovery_factor

FLOW_NAMES = ("pv", "wind", "import_green", "import_regular", "export", "charge",
              "discharge", "curtail", "unmet", "soc", "load", "onsite_served")


def park(**sections):
    data = {
        "site": {"latitude": 39.6, "longitude": 109.8, "timezone": "Asia/Shanghai"},
        "load": {"annual_mwh": 1000},
        "pv": {"max_mw": 0},
        "wind": {"max_mw": 0},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return park_from_dict(data)


def make(hours: int, price=400.0, ef=0.5, **flows) -> tuple[xr.Dataset, xr.Dataset]:
    time = pd.date_range("2001-01-01", periods=hours, freq="h")
    data = {n: ("time", np.asarray(flows.get(n, np.zeros(hours)), dtype=float)) for n in FLOW_NAMES}
    fl = xr.Dataset(data, coords={"time": time})
    prof = xr.Dataset(
        {
            "import_price_per_mwh": ("time", np.full(hours, price)),
            "emission_factor_t_per_mwh": ("time", np.full(hours, ef)),
        },
        coords={"time": time},
    )
    return fl, prof


def test_two_hour_park_scaled_to_a_year():
    # hour 1: load 10, PV 12 -> 10 served, 2 charged; hour 2: load 10, battery gives 1.8, grid 8.2
    fl, prof = make(
        2,
        load=[10, 10], pv=[12, 0], charge=[2, 0], discharge=[0, 1.8],
        import_green=[0, 8.2], onsite_served=[10, 1.8], soc=[2, 0],
    )
    caps = Capacities(pv_mw=20, battery_mwh=2, battery_mw=2)
    p = park(grid={"green_premium_per_mwh": 30.0})
    k = accounting.kpis(fl, prof, p, caps)
    scale = 8760 / 2
    assert k["load_mwh"] == pytest.approx(20 * scale)
    assert k["onsite_share"] == pytest.approx(11.8 / 20)
    assert k["green_import_share"] == pytest.approx(8.2 / 20)
    assert k["regular_import_share"] == 0
    assert k["clean_share"] == pytest.approx(1.0)
    assert k["import_cost"] == pytest.approx(8.2 * 400 * scale)
    assert k["green_premium_cost"] == pytest.approx(8.2 * 30 * scale)
    assert k["battery_throughput_mwh"] == pytest.approx(1.8 * scale)
    assert k["battery_cycles"] == pytest.approx(1.8 * scale / 2)
    assert k["pv_full_load_hours"] == pytest.approx(12 * scale / 20)
    # shares sum to one with unmet
    total = (k["onsite_share"] + k["green_import_share"] + k["regular_import_share"]
             + k["unmet_share"])
    assert total == pytest.approx(1.0)


def test_no_battery_park_with_curtailment():
    fl, prof = make(
        4,
        load=[5, 5, 5, 5], wind=[8, 2, 0, 5], curtail=[3, 0, 0, 0],
        import_regular=[0, 3, 5, 0], onsite_served=[5, 2, 0, 5],
    )
    k = accounting.kpis(fl, prof, park(), Capacities(wind_mw=10))
    assert k["onsite_share"] == pytest.approx(12 / 20)
    assert k["regular_import_share"] == pytest.approx(8 / 20)
    assert k["curtailment_share"] == pytest.approx(3 / 15)
    assert k["co2_t"] == pytest.approx(8 * 0.5 * 8760 / 4)
    assert k["co2_avoided_t"] == pytest.approx((20 - 8) * 0.5 * 8760 / 4)
    assert k["wind_full_load_hours"] == pytest.approx(15 * 8760 / 4 / 10)


def test_all_grid_park_costs_and_emissions():
    fl, prof = make(8760, price=400.0, ef=0.5856, load=np.full(8760, 2.0),
                    import_regular=np.full(8760, 2.0))
    p = park()
    k = accounting.kpis(fl, prof, p, Capacities())
    assert k["onsite_share"] == 0 and k["clean_share"] == 0
    assert k["regular_import_share"] == pytest.approx(1.0)
    assert k["annualized_cost"] == pytest.approx(2 * 8760 * 400)
    assert k["lcoe_per_mwh"] == pytest.approx(400)
    assert k["co2_t"] == pytest.approx(2 * 8760 * 0.5856)
    assert k["cfe_hourly_score"] == 0
    # NPC = annualised cost x annuity factor (HOMER); 6 %, 25 yr -> 12.7834
    assert k["npc"] == pytest.approx(2 * 8760 * 400 / capital_recovery_factor(0.06, 25))
    assert 1 / capital_recovery_factor(0.06, 25) == pytest.approx(12.783356, rel=1e-6)


def test_park_with_exports_earns_revenue():
    fl, prof = make(2, load=[1, 1], pv=[4, 0], export=[3, 0], import_regular=[0, 1],
                    onsite_served=[1, 0])
    p = park(grid={"export_price_per_mwh": 100.0, "export_max_mw": 10})
    k = accounting.kpis(fl, prof, p, Capacities(pv_mw=5))
    assert k["export_mwh"] == pytest.approx(3 * 4380)
    assert k["export_revenue"] == pytest.approx(3 * 4380 * 100)
    costs = asset_costs(p)
    expected = 5 * costs.pv_annual_per_mw + 1 * 4380 * 400 - 3 * 4380 * 100
    assert k["annualized_cost"] == pytest.approx(expected)


def test_hourly_matching_is_stricter_than_annual():
    # green volume bought = 10 MWh over 2 h, but all needed in hour 2
    fl, prof = make(2, load=[10, 10], pv=[10, 0], onsite_served=[10, 0], import_green=[0, 10])
    annual = accounting.kpis(fl, prof, park(), Capacities(pv_mw=10))
    assert annual["clean_share"] == pytest.approx(1.0)
    # flat block of 5 MW per hour: hour 1 covered (10+5 >= 10), hour 2 only 5 of 10
    assert annual["cfe_hourly_score"] == pytest.approx(15 / 20)
    assert annual["cfe_hours_share"] == pytest.approx(0.5)
    hourly = accounting.kpis(fl, prof, park(grid={"green_matching": "hourly"}),
                             Capacities(pv_mw=10))
    assert hourly["cfe_hourly_score"] == pytest.approx(1.0)


def test_zero_carbon_indicator_worked_example():
    """Worked example of the core indicator (发改环资〔2025〕910号).

    A park using 10 TWh/yr of electricity, 80 % on-site, 15 % green, 5 % regular
    at 0.5856 t/MWh:
      energy use   = 10e6 MWh x 0.1229 tce/MWh = 1.229 Mtce  (>= 1 Mtce: threshold 0.3)
      CO2          = 0.5e6 MWh x 0.5856 t/MWh  = 292 800 t
      indicator    = 292 800 / 1 229 000       = 0.23825 tCO2/tce  -> pass (<= 0.3)
      clean share  = 95 % -> pass (>= 90 %)
    With the coal-consumption method (0.3 kgce/kWh) energy use is 3 Mtce and the
    indicator 0.0976.
    """
    n = 8760
    load = np.full(n, 10e6 / n)
    fl, prof = make(n, ef=0.5856, load=load, onsite_served=0.80 * load,
                    import_green=0.15 * load, import_regular=0.05 * load, pv=0.8 * load)
    k = accounting.kpis(fl, prof, park(), Capacities(pv_mw=1))
    assert k["energy_use_tce"] == pytest.approx(1.229e6)
    assert k["co2_t"] == pytest.approx(292_800)
    assert k["co2_per_tce"] == pytest.approx(292_800 / 1.229e6)
    core, clean = k["indicators"]
    assert core["threshold"] == 0.3 and core["passed"]
    assert clean["value"] == pytest.approx(0.95) and clean["passed"]
    coal = accounting.kpis(fl, prof, park(indicators={"electricity_to_coal": "coal_consumption"}),
                           Capacities(pv_mw=1))
    assert coal["co2_per_tce"] == pytest.approx(292_800 / 3e6)
    # counting green imports at the grid factor instead makes the park fail
    strict = accounting.kpis(fl, prof, park(indicators={"green_import_counts_zero_carbon": False}),
                             Capacities(pv_mw=1))
    assert strict["co2_per_tce"] == pytest.approx((0.2 * 10e6 * 0.5856) / 1.229e6)
    assert not strict["indicators"][0]["passed"]


def test_crf_reference_value():
    # NREL/TP-462-5173 eq. 4-3: r = 10 %, n = 20 yr -> 0.11746
    assert capital_recovery_factor(0.10, 20) == pytest.approx(0.117460, rel=1e-5)
    assert capital_recovery_factor(0.0, 25) == pytest.approx(1 / 25)


def test_half_hour_steps_give_the_hourly_totals():
    """One time axis (issue 17): the same run at 0.5-h steps (every hour twice) has the
    annual energies, costs, emissions and shares of the hourly run, to rounding.
    """
    hourly, prof_h = make(
        2, load=[10, 10], pv=[12, 0], charge=[2, 0], discharge=[0, 1.8],
        import_green=[0, 6.2], import_regular=[0, 2.0], onsite_served=[10, 1.8], soc=[2, 0])
    half_flows = {n: np.repeat(hourly[n].values, 2) for n in FLOW_NAMES}
    half, prof_half = make(4, **half_flows)
    half = half.assign_coords(time=pd.date_range("2001-01-01", periods=4, freq="30min"))
    prof_half = prof_half.assign_coords(time=half["time"])
    half.attrs["dt_h"] = prof_half.attrs["dt_h"] = 0.5
    caps = Capacities(pv_mw=20, battery_mwh=2, battery_mw=2)
    p = park(grid={"green_premium_per_mwh": 30.0})
    a = accounting.kpis(hourly, prof_h, p, caps)
    b = accounting.kpis(half, prof_half, p, caps)
    for key in ("load_mwh", "pv_mwh", "import_green_mwh", "import_regular_mwh", "import_cost",
                "co2_t", "annualized_cost", "onsite_share", "clean_share",
                "battery_throughput_mwh", "certificates_mwh"):
        assert b[key] == pytest.approx(a[key], rel=1e-12), key
    assert a["load_mwh"] == pytest.approx(20 * 8760 / 2)
