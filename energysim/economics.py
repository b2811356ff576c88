"""Asset economics: capital recovery factor and annualised cost of each asset.

Annualised cost of an asset = capex x CRF(r, lifetime) + fixed O&M per year
(DESIGN.md). Sizing minimises their sum plus energy costs; accounting reports
them. Money is in the config's currency, capacities in MW / MWh.
"""

from __future__ import annotations

from dataclasses import dataclass

from energysim.config import ParkConfig

__all__ = ["capital_recovery_factor", "AssetCosts", "asset_costs", "annuity_factor"]


def capital_recovery_factor(discount_rate: float, lifetime_yr: float) -> float:
    r"""Capital recovery factor [1/yr].

    .. math:: CRF(r, n) = \frac{r (1+r)^n}{(1+r)^n - 1}, \qquad CRF(0, n) = 1/n

    Parameters
    ----------
    discount_rate : float
        Real discount rate r [-].
    lifetime_yr : float
        Economic lifetime n [yr].

    References
    ----------
    .. [1] Short, Packey, Holt, "A Manual for the Economic Evaluation of Energy
       Efficiency and Renewable Energy Technologies", NREL/TP-462-5173 (1995), eq. 4-3.
    """
    if lifetime_yr <= 0:
        raise ValueError(f"lifetime_yr must be positive, got {lifetime_yr}")
    if discount_rate == 0:
        return 1.0 / lifetime_yr
    growth = (1.0 + discount_rate) ** lifetime_yr
    return discount_rate * growth / (growth - 1.0)


def annuity_factor(discount_rate: float, years: float) -> float:
    """Present value of 1 per year for ``years`` years [yr]: the inverse of the CRF."""
    return 1.0 / capital_recovery_factor(discount_rate, years)


@dataclass(frozen=True)
class AssetCosts:
    """Annualised cost coefficients per unit of capacity [money/MW/yr or money/MWh/yr].

    ``*_capex`` are overnight costs per MW (MWh for battery energy); the
    ``annual_*`` fields are capex x CRF + fixed O&M, per year.
    """

    pv_capex_per_mw: float
    wind_capex_per_mw: float
    battery_capex_per_mwh: float
    battery_capex_per_mw: float
    pv_annual_per_mw: float
    wind_annual_per_mw: float
    battery_annual_per_mwh: float
    battery_annual_per_mw: float


def asset_costs(park: ParkConfig) -> AssetCosts:
    """Per-unit capex and annualised cost of PV, wind and battery for ``park``.

    Fixed O&M of PV and wind is given per kW and year; the battery's as a
    percentage of capex per year (FACTS.md: 2 %).
    """
    r = park.economics.discount_rate
    pv, wind, bat = park.pv, park.wind, park.battery
    pv_capex = pv.capex_per_kw * 1e3
    wind_capex = wind.capex_per_kw * 1e3
    bat_e_capex = bat.capex_per_kwh * 1e3
    bat_p_capex = bat.capex_per_kw * 1e3
    bat_crf = capital_recovery_factor(r, bat.lifetime_yr)
    bat_om = bat.fixed_om_pct_capex_yr / 100.0
    return AssetCosts(
        pv_capex_per_mw=pv_capex,
        wind_capex_per_mw=wind_capex,
        battery_capex_per_mwh=bat_e_capex,
        battery_capex_per_mw=bat_p_capex,
        pv_annual_per_mw=pv_capex * capital_recovery_factor(r, pv.lifetime_yr)
        + pv.fixed_om_per_kw_yr * 1e3,
        wind_annual_per_mw=wind_capex * capital_recovery_factor(r, wind.lifetime_yr)
        + wind.fixed_om_per_kw_yr * 1e3,
        battery_annual_per_mwh=bat_e_capex * (bat_crf + bat_om),
        battery_annual_per_mw=bat_p_capex * (bat_crf + bat_om),
    )
