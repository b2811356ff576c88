"""Regenerate the README's performance section from ``benchmarks/results/*.json``.

The section between ``<!-- perf:start -->`` and ``<!-- perf:end -->`` is
generated, never hand-edited, so the figures and the text cannot drift apart.
``python benchmarks/readme.py`` rewrites it; ``--check`` exits 1 if it is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- perf:start -->", "<!-- perf:end -->"

# benchmark -> (title, command, rows of (key, label, format, target text))
TABLES: dict[str, tuple[str, str, list[tuple[str, str, str, str]]]] = {
    "dispatch": (
        "Dispatch core (one Ordos year, 8760 h)",
        "python benchmarks/dispatch.py",
        [
            ("ns_per_hour", "time per simulated hour", "{:.1f} ns", ""),
            ("ratio_vs_numpy_pass", "vs one numpy pass over the inputs", "{:.2f}×", "≤ 3×"),
            ("sweep_ratio_vs_numpy_pass", "sweep entry, 1 thread, per scenario, vs numpy pass",
             "{:.2f}×", "≤ 2×"),
            ("speedup_vs_python", "speed-up vs pure-Python loop", "{:,.0f}×", "≥ 300×"),
            ("sweep_scenario_hours_per_s", "sweep throughput, all cores", "{:.3g} scenario-h/s",
             ""),
            ("thread_scaling", "sweep scaling 1 → 2 threads", "{:.2f}×", "≥ 1.7×"),
            ("lifetime_ms_per_project", "25-year lifetime simulation (one kernel call)",
             "{:.2f} ms", ""),
            ("lifetime_ratio_vs_25_years", "lifetime vs 25 single-year cyclic solves", "{:.2f}×",
             "≤ 1.2×"),
            ("lifetime_ratio_rainflow_counted", "the same with every cycle counted (k = 1.5)",
             "{:.2f}×", ""),
            ("load_average_1min", "machine load average during the run", "{:.1f}", "< cores"),
            ("optimal_ms_per_year", "optimal dispatch, one year (time-of-use)", "{:.0f} ms",
             "< 1 000 ms"),
            ("rolling_ms_per_year", "rolling dispatch, 24 h step / 48 h look-ahead", "{:.0f} ms",
             ""),
            ("rolling_cost_gap", "rolling cost above optimal", "{:.2%}", "≥ 0"),
        ],
    ),
    "sizing": (
        "Sizing LP (one Ordos year) vs PyPSA, both HiGHS",
        "python benchmarks/sizing.py",
        [
            ("build_s", "model build (arrays and matrix)", "{:.3f} s", ""),
            ("load_s", "load into HiGHS", "{:.3f} s", ""),
            ("build_load_share", "build + load share of the total", "{:.3f}", "≤ 0.2"),
            ("solve_s", "solve (crash start from 36 typical days + full LP)", "{:.2f} s", ""),
            ("total_s", "total", "{:.2f} s", ""),
            ("pypsa_total_s", "PyPSA total", "{:.2f} s", ""),
            ("ratio_vs_pypsa", "ratio vs PyPSA", "{:.2f}×", "≤ 0.5×"),
            ("objective_rel_diff", "objective difference vs PyPSA", "{:.1e}", "≤ 1e-6"),
            ("iterations", "simplex iterations, full LP after the crash start", "{:,d}", ""),
            ("cold_iterations", "simplex iterations, full LP cold", "{:,d}", ""),
            ("cold_total_s", "total without the crash start (cold)", "{:.2f} s", ""),
            ("frontier_s", "10-point frontier (warm starts)", "{:.2f} s", ""),
            ("frontier_ratio_vs_cold", "frontier vs one cold solve", "{:.2f}×", "≤ 3×"),
        ],
    ),
    "robust": (
        "Robust sizing over the 10 Ordos weather years (decomposition over years)",
        "python benchmarks/robust.py",
        [
            ("total_s", "every_year, 10 years: total", "{:.1f} s", "≤ 90 s"),
            ("one_year_total_s", "one-year sizing, same run", "{:.2f} s", ""),
            ("ratio_vs_one_year", "10 years vs one year", "{:.1f}×", "≤ 10×"),
            ("expected_ratio_vs_one_year", "expected, 10 years vs one year", "{:.1f}×", ""),
            ("peak_rss_mb", "peak memory", "{:,.0f} MB", "≤ 4 GB"),
            ("pypsa_total_s", "3-year expected case in PyPSA", "{:.1f} s", ""),
            ("ratio_vs_pypsa", "ours vs PyPSA, 3 years", "{:.3f}×", "≤ 0.1×"),
            ("objective_rel_diff", "objective difference vs PyPSA", "{:.1e}", "≤ 1e-6"),
        ],
    ),
    "study": (
        "The Ordos study end to end (benchmarks/study.py)",
        "python benchmarks/study.py",
        [
            ("total_without_robust_s", "study without the robust stage", "{:.1f} s", "≤ 10 s"),
            ("total_s", "study with robust sizing over 10 weather years", "{:.1f} s", ""),
            ("frontier_s", "10-point frontier on the sizing model", "{:.2f} s", ""),
            ("frontier_ratio_vs_crash", "frontier vs the crash-started sizing solve", "{:.3f}×",
             "≤ 1×"),
        ],
    ),
    "pathways": (
        "Pathway LP (Ordos 2025 → 2030 → 2035, three periods)",
        "python benchmarks/pathways.py",
        [
            ("typical_days_total_s", "36 typical days: reduce, build, solve, re-simulate",
             "{:.2f} s", ""),
            ("full_year_total_s", "full 8760-h years, same model", "{:.1f} s", ""),
            ("ratio_vs_full_year", "typical days vs full years (time)", "{:.3f}×", ""),
            ("cost_rel_diff_vs_full_year", "discounted cost error of typical days", "{:.2%}", ""),
        ],
    ),
    "sweep": (
        "Sweep on a local Dask cluster (100 000 dispatch scenarios timed; 1 000 000 for memory)",
        "python benchmarks/sweep.py",
        [
            ("scenarios_per_s", "scenarios per second", "{:,.0f}", ""),
            ("overhead_ratio", "overhead vs raw Numba sweep (wall clock)", "{:.2f}×", "≤ 1.5×"),
            ("overhead_ratio_cpu", "overhead vs raw Numba sweep (CPU time)", "{:.2f}×", ""),
            ("peak_rss_mb", "peak memory of a 1 000 000-scenario sweep, driver + workers",
             "{:,.0f} MB", ""),
            ("peak_rss_growth", "peak memory growth, 10 000 → 1 000 000 scenarios", "{:.2f}×",
             "≤ 1.2×"),
            ("kpi_max_rel_diff_vs_raw", "KPI difference vs raw sweep", "{:.1e}", "≤ 1e-12"),
            ("size_mode_s_per_scenario", "size-mode sweep of 20 cost scenarios, per scenario",
             "{:.2f} s", ""),
            ("size_mode_ratio", "the same vs one size() call", "{:.2f}×", "≤ 0.2×"),
            ("size_mode_max_rel_diff", "size-mode answers vs fresh sizings", "{:.1e}", "≤ 1e-9"),
            ("load_average", "machine load average during the run", "{:.1f}", "< cores"),
        ],
    ),
}


def render(results_dir: Path = RESULTS) -> str:
    """The generated Markdown of the performance section."""
    parts = [START, "",
             "Generated by `python benchmarks/readme.py` from `benchmarks/results/*.json` "
             "(`make bench` re-measures). Ratios are against references timed in the same run, "
             "on a 2-core machine.", ""]
    found = False
    for name, (title, command, rows) in TABLES.items():
        path = results_dir / f"{name}.json"
        if not path.is_file():
            continue
        found = True
        data = json.loads(path.read_text())
        when = data.get("date", "")
        parts += [f"**{title}** — `{command}`{f', measured {when}' if when else ''}", "",
                  "| metric | measured | target |", "|---|---|---|"]
        for key, label, fmt, target in rows:
            value = data.get(key)
            shown = fmt.format(value) if isinstance(value, (int, float)) else "not measured"
            parts.append(f"| {label} | {shown} | {target} |")
        parts.append("")
    if not found:
        parts += ["No benchmark results recorded yet: run `make bench`.", ""]
    parts.append(END)
    return "\n".join(parts)


def update(readme: Path = ROOT / "README.md", results_dir: Path = RESULTS) -> bool:
    """Rewrite the section in ``readme``; return True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: markers {START} … {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + render(results_dir) + tail
    if new != text:
        readme.write_text(new, encoding="utf-8")
        return True
    return False


def main() -> int:
    """Rewrite the README performance section, or with ``--check`` return 1 if it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args()
    readme = ROOT / "README.md"
    if args.check:
        text = readme.read_text(encoding="utf-8")
        section = START + text.split(START, 1)[1].split(END, 1)[0] + END
        if section != render():
            print("README performance section is stale: run python benchmarks/readme.py")
            return 1
        return 0
    print("README updated" if update(readme) else "README already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
