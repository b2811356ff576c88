"""Calendar, clear sky and seasonal helpers shared by fitting and generation."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

__all__ = ["calendar_days", "clear_sky", "daily_clear_sky_index", "month_centres",
           "monthly_node_values", "periodic_interp", "season"]


def calendar_days(years) -> pd.DatetimeIndex:
    """Daily dates of the given calendar years, 29 February dropped (energysim leap-year rule)."""
    days = pd.DatetimeIndex(np.concatenate([
        pd.date_range(f"{int(y)}-01-01", f"{int(y)}-12-31", freq="D").to_numpy() for y in years]))
    return days[~((days.month == 2) & (days.day == 29))]


def clear_sky(times: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float,
              utc_offset_h: float) -> pd.DataFrame:
    """Ineichen clear-sky GHI [W m-2] and solar zenith [deg] at the middle of each hour.

    ``times`` are naive local standard period-beginning labels; the Linke
    turbidity comes from pvlib's bundled monthly climatology (no download).
    """
    import pvlib

    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    mid = pd.DatetimeIndex(times).tz_localize(tz) + pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude, longitude, altitude=altitude_m)
    sp = loc.get_solarposition(mid)
    cs = loc.get_clearsky(mid, model="ineichen", solar_position=sp)
    out = pd.DataFrame({"ghi_cs": cs["ghi"].to_numpy(), "zenith": sp["zenith"].to_numpy(),
                        "apparent_zenith": sp["apparent_zenith"].to_numpy()}, index=times)
    out.loc[out["apparent_zenith"] >= 90.0, "ghi_cs"] = 0.0
    return out


def daily_clear_sky_index(ghi_daily_wh_m2, dates, latitude: float, longitude: float,
                          altitude_m: float, utc_offset_h: float) -> np.ndarray:
    """Daily clear-sky index ``H / H_cs`` of daily GHI sums [Wh m-2] on the given dates.

    Parameters
    ----------
    ghi_daily_wh_m2 : array_like
        Daily GHI [Wh m-2].
    dates : array_like of datetime64
        The local dates.
    latitude, longitude, altitude_m, utc_offset_h : float
        Site [deg, deg, m, h].

    Returns
    -------
    numpy.ndarray
        ``kc_d`` [-] (NaN where the clear-sky sum is zero).
    """
    dates = pd.DatetimeIndex(dates).normalize()
    # clear-sky sums depend on day of year only (to < 0.1 %): one 366-day year is enough
    ref = pd.date_range("2000-01-01", periods=366 * 24, freq="h")
    cs = clear_sky(ref, latitude, longitude, altitude_m, utc_offset_h)["ghi_cs"].to_numpy()
    cs_day = cs.reshape(366, 24).sum(axis=1)
    doy = np.asarray(dates.dayofyear) - 1
    doy = np.where(~dates.is_leap_year & (doy >= 59), doy + 1, doy)  # map to leap-year calendar
    h_cs = cs_day[doy]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(h_cs > 0, np.asarray(ghi_daily_wh_m2, dtype=float) / h_cs, np.nan)


def month_centres() -> np.ndarray:
    """Day of year (0-based) of the 15th of each month of a non-leap year."""
    return np.array([pd.Timestamp(2001, m, 15).dayofyear - 1.0 for m in range(1, 13)])


def periodic_interp(doy: np.ndarray, centres: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of mid-month ``values`` at day of year ``doy``, periodic over 365 d."""
    xp = np.concatenate([centres - 365.0, centres, centres + 365.0])
    fp = np.concatenate([values, values, values])
    return np.interp(doy, xp, fp)


def monthly_node_values(monthly_means: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """Mid-month node values with the given monthly means.

    Their periodic linear interpolation has exactly the given monthly means.
    """
    doy = days.dayofyear.to_numpy() - 1.0
    centres = month_centres()
    basis = np.stack([periodic_interp(doy, centres, np.eye(12)[k]) for k in range(12)], axis=1)
    a = np.stack([basis[days.month == m].mean(axis=0) for m in range(1, 13)])
    return np.linalg.solve(a, monthly_means)


def season(month) -> np.ndarray:
    """Season index of months 1-12: 0 DJF, 1 MAM, 2 JJA, 3 SON."""
    return (np.asarray(month) % 12) // 3
