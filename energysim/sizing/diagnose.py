"""Diagnosis of infeasible share targets: the best share reachable and the bounds that stop it.

When the cost LP is infeasible, the same HiGHS instance is re-solved with the
target rows relaxed and the grid-served (or not-clean) energy as the objective
(the max-share LP). Its optimum is the highest share reachable within the
bounds; the capacity bounds, land limits and green-volume cap that are tight at
that optimum are the ones to relax. The cost objective and the rows are
restored afterwards.
"""

from __future__ import annotations

import numpy as np

from energysim.errors import InfeasibleTargetError, problem
from energysim.lp import Expr, Solver, Status
from energysim.sizing.targets import KINDS, loss_expr

__all__ = ["max_share", "binding_bounds", "infeasible_target_error"]

_TIGHT = 1e-6  # relative closeness to a bound that counts as binding
def _tight(value: float, bound: float) -> bool:
    return np.isfinite(bound) and value >= bound - _TIGHT * max(1.0, abs(bound))


def binding_bounds(sm, solver: Solver) -> list[str]:
    """Names of the bounds tight at the solver's current solution (config field = value)."""
    park, x, act = sm.park, solver.x, solver.row_activity
    found = []
    for key, d in sm.decisions.items():
        row = sm.land_rows.get(key)
        _, ub = solver.col_bounds(sm.caps[key])
        if row is not None and _tight(act[row], solver.row_bounds(row)[1][0]):
            found.append(f"{d.area_field} = {d.max_area_ha:g} ha (land)")
        elif _tight(x[sm.caps[key]], ub[0]):
            found.append(f"{d.max_field} = {_config_value(park, d.max_field, d.upper):g}")
    for op in sm.ops:
        rows = op.rows.get("green_volume")
        if rows is not None and _tight(act[rows[0]], solver.row_bounds(rows)[1][0]):
            found.append(f"grid.green_volume_mwh = {park.grid.green_volume_mwh:g}")
            break
    unmet = sum(float(x[op.flows["unmet"]].sum()) for op in sm.ops if op.flows["unmet"] is not None)
    if unmet > _TIGHT * sum(op.total_load for op in sm.ops):
        found.append(f"grid.import_max_mw = {park.grid.import_max_mw:g} (unmet load is not clean)")
    return found


def _config_value(park, dotted: str, default: float) -> float:
    """The config value behind a bound (``section.key``), else ``default`` (e.g. a product's)."""
    section, _, name = dotted.partition(".")
    value = getattr(getattr(park, section, None), name, None) if name else None
    return float(default if value is None else value)


def _loss(sm, kind: str) -> Expr:
    """Mean share not reached over the horizons (loss / scale).

    The CO2 indicator for "co2"; flexible demand: the targets' linear loss at the current
    target, :mod:`energysim.sizing.targets`.
    """
    n = len(sm.ops)
    keep = 1.0 - sm.targets[kind].target if kind in ("onsite", "clean") else 0.0
    return Expr.sum((e - op.variable_load * keep) * (1.0 / (n * scale))
                    for op, (e, scale) in ((op, loss_expr(op, kind)) for op in sm.ops))


def max_share(sm, solver: Solver, kind: str, relax: tuple[str, ...] | None = None) -> float:
    """Highest on-site (``kind="onsite"``) or clean share reachable within the bounds [0-1].

    The mean over the horizons of the worst-case rule is not needed: for one
    horizon it is the share itself. Relaxes the rows of the targets in
    ``relax`` (default: ``kind`` only), minimises the share not reached,
    then restores the cost objective and the rows.
    """
    relax = (kind,) if relax is None else relax
    saved = [(sm.targets[k].rows, *solver.row_bounds(sm.targets[k].rows)) for k in relax]
    for rows, lo, _ in saved:
        solver.set_row_bounds(rows, lo, np.inf)
    solver.set_objective(_loss(sm, kind))
    try:
        status = solver.solve()
        loss = _loss(sm, kind).value(solver.x) if status == Status.OPTIMAL else float("nan")
        best = 1.0 - loss if KINDS[kind][1] else loss
    finally:
        solver.set_objective(sm.cost)
        for rows, lo, hi in saved:
            solver.set_row_bounds(rows, lo, hi)
    return best


def _first_unreachable(sm, solver: Solver, targets: dict[str, float]):
    """The first target (in :data:`KINDS` order) out of reach with the earlier ones held.

    Returned as (kind, best value, binding bounds); the last kind when none is found alone.
    """
    kinds = list(sm.targets)
    found = None
    for i, kind in enumerate(kinds):
        best = max_share(sm, solver, kind, relax=tuple(kinds[i:]))
        binding = binding_bounds(sm, solver)
        share = KINDS[kind][1]
        found = (kind, best, binding)
        if best != best or (best < targets[kind] - 1e-9 if share else best > targets[kind] + 1e-9):
            return found
    return found


def infeasible_target_error(sm, solver: Solver, onsite: float, clean: float
                            ) -> InfeasibleTargetError:
    """Build the :class:`InfeasibleTargetError` for targets the cost LP could not meet."""
    park = sm.park
    targets = {"onsite": onsite, "clean": clean, "cfe": park.targets.cfe_score,
               "co2": park.targets.max_co2_per_tce}
    kind, best, binding = _first_unreachable(sm, solver, targets)
    key, share = KINDS[kind]
    target = targets[kind]
    where = "; ".join(binding) if binding else "no capacity bound is tight (check the profiles)"
    what = {"onsite": "on-site share", "clean": "clean share", "cfe": "hourly CFE score",
            "co2": "core indicator (tCO2/tce)"}[kind]
    reach = f"at most {best:.6f}" if share else f"at least {best:.6f}"
    rule = (f"{what} target {target:.4f} is not reachable: {reach} within the bounds; "
            f"binding: {where}")
    return InfeasibleTargetError(problem(rule, source=park.source, field=f"targets.{key}",
                                         value=target), max_share=best, binding=binding)
