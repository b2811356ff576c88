"""Fuzzing the weather readers: any text gives a valid Weather Dataset or an InputDataError.

Inputs range from arbitrary text to near-valid files of each format with
garbage mixed in (bad numbers, odd timestamps, missing or extra fields,
shuffled and repeated rows). Whatever comes in, ``read_weather_file`` must
either return a Dataset meeting the contract or raise the project's
:class:`~energysim.errors.InputDataError` (``WeatherError``), never another
exception.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energysim.config import SiteConfig
from energysim.errors import InputDataError
from energysim.weather import read_weather_file

SITE = SiteConfig(latitude=39.6, longitude=109.8, altitude_m=1300, timezone="Asia/Shanghai")
TMY3_LINES = (Path(pvlib.__file__).parent / "data" / "723170TYA.CSV").read_text().splitlines()
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["", "nan", "NaN", "-", "abc", "1e309", "-0", "9999", "99.9", " 5 ", "1,5"]),
)
TIMES = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2200-01-01").to_pydatetime()
                 ).map(lambda t: t.strftime("%Y-%m-%d %H:%M")),
    st.sampled_from(["", "2001-02-29 00:00", "2001-13-01 00:00", "yesterday",
                     "2001-01-01T00:00+08:00",
                     "2001-01-01 00:30", "0", "2001-01-01"]),
)


def _check(path: Path, fmt: str) -> None:
    try:
        ds = read_weather_file(path, fmt, site=SITE)
    except InputDataError as exc:
        assert str(exc)  # a message, never empty
        return
    for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        values = ds[name].values
        assert values.dtype == np.float64 and np.isfinite(values).all(), name
    assert ds.sizes["time"] >= 2
    t = pd.DatetimeIndex(ds["time"].values)
    assert t.is_monotonic_increasing and t.is_unique
    assert np.isfinite(ds.attrs["utc_offset_h"])


def _write(text: str, suffix: str = ".csv") -> Path:
    fh = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8")
    with fh:
        fh.write(text)
    return Path(fh.name)


@FUZZ
@given(text=st.text(max_size=400), fmt=st.sampled_from(["energysim", "csv", "tmy3", "tmy2", "epw",
                                                           "psm3", "pvgis"]))
def test_arbitrary_text(text, fmt):
    path = _write(text, ".json" if fmt == "pvgis" else ".csv")
    try:
        _check(path, fmt)
    finally:
        path.unlink()


@st.composite
def near_valid_csv(draw):
    """An energysim/csv file: mostly good clear rows, some cells and stamps garbled."""
    n = draw(st.integers(2, 60))
    start = pd.Timestamp("2001-06-01") + pd.Timedelta(hours=draw(st.integers(0, 24 * 300)))
    times = list(pd.date_range(start, periods=n, freq="1h").strftime("%Y-%m-%d %H:%M"))
    hour = np.arange(n) % 24
    ghi = np.clip(900 * np.sin((hour - 6) / 12 * np.pi), 0, None).round(1)
    rows = [[t, g, g * 0.8, g * 0.2, 15.0, 5.0, 86000.0] for t, g in zip(times, ghi, strict=True)]
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(0, 6))
        rows[i][j] = draw(TIMES) if j == 0 else draw(NUMBERS)
    if draw(st.booleans()):
        rows = draw(st.permutations(rows))
    if draw(st.booleans()) and rows:
        rows = rows + [rows[draw(st.integers(0, len(rows) - 1))]]
    cols = ["time", "ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure"]
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))  # header names shuffled against the data
    width = draw(st.sampled_from([7, 7, 7, 6, 8]))
    body = "\n".join(",".join(str(c) for c in r[:width]) for r in rows)
    header = ""
    if draw(st.booleans()):
        offset = draw(st.sampled_from(["8", "8.0", "-5", "99", "abc", "", "nan"]))
        height = draw(st.sampled_from(["10", "100", "0", "-3", "x", "1e9"]))
        header = (f"# energysim weather v1\n# latitude: {draw(NUMBERS)}\n# utc_offset_h: {offset}\n"
                  f"# wind_height_m: {height}\n")
    return header + ",".join(cols) + "\n" + body + "\n"


@FUZZ
@given(text=near_valid_csv(), fmt=st.sampled_from(["energysim", "csv"]))
def test_near_valid_csv(text, fmt):
    path = _write(text)
    try:
        _check(path, fmt)
    finally:
        path.unlink()


@st.composite
def near_valid_tmy3(draw):
    """Greensboro TMY3 header and a slice of its rows, with garbled metadata and cells."""
    meta = TMY3_LINES[0].split(",")
    for _ in range(draw(st.integers(0, 2))):
        meta[draw(st.integers(0, len(meta) - 1))] = draw(NUMBERS)
    start = draw(st.integers(2, 8000))
    rows = TMY3_LINES[start: start + draw(st.integers(0, 80))]
    rows = [r.split(",") for r in rows]
    for _ in range(draw(st.integers(0, 4))):
        if rows:
            r = rows[draw(st.integers(0, len(rows) - 1))]
            r[draw(st.integers(0, len(r) - 1))] = draw(st.one_of(NUMBERS, TIMES))
    return "\n".join([",".join(meta), TMY3_LINES[1]] + [",".join(r) for r in rows]) + "\n"


@FUZZ
@given(text=near_valid_tmy3())
def test_near_valid_tmy3(text):
    path = _write(text)
    try:
        _check(path, "tmy3")
    finally:
        path.unlink()


@st.composite
def near_valid_epw(draw):
    tz = draw(st.sampled_from(["8.0", "-5", "abc", "30", ""]))
    lat = draw(st.sampled_from(["39.6", "95", "x", ""]))
    head = [f"LOCATION,T,NM,CHN,SYN,0,{lat},109.8,{tz},1300", "DESIGN CONDITIONS,0",
            "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
            "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
            "COMMENTS 1,x", "COMMENTS 2,", "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]
    n = draw(st.integers(0, 50))
    rows = []
    for i in range(n):
        day, hour = 1 + i // 24, 1 + i % 24
        g = max(0.0, 800 * np.sin((hour - 7) / 12 * np.pi))
        f = [2001, 6, day, hour, 60, "?", 15, 5, 50, 86000, 9999, 9999, 300, round(g, 1),
             round(g * 0.7, 1), round(g * 0.3, 1), 0, 0, 0, 0, 180, 4.0, 5, 5, 9999, 99999, 9,
             999999999, 0, 0.1, 0, 0, 0.2, 0, 1.0]
        f = [str(x) for x in f]
        if draw(st.integers(0, 9)) == 0:
            f[draw(st.integers(0, len(f) - 1))] = draw(NUMBERS)
        if draw(st.integers(0, 19)) == 0:
            f = f[: draw(st.integers(1, len(f)))]
        rows.append(",".join(f))
    return "\n".join(head + rows) + "\n"


@FUZZ
@given(text=near_valid_epw())
def test_near_valid_epw(text):
    path = _write(text, ".epw")
    try:
        _check(path, "epw")
    finally:
        path.unlink()


@st.composite
def near_valid_psm3(draw):
    """NSRDB PSM3 layout with garbage mixed in.

    2 metadata lines, the column line, Year..Minute rows.
    """
    tz = draw(st.sampled_from(["8", "-7", "x", "", "99"]))
    lines = ["Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation",
             f"NSRDB,1,-,-,-,{draw(st.sampled_from(['39.6', '-91', 'y']))},109.8,{tz},"
             f"{draw(st.sampled_from(['1300', '', 'z']))}",
             "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Pressure,Wind Speed"]
    n = draw(st.integers(0, 50))
    minute = draw(st.sampled_from(["0", "30", "15"]))
    for i in range(n):
        hour = i % 24
        g = max(0.0, 800 * np.sin((hour - 6) / 12 * np.pi))
        f = ["2001", "6", str(1 + i // 24), str(hour), minute, f"{g:.0f}", f"{g * 0.7:.0f}",
             f"{g * 0.3:.0f}", "15", "860", "4"]
        if draw(st.integers(0, 9)) == 0:
            f[draw(st.integers(0, len(f) - 1))] = draw(NUMBERS)
        lines.append(",".join(f))
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=near_valid_psm3())
def test_near_valid_psm3(text):
    path = _write(text)
    try:
        _check(path, "psm3")
    finally:
        path.unlink()
