r"""Robust sizing over weather years: shared capacities, per-year operation, certified.

The problem (:func:`size_robust`): choose capacities :math:`C` (PV, wind,
battery energy and power) minimising their annualised cost plus the **mean**
annual energy cost over N weather years, each year operated on its own
(battery cyclic within the year), with the on-site (and clean) share target
holding as ``robustness`` says (:mod:`energysim.sizing.targets`: in every year,
on the mean of the annual shares, or for the CVaR of the worst :math:`\alpha`
fraction of years, which implies the :math:`1-\alpha` quantile, e.g. P90).

Two exact methods give the same optimum:

- ``monolithic`` — one LP with all years (:func:`energysim.sizing.model.build_model`
  on a list of horizons). Simplex time grows about with the square of the
  horizon, so it serves small instances and cross-checks.
- ``decomposition`` (default from two full years on) — a proximal bundle
  (Benders) method over the years (:mod:`energysim.sizing.decomposition`),
  stopping at a relative optimality gap (default 1e-7, reported).

The answer is certified, not assumed: every weather year is re-simulated
through the dispatch core at the sized capacities and the robustness rule is
checked on the simulated shares (to 1e-6); a shortfall is a
:class:`~energysim.errors.SolverError`, never a footnote.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from energysim.accounting import energy_cost
from energysim.config import Capacities, ParkConfig
from energysim.decisions import capacities_from, decisions
from energysim.dispatch.inputs import common_scaling, problem_data, with_scaling
from energysim.errors import ConfigError, SolverError, problem
from energysim.sizing.decomposition import GAP, decompose
from energysim.sizing.model import SizingModel, build_model
from energysim.sizing.outputs import flows_of, lp_share
from energysim.sizing.solve import SolverInfo, Status, make_solver, set_targets, solve
from energysim.sizing.targets import KINDS, ROBUSTNESS, target_kinds

__all__ = ["size_robust", "certify", "robust_rule_holds", "METHODS"]

#: Methods of :func:`size_robust`.
METHODS = ("auto", "monolithic", "decomposition")
#: Simulated shares must meet the robustness rule to this (absolute).
CERTIFY_TOLERANCE = 1e-6


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _years(profiles) -> tuple[list, list[xr.Dataset]]:
    if isinstance(profiles, Mapping):
        return list(profiles), list(profiles.values())
    profiles = list(profiles)
    return list(range(len(profiles))), profiles


def _settings(park: ParkConfig, robustness, cvar_alpha) -> tuple[str, float]:
    s = park.sizing
    mode = robustness or s.robustness
    alpha = s.cvar_alpha if cvar_alpha is None else cvar_alpha
    if mode not in ROBUSTNESS:
        raise ConfigError(problem(f"must be one of {', '.join(ROBUSTNESS)}", source=park.source,
                                  field="sizing.robustness", value=mode))
    if not 0.0 < alpha <= 1.0:
        raise ConfigError(problem("must lie in (0, 1]", source=park.source,
                                  field="sizing.cvar_alpha", value=alpha))
    return mode, float(alpha)


# ---------------------------------------------------------------------------
# certification (the reported truth: the dispatch core, year by year)
# ---------------------------------------------------------------------------


def robust_rule_holds(shares: np.ndarray, target: float, mode: str, alpha: float,
                      tol: float = CERTIFY_TOLERANCE) -> tuple[bool, float]:
    """Does the robustness rule hold for annual shares? (holds, the rule's share value)."""
    shares = np.asarray(shares, dtype=float)
    if mode == "every_year" or shares.size == 1:
        value = float(shares.min())
    elif mode == "expected":
        value = float(shares.mean())
    else:  # the mean share of the worst alpha fraction (fractional last year, as the LP)
        value = 1.0 - _cvar(1.0 - shares, alpha)
    return bool(value >= target - tol), value


def _cvar(losses: np.ndarray, alpha: float) -> float:
    """CVaR of equally likely losses at level alpha: the mean of the worst alpha tail."""
    n = losses.size
    worst = np.sort(losses)[::-1]
    k = alpha * n
    whole = int(np.floor(k + 1e-12))
    tail = worst[:whole].sum() + (k - whole) * (worst[whole] if whole < n else 0.0)
    return float(tail / k)


#: KPIs of the per-year certification table.
_YEAR_COLUMNS = ("onsite_share", "clean_share", "import_green_mwh", "import_regular_mwh",
                 "curtailment_share", "annualized_cost", "cfe_hourly_score", "co2_per_tce")

#: Per-year KPI of each target kind and whether it is a share (a ceiling otherwise).
_YEAR_KPI = {"onsite": "onsite_share", "clean": "clean_share", "cfe": "cfe_hourly_score",
             "co2": "co2_per_tce"}


def year_kpis(park: ParkConfig, caps: Capacities, profiles: xr.Dataset) -> dict:
    """KPIs of one weather year at ``caps``, operated in the park's dispatch mode.

    What ``energysim.simulate`` reports.
    """
    from energysim.profiles import complete
    from energysim.results import Result
    from energysim.sizing.modes import operate

    profiles = complete(profiles, park)
    return Result.from_flows(park, caps, profiles, operate(park, profiles, caps)).kpis


def year_row(year, k: dict) -> dict:
    """One weather year's row of the certification table, from its KPIs."""
    return {"year": year, **{key: k[key] for key in _YEAR_COLUMNS}, "energy_cost": energy_cost(k)}


def certify(park: ParkConfig, profiles: list[xr.Dataset], years: list, caps: Capacities,
            targets: tuple[float, float], mode: str, alpha: float, flows=None
            ) -> tuple[pd.DataFrame, dict]:
    """Re-simulate every year at ``caps``; per-year KPIs and the robustness verdicts.

    ``flows`` (one Flows Dataset per year) replaces the re-simulation: the LP's
    own per-year dispatch, replayed (:mod:`energysim.sizing.replay`). The hourly
    CFE and CO2 targets of ``park.targets`` are certified too. With flexible
    demand every year's optimal dispatch under the rule
    (:func:`energysim.sizing.flexible.certify`).
    """
    from energysim import flexible as flex_model
    from energysim.profiles import complete
    from energysim.results import Result

    if flex_model.active(park):
        from energysim.sizing.flexible import certify as certify_flexible

        return certify_flexible(park, profiles, years, caps, targets, mode, alpha)[:2]
    rows = []
    for k, (year, prof) in enumerate(zip(years, profiles, strict=True)):
        if flows is None:
            kp = year_kpis(park, caps, prof)
        else:
            kp = Result.from_flows(park, caps, complete(prof, park), flows[k]).kpis
        rows.append(year_row(year, kp))
    table = pd.DataFrame(rows)
    values = {"onsite": targets[0], "clean": targets[1], "cfe": park.targets.cfe_score,
              "co2": park.targets.max_co2_per_tce}
    verdict = {}
    for kind in target_kinds(park):
        kpi = table[_YEAR_KPI[kind]].to_numpy()
        share = KINDS[kind][1]
        target = values[kind]
        assert target is not None, "target_kinds lists only the targets the park sets"
        # a ceiling I <= theta is the share 1 - I >= 1 - theta under the same rules
        ok, value = robust_rule_holds(kpi if share else 1.0 - kpi,
                                      target if share else 1.0 - target, mode, alpha)
        verdict[kind] = {"target": target, "value": value if share else 1.0 - value, "holds": ok}
    return table, verdict


def _timing_replay(park: ParkConfig) -> bool:
    """Whether the LP's battery timing could be the reported dispatch.

    See :mod:`energysim.sizing.replay`.
    """
    from energysim.procurement import products

    bat = park.battery
    if max(bat.max_mwh, bat.existing_mwh, bat.min_mwh) <= 0 or bat.dispatch not in (
            None, "optimal"):  # a forced mode is certified as the park asked to operate
        return False
    hourly = any(p.green and p.hourly for p in products(park))
    return park.targets.cfe_score is not None or (hourly and bool(park.targets.clean_share))


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------


def size_robust(park: ParkConfig, profiles, *, onsite_share: float | None = None,
                clean_share: float | None = None, robustness: str | None = None,
                cvar_alpha: float | None = None, method: str = "auto", gap: float = GAP,
                max_iter: int = 300, workers: int | None = None):
    """Least-cost capacities meeting the targets over weather years (module docstring).

    Parameters
    ----------
    park : ParkConfig
    profiles : mapping of year -> xarray.Dataset, or sequence of Datasets
        One Profiles Dataset per weather year.
    onsite_share, clean_share : float, optional
        Targets [0-1]; default ``park.targets``.
    robustness : {"every_year", "cvar", "expected"}, optional
        Default ``park.sizing.robustness``.
    cvar_alpha : float, optional
        Default ``park.sizing.cvar_alpha``.
    method : {"auto", "monolithic", "decomposition"}
    gap : float
        Relative optimality gap at which the decomposition stops.
    workers : int, optional
        Threads solving years in parallel (default: the CPU count).

    Returns
    -------
    energysim.sizing.SizingResult
        ``annualized_cost`` the optimum (asset cost + mean energy cost),
        ``flows`` the re-simulated flows of the binding (lowest-share) year,
        ``robust`` the per-year certification (``years`` table, verdicts,
        method and decomposition statistics).
    """
    from energysim.sizing import SizingResult, build_sized

    if method not in METHODS:
        raise ConfigError(problem(f"must be one of {', '.join(METHODS)}", field="method",
                                  value=method))
    mode, alpha = _settings(park, robustness, cvar_alpha)
    years, profs = _years(profiles)
    if not profs:
        raise ConfigError(problem("no weather years to size on", source=park.source,
                                  field="sizing.weather_years"))
    t0 = time.perf_counter()
    datas = [problem_data(park, p) for p in profs]
    datas = with_scaling(datas, common_scaling(datas))
    t_on = park.targets.onsite_share if onsite_share is None else onsite_share
    t_cl = park.targets.clean_share if clean_share is None else clean_share
    targets = (float(t_on), 0.0 if t_cl is None else float(t_cl))
    # the decomposition prices only the on-site and clean targets; hourly CFE, CO2 and a
    # replayed battery timing are sized (and certified) in one LP over the years
    one_lp = len(target_kinds(park)) > 2 or _timing_replay(park)
    if one_lp and method == "decomposition":
        raise ConfigError(problem(
            "the decomposition over weather years handles on-site and clean targets only; "
            "hourly CFE, CO2 and hourly-matched contracts with a battery need method "
            "\"monolithic\" (the default picks it)", source=park.source, field="method",
            value=method))
    use_dec = not one_lp and (method == "decomposition" or (
        method == "auto" and len(datas) > 1 and sum(d.hours for d in datas) >= 2 * 8760))
    lp = None
    if use_dec:
        caps, info, x_ref = _by_decomposition(park, datas, profs, targets, mode, alpha, gap,
                                              max_iter, workers or os.cpu_count() or 1, t0)
    else:
        caps, info, x_ref, lp = _monolithic(park, datas, targets, mode, alpha, t0)
    replayed = None
    if lp is not None and _timing_replay(park) and caps.battery_mwh > 0:
        sm_all, x_all = lp
        replayed = [flows_of(sm_all, x_all, op, prof) for op, prof in zip(sm_all.ops, profs,
                                                                           strict=True)]
    table, verdict = certify(park, profs, years, caps, targets, mode, alpha, replayed)
    for kind, v in verdict.items():
        if not v["holds"]:
            raise SolverError(problem(
                f"certification failed: the re-simulated {kind} value is {v['value']:.6f} by "
                f"the '{mode}' rule, short of the target {v['target']:.6f}; the LP and the "
                "dispatch core disagree (time-varying prices?)",
                field=f"targets.{KINDS[kind][0]}", value=v["value"]))
    worst = int(np.argmin(table["onsite_share"].to_numpy()))
    if lp is not None:  # the binding year's own flows in the LP over the years
        base = build_sized(lp[0], lp[1], profs[worst], info, op_index=worst,
                           certify=mode == "every_year")
    else:
        single = build_model(park, datas[worst], integer_turbines=False)
        x = _point(single, caps, targets if mode == "every_year" else None)
        base = build_sized(single, x, profs[worst], info, certify=mode == "every_year")
    robust = {
        "robustness": mode, "cvar_alpha": alpha, "method": info.extra["method"],
        "years": table.to_dict(orient="records"), "certified": verdict,
        "binding_year": years[worst], "onsite_share_p50": float(np.percentile(
            table["onsite_share"], 50)),
        "onsite_share_p90": float(np.percentile(table["onsite_share"], 10)),
        "lp_onsite_shares": x_ref,
    }
    return SizingResult(capacities=caps, annualized_cost=info.objective,
                        objective_terms=base.objective_terms, lp_onsite_share=base.lp_onsite_share,
                        sim_onsite_share=base.sim_onsite_share, flows=base.flows, solver=info,
                        lp_flows=base.lp_flows, robust=robust)


def _point(sm: SizingModel, caps: Capacities, targets=None) -> np.ndarray:
    """A column vector of ``sm`` with its capacities set and its dispatch solved (LP flows).

    With ``targets`` (on-site, clean) the year's dispatch meets them where it can.
    """
    from energysim.sizing import fix_capacities

    solver = make_solver(sm)
    fix_capacities(sm, solver, caps)
    if targets is not None:
        set_targets(sm, solver, *targets)
        if solve(solver, "dispatch of the binding year") == Status.OPTIMAL:
            return solver.x
        fix_capacities(sm, solver, caps)
    solve(solver, "dispatch of the binding year")
    return solver.x


def _monolithic(park, datas, targets, mode, alpha, t0):
    from energysim.sizing import diagnose

    sm = build_model(park, datas, robustness=mode, cvar_alpha=alpha)
    solver = make_solver(sm)
    set_targets(sm, solver, *targets)
    build_s = time.perf_counter() - t0
    if solve(solver, f"robust sizing ({mode}, {len(datas)} years)") == Status.INFEASIBLE:
        raise diagnose.infeasible_target_error(sm, solver, *targets)
    x = solver.x
    if _timing_replay(park):  # its per-year dispatch may be the reported one: no dumping
        from energysim.sizing.replay import polish

        x = polish(sm, solver, x)
    info = SolverInfo(status="optimal", build_s=build_s, solve_s=solver.solve_s,
                      highs_version=solver.version, objective=sm.money(sm.cost, x),
                      extra={"method": "monolithic", "years": len(datas),
                             "iterations": solver.iterations, "load_s": solver.load_s})
    shares = [lp_share(op, x) for op in sm.ops]
    return sm.capacities(x), info, shares, (sm, x)


def _by_decomposition(park, datas, profs, targets, mode, alpha, gap, max_iter, workers, t0):
    from energysim.sizing.reduce import capacity_guess

    t1 = time.perf_counter()
    days = max(4, int(round(park.solver.warm_start_days * 2 / max(1, len(datas)))))
    guess = _feasible_guess(park, datas, profs, days, targets, mode, alpha, capacity_guess)
    guess_s = time.perf_counter() - t1
    dec = decompose(park, datas, targets, mode, alpha, guess, gap, max_iter, workers)
    dec.stats.guess_s = guess_s
    value, caps_x, rho, _ = dec.best
    decs = decisions(park)
    caps = capacities_from(decs, [max(0.0, float(caps_x[i]) * d.scale * dec.P)
                                  for i, d in enumerate(decs.values())])
    st = dec.stats
    info = SolverInfo(status="optimal", build_s=0.0, solve_s=time.perf_counter() - t0,
                      highs_version=dec.master.solver.version,
                      objective=value * datas[0].scaling.money, solves=st.sub_solves,
                      extra={"method": "decomposition", "years": len(datas),
                             "iterations": st.iterations, "gap": st.gap,
                             "lower": st.lower * datas[0].scaling.money,
                             "penalty_raises": st.penalty_raises, "sub_solves": st.sub_solves,
                             "sub_s": st.sub_s, "master_s": st.master_s, "guess_s": st.guess_s,
                             "typical_days_per_year": days})
    return caps, info, (1.0 - rho[:, 0]).tolist()


def _feasible_guess(park, datas, profs, days, targets, mode, alpha, capacity_guess) -> Capacities:
    """Start of the decomposition: typical-days optimum over all years, else the upper bounds."""
    guess = None
    if all(d.dt_h == 1.0 and d.hours // 24 >= 2 * days for d in datas):
        guess = capacity_guess(park, list(datas), list(profs), days, targets, mode, alpha)
    if guess is None:  # start from the configured kit (the trust region finds its way)
        guess = park.capacities()
    return guess
