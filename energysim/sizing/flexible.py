"""Flexible demand in sizing: decisions, LP flows, and the re-simulation that agrees with the LP.

- Decisions (:data:`energysim.decisions.DECISION_SOURCES`): electrolyser
  [MW electric input], hydrogen store [kg] and, when a fuel cell may be built,
  fuel cell [MW], next to PV, wind and battery, with their annualised costs
  (:func:`energysim.flexible.annual_costs`). The shiftable load's power is a
  parameter; its window is decided over ``window_options_h`` (:func:`size_window`:
  it sets the backlog bounds, a step function of the window, so no LP column can
  hold it; one optimum per candidate window, the cheapest wins).
- LP flows (:data:`energysim.sizing.outputs.FLOW_HOOKS`): the flexible flows
  of :data:`energysim.flexible.FLEX_FLOWS` in physical units.
- Re-simulation. The rule-based core (:mod:`energysim.dispatch.flexible_rules`)
  is greedy: for flexible demand it is not optimal in general (the LP times
  the shiftable load, electrolyser and battery together), so a sizing LP's
  shares would not be reproduced by it. With flexible demand the reported
  truth of sizing is therefore the **optimal dispatch**: the operation program
  (every hook) solved at the sized decisions (:func:`resimulate`), holding the
  shares the sizing solution reached, and accounted by
  :mod:`energysim.accounting` like any run. Its on-site share must equal the
  LP's to :data:`energysim.sizing.SHARE_TOLERANCE` (``build_sized``); robust
  sizing certifies every weather year the same way (:func:`certify`). Without
  flexible demand nothing here runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from energysim import flexible as model
from energysim.config import Capacities, ParkConfig
from energysim.decisions import Decision, _bounds
from energysim.errors import InfeasibleTargetError, SolverError, problem
from energysim.timeaxis import HOURS_PER_YEAR

if TYPE_CHECKING:
    from energysim.sizing import SizingResult

__all__ = ["flexible_decisions", "resimulate", "certify", "rule_shares", "without_flexibility",
           "flexibility_study", "VARIANTS", "size_window", "with_window"]


def flexible_decisions(park: ParkConfig) -> list[Decision]:
    """Electrolyser [MW], hydrogen store [kg] and fuel cell [MW] (when the park has them).

    The store's model unit is the electricity that makes the hydrogen (scale:
    kg per MWh), so its column is O(1) like the battery's.
    """
    if not model.hydrogen_active(park):
        return []
    el, h2 = model.hydrogen_configs(park)
    c = model.annual_costs(park)
    out = [
        Decision("electrolyser", "electrolyser_mw", *_bounds(el.existing_mw, el.min_mw, el.max_mw,
                                                             None),
                 c.electrolyser_annual_per_mw, el.existing_mw, el.lifetime_yr,
                 "electrolyser.max_mw"),
        Decision("hydrogen", "hydrogen_storage_kg",
                 *_bounds(h2.existing_kg, h2.min_kg, h2.max_kg, None), c.storage_annual_per_kg,
                 h2.existing_kg, h2.storage_lifetime_yr, "hydrogen.max_kg",
                 scale=1e3 / el.kwh_per_kg),
    ]
    if model.fuel_cell_active(park):
        out.append(Decision("fuel_cell", "fuel_cell_mw",
                            *_bounds(h2.fuel_cell_existing_mw, h2.fuel_cell_min_mw,
                                     h2.fuel_cell_max_mw, None),
                            c.fuel_cell_annual_per_mw, h2.fuel_cell_existing_mw,
                            h2.fuel_cell_lifetime_yr, "hydrogen.fuel_cell_max_mw"))
    return out


def lp_flows(sm, x: np.ndarray, op, out: dict, attrs: dict) -> None:
    """Flexible flows of the LP in physical units; load, curtail and onsite_served corrected."""
    park = sm.park
    if not model.active(park):
        return
    P, data = sm.scaling.power_mw, op.data
    n = data.hours
    p = model.params(park)

    def flow(name, scale=P):
        cols = op.flows.get(name)
        return np.zeros(n) if cols is None else np.maximum(x[cols] * scale, 0.0)

    k = p.mwh_per_kg
    per_kg = P / k if k > 0 else 0.0  # model power (or energy) -> kg/h (or kg)
    base = data.load * p.shift_share
    shift = np.zeros(n) if op.flows.get("shift") is None else x[op.flows["shift"]] * P
    out["electrolyser"] = flow("electrolyser")
    out["hydrogen_production"] = out["electrolyser"] / k if k > 0 else np.zeros(n)
    out["hydrogen_soc"] = flow("hydrogen_soc", per_kg)
    demand = np.zeros(n)
    if k > 0:
        demand = data.series.get(model.DEMAND)
        demand = model.hydrogen_demand(park, None, n) if demand is None else demand
    out["hydrogen_unmet"] = np.minimum(flow("hydrogen_unmet", per_kg), demand)
    out["hydrogen_delivered"] = demand - out["hydrogen_unmet"]
    out["hydrogen_sold"] = flow("hydrogen_sold", per_kg)
    out["fuel_cell"] = flow("fuel_cell")
    out["fuel_cell_hydrogen"] = out["fuel_cell"] / p.fc_mwh_per_kg if k > 0 else np.zeros(n)
    out["flexible_load"] = np.maximum(base - shift, 0.0)
    out["flexible_backlog"] = np.zeros(n) if op.flows.get("flexible_backlog") is None else \
        x[op.flows["flexible_backlog"]] * P
    out["load_shed"] = flow("load_shed")
    out["load"] = np.maximum(data.load - shift - out["load_shed"], 0.0)
    supply = out["pv"] + out["wind"] + out["import_green"] + out["import_regular"] \
        + out["discharge"] + out["unmet"] + out["fuel_cell"]
    out["curtail"] = np.maximum(supply - out["load"] - out["charge"] - out["export"]
                                - out["electrolyser"], 0.0)
    grid = out["import_green"] + out["import_regular"] + out["unmet"]
    out["onsite_served"] = np.maximum(out["load"] + out["electrolyser"] - grid, 0.0)
    attrs["electrolyser_mwh_per_kg"] = k




# ---------------------------------------------------------------------------
# the optimal re-simulation and the robust certification
# ---------------------------------------------------------------------------


def _hold_tolerance(share: float) -> float:
    """A share held by re-simulation, a hair below (solver tolerance) [0-1]."""
    return max(0.0, min(1.0, share - 1e-9))


def resimulate(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities,
               shares: tuple[float, float] | None = None) -> xr.Dataset:
    """The optimal dispatch at fixed decisions (:mod:`energysim.sizing.fixed`): the Flows Dataset.

    ``shares`` (on-site, clean [0-1]) are kept as targets where the decisions
    can (elastic); without them the least-cost dispatch with no target.
    """
    from energysim.sizing import with_targets
    from energysim.sizing.fixed import optimal_dispatch

    if shares is not None:
        park = with_targets(park, onsite_share=_hold_tolerance(shares[0]),
                            clean_share=_hold_tolerance(shares[1]))
    return optimal_dispatch(park, profiles, capacities, targets=shares is not None)


def rule_shares(kpis: list[dict], base_load_mwh: list[float], target: float,
                kind: str = "onsite") -> np.ndarray:
    r"""Shares :math:`1 - \ell_y` of the targets' linear rule (:mod:`energysim.sizing.targets`).

    :math:`\ell_y = (G_y - (1-\tau) V_y) / L_y` with :math:`G_y = (1 - s_y) D_y`,
    :math:`V_y = D_y - L_y` (demand minus the profile load), from each year's
    KPIs (``demand_mwh``, ``{kind}_share``) and profile load [MWh/yr].
    """
    out = []
    for k, base in zip(kpis, base_load_mwh, strict=True):
        demand = k.get("demand_mwh", k["load_mwh"])
        grid = (1.0 - k[f"{kind}_share"]) * demand
        out.append(1.0 - (grid - (1.0 - target) * (demand - base)) / base)
    return np.array(out)


def _optimal_years(park: ParkConfig, profiles: list[xr.Dataset], caps: Capacities,
                   targets: tuple[float, float], mode: str, alpha: float) -> list[xr.Dataset]:
    """Each year's optimal dispatch at ``caps`` with the target rows of ``mode`` (Flows)."""
    from energysim.dispatch.inputs import common_scaling, problem_data, with_scaling
    from energysim.sizing import fix_capacities
    from energysim.sizing.model import build_model
    from energysim.sizing.outputs import flows_of
    from energysim.sizing.solve import Status, make_solver, set_targets, solve

    datas = [problem_data(park, p) for p in profiles]
    datas = with_scaling(datas, common_scaling(datas))
    # every_year: the years are independent, one program each; else one over all years
    groups = [[k] for k in range(len(datas))] if mode == "every_year" else [list(range(len(datas)))]
    flows: dict[int, xr.Dataset] = {}
    for group in groups:
        sm = build_model(park, [datas[k] for k in group], integer_turbines=False,
                         robustness=mode, cvar_alpha=alpha)
        solver = make_solver(sm)
        fix_capacities(sm, solver, caps)
        set_targets(sm, solver, *targets)
        if solve(solver, "certification of the robust sizing") != Status.OPTIMAL:
            raise SolverError(problem(
                f"certification failed: the optimal dispatch at the sized decisions cannot meet "
                f"the targets by the '{mode}' rule", field="sizing.robustness", value=mode))
        for k, op in zip(group, sm.ops, strict=True):
            flows[k] = flows_of(sm, solver.x, op, profiles[k])
            flows[k].attrs["dispatch_mode"] = "optimal"
    return [flows[k] for k in range(len(datas))]


def certify(park: ParkConfig, profiles: list[xr.Dataset], years: list, caps: Capacities,
            targets: tuple[float, float], mode: str, alpha: float
            ) -> tuple[pd.DataFrame, dict, list]:
    """Every weather year's optimal dispatch at ``caps`` under the robustness rule.

    The years' operation programs are solved at the sized decisions with the
    target rows of ``mode`` (each year alone for ``every_year``, together
    otherwise); each year is accounted like a run. Returns the per-year table,
    the verdicts (the rule on the shares, or for the pooled modes on
    :func:`rule_shares`, of the accounted flows) and the Flows Datasets.
    """
    from energysim.profiles import complete
    from energysim.results import Result
    from energysim.sizing.robust import robust_rule_holds, year_row

    flows = _optimal_years(park, profiles, caps, targets, mode, alpha)
    rows, kpis = [], []
    for year, prof, f in zip(years, profiles, flows, strict=True):
        k = Result.from_flows(park, caps, complete(prof, park), f).kpis
        kpis.append(k)
        rows.append(year_row(year, k))
    table = pd.DataFrame(rows)
    base = [float(p["load"].sum()) * HOURS_PER_YEAR / p.sizes["time"] for p in profiles]
    verdict = {}
    for kind, target in zip(("onsite", "clean"), targets, strict=True):
        # every_year is exact on the shares themselves; the pooled modes on the rule's losses
        shares = table[f"{kind}_share"].to_numpy() if mode == "every_year" or len(kpis) == 1 \
            else rule_shares(kpis, base, target, kind)
        ok, value = robust_rule_holds(shares, target, mode, alpha)
        verdict[kind] = {"target": target, "value": value, "holds": ok}
    return table, verdict, flows


# ---------------------------------------------------------------------------
# the study: what flexibility is worth
# ---------------------------------------------------------------------------

#: Variants of :func:`flexibility_study`: (keep the hydrogen store and fuel cell, keep the
#: shiftable and curtailable load).
VARIANTS = {"none": (False, False), "hydrogen_store": (True, False),
            "shiftable_load": (False, True), "all": (True, True)}


def without_flexibility(park: ParkConfig, store: bool = False, load: bool = False) -> ParkConfig:
    """``park`` with its flexibility taken away, its demands kept.

    Without the store (and fuel cell, and hydrogen sales) the electrolyser must
    make each hour's hydrogen demand in that hour: a constant process load.
    Without load flexibility the whole load is fixed and none is shed.
    """
    values: dict = {}
    if park.hydrogen is not None and not store:
        values.update({f"hydrogen.{k}": 0.0 for k in (
            "storage_kg", "existing_kg", "min_kg", "max_kg", "fuel_cell_mw",
            "fuel_cell_existing_mw", "fuel_cell_min_mw", "fuel_cell_max_mw")})
        values["hydrogen.sale_price_per_kg"] = None
    if park.load.flexible is not None and not load:
        values["load.flexible"] = None
    return park.with_values(values) if values else park


def flexibility_study(park: ParkConfig, profiles: xr.Dataset, sized) -> dict:
    """How much flexibility lowers the least cost of the on-site target and the battery needed.

    The least-cost mix (:func:`energysim.sizing.size`, re-simulated by the
    optimal dispatch) of ``park`` without flexibility, with each kind alone
    (when the park has both) and with all of it (``sized``, the study's own
    sizing), on the same profiles and targets; the same hydrogen and process
    demand is met in every variant.
    """
    from energysim.sizing import size

    kinds = (model.hydrogen_active(park), model.shift_active(park) or model.shed_active(park))
    rows = []
    for name, (store, load) in VARIANTS.items():
        if name in ("hydrogen_store", "shiftable_load") and not all(kinds):
            continue
        result = sized if name == "all" else size(without_flexibility(park, store, load), profiles)
        c = result.capacities
        rows.append({"variant": name, "annualized_cost": result.annualized_cost,
                     "onsite_share": result.sim_onsite_share, **c.model_dump()})
    none, full = rows[0], rows[-1]
    saving = none["annualized_cost"] - full["annualized_cost"]
    return {
        "target_onsite_share": park.targets.onsite_share,
        "variants": rows,
        "cost_saving_per_yr": saving,
        "cost_saving_share": saving / none["annualized_cost"] if none["annualized_cost"] else None,
        "battery_saving_mwh": none["battery_mwh"] - full["battery_mwh"],
        "battery_saving_mw": none["battery_mw"] - full["battery_mw"],
    }


def with_window(park: ParkConfig, window_h: int) -> ParkConfig:
    """``park`` with the shift window ``window_h`` [h] and no window options (one decided)."""
    assert park.load.flexible is not None, "a shift window needs [load.flexible]"
    fl = park.load.flexible.model_dump() | {"window_h": window_h, "window_options_h": None}
    return park.with_values({"load.flexible": fl})


def size_window(park: ParkConfig, size_one: Callable[[ParkConfig], SizingResult]
                ) -> SizingResult:
    """Sizing with the shift window as a decision: the cheapest of ``window_options_h``.

    Each candidate window is sized to its own optimum (``size_one``: :func:`energysim.sizing.size`
    on the same profiles and targets), its fixed cost
    (:func:`energysim.flexible.window_cost`) in the annualised cost; the answer is the least
    annualised cost over the options, ties (1e-9 relative) to the shortest window. The window
    sets the backlog bounds of the program, a step function of it, so one LP cannot choose it;
    enumerating the options is exact over them.

    Returns
    -------
    SizingResult
        The chosen window's, with ``park`` the park as decided (its ``window_h``) and
        ``shift_window`` = {``window_h``: chosen, ``options``: per option ``window_h``,
        ``window_cost`` [money/yr], ``annualized_cost`` [money/yr] or None when the target
        is out of reach with it, ``feasible``}.

    Raises
    ------
    InfeasibleTargetError
        No option reaches the targets (the widest option's diagnosis).
    """
    rows: list[dict] = []
    best: tuple[int, ParkConfig, SizingResult] | None = None
    last_error: InfeasibleTargetError | None = None
    for w in model.window_options(park):
        option = with_window(park, w)
        row = {"window_h": w, "window_cost": model.window_cost(option)}
        try:
            sized = size_one(option)
        except InfeasibleTargetError as err:
            rows.append(row | {"annualized_cost": None, "feasible": False})
            last_error = err
            continue
        rows.append(row | {"annualized_cost": sized.annualized_cost, "feasible": True})
        if best is None or sized.annualized_cost < best[2].annualized_cost * (1.0 - 1e-9):
            best = (w, option, sized)
    if best is None:
        assert last_error is not None, "window_options_h is never empty"
        raise last_error
    chosen, option, sized = best
    return dataclasses.replace(sized, park=option,
                               shift_window={"window_h": chosen, "options": rows})
