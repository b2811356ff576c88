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

Structure: :func:`add_operation` builds the hourly operation of one horizon
(flows, battery, share targets, energy cost) on any Pyomo Block, given the
capacity expressions; :func:`build_model` adds the capacity variables and the
annualised asset cost around it. The multi-period pathway model
(:mod:`energysim.pathways`) puts one operation Block per investment period on
capacities summed from builds. With representative days
(``ProblemData.weight``/``segment_h``) every hour carries the number of days it
stands for and the battery is cyclic within each typical day.
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
    "add_operation",
    "land_limit",
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
    #: How many hours each model hour stands for (representative days); None = 1 each.
    weight: np.ndarray | None = None
    #: The battery is cyclic within consecutive segments of this many hours
    #: (typical days); None = over the whole horizon.
    segment_h: int | None = None

    @property
    def hour_weight(self) -> np.ndarray:
        """Multiplicity of each model hour [-] (ones without representative days)."""
        return np.ones(self.hours) if self.weight is None else self.weight

    @property
    def represented_h(self) -> float:
        """Hours the horizon stands for [h]: the weighted hours x dt."""
        return float(self.hour_weight.sum()) * self.dt_h


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


def land_limit(asset) -> float | None:
    """Most capacity the asset's land allows [MW], or None without a land limit."""
    if asset.max_area_ha is None or asset.area_ha_per_mw == 0:
        return None
    return asset.max_area_ha / asset.area_ha_per_mw


def _green_rules(park: ParkConfig, data: ProblemData):
    """Upper bounds of green / regular imports per hour [MW] and the green energy cap [MWh]."""
    volume = park.grid.green_volume_mwh
    if volume == "remainder":  # every import is bought green (GridConfig)
        return math.inf, 0.0, None
    by_matching = {
        # annual volume, scaled to the horizon (short-horizon convention)
        "annual": (math.inf, math.inf, volume * data.represented_h / HOURS_PER_YEAR),
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
    bat = park.battery
    costs = asset_costs(park)
    integer_turbines = park.wind.integer_turbines if integer_turbines is None else integer_turbines

    m = pyo.ConcreteModel(name="energysim_sizing")
    m.scaling, m.data = sc, data

    # -- capacities (model units: power P, energy P*h); costs per model unit
    pv_lo, pv_hi = _bounds(park.pv.existing_mw, park.pv.min_mw, park.pv.max_mw, land_limit(park.pv))
    w_lo, w_hi = _bounds(park.wind.existing_mw, park.wind.min_mw, park.wind.max_mw,
                         land_limit(park.wind))
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
        if land_limit(asset) is not None:
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

    # -- hourly operation, share targets and energy cost on the model itself
    add_operation(m, park, data,
                  {"pv": m.cap_pv, "wind": m.cap_wind, "energy": m.cap_energy, "power": m.cap_power})

    # -- objective [money units per year]
    ex = m.existing
    m.asset_cost = pyo.Expression(
        expr=m.cost_pv * (m.cap_pv - ex["pv"]) + m.cost_wind * (m.cap_wind - ex["wind"])
        + m.cost_energy * (m.cap_energy - ex["energy"]) + m.cost_power * (m.cap_power - ex["power"])
    )
    m.cost = pyo.Objective(expr=m.asset_cost + m.energy_cost + m.unmet_cost, sense=pyo.minimize)
    # max-share objective for diagnosing infeasible targets (inactive by default)
    m.grid_energy = pyo.Objective(expr=m.grid_served, sense=pyo.minimize)
    m.grid_energy.deactivate()
    m.not_clean_energy = pyo.Objective(expr=m.not_clean, sense=pyo.minimize)
    m.not_clean_energy.deactivate()
    return m


def add_operation(b, park: ParkConfig, data: ProblemData, caps: dict):
    """Add one horizon's hourly operation to Pyomo block ``b`` (a model or a Block).

    Parameters
    ----------
    b : pyomo Block or ConcreteModel
        Receives the components listed below.
    park : ParkConfig
        Battery and grid parameters, share targets.
    data : ProblemData
        Hourly arrays and the model's scaling (``data.scaling``); optional
        hour weights and battery segments for representative days.
    caps : dict
        Capacities in model units (``data.scaling.power_mw``): Pyomo variables
        or linear expressions under keys ``"pv"``, ``"wind"``, ``"energy"``
        (battery MWh / P) and ``"power"`` (battery MW / P).

    Returns
    -------
    The block, with: set ``T``; flows ``import_green``, ``import_regular``,
    ``export``, ``charge``, ``discharge``, ``unmet``, ``soc`` (a flow that
    cannot be non-zero is a zero Param); rows ``balance``, ``serve_load``,
    ``import_limit``, ``soc_dynamics``, ``soc_max``, ``soc_min``,
    ``charge_max``, ``discharge_max``, ``onsite``, ``clean``,
    ``green_volume``; mutable Params ``onsite_target``, ``clean_target``;
    expressions ``grid_served``, ``not_clean`` [model energy] and
    ``energy_cost``, ``unmet_cost`` [money units per year]; ``total_load``
    [model energy over the represented horizon].
    """
    sc = data.scaling
    P, M = sc.power_mw, sc.money
    n, dt = data.hours, data.dt_h
    w = HOURS_PER_YEAR / data.represented_h  # energy terms per year: short-horizon convention
    bat, grid = park.battery, park.grid
    hw = data.hour_weight
    weighted = data.weight is not None
    wl = hw.tolist()

    load = data.load / P
    pv_pu, wind_pu = data.pv_pu.tolist(), data.wind_pu.tolist()
    load_l = load.tolist()
    total_load = float((load * hw).sum()) * dt

    b.T = pyo.RangeSet(0, n - 1)
    b.onsite_target = pyo.Param(mutable=True, initialize=park.targets.onsite_share)
    b.clean_target = pyo.Param(mutable=True, initialize=park.targets.clean_share or 0.0)

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
    b.import_green = pyo.Var(b.T, bounds=lambda _, t: (0.0, min(imp_hi[t], green_hi / P)))
    for name, bounds in flow_bounds.items():
        component = (pyo.Var(b.T, bounds=bounds) if present[name]
                     else pyo.Param(b.T, initialize=0.0, within=pyo.Reals))
        b.add_component(name, component)
    b.charge = pyo.Var(b.T, domain=pyo.NonNegativeReals)
    b.discharge = pyo.Var(b.T, domain=pyo.NonNegativeReals)
    b.soc = pyo.Var(b.T, domain=pyo.NonNegativeReals)

    cp, cw, ce, cpow = caps["pv"], caps["wind"], caps["energy"], caps["power"]
    g, r, x, c, d, u, s = (b.import_green, b.import_regular, b.export, b.charge, b.discharge,
                           b.unmet, b.soc)
    b.balance = pyo.Constraint(
        b.T,
        rule=lambda _, t: pv_pu[t] * cp + wind_pu[t] * cw + g[t] + r[t] + d[t] + u[t] - c[t] - x[t]
        >= load_l[t],
    )
    if present["import_regular"] or present["unmet"]:  # else the bounds of g say it
        b.serve_load = pyo.Constraint(b.T, rule=lambda _, t: g[t] + r[t] + u[t] <= load_l[t])
        if limited:
            b.import_limit = pyo.Constraint(
                b.T, rule=lambda _, t: g[t] + r[t] <= grid.import_max_mw / P)

    keep = 1.0 - bat.self_discharge_per_h * dt
    eta_c, inv_eta_d = bat.eta_charge * dt, dt / bat.eta_discharge
    seg = data.segment_h or n  # the battery is cyclic within each segment (the whole horizon)

    def before(t):  # state of charge before hour t
        if t % seg:
            return s[t - 1]
        return s[t + seg - 1] if bat.cyclic else bat.soc_initial * ce

    floor_in = (1.0 - keep) * bat.soc_min  # the leak acts above the floor (dispatch kernel)
    b.soc_dynamics = pyo.Constraint(
        b.T,
        rule=lambda _, t: s[t] - keep * before(t) - floor_in * ce - eta_c * c[t] + inv_eta_d * d[t]
        == 0,
    )
    b.soc_max = pyo.Constraint(b.T, rule=lambda _, t: s[t] - bat.soc_max * ce <= 0)
    if bat.soc_min > 0:
        b.soc_min = pyo.Constraint(b.T, rule=lambda _, t: s[t] - bat.soc_min * ce >= 0)
    b.charge_max = pyo.Constraint(b.T, rule=lambda _, t: c[t] - cpow <= 0)
    b.discharge_max = pyo.Constraint(b.T, rule=lambda _, t: d[t] - cpow <= 0)

    def total(flow):  # energy of a flow over the represented horizon [model units]
        if weighted:
            return pyo.quicksum(wl[t] * flow[t] for t in range(n))
        return pyo.quicksum(flow.values())

    # -- share targets on the horizon's energies (model units)
    b.total_load = total_load
    b.grid_served = pyo.Expression(expr=dt * (total(g) + total(r) + total(u)))
    b.onsite = pyo.Constraint(expr=b.grid_served <= (1.0 - b.onsite_target) * total_load)
    b.not_clean = pyo.Expression(expr=dt * (total(r) + total(u)))
    b.clean = pyo.Constraint(expr=b.not_clean <= (1.0 - b.clean_target) * total_load)
    if green_energy is not None:
        b.green_volume = pyo.Constraint(expr=dt * total(g) <= green_energy / P)

    # -- energy cost [money units per year]
    e = P * w * dt / M  # money units per (model power unit x hour) per money/MWh, yearly
    premium = grid.green_premium_per_mwh
    penalty = UNMET_PENALTY_FACTOR * (float(np.max(np.abs(data.price))) + premium + 1.0)
    price = data.price.tolist()
    b.energy_cost = pyo.Expression(
        expr=pyo.quicksum((e * wl[t] * (price[t] + premium)) * g[t] for t in range(n))
        + pyo.quicksum((e * wl[t] * price[t]) * r[t] for t in range(n))
        - pyo.quicksum((e * wl[t] * grid.export_price_per_mwh) * x[t] for t in range(n))
    )
    b.unmet_cost = pyo.Expression(expr=(e * penalty) * total(u))
    return b
