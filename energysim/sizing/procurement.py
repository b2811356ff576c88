"""Product volumes as first-stage decisions, and the checks of targets products count toward.

Sizing decides, next to the on-site kit, the volume [MWh/yr] of every
``[[procurement]]`` product that has one (:mod:`energysim.procurement`):

- certificates: bought per year at their price (the decision's annual cost);
- shaped green contracts: the contracted share of the plants' output, whose
  hourly delivery caps what the park can take (cost per MWh taken, in the
  operation);
- annual green contracts with a ``max_mwh`` or a fixed ``volume_mwh``: the most
  the park takes per year (cost per MWh taken).

An annual volume is shared by every weather year of a robust sizing; its
hourly delivery is per year (:mod:`energysim.dispatch.procurement`).
"""

from __future__ import annotations

import math

from energysim import procurement as proc
from energysim.config import ParkConfig
from energysim.decisions import VOLUMES, Decision
from energysim.dispatch.procurement import VOLUME_SCALE, decision_key
from energysim.errors import ConfigError, problem

__all__ = ["product_decisions", "check_targets", "MAX_VOLUME_MWH"]

#: Volume bound of a product without ``max_mwh`` [MWh/yr] (the config's largest energy).
MAX_VOLUME_MWH = 1e9


def _decided(p: proc.Product) -> bool:
    return not p.implicit and (p.kind == "certificate" or p.shaped
                               or (p.green and math.isfinite(p.upper)))


def product_decisions(park: ParkConfig) -> list[Decision]:
    """Volume decisions of the park's products (module docstring), in config order."""
    out = []
    for p in proc.products(park):
        if not _decided(p):
            continue
        cost = p.price if p.kind == "certificate" else 0.0
        upper = min(p.upper, MAX_VOLUME_MWH)
        out.append(Decision(
            key=decision_key(p.name), field=VOLUMES + p.name, lower=p.lower, upper=upper,
            annual_cost=cost, existing=0.0, lifetime_yr=1.0,
            max_field=f"[procurement] max_mwh (entry {p.name!r})", scale=VOLUME_SCALE))
    return out


#: Target -> (config key, what counts toward it beyond on-site supply, in words).
_COUNTING = {
    "clean_share": ("clean_share", "green_contract or certificate products (or "
                                   "[grid] export_netting = \"annual\")"),
    "cfe_score": ("cfe_score", "green_contract products (certificates count only toward "
                               "clean_share)"),
}


def check_targets(park: ParkConfig) -> None:
    """A target above the on-site target that no listed product counts toward is an error.

    With ``[[procurement]]``, a clean-share or CFE target above
    ``targets.onsite_share`` must be reached by products; if none of the listed
    products counts toward it (e.g. a CFE target with certificates only), the
    config says something it does not mean.
    """
    if not proc.explicit(park):
        return
    t = park.targets
    counted = {k for p in proc.products(park) for k in p.counts_toward()}
    if park.grid.export_netting == "annual" and park.grid.export_max_mw > 0:
        counted.add("clean_share")
    bad = []
    for key, (count, what) in _COUNTING.items():
        value = getattr(t, key)
        if value is not None and value > t.onsite_share and count not in counted:
            bad.append(problem(
                f"above the on-site target {t.onsite_share:g} but no [[procurement]] product "
                f"counts toward it: add {what}, or lower it to the on-site share",
                source=park.source, field=f"[targets] {key}", value=value))
    if bad:
        raise ConfigError(bad)
