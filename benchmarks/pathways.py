"""Pathway benchmark: the shipped Ordos 2025-2035 pathways on typical days, against the full year.

All runs happen in the same process on the same machine and the same profiles
(built once per file, ``profile_build_s``, not part of the timed runs): the
shipped pathways on their file's typical days (with target correction), the
central pathway with every period on its full year (3 x 8760 h in one LP), and
other reductions (``REDUCTIONS``: typical days, typical weeks). Reported: wall
times per stage, the time ratio, and how far each reduced plan's discounted
cost (all re-simulated on the full year) lies from the full-year optimum.

Usage::

    python benchmarks/pathways.py            # both shipped pathways + full-year reference
                                             #   -> benchmarks/results/pathways.json
    python benchmarks/pathways.py --smoke    # central pathway as shipped; exits non-zero
                                             #   if a target is missed or capacity falls
                                             #   -> benchmarks/results/smoke/pathways.json

Profiles: each period's park through :func:`energysim.profiles.build_profiles`
when the Ordos weather file is in the checkout; otherwise the Ordos-like
synthetic year of ``benchmarks/sizing.py`` (PV, wind per unit; load scaled to
each period's ``load.annual_mwh``), so the benchmark runs on a bare checkout.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from energysim.pathways import compare, load_pathway, run_pathway  # noqa: E402
from energysim.pathways.config import Pathway, PathwayConfig  # noqa: E402

PATHWAYS = ROOT / "configs" / "pathways"
FILES = ("ordos_2025_2035.toml", "ordos_2025_2035_fast.toml")
WEATHER = ROOT / "weather" / "ordos" / "typical_year.csv"


def synthetic_pathway(path: Path):
    """The shipped pathway on the synthetic Ordos-like year (no weather file needed).

    Returns the :class:`Pathway` and one Profiles Dataset per period (load
    scaled to the period's ``load.annual_mwh``, price and emission factor of
    the period's config).
    """
    from sizing import synthetic_profiles

    from energysim.config import park_from_dict

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cfg = PathwayConfig.model_validate(data)
    base_data = tomllib.loads((path.parent / cfg.base).read_text(encoding="utf-8"))
    base_data.pop("weather", None)
    prof = synthetic_profiles(8760)
    tmp = Path(tempfile.mkdtemp(prefix="pathway_bench_"))  # profile refs must name a file
    prof[["pv_pu", "wind_pu", "load"]].to_dataframe().to_csv(tmp / "cf.csv")
    base_data["load"] = {"profile": f"{tmp / 'cf.csv'}:load"}
    base_data["pv"]["profile"] = f"{tmp / 'cf.csv'}:pv_pu"
    base_data["wind"]["profile"] = f"{tmp / 'cf.csv'}:wind_pu"
    base = park_from_dict(base_data)
    parks, profiles = [], []
    for period in cfg.period:
        overrides = dict(period.overrides)
        mwh = overrides.pop("load.annual_mwh", None)
        park = base.with_values(overrides) if overrides else base
        p = prof.copy()
        if mwh is not None:
            p["load"] = prof["load"] * (mwh / float(prof["load"].sum()))
        p["import_price_per_mwh"] = ("time", np.full(8760, park.grid.import_price_per_mwh))
        p["emission_factor_t_per_mwh"] = ("time",
                                          np.full(8760, park.grid.emission_factor_t_per_mwh))
        parks.append(park)
        profiles.append(p)
    years = tuple(p.year for p in cfg.period)
    gaps = [b - a for a, b in zip(years, years[1:], strict=False)]
    weights = tuple(p.weight_yr or d for p, d in zip(cfg.period, gaps + gaps[-1:], strict=True))
    pw = Pathway(config=cfg, base=base, parks=tuple(parks), years=years, weights_yr=weights,
                 discount_rate=cfg.discount_rate or base.economics.discount_rate,
                 base_year=cfg.base_year or years[0], source=path)
    return pw, profiles


_LOADED: dict[str, tuple] = {}
#: Seconds to build each file's per-period profiles (once; not part of the timed runs).
PROFILE_BUILD_S: dict[str, float] = {}


def load(name: str):
    """Pathway and per-period profiles, built once per file (every run compares like with like)."""
    if name not in _LOADED:
        t0 = time.perf_counter()
        path = PATHWAYS / name
        if WEATHER.is_file():
            from energysim.pathways import _profiles_for

            pw = load_pathway(path)
            _LOADED[name] = (pw, _profiles_for(pw.parks))
        else:
            _LOADED[name] = synthetic_pathway(path)
        PROFILE_BUILD_S[name] = time.perf_counter() - t0
    return _LOADED[name]


def run(name: str, days: int | None = None, period_h: int | None = None):
    """Run the pathway file ``name``; return its result and the wall time [s]."""
    pw, profiles = load(name)
    t0 = time.perf_counter()
    res = run_pathway(pw, representative_days=days, profiles=profiles, period_h=period_h)
    return res, time.perf_counter() - t0


#: Reductions compared with the full year: (typical periods, hours each).
REDUCTIONS = ((12, 24), (36, 24), (8, 168))
CAPACITY_COLUMNS = ("pv_total_mw", "wind_total_mw", "battery_total_mwh")


def checks(res) -> list[str]:
    """Every target met on the full year; capacity never falls (no retirement within 10 years)."""
    bad = []
    t = res.table
    if not t["onsite_met"].all():
        bad.append(f"on-site target missed: {t[['year', 'onsite_share', 'onsite_share_target']]}")
    for col in ("pv_total_mw", "wind_total_mw", "battery_total_mwh", "battery_power_total_mw"):
        if np.any(np.diff(t[col].to_numpy()) < -1e-6 * max(1.0, t[col].max())):
            bad.append(f"{col} falls: {list(t[col])}")
    return bad


def main() -> int:
    """Run, write results/pathways.json; return 1 if a target is missed or capacity falls."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="central pathway only, no full-year LP")
    args = ap.parse_args()
    source = "configs/ordos.toml weather" if WEATHER.is_file() else "synthetic Ordos-like year"
    out: dict = {"machine": platform.processor() or platform.machine(),
                 "python": platform.python_version(), "profiles": source,
                 "date": time.strftime("%Y-%m-%d")}
    problems: list[str] = []
    if args.smoke:
        res, total = run(FILES[0])
        problems += checks(res)
        out.update({"total_s": total, **{k: v for k, v in res.timings_s.items()},
                    "total_discounted_cost": res.total_discounted_cost,
                    "max_abs_screening_error": max(abs(v) for v in res.screening.values())})
        target = ROOT / "benchmarks" / "results" / "smoke" / "pathways.json"
    else:
        results = []
        for name in FILES:
            res, total = run(name)
            problems += checks(res)
            results.append(res)
            key = name.removesuffix(".toml")
            out[key] = {"total_s": total, **res.timings_s,
                        "representative_days": res.representative_days,
                        "total_discounted_cost": res.total_discounted_cost,
                        "max_abs_screening_error": max(abs(v) for v in res.screening.values())
                        if res.screening else 0.0,
                        "periods": res.table.to_dict(orient="records")}
        out["comparison"] = compare(results).to_dict(orient="records")
        full, full_s = run(FILES[0], days=0)
        problems += checks(full)
        typical = results[0]
        out["typical_days_total_s"] = out[FILES[0].removesuffix(".toml")]["total_s"]
        out["full_year_total_s"] = full_s
        out["full_year_timings_s"] = full.timings_s
        out["ratio_vs_full_year"] = out["typical_days_total_s"] / full_s
        out["cost_rel_diff_vs_full_year"] = (
            typical.total_discounted_cost / full.total_discounted_cost - 1.0)
        out["full_year_total_discounted_cost"] = full.total_discounted_cost
        out["full_year_capacities"] = full.table[["year", *CAPACITY_COLUMNS]].to_dict("records")

        def capacity_diff(res):
            return {col: float(np.max(np.abs(res.table[col] - full.table[col])
                                      / np.maximum(full.table[col], 1.0)))
                    for col in CAPACITY_COLUMNS}

        out["capacity_rel_diff_vs_full_year"] = capacity_diff(typical)
        out["reductions"] = []
        for n, hours in REDUCTIONS:
            res, seconds = run(FILES[0], days=n, period_h=hours)
            problems += checks(res)
            out["reductions"].append({
                "typical_periods": n, "period_h": hours, "total_s": seconds,
                "solve_s": res.timings_s["solve_s"], "corrections": res.timings_s["corrections"],
                "cost_rel_diff_vs_full_year":
                    res.total_discounted_cost / full.total_discounted_cost - 1.0,
                "capacity_rel_diff_vs_full_year": capacity_diff(res),
                "capacities": res.table[["year", *CAPACITY_COLUMNS]].to_dict("records")})
        target = ROOT / "benchmarks" / "results" / "pathways.json"
    out["profile_build_s"] = PROFILE_BUILD_S
    out["problems"] = problems
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=2, default=float) + "\n"
    target.write_text(text)
    print(text if not args.smoke else json.dumps({k: v for k, v in out.items()}, indent=2,
                                                  default=float))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
