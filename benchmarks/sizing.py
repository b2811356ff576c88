"""Sizing benchmark: one Ordos-like sizing LP, energysim against PyPSA.

energysim builds a matrix LP for HiGHS, PyPSA a linopy model for HiGHS.

Both models are built and solved in the same run on the same machine; the
result is the ratio of total wall times (build + solve) and the relative
difference of the optima. Build (arrays and matrix), load (handing the matrix
to HiGHS) and solve are timed separately: ``build_load_share`` = (build +
load) / total (target <= 0.2). energysim's time is :func:`energysim.sizing.size` as
a user calls it, crash start from 36 typical days included; the same LP solved
cold is timed too (``cold_total_s``, iteration counts beside). PyPSA runs with
its defaults (``n.optimize(solver_name="highs")``). It also times the whole
10-point frontier (on-site share 0.50 to 0.95, one persistent HiGHS model, warm
starts) against one cold solve (``frontier_ratio_vs_cold``; target <= 3).

Usage::

    python benchmarks/sizing.py            # full year (8760 h) -> benchmarks/results/sizing.json
    python benchmarks/sizing.py --smoke    # three weeks; exits non-zero if the optima disagree
                                           #   -> benchmarks/results/smoke/sizing.json

Profiles: ``configs/ordos.toml`` through :func:`energysim.profiles.build_profiles`
when the weather stage is available; otherwise an Ordos-like synthetic year
(PV ~1 300 full-load hours, wind ~2 500 h, FACTS.md targets; flat 1.14 GW
continuous load), so the benchmark runs on a bare checkout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test-only PyPSA model lives with its test

from energysim.config import load_park, park_from_dict  # noqa: E402
from energysim.errors import EnergysimError  # noqa: E402
from energysim.sizing import frontier, size  # noqa: E402

OBJECTIVE_RTOL = 1e-6
CAPACITY_RTOL = 1e-3


def synthetic_profiles(hours: int, seed: int = 2025) -> xr.Dataset:
    """Ordos-like hourly profiles: clear-sky-shaped PV with cloudy days, gusty spring wind."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    day, hour = t // 24, t % 24
    season = np.cos(2 * np.pi * (day - 172) / 365)  # +1 at the June solstice
    daylen = 12 + 3 * season
    elev = np.clip(np.sin(np.pi * (hour + 0.5 - (12 - daylen / 2)) / daylen), 0, None)
    clear = rng.uniform(0.35, 1.0, day.max() + 1)[day]
    pv = 0.78 * elev * (0.8 + 0.2 * season) * clear
    spring = 1 + 0.3 * np.exp(-(((day - 105) / 40) ** 2))
    synoptic = np.convolve(rng.normal(0, 1, hours + 72), np.ones(72) / 72 ** 0.5, "valid")[:hours]
    speed = np.clip(6.5 * spring * (1 + 0.25 * np.sin(2 * np.pi * (hour - 4) / 24))
                    + 1.6 * synoptic, 0, None)
    wind = np.clip((speed - 3) / (12 - 3), 0, 1) ** 1.5 * (speed < 25)
    load = 1141.5 * (1 + 0.03 * rng.standard_normal(hours))  # 10 TWh/yr, continuous
    time = pd.date_range("2001-01-01", periods=hours, freq="h")
    return xr.Dataset({"pv_pu": ("time", pv), "wind_pu": ("time", wind), "load": ("time", load)},
                      coords={"time": time})


def ordos(hours: int):
    """The Ordos park config and its profiles (synthetic if the weather stage is missing)."""
    config = ROOT / "configs" / "ordos.toml"
    try:
        from energysim.profiles import build_profiles

        park = load_park(config)
        profiles = build_profiles(park)
        source = "configs/ordos.toml build_profiles"
    except (ImportError, EnergysimError):
        profiles = synthetic_profiles(8760)
        source = "synthetic Ordos-like year (weather stage not available)"
        park = _park_on_profiles(config, profiles)
    profiles = profiles.isel(time=slice(0, hours))
    # the cross-check model has no export; keep the flat-price case of the design
    profiles = profiles[["pv_pu", "wind_pu", "load"]]
    return park, profiles, source


def _park_on_profiles(config: Path, profiles: xr.Dataset):
    """configs/ordos.toml's costs, battery and grid with ready profiles in place of weather."""
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    csv = Path(tempfile.mkdtemp(prefix="energysim-bench-")) / "profiles.csv"
    profiles[["pv_pu", "wind_pu", "load"]].to_dataframe().to_csv(csv, index=False)
    data.pop("weather", None)
    data["load"] = {"profile": f"{csv}:load"}
    data["pv"] = {k: v for k, v in data["pv"].items() if k in _COST_KEYS} | {
        "profile": f"{csv}:pv_pu"}
    data["wind"] = {k: v for k, v in data["wind"].items() if k in _COST_KEYS} | {
        "profile": f"{csv}:wind_pu"}
    return park_from_dict(data, source=config)


_COST_KEYS = ("capex_per_kw", "fixed_om_per_kw_yr", "lifetime_yr", "min_mw", "max_mw",
              "existing_mw", "area_ha_per_mw", "max_area_ha")


def run(hours: int) -> dict:
    """Time energysim (crash, cold, frontier) and PyPSA on ``hours`` h; return the results dict."""
    from test_sizing_pypsa import pypsa_network

    park, profiles, source = ordos(hours)
    t0 = time.perf_counter()
    ours = size(park, profiles)
    total = time.perf_counter() - t0
    # the same LP without the typical-days crash start: what the crash start buys
    cold_park = park.model_copy(update={"solver": park.solver.model_copy(
        update={"warm_start_days": 0})})
    t0 = time.perf_counter()
    cold = size(cold_park, profiles)
    cold_total = time.perf_counter() - t0

    # the frontier: one persistent model, only the target's RHS changes (warm starts)
    shares = np.round(np.arange(0.5, 0.95 + 1e-9, 0.05), 10)
    t0 = time.perf_counter()
    table = frontier(park, profiles, shares)
    frontier_s = time.perf_counter() - t0
    costs = table["annualized_cost"].to_numpy()

    t0 = time.perf_counter()
    n, extra = pypsa_network(park, profiles)
    n.optimize(solver_name="highs", extra_functionality=extra, include_objective_constant=False)
    pypsa_total = time.perf_counter() - t0
    rel = abs(ours.annualized_cost - float(n.objective)) / abs(float(n.objective))
    theirs = {"pv_mw": float(n.generators.p_nom_opt["pv"]),
              "wind_mw": float(n.generators.p_nom_opt["wind"]),
              "battery_mwh": float(n.stores.e_nom_opt["battery"]),
              "battery_mw": float(n.links.p_nom_opt["charger"])}
    floor = float(profiles["load"].mean()) * 1e-3  # MW: below this a capacity counts as zero
    cap_rel = max(abs(getattr(ours.capacities, k) - v) / max(abs(v), floor)
                  for k, v in theirs.items())
    return {
        "hours": hours,
        "profiles": source,
        "build_s": ours.solver.build_s - ours.solver.extra.get("load_s", 0.0),
        "load_s": ours.solver.extra.get("load_s", 0.0),
        "solve_s": ours.solver.solve_s,
        "total_s": total,
        "build_load_share": ours.solver.build_s / total,
        "pypsa_total_s": pypsa_total,
        "ratio_vs_pypsa": total / pypsa_total,
        "objective": ours.annualized_cost,
        "pypsa_objective": float(n.objective),
        "objective_rel_diff": rel,
        "capacities_max_rel_diff": cap_rel,
        "pypsa_capacities": theirs,
        "frontier_points": len(shares),
        "frontier_s": frontier_s,
        "frontier_ratio_vs_cold": frontier_s / cold_total,
        "warm_start_days": ours.solver.extra.get("warm_start_days", 0),
        "warm_start_s": ours.solver.extra.get("warm_start_s", 0.0),
        "crash_iterations": ours.solver.extra.get("crash_iterations", 0),
        "iterations": ours.solver.extra.get("iterations", 0),
        "cold_total_s": cold_total,
        "cold_iterations": cold.solver.extra.get("iterations", 0),
        "cold_objective_rel_diff": abs(cold.annualized_cost - ours.annualized_cost)
        / abs(cold.annualized_cost),
        "frontier_monotone": bool(np.all(np.diff(costs) >= -1e-9 * costs[:-1])),
        "date": dt.date.today().isoformat(),
        "capacities": ours.capacities.model_dump(),
        "onsite_share": ours.lp_onsite_share,
        "highs": ours.solver.highs_version,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv=None) -> int:
    """Run, write results/sizing.json; return 1 if a check fails (optima, capacities, frontier)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="three weeks; check the optima agree")
    args = ap.parse_args(argv)
    hours = 24 * 21 if args.smoke else 8760
    result = run(hours)
    out = ROOT / "benchmarks" / "results" / ("smoke/sizing.json" if args.smoke else "sizing.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not result["frontier_monotone"]:
        print("frontier cost falls as the share rises", file=sys.stderr)
        return 1
    if result["capacities_max_rel_diff"] > CAPACITY_RTOL:
        print(f"capacities differ by {result['capacities_max_rel_diff']:.2e} > {CAPACITY_RTOL:g}",
              file=sys.stderr)
        return 1
    if result["cold_objective_rel_diff"] > OBJECTIVE_RTOL:
        print(f"crash-started and cold optima differ by {result['cold_objective_rel_diff']:.2e}",
              file=sys.stderr)
        return 1
    if result["objective_rel_diff"] > OBJECTIVE_RTOL:
        print(f"objective_rel_diff {result['objective_rel_diff']:.2e} > {OBJECTIVE_RTOL:g}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
