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
from energysim.dispatch import mode_for, needs_optimal
from energysim.errors import SolverError, problem
from energysim.lp import Solver
from energysim.profiles import complete
from energysim.sizing import diagnose
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

__all__ = ["SizingResult", "ModelCache", "size", "frontier", "size_and_frontier",
           "dispatch_lp", "SHARE_TOLERANCE", "build_sized", "with_targets"]

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
    #: dispatch mode of the re-simulation, and its energy-cost gap to the LP's own dispatch
    #: (fraction of the annualised cost; 0 for the optimal mode, >= 0 for rules or rolling)
    dispatch_mode: str = "rules"
    dispatch_gap: float = 0.0
    #: the park as sized when sizing decides more than capacities (the shift window of
    #: ``[load.flexible] window_options_h``); simulate the result with it. None: the input park
    park: ParkConfig | None = None
    #: the shift-window decision (:func:`energysim.sizing.flexible.size_window`), or None
    shift_window: dict | None = None


def objective_terms(sm: SizingModel, op, lp_flows: xr.Dataset, profiles: xr.Dataset,
                    capacities: Capacities) -> dict[str, float]:
    """The LP objective's terms [money/yr] from the accounting of the LP's own flows."""
    return _cost_terms(sm.park, lp_flows, profiles, capacities, op.unmet_penalty_per_mwh)


def _cost_terms(park: ParkConfig, flows: xr.Dataset, profiles: xr.Dataset,
                capacities: Capacities, penalty: float) -> dict[str, float]:
    """:func:`energysim.accounting.cost_terms` of hourly flows (products, tariff included)."""
    from energysim.accounting import cost_terms, procurement_totals, totals_of

    profiles = complete(profiles, park)
    totals = totals_of(flows, profiles, park)
    procured = procurement_totals(flows, profiles, park, capacities, totals)
    return cost_terms(totals, park, capacities, unmet_penalty_per_mwh=penalty, procured=procured)


def with_targets(park: ParkConfig, *, onsite_share: float | None = None,
                 clean_share: float | None = None, cfe_score: float | None = None,
                 max_co2_per_tce: float | None = None) -> ParkConfig:
    """``park`` with its targets set (None keeps the config's).

    The sizing, its re-simulation and its certification then hold the same targets.
    """
    values = {f"targets.{k}": v for k, v in (
        ("onsite_share", onsite_share), ("clean_share", clean_share), ("cfe_score", cfe_score),
        ("max_co2_per_tce", max_co2_per_tce)) if v is not None}
    return park.with_values(values) if values else park


def _checked(park: ParkConfig, onsite_share: float | None, clean_share: float | None,
             cfe_score, max_co2_per_tce) -> ParkConfig:
    """The park with its targets set, after the check that products can count toward them."""
    from energysim.sizing.procurement import check_targets

    park = with_targets(park, onsite_share=onsite_share, clean_share=clean_share,
                        cfe_score=cfe_score, max_co2_per_tce=max_co2_per_tce)
    check_targets(park)
    return park


@dataclass
class ModelCache:
    """One sizing program held in HiGHS across calls of :func:`size` (a sweep's worker).

    A call whose program has the same matrix (same profiles, battery and grid
    rules: only costs, capacity bounds or targets differ) reloads the vectors
    and re-solves from the last optimum; any other program replaces the held one.
    """

    solver: Solver | None = None
    built: int = 0
    reused: int = 0

    def solver_for(self, sm: SizingModel):
        """(solver, reused): the held instance reloaded with ``sm``, or a new one."""
        if self.solver is not None and self.solver.reload(sm.lp):
            self.reused += 1
            return self.solver, True
        self.solver = make_solver(sm)
        self.built += 1
        return self.solver, False


def size(park: ParkConfig, profiles, *, onsite_share: float | None = None,
         clean_share: float | None = None, representative_days: int | None = None,
         robustness: str | None = None, cvar_alpha: float | None = None,
         method: str = "auto", gap: float | None = None, cfe_score: float | None = None,
         max_co2_per_tce: float | None = None, cache: ModelCache | None = None) -> SizingResult:
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
    cfe_score : float, optional
        Hourly-matched CFE score target [0-1] (default ``park.targets.cfe_score``).
    max_co2_per_tce : float, optional
        Ceiling of the core zero-carbon indicator [tCO2/tce], market-based
        (default ``park.targets.max_co2_per_tce``).
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
    cache : ModelCache, optional
        Keep the program in HiGHS across calls: a next call with the same
        structure only changes costs, bounds and targets and starts from this
        call's optimum (one horizon only).

    Returns
    -------
    SizingResult

    Raises
    ------
    ConfigError
        A clean or CFE target above the on-site target that no listed
        ``[[procurement]]`` product counts toward.
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
    park = _checked(park, onsite_share, clean_share, cfe_score, max_co2_per_tce)
    if flex_model.window_options(park):
        from energysim.sizing.flexible import size_window

        return size_window(park, lambda option: size(
            option, profiles, onsite_share=onsite_share, clean_share=clean_share,
            representative_days=representative_days, robustness=robustness,
            cvar_alpha=cvar_alpha, method=method, gap=gap))
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
    solver, reused = cache.solver_for(sm) if cache is not None else (make_solver(sm), False)
    onsite, clean = set_targets(sm, solver, onsite_share, clean_share)
    build_s = time.perf_counter() - t0
    extra = ({"warm_start_days": 0, "reused_model": True} if reused
             else _crash_start(sm, solver, profiles, (onsite, clean)))
    if solve(solver) == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
    solve_s = solver.solve_s + extra.get("warm_start_s", 0.0)  # the whole way to the optimum
    info = _info(sm, solver, build_s, solve_s, extra)
    return build_sized(sm, _polished(sm, solver, profiles), profiles, info)


def _polished(sm: SizingModel, solver, profiles: xr.Dataset) -> np.ndarray:
    """The solution, polished when its LP dispatch is the one reported (:func:`_replayed`)."""
    from energysim.sizing.replay import polish

    x = solver.x
    if _replayed(sm, x, complete(profiles, sm.park))[0] is None:
        return x
    return polish(sm, solver, x)


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
    rows = np.concatenate([t.rows for t in sm.targets.values()])
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


_ENERGY_TERMS = ("imports", "green_premium", "export_revenue", "capacity_charge", "unmet_penalty")


def build_sized(sm: SizingModel, x: np.ndarray, profiles: xr.Dataset, info: SolverInfo,
                op_index: int = 0, certify: bool = True) -> SizingResult:
    """A :class:`SizingResult` from a solution: LP flows, re-simulation, the agreement check.

    The capacities are operated in the dispatch mode of the park
    (:func:`energysim.dispatch.mode_for`). Which dispatch is reported
    (:func:`_replayed`):

    - the **LP's own dispatch, replayed** through the accounting after the
      checks that it is a physical operation (:mod:`energysim.sizing.replay`),
      where the mode is ``optimal`` (time-of-use prices, valued exports, demand
      charges, hourly matching with a battery, an hourly CFE target) or the
      choice among ``[[procurement]]`` products is the LP's; it is then
      certified by the optimal dispatch solved again at the sized capacities,
      whose energy cost must equal the LP's to :data:`SHARE_TOLERANCE` of the
      annualised cost (``certify``: the horizon holds its own targets, i.e. not
      one year of a pooled robust rule, which :mod:`~energysim.sizing.robust` certifies);
    - else the **re-simulation** in the park's mode: the rule-based core, whose
      on-site share must equal the LP's to :data:`SHARE_TOLERANCE` where the
      rules are least-cost, or a mode forced by ``[battery] dispatch``, reported
      with its energy-cost gap to the LP's dispatch (``dispatch_gap``).

    ``solver.extra["dispatch"]`` says which; ``solver.extra["lp_values"]`` has the
    LP's value of every target kind.
    """
    from energysim.sizing.modes import operate
    from energysim.sizing.replay import check_operation

    op, park = sm.ops[op_index], sm.park
    caps = sm.capacities(x)
    prof = complete(profiles, park)
    lp_flows = flows_of(sm, x, op, prof)
    terms = objective_terms(sm, op, lp_flows, prof, caps)
    mode = mode_for(park, prof, caps)
    why, timing = _replayed(sm, x, prof, op_index)
    cost = sm.money(sm.cost, x)
    info.extra["lp_values"] = {kind: lp_share(op, x, kind) for kind in sm.targets}
    sim: xr.Dataset | None
    if why is None:
        flows = sim = operate(park, prof, caps, mode)
        info.extra["dispatch"] = {"rules": "rule-based core", "rolling": "rolling horizon",
                                  "optimal": "optimal dispatch"}[mode]
    else:
        check_operation(lp_flows, park, caps, prof)
        flows = lp_flows.assign_attrs(dispatch_mode=mode,
                                      source="energysim.sizing LP dispatch, replayed (checked)")
        info.extra["dispatch"] = f"LP dispatch replayed ({why})"
        sim = operate(park, prof, caps, mode) if mode == "optimal" and certify else (
            _core(park, prof, caps) if mode == "rules" else None)
    gap = _energy_gap(sm, op, flows, prof, caps, terms, cost)
    if sim is not None and sim is not flows:
        info.extra["resimulation_gap"] = _energy_gap(sm, op, sim, prof, caps, terms, cost)
    _check_agreement(sm, x, prof, mode, (lp_share(op, x), None if sim is None else share_of(sim)),
                     info.extra.get("resimulation_gap", gap), timing)
    return SizingResult(capacities=caps, annualized_cost=cost, objective_terms=terms,
                        lp_onsite_share=lp_share(op, x), sim_onsite_share=share_of(flows),
                        flows=flows, solver=info, lp_flows=lp_flows, dispatch_mode=mode,
                        dispatch_gap=gap)


def _core(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities) -> xr.Dataset:
    from energysim.sizing.modes import operate

    return operate(park, profiles, capacities, "rules")


def _energy_gap(sm, op, flows, profiles, caps, terms, cost) -> float:
    """Energy cost of ``flows`` less the LP's own, as a fraction of the annualised cost."""
    other = objective_terms(sm, op, flows, profiles, caps)
    return (sum(other[k] for k in _ENERGY_TERMS) - sum(terms[k] for k in _ENERGY_TERMS)) / cost


def _replayed(sm: SizingModel, x: np.ndarray, profiles: xr.Dataset, op_index: int = 0
              ) -> tuple[str | None, bool]:
    """Why the LP's own dispatch is the reported one (or None), and whether timing may differ.

    The second item says whether the LP's battery timing may differ from the rule-based core's,
    so their on-site shares need not agree.

    A mode forced by ``[battery] dispatch`` (other than ``optimal``) is always
    re-simulated: it is the operation the park asked for.
    """
    from energysim.sizing.replay import needs_lp_dispatch

    park = sm.park
    if park.battery.dispatch not in (None, "optimal"):
        return None, False
    clean = park.targets.clean_share if "clean" in sm.targets else None
    why, timing = needs_lp_dispatch(park, sm.capacities(x),
                                    _target_value(sm, x, clean, op_index))
    reasons = needs_optimal(park, profiles, sm.capacities(x))
    if reasons and why is None:
        why, timing = f"optimal dispatch: {', '.join(reasons)}", True
    return why, timing


def _check_agreement(sm: SizingModel, x, profiles, mode: str, shares, gap: float,
                     timing: bool) -> None:
    """The LP and its re-simulation must agree where the mode is exact (see build_sized)."""
    lp_s, sim_s = shares
    exact_rules = mode == "rules" and not timing and not needs_optimal(
        sm.park, profiles, sm.capacities(x))
    if exact_rules and sim_s is not None and abs(lp_s - sim_s) > SHARE_TOLERANCE:
        raise SolverError(problem(
            f"LP on-site share {lp_s:.9f} and re-simulated {sim_s:.9f} differ by more than "
            f"{SHARE_TOLERANCE:g}: the LP and the dispatch core disagree on the rules"
            + _mismatch_hint(sm, x), field="sizing.onsite_share", value=lp_s - sim_s))
    if mode == "optimal" and abs(gap) > SHARE_TOLERANCE:
        raise SolverError(problem(
            f"the optimal dispatch at the sized capacities costs {gap:+.2e} of the annualised "
            "cost more than the sizing LP's own dispatch: they should be the same LP",
            field="sizing.dispatch", value=gap))


def _target_value(sm: SizingModel, x: np.ndarray, clean: float | None, op_index: int = 0
                  ) -> float | None:
    """The clean target when the horizon's clean share is at it (None above it)."""
    if not clean:
        return None
    op = sm.ops[op_index]
    return clean if lp_share(op, x, "clean") <= clean + 1e-6 else None


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
    from energysim.sizing.modes import operate

    flows = operate(park, complete(profiles, park), caps)
    terms = _cost_terms(park, flows, profiles, caps, sm.ops[0].unmet_penalty_per_mwh)
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
        crash-started from typical days as in :func:`size`. The shift window is
        ``[load.flexible] window_h`` at every point (:func:`size_and_frontier`:
        the window sized, when it decides one).

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
    park = _checked(park, None, None, None, None)
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    return frontier_on(sm, solver, profiles, shares)


def size_and_frontier(park: ParkConfig, profiles: xr.Dataset, shares: Sequence[float], *,
                      onsite_share: float | None = None) -> tuple[SizingResult, pd.DataFrame]:
    """:func:`size` and :func:`frontier` on one model: built and loaded once, crash-started once.

    After the crash start (typical days, on a long horizon) the HiGHS instance
    is forked (:meth:`energysim.lp.Solver.fork`): one instance solves the
    target, reports it (:func:`build_sized`) and walks the frontier points
    above it; the other walks the points below the target from the crash
    basis, both at once on two cores. Each point re-solves from the last
    basis with only the target row's bound changed. Results equal those of
    the two calls made separately; the table's ``attrs["wall_s"]`` is the
    wall time the frontier adds to the sizing [s].
    """
    t0 = time.perf_counter()
    park = _checked(park, None, None, None, None)
    if flex_model.window_options(park):  # the window decided first, the frontier at it
        sized = size(park, profiles, onsite_share=onsite_share)
        return sized, frontier(sized.park or park, profiles, shares)
    sm = build_model(park, problem_data(park, profiles))
    solver = make_solver(sm)
    onsite, clean = set_targets(sm, solver, onsite_share, None)
    build_s = time.perf_counter() - t0
    extra = _crash_start(sm, solver, profiles, (onsite, clean))
    down, up = _paths(shares, onsite)
    other = _forked(solver) if down and _cores() > 1 else None

    def target_then_up() -> tuple[SizingResult, float, dict[int, dict]]:
        if solve(solver) == Status.INFEASIBLE:
            raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
        solve_s = solver.solve_s + extra.get("warm_start_s", 0.0)
        sized = build_sized(sm, _polished(sm, solver, profiles), profiles,
                            _info(sm, solver, build_s, solve_s, extra))
        sized_at = time.perf_counter()
        path = up if other is not None else up + down
        return sized, sized_at, _walk(sm, solver, profiles, shares, path, False)

    if other is None:
        (sized, sized_at, rows), below = target_then_up(), {}
    else:
        from energysim.lp import run_parallel

        (sized, sized_at, rows), below = run_parallel(
            [target_then_up, lambda: _walk(sm, other, profiles, shares, down, False)],
            [solver, other])
    table = pd.DataFrame([(rows | below)[k] for k in range(len(shares))])
    table.attrs["wall_s"] = time.perf_counter() - sized_at
    return sized, table


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _paths(shares: Sequence[float], start: float) -> tuple[list[int], list[int]]:
    """Frontier paths from the basis of share ``start``: (below it, downwards; the rest, upwards).

    The second starts with the basis' own point when ``shares`` holds it.
    """
    order = sorted(range(len(shares)), key=lambda k: shares[k])
    at = [k for k in order if abs(shares[k] - start) <= 1e-12]
    down = [k for k in reversed(order) if shares[k] < start and k not in at]
    return down, at + [k for k in order if shares[k] > start and k not in at]


def _forked(solver):
    """A fork of ``solver`` for a second frontier path (Devex pricing, see below)."""
    other = solver.fork()
    # a forked basis has no dual steepest-edge weights: computing them costs more than the
    # path (measured on the Ordos year: first point 6.5 s, with Devex 0.8 s)
    other.set_option("simplex_dual_edge_weight_strategy", 1)
    return other


def frontier_on(sm: SizingModel, solver, profiles: xr.Dataset, shares: Sequence[float],
                crash_first: bool = True) -> pd.DataFrame:
    """:func:`frontier` on a built model held by ``solver``.

    The points are solved upwards from the lowest share along small steps, each from the
    last basis (the first crash-started on a long horizon; :func:`size_and_frontier` walks
    from its target both ways at once). Rows come back in the order of ``shares``; the
    table's ``attrs["wall_s"]`` is the frontier's wall time [s].
    """
    t0 = time.perf_counter()
    order = sorted(range(len(shares)), key=lambda k: shares[k])
    rows = _walk(sm, solver, profiles, shares, order, crash_first)
    table = pd.DataFrame([rows[k] for k in range(len(shares))])
    table.attrs["wall_s"] = time.perf_counter() - t0
    return table


def _walk(sm: SizingModel, solver, profiles: xr.Dataset, shares: Sequence[float],
          path: Sequence[int], crash_first: bool) -> dict[int, dict]:
    """Solve the frontier points ``path`` (indices into ``shares``) in that order."""
    rows: dict[int, dict] = {}
    for k in path:
        onsite, clean = set_targets(sm, solver, float(shares[k]), None)
        if not rows and crash_first:
            _crash_start(sm, solver, profiles, (onsite, clean))
        rows[k] = _frontier_point(sm, solver, float(shares[k]), onsite, clean)
    return rows


def _frontier_point(sm: SizingModel, solver, share: float, onsite: float, clean: float) -> dict:
    """Solve one frontier point (targets already set) and read its row."""
    from energysim.timeaxis import annual_scale

    park, op = sm.park, sm.ops[0]
    data = op.data
    t0 = time.perf_counter()
    if solve(solver, f"frontier point {share:g}") == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, onsite, clean)
    x = solver.x
    caps = sm.capacities(x)
    cost = sm.money(sm.cost, x)
    unmet = 0.0 if op.flows["unmet"] is None else float(
        (x[op.flows["unmet"]] * data.hour_weight).sum()) * sm.scaling.power_mw * data.dt_h
    served = (op.total_load * sm.scaling.power_mw - unmet) * annual_scale(
        data.hours, data.dt_h, data.weight)
    row = sm.targets["onsite"].rows[0]
    # RHS = (1 - share) * L (flexible demand: (1 - share) * (L + V)):
    # d cost / d share = -dual * (L + V) (in money units)
    marginal = np.nan if sm.integer else (
        -solver.row_dual[row] * (op.total_load + op.variable_load.value(x)) * sm.scaling.money)
    return {
        "share": share, "pv_mw": caps.pv_mw, "wind_mw": caps.wind_mw,
        "battery_mwh": caps.battery_mwh, "battery_mw": caps.battery_mw,
        "annualized_cost": cost, "lcoe_per_mwh": cost / served,
        "marginal_cost_of_share": marginal, "onsite_share_reached": lp_share(op, x),
        "solve_s": time.perf_counter() - t0,
        "is_target": abs(share - park.targets.onsite_share) < 1e-9,
    } | ({"electrolyser_mw": caps.electrolyser_mw, "hydrogen_storage_kg": caps.hydrogen_storage_kg,
          "fuel_cell_mw": caps.fuel_cell_mw} if flex_model.hydrogen_active(park) else {})


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
    """Hold the capacity columns at ``capacities``; lift land and target rows (dispatch only).

    A product volume ``capacities`` does not decide stays free within its bounds.
    """
    values = sm.values_of(capacities, missing="nan")
    held = np.isfinite(values)
    solver.set_col_bounds(sm.cap_cols[held], values[held], values[held])
    free = [*sm.land_rows.values(), *(r for t in sm.targets.values() for r in t.rows)]
    if free:
        solver.set_row_bounds(np.array(free), -np.inf, np.inf)
