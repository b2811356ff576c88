"""Representative periods: the problem on typical days, for screening and crash starts.

The days of the horizon are clustered with tsam
(:func:`energysim.timeaggregation.typical_days`: hierarchical clustering on
per-unit PV, per-unit wind and load, medoid days). The LP then runs on the
typical days only, every hour weighted by the number of days its cluster
stands for (shares, green volume and energy costs are weighted sums). Storage
is linked within each typical period only: the battery is cyclic over every
typical day, so energy is not carried between days and multi-day or seasonal
shifting is not represented.

Because of that, a reduced optimum is never reported on its own: its
capacities are re-simulated by the dispatch core over the full horizon and the
errors of the reduced LP against that simulation are reported beside it
(:attr:`energysim.sizing.SizingResult.screening`), or it only serves as the
crash start of the full LP (:func:`capacity_guess`).

References
----------
.. [1] L. Kotzur, P. Markewitz, M. Robinius, D. Stolten, "Impact of different
   time series aggregation methods on optimal energy system design",
   Renewable Energy 117 (2018) 474-487.
"""

from __future__ import annotations

from dataclasses import replace

import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.timeaggregation import DAY_H, typical_days

__all__ = ["reduced_problem", "capacity_guess"]


def reduced_problem(full, profiles: xr.Dataset, days: int | None, period_h: int = DAY_H):
    """The problem on ``days`` typical periods and the full-horizon hours it keeps.

    Every kept hour is weighted by the number of periods its cluster stands for;
    the battery is cyclic within each typical period. None when ``days`` is
    falsy or not fewer than the horizon's whole periods (nothing to reduce).
    """
    if not days:
        return None
    picked = typical_days(profiles, days, period_h)
    if picked is None:
        return None
    hours, weight = picked
    data = replace(full, pv_pu=full.pv_pu[hours], wind_pu=full.wind_pu[hours],
                   load=full.load[hours], price=full.price[hours], hours=len(hours),
                   weight=weight, segment_h=period_h,
                   extra={k: v[hours] for k, v in full.extra.items()})
    return data, hours


def capacity_guess(park: ParkConfig, fulls, profiles, days: int, targets: tuple[float, float],
                   robustness: str = "every_year", cvar_alpha: float = 0.1
                   ) -> Capacities | None:
    """Least-cost capacities on ``days`` typical days of every horizon [MW, MWh].

    A start for the full problem, not a result (the crash start of
    :func:`energysim.sizing.size`, the first point of robust sizing).

    Parameters
    ----------
    park : ParkConfig
    fulls : ProblemData or list of ProblemData
        The full horizon(s) (1-h steps), one per weather year.
    profiles : xarray.Dataset or list of xarray.Dataset
        Their Profiles Datasets (clustered by tsam).
    days : int
        Typical days per horizon (>= 2).
    targets : (float, float)
        On-site and clean share targets [0-1].

    Returns
    -------
    Capacities or None
        None when there is nothing to reduce or the reduced targets are out of reach.
    """
    from energysim.sizing.model import build_model
    from energysim.sizing.solve import Status, make_solver, set_targets, solve

    fulls = fulls if isinstance(fulls, list) else [fulls]
    profiles = profiles if isinstance(profiles, list) else [profiles]
    reduced = [reduced_problem(f, p, days) for f, p in zip(fulls, profiles, strict=True)]
    if any(r is None for r in reduced):
        return None
    sm = build_model(park, [r[0] for r in reduced], integer_turbines=False,
                     robustness=robustness, cvar_alpha=cvar_alpha)
    solver = make_solver(sm)
    set_targets(sm, solver, *targets)
    if solve(solver, f"crash start on {days} typical days") != Status.OPTIMAL:
        return None
    return sm.capacities(solver.x)

