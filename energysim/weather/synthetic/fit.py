"""Fit the generator to an hourly Weather Dataset: one function per model part.

Every part reads the shifted, cleaned hourly data (:class:`_Data`) and returns
its fields of :class:`~energysim.weather.synthetic.params.GeneratorParams`;
the model and its equations are in :mod:`energysim.weather.synthetic`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from energysim.errors import WeatherError, problem
from energysim.weather.synthetic.climate import (
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
    rounded,
)
from energysim.weather.synthetic.stats import (
    fit_two_ar1,
    harmonic_cycle,
    lag_corr,
    normal_scores,
    weibull_truncated_mle,
)

__all__ = ["fit"]

#: Hours with clear-sky GHI below this are not used to fit the hourly model [W m-2].
MIN_CS_FIT_W_M2 = 50.0
#: Largest hourly clear-sky index the generator produces (cloud enhancement bound) [-].
KC_HOUR_MAX_CAP = 1.35
#: Wind speeds below this are calms (censored values) when fitting the Weibull [m s-1].
CALM_M_S = 0.25
#: Lags fitted in the wind latent autocorrelation [h].
WIND_ACF_LAGS_H = 48
_VARIABLES = ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure")


@dataclass
class _Data:
    """The fitted record on its calendar: hourly arrays moved by ``shift`` hours."""

    values: dict[str, np.ndarray]
    times: pd.DatetimeIndex
    ghi_cs: np.ndarray      #: clear-sky GHI [W m-2]
    zenith: np.ndarray      #: solar zenith [deg]
    shift: int
    meta: dict[str, float]

    @property
    def n_days(self) -> int:
        return len(self.times) // 24

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.times[::24])

    @property
    def month_d(self) -> np.ndarray:
        return self.days.month.to_numpy()

    @property
    def month_h(self) -> np.ndarray:
        return np.repeat(self.month_d, 24)


def _best_shift(ghi: np.ndarray, ghi_cs: np.ndarray) -> int:
    """Whole-hour shift of the data (−2..2) that best lines GHI up with clear-sky GHI."""
    norm = np.linalg.norm(ghi) * np.linalg.norm(ghi_cs)
    scores = {s: float(np.dot(np.roll(ghi, s), ghi_cs)) / norm
              for s in range(-2, 3)}
    return max(scores, key=lambda s: (round(scores[s], 4), -abs(s)))


def _prepare(weather: xr.Dataset) -> _Data:
    """Check the record, compute its clear sky and move it by the best whole-hour shift."""
    src = weather.attrs.get("source", "weather")
    for name in ("ghi", "dhi", "temp_air", "wind_speed"):
        if name not in weather:
            raise WeatherError(problem("required to fit the synthetic generator", source=src,
                                       field=name))
    meta = {}
    for key in ("latitude", "longitude", "altitude_m", "utc_offset_h"):
        value = weather.attrs.get(key)
        if value is None or not np.isfinite(float(value)):
            raise WeatherError(problem("needed to fit the synthetic generator", source=src,
                                       field=key,
                                       value=value))
        meta[key] = float(value)
    times = pd.DatetimeIndex(weather["time"].values)
    if times.tz is not None:
        times = times.tz_localize(None)
    hourly = (np.diff(times.asi8) == 3_600_000_000_000).all()
    if len(times) % 24 or times[0].hour != 0 or not hourly:
        raise WeatherError(problem("fit needs a gap-free hourly series of whole days starting "
                                   "at 00:00", source=src, field="time", value=str(times[0])))
    cs = clear_sky(times, meta["latitude"], meta["longitude"], meta["altitude_m"],
                   meta["utc_offset_h"])
    ghi_cs = cs["ghi_cs"].to_numpy()
    raw = {k: weather[k].to_numpy().astype(float) for k in weather.data_vars if k in _VARIABLES}
    shift = _best_shift(np.nan_to_num(raw["ghi"]), ghi_cs)
    return _Data(values={k: np.roll(v, shift) for k, v in raw.items()}, times=times, ghi_cs=ghi_cs,
                 zenith=cs["zenith"].to_numpy(), shift=shift, meta=meta)


def _fit_solar(d: _Data) -> tuple[dict, np.ndarray, np.ndarray]:
    """Daily clear-sky index (monthly quantiles, persistence) and the hourly noise around it.

    Returns the parameter fields, ``kc_d`` and its normal scores ``z_d`` (the
    temperature and wind fits regress on them).
    """
    ghi = np.clip(np.nan_to_num(d.values["ghi"]), 0, None)
    ghi_cs, n_days, month_d = d.ghi_cs, d.n_days, d.month_d
    ghi2, cs2 = ghi.reshape(n_days, 24), ghi_cs.reshape(n_days, 24)
    kc_d = ghi2.sum(axis=1) / np.maximum(cs2.sum(axis=1), 1e-9)
    kc_q = tuple(rounded(np.quantile(kc_d[month_d == m], KC_PROBS)) for m in range(1, 13))
    z_d = normal_scores(kc_d, month_d)
    kc_lag1 = lag_corr(z_d, 1)
    day_idx = np.repeat(np.arange(n_days), 24)
    use = ghi_cs > MIN_CS_FIT_W_M2
    kc_h = np.where(use, ghi / np.maximum(ghi_cs, 1e-9), np.nan)
    resid = kc_h - kc_d[day_idx]
    cls = np.digitize(kc_d, KC_CLASS_EDGES)[day_idx]
    sd_list: list[float] = []
    for j in range(len(KC_CLASS_EDGES) + 1):
        sel = use & (cls == j)
        sd_list.append(float(np.nanstd(resid[sel])) if sel.sum() > 20 else np.nan)
    sd_cls = np.array(sd_list)
    good = np.isfinite(sd_cls)
    sd_cls = np.interp(np.arange(sd_cls.size), np.flatnonzero(good), sd_cls[good])
    std_resid = resid / sd_cls[cls]
    same_day = np.r_[day_idx[1:] == day_idx[:-1], False]
    kc_hour_lag1 = lag_corr(std_resid, 1, valid=np.r_[True, same_day[:-1]] & use)
    # cloud enhancement: 99.9th percentile of kc_h with the sun well up (low-sun ratios are
    # dominated by timing and clear-sky errors), kept within physical bounds
    kc_hour_max = float(np.clip(np.nanquantile(kc_h[ghi_cs > 200.0], 0.999), 1.0, KC_HOUR_MAX_CAP))
    fields = dict(kc_quantiles=kc_q, kc_lag1=rounded(kc_lag1), kc_year_sd=0.0,
                  kc_hour_sd=rounded(sd_cls), kc_hour_lag1=rounded(kc_hour_lag1),
                  kc_hour_max=rounded(kc_hour_max))
    return fields, kc_d, z_d


def _fit_diffuse(d: _Data) -> dict:
    """Monthly factor on the Erbs diffuse fraction so that each month's diffuse share is met."""
    import pvlib

    ghi = np.clip(np.nan_to_num(d.values["ghi"]), 0, None)
    dhi = np.clip(np.nan_to_num(d.values["dhi"]), 0, None)
    erbs = pvlib.irradiance.erbs(ghi, d.zenith, d.times.dayofyear.to_numpy())
    dhi_erbs = np.asarray(erbs["dhi"], dtype=float)
    month_h = d.month_h
    factor = [float(dhi[month_h == m].sum()
                    / max(np.nan_to_num(dhi_erbs[month_h == m]).sum(), 1e-9))
              for m in range(1, 13)]
    return {"diffuse_factor": rounded(factor)}


def _fit_temperature(d: _Data, kc_d: np.ndarray, z_d: np.ndarray) -> dict:
    """Monthly climatology, daily anomaly, diurnal shape.

    The daily anomaly is a regression on the solar latent plus an AR(1).
    """
    temp, n_days, month_d, month_h = d.values["temp_air"], d.n_days, d.month_d, d.month_h
    days = d.days
    t2 = temp.reshape(n_days, 24)
    t_day = t2.mean(axis=1)
    t_month = np.array([temp[month_h == m].mean() for m in range(1, 13)])
    nodes = monthly_node_values(t_month, days)
    t_clim = periodic_interp(days.dayofyear.to_numpy() - 1.0, month_centres(), nodes)
    anom = t_day - t_clim
    coef, sd_t, resid_t = [], [], np.zeros(n_days)
    for m in range(1, 13):
        sel = month_d == m
        b = float(np.polyfit(z_d[sel], anom[sel], 1)[0])
        coef.append(b)
        r = anom[sel] - b * z_d[sel]
        r = r - r.mean()
        resid_t[sel] = r
        sd_t.append(float(np.std(r)))
    temp_daily_lag1 = lag_corr(resid_t / np.array(sd_t)[month_d - 1], 1)
    dev = t2 - t_day[:, None]
    shape = np.stack([dev[month_d == m].mean(axis=0) for m in range(1, 13)])
    slope = []
    scale_d = np.ones(n_days)
    for m in range(1, 13):
        sel = month_d == m
        s = dev[sel] @ shape[m - 1] / float(shape[m - 1] @ shape[m - 1])
        kcm = kc_d[sel] - kc_d[sel].mean()
        b = float(np.dot(kcm, s - s.mean()) / max(np.dot(kcm, kcm), 1e-9))
        slope.append(b)
        scale_d[sel] = 1.0 + b * kcm
    level_h = np.interp(np.arange(n_days * 24), np.arange(n_days) * 24 + 11.5, t_day)
    r_h = temp - (level_h + (shape[month_d - 1] * scale_d[:, None]).ravel())
    return dict(temp_monthly_c=rounded(t_month), temp_diurnal_c=rounded(shape),
                temp_diurnal_kc_slope=rounded(slope), temp_daily_kc_coef=rounded(coef),
                temp_daily_sd=rounded(sd_t), temp_daily_lag1=rounded(temp_daily_lag1),
                temp_hour_sd=rounded(float(np.std(r_h))), temp_hour_lag1=rounded(lag_corr(r_h, 1)))


def _fit_pressure(d: _Data) -> dict:
    """Monthly means and a daily AR(1) anomaly; the ISA pressure of the altitude when absent."""
    if "pressure" in d.values and np.isfinite(d.values["pressure"]).all():
        p, month_h = d.values["pressure"], d.month_h
        p_day = p.reshape(d.n_days, 24).mean(axis=1)
        p_month = np.array([p[month_h == m].mean() for m in range(1, 13)])
        p_anom = p_day - p_month[d.month_d - 1]
        p_sd, p_lag1 = float(np.std(p_anom)), lag_corr(p_anom, 1)
    else:
        p0 = 101325.0 * (1 - 2.25577e-5 * d.meta["altitude_m"]) ** 5.25588
        p_month, p_sd, p_lag1 = np.full(12, p0), 0.0, 0.0
    return dict(pressure_monthly_pa=rounded(p_month, 1), pressure_daily_sd_pa=rounded(p_sd, 2),
                pressure_daily_lag1=rounded(p_lag1))


def _wind_marginals(wind: np.ndarray, u: np.ndarray, season_h: np.ndarray, hour_h: np.ndarray,
                    u_min: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calm share and truncated-Weibull shape and scale by season and hour.

    Smoothed by harmonics.
    """
    calm, wk, wc = np.zeros((4, 24)), np.zeros((4, 24)), np.zeros((4, 24))
    for si in range(4):
        for h in range(24):
            sel = (season_h == si) & (hour_h == h)
            is_calm = wind[sel] < CALM_M_S
            calm[si, h] = float(np.mean(is_calm))
            wk[si, h], wc[si, h] = weibull_truncated_mle(u[sel][~is_calm], u_min[sel][~is_calm])
        calm[si] = np.clip(harmonic_cycle(calm[si]), 0.0, 0.95)
        wk[si] = np.clip(harmonic_cycle(wk[si]), 1.0, 6.0)
        wc[si] = np.clip(harmonic_cycle(wc[si]), 0.05, None)
    return calm, wk, wc


def _fit_wind(d: _Data, z_d: np.ndarray) -> dict:
    """Monthly means, marginals by season and hour, two-AR(1) dynamics, the solar–wind relation."""
    wind, month_h = np.clip(d.values["wind_speed"], 0, None), d.month_h
    w_month = np.array([wind[month_h == m].mean() for m in range(1, 13)])
    u = wind / w_month[month_h - 1]
    season_h = season(month_h)
    hour_h = np.tile(np.arange(24), d.n_days)
    nonzero = wind[wind >= CALM_M_S]
    # anemometer threshold: stations report calm below it (a few stray values below are ignored)
    v_min = float(np.quantile(nonzero, 0.01)) if (wind < CALM_M_S).any() and nonzero.size else 0.0
    calm, wk, wc = _wind_marginals(wind, u, season_h, hour_h, v_min / w_month[month_h - 1])
    w_lat = normal_scores(u, season_h * 24 + hour_h)
    lags = np.arange(1, WIND_ACF_LAGS_H + 1)
    acf = np.array([lag_corr(w_lat, int(k)) for k in lags])
    lam, rho_s, rho_f = fit_two_ar1(acf, lags)
    w_day = w_lat.reshape(d.n_days, 24).mean(axis=1)
    corr_sw = float(np.corrcoef(z_d, w_day)[0, 1])
    return dict(wind_monthly_mean_m_s=rounded(w_month), wind_calm_fraction=rounded(calm),
                wind_calm_below_m_s=v_min, wind_weibull_k=rounded(wk), wind_weibull_c=rounded(wc),
                wind_slow_share=rounded(lam), wind_slow_lag1=rounded(rho_s),
                wind_fast_lag1=rounded(rho_f), solar_wind_corr=rounded(corr_sw))


def fit(weather: xr.Dataset, *, wind_height_m: float | None = None) -> GeneratorParams:
    """Fit the generator to an hourly Weather Dataset (one or more whole years).

    Parameters
    ----------
    weather : xarray.Dataset
        Weather Dataset (see :mod:`energysim.weather`): hourly, starting at
        00:00, whole days; ``ghi``, ``dhi``, ``temp_air``, ``wind_speed``,
        optional ``pressure``; attrs ``latitude``, ``longitude``,
        ``altitude_m``, ``utc_offset_h``.
    wind_height_m : float, optional
        Height of the wind in the data [m] (default: ``wind_speed.attrs['height_m']``).

    Returns
    -------
    GeneratorParams

    Raises
    ------
    WeatherError
        A required variable or site attribute is missing, or the series is not
        gap-free whole days from 00:00.

    Notes
    -----
    Data whose irradiance is lagged by whole hours (the CSWD typical years are
    about 1 h late) are first moved by the shift that best lines GHI up with
    the clear sky (``time_shift_h``); all variables are moved together.
    """
    d = _prepare(weather)
    solar, kc_d, z_d = _fit_solar(d)
    wind_height = float(wind_height_m if wind_height_m is not None
                        else weather["wind_speed"].attrs.get(
                            "height_m", weather.attrs.get("wind_height_m", 10.0)))
    return GeneratorParams(
        version=GENERATOR_VERSION, source=f"fitted to {weather.attrs.get('source', 'weather')}",
        latitude=d.meta["latitude"], longitude=d.meta["longitude"], altitude_m=d.meta["altitude_m"],
        utc_offset_h=d.meta["utc_offset_h"], wind_height_m=wind_height, time_shift_h=int(d.shift),
        **solar, **_fit_diffuse(d), **_fit_temperature(d, kc_d, z_d), **_fit_pressure(d),
        **_fit_wind(d, z_d),
    )
