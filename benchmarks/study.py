"""Study benchmark: the Ordos flagship study end to end, stage by stage.

``energysim.study.run_study`` on ``configs/ordos.toml`` as ``make demo`` runs it
(the file writing and the report excluded), in one fresh process, with the
time of each stage: profiles, the weather years' profiles, the configured kit,
the typical-year least-cost mix and the 10-point frontier on one model, the
weather-year table, and the robust sizing over the weather years. Targets:
the study without its robust stage in <= 10 s on this 2-core machine, and the
frontier within one crash-started solve of the sizing
(``frontier_ratio_vs_crash`` = frontier time / the sizing's crash start and
solve, <= 1). The robust stage is timed beside (benchmarks/robust.py has its
own targets).

Usage::

    python benchmarks/study.py          # -> benchmarks/results/study.json
    python benchmarks/study.py --smoke  # without the robust stage -> results/smoke/study.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _smoke_park(park):
    """The Ordos park without its robust stage (weather years "none").

    Still the weather-year table, on the typical-year mix; benchmarks/robust.py
    --smoke covers robust sizing.
    """
    return park.with_values({"sizing.weather_years": "none"})


def run(smoke: bool) -> dict:
    """Time the whole Ordos study (``smoke``: without robust sizing); return the results dict."""
    import energysim
    from energysim.study import run_study

    park = energysim.load_park(ROOT / "configs" / "ordos.toml")
    if smoke:
        park = _smoke_park(park)
    t0 = time.perf_counter()
    result = run_study(park)
    total = time.perf_counter() - t0
    stages = result.timings_s
    extra = result.sizing.solver.extra
    sizing_solve = result.sizing.solver.solve_s  # crash start + full solve
    frontier_s = float(result.frontier.attrs.get("wall_s", result.frontier["solve_s"].sum()))
    without_robust = total - stages.get("robust_sizing", 0.0)
    return {
        "date": dt.date.today().isoformat(),
        "hours": int(result.configured.flows.sizes["time"]),
        "weather_years": 0 if result.weather_years is None else len(result.weather_years),
        "total_s": total,
        "total_without_robust_s": without_robust,
        "stages_s": stages,
        "sizing_crash_and_solve_s": sizing_solve,
        "frontier_points": len(result.frontier),
        "frontier_s": frontier_s,
        "frontier_ratio_vs_crash": frontier_s / sizing_solve,
        "crash_iterations": extra.get("crash_iterations"),
        "robust_method": (None if result.robust is None
                          else result.robust.solver.extra.get("method")),
        "robust_gap": None if result.robust is None else result.robust.solver.extra.get("gap"),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv=None) -> int:
    """Run the study benchmark, write and print results/study.json; return 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="without the robust stage")
    args = ap.parse_args(argv)
    result = run(args.smoke)
    out = ROOT / "benchmarks" / "results" / ("smoke/study.json" if args.smoke else "study.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
