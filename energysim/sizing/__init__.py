"""Least-cost sizing of PV, wind and battery for on-site and clean share targets (HiGHS).

Public API
----------
- :func:`size` — least-cost capacities for the targets on one horizon, or
  robustly over several weather years (:mod:`energysim.sizing.robust`),
  re-simulated through the dispatch core (the reported truth).
- :func:`frontier` — cost against on-site share, one model, warm starts.
- :func:`dispatch_lp` — perfect-foresight LP dispatch at fixed capacities.

The program (:mod:`~energysim.sizing.model`: capacities and cost;
:mod:`~energysim.dispatch.program`: hourly operation;
:mod:`~energysim.sizing.targets`: share targets) is built from whole arrays and
solved by HiGHS directly (:mod:`energysim.lp`); solving in
:mod:`~energysim.sizing.solve`, infeasible targets in
:mod:`~energysim.sizing.diagnose`, typical days in :mod:`~energysim.sizing.reduce`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from energysim import flexible as flex_model
from energysim.config import Capacities, ParkConfig
from energysim.dispatch import dispatch
from energysim.errors import SolverError, problem
from energysim.sizing import diagnose, flexible
from energysim.sizing.model import SizingModel, build_model, problem_data
from energysim.sizing.outputs import flows_of, lp_share
from energysim.sizing.outputs import onsite_share as share_of
from energysim.sizing.solve import (
    SolverInfo,
    Status,
    crash,
    make_solver,
    set_targets,
    solve,
)

__all__ = ["SizingResult", "size", "frontier", "size_and_frontier", "dispatch_lp",
           "SHARE_TOLERANCE", "build_sized"]

#: LP and re-simulated on-site shares must agree to this (absolute, flat prices).
SHARE_TOLERANCE = 1e-6


@dataclass
class SizingResult:
    """Outcome of :func:`size`.

    ``annualized_cost`` [money/yr] is the LP optimum (new capacity + energy);
    ``objective_terms`` splits it (from :func:`energysim.accounting.cost_terms`
    on the LP's flows). ``flows`` is the re-simulated Flows Dataset of the
    dispatch core at the sized capacities, ``lp_flows`` the LP's own.
    ``screening`` holds the errors of a representative-period run; ``robust``
    the per-year certification of a robust sizing (:mod:`energysim.sizing.robust`).
    """

    capacities: Capacities
    annualized_cost: float
    objective_terms: dict[str, float]
    lp_onsite_share: float
    sim_onsite_share: float
    flows: xr.Dataset
    solver: SolverInfo
    lp_flows: xr.Dataset | None = None
    screening: dict[str, float] = field(default_factory=dict)
    robust: dict | None = None


def _resimulate(profiles: xr.Dataset, capacities: Capacities, park: ParkConfig,
                shares: tuple[float, float] | None = None) -> xr.Dataset:
    """Flows of the dispatch core at the sized capacities: what the reported KPIs come from.

    With flexible demand the optimal dispatch, keeping ``shares``
    (:func:`energysim.sizing.flexible.resimulate`: the rules are not optimal then).
    """
    if flex_model.active(park):
        return flexible.resimulate(park, profiles, capacities, shares)
    return dispatch(profiles, capacities, park.battery, park.grid)


def objective_terms(sm: SizingModel, op, lp_flows: xr.Dataset, profiles: xr.Dataset,
                    capacities: Capacities) -> dict[str, float]:
    """The LP objective's terms [money/yr] from the accounting of the LP's own flows."""
    from energysim.accounting import annual_totals, cost_terms
    from energysim.profiles import complete

    totals = annual_totals(lp_flows, complete(profiles, sm.park))
    return cost_terms(totals, sm.park, capacities, unmet_penalty_per_mwh=op.unmet_penalty_per_mwh)


def size(park: ParkConfig, profiles, *, onsite_share: float | None = None,
         clean_share: float | None = None, representative_days: int | None = None,
         robustness: str | None = None, cvar_alpha: float | None = None,
         method: str = "auto", gap: float | None = None) -> SizingResult:
    """Least-cost PV [MWp], wind [MW], battery [MWh, MW] meeting the share targets.

    Parameters
    ----------
    park : ParkConfig
        Costs, capacity bounds (``min_mw``/``max_mw``/``existing_mw``, land),
        battery and grid parameters, solver and ``[sizing]`` settings.
    profiles : xarray.Dataset or mapping of year -> xarray.Dataset
        One Profiles Dataset (hourly ``pv_pu`` [MW/MWp], ``wind_pu`` [MW/MW],
        ``load`` [MW], optional ``import_price_per_mwh`` [money/MWh]; a horizon
        shorter than a year is allowed, energy costs scaled to a year), or one
        per weather year: capacities shared, operation per year, the targets
        holding as ``robustness`` says (:func:`energysim.sizing.robust.size_robust`).
    onsite_share, clean_share : float, optional
        Targets [0-1]; default ``park.targets``.
    representative_days : int, optional
        Size on this many tsam typical days (quick screening), then re-simulate
        the full horizon and report the errors in ``screening``.
    robustness : {"every_year", "cvar", "expected"}, optional
        Over weather years; default ``park.sizing.robustness``.
    cvar_alpha : float, optional
        Worst fraction of years for ``cvar``; default ``park.sizing.cvar_alpha``.
    method : {"auto", "monolithic", "decomposition"}
        Weather years: one LP over all years, or a decomposition over years
        (``auto``: decomposition from two full years on).
    gap : float, optional
        Relative optimality gap at which the decomposition stops (default
        :data:`energysim.sizing.decomposition.GAP`); reported in ``solver.extra``.

    Returns
    -------
    SizingResult

    Raises
    ------
    InfeasibleTargetError
        A target is out of reach within the bounds (with the reachable maximum
        and the binding bounds).
    SolverError
        Time limit or numerical trouble; the message says what to try.

    Notes
    -----
    After solving, the capacities are re-simulated by the dispatch core; under
    flat prices greedy load-following is optimal for the on-site share, so the
    LP's and the simulation's on-site shares must agree to
    :data:`SHARE_TOLERANCE`, else a :class:`SolverError` is raised.

    Long horizons (at least twice ``[solver] warm_start_days`` whole days) are
    crash-started: sized first on that many tsam typical days, the full LP is
    solved with its capacities held there (the dispatch only, targets
    relaxed), and then starts from that basis. The optimum is the full LP's
    own; only the simplex iterations to reach it fall. ``solver.extra``
    records the guess, the crash's seconds and iterations.
    """
    if not isinstance(profiles, xr.Dataset) and isinstance(profiles, Mapping | Sequence):
        from energysim.sizing.decomposition import GAP
        from energysim.sizing.robust import size_robust

        return size_robust(park, profiles, onsite_share=onsite_share, clean_share=clean_share,
                           robustness=robustness, cvar_alpha=cvar_alpha, method=method,
                           gap=GAP if gap is None else gap)
    if representative_days is not None:
        return _size_reduced(park, profiles, representative_days, onsite_share, clean_share)
    t0 = time.perf_counter()
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    onsite, clean = set_targets(sm, solver, onsite_share, clean_share)
    build_s = time.perf_counter() - t0
    extra = _crash_start(sm, solver, profiles, (onsite, clean))
    if solve(solver) == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
    solve_s = solver.solve_s + extra.get("warm_start_s", 0.0)  # the whole way to the optimum
    info = _info(sm, solver, build_s, solve_s, extra)
    return build_sized(sm, solver.x, profiles, info)


def _info(sm: SizingModel, solver, build_s: float, solve_s: float, extra=None) -> SolverInfo:
    return SolverInfo(status="optimal", build_s=build_s, solve_s=solve_s,
                      highs_version=solver.version, objective=sm.money(sm.cost, solver.x),
                      solves=solver.solves,
                      extra={**(extra or {}), "iterations": solver.iterations,
                             "load_s": solver.load_s})


def _crash_start(sm: SizingModel, solver, profiles: xr.Dataset, targets) -> dict:
    """Start a long LP from a typical-days optimum; what was done, for ``SolverInfo.extra``.

    The full LP is still solved to optimality from there: only the path to the
    optimum changes. Cold-solved instead for integer turbines (branch and bound
    does not restart from an LP basis), sub-hourly steps, ``[solver]
    warm_start_days = 0`` and horizons shorter than twice that many days.
    """
    from energysim.sizing.reduce import capacity_guess

    park, data = sm.park, sm.ops[0].data
    days = park.solver.warm_start_days
    if days < 2 or data.hours // 24 < 2 * days or data.dt_h != 1.0 or sm.integer:
        return {"warm_start_days": 0}
    t0 = time.perf_counter()
    guess = capacity_guess(park, data, profiles, days, targets)
    if guess is None:  # the typical days miss the target: nothing to start from
        return {"warm_start_days": 0}
    held = dict(zip(sm.cap_cols.tolist(), sm.values_of(guess).tolist(), strict=True))
    rows = np.concatenate([sm.targets[k].rows for k in ("onsite", "clean")])
    # targets off while capacities are held, so the guess cannot make the crash infeasible
    _, iterations = crash(solver, held, rows, np.inf)
    return {"warm_start_days": days, "warm_start_s": time.perf_counter() - t0,
            "crash_iterations": iterations, "guess": guess.model_dump()}


def _mismatch_hint(sm: SizingModel, x: np.ndarray) -> str:
    """What a known LP/core mismatch means, or ``""``.

    With an hourly-matched green contract and a binding clean-share target, the
    perfect-foresight LP saves stored on-site energy for hours the green block
    cannot cover; the rule-based core discharges first, reaching a higher
    on-site but a lower clean share than the LP planned.
    """
    op, park = sm.ops[0], sm.park
    bound = sm.targets["clean"].rhs(park.targets.clean_share or 0.0)[0]
    slack = bound - op.not_clean.value(x)
    if park.grid.green_matching == "hourly" and slack <= 1e-6 * op.total_load:
        return ("; here the clean-share target binds under an hourly-matched green contract, "
                "which the LP meets by timing the battery around the green block while the "
                "rule-based core discharges first. Try green_matching = \"annual\", a lower "
                "clean_share, or no battery; sizing.dispatch_lp gives the LP's own dispatch")
    return ""


def build_sized(sm: SizingModel, x: np.ndarray, profiles: xr.Dataset, info: SolverInfo,
                op_index: int = 0) -> SizingResult:
    """A :class:`SizingResult` from a solution: LP flows, re-simulation, the agreement check."""
    op = sm.ops[op_index]
    caps = sm.capacities(x)
    lp_flows = flows_of(sm, x, op, profiles)
    terms = objective_terms(sm, op, lp_flows, profiles, caps)
    flows = _resimulate(profiles, caps, sm.park, (lp_share(op, x), lp_share(op, x, "clean")))
    lp_s, sim_s = lp_share(op, x), share_of(flows)
    if np.ptp(op.data.price) == 0 and abs(lp_s - sim_s) > SHARE_TOLERANCE:
        raise SolverError(problem(
            f"LP on-site share {lp_s:.9f} and re-simulated {sim_s:.9f} differ by more than "
            f"{SHARE_TOLERANCE:g}: the LP and the dispatch core disagree on the rules"
            + _mismatch_hint(sm, x), field="sizing.onsite_share", value=lp_s - sim_s))
    return SizingResult(capacities=caps, annualized_cost=sm.money(sm.cost, x),
                        objective_terms=terms, lp_onsite_share=lp_s, sim_onsite_share=sim_s,
                        flows=flows, solver=info, lp_flows=lp_flows)


def _size_reduced(park: ParkConfig, profiles: xr.Dataset, days: int, onsite_share, clean_share
                  ) -> SizingResult:
    """Sized on ``days`` typical days, re-simulated on the full horizon; errors in ``screening``.

    ``annualized_cost`` and ``objective_terms`` are the full-horizon cost of the
    chosen capacities (asset terms plus simulated energy terms); ``screening``
    holds ``representative_days``, ``lp_onsite_share`` (reduced LP),
    ``sim_onsite_share`` (full horizon), ``onsite_share_error``, ``lp_cost``
    and ``sim_cost`` [money/yr], ``cost_rel_error`` ((lp - sim) / sim) and
    ``sim_meets_target`` (full horizon reaches the on-site target to 1e-6).
    """
    from energysim.accounting import annual_totals, cost_terms
    from energysim.sizing.reduce import reduced_problem
    from energysim.timeaggregation import DAY_H

    t0 = time.perf_counter()
    full = problem_data(park, profiles)
    reduced = reduced_problem(full, profiles, days)
    if reduced is None:  # nothing to reduce
        return size(park, profiles, onsite_share=onsite_share, clean_share=clean_share)
    data, hours = reduced
    sm = build_model(park, data)
    solver = make_solver(sm)
    onsite, _clean = set_targets(sm, solver, onsite_share, clean_share)
    build_s = time.perf_counter() - t0
    if solve(solver, f"sizing on {days} representative days") == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, onsite, _clean)
    x = solver.x
    caps = sm.capacities(x)
    lp_flows = flows_of(sm, x, sm.ops[0], profiles.isel(time=hours))
    lp_cost, lp_s = sm.money(sm.cost, x), lp_share(sm.ops[0], x)
    flows = _resimulate(profiles, caps, park)
    from energysim.profiles import complete

    terms = cost_terms(annual_totals(flows, complete(profiles, park)), park, caps,
                       unmet_penalty_per_mwh=sm.ops[0].unmet_penalty_per_mwh)
    sim_cost, sim_s = float(sum(terms.values())), share_of(flows)
    info = SolverInfo(status="optimal", build_s=build_s, solve_s=solver.solve_s,
                      highs_version=solver.version, objective=lp_cost,
                      extra={"representative_days": len(hours) // DAY_H})
    screening = {
        "representative_days": len(hours) // DAY_H, "lp_onsite_share": lp_s,
        "sim_onsite_share": sim_s, "onsite_share_error": lp_s - sim_s,
        "lp_cost": lp_cost, "sim_cost": sim_cost,
        "cost_rel_error": (lp_cost - sim_cost) / sim_cost if sim_cost else float(np.nan),
        "sim_meets_target": bool(sim_s >= onsite - 1e-6),
    }
    return SizingResult(capacities=caps, annualized_cost=sim_cost, objective_terms=terms,
                        lp_onsite_share=lp_s, sim_onsite_share=sim_s, flows=flows,
                        solver=info, lp_flows=lp_flows, screening=screening)


def frontier(park: ParkConfig, profiles: xr.Dataset, shares: Sequence[float]) -> pd.DataFrame:
    """Least cost against on-site share target: one model, only the target's RHS changes.

    Parameters
    ----------
    park : ParkConfig
        As for :func:`size`; the clean target of ``park.targets`` applies to every point.
    profiles : xarray.Dataset
        Profiles Dataset.
    shares : sequence of float
        On-site share targets [0-1], solved in the given order (ascending is
        best for warm starts). The first point of a long horizon is
        crash-started from typical days as in :func:`size`.

    Returns
    -------
    pandas.DataFrame
        Columns ``share``, ``pv_mw``, ``wind_mw``, ``battery_mwh``,
        ``battery_mw``, ``annualized_cost`` [money/yr], ``lcoe_per_mwh``
        (annualised cost per MWh of load served) and ``marginal_cost_of_share``
        [money/yr per unit share]: the dual of the share row, d cost / d share;
        ``onsite_share_reached``: the optimum's own on-site share (above
        ``share`` where the target does not bind); ``is_target`` marks the
        configured on-site target (``park.targets``).
    """
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    return frontier_on(sm, solver, profiles, shares)


def size_and_frontier(park: ParkConfig, profiles: xr.Dataset, shares: Sequence[float], *,
                      onsite_share: float | None = None) -> tuple[SizingResult, pd.DataFrame]:
    """:func:`size` and :func:`frontier` on one model: built and loaded once, crash-started once.

    The target is solved first (crash start from typical days on a long
    horizon), then every frontier point re-solves the same HiGHS instance from
    the last basis with only the target row's bound changed. Results equal
    those of the two calls made separately.
    """
    t0 = time.perf_counter()
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    onsite, clean = set_targets(sm, solver, onsite_share, None)
    build_s = time.perf_counter() - t0
    extra = _crash_start(sm, solver, profiles, (onsite, clean))
    if solve(solver) == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
    solve_s = solver.solve_s + extra.get("warm_start_s", 0.0)
    sized = build_sized(sm, solver.x, profiles, _info(sm, solver, build_s, solve_s, extra))
    table = frontier_on(sm, solver, profiles, shares, crash_first=False)
    return sized, table


def frontier_on(sm: SizingModel, solver, profiles: xr.Dataset, shares: Sequence[float],
                crash_first: bool = True) -> pd.DataFrame:
    """:func:`frontier` on a built model held by ``solver`` (reused, e.g. by the study)."""
    from energysim.timeaxis import annual_scale

    park, op = sm.park, sm.ops[0]
    data = op.data
    rows = []
    for k, share in enumerate(shares):
        onsite, clean = set_targets(sm, solver, float(share), None)
        if k == 0 and crash_first:
            _crash_start(sm, solver, profiles, (onsite, clean))
        t0 = time.perf_counter()
        if solve(solver, f"frontier point {share:g}") == Status.INFEASIBLE:
            raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
        x = solver.x
        caps = sm.capacities(x)
        cost = sm.money(sm.cost, x)
        unmet = 0.0 if op.flows["unmet"] is None else float(
            (x[op.flows["unmet"]] * data.hour_weight).sum()) * sm.scaling.power_mw * data.dt_h
        scale = annual_scale(data.hours, data.dt_h, data.weight)
        served = (op.total_load * sm.scaling.power_mw - unmet) * scale
        row = sm.targets["onsite"].rows[0]
        # RHS = (1 - share) * L (flexible demand: (1 - share) * (L + V)):
        # d cost / d share = -dual * (L + V) (in money units)
        marginal = np.nan if sm.integer else (
            -solver.row_dual[row] * (op.total_load + op.variable_load.value(x)) * sm.scaling.money)
        rows.append({
            "share": float(share), "pv_mw": caps.pv_mw, "wind_mw": caps.wind_mw,
            "battery_mwh": caps.battery_mwh, "battery_mw": caps.battery_mw,
            "annualized_cost": cost, "lcoe_per_mwh": cost / served,
            "marginal_cost_of_share": marginal, "onsite_share_reached": lp_share(op, x),
            "solve_s": time.perf_counter() - t0,
            "is_target": abs(float(share) - park.targets.onsite_share) < 1e-9,
        } | ({"electrolyser_mw": caps.electrolyser_mw, "hydrogen_storage_kg": caps.hydrogen_storage_kg,
              "fuel_cell_mw": caps.fuel_cell_mw} if flex_model.hydrogen_active(park) else {}))
    return pd.DataFrame(rows)


def dispatch_lp(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities) -> xr.Dataset:
    """Perfect-foresight least-cost dispatch at fixed capacities (LP), as a Flows Dataset.

    The time-of-use reference for the dispatch core: with an hourly price the LP
    may time battery discharge to expensive hours, which greedy dispatch cannot.
    No share targets apply; the battery charges only from on-site surplus.

    Parameters
    ----------
    park : ParkConfig
        Battery, grid and cost parameters.
    profiles : xarray.Dataset
        Profiles Dataset.
    capacities : Capacities
        PV [MWp], wind [MW], battery [MWh, MW] to dispatch.
    """
    sm = build_model(park, problem_data(park, profiles), integer_turbines=False)
    solver = make_solver(sm)
    fix_capacities(sm, solver, capacities)
    if solve(solver, "LP dispatch") == Status.INFEASIBLE:
        raise SolverError(problem("LP dispatch infeasible at fixed capacities (green volume row?)",
                                  field="capacities", value=capacities.model_dump()))
    return flows_of(sm, solver.x, sm.ops[0], profiles)


def fix_capacities(sm: SizingModel, solver, capacities: Capacities) -> None:
    """Hold the capacity columns at ``capacities``; lift land and target rows (dispatch only)."""
    values = sm.values_of(capacities)
    solver.set_col_bounds(sm.cap_cols, values, values)
    free = [*sm.land_rows.values(), *sm.targets["onsite"].rows, *sm.targets["clean"].rows]
    if free:
        solver.set_row_bounds(np.array(free), -np.inf, np.inf)
