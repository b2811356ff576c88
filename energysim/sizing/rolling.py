"""Rolling-horizon dispatch: what an energy-management system can do (the ``rolling`` mode).

Every ``rolling_step_h`` hours the battery is re-planned over the next
``rolling_horizon_h`` hours by the same least-cost program as the optimal
dispatch (:mod:`energysim.sizing.fixed`), starting from the state of charge
reached so far and with the month's import peak so far as a floor of the
demand charge. The first ``rolling_step_h`` hours of each plan are applied,
then the window moves on.

- Each window ends without a cyclic condition; energy left in the battery is
  valued at the window's mean import price times the discharge efficiency (a
  terminal value, so a plan does not empty the battery just because its
  window ends). The run starts at ``[battery] soc_initial`` and its last
  window must end with at least that much stored, so the run does not spend
  energy it did not collect (the optimal dispatch is cyclic).
- The park's annual share targets cannot be enforced inside a window of a few
  days; the windows minimise cost only. A window covering the whole horizon is
  the optimal dispatch itself (targets included), so the rolling result then
  equals ``optimal``.
- Forecasts: ``perfect`` (the window sees the actual profiles) or
  ``persistence`` (beyond the current hour PV, wind and load are those of 24 h
  earlier). With persistence the plan's battery power of each applied hour is
  replayed on the actual hour: charge only from actual on-site surplus,
  discharge only into actual deficit, within power and state of charge; the
  grid (then unmet load) covers the rest, surplus is exported up to the limit,
  then curtailed.

Costs are the accounting's (:func:`energysim.accounting.totals_of`) of the
resulting flows; :func:`gap_to_optimal` compares them with the optimal
dispatch.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.errors import SolverError
from energysim.nomenclature import attrs

__all__ = ["rolling_dispatch"]

_FLOWS = ("pv", "wind", "load", "import_green", "import_regular", "export", "charge",
          "discharge", "curtail", "unmet", "soc", "onsite_served")


def _window_park(park: ParkConfig, soc_mwh: float, energy_mwh: float) -> ParkConfig:
    """The park for one window: non-cyclic, starting at ``soc_mwh``."""
    bat = park.battery
    frac = bat.soc_initial if energy_mwh <= 0 else min(max(soc_mwh / energy_mwh, bat.soc_min),
                                                        bat.soc_max)
    return park.model_copy(update={"battery": bat.model_copy(update={
        "cyclic": False, "soc_initial": frac})})


def _forecast(profiles: xr.Dataset, start: int, stop: int, kind: str) -> xr.Dataset:
    """Profiles of hours [start, stop) as the window sees them."""
    window = profiles.isel(time=slice(start, stop))
    if kind == "perfect":
        return window
    lagged = {}
    for name in ("pv_pu", "wind_pu", "load"):
        values = window[name].values.copy()
        src = np.arange(start, stop) - 24
        ok = src >= 0
        ok[0] = False  # the current hour is known
        values[ok] = profiles[name].values[src[ok]]
        lagged[name] = ("time", values, window[name].attrs)
    return window.assign(lagged)


def _plan(park, window: xr.Dataset, capacities: Capacities, soc_mwh: float,
          peak_floor_mw: float | None, end_floor_mwh: float | None = None) -> xr.Dataset:
    """Least-cost flows of one window.

    Optimal dispatch, no targets, terminal value; the last window ends with at least
    ``end_floor_mwh`` stored.
    """
    from energysim.sizing.fixed import FixedDispatch

    fd = FixedDispatch(_window_park(park, soc_mwh, capacities.battery_mwh), window, targets=False)
    op, s = fd.sm.ops[0], fd.solver
    soc = op.flows["soc"]
    assert soc is not None, "the operation program always has the soc column"
    last = soc[-1:]
    value = (float(np.mean(op.data.price)) * park.battery.eta_discharge
             * op.data.scaling.power_mw / op.data.scaling.money)
    s.set_costs(last, -value)  # stored energy at the end is worth its later use
    if end_floor_mwh is not None:
        s.set_col_bounds(last, end_floor_mwh / op.data.scaling.power_mw, np.inf)
    peaks = op.aux.get("monthly_peak")
    if peaks is not None and peak_floor_mw:
        s.set_col_bounds(peaks[:1], peak_floor_mw / op.data.scaling.power_mw, np.inf)
    return fd.run(capacities)


def _replay(plan: xr.Dataset, actual: xr.Dataset, capacities: Capacities, park: ParkConfig,
            soc_mwh: float) -> dict[str, np.ndarray]:
    """The plan's battery power applied to the actual hours (persistence forecasts)."""
    bat, n = park.battery, actual.sizes["time"]
    dt = float(actual.attrs.get("dt_h", 1.0))
    keep = 1.0 - bat.self_discharge_per_h * dt
    e_min, e_max = bat.soc_min * capacities.battery_mwh, bat.soc_max * capacities.battery_mwh
    pv = actual["pv_pu"].values * capacities.pv_mw
    wind = actual["wind_pu"].values * capacities.wind_mw
    load = actual["load"].values
    out = {k: np.zeros(n) for k in _FLOWS}
    green_cap = _green_labeller(park, n, dt)
    s = soc_mwh
    for t in range(n):
        gen, ld = pv[t] + wind[t], load[t]
        direct = min(gen, ld)
        s = e_min + keep * (s - e_min)
        ch = min(plan["charge"].values[t], gen - direct, (e_max - s) / (bat.eta_charge * dt))
        dis = min(plan["discharge"].values[t], ld - direct, (s - e_min) * bat.eta_discharge / dt)
        ch, dis = max(ch, 0.0), max(dis, 0.0)
        s += (ch * bat.eta_charge - dis / bat.eta_discharge) * dt
        surplus, deficit = gen - direct - ch, ld - direct - dis
        ex = min(surplus, park.grid.export_max_mw)
        imp = min(deficit, park.grid.import_max_mw)
        out["pv"][t], out["wind"][t], out["load"][t] = pv[t], wind[t], ld
        green = min(imp, green_cap(t, imp))
        out["import_green"][t], out["import_regular"][t] = green, imp - green
        out["charge"][t], out["discharge"][t], out["export"][t] = ch, dis, ex
        out["curtail"][t], out["unmet"][t], out["soc"][t] = surplus - ex, deficit - imp, s
        out["onsite_served"][t] = direct + dis
    return out


def _green_labeller(park: ParkConfig, n: int, dt: float):
    """Green cap of an hour's imports [MW] under ``[grid]`` green rules.

    As the dispatch core: all imports green, a flat hourly block, or an annual volume consumed
    in order.
    """
    from energysim.timeaxis import HOURS_PER_YEAR

    volume, matching = park.grid.green_volume_mwh, park.grid.green_matching
    if volume == "remainder":
        return lambda t, imp: imp
    if matching == "hourly":
        return lambda t, imp: volume / HOURS_PER_YEAR
    left = [volume * n * dt / HOURS_PER_YEAR]  # this window's share of the annual volume

    def cap(t, imp):
        g = min(imp, left[0] / dt)
        left[0] -= g * dt
        return g
    return cap


def rolling_dispatch(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities
                     ) -> xr.Dataset:
    """Rolling-horizon dispatch of ``profiles`` at ``capacities`` (module docstring).

    Returns a Flows Dataset with ``dispatch_mode = "rolling"`` and the step,
    horizon and forecast in its attributes.
    """
    from energysim.sizing.fixed import FixedDispatch

    bat = park.battery
    n = profiles.sizes["time"]
    step, horizon = bat.rolling_step_h, max(bat.rolling_horizon_h, bat.rolling_step_h)
    if horizon >= n:  # one window over everything: the optimal dispatch itself
        flows = FixedDispatch(park, profiles).run(capacities)
    else:
        flows = _roll(park, profiles, capacities, step, horizon)
    flows.attrs.update(dispatch_mode="rolling", rolling_step_h=step, rolling_horizon_h=horizon,
                       rolling_forecast=bat.rolling_forecast)
    return flows


def _roll(park, profiles, capacities, step: int, horizon: int) -> xr.Dataset:
    n = profiles.sizes["time"]
    bat = park.battery
    soc = soc_start = bat.soc_initial * capacities.battery_mwh
    parts: dict[str, list] = {k: [] for k in _FLOWS}
    month = profiles["time"].dt.month.values
    imports_so_far = np.zeros(0)
    for start in range(0, n, step):
        stop = min(start + horizon, n)
        window = _forecast(profiles, start, stop, bat.rolling_forecast)
        done = imports_so_far[month[:start] == month[start]] if start else np.zeros(0)
        # the run ends with at least its start energy, as a cyclic (optimal) run does
        end_floor = soc_start if stop == n and capacities.battery_mwh > 0 else None
        floor = float(done.max()) if done.size else None
        try:
            plan = _plan(park, window, capacities, soc, floor, end_floor)
        except SolverError:  # the last window cannot collect it back: best effort instead
            plan = _plan(park, window, capacities, soc, floor, None)
        k = min(step, n - start)
        if bat.rolling_forecast == "perfect":
            applied = {name: plan[name].values[:k] for name in _FLOWS}
        else:
            applied = _replay(plan.isel(time=slice(0, k)),
                              profiles.isel(time=slice(start, start + k)),
                              capacities, park, soc)
        for name in _FLOWS:
            parts[name].append(applied[name])
        soc = float(applied["soc"][-1])
        imports_so_far = np.concatenate([imports_so_far, applied["import_green"]
                                         + applied["import_regular"]])
    data = {name: np.concatenate(parts[name]) for name in _FLOWS}
    time = profiles["time"]
    return xr.Dataset({name: xr.DataArray(arr, coords={"time": time}, dims="time",
                                          attrs=attrs(name)) for name, arr in data.items()},
                      attrs={"dt_h": float(profiles.attrs.get("dt_h", 1.0))})
