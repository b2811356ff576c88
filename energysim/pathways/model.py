r"""The multi-period investment LP: builds per (technology, period), one operation Block per period.

Like the multi-investment-period models of PyPSA (``multi_invest``) and
linopy: capacity built in period :math:`p'` is available in every period
:math:`p` with :math:`Y_{p'} \le Y_p < Y_{p'} + L_{p'}` (start year within the
build's lifetime :math:`L_{p'}` from that period's config), so it stays until it
retires at end of life and is then gone (no automatic rebuild: the optimiser
decides whether to build again). Existing capacity (``existing_mw`` of each
period's park, so a user can schedule retirements of legacy assets) is sunk.

Cost convention (DESIGN.md's annuity convention, as PyPSA): a build pays its
annuity :math:`a_{k,p'} = \mathrm{capex}_{k,p'}\,CRF(r, L_{k,p'}) + \mathrm{FOM}_{k,p'}`
(the costs of the period it is built in) in every year of every period in which
it is active. No lump sum, hence no salvage value: the horizon ends with the
annuities still owed beyond it not counted, which is the salvage value implied
by the annuity. Objective (present value, money of ``base_year``):

.. math::

    \min \sum_p W_p \Big[ \sum_k \sum_{p' \in A(p)} a_{k,p'} B_{k,p'}
         + E_p \Big], \qquad
    W_p = \sum_{j=0}^{n_p - 1} (1 + r)^{-(Y_p - Y_0 + j)}

with :math:`B` the builds, :math:`E_p` the period's energy cost per year from
its (representative) hours (:func:`energysim.sizing.model.add_operation`),
:math:`n_p` the years the period stands for and :math:`Y_0` the base year.
Capacity of technology k in period p: existing + :math:`\sum_{p' \in A(p)} B_{k,p'}`,
within that period's ``min``/``max``/land bounds.

References
----------
.. [1] PyPSA documentation, "Multi-investment period optimisation"
   (``investment_period_weightings``: objective and years).
.. [2] T. Brown, J. Hörsch, D. Schlachtberger, "PyPSA: Python for Power System
   Analysis", J. Open Res. Softw. 6 (2018).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from energysim.config import Capacities, ParkConfig
from energysim.economics import asset_costs
from energysim.sizing.model import (
    ProblemData,
    Scaling,
    _bounds,
    add_operation,
    land_limit,
)

__all__ = [
    "TECHS",
    "discount_weights",
    "annuities",
    "lifetimes",
    "activity",
    "existing",
    "build_pathway_model",
    "PathwaySolution",
    "solution_of",
]

#: Technologies built per period: PV [MWp], wind [MW], battery energy [MWh], battery power [MW].
TECHS = ("pv", "wind", "energy", "power")
_CAP_KEYS = {"pv": "pv_mw", "wind": "wind_mw", "energy": "battery_mwh", "power": "battery_mw"}


def discount_weights(years: Sequence[int], weights_yr: Sequence[int], discount_rate: float,
                     base_year: int) -> np.ndarray:
    r"""Present value of one money unit per year over each period [yr].

    :math:`W_p = \sum_{j=0}^{n_p-1} (1+r)^{-(Y_p - Y_0 + j)}`, costs counted at
    the start of each year (PyPSA's objective weighting of investment periods).
    """
    r = discount_rate
    return np.array([
        sum((1.0 + r) ** -(y - base_year + j) for j in range(int(n)))
        for y, n in zip(years, weights_yr, strict=True)
    ])


def annuities(park: ParkConfig) -> dict[str, float]:
    """Annuity per unit built in a period with ``park``'s costs [money/MW/yr, money/MWh/yr]."""
    c = asset_costs(park)
    return {"pv": c.pv_annual_per_mw, "wind": c.wind_annual_per_mw,
            "energy": c.battery_annual_per_mwh, "power": c.battery_annual_per_mw}


def lifetimes(park: ParkConfig) -> dict[str, float]:
    """Lifetime of a build [yr] (``pv/wind/battery.lifetime_yr``)."""
    return {"pv": park.pv.lifetime_yr, "wind": park.wind.lifetime_yr,
            "energy": park.battery.lifetime_yr, "power": park.battery.lifetime_yr}


def existing(park: ParkConfig) -> dict[str, float]:
    """Existing (sunk) capacity of a period [MW, MWh]."""
    return {"pv": park.pv.existing_mw, "wind": park.wind.existing_mw,
            "energy": park.battery.existing_mwh, "power": park.battery.existing_mw}


def activity(years: Sequence[int], parks: Sequence[ParkConfig]) -> dict[str, np.ndarray]:
    """``A[k][b, p]``: is a build of technology k from period b available in period p?

    True when ``years[b] <= years[p] < years[b] + lifetime`` (the build period's lifetime).
    """
    y = np.asarray(years, dtype=float)
    out = {}
    for k in TECHS:
        life = np.array([lifetimes(park)[k] for park in parks])
        out[k] = (y[None, :] >= y[:, None]) & (y[None, :] < y[:, None] + life[:, None])
    return out


def _cap_bounds(park: ParkConfig) -> dict[str, tuple[float, float]]:
    pv, wind, bat = park.pv, park.wind, park.battery
    return {
        "pv": _bounds(pv.existing_mw, pv.min_mw, pv.max_mw, land_limit(pv)),
        "wind": _bounds(wind.existing_mw, wind.min_mw, wind.max_mw, land_limit(wind)),
        "energy": _bounds(bat.existing_mwh, bat.min_mwh, bat.max_mwh, None),
        "power": _bounds(bat.existing_mw, bat.min_mw, bat.max_mw, None),
    }


def common_scaling(datas: Sequence[ProblemData]) -> Scaling:
    """One scaling for all periods: from the largest mean load and mean price."""
    load = max(float(np.average(d.load, weights=d.hour_weight)) for d in datas)
    price = max(float(np.mean(np.abs(d.price))) for d in datas)
    return Scaling.for_problem(load, price)


def build_pathway_model(parks: Sequence[ParkConfig], datas: Sequence[ProblemData],
                        years: Sequence[int], weights: np.ndarray):
    """Build the multi-period model.

    Parameters
    ----------
    parks : sequence of ParkConfig
        One validated park per period (costs, bounds, lifetimes, grid, targets).
    datas : sequence of ProblemData
        Hourly data per period, all with the same ``scaling``.
    years : sequence of int
        First year of each period.
    weights : numpy.ndarray
        Discounted years per period :math:`W_p` [yr] (:func:`discount_weights`).

    Returns
    -------
    pyomo.environ.ConcreteModel
        ``build[k, p]`` and ``cap[k, p]`` (model units; ``cap_def`` ties them), one
        operation Block ``op[p]`` per period, objective ``cost`` (present value
        in money units), per-period ``asset_cost[p]``/``period_cost[p]``
        [money units per year].
    """
    sc = datas[0].scaling
    P, M = sc.power_mw, sc.money
    n = len(parks)
    act = activity(years, parks)
    ann = [annuities(park) for park in parks]

    m = pyo.ConcreteModel(name="energysim_pathway")
    m.scaling, m.datas, m.years, m.weights, m.activity = sc, list(datas), list(years), weights, act
    m.periods = pyo.RangeSet(0, n - 1)
    m.techs = pyo.Set(initialize=TECHS, ordered=True)
    m.build = pyo.Var(m.techs, m.periods, domain=pyo.NonNegativeReals)

    # capacities are variables tied to the builds by one row each, so the hourly rows
    # reference a single column (not a sum re-expanded in every hour)
    bounds = [_cap_bounds(park) for park in parks]
    m.cap = pyo.Var(m.techs, m.periods,
                    bounds=lambda _, k, p: (bounds[p][k][0] / P, bounds[p][k][1] / P))
    m.cap_def = pyo.Constraint(m.techs, m.periods, rule=lambda _, k, p: m.cap[k, p] - pyo.quicksum(
        m.build[k, b] for b in range(n) if act[k][b, p]) == existing(parks[p])[k] / P)

    m.op = pyo.Block(m.periods)
    for p in range(n):
        add_operation(m.op[p], parks[p], datas[p], {k: m.cap[k, p] for k in TECHS})

    scale_cap = P / M
    m.asset_cost = pyo.Expression(m.periods, rule=lambda _, p: pyo.quicksum(
        (ann[b][k] * scale_cap) * m.build[k, b] for k in TECHS for b in range(n) if act[k][b, p]))
    m.period_cost = pyo.Expression(
        m.periods, rule=lambda _, p: m.asset_cost[p] + m.op[p].energy_cost + m.op[p].unmet_cost)
    m.cost = pyo.Objective(
        expr=pyo.quicksum(float(weights[p]) * m.period_cost[p] for p in range(n)),
        sense=pyo.minimize)
    return m


@dataclass
class PathwaySolution:
    """Builds, retirements and capacities per period [MW, MWh] and LP costs [money]."""

    built: list[Capacities]
    retired: list[Capacities]
    total: list[Capacities]
    lp_onsite_share: list[float]
    lp_clean_share: list[float]
    lp_asset_cost_per_yr: list[float]
    lp_period_cost_per_yr: list[float]
    lp_objective: float


def _caps(values: dict[str, float]) -> Capacities:
    return Capacities(**{_CAP_KEYS[k]: max(0.0, v) for k, v in values.items()})


def solution_of(m, parks: Sequence[ParkConfig]) -> PathwaySolution:
    """Read a solved pathway model back in physical units."""
    P, M = m.scaling.power_mw, m.scaling.money
    n = len(parks)
    act = m.activity
    build = {k: [pyo.value(m.build[k, p]) * P for p in range(n)] for k in TECHS}
    built, retired, total, onsite, clean, asset, period = [], [], [], [], [], [], []
    for p in range(n):
        built.append(_caps({k: build[k][p] for k in TECHS}))
        # builds active in the previous period and not in this one retired at its start
        # (and existing capacity the period's config lowers)
        gone = {k: sum(build[k][b] for b in range(n)
                       if p > 0 and act[k][b, p - 1] and not act[k][b, p])
                + (max(0.0, existing(parks[p - 1])[k] - existing(parks[p])[k]) if p > 0 else 0.0)
                for k in TECHS}
        retired.append(_caps(gone))
        total.append(_caps({k: pyo.value(m.cap[k, p]) * P for k in TECHS}))
        op = m.op[p]
        onsite.append(1.0 - pyo.value(op.grid_served) / op.total_load)
        clean.append(1.0 - pyo.value(op.not_clean) / op.total_load)
        asset.append(pyo.value(m.asset_cost[p]) * M)
        period.append(pyo.value(m.period_cost[p]) * M)
    return PathwaySolution(built, retired, total, onsite, clean, asset, period,
                           pyo.value(m.cost) * M)
