"""Sizing LP/MILP (energysim.sizing): properties of the optimum on small synthetic parks.

Each test states its tolerance. The instances are two to three weeks of hours
so the file runs in well under a minute.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energysim.config import Capacities, park_from_dict
from energysim.errors import InfeasibleTargetError, ProfileError, SolverError
from energysim.sizing import dispatch_lp, frontier, size
from energysim.sizing.model import turbine_unit_mw

HOURS = 24 * 14


def make_profiles(hours: int = HOURS, seed: int = 0, mean_load: float = 500.0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    h = np.arange(hours) % 24
    pv = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None) * rng.uniform(0.5, 1.0, hours)
    wind = np.clip(0.35 + 0.25 * np.sin(np.arange(hours) / 37.0) + rng.normal(0, 0.1, hours), 0, 1)
    load = mean_load * (1 + 0.1 * rng.standard_normal(hours))
    time = pd.date_range("2001-03-01", periods=hours, freq="h")
    return xr.Dataset({"pv_pu": ("time", pv), "wind_pu": ("time", wind), "load": ("time", load)},
                      coords={"time": time})


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = {**out.get(key, {}), **value} if isinstance(value, dict) else value
    return out


def make_park(tmp_path, profiles: xr.Dataset, **sections):
    """A park whose PV, wind and load are ready profiles written to a CSV in tmp_path."""
    csv = tmp_path / "profiles.csv"
    pd.DataFrame({k: profiles[k].values for k in ("pv_pu", "wind_pu", "load")}).to_csv(
        csv, index=False)
    base = {
        "site": {"latitude": 39.6, "longitude": 109.8},
        "load": {"profile": f"{csv}:load"},
        "pv": {"profile": f"{csv}:pv_pu"},
        "wind": {"profile": f"{csv}:wind_pu"},
        "targets": {"onsite_share": 0.8, "clean_share": 1.0},
    }
    return park_from_dict(_merge(base, sections))


@pytest.fixture
def case(tmp_path):
    profiles = make_profiles()
    return make_park(tmp_path, profiles), profiles


def _balance_residual(flows: xr.Dataset) -> float:
    supply = sum(flows[k] for k in ("pv", "wind", "import_green", "import_regular", "discharge",
                                    "unmet"))
    demand = sum(flows[k] for k in ("load", "charge", "export", "curtail"))
    return float(np.abs(supply - demand).max() / flows["load"].max())


def test_optimum_meets_target_and_balances(case):
    park, profiles = case
    res = size(park, profiles, onsite_share=0.85)
    # HiGHS feasibility tolerance 1e-7 in model units (~mean load): share to 1e-6
    assert res.lp_onsite_share >= 0.85 - 1e-6
    assert _balance_residual(res.lp_flows) < 1e-6
    # the cost terms add up to the objective (1e-9 relative)
    assert sum(res.objective_terms.values()) == pytest.approx(res.annualized_cost, rel=1e-9)
    assert res.solver.status == "optimal" and res.solver.highs_version.startswith("1.")
    for name in ("import_green", "charge", "discharge", "soc", "curtail"):
        assert float(res.lp_flows[name].min()) >= 0.0


def test_target_binds_when_onsite_is_dear(tmp_path):
    profiles = make_profiles()
    # cheap grid, dear kit: the LP builds just enough for the target
    park = make_park(tmp_path, profiles, grid={"import_price_per_mwh": 50.0})
    res = size(park, profiles, onsite_share=0.6)
    assert res.lp_onsite_share == pytest.approx(0.6, abs=1e-6)


def test_frontier_cost_never_falls(case):
    park, profiles = case
    shares = np.linspace(0.5, 0.95, 6)
    df = frontier(park, profiles, shares)
    costs = df["annualized_cost"].to_numpy()
    # optimal costs of nested feasible sets: non-decreasing to solver tolerance (1e-9 rel)
    assert np.all(np.diff(costs) >= -1e-9 * costs[:-1])
    assert np.all(df["marginal_cost_of_share"].to_numpy() >= -1e-6 * costs)
    assert list(df.columns[:8]) == ["share", "pv_mw", "wind_mw", "battery_mwh", "battery_mw",
                                    "annualized_cost", "lcoe_per_mwh", "marginal_cost_of_share"]
    # each frontier point equals a cold size() at that target (1e-6 relative)
    cold = size(park, profiles, onsite_share=float(shares[-1]))
    assert costs[-1] == pytest.approx(cold.annualized_cost, rel=1e-6)


def test_marginal_cost_matches_finite_difference(case):
    park, profiles = case
    df = frontier(park, profiles, [0.9, 0.9005])
    slope = (df["annualized_cost"][1] - df["annualized_cost"][0]) / 0.0005
    # between the duals at the two ends of the step (LP cost is convex in the share)
    lo, hi = sorted(df["marginal_cost_of_share"])
    assert lo * (1 - 1e-4) <= slope <= hi * (1 + 1e-4)


def test_infeasible_target_names_max_share_and_binding_bounds(tmp_path):
    profiles = make_profiles()
    park = make_park(tmp_path, profiles, pv={"max_mw": 200.0}, wind={"max_mw": 300.0},
                     battery={"max_mwh": 100.0, "max_mw": 50.0})
    with pytest.raises(InfeasibleTargetError) as err:
        size(park, profiles, onsite_share=0.95)
    exc = err.value
    assert 0 < exc.max_share < 0.95
    assert any("pv.max_mw" in b for b in exc.binding)
    assert any("wind.max_mw" in b for b in exc.binding)
    assert "targets.onsite_share" in str(exc) and "0.95" in str(exc)
    # the reported maximum is reachable (1e-6 below it solves)
    res = size(park, profiles, onsite_share=exc.max_share - 1e-6)
    assert res.lp_onsite_share >= exc.max_share - 2e-6


def test_land_limit_binds(tmp_path):
    profiles = make_profiles()
    park = make_park(tmp_path, profiles, pv={"max_area_ha": 100.0, "area_ha_per_mw": 2.0,
                                             "capex_per_kw": 1000.0})
    res = size(park, profiles, onsite_share=0.8)
    # cheap PV is built up to its land: 100 ha / 2 ha/MW = 50 MWp (1e-6 relative)
    assert res.capacities.pv_mw == pytest.approx(50.0, rel=1e-6)
    park_hi = make_park(tmp_path, profiles, pv={"max_mw": 200.0, "max_area_ha": 100.0,
                                                "area_ha_per_mw": 2.0},
                        wind={"max_mw": 100.0}, battery={"max_mwh": 10.0, "max_mw": 10.0})
    with pytest.raises(InfeasibleTargetError) as err:
        size(park_hi, profiles, onsite_share=0.9)
    assert any("pv.max_area_ha" in b for b in err.value.binding)


def test_short_horizon_scaling(tmp_path):
    """Two copies of the same fortnight: same annualised cost and capacities (1e-6 relative)."""
    one = make_profiles(HOURS)
    two = xr.concat([one, one], dim="time")
    two["time"] = pd.date_range("2001-03-01", periods=2 * HOURS, freq="h")
    park = make_park(tmp_path, one)
    a, b = size(park, one), size(park, two)
    assert b.annualized_cost == pytest.approx(a.annualized_cost, rel=1e-6)
    for name in ("pv_mw", "wind_mw", "battery_mwh"):
        assert getattr(b.capacities, name) == pytest.approx(getattr(a.capacities, name), rel=1e-4,
                                                            abs=1e-3)
    # energy terms are per year: import cost = 8760/hours x sum over the run (1e-9 relative)
    f = a.lp_flows
    imports = float((f["import_green"] + f["import_regular"]).sum()) * 8760 / HOURS
    assert a.objective_terms["imports"] == pytest.approx(imports * park.grid.import_price_per_mwh,
                                                         rel=1e-9)


def test_tou_price(tmp_path):
    profiles = make_profiles()
    hour = profiles["time"].dt.hour.values
    price = np.where((hour >= 17) & (hour < 22), 900.0, 250.0)
    tou = profiles.assign(import_price_per_mwh=("time", price))
    park = make_park(tmp_path, profiles)
    res = size(park, tou, onsite_share=0.6)
    f = res.lp_flows
    imports = (f["import_green"] + f["import_regular"]).values
    # import cost is priced hour by hour (1e-9 relative)
    assert res.objective_terms["imports"] == pytest.approx(
        float((imports * price).sum()) * 8760 / HOURS, rel=1e-9)
    # the battery discharges into the dear hours: its price-weighted mean beats the average
    dis = f["discharge"].values
    assert dis.sum() > 0
    assert (dis * price).sum() / dis.sum() > price.mean()
    # a TOU series of constant value is the flat case (1e-9 relative)
    flat = size(park, profiles.assign(import_price_per_mwh=("time", np.full(HOURS, 400.0))))
    ref = size(park, profiles)
    assert flat.annualized_cost == pytest.approx(ref.annualized_cost, rel=1e-9)


def test_dispatch_lp_reproduces_sizing_flows(case):
    park, profiles = case
    res = size(park, profiles)
    flows = dispatch_lp(park, profiles, res.capacities)
    # same capacities, same prices, no target: imports equal (1e-6 relative of load)
    for name in ("import_green", "import_regular"):
        assert float(flows[name].sum()) == pytest.approx(float(res.lp_flows[name].sum()),
                                                         abs=1e-6 * float(profiles["load"].sum()))
    assert _balance_residual(flows) < 1e-6


def test_green_volume_caps(tmp_path):
    profiles = make_profiles()
    volume = 0.1 * float(profiles["load"].mean()) * 8760  # 10 % of annual load
    park = make_park(tmp_path, profiles, grid={"green_volume_mwh": volume},
                     targets={"onsite_share": 0.5, "clean_share": 0.0})
    res = size(park, profiles)
    # annual volume scaled to the horizon (1e-6 relative)
    assert float(res.lp_flows["import_green"].sum()) <= volume * HOURS / 8760 * (1 + 1e-6)
    # hourly matching, binding clean target, no battery: the LP has no timing freedom the
    # core lacks, so LP and core agree (checked in size) and the core reaches the target
    grid = {"green_volume_mwh": volume, "green_matching": "hourly"}
    targets = {"onsite_share": 0.5, "clean_share": 0.9}
    hourly = make_park(tmp_path, profiles, grid=grid, targets=targets,
                       battery={"max_mwh": 0.0, "max_mw": 0.0})
    res = size(hourly, profiles)
    assert float(res.lp_flows["import_green"].max()) <= volume / 8760 * (1 + 1e-6)
    assert float(res.flows["import_green"].max()) <= volume / 8760 * (1 + 1e-9)
    clean = res.sim_onsite_share + float(res.flows["import_green"].sum() / res.flows["load"].sum())
    assert clean >= 0.9 - 1e-6
    # with a battery the LP meets that target by saving stored energy for hours the block
    # cannot cover; the re-simulation is then the optimal dispatch (issue 15), which does too
    with_battery = size(make_park(tmp_path, profiles, grid=grid, targets=targets), profiles)
    assert with_battery.dispatch_mode == "optimal"
    flows = with_battery.flows
    clean = float((flows["onsite_served"] + flows["import_green"]).sum() / flows["load"].sum())
    assert clean >= 0.9 - 1e-6
    assert abs(with_battery.dispatch_gap) <= 1e-6
    # ... reported as the LP's own dispatch, checked as an operation (issue 14)
    assert with_battery.solver.extra["dispatch"].startswith("LP dispatch replayed")
    assert float(flows["import_green"].max()) <= volume / 8760 * (1 + 1e-6)
    # the rule-based core, forced by the config, discharges first (issue 4) and misses it
    rules = make_park(tmp_path, profiles, grid=grid, targets=targets, battery={"dispatch": "rules"})
    forced = size(rules, profiles)
    f = forced.flows
    assert forced.dispatch_mode == "rules"
    assert float((f["onsite_served"] + f["import_green"]).sum() / f["load"].sum()) < 0.9 - 1e-4


def test_existing_capacity_is_sunk(tmp_path):
    profiles = make_profiles()
    park = make_park(tmp_path, profiles, pv={"existing_mw": 400.0})
    res = size(park, profiles)
    assert res.capacities.pv_mw >= 400.0 * (1 - 1e-9)
    new = res.capacities.pv_mw - 400.0
    crf = 0.06 * 1.06**25 / (1.06**25 - 1)  # CRF(6 %, 25 yr), by hand
    assert res.objective_terms["pv"] == pytest.approx(
        new * (park.pv.capex_per_kw * 1e3 * crf + park.pv.fixed_om_per_kw_yr * 1e3), rel=1e-9)


def test_integer_turbines(tmp_path):
    profiles = make_profiles(24 * 7)
    park = make_park(tmp_path, profiles, wind={"integer_turbines": True, "turbine": "E-126/4200"})
    unit = turbine_unit_mw(park)
    assert unit == pytest.approx(4.2)
    res = size(park, profiles)
    turbines = res.capacities.wind_mw / unit
    assert turbines == pytest.approx(round(turbines), abs=1e-6)
    relaxed = size(park.with_values({"wind.integer_turbines": False}), profiles)
    # the MILP optimum costs at least the LP relaxation's (MIP gap 1e-4)
    assert res.annualized_cost >= relaxed.annualized_cost * (1 - 1e-4)


def test_bad_profiles_are_named(case):
    park, profiles = case
    with pytest.raises(ProfileError, match="load"):
        size(park, profiles.drop_vars("load"))
    bad = profiles.copy()
    bad["pv_pu"][3] = np.nan
    with pytest.raises(ProfileError, match=r"pv_pu\[3\]"):
        size(park, bad)


def test_capacities_container(case):
    park, profiles = case
    res = size(park, profiles)
    assert isinstance(res.capacities, Capacities)
    assert res.lp_flows["soc"].max() <= res.capacities.battery_mwh * park.battery.soc_max + 1e-6


def _energy_cost(flows: xr.Dataset, price: np.ndarray, park) -> float:
    """Imports at the hourly price + green premium - export revenue [money over the horizon]."""
    g, r = flows["import_green"].values, flows["import_regular"].values
    grid = park.grid
    return float(((g + r) * price).sum() + grid.green_premium_per_mwh * g.sum()
                 - grid.export_price_per_mwh * flows["export"].values.sum())


def test_lp_dispatch_is_the_time_of_use_reference(tmp_path):
    """Perfect foresight (dispatch_lp) never costs more than the rule-based core.

    Equal when prices are flat.
    """
    from energysim.dispatch import dispatch

    profiles = make_profiles()
    park = make_park(tmp_path, profiles)
    caps = size(park, profiles, onsite_share=0.7).capacities
    hour = profiles["time"].dt.hour.values
    tou_price = np.where((hour >= 17) & (hour < 22), 900.0, 250.0)
    flat_price = np.full(HOURS, 400.0)
    costs = {}
    for name, price in (("tou", tou_price), ("flat", flat_price)):
        prof = profiles.assign(import_price_per_mwh=("time", price))
        lp = dispatch_lp(park, prof, caps)
        rule = dispatch(prof, caps, park.battery, park.grid)
        costs[name] = _energy_cost(lp, price, park), _energy_cost(rule, price, park)
    lp_tou, rule_tou = costs["tou"]
    assert lp_tou <= rule_tou * (1 + 1e-9)
    assert lp_tou < rule_tou * (1 - 1e-3)  # the peak price gives foresight real value here
    lp_flat, rule_flat = costs["flat"]
    # flat price: greedy load following is optimal (HiGHS tolerances: 1e-6 relative)
    assert lp_flat == pytest.approx(rule_flat, rel=1e-6)


def test_solver_time_limit_is_a_solver_error_with_advice(tmp_path):
    profiles = make_profiles()
    park = make_park(tmp_path, profiles, solver={"time_limit_s": 0.001})
    with pytest.raises(SolverError) as err:
        size(park, profiles)
    text = str(err.value)
    assert "time limit" in text and "time_limit_s" in text
    assert "representative_days" in text and "shorter horizon" in text


# ---------------------------------------------------------------------------
# CLI: energysim size / frontier
# ---------------------------------------------------------------------------

def _cli_config(tmp_path, extra: str = "") -> str:
    profiles = make_profiles()
    pd.DataFrame({k: profiles[k].values for k in ("pv_pu", "wind_pu", "load")}).to_csv(
        tmp_path / "profiles.csv", index=False)
    text = f"""
[site]
name = "sizing CLI test park"
latitude = 39.6
longitude = 109.8

[load]
profile = "profiles.csv:load"

[pv]
profile = "profiles.csv:pv_pu"

[wind]
profile = "profiles.csv:wind_pu"

[targets]
onsite_share = 0.8
clean_share = 1.0
{extra}
"""
    path = tmp_path / "park.toml"
    path.write_text(text)
    return str(path)


def test_cli_size_writes_sizing_json(tmp_path):
    import json

    from energysim.cli import main

    out = tmp_path / "out"
    assert main(["size", _cli_config(tmp_path), "--onsite-share", "0.8", "--out", str(out)]) == 0
    result = json.loads((out / "sizing.json").read_text())
    # issue #19: capacities gain electrolyser_mw and hydrogen_storage_kg (0 without them)
    assert {"pv_mw", "wind_mw", "battery_mwh", "battery_mw", "electrolyser_mw",
            "hydrogen_storage_kg"} <= set(result["capacities"])
    built = result["capacities"]
    assert built["electrolyser_mw"] == built["hydrogen_storage_kg"] == 0
    assert result["annualized_cost"] > 0
    assert result["kpis"]["onsite_share"] >= 0.8 - 1e-6
    assert abs(result["lp_onsite_share"] - result["sim_onsite_share"]) <= 1e-6


def test_cli_frontier_writes_csv_and_marks_the_target(tmp_path):
    from energysim.cli import main

    out = tmp_path / "out"
    assert main(["frontier", _cli_config(tmp_path), "--shares", "0.5:0.9:0.1",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out / "frontier.csv")
    for column in ("share", "pv_mw", "wind_mw", "battery_mwh", "battery_mw", "annualized_cost",
                   "lcoe_per_mwh", "marginal_cost_of_share", "is_target"):
        assert column in table.columns, column
    assert table["share"].tolist() == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    assert table.loc[table["is_target"], "share"].tolist() == pytest.approx([0.8])
    costs = table["annualized_cost"].to_numpy()
    assert np.all(np.diff(costs) >= -1e-9 * costs[:-1])


def test_cli_solver_time_limit_exits_2_with_advice(tmp_path, capsys):
    from energysim.cli import main

    cfg = _cli_config(tmp_path, "\n[solver]\ntime_limit_s = 0.001\n")
    assert main(["size", cfg, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "time limit" in err and "representative_days" in err
    assert "Traceback" not in err


def test_representative_days_screening_reports_full_horizon_errors(tmp_path):
    """Tsam typical days: the reduced optimum is re-simulated on the full horizon, errors beside."""
    hours = 24 * 56
    profiles = make_profiles(hours, seed=3)
    park = make_park(tmp_path, profiles)
    res = size(park, profiles, onsite_share=0.7, representative_days=8)
    s = res.screening
    assert s["representative_days"] == 8
    assert res.lp_flows.sizes["time"] == 8 * 24 and res.flows.sizes["time"] == hours
    # the reduced LP meets its target on the typical days (HiGHS tolerance, 1e-6)
    assert s["lp_onsite_share"] >= 0.7 - 1e-6
    # the errors are those of the reduced LP against the full-horizon simulation (1e-12)
    sim = float(res.flows["onsite_served"].sum() / res.flows["load"].sum())
    assert s["sim_onsite_share"] == pytest.approx(sim, rel=1e-12)
    assert s["onsite_share_error"] == pytest.approx(s["lp_onsite_share"] - sim, abs=1e-12)
    assert s["cost_rel_error"] == pytest.approx((s["lp_cost"] - s["sim_cost"]) / s["sim_cost"])
    assert res.annualized_cost == pytest.approx(sum(res.objective_terms.values()), rel=1e-12)
    assert s["sim_meets_target"] == (sim >= 0.7 - 1e-6)
    # a screening, not an answer: close to the exact optimum on this smooth synthetic park
    exact = size(park, profiles, onsite_share=0.7)
    assert abs(s["onsite_share_error"]) < 0.05
    assert res.annualized_cost == pytest.approx(exact.annualized_cost, rel=0.1)
    assert res.annualized_cost >= exact.annualized_cost * (1 - 1e-6) or not s["sim_meets_target"]
    # as many typical days as the horizon has: the exact problem, no screening
    whole = size(park, profiles.isel(time=slice(0, 24 * 7)), onsite_share=0.7,
                 representative_days=7)
    assert whole.screening == {}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_frontier_monotone_on_random_parks(seed, tmp_path):
    """Cost never falls as the target rises, and every point reaches its target (random costs)."""
    rng = np.random.default_rng(seed)
    profiles = make_profiles(24 * 7, seed=seed, mean_load=float(rng.uniform(50, 2000)))
    park = make_park(
        tmp_path, profiles,
        pv={"capex_per_kw": float(rng.uniform(1500, 4000))},
        wind={"capex_per_kw": float(rng.uniform(3000, 6000))},
        battery={"capex_per_kwh": float(rng.uniform(300, 900)),
                 "self_discharge_per_h": float(rng.choice([0.0, 1e-4])),
                 "soc_min": float(rng.uniform(0, 0.1))},
        grid={"import_price_per_mwh": float(rng.uniform(250, 600))},
        targets={"onsite_share": 0.8, "clean_share": 0.0})
    shares = np.round(np.arange(0.5, 0.95 + 1e-9, 0.05), 10)
    costs = frontier(park, profiles, shares)["annualized_cost"].to_numpy()
    # nested feasible sets: non-decreasing to the solver's tolerance (1e-9 relative)
    assert np.all(np.diff(costs) >= -1e-9 * costs[:-1])
    for share in shares[[0, -1]]:
        res = size(park, profiles, onsite_share=float(share))
        assert res.sim_onsite_share >= share - 1e-6  # the re-simulated truth reaches it


def test_top_level_size_api(case):
    import energysim

    park, profiles = case
    res = energysim.size(park, onsite_share=0.8)  # profiles built from the config's CSVs
    direct = size(park, profiles, onsite_share=0.8)
    assert res.annualized_cost == pytest.approx(direct.annualized_cost, rel=1e-9)
    assert res.sim_onsite_share >= 0.8 - 1e-6


def test_top_level_frontier_api(case):
    import energysim

    park, profiles = case
    table = energysim.frontier(park, [0.6, 0.8])  # profiles built from the config's CSVs
    direct = frontier(park, profiles, [0.6, 0.8])
    np.testing.assert_allclose(table["annualized_cost"], direct["annualized_cost"], rtol=1e-9)
    assert table["is_target"].tolist() == [False, True]


def test_frontier_reports_the_share_each_optimum_reaches(case):
    """Below the share the cheapest mix reaches anyway the target does not bind:
    the reached share is then above the target and the marginal cost is zero.
    """
    park, profiles = case
    table = frontier(park, profiles, [0.0, 0.8])
    assert np.all(table["onsite_share_reached"] >= table["share"] - 1e-6)
    free = size(park, profiles, onsite_share=0.0)
    assert table.loc[0, "onsite_share_reached"] == pytest.approx(free.lp_onsite_share, abs=1e-6)
    assert table.loc[0, "marginal_cost_of_share"] == pytest.approx(
        0.0, abs=1e-6 * table.loc[0, "annualized_cost"])


# -- crash start from typical days (long horizons) -------------------------------------------

def _with_warm_start(park, days: int):
    return park.model_copy(update={"solver": park.solver.model_copy(
        update={"warm_start_days": days})})


@pytest.mark.parametrize("seed", [21, 22])
def test_crash_start_reaches_the_cold_optimum(seed, tmp_path):
    """The crash start changes the path, not the answer: same cost (1e-9) and capacities (1e-6)."""
    profiles = make_profiles(hours=24 * 60, seed=seed)
    park = make_park(tmp_path, profiles, battery={"capex_per_kwh": 400.0})
    warm = size(_with_warm_start(park, 10), profiles, onsite_share=0.8)
    cold = size(_with_warm_start(park, 0), profiles, onsite_share=0.8)
    assert warm.solver.extra["warm_start_days"] == 10
    assert warm.solver.extra["crash_iterations"] > 0
    assert cold.solver.extra["warm_start_days"] == 0
    assert warm.annualized_cost == pytest.approx(cold.annualized_cost, rel=1e-9)
    floor = float(profiles["load"].mean()) * 1e-3  # MW: below this a capacity counts as zero
    for key, value in cold.capacities.model_dump().items():
        assert abs(getattr(warm.capacities, key) - value) <= 1e-6 * max(value, floor), key
    assert warm.lp_onsite_share >= 0.8 - 1e-6


def test_crash_start_is_skipped_where_it_cannot_help(tmp_path):
    """Short horizons (< 2x the typical days) and whole turbines (MILP) are solved cold."""
    profiles = make_profiles(hours=24 * 14)
    park = _with_warm_start(make_park(tmp_path, profiles), 10)
    assert size(park, profiles).solver.extra["warm_start_days"] == 0
    longer = make_profiles(hours=24 * 30)
    turbines = _with_warm_start(make_park(tmp_path, longer, wind={"integer_turbines": True}), 10)
    assert size(turbines, longer).solver.extra["warm_start_days"] == 0


@pytest.mark.parametrize("guess", [0.0, 50.0])
def test_crash_restores_bounds_and_targets_from_any_guess(guess, case):
    """A crash from a poor guess (nothing built / far too much) still ends at the optimum,
    and leaves every bound and target as it found them.
    """
    from energysim.sizing.model import build_model, problem_data
    from energysim.sizing.solve import Status, crash, make_solver, set_targets

    park, profiles = case
    reference = size(park, profiles, onsite_share=0.8)
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    set_targets(sm, solver, 0.8, None)
    caps = sm.cap_cols
    rows = sm.targets["onsite"].rows
    before = solver.col_bounds(caps), solver.row_bounds(rows)
    crash(solver, dict.fromkeys(caps.tolist(), guess), rows, np.inf)
    after = solver.col_bounds(caps), solver.row_bounds(rows)
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(b[0], a[0])
        np.testing.assert_array_equal(b[1], a[1])
    assert after[1][1][0] == pytest.approx(0.2 * sm.ops[0].total_load, rel=1e-15)
    assert solver.solve() == Status.OPTIMAL
    assert sm.money(sm.cost, solver.x) == pytest.approx(reference.annualized_cost, rel=1e-9)


def test_model_cache_reuses_one_program_with_identical_results(tmp_path):
    """Build once, solve many (issue 20): cost, bound and target changes re-solve the held
    HiGHS program; every answer equals a fresh sizing to 1e-9; a new profile set rebuilds.
    """
    from energysim.sizing import ModelCache

    profiles = make_profiles()
    park = make_park(tmp_path, profiles)
    cache = ModelCache()
    variants = [{"pv.capex_per_kw": 2500.0}, {"pv.capex_per_kw": 3500.0},
                {"battery.capex_per_kwh": 300.0}, {"wind.max_mw": 200.0},
                {"targets.onsite_share": 0.6}]
    for values in variants:
        p = park.with_values(values)
        held = size(p, profiles, cache=cache)
        fresh = size(p, profiles)
        assert held.annualized_cost == pytest.approx(fresh.annualized_cost, rel=1e-9), values
        for key, value in fresh.capacities.model_dump().items():
            assert getattr(held.capacities, key) == pytest.approx(value, rel=1e-6, abs=1e-3), key
    assert cache.built == 1 and cache.reused == len(variants) - 1
    size(park, make_profiles(seed=3), cache=cache)  # other profiles: another matrix
    assert cache.built == 2


@pytest.mark.parametrize("cores", [1, 2])
def test_size_and_frontier_equal_the_two_calls(case, monkeypatch, cores):
    """One model, the target and both frontier paths at once (or one after the other on one
    core): the same sized mix and the same frontier as size() and frontier() apart.
    """
    import energysim.sizing as sizing_module
    from energysim.sizing import size_and_frontier

    monkeypatch.setattr(sizing_module, "_cores", lambda: cores)
    park, profiles = case
    shares = [0.5, 0.6, 0.7, 0.75, 0.85, 0.9]
    sized, table = size_and_frontier(park, profiles, shares, onsite_share=0.75)
    alone = size(park, profiles, onsite_share=0.75)
    apart = frontier(park, profiles, shares)
    assert sized.annualized_cost == pytest.approx(alone.annualized_cost, rel=1e-9)
    for key, value in alone.capacities.model_dump().items():
        assert getattr(sized.capacities, key) == pytest.approx(value, rel=1e-6, abs=1e-6)
    assert list(table["share"]) == shares
    np.testing.assert_allclose(table["annualized_cost"], apart["annualized_cost"], rtol=1e-9)
