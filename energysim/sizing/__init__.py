"""Least-cost sizing of PV, wind and battery for on-site and clean share targets (Pyomo + HiGHS).

Public API
----------
- :func:`size` — least-cost capacities for the targets, re-simulated through the
  dispatch core (the reported truth).
- :func:`frontier` — cost against on-site share, one persistent model, warm starts.
- :func:`dispatch_lp` — perfect-foresight LP dispatch at fixed capacities.

The model (:mod:`energysim.sizing.model`) is documented there; solving in
:mod:`~energysim.sizing.solve`, infeasible targets in
:mod:`~energysim.sizing.diagnose`, representative periods in
:mod:`~energysim.sizing.reduce`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.dispatch import dispatch
from energysim.errors import SolverError, problem
from energysim.sizing import diagnose
from energysim.sizing.model import build_model, problem_data
from energysim.sizing.outputs import capacities_of, flows_of, objective_terms, onsite_share
from energysim.sizing.solve import PersistentSolve, SolverInfo

__all__ = ["SizingResult", "size", "frontier", "dispatch_lp", "SHARE_TOLERANCE"]

#: LP and re-simulated on-site shares must agree to this (absolute, flat prices).
SHARE_TOLERANCE = 1e-6


@dataclass
class SizingResult:
    """Outcome of :func:`size`.

    ``annualized_cost`` [money/yr] is the LP optimum (new capacity + energy);
    ``objective_terms`` splits it. ``flows`` is the re-simulated Flows Dataset of
    the dispatch core at the sized capacities, ``lp_flows`` the LP's own.
    ``screening`` holds the errors of a representative-period run.
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


def _price(profiles: xr.Dataset, park: ParkConfig) -> np.ndarray:
    if "import_price_per_mwh" in profiles:
        return np.asarray(profiles["import_price_per_mwh"].values, dtype=float)
    return np.full(profiles.sizes["time"], park.grid.import_price_per_mwh)


def _set_targets(m, park: ParkConfig, onsite: float | None, clean: float | None) -> tuple[float, float]:
    onsite = park.targets.onsite_share if onsite is None else onsite
    clean = park.targets.clean_share if clean is None else clean
    clean = 0.0 if clean is None else clean
    for name, value in (("onsite_share", onsite), ("clean_share", clean)):
        if not 0.0 <= value <= 1.0:
            raise SolverError(problem("a share target must lie in [0, 1]", field=name, value=value))
    m.onsite_target.set_value(onsite)
    m.clean_target.set_value(clean)
    return onsite, clean


def _solver_for(park: ParkConfig, m) -> PersistentSolve:
    s = park.solver
    return PersistentSolve(m, time_limit_s=s.time_limit_s, threads=s.threads, mip_rel_gap=s.mip_rel_gap)


def _resimulate(profiles: xr.Dataset, capacities: Capacities, park: ParkConfig) -> xr.Dataset:
    """Flows of the dispatch core at the sized capacities: what the reported KPIs come from."""
    return dispatch(profiles, capacities, park.battery, park.grid)


def size(
    park: ParkConfig,
    profiles: xr.Dataset,
    *,
    onsite_share: float | None = None,
    clean_share: float | None = None,
    representative_days: int | None = None,
) -> SizingResult:
    """Least-cost PV [MWp], wind [MW], battery [MWh, MW] meeting the share targets.

    Parameters
    ----------
    park : ParkConfig
        Costs, capacity bounds (``min_mw``/``max_mw``/``existing_mw``, land),
        battery and grid parameters, solver settings.
    profiles : xarray.Dataset
        Profiles Dataset: hourly ``pv_pu`` [MW/MWp], ``wind_pu`` [MW/MW],
        ``load`` [MW], optional ``import_price_per_mwh`` [money/MWh]. A horizon
        shorter than a year is allowed (energy costs scaled by 8760 / hours).
    onsite_share, clean_share : float, optional
        Targets [0-1]; default ``park.targets``.
    representative_days : int, optional
        Size on this many tsam typical days (quick screening), then re-simulate
        the full horizon and report the errors in ``screening``.

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
    crash-started: the problem is first sized on that many tsam typical days,
    the full LP is solved with its capacities held there (the dispatch only,
    targets relaxed), and the full LP then starts from that basis. The optimum
    is the full LP's own; only the simplex iterations to reach it fall (for
    the Ordos year: ``iterations`` against ``cold_iterations`` in
    benchmarks/results/sizing.json). ``solver.extra`` records the guess, the
    crash's seconds and iterations.
    """
    if representative_days is not None:
        from energysim.sizing.reduce import size_reduced

        return size_reduced(park, profiles, representative_days,
                            onsite_share=onsite_share, clean_share=clean_share)
    t0 = time.perf_counter()
    data = problem_data(park, profiles)
    m = build_model(park, data)
    onsite, clean = _set_targets(m, park, onsite_share, clean_share)
    solver = _solver_for(park, m)
    build_s = time.perf_counter() - t0
    crash = _crash_start(park, profiles, data, m, solver, (onsite, clean))
    status, solve_s = solver.solve()
    if status == "infeasible":
        raise diagnose.infeasible_target_error(solver, park, onsite, clean)
    solve_s += crash.get("warm_start_s", 0.0)  # the whole way to the optimum
    return _result(park, profiles, m, solver, build_s, solve_s, crash)


def _crash_start(park: ParkConfig, profiles: xr.Dataset, data, m, solver: PersistentSolve,
                 targets: tuple[float, float]) -> dict:
    """Start a long LP from a typical-days optimum; what was done, for ``SolverInfo.extra``.

    The full LP is still solved to optimality from there: only the path to the
    optimum changes. Cold-solved instead for integer turbines (branch and bound
    does not restart from an LP basis), sub-hourly steps, ``[solver]
    warm_start_days = 0`` and horizons shorter than twice that many days.
    """
    from energysim.sizing.reduce import capacity_guess

    days = park.solver.warm_start_days
    whole_days = data.hours // 24
    if (days < 2 or whole_days < 2 * days or data.dt_h != 1.0
            or getattr(m, "n_turbines", None) is not None):
        return {"warm_start_days": 0}
    t0 = time.perf_counter()
    guess = capacity_guess(park, data, profiles, days, targets)
    if guess is None:  # the typical days miss the target: nothing to start from
        return {"warm_start_days": 0}
    P = data.scaling.power_mw
    held = [(m.cap_pv, guess.pv_mw / P), (m.cap_wind, guess.wind_mw / P),
            (m.cap_energy, guess.battery_mwh / P), (m.cap_power, guess.battery_mw / P)]
    # targets off while capacities are held, so the guess cannot make the crash infeasible
    _, crash_iterations = solver.crash(held, [(m.onsite_target, 0.0), (m.clean_target, 0.0)])
    return {"warm_start_days": days, "warm_start_s": time.perf_counter() - t0,
            "crash_iterations": crash_iterations, "guess": guess.model_dump()}


def _mismatch_hint(park: ParkConfig, m) -> str:
    """What a known LP/core mismatch means, or ``""``.

    With an hourly-matched green contract and a binding clean-share target, the
    perfect-foresight LP saves stored on-site energy for hours the green block
    cannot cover and lets the block serve the others; the rule-based core
    (issue 4: deficit -> battery -> imports) discharges first, reaching a higher
    on-site but a lower clean share than the LP planned. Both are right by
    their own rules; the core is the reported truth, so the sized capacities do
    not reach the clean target under it.
    """
    slack = (1.0 - pyo.value(m.clean_target)) * m.total_load - pyo.value(m.not_clean)
    if park.grid.green_matching == "hourly" and slack <= 1e-6 * m.total_load:
        return ("; here the clean-share target binds under an hourly-matched green contract, "
                "which the LP meets by timing the battery around the green block while the "
                "rule-based core discharges first. Try green_matching = \"annual\", a lower "
                "clean_share, or no battery; sizing.dispatch_lp gives the LP's own dispatch")
    return ""


def _result(park, profiles, m, solver, build_s, solve_s, extra=None) -> SizingResult:
    caps = capacities_of(m)
    lp_flows = flows_of(m, profiles)
    price = _price(profiles, park)
    terms = objective_terms(park, lp_flows, price, caps)
    cost = pyo.value(m.cost) * m.scaling.money
    flows = _resimulate(profiles, caps, park)
    lp_share = onsite_share(lp_flows)
    sim_share = onsite_share(flows)
    flat = bool(np.ptp(price) == 0)
    if flat and abs(lp_share - sim_share) > SHARE_TOLERANCE:
        raise SolverError(problem(
            f"LP on-site share {lp_share:.9f} and re-simulated {sim_share:.9f} differ by more than "
            f"{SHARE_TOLERANCE:g}: the LP and the dispatch core disagree on the rules"
            + _mismatch_hint(park, m),
            field="sizing.onsite_share", value=lp_share - sim_share))
    info = SolverInfo(status="optimal", build_s=build_s, solve_s=solve_s,
                      highs_version=solver.version, objective=cost,
                      extra={**(extra or {}), "iterations": solver.iterations})
    return SizingResult(capacities=caps, annualized_cost=cost, objective_terms=terms,
                        lp_onsite_share=lp_share, sim_onsite_share=sim_share,
                        flows=flows,
                        solver=info, lp_flows=lp_flows)


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
    data = problem_data(park, profiles)
    m = build_model(park, data)
    first = _set_targets(m, park, shares[0] if len(shares) else None, None)
    solver = _solver_for(park, m)
    if len(shares):
        _crash_start(park, profiles, data, m, solver, first)
    load_mwh_yr = float(data.load.sum()) * data.dt_h * 8760.0 / (data.hours * data.dt_h)
    rows = []
    for share in shares:
        onsite, clean = _set_targets(m, park, float(share), None)
        status, seconds = solver.solve(what=f"frontier point {share:g}")
        if status == "infeasible":
            raise diagnose.infeasible_target_error(solver, park, onsite, clean)
        caps = capacities_of(m)
        cost = pyo.value(m.cost) * m.scaling.money
        unmet = float(pyo.value(pyo.quicksum(m.unmet.values()))) * m.scaling.power_mw
        served = load_mwh_yr - unmet * data.dt_h * 8760.0 / (data.hours * data.dt_h)
        integer = getattr(m, "n_turbines", None) is not None
        # RHS = (1 - share) * L: d cost / d share = -dual * L (in money units)
        marginal = np.nan if integer else -solver.dual(m.onsite) * m.total_load * m.scaling.money
        rows.append({
            "share": float(share), "pv_mw": caps.pv_mw, "wind_mw": caps.wind_mw,
            "battery_mwh": caps.battery_mwh, "battery_mw": caps.battery_mw,
            "annualized_cost": cost, "lcoe_per_mwh": cost / served,
            "marginal_cost_of_share": marginal,
            "onsite_share_reached": 1.0 - pyo.value(m.grid_served) / m.total_load,
            "solve_s": seconds,
            "is_target": abs(float(share) - park.targets.onsite_share) < 1e-9,
        })
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
    data = problem_data(park, profiles)
    m = build_model(park, data, integer_turbines=False)
    P = data.scaling.power_mw
    for var, value in ((m.cap_pv, capacities.pv_mw), (m.cap_wind, capacities.wind_mw),
                       (m.cap_energy, capacities.battery_mwh), (m.cap_power, capacities.battery_mw)):
        var.setlb(None)
        var.setub(None)
        var.fix(value / P)
    for row in (m.onsite, m.clean, getattr(m, "land_pv", None), getattr(m, "land_wind", None)):
        if row is not None and hasattr(row, "deactivate"):
            row.deactivate()
    solver = _solver_for(park, m)
    status, _ = solver.solve(what="LP dispatch")
    if status == "infeasible":
        raise SolverError(problem("LP dispatch infeasible at fixed capacities (green volume row?)",
                                  field="capacities", value=capacities.model_dump()))
    return flows_of(m, profiles)
