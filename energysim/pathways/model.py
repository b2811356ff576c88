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
its (representative) hours (:func:`energysim.dispatch.program.add_operation`),
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

from energysim import flexible
from energysim.config import Capacities, ParkConfig
from energysim.decisions import decisions
from energysim.dispatch.inputs import ProblemData, Scaling, common_scaling
from energysim.dispatch.program import Operation, add_operation
from energysim.errors import ConfigError, problem
from energysim.lp import Expr, LinearProgram
from energysim.sizing.targets import TargetRows, add_targets

__all__ = [
    "TECHS",
    "discount_weights",
    "lifetimes",
    "activity",
    "build_pathway_model",
    "PathwayModel",
    "PathwaySolution",
    "solution_of",
    "common_scaling",
]

#: Technologies built per period: PV [MWp], wind [MW], battery energy [MWh], battery power [MW].
TECHS = ("pv", "wind", "energy", "power")


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


def lifetimes(park: ParkConfig) -> dict[str, float]:
    """Lifetime of a build [yr] (``pv/wind/battery.lifetime_yr``)."""
    return {"pv": park.pv.lifetime_yr, "wind": park.wind.lifetime_yr,
            "energy": park.battery.lifetime_yr, "power": park.battery.lifetime_yr}


def existing_capacity(park: ParkConfig) -> dict[str, float]:
    """Existing (sunk) capacity of a period [MW, MWh]."""
    return {k: d.existing for k, d in decisions(park).items() if k in TECHS}


def activity(years: Sequence[int], parks: Sequence[ParkConfig]) -> dict[str, np.ndarray]:
    """``A[k][b, p]``: whether a build of technology k from period b is available in period p.

    True when ``years[b] <= years[p] < years[b] + lifetime`` (the build period's lifetime).
    """
    y = np.asarray(years, dtype=float)
    out = {}
    for k in TECHS:
        life = np.array([lifetimes(park)[k] for park in parks])
        out[k] = (y[None, :] >= y[:, None]) & (y[None, :] < y[:, None] + life[:, None])
    return out


@dataclass
class PathwayModel:
    """The built multi-period program and its handles (model units).

    ``build[k]`` and ``cap[k]`` are column indices per period, ``ops`` one
    Operation per period, ``targets[p]`` its on-site and clean rows;
    ``asset_cost[p]`` and ``period_cost[p]`` [money units per year] and
    ``cost`` (present value, money units) are expressions.
    """

    lp: LinearProgram
    scaling: Scaling
    years: list
    weights: np.ndarray
    activity: dict
    build: dict[str, np.ndarray]
    cap: dict[str, np.ndarray]
    ops: list[Operation]
    targets: list[dict[str, TargetRows]]
    asset_cost: list[Expr]
    period_cost: list[Expr]
    cost: Expr


def build_pathway_model(parks: Sequence[ParkConfig], datas: Sequence[ProblemData],
                        years: Sequence[int], weights: np.ndarray) -> PathwayModel:
    """Build the multi-period program.

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
    PathwayModel
        Target rows at share 0: set them with :func:`set_period_targets`.
    """
    sc = datas[0].scaling
    P, M = sc.power_mw, sc.money
    n = len(parks)
    for park in parks:
        _no_window_decision(park)
    act = activity(years, parks)
    lp = LinearProgram(name="energysim_pathway")
    build = {k: lp.add_variables(f"build_{k}", n) for k in TECHS}
    decs = [decisions(park) for park in parks]
    # capacities are columns tied to the builds by one row each, so the hourly rows
    # reference a single column (not a sum re-expanded in every hour)
    cap = {k: lp.add_variables(f"cap_{k}", n, [d[k].lower / P for d in decs],
                               [d[k].upper / P for d in decs]) for k in TECHS}
    for k in TECHS:
        for p in range(n):
            built = [build[k][b] for b in range(n) if act[k][b, p]]
            ex = existing_capacity(parks[p])[k] / P
            lp.add_row(f"cap_def_{k}[{p}]", Expr.of([cap[k][p], *built],
                                                   [1.0] + [-1.0] * len(built)), lb=ex, ub=ex)
    ops, targets = [], []
    for p in range(n):
        op = add_operation(lp, parks[p], datas[p], {k: int(cap[k][p]) for k in TECHS}, f"[{p}]")
        ops.append(op)
        targets.append({kind: add_targets(lp, [op], kind, tag=f"[{p}]")
                        for kind in ("onsite", "clean")})
    ann = [{k: d[k].annual_cost for k in TECHS} for d in decs]
    asset = [Expr.sum(Expr.of(build[k][b], ann[b][k] * P / M) for k in TECHS for b in range(n)
                      if act[k][b, p]) for p in range(n)]
    period = [asset[p] + ops[p].energy_cost + ops[p].unmet_cost for p in range(n)]
    cost = Expr.sum(period[p] * float(weights[p]) for p in range(n))
    lp.add_cost(cost)
    return PathwayModel(lp, sc, list(years), weights, act, build, cap, ops, targets, asset,
                        period, cost)


def set_period_targets(pm: PathwayModel, solver, p: int, onsite: float, clean: float) -> None:
    """Set period ``p``'s on-site and clean share targets [0-1]."""
    for kind, value in (("onsite", onsite), ("clean", clean)):
        rows = pm.targets[p][kind]
        solver.set_row_bounds(rows.rows, -np.inf, rows.rhs(value))


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


_FIELDS = {"pv": "pv_mw", "wind": "wind_mw", "energy": "battery_mwh", "power": "battery_mw"}


def _caps(values: dict[str, float]) -> Capacities:
    return Capacities(**{_FIELDS[k]: max(0.0, v) for k, v in values.items()})


def solution_of(pm: PathwayModel, x: np.ndarray, parks: Sequence[ParkConfig]) -> PathwaySolution:
    """Read a solved pathway program back in physical units."""
    P, M = pm.scaling.power_mw, pm.scaling.money
    n = len(parks)
    act = pm.activity
    build = {k: x[pm.build[k]] * P for k in TECHS}
    built, retired, total, onsite, clean = [], [], [], [], []
    for p in range(n):
        built.append(_caps({k: float(build[k][p]) for k in TECHS}))
        # builds active in the previous period and not in this one retired at its start
        # (and existing capacity the period's config lowers)
        gone = {k: float(sum(build[k][b] for b in range(n)
                             if p > 0 and act[k][b, p - 1] and not act[k][b, p]))
                + (max(0.0, existing_capacity(parks[p - 1])[k] - existing_capacity(parks[p])[k])
                   if p > 0 else 0.0)
                for k in TECHS}
        retired.append(_caps(gone))
        total.append(_caps({k: float(x[pm.cap[k][p]]) * P for k in TECHS}))
        op = pm.ops[p]
        onsite.append(1.0 - op.grid_served.value(x) / op.total_load)
        clean.append(1.0 - op.not_clean.value(x) / op.total_load)
    return PathwaySolution(built, retired, total, onsite, clean,
                           [e.value(x) * M for e in pm.asset_cost],
                           [e.value(x) * M for e in pm.period_cost], pm.cost.value(x) * M)


def _no_window_decision(park: ParkConfig) -> None:
    """A pathway neither chooses nor prices the shift window: refuse rather than misreport."""
    if flexible.window_options(park) or flexible.window_cost(park) > 0:
        raise ConfigError(problem(
            "a pathway does not choose or price the shift window; give window_h without "
            "window_options_h and window_cost_per_h_yr", source=park.source,
            field="load.flexible.window_options_h"))
