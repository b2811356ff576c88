"""First-stage decisions: what sizing chooses once for every horizon (capacities, volumes).

A :class:`Decision` describes one column shared by every horizon of a sizing
model (every weather year, every hour): its :class:`~energysim.config.Capacities`
field, bounds, annualised cost per unit of new capacity, the existing (sunk)
amount, lifetime and land use. The sizing LP (:mod:`energysim.sizing.model`),
the decomposition's master (:mod:`energysim.sizing.decomposition`), the
pathway builds (:mod:`energysim.pathways.model`) and the readers all loop over
:func:`decisions`, so a new technology (an electrolyser, a hydrogen store, a
contract volume) is one more function named in :data:`DECISION_SOURCES`,
not a change of those modules.

Annualised cost = capex x CRF(r, lifetime) + fixed O&M (DESIGN.md;
:func:`energysim.economics.asset_costs`). Units are physical (MW, MWh, kg, MWh/yr);
the model works in ``scale x Scaling.power_mw`` of them per model unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from energysim.config import Capacities, ParkConfig
from energysim.economics import asset_costs

__all__ = ["Decision", "decisions", "DECISION_SOURCES", "base_decisions", "land_limit",
           "model_values", "capacities_from", "value_of", "VOLUMES"]

#: Prefix of a :class:`~energysim.config.Capacities` field path naming a product volume:
#: ``"procurement_mwh.<product>"`` (the dict of volumes by product name).
VOLUMES = "procurement_mwh."


@dataclass(frozen=True)
class Decision:
    """One first-stage decision of the sizing model (physical units)."""

    key: str  #: column name, e.g. "pv"
    field: str  #: Capacities field, e.g. "pv_mw"
    lower: float  #: lower bound (existing, min)
    upper: float  #: upper bound (max, land)
    annual_cost: float  #: money per unit per year of new capacity
    existing: float  #: sunk amount (not charged)
    lifetime_yr: float  #: economic lifetime [yr] (pathway retirements)
    max_field: str  #: config field of the upper bound, named when it binds
    scale: float = 1.0  #: physical units per model unit, in units of Scaling.power_mw
    area_ha_per_unit: float = 0.0  #: land use [ha per unit]
    max_area_ha: float | None = None  #: land available [ha]
    area_field: str | None = None  #: config field of the land limit


def land_limit(asset) -> float | None:
    """Most capacity the asset's land allows [MW], or None without a land limit."""
    if asset.max_area_ha is None or asset.area_ha_per_mw == 0:
        return None
    return asset.max_area_ha / asset.area_ha_per_mw


def _bounds(existing: float, low: float, high: float, land: float | None) -> tuple[float, float]:
    """Bounds: at least what exists and the minimum, at most max and land."""
    upper = high if land is None else min(high, land)
    return max(existing, low), max(upper, existing)


def base_decisions(park: ParkConfig) -> list[Decision]:
    """PV [MWp], wind [MW], battery energy [MWh] and power [MW]."""
    c = asset_costs(park)
    pv, wind, bat = park.pv, park.wind, park.battery
    out = []
    for key, field, asset, annual in (("pv", "pv_mw", pv, c.pv_annual_per_mw),
                                      ("wind", "wind_mw", wind, c.wind_annual_per_mw)):
        lo, hi = _bounds(asset.existing_mw, asset.min_mw, asset.max_mw, land_limit(asset))
        out.append(Decision(key, field, lo, hi, annual, asset.existing_mw, asset.lifetime_yr,
                            f"{key}.max_mw", 1.0, asset.area_ha_per_mw,
                            asset.max_area_ha if land_limit(asset) is not None else None,
                            f"{key}.max_area_ha"))
    out.append(Decision("energy", "battery_mwh",
                        *_bounds(bat.existing_mwh, bat.min_mwh, bat.max_mwh, None),
                        c.battery_annual_per_mwh, bat.existing_mwh, bat.lifetime_yr,
                        "battery.max_mwh"))
    out.append(Decision("power", "battery_mw",
                        *_bounds(bat.existing_mw, bat.min_mw, bat.max_mw, None),
                        c.battery_annual_per_mw, bat.existing_mw, bat.lifetime_yr,
                        "battery.max_mw"))
    return out


#: Functions giving the decisions of a park, in column order (:mod:`energysim.extensions`):
#: the on-site kit, product volumes, flexible-demand assets.
DECISION_SOURCES = ("energysim.decisions:base_decisions",
                    "energysim.sizing.procurement:product_decisions",
                    "energysim.sizing.flexible:flexible_decisions")


def decisions(park: ParkConfig) -> dict[str, Decision]:
    """Every first-stage decision of ``park``, by key, in column order."""
    from energysim.extensions import load

    out: dict[str, Decision] = {}
    for source in load(DECISION_SOURCES):
        for d in source(park):
            if d.key in out:
                raise ValueError(f"decision {d.key!r} given twice")
            out[d.key] = d
    return out


def value_of(capacities: Capacities, d: Decision) -> float | None:
    """The physical value of decision ``d`` in ``capacities``.

    None for a product volume ``capacities`` does not decide.
    """
    if d.field.startswith(VOLUMES):
        return capacities.procurement_mwh.get(d.field.removeprefix(VOLUMES))
    return getattr(capacities, d.field)


def capacities_from(decs: dict[str, Decision], values) -> Capacities:
    """:class:`Capacities` from physical decision values in the order of ``decs``."""
    fields, volumes = {}, {}
    for d, v in zip(decs.values(), values, strict=True):
        if d.field.startswith(VOLUMES):
            volumes[d.field.removeprefix(VOLUMES)] = float(v)
        else:
            fields[d.field] = float(v)
    return Capacities(**fields, procurement_mwh=volumes) if volumes else Capacities(**fields)


def model_values(decs: dict[str, Decision], capacities: Capacities, power_mw: float,
                 missing: str = "lower") -> np.ndarray:
    """``capacities`` in model units, in the order of ``decs``.

    A product volume ``capacities`` does not decide is its lower bound
    (``missing="lower"``, a start) or NaN (``"nan"``: left free by
    :func:`energysim.sizing.fix_capacities`).
    """
    out = []
    for d in decs.values():
        v = value_of(capacities, d)
        if v is None:
            v = d.lower if missing == "lower" else np.nan
        out.append(v / (d.scale * power_mw))
    return np.array(out)
