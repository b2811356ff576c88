"""Profiles: the hourly per-unit PV and wind output, the load and the grid series of one park.

``build_profiles(park)`` is the one place where weather and resource models (or
ready profiles from CSV) meet: it returns the Profiles Dataset every later stage
uses (dispatch, sizing, accounting):

- ``pv_pu``  AC output per MWp DC [MW/MWp]
- ``wind_pu`` AC output per MW nameplate [MW/MW]
- ``load``   park load [MW]
- ``import_price_per_mwh`` and ``emission_factor_t_per_mwh`` (hourly, always present:
  a flat config value is broadcast)

Ready profiles (``profile = "file.csv:column"``) are read by :func:`read_profile`:
the CSV may carry a ``time`` column (ISO timestamps, local standard time); if it
does not, rows are taken as consecutive hours from 1 January 00:00 of a
non-leap year (2001) or, with weather, of the weather's first hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from energysim import load as load_model
from energysim import procurement
from energysim import pv as pv_model
from energysim import weather as weather_io
from energysim import wind as wind_model
from energysim.config import MIN_ANNUAL_LOAD_MWH, ParkConfig, ProcurementConfig, ProfileRef
from energysim.errors import ProfileError, problem
from energysim.nomenclature import attrs
from energysim.paths import require_file, shown_path
from energysim.timeaxis import HOURS_PER_YEAR
from energysim.weather.quality import drop_leap_day

__all__ = ["read_profile", "build_profiles", "complete", "delivery_shapes", "PROFILE_KINDS"]

_TIME_COLUMNS = ("time", "timestamp", "datetime", "date_time")

#: Validity rule of each kind of ready profile: (lower bound, upper bound, what it is).
PROFILE_KINDS: dict[str, tuple[float, float, str]] = {
    "pv_pu": (0.0, 1.0, "AC output per MWp, per-unit"),
    "wind_pu": (0.0, 1.0, "AC output per MW, per-unit"),
    "load": (0.0, 1e7, "load in MW"),
    "import_price_per_mwh": (-1e5, 1e5, "price per MWh"),
    "emission_factor_t_per_mwh": (0.0, 2.0, "emission factor in t/MWh"),
    "delivery_pu": (0.0, 1e9, "delivery shape of a green contract (per-unit, any scale)"),
    "hydrogen_demand_kg_per_h": (0.0, 1e8, "hydrogen demand in kg/h"),
}
# Per-unit outputs may exceed 1 by rounding in the source file; more is a unit error.
_PU_TOLERANCE = 1e-3


def _read_csv(ref: ProfileRef) -> pd.DataFrame:
    require_file(ref.path, ProfileError)  # the shared path rule: never opens a FIFO
    try:
        return pd.read_csv(ref.path, comment="#")
    except FileNotFoundError:
        raise ProfileError(problem("file not found", source=ref.path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ProfileError(problem(f"not a readable CSV: {exc}", source=ref.path)) from None


def read_profile(ref: ProfileRef, kind: str) -> pd.Series:
    """Read one ready hourly series and check it against the rule of its ``kind``.

    Parameters
    ----------
    ref : ProfileRef
        File and column.
    kind : str
        One of :data:`PROFILE_KINDS` (sets the allowed range and the message).

    Returns
    -------
    pandas.Series
        float64 values; indexed by the file's ``time`` column when it has one
        (naive, local standard time), else by row number.

    Raises
    ------
    ProfileError
        Missing file or column, non-numeric or NaN values, values outside the
        allowed range (e.g. per-unit > 1: capacity factors given in % or kW),
        a non-hourly ``time`` column.
    """
    low, high, what = PROFILE_KINDS[kind]
    frame = _read_csv(ref)
    if ref.column not in frame.columns:
        raise ProfileError(
            problem(
                f"column not found; columns are: {', '.join(map(str, frame.columns))}",
                source=ref.path,
                field=ref.column,
            )
        )
    values = pd.to_numeric(frame[ref.column], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ProfileError(
            problem(
                f"{int(bad.sum())} missing or non-numeric value(s), first at data row {row + 1}",
                source=ref.path,
                field=ref.column,
                value=frame[ref.column].iloc[row],
            )
        )
    tol = _PU_TOLERANCE if kind.endswith("_pu") else 0.0
    out = (values < low - tol) | (values > high + tol)
    if out.any():
        row = int(np.flatnonzero(out.to_numpy())[0])
        raise ProfileError(
            problem(
                f"{what} must lie in [{low:g}, {high:g}]; {int(out.sum())} value(s) outside, "
                f"first at data row {row + 1}",
                source=ref.path,
                field=ref.column,
                value=float(values.iloc[row]),
            )
        )
    series = (values.astype("float64").clip(lower=low, upper=high) if tol
              else values.astype("float64"))
    time_col = next((c for c in frame.columns if str(c).lower() in _TIME_COLUMNS), None)
    if time_col is not None:
        index = pd.DatetimeIndex(pd.to_datetime(frame[time_col], errors="coerce"))
        if index.isna().any() or len(index) < 2:
            raise ProfileError(problem("unparseable time stamps", source=ref.path,
                                       field=str(time_col)))
        if index.tz is not None:
            index = index.tz_localize(None)
        steps = np.unique(np.diff(index.as_unit("ns").asi8))  # pandas 3 parses to s or us
        if len(steps) != 1 or steps[0] != 3_600 * 10**9:
            raise ProfileError(
                problem("time steps must be exactly 1 h, without gaps or duplicates",
                        source=ref.path, field=str(time_col))
            )
        series.index = index
        # one leap-year rule everywhere (weather, load, ready profiles): 29 February dropped
        series = drop_leap_day(series.to_frame())[0].iloc[:, 0]
    series.name = kind
    return series


def _default_times(n_hours: int) -> pd.DatetimeIndex:
    # 2001 is a non-leap year: a full profile of 8760 rows is one calendar year.
    return pd.date_range("2001-01-01", periods=n_hours, freq="h")


def _align(series: pd.Series, times: pd.DatetimeIndex, ref: ProfileRef,
           origin: str | None) -> np.ndarray:
    if len(series) != len(times):
        raise ProfileError(
            problem(
                f"has {len(series)} hourly values; the run has {len(times)} hours "
                f"({times[0]} .. {times[-1]}{', set by ' + origin if origin else ''})"
                " — lengths must match",
                source=ref.path,
                field=ref.column,
            )
        )
    if isinstance(series.index, pd.DatetimeIndex) and not series.index.equals(times):
        raise ProfileError(
            problem(
                f"time stamps {series.index[0]} .. {series.index[-1]} differ from the run's "
                f"{times[0]} .. {times[-1]}",
                source=ref.path,
                field=ref.column,
            )
        )
    return series.to_numpy(dtype="float64")


#: Ready-profile kinds that set the run's hours, in priority order: the park's load
#: defines the run when given; the other profiles must match it.
_RUN_SETTERS = ("load", "pv_pu", "wind_pu")


def _read_ready(park: ParkConfig) -> dict[str, tuple[ProfileRef, pd.Series]]:
    """Every ready hourly file of ``park``, read once, by profile kind."""
    refs = {
        "load": park.load.profile,
        "pv_pu": park.pv.profile,
        "wind_pu": park.wind.profile,
        "import_price_per_mwh": park.grid.import_price,
        "emission_factor_t_per_mwh": park.grid.emission_factor,
        "hydrogen_demand_kg_per_h": park.hydrogen.demand_profile if park.hydrogen else None,
    }
    return {kind: (ref, read_profile(ref, kind)) for kind, ref in refs.items() if ref is not None}


def _run_times(weather: xr.Dataset | None, ready: dict[str, tuple[ProfileRef, pd.Series]]
               ) -> tuple[pd.DatetimeIndex, str | None]:
    """The run's hours and what set them (``file:column``; None for weather or the default)."""
    if weather is not None:
        return pd.DatetimeIndex(weather["time"].values), None
    setters = [ready[kind] for kind in _RUN_SETTERS if kind in ready]
    for ref, series in setters:
        if isinstance(series.index, pd.DatetimeIndex):
            return series.index.rename("time"), f"{ref.path.name}:{ref.column}"
    if setters:
        ref, series = setters[0]
        return _default_times(len(series)), f"{ref.path.name}:{ref.column}"
    return _default_times(8760), None


def _check_load_energy(load: np.ndarray, ref: ProfileRef) -> None:
    """A measured load must carry energy: at least MIN_ANNUAL_LOAD_MWH a year (Δt = 1 h).

    An all-zero (or vanishing) load leaves every share of load undefined: an
    error here, before any result is computed or written.
    """
    per_year = float(load.sum()) * HOURS_PER_YEAR / max(len(load), 1)  # mean MW x 8760 h
    if not per_year >= MIN_ANNUAL_LOAD_MWH:
        what = "is zero in every hour" if not load.any() else f"sums to {per_year:.3g} MWh a year"
        raise ProfileError(problem(
            f"the park load {what}; shares of load need at least {MIN_ANNUAL_LOAD_MWH:g} MWh a "
            "year (load in MW, hourly)", source=ref.path, field=ref.column, value=per_year))


def _weather_source(weather: xr.Dataset | None, park: ParkConfig) -> str:
    """The weather's source text with its file shown relative to the config's folder."""
    if weather is None:
        return "none (ready profiles)"
    text = str(weather.attrs.get("source", park.weather.path if park.weather else ""))
    path = weather.attrs.get("path")
    if path:
        base = park.source.parent if park.source is not None else None
        text = text.replace(str(path), shown_path(path, base))
    return text


def _needs_weather(park: ParkConfig) -> bool:
    return (park.pv.profile is None and (park.pv.capacity_mw > 0 or park.pv.max_mw > 0)) or (
        park.wind.profile is None and (park.wind.capacity_mw > 0 or park.wind.max_mw > 0)
    )


def build_profiles(park: ParkConfig, weather: xr.Dataset | None = None) -> xr.Dataset:
    """Hourly Profiles Dataset of ``park``: per-unit PV and wind, load, price and emission factor.

    Parameters
    ----------
    park : ParkConfig
        Validated config.
    weather : xarray.Dataset, optional
        Weather already read (e.g. one year of a multi-year set); read from
        ``park.weather`` when omitted and a resource model needs it.

    Returns
    -------
    xarray.Dataset
        Variables ``pv_pu``, ``wind_pu``, ``load``, ``import_price_per_mwh``,
        ``emission_factor_t_per_mwh`` on ``time`` (local standard time);
        attributes record the weather source and the fills applied to it.
    """
    if weather is None and park.weather is not None and _needs_weather(park):
        weather = weather_io.read_weather(park.weather, park.site)
    files = _read_ready(park)
    times, origin = _run_times(weather, files)
    n = len(times)

    def ready(ref: ProfileRef, kind: str) -> np.ndarray:
        return _align(files[kind][1], times, ref, origin)

    def per_unit(kind: str, section, model) -> np.ndarray:
        if section.profile is not None:
            return ready(section.profile, kind)
        if weather is not None:
            return np.asarray(model(weather, park.site, section), dtype="float64")
        return np.zeros(n)  # not in this park (capacity and max_mw are 0)

    pv_pu = per_unit("pv_pu", park.pv, pv_model.ac_per_mwp)
    wind_pu = per_unit("wind_pu", park.wind, wind_model.ac_per_mw)

    if park.load.profile is not None:
        load = ready(park.load.profile, "load")
        _check_load_energy(load, park.load.profile)
    else:
        tz_times = weather_io.local_times(weather) if weather is not None else times
        load = np.asarray(load_model.load_mw(tz_times, park.load), dtype="float64")

    grid = park.grid
    price = (
        ready(grid.import_price, "import_price_per_mwh")
        if grid.import_price is not None
        else grid.import_price_per_mwh * tariff_multiplier(times, park.tariff)
    )
    factor = (
        ready(grid.emission_factor, "emission_factor_t_per_mwh")
        if grid.emission_factor is not None
        else np.full(n, grid.emission_factor_t_per_mwh)
    )

    ds = xr.Dataset(
        {
            "pv_pu": ("time", pv_pu, attrs("pv_pu")),
            "wind_pu": ("time", wind_pu, attrs("wind_pu")),
            "load": ("time", load, attrs("load")),
            "import_price_per_mwh": ("time", price, attrs("import_price_per_mwh")),
            "emission_factor_t_per_mwh": ("time", factor, attrs("emission_factor_t_per_mwh")),
        },
        coords={"time": times.tz_localize(None) if times.tz is not None else times},
    )
    # delivery shapes of [[procurement]] green contracts (energysim.procurement)
    ds = ds.assign(delivery_shapes(park, ds.indexes["time"]))
    if "hydrogen_demand_kg_per_h" in files:  # [hydrogen] demand_profile (energysim.flexible)
        name = "hydrogen_demand_kg_per_h"
        assert park.hydrogen is not None and park.hydrogen.demand_profile is not None, (
            "_read_ready reads it only from [hydrogen] demand_profile")
        ds[name] = ("time", ready(park.hydrogen.demand_profile, name), attrs(name))
    ds.attrs.update(
        timezone=park.site.timezone,
        hours=n,
        dt_h=1.0,
        weather_source=_weather_source(weather, park),
        weather_fills=str(weather.attrs.get("fills", "")) if weather is not None else "",
        weather_notes=str(weather.attrs.get("notes", "")) if weather is not None else "",
    )
    return ds


def complete(profiles: xr.Dataset, park: ParkConfig) -> xr.Dataset:
    """A Profiles Dataset with the grid series it lacks, flat at the config's values.

    A user's own Dataset may carry only ``pv_pu``, ``wind_pu`` and ``load``;
    accounting and sizing also need ``import_price_per_mwh`` [money/MWh] and
    ``emission_factor_t_per_mwh`` [t/MWh] every hour, and the delivery series of
    ``[[procurement]]`` green contracts (:func:`delivery_shapes`).
    Returns ``profiles`` itself when nothing is missing.
    """
    flat = {"import_price_per_mwh": park.grid.import_price_per_mwh,
            "emission_factor_t_per_mwh": park.grid.emission_factor_t_per_mwh}
    missing = {name: ("time", np.full(profiles.sizes["time"], value), attrs(name))
               for name, value in flat.items() if name not in profiles}
    if park.procurement:  # delivery shapes of green contracts the Dataset lacks
        missing.update(delivery_shapes(park, profiles.indexes["time"],
                                                   skip=set(profiles.data_vars)))
    return profiles.assign(missing) if missing else profiles


def tariff_multiplier(times, tariff) -> np.ndarray:
    """Time-of-use multiplier of every hour [-]: its ``[tariff]`` period's, 1 elsewhere.

    Parameters
    ----------
    times : array_like of datetime64
        Period-beginning labels in local standard time.
    tariff : energysim.config.TariffConfig
    """
    idx = pd.DatetimeIndex(times)
    out = np.ones(len(idx))
    hours, months = idx.hour.to_numpy(), idx.month.to_numpy()
    for period in tariff.periods:
        hit = np.isin(hours, period.hours) & np.isin(months, period.months)
        out[hit] = period.multiplier
    return out


# ---------------------------------------------------------------------------
# delivery shapes of [[procurement]] green contracts (energysim.procurement)
# ---------------------------------------------------------------------------


def _plant_shape(p: ProcurementConfig, times: pd.DatetimeIndex) -> np.ndarray:
    """Output of the remote plant per MW of its mix [MW], on the run's hours."""
    assert p.weather is not None and p.site is not None, "a remote plant has both (config)"
    weather = weather_io.read_weather(p.weather, p.site)
    n = weather.sizes["time"]
    if n != len(times):
        raise ProfileError(problem(
            f"the remote plant's weather has {n} hours; the run has {len(times)} "
            f"({times[0]} .. {times[-1]}) — lengths must match",
            source=p.weather.path, field=f"[procurement] weather (entry {p.name!r})"))
    out = np.zeros(n)
    both = p.pv is not None and p.wind is not None
    if p.pv is not None:
        mix = p.pv.capacity_mw if both else 1.0
        assert mix is not None, "a PV + wind plant sets both capacities (config)"
        out += mix * np.asarray(pv_model.ac_per_mwp(weather, p.site, p.pv), dtype=np.float64)
    if p.wind is not None:
        mix = p.wind.capacity_mw if both else 1.0
        assert mix is not None, "a PV + wind plant sets both capacities (config)"
        out += mix * np.asarray(wind_model.ac_per_mw(weather, p.site, p.wind), dtype=np.float64)
    return out


def _profile_shape(p: ProcurementConfig, times: pd.DatetimeIndex) -> np.ndarray:
    """The contract's delivery shape read from its profile file, on the run's hours."""
    assert p.profile is not None, "called for delivery = profile"
    series = read_profile(p.profile, "delivery_pu")
    try:
        return _align(series, times, p.profile, None)
    except ProfileError as exc:  # name the product and its key beside the file's column
        raise ProfileError([problem(f"[procurement] profile (entry {p.name!r}): {q.rule}",
                                    source=q.source, field=q.field) for q in exc.problems]
                           ) from None


_SHAPES = {"profile": _profile_shape, "plant": _plant_shape}


def delivery_shapes(park: ParkConfig, times: pd.DatetimeIndex, skip=()) -> dict[str, tuple]:
    """Delivery per MWh/yr of every shaped green contract on the run's hours [MW per MWh/yr].

    Returns ``{series name: ("time", values, attrs)}`` for a Profiles Dataset;
    series named in ``skip`` are not computed.

    Raises
    ------
    ProfileError
        A profile or plant weather longer or shorter than the run, or a shape
        that never delivers.
    """
    out = {}
    for p in park.procurement:
        if (p.kind != "green_contract" or p.delivery == "annual"
                or procurement.shape_name(p.name) in skip):
            continue
        shape = _SHAPES[p.delivery](p, times)
        if not float(shape.sum()) > 0:
            raise ProfileError(problem(
                "the delivery shape is zero in every hour: the contract never delivers",
                source=p.profile.path if p.profile is not None
                else p.weather.path if p.weather is not None else None,
                field=f"[procurement] {p.delivery} (entry {p.name!r})"))
        out[procurement.shape_name(p.name)] = ("time", procurement.per_volume(shape), {
            "units": "MW (MWh yr-1)-1",
            "long_name": f"delivery of green contract {p.name} per MWh/yr of volume"})
    return out
