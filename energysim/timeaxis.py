"""The one time axis of energysim: hours per year and scaling a horizon to a year.

A model year has 8 760 h: a leap year's 29 February is dropped (the rule of
:mod:`energysim.weather.quality` and :mod:`energysim.load`). A horizon of
``hours`` steps of ``dt_h`` hours, each step standing for ``weight`` steps
(typical days), represents ``sum(weight) * dt_h`` hours; energies summed over
it are scaled to a year by :func:`annual_scale`. Every module that turns a sum
over the run into a per-year value uses this function, so the simulation, the
sizing LP, the sweep and the report agree at any step length.

Times are period-beginning labels in the site's local standard time (no DST);
:func:`local_times` gives them as a time-zone-aware index.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

__all__ = ["HOURS_PER_YEAR", "represented_hours", "annual_scale", "local_times"]

#: Hours of a model year [h] (29 February dropped).
HOURS_PER_YEAR = 8760.0


def represented_hours(steps: int, dt_h: float = 1.0, weight=None) -> float:
    """Hours a horizon stands for [h]: ``sum(weight) * dt_h`` (``steps * dt_h`` unweighted).

    Parameters
    ----------
    steps : int
        Number of time steps of the horizon.
    dt_h : float
        Step length [h].
    weight : array_like, optional
        How many steps each step stands for (representative periods) [-].
    """
    total = float(steps) if weight is None else float(np.sum(weight))
    return total * float(dt_h)


def annual_scale(steps: int, dt_h: float = 1.0, weight=None) -> float:
    r"""Factor turning a sum over the horizon of ``power x dt_h`` into a yearly value [-].

    :math:`k = 8760 / (\sum_t w_t \, \Delta t)`; 1 for a full year of hourly steps.
    """
    hours = represented_hours(steps, dt_h, weight)
    if hours <= 0:
        raise ValueError(f"a horizon must stand for a positive number of hours, got {hours}")
    return HOURS_PER_YEAR / hours


def local_times(times, utc_offset_h: float) -> pd.DatetimeIndex:
    """Naive local-standard-time labels as a tz-aware index at a fixed UTC offset (no DST).

    Parameters
    ----------
    times : array_like of datetime64
        Period-beginning labels; tz-aware input is converted to the offset.
    utc_offset_h : float
        Standard UTC offset of the site [h].
    """
    tz = datetime.timezone(datetime.timedelta(hours=float(utc_offset_h)))
    idx = pd.DatetimeIndex(times)
    return idx.tz_convert(tz) if idx.tz is not None else idx.tz_localize(tz)
