"""The numbers of one operation problem: hourly arrays and the units the LPs work in.

:func:`problem_data` checks a Profiles Dataset and extracts the plain arrays an
operation LP needs (:mod:`energysim.dispatch.program`): per-unit PV and wind,
load, import price, the step and, for representative periods, the weight of
each step and the battery's cyclic segments. :class:`Scaling` chooses the
model units (one power unit, one money unit) so HiGHS sees O(1) numbers; the
optimal dispatch, sizing, robust sizing and pathways all build on these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import xarray as xr

from energysim.config import ParkConfig
from energysim.errors import ProfileError, problem
from energysim.timeaxis import HOURS_PER_YEAR, represented_hours

__all__ = ["Scaling", "ProblemData", "problem_data", "common_scaling", "with_scaling"]

_REQUIRED = ("pv_pu", "wind_pu", "load")


@dataclass(frozen=True)
class Scaling:
    """Units the model works in: one power unit = ``power_mw`` MW, one money unit = ``money``.

    Chosen as powers of ten near the mean load and the annual energy bill, so
    hourly flows and the objective are O(1) and HiGHS sees well-conditioned numbers.
    """

    power_mw: float
    money: float

    @classmethod
    def for_problem(cls, mean_load_mw: float, price_per_mwh: float) -> Scaling:
        """Scaling for a park of mean load [MW] and typical import price [money/MWh]."""
        power = 10.0 ** round(math.log10(max(mean_load_mw, 1e-6)))
        bill = max(mean_load_mw, 1e-6) * HOURS_PER_YEAR * max(abs(price_per_mwh), 1.0)
        return cls(power_mw=power, money=10.0 ** round(math.log10(bill)))


@dataclass(frozen=True)
class ProblemData:
    """Plain arrays and numbers of one operation problem, in physical units (MW, MWh, money).

    Built by :func:`problem_data`; the operation program
    (:mod:`energysim.dispatch.program`) converts them to model units.
    """

    pv_pu: np.ndarray
    wind_pu: np.ndarray
    load: np.ndarray
    price: np.ndarray  # import price [money/MWh], hourly
    hours: int
    dt_h: float
    scaling: Scaling
    #: How many hours each model hour stands for (representative days); None = 1 each.
    weight: np.ndarray | None = None
    #: The battery is cyclic within consecutive segments of this many hours
    #: (typical days); None = over the whole horizon.
    segment_h: int | None = None
    #: Calendar month (1-12) of each step (monthly demand charges); None = unknown.
    month: np.ndarray | None = None
    #: Further hourly series of the Profiles Dataset by name (e.g. the emission factor,
    #: delivery shapes of green contracts), for extensions of the operation program.
    series: dict = field(default_factory=dict)

    def take(self, steps: np.ndarray, weight: np.ndarray, segment_h: int) -> ProblemData:
        """The problem on a subset of steps (typical periods), each standing for ``weight``."""
        return replace(self, pv_pu=self.pv_pu[steps], wind_pu=self.wind_pu[steps],
                       load=self.load[steps], price=self.price[steps], hours=len(steps),
                       weight=weight, segment_h=segment_h,
                       month=None if self.month is None else self.month[steps],
                       series={k: v[steps] for k, v in self.series.items()})

    @property
    def hour_weight(self) -> np.ndarray:
        """Multiplicity of each model hour [-] (ones without representative days)."""
        return np.ones(self.hours) if self.weight is None else self.weight

    @property
    def represented_h(self) -> float:
        """Hours the horizon stands for [h]: the weighted hours x dt."""
        return represented_hours(self.hours, self.dt_h, self.weight)


def _array(profiles: xr.Dataset, name: str) -> np.ndarray:
    values = np.asarray(profiles[name].values, dtype=float)
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ProfileError(
            problem("must be finite in every hour", field=f"profiles.{name}[{bad}]",
                    value=values[bad])
        )
    return values


def problem_data(park: ParkConfig, profiles: xr.Dataset) -> ProblemData:
    """Check a Profiles Dataset and extract the arrays the model needs.

    Parameters
    ----------
    park : ParkConfig
        Validated park config (flat import price when the Dataset has no series).
    profiles : xarray.Dataset
        Hourly ``pv_pu`` [MW/MWp], ``wind_pu`` [MW/MW], ``load`` [MW] on dim
        ``time``; optional ``import_price_per_mwh`` [money/MWh].
    """
    missing = [name for name in _REQUIRED if name not in profiles]
    if missing:
        raise ProfileError(
            problem(f"Profiles Dataset lacks {', '.join(missing)}; needs {', '.join(_REQUIRED)}",
                    field="profiles")
        )
    hours = int(profiles.sizes.get("time", 0))
    if hours < 2:
        raise ProfileError(problem("needs at least 2 hours", field="profiles.time", value=hours))
    load = _array(profiles, "load")
    if load.min() < 0:
        raise ProfileError(problem("load must be >= 0 MW", field="profiles.load", value=load.min()))
    if load.sum() <= 0:
        raise ProfileError(problem("total load must be positive to size for a share",
                                   field="profiles.load", value=float(load.sum())))
    pv_pu, wind_pu = _array(profiles, "pv_pu"), _array(profiles, "wind_pu")
    for name, arr in (("pv_pu", pv_pu), ("wind_pu", wind_pu)):
        if arr.min() < 0:
            raise ProfileError(problem("per-unit output must be >= 0", field=f"profiles.{name}",
                                       value=float(arr.min())))
    if "import_price_per_mwh" in profiles:
        price = _array(profiles, "import_price_per_mwh")
    else:
        price = np.full(hours, park.grid.import_price_per_mwh)
    dt_h = float(profiles.attrs.get("dt_h", 1.0))
    scaling = Scaling.for_problem(float(load.mean()), float(np.mean(np.abs(price))))
    month = (np.asarray(profiles["time"].dt.month.values, dtype=np.int64)
             if "time" in profiles.coords and np.issubdtype(profiles["time"].dtype, np.datetime64)
             else None)
    return ProblemData(pv_pu, wind_pu, load, price, hours, dt_h, scaling, month=month,
                       series=_extra_series(park, profiles))


def _extra_series(park: ParkConfig, profiles: xr.Dataset) -> dict[str, np.ndarray]:
    """Every other hourly series, the config's grid series and delivery shapes included."""
    from energysim.profiles import complete

    profiles = complete(profiles, park)
    known = {*_REQUIRED, "import_price_per_mwh"}
    return {str(name): _array(profiles, str(name)) for name, var in profiles.data_vars.items()
            if name not in known and var.dims == ("time",)}


def common_scaling(datas: Sequence[ProblemData]) -> Scaling:
    """One scaling for several horizons: from the largest mean load and mean price."""
    load = max(float(np.average(d.load, weights=d.hour_weight)) for d in datas)
    price = max(float(np.mean(np.abs(d.price))) for d in datas)
    return Scaling.for_problem(load, price)


def with_scaling(datas: Sequence[ProblemData], scaling: Scaling) -> list[ProblemData]:
    """The horizons' data with one shared scaling."""
    return [replace(d, scaling=scaling) for d in datas]
