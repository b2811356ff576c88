"""Columnar KPIs: :func:`energysim.accounting.kpis_from_totals` for many scenarios at once.

The sweep computes the KPIs of thousands of scenarios per task. Calling
``kpis_from_totals`` once per scenario costs ~20-40 µs of Python each, about as
much as the Numba dispatch of a whole year, so here the same definitions are
evaluated on arrays (one numpy expression per KPI, same operation order).
They mirror ``energy_kpis``, ``share_kpis``, ``battery_kpis``, ``cost_kpis``,
``carbon_kpis``, ``indicator_table`` and the targets of ``kpis_from_totals``
(see those functions for the equations and sources); the coefficients that
depend on the park (annualised asset costs, CRF, standard-coal factor,
indicator thresholds) come from the same accounting and economics functions.

``tests/test_sweep.py`` checks every column against ``kpis_from_totals``
scenario by scenario (random totals and the edge cases: no load, no imports,
no capacity), so the two cannot drift apart silently.
"""

from __future__ import annotations

import numpy as np

from energysim.accounting import TOTAL_KEYS, _tce_per_mwh
from energysim.config import ParkConfig
from energysim.economics import annuity_factor, asset_costs

__all__ = ["kpi_columns"]


def _div(num: np.ndarray, den: np.ndarray, fallback: float) -> np.ndarray:
    """num / den where den > 0, else ``fallback`` (the scalar rule ``x / y if y > 0 else f``)."""
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), fallback)


def kpi_columns(totals: dict[str, np.ndarray], park: ParkConfig,
                caps: np.ndarray) -> dict[str, np.ndarray]:
    """Every KPI column of :data:`energysim.sweep.columns.KPI_COLUMNS` for n scenarios of one park.

    Parameters
    ----------
    totals : dict of ndarray
        Annual totals (:data:`energysim.accounting.TOTAL_KEYS`), each (n,)
        [MWh/yr, money/yr, t/yr].
    park : ParkConfig
        Costs, economics, targets and indicator settings shared by the n scenarios.
    caps : ndarray
        (n, 4): PV [MWp], wind [MW], battery [MWh], battery [MW].

    Returns
    -------
    dict of ndarray
        Float KPIs as in ``kpis_from_totals``; ``onsite_met``, ``clean_met``
        (None-filled object array when there is no clean target),
        ``co2_per_tce_passed`` and ``clean_energy_share_passed`` as booleans.
    """
    t = {k: np.asarray(totals[k], dtype=np.float64) for k in TOTAL_KEYS}
    caps = [np.asarray(caps[:, j], dtype=np.float64) for j in range(4)]
    out: dict[str, np.ndarray] = {k: t[k] for k in TOTAL_KEYS[:11]}
    with np.errstate(divide="ignore", invalid="ignore"):
        _energy_shares_battery(out, t, caps)
        _costs(out, t, park, caps)
        _carbon_indicators(out, t, park)
        _targets(out, park)
    return out


def _energy_shares_battery(out: dict, t: dict, caps: list) -> None:
    """``energy_kpis``, ``share_kpis`` and ``battery_kpis`` on arrays."""
    pv_mw, wind_mw, bat_mwh, _ = caps
    out["import_mwh"] = t["import_green_mwh"] + t["import_regular_mwh"]
    out["pv_full_load_hours"] = _div(t["pv_mwh"], pv_mw, 0.0)
    out["wind_full_load_hours"] = _div(t["wind_mwh"], wind_mw, 0.0)
    load = t["load_mwh"]
    has_load = load > 0
    onsite = _div(t["onsite_served_mwh"], load, np.nan)
    unmet = _div(t["unmet_mwh"], load, np.nan)
    grid_served = np.maximum(0.0, 1.0 - onsite - unmet)
    green_frac = _div(t["import_green_mwh"], out["import_mwh"], 0.0)
    green = grid_served * green_frac
    regular = grid_served - green
    generation = t["pv_mwh"] + t["wind_mwh"]
    nan = np.full_like(load, np.nan)
    out["onsite_share"] = np.where(has_load, onsite, nan)
    out["green_import_share"] = np.where(has_load, green, nan)
    out["regular_import_share"] = np.where(has_load, regular, nan)
    out["clean_share"] = np.where(has_load, onsite + green, nan)
    out["unmet_share"] = np.where(has_load, unmet, nan)
    out["curtailment_share"] = np.where(has_load, _div(t["curtail_mwh"], generation, 0.0), 0.0)
    out["battery_throughput_mwh"] = t["discharge_mwh"]
    out["battery_cycles"] = _div(t["discharge_mwh"], bat_mwh, 0.0)


def _costs(out: dict, t: dict, park: ParkConfig, caps: list) -> None:
    """``cost_kpis`` on arrays."""
    pv_mw, wind_mw, bat_mwh, bat_mw = caps
    c = asset_costs(park)
    premium = out["import_green_mwh"] * park.grid.green_premium_per_mwh
    export_revenue = out["export_mwh"] * park.grid.export_price_per_mwh
    pv = pv_mw * c.pv_annual_per_mw
    wind = wind_mw * c.wind_annual_per_mw
    battery = bat_mwh * c.battery_annual_per_mwh + bat_mw * c.battery_annual_per_mw
    onsite_assets = pv + wind + battery
    capacity_charge = np.full_like(premium, _capacity_charge(park))
    energy_cost = t["import_cost"] + premium - export_revenue + capacity_charge
    total = onsite_assets + energy_cost
    served = t["load_mwh"] - out["unmet_mwh"]
    out.update(
        annualized_cost=total,
        annualized_cost_pv=pv,
        annualized_cost_wind=wind,
        annualized_cost_battery=battery,
        import_cost=t["import_cost"],
        green_premium_cost=premium,
        export_revenue=export_revenue,
        capacity_charge_cost=capacity_charge,
        capex_pv=pv_mw * c.pv_capex_per_mw,
        capex_wind=wind_mw * c.wind_capex_per_mw,
        capex_battery=bat_mwh * c.battery_capex_per_mwh + bat_mw * c.battery_capex_per_mw,
        npc=total * annuity_factor(park.economics.discount_rate,
                                   park.economics.project_life_yr),
        lcoe_onsite_per_mwh=_div(onsite_assets, out["onsite_served_mwh"], np.nan),
        lcoe_per_mwh=_div(total, served, np.nan),
    )


def _capacity_charge(park: ParkConfig) -> float:
    """The tariff's capacity charge [money/yr]; a demand charge needs hourly flows."""
    from energysim.accounting import capacity_charge
    from energysim.errors import ConfigError, problem

    if park.tariff.basis == "demand":
        raise ConfigError(problem("sweeps keep annual totals only, not the monthly import peaks "
                                  "a demand charge bills: sweep without [tariff] basis = "
                                  "'demand'", source=park.source, field="tariff.basis",
                                  value="demand"))
    return capacity_charge(None, park)


def _carbon_indicators(out: dict, t: dict, park: ParkConfig) -> None:
    """``carbon_kpis`` and ``indicator_table`` on arrays."""
    load = t["load_mwh"]
    out["co2_t"] = t["co2_t"]
    out["co2_baseline_t"] = t["co2_baseline_t"]
    out["co2_avoided_t"] = t["co2_baseline_t"] - t["co2_t"]
    ind = park.indicators
    k, _ = _tce_per_mwh(park)
    elec_tce = load * k
    total_tce = elec_tce + ind.other_energy_tce
    co2_elec = t["co2_t"]
    if not ind.green_import_counts_zero_carbon:
        mean_ef = _div(t["co2_baseline_t"], load, 0.0)
        co2_elec = co2_elec + out["import_green_mwh"] * mean_ef
    co2_total = co2_elec + ind.other_energy_co2_t
    co2_per_tce = _div(co2_total, total_tce, np.nan)
    if ind.max_co2_per_tce is not None:
        threshold = np.full_like(load, ind.max_co2_per_tce)
    else:  # >= 1 Mtce/yr: 0.3; otherwise 0.2 (People's Daily 2025-08-26, see accounting)
        threshold = np.where(total_tce >= 1e6, 0.3, 0.2)
    clean_energy_share = _div(out["clean_share"] * elec_tce, total_tce, np.nan)
    out["co2_per_tce"] = co2_per_tce
    out["energy_use_tce"] = total_tce
    out["clean_energy_share"] = clean_energy_share
    out["co2_per_tce_passed"] = co2_per_tce <= threshold
    out["clean_energy_share_passed"] = clean_energy_share >= ind.min_clean_energy_share


def _targets(out: dict, park: ParkConfig) -> None:
    """The targets of ``kpis_from_totals`` on arrays."""
    targets = park.targets
    out["onsite_met"] = out["onsite_share"] >= targets.onsite_share - 1e-9
    if targets.clean_share is None:
        out["clean_met"] = np.full(out["onsite_share"].shape, None, dtype=object)
    else:
        out["clean_met"] = out["clean_share"] >= targets.clean_share - 1e-9
