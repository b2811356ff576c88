"""Perfect-foresight least-cost dispatch at fixed decisions: the ``optimal`` dispatch mode.

The sizing program of one horizon (:func:`energysim.sizing.model.build_model`,
every operation hook included) with its decision columns held at given
capacities: what remains is the dispatch, priced exactly as the sizing
objective prices it — time-of-use energy prices, export value, the tariff's
demand charge, green-contract shapes — and, as the park's operating policy,
its share targets (on-site, clean) wherever the capacities can meet them.
The targets are elastic: a shortfall column at a cost far above any energy
price (:func:`energysim.sizing.decomposition.op_penalty`) lets a kit that
cannot reach them still be dispatched (it then maximises the share first);
when they can be met, the dispatch is exactly the sizing LP's at those
capacities, so a sized design re-simulated this way reports the LP's cost.

:class:`FixedDispatch` keeps the program in one HiGHS instance with presolve
off: a new set of capacities only changes column bounds and the solve restarts
from the last basis (benchmarks/dispatch.py: ``optimal_ms_per_year``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from energysim.config import Capacities, ParkConfig
from energysim.dispatch.inputs import problem_data
from energysim.errors import SolverError, problem
from energysim.sizing.model import SizingModel, build_model
from energysim.sizing.outputs import flows_of
from energysim.sizing.solve import Status, make_solver, set_targets, solve

__all__ = ["FixedDispatch", "optimal_dispatch"]


class FixedDispatch:
    """One horizon's optimal dispatch, re-solved warm for each set of capacities.

    Parameters
    ----------
    park : ParkConfig
    profiles : xarray.Dataset
        Profiles Dataset of the horizon.
    targets : bool
        Hold the park's share targets (elastic) as operating policy.
    """

    def __init__(self, park: ParkConfig, profiles: xr.Dataset, *, targets: bool = True):
        from energysim.sizing.decomposition import op_penalty

        self.park, self.profiles = park, profiles
        data = problem_data(park, profiles)
        self.penalty = op_penalty(data, park) if targets else None
        self.sm: SizingModel = build_model(park, data, integer_turbines=False,
                                           elastic=self.penalty)
        self.solver = make_solver(self.sm, presolve="off")
        sm, s = self.sm, self.solver
        if sm.land_rows:
            s.set_row_bounds(np.array(list(sm.land_rows.values())), -np.inf, np.inf)
        if targets:
            set_targets(sm, s, None, None)
        else:
            rows = np.concatenate([t.rows for t in sm.targets.values()])
            s.set_row_bounds(rows, -np.inf, np.inf)
        self._bounds = s.col_bounds(sm.cap_cols)

    def shortfall(self, x: np.ndarray) -> float:
        """Energy by which the share targets are missed [model energy units].

        The CO2 ceiling's shortfall is in tCO2 and not counted here.
        """
        cols = [t.slack for k, t in self.sm.targets.items() if t.slack is not None and k != "co2"]
        return float(sum(x[c].sum() for c in cols)) if cols else 0.0

    def run(self, capacities: Capacities) -> xr.Dataset:
        """The Flows Dataset of the least-cost dispatch at ``capacities``.

        Attributes ``dispatch_mode = "optimal"``, ``lp_objective`` [money/yr]
        (energy and capacity charge at these capacities, shortfall excluded)
        and ``target_shortfall_mwh`` (0 when the targets are met).
        """
        sm, s = self.sm, self.solver
        # capacities held; a product volume they do not decide is the operation's choice
        # within its bounds (certificates bought as needed, an open contract volume)
        values = sm.values_of(capacities, missing="nan")
        held = np.isfinite(values)
        lo, hi = self._bounds
        s.set_col_bounds(sm.cap_cols, np.where(held, values, lo), np.where(held, values, hi))
        if solve(s, "optimal dispatch") == Status.INFEASIBLE:
            raise SolverError(problem(
                "optimal dispatch infeasible at these capacities (a green volume or import "
                "limit no dispatch can respect)", field="capacities",
                value=capacities.model_dump()))
        x = s.x
        flows = flows_of(sm, x, sm.ops[0], self.profiles)
        flows.attrs.update(
            dispatch_mode="optimal",
            lp_objective=sm.money(sm.energy_cost, x),
            target_shortfall_mwh=self.shortfall(x) * sm.scaling.power_mw,
            source="energysim optimal dispatch (perfect-foresight LP at fixed capacities)")
        return flows


def optimal_dispatch(park: ParkConfig, profiles: xr.Dataset, capacities: Capacities, *,
                     targets: bool = True) -> xr.Dataset:
    """Perfect-foresight least-cost dispatch at fixed capacities, as a Flows Dataset.

    See :class:`FixedDispatch` (build it once to dispatch many capacities).
    """
    return FixedDispatch(park, profiles, targets=targets).run(capacities)
