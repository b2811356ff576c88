"""Reading a solved sizing model back into physical units: capacities, Flows, cost terms."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.economics import asset_costs
from energysim.nomenclature import attrs
from energysim.sizing.model import HOURS_PER_YEAR, UNMET_PENALTY_FACTOR
from energysim.sizing.solve import values

__all__ = ["capacities_of", "flows_of", "objective_terms", "onsite_share", "sizing_record"]


def capacities_of(m) -> Capacities:
    """Capacities at the model's solution [MW, MWh]; tiny negatives from tolerances become 0."""
    P = m.scaling.power_mw
    return Capacities(
        pv_mw=max(0.0, pyo.value(m.cap_pv) * P),
        wind_mw=max(0.0, pyo.value(m.cap_wind) * P),
        battery_mwh=max(0.0, pyo.value(m.cap_energy) * P),
        battery_mw=max(0.0, pyo.value(m.cap_power) * P),
    )


def flows_of(m, profiles: xr.Dataset) -> xr.Dataset:
    """The LP's hourly flows as a Flows Dataset [MW; soc MWh].

    Curtailment is the slack of the balance row (available on-site generation
    not used), clipped at 0 where solver tolerances leave a tiny negative.
    """
    P, data = m.scaling.power_mw, m.data
    caps = capacities_of(m)
    out = {
        "pv": caps.pv_mw * data.pv_pu,
        "wind": caps.wind_mw * data.wind_pu,
        "import_green": np.maximum(values(m.import_green) * P, 0.0),
        "import_regular": np.maximum(values(m.import_regular) * P, 0.0),
        "export": np.maximum(values(m.export) * P, 0.0),
        "charge": np.maximum(values(m.charge) * P, 0.0),
        "discharge": np.maximum(values(m.discharge) * P, 0.0),
        "unmet": np.maximum(values(m.unmet) * P, 0.0),
        "soc": np.maximum(values(m.soc) * P, 0.0),
        "load": data.load,
    }
    supply = out["pv"] + out["wind"] + out["import_green"] + out["import_regular"] + out["discharge"]
    out["curtail"] = np.maximum(
        supply + out["unmet"] - out["load"] - out["charge"] - out["export"], 0.0
    )
    out["onsite_served"] = np.maximum(
        out["load"] - out["import_green"] - out["import_regular"] - out["unmet"], 0.0
    )
    time = profiles["time"]
    ds = xr.Dataset(
        {name: xr.DataArray(arr, coords={"time": time}, dims="time", attrs=attrs(name))
         for name, arr in out.items()},
        attrs={"dt_h": data.dt_h, "source": "energysim.sizing LP (perfect foresight)"},
    )
    return ds


def onsite_share(flows: xr.Dataset) -> float:
    """On-site share of load over the run [0-1]: on-site served energy / load energy."""
    return float(flows["onsite_served"].sum() / flows["load"].sum())


def objective_terms(park: ParkConfig, flows: xr.Dataset, profiles_price: np.ndarray,
                    capacities: Capacities) -> dict[str, float]:
    """Annual cost terms of a solution [money/yr]; they add up to the LP objective.

    Asset terms cost only capacity beyond what exists (existing capacity is
    sunk); energy terms are scaled to a year by 8760 / hours.
    """
    c = asset_costs(park)
    dt = float(flows.attrs.get("dt_h", 1.0))
    w = HOURS_PER_YEAR / (flows.sizes["time"] * dt)
    g = flows["import_green"].values
    r = flows["import_regular"].values
    premium = park.grid.green_premium_per_mwh
    penalty = UNMET_PENALTY_FACTOR * (float(np.max(np.abs(profiles_price))) + premium + 1.0)
    bat = park.battery
    terms = {
        "pv": c.pv_annual_per_mw * (capacities.pv_mw - park.pv.existing_mw),
        "wind": c.wind_annual_per_mw * (capacities.wind_mw - park.wind.existing_mw),
        "battery_energy": c.battery_annual_per_mwh * (capacities.battery_mwh - bat.existing_mwh),
        "battery_power": c.battery_annual_per_mw * (capacities.battery_mw - bat.existing_mw),
        "imports": w * dt * float(((g + r) * profiles_price).sum()),
        "green_premium": w * dt * premium * float(g.sum()),
        "export_revenue": -w * dt * park.grid.export_price_per_mwh * float(flows["export"].sum()),
        "unmet_penalty": w * dt * penalty * float(flows["unmet"].sum()),
    }
    return terms


def sizing_record(sized, kpis: dict, target_onsite_share: float) -> dict:
    """The ``sizing.json`` content, one layout for ``energysim size`` and ``study``.

    ``sized`` is a :class:`energysim.sizing.SizingResult`; ``kpis`` are the
    re-simulated KPIs (what is reported), the LP's own share sits beside them.
    """
    return {
        "capacities": sized.capacities.model_dump(),
        "annualized_cost": kpis["annualized_cost"],
        "target_onsite_share": target_onsite_share,
        "lp_onsite_share": sized.lp_onsite_share,
        "sim_onsite_share": sized.sim_onsite_share,
        "objective_terms": sized.objective_terms,
        "solver": vars(sized.solver),  # SolverInfo dataclass -> dict for JSON
        "screening": sized.screening,
        "kpis": kpis,
    }
