"""The report's sections and charts, one builder function per section.

Each builder takes :class:`energysim.report.ReportData` and returns a
:class:`Section` (or ``None`` when the folder has nothing for it). A chart is a
plotly figure with a title, axis titles carrying units (from
:mod:`energysim.nomenclature`) and a one-line caption saying what to read from
it. Hourly series are sent as float32 arrays on a regular time axis
(``x0``/``dx``, no 8760 time stamps), heat maps as day x hour grids, so a full
year stays light. User text (site, pathway, parameter names) is escaped
before it reaches a figure; the page escapes everything else.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from energysim.nomenclature import HEADLINE, QUANTITIES, display, percent, short

__all__ = ["Chart", "Section", "build_sections", "SECTION_BUILDERS", "typical_weeks"]

#: Colours of the flows, the same in every chart.
COLORS = {
    "pv": "#f2b701", "wind": "#3b8bc2", "discharge": "#7b4fa0", "import_green": "#4caf50",
    "import_regular": "#8c8c8c", "unmet": "#d62728", "charge": "#b39ddb", "export": "#80cbc4",
    "curtail": "#ffcc80", "load": "#111111", "clean": "#2e7d32", "cost": "#c0392b",
}
SUPPLY = ("pv", "wind", "discharge", "import_green", "import_regular", "unmet")
SINKS = ("charge", "export", "curtail")
SHORT = {"pv": "PV", "wind": "wind", "discharge": "battery discharge",
         "import_green": "green import", "import_regular": "regular import", "unmet": "unserved",
         "charge": "battery charge", "export": "export", "curtail": "curtailed", "load": "load"}

#: Season months (meteorological, named by months so they read right in both hemispheres).
SEASONS = {"Dec-Feb": (12, 1, 2), "Mar-May": (3, 4, 5), "Jun-Aug": (6, 7, 8),
           "Sep-Nov": (9, 10, 11)}

TEMPLATE = go.layout.Template(layout=go.Layout(
    font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis={"gridcolor": "#e5e5e5", "linecolor": "#999", "zeroline": False},
    yaxis={"gridcolor": "#e5e5e5", "linecolor": "#999", "zerolinecolor": "#999"},
    margin={"l": 70, "r": 30, "t": 50, "b": 40},
    legend={"orientation": "h", "y": -0.18, "yanchor": "top"},
    hovermode="x unified",
))


@dataclass
class Chart:
    """One chart: ``id`` (HTML id), ``title``, one-line ``caption`` and the figure."""

    id: str
    title: str
    caption: str
    figure: go.Figure


@dataclass
class Section:
    """One report section: charts plus optional ready HTML (tables, notes)."""

    id: str
    title: str
    charts: list[Chart] = field(default_factory=list)
    html: str = ""
    intro: str = ""


# ---------------------------------------------------------------- helpers
def esc(text: Any) -> str:
    """User text made safe for HTML and for plotly's HTML-like labels."""
    return html.escape(str(text), quote=True)


def unit_label(name: str, currency: str = "money", *, percent: bool = False) -> str:
    """Axis title ``"long name [unit]"`` from the nomenclature; shares in % when ``percent``."""
    q = QUANTITIES[name]
    unit = "%" if percent else q.unit.replace("money", currency)
    return f"{q.long_name} [{unit}]"


def _figure(title: str, x_title: str, y_title: str, **layout: Any) -> go.Figure:
    fig = go.Figure()
    layout.setdefault("height", 420)
    fig.update_layout(template=TEMPLATE, title={"text": title, "x": 0.01},
                      xaxis_title=x_title, yaxis_title=y_title, **layout)
    return fig


def _f32(values: Any) -> np.ndarray:
    """A compact float32 copy (plotly sends it base64-encoded)."""
    return np.asarray(values, dtype=np.float32)


def _times(flows) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(flows["time"].values)


def _time_axis(times: pd.DatetimeIndex) -> dict[str, Any]:
    """Trace keywords placing hourly values on a date axis: x0/dx when regular, else x."""
    if len(times) > 1:
        steps = np.diff(times.asi8)
        if np.all(steps == steps[0]):
            return {"x0": times[0].strftime("%Y-%m-%d %H:%M"), "dx": int(steps[0] // 10**6)}
    return {"x": times.strftime("%Y-%m-%d %H:%M").tolist()}


def _flow(flows, name: str) -> np.ndarray:
    """Hourly flow ``name`` [MW] (zeros when the run did not record it)."""
    if name in flows:
        return np.asarray(flows[name].values, dtype=float)
    return np.zeros(flows.sizes["time"])


def _capacity(data, name: str) -> float:
    caps = (data.summary or {}).get("capacities") or {}
    value = caps.get(name)
    if value is None and data.flows is not None:
        value = data.flows.attrs.get(f"capacity_{name}")
    return float(value or 0.0)


def _onsite_coverage(flows) -> np.ndarray:
    load = _flow(flows, "load")
    served = _flow(flows, "onsite_served") if "onsite_served" in flows else np.minimum(
        load, _flow(flows, "pv") + _flow(flows, "wind") + _flow(flows, "discharge"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(load > 0, served / load, np.nan)


def day_hour_grid(times: pd.DatetimeIndex, values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Hourly ``values`` as a (24 hours x days) grid for a heat map; missing hours are NaN."""
    days = times.normalize()
    first = days[0]
    day_index = ((days - first) // pd.Timedelta(days=1)).astype(int)
    n_days = int(day_index.max()) + 1
    grid = np.full((24, n_days), np.nan, dtype=np.float32)
    grid[times.hour, day_index] = values
    labels = pd.date_range(first, periods=n_days, freq="D").strftime("%Y-%m-%d").tolist()
    return labels, grid


def typical_weeks(times: pd.DatetimeIndex, served: np.ndarray,
                  load: np.ndarray) -> dict[str, pd.Timestamp]:
    """Per season, the start of the typical week.

    The 7 whole days (midnight to midnight) within the season whose on-site share of load is
    closest to the season's own.

    Seasons with fewer than 7 days of data are left out.
    """
    frame = pd.DataFrame({"served": served, "load": load}, index=times)
    daily = frame.resample("D").sum(min_count=24).dropna()
    out: dict[str, pd.Timestamp] = {}
    for name, months in SEASONS.items():
        days = daily[daily.index.month.isin(months)]
        if len(days) < 7 or days["load"].sum() <= 0:
            continue
        share = days["served"].sum() / days["load"].sum()
        week = days.rolling(7).sum().dropna()
        # windows must be 7 consecutive calendar days inside the season
        consecutive = (days.index.to_series().diff(6) == pd.Timedelta(days=6)).reindex(week.index)
        week = week[consecutive.fillna(False).to_numpy(dtype=bool)]
        if week.empty:
            continue
        gap = (week["served"] / week["load"] - share).abs()
        out[name] = gap.idxmin() - pd.Timedelta(days=6)
    return out


#: Horizons longer than this open the dispatch chart on a typical week [days].
OPEN_ON_WEEK_AFTER_DAYS = 31


def opening_week(times: pd.DatetimeIndex, served: np.ndarray, load: np.ndarray,
                 weeks: dict[str, pd.Timestamp]) -> str | None:
    """The season whose typical week the dispatch chart opens on, or None (whole horizon).

    A horizon of up to :data:`OPEN_ON_WEEK_AFTER_DAYS` days opens whole; a
    longer one on the seasonal typical week (:func:`typical_weeks`) whose
    on-site share is closest to the whole horizon's.
    """
    if not weeks or len(times) <= 24 * OPEN_ON_WEEK_AFTER_DAYS or load.sum() <= 0:
        return None
    share = served.sum() / load.sum()
    frame = pd.DataFrame({"served": served, "load": load}, index=times)

    def gap(season: str) -> float:
        week = frame.loc[weeks[season]:weeks[season] + pd.Timedelta(days=7, hours=-1)].sum()
        return abs(week["served"] / week["load"] - share) if week["load"] > 0 else np.inf

    return min(weeks, key=gap)


# ---------------------------------------------------------------- headline
def _kpi_rows(s: dict[str, Any], currency: str) -> list[tuple[str, str, str]]:
    """(quantity, value, against) rows of the headline table (:data:`HEADLINE`)."""
    t = s.get("targets") or {}

    def verdict(key: str) -> str:
        if f"{key}_met" not in t:
            return ""
        met = "met" if t[f"{key}_met"] else "NOT met"
        return f"target {percent(t.get(key), 0)}: {met}"

    against = {"onsite_share": verdict("onsite_share"), "clean_share": verdict("clean_share"),
               "co2_t": f"{s.get('co2_per_tce', float('nan')):.3f} tCO2/tce"}
    return [(short(name), display(name, s.get(name), currency), against.get(name, ""))
            for name in HEADLINE if s.get(name) is not None]


def _indicator_value(value: Any, unit: Any) -> str:
    """An indicator's value or threshold: shares in %, others with their unit."""
    if value is None:
        return "—"
    if unit in ("1", None, ""):
        return percent(float(value))
    return f"{float(value):.3g} {unit}"


def _table(head: tuple[str, ...], rows: list[tuple[Any, ...]], cls: str = "") -> str:
    h = "".join(f"<th>{esc(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{esc(cls)}"><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>'


def _cards(s: dict[str, Any], currency: str) -> str:
    t = s.get("targets") or {}
    indicators = s.get("indicators") or []
    passed = all(bool(r.get("passed")) for r in indicators) if indicators else None
    cards = [
        ("on-site share", percent(s.get("onsite_share")),
         f"target {percent(t.get('onsite_share'), 0)}" if "onsite_share" in t else "",
         t.get("onsite_met")),
        ("clean share", percent(s.get("clean_share")),
         f"target {percent(t.get('clean_share'), 0)}" if "clean_share" in t else "",
         t.get("clean_met")),
        ("cost", f"{(s.get('lcoe_per_mwh') or float('nan')):,.0f} {currency}/MWh",
         f"{(s.get('annualized_cost') or float('nan')) / 1e6:,.1f} M{currency}/yr", None),
        ("emissions", f"{(s.get('co2_t') or 0) / 1e3:,.1f} kt CO2/yr",
         f"{s.get('co2_per_tce', float('nan')):.3f} tCO2/tce", None),
        ("zero-carbon indicators",
         "—" if passed is None else ("all pass" if passed else "not all pass"),
         f"{sum(bool(r.get('passed')) for r in indicators)} of {len(indicators)} pass", passed),
    ]
    out = []
    for name, value, note, ok in cards:
        state = "" if ok is None else (" pass" if ok else " fail")
        out.append(f'<div class="card{state}"><div class="card-name">{esc(name)}</div>'
                   f'<div class="card-value">{esc(value)}</div>'
                   f'<div class="card-note">{esc(note)}</div></div>')
    return '<div class="cards">' + "".join(out) + "</div>"


def _shares_chart(s: dict[str, Any], sized: dict[str, Any] | None) -> Chart:
    fig = _figure("Where the park's electricity comes from", "share of annual load [%]", "")
    runs = [("configured kit", s)] + ([("least-cost mix", sized)] if sized else [])
    parts = (("onsite_share", "on-site PV + wind", COLORS["pv"]),
             ("green_import_share", "green import", COLORS["import_green"]),
             ("regular_import_share", "regular import", COLORS["import_regular"]),
             ("unmet_share", "unserved", COLORS["unmet"]))
    for key, name, color in parts:
        fig.add_trace(go.Bar(
            y=[r for r, _ in runs], x=[100 * float(v.get(key) or 0.0) for _, v in runs],
            name=name, orientation="h", marker_color=color,
            hovertemplate="%{x:.1f} %<extra>" + name + "</extra>"))
    target = (s.get("targets") or {}).get("onsite_share")
    if target is not None:
        fig.add_vline(x=100 * target, line_dash="dash", line_color="#000",
                      annotation_text=f"on-site target {100 * target:.0f} %")
    fig.update_layout(barmode="stack", height=250 + 50 * len(runs), hovermode="closest",
                      yaxis={"title": "run", "automargin": True}, xaxis_range=[0, 100],
                      legend={"y": -0.35})
    return Chart("chart-shares", "Where the park's electricity comes from",
                 "Each bar splits the annual load by source; the dashed line is the on-site "
                 "target — the on-site (yellow) part must reach it.", fig)


def headline_section(data) -> Section | None:
    """On-site share vs target, clean share, cost, emissions, indicators, assumptions."""
    s = data.summary
    if s is None:
        return None
    cur = data.currency
    parts = [_cards(s, cur)]
    kpi_rows = _kpi_rows(s, cur)
    if data.sized_summary is not None:
        sized = {q: v for q, v, _ in _kpi_rows(data.sized_summary, cur)}
        rows = [(q, v, sized.get(q, ""), a) for q, v, a in kpi_rows]
        parts.append(_table(("quantity", "configured kit", "least-cost mix", "against"), rows,
                            "kpis"))
    else:
        parts.append(_table(("quantity", "value", "against"), kpi_rows, "kpis"))
    caps_rows = []
    for run, summ in (("configured kit", s), ("least-cost mix", data.sized_summary)):
        if summ and summ.get("capacities"):
            c = summ["capacities"]
            caps_rows.append((run, f"{c.get('pv_mw', 0):,.1f}", f"{c.get('wind_mw', 0):,.1f}",
                              f"{c.get('battery_mwh', 0):,.1f}", f"{c.get('battery_mw', 0):,.1f}"))
    if caps_rows:
        parts.append("<h3>Capacities</h3>" + _table(
            ("run", "PV [MWp]", "wind [MW]", "battery [MWh]", "battery [MW]"), caps_rows, "caps"))
    indicators = s.get("indicators") or []
    if indicators:
        parts.append("<h3>Zero-carbon park indicators</h3>" + _table(
            ("indicator", "value", "rule", "status", "basis"),
            [(r.get("indicator", r.get("key")), _indicator_value(r.get("value"), r.get("unit")),
              f"{r.get('rule', '')} {_indicator_value(r.get('threshold'), r.get('unit'))}",
              "pass" if r.get("passed") else "FAIL", r.get("basis", "")) for r in indicators],
            "indicators"))
    prov = s.get("provenance") or {}
    assumption_rows: list[tuple[Any, ...]] = [("site", s.get("site", ""), "config"),
                       ("weather source", prov.get("weather_source", "unknown"),
                        prov.get("weather_fills") or "as read"),
                       ("hours simulated", str(s.get("hours", "")), "")]
    assumption_rows += [tuple(str(c) for c in row[:3]) for row in s.get("assumptions") or []]
    parts.append("<h3>Assumptions</h3>" + _table(("assumption", "value", "basis"),
                                                 assumption_rows, "assumptions"))
    if prov:
        parts.append('<p class="provenance">' + esc(", ".join(
            f"{k}: {v}" for k, v in sorted(prov.items()) if k not in ("weather_fills",))) + "</p>")
    chart = _shares_chart(s, data.sized_summary)
    return Section("headline", "Headline", [chart], "".join(parts))


# ---------------------------------------------------------------- hourly dispatch
def dispatch_section(data) -> Section | None:
    """Stacked hourly supply against load over the horizon, typical week per season."""
    flows = data.flows
    if flows is None:
        return None
    times = _times(flows)
    axis = _time_axis(times)
    fig = _figure("Hourly dispatch", "local standard time", "power [MW]")
    for name in SUPPLY:
        values = _flow(flows, name)
        if not values.any():
            continue
        fig.add_trace(go.Scatter(
            **axis, y=_f32(values), name=SHORT[name], stackgroup="supply", mode="none",
            fillcolor=COLORS[name], hovertemplate="%{y:,.1f} MW"))
    for name in SINKS:
        values = _flow(flows, name)
        if not values.any():
            continue
        fig.add_trace(go.Scatter(
            **axis, y=_f32(-values), name=SHORT[name], stackgroup="sinks", mode="none",
            fillcolor=COLORS[name], hovertemplate="%{y:,.1f} MW"))
    fig.add_trace(go.Scatter(**axis, y=_f32(_flow(flows, "load")), name="load", mode="lines",
                             line={"color": COLORS["load"], "width": 1},
                             hovertemplate="%{y:,.1f} MW"))
    weeks = typical_weeks(times, _onsite_coverage(flows) * _flow(flows, "load"),
                          _flow(flows, "load"))
    buttons = [{"label": "whole horizon", "method": "relayout",
                "args": [{"xaxis.autorange": True}]}]
    for season, start in weeks.items():
        end = start + pd.Timedelta(days=7)
        buttons.append({"label": f"{season} typical week ({start:%d %b})", "method": "relayout",
                        "args": [{"xaxis.range": [f"{start:%Y-%m-%d %H:%M}",
                                                  f"{end:%Y-%m-%d %H:%M}"]}]})
    opening = opening_week(times, _onsite_coverage(flows) * _flow(flows, "load"),
                           _flow(flows, "load"), weeks)
    fig.update_layout(height=480, updatemenus=[{
        "buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right", "y": 1.15,
        "yanchor": "top", "showactive": True,
        "active": 0 if opening is None else 1 + list(weeks).index(opening)}])
    opens = "the whole horizon"
    if opening is not None:  # a year of hours is unreadable at once: open on a typical week
        start = weeks[opening]
        fig.update_layout(xaxis_range=[f"{start:%Y-%m-%d %H:%M}",
                                       f"{start + pd.Timedelta(days=7):%Y-%m-%d %H:%M}"])
        opens = f"the {opening} typical week ({start:%d %b})"
    week_names = ", ".join(weeks) or "none (horizon shorter than a week per season)"
    chart = Chart(
        "chart-dispatch", "Hourly dispatch: supply stacked against load",
        "Above zero the supply stacks up to (or past) the black load line; below zero the "
        f"surplus goes to the battery, export or curtailment. Opens on {opens}; drag to zoom; "
        f"the menu shows the whole horizon or a typical week per season ({week_names}).", fig)
    return Section("dispatch", "Hourly dispatch", [chart])


# ---------------------------------------------------------------- heat maps
def _heatmap(id_: str, title: str, caption: str, times, values, colorbar: str, short: str,
             colorscale: str, zmin=None, zmax=None, scale: float = 1.0) -> Chart:
    days, grid = day_hour_grid(times, values * scale)
    fig = _figure(title, "day", "hour of day (local standard time) [h]", hovermode="closest")
    fig.add_trace(go.Heatmap(
        x=days, y=list(range(24)), z=grid, colorscale=colorscale, zmin=zmin, zmax=zmax,
        colorbar={"title": {"text": short, "side": "top"}},
        hovertemplate="%{x} %{y}:00<br>" + colorbar + ": %{z:,.1f}<extra></extra>"))
    fig.update_layout(height=330, yaxis={"dtick": 6, "range": [-0.5, 23.5]})
    return Chart(id_, title, caption, fig)


def heatmap_section(data) -> Section | None:
    """Day-of-year x hour-of-day maps of on-site coverage, battery SoC and grid imports."""
    flows = data.flows
    if flows is None:
        return None
    times = _times(flows)
    charts = [_heatmap(
        "chart-heat-coverage", "On-site coverage by day and hour",
        "Green where PV, wind and the battery serve the whole hour's load; pale and "
        "white where the park leans on the grid (winter nights, calm evenings).",
        times, _onsite_coverage(flows), unit_label("onsite_coverage", percent=True),
        "on site [%]", "Greens",
        0, 100, 100.0)]
    battery_mwh = _capacity(data, "battery_mwh")
    if battery_mwh > 0 and "soc" in flows:
        charts.append(_heatmap(
            "chart-heat-soc", "Battery state of charge by day and hour",
            "Dark when the battery is full; read the daily charge-discharge rhythm and the "
            "days it stays empty.", times, _flow(flows, "soc") / battery_mwh,
            unit_label("soc_fraction", percent=True), "SoC [%]", "Purples", 0, 100, 100.0))
    charts.append(_heatmap(
        "chart-heat-imports", "Grid imports by day and hour",
        "Dark cells are the hours bought from the grid (green + regular): the seasons and "
        "hours to target with more wind, storage or demand shift.",
        times, _flow(flows, "import_green") + _flow(flows, "import_regular"),
        unit_label("grid_import"), "import [MW]", "OrRd", 0, None))
    return Section("heatmaps", "When the park leans on the grid", charts)


# ---------------------------------------------------------------- procurement
#: Colours of product kinds in the supply-mix chart.
_PRODUCT_COLORS = {"green_contract": ("#4caf50", "#2e7d32", "#81c784", "#1b5e20"),
                   "certificate": ("#a5d6a7",), "regular": ("#8c8c8c",)}


def _mix_chart(s: dict[str, Any]) -> Chart:
    """Annual supply of the load by product, as shares of load [%]."""
    load = float(s.get("load_mwh") or 0.0)
    parts = [("on-site PV + wind", s.get("onsite_served_mwh", 0.0), COLORS["pv"])]
    greens = iter(_PRODUCT_COLORS["green_contract"] * 4)
    regular = 0.0
    for row in s.get("procurement", []):
        if row["kind"] == "green_contract":
            parts.append((f"contract {row['name']}", row["mwh"], next(greens)))
        elif row["kind"] == "regular":
            regular += row["mwh"]
    covered = float(s.get("clean_credit_mwh") or 0.0)
    parts += [("regular + certificates / netted exports", covered, "#a5d6a7"),
              ("regular, no green attribute", max(regular - covered, 0.0),
               COLORS["import_regular"]),
              ("unserved", s.get("unmet_mwh", 0.0), COLORS["unmet"])]
    fig = _figure("Supply mix by product", "share of annual load [%]", "")
    for name, mwh, color in parts:
        if mwh > 0:
            fig.add_trace(go.Bar(y=["supply"], x=[100 * mwh / load if load else 0.0],
                                 name=esc(name), orientation="h", marker_color=color,
                                 hovertemplate="%{x:.1f} %<extra>" + esc(name) + "</extra>"))
    fig.update_layout(barmode="stack", height=260, hovermode="closest", xaxis_range=[0, 100],
                      legend={"y": -0.45}, yaxis={"automargin": True})
    return Chart("chart-procurement-mix", "Supply mix by product",
                 "The annual load split by what supplied it: on-site generation, each green "
                 "contract, regular power made clean by certificates (or netted exports), and "
                 "regular power without a green attribute.", fig)


def procurement_section(data) -> Section | None:
    """Supply mix by product, unmatched hours (day x hour) and the procurement table."""
    s, flows = data.summary, data.flows
    rows = (s or {}).get("procurement") or []
    if not any(not r.get("implicit") for r in rows):
        return None  # the [grid] keys alone: the headline and heat maps say it all
    cur = (s or {}).get("currency", "")
    charts = [_mix_chart(s)]
    if flows is not None and "cfe_covered" in flows:
        charts.append(_heatmap(
            "chart-heat-unmatched", "Unmatched load by day and hour (hourly CFE)",
            "Dark cells are load no on-site supply or green-contract delivery covered in that "
            "hour: what a 24/7 (hourly CFE) target must close; certificates do not count here.",
            _times(flows), _flow(flows, "load") - _flow(flows, "cfe_covered"),
            unit_label("cfe_covered"), "unmatched [MW]", "Reds", 0, None))
    table = _table(("product", "kind", "MWh/yr", "hours covered", f"cost {cur}/yr",
                    "counts toward"),
                   [(r["name"], r["kind"], f"{r['mwh']:,.0f}",
                     "annual" if r["hours"] is None else f"{r['hours']:,.0f}",
                     f"{r['cost']:,.0f}", r["counts_toward"]) for r in rows])
    intro = (f"Hourly CFE score {percent(s.get('cfe_hourly_score'))}; certificates bought "
             f"{(s.get('certificates_mwh') or 0.0):,.0f} MWh/yr. Accounting rules: README.")
    return Section("procurement", "Green procurement", charts, html=table, intro=intro)


# ---------------------------------------------------------------- energy balance
def balance_section(data) -> Section | None:
    """Monthly energy balance, duration curves, battery SoC histogram and cycles."""
    flows = data.flows
    if flows is None:
        return None
    times = _times(flows)
    frame = pd.DataFrame({n: _flow(flows, n) for n in (*SUPPLY, *SINKS, "load")}, index=times)
    dt_h = float(flows.attrs.get("dt_h", 1.0))
    monthly = frame.resample("MS").sum() * dt_h
    months = monthly.index.strftime("%Y-%m").tolist()
    fig = _figure("Monthly energy balance", "month", "energy per month [MWh]",
                  barmode="relative", xaxis_type="category")
    for name in SUPPLY:
        if monthly[name].any():
            fig.add_trace(go.Bar(x=months, y=_f32(monthly[name]), name=SHORT[name],
                                 marker_color=COLORS[name], hovertemplate="%{y:,.0f} MWh"))
    for name in SINKS:
        if monthly[name].any():
            fig.add_trace(go.Bar(x=months, y=_f32(-monthly[name]), name=SHORT[name],
                                 marker_color=COLORS[name], hovertemplate="%{y:,.0f} MWh"))
    fig.add_trace(go.Scatter(x=months, y=_f32(monthly["load"]), name="load",
                             mode="lines+markers", line={"color": COLORS["load"]},
                             hovertemplate="%{y:,.0f} MWh"))
    charts = [Chart("chart-monthly", "Monthly energy balance",
                    "Bars above zero are each month's supply by source, below zero where surplus "
                    "went; compare the green and grey import bars month by month.", fig)]

    net = np.sort(frame["load"].to_numpy() - frame["pv"].to_numpy() - frame["wind"].to_numpy())
    imports = np.sort(frame["import_green"].to_numpy() + frame["import_regular"].to_numpy())
    rank = np.arange(1, len(net) + 1, dtype=np.float32) * dt_h
    fig = _figure("Duration curves", "hours at or above the value [h]", "power [MW]",
                  hovermode="closest")
    fig.add_trace(go.Scatter(x=rank, y=_f32(net[::-1]), name=QUANTITIES["net_load"].long_name,
                             mode="lines", line={"color": "#333"}))
    fig.add_trace(go.Scatter(x=rank, y=_f32(imports[::-1]),
                             name=QUANTITIES["grid_import"].long_name, mode="lines",
                             line={"color": COLORS["import_regular"]}))
    fig.add_hline(y=0, line_color="#999")
    n_import = int((imports > 1e-9).sum())
    charts.append(Chart(
        "chart-duration", "Duration curves of net load and grid imports",
        f"Each hour sorted from highest to lowest: net load below zero is on-site surplus; "
        f"imports are needed in {n_import:,} of {len(imports):,} hours, up to "
        f"{imports.max() if len(imports) else 0:,.1f} MW.", fig))

    battery_mwh = _capacity(data, "battery_mwh")
    if battery_mwh > 0 and "soc" in flows:
        soc = 100 * _flow(flows, "soc") / battery_mwh
        counts, edges = np.histogram(np.clip(soc, 0, 100), bins=20, range=(0, 100))
        fig = _figure("Battery state of charge", unit_label("soc_fraction", percent=True),
                      "hours [h]", hovermode="closest", bargap=0.05)
        fig.add_trace(go.Bar(x=0.5 * (edges[:-1] + edges[1:]), y=counts * dt_h, width=4.8,
                             marker_color=COLORS["discharge"], name="hours",
                             hovertemplate="%{x:.0f} %: %{y:,.0f} h<extra></extra>"))
        charts.append(Chart(
            "chart-soc-histogram", "How full the battery is",
            "Hours spent at each state of charge: many empty hours (0 %) mean it runs out "
            "before the deficit ends, many full hours (100 %) that surplus is left over.", fig))
        daily = pd.Series(_flow(flows, "discharge") * dt_h, index=times).resample("D").sum()
        cycles = daily / battery_mwh
        total = (data.summary or {}).get("battery_cycles", float(cycles.sum()))
        fig = _figure("Battery cycles per day", "day",
                      f"{QUANTITIES['battery_cycles'].long_name} per day "
                      f"[{QUANTITIES['battery_cycles'].unit} d-1]", hovermode="closest")
        fig.add_trace(go.Bar(x=daily.index.strftime("%Y-%m-%d").tolist(), y=_f32(cycles),
                             marker_color=COLORS["discharge"], name="cycles",
                             hovertemplate="%{x}: %{y:.2f} cycles<extra></extra>"))
        charts.append(Chart(
            "chart-cycles", "Battery equivalent full cycles per day",
            f"Discharged energy per day over usable capacity; {total:,.0f} cycles a year "
            f"(scaled to a year) — compare with the cell's rated cycle life.", fig))
    note = "" if battery_mwh > 0 else "No battery in this run: no state-of-charge charts."
    return Section("balance", "Energy balance, duration curves and battery", charts, intro=note)


# ---------------------------------------------------------------- frontier (sizing)
def frontier_section(data) -> Section | None:
    """Cost versus on-site share (the least-cost mix at each share), target marked."""
    table = data.frontier
    if table is None or "share" not in table or "lcoe_per_mwh" not in table:
        return None
    cur = data.currency
    table = table.sort_values("share")
    fig = _figure("Cost of on-site share",
                  f"{QUANTITIES['onsite_share'].long_name}, target of the sizing [%]",
                  unit_label("lcoe_per_mwh", cur), hovermode="closest")
    custom = np.column_stack([table.get(c, pd.Series(np.nan, index=table.index)).to_numpy(float)
                              for c in ("pv_mw", "wind_mw", "battery_mwh", "annualized_cost",
                                        "onsite_share_reached")])
    fig.add_trace(go.Scatter(
        x=100 * table["share"], y=table["lcoe_per_mwh"], mode="lines+markers",
        name="least-cost mix", line={"color": COLORS["cost"]}, customdata=custom,
        hovertemplate=("%{x:.0f} %: %{y:,.1f} " + esc(cur) + "/MWh<br>PV %{customdata[0]:,.0f} "
                       "MWp, wind %{customdata[1]:,.0f} MW, battery %{customdata[2]:,.0f} MWh"
                       "<br>reaches %{customdata[4]:.1%} on-site<extra></extra>")))
    target = None
    for source in (data.sizing, data.study):
        if source and source.get("target_onsite_share") is not None:
            target = float(source["target_onsite_share"])
            break
    if target is None and data.summary:
        target = (data.summary.get("targets") or {}).get("onsite_share")
    if target is not None:
        fig.add_vline(x=100 * target, line_dash="dash", line_color="#000",
                      annotation_text=f"target {100 * target:.0f} %")
    for name, summ, symbol in (("configured kit", data.summary, "diamond"),
                               ("least-cost mix at target", data.sized_summary, "star")):
        if summ and summ.get("lcoe_per_mwh") is not None:
            fig.add_trace(go.Scatter(x=[100 * summ["onsite_share"]], y=[summ["lcoe_per_mwh"]],
                                     mode="markers", name=name,
                                     marker={"symbol": symbol, "size": 13}))
    charts = [Chart("chart-frontier", "Cost versus on-site share",
                    "Each point is the least-cost PV, wind and battery mix for that on-site "
                    "target; the slope is what each extra point costs (flat where the cheapest "
                    "mix already exceeds the target).", fig)]
    chart = weather_years_chart(data.weather_years, target)
    if chart is not None:
        charts.append(chart)
    return Section("frontier", "Sizing: the cost of on-site share", charts)


def weather_years_chart(wy, target: float | None) -> Chart | None:
    """On-site share by weather year of the typical-year mix and (when sized) the robust mix.

    With the target line and P50/P90 of each design.
    """
    if wy is None or "onsite_share" not in wy or "year" not in wy or not len(wy):
        return None
    fig = _figure("On-site share by weather year", "weather year",
                  unit_label("onsite_share", percent=True), hovermode="x unified",
                  barmode="group")
    designs = [("onsite_share", "typical-year mix", COLORS["wind"])]
    if "robust_onsite_share" in wy:
        designs.append(("robust_onsite_share", "robust mix", COLORS["cost"]))
    notes = []
    for column, name, color in designs:
        p50, p90 = np.percentile(wy[column], [50, 10])
        fig.add_trace(go.Bar(x=wy["year"].astype(str), y=100 * wy[column], marker_color=color,
                             name=f"{name} (P50 {100 * p50:.1f} %, P90 {100 * p90:.1f} %)"))
        met = int((wy[column] >= (target or 0.0) - 1e-6).sum())
        notes.append(f"the {name} meets the target in {met} of {len(wy)} years")
    if target is not None:
        fig.add_hline(y=100 * target, line_dash="dash", line_color="#000",
                      annotation_text=f"target {100 * target:.0f} %")
    return Chart("chart-weather-years", "On-site share by weather year",
                 "Each design re-simulated on every weather year: the spread is the weather "
                 "risk; P90 is the share reached in 9 years out of 10. "
                 + "; ".join(notes) + ".", fig)


# ---------------------------------------------------------------- years of life
def lifetime_section(data) -> Section | None:
    """On-site share and battery state of health by year of life (energysim.lifetime)."""
    t = data.lifetime
    if t is None or "onsite_share" not in t or "year" not in t or not len(t):
        return None
    target = (data.study or {}).get("target_onsite_share") or (
        (data.summary or {}).get("targets") or {}).get("onsite_share")
    fig = _figure("On-site share and battery health by year of life", "year of life",
                  unit_label("onsite_share", percent=True), hovermode="x unified")
    designs = [("", "committed mix", COLORS["wind"])]
    if "life_onsite_share" in t:
        designs.append(("life_", "mix for every year of life", COLORS["cost"]))
    for prefix, name, color in designs:
        fig.add_trace(go.Scatter(x=t["year"], y=100 * t[f"{prefix}onsite_share"],
                                 mode="lines+markers", name=f"{name}: on-site share",
                                 line={"color": color}))
        fig.add_trace(go.Scatter(x=t["year"], y=100 * t[f"{prefix}battery_soh"], mode="lines",
                                 name=f"{name}: battery state of health",
                                 line={"color": color, "dash": "dot"}, yaxis="y2"))
    fig.update_layout(yaxis2={"title": "battery state of health [%]", "overlaying": "y",
                              "side": "right"})
    if target is not None:
        fig.add_hline(y=100 * float(target), line_dash="dash", line_color="#000",
                      annotation_text=f"target {100 * float(target):.0f} %")
    chart = Chart("chart-lifetime", "Years of life", "Each year simulated with the battery's "
                  "faded capacity (rainflow-counted cycles and calendar fade, replaced below "
                  "replace_at_soh), degraded PV and the grown load; dotted: state of health.", fig)
    return Section("lifetime", "Years of life: does the target still hold?", [chart])


# ---------------------------------------------------------------- pathways
def pathway_section(data) -> Section | None:
    """Capacities, shares against targets, cost and CO2 by period (one trace per pathway)."""
    if not data.pathways:
        return None
    cur = data.currency
    many = len(data.pathways) > 1

    names: dict[str, str] = {}
    for key in data.pathways:
        name = str(data.pathway_meta.get(key, {}).get("pathway") or key or "pathway")
        if name in names.values():
            name = f"{name} ({key or 'top folder'})"
        names[key] = esc(name)

    def name_of(key: str) -> str:
        return names[key]

    fig = _figure("Installed capacity by period", "period [yr]",
                  "installed capacity [MWp, MW; battery MWh]", barmode="group",
                  hovermode="closest", xaxis_type="category")
    for key, t in data.pathways.items():
        years = t["year"].astype(int).astype(str)
        for col, label, color in (("pv_total_mw", "PV [MWp]", COLORS["pv"]),
                                  ("wind_total_mw", "wind [MW]", COLORS["wind"]),
                                  ("battery_total_mwh", "battery [MWh]", COLORS["discharge"])):
            if col in t:
                fig.add_trace(go.Bar(x=years, y=t[col], marker_color=color,
                                     name=(f"{name_of(key)}: " if many else "") + label,
                                     offsetgroup=f"{key}-{col}"))
    charts = [Chart("chart-pathway-capacity", "Installed capacity by period",
                    "What stands in each period after builds and retirements; the steps between "
                    "periods are the investments.", fig)]

    fig = _figure("Shares by period", "period [yr]", "share of annual load [%]",
                  hovermode="closest", xaxis_type="category")
    for key, t in data.pathways.items():
        prefix = f"{name_of(key)}: " if many else ""
        years = t["year"].astype(int).astype(str)
        for col, label, dash in (("onsite_share", "on-site", "solid"),
                                 ("onsite_share_target", "on-site target", "dash"),
                                 ("clean_share", "clean", "solid"),
                                 ("clean_share_target", "clean target", "dash")):
            if col in t:
                color = COLORS["pv"] if col.startswith("onsite") else COLORS["clean"]
                fig.add_trace(go.Scatter(x=years, y=100 * t[col], name=prefix + label,
                                         mode="lines+markers",
                                         line={"dash": dash, "color": color}))
    charts.append(Chart("chart-pathway-shares", "On-site and clean shares against targets",
                        "Solid lines are the simulated shares, dashed lines the period's "
                        "targets: a solid line under its dashed one misses the target.", fig))

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.update_layout(template=TEMPLATE, title={"text": "Cost and CO2 by period", "x": 0.01},
                      hovermode="closest", barmode="group", height=420)
    for key, t in data.pathways.items():
        prefix = f"{name_of(key)}: " if many else ""
        years = t["year"].astype(int).astype(str)
        if "annualized_cost_per_yr" in t:
            fig.add_trace(go.Bar(x=years, y=t["annualized_cost_per_yr"] / 1e6,
                                 name=prefix + "annualised cost", marker_color=COLORS["cost"]),
                          secondary_y=False)
        if "co2_t" in t:
            fig.add_trace(go.Scatter(x=years, y=t["co2_t"] / 1e3, name=prefix + "CO2",
                                     mode="lines+markers", line={"color": "#333"}),
                          secondary_y=True)
    fig.update_xaxes(title_text="period [yr]", type="category")
    fig.update_yaxes(title_text=f"annualised cost [M{esc(cur)} yr-1]", secondary_y=False)
    fig.update_yaxes(title_text="scope-2 CO2 [kt yr-1]", secondary_y=True, showgrid=False)
    charts.append(Chart("chart-pathway-cost", "Cost and CO2 by period",
                        "Bars: each period's annualised cost (assets + energy); line: its CO2 — "
                        "read how much each tonne cut costs along the way.", fig))
    return Section("pathway", "Pathway by period", charts)


# ---------------------------------------------------------------- sweeps
def tornado(table: pd.DataFrame, parameters: list[str], kpi: str,
            quantile: float = 0.2) -> pd.DataFrame:
    """:func:`energysim.sweep.aggregate.tornado` of an in-memory table.

    The report streams the store itself.
    """
    from energysim.sweep.aggregate import Source
    from energysim.sweep.aggregate import tornado as streamed

    return streamed(Source.of_frame(table), parameters, kpi, quantile)


def _sweep_histograms(digest, cur: str) -> Chart | None:
    """KPI distributions across scenarios, from the digest's bin counts."""
    kpis = list(digest.histograms)
    if not kpis:
        return None
    cols = 2 if len(kpis) > 1 else 1
    rows = math.ceil(len(kpis) / cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.1, vertical_spacing=0.25)
    for i, k in enumerate(kpis):
        r, c = divmod(i, cols)
        percent = QUANTITIES[k].unit == "1"
        edges, counts = digest.histograms[k]
        edges = edges * (100 if percent else 1)
        fig.add_trace(go.Bar(x=_f32(0.5 * (edges[:-1] + edges[1:])), y=counts.astype(np.int64),
                             width=_f32(np.diff(edges)), name=QUANTITIES[k].long_name,
                             marker_color=COLORS["wind"], showlegend=False), r + 1, c + 1)
        fig.update_xaxes(title_text=unit_label(k, esc(cur), percent=percent), row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="scenarios [count]", row=r + 1, col=c + 1)
    fig.update_layout(template=TEMPLATE, height=260 * rows + 80, hovermode="closest", bargap=0.05,
                      title={"text": "KPI distributions across scenarios", "x": 0.01})
    return Chart("chart-sweep-histograms", "KPI distributions across scenarios",
                 f"How {len(digest):,} scenarios spread: a narrow histogram means the "
                 "KPI is robust to the swept assumptions.", fig)


def _sweep_tornado(digest, cur: str) -> Chart | None:
    t, kpi = digest.tornado, digest.tornado_kpi
    if t is None or t.empty:
        return None
    scale = 100 if QUANTITIES[kpi].unit == "1" else 1
    unit = "percentage points" if scale == 100 else QUANTITIES[kpi].unit.replace("money", cur)
    names = [esc(p) for p in t["parameter"]]
    fig = _figure(f"Sensitivity of {QUANTITIES[kpi].long_name}",
                  f"change of the mean {QUANTITIES[kpi].long_name} [{esc(unit)}]",
                  "swept parameter", barmode="overlay", hovermode="closest")
    fig.add_trace(go.Bar(y=names, x=t["low"] * scale, orientation="h",
                         name="parameter low (bottom 20 %)", marker_color="#90caf9"))
    fig.add_trace(go.Bar(y=names, x=t["high"] * scale, orientation="h",
                         name="parameter high (top 20 %)", marker_color="#1565c0"))
    fig.update_layout(height=200 + 40 * len(t), yaxis_automargin=True)
    return Chart("chart-sweep-tornado", "Tornado of sensitivities",
                 "The longest bars are the assumptions that move the result "
                 "most; light = low values of the parameter, dark = high.", fig)


def sweep_section(data) -> Section | None:
    """KPI histograms across scenarios and a tornado of sensitivities.

    From the store's digest, :func:`energysim.sweep.aggregate.digest`: bounded memory whatever
    the number of scenarios.
    """
    digest = data.sweep
    if digest is None or digest.empty:
        return None
    charts = [c for c in (_sweep_histograms(digest, data.currency),
                          _sweep_tornado(digest, data.currency)) if c is not None]
    if not charts:
        return None
    summary, manifest = data.sweep_summary or {}, data.sweep_manifest or {}
    note = (f"{len(digest):,} scenarios stored"
            + (f" of {summary['n_scenarios']:,}" if summary.get("n_scenarios") else "")
            + (f"; mode {manifest.get('mode')}" if manifest.get("mode") else "")
            + (f"; swept: {', '.join(digest.parameters)}" if digest.parameters else ""))
    return Section("sweep", "Sweep", charts, intro=note)


#: The report's sections, in page order; each builder returns a Section or None.
def flexibility_section(data) -> Section | None:
    """Flexible demand (:mod:`energysim.report.flexible`)."""
    from energysim.report.flexible import flexibility_section as build

    return build(data)


SECTION_BUILDERS: tuple[Callable[[Any], Section | None], ...] = (
    headline_section, dispatch_section, heatmap_section, procurement_section, balance_section,
    frontier_section, flexibility_section, lifetime_section, pathway_section, sweep_section,
)


def build_sections(data) -> list[Section]:
    """Every section the folder's results support, in page order."""
    return [s for s in (build(data) for build in SECTION_BUILDERS) if s is not None]
