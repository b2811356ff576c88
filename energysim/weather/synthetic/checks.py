"""Statistics that compare synthetic weather with a real record.

They serve the tests and the README table.

Each function takes Weather Datasets (:mod:`energysim.weather`) and returns
plain numbers, so a test can state its tolerance next to the comparison:

- :func:`monthly_means` — monthly means of a variable;
- :func:`ks_distance` — two-sample Kolmogorov–Smirnov distance of hourly values;
- :func:`acf` — autocorrelation at a lag;
- :func:`daily_clear_sky_index` — daily ``H / H_cs`` on the dataset's own site;
- :func:`longest_run` / :func:`longest_low_wind_spells` /
  :func:`longest_low_sun_spells` — per year, the longest run of hours with wind
  below a threshold, and of days with daily clear-sky index below a threshold
  (what sizes storage: multi-day lulls and cloudy spells);
- :func:`solar_wind_daily_corr` — correlation of daily clear-sky index and
  daily mean wind speed (the solar–wind relation at the day scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from energysim.weather.synthetic import climate

__all__ = [
    "monthly_means",
    "ks_distance",
    "acf",
    "daily_clear_sky_index",
    "longest_run",
    "longest_low_wind_spells",
    "longest_low_sun_spells",
    "solar_wind_daily_corr",
]


def _times(ds: xr.Dataset) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ds["time"].values)


def monthly_means(ds: xr.Dataset, name: str) -> np.ndarray:
    """Mean of ``name`` per calendar month (Jan..Dec) over all years [variable's unit]."""
    t = _times(ds)
    return ds[name].to_series().groupby(t.month).mean().reindex(range(1, 13)).to_numpy()


def ks_distance(a, b) -> float:
    """Two-sample Kolmogorov–Smirnov distance ``sup |F_a − F_b|`` [0-1]."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def acf(x, lag: int) -> float:
    """Lag-``lag`` autocorrelation (Pearson correlation of ``x[t]`` and ``x[t+lag]``)."""
    x = np.asarray(x, float)
    return float(np.corrcoef(x[:-lag], x[lag:])[0, 1])


def daily_clear_sky_index(ds: xr.Dataset) -> pd.Series:
    """Daily clear-sky index ``Σ GHI / Σ GHI_cs`` of each day (clear sky at the dataset's site)."""
    t = _times(ds)
    daily = ds["ghi"].to_series().groupby(t.normalize()).sum()
    kc = climate.daily_clear_sky_index(
        daily.to_numpy(), daily.index, float(ds.attrs["latitude"]), float(ds.attrs["longitude"]),
        float(ds.attrs["altitude_m"]), float(ds.attrs["utc_offset_h"]))
    return pd.Series(kc, index=daily.index, name="kc_d")


def longest_run(mask) -> int:
    """Length of the longest run of True in a boolean sequence."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(int))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return int((ends - starts).max()) if starts.size else 0


def longest_low_wind_spells(ds: xr.Dataset, threshold_m_s: float, by: str = "year") -> np.ndarray:
    """Longest run of hours with ``wind_speed < threshold_m_s`` per year (or per year-month) [h]."""
    t = _times(ds)
    s = ds["wind_speed"].to_series() < threshold_m_s
    keys = [t.year] if by == "year" else [t.year, t.month]
    return np.array([longest_run(g.to_numpy()) for _, g in s.groupby(keys)])


def longest_low_sun_spells(ds: xr.Dataset, threshold_kc: float) -> np.ndarray:
    """Longest run of days with daily clear-sky index below ``threshold_kc`` per year [d]."""
    kc = daily_clear_sky_index(ds)
    t = pd.DatetimeIndex(kc.index)
    return np.array([longest_run((g < threshold_kc).to_numpy()) for _, g in kc.groupby(t.year)])


def solar_wind_daily_corr(ds: xr.Dataset) -> float:
    """Correlation of the daily clear-sky index with the daily mean wind speed [-]."""
    kc = daily_clear_sky_index(ds)
    t = _times(ds)
    wind = ds["wind_speed"].to_series().groupby(t.normalize()).mean()
    return float(np.corrcoef(kc.to_numpy(), wind.reindex(kc.index).to_numpy())[0, 1])
