"""Cross-check of the sizing LP against the same problem built independently in PyPSA.

The PyPSA model follows DESIGN.md's conventions with PyPSA's own components: a
bus with the load, PV and wind generators (``p_max_pu``, ``capital_cost``), a
battery as a Store (usable energy, SoC window, self-discharge, cyclic) with a
charger and a discharger Link sharing one AC power capacity, and the grid as a
generator whose hourly ``p_max_pu`` lets it serve load only (so the battery
charges from on-site surplus only) at price + green premium. Energy costs are
scaled to a year through the objective snapshot weighting (8760 / hours); the
on-site share target is an extra linopy constraint on the grid's energy.

Tolerances: annualised cost 1e-6 relative; capacities 1e-3 relative (plus
1e-3 x mean load absolute for capacities at or near zero).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pypsa
import pytest
import xarray as xr

from energysim.config import park_from_dict
from energysim.economics import asset_costs
from energysim.sizing import size

pypsa.options.api.legacy_string_dtype = True
COST_RTOL = 1e-6
CAP_RTOL = 1e-3


def random_case(seed: int, hours: int, tmp_path) -> tuple:
    """A random short park: profiles, costs, battery parameters and on-site target."""
    rng = np.random.default_rng(seed)
    h = np.arange(hours) % 24
    day = rng.uniform(0.3, 1.0, hours // 24 + 1).repeat(24)[:hours]
    pv = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None) * day * rng.uniform(0.85, 1.0, hours)
    wind = np.clip(0.35 + 0.25 * np.sin(np.arange(hours) / rng.uniform(20, 60))
                   + rng.normal(0, 0.1, hours), 0, 1)
    mean_load = rng.uniform(50, 2000)
    load = mean_load * (1 + 0.1 * rng.standard_normal(hours))
    csv = tmp_path / f"case{seed}.csv"
    pd.DataFrame({"pv": pv, "wind": wind, "load": load}).to_csv(csv, index=False)
    park = park_from_dict({
        "site": {"latitude": 39.6, "longitude": 109.8},
        "load": {"profile": f"{csv}:load"},
        "pv": {"profile": f"{csv}:pv", "capex_per_kw": rng.uniform(1500, 4000),
               "fixed_om_per_kw_yr": rng.uniform(20, 60)},
        "wind": {"profile": f"{csv}:wind", "capex_per_kw": rng.uniform(3000, 6000)},
        "battery": {"capex_per_kwh": rng.uniform(300, 900), "capex_per_kw": rng.uniform(50, 300),
                    "roundtrip_efficiency": rng.uniform(0.8, 0.95),
                    "self_discharge_per_h": rng.uniform(0, 1e-3),
                    "soc_min": rng.uniform(0, 0.1), "soc_max": rng.uniform(0.9, 1.0)},
        "grid": {"import_price_per_mwh": rng.uniform(250, 600),
                 "green_premium_per_mwh": rng.uniform(0, 60)},
        "economics": {"discount_rate": rng.uniform(0.03, 0.08)},
        "targets": {"onsite_share": rng.uniform(0.5, 0.9), "clean_share": 1.0},
    })
    time = pd.date_range("2001-03-01", periods=hours, freq="h")
    profiles = xr.Dataset({"pv_pu": ("time", pv), "wind_pu": ("time", wind),
                           "load": ("time", load)}, coords={"time": time})
    return park, profiles


def pypsa_network(park, profiles) -> tuple[pypsa.Network, callable]:
    """The sizing problem as a PyPSA network and its extra_functionality (on-site share)."""
    c = asset_costs(park)
    bat, grid = park.battery, park.grid
    hours = profiles.sizes["time"]
    load = profiles["load"].values
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(hours))
    n.snapshot_weightings.loc[:, "objective"] = 8760.0 / hours  # energy costs per year
    n.add("Bus", "park")
    n.add("Bus", "battery")
    n.add("Load", "load", bus="park", p_set=load)
    n.add("Generator", "pv", bus="park", p_nom_extendable=True, capital_cost=c.pv_annual_per_mw,
          p_max_pu=profiles["pv_pu"].values)
    n.add("Generator", "wind", bus="park", p_nom_extendable=True,
          capital_cost=c.wind_annual_per_mw, p_max_pu=profiles["wind_pu"].values)
    # grid serves load only: its hourly limit is the load itself
    peak = float(load.max())
    n.add("Generator", "grid", bus="park", p_nom=peak, p_max_pu=load / peak,
          marginal_cost=grid.import_price_per_mwh + grid.green_premium_per_mwh)
    n.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
          capital_cost=c.battery_annual_per_mwh, e_min_pu=bat.soc_min, e_max_pu=bat.soc_max,
          standing_loss=bat.self_discharge_per_h)
    n.add("Link", "charger", bus0="park", bus1="battery", efficiency=bat.eta_charge,
          p_nom_extendable=True, capital_cost=c.battery_annual_per_mw)
    n.add("Link", "discharger", bus0="battery", bus1="park", efficiency=bat.eta_discharge,
          p_nom_extendable=True)
    # standing_loss acts on all of e; energysim's leak acts above the floor only, so the
    # floor's leak sigma * soc_min * e_nom flows back in every hour (fixed in extra below)
    n.add("Generator", "floor", bus="battery", p_nom_extendable=True)
    cap_share = (1.0 - park.targets.onsite_share) * float(load.sum())

    def extra(n, snapshots):
        m = n.model
        p_nom = m.variables["Link-p_nom"]
        # one AC power rating: discharger input x eta_d = AC output <= charger rating
        ratio = xr.DataArray([bat.eta_discharge, -1.0], coords={"name": ["discharger", "charger"]})
        power = p_nom.sel(name=["discharger", "charger"])
        m.add_constraints((power * ratio).sum() == 0, name="battery_power")
        e_nom = m.variables["Store-e_nom"].sum()  # the one store
        floor_p = m.variables["Generator-p"].sel(name=["floor"]).sum("name")
        m.add_constraints(floor_p - bat.self_discharge_per_h * bat.soc_min * e_nom == 0,
                          name="floor_no_leak")
        grid_p = m.variables["Generator-p"].loc[:, "grid"]
        m.add_constraints(grid_p.sum() <= cap_share, name="onsite_share")

    return n, extra


def solve_pypsa(park, profiles) -> dict:
    n, extra = pypsa_network(park, profiles)
    status, cond = n.optimize(solver_name="highs", extra_functionality=extra,
                                include_objective_constant=False)
    assert status == "ok", cond
    return {
        "cost": float(n.objective),
        "pv_mw": float(n.generators.p_nom_opt["pv"]),
        "wind_mw": float(n.generators.p_nom_opt["wind"]),
        "battery_mwh": float(n.stores.e_nom_opt["battery"]),
        "battery_mw": float(n.links.p_nom_opt["charger"]),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_optimum_as_pypsa(seed, tmp_path):
    park, profiles = random_case(seed, hours=24 * 14, tmp_path=tmp_path)
    ours = size(park, profiles)
    ref = solve_pypsa(park, profiles)
    assert ours.annualized_cost == pytest.approx(ref["cost"], rel=COST_RTOL)
    scale = float(profiles["load"].mean()) * 1e-3
    for name in ("pv_mw", "wind_mw", "battery_mwh", "battery_mw"):
        assert getattr(ours.capacities, name) == pytest.approx(ref[name], rel=CAP_RTOL,
                                                               abs=scale), name
    # the cross-check has teeth: the two objectives really are the same numbers
    assert ours.objective_terms["imports"] > 0
