"""Solving a :class:`~energysim.sizing.model.SizingModel` with HiGHS: targets, checks, crash start.

The program lives in one :class:`energysim.lp.Solver` (a HiGHS instance fed the
matrix directly); after a target or cost changes the next solve restarts from
the last basis. Non-optimal outcomes become a :class:`SolverError` naming the
cause and what to try; infeasibility is returned to the caller, which diagnoses
it (:mod:`energysim.sizing.diagnose`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from energysim.errors import SolverError, problem
from energysim.lp import Solver, Status

__all__ = ["SolverInfo", "make_solver", "set_targets", "set_share_coefficients", "solve", "crash",
           "Status"]

_ADVICE = (
    "try a shorter horizon (fewer weeks of profile), representative_days=..., "
    "a larger [solver] time_limit_s, or looser capacity bounds"
)
#: What each non-optimal outcome means for the user.
_FAILURES = {
    Status.TIME_LIMIT: "HiGHS hit the time limit [solver] time_limit_s",
    Status.ITERATION_LIMIT: "HiGHS hit its iteration limit",
    Status.UNBOUNDED: "the model is unbounded (a negative cost with no capacity bound?)",
    Status.ERROR: "HiGHS reported a numerical error",
}


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


def make_solver(sm, **options) -> Solver:
    """A HiGHS instance holding ``sm.lp`` with the park's ``[solver]`` settings."""
    s = sm.park.solver
    solver = Solver(sm.lp, time_limit_s=s.time_limit_s, threads=s.threads,
                    mip_rel_gap=s.mip_rel_gap, options=options or None)
    return solver


def set_targets(sm, solver: Solver, onsite: float | None, clean: float | None
                ) -> tuple[float, float]:
    """Set the on-site and clean share targets [0-1] (default: ``park.targets``).

    The hourly CFE and CO2 targets a model has (:func:`~energysim.sizing.targets.target_kinds`)
    are set from ``park.targets``.
    """
    park = sm.park
    onsite = park.targets.onsite_share if onsite is None else onsite
    clean = park.targets.clean_share if clean is None else clean
    clean = 0.0 if clean is None else clean
    for name, value in (("onsite_share", onsite), ("clean_share", clean)):
        if not 0.0 <= value <= 1.0:
            raise SolverError(problem("a share target must lie in [0, 1]", field=name, value=value))
    values = {"onsite": onsite, "clean": clean,
              "cfe": park.targets.cfe_score, "co2": park.targets.max_co2_per_tce}
    for kind, rows in sm.targets.items():
        solver.set_row_bounds(rows.rows, -np.inf, rows.rhs(values[kind]))
    set_share_coefficients(sm, solver, onsite, clean)
    return onsite, clean


def set_share_coefficients(sm, solver: Solver, onsite: float, clean: float) -> None:
    """Coefficients of the variable-load columns of the target rows for the targets [0-1].

    Flexible demand, :mod:`energysim.sizing.targets`; nothing without them.
    """
    for kind, value in (("onsite", onsite), ("clean", clean)):
        rows = sm.targets[kind]
        rows.target = float(value)
        for row, col, coef in rows.coefficients(value):
            solver.set_coef(row, col, coef)


def solve(solver: Solver, what: str = "sizing") -> Status:
    """Solve; OPTIMAL or INFEASIBLE, anything else raises :class:`SolverError`."""
    status = solver.solve()
    if status in (Status.OPTIMAL, Status.INFEASIBLE):
        return status
    reason = _FAILURES.get(status, f"HiGHS ended with {status.value}")
    raise SolverError(problem(f"{what} not solved to optimality: {reason}; {_ADVICE}",
                              field="solver", value=status.value))


def crash(solver: Solver, held: dict[int, float], rows, rows_ub) -> tuple[float, int]:
    """Solve once with columns held at values and rows relaxed, then restore both.

    A crash start: the next :func:`solve` begins from this solve's basis. The
    crash result itself is discarded, whatever its status.

    Parameters
    ----------
    held : dict
        Column index -> value (model units), clipped into the column's bounds.
    rows, rows_ub : array_like
        Rows whose upper bounds are relaxed to ``rows_ub`` for the crash solve
        (e.g. share targets at 0, so the held capacities cannot make it infeasible).

    Returns
    -------
    (float, int)
        Seconds and simplex iterations spent.
    """
    cols = np.fromiter(held, dtype=np.int64)
    lo, hi = solver.col_bounds(cols)
    rlo, rhi = solver.row_bounds(rows)
    value = np.clip(np.fromiter(held.values(), dtype=float), lo, hi)
    t0 = time.perf_counter()
    solver.set_col_bounds(cols, value, value)
    solver.set_row_bounds(rows, rlo, rows_ub)
    try:
        solver.solve()
        iterations = solver.iterations
    finally:
        solver.set_col_bounds(cols, lo, hi)
        solver.set_row_bounds(rows, rlo, rhi)
    return time.perf_counter() - t0, iterations
