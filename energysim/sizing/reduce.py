"""Quick screening: size on representative (typical) days, then check on the full horizon.

The days of the horizon are clustered with tsam (:func:`energysim.pathways.typical.typical_days`:
hierarchical clustering on per-unit PV, per-unit wind and load, medoid days).
The sizing LP runs on the typical days only, every hour weighted by the number
of days its cluster stands for (shares, green volume and energy costs are
weighted sums). Storage is linked within each typical day only: the battery is
cyclic over every typical day, so energy is not carried between days and
multi-day or seasonal shifting is not represented.

Because of that, the reduced optimum is never reported on its own: its
capacities are re-simulated by the dispatch core over the full horizon and the
errors of the reduced LP against that simulation (on-site share, annualised
cost) are reported beside it in :attr:`SizingResult.screening`.

References
----------
.. [1] L. Kotzur, P. Markewitz, M. Robinius, D. Stolten, "Impact of different
   time series aggregation methods on optimal energy system design",
   Renewable Energy 117 (2018) 474-487.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.sizing.model import ProblemData, build_model, problem_data

__all__ = ["size_reduced", "reduced_problem", "capacity_guess"]


def reduced_problem(full: ProblemData, profiles: xr.Dataset,
                    days: int) -> tuple[ProblemData, np.ndarray] | None:
    """The problem on ``days`` tsam typical days, and the full-horizon hours it keeps.

    Every kept hour is weighted by the number of days its cluster stands for;
    the battery is cyclic within each typical day. None when ``days`` is not
    fewer than the horizon's whole days (nothing to reduce).
    """
    from energysim.pathways.typical import DAY_H, typical_days

    picked = typical_days(profiles, days)
    if picked is None:
        return None
    hours, weight = picked
    data = replace(full, pv_pu=full.pv_pu[hours], wind_pu=full.wind_pu[hours],
                   load=full.load[hours], price=full.price[hours], hours=len(hours),
                   weight=weight, segment_h=DAY_H)
    return data, hours


def capacity_guess(park: ParkConfig, full: ProblemData, profiles: xr.Dataset, days: int,
                   targets: tuple[float, float]) -> Capacities | None:
    """Least-cost capacities on ``days`` typical days [MW, MWh]: a start for the full LP.

    A crash start, not a result: :func:`energysim.sizing.size` fixes the full
    model's capacities at this guess, solves the (easy) dispatch, frees them and
    solves again from that basis (iterations with and without it:
    benchmarks/results/sizing.json).

    Parameters
    ----------
    park : ParkConfig
        As for :func:`energysim.sizing.size`.
    full : ProblemData
        The full-horizon problem (1-h steps).
    profiles : xarray.Dataset
        Its Profiles Dataset (clustered by tsam).
    days : int
        Number of typical days (>= 2).
    targets : (float, float)
        On-site and clean share targets [0-1].

    Returns
    -------
    Capacities or None
        None when there is nothing to reduce or the reduced target is out of reach.
    """
    from energysim import sizing
    from energysim.sizing.outputs import capacities_of

    reduced = reduced_problem(full, profiles, days)
    if reduced is None:
        return None
    m = build_model(park, reduced[0])
    sizing._set_targets(m, park, *targets)
    status, _ = sizing._solver_for(park, m).solve(what=f"crash start on {days} typical days")
    if status != "optimal":
        return None
    return capacities_of(m)


def size_reduced(park: ParkConfig, profiles: xr.Dataset, days: int, *,
                 onsite_share: float | None = None, clean_share: float | None = None):
    """Least-cost capacities sized on ``days`` typical days, re-simulated on the full horizon.

    Parameters
    ----------
    park : ParkConfig
        As for :func:`energysim.sizing.size`.
    profiles : xarray.Dataset
        Full-horizon Profiles Dataset (1-h steps).
    days : int
        Number of typical days (>= 2). When it is not fewer than the horizon's
        whole days, the full problem is solved instead.
    onsite_share, clean_share : float, optional
        Targets [0-1]; default ``park.targets``.

    Returns
    -------
    SizingResult
        ``flows`` is the full-horizon simulation (the reported truth),
        ``lp_flows`` the reduced LP's flows on the typical days;
        ``annualized_cost`` and ``objective_terms`` the full-horizon cost of
        the chosen capacities (asset terms plus the simulated energy terms).
        ``screening`` holds
        ``representative_days``, ``lp_onsite_share`` (reduced LP),
        ``sim_onsite_share`` (full horizon), ``onsite_share_error`` (reduced
        minus full), ``lp_cost`` and ``sim_cost`` [money/yr] (the full-horizon
        cost of the chosen capacities: asset terms plus simulated energy terms),
        ``cost_rel_error`` ((lp - sim) / sim) and ``sim_meets_target`` (the full
        horizon reaches the on-site target to 1e-6).
    """
    from energysim import sizing
    from energysim.pathways.typical import DAY_H
    from energysim.sizing import diagnose
    from energysim.sizing.outputs import capacities_of, flows_of, objective_terms
    from energysim.sizing.outputs import onsite_share as share_of
    from energysim.sizing.solve import SolverInfo

    t0 = time.perf_counter()
    reduced = reduced_problem(problem_data(park, profiles), profiles, days)
    if reduced is None:  # nothing to reduce
        return sizing.size(park, profiles, onsite_share=onsite_share, clean_share=clean_share)
    data, hours = reduced
    m = build_model(park, data)
    onsite, clean = sizing._set_targets(m, park, onsite_share, clean_share)
    solver = sizing._solver_for(park, m)
    build_s = time.perf_counter() - t0
    status, solve_s = solver.solve(what=f"sizing on {days} representative days")
    if status == "infeasible":
        raise diagnose.infeasible_target_error(solver, park, onsite, clean)

    caps = capacities_of(m)
    lp_flows = flows_of(m, profiles.isel(time=hours))
    lp_cost = pyo.value(m.cost) * m.scaling.money
    lp_share = 1.0 - pyo.value(m.grid_served) / m.total_load
    flows = sizing._resimulate(profiles, caps, park)
    price = sizing._price(profiles, park)
    sim_share = share_of(flows)
    terms = objective_terms(park, flows, price, caps)
    sim_cost = float(sum(terms.values()))
    info = SolverInfo(status="optimal", build_s=build_s, solve_s=solve_s,
                      highs_version=solver.version, objective=lp_cost,
                      extra={"representative_days": len(hours) // DAY_H})
    screening = {
        "representative_days": len(hours) // DAY_H,
        "lp_onsite_share": lp_share,
        "sim_onsite_share": sim_share,
        "onsite_share_error": lp_share - sim_share,
        "lp_cost": lp_cost,
        "sim_cost": sim_cost,
        "cost_rel_error": (lp_cost - sim_cost) / sim_cost if sim_cost else float(np.nan),
        "sim_meets_target": bool(sim_share >= onsite - 1e-6),
    }
    return sizing.SizingResult(capacities=caps, annualized_cost=sim_cost, objective_terms=terms,
                               lp_onsite_share=lp_share, sim_onsite_share=sim_share,
                               flows=flows, solver=info, lp_flows=lp_flows, screening=screening)
