"""The generator's parameter set (``params.json``) and the constants shared by fit and generate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from energysim.errors import WeatherError, problem

__all__ = ["GENERATOR_VERSION", "KC_PROBS", "KC_CLASS_EDGES", "GeneratorParams", "rounded"]

#: Version of the generator; written into params.json and every shipped file's header.
GENERATOR_VERSION = "1.0"
#: Probabilities at which the monthly quantile functions of ``kc_d`` are stored.
KC_PROBS = tuple(float(p) for p in np.linspace(0.0, 1.0, 41))
#: Upper edges of the daily clear-sky index classes for the hourly variability.
KC_CLASS_EDGES = (0.3, 0.5, 0.7, 0.85)


@dataclasses.dataclass(frozen=True)
class GeneratorParams:
    """Every fitted parameter of the generator (JSON-serialisable, see :meth:`to_json`).

    Arrays are nested tuples: ``[12]`` by month (Jan..Dec), ``[12][24]`` by
    month and local hour. Gaussian-space quantities refer to the latent unit
    normal processes of :mod:`energysim.weather.synthetic`.
    """

    version: str
    source: str                      #: what the parameters were fitted to (free text)
    latitude: float                  #: [deg N] of the fitted data
    longitude: float                 #: [deg E]
    altitude_m: float                #: [m]
    utc_offset_h: float              #: standard UTC offset of local time [h]
    wind_height_m: float             #: height of the generated wind [m]
    #: whole hours the fitted data's labels were moved (1-h lagged CSWD files)
    time_shift_h: int
    # daily clear-sky index
    kc_quantiles: tuple              #: [12][len(KC_PROBS)] monthly quantile functions of kc_d
    kc_lag1: float                   #: within-year lag-1 day autocorrelation of the solar latent
    #: sd of the year effect in the solar latent (share of unit variance)
    kc_year_sd: float
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
    #: [4][24] probability of a reported calm (0 m/s) by season and hour
    wind_calm_fraction: tuple
    #: station anemometer threshold: non-calm speeds are ≥ this [m s-1]
    wind_calm_below_m_s: float
    #: [4][24] Weibull shape of speed / monthly mean, by season (DJF..SON) and hour
    wind_weibull_k: tuple
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


def rounded(x, nd: int = 6):
    """Floats (nested) rounded to ``nd`` decimals, as tuples: a stable, readable params.json."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return tuple(rounded(v, nd) for v in x)
    return round(float(x), nd)
