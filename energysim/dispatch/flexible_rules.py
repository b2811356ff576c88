r"""Rule-based dispatch of a park with flexible demand.

Flexible demand: electrolyser, hydrogen store, shiftable load.

The documented rule (issue #19), hour by hour, on top of the greedy rules of
:mod:`energysim.dispatch.kernel` (whose :func:`~kernel._drive`,
:func:`~kernel._step` and :func:`~kernel._settle` it reuses):

1. **what must be served this hour**: the fixed part of the load, the least
   of the shiftable part that keeps its backlog within the window (the
   bounds of :func:`energysim.flexible.window_caps`), and the least
   electrolyser draw: the must-run floor, or what the hydrogen demand needs
   **only when the store would run dry** (demand beyond the store's content);
   with a sale price above the hour's import cost per kg the electrolyser runs
   at full power (grid hydrogen for sale pays).
2. on-site generation serves that first; **on-site surplus goes first to the
   shiftable load** (up to what the window and its power allow), **then to the
   electrolyser** (up to its capacity and the store's room; with a sale price
   the hydrogen the store cannot hold is sold), then to the battery, export
   and curtailment as without flexible demand.
3. a deficit is met by the battery, then the **fuel cell** from the hydrogen
   above a reserve of the coming ``fuel_cell_reserve_h`` hours of demand, then
   the **curtailable load is shed** when import (price + green premium) costs
   more than the penalty (and always instead of unserved load), then the grid.
4. **hydrogen demand is met from the store**; the store is cyclic over the
   run (with the battery: both found by fixed-point iteration, see
   :func:`run`).

The state carried across hours — battery energy, hydrogen store, shiftable
backlog, green volume left — makes this a serial loop (no split fast path).
Grid charging of the battery is not combined with flexible demand.
On-site energy served (``onsite_served``) is on-site supply to load and
electrolyser, directly, via the battery or via the fuel cell; the shares
built from it are defined in :func:`energysim.accounting.share_kpis`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from energysim import flexible as fx_model
from energysim.config import Capacities, ParkConfig
from energysim.dispatch import kernel
from energysim.dispatch.kernel import Flows, jit
from energysim.dispatch.params import check_params, check_series, dispatch_params, kernel_rules
from energysim.errors import ConfigError, problem
from energysim.nomenclature import attrs

__all__ = ["FLEX_HOURLY", "FlexSeries", "FlexKit", "FlexRules", "run", "dispatch_flexible"]


class FlexFlows(NamedTuple):
    """One hour's flexible-demand flows, fields in :data:`FLEX_HOURLY` order."""

    electrolyser: float
    hydrogen_production: float
    hydrogen_soc: float
    hydrogen_delivered: float
    hydrogen_unmet: float
    hydrogen_sold: float
    fuel_cell: float
    fuel_cell_hydrogen: float
    flexible_load: float
    flexible_backlog: float
    load_shed: float


#: Rows of the flexible-demand hourly output (see :data:`energysim.flexible.FLEX_FLOWS`).
FLEX_HOURLY = fx_model.FLEX_FLOWS
assert FlexFlows._fields == FLEX_HOURLY
N_FLEX = len(FLEX_HOURLY)


class FlexSeries(NamedTuple):
    """Hourly inputs of flexible demand (1-D float64 arrays, one value per step)."""

    base: np.ndarray  #: movable base of the load [MW]
    late: np.ndarray  #: most energy deferred after the step [MWh]
    early: np.ndarray  #: most energy served ahead after the step [MWh]
    demand: np.ndarray  #: hydrogen demand [kg/h]
    reserve: np.ndarray  #: hydrogen the fuel cell leaves for coming demand [kg]
    shed: np.ndarray  #: load that may be shed [MW]
    day_last: np.ndarray  #: index of the last step of each step's day [-]


class FlexKit(NamedTuple):
    """Capacities of the flexible-demand assets."""

    electrolyser_mw: float = 0.0  #: electric input [MW]
    hydrogen_kg: float = 0.0  #: store [kg]
    fuel_cell_mw: float = 0.0  #: electric output [MW]


class FlexRules(NamedTuple):
    """Scalar rules of flexible demand (physical units)."""

    window_steps: int = 0  #: shift window [steps]
    kg_per_mwh: float = 0.0  #: hydrogen per MWh of electrolyser input [kg/MWh]
    fc_mwh_per_kg: float = 1.0  #: fuel cell output per kg [MWh/kg]
    min_load: float = 0.0  #: must-run floor [share of electrolyser capacity]
    shift_max_mw: float = np.inf  #: most power of the shiftable part [MW]
    sale_per_mwh: float = -1.0  #: sale value per MWh electrolysed [money/MWh]; < 0: no sale
    sale_max_kg: float = np.inf  #: most hydrogen sold in a step [kg]
    shed_penalty: float = 0.0  #: cost of load shed [money/MWh]
    green_premium: float = 0.0  #: green premium of imports [money/MWh]
    store_initial: float = 0.0  #: store at the start (first guess if cyclic) [kg]
    cyclic: bool = True  #: store at the end = at the start


@jit(cache=False)
def _surplus(x, kit, k):
    """On-site surplus beyond the whole load in hour k [MW] (>= 0)."""
    return max(x.pv_pu[k] * kit.pv_mw + x.wind_pu[k] * kit.wind_mw - x.load[k], 0.0)


@jit(cache=False)
def _shift_bounds(t, x, fx, kit, fr, backlog, dt):
    """Least and most draw of the shiftable part in hour t [MW] (rules 1-2).

    Hard bounds: the window (:func:`energysim.flexible.window_caps`) and the
    power limit. Within them, with the day's profiles as a perfect forecast:
    the least draw keeps a backlog only as large as the next run of on-site
    surplus of the day can take within the window (deferring hour after hour
    carries it there), and the most draw serves ahead only the coming
    window's demand that its own hour's surplus will not cover (this hour's
    surplus is not spent on demand later surplus would serve anyway).
    """
    f = fx.base[t]
    lo = max(backlog + f * dt - fx.late[t], 0.0) / dt
    hi = min((backlog + f * dt + fx.early[t]) / dt, fr.shift_max_mw)
    lo = min(lo, hi)
    last = int(fx.day_last[t])
    start = t + 1
    while start <= last and _surplus(x, kit, start) <= 0.0:
        start += 1
    absorbable = 0.0
    for k in range(start, min(start + fr.window_steps, last + 1)):
        absorbable += _surplus(x, kit, k) * dt
    uncovered = 0.0
    for k in range(t + 1, min(t + fr.window_steps, last) + 1):
        own = max(x.pv_pu[k] * kit.pv_mw + x.wind_pu[k] * kit.wind_mw - (x.load[k] - fx.base[k]),
                  0.0)
        uncovered += max(fx.base[k] - own, 0.0) * dt
    soft_lo = min(max(lo, (backlog + f * dt - absorbable) / dt), hi)
    soft_hi = max(min(hi, (backlog + f * dt + uncovered) / dt), soft_lo)
    return soft_lo, soft_hi


@jit(cache=False)
def _hydrogen_bounds(t, x, fx, fkit, fr, h, dt):
    """Electrolyser draw bounds [MW] (least, most) and the hour's demand [kg] (rule 1)."""
    need = fx.demand[t] * dt
    per_mw = fr.kg_per_mwh * dt  # kg per MW over the step
    cap = fkit.electrolyser_mw
    if per_mw <= 0.0 or cap <= 0.0:
        return 0.0, 0.0, need
    sold_max = fr.sale_max_kg if fr.sale_per_mwh >= 0.0 else 0.0
    e_hi = min(cap, max(fkit.hydrogen_kg - h + need + sold_max, 0.0) / per_mw)
    e_lo = min(max(max(need - h, 0.0) / per_mw, fr.min_load * cap), e_hi)
    if sold_max > 0.0 and fr.sale_per_mwh > x.price[t] + fr.green_premium:
        e_lo = e_hi
    return e_lo, e_hi, need


@jit(cache=False)
def _flex_hour(t, x, fx, kit, fkit, rules, fr, b, a, green_left, h, backlog):
    """Flows of hour t (kernel flows, flexible flows) and the new state."""
    dt = rules.dt_h
    f = fx.base[t]
    fixed = x.load[t] - f
    lo, hi = _shift_bounds(t, x, fx, kit, fr, backlog, dt)
    e_lo, e_hi, need = _hydrogen_bounds(t, x, fx, fkit, fr, h, dt)
    pv, wind, _, direct, surplus, deficit, _, down = kernel._drive(
        x.pv_pu[t], x.wind_pu[t], fixed + lo + e_lo, kit, b)
    x_flex = min(surplus, hi - lo)
    x_el = min(surplus - x_flex, e_hi - e_lo)
    surplus = surplus - x_flex - x_el
    up = min(surplus * b.stored_per_mw, b.up_max)
    a_kept = a * b.keep
    a = kernel._step(a_kept, up, down, b.window)
    moved = a - a_kept
    rest = deficit - min(max(-moved, 0.0) * b.mw_per_avail, deficit)
    e = e_lo + x_el
    prod = e * fr.kg_per_mwh * dt
    draw = min(need, h + prod)
    fc_h2 = max(h + prod - draw - fx.reserve[t], 0.0)
    fc = min(fkit.fuel_cell_mw, rest, fc_h2 * fr.fc_mwh_per_kg / dt)
    fc_kg = fc * dt / fr.fc_mwh_per_kg
    rest -= fc
    if x.price[t] + fr.green_premium > fr.shed_penalty:
        shed = min(fx.shed[t], rest)
    else:  # shedding costs more than importing: only instead of unserved load
        shed = min(fx.shed[t], max(rest - rules.import_max_mw, 0.0))
    green_cap = min(rules.green_block_mw, green_left * (1.0 / dt))
    ch, ex, cu, dis, _, unmet, green, regular = kernel._settle(
        moved, surplus, deficit - fc - shed, green_cap, b, rules)
    h_new = h + prod - draw - fc_kg
    sold = min(max(h_new - fkit.hydrogen_kg, 0.0), fr.sale_max_kg) if fr.sale_per_mwh >= 0.0 \
        else 0.0
    h_next = min(max(h_new - sold, 0.0), fkit.hydrogen_kg)
    y = lo + x_flex
    backlog = min(max(backlog + (f - y) * dt, -fx.early[t]), fx.late[t])
    flows = Flows(pv=pv, wind=wind, load=fixed - shed + y, import_green=green,
                  import_regular=regular, export=ex, charge=ch, discharge=dis, curtail=cu,
                  unmet=unmet, soc=b.e_min + a, onsite_served=direct + x_flex + x_el + dis + fc,
                  charge_grid=0.0)
    flex = FlexFlows(electrolyser=e, hydrogen_production=prod / dt, hydrogen_soc=h_next,
                     hydrogen_delivered=draw / dt, hydrogen_unmet=(need - draw) / dt,
                     hydrogen_sold=sold / dt, fuel_cell=fc, fuel_cell_hydrogen=fc_kg / dt,
                     flexible_load=y, flexible_backlog=backlog, load_shed=shed)
    return flows, flex, a, green_left - green * dt, h_next, backlog


@jit(cache=False)
def _flex_year(x, fx, kit, fkit, rules, fr, a, h, record, hourly, fhourly, totals):
    """One run from battery energy above the floor ``a`` [MWh] and store ``h`` [kg].

    Returns both at the end. Backlog and green volume start fresh.
    """
    b = kernel._battery(kit, rules)
    green_left = rules.green_budget_mwh
    backlog = 0.0
    acc = kernel._ZERO
    for t in range(x.load.shape[0]):
        f, g, a, green_left, h, backlog = _flex_hour(t, x, fx, kit, fkit, rules, fr, b, a,
                                                     green_left, h, backlog)
        acc = kernel._add_ordered(acc, f, x.price[t], x.emission[t])
        if record:
            kernel._record(hourly, t, f)
            for k in range(N_FLEX):
                fhourly[k, t] = g[k]
    kernel._store(acc, rules.dt_h, totals)
    return a, h


@jit(cache=False)
def _flex_solve(x, fx, kit, fkit, rules, fr, totals):
    """Start state (cyclic: fixed point of battery and store) and the totals of its run."""
    b = kernel._battery(kit, rules)
    a = max(rules.soc_initial * kit.battery_mwh - b.e_min, 0.0)
    h = min(fr.store_initial, fkit.hydrogen_kg)
    empty = np.empty((0, 0))
    it = 0
    while True:
        it += 1
        a_end, h_end = _flex_year(x, fx, kit, fkit, rules, fr, a, h, False, empty, empty, totals)
        gap_a, gap_h = a_end - a, h_end - h
        done_a = not rules.cyclic or abs(gap_a) <= rules.cyclic_tol * kit.battery_mwh
        done_h = not fr.cyclic or abs(gap_h) <= rules.cyclic_tol * fkit.hydrogen_kg
        if (done_a and done_h) or it >= rules.max_iter:
            return a, h, it, gap_a, gap_h
        if rules.cyclic:
            a = a_end
        if fr.cyclic:
            h = h_end


@jit(cache=False)
def run(x, fx, kit, fkit, rules, fr):
    """Solve the start state, then record the run.

    Returns ``(hourly, flex_hourly, totals, soc_start_mwh, store_start_kg,
    iterations, gap_mwh, gap_kg)``: ``hourly`` (N_HOURLY, hours) rows as
    :data:`kernel.HOURLY`, ``flex_hourly`` (N_FLEX, hours) rows as
    :data:`FLEX_HOURLY`, ``totals`` as :func:`kernel.year`. Cyclic runs iterate
    the start state ``s <- end(s)`` for the battery and the store together
    until both ends meet their starts within ``cyclic_tol`` x capacity (each
    end is non-decreasing in its start; the greedy rules drive the store to a
    bound within a year unless production and use balance exactly). Plain
    fixed-point steps, no secant step as in :mod:`kernel`: a leaking battery
    that never reaches a bound converges only geometrically, so ``max_iter``
    bounds the runs and the gaps are returned (Flows attrs ``cyclic_gap_mwh``,
    ``hydrogen_cyclic_gap_kg``).
    """
    n = x.load.shape[0]
    totals = np.zeros(kernel.N_TOTALS)
    a, h, it, gap_a, gap_h = _flex_solve(x, fx, kit, fkit, rules, fr, totals)
    hourly = np.empty((kernel.N_HOURLY, n))
    fhourly = np.empty((N_FLEX, n))
    _flex_year(x, fx, kit, fkit, rules, fr, a, h, True, hourly, fhourly, totals)
    b = kernel._battery(kit, rules)
    return hourly, fhourly, totals, b.e_min + a, h, it, gap_a, gap_h


# ---------------------------------------------------------------------------
# the wrapper: profiles + capacities + park -> Flows Dataset
# ---------------------------------------------------------------------------


def flex_series(park: ParkConfig, profiles: xr.Dataset, load: np.ndarray, dt_h: float,
                segment_h: int | None = None) -> FlexSeries:
    """Hourly inputs of the rules (and of the LP's bounds) from the park and its profiles."""
    p = fx_model.params(park)
    n = load.size
    fx_model.check_shift_power(park, load)
    base = load * p.shift_share
    day = (segment_h or fx_model.day_steps(dt_h)) if p.shift_share > 0 else max(n, 1)
    steps = int(round(p.window_h / dt_h))
    late, early = fx_model.window_caps(base, steps, dt_h, p.shift_max_mw, day)
    if fx_model.hydrogen_active(park):
        demand = fx_model.hydrogen_demand(park, profiles, n)
        reserve = fx_model.reserve_kg(demand, p.reserve_h, dt_h, p.store_cyclic)
    else:
        demand = reserve = np.zeros(n)
    last = np.minimum((np.arange(n) // day + 1) * day, n) - 1.0
    return FlexSeries(base, late, early, demand, reserve, load * p.shed_share, last)


def _rules(park: ParkConfig, capacities: Capacities, dt_h: float) -> tuple[FlexKit, FlexRules]:
    p = fx_model.params(park)
    kit = FlexKit(float(capacities.electrolyser_mw), float(capacities.hydrogen_storage_kg),
                  float(capacities.fuel_cell_mw))
    kg_per_mwh = 1.0 / p.mwh_per_kg if p.mwh_per_kg > 0 else 0.0
    sale = p.sale_price_per_kg * kg_per_mwh if p.sale_price_per_kg >= 0 else -1.0
    rules = FlexRules(window_steps=int(round(p.window_h / dt_h)), kg_per_mwh=kg_per_mwh,
                      fc_mwh_per_kg=p.fc_mwh_per_kg or 1.0,
                      min_load=p.min_load_fraction, shift_max_mw=p.shift_max_mw,
                      sale_per_mwh=sale, sale_max_kg=p.sale_max_kg_per_h * dt_h,
                      shed_penalty=p.shed_penalty_per_mwh,
                      green_premium=park.grid.green_premium_per_mwh,
                      store_initial=p.store_initial_fraction * kit.hydrogen_kg,
                      cyclic=bool(p.store_cyclic))
    return kit, rules


def dispatch_flexible(profiles: xr.Dataset, capacities: Capacities, park: ParkConfig
                      ) -> xr.Dataset:
    """Rule-based hourly dispatch of a park with flexible demand: the Flows Dataset.

    As :func:`energysim.dispatch.dispatch`, plus the hourly flows of
    :data:`FLEX_HOURLY` (electrolyser [MW], hydrogen store [kg] ...); attrs
    also ``electrolyser_mwh_per_kg`` (accounting needs it),
    ``hydrogen_start_kg`` and ``hydrogen_cyclic_gap_kg``.
    """
    if park.battery.grid_charging:
        raise ConfigError(problem("battery grid charging is not combined with flexible demand "
                                  "([electrolyser], [load.flexible])", source=park.source,
                                  field="battery.grid_charging", value=True))
    unmodelled = [(field, value) for field, value in (
        ("[tariff] peak_shaving_mw", park.tariff.peak_shaving_mw),
        ("[procurement]", [p.name for p in park.procurement] or None)) if value is not None]
    if unmodelled:  # the flexible rules have no peak-shaving rule and no product labels
        raise ConfigError([problem(
            "the rules of flexible demand do not model this; use [battery] dispatch = "
            "\"optimal\" (the default with flexible demand)", source=park.source, field=field,
            value=value) for field, value in unmodelled])
    src = str(profiles.attrs.get("source", "profiles"))
    dt_h = float(profiles.attrs.get("dt_h", 1.0))
    params = dispatch_params(park.battery, park.grid, capacities, dt_h=dt_h, tariff=park.tariff)
    check_params(params)
    load = check_series("load", profiles["load"].values, None, src)
    n = load.shape[0]
    arrays = [check_series(name, profiles[name].values, n, src) for name in ("pv_pu", "wind_pu")]
    optional = [check_series(name, profiles[name].values, n, src)
                if name in profiles else np.zeros(n)
                for name in ("import_price_per_mwh", "emission_factor_t_per_mwh")]
    x = kernel.Series(arrays[0], arrays[1], load, optional[0], optional[1])
    kit = kernel.Kit(float(capacities.pv_mw), float(capacities.wind_mw),
                     float(capacities.battery_mwh), float(capacities.battery_mw))
    fkit, frules = _rules(park, capacities, dt_h)
    out = run(x, flex_series(park, profiles, load, dt_h), kit, fkit, kernel_rules(params, n),
              frules)
    hourly, fhourly, _, s0, h0, it, gap, gap_h = out
    data = {name: ("time", hourly[i], attrs(name)) for i, name in enumerate(kernel.HOURLY)}
    data.update({name: ("time", fhourly[i], attrs(name)) for i, name in enumerate(FLEX_HOURLY)})
    ds = xr.Dataset(data, coords={"time": profiles["time"]})
    throughput = float(hourly[kernel.ROW.discharge].sum()) * dt_h
    ds.attrs.update(
        dt_h=dt_h, throughput_mwh=throughput,
        equivalent_full_cycles=throughput / capacities.battery_mwh
        if capacities.battery_mwh > 0 else 0.0,
        cyclic_iterations=int(it), cyclic_gap_mwh=float(gap), soc_start_mwh=float(s0),
        hydrogen_start_kg=float(h0), hydrogen_cyclic_gap_kg=float(gap_h),
        electrolyser_mwh_per_kg=fx_model.params(park).mwh_per_kg)
    return ds
