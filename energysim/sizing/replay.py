"""Which dispatch reports a sizing: the rule-based core, or the LP's own dispatch replayed.

The re-simulation through the rule-based core (:mod:`energysim.dispatch`) is
the reported truth when its greedy rules reach what the LP planned: under flat
prices greedy load-following maximises the on-site share, so the LP's and the
core's on-site shares agree (checked to 1e-6 in :func:`energysim.sizing.build_sized`).

It cannot reach two kinds of plans, and there the report uses the LP's own
dispatch, **replayed through the accounting**:

- an **hourly-matching plan with a battery**: when the clean share is limited
  by green deliveries that vary hour by hour (a shaped contract, the flat block
  of ``green_matching = "hourly"``) or an hourly CFE target is asked, the LP
  saves stored on-site energy for the hours the contracts do not cover, while
  the core discharges in the first deficit hour;
- the **choice among ``[[procurement]]`` products**: which product serves each
  hour is the least-cost choice under the targets (e.g. regular power plus
  certificates rather than a dearer contract), while the core's labels take
  contract deliveries first (:mod:`energysim.dispatch.procurement`). The physical
  dispatch is still re-simulated by the core, and its on-site share must agree
  with the LP's under flat prices without shaped contracts (a shaped contract
  makes the price of imports vary by hour, as a time-of-use tariff does).

The replay comes after checks
that it is a physical operation (:func:`check_operation`: hourly energy balance,
battery power, state-of-charge window and dynamics, import limits, product
deliveries within their caps). The optimal-dispatch mode of the dispatch stage
(``energysim.dispatch.optimal``, issue 15) at fixed decisions has no target
rows, so its dispatch is free to differ from the plan wherever the targets are
indifferent in cost; the replayed plan is the dispatch that meets them.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from energysim import procurement as proc
from energysim.config import Capacities, ParkConfig
from energysim.errors import SolverError, problem

__all__ = ["needs_lp_dispatch", "check_operation", "REPLAY_TOLERANCE"]

#: Largest violation of a physical rule in a replayed LP dispatch, relative to the
#: peak load (power) or the battery energy (state of charge). HiGHS's feasibility
#: tolerance is 1e-7 in model units of O(1).
REPLAY_TOLERANCE = 1e-6


def needs_lp_dispatch(park: ParkConfig, capacities: Capacities, clean_target: float | None
                      ) -> tuple[str | None, bool]:
    """Why the LP's dispatch is reported instead of the core's (or None), and timing.

    The second item says whether the LP's battery timing differs from the core's, so their
    on-site shares need not agree.
    """
    if capacities.battery_mwh > 0:  # timing freedom the greedy core does not use
        if park.targets.cfe_score is not None:
            return "hourly CFE target with a battery", True
        hourly = any(p.green and p.hourly for p in proc.products(park))
        if hourly and clean_target:
            return "clean-share target under hourly-varying green deliveries with a battery", True
    if proc.explicit(park):
        # a shaped contract at another price than the grid makes the price of imports vary
        # by hour: the LP times the battery by it, as under a time-of-use tariff
        shaped = any(p.shaped for p in proc.products(park))
        return "least-cost choice among [[procurement]] products", shaped
    return None, False


def _worst(name: str, values: np.ndarray, scale: float) -> tuple[str, float]:
    return name, float(np.max(np.abs(values))) / scale if values.size else 0.0


def check_operation(flows: xr.Dataset, park: ParkConfig, capacities: Capacities,
                    profiles: xr.Dataset | None = None) -> dict[str, float]:
    """Check that LP flows are a physical operation; worst violation of each rule.

    Raises :class:`~energysim.errors.SolverError` naming the rule above
    :data:`REPLAY_TOLERANCE`. Relative to the peak load for powers, to the
    usable battery energy for the state of charge.
    """
    f = {k: flows[k].values for k in flows.data_vars}
    dt = float(flows.attrs.get("dt_h", 1.0))
    peak = max(float(np.max(f["load"])), 1e-9)
    bat = park.battery
    zero = np.zeros_like(f["load"])
    # flexible demand: the electrolyser draws like load, the fuel cell supplies like discharge
    electrolyser, fuel_cell = f.get("electrolyser", zero), f.get("fuel_cell", zero)
    balance = (f["pv"] + f["wind"] + f["import_green"] + f["import_regular"] + f["discharge"]
               + fuel_cell + f["unmet"] - f["load"] - electrolyser - f["charge"] - f["export"]
               - f["curtail"])
    checks = dict([
        _worst("energy balance", balance, peak),
        _worst("curtailment within generation",
               np.maximum(f["curtail"] - f["pv"] - f["wind"], 0.0), peak),
        _worst("imports serve load only", np.maximum(
            f["import_green"] + f["import_regular"] + f["unmet"] - f["load"] - electrolyser, 0.0),
            peak),
        _worst("import limit", np.maximum(
            f["import_green"] + f["import_regular"] - park.grid.import_max_mw, 0.0), peak),
        _worst("battery power", np.maximum(
            np.maximum(f["charge"], f["discharge"]) - capacities.battery_mw, 0.0), peak),
    ])
    e = capacities.battery_mwh
    if e > 0:
        keep = 1.0 - bat.self_discharge_per_h * dt
        s = f["soc"]
        prev = np.roll(s, 1)  # cyclic over the horizon, as the LP
        if not bat.cyclic:
            prev[0] = bat.soc_initial * e
        floor = bat.soc_min * e
        expected = floor + keep * (prev - floor) + (bat.eta_charge * f["charge"]
                                                   - f["discharge"] / bat.eta_discharge) * dt
        checks.update(dict([
            _worst("state-of-charge dynamics", s - expected, e),
            _worst("state-of-charge window", np.maximum(np.maximum(floor - s, s - bat.soc_max * e),
                                                        0.0), e)]))
    if profiles is not None and proc.explicit(park):
        from energysim.dispatch.procurement import volumes

        vol = volumes(park, capacities)
        for p in proc.products(park):
            if p.shaped and proc.flow_name(p.name) in f:
                cap = vol[p.name] * profiles[proc.shape_name(p.name)].values
                checks.update([_worst(f"delivery of {p.name}",
                                      np.maximum(f[proc.flow_name(p.name)] - cap, 0.0), peak)])
    bad = {k: v for k, v in checks.items() if v > REPLAY_TOLERANCE}
    if bad:
        rule, worst = max(bad.items(), key=lambda kv: kv[1])
        raise SolverError(problem(
            f"the LP's dispatch breaks the rule '{rule}' by {worst:.2e} (relative; allowed "
            f"{REPLAY_TOLERANCE:g}): it cannot be reported as an operation",
            field="sizing.dispatch", value=worst))
    return checks


#: Cost the polished dispatch may add to the optimum, relative (lexicographic solve).
POLISH_TOLERANCE = 1e-9


def polish(sm, solver, x: np.ndarray) -> np.ndarray:
    """The optimum's dispatch with the least battery throughput (a second, lexicographic solve).

    Where stored energy has no value (the battery fills up later anyway) the LP
    is indifferent between charging less and discharging into curtailment; a
    replayed dispatch must not dump stored energy. With the decisions held and
    the cost kept within :data:`POLISH_TOLERANCE` of the optimum, the discharged
    energy is minimised; the targets and every row stay. Returns the polished
    column values (``x`` itself when the re-solve fails).
    """
    from energysim.lp import Expr, Status

    cost = sm.cost.value(x)
    cols = sm.cap_cols
    lo, hi = solver.col_bounds(cols)
    solver.set_col_bounds(cols, x[cols], x[cols])
    row = solver.add_row(sm.cost, ub=cost + POLISH_TOLERANCE * max(abs(cost), 1e-9))
    throughput = Expr.sum(Expr.of(op.flows["discharge"], op.data.hour_weight * op.data.dt_h)
                          for op in sm.ops)
    solver.set_objective(throughput)
    try:
        out = solver.x if solver.solve() == Status.OPTIMAL else x
    finally:
        solver.set_objective(sm.cost)
        solver.set_row_bounds(np.array([row]), -np.inf, np.inf)
        solver.set_col_bounds(cols, lo, hi)
    return out
