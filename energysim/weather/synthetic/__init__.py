"""Synthetic hourly weather years: a fitted stochastic generator.

``fit(weather) -> GeneratorParams`` estimates every parameter from an hourly
Weather Dataset (one typical year is enough); ``generate(params, site, years,
seed) -> Weather Dataset`` draws any number of calendar years from them,
deterministically (same parameters and seed → the same numbers, and the same
bytes once written); ``select_typical_year`` picks the most typical whole year
of a draw. Modules, one concern each:

- :mod:`~energysim.weather.synthetic.params` — :class:`GeneratorParams` (``params.json``);
- :mod:`~energysim.weather.synthetic.fit` — :func:`fit`;
- :mod:`~energysim.weather.synthetic.generator` — :func:`generate`;
- :mod:`~energysim.weather.synthetic.typical_year` — :func:`select_typical_year`;
- :mod:`~energysim.weather.synthetic.calibration` — set single parameters so
  that generated years meet targets from longer records;
- :mod:`~energysim.weather.synthetic.checks` — statistics comparing synthetic
  and real records (tests, README tables);
- :mod:`~energysim.weather.synthetic.climate` and
  :mod:`~energysim.weather.synthetic.stats` — shared building blocks.

The package reads only weather: it imports nothing from the park config or
the PV and wind models. The shipped Ordos set is built by
``weather/ordos/build.py`` beside its data (it calibrates the wind with the
``configs/ordos.toml`` kit)::

    python weather/ordos/build.py ordos --out weather/ordos    # calibrate + ship (needs ../shared)
    python weather/ordos/build.py regenerate weather/ordos     # from params.json only

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
   truncated at the anemometer threshold, fitted by maximum likelihood), which
   carries the diurnal cycle of both the mean and the spread (calm nights, steady
   afternoons);
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

from energysim.weather.synthetic.climate import daily_clear_sky_index
from energysim.weather.synthetic.fit import fit
from energysim.weather.synthetic.generator import generate
from energysim.weather.synthetic.params import GENERATOR_VERSION, GeneratorParams
from energysim.weather.synthetic.typical_year import select_typical_year

__all__ = [
    "GENERATOR_VERSION",
    "GeneratorParams",
    "fit",
    "generate",
    "select_typical_year",
    "daily_clear_sky_index",
]
