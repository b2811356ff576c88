"""The end-of-sweep summary: the distribution of each KPI and the best / worst scenarios."""

from __future__ import annotations

from typing import Any

import numpy as np

from energysim.results import write_json
from energysim.sweep.spec import Sweep
from energysim.sweep.store import Store

__all__ = ["SUMMARY_KPIS", "summarize", "summary_table"]

#: KPIs whose distribution the summary reports (when stored).
SUMMARY_KPIS = ("onsite_share", "clean_share", "curtailment_share", "annualized_cost",
                "lcoe_per_mwh", "import_green_mwh", "co2_t", "pv_mw", "wind_mw", "battery_mwh")
_QUANTILES = {"min": 0.0, "p10": 0.10, "p50": 0.50, "p90": 0.90, "max": 1.0}


def summarize(store: Store, sweep: Sweep, n_extreme: int = 5) -> dict[str, Any]:
    """Distribution (min, P10, P50, P90, max, mean) of each summary KPI over the stored
    scenarios, and the ids of the best and worst by the sweep's objective; written to
    ``summary.json``. Reads only those columns of ``scenarios.parquet``."""
    import pyarrow.parquet as pq

    path = store.dir / "scenarios.parquet"
    present = set(pq.read_schema(path).names)
    wanted = ["scenario_id", sweep.spec.sweep.objective, *SUMMARY_KPIS, "error"]
    table = pq.read_table(path, columns=[c for c in dict.fromkeys(wanted) if c in present])
    ids = table.column("scenario_id").to_numpy()
    dist = {}
    for name in SUMMARY_KPIS:
        if name not in table.column_names:
            continue
        x = table.column(name).to_numpy(zero_copy_only=False).astype(float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            continue
        q = np.quantile(x, list(_QUANTILES.values()))
        dist[name] = {k: float(v) for k, v in zip(_QUANTILES, q, strict=True)}
        dist[name]["mean"] = float(x.mean())
    objective, sense = sweep.spec.sweep.objective, sweep.spec.sweep.sense
    best = worst = []
    if objective in table.column_names and len(ids):
        y = table.column(objective).to_numpy(zero_copy_only=False).astype(float)
        ok = np.isfinite(y)
        order = np.lexsort((ids[ok], y[ok] if sense == "min" else -y[ok]))  # ties: lower id
        ranked = ids[ok][order]
        best = [int(i) for i in ranked[:n_extreme]]
        worst = [int(i) for i in ranked[::-1][:n_extreme]]
    out = {
        "n_scenarios": int(sweep.plan.n_scenarios),
        "n_stored": int(len(ids)),
        "complete": bool(len(ids) == sweep.plan.n_scenarios),
        "objective": objective,
        "sense": sense,
        "best_scenario_ids": best,
        "worst_scenario_ids": worst,
        "kpis": dist,
    }
    if "error" in table.column_names:
        out["n_errors"] = int(table.column("error").is_valid().to_numpy(zero_copy_only=False).sum())
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
