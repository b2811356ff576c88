"""Weather years: the ensemble split into calendar years, and profiles per year.

``[weather] ensemble_path`` is a multi-year weather file (same format as
``[weather] path``); each calendar year of it is one weather year. Robust
sizing (``[sizing] weather_years``), the study's weather-year table and sweeps
over ``weather.year`` all take their years from here, so a year means the same
hours everywhere. A weather year must be whole: 8 760 hours after the leap-day
rule of :mod:`energysim.timeaxis` (a partial first or last year of a file is an
error naming it, never a short "year").
"""

from __future__ import annotations

import xarray as xr

from energysim.config import ParkConfig
from energysim.errors import ConfigError, problem

__all__ = ["year_weathers", "select_years", "profiles_by_year"]


def year_weathers(park: ParkConfig) -> dict[int, xr.Dataset]:
    """Each calendar year of the weather ensemble, as its own Weather Dataset.

    Returns an empty dict without ``[weather] ensemble_path``; a partial year is
    a :class:`~energysim.errors.WeatherError` naming it
    (:func:`energysim.weather.read_ensemble_years`).
    """
    from energysim import weather as weather_io

    return weather_io.read_ensemble_years(park.weather, park.site)


def select_years(park: ParkConfig, available: list[int], years=None) -> list[int]:
    """The weather years to use: ``years`` or ``[sizing] weather_years`` ("all", a list).

    Raises
    ------
    ConfigError
        A listed year is not in the ensemble (the message lists the ones that are).
    """
    wanted = park.sizing.weather_years if years is None else years
    if wanted in ("all", None):
        return sorted(available)
    if wanted == "none":
        return []
    missing = [y for y in wanted if y not in available]
    if missing:
        have = f"{min(available)}-{max(available)}" if available else "none (no ensemble_path)"
        raise ConfigError(problem(
            f"weather years {missing} are not in [weather] ensemble_path (years there: {have})",
            source=park.source, field="sizing.weather_years", value=list(wanted)))
    return list(wanted)


def profiles_by_year(park: ParkConfig, years=None) -> dict[int, xr.Dataset]:
    """Profiles Dataset of every selected weather year (``[sizing] weather_years``).

    Parameters
    ----------
    park : ParkConfig
    years : "all", list of int, optional
        Default ``park.sizing.weather_years``.

    Returns
    -------
    dict
        Calendar year -> Profiles Dataset (:func:`energysim.profiles.build_profiles`
        on that year's weather); empty without an ensemble or with ``"none"``.
    """
    from energysim.profiles import build_profiles

    weathers = year_weathers(park)
    chosen = select_years(park, list(weathers), years)
    if chosen and not weathers:
        raise ConfigError(problem("robust sizing over weather years needs [weather] "
                                  "ensemble_path (a multi-year weather file)",
                                  source=park.source, field="sizing.weather_years",
                                  value=park.sizing.weather_years))
    return {y: build_profiles(park, weather=weathers[y]) for y in chosen}
