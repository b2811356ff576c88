"""The sizing LP/MILP: capacities, hourly operation per horizon, targets, annualised cost.

Built from whole arrays into a :class:`~energysim.lp.LinearProgram` (no per-hour
Python rules) and held in one HiGHS instance (:class:`~energysim.lp.Solver`):
targets are row bounds and asset costs column costs, so a frontier, a sweep or
a decomposition changes them and re-solves from the last basis. The hourly
formulation is documented in :mod:`energysim.dispatch.program`, the share
targets and their robustness over weather years in
:mod:`energysim.sizing.targets`.

Objective (money per year): annualised cost of new capacity (capex x CRF +
fixed O&M, :func:`energysim.economics.asset_costs`; existing capacity is sunk)
plus the **mean** over the horizons (weather years) of their energy cost per
year (imports, green premium, minus exports, unmet load at a penalty).

Model units: one power unit = ``Scaling.power_mw`` MW, one money unit =
``Scaling.money``, chosen near the mean load and the annual bill so HiGHS sees
O(1) numbers. :class:`SizingModel` keeps the program, the scaling, the data and
every handle (capacity columns, operations, target rows) together; its
:meth:`SizingModel.to_pyomo` gives the same program as a Pyomo model for users
who extend it in Pyomo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from energysim.config import Capacities, ParkConfig
from energysim.decisions import Decision, capacities_from, decisions, land_limit, model_values
from energysim.dispatch.inputs import (
    ProblemData,
    Scaling,
    problem_data,
)
from energysim.dispatch.program import Operation, add_operation
from energysim.flexible import window_cost
from energysim.lp import Expr, LinearProgram
from energysim.sizing.targets import TargetRows, add_targets, target_kinds

__all__ = [
    "Scaling",
    "ProblemData",
    "SizingModel",
    "problem_data",
    "build_model",
    "land_limit",
    "turbine_unit_mw",
]

_REQUIRED = ("pv_pu", "wind_pu", "load")


def turbine_unit_mw(park: ParkConfig) -> float:
    """Nominal power of one wind turbine [MW], from windpowerlib's turbine library."""
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type=park.wind.turbine, hub_height=park.wind.hub_height_m)
    return float(turbine.nominal_power) / 1e6  # W -> MW


@dataclass
class SizingModel:
    """A built sizing program and its handles.

    ``caps`` are the capacity columns (model units), ``ops`` one
    :class:`~energysim.dispatch.program.Operation` per horizon (weather year),
    ``targets`` the target rows by kind (on-site, clean; hourly CFE and CO2 when the
    park sets them, :func:`~energysim.sizing.targets.target_kinds`), ``asset_cost`` and ``cost``
    expressions in money units per year.
    """

    park: ParkConfig
    lp: LinearProgram
    scaling: Scaling
    decisions: dict[str, Decision]
    caps: dict[str, int]
    ops: list[Operation]
    targets: dict[str, TargetRows]
    asset_cost: Expr
    energy_cost: Expr
    cost: Expr
    land_rows: dict[str, int] = field(default_factory=dict)
    n_turbines: int | None = None
    turbine_unit_mw: float | None = None
    robustness: str = "every_year"

    @property
    def integer(self) -> bool:
        """Whether wind is sized in whole turbines (an integer column: a MILP)."""
        return self.n_turbines is not None

    @property
    def cap_cols(self) -> np.ndarray:
        """Decision columns, in the order of :attr:`decisions`."""
        return np.array([self.caps[k] for k in self.decisions], dtype=np.int64)

    def capacities(self, x: np.ndarray) -> Capacities:
        """Decisions at column values ``x`` (physical units); tolerance negatives become 0."""
        P = self.scaling.power_mw
        return capacities_from(self.decisions, [max(0.0, float(x[self.caps[k]]) * d.scale * P)
                                                for k, d in self.decisions.items()])

    def values_of(self, capacities: Capacities, missing: str = "lower") -> np.ndarray:
        """``capacities`` in model units, in the order of :attr:`cap_cols`.

        A product volume not in ``capacities``: see :func:`~energysim.decisions.model_values`.
        """
        return model_values(self.decisions, capacities, self.scaling.power_mw, missing)

    def money(self, expr: Expr, x: np.ndarray) -> float:
        """An expression in money units at ``x``, in money."""
        return expr.value(x) * self.scaling.money

    def to_pyomo(self, x: np.ndarray | None = None):
        """The program as a Pyomo ``ConcreteModel`` (see :meth:`LinearProgram.to_pyomo`)."""
        return self.lp.to_pyomo(x)


def add_decisions(lp: LinearProgram, park: ParkConfig, decs: dict[str, Decision], P: float,
                  integer_turbines: bool):
    """Decision columns, land rows and (MILP) whole turbines; (caps, land, n_turbines, unit)."""
    caps = {k: lp.add_variable(f"cap_{k}", d.lower / (d.scale * P), d.upper / (d.scale * P))
            for k, d in decs.items()}
    land = {}
    for k, d in decs.items():
        if d.max_area_ha is not None:  # an explicit row, so diagnose can name it
            land[k] = lp.add_row(f"land_{k}", Expr.of(caps[k], d.area_ha_per_unit * d.scale * P),
                                 ub=d.max_area_ha)
    n_turbines = unit = None
    if integer_turbines:
        unit = turbine_unit_mw(park)
        lo, hi = decs["wind"].lower, decs["wind"].upper
        ex = park.wind.existing_mw
        n_hi = math.floor((hi - ex) / unit + 1e-9)
        n_lo = math.ceil(max(0.0, lo - ex) / unit - 1e-9)
        n_turbines = lp.add_variable("n_turbines", n_lo, max(n_lo, n_hi), integer=True)
        lp.add_row("turbines", Expr.of([caps["wind"], n_turbines], [1.0, -unit / P]),
                   lb=ex / P, ub=ex / P)
    return caps, land, n_turbines, unit


def build_model(park: ParkConfig, data: ProblemData | Sequence[ProblemData], *,
                integer_turbines: bool | None = None, robustness: str = "every_year",
                cvar_alpha: float = 0.1, elastic: float | None = None) -> SizingModel:
    """Build the sizing program (all capacities free within their bounds).

    Parameters
    ----------
    park : ParkConfig
        Costs, bounds, battery and grid parameters.
    data : ProblemData or sequence of ProblemData
        One horizon, or one per weather year (all with the same scaling):
        capacities are shared, operation is per horizon (battery cyclic within
        each), the energy cost is their mean.
    integer_turbines : bool, optional
        Size wind in whole turbines (MILP); default ``park.wind.integer_turbines``.
    robustness : {"every_year", "cvar", "expected"}
        How share targets hold over several horizons (:mod:`energysim.sizing.targets`).
    cvar_alpha : float
        Worst fraction of years for ``cvar`` [0-1].
    elastic : float, optional
        Shortfall cost of elastic target rows (decomposition sub-problems,
        :func:`energysim.sizing.targets.add_targets`).

    Returns
    -------
    SizingModel
        Targets at share 0 (set them with :func:`energysim.sizing.solve.set_targets`).
    """
    datas = [data] if isinstance(data, ProblemData) else list(data)
    sc = datas[0].scaling
    P, M = sc.power_mw, sc.money
    integer_turbines = park.wind.integer_turbines if integer_turbines is None else integer_turbines
    lp = LinearProgram(name="energysim_sizing")
    decs = decisions(park)
    caps, land, n_turbines, unit = add_decisions(lp, park, decs, P, integer_turbines)
    tags = [""] if len(datas) == 1 else [f"[{k}]" for k in range(len(datas))]
    ops = [add_operation(lp, park, d, caps, tag) for d, tag in zip(datas, tags, strict=True)]
    targets = {kind: add_targets(lp, ops, kind, robustness, cvar_alpha, elastic=elastic)
               for kind in target_kinds(park)}
    asset_cost = asset_cost_expr(park, decs, caps, P, M)
    mean = 1.0 / len(ops)
    energy_cost = Expr.sum((op.energy_cost + op.unmet_cost) * mean for op in ops)
    cost = asset_cost + energy_cost
    lp.add_cost(cost)
    return SizingModel(park=park, lp=lp, scaling=sc, decisions=decs, caps=caps, ops=ops,
                       targets=targets,
                       asset_cost=asset_cost, energy_cost=energy_cost, cost=cost,
                       land_rows=land, n_turbines=n_turbines, turbine_unit_mw=unit,
                       robustness=targets["onsite"].mode)


def asset_cost_expr(park: ParkConfig, decs: dict[str, Decision], caps: dict[str, int], P: float,
                    M: float) -> Expr:
    """Annualised cost of new capacity [money units/yr]: existing capacity is sunk.

    Plus the shift window's fixed cost (:func:`energysim.flexible.window_cost`): a model holds
    one window; sizing chooses among windows with one model each
    (:func:`energysim.sizing.flexible.size_window`).
    """
    return Expr.sum(Expr.of(caps[k], d.annual_cost * d.scale * P / M,
                            -d.annual_cost * d.existing / M)
                    for k, d in decs.items()) + window_cost(park) / M
