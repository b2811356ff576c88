"""Representative (typical) days of a Profiles Dataset (tsam), for sizing and pathway LPs.

The days of the horizon are clustered on per-unit PV, per-unit wind and load
(tsam, hierarchical clustering, medoid representation: every typical day is a
real day of the year). The LP then runs on the typical days only, each hour
weighted by the number of days its cluster stands for, with the battery
cyclic within each typical day (no storage carried between days: seasonal
storage is not represented). Every period is re-simulated on its full year,
so the reported KPIs never rest on the reduction.

References
----------
.. [1] L. Kotzur, P. Markewitz, M. Robinius, D. Stolten, "Impact of different
   time series aggregation methods on optimal energy system design",
   Renewable Energy 117 (2018) 474-487.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from energysim.errors import ConfigError, problem

__all__ = ["typical_days", "DAY_H"]

DAY_H = 24
_COLUMNS = ("pv_pu", "wind_pu", "load")


def typical_days(profiles: xr.Dataset, n_days: int,
                 period_h: int = DAY_H) -> tuple[np.ndarray, np.ndarray] | None:
    """Hours of ``n_days`` typical periods (days) and the number of hours each stands for.

    Parameters
    ----------
    profiles : xarray.Dataset
        Hourly ``pv_pu``, ``wind_pu``, ``load`` on ``time`` (1-h steps).
    n_days : int
        Number of typical periods (>= 2).
    period_h : int
        Length of a typical period [h]: 24 (days, default) or e.g. 168 (weeks,
        which keep multi-day wind lulls and let the battery carry energy
        between the days of a week).

    Returns
    -------
    (hours, weight) or None
        ``hours``: indices into ``time`` of the typical days' hours (day by
        day, 24 each); ``weight``: multiplicity of each of those hours [-],
        summing to the horizon's hours (a trailing partial day is spread over
        the clusters pro rata). None when ``n_days`` is not fewer than the
        horizon's whole days (then there is nothing to reduce).
    """
    import tsam

    n = int(profiles.sizes["time"])
    days = n // period_h
    if n_days < 2:
        raise ConfigError(problem("must be at least 2", field="representative_days", value=n_days))
    if n_days >= days:
        return None
    data = np.column_stack([np.asarray(profiles[c].values[: days * period_h], dtype=float)
                            for c in _COLUMNS])
    frame = pd.DataFrame(data, columns=list(_COLUMNS),
                         index=pd.date_range("2001-01-01", periods=days * period_h, freq="h"))
    # a constant column (e.g. zero wind) carries no information and upsets normalisation
    varying = [c for c in _COLUMNS if np.ptp(frame[c].to_numpy()) > 0]
    if not varying:
        varying = list(_COLUMNS[:1])
    result = tsam.aggregate(
        frame[varying], n_clusters=n_days, period_duration=period_h,
        cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
        preserve_column_means=False,
        numerical_tolerance=1e-6,  # medoids are real periods: ignore float round-off [MW]
    )
    assign = np.asarray(result.cluster_assignments)
    reps = result.cluster_representatives
    by_day = frame[varying].to_numpy().reshape(days, period_h, len(varying))
    hours, weight = [], []
    scale = n / (days * period_h)  # a trailing partial day, spread pro rata
    for c in sorted(set(assign.tolist())):
        members = np.flatnonzero(assign == c)
        rep = np.asarray(reps.loc[c].to_numpy(), dtype=float).reshape(period_h, len(varying))
        err = np.abs(by_day[members] - rep[None]).sum(axis=(1, 2))
        day = int(members[int(np.argmin(err))])  # the medoid: a real day of the cluster
        hours.append(np.arange(day * period_h, (day + 1) * period_h))
        weight.append(np.full(period_h, len(members) * scale))
    return np.concatenate(hours), np.concatenate(weight)
