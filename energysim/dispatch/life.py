"""Numba core of the lifetime simulation: every year of a project's life in one call.

Year k of life is dispatched like a single-year run (the cyclic solve of
:mod:`energysim.dispatch.kernel`, same rules, same bits) on its weather year,
its grown load and its degraded capacities: PV and wind times their decline
factors, battery usable energy times its state of health (SoH). The battery's
SoC path of that year then ages it (:mod:`energysim.degradation`): rainflow
cycles (or throughput) give the cycle fade, time the calendar fade, and the
SoH of year k + 1 follows — or the battery is replaced (SoH back to 1) when it
fell below ``replace_at_soh`` or its replacement year has come. The loop over
years, the counting and the update run here, in one compiled call.

Each year is solved as a single-year run is — cyclic (end SoC = start SoC) by
default: the state carried from year to year is the battery's health, not its
charge (at most one battery content per year, against an annual throughput of
hundreds). The cyclic solve of year k + 1 starts from year k's start state,
which usually ends it after one run (a year ending with an empty battery ends
so again); with nothing degrading, every year repeats year one bit for bit.
SoH is constant within a year.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from energysim.degradation import (
    calendar_fade,
    cycle_damage,
    cycle_fade,
    next_state_of_health,
    throughput_damage,
    variation_damage,
)
from energysim.dispatch.kernel import COLUMN, N_TOTALS, Kit, Series, _solve, jit
from energysim.dispatch.params import (
    DispatchParams,
    annual_totals,
    check_params,
    check_series,
    kernel_rules,
)
from energysim.timeaxis import annual_scale

__all__ = ["Aging", "AGING_MODELS", "LIFE", "N_LIFE", "simulate_years", "run_life"]

#: Cycle-fade models, by config name (``battery.degradation``).
AGING_MODELS = {"none": 0, "throughput": 1, "rainflow": 2}
_THROUGHPUT, _RAINFLOW = AGING_MODELS["throughput"], AGING_MODELS["rainflow"]

class LifeRow(NamedTuple):
    """One year of life, fields in :data:`LIFE` order (a row of the per-year output)."""

    battery_soh: float
    replaced: float
    battery_damage: float
    battery_fade_cycle: float
    battery_fade_calendar: float
    cyclic_iterations: float


#: Columns of the per-year output of :func:`simulate_years`.
LIFE = LifeRow._fields
N_LIFE = len(LIFE)


class Aging(NamedTuple):
    """Battery ageing and replacement rules (build from the config's ``[battery]``)."""

    model: int = AGING_MODELS["rainflow"]  #: cycle-fade model, a value of AGING_MODELS
    cycle_life: float = 6000.0  #: cycles at 100 % depth to end_soh [cycles]
    dod_exponent: float = 1.0  #: Woehler exponent k of the cycle life [-]
    end_soh: float = 0.8  #: SoH at the end of the rated cycle life [-]
    calendar_fade_pct_yr: float = 0.0  #: calendar fade [%/yr]
    replace_at_soh: float = 0.0  #: replace when the SoH falls below it [-]; 0: never
    replace_every_yr: int = 0  #: replace every so many years [yr]; 0: never


@jit(cache=False)  # calls kernel.py and degradation.py code (see kernel.jit)
def _year_damage(aging, path, kit, rules, totals):
    """Cycle damage of one run [-] from its SoC path or its throughput (``aging.model``)."""
    if aging.model == _RAINFLOW and aging.dod_exponent == 1.0:  # the same sum, not counted
        return variation_damage(path, kit.battery_mwh, aging.cycle_life)
    if aging.model == _RAINFLOW:
        return cycle_damage(path, kit.battery_mwh, aging.cycle_life, aging.dod_exponent)
    if aging.model == _THROUGHPUT:
        removed = totals[COLUMN.discharge] / rules.eta_discharge  # out of storage [MWh]
        return throughput_damage(removed, kit.battery_mwh, aging.cycle_life)
    return 0.0


@jit
def _replace(aging, year, soh_end):
    """Whether the battery is replaced before year ``year + 1`` (0-based ``year`` just ended)."""
    worn = aging.replace_at_soh > 0.0 and soh_end < aging.replace_at_soh
    due = aging.replace_every_yr > 0 and (year + 1) % aging.replace_every_yr == 0
    return worn or due


@jit(cache=False)  # calls kernel.py and degradation.py code (see kernel.jit)
def simulate_years(x, weather, load_factor, pv_factor, wind_factor, kit, rules, aging,
                   year_scale, out_totals, out_life):
    """Dispatch and age a park over its life, year by year.

    Parameters
    ----------
    x : Series
        Profiles of the weather years, (weather years, hours) arrays.
    weather : int64[:]
        Weather year (row of ``x``) of each year of life.
    load_factor, pv_factor, wind_factor : float64[:]
        Per year of life: load growth, PV and wind output relative to year one [-].
    kit : Kit
        Nameplate capacities [MWp, MW, MWh usable, MW].
    rules : Rules
        Dispatch rules (``cyclic`` as configured).
    aging : Aging
        Battery ageing and replacement.
    year_scale : float
        Years of life one run of the profiles stands for, 8760 / (hours x dt) [-]:
        scales the run's cycle damage to a year.
    out_totals : float64[:, :]
        Output (years of life, N_TOTALS): the run's sums, as :func:`kernel.solve`.
    out_life : float64[:, :]
        Output (years of life, N_LIFE), columns :data:`LIFE`: SoH used in the
        year, replaced at its start (1/0), damage, cycle and calendar fade of
        the year [fraction of nameplate], cyclic runs made.
    """
    n = x.load.shape[1]
    load = np.empty(n)
    path = np.empty(n + 1)
    has_battery = kit.battery_mwh > 0.0
    soh = 1.0
    replaced = False
    start = -1.0  # year one: the configured first guess; later years: last year's start
    for k in range(weather.shape[0]):
        w = weather[k]
        grown = x.load[w]
        if load_factor[k] != 1.0:
            for t in range(n):
                load[t] = x.load[w, t] * load_factor[k]
            grown = load
        xk = Series(x.pv_pu[w], x.wind_pu[w], grown, x.price[w], x.emission[w])
        kit_k = Kit(kit.pv_mw * pv_factor[k], kit.wind_mw * wind_factor[k],
                    kit.battery_mwh * soh, kit.battery_mw)
        s_on, s_gr, it, _ = _solve(xk, kit_k, rules, out_totals[k], path, start)
        if rules.cyclic:
            start = s_on + s_gr
        damage = _year_damage(aging, path, kit_k, rules, out_totals[k]) * year_scale
        fade_cycle = cycle_fade(damage, aging.end_soh)
        fade_calendar = calendar_fade(aging.calendar_fade_pct_yr, 1.0) if has_battery else 0.0
        row = LifeRow(soh, 1.0 if replaced else 0.0, damage, fade_cycle, fade_calendar,
                      float(it))
        for j in range(N_LIFE):
            out_life[k, j] = row[j]
        soh = next_state_of_health(soh, fade_cycle, fade_calendar)
        replaced = has_battery and _replace(aging, k, soh)
        if replaced:
            soh = 1.0


def run_life(profiles: dict, weather, load_factor, pv_factor, wind_factor, kit: Kit,
             params: DispatchParams, aging: Aging) -> tuple[np.ndarray, np.ndarray]:
    """Validate, run :func:`simulate_years`, scale its totals to a year.

    Parameters
    ----------
    profiles : dict of array_like
        (weather years, hours) ``pv_pu``, ``wind_pu``, ``load``,
        ``import_price_per_mwh``, ``emission_factor_t_per_mwh``.
    weather, load_factor, pv_factor, wind_factor : array_like
        Per year of life (see :func:`simulate_years`).
    kit : Kit
        Nameplate capacities.
    params : DispatchParams
        Dispatch rules (its battery size is ignored).
    aging : Aging
        Battery ageing and replacement.

    Returns
    -------
    totals : float64[:, :]
        (years of life, N_TOTALS), per year (8760 / (hours x dt) scaling),
        columns :data:`energysim.dispatch.TOTAL_KEYS`.
    life : float64[:, :]
        (years of life, N_LIFE), columns :data:`LIFE`.
    """
    check_params(params)
    src = "lifetime profiles"
    pv = check_series("pv_pu", profiles["pv_pu"], None, src, ndim=2)
    n_weather, hours = pv.shape
    arrays = [pv] + [check_series(name, profiles[name], hours, src, ndim=2)
                     for name in ("wind_pu", "load", "import_price_per_mwh",
                                  "emission_factor_t_per_mwh")]
    weather = np.ascontiguousarray(weather, dtype=np.int64)
    years = weather.shape[0]
    per_year = [np.ascontiguousarray(np.broadcast_to(np.asarray(f, dtype=np.float64), (years,)))
                for f in (load_factor, pv_factor, wind_factor)]
    out_totals = np.zeros((years, N_TOTALS))
    out_life = np.zeros((years, N_LIFE))
    simulate_years(Series(*arrays), weather % n_weather, *per_year, kit,
                   kernel_rules(params, hours), aging, annual_scale(hours, params.dt_h),
                   out_totals, out_life)
    return annual_totals(out_totals, hours, params.dt_h), out_life
