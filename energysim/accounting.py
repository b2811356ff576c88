"""Accounting: every KPI energysim reports, defined once, from hourly flows.

Energy in MWh per year of the run, shares as fractions of annual load, money in
the config's currency per year. A run shorter than a year (a few weeks of
profile) reports energies scaled to a year by ``8760 / hours`` (DESIGN.md's
short-horizon convention); shares are unaffected by the scaling.

Definitions (DESIGN.md):

- ``onsite_share`` = load served by on-site PV and wind, directly or through
  on-site-origin battery energy / load. With flexible demand
  (:mod:`energysim.flexible`) the load is the park's **demand**: the process
  load as consumed (shifted, minus what was shed) **plus the electrolyser's
  consumption, minus the electricity that made the hydrogen the fuel cell
  turns back into power** (that round trip is storage, like the battery,
  whose losses are not load either; the rest of the hydrogen leaves the
  electricity system as product). So
  ``onsite_share = (onsite_served - fuel_cell_input) / (load + electrolyser -
  fuel_cell_input)`` with ``onsite_served`` the on-site supply to load and
  electrolyser (directly, via battery or fuel cell); the sizing LP's target
  row is the same ratio (:mod:`energysim.sizing.targets`). Without flexible
  demand both extra terms are 0 and the definition is the one above.
- ``green_import_share``, ``regular_import_share`` = imports labelled green /
  regular that serve load / load (grid energy stored in the battery is counted
  when it is discharged to load, so the shares of one hour add up)
- ``clean_share`` = onsite + green
- ``unmet_share`` = unserved / load; onsite + green + regular + unmet = 1
- ``curtailment_share`` = curtailed / available renewable generation
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.economics import annuity_factor, asset_costs

__all__ = [
    "HOURS_PER_YEAR",
    "TOTAL_KEYS",
    "annual_totals",
    "kpis_from_totals",
    "annual_scale",
    "energy_kpis",
    "share_kpis",
    "hourly_matching_kpis",
    "demand_mwh",
    "onsite_fraction",
    "flexible_totals",
    "hydrogen_kpis",
    "FLEX_TOTAL_KEYS",
    "battery_kpis",
    "cost_kpis",
    "carbon_kpis",
    "indicator_table",
    "kpis",
]

HOURS_PER_YEAR = 8760.0

#: kgce per kWh (= tce per MWh) of the two electricity-to-standard-coal methods (FACTS.md).
ELECTRICITY_TO_TCE_PER_MWH = {
    # equivalent calorific value, GB/T 2589-2020 comprehensive energy consumption
    "equivalent": 0.1229,
}


def annual_scale(flows: xr.Dataset) -> float:
    """Factor turning sums over the run into per-year values: 8760 / hours [-]."""
    return HOURS_PER_YEAR / float(flows.sizes["time"])


def _total(flows: xr.Dataset, name: str, scale: float) -> float:
    """Annual energy of an hourly MW flow [MWh/yr] (Δt = 1 h)."""
    dt_h = float(flows.attrs.get("dt_h", 1.0))
    return float(flows[name].sum()) * dt_h * scale


#: Annual totals every KPI derives from (MWh/yr, money/yr, t/yr): what
#: :func:`annual_totals` computes from hourly flows, and what the Numba sweep
#: computes per scenario without keeping hourly flows.
TOTAL_KEYS = (
    "load_mwh", "pv_mwh", "wind_mwh", "import_green_mwh", "import_regular_mwh", "export_mwh",
    "curtail_mwh", "unmet_mwh", "charge_mwh", "discharge_mwh", "onsite_served_mwh",
    "import_cost", "co2_t", "co2_baseline_t",
)


def annual_totals(flows: xr.Dataset, profiles: xr.Dataset) -> dict[str, float]:
    r"""Annual totals of a run [MWh/yr, money/yr, t/yr], scaled by 8760 / hours.

    ``pv_mwh`` and ``wind_mwh`` are available generation (before curtailment).

    .. math::
        C_{import} = \sum_h (P^{green}_h + P^{regular}_h)\,\pi_h, \quad
        CO2 = \sum_h P^{regular}_h\,EF_h, \quad CO2_{baseline} = \sum_h L_h\,EF_h

    each times 8760/N. Green imports carry no scope-2 emissions (market-based
    accounting); the factor applied to regular imports should then exclude
    market-traded green power (MEE 2022: 0.5856 t/MWh, FACTS.md) to avoid
    double counting. The baseline buys the whole load at the same hourly factor.
    """
    s = annual_scale(flows)
    out = {name: _total(flows, name.removesuffix("_mwh"), s) for name in TOTAL_KEYS[:11]}
    price = profiles["import_price_per_mwh"].values
    ef = profiles["emission_factor_t_per_mwh"].values
    imports = flows["import_green"].values + flows["import_regular"].values
    out["import_cost"] = float((imports * price).sum()) * s
    out["co2_t"] = float((flows["import_regular"].values * ef).sum()) * s
    out["co2_baseline_t"] = float((flows["load"].values * ef).sum()) * s
    if "electrolyser" in flows:
        out.update(flexible_totals(flows, profiles))
    return out


#: Annual totals of a run with flexible demand (:func:`flexible_totals`) [MWh/yr, kg/yr, t/yr].
FLEX_TOTAL_KEYS = (
    "electrolyser_mwh", "fuel_cell_mwh", "fuel_cell_input_mwh", "load_shed_mwh",
    "hydrogen_production_kg", "hydrogen_delivered_kg", "hydrogen_unmet_kg", "hydrogen_sold_kg",
    "fuel_cell_hydrogen_kg", "electrolyser_onsite_mwh", "hydrogen_co2_t",
    "hydrogen_co2_location_t",
)


def flexible_totals(flows: xr.Dataset, profiles: xr.Dataset) -> dict[str, float]:
    r"""Annual totals of flexible demand [MWh/yr, kg/yr, t/yr] (scaled by 8760 / hours).

    Origin of the electrolyser's electricity, per hour: on-site supply serves the
    process load first and the electrolyser second (the rule-based order), so
    :math:`e^{on}_h = \min(e_h, \max(S^{onsite}_h - L_h, 0))`; the rest came
    from the grid, regular in the ratio of the hour's imports. Hydrogen CO2:
    regular grid electricity x emission factor (market-based, green imports
    zero-carbon; ``hydrogen_co2_t``) and all grid electricity x the factor
    (``hydrogen_co2_location_t``). ``fuel_cell_input_mwh`` is the electrolyser
    electricity of the hydrogen the fuel cell used.
    """
    s = annual_scale(flows)
    dt_h = float(flows.attrs.get("dt_h", 1.0))
    per_kg = float(flows.attrs.get("electrolyser_mwh_per_kg", 0.0))

    def total(values) -> float:
        return float(np.sum(values)) * dt_h * s

    e = flows["electrolyser"].values
    on = np.minimum(e, np.maximum(flows["onsite_served"].values - flows["load"].values, 0.0))
    green, regular = flows["import_green"].values, flows["import_regular"].values
    imports = green + regular
    grid = e - on
    reg = grid * np.divide(regular, imports, out=np.zeros_like(imports), where=imports > 0)
    ef = profiles["emission_factor_t_per_mwh"].values
    out = {"electrolyser_mwh": total(e), "fuel_cell_mwh": total(flows["fuel_cell"].values),
           "load_shed_mwh": total(flows["load_shed"].values)}
    for name in ("production", "delivered", "unmet", "sold"):
        out[f"hydrogen_{name}_kg"] = total(flows[f"hydrogen_{name}"].values)
    out["fuel_cell_hydrogen_kg"] = total(flows["fuel_cell_hydrogen"].values)
    out["fuel_cell_input_mwh"] = out["fuel_cell_hydrogen_kg"] * per_kg
    out["electrolyser_onsite_mwh"] = total(on)
    out["hydrogen_co2_t"] = total(reg * ef)
    out["hydrogen_co2_location_t"] = total(grid * ef)
    return out


def energy_kpis(totals: dict[str, float], capacities: Capacities) -> dict[str, float]:
    """Annual energies [MWh/yr] and full-load hours [h/yr] (generation / capacity, PV per MWp DC)."""
    out = {k: totals[k] for k in TOTAL_KEYS[:11]}
    out.update({k: totals[k] for k in FLEX_TOTAL_KEYS if k in totals})
    out["import_mwh"] = out["import_green_mwh"] + out["import_regular_mwh"]
    out["pv_full_load_hours"] = out["pv_mwh"] / capacities.pv_mw if capacities.pv_mw > 0 else 0.0
    out["wind_full_load_hours"] = (
        out["wind_mwh"] / capacities.wind_mw if capacities.wind_mw > 0 else 0.0
    )
    return out


def demand_mwh(energy: dict[str, float]) -> float:
    """The park's demand of the shares [MWh/yr]: load + electrolyser - fuel cell input
    (module notes); the load itself without flexible demand."""
    return energy["load_mwh"] + (energy.get("electrolyser_mwh", 0.0)
                                 - energy.get("fuel_cell_input_mwh", 0.0))


def onsite_fraction(energy: dict[str, float]) -> float:
    """On-site share of the demand [0-1]: (on-site served - fuel cell input) / demand."""
    return (energy["onsite_served_mwh"] - energy.get("fuel_cell_input_mwh", 0.0)) / demand_mwh(energy)


def share_kpis(energy: dict[str, float]) -> dict[str, float]:
    r"""Shares of annual load [0-1].

    .. math::
        s_{onsite} = E_{onsite\,served} / E_{load}, \quad
        s_{green} = (E_{load} - E_{onsite\,served} - E_{unmet}) \cdot
                    \frac{E_{imp,green}}{E_{imp}}, \quad
        s_{clean} = s_{onsite} + s_{green}

    Grid energy reaches load directly or through the battery (grid charging);
    its green/regular mix is the mix of the imports, so the grid-served part of
    load is split in that ratio. Without grid charging this equals
    E_imp,green / E_load exactly.

    With flexible demand :math:`E_{load}` is the park's demand
    :math:`E_{load} + E_{el} - E_{fc,in}` and the on-site energy
    :math:`E_{onsite\,served} - E_{fc,in}` (module notes); both extra terms are
    0 without it.
    """
    load = demand_mwh(energy)
    if load <= 0:
        nan = math.nan
        return dict.fromkeys(
            ("onsite_share", "green_import_share", "regular_import_share", "clean_share",
             "unmet_share"), nan
        ) | {"curtailment_share": 0.0}
    onsite = onsite_fraction(energy)
    unmet = energy["unmet_mwh"] / load
    grid_served = max(0.0, 1.0 - onsite - unmet)
    imports = energy["import_mwh"]
    green_frac = energy["import_green_mwh"] / imports if imports > 0 else 0.0
    green = grid_served * green_frac
    regular = grid_served - green
    generation = energy["pv_mwh"] + energy["wind_mwh"]
    return {
        "onsite_share": onsite,
        "green_import_share": green,
        "regular_import_share": regular,
        "clean_share": onsite + green,
        "unmet_share": unmet,
        "curtailment_share": energy["curtail_mwh"] / generation if generation > 0 else 0.0,
    }


def hourly_matching_kpis(flows: xr.Dataset, park: ParkConfig) -> dict[str, float]:
    r"""24/7 carbon-free matching scores [0-1].

    In each hour h the carbon-free supply is on-site supply to load plus the
    contracted green supply of that hour, :math:`g_h`:

    .. math::
        CFE_{energy} = \frac{\sum_h \min(L_h, S^{onsite}_h + g_h)}{\sum_h L_h},\qquad
        CFE_{hours} = \frac{\#\{h : S^{onsite}_h + g_h \ge L_h\}}{N}

    Under an hourly-matched contract, :math:`g_h` is the green import of the
    hour. An annual contract does not say when its green energy was generated;
    it is taken as a flat block, :math:`g_h = V / N` with V the green volume
    delivered in the run — the usual convention for annual certificates in
    24/7 scoring (e.g. Google/EnergyTag hourly matching).
    """
    load = flows["load"].values
    onsite = flows["onsite_served"].values
    green = flows["import_green"].values
    if park.grid.green_matching == "hourly":
        g = green
    else:
        g = np.full_like(load, green.sum() / len(load))
    covered = np.minimum(load, onsite + g)
    total = load.sum()
    return {
        "cfe_hourly_score": float(covered.sum() / total) if total > 0 else math.nan,
        "cfe_hours_share": float(np.mean(onsite + g >= load * (1 - 1e-9))),
    }


def battery_kpis(totals: dict[str, float], capacities: Capacities) -> dict[str, float]:
    """Battery throughput [MWh/yr] (discharged energy) and equivalent full cycles [1/yr]."""
    throughput = totals["discharge_mwh"]
    cycles = throughput / capacities.battery_mwh if capacities.battery_mwh > 0 else 0.0
    return {"battery_throughput_mwh": throughput, "battery_cycles": cycles}


def asset_terms(park: ParkConfig, capacities: Capacities, *, sunk_existing: bool = False
                ) -> dict[str, float]:
    """Annualised cost of each asset [money/yr]: capex x CRF + fixed O&M per unit x capacity.

    With ``sunk_existing`` only capacity beyond ``existing_*`` is charged (the
    sizing objective: existing capacity is sunk); otherwise the whole kit.
    """
    c = asset_costs(park)
    bat = park.battery
    ex = {"pv": park.pv.existing_mw, "wind": park.wind.existing_mw,
          "battery_energy": bat.existing_mwh, "battery_power": bat.existing_mw}
    if not sunk_existing:
        ex = dict.fromkeys(ex, 0.0)
    return {
        "pv": c.pv_annual_per_mw * (capacities.pv_mw - ex["pv"]),
        "wind": c.wind_annual_per_mw * (capacities.wind_mw - ex["wind"]),
        "battery_energy": c.battery_annual_per_mwh * (capacities.battery_mwh - ex["battery_energy"]),
        "battery_power": c.battery_annual_per_mw * (capacities.battery_mw - ex["battery_power"]),
    } | _flexible_asset_terms(park, capacities, sunk_existing)


def _flexible_asset_terms(park: ParkConfig, capacities: Capacities, sunk_existing: bool
                          ) -> dict[str, float]:
    """Annualised cost of the electrolyser, hydrogen store and fuel cell [money/yr] (when present)."""
    from energysim import flexible

    if not flexible.hydrogen_active(park):
        return {}
    c = flexible.annual_costs(park)
    el, h2 = park.electrolyser, park.hydrogen
    ex = (el.existing_mw, h2.existing_kg, h2.fuel_cell_existing_mw) if sunk_existing else (0, 0, 0)
    out = {"electrolyser": c.electrolyser_annual_per_mw * (capacities.electrolyser_mw - ex[0]),
           "hydrogen_storage": c.storage_annual_per_kg * (capacities.hydrogen_storage_kg - ex[1])}
    if flexible.fuel_cell_active(park):
        out["fuel_cell"] = c.fuel_cell_annual_per_mw * (capacities.fuel_cell_mw - ex[2])
    return out


def energy_terms(totals: dict[str, float], park: ParkConfig,
                 unmet_penalty_per_mwh: float = 0.0) -> dict[str, float]:
    """Energy cost terms per year [money/yr]: imports at their price, green premium, minus
    export revenue, and unmet load at ``unmet_penalty_per_mwh`` (the sizing LP's penalty)."""
    return {
        "imports": totals["import_cost"],
        "green_premium": totals["import_green_mwh"] * park.grid.green_premium_per_mwh,
        "export_revenue": -totals["export_mwh"] * park.grid.export_price_per_mwh,
        "unmet_penalty": totals["unmet_mwh"] * unmet_penalty_per_mwh,
    } | _flexible_energy_terms(totals, park, unmet_penalty_per_mwh)


def _flexible_energy_terms(totals: dict[str, float], park: ParkConfig,
                           unmet_penalty_per_mwh: float) -> dict[str, float]:
    """Hydrogen sales (negative), unmet hydrogen and shed load at their penalties [money/yr].

    Unmet hydrogen costs ``[hydrogen] unmet_penalty_per_kg``, by default the
    unmet-load penalty per MWh x the electricity per kg (the sizing LP's rule).
    """
    if "electrolyser_mwh" not in totals:
        return {}
    out = {}
    if park.hydrogen is not None:
        h2 = park.hydrogen
        per_kg = h2.unmet_penalty_per_kg
        if per_kg is None:
            per_kg = unmet_penalty_per_mwh * park.electrolyser.kwh_per_kg / 1e3
        out["hydrogen_sales"] = -totals["hydrogen_sold_kg"] * (h2.sale_price_per_kg or 0.0)
        out["hydrogen_unmet_penalty"] = totals["hydrogen_unmet_kg"] * per_kg
    flex = park.load.flexible
    if flex is not None and flex.curtailable_share > 0:
        out["load_shed_penalty"] = totals["load_shed_mwh"] * flex.curtail_penalty_per_mwh
    return out


def cost_terms(totals: dict[str, float], park: ParkConfig, capacities: Capacities, *,
               unmet_penalty_per_mwh: float = 0.0) -> dict[str, float]:
    """The sizing objective's terms [money/yr]: new assets (existing capacity sunk) and
    energy; they add up to the LP objective at the LP's own flows."""
    return (asset_terms(park, capacities, sunk_existing=True)
            | energy_terms(totals, park, unmet_penalty_per_mwh))


def cost_kpis(
    energy: dict[str, float], totals: dict[str, float], park: ParkConfig, capacities: Capacities
) -> dict[str, float]:
    r"""Annualised cost, NPC, LCOE and all-in supply cost [money, money/yr, money/MWh].

    - asset cost = capex x CRF(r, lifetime) + fixed O&M, per asset (DESIGN.md)
    - energy cost = imports at their (hourly) price + green premium x green
      imports - exports x export price, scaled to a year
    - ``annualized_cost`` = asset cost + energy cost
    - ``npc`` = annualised cost x annuity factor(r, project life): the net present
      cost whose annuity is the annualised cost (HOMER's definition,
      C_ann = CRF(i, N) x NPC)
    - ``lcoe_onsite_per_mwh`` = annualised on-site asset cost / on-site energy
      served to load
    - ``lcoe_per_mwh`` = annualised cost / load served: the all-in cost of the
      park's supply per MWh
    """
    c = asset_costs(park)
    assets = asset_terms(park, capacities)
    terms = energy_terms(totals, park)
    import_cost, premium = terms["imports"], terms["green_premium"]
    export_revenue = -terms["export_revenue"]
    pv, wind = assets["pv"], assets["wind"]
    battery = assets["battery_energy"] + assets["battery_power"]
    onsite_assets = pv + wind + battery
    energy_cost = import_cost + premium - export_revenue
    total = onsite_assets + energy_cost
    served = energy["load_mwh"] - energy["unmet_mwh"]
    flex = _flexible_cost_kpis(assets, terms, park, capacities)
    total += flex.get("annualized_cost_flexible", 0.0)
    return flex | {
        "annualized_cost": total,
        "annualized_cost_pv": pv,
        "annualized_cost_wind": wind,
        "annualized_cost_battery": battery,
        "import_cost": import_cost,
        "green_premium_cost": premium,
        "export_revenue": export_revenue,
        "capex_pv": capacities.pv_mw * c.pv_capex_per_mw,
        "capex_wind": capacities.wind_mw * c.wind_capex_per_mw,
        "capex_battery": capacities.battery_mwh * c.battery_capex_per_mwh
        + capacities.battery_mw * c.battery_capex_per_mw,
        "npc": total * annuity_factor(park.economics.discount_rate, park.economics.project_life_yr),
        "lcoe_onsite_per_mwh": onsite_assets / energy["onsite_served_mwh"]
        if energy["onsite_served_mwh"] > 0
        else math.nan,
        "lcoe_per_mwh": total / served if served > 0 else math.nan,
    }


def _flexible_cost_kpis(assets: dict[str, float], terms: dict[str, float], park: ParkConfig,
                        capacities: Capacities) -> dict[str, float]:
    """Annualised cost and capex of flexible-demand assets, sales and penalties (when present)."""
    from energysim import flexible

    keys = ("electrolyser", "hydrogen_storage", "fuel_cell")
    energy = ("hydrogen_sales", "hydrogen_unmet_penalty", "load_shed_penalty")
    if not any(k in assets for k in keys) and not any(k in terms for k in energy):
        return {}
    out = {f"annualized_cost_{k}": assets[k] for k in keys if k in assets}
    out.update({k: terms[k] for k in energy if k in terms})
    out["annualized_cost_flexible"] = sum(out.values())
    if flexible.hydrogen_active(park):
        c = flexible.annual_costs(park)
        out["capex_electrolyser"] = capacities.electrolyser_mw * c.electrolyser_capex_per_mw
        out["capex_hydrogen_storage"] = capacities.hydrogen_storage_kg * c.storage_capex_per_kg
        out["capex_fuel_cell"] = capacities.fuel_cell_mw * c.fuel_cell_capex_per_mw
    return out


def hydrogen_kpis(totals: dict[str, float]) -> dict[str, float]:
    """Green hydrogen and carbon intensity, against China's thresholds (T/CAB 0078-2020).

    ``green_hydrogen_kg`` = production x the on-site share of the electrolyser's
    electricity (:func:`flexible_totals`); ``hydrogen_co2_kg_per_kg`` = CO2 of its
    regular grid electricity per kg produced (market-based: green imports count
    zero-carbon, as in :func:`annual_totals`), ``hydrogen_co2_location_kg_per_kg``
    with all grid electricity at the grid factor. T/CAB 0078-2020 (China
    Hydrogen Alliance): low-carbon hydrogen <= 14.51 kgCO2e/kg, clean hydrogen
    <= 4.9 kgCO2e/kg (renewable hydrogen: clean and from renewable power). The
    intensities here count the electricity only (no compression, water or
    upstream emissions of the plant).
    """
    from energysim import flexible

    made = totals["hydrogen_production_kg"]
    el = totals["electrolyser_mwh"]
    green_frac = totals["electrolyser_onsite_mwh"] / el if el > 0 else math.nan
    intensity = totals["hydrogen_co2_t"] * 1e3 / made if made > 0 else math.nan
    location = totals["hydrogen_co2_location_t"] * 1e3 / made if made > 0 else math.nan

    def grade(value: float) -> str:
        if not value <= flexible.TCAB_LOW_CARBON_KG_PER_KG:
            return "above the low-carbon threshold"
        return "clean" if value <= flexible.TCAB_CLEAN_KG_PER_KG else "low-carbon"

    return {
        "hydrogen_production_kg": made, "green_hydrogen_kg": made * green_frac if el > 0 else 0.0,
        "green_hydrogen_share": green_frac,
        "hydrogen_co2_kg_per_kg": intensity, "hydrogen_co2_location_kg_per_kg": location,
        "hydrogen_grade": grade(intensity), "hydrogen_grade_location": grade(location),
        "hydrogen_thresholds": {
            "low_carbon_kg_per_kg": flexible.TCAB_LOW_CARBON_KG_PER_KG,
            "clean_kg_per_kg": flexible.TCAB_CLEAN_KG_PER_KG,
            "basis": "T/CAB 0078-2020 (China Hydrogen Alliance); electricity emissions only"},
    }


def carbon_kpis(totals: dict[str, float]) -> dict[str, float]:
    """Scope-2 CO2, the all-grid baseline and avoided CO2 [t/yr] (see :func:`annual_totals`)."""
    return {
        "co2_t": totals["co2_t"],
        "co2_baseline_t": totals["co2_baseline_t"],
        "co2_avoided_t": totals["co2_baseline_t"] - totals["co2_t"],
    }


def _tce_per_mwh(park: ParkConfig) -> tuple[float, str]:
    ind = park.indicators
    if ind.electricity_to_coal == "equivalent":
        return ELECTRICITY_TO_TCE_PER_MWH["equivalent"], "equivalent value 0.1229 kgce/kWh (GB/T 2589)"
    return ind.coal_consumption_kgce_per_kwh, (
        f"coal-consumption method {ind.coal_consumption_kgce_per_kwh:g} kgce/kWh"
    )


def indicator_table(
    energy: dict[str, float], shares: dict[str, float], carbon: dict[str, float], park: ParkConfig
) -> dict[str, Any]:
    r"""China's zero-carbon park indicators (发改环资〔2025〕910号) and their pass/fail.

    Core indicator, carbon emissions per unit of energy consumption:

    .. math::
        I = \frac{CO2_{elec} + CO2_{other}}{E_{load} \cdot k + E_{other}}
        \quad [tCO_2/tce]

    with k the electricity-to-standard-coal factor [tce/MWh]. Purchased green
    power counts as zero-carbon unless ``green_import_counts_zero_carbon`` is
    false (then it carries the grid factor) — how the notice treats it is not
    confirmed (FACTS.md), so it is a stated config choice.

    Threshold (People's Daily 2025-08-26): 0.2 tCO2/tce for parks using
    0.2-1 Mtce/yr, 0.3 at >= 1 Mtce/yr; below 0.2 Mtce no threshold is
    published and the 0.2 value is applied (stated in the table).

    Clean-energy share guiding indicator: clean electricity (on-site + green)
    in tce over total energy use in tce, threshold 90 % (secondary sources, to
    confirm).
    """
    ind = park.indicators
    k, method = _tce_per_mwh(park)
    elec_tce = demand_mwh(energy) * k  # the electrolyser's electricity is energy use too
    total_tce = elec_tce + ind.other_energy_tce
    co2_elec = carbon["co2_t"]
    if not ind.green_import_counts_zero_carbon:
        mean_ef = carbon["co2_baseline_t"] / energy["load_mwh"] if energy["load_mwh"] > 0 else 0.0
        co2_elec += energy["import_green_mwh"] * mean_ef
    co2_total = co2_elec + ind.other_energy_co2_t
    co2_per_tce = co2_total / total_tce if total_tce > 0 else math.nan
    if ind.max_co2_per_tce is not None:
        threshold, basis = ind.max_co2_per_tce, "configured"
    elif total_tce >= 1e6:
        threshold, basis = 0.3, "≥ 1 Mtce/yr park: ≤ 0.3 tCO2/tce (People's Daily 2025-08-26)"
    elif total_tce >= 2e5:
        threshold, basis = 0.2, "0.2-1 Mtce/yr park: ≤ 0.2 tCO2/tce (People's Daily 2025-08-26)"
    else:
        threshold, basis = 0.2, "< 0.2 Mtce/yr: no published threshold; 0.2 applied"
    clean_tce = shares["clean_share"] * elec_tce
    clean_energy_share = clean_tce / total_tce if total_tce > 0 else math.nan
    rows = [
        {
            "indicator": "carbon emissions per unit of energy consumption (core)",
            "key": "co2_per_tce",
            "value": co2_per_tce,
            "unit": "tCO2/tce",
            "threshold": threshold,
            "rule": "<=",
            "passed": bool(co2_per_tce <= threshold),
            "basis": f"{basis}; electricity at {method}",
        },
        {
            "indicator": "clean-energy consumption share (guiding)",
            "key": "clean_energy_share",
            "value": clean_energy_share,
            "unit": "1",
            "threshold": ind.min_clean_energy_share,
            "rule": ">=",
            "passed": bool(clean_energy_share >= ind.min_clean_energy_share),
            "basis": "90 % as reported by secondary sources only, 发改环资〔2025〕910号",
        },
    ]
    return {
        "co2_per_tce": co2_per_tce,
        "energy_use_tce": total_tce,
        "clean_energy_share": clean_energy_share,
        "indicators": rows,
    }


def kpis_from_totals(
    totals: dict[str, float], park: ParkConfig, capacities: Capacities
) -> dict[str, Any]:
    """Every KPI that annual totals determine (all but peaks and hourly matching)."""
    energy = energy_kpis(totals, capacities)
    shares = share_kpis(energy)
    carbon = carbon_kpis(totals)
    out: dict[str, Any] = {}
    out.update(shares)
    out.update(energy)
    out.update(battery_kpis(totals, capacities))
    out.update(cost_kpis(energy, totals, park, capacities))
    out.update(carbon)
    out.update(indicator_table(energy, shares, carbon, park))
    if "electrolyser_mwh" in totals:
        out["demand_mwh"] = demand_mwh(energy)
        out.update(hydrogen_kpis(totals))
    out["targets"] = {
        "onsite_share": park.targets.onsite_share,
        "onsite_met": bool(shares["onsite_share"] >= park.targets.onsite_share - 1e-9),
        "clean_share": park.targets.clean_share,
        "clean_met": None
        if park.targets.clean_share is None
        else bool(shares["clean_share"] >= park.targets.clean_share - 1e-9),
    }
    return out


def kpis(
    flows: xr.Dataset, profiles: xr.Dataset, park: ParkConfig, capacities: Capacities
) -> dict[str, Any]:
    """All KPIs of one simulated park-year, as a flat dict (+ the ``indicators`` table)."""
    out = kpis_from_totals(annual_totals(flows, profiles), park, capacities)
    out["peak_load_mw"] = float(flows["load"].max())
    out["peak_import_mw"] = float((flows["import_green"] + flows["import_regular"]).max())
    out.update(hourly_matching_kpis(flows, park))
    return out
