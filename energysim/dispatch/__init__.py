"""The dispatch core: greedy load-following dispatch of one park, hour by hour.

Four levels, all running the same Numba kernels (:mod:`energysim.dispatch.kernel`,
where the rules, the origin tracking of stored energy and the cyclic solve are
documented):

- :func:`dispatch` — Profiles Dataset + capacities + config → Flows Dataset.
- :func:`dispatch_arrays` — plain arrays + :class:`DispatchParams` → dict of arrays.
- :func:`kernel_rules` — :class:`DispatchParams` → the kernel's :class:`~kernel.Rules` record.
- :func:`sweep` / :func:`sweep_years` — many capacity sets (and weather years)
  → annual totals only, in parallel (:mod:`energysim.dispatch.sweep`).
- :func:`energysim.dispatch.flexible_rules.dispatch_flexible` — a park with
  flexible demand (electrolyser, hydrogen store, shiftable load): the same hour
  rules plus the documented flexible-demand rule, serial (``dispatch(...,
  park=park)``); :mod:`energysim.dispatch.flexible_program` adds it to the
  operation LP (a hook of :mod:`energysim.dispatch.program`).
- :func:`energysim.dispatch.life.run_life` — every year of a project's life
  (ageing capacities, weather years) in one call (:mod:`energysim.lifetime`).

This wrapper owns validation (project error types naming field, value and
rule) and labelling; the kernels see only float64 arrays and scalars.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from energysim import flexible as flex_model
from energysim.config import BatteryConfig, Capacities, GridConfig
from energysim.dispatch import kernel
from energysim.dispatch import procurement as _procurement
from energysim.dispatch.params import (
    HOURS_PER_YEAR,
    TOTAL_KEYS,
    DispatchParams,
    annual_totals,
    check_params,
    check_series,
    dispatch_params,
    kernel_rules,
)
from energysim.dispatch.sweep import sweep, sweep_years
from energysim.errors import ConfigError, ProfileError, problem
from energysim.nomenclature import attrs

__all__ = ["DispatchParams", "dispatch_params", "kernel_rules", "dispatch", "dispatch_arrays",
           "needs_optimal", "mode_for",
           "sweep", "sweep_years", "HOURS_PER_YEAR", "TOTAL_KEYS"]

def dispatch_arrays(pv_mw, wind_mw, load_mw, params: DispatchParams, price=None,
                    emission=None) -> dict:
    """Greedy dispatch of plain arrays.

    Parameters
    ----------
    pv_mw, wind_mw : array_like
        Available PV and wind generation [MW], one value per step.
    load_mw : array_like
        Park load [MW].
    params : DispatchParams
        Rules and battery size (:func:`dispatch_params`).
    price : array_like, optional
        Import price [money/MWh]; import_cost is 0 without it.
    emission : array_like, optional
        CO2 factor of regular imports [t/MWh]; co2_t is 0 without it.

    Returns
    -------
    dict
        Hourly arrays named as in :data:`kernel.HOURLY` [MW; ``soc`` MWh end of
        step]; ``totals`` (dict of :data:`TOTAL_KEYS`, per year: 8760 / hours
        scaling), ``soc_start_mwh``, ``cyclic_iterations``, ``cyclic_gap_mwh``.
    """
    check_params(params)
    src = "dispatch arrays"
    load = check_series("load_mw", load_mw, None, src)
    n = load.shape[0]
    pv = check_series("pv_mw", pv_mw, n, src)
    wind = check_series("wind_mw", wind_mw, n, src)
    price_a = np.zeros(n) if price is None else check_series("import_price_per_mwh", price, n, src)
    emis = (np.zeros(n) if emission is None
            else check_series("emission_factor_t_per_mwh", emission, n, src))
    return _run(pv, wind, load, price_a, emis, 1.0, 1.0, params)


def _run(pv_pu, wind_pu, load, price, emis, cap_pv, cap_wind, p: DispatchParams,
         green: dict | None = None) -> dict:
    n = load.shape[0]
    kit = kernel.Kit(float(cap_pv), float(cap_wind), float(p.battery_mwh), float(p.battery_mw))
    rules, cap = kernel_rules(p, n), None
    if green:  # the green rule of [[procurement]] products
        cap = green.pop("cap")
        rules = kernel.make_rules(**{**rules._asdict(), **green})
    series = kernel.Series(pv_pu, wind_pu, load, price, emis)
    if cap is None:
        hourly, totals, s0, it, gap = kernel.run_hourly(series, kit, rules)
    else:
        hourly, totals, s0, it, gap = kernel.run_hourly_capped(series, kit, rules, cap)
    out = {name: hourly[i] for i, name in enumerate(kernel.HOURLY)}
    out["totals"] = dict(zip(TOTAL_KEYS, annual_totals(totals, n, p.dt_h).tolist(), strict=True))
    out["soc_start_mwh"] = float(s0)
    out["cyclic_iterations"] = int(it)
    out["cyclic_gap_mwh"] = float(gap)
    return out


def _product_rules(park, capacities: Capacities, profiles: xr.Dataset, n: int, dt_h: float
                   ) -> dict | None:
    """Rule 5 of the kernel for the park's ``[[procurement]]`` green contracts, or None."""
    if park is None or not park.procurement:
        return None
    from energysim.dispatch.procurement import green_cap

    if park.battery.grid_charging:
        raise ConfigError(problem(
            "grid charging is not modelled with [[procurement]] products (the battery charges "
            "from on-site surplus)", source=park.source, field="[battery] grid_charging",
            value=True))
    cap, block, budget = green_cap(park, capacities, profiles, n, dt_h)
    return {"green_block_mw": block, "green_budget_mwh": budget,
            "cap": None if cap is None else np.ascontiguousarray(cap, dtype=np.float64)}


def _product_flows(park, capacities: Capacities, profiles: xr.Dataset, ds: xr.Dataset) -> None:
    """Add each green contract's hourly flow ``product_<name>`` [MW] to ``ds``."""
    from energysim.dispatch.procurement import label_products
    from energysim.procurement import flow_name

    split = label_products(park, capacities, profiles, ds["import_green"].values,
                           float(ds.attrs["dt_h"]))
    for name, values in split.items():
        ds[flow_name(name)] = ("time", values, {
            "units": "MW", "long_name": f"green import of contract {name}"})


def dispatch(profiles: xr.Dataset, capacities: Capacities, battery: BatteryConfig,
             grid: GridConfig, tariff=None, park=None) -> xr.Dataset:
    """Greedy hourly dispatch of a park: the Flows Dataset.

    Parameters
    ----------
    profiles : xarray.Dataset
        Profiles (dim ``time``): ``pv_pu`` [MW/MWp], ``wind_pu`` [MW/MW], ``load``
        [MW], optional ``import_price_per_mwh`` [money/MWh] and
        ``emission_factor_t_per_mwh`` [t/MWh]; attr ``dt_h`` [h] (default 1).
    capacities : Capacities
        PV [MWp], wind [MW], battery [MWh, MW].
    battery : BatteryConfig
        Efficiencies, self-discharge, SoC window, cyclic and grid-charging flags.
    grid : GridConfig
        Limits and green contract.
    tariff : TariffConfig, optional
        Peak-shaving rule and contracted capacity (:func:`dispatch_params`).
    park : ParkConfig, optional
        The park, for its ``[[procurement]]`` products: their volumes (from
        ``capacities.procurement_mwh``, else the config) set the green rule and
        the Dataset gets each green contract's flow ``product_<name>`` [MW]
        (:mod:`energysim.dispatch.procurement`); with flexible demand
        (``[electrolyser]``, ``[load.flexible]``) it is dispatched by the rules of
        :mod:`energysim.dispatch.flexible_rules` (their flows added).

    Returns
    -------
    xarray.Dataset
        Hourly ``pv``, ``wind``, ``load``, ``import_green``, ``import_regular``,
        ``export``, ``charge``, ``discharge``, ``curtail``, ``unmet``,
        ``onsite_served``, ``charge_grid`` [MW] and ``soc`` [MWh, end of hour];
        attrs ``dt_h``, ``throughput_mwh`` (discharged energy of the run),
        ``equivalent_full_cycles`` (throughput / usable energy),
        ``cyclic_iterations``, ``cyclic_gap_mwh``, ``soc_start_mwh``.
    """
    src = str(profiles.attrs.get("source", "profiles"))
    missing = [v for v in ("pv_pu", "wind_pu", "load") if v not in profiles]
    if missing:
        raise ProfileError([problem("required profile variable missing", source=src, field=v)
                            for v in missing])
    if park is not None and flex_model.active(park):
        from energysim.dispatch.flexible_rules import dispatch_flexible

        return dispatch_flexible(profiles, capacities, park)
    dt_h = float(profiles.attrs.get("dt_h", 1.0))
    params = dispatch_params(battery, grid, capacities, dt_h=dt_h, tariff=tariff)
    check_params(params)
    load = check_series("load", profiles["load"].values, None, src)
    n = load.shape[0]
    pv_pu = check_series("pv_pu", profiles["pv_pu"].values, n, src)
    wind_pu = check_series("wind_pu", profiles["wind_pu"].values, n, src)
    optional = {name: check_series(name, profiles[name].values, n, src)
                if name in profiles else np.zeros(n)
                for name in ("import_price_per_mwh", "emission_factor_t_per_mwh")}
    green = _product_rules(park, capacities, profiles, n, dt_h)
    out = _run(pv_pu, wind_pu, load, optional["import_price_per_mwh"],
               optional["emission_factor_t_per_mwh"], capacities.pv_mw, capacities.wind_mw, params,
               green)
    time = profiles["time"]
    ds = xr.Dataset({name: ("time", out[name], attrs(name)) for name in kernel.HOURLY},
                    coords={"time": time})
    throughput = float(out["discharge"].sum()) * dt_h
    ds.attrs.update(
        dt_h=dt_h,
        throughput_mwh=throughput,
        equivalent_full_cycles=(throughput / capacities.battery_mwh
                                if capacities.battery_mwh > 0 else 0.0),
        cyclic_iterations=out["cyclic_iterations"],
        cyclic_gap_mwh=out["cyclic_gap_mwh"],
        soc_start_mwh=out["soc_start_mwh"],
    )
    if green is not None:
        _product_flows(park, capacities, profiles, ds)
    return ds


def needs_optimal(park, profiles: xr.Dataset, capacities: Capacities | None = None) -> list[str]:
    """Why the rule-based core would not be least-cost for this park (empty: it is).

    Greedy load-following is optimal for flat import prices with no value on
    exports (tests/test_dispatch_lp.py); time-varying prices, valued exports,
    an hourly-matched green contract or a demand charge need the optimal
    dispatch for the reported cost to be the optimum (issue 15).
    """
    why = []
    price = profiles["import_price_per_mwh"].values if "import_price_per_mwh" in profiles else None
    if price is not None and np.ptp(price) > 0:
        why.append("time-varying import price")
    if park.grid.export_max_mw > 0 and park.grid.export_price_per_mwh != 0:
        why.append("exports have a price")
    if park.grid.green_matching == "hourly" and park.grid.green_volume_mwh != "remainder":
        why.append("hourly-matched green contract")
    if park.tariff.basis == "demand":
        why.append("monthly demand charge")
    return why + flex_model.needs_optimal(park, capacities) + _procurement.needs_optimal(
        park, capacities)


def mode_for(park, profiles: xr.Dataset, capacities: Capacities | None = None) -> str:
    """The dispatch mode of a run.

    ``[battery] dispatch``, else ``optimal`` where the rules are not least-cost
    (:func:`needs_optimal`), else ``rules``.
    """
    if park.battery.dispatch is not None:
        return park.battery.dispatch
    return "optimal" if needs_optimal(park, profiles, capacities) else "rules"
