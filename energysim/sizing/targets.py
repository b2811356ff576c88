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
    """Kinds of target rows a sizing model of ``park`` has: on-site and clean always, hourly
    CFE and the CO2 ceiling when ``[targets]`` sets them."""
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
    """Rows of one share target (``kind`` "onsite" or "clean") under a robustness mode.

    ``rows`` are the rows whose upper bound carries the target; ``scale`` the
    factor with which the RHS is :math:`(1 - \\tau)` x scale, row by row.
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

    def rhs(self, target: float) -> np.ndarray:
        """Upper bounds of the rows for target ``target`` (a share [0-1], or the CO2 ceiling)."""
        bound = 1.0 - float(target) if KINDS[self.kind][1] else float(target)
        return bound * self.scale + (0.0 if self.offset is None else self.offset)


def _exprs(ops: Sequence, kind: str) -> tuple[list[Expr], np.ndarray, np.ndarray]:
    """Losses without their constants, the scales, and the constants."""
    pairs = [loss_expr(op, kind) for op in ops]
    exprs = [Expr(e.cols, e.coefs, 0.0) for e, _ in pairs]
    return exprs, np.array([s for _, s in pairs]), np.array([e.const for e, _ in pairs])


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
    if n == 1 or mode == "every_year":
        slack = None
        if elastic is not None:
            slack = lp.add_variables(f"{kind}_shortfall{tag}", n)
            lp.add_cost(Expr.of(slack, elastic))
            exprs = [e - Expr.of(slack[k]) for k, e in enumerate(exprs)]
        rows = np.array([lp.add_row(f"{kind}_target{tag}[{k}]", e, ub=loads[k] - consts[k])
                         for k, e in enumerate(exprs)])
        return TargetRows(kind, "every_year" if n > 1 else mode, rows, loads, slack=slack,
                          offset=-consts if consts.any() else None)
    if mode == "expected":
        mean_loss = Expr.sum(e * (1.0 / (n * loads[k])) for k, e in enumerate(exprs))
        shift = -float(np.sum(consts / (n * loads)))
        row = lp.add_row(f"{kind}_target{tag}[mean]", mean_loss, ub=1.0 + shift)
        return TargetRows(kind, mode, np.array([row]), np.ones(1),
                          offset=np.array([shift]) if shift else None)
    eta = lp.add_variable(f"{kind}_cvar_eta{tag}", lb=-np.inf, ub=np.inf)
    z = lp.add_variables(f"{kind}_cvar_excess{tag}", n)
    for k, e in enumerate(exprs):  # z_k >= loss_k - eta (the loss's constant on the bound)
        lp.add_row(f"{kind}_cvar_excess{tag}[{k}]",
                   Expr.of([z[k], eta], [1.0, 1.0]) - e * (1.0 / loads[k]),
                   lb=consts[k] / loads[k])
    row = lp.add_row(f"{kind}_target{tag}[cvar]",
                     Expr.of(np.concatenate([[eta], z]),
                             np.concatenate([[1.0], np.full(n, 1.0 / (cvar_alpha * n))])),
                     ub=1.0)
    return TargetRows(kind, mode, np.array([row]), np.ones(1),
                      extra_cols={"eta": np.array([eta]), "excess": z})


def target_bounds(rows: TargetRows, target: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, lower, upper) bounds setting ``rows`` to share target ``target``."""
    return rows.rows, np.full(rows.rows.size, -np.inf), rows.rhs(target)
