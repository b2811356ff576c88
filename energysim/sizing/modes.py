"""Dispatch modes: one entry point for the three ways a park can be operated.

- ``rules`` — the load-following dispatch core (:func:`energysim.dispatch.dispatch`),
  least-cost for flat prices with no value on exports; the fast default.
- ``optimal`` — perfect-foresight least-cost dispatch at fixed capacities
  (:mod:`energysim.sizing.fixed`): time-of-use prices, export value, demand
  charges and every operation hook priced as the sizing LP prices them.
- ``rolling`` — re-optimised every ``rolling_step_h`` over ``rolling_horizon_h``
  (:mod:`energysim.sizing.rolling`): what an energy-management system can do.

All three return the same Flows Dataset (attribute ``dispatch_mode``), so the
accounting and the result containers are the same. :func:`energysim.dispatch.mode_for`
picks the mode of a run: ``[battery] dispatch`` when set, else ``optimal``
where the rules would not be least-cost, else ``rules``.
"""

from __future__ import annotations

import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.dispatch import dispatch, mode_for

__all__ = ["MODES", "operate"]

#: The dispatch modes.
MODES = ("rules", "optimal", "rolling")


def _rules(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities) -> xr.Dataset:
    flows = dispatch(profiles, capacities, park.battery, park.grid, park.tariff, park=park)
    flows.attrs["dispatch_mode"] = "rules"
    return flows


def _optimal(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities) -> xr.Dataset:
    from energysim.sizing.fixed import optimal_dispatch

    return optimal_dispatch(park, profiles, capacities)


def _rolling(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities) -> xr.Dataset:
    from energysim.sizing.rolling import rolling_dispatch

    return rolling_dispatch(park, profiles, capacities)


_RUN = {"rules": _rules, "optimal": _optimal, "rolling": _rolling}


def operate(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities,
            mode: str | None = None) -> xr.Dataset:
    """Hourly flows of ``capacities`` operated in ``mode`` (default :func:`mode_for`)."""
    return _RUN[mode or mode_for(park, profiles, capacities)](park, profiles, capacities)
