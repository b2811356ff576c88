"""Cross-check of sizing with an electrolyser and a hydrogen store against PyPSA (issue #19).

The same problem built independently with PyPSA's own components: a park bus
with the load, PV and wind generators and the grid (a generator at price +
green premium); the battery as a Store with a charger and a discharger Link
sharing one AC rating; a hydrogen bus (kg/h) with the electrolyser as a Link
from the park bus (efficiency: kg per MWh, ``p_min_pu`` the must-run floor),
the hydrogen store as a Store (kg, cyclic) and the hydrogen demand as a Load
on that bus; optionally a fuel cell as a Link from the hydrogen bus back to
the park (efficiency: MWh per kg, rated on its hydrogen input). Extra linopy
constraints: the grid serves only load and electrolyser (so it never charges
the battery), and the on-site share of the park's demand (load + electrolyser
- the electricity of the fuel cell's hydrogen) reaches the target.

Tolerance: annualised cost 1e-6 relative; capacities 1e-3 relative (plus
1e-3 x mean load absolute near zero).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pypsa
import pytest
import xarray as xr

from energysim.config import park_from_dict
from energysim.economics import asset_costs
from energysim.flexible import annual_costs, params
from energysim.sizing import size

pypsa.options.api.legacy_string_dtype = True
COST_RTOL = 1e-6
CAP_RTOL = 1e-3


def case(seed: int, hours: int, tmp_path, fuel_cell: bool):
    rng = np.random.default_rng(seed)
    h = np.arange(hours) % 24
    day = rng.uniform(0.3, 1.0, hours // 24 + 1).repeat(24)[:hours]
    pv = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None) * day
    wind = np.clip(0.35 + 0.25 * np.sin(np.arange(hours) / rng.uniform(20, 60))
                   + rng.normal(0, 0.1, hours), 0, 1)
    mean_load = rng.uniform(50, 500)
    load = mean_load * (1 + 0.1 * rng.standard_normal(hours))
    csv = tmp_path / f"case{seed}.csv"
    pd.DataFrame({"pv": pv, "wind": wind, "load": load}).to_csv(csv, index=False)
    hydrogen = {"demand_kg_per_day": rng.uniform(0.1, 0.5) * mean_load * 24 / 0.053,
                "storage_capex_per_kg": rng.uniform(500, 4000)}
    battery = {"capex_per_kwh": rng.uniform(300, 900), "capex_per_kw": rng.uniform(50, 300),
               "roundtrip_efficiency": rng.uniform(0.8, 0.95)}
    if fuel_cell:  # cheap enough, against a dear battery, to be built
        hydrogen.update(fuel_cell_max_mw=1e4, fuel_cell_capex_per_kw=100.0,
                        fuel_cell_efficiency=0.6)
        battery["capex_per_kwh"] = 2000.0
    park = park_from_dict({
        "site": {"latitude": 39.6, "longitude": 109.8},
        "load": {"profile": f"{csv}:load"},
        "pv": {"profile": f"{csv}:pv", "capex_per_kw": rng.uniform(1500, 4000)},
        "wind": {"profile": f"{csv}:wind", "capex_per_kw": rng.uniform(3000, 6000)},
        "battery": battery,
        "electrolyser": {"capex_per_kw": rng.uniform(1500, 5670),
                         "specific_consumption_kwh_per_kg": rng.uniform(48, 58),
                         "min_load_fraction": rng.uniform(0, 0.3)},
        "hydrogen": hydrogen,
        "grid": {"import_price_per_mwh": rng.uniform(250, 600),
                 "green_premium_per_mwh": rng.uniform(0, 60)},
        "targets": {"onsite_share": rng.uniform(0.94, 0.97), "clean_share": 1.0},
    })
    time = pd.date_range("2001-03-01", periods=hours, freq="h")
    profiles = xr.Dataset({"pv_pu": ("time", pv), "wind_pu": ("time", wind),
                           "load": ("time", load)}, coords={"time": time})
    return park, profiles


def pypsa_network(park, profiles):
    c, f = asset_costs(park), annual_costs(park)
    p = params(park)
    bat, grid, h2 = park.battery, park.grid, park.hydrogen
    hours = profiles.sizes["time"]
    load = profiles["load"].values
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(hours))
    n.snapshot_weightings.loc[:, "objective"] = 8760.0 / hours
    for bus in ("park", "battery", "hydrogen"):
        n.add("Bus", bus)
    n.add("Load", "load", bus="park", p_set=load)
    n.add("Generator", "pv", bus="park", p_nom_extendable=True, capital_cost=c.pv_annual_per_mw,
          p_max_pu=profiles["pv_pu"].values)
    n.add("Generator", "wind", bus="park", p_nom_extendable=True,
          capital_cost=c.wind_annual_per_mw, p_max_pu=profiles["wind_pu"].values)
    n.add("Generator", "grid", bus="park", p_nom=1e6,
          marginal_cost=grid.import_price_per_mwh + grid.green_premium_per_mwh)
    n.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
          capital_cost=c.battery_annual_per_mwh)
    n.add("Link", "charger", bus0="park", bus1="battery", efficiency=bat.eta_charge,
          p_nom_extendable=True, capital_cost=c.battery_annual_per_mw)
    n.add("Link", "discharger", bus0="battery", bus1="park", efficiency=bat.eta_discharge,
          p_nom_extendable=True)
    # hydrogen in kg: the electrolyser turns 1 MWh into 1 / k kg
    n.add("Link", "electrolyser", bus0="park", bus1="hydrogen", efficiency=1.0 / p.mwh_per_kg,
          p_nom_extendable=True, capital_cost=f.electrolyser_annual_per_mw,
          p_min_pu=p.min_load_fraction)
    n.add("Store", "h2_store", bus="hydrogen", e_nom_extendable=True, e_cyclic=True,
          capital_cost=f.storage_annual_per_kg)
    n.add("Load", "h2_demand", bus="hydrogen", p_set=np.full(hours, h2.demand_kg_per_day / 24))
    if h2.fuel_cell_max_mw > 0:  # rated on its input [kg/h]: cost per kg/h = cost per MW x MWh/kg
        n.add("Link", "fuel_cell", bus0="hydrogen", bus1="park", efficiency=p.fc_mwh_per_kg,
              p_nom_extendable=True, capital_cost=f.fuel_cell_annual_per_mw * p.fc_mwh_per_kg)
    share = park.targets.onsite_share

    def extra(n, snapshots):
        m = n.model
        p_nom = m.variables["Link-p_nom"]
        ratio = xr.DataArray([bat.eta_discharge, -1.0], coords={"name": ["discharger", "charger"]})
        m.add_constraints((p_nom.sel(name=["discharger", "charger"]) * ratio).sum() == 0,
                          name="battery_power")
        grid_p = m.variables["Generator-p"].sel(name="grid", drop=True)
        el = m.variables["Link-p"].sel(name="electrolyser", drop=True)
        m.add_constraints(grid_p - el <= load, name="grid_serves_load_and_electrolyser")
        demand = float(load.sum()) + el.sum()
        if "fuel_cell" in n.links.index:  # its hydrogen's electricity is not demand
            demand = demand - p.mwh_per_kg * m.variables["Link-p"].sel(name="fuel_cell",
                                                                         drop=True).sum()
        m.add_constraints(grid_p.sum() - (1.0 - share) * demand <= 0, name="onsite_share")

    return n, extra


def solve_pypsa(park, profiles) -> dict:
    n, extra = pypsa_network(park, profiles)
    status, cond = n.optimize(solver_name="highs", extra_functionality=extra,
                              include_objective_constant=False)
    assert status == "ok", cond
    fc = float(n.links.p_nom_opt["fuel_cell"]) * params(park).fc_mwh_per_kg \
        if "fuel_cell" in n.links.index else 0.0
    return {"cost": float(n.objective),
            "pv_mw": float(n.generators.p_nom_opt["pv"]),
            "wind_mw": float(n.generators.p_nom_opt["wind"]),
            "battery_mwh": float(n.stores.e_nom_opt["battery"]),
            "electrolyser_mw": float(n.links.p_nom_opt["electrolyser"]),
            "hydrogen_storage_kg": float(n.stores.e_nom_opt["h2_store"]),
            "fuel_cell_mw": fc}


@pytest.mark.parametrize("seed, fuel_cell", [(1, False), (2, False), (5, True)])
def test_same_optimum_as_pypsa_with_electrolyser_and_store(seed, fuel_cell, tmp_path):
    park, profiles = case(seed, 24 * 14, tmp_path, fuel_cell)
    ours = size(park, profiles)
    ref = solve_pypsa(park, profiles)
    assert ours.annualized_cost == pytest.approx(ref["cost"], rel=COST_RTOL)
    assert ours.capacities.electrolyser_mw > 0 and ours.objective_terms["imports"] > 0
    assert ours.lp_onsite_share == pytest.approx(park.targets.onsite_share, abs=1e-7)  # binds
    if fuel_cell:  # the fuel cell is in play: built, in both models alike
        assert ours.capacities.fuel_cell_mw > 1.0
        assert ours.capacities.fuel_cell_mw == pytest.approx(ref["fuel_cell_mw"], rel=CAP_RTOL,
                                                             abs=1e-3)
    scale = float(profiles["load"].mean()) * 1e-3
    for name in ("pv_mw", "wind_mw", "electrolyser_mw"):
        assert getattr(ours.capacities, name) == pytest.approx(ref[name], rel=CAP_RTOL,
                                                               abs=scale), name
