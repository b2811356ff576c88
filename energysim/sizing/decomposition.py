r"""Robust sizing by decomposition over weather years: a proximal bundle (Benders) method.

Given the capacities :math:`C` and the loss allowances :math:`\rho_y` (the share
each year may miss, :math:`1 - s_y`), weather years are independent:
sub-problem y is the year's dispatch LP with the capacities held (column
bounds) and its target rows :math:`G_y \le \rho_y L_y` made elastic (a
shortfall column at a high cost, so it is never infeasible). Its optimal value
:math:`Q_y(C, \rho_y)` [money units/yr] is convex; the reduced costs of the held
capacity columns and the target rows' duals give a subgradient, hence a cut
:math:`\theta_y \ge Q_y^k + g_C^k (C - C^k) + g_\rho^k (\rho_y - \rho_y^k)`
(Benders' L-shaped method [1], one cut per year [2]).

The master problem is small: :math:`C`, :math:`\rho_y`, :math:`\theta_y`, the
robustness rule on :math:`\rho` (:mod:`energysim.sizing.targets`) and the cuts;
it minimises the asset cost plus the mean of :math:`\theta_y`. Plain cutting
planes zig-zag, so candidates come from the master with an L1 proximal term
around the best point so far (a proximal bundle method [3]; L1 keeps it an
LP); after a few fruitless steps, cuts at a shrinking stencil of points
around the best point give the model the neighbouring pieces of the
functions. The master without the proximal term bounds the optimum from below,
the best evaluated point from above; the method stops when they agree to a
relative ``gap``.

Each year's HiGHS instance is kept (presolve off), so after its first solve it
restarts from its last basis (~20-40 ms for a full year); years are solved in
parallel threads (HiGHS releases the GIL). A shortfall left at the optimum means
the shortfall cost was below the target's shadow price: it is raised tenfold
and the iterations go on (old cuts stay valid lower bounds).

References
----------
.. [1] R. M. Van Slyke, R. Wets, "L-shaped linear programs with applications to
   optimal control and stochastic programming", SIAM J. Appl. Math. 17 (1969) 638-663.
.. [2] J. R. Birge, F. V. Louveaux, "A multicut algorithm for two-stage stochastic
   linear programs", Eur. J. Oper. Res. 34 (1988) 384-392.
.. [3] K. C. Kiwiel, "Proximity control in bundle methods for convex
   nondifferentiable minimization", Math. Program. 46 (1990) 105-122.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from energysim.config import Capacities, ParkConfig
from energysim.decisions import decisions, model_values
from energysim.dispatch.inputs import ProblemData
from energysim.dispatch.program import unmet_penalty_per_mwh
from energysim.errors import InfeasibleTargetError, SolverError, problem
from energysim.lp import Expr, LinearProgram, Solver, Status
from energysim.sizing.model import add_decisions, asset_cost_expr, build_model
from energysim.sizing.solve import make_solver, set_share_coefficients, solve
from energysim.timeaxis import annual_scale

__all__ = ["DecompositionStats", "Decomposition", "decompose", "GAP"]

#: Default relative optimality gap at which the decomposition stops.
GAP = 1e-7
_MAX_ITER = 300


@dataclass
class DecompositionStats:
    """How the decomposition went: iterations, bounds, times [s]."""

    iterations: int = 0
    lower: float = -np.inf
    upper: float = np.inf
    gap: float = np.inf
    penalty_raises: int = 0
    sub_solves: int = 0
    sub_s: float = 0.0
    master_s: float = 0.0
    guess_s: float = 0.0
    history: list = field(default_factory=list)


# ---------------------------------------------------------------------------


class _Year:
    """One weather year's sub-problem, held in its own HiGHS instance."""

    def __init__(self, park: ParkConfig, data: ProblemData, penalty: float):
        self.sm = build_model(park, data, integer_turbines=False, elastic=penalty)
        # presolve off: re-solves after bound changes start from the last basis directly
        # (with presolve on, HiGHS presolves again each time: ~3x slower warm solves)
        self.solver = make_solver(self.sm, presolve="off", primal_feasibility_tolerance=1e-9,
                                  dual_feasibility_tolerance=1e-9)
        self.op = self.sm.ops[0]
        self.penalty = penalty
        self._set_objective()

    def _set_objective(self) -> None:
        slack = [self.sm.targets[k].slack for k in ("onsite", "clean")]
        assert all(s is not None for s in slack), "built elastic: the target rows have slacks"
        self.shortfall = Expr.of(np.concatenate(cast(list[np.ndarray], slack)), 1.0)
        self.solver.set_objective(self.op.energy_cost + self.op.unmet_cost
                                  + self.shortfall * self.penalty)

    def raise_penalty(self, factor: float) -> None:
        self.penalty *= factor
        self._set_objective()

    def evaluate(self, caps: np.ndarray, rho: np.ndarray) -> tuple[float, np.ndarray, float]:
        """Q, its subgradient over (C, rho_onsite, rho_clean), and the shortfall."""
        s, sm = self.solver, self.sm
        s.set_col_bounds(sm.cap_cols, caps, caps)
        rows = np.array([sm.targets["onsite"].rows[0], sm.targets["clean"].rows[0]])
        s.set_row_bounds(rows, -np.inf, rho * self.op.total_load)
        if solve(s, "robust sizing sub-problem") != Status.OPTIMAL:
            raise SolverError(problem("a year's dispatch sub-problem is infeasible at given "
                                      "capacities", field="sizing.robustness"))
        grad = np.concatenate([s.col_dual[sm.cap_cols], s.row_dual[rows] * self.op.total_load])
        x = s.x
        # from the flows, not HiGHS's objective: a shortfall within the feasibility
        # tolerance (a hair either side of 0) times a large penalty must not move the value
        short = self.shortfall.value(x)
        short = 0.0 if short <= 1e-9 * self.op.total_load else short
        value = (self.op.energy_cost + self.op.unmet_cost).value(x) + self.penalty * short
        return value, grad, short


@dataclass
class _Master:
    """The master LP: capacities, loss allowances, one cost column per year, cuts."""

    lp: LinearProgram
    solver: Solver | None
    caps: np.ndarray  # columns of C (CAP_KEYS order)
    rho: np.ndarray  # (years, 2) columns: onsite, clean allowance
    theta: np.ndarray  # columns of the years' energy cost
    bounds: tuple[np.ndarray, np.ndarray]  # capacity bounds (model units)
    cost: Expr = field(default_factory=Expr.zero)


def _build_master(park: ParkConfig, scaling, n: int, targets, mode: str, alpha: float,
                  floors: np.ndarray) -> _Master:
    """Master LP: min asset cost(C) + mean(theta) s.t. robustness rows on rho."""
    P, M = scaling.power_mw, scaling.money
    lp = LinearProgram(name="energysim_robust_master")
    decs = decisions(park)
    caps_by_key, _, _, _ = add_decisions(lp, park, decs, P, park.wind.integer_turbines)
    caps = np.array([caps_by_key[k] for k in decs], dtype=np.int64)
    lo = np.array([d.lower / (d.scale * P) for d in decs.values()])
    hi = np.array([d.upper / (d.scale * P) for d in decs.values()])
    rho = np.column_stack([lp.add_variables(f"rho_{k}", n, 0.0, 1.0) for k in ("onsite", "clean")])
    theta = lp.add_variables("theta", n, floors, np.inf)
    for j, (kind, target) in enumerate(zip(("onsite", "clean"), targets, strict=True)):
        _add_rule(lp, rho[:, j], kind, 1.0 - target, mode, alpha)
    cost = asset_cost_expr(park, decs, caps_by_key, P, M) + Expr.of(theta, 1.0 / n)
    lp.add_cost(cost)
    return _Master(lp, None, caps, rho, theta, (lo, hi), cost)


def _add_rule(lp: LinearProgram, rho: np.ndarray, kind: str, allowance: float, mode: str,
              alpha: float) -> None:
    """Robustness rule on the loss allowances (every year / mean / CVaR) <= allowance."""
    n = rho.size
    if mode == "every_year" or n == 1:
        lp.add_constraints(f"rule_{kind}", [(rho, 1.0)], ub=allowance, n=n)
    elif mode == "expected":
        lp.add_row(f"rule_{kind}", Expr.of(rho, 1.0 / n), ub=allowance)
    else:
        eta = lp.add_variable(f"eta_{kind}", -np.inf, np.inf)
        z = lp.add_variables(f"excess_{kind}", n)
        lp.add_constraints(f"excess_{kind}", [(z, 1.0), (eta, 1.0), (rho, -1.0)], lb=0.0, n=n)
        lp.add_row(f"rule_{kind}", Expr.of(np.concatenate([[eta], z]),
                                           np.concatenate([[1.0], np.full(n, 1 / (alpha * n))])),
                   ub=allowance)


class Decomposition:
    """State of one Benders run (see the module docstring)."""

    def __init__(self, park, datas, targets, mode, alpha, workers):
        self.park, self.targets, self.mode, self.alpha = park, targets, mode, alpha
        self.n = len(datas)
        self.P = datas[0].scaling.power_mw
        base = min(op_penalty(d, park) for d in datas)
        self.years = [_Year(park, d, base) for d in datas]
        for year in self.years:  # flexible demand: the loss rule's coefficient (targets.py)
            set_share_coefficients(year.sm, year.solver, *targets)
        floors = np.array([_energy_floor_of(y) for y in self.years])
        self.master = _build_master(park, datas[0].scaling, self.n, targets, mode, alpha, floors)
        opts = {"time_limit_s": park.solver.time_limit_s, "mip_rel_gap": park.solver.mip_rel_gap}
        self.master.solver = Solver(self.master.lp, **opts)  # cutting-plane LP: lower bounds
        # the level projection: min t s.t. |C - center| <= t * scale, model <= level
        lp, m = self.master.lp, self.master
        self.t = lp.add_variable("distance")
        self.point_cols = np.concatenate([m.caps, m.rho.ravel()])  # C, then rho by year
        k = self.point_cols.size
        self.near = (lp.add_constraints("near_above", [(self.point_cols, 1.0), (self.t, -1.0)],
                                        ub=0.0, n=k),
                     lp.add_constraints("near_below", [(self.point_cols, 1.0), (self.t, 1.0)],
                                        lb=0.0, n=k))
        self.level_row = lp.add_row("level", m.cost)
        self.prox = Solver(lp, **opts)
        self.prox.set_objective(Expr.of(self.t, 1.0))
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(workers, self.n)))
        self.stats = DecompositionStats()
        self.best = (np.inf, None, None, 0.0)  # (penalised value, caps, rho, shortfall)
        self.tiny = 0.0  # shortfalls within tolerance are zero already (_Year.evaluate)

    def close(self):
        """Shut the thread pool of the year subproblems down (waits for running ones)."""
        self.pool.shutdown(wait=True)

    def evaluate(self, caps: np.ndarray, rho: np.ndarray) -> tuple[float, float]:
        """True objective at (C, rho) (penalised), adding one cut per year; max shortfall."""
        t0 = time.perf_counter()
        out = list(self.pool.map(lambda yr: yr[1].evaluate(caps, rho[yr[0]]),
                                 enumerate(self.years)))
        self.stats.sub_s += time.perf_counter() - t0
        self.stats.sub_solves += self.n
        m = self.master
        for y, (q, g, _) in enumerate(out):
            cols = np.concatenate([[m.theta[y]], m.caps, m.rho[y]])
            point = np.concatenate([caps, rho[y]])
            cut = Expr.of(cols, np.concatenate([[1.0], -g]))
            m.solver.add_row(cut, lb=q - g @ point)
            self.prox.add_row(cut, lb=q - g @ point)
        x = np.zeros(m.lp.ncols)
        x[m.caps] = caps
        x[m.theta] = [q for q, _, _ in out]
        value = m.cost.value(x)
        shortfall = max(s for _, _, s in out)
        if value < self.best[0]:
            self.best = (value, caps.copy(), rho.copy(), shortfall)
        return value, shortfall

    def lower_bound(self) -> float:
        """Optimum of the cutting-plane master (no proximal term): a lower bound [money units]."""
        m = self.master
        t0 = time.perf_counter()
        status = solve(m.solver, "robust sizing master problem")
        self.stats.master_s += time.perf_counter() - t0
        if status != Status.OPTIMAL:
            raise InfeasibleTargetError(problem(
                "the robustness rule cannot be met by any loss allowance (a target above 1?)",
                field="sizing.robustness", value=self.mode), max_share=float("nan"), binding=[])
        x = m.solver.x
        self.lower_point = (x[m.caps].copy(), x[m.rho].copy())
        return m.solver.objective


    def level_point(self, center: np.ndarray, scale: np.ndarray, level: float):
        """The point nearest ``center`` (scaled max-norm) where the model is at most ``level``.

        The projection step of the level bundle method [3]; an LP over the
        point (C, then rho by year). Returns (C, rho).
        """
        m, s = self.master, self.prox
        above, below = self.near
        # x_k - scale_k t <= center_k  and  x_k + scale_k t >= center_k
        for k in range(center.size):
            s.h.changeCoeff(int(above[k]), int(self.t), float(-scale[k]))
            s.h.changeCoeff(int(below[k]), int(self.t), float(scale[k]))
        s.set_row_bounds(above, -np.inf, center)
        s.set_row_bounds(below, center, np.inf)
        s.set_row_bounds(self.level_row, -np.inf, level - m.cost.const)
        t0 = time.perf_counter()
        status = solve(s, "robust sizing level projection")
        self.stats.master_s += time.perf_counter() - t0
        if status != Status.OPTIMAL:
            raise SolverError(problem("the level projection failed", field="solver",
                                      value=status.value))
        x = s.x
        return x[m.caps].copy(), x[m.rho].copy()


def op_penalty(data: ProblemData, park: ParkConfig) -> float:
    """Shortfall cost of a sub-problem's elastic target row [money units/yr per model energy]."""
    P, M = data.scaling.power_mw, data.scaling.money
    per_mwh = unmet_penalty_per_mwh(data.price, park)
    return per_mwh * P * annual_scale(data.hours, data.dt_h, data.weight) / M


def _energy_floor_of(year: _Year) -> float:
    """Lower bound of a year's energy cost [money units per year] from its cost expression."""
    op, s = year.op, year.solver
    lo, hi = s.col_bounds(op.energy_cost.cols)
    c = op.energy_cost.coefs
    # each flow lies in [lo, hi]; the cost's minimum over that box bounds the year's cost below
    low = np.where(c > 0, c * lo, c * np.where(np.isfinite(hi) & (hi < 1e29), hi, 0.0))
    unbounded = (c < 0) & ~(np.isfinite(hi) & (hi < 1e29))
    if unbounded.any():
        return -1e6
    return float(low.sum()) + op.energy_cost.const - 1e-6


def _run(dec: Decomposition, start: np.ndarray, gap: float, max_iter: int) -> None:
    """Level bundle iterations [3] until the bounds agree to ``gap``.

    Each iteration: the cutting-plane LP gives the lower bound L, the best point
    so far the upper bound U and the center; the next candidate is the point
    nearest the center (scaled max-norm) whose model value is at most the level
    L + 0.3 (U - L); its cuts refine the model.
    """
    st, P = dec.stats, dec.P
    rho = np.tile([1.0 - dec.targets[0], 1.0 - dec.targets[1]], (dec.n, 1))
    dec.evaluate(start, rho)
    floor = 0.02 * max(float(np.mean(y.op.data.load)) for y in dec.years) / P
    null = 0
    for it in range(max_iter):
        if _stalled(st.history):  # at the numerical floor of dual-based cuts (~1e-8)
            break
        if _converged(dec, it, gap):
            if dec.best[3] <= dec.tiny:
                break
            # the penalised optimum falls short: the penalty is below the target's shadow
            # price. Raise it; old cuts stay valid lower bounds, the points are re-valued.
            center = dec.best[1]
            _raise_penalty(dec)
            dec.evaluate(center, rho)
            continue
        center = np.concatenate([dec.best[1], dec.best[2].ravel()])
        scale = np.concatenate([np.maximum(np.abs(dec.best[1]), floor),
                                np.full(dec.best[2].size, 0.1)])  # shares: 10 points
        level = st.lower + 0.3 * (st.upper - st.lower)
        caps, rho_c = dec.level_point(center, scale, level)
        before = st.upper
        dec.evaluate(caps, rho_c)
        st.iterations = it + 1
        null = null + 1 if dec.best[0] >= before else 0
        if null >= 2:  # the lower bound lags: a cut where the cutting-plane LP is lowest
            dec.evaluate(*dec.lower_point)
            null = 0
    st.lower = max(st.lower, dec.lower_bound())


def _stalled(history: list, window: int = 12) -> bool:
    """Neither bound moved (1e-12 relative) over the last ``window`` iterations."""
    if len(history) <= window:
        return False
    _, lo0, up0 = history[-window - 1]
    _, lo1, up1 = history[-1]
    scale = max(abs(up1), 1e-12)
    return (lo1 - lo0) <= 1e-12 * scale and (up0 - up1) <= 1e-12 * scale


def _converged(dec: Decomposition, it: int, gap: float) -> bool:
    """Update the bounds (LP master without proximal term); whether they are within ``gap``."""
    st = dec.stats
    st.lower = max(st.lower, dec.lower_bound())
    st.upper = dec.best[0]
    st.gap = (st.upper - st.lower) / max(abs(st.upper), 1e-12)
    st.history.append((it, st.lower, st.upper))
    return st.gap <= gap


def _raise_penalty(dec: Decomposition) -> None:
    """Ten times the shortfall cost in every year (cuts of the lower cost stay valid)."""
    for year in dec.years:
        year.raise_penalty(10.0)
    dec.stats.penalty_raises += 1
    dec.stats.lower = -np.inf
    dec.best = (np.inf, None, None, 0.0)


def decompose(park: ParkConfig, datas, targets, mode: str, alpha: float, start: Capacities,
              gap: float = GAP, max_iter: int = _MAX_ITER, workers: int = 1) -> Decomposition:
    """Run the decomposition from ``start``; the finished :class:`Decomposition`."""
    dec = Decomposition(park, datas, targets, mode, alpha, workers)
    try:
        x0 = model_values(decisions(park), start, dec.P)
        lo, hi = dec.master.bounds
        _run(dec, np.clip(x0, lo, hi), gap, max_iter)
    finally:
        dec.close()
    if dec.best[1] is None or dec.best[3] > dec.tiny:
        raise SolverError(problem("robust sizing found no capacities meeting the targets in the "
                                  "sub-problems", field="sizing.robustness", value=mode))
    if dec.stats.gap > max(gap, 1e-6):
        raise SolverError(problem(
            f"robust sizing stopped after {dec.stats.iterations} iterations with a relative gap "
            f"of {dec.stats.gap:.2e}; raise [solver] time_limit_s or try method='monolithic'",
            field="sizing.robustness", value=mode))
    return dec


