r"""Share targets over one or several horizons (weather years): the rows and their RHS.

Definitions (one horizon y, energies over the horizon, model units):
on-site share :math:`s_y = 1 - G_y / L_y` with :math:`G_y` the grid-served
energy (green + regular imports + unmet load, :attr:`Operation.grid_served`)
and :math:`L_y` the load; clean share :math:`1 - N_y / L_y` with :math:`N_y`
regular imports + unmet load (:attr:`Operation.not_clean`). These are the
definitions of :func:`energysim.accounting.share_kpis` on the LP's flows.

Robustness over N horizons (``[sizing] robustness``):

- ``every_year``: :math:`s_y \ge \tau` for every y.
- ``expected``: :math:`\frac{1}{N}\sum_y s_y \ge \tau` (the mean of the annual
  shares; with one load profile for every weather year this is also the pooled
  share).
- ``cvar``: the mean share of the worst :math:`\alpha` fraction of years is at
  least :math:`\tau`. With losses :math:`\ell_y = G_y / L_y = 1 - s_y`,
  :math:`\mathrm{CVaR}_\alpha(\ell) = \min_\eta \eta + \frac{1}{\alpha N}
  \sum_y \max(\ell_y - \eta, 0) \le 1 - \tau` (Rockafellar & Uryasev [1]),
  linear with :math:`z_y \ge \ell_y - \eta`, :math:`z_y \ge 0`. It implies the
  :math:`(1-\alpha)` quantile of the share (e.g. P90 for α = 0.1) is at least τ.

For one horizon the three coincide. The clean target uses the same rule with
:math:`N_y` (less the regular energy certificates and netted exports make clean,
:attr:`Operation.clean_credit`), the hourly CFE target with the load not covered
hour by hour (``op.exprs["not_cfe"]``, :mod:`energysim.dispatch.procurement`).
The core zero-carbon indicator :math:`I_y = CO2_y / E_y` [tCO2/tce]
(``op.exprs["co2"]``, ``op.exprs["tce"]``) is a ceiling: :math:`I_y \le \theta`
under the same robustness rules with the loss :math:`I_y` and the bound θ
instead of :math:`1 - \tau`.

Flexible demand (:mod:`energysim.flexible`). The share's load is then
:math:`D_y = L_y + V_y` with :math:`V_y` the part that depends on the
decisions (:attr:`Operation.variable_load`: electrolyser input minus the
electricity of the hydrogen the fuel cell uses, minus load shed;
:func:`energysim.accounting.share_kpis`), and :math:`s_y = 1 - G_y / D_y` is a
ratio of variables. The linear rule used in every mode: the loss of year y
is :math:`\ell_y = (G_y - (1-\tau) V_y) / L_y`, with :math:`\tau` the target.
Per year :math:`\ell_y \le 1 - \tau \iff G_y \le (1-\tau) D_y \iff s_y \ge \tau`,
so ``every_year`` stays exact; ``expected`` bounds the mean of :math:`\ell_y`
(with equal annual loads :math:`L_y`, the usual case of one load profile,
this is the pooled share :math:`\sum_y G_y \le (1-\tau) \sum_y D_y`) and
``cvar`` the CVaR of :math:`\ell_y`. Without flexible demand
:math:`V_y = 0` and :math:`\ell_y = 1 - s_y`. The coefficient
:math:`-(1-\tau)` of :math:`V_y` (one column per horizon, equal to it) changes
with the target (:meth:`TargetRows.coefficients`, set by
:func:`energysim.sizing.solve.set_targets`).

References
----------
.. [1] R. T. Rockafellar, S. Uryasev, "Optimization of conditional value-at-risk",
   Journal of Risk 2(3) (2000) 21-41.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from energysim.lp import Expr, LinearProgram

__all__ = ["ROBUSTNESS", "KINDS", "TargetRows", "add_targets", "target_bounds", "target_kinds",
           "loss_expr"]

#: Robustness modes over weather years.
ROBUSTNESS = ("every_year", "cvar", "expected")
#: Target kinds: (``[targets]`` key, share (bound 1 - target) or ceiling (bound = target)).
KINDS = {"onsite": ("onsite_share", True), "clean": ("clean_share", True),
         "cfe": ("cfe_score", True), "co2": ("max_co2_per_tce", False)}


def target_kinds(park) -> list[str]:
    """Kinds of target rows a sizing model of ``park`` has.

    On-site and clean always, hourly CFE and the CO2 ceiling when ``[targets]`` sets them.
    """
    t = park.targets
    return ["onsite", "clean"] + (["cfe"] if t.cfe_score is not None else []) + (
        ["co2"] if t.max_co2_per_tce is not None else [])


def loss_expr(op, kind: str) -> tuple[Expr, float]:
    """(loss expression, its scale) of one horizon: the share missed is loss / scale."""
    if kind == "onsite":
        return op.grid_served, op.total_load
    if kind == "clean":
        return op.not_clean, op.total_load
    if kind == "cfe":
        return op.exprs["not_cfe"], op.total_load
    return op.exprs["co2"], op.exprs["tce"]


@dataclass
class TargetRows:
    r"""Rows of one share target (``kind`` "onsite" or "clean") under a robustness mode.

    ``rows`` are the rows whose upper bound carries the target; ``scale`` the
    factor with which the RHS is :math:`(1 - \tau)` x scale, row by row.
    """

    kind: str
    mode: str
    rows: np.ndarray
    scale: np.ndarray
    extra_cols: dict[str, np.ndarray] = field(default_factory=dict)
    #: slack columns of elastic rows (one per row), or None
    slack: np.ndarray | None = None
    #: constants of the loss moved to the right-hand side, row by row
    offset: np.ndarray | None = None
    #: (row, column, factor) of the variable-load columns: coefficient = factor x (1 - target)
    variable: list = field(default_factory=list)
    #: the target the rows were last set to [0-1]
    target: float = 0.0

    def rhs(self, target: float) -> np.ndarray:
        """Upper bounds of the rows for target ``target`` (a share [0-1], or the CO2 ceiling)."""
        bound = 1.0 - float(target) if KINDS[self.kind][1] else float(target)
        return bound * self.scale + (0.0 if self.offset is None else self.offset)

    def coefficients(self, target: float) -> list[tuple[int, int, float]]:
        """(row, column, coefficient) of the variable-load columns at share target ``target``."""
        return [(r, c, f * (1.0 - float(target))) for r, c, f in self.variable]


def _exprs(ops: Sequence, kind: str) -> tuple[list[Expr], np.ndarray, np.ndarray]:
    """Losses without their constants, the scales, and the constants."""
    pairs = [loss_expr(op, kind) for op in ops]
    exprs = [Expr(e.cols, e.coefs, 0.0) for e, _ in pairs]
    return exprs, np.array([s for _, s in pairs]), np.array([e.const for e, _ in pairs])


def _variable_columns(lp: LinearProgram, ops: Sequence, kind: str, tag: str) -> list:
    """One column per horizon equal to its variable load (None without one)."""
    cols: list[int | None] = []
    for k, op in enumerate(ops):
        if op.variable_load.cols.size == 0:
            cols.append(None)
            continue
        col = lp.add_variable(f"{kind}_variable_load{tag}[{k}]", -np.inf, np.inf)
        lp.add_row(f"{kind}_variable_load{tag}[{k}]", Expr.of(col) - op.variable_load,
                   lb=0.0, ub=0.0)
        cols.append(col)
    return cols


def _with_variable(expr: Expr, col, factor: float) -> Expr:
    """``expr`` plus the variable-load column at target 0 (coefficient ``factor``)."""
    return expr if col is None else expr + Expr.of(col, factor)


def add_targets(lp: LinearProgram, ops: Sequence, kind: str, mode: str = "every_year",
                cvar_alpha: float = 0.1, tag: str = "", elastic: float | None = None
                ) -> TargetRows:
    """Add the rows of one share target over the horizons ``ops`` (RHS: share 0).

    Parameters
    ----------
    lp : LinearProgram
    ops : sequence of Operation
        One per horizon (weather year).
    kind : {"onsite", "clean", "cfe", "co2"}
    mode : {"every_year", "cvar", "expected"}
    cvar_alpha : float
        Fraction of worst years whose mean share must reach the target (cvar) [0-1].
    tag : str
        Suffix of the row names (unique per call).
    elastic : float, optional
        Make per-horizon rows elastic: a slack column (model energy) lets the
        share fall short at this cost per unit [objective units per model
        energy unit]; the decomposition's sub-problems use it so they are never
        infeasible (:mod:`energysim.sizing.robust`).
    """
    if mode not in ROBUSTNESS:
        raise ValueError(f"robustness must be one of {ROBUSTNESS}, got {mode!r}")
    exprs, loads, consts = _exprs(ops, kind)
    n = len(ops)
    # flexible demand varies the denominators of the shares (not of the CO2 ceiling)
    var = (_variable_columns(lp, ops, kind, tag) if kind in ("onsite", "clean")
           else [None] * n)
    if n == 1 or mode == "every_year":
        slack = None
        if elastic is not None:
            slack = lp.add_variables(f"{kind}_shortfall{tag}", n)
            lp.add_cost(Expr.of(slack, elastic))
            exprs = [e - Expr.of(slack[k]) for k, e in enumerate(exprs)]
        rows = np.array([lp.add_row(f"{kind}_target{tag}[{k}]", _with_variable(e, var[k], -1.0),
                                    ub=loads[k] - consts[k]) for k, e in enumerate(exprs)])
        return TargetRows(kind, "every_year" if n > 1 else mode, rows, loads, slack=slack,
                          offset=-consts if consts.any() else None,
                          variable=[(int(r), c, -1.0) for r, c in zip(rows, var, strict=True)
                                    if c is not None])
    if mode == "expected":
        mean_loss = Expr.sum(_with_variable(e, var[k], -1.0) * (1.0 / (n * loads[k]))
                             for k, e in enumerate(exprs))
        shift = -float(np.sum(consts / (n * loads)))
        row = lp.add_row(f"{kind}_target{tag}[mean]", mean_loss, ub=1.0 + shift)
        return TargetRows(kind, mode, np.array([row]), np.ones(1),
                          offset=np.array([shift]) if shift else None,
                          variable=[(row, c, -1.0 / (n * loads[k])) for k, c in enumerate(var)
                                    if c is not None])
    eta = lp.add_variable(f"{kind}_cvar_eta{tag}", lb=-np.inf, ub=np.inf)
    z = lp.add_variables(f"{kind}_cvar_excess{tag}", n)
    variable = []
    for k, e in enumerate(exprs):  # z_k >= loss_k - eta (the loss's constant on the bound)
        r = lp.add_row(f"{kind}_cvar_excess{tag}[{k}]",
                       Expr.of([z[k], eta], [1.0, 1.0])
                       - _with_variable(e, var[k], -1.0) * (1.0 / loads[k]),
                       lb=consts[k] / loads[k])
        if var[k] is not None:
            variable.append((r, var[k], 1.0 / loads[k]))
    row = lp.add_row(f"{kind}_target{tag}[cvar]",
                     Expr.of(np.concatenate([[eta], z]),
                             np.concatenate([[1.0], np.full(n, 1.0 / (cvar_alpha * n))])),
                     ub=1.0)
    return TargetRows(kind, mode, np.array([row]), np.ones(1),
                      extra_cols={"eta": np.array([eta]), "excess": z}, variable=variable)


def target_bounds(rows: TargetRows, target: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, lower, upper) bounds setting ``rows`` to share target ``target``."""
    return rows.rows, np.full(rows.rows.size, -np.inf), rows.rhs(target)
