"""Weather: read a weather file of any supported format into the Weather Dataset.

``read_weather(park.weather, park.site)`` is what the rest of energysim calls;
``read_weather_file`` does the same from a path and a format name;
``local_times`` gives the time-zone-aware time axis of a Weather Dataset.

The Weather Dataset
-------------------
- dim ``time``: hourly, period-beginning labels, tz-naive ``datetime64`` in the
  **local standard time** of the data (no DST); 29 February dropped; a
  multi-year file is kept whole on one long time axis.
- variables (pvlib names): ``ghi``, ``dni``, ``dhi`` [W m-2], ``temp_air``
  [degC], ``wind_speed`` [m s-1] with ``attrs['height_m']`` (measurement
  height), optional ``pressure`` [Pa]; each with ``units`` and ``long_name``.
- attrs: ``source`` (file path and product), ``format``, ``utc_offset_h``
  (standard UTC offset of ``time`` [h]), ``latitude``, ``longitude``,
  ``altitude_m`` (where the data are from; the site's when the file does not
  say), ``path`` (the file read), ``fills`` (every fill applied, "" if none)
  and ``notes`` (leap day, typical-year relabelling, an allowed site mismatch).

Pipeline: format reader (:mod:`energysim.weather.readers`) → typical-year
relabelling → quality checks and fills (:mod:`energysim.weather.quality`) →
Dataset. Formats and their time conventions are tabulated in
:mod:`energysim.weather.readers`; the quality rules in
:mod:`energysim.weather.quality`.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim.errors import WeatherError, problem
from energysim.paths import require_file
from energysim.weather import quality
from energysim.weather.readers import (
    READERS,
    TYPICAL_YEAR,
    VARIABLES,
    RawWeather,
    relabel_year,
    variable_attrs,
    write_energysim_csv,
)

__all__ = ["FORMATS", "read_weather", "read_weather_file", "read_ensemble_years", "local_times",
           "write_energysim_csv", "MIN_YEAR_HOURS"]

#: Fewest hours of a calendar year of a weather ensemble [h]: a whole year (8760 h) less
#: one day, which a UTC -> local shift can move out of the file's first or last year.
MIN_YEAR_HOURS = 8760 - 24

#: Supported weather formats (same names as ``energysim.config.WEATHER_FORMATS``).
FORMATS: tuple[str, ...] = tuple(READERS)


def read_weather(cfg, site=None) -> xr.Dataset:
    """Read the ``[weather]`` of a park config.

    Parameters
    ----------
    cfg : energysim.config.WeatherConfig
        ``path``, ``format``, ``year`` (one calendar year of a multi-year file,
        or the year given to a typical-year file), ``max_fill_hours``,
        ``max_fill_fraction``, ``allow_site_mismatch``.
    site : energysim.config.SiteConfig, optional
        The ``[site]``: its time zone sets the UTC offset of formats without
        one (pvgis, netcdf, csv); its coordinates pick the NetCDF grid cell and
        are compared with the file's metadata (a mismatch is an error unless
        ``cfg.allow_site_mismatch``).

    Returns
    -------
    xarray.Dataset
        The Weather Dataset (module docstring).

    Raises
    ------
    WeatherError
        Unreadable file or a broken quality rule; the message names file,
        column, value and rule.
    """
    return read_weather_file(
        cfg.path, cfg.format, site=site, max_fill_hours=cfg.max_fill_hours,
        max_fill_fraction=cfg.max_fill_fraction, year=cfg.year,
        allow_site_mismatch=cfg.allow_site_mismatch,
    )


def read_ensemble_years(cfg, site=None) -> dict[int, xr.Dataset]:
    """Each calendar year of ``cfg.ensemble_path`` as its own Weather Dataset.

    The one split of a weather ensemble into weather years (the study's
    P50/P90, sweeps over ``weather.year``). Every year must be whole: a year
    with fewer than :data:`MIN_YEAR_HOURS` hours (a file starting or ending
    mid-year) would count a part of a year as a weather year.

    Raises
    ------
    WeatherError
        A partial year (named, with its hours and first and last hour).
    """
    if cfg is None or cfg.ensemble_path is None:
        return {}
    ensemble = read_weather_file(
        cfg.ensemble_path, cfg.format, site=site, max_fill_hours=cfg.max_fill_hours,
        max_fill_fraction=cfg.max_fill_fraction, allow_site_mismatch=cfg.allow_site_mismatch,
    )
    times = pd.DatetimeIndex(ensemble["time"].values)
    out, partial = {}, []
    for year in np.unique(times.year):
        idx = np.flatnonzero(times.year == year)
        if idx.size < MIN_YEAR_HOURS:
            partial.append(problem(
                f"year {year} has only {idx.size} of 8760 hours ({_when(times[idx[0]])} to "
                f"{_when(times[idx[-1]])}): an ensemble holds whole calendar years; trim the "
                "file to whole years", source=cfg.ensemble_path, field="time", value=int(year)))
        out[int(year)] = ensemble.isel(time=idx)
    if partial:
        raise WeatherError(partial, headline=f"weather ensemble with a partial year: "
                                             f"{cfg.ensemble_path}")
    return out


def _when(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


def read_weather_file(path, fmt: str = "energysim", *, site=None, max_fill_hours: int = 3,
                      max_fill_fraction: float = 0.02, year: int | None = None,
                      allow_site_mismatch: bool = False) -> xr.Dataset:
    """Read, check and fill one weather file (see :func:`read_weather`).

    Parameters
    ----------
    path : str or Path
        The weather file.
    fmt : str
        One of :data:`FORMATS`.
    site : energysim.config.SiteConfig, optional
        As in :func:`read_weather`.
    max_fill_hours : int
        Longest run of missing hours (per variable) filled [h].
    max_fill_fraction : float
        Largest fraction of hours that may be filled [0-1].
    year : int, optional
        Keep only this calendar year (multi-year file) or give this year to a
        typical-year file. Without it a typical year becomes
        :data:`~energysim.weather.readers.TYPICAL_YEAR` (2001).
    allow_site_mismatch : bool
        Accept data whose coordinates or altitude differ from ``site`` (then
        a "site mismatch" note); by default that is an error.

    Returns
    -------
    xarray.Dataset
    """
    path = Path(path)
    src = str(path)
    site_offset = quality.standard_utc_offset_h(site.timezone) if site is not None else None
    raw = _parse(path, fmt, site, site_offset)
    notes = list(raw.notes)
    offset = raw.utc_offset_h if raw.utc_offset_h is not None else site_offset
    if offset is None:
        offset = 0.0
        notes.append("no UTC offset in the file and no [site]: UTC assumed")
    df = raw.data
    if len(df) == 0:
        raise WeatherError(problem("no data rows", source=src))
    nat = np.flatnonzero(pd.isna(df.index))
    if nat.size:
        raise WeatherError(problem(f"{nat.size} unreadable date/time(s), first at data row "
                                   f"{nat[0] + 1}",
                                   source=src, field="time"))
    df = _calendar(df, raw, year, notes, src)
    if len(df) < 2:
        raise WeatherError(problem("at least two hourly rows are needed", source=src, field="time",
                                   value=len(df)))
    df, range_notes = quality.check_ranges(df, src)
    notes += range_notes

    lat = raw.latitude if raw.latitude is not None else getattr(site, "latitude", None)
    lon = raw.longitude if raw.longitude is not None else getattr(site, "longitude", None)
    alt = raw.altitude_m if raw.altitude_m is not None else getattr(site, "altitude_m", None)
    df, fills = quality.fill_gaps(
        df, src, max_fill_hours=max_fill_hours, max_fill_fraction=max_fill_fraction,
        latitude=lat if lat is not None else 0.0, longitude=lon if lon is not None else 0.0,
        utc_offset_h=offset,
    )
    if lat is not None and lon is not None:
        sun: dict[str, Any] = dict(latitude=lat, longitude=lon, utc_offset_h=offset,
                   elevations=quality.hour_end_elevations(df.index, lat, lon, offset))
        notes += [n for n in (quality.check_night_irradiance(df, src, **sun),
                              quality.check_daylight_zeros(df, src, **sun)) if n]
    else:
        notes.append("no coordinates in the file and no [site]: sun checks (night irradiance, "
                     "daylight zeros) skipped")
    quality.check_dni_extraterrestrial(df, src)
    notes += quality.site_notes(latitude=raw.latitude, longitude=raw.longitude,
                                altitude_m=raw.altitude_m, utc_offset_h=raw.utc_offset_h,
                                site=site, site_offset_h=site_offset, source=src,
                                allow_mismatch=allow_site_mismatch)
    return _dataset(df, raw, fmt, offset, lat, lon, alt, fills, notes, path)


def _parse(path: Path, fmt: str, site, site_offset: float | None) -> RawWeather:
    """Parse one file with the reader of ``fmt``; a malformed file is a WeatherError."""
    if fmt not in READERS:
        raise WeatherError(problem(f"unknown weather format; use one of {', '.join(FORMATS)}",
                                   source=path, field="format", value=fmt))
    require_file(path, WeatherError)  # the shared path rule: never opens a FIFO
    kwargs = {}
    if fmt == "netcdf":
        kwargs = {"latitude": getattr(site, "latitude", None),
                  "longitude": getattr(site, "longitude", None)}
    try:
        raw: RawWeather = READERS[fmt](path, site_offset, **kwargs)
    except WeatherError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, OverflowError, AttributeError,
            UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        # the readers check what they can; anything a malformed file still trips
        # over while being parsed is reported as an unreadable file of that format
        raise WeatherError(problem(
            f"not a readable {fmt} file ({type(exc).__name__}: {str(exc).strip()[:160]})",
            source=path, field="format", value=fmt)) from None
    _check_metadata(raw, str(path))
    return raw


def _calendar(df: pd.DataFrame, raw: RawWeather, year: int | None, notes: list, src: str
              ) -> pd.DataFrame:
    """Rows on one checked calendar.

    A typical year relabelled, 29 February dropped, the asked year of a multi-year file kept
    (notes appended).
    """
    if raw.typical:
        # mixed source years: relabel first, then the time checks see one calendar year
        target = TYPICAL_YEAR if year is None else int(year)
        idx, keep = relabel_year(df.index, target)
        if not keep.all():
            notes.append(f"29 February dropped ({int((~keep).sum())} h; energysim leap-year rule)")
        df = df.loc[keep].set_axis(idx)
        notes.append(f"typical year ({raw.product}) relabelled to calendar year {target}")
    quality.check_time_axis(df.index, src)
    df = df.sort_index(kind="stable")
    df, leap_note = quality.drop_leap_day(df)
    if leap_note:
        notes.append(leap_note)
    if year is not None and not raw.typical:
        in_year = pd.DatetimeIndex(df.index).year == int(year)
        if not in_year.any():
            years = sorted(set(pd.DatetimeIndex(df.index).year))
            raise WeatherError(problem(f"year not in the file (it has {years[0]}-{years[-1]})",
                                       source=src, field="year", value=int(year)))
        df = df.loc[in_year]
    return df


#: Allowed range of the metadata a weather file carries.
_META_RANGES = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 360.0),
                "altitude_m": (-500.0, 9000.0), "utc_offset_h": (-12.0, 14.0),
                "wind_height_m": (0.1, 300.0)}


def _check_metadata(raw: RawWeather, src: str) -> None:
    """Coordinates, altitude, UTC offset and wind height in the file must be finite and physical."""
    probs = []
    for key, (low, high) in _META_RANGES.items():
        value = getattr(raw, key)
        if value is None:
            continue
        if not (np.isfinite(value) and low <= value <= high):
            probs.append(problem(f"file metadata out of range [{low:g}, {high:g}]", source=src,
                                 field=key, value=value))
    if probs:
        raise WeatherError(probs, headline=f"weather file metadata unusable in {src}")


def _dataset(df, raw: RawWeather, fmt, offset, lat, lon, alt, fills, notes, path) -> xr.Dataset:
    time = pd.DatetimeIndex(df.index).as_unit("ns")
    data_vars = {}
    for name in VARIABLES:
        if name in df.columns:
            data_vars[name] = xr.Variable(
                "time", df[name].to_numpy(dtype="float64"),
                attrs=variable_attrs(name, raw.wind_height_m if name == "wind_speed" else None),
            )
    ds = xr.Dataset(data_vars, coords={"time": ("time", time.to_numpy())})
    ds["time"].attrs.update(long_name="local standard time (period-beginning)",
                            utc_offset_h=float(offset))
    ds.attrs.update(
        source=f"{raw.source} ({raw.product})", format=fmt, utc_offset_h=float(offset),
        latitude=float(lat) if lat is not None else np.nan,
        longitude=float(lon) if lon is not None else np.nan,
        altitude_m=float(alt) if alt is not None else np.nan,
        wind_height_m=float(raw.wind_height_m), fills=fills, notes="; ".join(notes),
        path=str(path),
    )
    return ds


def local_times(weather: xr.Dataset) -> pd.DatetimeIndex:
    """The Weather Dataset's time axis as a tz-aware index at its fixed standard UTC offset.

    Parameters
    ----------
    weather : xarray.Dataset
        A Weather Dataset: naive local standard ``time`` and ``attrs['utc_offset_h']``.

    Returns
    -------
    pandas.DatetimeIndex
        tz-aware (fixed offset, no DST), period-beginning labels.
    """
    raw = weather.attrs.get("utc_offset_h")
    try:
        offset = float(raw) if raw is not None else float("nan")
    except (TypeError, ValueError):
        offset = float("nan")
    if not np.isfinite(offset):
        raise WeatherError(problem(
            "weather needs attrs['utc_offset_h'] (standard UTC offset of its local time)",
            source=weather.attrs.get("source"), field="utc_offset_h",
            value=weather.attrs.get("utc_offset_h")))
    tz = datetime.timezone(datetime.timedelta(hours=offset))
    times = pd.DatetimeIndex(weather["time"].values)
    if times.tz is not None:
        return times.tz_convert(tz)
    return times.tz_localize(tz)
