"""Diagnosis of infeasible share targets: the best share reachable and the bounds that stop it.

When the cost LP is infeasible, the same model is re-solved with the target
row dropped and the share itself as the objective (the max-share LP). Its
optimum is the highest share reachable within the bounds; the capacity bounds,
land limits and green-volume cap that are tight at that optimum are the ones to
relax.
"""

from __future__ import annotations

import pyomo.environ as pyo

from energysim.config import ParkConfig
from energysim.errors import InfeasibleTargetError, problem
from energysim.sizing.solve import PersistentSolve

__all__ = ["max_share", "infeasible_target_error"]

_TIGHT = 1e-6  # relative closeness to a bound that counts as binding


def _at_upper(var) -> bool:
    ub = var.ub
    return ub is not None and pyo.value(var) >= ub - _TIGHT * max(1.0, abs(ub))


def _row_tight(con) -> bool:
    if not con.active:
        return False
    ub = pyo.value(con.upper)
    return pyo.value(con.body) >= ub - _TIGHT * max(1.0, abs(ub))


def binding_bounds(m, park: ParkConfig) -> list[str]:
    """Names of the bounds tight at the model's current solution (config field = value)."""
    found = []
    caps = (
        ("pv", m.cap_pv, "pv.max_mw", park.pv.max_mw, getattr(m, "land_pv", None),
         "pv.max_area_ha", park.pv.max_area_ha),
        ("wind", m.cap_wind, "wind.max_mw", park.wind.max_mw, getattr(m, "land_wind", None),
         "wind.max_area_ha", park.wind.max_area_ha),
        ("battery energy", m.cap_energy, "battery.max_mwh", park.battery.max_mwh, None, None, None),
        ("battery power", m.cap_power, "battery.max_mw", park.battery.max_mw, None, None, None),
    )
    for _, var, field, limit, land, land_field, land_value in caps:
        if land is not None and land.active and _row_tight(land):
            found.append(f"{land_field} = {land_value:g} ha (land)")
        elif _at_upper(var):
            found.append(f"{field} = {limit:g}")
    green = getattr(m, "green_volume", None)
    if green is not None and _row_tight(green):
        found.append(f"grid.green_volume_mwh = {park.grid.green_volume_mwh:g}")
    unmet = sum(pyo.value(v) for v in m.unmet.values())
    if getattr(m, "import_limit", None) is not None and unmet > _TIGHT * m.total_load:
        found.append(f"grid.import_max_mw = {park.grid.import_max_mw:g} (unmet load is not clean)")
    return found


def max_share(solver: PersistentSolve, kind: str) -> float:
    """Highest on-site (``kind="onsite"``) or clean share reachable within the bounds [0-1].

    Solves the max-share LP on the persistent model, then restores the cost
    objective and the target rows.
    """
    m = solver.model
    objective = {"onsite": m.grid_energy, "clean": m.not_clean_energy}[kind]
    target = {"onsite": m.onsite, "clean": m.clean}[kind]
    m.cost.deactivate()
    target.deactivate()
    objective.activate()
    try:
        status, _ = solver.solve(what=f"max-{kind}-share diagnosis")
    finally:
        objective.deactivate()
        target.activate()
        m.cost.activate()
    if status != "optimal":
        return float("nan")
    expr = {"onsite": m.grid_served, "clean": m.not_clean}[kind]
    return 1.0 - pyo.value(expr) / m.total_load


def infeasible_target_error(solver: PersistentSolve, park: ParkConfig, onsite: float,
                            clean: float) -> InfeasibleTargetError:
    """Build the :class:`InfeasibleTargetError` for targets the cost LP could not meet."""
    m = solver.model
    # with the clean row relaxed, is the on-site target reachable at all?
    m.clean.deactivate()
    try:
        best_onsite = max_share(solver, "onsite")
        binding_onsite = binding_bounds(m, park)
    finally:
        m.clean.activate()
    if best_onsite < onsite - 1e-9:
        kind, best, target, binding, field = "onsite", best_onsite, onsite, binding_onsite, "targets.onsite_share"
    else:
        best = max_share(solver, "clean")
        kind, target, binding, field = "clean", clean, binding_bounds(m, park), "targets.clean_share"
    where = "; ".join(binding) if binding else "no capacity bound is tight (check the profiles)"
    rule = (
        f"{kind} share target {target:.4f} is not reachable: at most {best:.6f} within the bounds; "
        f"binding: {where}"
    )
    return InfeasibleTargetError(problem(rule, source=park.source, field=field, value=target),
                                 max_share=best, binding=binding)
