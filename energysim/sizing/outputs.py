"""Reading a solved sizing model back into physical units: Flows, shares, ``sizing.json``."""

from __future__ import annotations

import numpy as np
import xarray as xr

from energysim.nomenclature import attrs

__all__ = ["flows_of", "onsite_share", "sizing_record", "lp_share", "procurement_record",
           "FLOW_HOOKS"]

#: Extensions of :func:`flows_of` (:mod:`energysim.extensions`), each
#: ``hook(sm, x, op, out, attrs)``: adds its flows to ``out`` (name -> hourly array, physical
#: units) and corrects the derived ones (load, curtail, onsite_served) for its terms;
#: nothing when the park does not use it.
FLOW_HOOKS = ("energysim.sizing.flexible:lp_flows",)


def flows_of(sm, x: np.ndarray, op, profiles: xr.Dataset) -> xr.Dataset:
    """The LP's hourly flows of one horizon as a Flows Dataset [MW; soc MWh].

    Curtailment is the slack of the balance row (available on-site generation
    not used), clipped at 0 where solver tolerances leave a tiny negative.
    """
    P, data = sm.scaling.power_mw, op.data
    caps = sm.capacities(x)

    def flow(name):
        cols = op.flows.get(name)
        return np.zeros(data.hours) if cols is None else np.maximum(x[cols] * P, 0.0)

    out = {"pv": caps.pv_mw * data.pv_pu, "wind": caps.wind_mw * data.wind_pu, "load": data.load}
    for name in ("import_green", "import_regular", "export", "charge", "discharge", "unmet", "soc"):
        out[name] = flow(name)
    supply = (out["pv"] + out["wind"] + out["import_green"] + out["import_regular"]
              + out["discharge"])
    out["curtail"] = np.maximum(
        supply + out["unmet"] - out["load"] - out["charge"] - out["export"], 0.0)
    out["onsite_served"] = np.maximum(
        out["load"] - out["import_green"] - out["import_regular"] - out["unmet"], 0.0)
    attrs_ = {"dt_h": data.dt_h, "source": "energysim.sizing LP (perfect foresight)"}
    from energysim.extensions import load

    for hook in load(FLOW_HOOKS):
        hook(sm, x, op, out, attrs_)
    time = profiles["time"]
    ds = xr.Dataset(
        {name: xr.DataArray(arr, coords={"time": time}, dims="time", attrs=attrs(name))
         for name, arr in out.items()},
        attrs=attrs_)
    if sm.park.procurement:  # each green contract's flow
        from energysim.procurement import flow_name

        for name, cols in op.exprs.get("flows", {}).items():
            ds[flow_name(name)] = ("time", np.maximum(x[cols] * P, 0.0), {
                "units": "MW", "long_name": f"green import of contract {name}"})
    return ds


def lp_share(op, x: np.ndarray, kind: str = "onsite") -> float:
    """The LP's own share of one horizon [0-1], or its core indicator [tCO2/tce].

    On-site (``kind`` "onsite"), clean or hourly CFE share, or the core indicator (``"co2"``);
    the on-site and clean shares of the demand with its variable part (flexible demand).
    """
    from energysim.sizing.targets import KINDS, loss_expr

    expr, scale = loss_expr(op, kind)
    if kind in ("onsite", "clean"):
        scale = scale + op.variable_load.value(x)
    value = expr.value(x) / scale
    return 1.0 - value if KINDS[kind][1] else value


def onsite_share(flows: xr.Dataset) -> float:
    """On-site share of load over the run [0-1]: on-site served energy / load energy.

    With flexible demand: :func:`energysim.accounting.share_kpis`' demand.
    """
    if "electrolyser" not in flows:
        return float(flows["onsite_served"].sum() / flows["load"].sum())
    from energysim.accounting import onsite_fraction

    per_kg = float(flows.attrs.get("electrolyser_mwh_per_kg", 0.0))
    return onsite_fraction({
        "load_mwh": float(flows["load"].sum()),
        "electrolyser_mwh": float(flows["electrolyser"].sum()),
        "fuel_cell_input_mwh": float(flows["fuel_cell_hydrogen"].sum()) * per_kg,
        "onsite_served_mwh": float(flows["onsite_served"].sum())})


def sizing_record(sized, kpis: dict, target_onsite_share: float) -> dict:
    """The ``sizing.json`` content, one layout for ``energysim size`` and ``study``.

    ``sized`` is a :class:`energysim.sizing.SizingResult`; ``kpis`` are the
    re-simulated KPIs (what is reported), the LP's own share sits beside them.
    """
    record = {
        "capacities": sized.capacities.model_dump(),
        "annualized_cost": kpis["annualized_cost"],
        "target_onsite_share": target_onsite_share,
        "lp_onsite_share": sized.lp_onsite_share,
        "sim_onsite_share": sized.sim_onsite_share,
        "objective_terms": sized.objective_terms,
        "solver": vars(sized.solver),  # SolverInfo dataclass -> dict for JSON
        "screening": sized.screening,
        "dispatch_mode": getattr(sized, "dispatch_mode", "rules"),
        "dispatch_gap": getattr(sized, "dispatch_gap", 0.0),
        "kpis": kpis,
    }
    if getattr(sized, "robust", None) is not None:
        record["robust"] = sized.robust
    if getattr(sized, "shift_window", None) is not None:
        record["load_shift_window"] = sized.shift_window
    record["procurement"] = procurement_record(kpis, sized.capacities)
    return record


def procurement_record(kpis: dict, capacities) -> list[dict]:
    """The ``procurement`` list of ``sizing.json``.

    Per product ``name``, ``kind``, ``mwh`` (taken or bought per year), ``cost`` [money/yr],
    ``hours`` with a delivery [h/yr], ``counts_toward``, and ``volume_mwh`` the volume sizing
    decided (when it decides one).
    """
    out = []
    for row in kpis.get("procurement", []):
        item = {k: row[k] for k in ("name", "kind", "mwh", "cost", "hours", "counts_toward")}
        if row["name"] in capacities.procurement_mwh:
            item["volume_mwh"] = capacities.procurement_mwh[row["name"]]
        out.append(item)
    return out
