"""The columns of a sweep's results store, in one place: names, order, Arrow types, metadata.

A stored row (``scenarios.parquet``, one per scenario) holds, in this order:
``scenario_id`` and ``batch`` (:data:`ID_COLUMNS`), the swept parameters under
their config names (``"pv.capex_per_kw"``), the simulated capacities
(:data:`CAPACITY_COLUMNS`), the KPIs (:data:`KPI_COLUMNS`) and, when sizing,
:data:`SIZE_COLUMNS`. Units and long names come from
:data:`energysim.nomenclature.QUANTITIES`, which also sets each column's type:
unit ``bool`` → boolean (may be null), ``text`` → string, anything else float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from energysim.nomenclature import KPI_FLAGS, KPIS, QUANTITIES

__all__ = ["ID_COLUMNS", "CAPACITY_FIELDS", "CAPACITY_COLUMNS", "KPI_COLUMNS", "SIZE_COLUMNS",
           "SUMMARY_KPIS", "REPORT_KPIS", "is_flag", "is_text", "empty_columns", "arrow_table"]

#: Identify a row: the scenario's place in the deterministic list, the task that computed it.
ID_COLUMNS = ("scenario_id", "batch")
#: Capacity config fields → their column; this order is the dispatch core's capacity table.
CAPACITY_FIELDS = {
    "pv.capacity_mw": "pv_mw",
    "wind.capacity_mw": "wind_mw",
    "battery.energy_mwh": "battery_mwh",
    "battery.power_mw": "battery_mw",
}
#: Capacities simulated in each scenario (swept, at least the existing capacity, or sized).
CAPACITY_COLUMNS = tuple(CAPACITY_FIELDS.values())
#: KPI columns of every stored scenario: the scalar KPIs of a run and its pass/fail flags,
#: as :mod:`energysim.nomenclature` lists them (:data:`~energysim.nomenclature.KPIS`,
#: :data:`~energysim.nomenclature.KPI_FLAGS`).
KPI_COLUMNS = KPIS + tuple(KPI_FLAGS)
#: Extra columns when sizing: hourly KPIs of the re-simulated mix, the LP's share, errors.
SIZE_COLUMNS = ("peak_load_mw", "peak_import_mw", "cfe_hourly_score", "cfe_hours_share",
                "lp_onsite_share", "error")
#: KPIs whose distribution ``summary.json`` reports (when stored).
SUMMARY_KPIS = ("onsite_share", "clean_share", "curtailment_share", "annualized_cost",
                "lcoe_per_mwh", "import_green_mwh", "co2_t", "pv_mw", "wind_mw", "battery_mwh")
#: KPIs the report draws as histograms across scenarios.
REPORT_KPIS = ("onsite_share", "clean_share", "lcoe_per_mwh", "co2_t")


def _unit(name: str) -> str | None:
    q = QUANTITIES.get(name)
    return q.unit if q else None


def is_flag(name: str) -> bool:
    """A pass/fail column (boolean, null where it does not apply)."""
    return _unit(name) == "bool"


def is_text(name: str) -> bool:
    """A free-text column (``error``)."""
    return _unit(name) == "text"


def empty_columns(n: int, names) -> dict[str, np.ndarray]:
    """Output arrays of ``n`` rows to fill: None for flag and text columns, NaN otherwise."""
    return {c: (np.full(n, None, dtype=object) if is_flag(c) or is_text(c) else np.full(n, np.nan))
            for c in names}


def _array(name: str, values) -> pa.Array:
    if is_flag(name) or is_text(name):
        items = values.tolist() if isinstance(values, np.ndarray) else list(values)
        return pa.array(items, pa.bool_() if is_flag(name) else pa.string())
    return pa.array(np.asarray(values, dtype=np.float64), pa.float64())


def arrow_table(ids: np.ndarray, batch: int, parameters: dict[str, np.ndarray],
                results: dict[str, Any]) -> pa.Table:
    """One batch's rows: ids, swept values (their own type), results (typed by :func:`_array`).

    Fields carry ``units`` / ``long_name`` metadata from the nomenclature, where known.
    """
    columns: dict[str, pa.Array] = {
        "scenario_id": pa.array(ids, pa.int64()),
        "batch": pa.array(np.full(len(ids), batch), pa.int64()),
    }
    columns |= {name: pa.array(np.asarray(v)) for name, v in parameters.items()}
    columns |= {name: _array(name, v) for name, v in results.items()}
    fields = []
    for name, arr in columns.items():
        q = QUANTITIES.get(name)
        meta = {"units": q.unit, "long_name": q.long_name} if q else None
        fields.append(pa.field(name, arr.type, metadata=meta))
    return pa.table(columns, schema=pa.schema(fields))
