"""Data-quality checks and gap fills of hourly weather.

Every check is a small function that either returns (possibly repaired data
and a statement of what it did) or raises :class:`~energysim.errors.WeatherError`
with problems naming the file, the column, the offending value and the rule.

Rules
-----
Time axis (:func:`check_time_axis`)
    Labels must be on the full hour with a one-hour step (gaps allowed: they are
    missing hours). A finer step (e.g. 15-min data) is an error naming the step:
    resample to hourly means first (energysim does not guess whether values are
    instantaneous, averages or sums). Duplicated timestamps are an error. A
    year with one missing hour in spring and one duplicated hour in autumn (or
    the reverse south of the equator) is reported as a daylight-saving-time
    (DST) clock: energysim expects local *standard* time all year.
Leap years (:func:`drop_leap_day`)
    29 February is dropped (the energysim leap-year rule, as in
    :mod:`energysim.load`): a model year is 8760 h; stated in ``notes``.
Physical ranges (:func:`check_ranges`)
    ``temp_air`` in [-90, 60] degC (min > 150: kelvin; max > 60: degF);
    irradiance in [0, 1500] W m-2 (max GHI < 2 with some daylight: kW m-2;
    above 1500: kJ m-2 or Wh per a longer step); small negative irradiance
    (down to -10 W m-2, a sensor offset at night) is set to 0 and stated;
    ``wind_speed`` in [0, 60] m s-1 (above, or a mean above 20 m s-1: km/h or
    knots); ``pressure`` in [30 000, 110 000] Pa (hPa/mbar and kPa are named).
Gaps and NaN runs (:func:`fill_gaps`)
    Missing hours and NaN values are filled when every run of a variable is
    at most ``max_fill_hours`` long and the filled hours are at most
    ``max_fill_fraction`` of all hours; otherwise an error names the longest
    run. Fill rule: ``temp_air``, ``wind_speed``, ``pressure`` by linear
    interpolation in time (nearest value at the ends of the file);
    irradiance (``ghi``, ``dni``, ``dhi``) as the Haurwitz clear-sky GHI [1]
    (:func:`pvlib.clearsky.haurwitz`, mid-hour sun) times each component's
    clear-sky index interpolated linearly from the neighbouring daylight hours,
    and 0 when the sun is below the horizon. Every fill is stated in ``fills``.
Sun (:func:`check_night_irradiance`, :func:`check_dni_extraterrestrial`)
    GHI above 10 W m-2 in an hour when the sun is below -2 deg elevation at both
    its start and end (:func:`pvlib.solarposition.get_solarposition`) in more
    than 1 % of night hours (and at least 3) is an error when more than 10 % of
    night hours do or the whole-hour shift that best removes it is 2 h or
    more: almost always a time zone (UTC vs local) or DST shift; the message
    gives that shift. Up to 10 % with a 1-h best shift (real data with lagging
    labels, e.g. the CSWD typical year of Dongsheng) is kept and noted. DNI
    above the extraterrestrial normal irradiance
    (:func:`pvlib.irradiance.get_extra_radiation`) by more than 1 % is an error.
Daylight zeros (:func:`check_daylight_zeros`)
    GHI below 1 W m-2 through 6 or more consecutive hours of full daylight (the
    sun above 10 deg at both ends of each hour; nights in between do not break
    the run) cannot be weather: even under the thickest overcast diffuse light
    exceeds that, so such a run is a logger outage recorded as 0 instead of
    missing. When such runs cover more than 2 % of the full-daylight hours it
    is an error (leave those cells empty to have them filled, or rejected, by
    the gap rules); up to 2 % (real station years have a day or two, e.g. the
    CSWD Dongsheng year: 20 h, 0.6 %) it is a loud warning ("daylight zeros")
    in the run's output and report: PV yield is understated by about as much.
Site (:func:`site_notes`)
    The data's own coordinates differing from ``[site]`` by more than 0.5 deg,
    or its altitude by more than 200 m, is an error (PV and wind would come from
    another place) unless ``[weather] allow_site_mismatch = true``; then it is a
    note the run prints as a loud warning. A different UTC offset is a note
    (times are kept in the data's own offset).

References
----------
.. [1] B. Haurwitz, "Insolation in relation to cloudiness and cloud density",
   Journal of Meteorology 2, 154-166, 1945.
"""

from __future__ import annotations

import datetime
import zoneinfo

import numpy as np
import pandas as pd

from energysim.errors import WeatherError, problem

__all__ = [
    "IRRADIANCE",
    "standard_utc_offset_h",
    "check_time_axis",
    "drop_leap_day",
    "model_hours",
    "check_ranges",
    "fill_gaps",
    "check_night_irradiance",
    "check_dni_extraterrestrial",
    "check_daylight_zeros",
    "site_notes",
    "loud_warnings",
]

IRRADIANCE = ("ghi", "dni", "dhi")
_HOUR = pd.Timedelta(hours=1)

#: Irradiance at night that counts as "sun below the horizon yet GHI > 0" [W m-2].
NIGHT_GHI_TOLERANCE_W_M2 = 10.0
#: Solar elevation below which an hour is night at both its ends [deg].
NIGHT_ELEVATION_DEG = -2.0
#: Fraction of night hours allowed to break the night rule silently.
NIGHT_FRACTION_ALLOWED = 0.01
#: Fraction of night hours breaking the night rule that is an error whatever the shift.
NIGHT_FRACTION_ERROR = 0.10
#: Relative tolerance of the DNI ≤ extraterrestrial check.
DNI_ETR_TOLERANCE = 0.01
#: Site metadata differences that make a site mismatch.
SITE_MAX_DEG = 0.5
SITE_MAX_ALTITUDE_M = 200.0
#: GHI below this is "zero" in the daylight-zeros rule [W m-2].
DAYLIGHT_ZERO_W_M2 = 1.0
#: Solar elevation above which an hour is full daylight at both its ends [deg].
DAYLIGHT_ELEVATION_DEG = 10.0
#: Consecutive full-daylight hours of zero GHI that count as an outage [h].
DAYLIGHT_ZERO_MAX_H = 6
#: Share of full-daylight hours in outage runs above which the file is an error [-].
DAYLIGHT_ZERO_ERROR_FRACTION = 0.02
#: Notes a run prints (and its report shows) as loud warnings, by their first words.
LOUD_NOTES = ("site mismatch", "daylight zeros")


def loud_warnings(notes: str | None) -> list[str]:
    """The weather notes (``"; "``-joined) a run must shout, as warning lines."""
    out = []
    for note in str(notes or "").split("; "):
        if note.startswith(LOUD_NOTES):
            allowed = (" — allowed by [weather] allow_site_mismatch: PV and wind come from "
                       "weather measured at that other place" if note.startswith("site mismatch")
                       else "")
            out.append(f"WARNING weather {note}{allowed}")
    return out


def _when(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


def standard_utc_offset_h(timezone: str) -> float:
    """Standard (non-DST) UTC offset of an IANA time zone [h], as of 1 January 2001."""
    tz = zoneinfo.ZoneInfo(timezone)
    probe = datetime.datetime(2001, 1, 1, 12, tzinfo=tz)
    offset = probe.utcoffset()
    assert offset is not None, "an aware datetime has a UTC offset"
    return (offset - (probe.dst() or datetime.timedelta(0))).total_seconds() / 3600.0


# ---------------------------------------------------------------------------
# time axis
# ---------------------------------------------------------------------------


def check_time_axis(index: pd.DatetimeIndex, source: str) -> None:
    """Hourly step on the full hour, no duplicates, no DST clock (see module Rules).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Naive local timestamps in file order.
    source : str
        File named in the error.

    Raises
    ------
    WeatherError
    """
    idx = pd.DatetimeIndex(index)
    if len(idx) < 2:
        raise WeatherError(problem("at least two hourly rows are needed", source=source,
                                   field="time", value=len(idx)))
    ordered = idx.sort_values()
    steps = np.diff(ordered.values) / np.timedelta64(1, "h")  # [h], 0 for duplicates
    positive = steps[steps > 0]
    if positive.size and np.median(positive) < 1.0 - 1e-9:
        step_min = float(np.median(positive)) * 60.0
        raise WeatherError(problem(
            f"time step is {step_min:g} min; energysim needs hourly data (period-beginning "
            "labels): resample to hourly means first, e.g. pandas .resample('1h').mean()",
            source=source, field="time", value=f"{step_min:g} min"))
    off_hour = (idx.minute != 0) | (idx.second != 0)
    if off_hour.any():
        first = idx[np.flatnonzero(off_hour)[0]]
        raise WeatherError(problem(
            "timestamps must be on the full hour (hourly, period-beginning labels); "
            f"{int(off_hour.sum())} are not, first {_when(first)}",
            source=source, field="time", value=str(first)))
    dup_mask = ordered.duplicated()
    n_dup = int(dup_mask.sum())
    gaps_1h = np.flatnonzero(np.isclose(steps, 2.0))  # exactly one hour missing
    if n_dup and gaps_1h.size and _looks_like_dst(ordered, dup_mask, gaps_1h):
        missing = ordered[gaps_1h[0]] + _HOUR
        repeated = ordered[np.flatnonzero(dup_mask)[0]]
        raise WeatherError(problem(
            f"daylight saving time (DST) clock: hour {_when(missing)} is missing and "
            f"{_when(repeated)} appears twice; energysim expects local standard time "
            "all year (no DST) - convert the file to standard time",
            source=source, field="time", value=f"{n_dup} repeated, {gaps_1h.size} missing"))
    if n_dup:
        first = ordered[np.flatnonzero(dup_mask)[0]]
        raise WeatherError(problem(
            f"{n_dup} duplicated timestamp(s), first {_when(first)}; each hour must appear once",
            source=source, field="time", value=str(first)))


def _looks_like_dst(ordered, dup_mask, gaps_1h) -> bool:
    """A 1-h gap in one half of the year and a repeated hour in the other."""
    dup_months = ordered[np.flatnonzero(dup_mask)].month
    gap_months = ordered[gaps_1h].month
    spring = {3, 4, 9, 10}  # northern spring / southern spring (DST starts)
    autumn = {9, 10, 11, 3, 4}
    return bool(set(gap_months) & spring and set(dup_months) & autumn
                and set(gap_months) != set(dup_months))


def drop_leap_day(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop 29 February (energysim leap-year rule); return the frame and a note ('' if none)."""
    idx = pd.DatetimeIndex(df.index)
    leap = (idx.month == 2) & (idx.day == 29)
    if not leap.any():
        return df, ""
    years = sorted(set(idx[leap].year))
    return df.loc[~leap], (
        f"29 February dropped ({int(leap.sum())} h in {', '.join(map(str, years))}; "
        "energysim leap-year rule: a model year is 8760 h)")


def model_hours(start, end) -> pd.DatetimeIndex:
    """Every hour from ``start`` to ``end`` (inclusive), 29 February excluded."""
    idx = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="1h")
    return idx[~((idx.month == 2) & (idx.day == 29))]


# ---------------------------------------------------------------------------
# physical ranges
# ---------------------------------------------------------------------------


def check_ranges(df: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Physical range of every variable (see module Rules).

    Returns
    -------
    df : pandas.DataFrame
        With small negative irradiance (≥ -10 W m-2) set to 0.
    notes : list of str
        What was repaired.

    Raises
    ------
    WeatherError
        One problem per broken rule, all gathered.
    """
    probs = []
    notes: list[str] = []
    df = df.copy()

    def col(name):
        return df[name].dropna().to_numpy() if name in df else np.array([])

    t = col("temp_air")
    if t.size:
        if t.min() > 150:
            probs.append(problem(f"air temperature must be in degC; values "
                                 f"{t.min():g}..{t.max():g} look like kelvin (subtract 273.15)",
                                 source=source, field="temp_air", value=float(t.max())))
        elif t.max() > 60:
            probs.append(problem(f"air temperature must be in degC within [-90, 60]; max "
                                 f"{t.max():g} looks like degF (convert (F - 32) / 1.8)",
                                 source=source, field="temp_air", value=float(t.max())))
        elif t.min() < -90:
            probs.append(problem("air temperature below -90 degC is not physical", source=source,
                                 field="temp_air", value=float(t.min())))
    ghi = col("ghi")
    if ghi.size and 0 < ghi.max() < 2:
        probs.append(problem(f"irradiance must be in W m-2; max GHI {ghi.max():g} looks like "
                             "kW m-2 (multiply by 1000)", source=source, field="ghi",
                             value=float(ghi.max())))
    for name in IRRADIANCE:
        x = col(name)
        if not x.size:
            continue
        if x.max() > 1500:
            probs.append(problem(f"irradiance above 1500 W m-2 is not physical (max {x.max():g}; "
                                 "kJ m-2 or a longer accumulation step?)", source=source,
                                 field=name, value=float(x.max())))
        if x.min() < -10:
            probs.append(problem(f"negative irradiance below -10 W m-2 (min {x.min():g})",
                                 source=source, field=name, value=float(x.min())))
        elif x.min() < 0:
            n = int((df[name] < 0).sum())
            df.loc[df[name] < 0, name] = 0.0
            notes.append(f"{name}: {n} small negative value(s) (>= -10 W m-2) set to 0")
    w = col("wind_speed")
    if w.size:
        if w.min() < 0:
            probs.append(problem("negative wind speed", source=source, field="wind_speed",
                                 value=float(w.min())))
        if w.max() > 60:
            probs.append(problem(f"wind speed must be in m s-1 within [0, 60]; max {w.max():g} "
                                 "looks like km/h or knots", source=source, field="wind_speed",
                                 value=float(w.max())))
        elif w.mean() > 20:
            probs.append(problem(f"mean wind speed {w.mean():.1f} m s-1 is implausible "
                                 "(km/h or knots?)", source=source, field="wind_speed",
                                 value=float(w.mean())))
    p = col("pressure")
    if p.size and (p.min() < 30_000 or p.max() > 110_000):
        hint = ("looks like hPa/mbar (multiply by 100)" if 300 < np.median(p) < 1100
                else "looks like kPa (multiply by 1000)" if 30 < np.median(p) < 110
                else "expected station pressure 30 000-110 000 Pa")
        probs.append(problem(f"pressure must be in Pa; median {np.median(p):g} {hint}",
                             source=source, field="pressure", value=float(np.median(p))))
    if probs:
        raise WeatherError(probs, headline=f"weather values out of physical range in {source}")
    return df, notes


# ---------------------------------------------------------------------------
# gaps
# ---------------------------------------------------------------------------


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of every run of True in ``mask``."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), (ends - starts).tolist(), strict=True))


def _clear_sky_ghi(times: pd.DatetimeIndex, latitude: float, longitude: float,
                   utc_offset_h: float) -> np.ndarray:
    """Haurwitz clear-sky GHI at mid-hour [W m-2] (0 with the sun below the horizon)."""
    import pvlib

    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    mid = pd.DatetimeIndex(times).tz_localize(tz) + pd.Timedelta(minutes=30)
    pos = pvlib.solarposition.get_solarposition(mid, latitude, longitude)
    cs = pvlib.clearsky.haurwitz(pos["apparent_zenith"])["ghi"].to_numpy()
    return np.nan_to_num(np.asarray(cs, dtype="float64"))


def fill_gaps(df: pd.DataFrame, source: str, *, max_fill_hours: int, max_fill_fraction: float,
              latitude: float, longitude: float, utc_offset_h: float) -> tuple[pd.DataFrame, str]:
    """Put ``df`` on whole model hours and fill short gaps (see module Rules).

    Parameters
    ----------
    df : pandas.DataFrame
        Sorted, unique hourly local-standard-time index, 29 February already dropped.
    source : str
        File named in messages.
    max_fill_hours : int
        Longest run of missing hours per variable that is filled [h].
    max_fill_fraction : float
        Largest fraction of hours that may be filled [0-1].
    latitude, longitude : float
        Where the sun is computed for the irradiance fill [deg].
    utc_offset_h : float
        Standard UTC offset of the timestamps [h].

    Returns
    -------
    df : pandas.DataFrame
        On :func:`model_hours` of its first to last hour, no NaN.
    fills : str
        One statement per filled variable ('' when nothing was filled).
    """
    hours = model_hours(df.index[0], df.index[-1])
    full = df.reindex(hours)
    n = len(full)
    probs = []
    statements = []
    any_missing = np.zeros(n, dtype=bool)
    for name in full.columns:
        mask = full[name].isna().to_numpy()
        if not mask.any():
            continue
        runs = _runs(mask)
        longest = max(runs, key=lambda r: r[1])
        if longest[1] > max_fill_hours:
            start = hours[longest[0]]
            kind = "missing hours" if not df.index.isin([start]).any() else "NaN values"
            probs.append(problem(
                f"{longest[1]} consecutive {kind} from {_when(start)} (longest of {len(runs)} "
                f"gap(s)); at most max_fill_hours = {max_fill_hours} h are filled",
                source=source, field=name, value=f"{longest[1]} h"))
        any_missing |= mask
    n_missing = int(any_missing.sum())
    if n_missing and n_missing / n > max_fill_fraction + 1e-12:
        probs.append(problem(
            f"{n_missing} of {n} hours ({n_missing / n:.1%}) have missing values; at most "
            f"max_fill_fraction = {max_fill_fraction:g} may be filled",
            source=source, field=", ".join(c for c in full.columns if full[c].isna().any()),
            value=f"{n_missing / n:.1%}"))
    if probs:
        raise WeatherError(probs, headline=f"weather gaps too long to fill in {source}")
    if not n_missing:
        return full, ""
    cs = None
    # the sun is needed only near irradiance gaps (2 days either side carry the clear-sky index)
    irr_gap = full[[c for c in IRRADIANCE if c in full]].isna().any(axis=1).to_numpy()
    c = np.concatenate([[0], np.cumsum(irr_gap)])
    i = np.arange(n)
    near = (c[np.minimum(i + 49, n)] - c[np.maximum(i - 48, 0)]) > 0
    for name in full.columns:
        mask = full[name].isna().to_numpy()
        if not mask.any():
            continue
        n_runs = len(_runs(mask))
        if name in IRRADIANCE:
            if cs is None:
                cs = np.zeros(n)
                cs[near] = _clear_sky_ghi(hours[near], latitude, longitude, utc_offset_h)
            day = cs > 50.0
            values = full[name].to_numpy()[near]
            ratio = np.where((day & ~mask)[near], values / np.where(day[near], cs[near], 1.0),
                             np.nan)
            k = pd.Series(ratio)
            if k.notna().any():
                k = k.interpolate(method="linear", limit_direction="both")
            else:
                k = pd.Series(np.zeros(len(k)))
            filled = np.zeros(n)
            filled[near] = np.clip(k.to_numpy(), 0, None) * cs[near]
            full.loc[mask, name] = filled[mask]
            rule = "clear-sky index x Haurwitz clear-sky GHI, 0 at night"
        else:
            full[name] = full[name].interpolate(method="linear", limit_direction="both")
            rule = "linear interpolation"
        statements.append(f"{name}: {int(mask.sum())} h in {n_runs} run(s) filled ({rule})")
    return full, "; ".join(statements)


# ---------------------------------------------------------------------------
# sun
# ---------------------------------------------------------------------------


def hour_end_elevations(index, latitude: float, longitude: float,
                        utc_offset_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Solar elevation at the start and at the end of every hour [deg].

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Naive local standard time, period-beginning labels.
    latitude, longitude : float
        [deg].
    utc_offset_h : float
        Standard UTC offset of ``index`` [h].
    """
    import pvlib

    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    start = pd.DatetimeIndex(index).tz_localize(tz)
    edges = start.union(start + _HOUR)  # one solar-position call for both ends of every hour
    elev = pd.Series(
        pvlib.solarposition.get_solarposition(edges, latitude, longitude)["elevation"].to_numpy(),
        index=edges)
    return elev.reindex(start).to_numpy(), elev.reindex(start + _HOUR).to_numpy()


def check_night_irradiance(df: pd.DataFrame, source: str, *, latitude: float, longitude: float,
                           utc_offset_h: float, elevations=None) -> str:
    """GHI in the dark: an error naming the hours and the likely time shift (see module Rules).

    ``elevations``: :func:`hour_end_elevations` of ``df.index`` when already computed.

    Returns
    -------
    str
        A note when a few night hours carry GHI and the data look at most 1 h
        shifted (e.g. the CSWD typical years lag by about 1 h); '' when clean.

    Raises
    ------
    WeatherError
        More than 1 % of night hours (and at least 3) carry GHI and either
        more than 10 % do or the data look shifted by 2 h or more.
    """
    if "ghi" not in df or len(df) < 2:
        return ""
    times = pd.DatetimeIndex(df.index)
    begin, end = elevations or hour_end_elevations(times, latitude, longitude, utc_offset_h)
    night = (begin < NIGHT_ELEVATION_DEG) & (end < NIGHT_ELEVATION_DEG)
    ghi = df["ghi"].to_numpy(dtype="float64")
    bad = night & (np.nan_to_num(ghi) > NIGHT_GHI_TOLERANCE_W_M2)
    n_night = int(night.sum())
    if not n_night or bad.sum() <= max(3, NIGHT_FRACTION_ALLOWED * n_night):
        return ""
    # which whole-hour shift of the data would best put GHI in daylight?
    # (the shift leaving the least irradiance in night hours)
    day_ghi = np.nan_to_num(ghi)
    dark = night.astype(float)
    best, best_left = 0, float((day_ghi * dark).sum())
    for shift in range(-12, 13):
        left = float((np.roll(day_ghi, shift) * dark).sum())
        if left < best_left * (1 - 1e-9):
            best, best_left = shift, left
    first = times[np.flatnonzero(bad)][:3]
    direction = "later" if best > 0 else "earlier"
    hint = (f"; the data look shifted: moving them {abs(best)} h {direction} "
            "removes most of it" if best else "")
    what = (f"GHI > {NIGHT_GHI_TOLERANCE_W_M2:g} W m-2 with the sun below "
            f"{NIGHT_ELEVATION_DEG:g} deg in {int(bad.sum())} of {n_night} night hours "
            f"(first {', '.join(_when(t) for t in first)})")
    if abs(best) >= 2 or bad.sum() > NIGHT_FRACTION_ERROR * n_night:
        raise WeatherError(problem(
            f"{what}: wrong time zone or DST shift? Timestamps must be local standard time "
            f"UTC{utc_offset_h:+g} h, period-beginning{hint}",
            source=source, field="ghi", value=float(ghi[np.flatnonzero(bad)[0]])))
    return f"ghi: {what}{hint} (a 1-h lag of the time labels; kept as is)"


def check_dni_extraterrestrial(df: pd.DataFrame, source: str) -> None:
    """DNI above the extraterrestrial normal irradiance (+1 %) is an error naming the hours."""
    import pvlib

    if "dni" not in df:
        return
    times = pd.DatetimeIndex(df.index)
    etr = np.asarray(pvlib.irradiance.get_extra_radiation(times.dayofyear.to_numpy()),
                     dtype="float64")
    dni = df["dni"].to_numpy(dtype="float64")
    bad = np.nan_to_num(dni) > etr * (1 + DNI_ETR_TOLERANCE)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise WeatherError(problem(
            f"DNI exceeds the extraterrestrial irradiance ({etr[i]:.0f} W m-2 on that day, "
            f"pvlib.irradiance.get_extra_radiation) in {int(bad.sum())} hour(s), first "
            f"{_when(times[i])}: not physical (units, or DNI/GHI columns swapped?)",
            source=source, field="dni", value=float(dni[i])))


# ---------------------------------------------------------------------------
# site
# ---------------------------------------------------------------------------


def site_notes(*, latitude, longitude, altitude_m, utc_offset_h, site, site_offset_h,
               source: str | None = None, allow_mismatch: bool = False) -> list[str]:
    """Compare the data's own metadata with the ``[site]`` (see module Rules).

    Returns
    -------
    list of str
        Notes: a different UTC offset; with ``allow_mismatch`` also the
        coordinate and altitude mismatches (each starting "site mismatch").

    Raises
    ------
    WeatherError
        Coordinates more than 0.5 deg or altitude more than 200 m from the
        ``[site]``, unless ``allow_mismatch``.
    """
    if site is None:
        return []
    mismatches = []
    if latitude is not None and longitude is not None:
        dlat = abs(latitude - site.latitude)
        dlon = abs((longitude - site.longitude + 180) % 360 - 180)
        if max(dlat, dlon) > SITE_MAX_DEG:
            mismatches.append(
                f"site mismatch: weather data at {latitude:.2f} N, {longitude:.2f} E, "
                f"[site] at {site.latitude:.2f} N, {site.longitude:.2f} E "
                f"(> {SITE_MAX_DEG:g} deg apart)")
    if altitude_m is not None and abs(altitude_m - site.altitude_m) > SITE_MAX_ALTITUDE_M:
        mismatches.append(
            f"site mismatch: weather data altitude {altitude_m:.0f} m, [site] altitude_m "
            f"{site.altitude_m:.0f} m (> {SITE_MAX_ALTITUDE_M:g} m apart)")
    if mismatches and not allow_mismatch:
        raise WeatherError(
            [problem(f"{m}: this weather is from another place than [site]; use your site's "
                     "weather, correct [site], or set [weather] allow_site_mismatch = true",
                     source=source, field="[site]") for m in mismatches],
            headline=f"weather file does not match [site]: {source}")
    notes = list(mismatches)
    if (utc_offset_h is not None and site_offset_h is not None
            and abs(utc_offset_h - site_offset_h) > 1e-9):
        notes.append(
            f"UTC offset differs: weather data in UTC{utc_offset_h:+g} h, [site] timezone "
            f"{site.timezone} is UTC{site_offset_h:+g} h (times kept in the data's offset)")
    return notes


def check_daylight_zeros(df: pd.DataFrame, source: str, *, latitude: float, longitude: float,
                         utc_offset_h: float, elevations=None) -> str:
    """GHI of zero through hours of full daylight (see module Rules).

    ``elevations``: :func:`hour_end_elevations` of ``df.index`` when already computed.

    Returns
    -------
    str
        A "daylight zeros" note (a loud warning) when outage runs cover at most
        :data:`DAYLIGHT_ZERO_ERROR_FRACTION` of the full-daylight hours; '' when none.

    Raises
    ------
    WeatherError
        Runs of :data:`DAYLIGHT_ZERO_MAX_H` or more consecutive full-daylight
        hours (nights in between skipped) with GHI below
        :data:`DAYLIGHT_ZERO_W_M2` cover more of them.
    """
    if "ghi" not in df or len(df) < DAYLIGHT_ZERO_MAX_H:
        return ""
    begin_elev, end_elev = elevations or hour_end_elevations(df.index, latitude, longitude,
                                                             utc_offset_h)
    hours = np.flatnonzero((begin_elev > DAYLIGHT_ELEVATION_DEG)
                           & (end_elev > DAYLIGHT_ELEVATION_DEG))
    zero = df["ghi"].to_numpy(dtype="float64")[hours] < DAYLIGHT_ZERO_W_M2
    runs = [r for r in _runs(zero) if r[1] >= DAYLIGHT_ZERO_MAX_H]
    if not runs:
        return ""
    first, length = max(runs, key=lambda r: r[1])
    total = sum(r[1] for r in runs)
    what = (f"GHI < {DAYLIGHT_ZERO_W_M2:g} W m-2 through {length} consecutive hours of full "
            f"daylight (sun above {DAYLIGHT_ELEVATION_DEG:g} deg) from "
            f"{_when(df.index[hours[first]])} to {_when(df.index[hours[first + length - 1]])}; "
            f"{len(runs)} such run(s), {total} h = {total / hours.size:.1%} of full-daylight hours")
    if total > DAYLIGHT_ZERO_ERROR_FRACTION * hours.size:
        raise WeatherError(problem(
            f"{what}: logger outages written as 0? Even thick overcast gives diffuse light; leave "
            f"missing hours empty so the gap rules fill or reject them (at most "
            f"{DAYLIGHT_ZERO_ERROR_FRACTION:.0%} of daylight hours may be such zeros)",
            source=source, field="ghi", value=float(df["ghi"].iloc[hours[first]])))
    return (f"daylight zeros: {what} — outages written as 0, kept: PV yield understated by "
            "about as much")
