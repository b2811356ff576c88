"""Park load: built-in hourly shapes scaled to an annual energy, summed over tenants.

A shape is a small table of parameters (:class:`Shape`) mapped by name in
:data:`SHAPES`; the hourly level is built by pure functions:

- :func:`shift_activity` — trapezoidal working windows with linear ramps at
  shift starts and ends (wrapping around midnight);
- :func:`shift_change_dips` — short dips at crew changes;
- :func:`seasonal_factor` — winter (heating) and summer (cooling) modulation;
- :func:`ar1_noise` — multiplicative AR(1) Gaussian noise, seeded;
- :func:`scale_to_annual` — exact scaling rule (below).

Scaling rule: each calendar year's block of hours is scaled so its mean power
is ``annual_mwh / 8760 h``. A whole year (8760 h, 29 February dropped) thus
carries exactly ``annual_mwh``; a shorter horizon carries ``annual_mwh ×
hours / 8760``. Public holidays are not modelled (weekday pattern only).

The shape parameters are illustrative engineering values, not measurements:
a continuous process plant (e.g. battery-cell and equipment manufacturing at
the Ordos park, FACTS.md) runs at a near-flat level with small dips at 12-h
crew changes and on Sundays; multi-shift plants keep a base load (process
utilities, compressed air, HVAC, lighting) outside their shifts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from energysim.config import LoadConfig
from energysim.errors import ConfigError, problem
from energysim.nomenclature import attrs
from energysim.timeaxis import HOURS_PER_YEAR

__all__ = [
    "Shape",
    "SHAPES",
    "shift_activity",
    "shift_change_dips",
    "seasonal_factor",
    "shape_level",
    "ar1_noise",
    "scale_to_annual",
    "load_mw",
]

#: Time step [h].
DT_H = 1.0
#: Hour-to-hour correlation of the load noise [-]: plant noise persists for a few hours.
AR1_PHI = 0.8
#: Day of year of the seasonal temperature minimum (mid-January, northern hemisphere) [d].
COLDEST_DAY = 15


@dataclass(frozen=True)
class Shape:
    """Parameters of a built-in load shape (levels relative to the working peak).

    Attributes
    ----------
    base : float
        Level outside the working windows [-].
    windows : tuple
        Per day type (Mon-Fri, Sat, Sun): ``((start_h, end_h), ...)`` working
        windows [h of day, end may exceed 24 to wrap past midnight].
    day_factor : tuple
        Per day type: activity multiplier inside the windows [-].
    ramp_h : float
        Duration of the linear ramp at each window edge [h].
    dips : tuple
        Hours of day [h] of crew changes, with ``dip_depth`` [-] relative dip.
    dip_depth : float
        Relative dip at a crew change [-].
    winter_amplitude, summer_amplitude : float
        Relative seasonal rise at the coldest / warmest day [-].
    """

    base: float
    windows: tuple[tuple[tuple[float, float], ...], ...]
    day_factor: tuple[float, float, float]
    ramp_h: float
    dips: tuple[float, ...]
    dip_depth: float
    winter_amplitude: float
    summer_amplitude: float


#: Built-in shapes by name (config ``[load] shape``).
SHAPES: dict[str, Shape] = {
    # continuous process: 24/7, two 12-h crews (08:00, 20:00), slightly lower on Sundays
    "industrial_continuous": Shape(
        base=0.9, windows=(((0, 24),),) * 3, day_factor=(1.0, 1.0, 0.7), ramp_h=1.0,
        dips=(8.0, 20.0), dip_depth=0.03, winter_amplitude=0.05, summer_amplitude=0.03,
    ),
    # three 8-h shifts (06, 14, 22) Mon-Sat, Saturday lighter, Sunday day maintenance only
    "three_shift": Shape(
        base=0.35, windows=(((0, 24),), ((0, 24),), ((6, 22),)), day_factor=(1.0, 0.8, 0.4),
        ramp_h=1.0, dips=(6.0, 14.0, 22.0), dip_depth=0.08, winter_amplitude=0.06,
        summer_amplitude=0.04,
    ),
    # two 8-h shifts 06-22 Mon-Fri, one shift on Saturday, closed Sunday
    "two_shift": Shape(
        base=0.25, windows=(((6, 22),), ((6, 14),), ()), day_factor=(1.0, 1.0, 0.0),
        ramp_h=1.0, dips=(14.0,), dip_depth=0.10, winter_amplitude=0.06, summer_amplitude=0.05,
    ),
    # one day shift 08-17 Mon-Fri with a lunch dip, closed at weekends
    "single_shift": Shape(
        base=0.20, windows=(((8, 17),), (), ()), day_factor=(1.0, 0.0, 0.0),
        ramp_h=1.0, dips=(12.0,), dip_depth=0.15, winter_amplitude=0.08, summer_amplitude=0.06,
    ),
    "flat": Shape(
        base=1.0, windows=((), (), ()), day_factor=(0.0, 0.0, 0.0), ramp_h=1.0,
        dips=(), dip_depth=0.0, winter_amplitude=0.0, summer_amplitude=0.0,
    ),
}

# Monday..Sunday -> day type (0 weekday, 1 Saturday, 2 Sunday)
_DAY_TYPE = np.array([0, 0, 0, 0, 0, 1, 2])


def shift_activity(
    hour: np.ndarray, start_h: float, end_h: float, ramp_h: float
) -> np.ndarray:
    """Activity 0-1 of one working window with linear ramps at its edges.

    Parameters
    ----------
    hour : array-like
        Hour of day at the middle of each step [h], 0-24.
    start_h, end_h : float
        Window start and end [h of day]; ``end_h`` up to ``start_h + 24``
        (a window past midnight wraps).
    ramp_h : float
        Ramp duration centred on each edge [h], > 0.

    Returns
    -------
    numpy.ndarray
        Activity [-], 1 inside the window, 0 outside, linear across each edge.

    Notes
    -----
    ``a(h) = clip(min((h − s)/r, (e − h)/r) + 1/2, 0, 1)``, evaluated at h and
    h + 24 (wrap) and the larger taken.
    """
    h = np.asarray(hour, dtype=float)

    def trapezoid(x):
        return np.clip(np.minimum(x - start_h, end_h - x) / ramp_h + 0.5, 0.0, 1.0)

    return np.maximum(trapezoid(h), trapezoid(h + 24.0))


def shift_change_dips(hour: np.ndarray, change_hours: tuple[float, ...],
                      depth: float) -> np.ndarray:
    """Multiplier with a one-hour dip at each crew change.

    Parameters
    ----------
    hour : array-like
        Hour of day at the middle of each step [h].
    change_hours : tuple of float
        Crew-change times [h of day].
    depth : float
        Relative dip [-] in the hour straddling the change.

    Returns
    -------
    numpy.ndarray
        Multiplier [-], ``1 − depth`` within ±0.5 h of a change, else 1.
    """
    h = np.asarray(hour, dtype=float)
    factor = np.ones_like(h)
    for change in change_hours:
        distance = np.abs((h - change + 12.0) % 24.0 - 12.0)
        factor = np.where(distance <= 0.5, factor * (1.0 - depth), factor)
    return factor


def seasonal_factor(
    day_of_year: np.ndarray, winter_amplitude: float, summer_amplitude: float,
    coldest_day: float = COLDEST_DAY,
) -> np.ndarray:
    """Seasonal multiplier for heating (winter) and cooling (summer) loads.

    Parameters
    ----------
    day_of_year : array-like
        Day of year [1-366].
    winter_amplitude, summer_amplitude : float
        Relative rise at the coldest / warmest day [-].
    coldest_day : float, default 15
        Day of year of the temperature minimum [d].

    Returns
    -------
    numpy.ndarray
        ``1 + w·max(c, 0) + s·max(−c, 0)``, ``c = cos(2π (doy − d_cold)/365)`` [-].
    """
    c = np.cos(2 * np.pi * (np.asarray(day_of_year, dtype=float) - coldest_day) / 365.0)
    return 1.0 + winter_amplitude * np.maximum(c, 0.0) + summer_amplitude * np.maximum(-c, 0.0)


def shape_level(times: pd.DatetimeIndex, shape: Shape) -> np.ndarray:
    """Noise-free relative load of a shape on hourly period-beginning ``times``.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Period-beginning hourly labels (local time).
    shape : Shape
        Shape parameters.

    Returns
    -------
    numpy.ndarray
        Relative level [-] (working peak ≈ 1), non-negative.
    """
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60.0 + DT_H / 2
    day_type = _DAY_TYPE[times.dayofweek.to_numpy()]
    activity = np.zeros(len(times))
    for kind in range(3):
        on = np.zeros(len(times))
        for start, end in shape.windows[kind]:
            on = np.maximum(on, shift_activity(hour, start, end, shape.ramp_h))
        activity = np.where(day_type == kind, on * shape.day_factor[kind], activity)
    # crew changes and breaks dip only the working part, not the base load
    activity = activity * shift_change_dips(hour, shape.dips, shape.dip_depth)
    level = shape.base + (1.0 - shape.base) * activity
    return level * seasonal_factor(
        times.dayofyear.to_numpy(), shape.winter_amplitude, shape.summer_amplitude
    )


def ar1_noise(n: int, std: float, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) Gaussian noise.

    Parameters
    ----------
    n : int
        Length [-].
    std : float
        Stationary standard deviation [-].
    phi : float
        Lag-1 autocorrelation [-], |phi| < 1.
    rng : numpy.random.Generator
        Random source (seeded by the caller).

    Returns
    -------
    numpy.ndarray
        ``e_t = φ e_{t−1} + σ sqrt(1 − φ²) z_t``, ``e_0 = σ z_0``, z ~ N(0, 1).
    """
    z = rng.standard_normal(n) * std
    z[1:] *= np.sqrt(1.0 - phi**2)
    return _recursive_filter(z, float(phi))


def _ar1_filter(z: np.ndarray, phi: float) -> np.ndarray:
    """``y_t = z_t + phi y_{t-1}``, ``y_0 = z_0``.

    What ``scipy.signal.lfilter([1], [1, -phi], z)`` computes, in the same order of operations;
    scipy.signal costs 0.5 s to import.
    """
    y = np.empty_like(z)
    prev = 0.0
    for t in range(z.shape[0]):
        prev = z[t] + phi * prev
        y[t] = prev
    return y


def _recursive_filter(z: np.ndarray, phi: float) -> np.ndarray:
    from numba import njit

    global _AR1
    if _AR1 is None:
        _AR1 = njit(cache=True)(_ar1_filter)
    return _AR1(z, phi)


#: The compiled :func:`_ar1_filter`, built on first use.
_AR1: Callable[[np.ndarray, float], np.ndarray] | None = None


def scale_to_annual(level: np.ndarray, years: np.ndarray, annual_mwh: float) -> np.ndarray:
    """Scale a relative level to MW so each year block averages ``annual_mwh / 8760``.

    Parameters
    ----------
    level : array-like
        Relative hourly level [-], non-negative, positive mean in every year.
    years : array-like
        Calendar year of each hour [-].
    annual_mwh : float
        Energy of a full 8760-h year [MWh].

    Returns
    -------
    numpy.ndarray
        Load [MW]; a block of n hours carries ``annual_mwh · n / 8760`` MWh (Δt = 1 h).
    """
    level = np.asarray(level, dtype=float)
    years = np.asarray(years)
    _, inverse, counts = np.unique(years, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=level)
    mean_mw = annual_mwh / HOURS_PER_YEAR  # mean power of the year, at any step
    return level * (mean_mw * counts / sums)[inverse]


def _one_load(
    times: pd.DatetimeIndex, shape: str, annual_mwh: float, noise_pct: float,
    rng: np.random.Generator,
) -> np.ndarray:
    level = shape_level(times, SHAPES[shape])
    noise = ar1_noise(len(times), noise_pct / 100.0, AR1_PHI, rng)
    return scale_to_annual(np.clip(level * (1.0 + noise), 0.0, None), times.year.to_numpy(),
                           annual_mwh)


def load_mw(times: pd.DatetimeIndex, load: LoadConfig) -> xr.DataArray:
    """Hourly park load [MW]: the main shape plus every tenant.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Period-beginning hourly labels in local standard time (tz-aware or naive).
    load : LoadConfig
        ``annual_mwh`` [MWh] with ``shape``, ``noise_pct`` [%], ``seed``, and
        optional ``tenants`` (each ``annual_mwh``, ``shape``, ``noise_pct``).

    Returns
    -------
    xarray.DataArray
        ``load`` [MW], dim ``time``; each calendar year of 8760 h carries
        exactly the sum of the configured annual energies.

    Raises
    ------
    ConfigError
        The config has a measured ``profile`` instead (read by
        :mod:`energysim.profiles`), or ``times`` is empty or not increasing.
    """
    if load.annual_mwh is None and not load.tenants:
        raise ConfigError(
            problem("load_mw needs annual_mwh or tenants (a measured profile is read by profiles)",
                    field="[load] annual_mwh", value=None)
        )
    times = pd.DatetimeIndex(times)
    if len(times) == 0 or not times.is_monotonic_increasing or times.has_duplicates:
        raise ConfigError(
            problem("times must be a non-empty, strictly increasing hourly index",
                    field="times", value=f"{len(times)} labels")
        )
    parts = ([(load.shape, load.annual_mwh, load.noise_pct)] if load.annual_mwh is not None else [])
    parts += [(t.shape, t.annual_mwh, t.noise_pct) for t in load.tenants]
    # one independent stream per consumer, all from the one seed
    streams = np.random.SeedSequence(load.seed).spawn(len(parts))
    total = np.zeros(len(times))
    for (shape, annual, noise), stream in zip(parts, streams, strict=True):
        total += _one_load(times, shape, annual, noise, np.random.default_rng(stream))
    naive = times.tz_localize(None) if times.tz is not None else times
    return xr.DataArray(total, coords={"time": naive.to_numpy()}, dims="time", name="load",
                        attrs=attrs("load"))
