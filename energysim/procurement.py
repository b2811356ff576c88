r"""Green procurement: the products a park buys and the rules of what each counts toward.

A park buys what its on-site kit does not supply as **products** (``[[procurement]]``
entries of the config, :class:`energysim.config.ProcurementConfig`):

- ``regular`` — grid power without a green contract, at the ``[grid]`` import
  tariff (hourly if given) or its own ``energy_price_per_mwh``. It follows the
  load (no volume bounds) and is always available: a config that lists no
  regular product gets the implicit one, ``grid``. Its hourly flow is
  ``import_regular``.
- ``green_contract`` — green-power trading (绿电交易): the park pays an energy price
  and an environmental value for every MWh it takes (as-consumed settlement;
  NDRC/NEA rules of August 2024: the two prices are quoted separately, as in
  the Inner Mongolia DRC plan of 2025-05-30, which also lets contracts fix a
  delivery curve). Delivery: ``annual`` (any hour, up to the volume per year),
  or shaped — ``profile = "file.csv:column"`` (per-unit output of the contracted
  plants) or a remote ``plant`` modelled with energysim's own PV / wind models
  on its own weather. A shaped contract of volume :math:`V` [MWh/yr] can deliver
  :math:`V u_t` [MW] in hour t, with :math:`u_t` the shape scaled so it delivers
  V over a year (:func:`per_volume`). Hourly flows ``import_green`` (all
  contracts) and ``product_<name>`` (each).
- ``certificate`` — unbundled green electricity certificates (GEC, 1 certificate
  = 1 MWh, the recognised proof of renewable consumption since 2023; FACTS.md):
  bought per year at ``price_per_mwh``, they change no flow; they cover the same
  MWh of regular imports over the year.

Accounting rules (one definition for the sizing constraints and the KPIs,
:mod:`energysim.accounting`; README table):

- **on-site share**: load served by on-site PV and wind, directly or through the
  battery. Products never count.
- **clean share** = on-site + green-contract deliveries + certificates and, with
  ``[grid] export_netting = "annual"``, exported on-site MWh, the last two capped
  by the regular imports they cover (:func:`energysim.accounting.share_kpis`).
- **hourly CFE score** = load covered hour by hour by on-site supply (the battery
  charges only from clean supply, so its discharge is clean) and hourly-matched
  green-contract deliveries; an ``annual`` contract does not say when its energy
  was generated and counts as a flat block of its delivered volume / hours (the
  usual convention of 24/7 scoring). With hourly-matched contracts only this is
  :math:`1 - \sum_t (r_t + u_t) / \sum_t L_t`. Certificates and netted exports
  never count.
- **market-based scope 2**: regular imports not covered by certificates or netted
  exports, at ``[grid] emission_factor_t_per_mwh`` (the MEE factor that excludes
  market-traded non-fossil power, 0.6096 t/MWh for 2023); green contracts at 0.
  **Location-based** beside it: every MWh drawn from the grid (green contracts
  included) at ``[grid] location_emission_factor_t_per_mwh`` (grid average).

A config without ``[[procurement]]`` keeps the ``[grid]`` keys: they map onto
implicit products (:func:`products`) and the operation is exactly the one
without products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from energysim.config import ParkConfig, ProcurementConfig
from energysim.errors import problem
from energysim.timeaxis import HOURS_PER_YEAR

__all__ = ["Product", "products", "explicit", "not_supported", "shaped", "per_volume",
           "flow_name", "shape_name", "COUNTS"]

#: What each kind of product counts toward (the rows of the accounting table, README).
COUNTS = {
    "regular": (),
    "green_contract": ("clean_share", "cfe_score", "co2_market"),
    "certificate": ("clean_share", "co2_market"),
}


@dataclass(frozen=True)
class Product:
    """One product resolved from the config (physical units, money per MWh).

    ``delivery``: "annual", "profile", "plant", "block" (the flat hourly block of
    ``[grid] green_matching = "hourly"``) or None (regular, certificates).
    ``energy_price`` None follows the grid's hourly import price. Volumes
    [MWh/yr]: ``lower`` .. ``upper`` (``fixed`` when equal and given as
    ``volume_mwh``).
    """

    name: str
    kind: str
    delivery: str | None = None
    energy_price: float | None = None
    environmental_price: float = 0.0
    price: float = 0.0
    lower: float = 0.0
    upper: float = math.inf
    fixed: bool = False
    implicit: bool = False

    @property
    def green(self) -> bool:
        """Whether the product is a green contract (energy delivered as green)."""
        return self.kind == "green_contract"

    @property
    def hourly(self) -> bool:
        """Its deliveries count in the hour they arrive (hourly CFE); annual: a flat block."""
        return self.delivery in ("profile", "plant", "block")

    @property
    def shaped(self) -> bool:
        """Its hourly delivery is capped by a shape times its volume."""
        return self.delivery in ("profile", "plant")

    def counts_toward(self) -> tuple[str, ...]:
        """The targets/KPIs this product counts toward (keys of :data:`COUNTS`)."""
        return COUNTS[self.kind]

    def counts_text(self) -> str:
        """What it counts toward, in words (procurement table)."""
        if self.kind == "regular":
            return "—"
        if self.kind == "certificate":
            return "clean share, CO2 (annual)"
        return "clean share, CFE, CO2" if self.hourly else "clean share, CFE (flat), CO2"


def explicit(park: ParkConfig) -> bool:
    """True when the config lists ``[[procurement]]`` products."""
    return bool(park.procurement)


def not_supported(park: ParkConfig, what: str) -> None:
    """Raise a :class:`~energysim.errors.ConfigError` for products ``what`` does not model.

    ``what`` is a command or stage; the products are those ``park`` lists that it does not model
    yet.
    """
    from energysim.errors import ConfigError

    if explicit(park):
        raise ConfigError(problem(
            f"{what} does not model [[procurement]] products yet (it runs on the [grid] keys "
            "alone); use run, size or study, or a config without [[procurement]]",
            source=park.source, field="[procurement]"))


def _from_config(p: ProcurementConfig) -> Product:
    energy = None if p.energy_price_per_mwh in (None, "grid") else float(p.energy_price_per_mwh)
    lower = p.volume_mwh if p.volume_mwh is not None else (p.min_mwh or 0.0)
    upper = p.volume_mwh if p.volume_mwh is not None else (
        math.inf if p.max_mwh is None else p.max_mwh)
    return Product(
        name=p.name, kind=p.kind,
        delivery=p.delivery if p.kind == "green_contract" else None,
        energy_price=energy,
        environmental_price=float(p.environmental_price_per_mwh or 0.0),
        price=float(p.price_per_mwh or 0.0),
        lower=float(lower), upper=float(upper), fixed=p.volume_mwh is not None)


def _implicit(park: ParkConfig) -> list[Product]:
    """The ``[grid]`` keys as products.

    A green contract (all imports green for ``green_volume_mwh = "remainder"``) and regular
    power for the rest.
    """
    grid = park.grid
    premium = grid.green_premium_per_mwh
    delivery = "block" if grid.green_matching == "hourly" else "annual"
    if grid.green_volume_mwh == "remainder":
        return [Product("green", "green_contract", delivery, None, premium, implicit=True)]
    volume = float(grid.green_volume_mwh)
    return [Product("green", "green_contract", delivery, None, premium, upper=volume,
                    fixed=delivery == "block", lower=volume if delivery == "block" else 0.0,
                    implicit=True),
            Product("grid", "regular", implicit=True)]


def products(park: ParkConfig) -> list[Product]:
    """Every product of ``park`` in config order.

    Implicit ones from ``[grid]`` without ``[[procurement]]``; the implicit regular ``grid``
    product last when none is listed.
    """
    if not explicit(park):
        return _implicit(park)
    out = [_from_config(p) for p in park.procurement]
    if not any(p.kind == "regular" for p in out):
        out.append(Product("grid", "regular", implicit=True))
    return out


def shaped(park: ParkConfig) -> list[Product]:
    """The explicit shaped green contracts (profile or remote plant)."""
    return [p for p in products(park) if p.shaped and not p.implicit]


def flow_name(name: str) -> str:
    """Hourly flow of one product in a Flows Dataset [MW]."""
    return f"product_{name}"


def shape_name(name: str) -> str:
    """Delivery series of one shaped contract in a Profiles Dataset [MW per MWh/yr]."""
    return f"delivery_{name}"


def per_volume(shape: np.ndarray, dt_h: float = 1.0) -> np.ndarray:
    r"""Delivery per unit of contracted volume [MW per MWh/yr] from a shape (any scale).

    .. math:: u_t = s_t \,/\, \Big(\frac{8760}{N \Delta t}\,\sum_t s_t \Delta t\Big)

    so that a volume V [MWh/yr] delivers :math:`V u_t` MW in hour t and V per
    year over the run (a run shorter than a year delivers its share of V in
    the shape of the run).
    """
    shape = np.asarray(shape, dtype=float)
    annual = float(shape.sum()) * HOURS_PER_YEAR / shape.size  # = sum(s dt) x 8760 / (N dt)
    return shape / annual
