r"""Flexible demand in the operation LP: an extension hook of :mod:`energysim.dispatch.program`.

:func:`add_flexible` is named in :data:`energysim.dispatch.program.HOOKS`;
it adds nothing when the park has no flexible demand
(:func:`energysim.flexible.active`), so such a park builds exactly the
program it did before. Model units as the program's (power unit ``P`` MW,
money unit ``M``); hydrogen is measured in the electricity that makes it
(1 kg = k MWh), so the store's column is kg x k / P and the hydrogen balance
has O(1) coefficients. Per step t (:mod:`energysim.flexible` for the rules):

.. math::

    h_t = h_{t-1} + \Delta t\,(e_t - q_t - r F_t + u_t - k d_t / P),
    \quad h_t \le \overline{H}, \quad m C_{el} \le e_t \le C_{el}, \quad F_t \le C_{fc}

    B_t = B_{t-1} + \Delta t\, s_t \;(B = 0 \text{ before each day}),\quad
    -\underline{B}_t \le B_t \le \overline{B}_t,\quad f_t - \overline{y} \le s_t \le f_t

with :math:`e` electrolyser input, :math:`q` hydrogen sold, :math:`F` fuel
cell output, :math:`r = k / (\eta_{fc} H)` electrolyser MWh per fuel-cell
MWh, :math:`u` hydrogen demand not met, :math:`d` demand [kg/h];
:math:`s_t = f_t - y_t` the shiftable power deferred (negative: served ahead),
:math:`B` the backlog; shed load :math:`x_t \le \psi L_t`. Balance terms:
:math:`-e + F + s + x`; the grid may serve the electrolyser (serve-load row
:math:`g + r + u_{el} - e + s + x \le L`). Costs: hydrogen sold at its price
(negative), unmet hydrogen and shed load at their penalties. The decisions'
part of the share's demand (``op.variable_load``) is
:math:`\sum_t w_t \Delta t\,(e_t - r F_t - x_t)` (:mod:`energysim.accounting`).
"""

from __future__ import annotations

import numpy as np

from energysim import flexible as model
from energysim.config import ParkConfig
from energysim.dispatch.program import green_rules, unmet_penalty_per_mwh
from energysim.errors import ConfigError, problem
from energysim.lp import Expr, LinearProgram
from energysim.timeaxis import annual_scale

__all__ = ["add_flexible"]


def _cost_factor(op) -> np.ndarray:
    """Money units per year per (model power x step) per money/MWh, by step."""
    data = op.data
    a = (data.scaling.power_mw * annual_scale(data.hours, data.dt_h, data.weight)
         / data.scaling.money)
    return data.hour_weight * data.dt_h * a


def _previous(n: int, segment: int, cyclic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Index of the state before each step and whether the step opens a segment."""
    t = np.arange(n)
    first = t % segment == 0
    prev = np.where(first, t + segment - 1, t - 1) if cyclic else np.maximum(t - 1, 0)
    return prev, first


def _caps(op, park: ParkConfig) -> tuple[int, int, int | None]:
    missing = [k for k in ("electrolyser", "hydrogen") if k not in op.caps]
    if missing:
        raise ConfigError(problem("an electrolyser and hydrogen store are not supported in this "
                                  "model (pathways)", source=park.source, field="electrolyser"))
    return op.caps["electrolyser"], op.caps["hydrogen"], op.caps.get("fuel_cell")


def _open_imports(lp: LinearProgram, park: ParkConfig, op) -> None:
    """Imports may exceed the profile load by what the electrolyser or a served backlog draws.

    The column bounds (the load, in the core program) become the grid's limits; the serve-load
    row (imports <= consumption) keeps them from charging the battery.
    """
    P = op.data.scaling.power_mw
    green_hi, regular_hi, _ = green_rules(park, op.data.represented_h)
    for name, hi in (("import_green", green_hi), ("import_regular", regular_hi)):
        if op.flows.get(name) is not None:
            lp.set_col_upper(op.flows[name], min(hi, park.grid.import_max_mw) / P)


def _add_hydrogen(lp: LinearProgram, park: ParkConfig, op, tag: str) -> None:
    data = op.data
    P, n, dt = data.scaling.power_mw, data.hours, data.dt_h
    p = model.params(park)
    k = p.mwh_per_kg
    cap_e, cap_h, cap_f = _caps(op, park)
    demand = data.series.get(model.DEMAND)
    demand = model.hydrogen_demand(park, None, n) if demand is None else demand
    need = demand * k / P  # model power equivalent
    e = lp.add_variables(f"electrolyser{tag}", n)
    h = lp.add_variables(f"hydrogen_soc{tag}", n)
    unmet = lp.add_variables(f"hydrogen_unmet{tag}", n, 0.0, need)
    sold = lp.add_variables(f"hydrogen_sold{tag}", n, 0.0, p.sale_max_kg_per_h * k / P) \
        if p.sale_price_per_kg >= 0 else None
    fc = lp.add_variables(f"fuel_cell{tag}", n) if cap_f is not None else None
    r = k / p.fc_mwh_per_kg
    op.rows["electrolyser_max"] = lp.add_constraints(
        f"electrolyser_max{tag}", [(e, 1.0), (cap_e, -1.0)], ub=0.0, n=n)
    if p.min_load_fraction > 0:
        op.rows["electrolyser_min"] = lp.add_constraints(
            f"electrolyser_min{tag}", [(e, 1.0), (cap_e, -p.min_load_fraction)], lb=0.0, n=n)
    op.rows["hydrogen_max"] = lp.add_constraints(f"hydrogen_max{tag}", [(h, 1.0), (cap_h, -1.0)],
                                                 ub=0.0, n=n)
    prev, first = _previous(n, data.segment_h or n, p.store_cyclic)
    terms: list[tuple] = [(h, 1.0), (e, -dt), (unmet, -dt)]
    if p.store_cyclic:
        terms.append((h[prev], -1.0))
    else:  # the first step starts from the initial level of the store
        terms += [(h[prev], np.where(first, 0.0, -1.0)),
                  (cap_h, np.where(first, -p.store_initial_fraction, 0.0))]
    terms += [(cols, dt * c) for cols, c in ((sold, 1.0), (fc, r)) if cols is not None]
    op.rows["hydrogen_balance"] = lp.add_constraints(f"hydrogen_balance{tag}", terms,
                                                     lb=-dt * need, ub=-dt * need, n=n)
    if fc is not None:
        op.rows["fuel_cell_max"] = lp.add_constraints(
            f"fuel_cell_max{tag}", [(fc, 1.0), (cap_f, -1.0)], ub=0.0, n=n)
        op.balance_terms.append((fc, 1.0))
    op.balance_terms.append((e, -1.0))
    op.serve_terms.append((e, -1.0))
    _open_imports(lp, park, op)
    w = data.hour_weight * dt
    op.variable_load = op.variable_load + Expr.of(e, w) - (Expr.of(fc, w * r) if fc is not None
                                                             else Expr.zero())
    c = _cost_factor(op)
    penalty = p.unmet_penalty_per_kg
    _, h2 = model.hydrogen_configs(park)
    if h2.unmet_penalty_per_kg is None:
        penalty = unmet_penalty_per_mwh(data.price, park) * k
    op.extra_cost.append(Expr.of(unmet, c * penalty / k))
    if sold is not None:
        op.extra_cost.append(Expr.of(sold, -c * p.sale_price_per_kg / k))
    op.flows.update(electrolyser=e, hydrogen_soc=h, hydrogen_unmet=unmet, hydrogen_sold=sold,
                    fuel_cell=fc)


def _add_load(lp: LinearProgram, park: ParkConfig, op, tag: str) -> None:
    """Shiftable (deferred power ``shift``, backlog) and curtailable (``load_shed``) load."""
    data = op.data
    P, n, dt = data.scaling.power_mw, data.hours, data.dt_h
    p = model.params(park)
    w = data.hour_weight * dt
    if p.shift_share > 0:
        model.check_shift_power(park, data.load)
        base = data.load * p.shift_share
        day = data.segment_h or model.day_steps(dt)
        late, early = model.window_caps(base, int(round(p.window_h / dt)), dt, p.shift_max_mw, day)
        s = lp.add_variables(f"shift{tag}", n, (base - p.shift_max_mw) / P, base / P)
        b = lp.add_variables(f"flexible_backlog{tag}", n, -early / P, late / P)
        prev, first = _previous(n, day, False)
        op.rows["backlog"] = lp.add_constraints(
            f"backlog{tag}", [(b, 1.0), (b[prev], np.where(first, 0.0, -1.0)), (s, -dt)],
            lb=0.0, ub=0.0, n=n)
        op.balance_terms.append((s, 1.0))
        op.serve_terms.append((s, 1.0))
        op.flows.update(shift=s, flexible_backlog=b)
        _open_imports(lp, park, op)  # a backlog served from the grid may exceed the load
    if p.shed_share > 0:
        x = lp.add_variables(f"load_shed{tag}", n, 0.0, data.load * p.shed_share / P)
        op.balance_terms.append((x, 1.0))
        op.serve_terms.append((x, 1.0))
        op.variable_load = op.variable_load - Expr.of(x, w)
        op.extra_cost.append(Expr.of(x, _cost_factor(op) * p.shed_penalty_per_mwh))
        op.flows["load_shed"] = x


def add_flexible(lp: LinearProgram, park: ParkConfig, op, tag: str) -> None:
    """The operation hook: electrolyser, hydrogen store, fuel cell, shiftable and shed load."""
    if not model.active(park):
        return
    if model.hydrogen_active(park):
        _add_hydrogen(lp, park, op, tag)
    if model.shift_active(park) or model.shed_active(park):
        _add_load(lp, park, op, tag)
