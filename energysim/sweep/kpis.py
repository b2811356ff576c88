"""Columnar KPIs: the accounting's own KPIs for many scenarios at once.

The sweep computes the KPIs of thousands of scenarios per task. The accounting
(:func:`energysim.accounting.kpis_from_totals`) works on annual totals with an
optional leading scenario dimension, so the sweep hands it arrays of totals and
capacities and gets every KPI, target and indicator verdict back as arrays:
one definition of every quantity, evaluated once for all scenarios.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from energysim.accounting import TOTAL_KEYS, capacity_charge, kpis_from_totals
from energysim.config import Capacities, ParkConfig
from energysim.errors import ConfigError, problem

__all__ = ["kpi_columns"]


def kpi_columns(totals: dict[str, np.ndarray], park: ParkConfig,
                caps: np.ndarray) -> dict[str, np.ndarray]:
    """Every KPI column of :data:`energysim.sweep.columns.KPI_COLUMNS` for n scenarios of one park.

    Parameters
    ----------
    totals : dict of ndarray
        Annual totals (:data:`energysim.accounting.TOTAL_KEYS`), each (n,)
        [MWh/yr, money/yr, t/yr].
    park : ParkConfig
        Costs, economics, targets and indicator settings shared by the n scenarios.
    caps : ndarray
        (n, 4): PV [MWp], wind [MW], battery [MWh], battery [MW].

    Returns
    -------
    dict of ndarray
        Float KPIs as in ``kpis_from_totals``; ``onsite_met``, ``clean_met``
        (None-filled object array when there is no clean target),
        ``co2_per_tce_passed`` and ``clean_energy_share_passed`` as booleans.
    """
    t = {k: np.asarray(totals[k], dtype=np.float64) for k in TOTAL_KEYS}
    t["capacity_charge"] = np.full_like(t["load_mwh"], _capacity_charge(park))
    # array fields over scenarios stand in for a Capacities: kpis_from_totals evaluates the
    # same definitions on arrays, and reads only these four fields (a sweep has no flexible
    # demand, see require_none)
    kit = cast(Capacities, SimpleNamespace(**{
        name: np.asarray(caps[:, j], dtype=np.float64)
        for j, name in enumerate(("pv_mw", "wind_mw", "battery_mwh", "battery_mw"))}))
    with np.errstate(divide="ignore", invalid="ignore"):
        kp = kpis_from_totals(t, park, kit)
    n = t["load_mwh"].shape[0]
    out = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
           for k, v in kp.items() if k not in ("targets", "indicators")}
    targets = kp["targets"]
    out["onsite_met"] = np.asarray(targets["onsite_met"], dtype=bool)
    out["clean_met"] = (np.full(n, None, dtype=object) if targets["clean_met"] is None
                        else np.asarray(targets["clean_met"], dtype=bool))
    for row in kp["indicators"]:
        out[f"{row['key']}_passed"] = np.broadcast_to(np.asarray(row["passed"], dtype=bool), (n,))
    return out


def _capacity_charge(park: ParkConfig) -> float:
    """The tariff's capacity charge [money/yr]; a demand charge needs hourly flows."""
    if park.tariff.basis == "demand":
        raise ConfigError(problem("sweeps keep annual totals only, not the monthly import peaks "
                                  "a demand charge bills: sweep without [tariff] basis = "
                                  "'demand'", source=park.source, field="tariff.basis",
                                  value="demand"))
    return capacity_charge(None, park)
