r"""One horizon's hourly operation as LP blocks: flows, balance, battery, energy cost.

Built from whole arrays (:mod:`energysim.lp`), in model units (power unit
``P`` MW, money unit ``M``; :class:`energysim.dispatch.inputs.Scaling`). Given the
capacity columns, :func:`add_operation` adds one horizon (a year, a few weeks or
typical days) and returns an :class:`Operation` holding the column and row
indices and the expressions the targets, the objective and the readers need.
Sizing puts one Operation on free capacity columns, fixed-capacity dispatch on
fixed ones, robust sizing one per weather year, pathways one per period.

Formulation (per step t; C capacities, L load, p per-unit profiles, Δt step)

.. math::

    C_{pv} p^{pv}_t + C_{w} p^{w}_t + g_t + r_t + d_t + u_t
        \ge L_t + c_t + x_t                                   \quad (balance; slack = curtailment)

    g_t + r_t + u_t \le L_t                                   \quad (imports only serve load)

    s_t = k s_{t-1} + (1-k) \underline{s} E + \eta_c c_t \Delta t
        - d_t \Delta t / \eta_d, \quad s_{-1} = s_{T-1} \text{ (cyclic)}

    \underline{s} E \le s_t \le \overline{s} E, \quad c_t, d_t \le P_{bat}

with g, r green and regular imports, x export, c/d battery charge/discharge,
u unmet load, s state of charge, :math:`k = 1 - \sigma\Delta t` (self-discharge
σ acts on the energy above the floor, as in the dispatch kernel). Because
imports and unmet load only serve load, the battery and exports are fed only
by on-site generation, so on-site served energy is :math:`L_t - g_t - r_t - u_t`
(DESIGN.md's default rule: the battery charges only from on-site surplus).

Energy cost per year (money units): :math:`a \sum_t w_t [(\pi_t + \pi^{g}) g_t
+ \pi_t r_t - \pi^{x} x_t]` and unmet load at a penalty, with
:math:`a = P\,\Delta t\,k_{yr}/M` and :math:`k_{yr}` the horizon's annual scale
(:func:`energysim.timeaxis.annual_scale`; weights :math:`w_t` of typical days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from energysim.config import ParkConfig
from energysim.lp import Expr, LinearProgram
from energysim.timeaxis import HOURS_PER_YEAR, annual_scale

if TYPE_CHECKING:
    from energysim.dispatch.inputs import ProblemData

__all__ = ["Operation", "add_operation", "UNMET_PENALTY_FACTOR", "green_rules", "HOOKS",
           "unmet_penalty_per_mwh"]

#: Unmet load costs this multiple of the dearest import (price + premium) per MWh:
#: large enough that the LP serves every MWh it can, small enough to keep the LP
#: well-conditioned. Unmet load only arises where ``grid.import_max_mw`` binds.
UNMET_PENALTY_FACTOR = 100.0


@dataclass
class Operation:
    """Handles of one horizon's operation in a :class:`~energysim.lp.LinearProgram`.

    ``flows`` maps a flow name to its column indices (one per step; None for a
    flow that cannot be non-zero here); ``rows`` maps a row block to its row
    indices. Energies are in model units over the represented horizon, costs in
    money units per year.
    """

    data: ProblemData
    caps: dict[str, int]
    flows: dict[str, np.ndarray | None]
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    grid_served: Expr = field(default_factory=Expr.zero)
    not_clean: Expr = field(default_factory=Expr.zero)
    green_energy: Expr = field(default_factory=Expr.zero)
    energy_cost: Expr = field(default_factory=Expr.zero)
    unmet_cost: Expr = field(default_factory=Expr.zero)
    total_load: float = 0.0
    unmet_penalty_per_mwh: float = 0.0
    #: capacity part of the two-part tariff [money units/yr] (demand or capacity charge)
    capacity_cost: Expr = field(default_factory=Expr.zero)
    #: columns that are not hourly flows (monthly peaks, billed demand), by name
    aux: dict[str, np.ndarray] = field(default_factory=dict)
    #: extra terms of the balance row, (cols, coef) per step: supply > 0, consumption < 0
    balance_terms: list = field(default_factory=list)
    #: extra terms of the imports-only-serve-load row (consumption the grid may also serve)
    serve_terms: list = field(default_factory=list)
    #: extra energy cost [money units/yr] (products, sales, penalties of an extension)
    extra_cost: list = field(default_factory=list)
    #: False when an extension prices the grid imports itself (``[[procurement]]`` products)
    imports_priced: bool = True
    #: regular imports an extension makes clean (certificates, netted exports) [model energy],
    #: subtracted from ``not_clean``
    clean_credit: Expr = field(default_factory=Expr.zero)
    #: further named expressions of extensions (e.g. ``"not_cfe"``, ``"co2"``), model units
    exprs: dict = field(default_factory=dict)
    #: demand of the shares beyond the profile load that depends on the decisions (model
    #: energy over the horizon, e.g. electrolyser input); share targets divide by
    #: total_load + variable_load (:mod:`energysim.sizing.targets`)
    variable_load: Expr = field(default_factory=Expr.zero)

    def total(self, name: str, scale: float = 1.0) -> Expr:
        """Weighted energy of flow ``name`` over the horizon (model units) x ``scale``."""
        cols = self.flows.get(name)
        if cols is None:
            return Expr.zero()
        return Expr.of(cols, self.data.hour_weight * (self.data.dt_h * scale))


def unmet_penalty_per_mwh(price: np.ndarray, park: ParkConfig) -> float:
    """Cost of unmet load in the LP [money/MWh].

    :data:`UNMET_PENALTY_FACTOR` x (dearest import price + green premium + 1).
    """
    return UNMET_PENALTY_FACTOR * (float(np.max(np.abs(price))) + park.grid.green_premium_per_mwh
                                   + 1.0)


def green_rules(park: ParkConfig, represented_h: float):
    """Upper bounds of green / regular imports per hour [MW] and the green energy cap [MWh].

    ``green_volume_mwh = "remainder"``: every import is green. An annual volume
    is a cap on the horizon's green energy, scaled to its hours; an hourly-matched
    one a flat block of volume / 8760 MW. With ``[[procurement]]`` products both imports are
    open here: the products' own rows limit them (:mod:`energysim.dispatch.procurement`).
    """
    volume = park.grid.green_volume_mwh
    if park.procurement:
        return math.inf, math.inf, None
    if volume == "remainder":
        return math.inf, 0.0, None
    by_matching = {
        "annual": (math.inf, math.inf, volume * represented_h / HOURS_PER_YEAR),
        "hourly": (volume / HOURS_PER_YEAR, math.inf, None),
    }
    return by_matching[park.grid.green_matching]


#: Extensions of the operation, each ``hook(lp, park, op, tag)``: called after the grid and
#: battery flows exist and before the balance, battery and energy rows are built. A hook
#: adds its own columns and rows (block names ending in ``tag``), puts its flows in
#: ``op.flows``, and its terms in ``op.balance_terms`` / ``op.serve_terms`` /
#: ``op.extra_cost``; it does nothing when the park does not use it, so a park without
#: the extension builds exactly the program it did before. Named, in order, for
#: :mod:`energysim.extensions`.
HOOKS = ("energysim.dispatch.flexible_program:add_flexible",
         "energysim.dispatch.procurement:operation_hook")


def import_limit_mw(park: ParkConfig) -> float:
    """The import limit [MW].

    ``[grid] import_max_mw``, and the contracted capacity under a capacity charge
    (``[tariff] contracted_kva`` x power factor).
    """
    t = park.tariff
    limit = park.grid.import_max_mw
    if t.basis == "capacity" and t.contracted_kva is not None:
        limit = min(limit, t.contracted_kva * t.power_factor / 1000.0)
    return limit


def _add_flows(lp: LinearProgram, park: ParkConfig, data, tag: str) -> dict:
    """Flow columns with their bounds (model units); absent flows are None."""
    P = data.scaling.power_mw
    grid = park.grid
    n = data.hours
    load = data.load / P
    green_hi, regular_hi, _ = green_rules(park, data.represented_h)
    imp_max = import_limit_mw(park)
    imp_hi = np.minimum(load, imp_max / P)  # imports only serve load
    limited = imp_max / P < float(load.max())
    flows: dict[str, np.ndarray | None] = {
        "import_green": lp.add_variables(f"import_green{tag}", n, 0.0,
                                         np.minimum(imp_hi, green_hi / P)),
        "import_regular": lp.add_variables(f"import_regular{tag}", n, 0.0,
                                           np.minimum(imp_hi, regular_hi / P))
        if regular_hi > 0 else None,
        "export": lp.add_variables(f"export{tag}", n, 0.0, grid.export_max_mw / P)
        if grid.export_max_mw > 0 else None,
        # without an import limit, imports cover any deficit more cheaply than unmet load
        "unmet": lp.add_variables(f"unmet{tag}", n, 0.0, load) if limited else None,
        "charge": lp.add_variables(f"charge{tag}", n),
        "discharge": lp.add_variables(f"discharge{tag}", n),
        "soc": lp.add_variables(f"soc{tag}", n),
    }
    return flows


def _terms(flows: dict, *pairs) -> list:
    """(cols, coef) terms of the flows that exist."""
    return [(flows[name], coef) for name, coef in pairs if flows.get(name) is not None]


def _add_balance(lp: LinearProgram, park: ParkConfig, op: Operation, tag: str) -> None:
    data, flows, caps = op.data, op.flows, op.caps
    P = data.scaling.power_mw
    load = data.load / P
    supply = [(caps["pv"], data.pv_pu), (caps["wind"], data.wind_pu)] + _terms(
        flows, ("import_green", 1.0), ("import_regular", 1.0), ("discharge", 1.0), ("unmet", 1.0),
        ("charge", -1.0), ("export", -1.0)) + op.balance_terms
    op.rows["balance"] = lp.add_constraints(f"balance{tag}", supply, lb=load, n=data.hours)
    grid_terms = _terms(flows, ("import_green", 1.0), ("import_regular", 1.0),
                        ("unmet", 1.0)) + op.serve_terms
    if flows["import_regular"] is not None or flows["unmet"] is not None or op.serve_terms:
        op.rows["serve_load"] = lp.add_constraints(f"serve_load{tag}", grid_terms, ub=load,
                                                   n=data.hours)
        if flows["unmet"] is not None:
            op.rows["import_limit"] = lp.add_constraints(
                f"import_limit{tag}", _terms(flows, ("import_green", 1.0), ("import_regular", 1.0)),
                ub=import_limit_mw(park) / P, n=data.hours)


def _add_battery(lp: LinearProgram, park: ParkConfig, op: Operation, tag: str) -> None:
    data, f, caps = op.data, op.flows, op.caps
    bat = park.battery
    n, dt = data.hours, data.dt_h
    keep = 1.0 - bat.self_discharge_per_h * dt
    seg = data.segment_h or n  # cyclic within each segment (typical day) or the horizon
    t = np.arange(n)
    first = t % seg == 0
    prev = np.where(first, t + seg - 1, t - 1)  # state before step t (cyclic wrap)
    s, e = f["soc"], caps["energy"]
    assert s is not None, "_add_flows always adds the soc column"
    # E coefficient: the leak refills the floor share; a non-cyclic start adds soc_initial
    e_coef = np.full(n, -(1.0 - keep) * bat.soc_min)
    terms: list[tuple] = [(s, 1.0), (f["charge"], -bat.eta_charge * dt),
             (f["discharge"], dt / bat.eta_discharge)]
    if bat.cyclic:
        terms.append((s[prev], -keep))
    else:
        terms.append((s[prev], np.where(first, 0.0, -keep)))
        e_coef = e_coef - np.where(first, keep * bat.soc_initial, 0.0)
    terms.append((e, e_coef))
    op.rows["soc_dynamics"] = lp.add_constraints(f"soc_dynamics{tag}", terms, lb=0.0, ub=0.0, n=n)
    op.rows["soc_max"] = lp.add_constraints(f"soc_max{tag}", [(s, 1.0), (e, -bat.soc_max)],
                                            ub=0.0, n=n)
    if bat.soc_min > 0:
        op.rows["soc_min"] = lp.add_constraints(f"soc_min{tag}", [(s, 1.0), (e, -bat.soc_min)],
                                                lb=0.0, n=n)
    for name in ("charge", "discharge"):
        op.rows[f"{name}_max"] = lp.add_constraints(
            f"{name}_max{tag}", [(f[name], 1.0), (caps["power"], -1.0)], ub=0.0, n=n)


def _add_energies(lp: LinearProgram, park: ParkConfig, op: Operation, tag: str) -> None:
    """Share expressions, the green-volume cap, energy and unmet cost."""
    data = op.data
    P, M = data.scaling.power_mw, data.scaling.money
    grid = park.grid
    op.total_load = float((data.load / P * data.hour_weight).sum()) * data.dt_h
    op.grid_served = op.total("import_green") + op.total("import_regular") + op.total("unmet")
    op.not_clean = op.total("import_regular") + op.total("unmet")
    if op.clean_credit.cols.size:
        op.not_clean = op.not_clean - op.clean_credit
    op.green_energy = op.total("import_green")
    _, _, green_energy = green_rules(park, data.represented_h)
    if green_energy is not None:
        op.rows["green_volume"] = np.array(
            [lp.add_row(f"green_volume{tag}", op.green_energy, ub=green_energy / P)])
    # money units per year per (model power unit x step) per money/MWh
    a = P * annual_scale(data.hours, data.dt_h, data.weight) / M
    price = data.price
    premium = grid.green_premium_per_mwh
    op.unmet_penalty_per_mwh = unmet_penalty_per_mwh(price, park)
    wdt = data.hour_weight * data.dt_h * a
    cost = []
    if op.imports_priced:
        cost.append(Expr.of(op.flows["import_green"], wdt * (price + premium)))
        if op.flows["import_regular"] is not None:
            cost.append(Expr.of(op.flows["import_regular"], wdt * price))
    if op.flows["export"] is not None:
        cost.append(Expr.of(op.flows["export"], -wdt * grid.export_price_per_mwh))
    op.energy_cost = Expr.sum(cost + op.extra_cost)
    if op.flows["unmet"] is not None:
        op.unmet_cost = Expr.of(op.flows["unmet"], wdt * op.unmet_penalty_per_mwh)


def months_factor(data) -> tuple[np.ndarray, float]:
    """Month index of each step (0..k-1 over the months present) and 12 / k.

    12 / k gives a year's bills from the months the horizon holds (1 for a full year).
    """
    month = data.month if data.month is not None else np.ones(data.hours, dtype=np.int64)
    present, index = np.unique(month, return_inverse=True)
    return index, 12.0 / present.size


def _add_tariff(lp: LinearProgram, park: ParkConfig, op: Operation, tag: str) -> None:
    """The capacity part of the two-part tariff [money units/yr] (:class:`TariffConfig`).

    Demand charge: one peak column per month, at least every hour's grid import
    of that month; billed demand at least the peak and, with a ratchet, at least
    ``ratchet`` x every earlier month's peak; cost = charge x billed demand,
    summed over the months (x 12 / months present for a shorter horizon).
    Capacity charge: a constant, charge x contracted kVA x 12.
    """
    t, data = park.tariff, op.data
    P, M = data.scaling.power_mw, data.scaling.money
    if t.basis == "capacity":
        assert t.contracted_kva is not None, "TariffConfig requires it for basis = capacity"
        op.capacity_cost = Expr.zero() + t.capacity_charge_per_kva_month * t.contracted_kva * 12 / M
        return
    if t.basis != "demand":
        return
    index, factor = months_factor(data)
    k = int(index.max()) + 1
    peak = lp.add_variables(f"monthly_peak{tag}", k)
    imports = _terms(op.flows, ("import_green", 1.0), ("import_regular", 1.0))
    op.rows["monthly_peak"] = lp.add_constraints(f"monthly_peak{tag}",
                                                 imports + [(peak[index], -1.0)], ub=0.0,
                                                 n=data.hours)
    billed = peak
    if t.ratchet_pct > 0 and k > 1:
        billed = lp.add_variables(f"billed_demand{tag}", k)
        lp.add_constraints(f"billed_over_peak{tag}", [(billed, 1.0), (peak, -1.0)], lb=0.0, n=k)
        later, earlier = np.nonzero(np.tri(k, k, -1))
        lp.add_constraints(f"demand_ratchet{tag}", [(billed[later], 1.0),
                                                   (peak[earlier], -t.ratchet_pct / 100.0)],
                           lb=0.0, n=later.size)
    op.aux["monthly_peak"], op.aux["billed_demand"] = peak, billed
    per_unit = t.demand_charge_per_kw_month * 1000.0 * P * factor / M
    op.capacity_cost = Expr.of(billed, per_unit)


def add_operation(lp: LinearProgram, park: ParkConfig, data, caps: dict[str, int],
                  tag: str = "") -> Operation:
    """Add one horizon's hourly operation to ``lp``.

    Parameters
    ----------
    lp : LinearProgram
        Receives the columns and rows (block names end in ``tag``).
    park : ParkConfig
        Battery and grid parameters.
    data : energysim.dispatch.inputs.ProblemData
        Hourly arrays and the model's scaling; optional hour weights and
        battery segments (typical days).
    caps : dict
        Column index of each capacity in model units: ``"pv"``, ``"wind"``,
        ``"energy"`` (battery MWh / P), ``"power"`` (battery MW / P).
    tag : str
        Suffix of the block names (e.g. ``"[2003]"``), unique per horizon.

    Returns
    -------
    Operation
        No share target rows: :mod:`energysim.sizing.targets` adds them.
    """
    op = Operation(data=data, caps=caps, flows=_add_flows(lp, park, data, tag))
    from energysim.extensions import load

    for hook in load(HOOKS):  # extensions: their columns, rows and terms, before the balance
        hook(lp, park, op, tag)
    _add_balance(lp, park, op, tag)
    _add_battery(lp, park, op, tag)
    _add_energies(lp, park, op, tag)
    _add_tariff(lp, park, op, tag)
    op.energy_cost = op.energy_cost + op.capacity_cost
    return op
