"""Calibration: adjust fitted parameters so that generated years meet external targets.

A fit to one typical year cannot see inter-annual variability, and a station
record may not represent a site's hub-level wind. These functions set one
parameter each so that a statistic of generated years equals a target taken
from longer records:

- :func:`year_sd_for_cv` — the year effect of the solar latent, for an
  inter-annual coefficient of variation of annual GHI;
- :func:`diffuse_factor_for` — monthly factors on the Erbs diffuse fraction,
  for target monthly diffuse fractions;
- :func:`wind_scale_for` — one factor on the monthly mean wind speeds, for a
  target of any increasing function of the wind (e.g. the full-load hours of a
  wind farm through :func:`energysim.wind.ac_per_mw`, given by the caller:
  the generator itself knows nothing of turbines).

All are deterministic: common random numbers (fixed seeds) and bisection.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from energysim.weather.synthetic.climate import calendar_days, daily_clear_sky_index
from energysim.weather.synthetic.generator import daily_kc, generate, wind_solar_latents
from energysim.weather.synthetic.params import GeneratorParams

__all__ = ["annual_ghi_cv", "year_sd_for_cv", "diffuse_factor_for", "wind_scale_for", "bisect"]


def bisect(f: Callable[[float], float], target: float, lo: float, hi: float, n_iter: int) -> float:
    """``x`` in [lo, hi] with ``f(x) ≈ target`` for an increasing ``f``.

    The midpoint after ``n_iter`` halvings.
    """
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def annual_ghi_cv(params: GeneratorParams, n_years: int = 400, seed: int = 1) -> float:
    """Inter-annual coefficient of variation of GHI of the daily part of the model [-].

    Estimated by Monte Carlo.
    """
    days = calendar_days([2001])
    month_d = np.tile(days.month.to_numpy(), n_years)
    year_d = np.repeat(np.arange(n_years), 365)
    _, z_d = wind_solar_latents(params, np.random.default_rng(seed), 365 * n_years, year_d)
    kc_d = daily_kc(params, z_d, month_d)
    h_cs = daily_clear_sky_index(np.ones(365), days, params.latitude, params.longitude,
                                 params.altitude_m, params.utc_offset_h)
    annual = (kc_d.reshape(n_years, 365) / h_cs).sum(axis=1)
    return float(annual.std(ddof=1) / annual.mean())


def year_sd_for_cv(params: GeneratorParams, cv_target: float) -> float:
    """Year-effect sd (bisection, common random numbers) giving the target inter-annual CV [-]."""
    if annual_ghi_cv(params.replace(kc_year_sd=0.0)) >= cv_target:
        return 0.0
    return bisect(lambda sd: annual_ghi_cv(params.replace(kc_year_sd=sd)), cv_target, 0.0, 0.6, 25)


def diffuse_factor_for(params: GeneratorParams, target: np.ndarray, site, years, seed: int,
                       n_iter: int = 3) -> np.ndarray:
    """Monthly diffuse factors giving the ``target`` monthly diffuse fractions on generated years.

    Parameters
    ----------
    target : array_like
        [12] monthly diffuse fractions ``Σ DHI / Σ GHI`` [-].
    site, years, seed
        As in :func:`~energysim.weather.synthetic.generate` (the years checked).
    """
    factor = np.asarray(params.diffuse_factor, dtype=float)
    for _ in range(n_iter):
        ds = generate(params.replace(diffuse_factor=tuple(factor)), site, years, seed)
        month = pd.DatetimeIndex(ds["time"].values).month
        got = (ds["dhi"].to_series().groupby(month).sum()
               / ds["ghi"].to_series().groupby(month).sum()).to_numpy()
        factor = factor * target / got
    return factor


def wind_scale_for(params: GeneratorParams, output: Callable[[xr.Dataset], float], target: float,
                   site, years, seed: int) -> float:
    """Factor on the monthly mean wind speeds for which ``output(weather) == target`` (bisection).

    Parameters
    ----------
    output : callable
        An increasing function of the wind speed of a Weather Dataset, e.g.
        mean annual wind full-load hours [h].
    target : float
        Its target value.
    site, years, seed
        As in :func:`~energysim.weather.synthetic.generate` (one draw, rescaled).

    Returns
    -------
    float
        The factor, in [0.5, 6]; speeds are rounded to 0.1 m/s like the shipped files.
    """
    ds = generate(params, site, years, seed)
    base = ds["wind_speed"].to_numpy().copy()

    def scaled(alpha: float) -> float:
        ds["wind_speed"].values[:] = np.round(base * alpha, 1)
        return output(ds)

    return bisect(scaled, target, 0.5, 6.0, 40)
