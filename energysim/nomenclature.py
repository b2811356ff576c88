"""One table of every quantity energysim reports: name, unit, long name, short label.

It feeds result attributes (xarray ``units`` / ``long_name``), the headline
tables of the command line and the report (:data:`HEADLINE`, :func:`short`,
:func:`display`), the sweep's stored KPI columns (:data:`KPIS`,
:data:`KPI_FLAGS`) and the docs, so a quantity is named, labelled and
formatted the same everywhere.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["Quantity", "QUANTITIES", "FLOWS", "KPIS", "KPI_FLAGS", "HEADLINE", "attrs", "label",
           "short", "display", "percent", "energy", "money"]


class Quantity(NamedTuple):
    """One quantity: its unit, long name and table label."""

    unit: str
    long_name: str
    #: label in tables (the headline); the long name when empty
    short: str = ""


QUANTITIES: dict[str, Quantity] = {
    # weather (pvlib names)
    "ghi": Quantity("W m-2", "global horizontal irradiance"),
    "dni": Quantity("W m-2", "direct normal irradiance"),
    "dhi": Quantity("W m-2", "diffuse horizontal irradiance"),
    "temp_air": Quantity("degC", "air temperature"),
    "wind_speed": Quantity("m s-1", "wind speed"),
    "pressure": Quantity("Pa", "air pressure"),
    # profiles
    "pv_pu": Quantity("MW MWp-1", "PV AC output per MWp DC"),
    "wind_pu": Quantity("MW MW-1", "wind AC output per MW nameplate"),
    "load": Quantity("MW", "park load"),
    "import_price_per_mwh": Quantity("money MWh-1", "import price"),
    "emission_factor_t_per_mwh": Quantity("t MWh-1", "grid CO2 emission factor"),
    # hourly flows (non-negative, named by direction)
    "pv": Quantity("MW", "PV generation available"),
    "wind": Quantity("MW", "wind generation available"),
    "import_green": Quantity("MW", "green grid import"),
    "import_regular": Quantity("MW", "regular grid import"),
    "export": Quantity("MW", "grid export"),
    "charge": Quantity("MW", "battery charge (AC)"),
    "discharge": Quantity("MW", "battery discharge (AC)"),
    "curtail": Quantity("MW", "curtailed renewable generation"),
    "unmet": Quantity("MW", "unserved load"),
    "soc": Quantity("MWh", "battery state of charge (end of hour)"),
    "charge_grid": Quantity("MW", "battery charge from green imports (AC)"),
    "onsite_served": Quantity("MW", "load served by on-site PV and wind, directly or via the "
                                    "battery"),
    "cfe_covered": Quantity("MW", "load covered hour by hour by on-site supply and green "
                                  "contracts"),
    # capacities
    "pv_mw": Quantity("MWp", "PV capacity (DC)"),
    "wind_mw": Quantity("MW", "wind capacity"),
    "battery_mwh": Quantity("MWh", "battery usable energy"),
    "battery_mw": Quantity("MW", "battery power"),
    # derived hourly quantities shown in the report
    "net_load": Quantity("MW", "net load (load - PV - wind)"),
    "grid_import": Quantity("MW", "grid import (green + regular)"),
    "onsite_coverage": Quantity("1", "share of the hour's load served on site"),
    "soc_fraction": Quantity("1", "battery state of charge, share of usable energy"),
}

#: The annual KPIs of a run, in the order a sweep stores them: every scalar
#: :func:`energysim.accounting.kpis_from_totals` returns for a park without
#: flexible demand or products (tests/test_accounting.py checks the two agree).
RUN_KPIS: dict[str, Quantity] = {
    "onsite_share": Quantity("1", "on-site renewable share of load", "on-site share"),
    "green_import_share": Quantity("1", "green-import share of load", "green import share"),
    "regular_import_share": Quantity("1", "regular-import share of load",
                                     "regular import share"),
    "clean_share": Quantity("1", "clean share of load (on-site + green)", "clean share"),
    "unmet_share": Quantity("1", "unserved share of load", "unmet load"),
    "curtailment_share": Quantity("1", "curtailed share of renewable generation", "curtailment"),
    "load_mwh": Quantity("MWh", "annual load", "annual load"),
    "pv_mwh": Quantity("MWh", "annual PV generation"),
    "wind_mwh": Quantity("MWh", "annual wind generation"),
    "import_green_mwh": Quantity("MWh", "annual green imports"),
    "import_regular_mwh": Quantity("MWh", "annual regular imports"),
    "export_mwh": Quantity("MWh", "annual exports"),
    "curtail_mwh": Quantity("MWh", "annual curtailment"),
    "unmet_mwh": Quantity("MWh", "annual unserved load"),
    "charge_mwh": Quantity("MWh", "annual battery charge"),
    "discharge_mwh": Quantity("MWh", "annual battery discharge"),
    "onsite_served_mwh": Quantity("MWh", "annual load served on site"),
    "import_mwh": Quantity("MWh", "annual grid imports (green + regular)"),
    "pv_full_load_hours": Quantity("h", "PV full-load hours (per MWp DC)"),
    "wind_full_load_hours": Quantity("h", "wind full-load hours"),
    "battery_throughput_mwh": Quantity("MWh", "annual battery discharge throughput"),
    "battery_cycles": Quantity("cycles", "battery equivalent full cycles"),
    "annualized_cost": Quantity("money yr-1", "annualised total cost", "annualised cost"),
    "annualized_cost_pv": Quantity("money yr-1", "annualised PV cost"),
    "annualized_cost_wind": Quantity("money yr-1", "annualised wind cost"),
    "annualized_cost_battery": Quantity("money yr-1", "annualised battery cost"),
    "import_cost": Quantity("money yr-1", "annual cost of grid energy"),
    "green_premium_cost": Quantity("money yr-1", "annual green premium (environmental value "
                                                 "and certificates)"),
    "export_revenue": Quantity("money yr-1", "annual export revenue"),
    "capacity_charge_cost": Quantity("money yr-1", "capacity part of the two-part tariff "
                                     "(demand or capacity charge)"),
    "capex_pv": Quantity("money", "PV capital cost"),
    "capex_wind": Quantity("money", "wind capital cost"),
    "capex_battery": Quantity("money", "battery capital cost"),
    "npc": Quantity("money", "net present cost over the project life"),
    "lcoe_onsite_per_mwh": Quantity("money MWh-1", "on-site asset cost per MWh served on site"),
    "lcoe_per_mwh": Quantity("money MWh-1", "all-in cost per MWh of load served",
                             "all-in supply cost"),
    "co2_t": Quantity("t yr-1", "annual scope-2 CO2 emissions", "scope-2 CO2"),
    "co2_baseline_t": Quantity("t yr-1", "annual CO2 of an all-grid supply"),
    "co2_avoided_t": Quantity("t yr-1", "annual CO2 avoided against an all-grid supply"),
    "co2_per_tce": Quantity("tCO2 tce-1", "CO2 per unit of energy consumption"),
    "energy_use_tce": Quantity("tce yr-1", "comprehensive energy consumption"),
    "clean_energy_share": Quantity("1", "clean-energy share of energy consumption"),
}
#: Pass/fail of a run's targets and indicators (flattened, ``bool``; null where not asked).
KPI_FLAGS: dict[str, Quantity] = {
    "onsite_met": Quantity("bool", "on-site target met (full-year simulation)"),
    "clean_met": Quantity("bool", "clean target met (full-year simulation)"),
    "co2_per_tce_passed": Quantity("bool", "core zero-carbon park indicator passed"),
    "clean_energy_share_passed": Quantity("bool", "clean-energy share indicator passed"),
}
KPIS = tuple(RUN_KPIS)
QUANTITIES.update(RUN_KPIS)
QUANTITIES.update(KPI_FLAGS)
QUANTITIES.update({
    "cfe_hourly_score": Quantity("1", "hourly-matched carbon-free (CFE) score",
                                 "hourly-matched CFE score"),
    "cfe_hours_share": Quantity("1", "share of hours fully matched by carbon-free supply"),
    "peak_load_mw": Quantity("MW", "peak load"),
    "peak_import_mw": Quantity("MW", "peak grid import"),
    "certificates_mwh": Quantity("MWh", "green electricity certificates bought per year"),
    "clean_credit_mwh": Quantity("MWh", "regular imports covered by certificates and netted "
                                        "exports"),
    "netted_export_mwh": Quantity("MWh", "exports netted against regular imports"),
    "co2_location_t": Quantity("t", "location-based scope-2 CO2 (grid-average factor)"),
})

#: The headline KPIs of a run, in display order (command-line headline, report KPI table).
HEADLINE = ("load_mwh", "onsite_share", "green_import_share", "regular_import_share",
            "clean_share", "cfe_hourly_score", "curtailment_share", "unmet_share",
            "annualized_cost", "lcoe_per_mwh", "co2_t")

# pathways: one row per investment period (energysim.pathways, pathway.csv)
QUANTITIES.update({
    "year": Quantity("yr", "first year of the investment period"),
    "weight_yr": Quantity("yr", "years the period stands for"),
    "discount_weight_yr": Quantity("yr", "discounted years of the period (present value of 1 "
                                         "per yr)"),
    "pv_capex_per_kw": Quantity("money kW-1", "PV capex"),
    "wind_capex_per_kw": Quantity("money kW-1", "wind capex"),
    "battery_capex_per_kwh": Quantity("money kWh-1", "battery energy capex"),
    "pv_added_mw": Quantity("MWp", "PV built in the period"),
    "pv_retired_mw": Quantity("MWp", "PV retired at the start of the period"),
    "pv_total_mw": Quantity("MWp", "PV in operation in the period"),
    "wind_added_mw": Quantity("MW", "wind built in the period"),
    "wind_retired_mw": Quantity("MW", "wind retired at the start of the period"),
    "wind_total_mw": Quantity("MW", "wind in operation in the period"),
    "battery_added_mwh": Quantity("MWh", "battery energy built in the period"),
    "battery_retired_mwh": Quantity("MWh", "battery energy retired at the start of the period"),
    "battery_total_mwh": Quantity("MWh", "battery energy in operation in the period"),
    "battery_power_added_mw": Quantity("MW", "battery power built in the period"),
    "battery_power_retired_mw": Quantity("MW", "battery power retired at the start of the period"),
    "battery_power_total_mw": Quantity("MW", "battery power in operation in the period"),
    "onsite_share_target": Quantity("1", "on-site share target"),
    "lp_onsite_share": Quantity("1", "on-site share in the optimisation (its hours)"),
    "lp_onsite_share_target": Quantity("1", "on-site target given to the optimisation"),
    "clean_share_target": Quantity("1", "clean share target"),
    "indicators_passed": Quantity("bool", "all zero-carbon park indicators passed"),
    "asset_cost_per_yr": Quantity("money yr-1", "annuities of the pathway's builds active in "
                                                "the period"),
    "energy_cost_per_yr": Quantity("money yr-1", "energy cost (imports, green premium, minus "
                                                 "exports)"),
    "annualized_cost_per_yr": Quantity("money yr-1", "annual cost of the period (assets + energy)"),
    "discounted_cost": Quantity("money", "present value of the period's costs"),
    "lp_discounted_cost": Quantity("money", "present value of the period's costs in the "
                                            "optimisation"),
})

# sweeps: one row per scenario (energysim.sweep, scenarios.parquet)
QUANTITIES.update({
    "scenario_id": Quantity("1", "scenario number in the sweep's deterministic list"),
    "batch": Quantity("1", "batch (Dask task) that computed the scenario"),
    "error": Quantity("text", "why the scenario has no result (e.g. infeasible target)"),
})

# lifetime: one row per year of life (energysim.lifetime, lifetime.csv)
QUANTITIES.update({
    "weather_year": Quantity("yr", "weather year the year of life runs on"),
    "load_factor": Quantity("1", "load relative to year one (growth)"),
    "pv_factor": Quantity("1", "PV output relative to new (degradation)"),
    "wind_factor": Quantity("1", "wind output relative to new (degradation)"),
    "battery_soh": Quantity("1", "battery state of health (usable energy / nameplate)"),
    "battery_energy_mwh": Quantity("MWh", "battery usable energy in the year"),
    "replaced": Quantity("bool", "battery replaced at the start of the year"),
    "battery_damage": Quantity("1", "battery cycle damage of the year (Miner sum)"),
    "battery_fade_cycle": Quantity("1", "battery capacity lost to cycling in the year"),
    "battery_fade_calendar": Quantity("1", "battery capacity lost to time in the year"),
    "om_cost": Quantity("money yr-1", "fixed O&M of the year"),
    "energy_cost": Quantity("money yr-1", "energy cost of the year (imports, green premium, "
                                          "minus exports)"),
    "replacement_cost": Quantity("money yr-1", "replacements in the year"),
    "cost": Quantity("money yr-1", "cost of the year (O&M + energy + replacements)"),
    "cash_flow": Quantity("money yr-1", "cash flow of the year (minus its cost)"),
    "discount_factor": Quantity("1", "present value of 1 paid in the year"),
    "discounted_cost": Quantity("money", "present value of the year's cost"),
})

# flexible demand (energysim.flexible): hourly flows, capacities and annual KPIs
QUANTITIES.update({
    "electrolyser": Quantity("MW", "electrolyser electric input"),
    "hydrogen_production": Quantity("kg h-1", "hydrogen produced"),
    "hydrogen_soc": Quantity("kg", "hydrogen in store (end of hour)"),
    "hydrogen_delivered": Quantity("kg h-1", "hydrogen demand met"),
    "hydrogen_unmet": Quantity("kg h-1", "hydrogen demand not met"),
    "hydrogen_sold": Quantity("kg h-1", "hydrogen sold beyond the demand"),
    "fuel_cell": Quantity("MW", "fuel cell electric output"),
    "fuel_cell_hydrogen": Quantity("kg h-1", "hydrogen used by the fuel cell"),
    "flexible_load": Quantity("MW", "shiftable load served"),
    "flexible_backlog": Quantity("MWh", "shiftable energy deferred, negative when served ahead "
                                        "(end of hour)"),
    "load_shed": Quantity("MW", "curtailable load shed"),
    "hydrogen_demand_kg_per_h": Quantity("kg h-1", "hydrogen demand"),
    "electrolyser_mw": Quantity("MW", "electrolyser capacity (electric input)"),
    "hydrogen_storage_kg": Quantity("kg", "hydrogen store capacity"),
    "fuel_cell_mw": Quantity("MW", "fuel cell capacity"),
    "electrolyser_mwh": Quantity("MWh", "annual electrolyser consumption"),
    "demand_mwh": Quantity("MWh", "annual park demand of the shares (load + hydrogen load)"),
    "hydrogen_production_kg": Quantity("kg", "annual hydrogen production"),
    "green_hydrogen_kg": Quantity("kg", "annual hydrogen made from on-site power"),
    "green_hydrogen_share": Quantity("1", "share of hydrogen made from on-site power"),
    "hydrogen_co2_kg_per_kg": Quantity("kgCO2 kg-1", "hydrogen carbon intensity (market-based: "
                                                     "green imports zero-carbon)"),
    "hydrogen_co2_location_kg_per_kg": Quantity(
        "kgCO2 kg-1", "hydrogen carbon intensity (all grid power at the grid factor)"),
    "load_shed_mwh": Quantity("MWh", "annual load shed"),
})

#: Hourly flows in the energy balance, by side (DESIGN.md).
FLOWS_IN = ("pv", "wind", "import_green", "import_regular", "discharge", "unmet")
FLOWS_OUT = ("load", "charge", "export", "curtail")
FLOWS = ("pv", "wind", "import_green", "import_regular", "export", "charge", "discharge",
         "curtail", "unmet", "soc")


def attrs(name: str) -> dict[str, str]:
    """The xarray attributes (``units``, ``long_name``) of quantity ``name``."""
    q = QUANTITIES[name]
    return {"units": q.unit, "long_name": q.long_name}


def label(name: str) -> str:
    """Axis/table label: ``"long name [unit]"``."""
    q = QUANTITIES[name]
    return f"{q.long_name} [{q.unit}]" if q.unit != "1" else q.long_name


def short(name: str) -> str:
    """Table label of quantity ``name``: its short label, else its long name."""
    q = QUANTITIES[name]
    return q.short or q.long_name


def percent(x: float | None, digits: int = 1) -> str:
    """A share [0-1] in % (``—`` for none or NaN)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * x:.{digits}f} %"


def energy(x: float | None) -> str:
    """Energy per year [MWh] in TWh or GWh."""
    if x is None:
        return "—"
    return f"{x / 1e6:,.2f} TWh" if abs(x) >= 1e6 else f"{x / 1e3:,.1f} GWh"


def money(x: float | None, currency: str) -> str:
    """An amount of money in bn or M (else whole units) of ``currency``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    for scale, unit in ((1e9, "bn"), (1e6, "M")):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit} {currency}"
    return f"{x:,.0f} {currency}"


#: Unit -> formatter of a value in tables (currency for money).
_DISPLAY = {
    "1": lambda x, cur: percent(x),
    "MWh": lambda x, cur: energy(x),
    "money": lambda x, cur: money(x, cur),
    "money yr-1": lambda x, cur: money(x, cur) + "/yr" if x is not None else "—",
    "money MWh-1": lambda x, cur: f"{x:,.1f} {cur}/MWh" if x is not None else "—",
    "t yr-1": lambda x, cur: f"{x / 1e3:,.1f} kt/yr" if x is not None else "—",
}


def display(name: str, value, currency: str = "") -> str:
    """``value`` of quantity ``name`` as shown in tables.

    Shares in %, energy in TWh/GWh, money in bn/M, emissions in kt; else the number and its
    unit.
    """
    unit = QUANTITIES[name].unit
    fmt = _DISPLAY.get(unit)
    if fmt is not None:
        return fmt(value, currency)
    return "—" if value is None else f"{value:,.4g} {unit}"
