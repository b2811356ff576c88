"""Accounting: every KPI energysim reports, defined once, from hourly flows.

Energy in MWh per year of the run, shares as fractions of annual load, money in
the config's currency per year. A run shorter than a year (a few weeks of
profile) reports energies scaled to a year by ``8760 / hours`` (DESIGN.md's
short-horizon convention); shares are unaffected by the scaling.

Definitions (DESIGN.md):

- ``onsite_share`` = load served by on-site PV and wind, directly or through
  on-site-origin battery energy / load
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
    "battery_kpis",
    "cost_kpis",
    "energy_cost",
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


def _div(num, den, fallback: float):
    """``num / den`` where ``den > 0``, else ``fallback``; arrays in, arrays out (a scenario
    dimension), numbers in, a float out (one run)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = den > 0
    out = np.where(ok, num / np.where(ok, den, 1.0), fallback)
    return float(out) if out.ndim == 0 else out


def _ge(a, b):
    """``a >= b`` as a bool (one run) or a boolean array (scenarios)."""
    out = np.asarray(a) >= b
    return bool(out) if out.ndim == 0 else out


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
        return t.capacity_charge_per_kva_month * t.contracted_kva * 12.0
    if t.basis != "demand":
        return 0.0
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
    """:func:`annual_totals` plus the tariff's ``capacity_charge`` [money/yr]: every total
    of a park's run that its costs need."""
    out = annual_totals(flows, profiles)
    out["capacity_charge"] = capacity_charge(flows, park)
    return out


def energy_kpis(totals: dict[str, float], capacities: Capacities) -> dict[str, float]:
    """Annual energies [MWh/yr] and full-load hours [h/yr] (generation / capacity, PV per MWp DC)."""
    out = {k: totals[k] for k in TOTAL_KEYS[:11]}
    out["import_mwh"] = out["import_green_mwh"] + out["import_regular_mwh"]
    out["pv_full_load_hours"] = _div(out["pv_mwh"], capacities.pv_mw, 0.0)
    out["wind_full_load_hours"] = _div(out["wind_mwh"], capacities.wind_mw, 0.0)
    return out


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
    """
    load = energy["load_mwh"]
    onsite = _div(energy["onsite_served_mwh"], load, math.nan)  # no load: no share (nan)
    unmet = _div(energy["unmet_mwh"], load, math.nan)
    grid_served = np.maximum(0.0, 1.0 - onsite - unmet)
    green = grid_served * _div(energy["import_green_mwh"], energy["import_mwh"], 0.0)
    has_load = np.asarray(load) > 0
    curtailed = _div(energy["curtail_mwh"], energy["pv_mwh"] + energy["wind_mwh"], 0.0)
    return {
        "onsite_share": onsite,
        "green_import_share": _plain(green),
        "regular_import_share": _plain(grid_served - green),
        "clean_share": _plain(onsite + green),
        "unmet_share": unmet,
        "curtailment_share": _plain(np.where(has_load, curtailed, 0.0)),
    }


def _plain(x):
    """A 0-d result as a float (one run), arrays as they are."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x


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
        "battery_energy": c.battery_annual_per_mwh * (capacities.battery_mwh - ex["battery_energy"]),
        "battery_power": c.battery_annual_per_mw * (capacities.battery_mw - ex["battery_power"]),
    }


def energy_terms(totals: dict[str, float], park: ParkConfig,
                 unmet_penalty_per_mwh: float = 0.0) -> dict[str, float]:
    """Energy cost terms per year [money/yr]: imports at their price, green premium, minus
    export revenue, the tariff's capacity charge (:func:`capacity_charge`, in ``totals``
    from :func:`totals_of`; 0 when absent) and unmet load at ``unmet_penalty_per_mwh``
    (the sizing LP's penalty)."""
    return {
        "imports": totals["import_cost"],
        "green_premium": totals["import_green_mwh"] * park.grid.green_premium_per_mwh,
        "export_revenue": -totals["export_mwh"] * park.grid.export_price_per_mwh,
        "capacity_charge": totals.get("capacity_charge", 0.0 * totals["import_cost"]),
        "unmet_penalty": totals["unmet_mwh"] * unmet_penalty_per_mwh,
    }


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
    energy_cost = import_cost + premium - export_revenue + terms["capacity_charge"]
    total = onsite_assets + energy_cost
    served = energy["load_mwh"] - energy["unmet_mwh"]
    return {
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
    """Energy cost of a run per year [money/yr] from its KPIs: imports + green premium +
    the tariff's capacity charge - export revenue (the energy part of ``annualized_cost``)."""
    return (kpis["import_cost"] + kpis["green_premium_cost"] + kpis["capacity_charge_cost"]
            - kpis["export_revenue"])


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
    elec_tce = energy["load_mwh"] * k
    total_tce = elec_tce + ind.other_energy_tce
    co2_elec = carbon["co2_t"]
    if not ind.green_import_counts_zero_carbon:
        co2_elec = co2_elec + energy["import_green_mwh"] * _div(
            carbon["co2_baseline_t"], energy["load_mwh"], 0.0)
    co2_per_tce = _div(co2_elec + ind.other_energy_co2_t, total_tce, math.nan)
    threshold, basis = _core_threshold(ind.max_co2_per_tce, total_tce)
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
            "basis": f"{basis}; electricity at {method}",
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


def _core_threshold(configured: float | None, total_tce):
    """Threshold of the core indicator [tCO2/tce] and its basis (People's Daily 2025-08-26):
    0.3 at >= 1 Mtce/yr, 0.2 from 0.2 Mtce/yr, and 0.2 applied below (none published)."""
    if configured is not None:
        return configured, "configured"
    big = np.asarray(total_tce) >= 1e6
    if big.ndim:  # scenarios: the rule, each row its own threshold
        return np.where(big, 0.3, 0.2), ("0.3 tCO2/tce at >= 1 Mtce/yr, else 0.2 "
                                         "(People's Daily 2025-08-26)")
    if big:
        return 0.3, "≥ 1 Mtce/yr park: ≤ 0.3 tCO2/tce (People's Daily 2025-08-26)"
    if total_tce >= 2e5:
        return 0.2, "0.2-1 Mtce/yr park: ≤ 0.2 tCO2/tce (People's Daily 2025-08-26)"
    return 0.2, "< 0.2 Mtce/yr: no published threshold; 0.2 applied"


def kpis_from_totals(
    totals: dict[str, float], park: ParkConfig, capacities: Capacities
) -> dict[str, Any]:
    """Every KPI that annual totals determine (all but peaks and hourly matching).

    One run: numbers in, numbers out. Many scenarios (the sweep): each total an
    array over scenarios and ``capacities`` with array fields; every KPI, target
    and indicator verdict is then an array of the same length — the same
    definitions, evaluated once for all.
    """
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
    out["targets"] = {
        "onsite_share": park.targets.onsite_share,
        "onsite_met": _ge(shares["onsite_share"], park.targets.onsite_share - 1e-9),
        "clean_share": park.targets.clean_share,
        "clean_met": None if park.targets.clean_share is None
        else _ge(shares["clean_share"], park.targets.clean_share - 1e-9),
    }
    return out


def kpis(
    flows: xr.Dataset, profiles: xr.Dataset, park: ParkConfig, capacities: Capacities
) -> dict[str, Any]:
    """All KPIs of one simulated park-year, as a flat dict (+ the ``indicators`` table)."""
    out = kpis_from_totals(totals_of(flows, profiles, park), park, capacities)
    out["peak_load_mw"] = float(flows["load"].max())
    out["peak_import_mw"] = float((flows["import_green"] + flows["import_regular"]).max())
    out.update(hourly_matching_kpis(flows, park))
    return out
