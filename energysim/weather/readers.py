"""Weather file readers: one small function per format, all returning the same raw frame.

Each reader turns one file format into a :class:`RawWeather`: a DataFrame with
pvlib column names (``ghi``, ``dni``, ``dhi`` [W m-2], ``temp_air`` [degC],
``wind_speed`` [m s-1], optional ``pressure`` [Pa]) indexed by **naive local
standard time, period-beginning labels**, plus the file's own metadata
(latitude, longitude, altitude, UTC offset, wind measurement height). The
quality stage (:mod:`energysim.weather.quality`) then checks and fills it.

Where pvlib has a reader (``pvlib.iotools.read_tmy3``, ``read_tmy2``,
``read_epw``, ``read_pvgis_tmy``, ``read_nsrdb_psm4`` — the NSRDB PSM3 and PSM4
CSV share one layout) it is used; this module only converts units and time
labels:

========  =======================================  ============================================
format    time labels in the file                  conversion here
========  =======================================  ============================================
tmy3      local standard, period-ending (1..24)    label − 1 h; pressure mbar → Pa
tmy2      local standard, hour h ends its period*  tenths of degC, m/s → degC, m/s; mbar → Pa
epw       local standard, hour h ends its period*  missing codes (9999, 99.9, 999) → NaN
pvgis     UTC, hourly                              + UTC offset of the ``[site]`` (PVGIS has none)
psm3      local standard (``Time Zone``)           mbar → Pa; all-HH:30 stamps → HH:00
csv       ``time`` column, local standard          none (pvlib names required)
netcdf    UTC (ERA5)                               see :func:`read_netcdf`
energysim local standard, period-beginning         none (the project's own format, below)
========  =======================================  ============================================

(*) pvlib's TMY2 and EPW readers label hour ``h`` (the hour ending at ``h``)
as ``h − 1``, i.e. already period-beginning. Station wind in TMY3, TMY2, EPW,
PVGIS and PSM3 files is taken at the WMO standard height of 10 m.

Typical-year files (TMY3, TMY2, PVGIS TMY, and EPW / PSM3 files whose rows
come from several calendar years) are relabelled to one calendar year
(:data:`TYPICAL_YEAR`, a non-leap year, unless ``year`` is given); hours that
a UTC → local shift moves across the year end wrap around to its start.

The ``energysim`` format (v1)
-----------------------------
The project's own CSV, read by :func:`read_energysim` and written by
:func:`write_energysim_csv` (also used by the synthetic weather generator)::

    # energysim weather v1
    # source: <free text provenance>
    # latitude: 39.6
    # longitude: 109.8
    # altitude_m: 1300
    # utc_offset_h: 8
    # wind_height_m: 100
    time,ghi,dni,dhi,temp_air,wind_speed,pressure
    2001-01-01 00:00,0.0,0.0,0.0,-12.3,5.2,86500.0

- The first line is exactly ``# energysim weather v1``; then ``# key: value``
  header lines. ``utc_offset_h`` (standard UTC offset of the local time [h]) and
  ``wind_height_m`` (height of ``wind_speed`` [m]) are required; ``latitude``
  [deg N], ``longitude`` [deg E], ``altitude_m`` [m] describe where the data are
  from (they are compared with ``[site]``); ``source`` is free provenance text.
- ``time``: ``YYYY-MM-DD HH:MM``, local standard time (no DST), period-beginning
  (the row ``00:00`` covers 00:00-01:00), hourly.
- Columns ``ghi``, ``dni``, ``dhi`` [W m-2], ``temp_air`` [degC],
  ``wind_speed`` [m s-1] are required; ``pressure`` [Pa] is optional. Empty
  cells are missing values (filled or rejected by the quality rules).
"""

from __future__ import annotations

import datetime
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energysim.errors import WeatherError, problem
from energysim.nomenclature import attrs as q_attrs

__all__ = [
    "RawWeather",
    "READERS",
    "VARIABLES",
    "REQUIRED",
    "TYPICAL_YEAR",
    "relabel_year",
    "variable_attrs",
    "read_energysim",
    "read_tmy3",
    "read_tmy2",
    "read_epw",
    "read_pvgis",
    "read_psm3",
    "read_csv",
    "read_netcdf",
    "write_energysim_csv",
]

#: Weather variables (pvlib names) in the Weather Dataset, in file order.
VARIABLES = ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure")
#: Variables every weather file must provide.
REQUIRED = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
#: Calendar year given to typical-year files (a non-leap year, as in energysim.profiles).
TYPICAL_YEAR = 2001
#: Measurement height of station wind in TMY/EPW/PVGIS/PSM3 files [m] (WMO standard 10 m).
STATION_WIND_HEIGHT_M = 10.0

_HEADER_V1 = "# energysim weather v1"
_ONE_HOUR = pd.Timedelta(hours=1)


@dataclass
class RawWeather:
    """What a reader returns, before the quality checks.

    ``data`` has pvlib column names and a naive local-standard-time index with
    period-beginning labels (possibly irregular, duplicated or gappy: the
    quality stage judges that). ``utc_offset_h`` may be None when the file does
    not say (then the site's standard offset is used).
    """

    data: pd.DataFrame
    source: str
    product: str
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None
    utc_offset_h: float | None = None
    wind_height_m: float = STATION_WIND_HEIGHT_M
    typical: bool = False
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _fail(rule: str, path, field: str | None = None, **kw) -> WeatherError:
    return WeatherError(problem(rule, source=path, field=field, **kw))


def _call_reader(fn: Callable, path: Path, fmt: str, *args, **kw):
    """Run a pvlib reader; any parsing failure becomes a WeatherError naming the format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kw)
    except FileNotFoundError:
        raise _fail("file not found", path) from None
    except Exception as exc:  # pvlib readers raise many kinds on a malformed file
        raise _fail(
            f"not a readable {fmt} file ({type(exc).__name__}: {_first_line(exc)})", path
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else "no detail"


def _naive_local(index: pd.DatetimeIndex, utc_offset_h: float) -> pd.DatetimeIndex:
    """Tz-aware (or UTC-naive) index → naive local standard time at ``utc_offset_h``."""
    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    idx = pd.DatetimeIndex(index)
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    return idx.tz_convert(tz).tz_localize(None)


def relabel_year(index: pd.DatetimeIndex, year: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Give every timestamp of a typical year the calendar ``year`` (month, day, hour kept).

    A typical year holds each (month, day, hour) once, whatever source year
    each month came from, so relabelling keeps the hours unique; hours that a
    UTC → local shift pushed across the year end wrap around to the other end
    of the same year. Rows dated 29 February cannot be relabelled into a
    non-leap year and are dropped (the energysim leap-year rule).

    Returns
    -------
    index : pandas.DatetimeIndex
        The relabelled timestamps of the kept rows.
    keep : numpy.ndarray of bool
        Which input rows are kept.
    """
    idx = pd.DatetimeIndex(index)
    keep = ~((idx.month == 2) & (idx.day == 29))
    idx = idx[keep]
    out = pd.to_datetime(pd.DataFrame({
        "year": np.full(len(idx), int(year)), "month": idx.month, "day": idx.day,
        "hour": idx.hour, "minute": idx.minute,
    }))
    return pd.DatetimeIndex(out.to_numpy()), np.asarray(keep)


def _frame(data: pd.DataFrame, columns: dict[str, str],
           scale: dict[str, float] | None = None) -> pd.DataFrame:
    """Pick and rename columns to pvlib names, as float64, with optional unit scaling."""
    out = pd.DataFrame(index=data.index)
    for src, name in columns.items():
        if src in data.columns:
            values = pd.to_numeric(data[src], errors="coerce").astype("float64")
            out[name] = values * (scale or {}).get(name, 1.0)
    return out


def _require(df: pd.DataFrame, path, product: str) -> None:
    missing = [v for v in REQUIRED if v not in df.columns]
    if missing:
        raise _fail(
            f"{product} file lacks {', '.join(missing)} (needs {', '.join(REQUIRED)})",
            path, field=missing[0],
        )


def _is_typical(index: pd.DatetimeIndex) -> bool:
    """Rows from several calendar years but at most one year's worth: a typical year."""
    return len(index) <= 8784 and len(np.unique(pd.DatetimeIndex(index).year)) > 1


# ---------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------


def read_energysim(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """Read the project's own weather CSV (format spec in the module docstring)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        raise _fail("file not found", path) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise _fail(f"not a readable text file ({_first_line(exc)})", path) from None
    if not lines or lines[0].strip() != _HEADER_V1:
        raise _fail(
            f"first line must be '{_HEADER_V1}' (the energysim weather format; "
            "use format = \"csv\" for a plain CSV)", path, field="header",
            value=lines[0][:60] if lines else "",
        )
    header: dict[str, str] = {}
    n_header = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    for line in lines[:n_header]:
        m = re.match(r"#\s*([A-Za-z_]+)\s*:\s*(.*)$", line)
        if m:
            header[m.group(1).strip().lower()] = m.group(2).strip()

    def num(key: str, required: bool) -> float | None:
        if key not in header:
            if required:
                raise _fail(f"header line '# {key}: <number>' is required", path, field=key)
            return None
        try:
            value = float(header[key])
        except ValueError:
            raise _fail("header value is not a number", path, field=key,
                        value=header[key]) from None
        if not np.isfinite(value):
            raise _fail("header value must be finite", path, field=key, value=header[key])
        return value

    def required_num(key: str) -> float:
        value = num(key, True)
        assert value is not None, "num() raises for a missing required key"
        return value

    utc_offset = required_num("utc_offset_h")
    if not -12 <= utc_offset <= 14:
        raise _fail("UTC offset must lie in [-12, 14] h", path, field="utc_offset_h",
                    value=utc_offset)
    wind_height = required_num("wind_height_m")
    if not 0 < wind_height <= 300:
        raise _fail("wind measurement height must lie in (0, 300] m", path, field="wind_height_m",
                    value=wind_height)
    data = _read_time_csv(path, skiprows=n_header, product="energysim")
    return RawWeather(
        data=data, source=str(path), product="energysim weather v1" + (
            f"; {header['source']}" if header.get("source") else ""),
        latitude=num("latitude", False), longitude=num("longitude", False),
        altitude_m=num("altitude_m", False), utc_offset_h=utc_offset, wind_height_m=wind_height,
    )


def _read_time_csv(path: Path, skiprows: int, product: str) -> pd.DataFrame:
    """A CSV with a ``time`` column and pvlib-named columns → float frame on naive times."""
    try:
        raw = pd.read_csv(path, skiprows=skiprows, comment="#", skipinitialspace=True, dtype=str)
    except FileNotFoundError:
        raise _fail("file not found", path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(f"not a readable CSV ({_first_line(exc)})", path) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if "time" not in raw.columns:
        raise _fail(
            "no 'time' column (expected columns: time, " + ", ".join(VARIABLES[:-1])
            + ", optional pressure)", path, field="time", value=list(raw.columns)[:8],
        )
    unknown_needed = [v for v in REQUIRED if v not in raw.columns]
    if unknown_needed:
        raise _fail(
            f"missing column(s) {', '.join(unknown_needed)}; expected pvlib names: "
            f"time, {', '.join(REQUIRED)} (units W m-2, degC, m s-1), optional pressure [Pa]; "
            f"found: {', '.join(list(raw.columns)[:12])}",
            path, field=unknown_needed[0],
        )
    stamps = raw["time"].fillna("").str.strip()
    with_offset = np.flatnonzero(
        stamps.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).to_numpy())
    if with_offset.size:
        raise _fail(
            "timestamps carry a UTC offset; write local standard time without offset "
            "(the file header or [site] gives the offset)", path, field="time",
            value=stamps.iloc[with_offset[0]],
        )
    try:
        try:  # the spec's format first (fast), then any ISO-like stamp
            times = pd.to_datetime(stamps, format="%Y-%m-%d %H:%M")
        except (ValueError, OverflowError, TypeError):
            times = pd.to_datetime(stamps, errors="coerce", format="mixed")
    except (ValueError, OverflowError, TypeError) as exc:
        raise _fail(f"unreadable timestamps ({_first_line(exc)})", path, field="time") from None
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        raise _fail(
            f"{bad.size} unreadable timestamp(s), first at data row {bad[0] + 1} "
            "(expected 'YYYY-MM-DD HH:MM', local standard time)",
            path, field="time", value=raw["time"].iloc[bad[0]],
        )
    if getattr(times.dt, "tz", None) is not None:
        raise _fail("timestamps carry a time zone; write local standard time without one",
                    path, field="time", value=raw["time"].iloc[0])
    data = pd.DataFrame(index=pd.DatetimeIndex(times.to_numpy()))
    for name in VARIABLES:
        if name not in raw.columns:
            continue
        text = raw[name].fillna("").str.strip()
        values = pd.to_numeric(text.where(text != "", np.nan), errors="coerce")
        garbage = np.flatnonzero(values.isna().to_numpy() & (text != "").to_numpy())
        if garbage.size:
            raise _fail(
                f"{garbage.size} non-numeric value(s), first at data row {garbage[0] + 1}",
                path, field=name, value=text.iloc[garbage[0]],
            )
        data[name] = values.to_numpy(dtype="float64")
    return data


def read_csv(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """Read a plain CSV of hourly weather.

    A ``time`` column (local standard time, period-beginning) and columns with pvlib names
    ``ghi, dni, dhi`` [W m-2], ``temp_air`` [degC], ``wind_speed`` [m s-1] (assumed at 10 m),
    optional ``pressure`` [Pa]. Lines starting with ``#`` are comments.
    """
    path = Path(path)
    data = _read_time_csv(path, skiprows=0, product="csv")
    return RawWeather(data=data, source=str(path), product="csv", utc_offset_h=site_utc_offset_h,
                      notes=["csv: wind speed assumed measured at 10 m"])


def read_tmy3(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """TMY3 (NSRDB 1991-2005) via :func:`pvlib.iotools.read_tmy3`.

    TMY3 labels hour ``h`` as the end of the hour it averages (01:00 … 24:00);
    the label becomes period-beginning (``h − 1``). Pressure mbar → Pa.
    """
    import pvlib

    path = Path(path)
    # coerce to a non-leap year first: pvlib moves hour 24 of 28 February of a leap
    # source year to 1 March 00:00, which the label shift below returns to 28 Feb 23:00
    data, meta = _call_reader(pvlib.iotools.read_tmy3, path, "TMY3", path,
                              coerce_year=TYPICAL_YEAR, map_variables=True)
    df = _frame(data, {v: v for v in VARIABLES}, {"pressure": 100.0})
    local = _naive_local(data.index, meta["TZ"]) - _ONE_HOUR
    df.index = local
    _require(df, path, "TMY3")
    return RawWeather(
        data=df, source=str(path),
        product=f"TMY3 {meta.get('USAF', '')} {meta.get('Name', '')}".strip(),
        latitude=float(meta["latitude"]), longitude=float(meta["longitude"]),
        altitude_m=float(meta["altitude"]), utc_offset_h=float(meta["TZ"]), typical=True,
    )


def read_tmy2(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """TMY2 (NSRDB 1961-1990) via :func:`pvlib.iotools.read_tmy2`.

    pvlib keeps the file's units: dry-bulb and wind in tenths (degC, m s-1) and
    pressure in mbar; converted here. Its index is already period-beginning.
    """
    import pvlib

    path = Path(path)
    data, meta = _call_reader(pvlib.iotools.read_tmy2, path, "TMY2", str(path))
    df = _frame(
        data,
        {"GHI": "ghi", "DNI": "dni", "DHI": "dhi", "DryBulb": "temp_air", "Wspd": "wind_speed",
         "Pressure": "pressure"},
        {"temp_air": 0.1, "wind_speed": 0.1, "pressure": 100.0},
    )
    df.index = _naive_local(data.index, meta["TZ"])
    _require(df, path, "TMY2")
    return RawWeather(
        data=df, source=str(path),
        product=f"TMY2 {meta.get('WBAN', '')} {meta.get('City', '')}".strip(),
        latitude=float(meta["latitude"]), longitude=float(meta["longitude"]),
        altitude_m=float(meta["altitude"]), utc_offset_h=float(meta["TZ"]), typical=True,
    )


#: EPW "missing" codes (EnergyPlus Auxiliary Programs, Weather Converter, table of fields).
_EPW_MISSING = {"ghi": 9999.0, "dni": 9999.0, "dhi": 9999.0, "temp_air": 99.9,
                "wind_speed": 999.0, "pressure": 999999.0}


#: The eight header lines of an EPW file, in order (EnergyPlus Auxiliary Programs, Weather
#: Converter).
EPW_HEADER = ("LOCATION", "DESIGN CONDITIONS", "TYPICAL/EXTREME PERIODS", "GROUND TEMPERATURES",
              "HOLIDAYS/DAYLIGHT SAVINGS", "COMMENTS 1", "COMMENTS 2", "DATA PERIODS")


def _check_epw_header(path: Path) -> None:
    """The 8 EPW header lines, each in its place.

    pvlib skips a fixed number of lines, so a missing one would make it read the first data row
    as a header and shift the rest.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            keys = [fh.readline().split(",", 1)[0].strip().upper() for _ in EPW_HEADER]
    except OSError as exc:
        raise _fail(f"not a readable EPW file ({_first_line(exc)})", path) from None
    if keys != list(EPW_HEADER):
        missing = [k for k in EPW_HEADER if k not in keys]
        where = next(i for i, (k, want) in enumerate(zip(keys, EPW_HEADER, strict=True))
                     if k != want)
        raise _fail(
            f"EPW header line {where + 1} must start with {EPW_HEADER[where]!r}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
            + "; an EPW file has 8 header lines (" + ", ".join(EPW_HEADER)
            + ") before its hourly rows, which would otherwise be read shifted",
            path, field="header", value=keys[where][:40])


def read_epw(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """EnergyPlus weather (EPW) via :func:`pvlib.iotools.read_epw`.

    pvlib labels the EPW hour ``h`` (ending at ``h``) as ``h − 1``: period-beginning.
    The EPW missing-value codes become NaN. A file whose rows span several
    calendar years (a typical year) is relabelled to one year. The 8 header
    lines are checked first (:data:`EPW_HEADER`).
    """
    import pvlib

    path = Path(path)
    _check_epw_header(path)
    data, meta = _call_reader(pvlib.iotools.read_epw, path, "EPW", str(path))
    df = _frame(
        data,
        {"ghi": "ghi", "dni": "dni", "dhi": "dhi", "temp_air": "temp_air",
         "wind_speed": "wind_speed", "atmospheric_pressure": "pressure"},
    )
    for name, code in _EPW_MISSING.items():
        if name in df:
            df.loc[df[name] >= code, name] = np.nan
    df.index = _naive_local(data.index, meta["TZ"])
    _require(df, path, "EPW")
    return RawWeather(
        data=df, source=str(path),
        product=(f"EPW {meta.get('city', '')} {meta.get('WMO_code', '')} "
                 f"{meta.get('source', '')}").strip(),
        latitude=float(meta["latitude"]), longitude=float(meta["longitude"]),
        altitude_m=float(meta["altitude"]), utc_offset_h=float(meta["TZ"]),
        typical=_is_typical(df.index),
    )


def read_pvgis(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """PVGIS typical meteorological year (csv or json) via :func:`pvlib.iotools.read_pvgis_tmy`.

    PVGIS times are UTC and the file has no time zone: it is converted to the
    standard offset of ``[site] timezone``. Wind is at 10 m (``WS10m``).
    """
    import pvlib

    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "csv"
    if fmt == "json":
        # read_pvgis_tmy with a path opens it itself; check it parses as JSON first
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _fail("file not found", path) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise _fail(f"not a readable PVGIS json file ({_first_line(exc)})", path) from None
    data, meta = _call_reader(pvlib.iotools.read_pvgis_tmy, path, f"PVGIS TMY {fmt}", str(path),
                              pvgis_format=fmt, map_variables=True)
    offset = 0.0 if site_utc_offset_h is None else float(site_utc_offset_h)
    df = _frame(data, {v: v for v in VARIABLES})
    df.index = _naive_local(data.index, offset)
    _require(df, path, "PVGIS TMY")
    inputs = meta.get("inputs", {}) if isinstance(meta, dict) else {}
    loc = inputs.get("location", inputs) if isinstance(inputs, dict) else {}

    def f(key):
        try:
            return float(loc[key])
        except (KeyError, TypeError, ValueError):
            return None

    return RawWeather(
        data=df, source=str(path), product=f"PVGIS TMY ({fmt})",
        latitude=f("latitude"), longitude=f("longitude"), altitude_m=f("elevation"),
        utc_offset_h=offset, typical=True,
        notes=[f"PVGIS times are UTC; shifted to UTC{offset:+g} h of [site] timezone"],
    )


def read_psm3(path: Path, site_utc_offset_h: float | None = None) -> RawWeather:
    """NREL NSRDB PSM3/PSM4 CSV via :func:`pvlib.iotools.read_nsrdb_psm4` (same layout).

    Times are local standard time at the file's ``Time Zone``; pressure mbar → Pa.
    A TMY download (rows from several years) is relabelled to one year.
    """
    import pvlib

    path = Path(path)
    data, meta = _call_reader(pvlib.iotools.read_nsrdb_psm4, path, "NSRDB PSM3", str(path),
                              map_variables=True)
    df = _frame(data, {v: v for v in VARIABLES}, {"pressure": 100.0})
    tz = float(meta["Time Zone"])
    df.index = _naive_local(data.index, tz)
    notes = []
    if len(df) and (df.index.minute == 30).all():
        # hourly NSRDB values stamped at HH:30 describe the hour HH:00-HH+1:00
        df.index = df.index.floor("h")
        notes.append("psm3: HH:30 time stamps taken as the hour beginning HH:00")
    _require(df, path, "PSM3")
    return RawWeather(
        notes=notes, data=df, source=str(path),
        product=f"NSRDB PSM3 {meta.get('Source', '')} {meta.get('Location ID', '')}".strip(),
        latitude=float(meta["latitude"]), longitude=float(meta["longitude"]),
        altitude_m=float(meta["altitude"]), utc_offset_h=tz, typical=_is_typical(df.index),
    )


# --- ERA5-style NetCDF -------------------------------------------------------

_ERA5_WIND = (("u100", "v100", 100.0), ("u10", "v10", 10.0))


def _era5_cell(ds: xr.Dataset, path: Path, latitude: float, longitude: float):
    """The grid cell nearest the site in an ERA5-style Dataset, with the names to read it.

    Returned as (the cell with one time dimension, time name, wind variables, cell latitude,
    cell longitude in [-180, 180]).
    """
    tname = "valid_time" if "valid_time" in ds.coords else "time"
    lat_name = next((n for n in ("latitude", "lat") if n in ds.coords), None)
    lon_name = next((n for n in ("longitude", "lon") if n in ds.coords), None)
    if tname not in ds.coords or lat_name is None or lon_name is None:
        raise _fail("ERA5-style NetCDF needs coordinates time (or valid_time), latitude, longitude",
                    path, value=sorted(ds.coords))
    missing = [v for v in ("ssrd", "t2m") if v not in ds]
    wind = next((w for w in _ERA5_WIND if w[0] in ds and w[1] in ds), None)
    if missing or wind is None:
        raise _fail(
            "ERA5-style NetCDF needs ssrd [J m-2], t2m [K] and u100/v100 or u10/v10 [m s-1]; "
            f"found {', '.join(sorted(map(str, ds.data_vars)))}",
            path, field=(missing or ["u100/v100"])[0],
        )
    lons = ds[lon_name].values
    lon_q = longitude % 360 if np.nanmax(lons) > 180 else longitude
    cell = ds.sel({lat_name: latitude, lon_name: lon_q}, method="nearest")
    cell_lat = float(cell[lat_name])
    cell_lon = float(cell[lon_name])
    cell_lon = cell_lon - 360 if cell_lon > 180 else cell_lon
    if "expver" in cell.dims:  # ERA5 final (1) and ERA5T (5) fill complementary hours
        cell = cell.max("expver", skipna=True)
    for extra in [d for d in cell.dims if d != tname]:  # e.g. ensemble 'number'
        cell = cell.isel({extra: 0})
    return cell, tname, wind, cell_lat, cell_lon


def read_netcdf(path: Path, site_utc_offset_h: float | None = None, *,
                latitude: float | None = None, longitude: float | None = None) -> RawWeather:
    """ERA5-style gridded NetCDF (single levels) through xarray; nearest grid cell to the site.

    Variables (ECMWF short names): ``ssrd`` surface solar radiation downwards,
    accumulated over the hour ending at the time stamp [J m-2]; ``t2m`` 2 m
    temperature [K]; wind from ``u100``/``v100`` (100 m) or else ``u10``/``v10``
    (10 m) [m s-1]; optional ``sp`` surface pressure [Pa]. Time coordinate
    ``time`` or ``valid_time`` in UTC.

    Conversions: GHI = ssrd / 3600 s, labelled at the start of its hour
    (period-beginning); temperature K → degC; wind speed = hypot(u, v);
    instantaneous variables keep their time stamp. Times UTC → local standard
    time of the site. DNI and DHI are not in ERA5 single levels (only
    ``fdir``): they are decomposed from GHI with the Erbs model
    (:func:`pvlib.irradiance.erbs`, [1]) at the solar zenith of mid-hour.

    References
    ----------
    .. [1] D. G. Erbs, S. A. Klein and J. A. Duffie, "Estimation of the diffuse
       radiation fraction for hourly, daily and monthly-average global
       radiation", Solar Energy 28(4), 293-302, 1982.
    .. [2] H. Hersbach et al., "The ERA5 global reanalysis", Q. J. R. Meteorol.
       Soc. 146, 1999-2049, 2020 (accumulation convention of ``ssrd``).
    """
    import pvlib

    path = Path(path)
    if latitude is None or longitude is None:
        raise _fail("netcdf weather needs the [site] latitude and longitude to pick a grid cell",
                    path)
    try:
        ds = xr.open_dataset(path)
    except FileNotFoundError:
        raise _fail("file not found", path) from None
    except Exception as exc:  # netCDF4/h5netcdf/scipy engines raise various types
        raise _fail(f"not a readable NetCDF file ({_first_line(exc)})", path) from None
    with ds:
        cell, tname, wind, cell_lat, cell_lon = _era5_cell(ds, path, latitude, longitude)
        times = pd.DatetimeIndex(cell[tname].values)
        if len(times) < 2 or not (np.diff(times.values) == np.timedelta64(1, "h")).all():
            raise _fail("ERA5-style NetCDF must be hourly and sorted (ssrd is the 1-h "
                        "accumulation)",
                        path, field=tname, value=str(times[:3].tolist())[:80])
        ghi = pd.Series(cell["ssrd"].values.astype("float64") / 3600.0, index=times - _ONE_HOUR)
        inst = pd.DataFrame(
            {"temp_air": cell["t2m"].values.astype("float64") - 273.15,
             "wind_speed": np.hypot(cell[wind[0]].values.astype("float64"),
                                    cell[wind[1]].values.astype("float64"))},
            index=times,
        )
        if "sp" in cell:
            inst["pressure"] = cell["sp"].values.astype("float64")
        altitude = None
        if "z" in cell and cell["z"].ndim == 0:  # geopotential of the cell [m2 s-2]
            altitude = float(cell["z"]) / 9.80665
    common = ghi.index.intersection(inst.index)
    if len(common) == 0:
        raise _fail("no hour with both ssrd and the instantaneous variables", path, field=tname)
    ghi = ghi.reindex(common).clip(lower=0.0)
    df = inst.reindex(common)
    utc_mid = pd.DatetimeIndex(common).tz_localize("UTC") + pd.Timedelta(minutes=30)
    pos = pvlib.solarposition.get_solarposition(utc_mid, cell_lat, cell_lon)
    parts = pvlib.irradiance.erbs(ghi.to_numpy(), pos["zenith"].to_numpy(), utc_mid.dayofyear)
    df.insert(0, "ghi", ghi.to_numpy())
    df.insert(1, "dni", np.asarray(parts["dni"], dtype="float64"))
    df.insert(2, "dhi", np.asarray(parts["dhi"], dtype="float64"))
    offset = 0.0 if site_utc_offset_h is None else float(site_utc_offset_h)
    df.index = _naive_local(common, offset)
    notes = []
    # a UTC file ending at its year end spills a few local hours into the next
    # year; a fragment of a year would become a bogus "weather year": drop it
    last_utc_year = pd.DatetimeIndex(common)[-1].year
    spill = df.index.year > last_utc_year
    if spill.any() and spill.sum() < 24:
        df = df.loc[~spill]
        notes.append(f"netcdf: {int(spill.sum())} h past the file's last UTC year dropped")
    return RawWeather(
        data=df, source=str(path), product="ERA5-style NetCDF",
        latitude=cell_lat, longitude=cell_lon, altitude_m=altitude, utc_offset_h=offset,
        wind_height_m=wind[2],
        notes=[f"netcdf: grid cell {cell_lat:g} N, {cell_lon:g} E nearest to the site; "
               f"UTC shifted to UTC{offset:+g} h; DNI/DHI decomposed from GHI (Erbs 1982); "
               f"wind from {wind[0]}/{wind[1]} at {wind[2]:g} m"] + notes,
    )


#: Format name → reader. Keys are ``energysim.config.WEATHER_FORMATS``.
READERS: dict[str, Callable[..., RawWeather]] = {
    "energysim": read_energysim,
    "tmy3": read_tmy3,
    "tmy2": read_tmy2,
    "epw": read_epw,
    "pvgis": read_pvgis,
    "psm3": read_psm3,
    "csv": read_csv,
    "netcdf": read_netcdf,
}


# ---------------------------------------------------------------------------
# writer
# ---------------------------------------------------------------------------


def write_energysim_csv(ds: xr.Dataset, path) -> Path:
    """Write a Weather Dataset in the ``energysim`` v1 format (spec in the module docstring).

    Parameters
    ----------
    ds : xarray.Dataset
        Hourly Weather Dataset: ``time`` (naive local standard time,
        period-beginning), ``ghi``, ``dni``, ``dhi`` [W m-2], ``temp_air``
        [degC], ``wind_speed`` [m s-1] with ``attrs['height_m']``, optional
        ``pressure`` [Pa]; attrs ``utc_offset_h`` and optionally ``source``,
        ``latitude``, ``longitude``, ``altitude_m``.
    path : str or Path
        Output file (overwritten).

    Returns
    -------
    Path
    """
    path = Path(path)
    missing = [v for v in REQUIRED if v not in ds]
    if missing:
        raise _fail(f"cannot write energysim weather: missing {', '.join(missing)}", path,
                    field=missing[0])
    if "utc_offset_h" not in ds.attrs:
        raise _fail("cannot write energysim weather: attrs['utc_offset_h'] missing", path,
                    field="utc_offset_h")
    height = ds["wind_speed"].attrs.get("height_m", ds.attrs.get("wind_height_m"))
    if height is None:
        raise _fail("cannot write energysim weather: wind_speed.attrs['height_m'] missing", path,
                    field="wind_speed")
    times = pd.DatetimeIndex(ds["time"].values)
    if times.tz is not None:
        times = times.tz_localize(None)
    cols = [v for v in VARIABLES if v in ds]
    frame = pd.DataFrame({v: ds[v].to_numpy().astype("float64") for v in cols})
    frame.insert(0, "time", times.strftime("%Y-%m-%d %H:%M"))
    source = " ".join(str(ds.attrs.get("source", "")).split())
    lines = [_HEADER_V1, f"# source: {source}"]
    for key in ("latitude", "longitude", "altitude_m"):
        if ds.attrs.get(key) is not None:
            lines.append(f"# {key}: {float(ds.attrs[key]):g}")
    lines.append(f"# utc_offset_h: {float(ds.attrs['utc_offset_h']):g}")
    lines.append(f"# wind_height_m: {float(height):g}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
        frame.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    return path


def variable_attrs(name: str, wind_height_m: float | None = None) -> dict:
    """``units``/``long_name`` of a weather variable from the nomenclature table."""
    out: dict[str, Any] = dict(q_attrs(name))
    if name == "wind_speed" and wind_height_m is not None:
        out["height_m"] = float(wind_height_m)
    return out
