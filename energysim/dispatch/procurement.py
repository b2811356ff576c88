r"""Products in the operation: the LP hook and the dispatch core's labels of imports.

The rules of each product are in :mod:`energysim.procurement`; here they become

- **LP blocks** (:func:`operation_hook`, registered in
  :data:`energysim.dispatch.program.HOOKS`), in model units, per horizon with
  represented hours R:

  .. math::

      \text{import\_green}_t = \sum_{p\ \text{green}} g_{p,t}, \qquad
      g_{p,t} \le 8760\,u_{p,t}\,V_p \ \ (\text{shaped}), \qquad
      \underline{V}_p R/8760 \le \sum_t w_t g_{p,t}\Delta t \le R\,V_p \ \ (\text{annual})

      k \le R\,V_{cert} + [\textstyle\sum_t w_t x_t \Delta t]_{\text{netting}}, \qquad
      k \le \textstyle\sum_t w_t r_t \Delta t

  with :math:`V_p` the volume decisions (model units of ``8760 P`` MWh/yr;
  :func:`energysim.sizing.procurement.product_decisions`), k the regular energy
  made clean by certificates and netted exports (``op.clean_credit``), costs
  :math:`a\sum_t w_t\Delta t\,[(\pi^e_{p,t} + \pi^{env}_p) g_{p,t} + \pi^r_t r_t]`.
  When the park asks for them, the expressions of the hourly CFE score
  (``op.exprs["not_cfe"]``: load not covered hour by hour) and of the core
  zero-carbon indicator (``op.exprs["co2"]``, ``op.exprs["tce"]``) are built here
  too, for parks with and without ``[[procurement]]``. A park using none of
  this (no products, no netting, no CFE or CO2 target) gets nothing: the program
  is exactly the one without the hook.
- **labels of the rule-based core** (:func:`green_cap`, :func:`label_products`):
  imports are green up to the hour's cap — the shaped contracts' deliveries
  :math:`\sum_p V_p u_{p,t}` first, then the annual contracts' volume, consumed
  chronologically — and regular beyond it; the green energy of an hour is then
  split among the contracts in that order (shaped ones pro rata to their
  deliveries, annual ones in config order).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from energysim import procurement as proc
from energysim.config import Capacities, ParkConfig
from energysim.errors import ConfigError, problem
from energysim.indicators import tce_per_mwh
from energysim.lp import Expr, LinearProgram
from energysim.timeaxis import HOURS_PER_YEAR, annual_scale

__all__ = ["operation_hook", "needs_optimal", "decision_key", "green_cap", "label_products",
           "volumes", "certificates_bought", "VOLUME_SCALE"]

#: Physical MWh/yr per model unit of a volume decision, in units of Scaling.power_mw
#: (a volume of one mean load for a year is O(1)).
VOLUME_SCALE = HOURS_PER_YEAR


def decision_key(name: str) -> str:
    """Column key of a product's volume decision in ``op.caps``."""
    return f"proc:{name}"


def needs_optimal(park: ParkConfig, capacities: Capacities | None = None) -> list[str]:
    """Why the rule-based core is not least-cost under this park's products (empty: it is).

    With a battery, the core discharges in the first deficit hour, while an
    hourly CFE target, hourly green deliveries under a clean target, or a
    shaped contract (whose price makes the cost of imports vary by hour) ask
    for the battery to be timed around the deliveries
    (:func:`energysim.dispatch.needs_optimal`). Which product serves an hour
    is a label of the rules (contracts first), not a timing, so the choice
    among products alone does not need the optimal dispatch. Without
    ``capacities`` (a sizing) a battery the park may build counts.
    """
    bat = park.battery
    battery = (max(bat.existing_mwh, bat.max_mwh) if capacities is None
               else capacities.battery_mwh)
    if battery <= 0:
        return []
    why = []
    if park.targets.cfe_score is not None:
        why.append("hourly CFE target with a battery")
    listed = proc.products(park) if proc.explicit(park) else []
    if park.targets.clean_share and any(p.green and p.hourly for p in listed):
        why.append("clean-share target under hourly green deliveries with a battery")
    if any(p.shaped for p in listed):
        why.append("shaped green contract with a battery")
    return why


def needs_hook(park: ParkConfig) -> bool:
    """Whether ``park`` uses anything this hook builds."""
    t = park.targets
    return (proc.explicit(park) or park.grid.export_netting != "none"
            or t.cfe_score is not None or t.max_co2_per_tce is not None)


# ---------------------------------------------------------------------------
# LP blocks
# ---------------------------------------------------------------------------


def _volume_col(op, p: proc.Product) -> int | None:
    key = decision_key(p.name)
    if key in op.caps:
        return op.caps[key]
    if p.kind == "certificate" or p.shaped or math.isfinite(p.upper):
        raise ConfigError(problem("this model does not decide product volumes (e.g. a pathway); "
                                  "give the product no volume bounds or size it with `size`",
                                  field=f"[procurement] (entry {p.name!r})"))
    return None


def _green_flows(lp: LinearProgram, op, greens: list, tag: str) -> dict[str, np.ndarray]:
    """One flow per green contract; import_green is their sum."""
    n = op.data.hours
    total = op.flows["import_green"]
    if len(greens) == 1:
        return {greens[0].name: total}
    flows = {p.name: lp.add_variables(f"product_{p.name}{tag}", n) for p in greens}
    terms = [(total, 1.0)] + [(cols, -1.0) for cols in flows.values()]
    if flows:
        lp.add_constraints(f"green_products{tag}", terms, lb=0.0, ub=0.0, n=n)
    else:  # no green contract: no green import
        lp.add_row(f"no_green{tag}", Expr.of(total), ub=0.0)
    return flows


def _volume_rows(lp: LinearProgram, op, p: proc.Product, g: np.ndarray, tag: str) -> None:
    """Hourly cap of a shaped contract, yearly volume of an annual one (model units)."""
    data = op.data
    P, R = data.scaling.power_mw, data.represented_h / HOURS_PER_YEAR
    v = _volume_col(op, p)
    if p.shaped:
        u = data.series[proc.shape_name(p.name)]
        lp.add_constraints(f"delivery_{p.name}{tag}", [(g, 1.0), (v, -VOLUME_SCALE * u)],
                           ub=0.0, n=data.hours)
        return
    taken = Expr.of(g, data.hour_weight * data.dt_h)
    if v is not None:
        lp.add_row(f"volume_{p.name}{tag}", taken - Expr.of(v, R * VOLUME_SCALE), ub=0.0)
    if p.lower > 0:
        lp.add_row(f"volume_min_{p.name}{tag}", taken, lb=p.lower * R / P)


def _product_costs(op, products: list, flows: dict) -> list[Expr]:
    """Energy and environmental value of every MWh taken [money units/yr]."""
    data = op.data
    P, M = data.scaling.power_mw, data.scaling.money
    wdt = data.hour_weight * data.dt_h * (P * annual_scale(data.hours, data.dt_h, data.weight) / M)
    out = []
    for p in products:
        cols = op.flows["import_regular"] if p.kind == "regular" else flows.get(p.name)
        if cols is None:
            continue
        energy = data.price if p.energy_price is None else np.full(data.hours, p.energy_price)
        out.append(Expr.of(cols, wdt * (energy + p.environmental_price)))
    return out


def _clean_credit(lp: LinearProgram, park: ParkConfig, op, certs: list, tag: str) -> None:
    """k: regular energy covered by certificates and netted exports (model energy)."""
    data = op.data
    wdt = data.hour_weight * data.dt_h
    netting = park.grid.export_netting == "annual" and op.flows["export"] is not None
    regular = op.flows["import_regular"]
    if (not certs and not netting) or regular is None:
        return
    k = lp.add_variable(f"clean_credit{tag}")
    R = data.represented_h / HOURS_PER_YEAR
    cover = Expr.sum(Expr.of(_volume_col(op, p), R * VOLUME_SCALE) for p in certs)
    if netting:
        cover = cover + Expr.of(op.flows["export"], wdt)
    lp.add_row(f"credit_cover{tag}", Expr.of(k) - cover, ub=0.0)
    lp.add_row(f"credit_regular{tag}", Expr.of(k) - Expr.of(regular, wdt), ub=0.0)
    op.clean_credit = Expr.of(k)
    op.exprs["clean_credit"] = op.clean_credit


def _annual_green(park: ParkConfig, op, flows: dict) -> list[np.ndarray]:
    """Flows of green contracts that count toward hourly CFE as a flat block."""
    return [flows[p.name] for p in proc.products(park)
            if p.green and not p.hourly and flows.get(p.name) is not None]


def _not_cfe(lp: LinearProgram, park: ParkConfig, op, flows: dict, tag: str) -> Expr:
    r"""Load not covered hour by hour [model energy] (:mod:`energysim.procurement`).

    Hourly-matched supply only: :math:`\sum_t w_t (r_t + u_t)\Delta t`. Annual
    contracts count as a flat block :math:`A = \sum_s w_s a_s\Delta t / \sum_s w_s \Delta t`:
    covered :math:`c_t \le L_t` and :math:`c_t \le L_t - a_t - r_t - u_t + A`.
    """
    data = op.data
    wdt = data.hour_weight * data.dt_h
    bad = [(op.flows[k], 1.0) for k in ("import_regular", "unmet") if op.flows[k] is not None]
    annual = _annual_green(park, op, flows)
    if not annual:
        return Expr.sum(Expr.of(cols, wdt) for cols, _ in bad)
    load = data.load / data.scaling.power_mw
    block = lp.add_variable(f"cfe_block{tag}")
    lp.add_row(f"cfe_block{tag}", Expr.of(block) - Expr.sum(
        Expr.of(a, wdt / float(wdt.sum())) for a in annual), lb=0.0, ub=0.0)
    covered = lp.add_variables(f"cfe_covered{tag}", data.hours, 0.0, load)
    terms = [(covered, 1.0), (block, -1.0)] + [(a, 1.0) for a in annual] + bad
    lp.add_constraints(f"cfe_hourly{tag}", terms, ub=load, n=data.hours)
    return Expr.of(covered, -wdt, float((load * wdt).sum()))  # load minus covered


def co2_terms(park: ParkConfig, data) -> tuple[np.ndarray, float, float]:
    """Emission factors of the core indicator's market-based scope 2 (accounting rules).

    Returned as (hourly factor of regular imports [t/MWh], factor of covered MWh [t/MWh], factor
    of green imports [t/MWh]).
    """
    ef = data.series.get("emission_factor_t_per_mwh",
                         np.full(data.hours, park.grid.emission_factor_t_per_mwh))
    w = data.hour_weight
    cover = float(np.average(ef, weights=w))
    green = 0.0
    if not park.indicators.green_import_counts_zero_carbon:
        green = float(np.average(ef, weights=w * data.load)) if data.load.any() else 0.0
    return ef, cover, green


def _co2(park: ParkConfig, op) -> tuple[Expr, float]:
    """Market-based CO2 [t / P] and energy use [tce / P] of the horizon (core indicator)."""
    data = op.data
    P, R = data.scaling.power_mw, data.represented_h / HOURS_PER_YEAR
    wdt = data.hour_weight * data.dt_h
    ef, cover, green = co2_terms(park, data)
    ind = park.indicators
    parts = [op.clean_credit * -cover]
    if op.flows["import_regular"] is not None:
        parts.append(Expr.of(op.flows["import_regular"], wdt * ef))
    if green:
        parts.append(Expr.of(op.flows["import_green"], wdt * green))
    co2 = Expr.sum(parts) + ind.other_energy_co2_t * R / P
    load = float((data.load / P * wdt).sum())
    tce = load * tce_per_mwh(park)[0] + ind.other_energy_tce * R / P
    return co2, tce


def operation_hook(lp: LinearProgram, park: ParkConfig, op, tag: str) -> None:
    """Products, certificates, netting, CFE and CO2 expressions of one horizon (module doc)."""
    if not needs_hook(park):
        return
    flows: dict[str, np.ndarray] = {}
    if proc.explicit(park):
        products = proc.products(park)
        greens = [p for p in products if p.green]
        flows = _green_flows(lp, op, greens, tag)
        for p in greens:
            _volume_rows(lp, op, p, flows[p.name], tag)
            if flows[p.name] is not op.flows["import_green"]:
                op.flows[proc.flow_name(p.name)] = flows[p.name]
        op.imports_priced = False
        op.extra_cost.extend(_product_costs(op, products, flows))
        _clean_credit(lp, park, op, [p for p in products if p.kind == "certificate"], tag)
    else:
        flows = {"green": op.flows["import_green"]}
        _clean_credit(lp, park, op, [], tag)
    op.exprs["flows"] = flows
    if park.targets.cfe_score is not None:
        op.exprs["not_cfe"] = _not_cfe(lp, park, op, flows, tag)
    if park.targets.max_co2_per_tce is not None:
        op.exprs["co2"], op.exprs["tce"] = _co2(park, op)


# ---------------------------------------------------------------------------
# labels of the rule-based core
# ---------------------------------------------------------------------------


def volumes(park: ParkConfig, capacities: Capacities) -> dict[str, float | None]:
    """Volume of every product [MWh/yr].

    Decided (``capacities.procurement_mwh``), else fixed, else its upper bound (inf: as needed);
    certificates not decided are None (bought as needed, :func:`certificates_bought`).
    """
    out = {}
    for p in proc.products(park):
        v = capacities.procurement_mwh.get(p.name)
        if v is None:
            v = None if (p.kind == "certificate" and not p.fixed) else p.upper
        out[p.name] = v
    return out


def _contract_volume(vol: dict[str, float | None], name: str) -> float:
    """The volume of a green contract in :func:`volumes` [MWh/yr] (only certificates are None)."""
    v = vol[name]
    assert v is not None, "volumes() leaves only undecided certificates None"
    return v


def green_cap(park: ParkConfig, capacities: Capacities, profiles, hours: int, dt_h: float
              ) -> tuple[np.ndarray | None, float, float]:
    """The core's green rule for explicit products.

    Returned as (hourly cap of shaped contracts [MW] or None, flat block [MW], annual budget of
    the run [MWh]).
    """
    vol = volumes(park, capacities)
    greens = [p for p in proc.products(park) if p.green]
    shaped = [p for p in greens if p.shaped]
    cap: np.ndarray | None = None
    if shaped:  # a sum of arrays (shaped is not empty)
        cap = cast(np.ndarray, sum(_contract_volume(vol, p.name)
                                   * np.asarray(profiles[proc.shape_name(p.name)].values)
                                   for p in shaped))
    annual = [p for p in greens if not p.shaped]
    if not annual:  # no annual contract: shaped deliveries only
        return cap, 0.0, math.inf
    budget = sum(_contract_volume(vol, p.name) for p in annual) * hours * dt_h / HOURS_PER_YEAR
    return cap, math.inf, budget


def label_products(park: ParkConfig, capacities: Capacities, profiles, green: np.ndarray,
                   dt_h: float) -> dict[str, np.ndarray]:
    """Split the core's hourly green imports among the green contracts [MW] (module doc)."""
    vol = volumes(park, capacities)
    greens = [p for p in proc.products(park) if p.green]
    shaped = [p for p in greens if p.shaped]
    out = {}
    rest = green.copy()
    if shaped:
        each = {p.name: _contract_volume(vol, p.name)
                * np.asarray(profiles[proc.shape_name(p.name)].values) for p in shaped}
        total = sum(each.values())
        used = np.minimum(green, total)
        share = np.divide(used, total, out=np.zeros_like(used), where=total > 0)
        for p in shaped:
            out[p.name] = each[p.name] * share
        rest = green - used
    n = green.size
    for p in (p for p in greens if not p.shaped):
        # chronological, like the core
        budget = _contract_volume(vol, p.name) * n * dt_h / HOURS_PER_YEAR
        taken_cum = np.minimum(np.cumsum(rest) * dt_h, budget)
        take = np.diff(taken_cum, prepend=0.0) / dt_h
        out[p.name] = take
        rest = np.maximum(rest - take, 0.0)
    return out


def certificates_bought(park: ParkConfig, capacities: Capacities, regular_mwh: float,
                        short_mwh: float) -> dict[str, float]:
    """Certificates of each product [MWh/yr].

    Decided or fixed volumes; else as needed — the shortfall ``short_mwh`` to the clean target,
    at most the regular imports and ``max_mwh``, at least ``min_mwh``, in config order.
    """
    vol = volumes(park, capacities)
    need = max(0.0, min(short_mwh, regular_mwh))
    out = {}
    for p in proc.products(park):
        if p.kind != "certificate":
            continue
        v = vol[p.name]
        if v is None:
            v = min(max(need, p.lower), p.upper)
        out[p.name] = v
        need = max(0.0, need - v)
    return out
