"""Dispatch-core benchmark: one Ordos year through the Numba kernel, against two references.

Measured in one run, on one machine, on the same input arrays:

- ``ns_per_hour``: one scenario, one simulated year (one kernel pass, annual
  totals, no hourly record), best of several repeats, per simulated hour.
- ``ratio_vs_numpy_pass``: that time over a single vectorised numpy pass over the
  same five input arrays, the memory-touch floor:
  ``np.minimum(pv_pu * C_pv + wind_pu * C_w, load) @ price + emission.sum()``.
- ``sweep_ratio_vs_numpy_pass``: the sweep entry (:func:`energysim.dispatch.sweep`,
  validation included) on one thread, time per scenario-year over the same
  numpy pass; the sweep interleaves up to ``kernel.LANES`` scenarios per
  recursion pass.
- ``speedup_vs_python``: a straightforward pure-Python loop of the same rules
  (:func:`python_year`, lists, no numpy inside the loop), timed on a slice of
  hours and extrapolated per hour, over ``ns_per_hour``. Its totals must equal
  the kernel's on that slice (1e-9 relative), so it is the same computation.
- ``sweep_scenario_hours_per_s``: the ``prange`` sweep
  (:func:`energysim.dispatch.sweep`) over many capacity sets, all threads.
- ``thread_scaling``: sweep throughput with 2 Numba threads over 1
  (``numba.set_num_threads``).

- ``lifetime_ms_per_project``: the 25-year Ordos lifetime simulation
  (:func:`energysim.dispatch.life.run_life`: every year dispatched on its
  weather year of the ensemble, rainflow-counted, aged, in one call), and
  ``lifetime_ratio_vs_25_years``: that time over 25 cyclic single-year solves
  (:func:`energysim.dispatch.kernel.solve`) of the same weather years at
  nameplate (target <= 1.2). Its year one must equal the single-year solve
  bit for bit.

Timed runs are non-cyclic (one pass = one simulated year); ``cyclic_ns_per_hour``
reports the full cyclic solve with the hourly record (``dispatch_arrays``) and
its number of passes. Correctness checks (both modes; non-zero exit on failure):
sweep totals bit-identical to the single-scenario function, energy balance to
1e-9 relative in every hour, the Python loop equal to the kernel.

Usage::

    python benchmarks/dispatch.py           # full -> benchmarks/results/dispatch.json
    python benchmarks/dispatch.py --smoke   # seconds; checks, timings not meaningful
                                            #   -> benchmarks/results/smoke/dispatch.json

Profiles: ``configs/ordos.toml`` through :func:`energysim.profiles.build_profiles`
when its weather file is present, else the Ordos-like synthetic year of
``benchmarks/sizing.py``; capacities are the configured Ordos kit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from energysim.config import load_park  # noqa: E402
from energysim.dispatch import (  # noqa: E402
    TOTAL_KEYS,
    DispatchParams,
    dispatch,
    dispatch_arrays,
    dispatch_params,
    kernel,
    kernel_rules,
    sweep,
)
from energysim.errors import EnergysimError  # noqa: E402

BALANCE_RTOL = 1e-9
PYTHON_RTOL = 1e-9


def ordos_inputs() -> tuple[dict, DispatchParams, tuple[float, float, float, float], str]:
    """Per-unit profiles, load, price, emission; dispatch parameters; the Ordos kit."""
    config = ROOT / "configs" / "ordos.toml"
    try:
        from energysim.profiles import build_profiles

        park = load_park(config)
        pr = build_profiles(park)
        source = "configs/ordos.toml build_profiles"
        arrays = {k: np.ascontiguousarray(pr[k].values, dtype=np.float64)
                  for k in ("pv_pu", "wind_pu", "load", "import_price_per_mwh",
                            "emission_factor_t_per_mwh")}
        battery, grid = park.battery, park.grid
        caps = park.capacities()
        kit = (caps.pv_mw, caps.wind_mw, caps.battery_mwh, caps.battery_mw)
    except (ImportError, EnergysimError) as exc:
        from sizing import _park_on_profiles, synthetic_profiles

        pr = synthetic_profiles(8760)
        park = _park_on_profiles(config, pr)
        source = f"synthetic Ordos-like year ({type(exc).__name__}: weather not available)"
        n = pr.sizes["time"]
        arrays = {k: np.ascontiguousarray(pr[k].values, dtype=np.float64)
                  for k in ("pv_pu", "wind_pu", "load")}
        arrays["import_price_per_mwh"] = np.full(n, park.grid.import_price_per_mwh)
        arrays["emission_factor_t_per_mwh"] = np.full(n, park.grid.emission_factor_t_per_mwh)
        battery, grid = park.battery, park.grid
        kit = (4000.0, 3000.0, 4000.0, 1000.0)  # configs/ordos.toml [pv], [wind], [battery]
    params = dispatch_params(battery, grid)._replace(battery_mwh=kit[2], battery_mw=kit[3])
    return arrays, params, kit, source


def _best(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls [s] (the least disturbed by other processes)."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def python_year(pv_pu, wind_pu, load, price, emission, kit: kernel.Kit, rules: kernel.Rules,
                s_on):
    """The kernel's rules (no grid charging) as a plain Python loop; totals as kernel.TOTALS."""
    cap_pv, cap_wind, energy, power = kit
    dt_h, eta_c, eta_d, keep = rules.dt_h, rules.eta_charge, rules.eta_discharge, rules.keep
    import_max, export_max = rules.import_max_mw, rules.export_max_mw
    green_block, green_budget = rules.green_block_mw, rules.green_budget_mwh
    e_min, e_max = rules.soc_min * energy, rules.soc_max * energy
    floor_in = (1.0 - keep) * e_min
    green_left = green_budget
    t_pv = t_wind = t_load = t_green = t_regular = t_export = t_charge = 0.0
    t_dis = t_curt = t_unmet = t_onsite = t_cost = t_co2 = t_base = 0.0
    for pv1, w1, ld, pr, em in zip(pv_pu, wind_pu, load, price, emission, strict=True):
        pv, wind = pv1 * cap_pv, w1 * cap_wind
        gen = pv + wind
        direct = min(gen, ld)
        surplus, deficit = gen - direct, ld - direct
        s_on = keep * s_on + floor_in
        ch = min(surplus, power, max(e_max - s_on, 0.0) / (eta_c * dt_h))
        s_on = min(s_on + ch * eta_c * dt_h, e_max)
        ex = min(surplus - ch, export_max)
        cu = surplus - ch - ex
        dis = min(deficit, power, max(s_on - e_min, 0.0) * eta_d / dt_h)
        s_on = max(s_on - dis * dt_h / eta_d, e_min)
        rest = deficit - dis
        imp = min(rest, import_max)
        unmet = rest - imp
        green = min(imp, green_block, green_left / dt_h)
        green_left -= green * dt_h
        regular = imp - green
        t_pv += pv
        t_wind += wind
        t_load += ld
        t_green += green
        t_regular += regular
        t_export += ex
        t_charge += ch
        t_dis += dis
        t_curt += cu
        t_unmet += unmet
        t_onsite += direct + dis
        t_cost += (green + regular) * pr
        t_co2 += regular * em
        t_base += ld * em
    totals = [t_pv, t_wind, t_load, t_green, t_regular, t_export, t_charge, t_dis, t_curt,
              t_unmet, t_onsite, 0.0, t_cost, t_co2, t_base]
    return [v * dt_h for v in totals], s_on


def lifetime_benchmark(smoke: bool) -> dict:
    """The Ordos lifetime (one call of the life kernel) against 25 single-year cyclic solves."""
    from energysim.degradation import compound_decline
    from energysim.dispatch import life
    from energysim.lifetime import aging_rules
    from energysim.profiles import build_profiles
    from energysim.study import year_weathers

    names = ("pv_pu", "wind_pu", "load", "import_price_per_mwh", "emission_factor_t_per_mwh")
    try:
        park = load_park(ROOT / "configs" / "ordos.toml")
        weathers = list(year_weathers(park).values())[: 2 if smoke else None]
        profiles = [build_profiles(park, weather=w) for w in weathers] or [build_profiles(park)]
    except (ImportError, EnergysimError) as exc:
        return {"lifetime_skipped": f"{type(exc).__name__}: weather not available"}
    arrays = {n: np.stack([np.asarray(p[n].values, dtype=np.float64) for p in profiles])
              for n in names}
    years, hours = int(park.economics.project_life_yr), arrays["load"].shape[1]
    caps = park.capacities()
    kit = kernel.Kit(caps.pv_mw, caps.wind_mw, caps.battery_mwh, caps.battery_mw)
    params = dispatch_params(park.battery, park.grid, caps)
    age = np.arange(years)
    run_args = (arrays, age, (1 + park.load.growth_pct_yr / 100) ** age,
                compound_decline(park.pv.degradation_pct_yr, age),
                compound_decline(park.wind.degradation_pct_yr, age), kit, params,
                aging_rules(park.battery))
    totals, rows = life.run_life(*run_args)  # compile
    t_life = _best(lambda: life.run_life(*run_args), 2 if smoke else 10)
    # k = 1 (the default) sums the cycles without counting them (degradation.variation_damage);
    # k = 1.5 makes the kernel count every cycle (branchy: ~15 us per year)
    counted = run_args[:-1] + (run_args[-1]._replace(dod_exponent=1.5),)
    life.run_life(*counted)
    t_counted = _best(lambda: life.run_life(*counted), 2 if smoke else 10)
    rules, out = kernel_rules(params, hours), np.zeros(kernel.N_TOTALS)
    series = [kernel.Series(*(arrays[n][w] for n in names)) for w in range(len(profiles))]
    t_year = [_best(lambda s=s: kernel.solve(s, kit, rules, out), 3 if smoke else 20)
              for s in series]
    kernel.solve(series[0], kit, rules, out)
    one = out * (8760.0 / hours)
    reference = sum(t_year[k % len(t_year)] for k in range(years))
    return {
        "lifetime_years": years,
        "lifetime_weather_years": len(profiles),
        "lifetime_ms_per_project": t_life * 1e3,
        "lifetime_reference_ms": reference * 1e3,
        "lifetime_ratio_vs_25_years": t_life / reference,
        "lifetime_ratio_rainflow_counted": t_counted / reference,
        "lifetime_cyclic_runs": int(rows[:, life.LIFE.index("cyclic_iterations")].sum()),
        "lifetime_replacements": int(rows[:, life.LIFE.index("replaced")].sum()),
        "lifetime_year_one_identical": bool(np.array_equal(totals[0], one)),
    }


def modes_benchmark(smoke: bool) -> dict:
    """Optimal and rolling dispatch of the Ordos kit under an (illustrative) time-of-use price.

    ``optimal_ms_per_year``: one re-solve of the held LP for a new set of capacities (what
    sweeps and sizing re-simulation pay); ``optimal_cold_ms_per_year`` includes building
    the program and the first solve. ``rolling_ms_per_year``: day-ahead windows (24 h step,
    48 h look-ahead, perfect forecast). ``rolling_cost_gap``: rolling energy cost over the
    optimal's, minus 1: the operating cost the LP minimises, demand charge included (targets
    off for both, so like is compared with like). Ratios to the rule-based core in the same
    run.
    """
    from energysim.accounting import energy_terms, totals_of
    from energysim.profiles import build_profiles
    from energysim.sizing.fixed import FixedDispatch
    from energysim.sizing.rolling import rolling_dispatch

    park = load_park(ROOT / "configs" / "ordos_tou.toml")
    profiles = build_profiles(park)
    if smoke:
        profiles = profiles.isel(time=slice(0, 24 * 21))
    caps = park.capacities()
    hours = profiles.sizes["time"]
    scale = 8760.0 / hours

    def energy(flows):
        # the operating cost the LP minimises, by the accounting's one definition: imports,
        # green premium, export revenue, the tariff's demand charge (unmet load is 0 here)
        return sum(energy_terms(totals_of(flows, profiles, park), park).values())

    t0 = time.perf_counter()
    fd = FixedDispatch(park, profiles, targets=False)
    best = fd.run(caps)
    cold = time.perf_counter() - t0
    other = caps.model_copy(update={"battery_mwh": caps.battery_mwh * 1.02})
    warm = _best(lambda: (fd.run(other), fd.run(caps)), 1 if smoke else 3) / 2
    park_r = park.with_values({"battery.dispatch": "rolling"})
    t0 = time.perf_counter()
    rolled = rolling_dispatch(park_r, profiles, caps)
    t_roll = time.perf_counter() - t0
    rules = _best(lambda: dispatch(profiles, caps, park.battery, park.grid), 3)
    return {
        "optimal_ms_per_year": warm * scale * 1e3,
        "optimal_cold_ms_per_year": cold * scale * 1e3,
        "optimal_ratio_vs_rules": warm / rules,
        "rolling_ms_per_year": t_roll * scale * 1e3,
        "rolling_ratio_vs_rules": t_roll / rules,
        "rolling_cost_gap": energy(rolled) / energy(best) - 1.0,
        "rules_cost_gap": energy(dispatch(profiles, caps, park.battery, park.grid))
        / energy(best) - 1.0,
    }


def run(smoke: bool) -> dict:
    """Time the kernel, sweep, Python loop and modes on the Ordos year; return the results dict."""
    arrays, params, kit, source = ordos_inputs()
    pv_pu, wind_pu, load = arrays["pv_pu"], arrays["wind_pu"], arrays["load"]
    price, emis = arrays["import_price_per_mwh"], arrays["emission_factor_t_per_mwh"]
    n = load.shape[0]
    cap_pv, cap_wind, energy, power = kit
    once = params._replace(cyclic=False)  # timed runs: one pass = one simulated year
    rules = kernel_rules(once, n)
    ordos = kernel.Kit(*kit)
    series = kernel.Series(pv_pu, wind_pu, load, price, emis)
    totals = np.zeros(kernel.N_TOTALS)
    empty = np.empty((kernel.N_HOURLY, 0))
    s0 = rules.soc_initial * energy

    def one_year():
        return kernel.year(series, ordos, rules, s0, 0.0, False, empty, totals)

    def numpy_pass():
        return np.minimum(pv_pu * cap_pv + wind_pu * cap_wind, load) @ price + emis.sum()

    one_year()  # compile (or load the cache) outside the timing
    numpy_pass()
    repeats = 5 if smoke else 50
    t_kernel = _best(one_year, repeats)
    t_numpy = _best(numpy_pass, repeats)
    ns_per_hour = t_kernel / n * 1e9

    # pure-Python loop of the same rules on a slice, extrapolated per hour
    py_hours = 720 if smoke else 2190
    sl = slice(0, py_hours)
    lists = [arr[sl].tolist() for arr in (pv_pu, wind_pu, load, price, emis)]
    py_rules = kernel_rules(once, py_hours)  # a green budget scales with the horizon
    t_python = _best(lambda: python_year(*lists, ordos, py_rules, s0), 1 if smoke else 3)
    py_totals, py_end = python_year(*lists, ordos, py_rules, s0)
    nb_totals = np.zeros(kernel.N_TOTALS)
    py_series = kernel.Series(*(np.ascontiguousarray(arr[sl])
                                for arr in (pv_pu, wind_pu, load, price, emis)))
    nb_end, _ = kernel.year(py_series, ordos, py_rules, s0, 0.0, False, empty, nb_totals)
    py_diff = max(abs(p - q) / max(abs(q), 1.0) for p, q in zip(py_totals, nb_totals, strict=True))
    py_diff = max(py_diff, abs(py_end - nb_end) / max(energy, 1.0))
    python_ns_per_hour = t_python / py_hours * 1e9

    # sweep: many capacity sets around the kit, all threads, then 1 vs 2 threads
    rng = np.random.default_rng(0)
    n_scen = 8 if smoke else 32  # short calls: best-of-N finds quiet windows on a shared machine
    caps = np.asarray(kit) * rng.uniform(0.5, 1.5, (n_scen, 4))
    caps[0] = kit
    run_sweep = lambda: sweep(pv_pu, wind_pu, load, caps, once, price=price, emission=emis)  # noqa: E731
    run_sweep()  # compile
    threads_all = numba.get_num_threads()
    sweep_repeats = 5 if smoke else 25
    t_sweep = _best(run_sweep, sweep_repeats)
    # 1 and 2 threads timed alternately, best of each: both see the same machine load
    best_s = {k: math.inf for k in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})}
    for _ in range(sweep_repeats):
        for k in best_s:
            numba.set_num_threads(k)
            best_s[k] = min(best_s[k], _best(run_sweep, 1))
    numba.set_num_threads(threads_all)
    by_threads = {k: n_scen * n / v for k, v in best_s.items()}
    sweep_ns = best_s[1] / (n_scen * n) * 1e9  # one thread, per scenario-hour
    scaling = by_threads.get(2, math.nan) / by_threads[1]

    # correctness: cyclic sweep == single-scenario function, bit for bit; balance every hour
    check = caps[:8]
    dispatch_arrays(pv_pu[:48], wind_pu[:48], load[:48], params, price[:48], emis[:48])  # compile
    swept = sweep(pv_pu, wind_pu, load, check, params, price=price, emission=emis)
    identical = True
    worst_balance = 0.0
    t0 = time.perf_counter()
    for i, (cp, cw, e, pw) in enumerate(check):
        single = dispatch_arrays(pv_pu * cp, wind_pu * cw, load,
                                 params._replace(battery_mwh=e, battery_mw=pw), price, emis)
        # pv_pu * cp rounds like the kernel's pv_pu[t] * cap_pv: same products
        for key in TOTAL_KEYS:
            identical &= bool(swept[key][i] == single["totals"][key])
        supply = sum(single[k] for k in ("pv", "wind", "import_green", "import_regular",
                                         "discharge", "unmet"))
        demand = sum(single[k] for k in ("load", "charge", "export", "curtail"))
        scale = np.maximum(np.maximum(supply, demand), 1.0)
        worst_balance = max(worst_balance, float(np.max(np.abs(supply - demand) / scale)))
        if i == 0:
            cyclic_s = time.perf_counter() - t0
            cyclic_passes = int(single["cyclic_iterations"])
    return {
        "date": dt.date.today().isoformat(),
        "mode": "smoke" if smoke else "full",
        "hours": n,
        "profiles": source,
        "kit": dict(zip(("pv_mw", "wind_mw", "battery_mwh", "battery_mw"), kit, strict=True)),
        "ns_per_hour": ns_per_hour,
        "numpy_pass_ns_per_hour": t_numpy / n * 1e9,
        "ratio_vs_numpy_pass": t_kernel / t_numpy,
        "sweep_ns_per_scenario_hour": sweep_ns,
        "sweep_ratio_vs_numpy_pass": sweep_ns / (t_numpy / n * 1e9),
        "sweep_lanes": kernel.LANES,
        "python_ns_per_hour": python_ns_per_hour,
        "python_slice_hours": py_hours,
        "speedup_vs_python": python_ns_per_hour / ns_per_hour,
        "python_max_rel_diff": py_diff,
        "sweep_scenarios": n_scen,
        "sweep_threads": threads_all,
        "sweep_scenario_hours_per_s": n_scen * n / t_sweep,
        "sweep_scenario_hours_per_s_by_threads": {str(k): v for k, v in by_threads.items()},
        "thread_scaling": scaling,
        "cyclic_ns_per_hour": cyclic_s / n * 1e9,  # dispatch_arrays incl. validation and record
        "cyclic_passes": cyclic_passes,
        "sweep_bit_identical": identical,
        "balance_max_rel": worst_balance,
        "cores": os.cpu_count(),
        # other processes on the machine: thread scaling is only meaningful when this is < cores
        "load_average_1min": os.getloadavg()[0],
        **lifetime_benchmark(smoke),
        **modes_benchmark(smoke),
        "numba": numba.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv=None) -> int:
    """Run, write results/dispatch.json, print the table; return 1 if a check fails, else 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="reduced sizes; correctness checks")
    args = ap.parse_args(argv)
    result = run(args.smoke)
    name = "smoke/dispatch.json" if args.smoke else "dispatch.json"
    out = ROOT / "benchmarks" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    rows = [("time per simulated hour", f"{result['ns_per_hour']:.1f} ns", ""),
            ("vs one numpy pass", f"{result['ratio_vs_numpy_pass']:.2f}x", "<= 3x"),
            ("sweep, 1 thread, vs numpy pass", f"{result['sweep_ratio_vs_numpy_pass']:.2f}x",
             "<= 2x"),
            ("speed-up vs pure Python", f"{result['speedup_vs_python']:,.0f}x", ">= 300x"),
            ("sweep throughput", f"{result['sweep_scenario_hours_per_s']:.3g} scenario-h/s", ""),
            ("sweep scaling 1 -> 2 threads", f"{result['thread_scaling']:.2f}x", ">= 1.7x"),
            ("cyclic run with hourly record", f"{result['cyclic_ns_per_hour']:.1f} ns/h "
             f"({result['cyclic_passes']} passes)", "")]
    if "lifetime_ms_per_project" in result:
        rows += [("lifetime, 25 years, one call", f"{result['lifetime_ms_per_project']:.2f} ms "
                  f"({result['lifetime_cyclic_runs']} runs)", ""),
                 ("  vs 25 single-year solves", f"{result['lifetime_ratio_vs_25_years']:.2f}x",
                  "<= 1.2x"),
                 ("  the same, every cycle counted",
                  f"{result['lifetime_ratio_rainflow_counted']:.2f}x",
                  "(k = 1.5)")]
    print(f"dispatch benchmark ({result['mode']}, {result['hours']} h, {result['profiles']})")
    for label, value, target in rows:
        print(f"  {label:<32} {value:>28}  {target}")
    print(f"  python slice {result['python_slice_hours']} h, extrapolated per hour; "
          f"load average {result['load_average_1min']:.1f} on {result['cores']} cores")
    rows_modes = [("optimal dispatch, one year", f"{result['optimal_ms_per_year']:.0f} ms "
                   f"(cold {result['optimal_cold_ms_per_year']:.0f} ms)", "< 1000 ms"),
                  ("rolling 24 h / 48 h, one year", f"{result['rolling_ms_per_year']:.0f} ms", ""),
                  ("rolling cost gap to optimal", f"{result['rolling_cost_gap']:.2%}", ">= 0")]
    for label, value, target in rows_modes:
        print(f"  {label:<32} {value:>28}  {target}")
    failures = []
    if result["rolling_cost_gap"] < -1e-9:
        failures.append("rolling dispatch cheaper than the optimal one")
    if not result["sweep_bit_identical"]:
        failures.append("sweep totals differ from the single-scenario function")
    if result["balance_max_rel"] > BALANCE_RTOL:
        failures.append(f"energy balance off by {result['balance_max_rel']:.2e} relative")
    if not result.get("lifetime_year_one_identical", True):
        failures.append("lifetime year one differs from the single-year solve")
    if result["python_max_rel_diff"] > PYTHON_RTOL:
        failures.append("Python loop differs from the kernel by "
                        f"{result['python_max_rel_diff']:.2e}")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
