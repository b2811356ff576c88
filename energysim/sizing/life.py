"""Sizing for the project's life: the target must still hold in its last years.

Batteries fade, PV degrades and loads grow (:mod:`energysim.degradation`,
:mod:`energysim.lifetime`), so a mix sized on year one misses its target later.
:func:`size_for_life` sizes on a **linear proxy** of the hardest year of life
and **certifies** the answer by simulating every year:

1. Proxy (one sizing LP, the usual robustness over weather years): the last
   year's conditions — PV and wind output derated by their degradation over
   ``project_life_yr - 1`` years, the load grown by ``load.growth_pct_yr`` over
   as many, and the battery's usable window at its lowest state of health
   (``battery.replace_at_soh`` when batteries are replaced, else
   ``cycle_life_end_soh``): the usable energy the battery is known to keep.
2. Certification: the lifetime simulation (:func:`energysim.lifetime.simulate_lifetime`,
   every year, rainflow-counted fade, replacements) of the proxy's capacities.
   If some year misses the target, the proxy's target is raised by the
   shortfall (a secant step on later rounds) and the LP solved again, at most
   :data:`MAX_ROUNDS` times; a design that still misses is an error.

The certified design is the least-cost one *under the proxy*; its lifetime
cost (net present cost of the simulated yearly cash flows, replacements
included) is reported beside the LP's annualised cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import xarray as xr

from energysim.config import ParkConfig
from energysim.degradation import compound_decline
from energysim.errors import SolverError, problem

if TYPE_CHECKING:
    from energysim.lifetime import LifetimeResult
    from energysim.sizing import SizingResult

__all__ = ["LifeSizing", "size_for_life", "proxy_factors", "MAX_ROUNDS"]

#: Rounds of proxy correction before giving up.
MAX_ROUNDS = 6
#: A year meets the target to this (absolute share).
_TOL = 1e-6
#: The worst year may exceed the target by this before the proxy is lowered (share).
SLACK = 0.002


@dataclass
class LifeSizing:
    """Outcome of :func:`size_for_life`: the sizing, its lifetime simulation, the rounds."""

    sizing: SizingResult  # of the last proxy
    life: LifetimeResult  # of its capacities
    target: float
    proxy_targets: list[float]
    factors: dict[str, float]

    @property
    def min_share(self) -> float:
        """The lowest on-site share over the years of the life [0-1]."""
        return float(self.life.table["onsite_share"].min())

    def answer(self) -> dict:
        """The JSON-ready summary: capacities, the rounds of proxy targets, the yearly shares."""
        t = self.life.table
        return {
            "capacities": self.sizing.capacities.model_dump(),
            "target_onsite_share": self.target,
            "proxy_factors": self.factors,
            "proxy_targets": self.proxy_targets,
            "rounds": len(self.proxy_targets),
            "min_onsite_share": self.min_share,
            "last_year_onsite_share": float(t["onsite_share"].iloc[-1]),
            "years_meeting_target": int((t["onsite_share"] >= self.target - _TOL).sum()),
            "years": int(len(t)),
            "replacements": int(t["replaced"].sum()),
            "npc": self.life.npc,
            "lp_annualized_cost": self.sizing.annualized_cost,
        }


def proxy_factors(park: ParkConfig) -> dict[str, float]:
    """The hardest year's derating of PV, wind, the battery window and the load growth [-]."""
    years = int(round(park.economics.project_life_yr))
    bat = park.battery
    soh = bat.replace_at_soh if bat.replace_at_soh is not None else bat.cycle_life_end_soh
    if bat.degradation == "none" and bat.calendar_fade_pct_yr == 0:
        soh = 1.0
    return {
        "pv": float(compound_decline(park.pv.degradation_pct_yr, years - 1)),
        "wind": float(compound_decline(park.wind.degradation_pct_yr, years - 1)),
        "battery_soh": float(soh),
        "load": float((1.0 + park.load.growth_pct_yr / 100.0) ** (years - 1)),
    }


def _proxy(park: ParkConfig, profiles: xr.Dataset, f: dict[str, float]):
    """The park and profiles of the proxy year (see the module docstring)."""
    bat = park.battery
    window = (bat.soc_max - bat.soc_min) * f["battery_soh"]
    proxy_park = park.model_copy(update={"battery": bat.model_copy(update={
        "soc_max": bat.soc_min + window,
        "soc_initial": min(max(bat.soc_initial, bat.soc_min), bat.soc_min + window)})})
    out = profiles.assign(pv_pu=profiles["pv_pu"] * f["pv"],
                          wind_pu=profiles["wind_pu"] * f["wind"],
                          load=profiles["load"] * f["load"])
    return proxy_park, out


def size_for_life(park: ParkConfig, profiles, *, onsite_share: float | None = None,
                  life_profiles: list[xr.Dataset] | None = None) -> LifeSizing:
    """Least-cost capacities (under the proxy) whose on-site share holds in every year of life.

    Parameters
    ----------
    park : ParkConfig
        ``economics.project_life_yr``, ageing and replacement rules, load growth.
    profiles : xarray.Dataset or mapping of year -> Dataset
        What :func:`energysim.sizing.size` takes (weather years: robust sizing).
    onsite_share : float, optional
        Target [0-1]; default ``park.targets.onsite_share``.
    life_profiles : list of xarray.Dataset, optional
        Weather years the lifetime simulation cycles through; default the
        values of ``profiles`` (or the one Dataset).

    Raises
    ------
    ConfigError
        The park lists ``[[procurement]]`` products (not modelled over the life yet).
    SolverError
        No proxy target up to 1 gives a design that holds the target in every
        year of life within :data:`MAX_ROUNDS` rounds.
    """
    from energysim.lifetime import simulate_lifetime
    from energysim.procurement import not_supported
    from energysim.sizing import size

    not_supported(park, "sizing for the years of life")  # before any solve, not after
    target = park.targets.onsite_share if onsite_share is None else float(onsite_share)
    f = proxy_factors(park)
    many = isinstance(profiles, dict)
    by = profiles if many else {None: profiles}
    proxies = {y: _proxy(park, p, f) for y, p in by.items()}
    proxy_park = next(iter(proxies.values()))[0]
    proxy_profiles = {y: pp for y, (_, pp) in proxies.items()}
    life_profiles = life_profiles or list(by.values())
    asked, last, best = [], None, None
    proxy_target = target
    for _ in range(MAX_ROUNDS):
        sized = size(proxy_park, proxy_profiles if many else proxy_profiles[None],
                     onsite_share=min(max(proxy_target, 0.0), 1.0))
        life = simulate_lifetime(park, sized.capacities, profiles=life_profiles)
        asked.append(proxy_target)
        worst = float(life.table["onsite_share"].min())
        if worst >= target - _TOL and (best is None
                                        or sized.annualized_cost < best.sizing.annualized_cost):
            best = LifeSizing(sized, life, target, list(asked), f)
        if target - _TOL <= worst <= target + SLACK:
            break  # certified, and the proxy no longer over-builds much
        step = target - worst  # > 0: raise the proxy's target; < 0: it over-builds
        if last is not None and proxy_target != last[0] and worst != last[1]:
            slope = (worst - last[1]) / (proxy_target - last[0])
            step = step / slope if 0.1 <= slope <= 10 else step
        last = (proxy_target, worst)
        if proxy_target >= 1.0 and step > 0:
            break
        proxy_target = min(1.0, proxy_target + step + (1e-5 if step > 0 else 0.0))
    if best is not None:
        best.proxy_targets = asked
        return best
    raise SolverError(problem(
        f"no design found whose on-site share holds {target:.4f} in every year of life: the "
        f"best reaches {worst:.4f} in its worst year after {len(asked)} rounds of the "
        "last-year proxy; relax the target, the capacity bounds or the battery replacement "
        "rule", source=park.source, field="targets.onsite_share", value=target))
