"""energysim: hourly simulator and optimiser of an industrial park's electricity system.

Python API (mirrors the CLI)::

    import energysim
    park = energysim.load_park("configs/ordos.toml")
    result = energysim.simulate(park)        # Result: flows (xarray), kpis (dict)
    result.kpis["onsite_share"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from energysim.config import Capacities, ParkConfig, load_park
from energysim.errors import EnergysimError

if TYPE_CHECKING:
    import xarray as xr

    from energysim.results import Result

__version__ = "0.1.0"

__all__ = ["Capacities", "ParkConfig", "load_park", "simulate", "size", "frontier",
           "EnergysimError", "__version__"]


def simulate(
    park: ParkConfig,
    capacities: Capacities | None = None,
    profiles: xr.Dataset | None = None,
    mode: str | None = None,
) -> Result:
    """Simulate one park hour by hour and account for it.

    The dispatch mode is ``[battery] dispatch``, else the rule-based core where
    it is least-cost and the optimal dispatch where it is not
    (:func:`energysim.dispatch.mode_for`, :mod:`energysim.sizing.modes`).

    Parameters
    ----------
    park : ParkConfig
        Validated config (:func:`load_park`).
    capacities : Capacities, optional
        Capacities to simulate; default: the configured ones.
    profiles : xarray.Dataset, optional
        Ready Profiles Dataset (e.g. reused across scenarios); built from the
        config when omitted.
    mode : {"rules", "optimal", "rolling"}, optional
        Override the dispatch mode.
    """
    from energysim.profiles import build_profiles, complete
    from energysim.results import Result
    from energysim.sizing.modes import operate

    capacities = capacities or park.capacities()
    profiles = build_profiles(park) if profiles is None else complete(profiles, park)
    flows = operate(park, profiles, capacities, mode)
    return Result.from_flows(park, capacities, profiles, flows)


def size(
    park: ParkConfig,
    profiles_by_year=None,
    *,
    onsite_share: float | None = None,
    clean_share: float | None = None,
    profiles: xr.Dataset | None = None,
    representative_days: int | None = None,
    robustness: str | None = None,
    cvar_alpha: float | None = None,
    cfe_score: float | None = None,
    max_co2_per_tce: float | None = None,
):
    """Least-cost PV, wind, battery and green procurement for the targets (HiGHS), re-simulated.

    ``energysim.size(park)`` sizes on the config's typical year;
    ``energysim.size(park, profiles_by_year, robustness="every_year")`` over weather
    years (a dict year -> Profiles Dataset, e.g. from
    :func:`energysim.ensemble.profiles_by_year`), the targets holding in every
    year (``"every_year"``), for the worst ``cvar_alpha`` of years (``"cvar"``)
    or on the mean (``"expected"``); ``profiles_by_year="config"`` takes the
    weather years of ``[sizing] weather_years``. See
    :func:`energysim.sizing.size` (returns its ``SizingResult``: ``capacities``,
    ``annualized_cost``, ``flows``, ``robust`` ...). A number as second argument
    is the on-site share target (the earlier signature).
    """
    from energysim import sizing
    from energysim.profiles import build_profiles

    if isinstance(profiles_by_year, int | float) and not isinstance(profiles_by_year, bool):
        onsite_share, profiles_by_year = float(profiles_by_year), None
    if isinstance(profiles_by_year, str) and profiles_by_year == "config":
        from energysim.ensemble import profiles_by_year as by_year

        profiles_by_year = by_year(park)
    if profiles_by_year is not None:
        return sizing.size(park, profiles_by_year, onsite_share=onsite_share,
                           clean_share=clean_share, robustness=robustness,
                           cvar_alpha=cvar_alpha, cfe_score=cfe_score,
                           max_co2_per_tce=max_co2_per_tce)
    profiles = build_profiles(park) if profiles is None else profiles
    return sizing.size(park, profiles, onsite_share=onsite_share, clean_share=clean_share,
                       representative_days=representative_days, cfe_score=cfe_score,
                       max_co2_per_tce=max_co2_per_tce)


def frontier(
    park: ParkConfig,
    shares=(0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95),
    *,
    profiles: xr.Dataset | None = None,
):
    """Least cost against on-site share target (one HiGHS model, only the target's bound changes).

    ``energysim.frontier(park)``; see :func:`energysim.sizing.frontier` (returns a
    DataFrame: ``share``, capacities, ``annualized_cost``, ``lcoe_per_mwh``,
    ``marginal_cost_of_share``, ``is_target``). Profiles are built from the config
    when omitted.
    """
    from energysim import sizing
    from energysim.profiles import build_profiles

    profiles = build_profiles(park) if profiles is None else profiles
    return sizing.frontier(park, profiles, list(shares))
