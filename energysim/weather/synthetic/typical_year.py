"""Typical-year selection: the year of a multi-year set closest to the set.

The whole year is chosen by the Finkelstein–Schafer statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["FS_WEIGHTS", "TEMP_DEVIATION_SCALE_K", "select_typical_year"]

#: Finkelstein–Schafer weights of the typical-year criterion (daily statistic → weight).
FS_WEIGHTS = {"ghi_sum": 0.5, "wind_mean": 0.3, "temp_mean": 0.1, "temp_max": 0.05,
              "temp_min": 0.05}
#: Monthly temperature RMS deviation [K] counted like a 100 % deviation of annual GHI / 10
#: (ranking step).
TEMP_DEVIATION_SCALE_K = 10.0


def _daily_stats(ds: xr.Dataset) -> pd.DataFrame:
    t = pd.DatetimeIndex(ds["time"].values)
    df = pd.DataFrame({k: ds[k].to_numpy() for k in ("ghi", "wind_speed", "temp_air")}, index=t)
    g = df.groupby(t.normalize())
    return pd.DataFrame({
        "ghi_sum": g["ghi"].sum(), "wind_mean": g["wind_speed"].mean(),
        "temp_mean": g["temp_air"].mean(), "temp_max": g["temp_air"].max(),
        "temp_min": g["temp_air"].min(),
    })


def _fs_scores(daily: pd.DataFrame, weights: dict) -> pd.Series:
    """Per year: the weighted FS statistic of its months against all years' months, averaged."""
    idx = pd.DatetimeIndex(daily.index)
    scores = {}
    for y in sorted(set(idx.year)):
        total = 0.0
        for m in range(1, 13):
            all_m = daily[idx.month == m]
            one = daily[(idx.month == m) & (idx.year == y)]
            for stat, w in weights.items():
                ref = np.sort(all_m[stat].to_numpy())
                x = np.sort(one[stat].to_numpy())
                cdf_ref = np.searchsorted(ref, x, side="right") / ref.size
                cdf_one = np.arange(1, x.size + 1) / x.size
                total += w * float(np.mean(np.abs(cdf_one - cdf_ref)))
        scores[y] = total / 12
    return pd.Series(scores)


def select_typical_year(ds: xr.Dataset, weights: dict | None = None,
                        n_candidates: int = 5) -> tuple[int, pd.DataFrame]:
    """The calendar year of a multi-year Dataset closest to the whole set (Finkelstein–Schafer).

    For every year, month and daily statistic (daily GHI sum, mean wind, mean,
    max and min temperature) the FS statistic is the mean absolute difference
    between the year-month's empirical CDF and the all-years CDF of that month,
    at the year-month's daily values [1]_; the year's score is the weighted sum
    over statistics (:data:`FS_WEIGHTS`) averaged over the 12 months. Whole
    years are chosen (not TMY-style month splicing) so that persistence across
    month boundaries stays intact.

    As in the TMY procedure (where the five lowest-FS candidate months are
    then ranked by the closeness of their mean to the long-term mean), the
    ``n_candidates`` lowest-score years are ranked by
    ``|G_y/Ḡ − 1| + |V_y/V̄ − 1| + rms_m(T_ym − T̄_m) / 10 K``, the relative
    deviation of their annual GHI and mean wind speed from the all-years means
    plus the RMS deviation of their monthly mean temperatures, and the closest
    is chosen: the typical year is then close to P50 for both PV and wind
    energy, with typical monthly temperatures.

    Returns
    -------
    year : int
        The chosen year.
    scores : pandas.DataFrame
        Per year: ``fs_score``, ``annual_deviation``, ``candidate``.

    References
    ----------
    .. [1] I. Finkelstein, W. Schafer, "Improved goodness-of-fit tests",
       Biometrika 58(3), 641-645, 1971.
    """
    table = pd.DataFrame({"fs_score": _fs_scores(_daily_stats(ds), weights or FS_WEIGHTS)})
    t = pd.DatetimeIndex(ds["time"].values)
    g = ds["ghi"].to_series().groupby(t.year).sum()
    v = ds["wind_speed"].to_series().groupby(t.year).mean()
    tm = ds["temp_air"].to_series().groupby([t.year, t.month]).mean().unstack()
    t_rms = np.sqrt(((tm - tm.mean()) ** 2).mean(axis=1))
    table["annual_deviation"] = ((g / g.mean() - 1).abs() + (v / v.mean() - 1).abs()
                                 + t_rms / TEMP_DEVIATION_SCALE_K)
    table["candidate"] = table["fs_score"].rank(method="first") <= n_candidates
    year = int(table.loc[table["candidate"], "annual_deviation"].idxmin())
    return year, table
