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
import pandas as pd
import xarray as xr

from energysim import procurement
from energysim.config import Capacities, ParkConfig
from energysim.economics import annuity_factor, asset_costs
from energysim.indicators import core_threshold, tce_per_mwh
from energysim.timeaxis import annual_scale

__all__ = [
    "TOTAL_KEYS",
    "annual_totals",
    "kpis_from_totals",
    "step_weight",
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
    "energy_cost",
    "carbon_kpis",
    "indicator_table",
    "kpis",
    "procurement_totals",
    "green_flows",
    "cfe_covered",
    "tce_per_mwh",
]


def _div(num, den, fallback: float):
    """``num / den`` where ``den > 0``, else ``fallback``.

    Arrays in, arrays out (a scenario dimension); numbers in, a float out (one run).
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = den > 0
    out = np.where(ok, num / np.where(ok, den, 1.0), fallback)
    return float(out) if out.ndim == 0 else out


def _ge(a, b):
    """``a >= b`` as a bool (one run) or a boolean array (scenarios)."""
    out = np.asarray(a) >= b
    return bool(out) if out.ndim == 0 else out


def step_weight(flows: xr.Dataset) -> float:
    """Per-year energy of one step of 1 MW [MWh/yr].

    Δt x :func:`energysim.timeaxis.annual_scale` (8760 / steps; the same at any step length).
    """
    dt_h = float(flows.attrs.get("dt_h", 1.0))
    return dt_h * annual_scale(int(flows.sizes["time"]), dt_h)


def _total(flows: xr.Dataset, name: str, weight: float) -> float:
    """Annual energy of a MW flow [MWh/yr] (``weight`` from :func:`step_weight`)."""
    return float(flows[name].sum()) * weight


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
    s = step_weight(flows)
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
    s = step_weight(flows)
    per_kg = float(flows.attrs.get("electrolyser_mwh_per_kg", 0.0))

    def total(values) -> float:
        return float(np.sum(values)) * s

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


def capacity_charge(flows: xr.Dataset | None, park: ParkConfig) -> float:
    r"""The capacity part of the two-part tariff per year [money/yr] (``[tariff] basis``).

    Demand charge: with :math:`\hat P_m` the highest grid import (green +
    regular) of month m and billed demand :math:`B_m = \max(\hat P_m, \rho
    \max_{k<m} \hat P_k)` (ratchet ρ), :math:`C = c_d \cdot 1000 \sum_m B_m
    \cdot 12 / n` with c_d [money/kW/month] and n the months the run holds
    (a run shorter than a year is scaled to twelve bills). Capacity charge:
    :math:`c_c \cdot kVA \cdot 12`. The sizing LP's monthly-peak rows
    (:func:`energysim.dispatch.program._add_tariff`) state the same rule.
    """
    t = park.tariff
    if t.basis == "capacity":
        assert t.contracted_kva is not None, "TariffConfig requires it for basis = capacity"
        return t.capacity_charge_per_kva_month * t.contracted_kva * 12.0
    if t.basis != "demand":
        return 0.0
    assert flows is not None, "a demand charge needs the hourly flows"
    month = flows["time"].dt.month.values
    imports = flows["import_green"].values + flows["import_regular"].values
    months = np.unique(month)
    peaks = np.array([imports[month == m].max() for m in months])
    billed = peaks.copy()
    if t.ratchet_pct > 0:
        earlier = np.maximum.accumulate(np.concatenate([[0.0], peaks[:-1]]))
        billed = np.maximum(peaks, t.ratchet_pct / 100.0 * earlier)
    return float(t.demand_charge_per_kw_month * 1000.0 * billed.sum() * 12.0 / months.size)


def totals_of(flows: xr.Dataset, profiles: xr.Dataset, park: ParkConfig) -> dict[str, float]:
    """:func:`annual_totals` plus the tariff's ``capacity_charge`` [money/yr].

    Every total of a park's run that its costs need.
    """
    out = annual_totals(flows, profiles)
    out["capacity_charge"] = capacity_charge(flows, park)
    return out


def energy_kpis(totals: dict[str, float], capacities: Capacities) -> dict[str, float]:
    """Annual energies [MWh/yr] and full-load hours [h/yr].

    Full-load hours are generation / capacity (PV per MWp DC).
    """
    out = {k: totals[k] for k in TOTAL_KEYS[:11]}
    out.update({k: totals[k] for k in FLEX_TOTAL_KEYS if k in totals})
    out["import_mwh"] = out["import_green_mwh"] + out["import_regular_mwh"]
    out["pv_full_load_hours"] = _div(out["pv_mwh"], capacities.pv_mw, 0.0)
    out["wind_full_load_hours"] = _div(out["wind_mwh"], capacities.wind_mw, 0.0)
    return out


def demand_mwh(energy: dict[str, float]):
    """The park's demand of the shares [MWh/yr].

    Load + electrolyser - fuel cell input (module notes); the load itself without flexible
    demand.
    """
    return energy["load_mwh"] + (energy.get("electrolyser_mwh", 0.0)
                                 - energy.get("fuel_cell_input_mwh", 0.0))


def onsite_fraction(energy: dict[str, float]):
    """On-site share of the demand [0-1].

    (on-site served - fuel cell input) / demand (nan without demand).
    """
    return _div(energy["onsite_served_mwh"] - energy.get("fuel_cell_input_mwh", 0.0),
                demand_mwh(energy), math.nan)


def share_kpis(energy: dict[str, float], clean_credit_mwh: float = 0.0) -> dict[str, float]:
    r"""Shares of annual load [0-1].

    .. math::
        s_{onsite} = E_{onsite\,served} / E_{load}, \quad
        s_{green} = (E_{load} - E_{onsite\,served} - E_{unmet}) \cdot
                    \frac{E_{imp,green}}{E_{imp}}, \quad
        s_{clean} = s_{onsite} + s_{green} + K / E_{load}

    with K [MWh/yr] the regular imports made clean by certificates and netted
    exports (:func:`procurement_totals`; 0 without them).

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
    onsite = onsite_fraction(energy)  # no load: no share (nan)
    unmet = _div(energy["unmet_mwh"], load, math.nan)
    grid_served = np.maximum(0.0, 1.0 - onsite - unmet)
    green = grid_served * _div(energy["import_green_mwh"], energy["import_mwh"], 0.0)
    has_load = np.asarray(load) > 0
    curtailed = _div(energy["curtail_mwh"], energy["pv_mwh"] + energy["wind_mwh"], 0.0)
    return {
        "onsite_share": onsite,
        "green_import_share": _plain(green),
        "regular_import_share": _plain(grid_served - green),
        "clean_share": _plain(onsite + green + _div(clean_credit_mwh, load, 0.0)),
        "unmet_share": unmet,
        "curtailment_share": _plain(np.where(has_load, curtailed, 0.0)),
    }


def _plain(x):
    """A 0-d result as a float (one run), arrays as they are."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x


def green_flows(flows: xr.Dataset, park: ParkConfig) -> dict[str, np.ndarray]:
    """Hourly green import of every green contract [MW], by product name.

    Each contract's ``product_<name>`` flow; ``import_green`` for the one
    contract of a park that has no such flow (the implicit ``[grid]`` contract).
    """
    out = {}
    for p in procurement.products(park):
        if p.green:
            name = procurement.flow_name(p.name)
            out[p.name] = (flows[name] if name in flows else flows["import_green"]).values
    return out


def cfe_covered(flows: xr.Dataset, park: ParkConfig) -> np.ndarray:
    r"""Load covered by carbon-free supply in each hour [MW] (hourly CFE).

    Carbon-free supply as :mod:`energysim.procurement` defines it.

    .. math:: c_h = \min(L_h,\; S^{onsite}_h + \textstyle\sum_{p\ hourly} g_{p,h}
              + \sum_{p\ annual} G_p / N)

    with :math:`S^{onsite}` on-site supply to load (direct and from the battery,
    which charges from clean supply), hourly-matched contracts (shaped, or the
    flat block of ``green_matching = "hourly"``) in the hour they deliver, and
    annual contracts as a flat block of their energy :math:`G_p` over the N hours.
    """
    load = flows["load"].values
    g = np.zeros_like(load)
    flat = 0.0
    for p in procurement.products(park):
        if p.green:
            f = green_flows(flows, park)[p.name]
            if p.hourly:
                g = g + f
            else:
                flat += float(f.sum())
    g = g + flat / len(load)
    return np.minimum(load, flows["onsite_served"].values + g)


def hourly_matching_kpis(flows: xr.Dataset, park: ParkConfig) -> dict[str, float]:
    r"""24/7 carbon-free matching scores [0-1].

    In each hour h the carbon-free supply is on-site supply to load plus the
    contracted green supply of that hour, :math:`g_h` (:func:`cfe_covered`):

    .. math::
        CFE_{energy} = \frac{\sum_h \min(L_h, S^{onsite}_h + g_h)}{\sum_h L_h},\qquad
        CFE_{hours} = \frac{\#\{h : S^{onsite}_h + g_h \ge L_h\}}{N}

    Under an hourly-matched contract, :math:`g_h` is the green import of the
    hour. An annual contract does not say when its green energy was generated;
    it is taken as a flat block, :math:`g_h = V / N` with V the green volume
    delivered in the run — the usual convention for annual certificates in
    24/7 scoring (e.g. Google/EnergyTag hourly matching). Certificates and
    netted exports never count hour by hour.
    """
    load = flows["load"].values
    covered = cfe_covered(flows, park)
    total = load.sum()
    return {
        "cfe_hourly_score": float(covered.sum() / total) if total > 0 else math.nan,
        "cfe_hours_share": float(np.mean(covered >= load * (1 - 1e-9))),
    }


def cfe_profile(flows: xr.Dataset, park: ParkConfig) -> dict[str, list[float | None]]:
    """Hourly CFE score by calendar month (12) and by hour of the day (24) [0-1].

    Covered load / load within each group (:func:`cfe_covered`); None for a month the run does
    not reach.
    """
    load = flows["load"].values
    covered = cfe_covered(flows, park)
    times = pd.DatetimeIndex(flows["time"].values)

    def by(keys, n, first):
        out = []
        for k in range(first, first + n):
            mask = keys == k
            total = float(load[mask].sum())
            out.append(float(covered[mask].sum()) / total if total > 0 else None)
        return out

    return {"cfe_by_month": by(times.month, 12, 1), "cfe_by_hour": by(times.hour, 24, 0)}


def battery_kpis(totals: dict[str, float], capacities: Capacities) -> dict[str, float]:
    """Battery throughput [MWh/yr] (discharged energy) and equivalent full cycles [1/yr]."""
    throughput = totals["discharge_mwh"]
    return {"battery_throughput_mwh": throughput,
            "battery_cycles": _div(throughput, capacities.battery_mwh, 0.0)}


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
        "battery_energy": (c.battery_annual_per_mwh
                           * (capacities.battery_mwh - ex["battery_energy"])),
        "battery_power": c.battery_annual_per_mw * (capacities.battery_mw - ex["battery_power"]),
    } | _flexible_asset_terms(park, capacities, sunk_existing)


def _flexible_asset_terms(park: ParkConfig, capacities: Capacities, sunk_existing: bool
                          ) -> dict[str, float]:
    """Annualised cost of the electrolyser, hydrogen store, fuel cell and shift window [money/yr].

    Empty when the park has none of them.
    """
    from energysim import flexible

    cost = flexible.window_cost(park)
    window = {"load_shift_window": cost} if cost > 0 else {}
    if not flexible.hydrogen_active(park):
        return window
    c = flexible.annual_costs(park)
    el, h2 = flexible.hydrogen_configs(park)
    ex = (el.existing_mw, h2.existing_kg, h2.fuel_cell_existing_mw) if sunk_existing else (0, 0, 0)
    out = {"electrolyser": c.electrolyser_annual_per_mw * (capacities.electrolyser_mw - ex[0]),
           "hydrogen_storage": c.storage_annual_per_kg * (capacities.hydrogen_storage_kg - ex[1])}
    if flexible.fuel_cell_active(park):
        out["fuel_cell"] = c.fuel_cell_annual_per_mw * (capacities.fuel_cell_mw - ex[2])
    return out | window


def energy_terms(totals: dict[str, float], park: ParkConfig,
                 unmet_penalty_per_mwh: float = 0.0, procured: dict | None = None
                 ) -> dict[str, float]:
    """Energy cost terms per year [money/yr].

    Imports at their price, green premium, minus export revenue, the tariff's capacity charge
    (:func:`capacity_charge`, in ``totals`` from :func:`totals_of`; 0 when absent) and unmet
    load at ``unmet_penalty_per_mwh`` (the sizing LP's penalty).

    With ``[[procurement]]`` products (``procured`` from :func:`procurement_totals`):
    imports at each product's energy price, and as green premium the contracts'
    environmental value plus the certificates bought.
    """
    if procured is not None and procurement.explicit(park):
        imports = procured["energy_cost"]
        premium = procured["environmental_cost"] + procured["certificate_cost"]
    else:
        imports = totals["import_cost"]
        premium = totals["import_green_mwh"] * park.grid.green_premium_per_mwh
    return {
        "imports": imports,
        "green_premium": premium,
        "export_revenue": -totals["export_mwh"] * park.grid.export_price_per_mwh,
        "capacity_charge": totals.get("capacity_charge", 0.0 * totals["import_cost"]),
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
            el = park.electrolyser
            assert el is not None, "[hydrogen] comes with [electrolyser] (ParkConfig)"
            per_kg = unmet_penalty_per_mwh * el.kwh_per_kg / 1e3
        out["hydrogen_sales"] = -totals["hydrogen_sold_kg"] * (h2.sale_price_per_kg or 0.0)
        out["hydrogen_unmet_penalty"] = totals["hydrogen_unmet_kg"] * per_kg
    flex = park.load.flexible
    if flex is not None and flex.curtailable_share > 0:
        out["load_shed_penalty"] = totals["load_shed_mwh"] * flex.curtail_penalty_per_mwh
    return out


def cost_terms(totals: dict[str, float], park: ParkConfig, capacities: Capacities, *,
               unmet_penalty_per_mwh: float = 0.0, procured: dict | None = None
               ) -> dict[str, float]:
    """The sizing objective's terms [money/yr].

    New assets (existing capacity sunk) and energy (products: ``procured``); they add up to the
    LP objective at the LP's own flows.
    """
    return (asset_terms(park, capacities, sunk_existing=True)
            | energy_terms(totals, park, unmet_penalty_per_mwh, procured))


def cost_kpis(
    energy: dict[str, float], totals: dict[str, float], park: ParkConfig, capacities: Capacities,
    procured: dict | None = None,
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
    terms = energy_terms(totals, park, procured=procured)
    import_cost, premium = terms["imports"], terms["green_premium"]
    export_revenue = -terms["export_revenue"]
    pv, wind = assets["pv"], assets["wind"]
    battery = assets["battery_energy"] + assets["battery_power"]
    onsite_assets = pv + wind + battery
    energy_cost = import_cost + premium - export_revenue + terms["capacity_charge"]
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
        "capacity_charge_cost": terms["capacity_charge"],
        "capex_pv": capacities.pv_mw * c.pv_capex_per_mw,
        "capex_wind": capacities.wind_mw * c.wind_capex_per_mw,
        "capex_battery": capacities.battery_mwh * c.battery_capex_per_mwh
        + capacities.battery_mw * c.battery_capex_per_mw,
        "npc": total * annuity_factor(park.economics.discount_rate, park.economics.project_life_yr),
        "lcoe_onsite_per_mwh": _div(onsite_assets, energy["onsite_served_mwh"], math.nan),
        "lcoe_per_mwh": _div(total, served, math.nan),
    }


def energy_cost(kpis: dict[str, Any]):
    """Energy cost of a run per year [money/yr] from its KPIs.

    Imports + green premium + the tariff's capacity charge - export revenue (the energy part of
    ``annualized_cost``).
    """
    return (kpis["import_cost"] + kpis["green_premium_cost"] + kpis["capacity_charge_cost"]
            - kpis["export_revenue"])


def _flexible_cost_kpis(assets: dict[str, float], terms: dict[str, float], park: ParkConfig,
                        capacities: Capacities) -> dict[str, float]:
    """Annualised cost and capex of flexible-demand assets, sales and penalties (when present)."""
    from energysim import flexible

    keys = ("electrolyser", "hydrogen_storage", "fuel_cell", "load_shift_window")
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


def hydrogen_kpis(totals: dict[str, float]) -> dict[str, Any]:
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


def carbon_kpis(totals: dict[str, float], procured: dict | None = None) -> dict[str, float]:
    """Scope-2 CO2, the all-grid baseline and avoided CO2 [t/yr] (see :func:`annual_totals`).

    ``co2_t`` is market-based: regular imports at their factor, less the regular
    MWh certificates and netted exports cover (at least 0; ``procured``,
    :func:`procurement_totals`); with ``procured`` also ``co2_location_t``,
    location-based: every MWh drawn from the grid at the grid-average factor.
    """
    co2 = totals["co2_t"]
    if procured is not None and procured["co2_covered_t"]:  # never below zero
        co2 = max(co2 - procured["co2_covered_t"], 0.0)
    out = {
        "co2_t": co2,
        "co2_baseline_t": totals["co2_baseline_t"],
        "co2_avoided_t": totals["co2_baseline_t"] - co2,
    }
    if procured is not None:
        out["co2_location_t"] = procured["co2_location_t"]
    return out


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
    k, method = tce_per_mwh(park)
    elec_tce = demand_mwh(energy) * k  # the electrolyser's electricity is energy use too
    total_tce = elec_tce + ind.other_energy_tce
    co2_elec = carbon["co2_t"]
    if not ind.green_import_counts_zero_carbon:
        co2_elec = co2_elec + energy["import_green_mwh"] * _div(
            carbon["co2_baseline_t"], energy["load_mwh"], 0.0)
    co2_per_tce = _div(co2_elec + ind.other_energy_co2_t, total_tce, math.nan)
    location = carbon.get("co2_location_t")
    if location is not None:
        location = _div(location + ind.other_energy_co2_t, total_tce, math.nan)
    threshold, basis = core_threshold(ind.max_co2_per_tce, total_tce)
    clean_energy_share = _div(shares["clean_share"] * elec_tce, total_tce, math.nan)
    rows = [
        {
            "indicator": "carbon emissions per unit of energy consumption (core)",
            "key": "co2_per_tce",
            "value": co2_per_tce,
            "unit": "tCO2/tce",
            "threshold": threshold,
            "rule": "<=",
            "passed": _ge(threshold, co2_per_tce),
            "basis": f"{basis}; electricity at {method}; market-based scope 2: regular imports "
                     "not covered by certificates at the factor excluding market-traded "
                     "non-fossil power, green contracts at 0",
            "location_value": location,
        },
        {
            "indicator": "clean-energy consumption share (guiding)",
            "key": "clean_energy_share",
            "value": clean_energy_share,
            "unit": "1",
            "threshold": ind.min_clean_energy_share,
            "rule": ">=",
            "passed": _ge(clean_energy_share, ind.min_clean_energy_share),
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
    totals: dict[str, Any], park: ParkConfig, capacities: Capacities,
    procured: dict | None = None,
) -> dict[str, Any]:
    """Every KPI that annual totals determine (all but peaks and hourly matching).

    One run: numbers in, numbers out. Many scenarios (the sweep): each total an
    array over scenarios and ``capacities`` with array fields; every KPI, target
    and indicator verdict is then an array of the same length — the same
    definitions, evaluated once for all.

    ``procured`` (:func:`procurement_totals`, from hourly flows of one run) adds
    what products change: certificates and netted exports in the clean share and
    market-based CO2, product prices in the costs, location-based CO2.
    """
    energy = energy_kpis(totals, capacities)
    credit = procured["clean_credit_mwh"] if procured is not None else 0.0
    shares = share_kpis(energy, credit)
    carbon = carbon_kpis(totals, procured)
    out: dict[str, Any] = {}
    out.update(shares)
    out.update(energy)
    out.update(battery_kpis(totals, capacities))
    out.update(cost_kpis(energy, totals, park, capacities, procured))
    out.update(carbon)
    out.update(indicator_table(energy, shares, carbon, park))
    if "electrolyser_mwh" in totals:
        out["demand_mwh"] = demand_mwh(energy)
        out.update(hydrogen_kpis(totals))
    out["targets"] = {
        "onsite_share": park.targets.onsite_share,
        "onsite_met": _ge(shares["onsite_share"], park.targets.onsite_share - 1e-9),
        "clean_share": park.targets.clean_share,
        "clean_met": None if park.targets.clean_share is None
        else _ge(shares["clean_share"], park.targets.clean_share - 1e-9),
    }
    if park.targets.max_co2_per_tce is not None:
        out["targets"]["max_co2_per_tce"] = park.targets.max_co2_per_tce
        out["targets"]["co2_met"] = _ge(park.targets.max_co2_per_tce + 1e-9,
                                        out["co2_per_tce"])
    return out


def procurement_totals(flows: xr.Dataset, profiles: xr.Dataset, park: ParkConfig,
                       capacities: Capacities, totals: dict[str, float]) -> dict[str, Any]:
    """What each product supplied and cost per year, and what certificates and netting cover.

    Returns ``products`` (one row per product: ``name``, ``kind``, ``mwh``
    [MWh/yr], ``cost`` [money/yr], ``hours`` [h/yr with a delivery], ``price_per_mwh``
    (mean, money/MWh), ``counts_toward``), and [MWh/yr, money/yr, t/yr]:
    ``certificates_mwh`` bought, ``netted_export_mwh`` and ``clean_credit_mwh``
    (regular imports they cover: netted exports first, at most the regular
    imports), ``energy_cost``, ``environmental_cost``, ``certificate_cost``,
    ``co2_covered_t`` (covered MWh at the run's mean factor of regular imports),
    ``co2_location_t`` (grid imports at ``location_emission_factor_t_per_mwh``).

    Certificates a sizing did not decide are bought as needed for the clean
    target (:func:`energysim.dispatch.procurement.certificates_bought`).
    """
    from energysim.dispatch.procurement import certificates_bought

    s = step_weight(flows)
    price = profiles["import_price_per_mwh"].values
    greens = green_flows(flows, park)
    peak = max(float(flows["load"].max()), 1e-12)
    regular_mwh, load = totals["import_regular_mwh"], totals["load_mwh"]
    netted = min(totals["export_mwh"], regular_mwh) if park.grid.export_netting == "annual" else 0.0
    clean = (park.targets.clean_share or 0.0) * load
    short = clean - totals["onsite_served_mwh"] - totals["import_green_mwh"] - netted
    certs = certificates_bought(park, capacities, regular_mwh - netted, short)
    rows, energy_cost, env_cost, cert_cost = [], 0.0, 0.0, 0.0
    for p in procurement.products(park):
        if p.kind == "certificate":
            mwh, e, v, hours = certs[p.name], 0.0, certs[p.name] * p.price, None
            cert_cost += v
        else:
            f = flows["import_regular"].values if p.kind == "regular" else greens[p.name]
            energy = price if p.energy_price is None else p.energy_price
            mwh = float(f.sum()) * s
            e, v = float((f * energy).sum()) * s, mwh * p.environmental_price
            hours = float((f > 1e-9 * peak).sum()) * s
            energy_cost, env_cost = energy_cost + e, env_cost + v
        rows.append({"name": p.name, "kind": p.kind, "mwh": mwh, "cost": e + v, "hours": hours,
                     "price_per_mwh": (e + v) / mwh if mwh > 0 else None,
                     "counts_toward": p.counts_text(), "implicit": p.implicit})
    credit = min(regular_mwh, netted + sum(certs.values()))
    ef = profiles["emission_factor_t_per_mwh"].values
    return {"products": rows, "certificates_mwh": sum(certs.values()),
            "netted_export_mwh": netted, "clean_credit_mwh": credit,
            "energy_cost": energy_cost, "environmental_cost": env_cost,
            "certificate_cost": cert_cost, "co2_covered_t": credit * float(ef.mean()),
            "co2_location_t": (totals["import_green_mwh"] + regular_mwh)
            * park.grid.location_emission_factor_t_per_mwh}


def kpis(
    flows: xr.Dataset, profiles: xr.Dataset, park: ParkConfig, capacities: Capacities
) -> dict[str, Any]:
    """All KPIs of one simulated park-year, as a flat dict.

    Plus the ``indicators`` and ``procurement`` tables.
    """
    totals = totals_of(flows, profiles, park)
    procured = procurement_totals(flows, profiles, park, capacities, totals)
    out = kpis_from_totals(totals, park, capacities, procured)
    out["peak_load_mw"] = float(flows["load"].max())
    out["peak_import_mw"] = float((flows["import_green"] + flows["import_regular"]).max())
    out.update(hourly_matching_kpis(flows, park))
    out.update(cfe_profile(flows, park))
    out["procurement"] = procured["products"]
    for key in ("certificates_mwh", "netted_export_mwh", "clean_credit_mwh"):
        out[key] = procured[key]
    if park.targets.cfe_score is not None:
        out["targets"]["cfe_score"] = park.targets.cfe_score
        out["targets"]["cfe_met"] = bool(out["cfe_hourly_score"] >= park.targets.cfe_score - 1e-9)
    return out
