"""HiGHS through Pyomo's persistent interface (``pyomo.contrib.solver`` ``highs``), no LP files.

:class:`PersistentSolve` loads a model into HiGHS once; after a mutable Param
changes (a target, a cost) the next :meth:`PersistentSolve.solve` only updates
the changed coefficients and HiGHS restarts from its last basis (warm start).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from energysim.errors import SolverError, problem

__all__ = ["SolverInfo", "PersistentSolve", "values"]

_ADVICE = (
    "try a shorter horizon (fewer weeks of profile), representative_days=..., "
    "a larger [solver] time_limit_s, or looser capacity bounds"
)
#: What each non-optimal termination means for the user, and what to try.
_FAILURES = {
    TerminationCondition.maxTimeLimit: "HiGHS hit the time limit [solver] time_limit_s",
    TerminationCondition.iterationLimit: "HiGHS hit its iteration limit",
    TerminationCondition.unbounded: "the model is unbounded (a negative cost with no capacity bound?)",
    TerminationCondition.error: "HiGHS reported a numerical error",
    TerminationCondition.unknown: "HiGHS stopped for an unknown reason",
}

#: HiGHS options every solve passes. ``user_objective_scale`` multiplies the costs by
#: 2**10 inside HiGHS (the reported objective and duals are unscaled): the model's
#: per-hour energy costs are ~4e-5 money units per model unit (a year's bill is one
#: money unit spread over 8760 hours), which HiGHS flags as "excessively small costs";
#: scaled they lie in [0.04, 40]. On the full-year Ordos LP (43 802 rows, 35 044 cols,
#: 134 641 nonzeros) dual simplex then needs 27 105 instead of 30 680 iterations and
#: 12.7 s instead of 17.0 s (benchmarks/sizing.py; same optimum).
SOLVER_OPTIONS = {"user_objective_scale": 10}


def _supported(options: dict) -> dict:
    """The options this highspy knows (older releases lack ``user_objective_scale``)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return {k: v for k, v in options.items()
            if h.getOptionValue(k)[0] == highspy.HighsStatus.kOk}


@dataclass
class SolverInfo:
    """What the solver did: status, times [s] and HiGHS version."""

    status: str
    build_s: float
    solve_s: float
    highs_version: str
    objective: float = float("nan")
    solves: int = 1
    extra: dict = field(default_factory=dict)


class PersistentSolve:
    """One model held in a persistent HiGHS instance.

    Parameters
    ----------
    model : pyomo.environ.ConcreteModel
        Built by :func:`energysim.sizing.model.build_model`.
    time_limit_s : float
        Wall-clock limit per solve [s].
    threads : int
        HiGHS threads; 0 = HiGHS default.
    mip_rel_gap : float
        Relative MIP gap [-] (integer turbines only).
    """

    def __init__(self, model, *, time_limit_s: float, threads: int = 0, mip_rel_gap: float = 1e-4):
        self.model = model
        self.time_limit_s = time_limit_s
        self.threads = threads or None
        self.mip_rel_gap = mip_rel_gap
        self.opt = Highs()
        if not self.opt.available():
            raise SolverError(problem("HiGHS (highspy) is not available; install highspy"))
        t0 = time.perf_counter()
        self.opt.set_instance(model)
        self.load_s = time.perf_counter() - t0
        self.version = ".".join(str(v) for v in self.opt.version())
        self.options = _supported(SOLVER_OPTIONS)
        self.last = None  # results of the last solve

    def solve(self, *, what: str = "sizing") -> tuple[str, float]:
        """Solve (warm-started after the first call); returns (status, seconds).

        Raises :class:`SolverError` naming the cause and what to try when the
        result is not optimal; infeasibility is left to the caller (``"infeasible"``).
        """
        t0 = time.perf_counter()
        res = self.opt.solve(
            self.model,
            time_limit=self.time_limit_s,
            threads=self.threads,
            rel_gap=self.mip_rel_gap,
            solver_options=self.options,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
        )
        seconds = time.perf_counter() - t0
        self.last = res
        cond = res.termination_condition
        if cond == TerminationCondition.convergenceCriteriaSatisfied:
            res.solution_loader.load_vars()
            return "optimal", seconds
        # costs and capacities are bounded, so "infeasible or unbounded" means infeasible
        if cond in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
            return "infeasible", seconds
        reason = _FAILURES.get(cond, f"HiGHS ended with {cond.name}")
        raise SolverError(problem(f"{what} not solved to optimality: {reason}; {_ADVICE}",
                                  field="solver", value=cond.name))


    def crash(self, held: list[tuple], relaxed: list[tuple]) -> tuple[float, int]:
        """Solve once with variables held at values and Params relaxed, then restore them.

        A crash start: the next :meth:`solve` begins from this solve's basis.
        Variables are held through their bounds (``lb = ub``), not ``fix()``,
        so the persistent instance only changes column bounds (fixing makes
        Pyomo re-derive every row that holds the variable: ~100 s instead of
        0.5 s on the full-year Ordos LP). The crash result itself is
        discarded, whatever its status.

        Parameters
        ----------
        held : list of (Var, float)
            Scalar variables and their values (model units), clipped into bounds.
        relaxed : list of (Param, float)
            Mutable Params and their values for the crash solve (e.g. a share
            target of 0, so the held capacities cannot make it infeasible).

        Returns
        -------
        (float, int)
            Seconds and simplex iterations spent.
        """
        bounds = [(var, var.lb, var.ub) for var, _ in held]
        params = [(param, pyo.value(param)) for param, _ in relaxed]
        for (var, value), (_, lo, hi) in zip(held, bounds, strict=True):
            value = max(value, lo) if lo is not None else value
            value = min(value, hi) if hi is not None else value
            var.setlb(value)
            var.setub(value)
        for param, value in relaxed:
            param.set_value(value)
        try:
            _, seconds = self.solve(what="crash start")
        finally:
            for var, lo, hi in bounds:
                var.setlb(lo)
                var.setub(hi)
            for param, value in params:
                param.set_value(value)
        return seconds, self.iterations

    @property
    def iterations(self) -> int:
        """Simplex iterations of the last solve (0 before the first)."""
        if self.last is None:
            return 0
        return int(getattr(self.last.extra_info, "simplex_iteration_count", 0) or 0)

    def dual(self, constraint) -> float:
        """Dual value of a scalar constraint at the last optimum [objective units per RHS unit]."""
        return float(self.last.solution_loader.get_duals([constraint])[constraint])


def values(component) -> np.ndarray:
    """Values of an indexed Var (or Expression) in index order, as float64."""
    return np.fromiter((pyo.value(v) for v in component.values()), dtype=float)
