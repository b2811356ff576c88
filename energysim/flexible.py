r"""Flexible demand: an electrolyser with a hydrogen store (and fuel cell).

Also shiftable and curtailable load.

The physical relations and rule inputs shared by the rule-based dispatch
(:mod:`energysim.dispatch.flexible_rules`), the operation LP
(:mod:`energysim.dispatch.flexible_program`), sizing
(:mod:`energysim.sizing.flexible`) and accounting (:mod:`energysim.accounting`).

Hydrogen (per step t of length :math:`\Delta t`)

.. math::

    h_t = h_{t-1} + \Delta t \left( \frac{e_t}{k} - d_t + u_t - q_t
          - \frac{F_t}{\eta_{fc} H} \right),
    \qquad 0 \le h_t \le \overline{H}, \qquad m\,C_{el} \le e_t \le C_{el}

with :math:`h` the store [kg], :math:`e` electrolyser input [MW], :math:`k`
electricity per kg [MWh/kg], :math:`d` demand, :math:`u` demand not met,
:math:`q` hydrogen sold [kg/h], :math:`F` fuel cell output [MW],
:math:`\eta_{fc}` its efficiency on the lower heating value :math:`H` [MWh/kg],
:math:`m` the minimum load fraction (a must-run floor in every hour, as
PyPSA's non-committable ``p_min_pu``; on/off commitment would need binaries).
The store is cyclic over the run (typical days: within each day) unless
``[hydrogen] cyclic = false``.

Shiftable load. A share :math:`\phi` of the hourly park load is the movable
base :math:`f_t = \phi L_t`; it is consumed as :math:`y_t \in [0, \overline{y}]`.
The deferred energy (backlog) :math:`B_t = B_{t-1} + (f_t - y_t)\Delta t`
starts each day at 0 and must stay within

.. math::

    -\sum_{\tau=t+1}^{t+N} f_\tau \Delta t \;\le\; B_t \;\le\;
    \min\Big(\sum_{\tau=t-N+1}^{t} f_\tau \Delta t,\;
             \sum_{\tau > t} (\overline{y} - f_\tau)\Delta t\Big)

(sums within the day), so every MWh is served at most N hours late (the
backlog is the last N hours' demand, served first in first out) or N hours
early, the backlog can still be caught up within the power limit, and it is
0 at the day's end: each day's energy is conserved. Days are 24-hour blocks
from the first hour of the run (typical days: each day).

Curtailable load: up to :math:`\psi L_t` may be shed at a penalty per MWh.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from energysim.config import LHV_KWH_PER_KG, ElectrolyserConfig, HydrogenConfig, ParkConfig
from energysim.economics import capital_recovery_factor
from energysim.errors import ConfigError, ProfileError, problem

__all__ = ["LHV_KWH_PER_KG", "TCAB_LOW_CARBON_KG_PER_KG", "TCAB_CLEAN_KG_PER_KG", "DEMAND",
           "FlexParams", "active", "hydrogen_active", "shift_active", "shed_active",
           "params", "window_caps", "hydrogen_demand", "reserve_kg", "annual_costs",
           "FLEX_FLOWS", "day_steps", "require_none", "window_options", "window_cost"]

#: China's low-carbon hydrogen threshold [kgCO2e per kg H2], T/CAB 0078-2020 (China
#: Hydrogen Alliance, "Standard and evaluation of low-carbon, clean and renewable hydrogen").
TCAB_LOW_CARBON_KG_PER_KG = 14.51
#: China's clean (and, from renewable power, renewable) hydrogen threshold [kgCO2e/kg H2],
#: T/CAB 0078-2020.
TCAB_CLEAN_KG_PER_KG = 4.9
#: Profiles variable of an hourly hydrogen demand [kg/h].
DEMAND = "hydrogen_demand_kg_per_h"
#: Hourly flows of a run with flexible demand (besides the flows of every run).
FLEX_FLOWS = ("electrolyser", "hydrogen_production", "hydrogen_soc", "hydrogen_delivered",
              "hydrogen_unmet", "hydrogen_sold", "fuel_cell", "fuel_cell_hydrogen",
              "flexible_load", "flexible_backlog", "load_shed")
#: Unmet hydrogen costs this multiple of making it from the dearest grid power.
UNMET_FACTOR = 100.0


def hydrogen_active(park: ParkConfig) -> bool:
    """True when the park can run an electrolyser (some capacity or a sizing bound above 0)."""
    el = park.electrolyser
    return el is not None and max(el.power_mw, el.existing_mw, el.max_mw) > 0


def hydrogen_configs(park: ParkConfig) -> tuple[ElectrolyserConfig, HydrogenConfig]:
    """The park's ``[electrolyser]`` and ``[hydrogen]``, for a park that has them.

    The config has both or neither (:class:`~energysim.config.ParkConfig`), so either is
    present whenever :func:`hydrogen_active` holds.
    """
    el, h2 = park.electrolyser, park.hydrogen
    assert el is not None and h2 is not None, "the park has no electrolyser and hydrogen"
    return el, h2


def shift_active(park: ParkConfig) -> bool:
    """True when part of the load can move (a share and a window above 0)."""
    fl = park.load.flexible
    return fl is not None and fl.share > 0 and fl.window_h > 0


def window_options(park: ParkConfig) -> list[int]:
    """The shift windows sizing chooses among [h], shortest first (empty: it keeps ``window_h``)."""
    fl = park.load.flexible
    return [] if fl is None or fl.window_options_h is None else sorted(fl.window_options_h)


def window_cost(park: ParkConfig) -> float:
    """Annual cost of the park's shift window [money/yr].

    ``window_cost_per_h_yr`` x ``window_h``; 0 when nothing shifts. A fixed cost of the
    window, the same in the sizing objective and the accounting.
    """
    fl = park.load.flexible
    if fl is None or not shift_active(park):
        return 0.0
    return fl.window_cost_per_h_yr * fl.window_h


def shed_active(park: ParkConfig) -> bool:
    """True when part of the load may be shed."""
    fl = park.load.flexible
    return fl is not None and fl.curtailable_share > 0


def active(park: ParkConfig) -> bool:
    """True when the park has any flexible demand; otherwise every stage runs as without it."""
    return hydrogen_active(park) or shift_active(park) or shed_active(park)


def fuel_cell_active(park: ParkConfig) -> bool:
    """True when a fuel cell can run (some capacity or a sizing bound above 0)."""
    h2 = park.hydrogen
    return hydrogen_active(park) and h2 is not None and max(
        h2.fuel_cell_mw, h2.fuel_cell_existing_mw, h2.fuel_cell_max_mw) > 0


def needs_optimal(park: ParkConfig, capacities=None) -> list[str]:
    """Why the rules of flexible demand are not least-cost here (empty: they are).

    They are exact for an electrolyser and store meeting a hydrogen demand
    with no battery, no fuel cell, no sales and no must-run floor, under a
    flat price (the greedy argument of the battery; tests/test_flexible.py);
    a battery, load that can move or be shed, a fuel cell, hydrogen sales or
    a must-run floor ask for the optimal dispatch. Without ``capacities`` (a
    sizing) a battery the park may build counts.
    """
    if not active(park):
        return []
    bat = park.battery
    battery = (max(bat.existing_mwh, bat.max_mwh) if capacities is None
               else capacities.battery_mwh)
    h2 = park.hydrogen
    others = [battery > 0, shift_active(park), shed_active(park), fuel_cell_active(park),
              h2 is not None and h2.sale_price_per_kg is not None,
              park.electrolyser is not None and park.electrolyser.min_load_fraction > 0]
    return ["flexible demand (the rules time it greedily)"] if any(others) else []


def require_none(park: ParkConfig, what: str) -> None:
    """Raise a :class:`ConfigError` when ``park`` has flexible demand ``what`` does not model.

    E.g. the Numba sweep and lifetime kernels: never a silent result without it.
    """
    if active(park) or window_options(park):
        raise ConfigError(problem(
            f"{what} does not model flexible demand ([electrolyser], [load.flexible]); use "
            "run/size/study, or remove them", source=park.source,
            field="electrolyser" if hydrogen_active(park) else "load.flexible"))


class FlexParams(NamedTuple):
    """Scalar rules of flexible demand, physical units (build with :func:`params`)."""

    mwh_per_kg: float = 0.0  #: electrolyser electricity per kg of hydrogen [MWh/kg]
    min_load_fraction: float = 0.0  #: must-run floor [share of electrolyser capacity]
    fc_mwh_per_kg: float = 0.0  #: fuel cell electricity per kg of hydrogen [MWh/kg]
    sale_price_per_kg: float = -1.0  #: hydrogen sale price [money/kg]; < 0: no sale
    sale_max_kg_per_h: float = math.inf  #: most hydrogen sold [kg/h]
    unmet_penalty_per_kg: float = 0.0  #: cost of hydrogen demand not met [money/kg]
    store_initial_fraction: float = 0.5  #: store level at the start [fraction]
    store_cyclic: bool = True  #: store level at the end = at the start
    reserve_h: float = 24.0  #: rule: the fuel cell leaves this much coming demand [h]
    shift_share: float = 0.0  #: shiftable share of the load [0-1]
    window_h: int = 0  #: shift window [h]
    shift_max_mw: float = math.inf  #: most power of the shiftable part [MW]
    shed_share: float = 0.0  #: curtailable share of the load [0-1]
    shed_penalty_per_mwh: float = 0.0  #: cost of load shed [money/MWh]


def params(park: ParkConfig, price_max: float = 0.0) -> FlexParams:
    """Rules of ``park``'s flexible demand.

    ``price_max`` [money/MWh] sets the default penalty of unmet hydrogen (100 x the dearest grid
    power's cost per kg).
    """
    out: dict[str, Any] = {}  # FlexParams fields (float, int, bool)
    if hydrogen_active(park):
        el, h2 = hydrogen_configs(park)
        k = el.kwh_per_kg / 1e3
        penalty = h2.unmet_penalty_per_kg
        if penalty is None:
            penalty = UNMET_FACTOR * (abs(price_max) + park.grid.green_premium_per_mwh + 1.0) * k
        out.update(mwh_per_kg=k, min_load_fraction=el.min_load_fraction,
                   fc_mwh_per_kg=h2.fuel_cell_efficiency * LHV_KWH_PER_KG / 1e3,
                   sale_price_per_kg=-1.0 if h2.sale_price_per_kg is None else h2.sale_price_per_kg,
                   sale_max_kg_per_h=math.inf if h2.sale_max_kg_per_day is None
                   else h2.sale_max_kg_per_day / 24.0,
                   unmet_penalty_per_kg=penalty, store_initial_fraction=h2.storage_initial_fraction,
                   store_cyclic=h2.cyclic, reserve_h=h2.fuel_cell_reserve_h)
    fl = park.load.flexible
    if fl is not None:
        out.update(shift_share=fl.share if shift_active(park) else 0.0,
                   window_h=fl.window_h if shift_active(park) else 0,
                   shift_max_mw=math.inf if fl.max_mw is None else fl.max_mw,
                   shed_share=fl.curtailable_share, shed_penalty_per_mwh=fl.curtail_penalty_per_mwh)
    return FlexParams(**out)


def day_steps(dt_h: float) -> int:
    """Steps in a day of the shift rule [-] (24 h / step); the step must divide a day."""
    steps = 24.0 / dt_h
    if abs(steps - round(steps)) > 1e-9:
        raise ConfigError(problem("a shiftable load needs a time step that divides 24 h",
                                  field="load.flexible", value=dt_h))
    return int(round(steps))


def window_caps(base: np.ndarray, window_steps: int, dt_h: float, max_mw: float,
                day: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the backlog after each step [MWh]: (most deferred, most consumed ahead).

    Parameters
    ----------
    base : numpy.ndarray
        Movable base of each step, :math:`f_t` [MW].
    window_steps : int
        Window N [steps].
    dt_h : float
        Step [h].
    max_mw : float
        Most power of the shiftable part [MW] (inf: none).
    day : int
        Steps per day: the backlog is 0 at every day's end (module notes).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Upper bound of :math:`B_t` and upper bound of :math:`-B_t` [MWh], both
        >= 0 and 0 at each day's last step.
    """
    n = base.size
    e = base * dt_h
    start = (np.arange(n) // day) * day  # first step of each step's day
    end = np.minimum(start + day, n)  # one past its last
    c = np.concatenate([[0.0], np.cumsum(e)])
    t = np.arange(n)
    late = c[t + 1] - c[np.maximum(t + 1 - window_steps, start)]
    early = c[np.minimum(t + 1 + window_steps, end)] - c[t + 1]
    if np.isfinite(max_mw):
        room = np.concatenate([[0.0], np.cumsum(max_mw * dt_h - e)])
        late = np.minimum(late, room[end] - room[t + 1])
    last = t == end - 1
    return np.where(last, 0.0, np.maximum(late, 0.0)), np.where(last, 0.0, early)


def hydrogen_demand(park: ParkConfig, profiles: xr.Dataset | None, hours: int) -> np.ndarray:
    """Hourly hydrogen demand [kg/h].

    The profiles' ``hydrogen_demand_kg_per_h`` or the constant ``demand_kg_per_day`` / 24.
    """
    h2 = park.hydrogen
    if profiles is not None and DEMAND in profiles:
        return np.asarray(profiles[DEMAND].values, dtype=float)
    assert h2 is not None, "hydrogen demand of a park without [hydrogen]"
    if h2.demand_profile is not None:
        raise ProfileError(problem(
            f"the Profiles Dataset lacks {DEMAND} (build it with energysim.profiles."
            "build_profiles, which reads [hydrogen] demand_profile)",
            field="hydrogen.demand_profile", value=str(h2.demand_profile)))
    return np.full(hours, h2.demand_kg_per_day / 24.0)


def reserve_kg(demand: np.ndarray, hours_ahead: float, dt_h: float, cyclic: bool) -> np.ndarray:
    """Hydrogen demand of the coming ``hours_ahead`` after each step [kg] (wrapping if cyclic)."""
    n = demand.size
    k = int(math.ceil(hours_ahead / dt_h - 1e-9))
    if k == 0:
        return np.zeros(n)
    e = demand * dt_h
    ext = np.concatenate([e, e] if cyclic else [e, np.zeros(n)])
    while ext.size < n + 1 + k:  # a reserve longer than the run
        ext = np.concatenate([ext, e if cyclic else np.zeros(n)])
    c = np.concatenate([[0.0], np.cumsum(ext)])
    t = np.arange(n)
    return c[t + 1 + k] - c[t + 1]


def check_shift_power(park: ParkConfig, load: np.ndarray) -> None:
    """Raise a :class:`ConfigError` unless the shiftable peak fits under its ``max_mw``.

    The peak is the share x the peak load of the profiles; the limit is
    ``[load.flexible] max_mw``.
    """
    p = params(park)
    peak = float(np.max(load)) * p.shift_share if load.size else 0.0
    if p.shift_share > 0 and peak > p.shift_max_mw * (1 + 1e-12):
        raise ConfigError(problem(
            f"must be at least the shiftable part's peak, {peak:.6g} MW (share x peak load)",
            source=park.source, field="load.flexible.max_mw", value=p.shift_max_mw))


class FlexCosts(NamedTuple):
    """Capex and annualised cost per unit of the flexible-demand assets."""

    electrolyser_capex_per_mw: float
    storage_capex_per_kg: float
    fuel_cell_capex_per_mw: float
    electrolyser_annual_per_mw: float  #: capex x CRF + fixed O&M [money/MW/yr]
    storage_annual_per_kg: float  #: [money/kg/yr]
    fuel_cell_annual_per_mw: float  #: [money/MW/yr]


def annual_costs(park: ParkConfig) -> FlexCosts:
    """Capex and annualised cost (capex x CRF(r, lifetime) + fixed O&M) of each asset."""
    r = park.economics.discount_rate
    el, h2 = hydrogen_configs(park)

    def annual(capex, om_pct, life):
        return capex * (capital_recovery_factor(r, life) + om_pct / 100.0)

    e_capex = el.capex_per_kw * 1e3
    f_capex = h2.fuel_cell_capex_per_kw * 1e3
    return FlexCosts(
        e_capex, h2.storage_capex_per_kg, f_capex,
        annual(e_capex, el.fixed_om_pct_capex_yr, el.lifetime_yr),
        annual(h2.storage_capex_per_kg, h2.storage_fixed_om_pct_capex_yr, h2.storage_lifetime_yr),
        annual(f_capex, h2.fuel_cell_fixed_om_pct_capex_yr, h2.fuel_cell_lifetime_yr))
