"""The sizing LP/MILP as a Pyomo model, built from whole arrays with scaling in one place.

One model serves sizing, frontiers and fixed-capacity dispatch: capacities are
variables (fixed for :func:`energysim.sizing.dispatch_lp`), targets and asset
cost coefficients are mutable Params, so a sweep changes them and re-solves the
same persistent HiGHS instance.

Formulation (per hour t, Δt = 1 h; C = capacities, L = load, p = per-unit profiles)

.. math::

    C_{pv} p^{pv}_t + C_{w} p^{w}_t + g_t + r_t + d_t + u_t
        \\ge L_t + c_t + x_t                                     \\quad (balance; slack = curtailment)

    g_t + r_t + u_t \\le L_t                                     \\quad (imports only serve load)

    s_t = (1-\\sigma) s_{t-1} + \\sigma \\underline{s} E + \\eta_c c_t \\Delta t
        - d_t \\Delta t / \\eta_d, \\quad s_{-1} = s_{T-1} \\text{ (cyclic)}

    \\underline{s} E \\le s_t \\le \\overline{s} E, \\quad c_t, d_t \\le P

    \\sum_t (g_t + r_t + u_t) \\le (1 - S_{onsite}) \\sum_t L_t, \\qquad
    \\sum_t (r_t + u_t) \\le (1 - S_{clean}) \\sum_t L_t

with g, r green and regular imports, x export, c/d battery charge/discharge,
u unmet load, s state of charge; self-discharge σ (per step) acts on the energy
above the floor :math:`\\underline{s}E`, as in the dispatch kernel. Because
imports and unmet load only serve load, the battery and exports are fed only by on-site generation, so the on-site
served energy is :math:`L_t - g_t - r_t - u_t` (DESIGN.md's default rule: the
battery charges only from on-site surplus).

Objective (money per year): annualised cost of new capacity (CRF + fixed O&M,
:func:`energysim.economics.asset_costs`) plus energy costs scaled to a year by
8760 / hours: imports at their (hourly) price, the green premium on green
imports, minus export revenue, plus unmet load at a penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from energysim.config import ParkConfig
from energysim.economics import asset_costs
from energysim.errors import ProfileError, problem

__all__ = [
    "HOURS_PER_YEAR",
    "Scaling",
    "ProblemData",
    "problem_data",
    "build_model",
    "turbine_unit_mw",
    "UNMET_PENALTY_FACTOR",
]

HOURS_PER_YEAR = 8760.0
#: Unmet load costs this multiple of the dearest import (price + premium) per MWh:
#: large enough that the LP serves every MWh it can, small enough to keep the LP
#: well-conditioned. Unmet load only arises where ``grid.import_max_mw`` binds.
UNMET_PENALTY_FACTOR = 100.0
_REQUIRED = ("pv_pu", "wind_pu", "load")


@dataclass(frozen=True)
class Scaling:
    """Units the model works in: one power unit = ``power_mw`` MW, one money unit = ``money``.

    Chosen as powers of ten near the mean load and the annual energy bill, so
    hourly flows and the objective are O(1) and HiGHS sees well-conditioned numbers.
    """

    power_mw: float
    money: float

    @classmethod
    def for_problem(cls, mean_load_mw: float, price_per_mwh: float) -> Scaling:
        """Scaling for a park of mean load [MW] and typical import price [money/MWh]."""
        power = 10.0 ** round(math.log10(max(mean_load_mw, 1e-6)))
        bill = max(mean_load_mw, 1e-6) * HOURS_PER_YEAR * max(abs(price_per_mwh), 1.0)
        return cls(power_mw=power, money=10.0 ** round(math.log10(bill)))


@dataclass(frozen=True)
class ProblemData:
    """Plain arrays and numbers of one sizing problem, in physical units (MW, MWh, money).

    Built by :func:`problem_data`; :func:`build_model` converts them to model units.
    """

    pv_pu: np.ndarray
    wind_pu: np.ndarray
    load: np.ndarray
    price: np.ndarray  # import price [money/MWh], hourly
    hours: int
    dt_h: float
    scaling: Scaling


def _array(profiles: xr.Dataset, name: str) -> np.ndarray:
    values = np.asarray(profiles[name].values, dtype=float)
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ProfileError(
            problem("must be finite in every hour", field=f"profiles.{name}[{bad}]", value=values[bad])
        )
    return values


def problem_data(park: ParkConfig, profiles: xr.Dataset) -> ProblemData:
    """Check a Profiles Dataset and extract the arrays the model needs.

    Parameters
    ----------
    park : ParkConfig
        Validated park config (flat import price when the Dataset has no series).
    profiles : xarray.Dataset
        Hourly ``pv_pu`` [MW/MWp], ``wind_pu`` [MW/MW], ``load`` [MW] on dim
        ``time``; optional ``import_price_per_mwh`` [money/MWh].
    """
    missing = [name for name in _REQUIRED if name not in profiles]
    if missing:
        raise ProfileError(
            problem(f"Profiles Dataset lacks {', '.join(missing)}; needs {', '.join(_REQUIRED)}",
                    field="profiles")
        )
    hours = int(profiles.sizes.get("time", 0))
    if hours < 2:
        raise ProfileError(problem("needs at least 2 hours", field="profiles.time", value=hours))
    load = _array(profiles, "load")
    if load.min() < 0:
        raise ProfileError(problem("load must be >= 0 MW", field="profiles.load", value=load.min()))
    if load.sum() <= 0:
        raise ProfileError(problem("total load must be positive to size for a share",
                                   field="profiles.load", value=float(load.sum())))
    pv_pu, wind_pu = _array(profiles, "pv_pu"), _array(profiles, "wind_pu")
    for name, arr in (("pv_pu", pv_pu), ("wind_pu", wind_pu)):
        if arr.min() < 0:
            raise ProfileError(problem("per-unit output must be >= 0", field=f"profiles.{name}",
                                       value=float(arr.min())))
    if "import_price_per_mwh" in profiles:
        price = _array(profiles, "import_price_per_mwh")
    else:
        price = np.full(hours, park.grid.import_price_per_mwh)
    dt_h = float(profiles.attrs.get("dt_h", 1.0))
    scaling = Scaling.for_problem(float(load.mean()), float(np.mean(np.abs(price))))
    return ProblemData(pv_pu, wind_pu, load, price, hours, dt_h, scaling)


def turbine_unit_mw(park: ParkConfig) -> float:
    """Nominal power of one wind turbine [MW], from windpowerlib's turbine library."""
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type=park.wind.turbine, hub_height=park.wind.hub_height_m)
    return float(turbine.nominal_power) / 1e6  # W -> MW


def _bounds(existing: float, low: float, high: float, land: float | None) -> tuple[float, float]:
    """Capacity bounds [MW]: at least what exists and the minimum, at most max and land."""
    upper = high if land is None else min(high, land)
    return max(existing, low), max(upper, existing)


def _green_rules(park: ParkConfig, data: ProblemData):
    """Upper bounds of green / regular imports per hour [MW] and the green energy cap [MWh]."""
    volume = park.grid.green_volume_mwh
    if volume == "remainder":  # every import is bought green (GridConfig)
        return math.inf, 0.0, None
    by_matching = {
        # annual volume, scaled to the horizon (short-horizon convention)
        "annual": (math.inf, math.inf, volume * data.hours * data.dt_h / HOURS_PER_YEAR),
        # hourly matching: the contract delivers at most volume/8760 in any hour
        "hourly": (volume / HOURS_PER_YEAR, math.inf, None),
    }
    return by_matching[park.grid.green_matching]


def build_model(park: ParkConfig, data: ProblemData, *, integer_turbines: bool | None = None):
    """Build the sizing model (all capacities free within their bounds).

    Parameters
    ----------
    park : ParkConfig
        Costs, bounds, battery and grid parameters.
    data : ProblemData
        Hourly arrays from :func:`problem_data`.
    integer_turbines : bool, optional
        Size wind in whole turbines (MILP); default ``park.wind.integer_turbines``.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With mutable Params ``onsite_target``, ``clean_target`` [0-1] and
        ``cost_pv``, ``cost_wind``, ``cost_energy``, ``cost_power`` [money/MW/yr,
        money/MWh/yr], and ``m.scaling`` / ``m.data`` for reading results.
    """
    sc = data.scaling
    P, M = sc.power_mw, sc.money
    n, dt = data.hours, data.dt_h
    w = HOURS_PER_YEAR / (n * dt)  # energy terms per year: short-horizon convention
    bat, grid = park.battery, park.grid
    costs = asset_costs(park)
    integer_turbines = park.wind.integer_turbines if integer_turbines is None else integer_turbines

    load = data.load / P
    pv_pu, wind_pu = data.pv_pu.tolist(), data.wind_pu.tolist()
    load_l = load.tolist()
    total_load = float(load.sum()) * dt

    m = pyo.ConcreteModel(name="energysim_sizing")
    m.scaling, m.data = sc, data
    m.T = pyo.RangeSet(0, n - 1)

    # -- capacities (model units: power P, energy P*h); costs per model unit
    def land(asset) -> float | None:
        if asset.max_area_ha is None or asset.area_ha_per_mw == 0:
            return None
        return asset.max_area_ha / asset.area_ha_per_mw

    pv_lo, pv_hi = _bounds(park.pv.existing_mw, park.pv.min_mw, park.pv.max_mw, land(park.pv))
    w_lo, w_hi = _bounds(park.wind.existing_mw, park.wind.min_mw, park.wind.max_mw, land(park.wind))
    e_lo, e_hi = _bounds(bat.existing_mwh, bat.min_mwh, bat.max_mwh, None)
    p_lo, p_hi = _bounds(bat.existing_mw, bat.min_mw, bat.max_mw, None)
    m.cap_pv = pyo.Var(bounds=(pv_lo / P, pv_hi / P))
    m.cap_wind = pyo.Var(bounds=(w_lo / P, w_hi / P))
    m.cap_energy = pyo.Var(bounds=(e_lo / P, e_hi / P))
    m.cap_power = pyo.Var(bounds=(p_lo / P, p_hi / P))
    m.existing = {
        "pv": park.pv.existing_mw / P, "wind": park.wind.existing_mw / P,
        "energy": bat.existing_mwh / P, "power": bat.existing_mw / P,
    }
    # land limits as explicit rows, so a binding one can be named by diagnose
    for name, asset, var in (("land_pv", park.pv, m.cap_pv), ("land_wind", park.wind, m.cap_wind)):
        if land(asset) is not None:
            m.add_component(name, pyo.Constraint(
                expr=var * (asset.area_ha_per_mw * P) <= asset.max_area_ha))
    if integer_turbines:
        unit = turbine_unit_mw(park)
        m.turbine_unit_mw = unit
        n_hi = math.floor((w_hi - park.wind.existing_mw) / unit + 1e-9)
        n_lo = math.ceil(max(0.0, w_lo - park.wind.existing_mw) / unit - 1e-9)
        m.n_turbines = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(n_lo, max(n_lo, n_hi)))
        m.turbines = pyo.Constraint(
            expr=m.cap_wind == (park.wind.existing_mw + unit * m.n_turbines) / P
        )

    # -- mutable Params: what sweeps change without rebuilding (money per model unit)
    scale_cap = P / M
    m.cost_pv = pyo.Param(mutable=True, initialize=costs.pv_annual_per_mw * scale_cap)
    m.cost_wind = pyo.Param(mutable=True, initialize=costs.wind_annual_per_mw * scale_cap)
    m.cost_energy = pyo.Param(mutable=True, initialize=costs.battery_annual_per_mwh * scale_cap)
    m.cost_power = pyo.Param(mutable=True, initialize=costs.battery_annual_per_mw * scale_cap)
    m.onsite_target = pyo.Param(mutable=True, initialize=park.targets.onsite_share)
    m.clean_target = pyo.Param(mutable=True, initialize=park.targets.clean_share or 0.0)

    # -- hourly flows
    green_hi, regular_hi, green_energy = _green_rules(park, data)
    imp_hi = np.minimum(load, grid.import_max_mw / P)  # imports only serve load
    limited = grid.import_max_mw / P < float(load.max())
    # flows that cannot be non-zero are fixed zeros (Params), not columns: a smaller LP
    present = {
        "import_regular": regular_hi > 0,
        "export": grid.export_max_mw > 0,
        "unmet": limited,  # without an import limit, imports cover any deficit more cheaply
    }
    flow_bounds = {
        "import_regular": lambda _, t: (0.0, min(imp_hi[t], regular_hi / P)),
        "export": (0.0, grid.export_max_mw / P),
        "unmet": lambda _, t: (0.0, load_l[t]),
    }
    m.import_green = pyo.Var(m.T, bounds=lambda _, t: (0.0, min(imp_hi[t], green_hi / P)))
    for name, bounds in flow_bounds.items():
        component = (pyo.Var(m.T, bounds=bounds) if present[name]
                     else pyo.Param(m.T, initialize=0.0, within=pyo.Reals))
        m.add_component(name, component)
    m.charge = pyo.Var(m.T, domain=pyo.NonNegativeReals)
    m.discharge = pyo.Var(m.T, domain=pyo.NonNegativeReals)
    m.soc = pyo.Var(m.T, domain=pyo.NonNegativeReals)

    cp, cw = m.cap_pv, m.cap_wind
    g, r, x, c, d, u, s = (m.import_green, m.import_regular, m.export, m.charge, m.discharge,
                           m.unmet, m.soc)
    m.balance = pyo.Constraint(
        m.T,
        rule=lambda _, t: pv_pu[t] * cp + wind_pu[t] * cw + g[t] + r[t] + d[t] + u[t] - c[t] - x[t]
        >= load_l[t],
    )
    if present["import_regular"] or present["unmet"]:  # else the bounds of g say it
        m.serve_load = pyo.Constraint(m.T, rule=lambda _, t: g[t] + r[t] + u[t] <= load_l[t])
        if limited:
            m.import_limit = pyo.Constraint(
                m.T, rule=lambda _, t: g[t] + r[t] <= grid.import_max_mw / P)

    keep = 1.0 - bat.self_discharge_per_h * dt
    eta_c, inv_eta_d = bat.eta_charge * dt, dt / bat.eta_discharge
    first = {True: lambda: s[n - 1], False: lambda: bat.soc_initial * m.cap_energy}[bat.cyclic]()
    floor_in = (1.0 - keep) * bat.soc_min  # the leak acts above the floor (dispatch kernel)
    m.soc_dynamics = pyo.Constraint(
        m.T,
        rule=lambda _, t: s[t] - keep * (s[t - 1] if t > 0 else first) - floor_in * m.cap_energy
        - eta_c * c[t] + inv_eta_d * d[t] == 0,
    )
    m.soc_max = pyo.Constraint(m.T, rule=lambda _, t: s[t] - bat.soc_max * m.cap_energy <= 0)
    if bat.soc_min > 0:
        m.soc_min = pyo.Constraint(m.T, rule=lambda _, t: s[t] - bat.soc_min * m.cap_energy >= 0)
    m.charge_max = pyo.Constraint(m.T, rule=lambda _, t: c[t] - m.cap_power <= 0)
    m.discharge_max = pyo.Constraint(m.T, rule=lambda _, t: d[t] - m.cap_power <= 0)

    # -- share targets on the horizon's energies (model units)
    m.total_load = total_load
    grid_served = dt * (pyo.quicksum(g.values()) + pyo.quicksum(r.values()) + pyo.quicksum(u.values()))
    m.grid_served = pyo.Expression(expr=grid_served)
    m.onsite = pyo.Constraint(expr=m.grid_served <= (1.0 - m.onsite_target) * total_load)
    m.not_clean = pyo.Expression(expr=dt * (pyo.quicksum(r.values()) + pyo.quicksum(u.values())))
    m.clean = pyo.Constraint(expr=m.not_clean <= (1.0 - m.clean_target) * total_load)
    if green_energy is not None:
        m.green_volume = pyo.Constraint(expr=dt * pyo.quicksum(g.values()) <= green_energy / P)

    # -- objective [money units per year]
    e = P * w * dt / M  # money units per (model power unit x hour) per money/MWh, yearly
    premium = grid.green_premium_per_mwh
    penalty = UNMET_PENALTY_FACTOR * (float(np.max(np.abs(data.price))) + premium + 1.0)
    price = data.price.tolist()
    m.energy_cost = pyo.Expression(
        expr=pyo.quicksum((e * (price[t] + premium)) * g[t] for t in range(n))
        + pyo.quicksum((e * price[t]) * r[t] for t in range(n))
        - pyo.quicksum((e * grid.export_price_per_mwh) * x[t] for t in range(n))
    )
    m.unmet_cost = pyo.Expression(expr=(e * penalty) * pyo.quicksum(u.values()))
    ex = m.existing
    m.asset_cost = pyo.Expression(
        expr=m.cost_pv * (cp - ex["pv"]) + m.cost_wind * (cw - ex["wind"])
        + m.cost_energy * (m.cap_energy - ex["energy"]) + m.cost_power * (m.cap_power - ex["power"])
    )
    m.cost = pyo.Objective(expr=m.asset_cost + m.energy_cost + m.unmet_cost, sense=pyo.minimize)
    # max-share objective for diagnosing infeasible targets (inactive by default)
    m.grid_energy = pyo.Objective(expr=m.grid_served, sense=pyo.minimize)
    m.grid_energy.deactivate()
    m.not_clean_energy = pyo.Objective(expr=m.not_clean, sense=pyo.minimize)
    m.not_clean_energy.deactivate()
    return m
