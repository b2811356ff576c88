"""Wind: hourly AC output per MW of nameplate from weather.

One pure function per physical step:

1. :func:`hub_wind_speed_log` / :func:`hub_wind_speed_power` — vertical
   extrapolation of the measured wind speed to hub height (log law with a
   roughness length, or Hellman power law);
2. :func:`hub_temperature`, :func:`pressure_from_altitude`,
   :func:`hub_pressure`, :func:`air_density` — air density at hub height from
   station pressure and temperature (hypsometric equation + ideal gas), or
   from the site altitude (ISA) when the weather has no pressure;
3. :func:`density_normalised_speed` — IEC 61400-12-1 density normalisation:
   the standard-density power curve is read at ``v (ρ/ρ0)^(1/3)``;
4. :func:`power_curve_output` — the turbine's power curve (windpowerlib's
   turbine library by name, or a user CSV: :func:`turbine_power_curve`);
5. farm losses (wake, availability, electrical) as one budget ``losses_pct``.

:func:`ac_per_mw` wires them on a Weather Dataset and returns ``wind_pu``
[MW AC per MW nameplate].

References
----------
.. [1] IEC 61400-12-1:2017, Power performance measurements of electricity
   producing wind turbines, sec. 9.1 (air density normalisation).
.. [2] J. F. Manwell, J. G. McGowan, A. L. Rogers, "Wind Energy Explained",
   2nd ed., Wiley, 2009, sec. 2.3 (wind shear: log and power laws).
.. [3] ISO 2533:1975, Standard Atmosphere (lapse rate, sea-level pressure).
.. [4] S. Haas et al., windpowerlib — a Python library to model wind power
   plants, JOSS 2019, doi:10.21105/joss.01679 (turbine library).
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from energysim.config import SiteConfig, WindConfig
from energysim.errors import ConfigError, InputDataError, WeatherError, problem
from energysim.nomenclature import attrs

__all__ = [
    "RHO0_KG_M3",
    "hub_wind_speed_log",
    "hub_wind_speed_power",
    "hub_temperature",
    "pressure_from_altitude",
    "hub_pressure",
    "air_density",
    "density_normalised_speed",
    "power_curve_output",
    "turbine_power_curve",
    "hub_conditions",
    "ac_per_mw",
]

#: Standard air density of power curves (IEC 61400-12-1; ISA sea level, 15 degC) [kg m-3].
RHO0_KG_M3 = 1.225
#: Specific gas constant of dry air [J kg-1 K-1].
R_DRY_J_KG_K = 287.058
#: Gravity [m s-2].
G_M_S2 = 9.80665
#: ISA temperature lapse rate [K m-1] [3].
LAPSE_RATE_K_M = -0.0065
#: Height of the air-temperature measurement (standard screen height) [m].
TEMP_HEIGHT_M = 2.0
#: Height of the station pressure above the site altitude [m] (at ground).
PRESSURE_HEIGHT_M = 0.0


def hub_wind_speed_log(
    wind_speed: np.ndarray, height_m: float, hub_height_m: float, roughness_length_m: float
) -> np.ndarray:
    """Wind speed at hub height by the logarithmic wind profile.

    Parameters
    ----------
    wind_speed : array-like
        Measured wind speed [m s-1].
    height_m : float
        Measurement height above ground [m].
    hub_height_m : float
        Hub height above ground [m].
    roughness_length_m : float
        Surface roughness length z0 [m].

    Returns
    -------
    numpy.ndarray
        Hub-height wind speed [m s-1].

    Notes
    -----
    Neutral stability: ``v_hub = v · ln(h_hub / z0) / ln(h / z0)`` [2]_.
    """
    return np.asarray(wind_speed, dtype=float) * (
        np.log(hub_height_m / roughness_length_m) / np.log(height_m / roughness_length_m)
    )


def hub_wind_speed_power(
    wind_speed: np.ndarray, height_m: float, hub_height_m: float, hellman_exponent: float
) -> np.ndarray:
    """Wind speed at hub height by the power law (Hellman).

    Parameters
    ----------
    wind_speed : array-like
        Measured wind speed [m s-1].
    height_m : float
        Measurement height above ground [m].
    hub_height_m : float
        Hub height above ground [m].
    hellman_exponent : float
        Shear exponent α [-] (1/7 for open terrain).

    Returns
    -------
    numpy.ndarray
        Hub-height wind speed [m s-1].

    Notes
    -----
    ``v_hub = v · (h_hub / h)^α`` [2]_.
    """
    return np.asarray(wind_speed, dtype=float) * (hub_height_m / height_m) ** hellman_exponent


def hub_temperature(
    temp_air: np.ndarray, hub_height_m: float, temp_height_m: float = TEMP_HEIGHT_M
) -> np.ndarray:
    """Air temperature at hub height with the ISA lapse rate.

    Parameters
    ----------
    temp_air : array-like
        Air temperature at ``temp_height_m`` [degC].
    hub_height_m : float
        Hub height above ground [m].
    temp_height_m : float, default 2
        Height of the temperature measurement [m].

    Returns
    -------
    numpy.ndarray
        Temperature at hub height [degC].

    Notes
    -----
    ``T_hub = T + Γ (h_hub − h_T)``, Γ = −0.0065 K m-1 [3]_.
    """
    return np.asarray(temp_air, dtype=float) + LAPSE_RATE_K_M * (hub_height_m - temp_height_m)


def pressure_from_altitude(altitude_m: float) -> float:
    """Mean station pressure at an altitude in the ISA standard atmosphere.

    Parameters
    ----------
    altitude_m : float
        Altitude above sea level [m].

    Returns
    -------
    float
        Pressure [Pa].

    Notes
    -----
    ``p = 101325 (1 − 2.25577e-5 h)^5.25588`` (ISA troposphere) [3]_.
    """
    return 101325.0 * (1.0 - 2.25577e-5 * altitude_m) ** 5.25588


def hub_pressure(pressure_pa: np.ndarray, temp_c: np.ndarray, dz_m: float) -> np.ndarray:
    """Pressure ``dz_m`` above the station by the hypsometric equation.

    Parameters
    ----------
    pressure_pa : array-like
        Station pressure [Pa].
    temp_c : array-like
        Mean temperature of the layer [degC].
    dz_m : float
        Height difference [m].

    Returns
    -------
    numpy.ndarray
        Pressure at the upper level [Pa].

    Notes
    -----
    ``p(z + Δz) = p(z) · exp(−g Δz / (R_d T))``, T in K.
    """
    t_k = np.asarray(temp_c, dtype=float) + 273.15
    return np.asarray(pressure_pa, dtype=float) * np.exp(-G_M_S2 * dz_m / (R_DRY_J_KG_K * t_k))


def air_density(pressure_pa: np.ndarray, temp_c: np.ndarray) -> np.ndarray:
    """Dry-air density by the ideal gas law.

    Parameters
    ----------
    pressure_pa : array-like
        Air pressure [Pa].
    temp_c : array-like
        Air temperature [degC].

    Returns
    -------
    numpy.ndarray
        Density [kg m-3].

    Notes
    -----
    ``ρ = p / (R_d T)``, R_d = 287.058 J kg-1 K-1 (humidity neglected: < 1 %).
    """
    return np.asarray(pressure_pa, dtype=float) / (
        R_DRY_J_KG_K * (np.asarray(temp_c, dtype=float) + 273.15)
    )


def density_normalised_speed(
    wind_speed: np.ndarray, density_kg_m3: np.ndarray, rho0_kg_m3: float = RHO0_KG_M3
) -> np.ndarray:
    """Wind speed at which to read a standard-density power curve.

    Parameters
    ----------
    wind_speed : array-like
        Hub-height wind speed [m s-1].
    density_kg_m3 : array-like
        Air density at hub height [kg m-3].
    rho0_kg_m3 : float, default 1.225
        Density the power curve refers to [kg m-3].

    Returns
    -------
    numpy.ndarray
        Density-normalised speed [m s-1].

    Notes
    -----
    IEC 61400-12-1 [1]_ for pitch-regulated turbines:
    ``v_n = v · (ρ / ρ0)^(1/3)`` — the same kinetic power flux ½ρv³ at standard
    density. At Ordos (~1 300 m, ρ ≈ 1.07 kg m-3) this lowers speeds by ~4 %.
    """
    return np.asarray(wind_speed, dtype=float) * (
        np.asarray(density_kg_m3, dtype=float) / rho0_kg_m3
    ) ** (1.0 / 3.0)


def power_curve_output(
    wind_speed: np.ndarray, curve_speed: np.ndarray, curve_power: np.ndarray
) -> np.ndarray:
    """Turbine output from a power curve by linear interpolation.

    Parameters
    ----------
    wind_speed : array-like
        Hub-height (density-normalised) wind speed [m s-1].
    curve_speed : array-like
        Power-curve wind speeds, increasing [m s-1].
    curve_power : array-like
        Power at those speeds [any unit, e.g. MW per MW].

    Returns
    -------
    numpy.ndarray
        Output in the unit of ``curve_power``; zero below the first and above
        the last curve point (cut-in / cut-out).
    """
    return np.interp(
        np.asarray(wind_speed, dtype=float), curve_speed, curve_power, left=0.0, right=0.0
    )


@functools.cache
def _library_curve(name: str) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    from windpowerlib import WindTurbine

    try:
        with warnings.catch_warnings():  # an unknown name is reported below as a ConfigError
            warnings.simplefilter("ignore")
            turbine = WindTurbine(hub_height=100.0, turbine_type=name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(
            problem(f"not in windpowerlib's turbine library ({exc})", field="[wind] turbine",
                    value=name)
        ) from None
    curve = turbine.power_curve
    if curve is None or turbine.nominal_power is None:
        raise ConfigError(
            problem("windpowerlib has no power curve for this turbine", field="[wind] turbine",
                    value=name)
        )
    return (
        tuple(curve["wind_speed"].astype(float)),
        tuple(curve["value"].astype(float)),
        float(turbine.nominal_power),
    )


def _csv_curve(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        table = pd.read_csv(path, comment="#")
    except (OSError, ValueError) as exc:
        raise InputDataError(problem(f"cannot read power curve: {exc}", source=path)) from None
    for column in ("wind_speed", "power"):
        if column not in table:
            raise InputDataError(
                problem("power curve needs columns wind_speed [m/s], power [kW]", source=path,
                        field=column, value=list(table.columns))
            )
    speed = pd.to_numeric(table["wind_speed"], errors="coerce").to_numpy(float)
    power = pd.to_numeric(table["power"], errors="coerce").to_numpy(float)
    rules = (
        ("wind_speed", speed, len(speed) >= 2, "needs at least two points"),
        ("wind_speed", speed, bool(np.all(np.isfinite(speed))), "must be numbers"),
        ("power", power, bool(np.all(np.isfinite(power))), "must be numbers"),
        ("wind_speed", speed, bool(np.all(np.diff(speed) > 0)), "must increase strictly"),
        ("wind_speed", speed, bool(np.all(speed >= 0)), "must be >= 0 m/s"),
        ("power", power, bool(np.all(power >= 0)), "must be >= 0 kW"),
        ("power", power, bool(np.nanmax(power, initial=0.0) > 0), "must have a positive maximum"),
    )
    bad = [problem(rule, source=path, field=f, value=v.tolist())
           for f, v, ok, rule in rules if not ok]
    if bad:
        raise InputDataError(bad[:1])
    return speed, power


def turbine_power_curve(
    turbine: str | None = None, power_curve: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Power curve per unit of nameplate.

    Parameters
    ----------
    turbine : str, optional
        windpowerlib turbine library name, e.g. ``"E-126/4200"`` [4]_.
    power_curve : pathlib.Path, optional
        CSV with columns ``wind_speed`` [m s-1] and ``power`` [kW]; nameplate
        is its largest power. Takes precedence over ``turbine``.

    Returns
    -------
    speed, power_pu : numpy.ndarray
        Curve speeds [m s-1] and output [MW per MW nameplate], at standard
        density 1.225 kg m-3.

    Raises
    ------
    ConfigError
        Neither given, or an unknown turbine name.
    InputDataError
        The CSV is unreadable or not a valid curve.
    """
    if power_curve is not None:
        speed, power = _csv_curve(Path(power_curve))
        return speed, power / power.max()
    if turbine is None:
        raise ConfigError(problem("give a turbine name or a power_curve file",
                                  field="[wind] turbine", value=None))
    lib_speed, lib_power, nominal = _library_curve(turbine)
    return np.asarray(lib_speed), np.asarray(lib_power) / nominal


_SHEAR = {
    "log": lambda v, h, wind: hub_wind_speed_log(v, h, wind.hub_height_m, wind.roughness_length_m),
    "power": lambda v, h, wind: hub_wind_speed_power(v, h, wind.hub_height_m,
                                                     wind.hellman_exponent),
}


def hub_conditions(
    weather: xr.Dataset, site: SiteConfig, wind: WindConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Hub-height wind speed [m s-1] and air density [kg m-3] from a Weather Dataset.

    Parameters
    ----------
    weather : xarray.Dataset
        ``wind_speed`` [m s-1] with ``attrs["height_m"]``, ``temp_air`` [degC],
        optional ``pressure`` [Pa] (station level).
    site : SiteConfig
        ``altitude_m`` [m] sets the pressure when the weather has none.
    wind : WindConfig
        Hub height [m], shear law and its parameter.

    Returns
    -------
    wind_speed_hub, density_hub : numpy.ndarray
    """
    source = weather.attrs.get("source")
    for name in ("wind_speed", "temp_air"):
        if name not in weather:
            raise WeatherError(problem("required by the wind model", source=source, field=name))
    height = weather["wind_speed"].attrs.get("height_m")
    if height is None or not np.isfinite(height) or float(height) <= 0:
        raise WeatherError(
            problem("wind_speed needs attrs['height_m'] > 0 (measurement height)", source=source,
                    field="wind_speed.height_m", value=height)
        )
    if wind.wind_profile == "log" and float(height) <= wind.roughness_length_m:
        raise ConfigError(
            problem(f"must be below the wind measurement height {float(height)} m",
                    field="[wind] roughness_length_m", value=wind.roughness_length_m)
        )
    speed = _SHEAR[wind.wind_profile](weather["wind_speed"].to_numpy(), float(height), wind)
    temp = weather["temp_air"].to_numpy().astype(float)
    pressure = (
        weather["pressure"].to_numpy().astype(float)
        if "pressure" in weather
        else np.full(temp.shape, pressure_from_altitude(site.altitude_m))
    )
    temp_hub = hub_temperature(temp, wind.hub_height_m)
    p_hub = hub_pressure(pressure, (temp + temp_hub) / 2, wind.hub_height_m - PRESSURE_HEIGHT_M)
    return np.clip(speed, 0.0, None), air_density(p_hub, temp_hub)


def ac_per_mw(weather: xr.Dataset, site: SiteConfig, wind: WindConfig) -> xr.DataArray:
    """Hourly wind-farm AC output per MW nameplate on the weather's time axis.

    Parameters
    ----------
    weather : xarray.Dataset
        Weather Dataset (DESIGN.md contract).
    site : SiteConfig
        Site altitude [m] (air density when the weather has no pressure).
    wind : WindConfig
        Turbine or power-curve file, hub height [m], shear law, ``losses_pct`` [%].

    Returns
    -------
    xarray.DataArray
        ``wind_pu`` [MW AC per MW nameplate], dim ``time``.

    Notes
    -----
    ``P = P_curve(v_hub (ρ_hub/ρ0)^(1/3)) · (1 − losses_pct/100)``. The loss
    budget lumps wake, availability and electrical losses (typical onshore
    farms: wake 5-10 %, availability 2-3 %, electrical 1-2 %).
    """
    curve_speed, curve_pu = turbine_power_curve(wind.turbine, wind.power_curve)
    speed, density = hub_conditions(weather, site, wind)
    pu = power_curve_output(density_normalised_speed(speed, density), curve_speed, curve_pu)
    pu = pu * (1.0 - wind.losses_pct / 100.0)
    return xr.DataArray(pu, coords={"time": weather["time"]}, dims="time", name="wind_pu",
                        attrs=attrs("wind_pu"))
