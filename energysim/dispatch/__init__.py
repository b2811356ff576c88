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

import math
from typing import NamedTuple

import numpy as np
import xarray as xr

from energysim import flexible as flex_model
from energysim.config import BatteryConfig, Capacities, GridConfig
from energysim.dispatch import kernel
from energysim.errors import ConfigError, ProfileError, problem
from energysim.nomenclature import attrs

__all__ = ["DispatchParams", "dispatch_params", "kernel_rules", "dispatch", "dispatch_arrays",
           "needs_optimal", "mode_for",
           "sweep", "sweep_years", "HOURS_PER_YEAR", "TOTAL_KEYS"]

HOURS_PER_YEAR = 8760.0
#: Keys of the annual totals (sweep output and ``dispatch_arrays(...)["totals"]``),
#: as in :data:`energysim.accounting.TOTAL_KEYS` plus ``charge_grid_mwh``.
TOTAL_KEYS = tuple(
    name if name in ("import_cost", "co2_t", "co2_baseline_t") else f"{name}_mwh"
    for name in kernel.TOTALS
)


class DispatchParams(NamedTuple):
    """Scalar parameters of the dispatch rules (build with :func:`dispatch_params`).

    Battery energy and power are here for :func:`dispatch_arrays`; :func:`sweep`
    takes them from its capacity table instead.
    """

    battery_mwh: float = 0.0  #: usable energy [MWh]
    battery_mw: float = 0.0  #: AC power, charge and discharge [MW]
    eta_charge: float = 1.0  #: one-way charge efficiency [-]
    eta_discharge: float = 1.0  #: one-way discharge efficiency [-]
    self_discharge_per_h: float = 0.0  #: share of stored energy lost per hour [1/h]
    soc_min: float = 0.0  #: lowest SoC [fraction of energy]
    soc_max: float = 1.0  #: highest SoC [fraction of energy]
    soc_initial: float = 0.5  #: start SoC (first guess if cyclic) [fraction of energy]
    cyclic: bool = True  #: end SoC = start SoC
    grid_charging: bool = False  #: charge from the unused hourly green block
    import_max_mw: float = math.inf  #: import limit [MW]
    export_max_mw: float = 0.0  #: export limit [MW]
    green_volume_mwh: float = math.inf  #: contracted green volume [MWh/yr]; inf = all imports green
    green_matching: str = "annual"  #: "annual" (chronological) or "hourly" (flat block)
    dt_h: float = 1.0  #: time step [h]
    cyclic_tol: float = 1e-9  #: cyclic tolerance [fraction of usable energy]
    max_iter: int = 100  #: most runs of the cyclic solve
    shave_mw: float = math.inf  #: peak-shaving threshold of imports [MW] (inf: off)
    shave_reserve: float = 0.0  #: usable energy held back for peak shaving [fraction]


def dispatch_params(battery: BatteryConfig, grid: GridConfig,
                    capacities: Capacities | None = None, dt_h: float = 1.0,
                    tariff=None) -> DispatchParams:
    """Dispatch parameters from the config sections (capacities override the battery size).

    Parameters
    ----------
    battery : BatteryConfig
        Efficiencies (``eta_charge``, ``eta_discharge``), self-discharge, SoC window, flags.
    grid : GridConfig
        Import/export limits [MW], green volume [MWh/yr] and matching.
    capacities : Capacities, optional
        Battery energy [MWh] and power [MW]; default the battery section's.
    dt_h : float
        Time step [h].
    tariff : TariffConfig, optional
        Peak shaving (``peak_shaving_mw``, ``shaving_reserve``) and a contracted
        capacity that limits imports (``basis = "capacity"``).
    """
    volume = grid.green_volume_mwh
    import_max, shave, reserve = grid.import_max_mw, math.inf, 0.0
    if tariff is not None:
        if tariff.basis == "capacity" and tariff.contracted_kva is not None:
            import_max = min(import_max, tariff.contracted_kva * tariff.power_factor / 1000.0)
        if tariff.peak_shaving_mw is not None:
            shave, reserve = float(tariff.peak_shaving_mw), float(tariff.shaving_reserve)
    return DispatchParams(
        battery_mwh=capacities.battery_mwh if capacities else battery.energy_mwh,
        battery_mw=capacities.battery_mw if capacities else battery.power_mw,
        eta_charge=battery.eta_charge,
        eta_discharge=battery.eta_discharge,
        self_discharge_per_h=battery.self_discharge_per_h,
        soc_min=battery.soc_min,
        soc_max=battery.soc_max,
        soc_initial=battery.soc_initial,
        cyclic=battery.cyclic,
        grid_charging=battery.grid_charging,
        import_max_mw=import_max,
        export_max_mw=grid.export_max_mw,
        green_volume_mwh=math.inf if volume == "remainder" else float(volume),
        green_matching=grid.green_matching,
        dt_h=dt_h,
        shave_mw=shave,
        shave_reserve=reserve,
    )


# Green contract → (hourly cap [MW], budget of the run [MWh]) given volume V [MWh/yr],
# hours N and step dt [h]: an annual volume is consumed chronologically, scaled to the
# horizon; an hourly-matched one is a flat block of V/8760 MW.
_GREEN_RULES = {
    "annual": lambda v, n, dt: (math.inf, v * n * dt / HOURS_PER_YEAR),
    "hourly": lambda v, n, dt: (v / HOURS_PER_YEAR, math.inf),
}


def _check_params(p: DispatchParams) -> None:
    rules = [
        ("battery_mwh", p.battery_mwh >= 0 and math.isfinite(p.battery_mwh), "must be >= 0 [MWh]"),
        ("battery_mw", p.battery_mw >= 0 and math.isfinite(p.battery_mw), "must be >= 0 [MW]"),
        ("eta_charge", 0 < p.eta_charge <= 1, "must lie in (0, 1]"),
        ("eta_discharge", 0 < p.eta_discharge <= 1, "must lie in (0, 1]"),
        ("self_discharge_per_h", 0 <= p.self_discharge_per_h * p.dt_h < 1,
         "must be >= 0 and below 1 per step"),
        ("soc_min", 0 <= p.soc_min < p.soc_max <= 1, "need 0 <= soc_min < soc_max <= 1"),
        ("soc_initial", p.soc_min <= p.soc_initial <= p.soc_max, "must lie in [soc_min, soc_max]"),
        ("import_max_mw", p.import_max_mw >= 0, "must be >= 0 [MW]"),
        ("export_max_mw", p.export_max_mw >= 0, "must be >= 0 [MW]"),
        ("green_volume_mwh", p.green_volume_mwh >= 0, "must be >= 0 [MWh/yr] (inf: all green)"),
        ("green_matching", p.green_matching in _GREEN_RULES,
         f"must be one of {', '.join(_GREEN_RULES)}"),
        ("dt_h", p.dt_h > 0 and math.isfinite(p.dt_h), "must be > 0 [h]"),
        ("cyclic_tol", p.cyclic_tol > 0, "must be > 0"),
        ("max_iter", p.max_iter >= 1, "must be >= 1"),
    ]
    bad = [problem(rule, source="dispatch parameters", field=name, value=getattr(p, name))
           for name, ok, rule in rules if not ok]
    if bad:
        raise ConfigError(bad, headline="invalid dispatch parameters")


def _series(name: str, values, n: int | None, source: str, ndim: int = 1) -> np.ndarray:
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != ndim or (n is not None and arr.shape[-1] != n):
        raise ProfileError(problem(
            f"must be a {ndim}-D array of {n if n is not None else 'N'} hours",
            source=source, field=name, value=f"shape {arr.shape}"))
    signed = name == "import_price_per_mwh"
    lo, hi = (arr.min(), arr.max()) if arr.size else (0.0, 0.0)
    if np.isfinite(lo) and np.isfinite(hi) and (signed or lo >= 0):
        return arr  # two reductions, no temporaries (a NaN makes both NaN)
    bad = ~np.isfinite(arr) | (arr < 0) if not signed else ~np.isfinite(arr)
    if bad.any():
        idx = np.unravel_index(int(np.argmax(bad)), arr.shape)
        rule = "must be finite" if signed else "must be finite and >= 0"
        raise ProfileError(problem(f"{rule} (first bad hour {idx[-1]})", source=source,
                                   field=name, value=float(arr[idx])))
    return arr


def kernel_rules(p: DispatchParams, hours: int) -> kernel.Rules:
    """The kernel's rule record of ``p`` for a run of ``hours`` steps (green contract resolved)."""
    volume = p.green_volume_mwh
    block, budget = (math.inf, math.inf) if math.isinf(volume) else _GREEN_RULES[p.green_matching](
        volume, hours, p.dt_h)
    return kernel.make_rules(
        dt_h=p.dt_h, eta_charge=p.eta_charge, eta_discharge=p.eta_discharge,
        keep=1.0 - p.self_discharge_per_h * p.dt_h, soc_min=p.soc_min, soc_max=p.soc_max,
        soc_initial=p.soc_initial, cyclic=p.cyclic, grid_charging=p.grid_charging,
        import_max_mw=p.import_max_mw, export_max_mw=p.export_max_mw, green_block_mw=block,
        green_budget_mwh=budget,
        # grid charging draws only on an hourly block (unused block is lost for matching)
        grid_charge_block_mw=block if p.grid_charging and math.isfinite(block) else 0.0,
        cyclic_tol=p.cyclic_tol, max_iter=p.max_iter, shave_mw=p.shave_mw,
        shave_reserve=p.shave_reserve)


def _annual(totals: np.ndarray, hours: int, dt_h: float) -> np.ndarray:
    return totals * (HOURS_PER_YEAR / (hours * dt_h))


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
    _check_params(params)
    src = "dispatch arrays"
    load = _series("load_mw", load_mw, None, src)
    n = load.shape[0]
    pv = _series("pv_mw", pv_mw, n, src)
    wind = _series("wind_mw", wind_mw, n, src)
    price_a = np.zeros(n) if price is None else _series("import_price_per_mwh", price, n, src)
    emis = np.zeros(n) if emission is None else _series("emission_factor_t_per_mwh", emission, n, src)
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
    out["totals"] = dict(zip(TOTAL_KEYS, _annual(totals, n, p.dt_h).tolist(), strict=True))
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
    _check_params(params)
    load = _series("load", profiles["load"].values, None, src)
    n = load.shape[0]
    pv_pu = _series("pv_pu", profiles["pv_pu"].values, n, src)
    wind_pu = _series("wind_pu", profiles["wind_pu"].values, n, src)
    optional = {name: _series(name, profiles[name].values, n, src) if name in profiles else np.zeros(n)
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
        equivalent_full_cycles=throughput / capacities.battery_mwh if capacities.battery_mwh > 0 else 0.0,
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
    """The dispatch mode of a run: ``[battery] dispatch``, else ``optimal`` where the rules
    are not least-cost (:func:`needs_optimal`), else ``rules``."""
    if park.battery.dispatch is not None:
        return park.battery.dispatch
    return "optimal" if needs_optimal(park, profiles, capacities) else "rules"


from energysim.dispatch import flexible_program  # noqa: E402,F401  (registers its operation hook)
from energysim.dispatch import procurement as _procurement  # noqa: E402
from energysim.dispatch import program as _program  # noqa: E402
from energysim.dispatch.sweep import sweep, sweep_years  # noqa: E402  (uses the helpers above)

if _procurement.operation_hook not in _program.HOOKS:  # products in the operation LP
    _program.HOOKS.append(_procurement.operation_hook)
