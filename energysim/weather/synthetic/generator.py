"""Draw synthetic hourly weather years from fitted parameters.

The model: :mod:`energysim.weather.synthetic`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special

from energysim.errors import WeatherError, problem
from energysim.weather.synthetic.climate import (
    calendar_days,
    clear_sky,
    month_centres,
    monthly_node_values,
    periodic_interp,
    season,
)
from energysim.weather.synthetic.params import (
    GENERATOR_VERSION,
    KC_CLASS_EDGES,
    KC_PROBS,
    GeneratorParams,
)
from energysim.weather.synthetic.stats import ar1, mean_of_block_var

__all__ = ["generate", "wind_solar_latents", "daily_kc"]

#: Standard gravity [m s-2] and dry-air gas constant [J kg-1 K-1] (hypsometric equation).
_G, _RD = 9.80665, 287.05
#: Zenith above which all irradiance is diffuse (no DNI closure) [deg].
_DNI_ZENITH_MAX_DEG = 87.0


@dataclass
class _Calendar:
    """The hours and days of the generated years and the latent draws on them."""

    days: pd.DatetimeIndex
    times: pd.DatetimeIndex

    @property
    def n_d(self) -> int:
        return len(self.days)

    @property
    def month_d(self) -> np.ndarray:
        return self.days.month.to_numpy()

    @property
    def month_h(self) -> np.ndarray:
        return np.repeat(self.month_d, 24)


def _site_tuple(params: GeneratorParams, site) -> tuple[float, float, float, float]:
    if site is None:
        return params.latitude, params.longitude, params.altitude_m, params.utc_offset_h
    get: Callable[..., Any] = (site.get if isinstance(site, dict)
                               else (lambda k, d=None: getattr(site, k, d)))
    offset = get("utc_offset_h")
    if offset is None and get("timezone") is not None:
        from energysim.weather.quality import standard_utc_offset_h

        offset = standard_utc_offset_h(get("timezone"))
    if offset is None:
        offset = params.utc_offset_h
    return float(get("latitude")), float(get("longitude")), float(get("altitude_m")), float(offset)


def wind_solar_latents(p: GeneratorParams, rng: np.random.Generator, n_d: int,
                       year_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly wind latent ``w_h`` and daily solar latent ``z_d`` (unit normal marginals).

    ``w = √λ s + √(1−λ) f`` (slow and fast unit AR(1)); ``z = √(1−σy²) (r W + √(1−r²) u) + σy Y``
    with ``W`` the standardised daily mean of ``w`` and ``r = solar_wind_corr``
    (so corr(z, W) = r within a year), ``u`` a daily AR(1) whose lag-1
    coefficient makes the lag-1 autocorrelation of ``z`` equal ``kc_lag1``,
    and ``Y`` one standard normal per calendar year.
    """
    n_h = 24 * n_d
    lam, rho_s, rho_f = p.wind_slow_share, p.wind_slow_lag1, p.wind_fast_lag1
    slow = ar1(rng, n_h, rho_s)
    fast = ar1(rng, n_h, rho_f)
    w_lat = math.sqrt(lam) * slow + math.sqrt(1 - lam) * fast
    v_s, rho_sd = mean_of_block_var(rho_s)
    v_f, rho_fd = mean_of_block_var(rho_f)
    v_w = lam * v_s + (1 - lam) * v_f                       # variance of the daily mean of w
    rho_wd = (lam * v_s * rho_sd + (1 - lam) * v_f * rho_fd) / v_w
    w_day = w_lat.reshape(n_d, 24).mean(axis=1) / math.sqrt(v_w)
    r = float(np.clip(p.solar_wind_corr, -0.95, 0.95))
    phi_u = float(np.clip((p.kc_lag1 - r * r * rho_wd) / max(1 - r * r, 1e-9), 0.0, 0.98))
    u_day = ar1(rng, n_d, phi_u)
    uniq_years, year_pos = np.unique(year_d, return_inverse=True)
    year_eff = rng.standard_normal(uniq_years.size)[year_pos]
    sy = float(np.clip(p.kc_year_sd, 0.0, 0.9))
    z_d = math.sqrt(1 - sy * sy) * (r * w_day + math.sqrt(1 - r * r) * u_day) + sy * year_eff
    return w_lat, z_d


def daily_kc(p: GeneratorParams, z_d: np.ndarray, month_d: np.ndarray) -> np.ndarray:
    """Daily clear-sky index from the solar latent through the month's quantile function."""
    kc_q = np.asarray(p.kc_quantiles, dtype=float)
    u_d = special.ndtr(z_d)
    kc_d = np.empty(z_d.size)
    for m in range(1, 13):
        sel = month_d == m
        kc_d[sel] = np.interp(u_d[sel], KC_PROBS, kc_q[m - 1])
    return kc_d


def _wind_speed(p: GeneratorParams, w_lat: np.ndarray, month_h: np.ndarray,
                hour_h: np.ndarray) -> np.ndarray:
    """Wind speed [m s-1] from the hourly latent ``w``.

    Calm when ``Φ(w) ≤ p0_{s,h}``, else ``M_m · F⁻¹(F(u_min) + (1 − F(u_min)) q)`` with
    ``q = (Φ(w) − p0)/(1 − p0)``, F the Weibull of season ``s`` and hour ``h`` and ``u_min``
    the anemometer threshold over ``M_m`` (0 for hub-level wind).
    """
    k, c, calm = (np.asarray(a, dtype=float)
                  for a in (p.wind_weibull_k, p.wind_weibull_c, p.wind_calm_fraction))
    s_h = season(month_h)
    m_h = np.asarray(p.wind_monthly_mean_m_s)[month_h - 1]
    k, c, p0 = k[s_h, hour_h], c[s_h, hour_h], calm[s_h, hour_h]
    u = special.ndtr(w_lat)
    q = np.clip((u - p0) / np.maximum(1 - p0, 1e-12), 0.0, 1 - 1e-12)
    f_min = -np.expm1(-((p.wind_calm_below_m_s / m_h) / c) ** k)
    speed = m_h * c * (-np.log1p(-(f_min + (1 - f_min) * q))) ** (1.0 / k)
    return np.where(u <= p0, 0.0, speed)


def _ghi(p: GeneratorParams, kc_d: np.ndarray, e_kc: np.ndarray, ghi_cs: np.ndarray) -> np.ndarray:
    """Hourly GHI [W m-2]: ``GHI_cs · kc_h`` with each day rescaled to its ``kc_d``."""
    n_d = kc_d.size
    sd = np.asarray(p.kc_hour_sd, dtype=float)[np.digitize(kc_d, KC_CLASS_EDGES)]
    kc_h = np.clip(np.repeat(kc_d, 24) + np.repeat(sd, 24) * e_kc, 0.0, p.kc_hour_max)
    g2 = (ghi_cs * kc_h).reshape(n_d, 24)
    cs_day = ghi_cs.reshape(n_d, 24).sum(axis=1)
    tot = g2.sum(axis=1)
    scale = np.where(tot > 0, kc_d * cs_day / np.maximum(tot, 1e-9), 0.0)
    ghi = np.minimum(g2 * scale[:, None], p.kc_hour_max * ghi_cs.reshape(n_d, 24)).ravel()
    return np.round(ghi, 1)


def _dni_dhi(p: GeneratorParams, ghi: np.ndarray, zenith: np.ndarray, times: pd.DatetimeIndex,
             month_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DNI and DHI [W m-2]: Erbs diffuse fraction × the month's factor, DNI by closure."""
    import pvlib

    doy = times.dayofyear.to_numpy()
    erbs = pvlib.irradiance.erbs(ghi, zenith, doy)
    dhi_erbs = np.nan_to_num(np.asarray(erbs["dhi"], dtype=float))
    dfrac = np.where(ghi > 0, dhi_erbs / np.maximum(ghi, 1e-9), 1.0)
    dfrac = np.clip(dfrac * np.asarray(p.diffuse_factor)[month_h - 1], 0.0, 1.0)
    cosz = np.cos(np.radians(zenith))
    low_sun = zenith >= _DNI_ZENITH_MAX_DEG
    dfrac = np.where(low_sun, 1.0, dfrac)
    dni_max = 0.98 * np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)
    dni = np.where(low_sun, 0.0, ghi * (1 - dfrac) / np.maximum(cosz, 1e-3))
    dni = np.minimum(dni, dni_max)
    dhi = np.where(low_sun, ghi, ghi - dni * np.maximum(cosz, 0.0))
    return np.round(dni, 1), np.round(np.clip(dhi, 0.0, ghi), 1)


def _temperature(p: GeneratorParams, cal: _Calendar, z_d: np.ndarray, kc_d: np.ndarray,
                 t_daily: np.ndarray, t_hour: np.ndarray) -> np.ndarray:
    """Air temperature [degC].

    Climatology + daily anomaly + clearness-scaled diurnal shape + noise.
    """
    month_d, n_d = cal.month_d, cal.n_d
    t_month = np.asarray(p.temp_monthly_c, dtype=float)
    nodes = monthly_node_values(t_month, calendar_days([2001]))
    doy_d = np.array([pd.Timestamp(2001, mm, dd).dayofyear - 1.0
                      for mm, dd in zip(month_d, cal.days.day.to_numpy(), strict=True)])
    t_clim = periodic_interp(doy_d, month_centres(), nodes)
    coef = np.asarray(p.temp_daily_kc_coef)[month_d - 1]
    t_sd = np.asarray(p.temp_daily_sd)[month_d - 1]
    t_day = t_clim + coef * z_d + t_sd * t_daily
    level_h = np.interp(np.arange(n_d * 24), np.arange(n_d) * 24 + 11.5, t_day)
    kc_mean_m = np.asarray(p.kc_quantiles, dtype=float).mean(axis=1)
    amp = 1.0 + np.asarray(p.temp_diurnal_kc_slope)[month_d - 1] * (kc_d - kc_mean_m[month_d - 1])
    amp = np.clip(amp, 0.2, 2.5)
    shape = np.asarray(p.temp_diurnal_c, dtype=float)
    return level_h + (shape[month_d - 1] * amp[:, None]).ravel() + p.temp_hour_sd * t_hour


def _pressure(p: GeneratorParams, cal: _Calendar, p_daily: np.ndarray, alt: float) -> np.ndarray:
    """Station pressure [Pa] moved to altitude ``alt`` [m] with the hypsometric equation."""
    n_d = cal.n_d
    p_day = np.asarray(p.pressure_monthly_pa)[cal.month_d - 1] + p.pressure_daily_sd_pa * p_daily
    p_h = np.interp(np.arange(n_d * 24), np.arange(n_d) * 24 + 11.5, p_day)
    t_mean_k = (273.15 + float(np.mean(np.asarray(p.temp_monthly_c, dtype=float)))
                - 0.0065 * (alt - p.altitude_m) / 2)
    return p_h * np.exp(-_G * (alt - p.altitude_m) / (_RD * t_mean_k))


def _dataset(p: GeneratorParams, out: dict[str, np.ndarray], times: pd.DatetimeIndex,
             site: tuple[float, float, float, float], source: str) -> xr.Dataset:
    """The Weather Dataset at the shipped precision (0.1, pressure 1 Pa)."""
    from energysim.weather.readers import variable_attrs

    lat, lon, alt, offset = site
    data_vars = {
        name: xr.Variable("time", np.round(v, 0 if name == "pressure" else 1) + 0.0,
                          attrs=variable_attrs(name, p.wind_height_m if name == "wind_speed"
                                               else None))
        for name, v in out.items()
    }
    ds = xr.Dataset(data_vars, coords={"time": ("time", times.as_unit("ns").to_numpy())})
    ds["time"].attrs.update(long_name="local standard time (period-beginning)",
                            utc_offset_h=float(offset))
    ds.attrs.update(source=source, format="energysim", utc_offset_h=float(offset), latitude=lat,
                    longitude=lon, altitude_m=alt, wind_height_m=float(p.wind_height_m), fills="",
                    notes="synthetic")
    return ds


def generate(params: GeneratorParams, site=None, years=range(2001, 2011), seed: int = 0, *,
             source: str | None = None) -> xr.Dataset:
    """Draw synthetic hourly weather years from fitted parameters.

    Parameters
    ----------
    params : GeneratorParams
        From :func:`~energysim.weather.synthetic.fit` (or ``GeneratorParams.from_json``).
    site : SiteConfig, dict or None
        Where to place the weather: ``latitude`` [deg N], ``longitude`` [deg
        E], ``altitude_m`` [m] and ``utc_offset_h`` or ``timezone``. Default:
        the fitted site. The clear sky and solar geometry are the site's; the
        pressure is moved to its altitude; all other statistics are the fitted
        site's.
    years : iterable of int
        Calendar years, consecutive or not (each 8760 h, 29 February dropped).
    seed : int
        Seed of ``numpy.random.default_rng``; same params, site, years and seed
        give identical numbers.
    source : str, optional
        Provenance for ``attrs['source']``.

    Returns
    -------
    xarray.Dataset
        Weather Dataset on one long hourly ``time`` axis (naive local standard
        time, period-beginning), rounded to 0.1 (pressure to 1 Pa): the shipped precision.
    """
    p = params
    where = _site_tuple(p, site)
    years = [int(y) for y in years]
    if not years:
        raise WeatherError(problem("at least one year is needed", field="years", value=years))
    days = calendar_days(years)
    n_d = len(days)
    n_h = n_d * 24
    cal = _Calendar(days, pd.DatetimeIndex(np.repeat(days.to_numpy(), 24)
                                           + np.tile(np.arange(24), n_d) * np.timedelta64(1, "h")))
    rng = np.random.default_rng(seed)
    # latent processes, drawn in this fixed order (determinism of the shipped files)
    w_lat, z_d = wind_solar_latents(p, rng, n_d, days.year.to_numpy())
    e_kc = ar1(rng, n_h, p.kc_hour_lag1)
    t_daily = ar1(rng, n_d, p.temp_daily_lag1)
    t_hour = ar1(rng, n_h, p.temp_hour_lag1)
    p_daily = ar1(rng, n_d, p.pressure_daily_lag1)

    kc_d = daily_kc(p, z_d, cal.month_d)
    cs = clear_sky(cal.times, *where)
    ghi = _ghi(p, kc_d, e_kc, cs["ghi_cs"].to_numpy())
    dni, dhi = _dni_dhi(p, ghi, cs["zenith"].to_numpy(), cal.times, cal.month_h)
    out = {"ghi": ghi, "dni": dni, "dhi": dhi,
           "temp_air": _temperature(p, cal, z_d, kc_d, t_daily, t_hour),
           "wind_speed": _wind_speed(p, w_lat, cal.month_h, np.tile(np.arange(24), n_d)),
           "pressure": _pressure(p, cal, p_daily, where[2])}
    text = source or (f"energysim synthetic weather generator v{GENERATOR_VERSION}, seed {seed}, "
                      f"years {years[0]}-{years[-1]}; parameters {p.source}")
    return _dataset(p, out, cal.times, where, text)
