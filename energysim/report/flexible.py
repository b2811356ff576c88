"""The report's flexible-demand section: electrolyser against on-site surplus, hydrogen, value.

Shown when the folder's run has an electrolyser or shiftable load (its flows
carry ``electrolyser``) or a study answered the flexibility question
(``study.json`` ``flexibility``, :func:`energysim.sizing.flexible.flexibility_study`).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from energysim.nomenclature import percent
from energysim.report.figures import (
    COLORS,
    Chart,
    Section,
    _f32,
    _figure,
    _flow,
    _table,
    esc,
    unit_label,
)

__all__ = ["flexibility_section"]

#: Names of the study's variants in the page.
VARIANT_NAMES = {"none": "no flexibility", "hydrogen_store": "hydrogen store only",
                 "shiftable_load": "shiftable load only", "all": "all flexibility"}


def _surplus_chart(flows, green_share: float | None) -> Chart:
    """Electrolyser input against the on-site surplus of each hour (scatter).

    ``green_share`` is the run's green hydrogen share
    (:func:`energysim.accounting.hydrogen_kpis`).
    """
    surplus = _flow(flows, "pv") + _flow(flows, "wind") - _flow(flows, "load")
    el = _flow(flows, "electrolyser")
    fig = _figure("Electrolyser load against on-site surplus",
                  "on-site surplus: PV + wind - process load [MW]",
                  unit_label("electrolyser"), hovermode="closest")
    fig.add_trace(go.Scattergl(x=_f32(surplus), y=_f32(el), mode="markers", name="hours",
                               marker={"size": 3, "color": COLORS["import_green"],
                                       "opacity": 0.5},
                               hovertemplate="surplus %{x:,.0f} MW: electrolyser %{y:,.0f} MW"
                                             "<extra></extra>"))
    top = float(max(el.max(initial=0.0), 1.0))
    fig.add_trace(go.Scatter(x=[0.0, top], y=[0.0, top], mode="lines", name="all of the surplus",
                             line={"color": "#999", "dash": "dot"}))
    return Chart("chart-electrolyser-surplus", "Electrolyser load against on-site surplus",
                 "Each dot is an hour: on the diagonal the electrolyser takes the whole surplus, "
                 "on the right of zero it runs on surplus, at zero surplus and below on the grid "
                 f"(when the hydrogen store would run dry); {percent(green_share)} of its "
                 "electricity came from on-site power (the green hydrogen share).", fig)


def _hydrogen_table(s: dict[str, Any]) -> str:
    if not s.get("hydrogen_production_kg"):  # none made (a shiftable load only): no intensity
        return ""
    th = s.get("hydrogen_thresholds") or {}

    def kg(key):
        return "n/a" if s.get(key) is None else f"{s[key]:.2f}"

    rows = [
        ("hydrogen produced", f"{s['hydrogen_production_kg'] / 1e3:,.0f} t/yr"),
        ("green hydrogen (from on-site power)", f"{s['green_hydrogen_kg'] / 1e3:,.0f} t/yr "
                                                f"({percent(s.get('green_hydrogen_share'))})"),
        ("carbon intensity, green imports zero-carbon",
         f"{kg('hydrogen_co2_kg_per_kg')} kgCO2/kg: {esc(s.get('hydrogen_grade', ''))}"),
        ("carbon intensity, all grid power at the grid factor",
         f"{kg('hydrogen_co2_location_kg_per_kg')} kgCO2/kg: "
         f"{esc(s.get('hydrogen_grade_location', ''))}"),
        ("thresholds (T/CAB 0078-2020)",
         f"low-carbon <= {th.get('low_carbon_kg_per_kg', 14.51)}, clean <= "
         f"{th.get('clean_kg_per_kg', 4.9)} kgCO2e/kg (electricity only here)"),
    ]
    return _table(("hydrogen", "value"), rows)


def _variants(flex: dict[str, Any], currency: str) -> tuple[str, Chart]:
    rows = flex["variants"]
    none = rows[0]["annualized_cost"]
    table = _table(
        ("variant", f"annualised cost [{esc(currency)}/yr]", "vs no flexibility",
         "battery [MWh]", "battery [MW]", "electrolyser [MW]", "hydrogen store [t]",
         "on-site share"),
        [(VARIANT_NAMES.get(r["variant"], esc(r["variant"])), f"{r['annualized_cost']:,.0f}",
          percent((r["annualized_cost"] - none) / none if none else None, 2),
          f"{r['battery_mwh']:,.0f}", f"{r['battery_mw']:,.0f}", f"{r['electrolyser_mw']:,.0f}",
          f"{r['hydrogen_storage_kg'] / 1e3:,.1f}", percent(r["onsite_share"])) for r in rows])
    names = [VARIANT_NAMES.get(r["variant"], r["variant"]) for r in rows]
    fig = _figure("What flexibility saves", "",
                  unit_label("annualized_cost", currency), hovermode="closest")
    fig.add_trace(go.Bar(x=names, y=[r["annualized_cost"] for r in rows], name="annualised cost",
                         marker_color=COLORS["cost"], hovertemplate="%{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Bar(x=names, y=[r["battery_mwh"] for r in rows], name="battery [MWh]",
                         marker_color=COLORS["discharge"], yaxis="y2",
                         hovertemplate="%{y:,.0f} MWh<extra></extra>"))
    fig.update_layout(barmode="group", yaxis2={"title": unit_label("battery_mwh"),
                                                "overlaying": "y", "side": "right"})
    chart = Chart("chart-flexibility", "Least cost of the on-site target with and without "
                  "flexibility", "The same hydrogen and process demand in every variant: the "
                  "drop in cost and battery is what the hydrogen store and the shiftable load "
                  "are worth at this target.", fig)
    return table, chart


def flexibility_section(data) -> Section | None:
    """Electrolyser against surplus, hydrogen KPIs, and what flexibility is worth (study)."""
    flows = data.flows
    has_flows = flows is not None and "electrolyser" in flows
    flex = (data.study or {}).get("flexibility")
    if not has_flows and not flex:
        return None
    charts, parts, intro = [], [], ""
    if has_flows and float(_flow(flows, "electrolyser").max(initial=0.0)) > 0:
        charts.append(_surplus_chart(flows, (data.summary or {}).get("green_hydrogen_share")))
    if data.summary:
        parts.append(_hydrogen_table(data.summary))
    if flex:
        table, chart = _variants(flex, data.currency)
        parts.append(table)
        charts.append(chart)
        share = flex.get("cost_saving_share")
        intro = (f"At {percent(flex['target_onsite_share'], 0)} on-site, flexibility lowers the "
                 f"least annualised cost by {flex['cost_saving_per_yr']:,.0f} "
                 f"{esc(data.currency)}/yr ({percent(share, 2)}) and the battery by "
                 f"{flex['battery_saving_mwh']:,.0f} MWh / {flex['battery_saving_mw']:,.0f} MW.")
    return Section("flexibility", "Flexible demand: electrolyser, hydrogen store, shiftable load",
                   charts, html="".join(parts), intro=intro)
