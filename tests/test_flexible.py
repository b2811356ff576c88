"""Flexible demand (#19): electrolyser + hydrogen store (+ fuel cell), shiftable, curtailable load.

What is pinned here:

- config: the sections, their cross-field rules and the errors naming the field;
- zero flexible capacity: every result (simulation, sizing, frontier) equals
  the result without the sections, to 1e-12 (in fact bit for bit);
- the rule-based core: the hydrogen mass balance closes every hour to 1e-9,
  the store stays within bounds, the energy balance holds, each day's shiftable
  energy is conserved within the window (hypothesis, like the battery);
- a hand-computed 24-hour shiftable-load case (rules hour by hour, LP optimum);
- the rules are exact (equal to the optimal dispatch) for an electrolyser and
  store without battery under a flat price; sizing re-simulates with the
  optimal dispatch and agrees with its LP; robust sizing (decomposition =
  monolithic) with flexible demand;
- green hydrogen and its carbon intensity against T/CAB 0078-2020.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energysim import simulate
from energysim.config import Capacities, park_from_dict
from energysim.dispatch import dispatch
from energysim.errors import ConfigError
from energysim.sizing import size
from energysim.sizing.flexible import resimulate
from energysim.sizing.outputs import onsite_share

BALANCE_RTOL = 1e-9


def profiles_of(pv, wind, load) -> xr.Dataset:
    n = len(load)
    return xr.Dataset({"pv_pu": ("time", np.asarray(pv, float)),
                       "wind_pu": ("time", np.asarray(wind, float)),
                       "load": ("time", np.asarray(load, float))},
                      coords={"time": pd.date_range("2001-03-01", periods=n, freq="h")})


def random_profiles(seed: int, days: int, mean_load: float = 100.0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    n = 24 * days
    h = np.arange(n) % 24
    pv = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None) * rng.uniform(0.3, 1, days).repeat(24)
    wind = np.clip(0.3 + 0.25 * np.sin(np.arange(n) / rng.uniform(10, 40))
                   + rng.normal(0, 0.1, n), 0, 1)
    load = mean_load * (1 + 0.08 * rng.standard_normal(n))
    return profiles_of(pv, wind, load)


def park_of(tmp_path, prof: xr.Dataset, **sections):
    """A park reading ``prof`` from CSV, with extra config sections (merged into defaults)."""
    csv = tmp_path / f"p{abs(hash(tuple(sorted(sections)))) % 10**8}.csv"
    pd.DataFrame({"pv": prof["pv_pu"].values, "wind": prof["wind_pu"].values,
                  "load": prof["load"].values}).to_csv(csv, index=False)
    data = {"site": {"latitude": 39.6, "longitude": 109.8},
            "load": {"profile": f"{csv}:load"}, "pv": {"profile": f"{csv}:pv"},
            "wind": {"profile": f"{csv}:wind"}}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return park_from_dict(data)


H2 = {"electrolyser": {}, "hydrogen": {"demand_kg_per_day": 20_000}}


# ---------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sections, field", [
    ({"electrolyser": {}}, "[electrolyser] and [hydrogen] go together"),
    ({"electrolyser": {}, "hydrogen": {"demand_kg_per_day": 1.0, "demand_profile": "x.csv:h2"}},
     "demand_profile"),
    ({"electrolyser": {"efficiency_lhv": 0.6, "specific_consumption_kwh_per_kg": 50},
      "hydrogen": {}}, "not both"),
    ({"load": {"flexible": {"share": 0.7, "curtailable_share": 0.4,
                            "curtail_penalty_per_mwh": 1}}}, "must not exceed 1"),
    ({"load": {"flexible": {"curtailable_share": 0.1}}}, "curtail_penalty_per_mwh"),
    ({"load": {"flexible": {"window_h": 30}}}, "window_h"),
    ({"hydrogen": {"max_kg": 1, "min_kg": 2}, "electrolyser": {}}, "min_kg"),
])
def test_config_errors_name_the_rule(tmp_path, sections, field):
    with pytest.raises(ConfigError) as err:
        park_of(tmp_path, random_profiles(0, 2), **sections)
    assert field in str(err.value)


def test_specific_consumption_and_efficiency(tmp_path):
    prof = random_profiles(0, 2)
    assert park_of(tmp_path, prof, **H2).electrolyser.kwh_per_kg == 53.0  # the default
    park = park_of(tmp_path, prof, electrolyser={"efficiency_lhv": 0.7}, hydrogen={})
    assert park.electrolyser.kwh_per_kg == pytest.approx(120 / 3.6 / 0.7)


def test_shiftable_power_below_its_peak_is_an_error(tmp_path):
    prof = random_profiles(0, 2)
    park = park_of(tmp_path, prof, load={"flexible": {"share": 0.5, "window_h": 2, "max_mw": 10}})
    with pytest.raises(ConfigError) as err:
        simulate(park, Capacities(pv_mw=50), prof)
    assert "load.flexible.max_mw" in str(err.value)


def test_lifetime_and_simulate_sweeps_refuse_flexible_demand(tmp_path):
    from energysim.lifetime import simulate_lifetime

    prof = random_profiles(0, 2)
    park = park_of(tmp_path, prof, **H2)
    with pytest.raises(ConfigError) as err:
        simulate_lifetime(park, profiles=[prof])
    assert "flexible demand" in str(err.value)


# ---------------------------------------------------------------------------
# zero flexible capacity: today's results
# ---------------------------------------------------------------------------

ZERO = {"electrolyser": {"max_mw": 0.0}, "hydrogen": {},
        "load": {"flexible": {"share": 0.0, "window_h": 0}}}


def _same(a, b, path=""):
    """Equal numbers to 1e-12 (relative), recursively through dicts and lists."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert ((math.isnan(a) and math.isnan(b))
                or a == pytest.approx(b, rel=1e-12, abs=1e-12)), path
    else:
        assert a == b, path


def test_zero_flexible_capacity_equals_todays_results(tmp_path):
    prof = random_profiles(3, 14)
    today = park_of(tmp_path, prof, targets={"onsite_share": 0.8})
    zero = park_of(tmp_path, prof, targets={"onsite_share": 0.8}, **ZERO)
    caps = Capacities(pv_mw=120, wind_mw=150, battery_mwh=80, battery_mw=30)
    a, b = simulate(today, caps, prof), simulate(zero, caps, prof)
    _same(a.kpis, b.kpis)
    xr.testing.assert_identical(a.flows, b.flows)
    assert a.summary()["assumptions"] == b.summary()["assumptions"]
    sa, sb = size(today, prof), size(zero, prof)
    assert sa.capacities == sb.capacities
    _same(sa.annualized_cost, sb.annualized_cost)
    _same(sa.objective_terms, sb.objective_terms)
    xr.testing.assert_identical(sa.flows, sb.flows)
    from energysim.sizing import frontier

    pd.testing.assert_frame_equal(frontier(today, prof, [0.6, 0.8]).drop(columns="solve_s"),
                                  frontier(zero, prof, [0.6, 0.8]).drop(columns="solve_s"))


# ---------------------------------------------------------------------------
# the rule-based core: balances, bounds, conservation (hypothesis)
# ---------------------------------------------------------------------------


@st.composite
def flexible_instances(draw):
    days = draw(st.integers(2, 4))
    seed = draw(st.integers(0, 10_000))
    h2 = draw(st.booleans())
    shift = draw(st.booleans())
    sections = {}
    caps = {"pv_mw": draw(st.floats(0, 400)), "wind_mw": draw(st.floats(0, 300))}
    if draw(st.booleans()):
        caps.update(battery_mwh=draw(st.floats(1, 300)), battery_mw=draw(st.floats(1, 100)))
        sections["battery"] = {"roundtrip_efficiency": draw(st.floats(0.7, 1.0)),
                               "self_discharge_per_h": draw(st.floats(0, 1e-3))}
    if h2 or not shift:
        fc = draw(st.booleans())
        sections["electrolyser"] = {"min_load_fraction": draw(st.floats(0, 0.5))}
        sections["hydrogen"] = {
            "demand_kg_per_day": draw(st.floats(0, 40_000)),
            "cyclic": draw(st.booleans()),
            "storage_initial_fraction": draw(st.floats(0, 1)),
            **({"sale_price_per_kg": draw(st.floats(0, 40)),
                "sale_max_kg_per_day": draw(st.one_of(st.none(), st.floats(1, 50_000)))}
               if draw(st.booleans()) else {}),
            **({"fuel_cell_max_mw": 100.0, "fuel_cell_reserve_h": draw(st.floats(0, 48))}
               if fc else {})}
        caps.update(electrolyser_mw=draw(st.floats(0, 200)),
                    hydrogen_storage_kg=draw(st.floats(0, 1e5)),
                    fuel_cell_mw=draw(st.floats(0, 50)) if fc else 0.0)
    if shift:
        curtail = draw(st.floats(0, 0.3))
        sections["load"] = {"flexible": {
            "share": draw(st.floats(0.01, 0.6)), "window_h": draw(st.integers(1, 8)),
            "curtailable_share": curtail, "curtail_penalty_per_mwh": draw(st.floats(0, 900)),
            **({"max_mw": 200.0} if draw(st.booleans()) else {})}}
    grid = {"import_price_per_mwh": draw(st.floats(100, 800))}
    if draw(st.booleans()):
        grid.update(import_max_mw=draw(st.floats(50, 150)))
    sections["grid"] = grid
    return seed, days, sections, Capacities(**caps)


def check_flexible_flows(flows: xr.Dataset, prof: xr.Dataset, park, caps: Capacities) -> None:
    """Hourly invariants of a flexible run (rules or LP)."""
    f = {k: flows[k].values for k in flows.data_vars}
    for name, values in f.items():
        if name != "flexible_backlog":
            assert values.min() >= -1e-9 * max(1.0, np.abs(values).max()), name
    supply = f["pv"] + f["wind"] + f["import_green"] + f["import_regular"] + f["discharge"] \
        + f["unmet"] + f["fuel_cell"]
    demand = f["load"] + f["charge"] + f["export"] + f["curtail"] + f["electrolyser"]
    scale = max(1.0, np.abs(supply).max())
    np.testing.assert_allclose(supply, demand, rtol=0, atol=BALANCE_RTOL * scale)
    # hydrogen: mass balance every hour, store within bounds
    h = f["hydrogen_soc"]
    start = flows.attrs.get("hydrogen_start_kg", h[-1])
    change = f["hydrogen_production"] - f["hydrogen_delivered"] - f["hydrogen_sold"] \
        - f["fuel_cell_hydrogen"]
    h_scale = max(1.0, caps.hydrogen_storage_kg, np.abs(f["hydrogen_production"]).max())
    np.testing.assert_allclose(np.diff(np.concatenate([[start], h])), change, rtol=0,
                               atol=BALANCE_RTOL * h_scale)
    assert h.max() <= caps.hydrogen_storage_kg * (1 + 1e-12) + 1e-9
    assert f["electrolyser"].max() <= caps.electrolyser_mw * (1 + 1e-12) + 1e-9
    assert f["fuel_cell"].max() <= caps.fuel_cell_mw * (1 + 1e-12) + 1e-9
    if park.electrolyser is not None:
        per_kg = park.electrolyser.kwh_per_kg / 1e3
        np.testing.assert_allclose(f["hydrogen_production"] * per_kg, f["electrolyser"],
                                   rtol=1e-12, atol=1e-12)
    # shiftable load: the process load is the fixed part, the shifted part, minus what was shed
    fl = park.load.flexible
    share = fl.share if fl is not None and fl.window_h > 0 else 0.0
    base = prof["load"].values * share
    np.testing.assert_allclose(f["load"], prof["load"].values - base + f["flexible_load"]
                               - f["load_shed"], rtol=0, atol=1e-9 * scale)
    daily = (f["flexible_load"] - base).reshape(-1, 24).sum(axis=1)  # each day's energy conserved
    np.testing.assert_allclose(daily, 0.0, atol=1e-9 * max(1.0, base.sum()))
    if fl is not None:
        assert (f["load_shed"] <= fl.curtailable_share * prof["load"].values + 1e-9).all()
    h2 = park.hydrogen
    if h2 is not None and h2.sale_max_kg_per_day is not None:
        assert f["hydrogen_sold"].max() <= h2.sale_max_kg_per_day / 24 * (1 + 1e-9) + 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(flexible_instances())
def test_rules_close_every_balance(tmp_path, instance):
    seed, days, sections, caps = instance
    prof = random_profiles(seed, days)
    park = park_of(tmp_path, prof, **sections)
    flows = dispatch(prof, caps, park.battery, park.grid, park=park)
    check_flexible_flows(flows, prof, park, caps)
    # the backlog stays within the window: late by at most window_h, early by at most window_h
    fl = park.load.flexible
    if fl is not None and fl.share > 0:
        from energysim.flexible import window_caps

        base = prof["load"].values * fl.share
        late, early = window_caps(base, fl.window_h, 1.0,
                                  np.inf if fl.max_mw is None else fl.max_mw, 24)
        b = flows["flexible_backlog"].values
        assert (b <= late + 1e-9).all() and (-b <= early + 1e-9).all()
        if fl.max_mw is not None:
            assert flows["flexible_load"].values.max() <= fl.max_mw * (1 + 1e-12)
    h2 = park.hydrogen
    if h2 is not None and h2.cyclic and caps.hydrogen_storage_kg > 0:
        assert abs(flows.attrs["hydrogen_cyclic_gap_kg"]) <= 1e-9 * caps.hydrogen_storage_kg \
            or flows.attrs["cyclic_iterations"] == 100


# ---------------------------------------------------------------------------
# a hand-computed day of shiftable load
# ---------------------------------------------------------------------------


def test_hand_computed_24_hours_of_shiftable_load(tmp_path):
    r"""Load 10 MW flat, half of it shiftable by +-2 h (f = 5 MW); 20 MW of PV in hours 10-13.

    Rules, by hand (``backlog`` B after each hour, on-site surplus beyond the
    whole load 10 MW in hours 10-13, so the next surplus run absorbs 20 MWh in
    its first two hours):

    - hours 0-1: nothing must be served (B <= 2 h of f), and the run at 10-11
      can take 20 MWh: defer, y = 0, B = 5, 10;
    - hours 2-9: the window forces hour t-2's demand (y = 5) while the new one
      waits: B stays 10;
    - hour 10: the 5 MW forced, plus the surplus 10 MW: y = 15, B = 0;
    - hour 11: hours 12-13 will cover their own demand (15 MW surplus after the
      fixed load), so nothing is served ahead: y = 5, 10 MW curtailed;
    - hours 12-13: hours 14-15's demand is not covered then: serve it ahead,
      y = 10, B = -5, -10 (5 MW curtailed each);
    - hours 14-15: already served, y = 0; hours 16-23: y = 5.

    Energy: sum y = 120 MWh = 24 x 5 (the day conserved); imports 180 MWh
    (240 - 60 used on site, 20 curtailed). The LP reaches the same 180 MWh
    (all 40 MWh of movable energy reachable from hours 8-15 fits, and no more
    on-site energy can be used), so the rules are optimal here.
    """
    n = 24
    pv = np.zeros(n)
    pv[10:14] = 1.0
    prof = profiles_of(pv, np.zeros(n), np.full(n, 10.0))
    park = park_of(tmp_path, prof, load={"flexible": {"share": 0.5, "window_h": 2}})
    caps = Capacities(pv_mw=20.0)
    flows = dispatch(prof, caps, park.battery, park.grid, park=park)
    y = [0, 0] + [5] * 8 + [15, 5, 10, 10, 0, 0] + [5] * 8
    np.testing.assert_allclose(flows["flexible_load"].values, y, atol=1e-12)
    np.testing.assert_allclose(flows["flexible_backlog"].values,
                               [5] + [10] * 9 + [0, 0, -5, -10, -5] + [0] * 9, atol=1e-12)
    assert flows["import_green"].values.sum() == pytest.approx(180.0, abs=1e-9)
    assert flows["curtail"].values.sum() == pytest.approx(20.0, abs=1e-9)
    assert flows["flexible_load"].values.sum() == pytest.approx(120.0, abs=1e-9)
    lp = resimulate(park, prof, caps)
    check_flexible_flows(lp, prof, park, caps)
    assert lp["import_green"].values.sum() == pytest.approx(180.0, rel=1e-9)
    assert lp["flexible_load"].values.sum() == pytest.approx(120.0, rel=1e-9)
    assert onsite_share(lp) == pytest.approx(onsite_share(flows), abs=1e-9)
    # without the flexibility the park imports 200 MWh
    plain = park_of(tmp_path, prof)
    assert simulate(plain, caps, prof).flows["import_green"].values.sum() == pytest.approx(200.0)


# ---------------------------------------------------------------------------
# rules vs the optimal dispatch, sizing and its re-simulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_rules_are_exact_for_an_electrolyser_and_store_without_battery(tmp_path, seed):
    """Flat price, constant demand, no battery: filling the store from surplus and buying
    only when it would run dry is optimal (the greedy argument of the battery), so the rules
    reach the optimal dispatch's on-site share.
    """
    prof = random_profiles(seed, 10)
    rng = np.random.default_rng(seed)
    park = park_of(tmp_path, prof, **H2)
    caps = Capacities(pv_mw=rng.uniform(50, 200), wind_mw=rng.uniform(50, 200),
                      electrolyser_mw=rng.uniform(50, 150),
                      hydrogen_storage_kg=rng.uniform(0, 40_000))
    rules = simulate(park, caps, prof, mode="rules")
    optimal = resimulate(park, prof, caps)
    assert rules.kpis["onsite_share"] == pytest.approx(onsite_share(optimal), abs=1e-9)
    assert rules.kpis["hydrogen_unmet_kg"] == pytest.approx(0.0, abs=1e-6)


FULL = {"electrolyser": {"min_load_fraction": 0.1},
        "hydrogen": {"demand_kg_per_day": 20_000, "fuel_cell_max_mw": 1e3,
                     "fuel_cell_capex_per_kw": 500, "sale_price_per_kg": 5.0},
        "load": {"flexible": {"share": 0.2, "window_h": 3, "curtailable_share": 0.05,
                              "curtail_penalty_per_mwh": 600}},
        "targets": {"onsite_share": 0.9}}


def test_sizing_with_flexible_demand_agrees_with_its_reported_truth(tmp_path):
    prof = random_profiles(5, 14)
    park = park_of(tmp_path, prof, **FULL)
    sized = size(park, prof)
    caps = sized.capacities
    assert caps.electrolyser_mw > 0 and caps.hydrogen_storage_kg > 0
    assert sized.lp_onsite_share >= 0.9 - 1e-7
    assert sized.sim_onsite_share == pytest.approx(sized.lp_onsite_share, abs=1e-6)
    assert sized.flows.attrs["dispatch_mode"] == "optimal"
    # one definition: accounting of the LP's own flows gives the LP's share and objective
    from energysim.accounting import annual_totals, cost_terms, kpis_from_totals
    from energysim.profiles import complete

    for flows in (sized.lp_flows, sized.flows):
        check_flexible_flows(flows, prof, park, caps)
        totals = annual_totals(flows, complete(prof, park))
        assert kpis_from_totals(totals, park, caps)["onsite_share"] == pytest.approx(
            sized.lp_onsite_share, abs=1e-6)
    assert sum(sized.objective_terms.values()) == pytest.approx(sized.annualized_cost, rel=1e-9)
    for key in ("electrolyser", "hydrogen_storage", "fuel_cell", "hydrogen_sales",
                "load_shed_penalty"):
        assert key in sized.objective_terms, key
    totals = annual_totals(sized.lp_flows, complete(prof, park))
    assert sized.objective_terms == pytest.approx(
        cost_terms(totals, park, caps, unmet_penalty_per_mwh=100 * (400 + 30 + 1)), rel=1e-9)


def test_flexibility_lowers_the_cost_of_the_target(tmp_path):
    prof = random_profiles(6, 14)
    targets = {"targets": {"onsite_share": 0.85}}
    plain = size(park_of(tmp_path, prof, **targets), prof)
    flexible = size(park_of(tmp_path, prof, load={"flexible": {"share": 0.3, "window_h": 4}},
                            **targets), prof)
    assert flexible.annualized_cost < plain.annualized_cost * (1 - 1e-4)
    assert flexible.capacities.battery_mwh <= plain.capacities.battery_mwh + 1e-6


@pytest.mark.parametrize("mode", ["every_year", "expected", "cvar"])
def test_robust_sizing_with_flexible_demand(tmp_path, mode):
    """Decomposition = monolithic LP (1e-6) and the years certified by the optimal dispatch."""
    years = {y: random_profiles(10 + y, 14) for y in range(3)}
    park = park_of(tmp_path, years[0], **{**FULL, "targets": {"onsite_share": 0.96}})
    mono = size(park, years, robustness=mode, method="monolithic", cvar_alpha=0.5)
    dec = size(park, years, robustness=mode, method="decomposition", cvar_alpha=0.5)
    assert dec.annualized_cost == pytest.approx(mono.annualized_cost, rel=1e-6)
    for result in (mono, dec):
        verdict = result.robust["certified"]["onsite"]
        assert verdict["holds"] and verdict["value"] >= 0.96 - 1e-6
    assert mono.robust["certified"]["onsite"]["value"] == pytest.approx(0.96, abs=1e-6)  # binds


def test_every_year_rule_is_each_years_share(tmp_path):
    """every_year is exact: each year's accounted share (of load + electrolyser - fuel cell
    input) meets the target.
    """
    from energysim.sizing.flexible import certify

    years = [random_profiles(20 + y, 7) for y in range(2)]
    park = park_of(tmp_path, years[0], **{**FULL, "targets": {"onsite_share": 0.95}})
    sized = size(park, dict(enumerate(years)), robustness="every_year", method="monolithic")
    table, verdict, flows = certify(park, years, [0, 1], sized.capacities, (0.95, 1.0),
                                    "every_year", 0.1)
    assert (table["onsite_share"] >= 0.95 - 1e-6).all()
    assert min(onsite_share(f) for f in flows) == pytest.approx(verdict["onsite"]["value"],
                                                                  abs=1e-9)


# ---------------------------------------------------------------------------
# green hydrogen and its carbon intensity (T/CAB 0078-2020)
# ---------------------------------------------------------------------------


def test_green_hydrogen_and_carbon_intensity(tmp_path):
    n = 48
    prof = profiles_of(np.ones(n), np.zeros(n), np.full(n, 10.0))
    demand = {"electrolyser": {}, "hydrogen": {"demand_kg_per_day": 24 * 100.0}}
    park = park_of(tmp_path, prof, **demand)
    # PV covers the load and the electrolyser every hour: all hydrogen green, no CO2
    k = simulate(park, Capacities(pv_mw=30, electrolyser_mw=10), prof).kpis
    assert k["green_hydrogen_share"] == pytest.approx(1.0)
    assert k["green_hydrogen_kg"] == pytest.approx(100 * 8760)
    assert k["hydrogen_co2_kg_per_kg"] == 0.0 and k["hydrogen_grade"] == "clean"
    # no on-site power, regular grid power only: 53 kWh/kg x 0.5856 kg/kWh = 31.04 kg/kg
    grid = park_of(tmp_path, prof, grid={"green_volume_mwh": 0.0}, **demand)
    k = simulate(grid, Capacities(electrolyser_mw=10), prof).kpis
    assert k["green_hydrogen_kg"] == 0.0
    assert k["hydrogen_co2_kg_per_kg"] == pytest.approx(53 * 0.5856)
    assert k["hydrogen_co2_location_kg_per_kg"] == pytest.approx(53 * 0.5856)
    assert k["hydrogen_grade"] == "above the low-carbon threshold"
    assert k["hydrogen_thresholds"]["low_carbon_kg_per_kg"] == 14.51
    assert k["hydrogen_thresholds"]["clean_kg_per_kg"] == 4.9
    # the park's demand counts the electrolyser: load 87.6 GWh + 100 kg/h x 53 kWh/kg
    assert k["demand_mwh"] == pytest.approx(10 * 8760 + 100 * 53 / 1e3 * 8760)


# ---------------------------------------------------------------------------
# study, report and CLI
# ---------------------------------------------------------------------------


def test_study_answers_what_flexibility_saves_and_the_report_shows_it(tmp_path):
    from energysim.report import write_report
    from energysim.study import run_study

    prof = random_profiles(7, 14)
    park = park_of(tmp_path, prof, electrolyser={"power_mw": 80.0},
                   hydrogen={"demand_kg_per_day": 20_000, "storage_kg": 20_000},
                   load={"flexible": {"share": 0.2, "window_h": 4}},
                   targets={"onsite_share": 0.85})
    result = run_study(park, [0.7, 0.85], robust=False)
    flex = result.answer()["flexibility"]
    names = [row["variant"] for row in flex["variants"]]
    assert names == ["none", "hydrogen_store", "shiftable_load", "all"]
    costs = {row["variant"]: row["annualized_cost"] for row in flex["variants"]}
    assert costs["all"] <= min(costs["hydrogen_store"], costs["shiftable_load"]) * (1 + 1e-9)
    assert max(costs["hydrogen_store"], costs["shiftable_load"]) <= costs["none"] * (1 + 1e-9)
    assert flex["cost_saving_per_yr"] == pytest.approx(costs["none"] - costs["all"])
    assert flex["cost_saving_share"] > 1e-4
    assert result.sizing.annualized_cost == pytest.approx(costs["all"])
    none = next(r for r in flex["variants"] if r["variant"] == "none")
    assert none["hydrogen_storage_kg"] == 0.0  # no store: the electrolyser follows the demand
    out = tmp_path / "study"
    result.save(out)
    html = write_report(out).read_text()
    for key in ("chart-electrolyser-surplus", "chart-flexibility", "T/CAB 0078-2020",
                "green hydrogen"):
        assert key in html, key


def test_cli_runs_the_hydrogen_example(tmp_path, repo):
    import json

    from energysim.cli import main

    out = tmp_path / "run"
    assert main(["run", str(repo / "configs" / "ordos_hydrogen.toml"), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["capacities"]["electrolyser_mw"] == 300
    assert summary["capacities"]["hydrogen_storage_kg"] == 200_000
    assert summary["hydrogen_unmet_kg"] == pytest.approx(0.0, abs=1e-3)
    assert summary["hydrogen_production_kg"] == pytest.approx(82_000 * 365, rel=1e-9)
    assert 0 < summary["green_hydrogen_share"] <= 1
    assert summary["demand_mwh"] > summary["load_mwh"]
    flows = xr.load_dataset(out / "flows.nc", engine="h5netcdf")
    assert flows["electrolyser"].attrs["units"] == "MW"
    assert flows["hydrogen_soc"].attrs["units"] == "kg"
    assert "chart-electrolyser-surplus" in (out / "report.html").read_text()


def test_hourly_hydrogen_demand_profile_through_profiles_sizing_and_typical_days(tmp_path):
    from energysim.profiles import build_profiles

    prof = random_profiles(8, 14)
    demand = np.where(np.arange(prof.sizes["time"]) % 24 < 12, 1500.0, 300.0)  # kg/h
    csv = tmp_path / "h2.csv"
    pd.DataFrame({"h2": demand}).to_csv(csv, index=False)
    park = park_of(tmp_path, prof, electrolyser={},
                   hydrogen={"demand_profile": f"{csv}:h2"}, targets={"onsite_share": 0.8})
    built = build_profiles(park)
    np.testing.assert_array_equal(built["hydrogen_demand_kg_per_h"].values, demand)
    assert built["hydrogen_demand_kg_per_h"].attrs["units"] == "kg h-1"
    run = simulate(park, Capacities(pv_mw=150, wind_mw=150, electrolyser_mw=100,
                                    hydrogen_storage_kg=20_000), built)
    assert run.kpis["hydrogen_production_kg"] == pytest.approx(demand.sum() * 8760 / demand.size)
    sized = size(park, built)
    delivered = sized.flows["hydrogen_delivered"].values
    np.testing.assert_allclose(delivered, demand, rtol=1e-6)
    screened = size(park, built, representative_days=4)  # the demand keeps its typical hours
    assert screened.screening["representative_days"] == 4
    assert screened.capacities.electrolyser_mw > 0
    with pytest.raises(Exception, match="hydrogen_demand_kg_per_h"):
        simulate(park, Capacities(electrolyser_mw=100), prof)  # a bare Dataset without it


def test_a_paying_hydrogen_sale_is_bounded_by_its_offtake(tmp_path):
    """Hydrogen sold above its cost from on-site power: sizing builds for the offtake cap
    (without one the electrolyser would grow to its bound), and sells no more.
    """
    prof = random_profiles(9, 14)
    park = park_of(tmp_path, prof, electrolyser={},
                   hydrogen={"sale_price_per_kg": 30.0, "sale_max_kg_per_day": 50_000},
                   targets={"onsite_share": 0.5})
    sized = size(park, prof)
    sold = sized.flows["hydrogen_sold"].values
    assert sold.max() <= 50_000 / 24 * (1 + 1e-9)
    assert sold.sum() > 0.9 * 50_000 / 24 * sold.size  # the offtake is nearly filled: it pays
    assert sized.capacities.electrolyser_mw < 500
    assert sized.objective_terms["hydrogen_sales"] < 0


def test_optimal_dispatch_moves_shiftable_load_to_cheap_hours(tmp_path):
    """Under a time-of-use price the optimal dispatch serves deferred load from the grid in
    cheap hours: imports then exceed the profile load (bounded by consumption, not the load).
    """
    n = 48
    price = np.where(np.arange(n) % 24 < 12, 800.0, 100.0)
    prof = profiles_of(np.zeros(n), np.zeros(n), np.full(n, 10.0)).assign(
        import_price_per_mwh=("time", price))
    park = park_of(tmp_path, prof, load={"flexible": {"share": 0.5, "window_h": 3}})
    lp = resimulate(park, prof, Capacities())
    check_flexible_flows(lp, prof, park, Capacities())
    imports = lp["import_green"].values
    assert imports.max() > 10.0 + 1e-6
    np.testing.assert_allclose(imports, lp["load"].values, atol=1e-9)  # the grid serves it all
    cheap = price < 500
    # at noon the backlog can hold at most 3 h x 5 MW = 15 MWh a day: that much moves from
    # the dear morning to the cheap afternoon (240 MWh each way over two days without it)
    assert imports[cheap].sum() == pytest.approx(240.0 + 30.0, abs=1e-6)
    assert imports[~cheap].sum() == pytest.approx(240.0 - 30.0, abs=1e-6)


# ---------------------------------------------------------------------------
# the shift window as a sizing decision
# ---------------------------------------------------------------------------


def _window_park(tmp_path, prof, cost: float, options=(0, 2, 4, 8), window_h=0):
    flex = {"share": 0.3, "window_h": window_h, "window_options_h": list(options),
            "window_cost_per_h_yr": cost}
    return park_of(tmp_path, prof, load={"flexible": flex}, targets={"onsite_share": 0.85})


@pytest.mark.parametrize("cost", [0.0, 2e4, 1e9])
def test_sizing_chooses_the_cheapest_shift_window(tmp_path, cost):
    """The chosen window is the least annualised cost of the options, each sized with its window
    fixed; its fixed cost is in the LP objective and the accounting alike; ties go to the
    shortest window (free windows: the widest useful one; dear ones: none).
    """
    from energysim.profiles import complete
    from energysim.results import Result
    from energysim.sizing.flexible import with_window

    prof = random_profiles(6, 14)
    park = _window_park(tmp_path, prof, cost)
    sized = size(park, prof)
    fixed = {w: size(with_window(park, w), prof).annualized_cost for w in (0, 2, 4, 8)}
    least = min(fixed.values())
    chosen = sized.shift_window["window_h"]
    assert sized.annualized_cost == pytest.approx(least, rel=1e-9)
    assert chosen == min(w for w, c in fixed.items() if c <= least * (1 + 1e-9))
    assert [r["window_h"] for r in sized.shift_window["options"]] == [0, 2, 4, 8]
    for row in sized.shift_window["options"]:
        assert row["annualized_cost"] == pytest.approx(fixed[row["window_h"]], rel=1e-9)
        assert row["window_cost"] == pytest.approx(cost * row["window_h"])
    assert sized.park.load.flexible.window_h == chosen
    assert sized.park.load.flexible.window_options_h is None
    # the reported truth, accounted with the decided park, is the optimum (window cost in it)
    k = Result.from_flows(sized.park, sized.capacities, complete(prof, sized.park),
                          sized.flows).kpis
    assert k["annualized_cost"] == pytest.approx(sized.annualized_cost, rel=1e-6)
    assert sized.objective_terms.get("load_shift_window", 0.0) == pytest.approx(cost * chosen)
    if cost == 1e9:
        assert chosen == 0
    if cost == 0.0:
        assert chosen > 0 and fixed[chosen] < fixed[0] * (1 - 1e-4)


def test_window_options_are_checked_and_run_simulates_window_h(tmp_path):
    prof = random_profiles(0, 2)
    for options, rule in (([2, 2], "distinct"), ([30], "0-23"), ([-1], "0-23")):
        with pytest.raises(ConfigError) as err:
            _window_park(tmp_path, prof, 0.0, options)
        assert rule in str(err.value) and "window_options_h" in str(err.value)
    with pytest.raises(ConfigError) as err:
        park_of(tmp_path, prof, load={"flexible": {"share": 0.0, "window_options_h": [2]}})
    assert "share" in str(err.value)
    # run simulates the configured window; its cost is a fixed asset cost of the park
    park = _window_park(tmp_path, prof, 1000.0, window_h=2)
    res = simulate(park, Capacities(pv_mw=50), prof)
    plain = simulate(park_of(tmp_path, prof, load={"flexible": {"share": 0.3, "window_h": 2}}),
                     Capacities(pv_mw=50), prof)
    assert res.kpis["annualized_cost"] == pytest.approx(plain.kpis["annualized_cost"] + 2000.0)


def test_cli_size_records_the_window_decision(tmp_path, repo):
    import json
    import subprocess
    import sys

    prof = random_profiles(6, 14)
    park = _window_park(tmp_path, prof, 2e4)
    toml = tmp_path / "w.toml"
    csv = park.load.profile.path
    toml.write_text(f"""
[site]
latitude = 39.6
longitude = 109.8
[load]
profile = "{csv}:load"
[load.flexible]
share = 0.3
window_options_h = [0, 2, 4, 8]
window_cost_per_h_yr = 20000
[pv]
profile = "{csv}:pv"
[wind]
profile = "{csv}:wind"
[targets]
onsite_share = 0.85
""")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "energysim", "size", str(toml), "--out",
                           str(out)], capture_output=True, text=True, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((out / "sizing.json").read_text())
    window = record["load_shift_window"]
    assert window["window_h"] in (0, 2, 4, 8) and len(window["options"]) == 4
    assert record["annualized_cost"] == pytest.approx(
        min(r["annualized_cost"] for r in window["options"]), rel=1e-6)


def test_size_and_frontier_decide_the_window_first(tmp_path):
    from energysim.sizing import size_and_frontier

    prof = random_profiles(6, 14)
    park = _window_park(tmp_path, prof, 2e4)
    sized, table = size_and_frontier(park, prof, [0.5, 0.85])
    alone = size(park, prof)
    assert sized.shift_window == alone.shift_window
    assert sized.annualized_cost == pytest.approx(alone.annualized_cost, rel=1e-9)
    row = table.set_index("share").loc[0.85]
    assert row["annualized_cost"] == pytest.approx(sized.annualized_cost, rel=1e-6)
