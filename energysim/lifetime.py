r"""The project's life, year by year: degraded capacities, load growth, replacements, NPC.

``simulate_lifetime(park, capacities)`` (``energysim lifetime``) simulates every
year of ``economics.project_life_yr``:

- year k (1-based) runs on weather year ``(k - 1) mod W`` of the ensemble
  (``[weather] ensemble_path``, split by :func:`energysim.study.year_weathers`;
  the configured weather alone when there is none);
- the load is grown by ``(1 + load.growth_pct_yr / 100)^(k-1)``, PV and wind
  output declined by their ``degradation_pct_yr``
  (:func:`energysim.degradation.compound_decline`, age reset when the plant
  reaches its ``lifetime_yr`` and is rebuilt), the battery's usable energy is
  nameplate x state of health;
- the Numba core (:func:`energysim.dispatch.life.simulate_years`) dispatches
  all years in one call, counts the battery's cycles, ages it and replaces it
  when its state of health falls below ``battery.replace_at_soh`` or every
  ``battery.replace_every_yr`` years.

Money (the config's currency) follows the yearly cash flows: capex of every
asset in year 0; fixed O&M on nameplate, energy cost (imports at their price,
green premium, minus export revenue: :mod:`energysim.accounting`) and
replacements (battery capex x (1 - decline)^k; PV and wind capex when rebuilt)
in their year. The net present cost discounts them at ``economics.discount_rate``,

.. math:: NPC = C_0 + \sum_{k=1}^{L} \frac{C_k}{(1 + r)^k}

No salvage value is credited at the end of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim import accounting
from energysim.config import BatteryConfig, Capacities, ParkConfig
from energysim.degradation import compound_decline
from energysim.dispatch import TOTAL_KEYS, dispatch_params, kernel
from energysim.dispatch import life as life_kernel
from energysim.economics import asset_costs
from energysim.errors import ConfigError, ProfileError, problem
from energysim.results import atomic_write, provenance, write_json

__all__ = ["LifetimeResult", "simulate_lifetime", "aging_rules", "LIFETIME_COLUMNS"]

#: Columns of ``lifetime.csv``, one row per year of life (quantities in nomenclature).
LIFETIME_COLUMNS = (
    "year", "weather_year", "load_factor", "pv_factor", "wind_factor", "battery_soh",
    "battery_energy_mwh", "replaced", "battery_cycles", "battery_damage",
    "battery_fade_cycle", "battery_fade_calendar", "onsite_share", "clean_share",
    "load_mwh", "pv_mwh", "wind_mwh", "import_green_mwh", "import_regular_mwh",
    "curtail_mwh", "unmet_mwh", "om_cost", "energy_cost", "replacement_cost", "cost",
    "cash_flow", "discount_factor", "discounted_cost",
)
_ONSITE = ("pv", "wind")


@dataclass
class LifetimeResult:
    """A park simulated over its life: one row per year and the net present cost."""

    park: ParkConfig
    capacities: Capacities
    table: pd.DataFrame  #: columns :data:`LIFETIME_COLUMNS`
    capex: dict[str, float]  #: year-0 capex by asset [money]
    npc: float  #: net present cost [money]
    provenance: dict[str, Any] = field(default_factory=dict)

    def answer(self) -> dict[str, Any]:
        """The summary written to ``lifetime.json``."""
        t = self.table
        target = self.park.targets.onsite_share
        return {
            "npc": self.npc,
            "capex": self.capex,
            "currency": self.park.economics.currency,
            "discount_rate": self.park.economics.discount_rate,
            "project_life_yr": len(t),
            "capacities": self.capacities.model_dump(),
            "onsite_share_target": target,
            "onsite_share_first_year": float(t["onsite_share"].iloc[0]),
            "onsite_share_last_year": float(t["onsite_share"].iloc[-1]),
            "onsite_share_min": float(t["onsite_share"].min()),
            "years_below_target": [int(y) for y in
                                   t.loc[t["onsite_share"] < target - 1e-9, "year"]],
            "battery_replacement_years": [int(y) for y in t.loc[t["replaced"], "year"]],
            "battery_soh_last_year": float(t["battery_soh"].iloc[-1]),
            "assumptions": lifetime_assumptions(self.park),
            "provenance": self.provenance,
        }

    def save(self, out_dir: Path) -> dict[str, Path]:
        """Write ``lifetime.csv`` (one row per year) and ``lifetime.json`` into ``out_dir``."""
        out_dir = Path(out_dir)
        table = self.table
        return {
            "csv": atomic_write(out_dir / "lifetime.csv",
                                lambda tmp: table.to_csv(tmp, index=False)),
            "json": write_json(out_dir / "lifetime.json", self.answer()),
        }


def lifetime_assumptions(park: ParkConfig) -> list[dict[str, str]]:
    """The ageing assumptions of a lifetime run, for its summary."""
    b = park.battery
    rows = [
        ("battery.calendar_fade_pct_yr", f"{b.calendar_fade_pct_yr:g} %/yr",
         "assumption: no sourced calendar-fade figure for grid LFP (FACTS.md)"),
        ("battery.cycle_life", f"{b.cycle_life:g} cycles to {b.cycle_life_end_soh:g} SoH",
         "FACTS.md: ~6 000 cycles to 70-80 % (280 Ah LFP, 25 degC)"),
        ("battery.cycle_life_dod_exponent", f"{b.cycle_life_dod_exponent:g}",
         "assumption: LFP fade follows Ah throughput (Wang et al. 2011)"),
        ("battery.replace_at_soh", "never" if b.replace_at_soh is None else f"{b.replace_at_soh:g}",
         "assumption"),
        ("pv.degradation_pct_yr", f"{park.pv.degradation_pct_yr:g} %/yr",
         "Jordan & Kurtz 2013 (median of field studies)"),
        ("wind.degradation_pct_yr", f"{park.wind.degradation_pct_yr:g} %/yr",
         "Staffell & Green 2014 measured 1.6 %/yr (UK)"),
        ("salvage value", "none", "assets have no value at the end of the project"),
    ]
    return [{"field": f, "value": v, "basis": basis} for f, v, basis in rows]


def aging_rules(battery: BatteryConfig) -> life_kernel.Aging:
    """The battery ageing and replacement rules of the lifetime kernel."""
    return life_kernel.Aging(
        model=life_kernel.AGING_MODELS[battery.degradation],
        cycle_life=float(battery.cycle_life),
        dod_exponent=float(battery.cycle_life_dod_exponent),
        end_soh=float(battery.cycle_life_end_soh),
        calendar_fade_pct_yr=float(battery.calendar_fade_pct_yr),
        replace_at_soh=float(battery.replace_at_soh or 0.0),
        replace_every_yr=int(battery.replace_every_yr or 0),
    )


def _life_years(park: ParkConfig) -> int:
    years = park.economics.project_life_yr
    if years != int(years):
        raise ConfigError(problem("must be a whole number of years for a lifetime run",
                                  source=park.source, field="[economics] project_life_yr",
                                  value=years))
    return int(years)


def _weather_profiles(park: ParkConfig) -> list[tuple[int | None, xr.Dataset]]:
    """(weather year, Profiles) of each year of the ensemble, or the configured weather."""
    from energysim.ensemble import year_weathers
    from energysim.profiles import build_profiles

    years = year_weathers(park)
    if not years:
        return [(None, build_profiles(park))]
    return [(year, build_profiles(park, weather=wx)) for year, wx in years.items()]


def _stack(profiles: Sequence[xr.Dataset]) -> tuple[dict[str, np.ndarray], float]:
    """The weather years' profiles as (years, hours) arrays, and their step [h]."""
    names = ("pv_pu", "wind_pu", "load", "import_price_per_mwh", "emission_factor_t_per_mwh")
    hours = profiles[0].sizes["time"]
    for i, p in enumerate(profiles):
        if p.sizes["time"] != hours:
            raise ProfileError(problem(f"every weather year needs {hours} hours like the first",
                                       source=p.attrs.get("source", "profiles"),
                                       field=f"weather year {i + 1}",
                                       value=f"{p.sizes['time']} hours"))
    arrays = {n: np.stack([np.asarray(p[n].values, dtype=np.float64) for p in profiles])
              for n in names}
    return arrays, float(profiles[0].attrs.get("dt_h", 1.0))


def _ages(years: int, lifetime_yr: float) -> tuple[np.ndarray, np.ndarray]:
    """Age [yr] of a plant in each year of life and whether it is rebuilt at its start."""
    life = max(int(round(lifetime_yr)), 1)
    age = np.arange(years) % life
    return age, (age == 0) & (np.arange(years) > 0)


def _run_kernel(park, capacities, arrays, dt_h, years):
    """Per-year annual totals and ageing columns from one call of the lifetime kernel."""
    factors = {name: compound_decline(getattr(park, name).degradation_pct_yr,
                                      _ages(years, getattr(park, name).lifetime_yr)[0])
               for name in _ONSITE}
    load_factor = (1.0 + park.load.growth_pct_yr / 100.0) ** np.arange(years)
    kit = kernel.Kit(float(capacities.pv_mw), float(capacities.wind_mw),
                     float(capacities.battery_mwh), float(capacities.battery_mw))
    totals, life_rows = life_kernel.run_life(
        arrays, np.arange(years), load_factor, factors["pv"], factors["wind"], kit,
        dispatch_params(park.battery, park.grid, capacities, dt_h=dt_h, tariff=park.tariff),
        aging_rules(park.battery))
    return totals, life_rows, load_factor, factors


def _capex(park: ParkConfig, capacities: Capacities) -> dict[str, float]:
    c = asset_costs(park)
    return {
        "pv": capacities.pv_mw * c.pv_capex_per_mw,
        "wind": capacities.wind_mw * c.wind_capex_per_mw,
        "battery": capacities.battery_mwh * c.battery_capex_per_mwh
        + capacities.battery_mw * c.battery_capex_per_mw,
    }


def _fixed_om(park: ParkConfig, capacities: Capacities, capex: dict[str, float]) -> float:
    """Fixed O&M per year on nameplate [money/yr] (PV and wind per kW, battery % of capex)."""
    return (capacities.pv_mw * park.pv.fixed_om_per_kw_yr * 1e3
            + capacities.wind_mw * park.wind.fixed_om_per_kw_yr * 1e3
            + capex["battery"] * park.battery.fixed_om_pct_capex_yr / 100.0)


def _year_row(k, totals, life_row, capacities, park, factors, load_factor) -> dict[str, Any]:
    """Energy, shares and battery state of year k (0-based) through the one accounting."""
    row = dict(zip(life_kernel.LIFE, life_row.tolist(), strict=True))
    caps = Capacities(pv_mw=capacities.pv_mw * factors["pv"][k],
                      wind_mw=capacities.wind_mw * factors["wind"][k],
                      battery_mwh=capacities.battery_mwh * row["battery_soh"],
                      battery_mw=capacities.battery_mw)
    kpi = accounting.kpis_from_totals(dict(zip(TOTAL_KEYS, totals.tolist(), strict=True)),
                                      park, caps)
    return {
        "year": k + 1, "load_factor": load_factor[k], "pv_factor": factors["pv"][k],
        "wind_factor": factors["wind"][k], "battery_soh": row["battery_soh"],
        "battery_energy_mwh": caps.battery_mwh, "replaced": bool(row["replaced"]),
        "battery_cycles": kpi["battery_cycles"], "battery_damage": row["battery_damage"],
        "battery_fade_cycle": row["battery_fade_cycle"],
        "battery_fade_calendar": row["battery_fade_calendar"],
        **{key: kpi[key] for key in ("onsite_share", "clean_share", "load_mwh", "pv_mwh",
                                     "wind_mwh", "import_green_mwh", "import_regular_mwh",
                                     "curtail_mwh", "unmet_mwh")},
        "energy_cost": accounting.energy_cost(kpi),
    }


def _cash_flows(table: pd.DataFrame, park: ParkConfig, capacities: Capacities,
                capex: dict[str, float]) -> pd.DataFrame:
    """O&M, replacement, total cost and its discounted value of every year [money]."""
    years = len(table)
    k = table["year"].to_numpy()
    decline = (1.0 - park.battery.replacement_cost_decline_pct_yr / 100.0) ** k
    replacement = np.where(table["replaced"].to_numpy(), capex["battery"] * decline, 0.0)
    for name in _ONSITE:  # plants rebuilt at the end of their lifetime
        replacement += np.where(_ages(years, getattr(park, name).lifetime_yr)[1], capex[name], 0.0)
    table["om_cost"] = _fixed_om(park, capacities, capex)
    table["replacement_cost"] = replacement
    table["cost"] = table["om_cost"] + table["energy_cost"] + table["replacement_cost"]
    table["cash_flow"] = -table["cost"]
    table["discount_factor"] = (1.0 + park.economics.discount_rate) ** -k.astype(float)
    table["discounted_cost"] = table["cost"] * table["discount_factor"]
    return table


def simulate_lifetime(park: ParkConfig, capacities: Capacities | None = None, *,
                      profiles: Sequence[xr.Dataset] | None = None) -> LifetimeResult:
    """Simulate ``capacities`` over the project's life, year by year (module notes).

    Parameters
    ----------
    park : ParkConfig
        Validated config; ``economics.project_life_yr`` (whole years) sets the
        number of years, ``[battery]``, ``[pv]``, ``[wind]`` and ``[load]`` the
        ageing, replacement and growth rules.
    capacities : Capacities, optional
        Nameplate to simulate (PV MWp, wind MW, battery usable MWh and MW);
        default the configured ones. A sizing can certify its answer here.
    profiles : sequence of xarray.Dataset, optional
        Ready Profiles of the weather years to cycle through (equal lengths);
        built from the config (ensemble, else the configured weather) when omitted.

    Returns
    -------
    LifetimeResult
        ``table`` (:data:`LIFETIME_COLUMNS`, one row per year), ``capex``, ``npc``.
    """
    from energysim.flexible import require_none
    from energysim.procurement import not_supported

    not_supported(park, "the lifetime simulation")
    require_none(park, "the lifetime simulation")
    capacities = capacities or park.capacities()
    years = _life_years(park)
    from energysim.profiles import complete

    labelled = (_weather_profiles(park) if profiles is None
                else [(None, complete(p, park)) for p in profiles])
    arrays, dt_h = _stack([p for _, p in labelled])
    totals, life_rows, load_factor, factors = _run_kernel(park, capacities, arrays, dt_h, years)
    rows = [_year_row(k, totals[k], life_rows[k], capacities, park, factors, load_factor)
            for k in range(years)]
    table = pd.DataFrame(rows)
    table.insert(1, "weather_year", [labelled[k % len(labelled)][0] for k in range(years)])
    capex = _capex(park, capacities)
    table = _cash_flows(table, park, capacities, capex)[list(LIFETIME_COLUMNS)]
    npc = sum(capex.values()) + float(table["discounted_cost"].sum())
    prov = provenance(park, labelled[0][1], weather_years=[w for w, _ in labelled],
                      life_years=years)
    return LifetimeResult(park, capacities, table, capex, npc, prov)
