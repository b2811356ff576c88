"""Robust sizing benchmark: the Ordos mix over 10 weather years, and 3 years against PyPSA.

Measured in one run on the same machine:

- ``one_year_total_s`` — our sizing of one Ordos year (:func:`energysim.sizing.size`,
  crash start included): the reference the 10-year runs are compared with
  (target: 10-year total <= 10x it, and <= 90 s).
- the 10-year ``every_year`` and ``expected`` sizings (the decomposition over
  years, :mod:`energysim.sizing.decomposition`): build, solve, total, peak RSS
  (each in a fresh process, so the peak is its own; target <= 4 GB),
  iterations and optimality gap.
- the 3-year ``expected`` case built independently in PyPSA (years as investment
  periods weighted 1/N, tests/test_robust.py) and solved with HiGHS:
  ``ratio_vs_pypsa`` (target <= 0.1) and ``objective_rel_diff`` (target <= 1e-6).

Usage::

    python benchmarks/robust.py           # full years -> benchmarks/results/robust.json
    python benchmarks/robust.py --smoke   # 3 weeks x 3 years; exits non-zero if the
                                          #   cross-check fails -> results/smoke/robust.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the PyPSA model of the cross-check lives with its test

OBJECTIVE_RTOL = 1e-6


def _profiles(hours: int, n_years: int):
    import energysim
    from energysim.ensemble import profiles_by_year
    from energysim.profiles import build_profiles

    park = energysim.load_park(ROOT / "configs" / "ordos.toml")
    by_year = profiles_by_year(park, "all")
    years = sorted(by_year)[:n_years]
    cut = {y: by_year[y].isel(time=slice(0, hours)) for y in years}
    return park, cut, build_profiles(park).isel(time=slice(0, hours))


def _sizing_case(args) -> dict:
    """One sizing in this (fresh) process: times, result, peak RSS."""
    kind, hours, n_years, mode = args
    from energysim.sizing import size

    park, by_year, typical = _profiles(hours, n_years)
    t0 = time.perf_counter()
    result = size(park, typical) if kind == "one_year" else size(park, by_year, robustness=mode)
    total = time.perf_counter() - t0
    extra = result.solver.extra
    return {
        "total_s": total, "build_s": result.solver.build_s, "solve_s": result.solver.solve_s,
        "objective": result.annualized_cost, "capacities": result.capacities.model_dump(),
        "method": extra.get("method"), "iterations": extra.get("iterations"),
        "gap": extra.get("gap"), "sub_solves": extra.get("sub_solves"),
        "sub_s": extra.get("sub_s"), "guess_s": extra.get("guess_s"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "years_meeting": None if result.robust is None else sum(
            r["onsite_share"] >= park.targets.onsite_share - 1e-6 for r in result.robust["years"]),
    }


def _pypsa_case(args) -> dict:
    hours, n_years = args
    from test_robust import pypsa_expected

    park, by_year, _ = _profiles(hours, n_years)
    t0 = time.perf_counter()
    objective = pypsa_expected(park, by_year)
    return {"total_s": time.perf_counter() - t0, "objective": objective}


def _fresh(fn, args):
    """Run ``fn(args)`` in a new process (its own peak RSS, no warm caches between cases)."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, (args,))


def run(smoke: bool) -> dict:
    """Time the one-year, 10-year and PyPSA 3-year sizings; return the results dict."""
    hours = 24 * 21 if smoke else 8760
    years, pypsa_years = (3, 3) if smoke else (10, 3)
    one = _fresh(_sizing_case, ("one_year", hours, 1, None))
    every = _fresh(_sizing_case, ("robust", hours, years, "every_year"))
    expected = _fresh(_sizing_case, ("robust", hours, years, "expected"))
    ours3 = _fresh(_sizing_case, ("robust", hours, pypsa_years, "expected"))
    theirs = _fresh(_pypsa_case, (hours, pypsa_years))
    rel = abs(ours3["objective"] - theirs["objective"]) / abs(theirs["objective"])
    return {
        "date": dt.date.today().isoformat(),
        "hours_per_year": hours,
        "years": years,
        "build_s": every["build_s"],
        "solve_s": every["solve_s"],
        "total_s": every["total_s"],
        "peak_rss_mb": max(every["peak_rss_mb"], expected["peak_rss_mb"]),
        "one_year_total_s": one["total_s"],
        "ratio_vs_one_year": every["total_s"] / one["total_s"],
        "every_year": every,
        "expected": expected,
        "expected_ratio_vs_one_year": expected["total_s"] / one["total_s"],
        "pypsa_years": pypsa_years,
        "pypsa_total_s": theirs["total_s"],
        "ours_pypsa_case_total_s": ours3["total_s"],
        "ratio_vs_pypsa": ours3["total_s"] / theirs["total_s"],
        "objective_rel_diff": rel,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv=None) -> int:
    """Run, write results/robust.json; return 1 if a check fails (PyPSA optimum, every year)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="3 weeks x 3 years; cross-check only")
    args = ap.parse_args(argv)
    result = run(args.smoke)
    out = ROOT / "benchmarks" / "results" / ("smoke/robust.json" if args.smoke else "robust.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if result["objective_rel_diff"] > OBJECTIVE_RTOL:
        print(f"objective_rel_diff {result['objective_rel_diff']:.2e} > {OBJECTIVE_RTOL:g}",
              file=sys.stderr)
        return 1
    if result["every_year"]["years_meeting"] != result["years"]:
        print("the every_year mix does not meet the target in every year", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
