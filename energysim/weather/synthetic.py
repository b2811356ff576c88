"""Synthetic hourly weather years: a fitted stochastic generator (weather part of issue 3).

``fit(weather) -> GeneratorParams`` estimates every parameter from an hourly
Weather Dataset (one typical year is enough); ``generate(params, site, years,
seed) -> Weather Dataset`` draws any number of calendar years from them,
deterministically (same parameters and seed → the same numbers, and the same
bytes once written). ``calibrate_ordos(shared_dir)`` builds the shipped Ordos
parameters (``weather/ordos/params.json``) from the real Dongsheng data beside
the repository, and ``ship`` writes ``weather/ordos/typical_year.csv`` and
``years.csv`` from them::

    python -m energysim.weather.synthetic ordos --out weather/ordos     # calibrate + ship
    python -m energysim.weather.synthetic regenerate weather/ordos      # from params.json only

The model
---------
All stochastic parts are Gaussian latent processes mapped to fitted marginals
(a Gaussian copula), so the marginals, the persistence and the cross-relation
are fitted separately and each is reproduced.

1. **Daily clear-sky index** ``kc_d = H_d / H_cs,d`` (daily GHI over daily
   Ineichen clear-sky GHI, Linke turbidity from pvlib's bundled climatology):
   ``kc_d = Q_m(Φ(z_d))`` with ``Q_m`` the empirical quantile function of the
   month and ``z_d`` a unit Gaussian AR(1)-type series (lag-1 autocorrelation
   fitted) plus a year effect (inter-annual variability), in the spirit of
   Aguiar & Collares-Pereira [1] (who used Markov transition matrices of
   ``K_t``; the Gaussian AR(1) gives the same persistence of cloudy spells with
   fewer parameters).
2. **Hourly GHI** ``= GHI_cs,h · kc_h``, ``kc_h = kc_d + σ(kc_d) e_h`` with
   ``e_h`` a unit AR(1) hourly process (σ by class of ``kc_d``: clear and
   overcast days vary little, broken-cloud days a lot — Aguiar &
   Collares-Pereira's TAG model [2]); each day is rescaled to its ``kc_d``.
3. **DNI/DHI**: Erbs decomposition (``pvlib.irradiance.erbs``) with a fitted
   monthly factor on the diffuse fraction (so the site's diffuse share is met),
   DNI from closure ``(GHI − DHI)/cos θz``.
4. **Temperature** = monthly climatology (a mean-preserving interpolation of
   the 12 monthly means) + daily anomaly (regression on the solar latent, i.e.
   clear days are warmer in summer and colder in winter, plus an AR(1)) +
   the month's mean diurnal shape scaled with the day's clearness + hourly
   AR(1) noise.
5. **Wind** ``v_h = M_m · Q^w_{s,h}(Φ(w_h))``: ``M_m`` the monthly mean,
   ``Q^w_{s,h}`` a Weibull by season and hour of day (two daily harmonics;
   with the station's share of reported calms, the non-calm part a Weibull
   truncated at the anemometer threshold, fitted by maximum likelihood), which carries the diurnal cycle of both
   the mean and the spread (calm nights, steady afternoons);
   ``w_h = √λ s_h + √(1−λ) f_h`` a slow (multi-day, gives lulls) and a fast
   AR(1) fitted to the autocorrelation of the Gaussianised wind at lags 1-48 h.
   The solar daily latent loads on the daily mean of ``w`` with the fitted
   correlation: the solar–wind relation at the day scale.
6. **Pressure**: monthly means + daily AR(1) anomaly, moved to the target
   site's altitude with the hypsometric equation.

References
----------
.. [1] R. Aguiar, M. Collares-Pereira, J.P. Conde, "Simple procedure for
   generating sequences of daily radiation values using a library of Markov
   transition matrices", Solar Energy 40(3), 269-279, 1988.
.. [2] R. Aguiar, M. Collares-Pereira, "TAG: a time-dependent, autoregressive,
   Gaussian model for generating synthetic hourly radiation", Solar Energy
   49(3), 167-174, 1992.
.. [3] I. Finkelstein, W. Schafer, "Improved goodness-of-fit tests",
   Biometrika 58(3), 641-645, 1971 (the FS statistic behind TMY selection).
.. [4] D.G. Erbs, S.A. Klein, J.A. Duffie, "Estimation of the diffuse
   radiation fraction for hourly, daily and monthly-average global radiation",
   Solar Energy 28(4), 293-302, 1982.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import signal, special

from energysim.errors import WeatherError, problem

__all__ = [
    "GENERATOR_VERSION",
    "GeneratorParams",
    "fit",
    "generate",
    "select_typical_year",
    "daily_clear_sky_index",
    "calibrate_ordos",
    "ship",
    "regenerate",
]

#: Version of the generator; written into params.json and every shipped file's header.
GENERATOR_VERSION = "1.0"
#: Probabilities at which the monthly quantile functions of ``kc_d`` are stored.
KC_PROBS = tuple(float(p) for p in np.linspace(0.0, 1.0, 41))
#: Upper edges of the daily clear-sky index classes for the hourly variability.
KC_CLASS_EDGES = (0.3, 0.5, 0.7, 0.85)
#: Hours with clear-sky GHI below this are not used to fit the hourly model [W m-2].
MIN_CS_FIT_W_M2 = 50.0
#: Largest hourly clear-sky index the generator produces (cloud enhancement bound) [-].
KC_HOUR_MAX_CAP = 1.35
#: Wind speeds below this are calms (censored values) when fitting the Weibull [m s-1].
CALM_M_S = 0.25
#: Lags fitted in the wind latent autocorrelation [h].
WIND_ACF_LAGS_H = 48
#: Standard gravity [m s-2] and dry-air gas constant [J kg-1 K-1] (hypsometric equation).
_G, _RD = 9.80665, 287.05
#: Zenith above which all irradiance is diffuse (no DNI closure) [deg].
_DNI_ZENITH_MAX_DEG = 87.0


@dataclasses.dataclass(frozen=True)
class GeneratorParams:
    """Every fitted parameter of the generator (JSON-serialisable, see :meth:`to_json`).

    Arrays are nested tuples: ``[12]`` by month (Jan..Dec), ``[12][24]`` by
    month and local hour. Gaussian-space quantities refer to the latent unit
    normal processes of the module docstring.
    """

    version: str
    source: str                      #: what the parameters were fitted to (free text)
    latitude: float                  #: [deg N] of the fitted data
    longitude: float                 #: [deg E]
    altitude_m: float                #: [m]
    utc_offset_h: float              #: standard UTC offset of local time [h]
    wind_height_m: float             #: height of the generated wind [m]
    time_shift_h: int                #: whole hours the fitted data's labels were moved (1-h lagged CSWD files)
    # daily clear-sky index
    kc_quantiles: tuple              #: [12][len(KC_PROBS)] monthly quantile functions of kc_d
    kc_lag1: float                   #: within-year lag-1 day autocorrelation of the solar latent
    kc_year_sd: float                #: sd of the year effect in the solar latent (share of unit variance)
    # hourly clear-sky index
    kc_hour_sd: tuple                #: [len(KC_CLASS_EDGES)+1] sd of kc_h − kc_d by class of kc_d
    kc_hour_lag1: float              #: lag-1 h autocorrelation of the hourly kc noise
    kc_hour_max: float               #: upper clip of kc_h
    diffuse_factor: tuple            #: [12] factor on the Erbs diffuse fraction
    # temperature
    temp_monthly_c: tuple            #: [12] monthly mean air temperature [degC]
    temp_diurnal_c: tuple            #: [12][24] mean deviation from the daily mean by hour [K]
    temp_diurnal_kc_slope: tuple     #: [12] relative change of the diurnal amplitude per unit kc_d
    temp_daily_kc_coef: tuple        #: [12] daily anomaly per unit solar latent [K]
    temp_daily_sd: tuple             #: [12] sd of the remaining daily anomaly [K]
    temp_daily_lag1: float           #: its lag-1 day autocorrelation
    temp_hour_sd: float              #: sd of the hourly residual [K]
    temp_hour_lag1: float            #: its lag-1 h autocorrelation
    # pressure
    pressure_monthly_pa: tuple       #: [12] monthly mean station pressure [Pa]
    pressure_daily_sd_pa: float      #: sd of daily anomalies [Pa]
    pressure_daily_lag1: float
    # wind
    wind_monthly_mean_m_s: tuple     #: [12] monthly mean wind speed [m s-1]
    wind_calm_fraction: tuple        #: [4][24] probability of a reported calm (0 m/s) by season and hour
    wind_calm_below_m_s: float       #: station anemometer threshold: non-calm speeds are ≥ this [m s-1]
    wind_weibull_k: tuple            #: [4][24] Weibull shape of speed / monthly mean, by season (DJF..SON) and hour
    wind_weibull_c: tuple            #: [4][24] Weibull scale of speed / monthly mean [-]
    wind_slow_share: float           #: λ, variance share of the slow latent component
    wind_slow_lag1: float            #: lag-1 h autocorrelation of the slow component
    wind_fast_lag1: float            #: lag-1 h autocorrelation of the fast component
    solar_wind_corr: float           #: corr(solar latent, daily mean wind latent), within year
    notes: str = ""

    def to_json(self, path=None) -> str:
        """Serialise to JSON text (and write it to ``path`` when given)."""
        text = json.dumps(dataclasses.asdict(self), indent=1, sort_keys=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path) -> GeneratorParams:
        """Load from JSON text or a path to a JSON file."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            path = Path(text_or_path)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise WeatherError(problem(f"cannot read generator parameters ({exc.strerror})",
                                           source=path)) from None
        data = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        missing = sorted(names - set(data) - {"notes"})
        if missing:
            raise WeatherError(problem("generator parameters incomplete", field=missing[0]))
        return cls(**{k: _tuples(v) for k, v in data.items() if k in names})

    def replace(self, **changes) -> GeneratorParams:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _r(x, nd=6):
    """Round floats (nested) for a stable, readable params.json."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return tuple(_r(v, nd) for v in x)
    return round(float(x), nd)


# ---------------------------------------------------------------------------
# small building blocks
# ---------------------------------------------------------------------------


def ar1(rng: np.random.Generator, n: int, lag1: float) -> np.ndarray:
    """Stationary unit-variance Gaussian AR(1) series ``x_t = ρ x_{t-1} + √(1−ρ²) ε_t``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Length.
    lag1 : float
        ρ, lag-1 autocorrelation, in (-1, 1).

    Returns
    -------
    numpy.ndarray
    """
    e = rng.standard_normal(n)
    rho = float(np.clip(lag1, -0.9999, 0.9999))
    c = math.sqrt(1.0 - rho * rho)
    y, _ = signal.lfilter([c], [1.0, -rho], e, zi=[e[0] * (1.0 - c)])
    return y


def _lag_corr(x: np.ndarray, lag: int = 1, valid: np.ndarray | None = None) -> float:
    """Pearson correlation of ``x[t]`` and ``x[t+lag]`` over pairs where both are valid."""
    a, b = x[:-lag], x[lag:]
    ok = np.isfinite(a) & np.isfinite(b)
    if valid is not None:
        ok &= valid[:-lag] & valid[lag:]
    if ok.sum() < 3:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _normal_scores(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Gaussianise ``x`` by ranks within each group (mid-ranks for ties): Φ⁻¹((r − ½)/n)."""
    out = np.full(x.shape, np.nan)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        ranks = pd.Series(x[idx]).rank(method="average").to_numpy()
        out[idx] = special.ndtri((ranks - 0.5) / idx.size)
    return out


def _mean_of_block_var(rho: float, n: int = 24) -> tuple[float, float]:
    """Variance of the mean of ``n`` consecutive values of a unit AR(1), and its lag-1 block autocorrelation."""
    i = np.arange(n)
    var = float((rho ** np.abs(i[:, None] - i[None, :])).sum()) / n**2
    cov = float((rho ** (n + i[None, :] - i[:, None])).sum()) / n**2
    return var, cov / var


def _calendar(years) -> pd.DatetimeIndex:
    """Daily dates of the given calendar years, 29 February dropped (energysim leap-year rule)."""
    days = pd.DatetimeIndex(np.concatenate([
        pd.date_range(f"{int(y)}-01-01", f"{int(y)}-12-31", freq="D").to_numpy() for y in years]))
    return days[~((days.month == 2) & (days.day == 29))]


def _clear_sky(times: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float,
               utc_offset_h: float) -> pd.DataFrame:
    """Ineichen clear-sky GHI [W m-2] and solar zenith [deg] at the middle of each hour.

    ``times`` are naive local standard period-beginning labels; the Linke
    turbidity comes from pvlib's bundled monthly climatology (no download).
    """
    import pvlib

    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    mid = pd.DatetimeIndex(times).tz_localize(tz) + pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude, longitude, altitude=altitude_m)
    sp = loc.get_solarposition(mid)
    cs = loc.get_clearsky(mid, model="ineichen", solar_position=sp)
    out = pd.DataFrame({"ghi_cs": cs["ghi"].to_numpy(), "zenith": sp["zenith"].to_numpy(),
                        "apparent_zenith": sp["apparent_zenith"].to_numpy()}, index=times)
    out.loc[out["apparent_zenith"] >= 90.0, "ghi_cs"] = 0.0
    return out


def daily_clear_sky_index(ghi_daily_wh_m2, dates, latitude: float, longitude: float,
                          altitude_m: float, utc_offset_h: float) -> np.ndarray:
    """Daily clear-sky index ``H / H_cs`` of daily GHI sums [Wh m-2] on the given dates.

    Parameters
    ----------
    ghi_daily_wh_m2 : array_like
        Daily GHI [Wh m-2].
    dates : array_like of datetime64
        The local dates.
    latitude, longitude, altitude_m, utc_offset_h : float
        Site [deg, deg, m, h].

    Returns
    -------
    numpy.ndarray
        ``kc_d`` [-] (NaN where the clear-sky sum is zero).
    """
    dates = pd.DatetimeIndex(dates).normalize()
    # clear-sky sums depend on day of year only (to < 0.1 %): one 366-day year is enough
    ref = pd.date_range("2000-01-01", periods=366 * 24, freq="h")
    cs = _clear_sky(ref, latitude, longitude, altitude_m, utc_offset_h)["ghi_cs"].to_numpy()
    cs_day = cs.reshape(366, 24).sum(axis=1)
    doy = np.asarray(dates.dayofyear) - 1
    doy = np.where(~dates.is_leap_year & (doy >= 59), doy + 1, doy)  # map to leap-year calendar
    h_cs = cs_day[doy]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(h_cs > 0, np.asarray(ghi_daily_wh_m2, dtype=float) / h_cs, np.nan)


def _monthly_node_values(monthly_means: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """Mid-month node values whose periodic linear interpolation has exactly the given monthly means."""
    doy = days.dayofyear.to_numpy() - 1.0
    centres = np.array([pd.Timestamp(2001, m, 15).dayofyear - 1.0 for m in range(1, 13)])
    basis = np.stack([_periodic_interp(doy, centres, np.eye(12)[k]) for k in range(12)], axis=1)
    a = np.stack([basis[days.month == m].mean(axis=0) for m in range(1, 13)])
    return np.linalg.solve(a, monthly_means)


def _periodic_interp(doy: np.ndarray, centres: np.ndarray, values: np.ndarray) -> np.ndarray:
    xp = np.concatenate([centres - 365.0, centres, centres + 365.0])
    fp = np.concatenate([values, values, values])
    return np.interp(doy, xp, fp)


def _weibull_moments(u: np.ndarray) -> tuple[float, float]:
    """Weibull shape and scale [m s-1] with the sample's mean and coefficient of variation."""
    mean, cv = float(np.mean(u)), float(np.std(u) / np.mean(u))
    ks = np.linspace(0.8, 6.0, 2601)
    g1, g2 = special.gamma(1 + 1 / ks), special.gamma(1 + 2 / ks)
    k = float(ks[np.argmin(np.abs(np.sqrt(g2 / g1**2 - 1) - cv))])
    return k, mean / float(special.gamma(1 + 1 / k))


def _season(month) -> np.ndarray:
    """Season index of months 1-12: 0 DJF, 1 MAM, 2 JJA, 3 SON."""
    return (np.asarray(month) % 12) // 3


def _wind_speed(p: GeneratorParams, w_lat: np.ndarray, month_h: np.ndarray, hour_h: np.ndarray) -> np.ndarray:
    """Wind speed [m s-1] from the hourly latent ``w``: calm when ``Φ(w) ≤ p0_{s,h}``, else

    ``M_m · F⁻¹(F(u_min) + (1 − F(u_min)) q)`` with ``q = (Φ(w) − p0)/(1 − p0)``,
    F the Weibull of season ``s`` and hour ``h`` and ``u_min`` the anemometer
    threshold over ``M_m`` (0 for hub-level wind).
    """
    k, c, calm = (np.asarray(a, dtype=float) for a in (p.wind_weibull_k, p.wind_weibull_c, p.wind_calm_fraction))
    s_h = _season(month_h)
    m_h = np.asarray(p.wind_monthly_mean_m_s)[month_h - 1]
    k, c, p0 = k[s_h, hour_h], c[s_h, hour_h], calm[s_h, hour_h]
    u = special.ndtr(w_lat)
    q = np.clip((u - p0) / np.maximum(1 - p0, 1e-12), 0.0, 1 - 1e-12)
    f_min = -np.expm1(-((p.wind_calm_below_m_s / m_h) / c) ** k)
    speed = m_h * c * (-np.log1p(-(f_min + (1 - f_min) * q))) ** (1.0 / k)
    return np.where(u <= p0, 0.0, speed)


def _weibull_truncated_mle(u: np.ndarray, u_min: np.ndarray) -> tuple[float, float]:
    """Weibull shape and scale by maximum likelihood of values known to be ≥ ``u_min`` (left-truncated).

    ``log L = Σ [log f(u_i) − log S(u_min,i)]``, f the Weibull density and S
    its survival function; with ``u_min = 0`` the plain Weibull MLE. Started
    from the moment estimates.
    """
    from scipy import optimize

    x = np.asarray(u, float)
    xm = np.asarray(u_min, float)
    k0, c0 = _weibull_moments(x)

    def nll(theta):
        k, c = np.exp(theta)
        z = x / c
        ll = np.sum(np.log(k / c) + (k - 1) * np.log(np.maximum(z, 1e-12)) - z**k + (xm / c) ** k)
        return -ll

    res = optimize.minimize(nll, np.log([k0, c0]), method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    k, c = np.exp(res.x)
    return float(k), float(c)


def _harmonic_cycle(values: np.ndarray, n_harm: int = 2) -> np.ndarray:
    """Least-squares fit of ``n_harm`` daily harmonics to 24 hourly values (keeps their mean)."""
    h = np.arange(24) * 2 * np.pi / 24
    cols = [np.ones(24)]
    for j in range(1, n_harm + 1):
        cols += [np.cos(j * h), np.sin(j * h)]
    x = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(x, values, rcond=None)
    return x @ coef


# ---------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------


def _best_shift(ghi: np.ndarray, ghi_cs: np.ndarray) -> int:
    """Whole-hour shift of the data (−2..2) that best lines GHI up with clear-sky GHI."""
    scores = {s: float(np.dot(np.roll(ghi, s), ghi_cs)) / (np.linalg.norm(ghi) * np.linalg.norm(ghi_cs))
              for s in range(-2, 3)}
    return max(scores, key=lambda s: (round(scores[s], 4), -abs(s)))


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

    Notes
    -----
    Data whose irradiance is lagged by whole hours (the CSWD typical years are
    about 1 h late) are first moved by the shift that best lines GHI up with
    the clear sky (``time_shift_h``); all variables are moved together.
    """
    src = weather.attrs.get("source", "weather")
    for name in ("ghi", "dhi", "temp_air", "wind_speed"):
        if name not in weather:
            raise WeatherError(problem("required to fit the synthetic generator", source=src, field=name))
    meta = {}
    for key in ("latitude", "longitude", "altitude_m", "utc_offset_h"):
        value = weather.attrs.get(key)
        if value is None or not np.isfinite(float(value)):
            raise WeatherError(problem("needed to fit the synthetic generator", source=src, field=key,
                                       value=value))
        meta[key] = float(value)
    times = pd.DatetimeIndex(weather["time"].values)
    if times.tz is not None:
        times = times.tz_localize(None)
    if len(times) % 24 or times[0].hour != 0 or not (np.diff(times.asi8) == 3_600_000_000_000).all():
        raise WeatherError(problem("fit needs a gap-free hourly series of whole days starting at 00:00",
                                   source=src, field="time", value=str(times[0])))
    n_days = len(times) // 24
    cs = _clear_sky(times, meta["latitude"], meta["longitude"], meta["altitude_m"], meta["utc_offset_h"])
    ghi_cs = cs["ghi_cs"].to_numpy()
    raw = {k: weather[k].to_numpy().astype(float) for k in weather.data_vars
           if k in ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure")}
    shift = _best_shift(np.nan_to_num(raw["ghi"]), ghi_cs)
    data = {k: np.roll(v, shift) for k, v in raw.items()}
    ghi = np.clip(np.nan_to_num(data["ghi"]), 0, None)
    dhi = np.clip(np.nan_to_num(data["dhi"]), 0, None)
    days = pd.DatetimeIndex(times[::24])
    month_d = days.month.to_numpy()
    month_h = np.repeat(month_d, 24)

    # --- daily clear-sky index: monthly quantiles, persistence ---
    ghi2, cs2 = ghi.reshape(n_days, 24), ghi_cs.reshape(n_days, 24)
    kc_d = ghi2.sum(axis=1) / np.maximum(cs2.sum(axis=1), 1e-9)
    kc_q = tuple(_r(np.quantile(kc_d[month_d == m], KC_PROBS)) for m in range(1, 13))
    z_d = _normal_scores(kc_d, month_d)
    kc_lag1 = _lag_corr(z_d, 1)

    # --- hourly clear-sky index noise ---
    day_idx = np.repeat(np.arange(n_days), 24)
    use = ghi_cs > MIN_CS_FIT_W_M2
    kc_h = np.where(use, ghi / np.maximum(ghi_cs, 1e-9), np.nan)
    resid = kc_h - kc_d[day_idx]
    cls = np.digitize(kc_d, KC_CLASS_EDGES)[day_idx]
    sd_cls = []
    for j in range(len(KC_CLASS_EDGES) + 1):
        sel = use & (cls == j)
        sd_cls.append(float(np.nanstd(resid[sel])) if sel.sum() > 20 else np.nan)
    sd_cls = np.array(sd_cls)
    good = np.isfinite(sd_cls)
    sd_cls = np.interp(np.arange(sd_cls.size), np.flatnonzero(good), sd_cls[good])
    std_resid = resid / sd_cls[cls]
    same_day = np.r_[day_idx[1:] == day_idx[:-1], False]
    kc_hour_lag1 = _lag_corr(std_resid, 1, valid=np.r_[True, same_day[:-1]] & use)
    # cloud enhancement: 99.9th percentile of kc_h with the sun well up (low-sun ratios are
    # dominated by timing and clear-sky errors), kept within physical bounds
    kc_hour_max = float(np.clip(np.nanquantile(kc_h[ghi_cs > 200.0], 0.999), 1.0, KC_HOUR_MAX_CAP))

    # --- diffuse fraction: monthly factor on Erbs ---
    import pvlib

    erbs = pvlib.irradiance.erbs(ghi, cs["zenith"].to_numpy(), times.dayofyear.to_numpy())
    dhi_erbs = np.asarray(erbs["dhi"], dtype=float)
    diffuse_factor = []
    for m in range(1, 13):
        sel = month_h == m
        diffuse_factor.append(float(dhi[sel].sum() / max(np.nan_to_num(dhi_erbs[sel]).sum(), 1e-9)))

    # --- temperature ---
    temp = data["temp_air"]
    t2 = temp.reshape(n_days, 24)
    t_day = t2.mean(axis=1)
    t_month = np.array([temp[month_h == m].mean() for m in range(1, 13)])
    nodes = _monthly_node_values(t_month, days)
    centres = np.array([pd.Timestamp(2001, m, 15).dayofyear - 1.0 for m in range(1, 13)])
    t_clim = _periodic_interp(days.dayofyear.to_numpy() - 1.0, centres, nodes)
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
    temp_daily_lag1 = _lag_corr(resid_t / np.array(sd_t)[month_d - 1], 1)
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
    model_h = level_h + (shape[month_d - 1] * scale_d[:, None]).ravel()
    r_h = temp - model_h
    temp_hour_sd = float(np.std(r_h))
    temp_hour_lag1 = _lag_corr(r_h, 1)

    # --- pressure ---
    if "pressure" in data and np.isfinite(data["pressure"]).all():
        p = data["pressure"]
        p_day = p.reshape(n_days, 24).mean(axis=1)
        p_month = np.array([p[month_h == m].mean() for m in range(1, 13)])
        p_anom = p_day - p_month[month_d - 1]
        p_sd, p_lag1 = float(np.std(p_anom)), _lag_corr(p_anom, 1)
    else:
        p0 = 101325.0 * (1 - 2.25577e-5 * meta["altitude_m"]) ** 5.25588
        p_month, p_sd, p_lag1 = np.full(12, p0), 0.0, 0.0

    # --- wind ---
    wind = np.clip(data["wind_speed"], 0, None)
    w_month = np.array([wind[month_h == m].mean() for m in range(1, 13)])
    u = wind / w_month[month_h - 1]
    season_h = _season(month_h)
    hour_h = np.tile(np.arange(24), n_days)
    nonzero = wind[wind >= CALM_M_S]
    # anemometer threshold: stations report calm below it (a few stray values below are ignored)
    v_min = float(np.quantile(nonzero, 0.01)) if (wind < CALM_M_S).any() and nonzero.size else 0.0
    u_min = v_min / w_month[month_h - 1]
    calm, wk, wc = np.zeros((4, 24)), np.zeros((4, 24)), np.zeros((4, 24))
    for si in range(4):
        for h in range(24):
            sel = (season_h == si) & (hour_h == h)
            is_calm = wind[sel] < CALM_M_S
            calm[si, h] = float(np.mean(is_calm))
            wk[si, h], wc[si, h] = _weibull_truncated_mle(u[sel][~is_calm], u_min[sel][~is_calm])
        calm[si] = np.clip(_harmonic_cycle(calm[si]), 0.0, 0.95)
        wk[si] = np.clip(_harmonic_cycle(wk[si]), 1.0, 6.0)
        wc[si] = np.clip(_harmonic_cycle(wc[si]), 0.05, None)
    w_lat = _normal_scores(u, season_h * 24 + hour_h)
    lags = np.arange(1, WIND_ACF_LAGS_H + 1)
    acf = np.array([_lag_corr(w_lat, int(k)) for k in lags])
    lam, rho_s, rho_f = _fit_two_ar1(acf, lags)
    w_day = w_lat.reshape(n_days, 24).mean(axis=1)
    corr_sw = float(np.corrcoef(z_d, w_day)[0, 1])

    wind_height = float(wind_height_m if wind_height_m is not None
                        else weather["wind_speed"].attrs.get("height_m", weather.attrs.get("wind_height_m", 10.0)))
    return GeneratorParams(
        version=GENERATOR_VERSION,
        source=f"fitted to {src}",
        latitude=meta["latitude"], longitude=meta["longitude"], altitude_m=meta["altitude_m"],
        utc_offset_h=meta["utc_offset_h"], wind_height_m=wind_height, time_shift_h=int(shift),
        kc_quantiles=kc_q, kc_lag1=_r(kc_lag1), kc_year_sd=0.0,
        kc_hour_sd=_r(sd_cls), kc_hour_lag1=_r(kc_hour_lag1), kc_hour_max=_r(kc_hour_max),
        diffuse_factor=_r(diffuse_factor),
        temp_monthly_c=_r(t_month), temp_diurnal_c=_r(shape), temp_diurnal_kc_slope=_r(slope),
        temp_daily_kc_coef=_r(coef), temp_daily_sd=_r(sd_t), temp_daily_lag1=_r(temp_daily_lag1),
        temp_hour_sd=_r(temp_hour_sd), temp_hour_lag1=_r(temp_hour_lag1),
        pressure_monthly_pa=_r(p_month, 1), pressure_daily_sd_pa=_r(p_sd, 2),
        pressure_daily_lag1=_r(p_lag1),
        wind_monthly_mean_m_s=_r(w_month), wind_calm_fraction=_r(calm), wind_calm_below_m_s=v_min, wind_weibull_k=_r(wk),
        wind_weibull_c=_r(wc), wind_slow_share=_r(lam), wind_slow_lag1=_r(rho_s),
        wind_fast_lag1=_r(rho_f), solar_wind_corr=_r(corr_sw),
    )


def _fit_two_ar1(acf: np.ndarray, lags: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit of ``λ ρs^k + (1−λ) ρf^k`` to an autocorrelation function (grid search)."""
    best = (np.inf, 0.5, 0.99, 0.8)
    rs = 1.0 - np.geomspace(1e-3, 0.1, 60)     # slow: e-folding 10 h .. 1000 h
    rf = np.linspace(0.3, 0.95, 66)
    lam = np.linspace(0.0, 1.0, 101)
    for s in rs:
        ps = s ** lags
        for f in rf:
            pf = f ** lags
            # for fixed (s, f) the model is linear in λ: closed-form least squares, clipped
            d = ps - pf
            lam_opt = float(np.clip(np.dot(acf - pf, d) / max(np.dot(d, d), 1e-12), 0, 1))
            lam_opt = float(lam[np.argmin(np.abs(lam - lam_opt))])
            err = float(np.sum((lam_opt * ps + (1 - lam_opt) * pf - acf) ** 2))
            if err < best[0]:
                best = (err, lam_opt, float(s), float(f))
    return best[1], best[2], best[3]


# ---------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------


def _site_tuple(params: GeneratorParams, site) -> tuple[float, float, float, float]:
    if site is None:
        return params.latitude, params.longitude, params.altitude_m, params.utc_offset_h
    get = site.get if isinstance(site, dict) else (lambda k, d=None: getattr(site, k, d))
    offset = get("utc_offset_h")
    if offset is None and get("timezone") is not None:
        from energysim.weather.quality import standard_utc_offset_h

        offset = standard_utc_offset_h(get("timezone"))
    if offset is None:
        offset = params.utc_offset_h
    return float(get("latitude")), float(get("longitude")), float(get("altitude_m")), float(offset)


def _wind_solar_latents(p: GeneratorParams, rng: np.random.Generator, n_d: int,
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
    v_s, rho_sd = _mean_of_block_var(rho_s)
    v_f, rho_fd = _mean_of_block_var(rho_f)
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


def _daily_kc(p: GeneratorParams, z_d: np.ndarray, month_d: np.ndarray) -> np.ndarray:
    """Daily clear-sky index from the solar latent through the month's quantile function."""
    kc_q = np.asarray(p.kc_quantiles, dtype=float)
    u_d = special.ndtr(z_d)
    kc_d = np.empty(z_d.size)
    for m in range(1, 13):
        sel = month_d == m
        kc_d[sel] = np.interp(u_d[sel], KC_PROBS, kc_q[m - 1])
    return kc_d


def generate(params: GeneratorParams, site=None, years=range(2001, 2011), seed: int = 0, *,
             source: str | None = None) -> xr.Dataset:
    """Draw synthetic hourly weather years from fitted parameters.

    Parameters
    ----------
    params : GeneratorParams
        From :func:`fit` (or ``GeneratorParams.from_json``).
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
    lat, lon, alt, offset = _site_tuple(p, site)
    years = [int(y) for y in years]
    if not years:
        raise WeatherError(problem("at least one year is needed", field="years", value=years))
    days = _calendar(years)
    n_d = len(days)
    n_h = n_d * 24
    times = pd.DatetimeIndex(np.repeat(days.to_numpy(), 24) + np.tile(np.arange(24), n_d) * np.timedelta64(1, "h"))
    month_d = days.month.to_numpy()
    month_h = np.repeat(month_d, 24)
    hour_h = np.tile(np.arange(24), n_d)
    year_d = days.year.to_numpy()
    rng = np.random.default_rng(seed)

    # --- latent processes (fixed draw order: determinism) ---
    w_lat, z_d = _wind_solar_latents(p, rng, n_d, year_d)
    e_kc = ar1(rng, n_h, p.kc_hour_lag1)
    t_daily = ar1(rng, n_d, p.temp_daily_lag1)
    t_hour = ar1(rng, n_h, p.temp_hour_lag1)
    p_daily = ar1(rng, n_d, p.pressure_daily_lag1)

    # --- solar ---
    kc_q = np.asarray(p.kc_quantiles, dtype=float)
    kc_d = _daily_kc(p, z_d, month_d)
    cs = _clear_sky(times, lat, lon, alt, offset)
    ghi_cs = cs["ghi_cs"].to_numpy()
    sd = np.asarray(p.kc_hour_sd, dtype=float)[np.digitize(kc_d, KC_CLASS_EDGES)]
    kc_h = np.clip(np.repeat(kc_d, 24) + np.repeat(sd, 24) * e_kc, 0.0, p.kc_hour_max)
    g2 = (ghi_cs * kc_h).reshape(n_d, 24)
    cs_day = ghi_cs.reshape(n_d, 24).sum(axis=1)
    tot = g2.sum(axis=1)
    scale = np.where(tot > 0, kc_d * cs_day / np.maximum(tot, 1e-9), 0.0)
    ghi = np.minimum(g2 * scale[:, None], p.kc_hour_max * ghi_cs.reshape(n_d, 24)).ravel()
    ghi = np.round(ghi, 1)

    import pvlib

    zenith = cs["zenith"].to_numpy()
    doy = times.dayofyear.to_numpy()
    erbs = pvlib.irradiance.erbs(ghi, zenith, doy)
    dfrac = np.where(ghi > 0, np.nan_to_num(np.asarray(erbs["dhi"], dtype=float)) / np.maximum(ghi, 1e-9), 1.0)
    dfrac = np.clip(dfrac * np.asarray(p.diffuse_factor)[month_h - 1], 0.0, 1.0)
    cosz = np.cos(np.radians(zenith))
    low_sun = zenith >= _DNI_ZENITH_MAX_DEG
    dfrac = np.where(low_sun, 1.0, dfrac)
    dni_max = 0.98 * np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)
    dni = np.where(low_sun, 0.0, ghi * (1 - dfrac) / np.maximum(cosz, 1e-3))
    dni = np.minimum(dni, dni_max)
    dhi = np.where(low_sun, ghi, ghi - dni * np.maximum(cosz, 0.0))
    dni, dhi = np.round(dni, 1), np.round(np.clip(dhi, 0.0, ghi), 1)

    # --- temperature ---
    t_month = np.asarray(p.temp_monthly_c, dtype=float)
    clim_days = _calendar([2001])
    nodes = _monthly_node_values(t_month, clim_days)
    centres = np.array([pd.Timestamp(2001, m, 15).dayofyear - 1.0 for m in range(1, 13)])
    doy_d = np.array([pd.Timestamp(2001, mm, dd).dayofyear - 1.0
                      for mm, dd in zip(month_d, days.day.to_numpy(), strict=True)])
    t_clim = _periodic_interp(doy_d, centres, nodes)
    coef = np.asarray(p.temp_daily_kc_coef)[month_d - 1]
    t_sd = np.asarray(p.temp_daily_sd)[month_d - 1]
    t_day = t_clim + coef * z_d + t_sd * t_daily
    level_h = np.interp(np.arange(n_h), np.arange(n_d) * 24 + 11.5, t_day)
    kc_mean_m = kc_q.mean(axis=1)
    amp = 1.0 + np.asarray(p.temp_diurnal_kc_slope)[month_d - 1] * (kc_d - kc_mean_m[month_d - 1])
    amp = np.clip(amp, 0.2, 2.5)
    shape = np.asarray(p.temp_diurnal_c, dtype=float)
    temp = level_h + (shape[month_d - 1] * amp[:, None]).ravel() + p.temp_hour_sd * t_hour

    # --- pressure (moved to the site's altitude, hypsometric equation) ---
    p_day = np.asarray(p.pressure_monthly_pa)[month_d - 1] + p.pressure_daily_sd_pa * p_daily
    p_h = np.interp(np.arange(n_h), np.arange(n_d) * 24 + 11.5, p_day)
    t_mean_k = 273.15 + float(np.mean(t_month)) - 0.0065 * (alt - p.altitude_m) / 2
    pressure = p_h * np.exp(-_G * (alt - p.altitude_m) / (_RD * t_mean_k))

    # --- wind ---
    speed = _wind_speed(p, w_lat, month_h, hour_h)

    from energysim.weather.readers import variable_attrs

    out = {"ghi": ghi, "dni": dni, "dhi": dhi, "temp_air": temp, "wind_speed": speed, "pressure": pressure}
    data_vars = {
        name: xr.Variable("time", np.round(v, 0 if name == "pressure" else 1) + 0.0,
                          attrs=variable_attrs(name, p.wind_height_m if name == "wind_speed" else None))
        for name, v in out.items()
    }
    ds = xr.Dataset(data_vars, coords={"time": ("time", times.as_unit("ns").to_numpy())})
    ds["time"].attrs.update(long_name="local standard time (period-beginning)", utc_offset_h=float(offset))
    ds.attrs.update(
        source=source or (f"energysim synthetic weather generator v{GENERATOR_VERSION}, seed {seed}, "
                          f"years {years[0]}-{years[-1]}; parameters {p.source}"),
        format="energysim", utc_offset_h=float(offset), latitude=lat, longitude=lon, altitude_m=alt,
        wind_height_m=float(p.wind_height_m), fills="", notes="synthetic",
    )
    return ds


# ---------------------------------------------------------------------------
# typical-year selection
# ---------------------------------------------------------------------------

#: Finkelstein–Schafer weights of the typical-year criterion (daily statistic → weight).
FS_WEIGHTS = {"ghi_sum": 0.5, "wind_mean": 0.3, "temp_mean": 0.1, "temp_max": 0.05, "temp_min": 0.05}


#: Monthly temperature RMS deviation [K] counted like a 100 % deviation of annual GHI / 10 (ranking step).
TEMP_DEVIATION_SCALE_K = 10.0


def _daily_stats(ds: xr.Dataset) -> pd.DataFrame:
    t = pd.DatetimeIndex(ds["time"].values)
    df = pd.DataFrame({k: ds[k].to_numpy() for k in ("ghi", "wind_speed", "temp_air")}, index=t)
    g = df.groupby(t.normalize())
    return pd.DataFrame({
        "ghi_sum": g["ghi"].sum(), "wind_mean": g["wind_speed"].mean(),
        "temp_mean": g["temp_air"].mean(), "temp_max": g["temp_air"].max(), "temp_min": g["temp_air"].min(),
    })


def select_typical_year(ds: xr.Dataset, weights: dict | None = None,
                        n_candidates: int = 5) -> tuple[int, pd.DataFrame]:
    """The calendar year of a multi-year Dataset closest to the whole set (Finkelstein–Schafer).

    For every year, month and daily statistic (daily GHI sum, mean wind, mean,
    max and min temperature) the FS statistic is the mean absolute difference
    between the year-month's empirical CDF and the all-years CDF of that month,
    at the year-month's daily values [3]; the year's score is the weighted sum
    over statistics (:data:`FS_WEIGHTS`) averaged over the 12 months. Whole
    years are chosen (not TMY-style month splicing) so that persistence across
    month boundaries stays intact.

    As in the TMY procedure (where the five lowest-FS candidate months are
    then ranked by the closeness of their mean to the long-term mean), the
    ``n_candidates`` lowest-score years are ranked by
    ``|G_y/Ḡ − 1| + |V_y/V̄ − 1| + rms_m(T_ym − T̄_m) / 10 K``, the relative
    deviation of their annual GHI and mean wind speed from the all-years means
    plus the RMS deviation of their monthly mean temperatures, and the closest
    is chosen: the typical year is then close to P50 for both PV and wind
    energy, with typical monthly temperatures.

    Returns
    -------
    year : int
        The chosen year.
    scores : pandas.DataFrame
        Per year: ``fs_score``, ``annual_deviation``, ``candidate``.
    """
    weights = weights or FS_WEIGHTS
    daily = _daily_stats(ds)
    idx = pd.DatetimeIndex(daily.index)
    scores = {}
    for y in sorted(set(idx.year)):
        total = 0.0
        for m in range(1, 13):
            all_m = daily[idx.month == m]
            one = daily[(idx.month == m) & (idx.year == y)]
            for stat, w in weights.items():
                ref = np.sort(all_m[stat].to_numpy())
                x = np.sort(one[stat].to_numpy())
                cdf_ref = np.searchsorted(ref, x, side="right") / ref.size
                cdf_one = np.arange(1, x.size + 1) / x.size
                total += w * float(np.mean(np.abs(cdf_one - cdf_ref)))
        scores[y] = total / 12
    table = pd.DataFrame({"fs_score": pd.Series(scores)})
    t = pd.DatetimeIndex(ds["time"].values)
    g = ds["ghi"].to_series().groupby(t.year).sum()
    v = ds["wind_speed"].to_series().groupby(t.year).mean()
    tm = ds["temp_air"].to_series().groupby([t.year, t.month]).mean().unstack()
    t_rms = np.sqrt(((tm - tm.mean()) ** 2).mean(axis=1))
    table["annual_deviation"] = ((g / g.mean() - 1).abs() + (v / v.mean() - 1).abs()
                                 + t_rms / TEMP_DEVIATION_SCALE_K)
    table["candidate"] = table["fs_score"].rank(method="first") <= n_candidates
    year = int(table.loc[table["candidate"], "annual_deviation"].idxmin())
    return year, table


# ---------------------------------------------------------------------------
# Ordos calibration and the shipped files
# ---------------------------------------------------------------------------

#: The shipped Ordos set: site (configs/ordos.toml [site]), years, seed, hub height.
ORDOS = {
    "site": {"latitude": 39.6, "longitude": 109.8, "altitude_m": 1300.0, "utc_offset_h": 8.0},
    "years": (2001, 2010),       # years.csv: 10 years keep the shipped file < 5 MB
    "pool_years": (2001, 2100),  # one draw; years.csv is its start, the typical year is chosen from all
    "typical_candidates": 10,    # lowest-FS years ranked by closeness of annual means
    "seed": 53543,               # the Dongsheng WMO station number
    "wind_height_m": 100.0,
    "target_wind_flh_h": 2600.0, # FACTS.md: 2 300-2 900 h (SPIC Dongsheng 2 521 h, Ordos 3.1 GW 2 870 h)
    "cdsrd_years": (1991, 2017), # FACTS.md climatology period
}
EPW_NAME = "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw"
CDSRD_NAME = "cdsrd_53543_dongsheng_daily_1970_2017.csv"


def _read_cdsrd(path: Path, first: int, last: int) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df[(df["year"] >= first) & (df["year"] <= last)].copy()
    df["date"] = pd.to_datetime(df[["year", "month", "day"]])
    df = df[~((df["month"] == 2) & (df["day"] == 29))]
    df = df.dropna(subset=["GHI(MJ/m2)"])
    df["ghi_wh"] = df["GHI(MJ/m2)"] * 1e6 / 3600.0
    df["dhi_wh"] = df["DHI(MJ/m2)"] * 1e6 / 3600.0
    return df.reset_index(drop=True)


def calibrate_ordos(shared_dir, *, config_path=None, verbose: bool = False) -> GeneratorParams:
    """Fit the Ordos generator parameters to the Dongsheng data (read, never copied).

    1. :func:`fit` to the CSWD typical year of Dongsheng (hourly structure,
       temperature, pressure, wind dynamics; its 1-h label lag is corrected).
    2. Daily clear-sky-index quantiles, their persistence and the year effect
       from the CDSRD daily GHI of 1991-2017 (the FACTS.md climatology period:
       mean ≈ 1 675 kWh m-2, inter-annual ≈ 2.6 %); monthly diffuse factors so
       that the monthly diffuse fractions match CDSRD's (annual ≈ 0.37).
    3. Hub-level wind: the station's 10 m town wind understates wind-farm
       sites, so the monthly mean speeds are multiplied by one factor (no calm
       reporting threshold) so that the ``[wind]`` of ``configs/ordos.toml`` gives
       ``ORDOS['target_wind_flh_h']`` full-load hours over the shipped years
       through :func:`energysim.wind.ac_per_mw` (density and losses included);
       the wind is then stated at ``ORDOS['wind_height_m']``.

    Parameters
    ----------
    shared_dir : path
        Folder with the Dongsheng EPW and CDSRD daily files.
    config_path : path, optional
        Park config whose ``[site]`` and ``[wind]`` set the wind calibration
        (default ``configs/ordos.toml`` of the repository).

    Returns
    -------
    GeneratorParams
    """
    from energysim.weather import read_weather_file

    shared_dir = Path(shared_dir)
    epw = read_weather_file(shared_dir / EPW_NAME, "epw")
    base = fit(epw)
    # --- daily clear-sky index from 27 years of CDSRD ---
    first, last = ORDOS["cdsrd_years"]
    cd = _read_cdsrd(shared_dir / CDSRD_NAME, first, last)
    kc = daily_clear_sky_index(cd["ghi_wh"].to_numpy(), cd["date"], base.latitude, base.longitude,
                               base.altitude_m, base.utc_offset_h)
    months = cd["month"].to_numpy()
    kc_q = tuple(_r(np.quantile(kc[months == m], KC_PROBS)) for m in range(1, 13))
    z = _normal_scores(kc, months)
    yrs = cd["year"].to_numpy()
    z_within = z - pd.Series(z).groupby(yrs).transform("mean").to_numpy()
    consecutive = np.r_[True, np.diff(cd["date"].to_numpy()).astype("timedelta64[D]").astype(int) <= 2]
    kc_lag1 = _lag_corr(z_within, 1, valid=consecutive)
    # year effect: set so that the model's inter-annual CV of GHI equals CDSRD's
    counts = cd.groupby("year")["ghi_wh"].count()
    annual = cd.groupby("year")["ghi_wh"].sum()[counts >= 360]
    cv_target = float(annual.std(ddof=1) / annual.mean())
    # diffuse fraction: CDSRD monthly, relative to Erbs on the (shifted) EPW hours
    dfrac = cd.groupby("month")["dhi_wh"].sum() / cd.groupby("month")["ghi_wh"].sum()
    epw_df = np.array([
        float(np.sum(epw["dhi"].to_numpy()[pd.DatetimeIndex(epw["time"].values).month == m]))
        / float(np.sum(epw["ghi"].to_numpy()[pd.DatetimeIndex(epw["time"].values).month == m]))
        for m in range(1, 13)])
    erbs_frac = epw_df / np.asarray(base.diffuse_factor)   # Erbs diffuse fraction on the EPW hours
    factor = dfrac.to_numpy() / erbs_frac
    params = base.replace(
        source=(f"Dongsheng (WMO 53543) CSWD typical-year EPW ({EPW_NAME}; hourly structure, temperature, "
                f"pressure, wind dynamics) and CDSRD daily GHI/DHI {first}-{last} ({CDSRD_NAME}; daily "
                "clear-sky index, persistence, inter-annual variability, diffuse fraction); wind scaled to "
                f"hub level ({ORDOS['wind_height_m']:g} m) for {ORDOS['target_wind_flh_h']:g} full-load hours "
                "with configs/ordos.toml [wind]"),
        kc_quantiles=kc_q, kc_lag1=_r(kc_lag1), kc_year_sd=0.0,
        diffuse_factor=_r(factor),
        wind_height_m=float(ORDOS["wind_height_m"]),
        wind_calm_fraction=_r(np.zeros((4, 24))), wind_calm_below_m_s=0.0,
        notes=("station pressure and temperature are Dongsheng's (1462 m); generate() moves pressure to the "
               "target altitude; the wind diurnal cycle and dynamics are the 10 m station's, scaled to hub level"),
    )
    params = params.replace(kc_year_sd=_r(_year_sd_for_cv(params, cv_target)))
    params = params.replace(diffuse_factor=_r(_diffuse_factor_for(params, dfrac.to_numpy())))
    if verbose:
        print(f"CDSRD {first}-{last}: annual GHI CV {cv_target:.4f} -> year-effect sd {params.kc_year_sd:.4f}")
    alpha = _wind_scale_for_flh(params, config_path, ORDOS["target_wind_flh_h"], verbose=verbose)
    params = params.replace(wind_monthly_mean_m_s=_r(np.asarray(params.wind_monthly_mean_m_s) * alpha),
                            notes=params.notes + f"; monthly mean wind × {alpha:.4f} (hub-level calibration)")
    return params


def _ordos_config(config_path=None):
    """``[site]``, ``[pv]`` and ``[wind]`` of a park config (default ``configs/ordos.toml``).

    Only these sections are validated, so the config's ``[weather]`` file need
    not exist yet (it is what the calibration writes).
    """
    import tomllib
    from types import SimpleNamespace

    from energysim.config import PVConfig, SiteConfig, WindConfig

    path = Path(config_path) if config_path else Path(__file__).resolve().parents[2] / "configs" / "ordos.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    ctx = {"base_dir": path.resolve().parent}
    return SimpleNamespace(
        site=SiteConfig.model_validate(data["site"], context=ctx),
        pv=PVConfig.model_validate(data["pv"], context=ctx),
        wind=WindConfig.model_validate(data["wind"], context=ctx),
    )


def full_load_hours(ds: xr.Dataset, config_path=None) -> dict:
    """Mean annual full-load hours of the configured PV and wind on a Weather Dataset [h].

    Uses :func:`energysim.pv.ac_per_mwp` and :func:`energysim.wind.ac_per_mw`
    with the ``[site]``, ``[pv]`` and ``[wind]`` of the config (default
    ``configs/ordos.toml``); single-axis PV is the same ``[pv]`` with
    ``tracking = "single_axis"``.
    """
    from energysim import pv, wind

    park = _ordos_config(config_path)
    n_years = ds.sizes["time"] / 8760.0
    out = {"wind": float(wind.ac_per_mw(ds, park.site, park.wind).sum()) / n_years,
           "pv_fixed": float(pv.ac_per_mwp(ds, park.site, park.pv).sum()) / n_years}
    tracking = park.pv.model_copy(update={"tracking": "single_axis"})
    out["pv_single_axis"] = float(pv.ac_per_mwp(ds, park.site, tracking).sum()) / n_years
    return out


def _annual_ghi_cv(params: GeneratorParams, n_years: int = 400, seed: int = 1) -> float:
    """Inter-annual coefficient of variation of GHI of the daily part of the model (Monte Carlo)."""
    days = _calendar([2001])
    month_d = np.tile(days.month.to_numpy(), n_years)
    year_d = np.repeat(np.arange(n_years), 365)
    _, z_d = _wind_solar_latents(params, np.random.default_rng(seed), 365 * n_years, year_d)
    kc_d = _daily_kc(params, z_d, month_d)
    h_cs = daily_clear_sky_index(np.ones(365), days, params.latitude, params.longitude,
                                 params.altitude_m, params.utc_offset_h)
    annual = (kc_d.reshape(n_years, 365) / h_cs).sum(axis=1)
    return float(annual.std(ddof=1) / annual.mean())


def _year_sd_for_cv(params: GeneratorParams, cv_target: float) -> float:
    """Year-effect sd (bisection, common random numbers) giving the target inter-annual CV."""
    if _annual_ghi_cv(params.replace(kc_year_sd=0.0)) >= cv_target:
        return 0.0
    lo, hi = 0.0, 0.6
    for _ in range(25):
        mid = 0.5 * (lo + hi)
        if _annual_ghi_cv(params.replace(kc_year_sd=mid)) < cv_target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _diffuse_factor_for(params: GeneratorParams, target: np.ndarray, n_iter: int = 3) -> np.ndarray:
    """Monthly diffuse factors giving the ``target`` monthly diffuse fractions on generated years."""
    factor = np.asarray(params.diffuse_factor, dtype=float)
    first, last = ORDOS["years"]
    for _ in range(n_iter):
        ds = generate(params.replace(diffuse_factor=tuple(factor)), ORDOS["site"], range(first, last + 1),
                      ORDOS["seed"])
        month = pd.DatetimeIndex(ds["time"].values).month
        got = (ds["dhi"].to_series().groupby(month).sum() / ds["ghi"].to_series().groupby(month).sum()).to_numpy()
        factor = factor * target / got
    return factor


def _wind_scale_for_flh(params: GeneratorParams, config_path, target_h: float, verbose=False) -> float:
    """Factor on the monthly mean wind speeds giving ``target_h`` wind full-load hours (bisection)."""
    from energysim import wind

    park = _ordos_config(config_path)
    first, last = ORDOS["pool_years"]     # the whole shipped draw: its P50
    ds = generate(params, ORDOS["site"], range(first, last + 1), ORDOS["seed"])
    base = ds["wind_speed"].to_numpy().copy()
    n_years = ds.sizes["time"] / 8760.0

    def flh(alpha):
        ds["wind_speed"].values[:] = np.round(base * alpha, 1)
        return float(wind.ac_per_mw(ds, park.site, park.wind).sum()) / n_years

    lo, hi = 0.5, 6.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if flh(mid) < target_h:
            lo = mid
        else:
            hi = mid
    alpha = 0.5 * (lo + hi)
    if verbose:
        print(f"wind scale {alpha:.4f} -> {flh(alpha):.0f} full-load hours")
    return alpha


def _header_source(params: GeneratorParams, seed: int, what: str) -> str:
    return (f"energysim synthetic weather generator v{params.version} "
            f"(energysim.weather.synthetic, parameters weather/ordos/params.json, seed {seed}); {what}; "
            f"fitted to: {params.source}. Synthetic data, not measurements (weather/README.md)")


def ship(params: GeneratorParams, out_dir, *, site=None, seed=None) -> dict:
    """Write ``params.json``, ``years.csv`` and ``typical_year.csv`` into ``out_dir``.

    One draw of ``ORDOS['pool_years']`` (2001-2100) with ``seed`` is made;
    ``years.csv`` holds its first ``ORDOS['years']`` (2001-2020) and
    ``typical_year.csv`` is the year of the whole pool chosen by
    :func:`select_typical_year`, relabelled to 2001 (the energysim
    typical-year calendar).

    Returns
    -------
    dict
        ``typical_year`` (the chosen pool year), ``scores``, ``years``, ``seed``.
    """
    from energysim.weather import write_energysim_csv

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    site = site or ORDOS["site"]
    first, last = ORDOS["years"]
    p_first, p_last = ORDOS["pool_years"]
    seed = ORDOS["seed"] if seed is None else int(seed)
    params.to_json(out_dir / "params.json")
    pool = generate(params, site, range(p_first, p_last + 1), seed)
    ds = pool.sel(time=slice(f"{first}-01-01", f"{last}-12-31 23:00"))
    ds.attrs["source"] = _header_source(params, seed, f"years {first}-{last} of a {p_first}-{p_last} draw")
    write_energysim_csv(ds, out_dir / "years.csv")
    year, scores = select_typical_year(pool, n_candidates=ORDOS["typical_candidates"])
    one = pool.sel(time=str(year))
    t = pd.DatetimeIndex(one["time"].values)
    one = one.assign_coords(time=("time", (t + pd.DateOffset(years=2001 - year)).as_unit("ns").to_numpy()))
    one["time"].attrs.update(pool["time"].attrs)
    one.attrs["source"] = _header_source(
        params, seed, f"typical year = year {year} of a {p_first}-{p_last} draw chosen by the "
        "Finkelstein-Schafer criterion of select_typical_year, relabelled 2001")
    write_energysim_csv(one, out_dir / "typical_year.csv")
    return {"typical_year": year, "scores": scores, "years": (first, last), "seed": seed}


def regenerate(out_dir) -> dict:
    """Rewrite the shipped files of ``out_dir`` from its ``params.json`` alone (no reference data)."""
    params = GeneratorParams.from_json(Path(out_dir) / "params.json")
    return ship(params, out_dir)


def _main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m energysim.weather.synthetic",
                                 description="Calibrate and ship the synthetic Ordos weather.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ordos", help="calibrate to ../shared/data/ordos and write the shipped files")
    o.add_argument("--shared", default=str(Path(__file__).resolve().parents[3] / "shared" / "data" / "ordos"))
    o.add_argument("--out", default="weather/ordos")
    g = sub.add_parser("regenerate", help="rewrite the shipped files from params.json")
    g.add_argument("out", nargs="?", default="weather/ordos")
    args = ap.parse_args(argv)
    if args.cmd == "ordos":
        params = calibrate_ordos(args.shared, verbose=True)
        info = ship(params, args.out)
    else:
        info = regenerate(args.out)
    print(f"typical year: synthetic {info['typical_year']}; years.csv {info['years'][0]}-{info['years'][1]}, "
          f"seed {info['seed']} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
