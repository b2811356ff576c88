"""Multi-period transition pathways (2025 -> 2030 -> 2035): one LP over all periods.

Public API
----------
- :func:`load_pathway` — read and validate a pathway TOML file
  (:mod:`energysim.pathways.config`).
- :func:`run_pathway` — least discounted cost builds per period, re-simulated
  period by period through the dispatch core; returns a :class:`PathwayResult`
  whose ``table`` has one row per period.
- :func:`compare` — several pathway results side by side.
- :func:`write_pathway`, :func:`write_comparison` — ``pathway.csv``,
  ``pathway.json``, ``comparison.csv`` (atomic writes).

The model (:mod:`energysim.pathways.model`) builds capacity per (technology,
period) with retirement at end of life and one hourly operation Block per
period, reusing :func:`energysim.sizing.model.add_operation`; costs are
annuities discounted year by year (see there). Each period runs on its full
profile, or on ``representative_days`` typical days
(:mod:`energysim.timeaggregation`); either way the reported KPIs come from
re-simulating every period's full year with :func:`energysim.simulate`.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim.accounting import energy_cost
from energysim.config import ParkConfig
from energysim.dispatch.inputs import ProblemData, problem_data, with_scaling
from energysim.errors import ConfigError, InfeasibleTargetError, SolverError, problem
from energysim.nomenclature import QUANTITIES
from energysim.pathways.config import (
    Pathway,
    PathwayConfig,
    PeriodConfig,
    load_pathway,
    pathway_from_dict,
)
from energysim.pathways.model import (
    PathwaySolution,
    build_pathway_model,
    common_scaling,
    discount_weights,
    set_period_targets,
    solution_of,
)
from energysim.sizing.reduce import reduced_problem
from energysim.sizing.solve import SolverInfo, Status, make_solver, solve
from energysim.timeaggregation import DAY_H

__all__ = [
    "Pathway",
    "PathwayConfig",
    "PeriodConfig",
    "PathwayResult",
    "load_pathway",
    "pathway_from_dict",
    "run_pathway",
    "compare",
    "write_pathway",
    "write_comparison",
    "COLUMNS",
    "COLUMN_UNITS",
    "SHARE_TOLERANCE",
]

#: LP and re-simulated on-site shares must agree to this (flat prices, full horizon).
SHARE_TOLERANCE = 1e-6
#: With typical days, a short period's LP target is raised by its shortfall plus this margin.
TARGET_MARGIN = 2e-5
#: Rounds of target correction with typical days.
MAX_CORRECTIONS = 12

#: Columns of ``pathway.csv`` (plus ``indicator_<key>_passed``); names, units and long names
#: in :data:`energysim.nomenclature.QUANTITIES`.
COLUMNS = (
    "year", "weight_yr", "discount_weight_yr", "load_mwh", "emission_factor_t_per_mwh",
    "pv_capex_per_kw", "wind_capex_per_kw", "battery_capex_per_kwh",
    "pv_added_mw", "pv_retired_mw", "pv_total_mw", "wind_added_mw", "wind_retired_mw",
    "wind_total_mw", "battery_added_mwh", "battery_retired_mwh", "battery_total_mwh",
    "battery_power_added_mw", "battery_power_retired_mw", "battery_power_total_mw",
    "onsite_share", "onsite_share_target", "onsite_met", "lp_onsite_share_target",
    "lp_onsite_share", "green_import_share", "regular_import_share", "clean_share",
    "clean_share_target", "clean_met", "curtailment_share", "unmet_share", "co2_t",
    "co2_per_tce", "indicators_passed", "asset_cost_per_yr", "energy_cost_per_yr",
    "annualized_cost_per_yr", "discounted_cost", "lp_discounted_cost",
)
_UNIT_FALLBACK = {"co2_t": "t yr-1", "co2_per_tce": "tCO2 tce-1"}
#: Unit of each column ("1" = fraction 0-1, "money" = the config's currency).
COLUMN_UNITS: dict[str, str] = {
    c: QUANTITIES[c].unit if c in QUANTITIES else _UNIT_FALLBACK[c] for c in COLUMNS}
_TECH_COLUMNS = {"pv_mw": "pv", "wind_mw": "wind", "battery_mwh": "battery",
                 "battery_mw": "battery_power"}
_TECH_UNIT = {"pv_mw": "mw", "wind_mw": "mw", "battery_mwh": "mwh", "battery_mw": "mw"}


@dataclass
class PathwayResult:
    """Outcome of :func:`run_pathway`.

    ``table``: one row per period (columns :data:`COLUMN_UNITS`, plus
    ``indicator_<key>_passed``); ``results``: the re-simulated
    :class:`energysim.results.Result` of each period; ``solution``: the LP's
    builds and costs; ``screening``: with representative days, the LP's minus
    the simulation's on-site share per period.
    """

    pathway: Pathway
    table: pd.DataFrame
    solution: PathwaySolution
    results: list
    solver: SolverInfo
    representative_days: int | None
    timings_s: dict[str, float] = field(default_factory=dict)
    screening: dict[str, float] = field(default_factory=dict)
    representative_period_h: int | None = None

    @property
    def name(self) -> str:
        """The pathway's display name."""
        return self.pathway.name

    @property
    def total_discounted_cost(self) -> float:
        """Present value of all periods' costs [money of the base year] (simulated energy)."""
        return float(self.table["discounted_cost"].sum())


def _profiles_for(parks: tuple[ParkConfig, ...]) -> list[xr.Dataset]:
    """Profiles of each period's park; identical parks share one build."""
    from energysim.profiles import build_profiles

    cache: dict[str, xr.Dataset] = {}
    out = []
    for park in parks:
        key = park.model_dump_json()
        if key not in cache:
            cache[key] = build_profiles(park)
        out.append(cache[key])
    return out


def _reduced(data: ProblemData, profiles: xr.Dataset, days: int | None,
             period_h: int = DAY_H) -> ProblemData:
    """The period's data on ``days`` typical periods of ``period_h`` hours, or unchanged."""
    reduced = reduced_problem(data, profiles, days, period_h)
    return data if reduced is None else reduced[0]


def _period_targets(pathway: Pathway, p: int) -> tuple[float, float]:
    park = pathway.parks[p]
    clean = park.targets.clean_share
    return park.targets.onsite_share, 0.0 if clean is None else clean


def _infeasible(pathway: Pathway, pm, solver) -> InfeasibleTargetError:
    """Name the first period whose targets alone cannot be met (its rows only, same model)."""
    n = len(pathway.parks)
    culprit = None
    for p in range(n):
        for q in range(n):
            set_period_targets(pm, solver, q, *(_period_targets(pathway, q) if q == p
                                                else (0.0, 0.0)))
        if solve(solver, f"pathway diagnosis ({pathway.years[p]})") == Status.INFEASIBLE:
            culprit = p
            break
    for q in range(n):
        set_period_targets(pm, solver, q, *_period_targets(pathway, q))
    where = "this period's targets alone" if culprit is not None else "the targets together"
    p = 0 if culprit is None else culprit
    onsite, clean = _period_targets(pathway, p)
    return InfeasibleTargetError(problem(
        f"{where} (on-site {onsite:g}, clean {clean:g}) cannot be met within "
        "the capacity bounds (max_mw, land, green volume, import limit); run `energysim size` on "
        "that period's config to find the highest reachable share and the binding bound",
        source=pathway.source,
        field=f"period[{p + 1}] ({pathway.years[p]}) targets" if culprit is not None else "period"))


#: Targets corrected with typical days: (target field, LP target kind, LP shares in the solution).
_TARGETS = (("onsite_share", "onsite", "lp_onsite_share"),
            ("clean_share", "clean", "lp_clean_share"))


def _meet_targets(pathway: Pathway, pm, solver, sol, results, resimulate, lp_targets):
    """Raise the typical-day LP's share targets until the full-year simulations meet them.

    Typical days (each with its own cyclic battery) misjudge the full year by a
    few percent. Each round sets a short period's LP target (on-site or clean)
    to the LP's own share in that period plus the shortfall divided by the
    observed sensitivity of the simulated share to the LP share (a secant step,
    1 in the first round, at most 10x the shortfall) plus :data:`TARGET_MARGIN`,
    capped at 1, and re-solves the same persistent model (warm start); at most
    :data:`MAX_CORRECTIONS` rounds. If a raised target is infeasible, the last
    feasible plan is kept and the table shows the shortfall.
    """
    rounds = 0
    last: dict[tuple[str, int], tuple[float, float]] = {}  # -> (LP share, simulated share)
    for _ in range(MAX_CORRECTIONS):
        short = []
        for key, param, lp_name in _TARGETS:
            for p, (park, res) in enumerate(zip(pathway.parks, results, strict=True)):
                target = getattr(park.targets, key)
                if target is not None and target - res.kpis[key] > 1e-9:
                    short.append((key, param, p, target - res.kpis[key],
                                  getattr(sol, lp_name)[p], res.kpis[key]))
        if not short:
            break
        before = {(param, p): lp_targets[p][param] for _, param, p, *_ in short}
        if all(value >= 1.0 for value in before.values()):
            break  # the LP already aims at 100 %: nothing more to ask of it
        for key, param, p, gap, lp, sim in short:
            slope = 1.0
            if (key, p) in last and abs(lp - last[key, p][0]) > 1e-9:
                slope = (sim - last[key, p][1]) / (lp - last[key, p][0])
            step = gap / slope if 0.1 <= slope <= 1.0 else gap * (10.0 if slope < 0.1 else 1.0)
            last[key, p] = (lp, sim)
            lp_targets[p][param] = min(1.0, max(before[param, p], lp) + step + TARGET_MARGIN)
            set_period_targets(pm, solver, p, lp_targets[p]["onsite"], lp_targets[p]["clean"])
        if solve(solver, "pathway (target correction)") == Status.INFEASIBLE:
            for (param, p), value in before.items():
                lp_targets[p][param] = value
                set_period_targets(pm, solver, p, lp_targets[p]["onsite"], lp_targets[p]["clean"])
            solve(solver, "pathway")
            break
        rounds += 1
        sol = solution_of(pm, solver.x, pathway.parks)
        results = resimulate(sol)
    return sol, results, rounds


@dataclass
class _SolverHost:
    """What :func:`energysim.sizing.solve.make_solver` reads: the [solver] settings and the LP."""

    park: ParkConfig
    lp: object


def run_pathway(pathway: Pathway, *, representative_days: int | None = None,
                profiles: list[xr.Dataset] | None = None,
                meet_targets: bool = True, period_h: int | None = None) -> PathwayResult:
    """Least discounted cost pathway: builds per period, re-simulated per period.

    Parameters
    ----------
    pathway : Pathway
        From :func:`load_pathway`.
    representative_days : int, optional
        Typical days per period for the LP; default the pathway file's
        ``representative_days`` (None there: each period's full horizon).
    profiles : list of xarray.Dataset, optional
        Ready Profiles Datasets, one per period (built from each period's park
        when omitted).
    period_h : int, optional
        Length of a typical period [h] (24 days, 168 weeks); default the
        file's ``representative_period_h``.
    meet_targets : bool
        With typical days, raise the LP's on-site and clean targets until
        every period's full-year simulation meets them (see ``_meet_targets``);
        the LP's on-site targets are in the table (``lp_onsite_share_target``).

    Returns
    -------
    PathwayResult

    Raises
    ------
    InfeasibleTargetError
        No plan meets every period's targets within the bounds.
    SolverError
        Solver fault, or (full horizon, flat prices) the LP's and the
        simulation's on-site shares differ by more than :data:`SHARE_TOLERANCE`.
    """
    import energysim

    days = representative_days if representative_days is not None else (
        pathway.config.representative_days)
    if days is not None and not (days == 0 or 2 <= days <= 366):
        raise ConfigError(problem("must be 0 (full horizon) or 2-366 typical days",
                                  source=pathway.source, field="representative_days", value=days))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    profs = _profiles_for(pathway.parks) if profiles is None else list(profiles)
    if len(profs) != len(pathway.parks):
        raise SolverError(problem("one Profiles Dataset per period is needed", field="profiles",
                                  value=len(profs)))
    timings["profiles_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    full = [problem_data(park, prof) for park, prof in zip(pathway.parks, profs, strict=True)]
    period_h = period_h or pathway.config.representative_period_h
    datas = [_reduced(d, prof, days, period_h) for d, prof in zip(full, profs, strict=True)]
    timings["reduce_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    datas = with_scaling(datas, common_scaling(datas))
    weights = discount_weights(pathway.years, pathway.weights_yr, pathway.discount_rate,
                               pathway.base_year)
    pm = build_pathway_model(pathway.parks, datas, pathway.years, weights)
    solver = make_solver(_SolverHost(pathway.base, pm.lp))
    lp_targets = []
    for p in range(len(pathway.parks)):
        onsite, clean = _period_targets(pathway, p)
        lp_targets.append({"onsite": onsite, "clean": clean})
        set_period_targets(pm, solver, p, onsite, clean)
    timings["build_s"] = time.perf_counter() - t0
    status = solve(solver, "pathway")
    timings["solve_s"] = solver.solve_s
    if status == Status.INFEASIBLE:
        raise _infeasible(pathway, pm, solver)
    sol = solution_of(pm, solver.x, pathway.parks)

    def resimulate(sol):
        return [energysim.simulate(park, caps, prof)
                for park, caps, prof in zip(pathway.parks, sol.total, profs, strict=True)]

    t0 = time.perf_counter()
    results = resimulate(sol)
    timings["resimulate_s"] = time.perf_counter() - t0

    reduced = any(d.weight is not None for d in datas)
    corrections = 0
    if reduced and meet_targets:
        sol, results, corrections = _meet_targets(pathway, pm, solver, sol, results, resimulate,
                                                  lp_targets)
    timings["corrections"] = corrections
    screening = {}
    for year, lp, res, data in zip(pathway.years, sol.lp_onsite_share, results, full, strict=True):
        diff = lp - res.kpis["onsite_share"]
        if reduced:
            screening[str(year)] = diff
        elif np.ptp(data.price) == 0 and abs(diff) > SHARE_TOLERANCE:
            raise SolverError(problem(
                f"period {year}: LP on-site share {lp:.9f} and re-simulated "
                f"{res.kpis['onsite_share']:.9f} differ by more than {SHARE_TOLERANCE:g}: "
                "the LP and the dispatch core disagree on the rules",
                field="pathway.onsite_share", value=diff))
    info = SolverInfo(status="optimal", build_s=timings["build_s"], solve_s=timings["solve_s"],
                      highs_version=solver.version, objective=sol.lp_objective,
                      extra={"model_hours": [d.hours for d in datas],
                             "target_corrections": corrections})
    table = _table(pathway, sol, results, weights)
    table.insert(table.columns.get_loc("lp_onsite_share"), "lp_onsite_share_target",
                 [t["onsite"] for t in lp_targets])
    table = table[list(COLUMNS) + [c for c in table.columns if c.startswith("indicator_")]]
    return PathwayResult(pathway=pathway, table=table, solution=sol, results=results,
                         solver=info, representative_days=days if reduced else None,
                         timings_s=timings, screening=screening,
                         representative_period_h=period_h if reduced else None)


def _table(pathway: Pathway, sol: PathwaySolution, results: list,
           weights: np.ndarray) -> pd.DataFrame:
    rows = []
    for p, (year, park, res) in enumerate(zip(pathway.years, pathway.parks, results, strict=True)):
        k = res.kpis
        row: dict[str, Any] = {
            "year": year, "weight_yr": pathway.weights_yr[p], "discount_weight_yr": weights[p],
            "load_mwh": k["load_mwh"],
            "emission_factor_t_per_mwh": float(res.profiles["emission_factor_t_per_mwh"].mean()),
            "pv_capex_per_kw": park.pv.capex_per_kw, "wind_capex_per_kw": park.wind.capex_per_kw,
            "battery_capex_per_kwh": park.battery.capex_per_kwh,
        }
        for key, stem in _TECH_COLUMNS.items():
            unit = _TECH_UNIT[key]
            row[f"{stem}_added_{unit}"] = getattr(sol.built[p], key)
            row[f"{stem}_retired_{unit}"] = getattr(sol.retired[p], key)
            row[f"{stem}_total_{unit}"] = getattr(sol.total[p], key)
        energy = energy_cost(k)
        annual = sol.lp_asset_cost_per_yr[p] + energy
        indicators = {f"indicator_{r['key']}_passed": bool(r["passed"]) for r in k["indicators"]}
        row.update({
            "onsite_share": k["onsite_share"], "onsite_share_target": park.targets.onsite_share,
            "onsite_met": bool(k["onsite_share"] >= park.targets.onsite_share - 1e-9),
            "lp_onsite_share": sol.lp_onsite_share[p],
            "green_import_share": k["green_import_share"],
            "regular_import_share": k["regular_import_share"], "clean_share": k["clean_share"],
            "clean_share_target": park.targets.clean_share,
            "clean_met": None if park.targets.clean_share is None
            else bool(k["clean_share"] >= park.targets.clean_share - 1e-9),
            "curtailment_share": k["curtailment_share"], "unmet_share": k["unmet_share"],
            "co2_t": k["co2_t"], "co2_per_tce": k.get("co2_per_tce", math.nan),
            "indicators_passed": all(indicators.values()), **indicators,
            "asset_cost_per_yr": sol.lp_asset_cost_per_yr[p], "energy_cost_per_yr": energy,
            "annualized_cost_per_yr": annual, "discounted_cost": weights[p] * annual,
            "lp_discounted_cost": weights[p] * sol.lp_period_cost_per_yr[p],
        })
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------


def _sha256(path: Path | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def summary(result: PathwayResult) -> dict[str, Any]:
    """The ``pathway.json`` content: options, per-period rows, totals, solver, provenance."""
    from energysim.results import provenance

    pw = result.pathway
    units = dict(COLUMN_UNITS)
    units.update({c: "bool" for c in result.table.columns if c.startswith("indicator_")})
    return {
        "pathway": pw.name,
        "source": str(pw.source) if pw.source is not None else None,
        "base_config": str(pw.base.source) if pw.base.source is not None else None,
        "currency": pw.base.economics.currency,
        "years": list(pw.years),
        "weights_yr": list(pw.weights_yr),
        "discount_rate": pw.discount_rate,
        "base_year": pw.base_year,
        "representative_days": result.representative_days,
        "representative_period_h": result.representative_period_h,
        "overrides": {str(p.year): p.overrides for p in pw.config.period},
        "periods": result.table.to_dict(orient="records"),
        "total_discounted_cost": result.total_discounted_cost,
        "lp_objective": result.solution.lp_objective,
        "screening_onsite_share_error": result.screening,
        "units": units,
        "solver": {"status": result.solver.status, "highs_version": result.solver.highs_version,
                   "build_s": result.solver.build_s, "solve_s": result.solver.solve_s,
                   "model_hours": result.solver.extra.get("model_hours")},
        "cost_convention": (
            "annuity: each build pays capex x CRF(r, lifetime) + fixed O&M per year in every "
            "period it is active (start year within its lifetime); costs discounted year by year "
            "to base_year; no salvage value (annuities beyond the horizon are not counted)"),
        "provenance": provenance(pw.base, result.results[0].profiles if result.results else None,
                                 pathway=str(pw.source) if pw.source else None,
                                 pathway_sha256=_sha256(pw.source)),
    }


def write_pathway(result: PathwayResult, out_dir: Path) -> dict[str, Path]:
    """Write ``pathway.csv`` and ``pathway.json`` atomically into ``out_dir``.

    ``pathway.csv`` holds one row per period.
    """
    from energysim.results import atomic_write, write_json

    out_dir = Path(out_dir)
    table = result.table
    csv = atomic_write(out_dir / "pathway.csv",
                       lambda tmp: table.to_csv(tmp, index=False, float_format="%.9g"))
    js = write_json(out_dir / "pathway.json", summary(result))
    return {"csv": csv, "json": js}


#: Quantities shown side by side by :func:`compare`.
COMPARE = ("pv_total_mw", "wind_total_mw", "battery_total_mwh", "battery_power_total_mw",
           "onsite_share", "clean_share", "co2_t", "annualized_cost_per_yr", "discounted_cost",
           "indicators_passed")


def compare(results: list[PathwayResult]) -> pd.DataFrame:
    """Pathways side by side: one row per (quantity, year), one column per pathway.

    A last row ``total_discounted_cost`` (year ``all``) sums each pathway's
    discounted costs. Names repeat-proofed with ``#2``, ``#3`` suffixes.
    """
    names: list[str] = []
    for r in results:
        name = r.name
        while name in names:
            name = f"{r.name} #{len(names) + 1}"
        names.append(name)
    years = sorted({int(y) for r in results for y in r.table["year"]})
    rows = []
    for quantity in COMPARE:
        for year in years:
            row: dict[str, Any] = {"quantity": quantity, "unit": COLUMN_UNITS[quantity],
                                   "year": str(year)}
            for name, r in zip(names, results, strict=True):
                hit = r.table.loc[r.table["year"] == year, quantity]
                row[name] = hit.iloc[0] if len(hit) else None
            rows.append(row)
    total: dict[str, Any] = {"quantity": "total_discounted_cost", "unit": "money", "year": "all"}
    total.update({name: r.total_discounted_cost for name, r in zip(names, results, strict=True)})
    rows.append(total)
    return pd.DataFrame(rows)


def write_comparison(table: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``comparison.csv`` atomically into ``out_dir``."""
    from energysim.results import atomic_write

    return atomic_write(Path(out_dir) / "comparison.csv",
                        lambda tmp: table.to_csv(tmp, index=False, float_format="%.9g"))
