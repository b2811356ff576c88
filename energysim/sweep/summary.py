"""The end-of-sweep summary: the distribution of each KPI and the best / worst scenarios.

Computed from ``scenarios.parquet`` chunk by chunk (:mod:`energysim.sweep.aggregate`):
memory does not grow with the number of scenarios; the quantiles are exact.
"""

from __future__ import annotations

from typing import Any

from energysim.results import write_json
from energysim.sweep.aggregate import Source, count_valid, extremes, moments, quantiles
from energysim.sweep.columns import SUMMARY_KPIS
from energysim.sweep.spec import Sweep
from energysim.sweep.store import Store

__all__ = ["summarize", "summary_table"]

_QUANTILES = {"min": 0.0, "p10": 0.10, "p50": 0.50, "p90": 0.90, "max": 1.0}


def summarize(store: Store, sweep: Sweep, n_extreme: int = 5) -> dict[str, Any]:
    """Distribution of each summary KPI over the stored scenarios, and the best and worst.

    Min, P10, P50, P90, max and mean of the finite values, and the ids of the best and worst by
    the sweep's objective; written to ``summary.json``. Reads only those columns of
    ``scenarios.parquet``.
    """
    source = Source([store.dir / "scenarios.parquet"])
    present = set(source.columns)
    names = [k for k in SUMMARY_KPIS if k in present]
    stats = moments(source, names)
    names = [k for k in names if stats[k].n]
    qs = quantiles(source, names, list(_QUANTILES.values()), {k: stats[k].n for k in names})
    dist = {name: dict(zip(_QUANTILES, qs[name], strict=True)) | {"mean": stats[name].mean}
            for name in names}
    objective, sense = sweep.spec.sweep.objective, sweep.spec.sweep.sense
    best, worst = (extremes(source, objective, sense, n_extreme) if objective in present
                   else ([], []))
    n_stored = len(source)
    out = {
        "n_scenarios": int(sweep.plan.n_scenarios),
        "n_stored": int(n_stored),
        "complete": bool(n_stored == sweep.plan.n_scenarios),
        "objective": objective,
        "sense": sense,
        "best_scenario_ids": best,
        "worst_scenario_ids": worst,
        "kpis": dist,
    }
    if "error" in present:
        out["n_errors"] = count_valid(source, "error")
    write_json(store.dir / "summary.json", out)
    return out


def summary_table(summary: dict[str, Any], title: str = "sweep summary"):
    """The summary as a rich table: one row per KPI, its distribution across scenarios."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column("KPI", no_wrap=True)
    for col in ("min", "P10", "P50", "P90", "max", "mean"):
        t.add_column(col, justify="right", no_wrap=True)
    for name, d in summary["kpis"].items():
        t.add_row(name, *(_short(d[k]) for k in ("min", "p10", "p50", "p90", "max", "mean")))
    return t


def _short(x: float) -> str:
    """A compact number: 112.7M, 53.0k, 0.5149."""
    for threshold, scale, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(x) >= threshold:
            return f"{x / scale:.1f}{suffix}"
    return f"{x:.4g}"
