"""The ``energysim`` command line.

Every command takes a park config (TOML), prints a short rich table and writes
its files into ``--out`` (default ``out/<config name>``). Errors the user can
fix (bad config, broken data file, infeasible target, solver fault) are printed
as one clear message and exit with code 2, without a traceback and without
writing anything that looks like a result.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

import energysim
from energysim.errors import EnergysimError

app = typer.Typer(
    name="energysim",
    help="Hourly simulator and optimiser of an industrial park's electricity system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ConfigArg = Annotated[Path, typer.Argument(help="Park config (TOML).", show_default=False)]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Output folder (default: out/<config name>)."),
]


TablesOpt = Annotated[
    list[str] | None,
    typer.Option("--table", help="Also write the hourly flows as a table: csv and/or parquet "
                 "(repeat the option for both)."),
]


def _out_dir(config: Path, out: Path | None) -> Path:
    return out if out is not None else Path("out") / config.stem


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _money(x: float | None, currency: str) -> str:
    if x is None:
        return "—"
    for scale, unit in ((1e9, "bn"), (1e6, "M")):
        if abs(x) >= scale:
            return f"{x / scale:,.2f} {unit} {currency}"
    return f"{x:,.0f} {currency}"


def _energy(x: float) -> str:
    return f"{x / 1e6:,.2f} TWh" if abs(x) >= 1e6 else f"{x / 1e3:,.1f} GWh"


def print_weather_notes(provenance: dict[str, Any]) -> None:
    """Say what was filled or noticed in the weather (site mismatch, leap day, time shift)."""
    for key, label in (("weather_fills", "filled"), ("weather_notes", "note")):
        text = provenance.get(key)
        if text:
            err_console.print(Text.assemble((f"weather {label}: ", "yellow"), str(text)),
                              soft_wrap=True)


def headline_table(summary: dict[str, Any], title: str) -> Table:
    """The headline KPIs of a run as a rich table."""
    cur = summary.get("currency", "")
    caps = summary["capacities"]
    t = summary.get("targets", {})
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("note")
    onsite_note = ""
    if t.get("onsite_share") is not None:
        onsite_note = f"target {_pct(t['onsite_share'])}: {'met' if t.get('onsite_met') else 'NOT met'}"
    clean_note = ""
    if t.get("clean_share") is not None:
        clean_note = f"target {_pct(t['clean_share'])}: {'met' if t.get('clean_met') else 'NOT met'}"
    rows = [
        ("PV / wind", f"{caps['pv_mw']:,.0f} MWp / {caps['wind_mw']:,.0f} MW", ""),
        ("battery", f"{caps['battery_mwh']:,.0f} MWh / {caps['battery_mw']:,.0f} MW", ""),
        ("annual load", _energy(summary["load_mwh"]), f"peak {summary['peak_load_mw']:,.0f} MW"),
        ("on-site share", _pct(summary["onsite_share"]), onsite_note),
        ("green import share", _pct(summary["green_import_share"]),
         f"{_energy(summary['import_green_mwh'])} to buy green"),
        ("regular import share", _pct(summary["regular_import_share"]),
         _energy(summary["import_regular_mwh"])),
        ("clean share", _pct(summary["clean_share"]), clean_note),
        ("hourly-matched CFE score", _pct(summary.get("cfe_hourly_score")), "24/7 matching"),
        ("curtailment", _pct(summary["curtailment_share"]), "of renewable generation"),
        ("unmet load", _pct(summary["unmet_share"]), ""),
        ("PV / wind full-load hours", f"{summary['pv_full_load_hours']:,.0f} / "
         f"{summary['wind_full_load_hours']:,.0f} h", ""),
        ("annualised cost", _money(summary["annualized_cost"], cur), "per year"),
        ("all-in supply cost", f"{summary['lcoe_per_mwh']:,.1f} {cur}/MWh"
         if summary.get("lcoe_per_mwh") is not None else "—", "per MWh of load"),
        ("scope-2 CO2", f"{summary['co2_t'] / 1e3:,.1f} kt/yr", ""),
    ]
    for row in summary.get("indicators", []):
        verdict = "pass" if row["passed"] else "FAIL"
        rows.append((
            row["key"],
            f"{row['value']:.3g} {row['unit'] if row['unit'] != '1' else ''}".strip(),
            f"{verdict} ({row['rule']} {row['threshold']:g})",
        ))
    for name, value, note in rows:
        table.add_row(name, value, note)
    return table


@app.command()
def run(config: ConfigArg, out: OutOpt = None, table: TablesOpt = None) -> None:
    """Simulate the configured park for its weather year; print the headline table.

    Writes OUT/summary.json (KPIs), OUT/flows.nc (hourly flows, NetCDF with
    units) and, on request, OUT/flows.csv / OUT/flows.parquet.
    """
    from energysim.results import TABLE_WRITERS

    if bad := sorted(set(table or ()) - set(TABLE_WRITERS)):
        raise typer.BadParameter(f"{bad}: table formats are {', '.join(TABLE_WRITERS)}",
                                 param_hint="--table")
    park = energysim.load_park(config)
    result = energysim.simulate(park)
    out_dir = _out_dir(config, out)
    paths = result.save(out_dir, tables=table or ())
    report = _write_report(out_dir)
    print_weather_notes(result.provenance)
    console.print(headline_table(result.summary(), f"{park.site.name} — simulation"))
    console.print(f"wrote {paths['summary']}, {paths['flows']}" + (f", {report}" if report else ""))


@app.command()
def profiles(config: ConfigArg, out: OutOpt = None) -> None:
    """Build the hourly PV, wind and load profiles; write OUT/profiles.csv.

    Prints the annual full-load hours of PV and wind and the load's annual energy and peak.
    """
    from energysim.profiles import build_profiles
    from energysim.results import write_profiles_csv

    park = energysim.load_park(config)
    prof = build_profiles(park)
    path = write_profiles_csv(_out_dir(config, out) / "profiles.csv", prof)
    scale = 8760.0 / prof.sizes["time"]
    table = Table(title=f"{park.site.name} — profiles", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("hours", f"{prof.sizes['time']}")
    table.add_row("PV full-load hours", f"{float(prof['pv_pu'].sum()) * scale:,.0f} h/yr")
    table.add_row("wind full-load hours", f"{float(prof['wind_pu'].sum()) * scale:,.0f} h/yr")
    table.add_row("load energy", _energy(float(prof["load"].sum()) * scale) + "/yr")
    table.add_row("load peak", f"{float(prof['load'].max()):,.0f} MW")
    console.print(table)
    console.print(f"wrote {path}")


def _parse_shares(text: str) -> list[float]:
    """``"0.5:0.95:0.05"`` (start:stop:step, stop included) or ``"0.6,0.7,0.8"`` -> shares."""
    import numpy as np

    try:
        if ":" in text:
            start, stop, step = (float(x) for x in text.split(":"))
            if step <= 0:
                raise ValueError
            values = np.arange(start, stop + step / 2, step)
        else:
            values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: give start:stop:step (e.g. 0.5:0.95:0.05) or a comma list of shares"
        ) from None
    shares = [round(float(v), 6) for v in values]
    bad = [v for v in shares if not 0 <= v <= 1]
    if not shares or bad:
        raise typer.BadParameter(f"{text!r}: shares are fractions in [0, 1]; got {bad or 'none'}")
    return shares


def _write_report(out_dir: Path) -> Path:
    from energysim.report import write_report  # plotly loads only when a report is written

    return write_report(out_dir)


@app.command()
def size(
    config: ConfigArg,
    onsite_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="On-site share target (0-1); default: the config's targets section."),
    ] = None,
    clean_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Clean share target (0-1); default: the config's targets section."),
    ] = None,
    representative_days: Annotated[
        int | None,
        typer.Option(min=2, max=365, help="Size on N representative days (quick screening)."),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Least-cost PV, wind and battery reaching the on-site target (Pyomo + HiGHS).

    The chosen capacities are re-simulated through the dispatch core; the KPIs
    come from that simulation. Writes OUT/sizing.json, OUT/summary.json, OUT/flows.nc.
    """
    from energysim import sizing
    from energysim.profiles import build_profiles
    from energysim.results import Result, write_json
    from energysim.sizing.outputs import sizing_record

    park = energysim.load_park(config)
    prof = build_profiles(park)
    with console.status("sizing (HiGHS)…"):
        sized = sizing.size(park, prof, onsite_share=onsite_share, clean_share=clean_share,
                            representative_days=representative_days)
    result = Result.from_flows(park, sized.capacities, prof, sized.flows,
                               solver=vars(sized.solver))
    out_dir = _out_dir(config, out)
    paths = result.save(out_dir)
    target = onsite_share if onsite_share is not None else park.targets.onsite_share
    write_json(out_dir / "sizing.json", sizing_record(sized, result.kpis, target))
    _write_report(out_dir)
    console.print(headline_table(result.summary(), f"{park.site.name} — least-cost mix for "
                                 f"{_pct(target)} on-site"))
    console.print(f"wrote {out_dir / 'sizing.json'} and {paths['summary']}")


@app.command()
def frontier(
    config: ConfigArg,
    shares: Annotated[
        str, typer.Option(help="Shares: start:stop:step (stop included) or a comma list.")
    ] = "0.5:0.95:0.05",
    out: OutOpt = None,
) -> None:
    """Cost-vs-on-site-share curve: least-cost mix at each share; writes OUT/frontier.csv."""
    from energysim import sizing
    from energysim.profiles import build_profiles
    from energysim.results import atomic_write

    values = _parse_shares(shares)
    park = energysim.load_park(config)
    prof = build_profiles(park)
    with console.status(f"solving {len(values)} frontier points (HiGHS)…"):
        table = sizing.frontier(park, prof, values)
    out_dir = _out_dir(config, out)
    path = atomic_write(out_dir / "frontier.csv", lambda tmp: table.to_csv(tmp, index=False))
    console.print(frontier_table(table, park.economics.currency,
                                 f"{park.site.name} — cost of on-site share"))
    console.print(f"wrote {path}")


def frontier_table(table, currency: str, title: str) -> Table:
    """A frontier DataFrame as a rich table; the configured target row is marked."""
    out = Table(title=title, title_justify="left")
    for col in ("on-site share", "PV MWp", "wind MW", "battery MWh", "battery MW",
                f"cost M{currency}/yr", f"{currency}/MWh", f"marginal {currency}/MWh"):
        out.add_column(col, justify="right")
    for row in table.to_dict(orient="records"):
        mark = " ◀ target" if row.get("is_target") else ""
        marginal = row.get("marginal_cost_of_share")
        out.add_row(
            f"{_pct(row['share'])}{mark}", f"{row['pv_mw']:,.0f}", f"{row['wind_mw']:,.0f}",
            f"{row['battery_mwh']:,.0f}", f"{row['battery_mw']:,.0f}",
            f"{row['annualized_cost'] / 1e6:,.1f}", f"{row['lcoe_per_mwh']:,.1f}",
            "—" if marginal is None or marginal != marginal else f"{marginal:,.1f}",
        )
    return out


@app.command()
def study(
    config: ConfigArg,
    shares: Annotated[
        str, typer.Option(help="Frontier shares: start:stop:step or a comma list.")
    ] = "0.5:0.95:0.05",
    out: OutOpt = None,
) -> None:
    """The flagship answer: configured kit, least-cost mix for the target, cost curve, weather years."""
    from energysim.study import run_study

    values = _parse_shares(shares)
    park = energysim.load_park(config)
    with console.status("running the study: simulate, size, frontier, weather years…"):
        result = run_study(park, values)
    out_dir = _out_dir(config, out)
    result.save(out_dir)
    report = _write_report(out_dir)
    print_weather_notes(result.configured.provenance)
    console.print(headline_table(result.configured.summary(),
                                 f"{park.site.name} — the configured kit, simulated"))
    console.print(study_table(result.answer(), park))
    console.print(assumptions_table(park))
    console.print(f"wrote {out_dir}/study.json, summary.json, sizing.json, frontier.csv"
                  + (f", {report}" if report else ""))


def study_table(answer: dict[str, Any], park) -> Table:
    """The study's answer as one short table a planner can quote, with the assumptions."""
    cur = park.economics.currency
    conf, best, wy = answer["configured"], answer["least_cost"], answer["weather_years"]
    target = answer["target_onsite_share"]
    t = Table(title=f"{park.site.name} — {_pct(target)} on-site + green grid power",
              title_justify="left")
    t.add_column("question")
    t.add_column("answer", justify="right")
    caps = conf["capacities"]
    t.add_row("configured kit", f"PV {caps['pv_mw']:,.0f} MWp, wind {caps['wind_mw']:,.0f} MW, "
              f"battery {caps['battery_mwh']:,.0f} MWh / {caps['battery_mw']:,.0f} MW")
    t.add_row("  on-site share (annual / hourly-matched CFE)",
              f"{_pct(conf['onsite_share'])} / {_pct(conf['cfe_hourly_score'])}")
    t.add_row("  green power to buy", f"{_energy(conf['green_import_mwh'])}/yr "
              f"({_pct(conf['green_import_share'])} of load)")
    t.add_row("  meets on-site target / clean target",
              f"{'yes' if conf['targets']['onsite_met'] else 'NO'} / "
              f"{'yes' if conf['targets']['clean_met'] else 'NO'}")
    for row in conf["indicators"]:
        t.add_row(f"  {row['key']}", f"{row['value']:.3g} ({'pass' if row['passed'] else 'FAIL'}"
                  f" {row['rule']} {row['threshold']:g})")
    c = best["capacities"]
    t.add_row(f"least-cost mix for {_pct(target)}",
              f"PV {c['pv_mw']:,.0f} MWp, wind {c['wind_mw']:,.0f} MW, "
              f"battery {c['battery_mwh']:,.0f} MWh / {c['battery_mw']:,.0f} MW")
    t.add_row("  annualised cost / all-in cost", f"{_money(best['annualized_cost'], cur)}/yr / "
              f"{best['lcoe_per_mwh']:,.1f} {cur}/MWh")
    t.add_row("  green power to buy", f"{_energy(best['green_import_mwh'])}/yr")
    fr = answer["frontier"]
    if fr:
        lo, hi = fr[0], fr[-1]
        t.add_row("cost curve", f"{_pct(lo['share'])}: {lo['lcoe_per_mwh']:,.0f} → "
                  f"{_pct(hi['share'])}: {hi['lcoe_per_mwh']:,.0f} {cur}/MWh")
    if wy:
        t.add_row(f"weather years ({wy['n_years']})", f"P50 {_pct(wy['onsite_share_p50'])}, "
                  f"P90 {_pct(wy['onsite_share_p90'])} on-site (sized system)")
    return t


def assumptions_table(park) -> Table:
    """The assumptions behind the numbers: config key, value and its source."""
    from energysim.config import assumptions

    t = Table(title="assumptions (config key, value, source)", title_justify="left")
    t.add_column("key")
    t.add_column("value", justify="right")
    t.add_column("source")
    for key, value, basis in assumptions(park):
        t.add_row(key, str(value), basis)
    return t


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (TOML).", show_default=False)],
    scheduler: Annotated[
        str | None, typer.Option(help="Existing Dask scheduler, e.g. tcp://host:8786 "
                                 "[default: a local cluster sized to the machine].")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local cluster workers (default: one per core).")] = None,
    threads: Annotated[
        bool, typer.Option(help="Local cluster of threads in this process, not processes.")
    ] = False,
    out: OutOpt = None,
) -> None:
    """Run a sensitivity / weather-year sweep on Dask; resumable (rerun to finish).

    Writes OUT/manifest.json, OUT/batches/*.parquet as batches finish,
    OUT/scenarios.parquet (one row per scenario_id) and OUT/summary.json.
    """
    from energysim.sweep import interrupted_message, load_sweep, run_sweep, summary_table

    spec = load_sweep(sweep_file)
    out_dir = _out_dir(sweep_file, out)
    plan = spec.plan
    console.print(f"{plan.n_scenarios:,} scenarios in {plan.n_batches:,} batches "
                  f"({spec.mode}) → {out_dir}")
    try:
        outcome = run_sweep(spec, out_dir, scheduler=scheduler, n_workers=workers,
                            processes=not threads)
    except KeyboardInterrupt:
        # the finished batches are stored, complete: say so (the exit code is the interrupt's)
        err_console.print(interrupted_message(out_dir, plan.n_batches), soft_wrap=True)
        raise
    s = outcome.summary
    console.print(summary_table(s, f"{sweep_file.name} — {s['n_stored']:,} scenarios"))
    console.print(f"{s['sense']} {s['objective']}: best scenario ids {s['best_scenario_ids']}, "
                  f"worst {s['worst_scenario_ids']}")
    report = _write_report(out_dir)
    console.print(f"computed {len(outcome.batches_computed)} batches, reused "
                  f"{outcome.batches_skipped}, in {outcome.elapsed_s:.1f} s; wrote "
                  f"{outcome.table_path}" + (f", {report}" if report else ""))


STARTER = """\
# energysim park config — starter written by `energysim init`.
# Units: MW and MWh unless the key names another (capex_per_kw, altitude_m, ...).
# Every key, its default, bounds and source: energysim/config.py. Check each value below.

[site]
name = {name!r}
latitude = {latitude}         # deg N
longitude = {longitude}       # deg E
altitude_m = {altitude}       # sets air density for the wind model
timezone = {timezone!r}       # IANA name; times are local standard time

[weather]
# Replace with your site's weather file: format = energysim | tmy3 | tmy2 | epw | pvgis |
# psm3 | csv | netcdf. This starter points at the shipped synthetic Ordos year.
path = {weather!r}
format = "energysim"

[load]
annual_mwh = 100_000          # or: profile = "measured.csv:park_mw" (hourly MW)
shape = "three_shift"         # industrial_continuous | three_shift | two_shift | single_shift | flat

[pv]
capacity_mw = 50              # MWp DC; or profile = "cf.csv:pv" (AC per MWp)
tilt_deg = 30
azimuth_deg = 180
tracking = "fixed"            # fixed | single_axis
capex_per_kw = 3000

[wind]
capacity_mw = 30
turbine = "E-126/4200"        # windpowerlib library name, or power_curve = "curve.csv"
hub_height_m = 120
capex_per_kw = 4000

[battery]
energy_mwh = 40               # usable
power_mw = 10
roundtrip_efficiency = 0.88

[grid]
import_price_per_mwh = 400
green_premium_per_mwh = 30
emission_factor_t_per_mwh = 0.5856

[economics]
discount_rate = 0.06
currency = "CNY"

[targets]
onsite_share = 0.80
clean_share = 1.00
"""


@app.command()
def pathway(
    files: Annotated[list[Path], typer.Argument(help="Pathway file(s) (TOML); several are "
                                                "compared side by side.", show_default=False)],
    days: Annotated[
        int | None,
        typer.Option("--days", min=0, max=366,
                     help="Optimise on N typical days per period; 0 = every period's full "
                     "horizon (default: the file's representative_days, else the full horizon)."),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Multi-period transition pathway (e.g. 2025, 2030, 2035): least discounted cost builds.

    One LP over all periods; every period re-simulated on its full year. Writes
    OUT/pathway.csv and OUT/pathway.json (one folder per file when several, plus
    OUT/comparison.csv) and OUT/report.html.
    """
    from energysim.pathways import (
        compare,
        load_pathway,
        run_pathway,
        write_comparison,
        write_pathway,
    )

    loaded = [load_pathway(f) for f in files]  # every file validated before anything runs
    results = []
    for f, pw in zip(files, loaded, strict=True):
        with console.status(f"{f.name}: {len(pw.years)} periods (HiGHS)…"):
            results.append(run_pathway(pw, representative_days=days))
    if len(files) == 1:
        out_dir = _out_dir(files[0], out)
        paths = write_pathway(results[0], out_dir)
        _write_report(out_dir)
        console.print(pathway_table(results[0]))
        console.print(f"wrote {paths['csv']} and {paths['json']}")
        return
    out_dir = out if out is not None else Path("out") / "_vs_".join(f.stem for f in files)
    stems: list[str] = []
    for f in files:
        stems.append(f.stem if f.stem not in stems else f"{f.stem}_{len(stems) + 1}")
    for stem, result in zip(stems, results, strict=True):
        write_pathway(result, out_dir / stem)
        console.print(pathway_table(result))
    table = compare(results)
    path = write_comparison(table, out_dir)
    _write_report(out_dir)
    console.print(comparison_table(table, results[0].pathway.base.economics.currency))
    console.print(f"wrote {path} and {', '.join(str(out_dir / s / 'pathway.csv') for s in stems)}")


def pathway_table(result) -> Table:
    """One column per period: capacities (new), shares against targets, CO2, costs, indicators."""
    cur = result.pathway.base.economics.currency
    h = result.representative_period_h
    unit = {24: "days", 168: "weeks"}.get(h, f"periods of {h} h")
    days = f", {result.representative_days} typical {unit}" if result.representative_days else ""
    t = Table(title=f"{result.name} — pathway{days}", title_justify="left", header_style="bold")
    t.add_column("per period", no_wrap=True)
    rows = result.table.to_dict(orient="records")
    for r in rows:
        t.add_column(str(int(r["year"])), justify="right", no_wrap=True)

    def cap(total: str, added: str):
        return [f"{r[total]:,.0f} (+{r[added]:,.0f})" for r in rows]

    def share(key: str, target: str, met: str):
        return [f"{_pct(r[key])} ({100 * r[target]:g} %)"
                + ("" if r[met] in (True, None) else " NOT met")
                if r[target] is not None and r[target] == r[target] else _pct(r[key])
                for r in rows]

    lines = [
        ("PV MWp (+new)", cap("pv_total_mw", "pv_added_mw")),
        ("wind MW (+new)", cap("wind_total_mw", "wind_added_mw")),
        ("battery MWh (+new)", cap("battery_total_mwh", "battery_added_mwh")),
        ("battery MW (+new)", cap("battery_power_total_mw", "battery_power_added_mw")),
        ("on-site (target)", share("onsite_share", "onsite_share_target", "onsite_met")),
        ("clean (target)", share("clean_share", "clean_share_target", "clean_met")),
        ("CO2 kt/yr", [f"{r['co2_t'] / 1e3:,.1f}" for r in rows]),
        ("cost per year", [_money(r["annualized_cost_per_yr"], cur) for r in rows]),
        ("discounted cost", [_money(r["discounted_cost"], cur) for r in rows]),
        ("park indicators", ["pass" if r["indicators_passed"] else "FAIL" for r in rows]),
    ]
    for name, values in lines:
        t.add_row(name, *values)
    t.caption = (f"total discounted cost {_money(result.total_discounted_cost, cur)} "
                 f"(base year {result.pathway.base_year}, r = {result.pathway.discount_rate:g})")
    return t


def comparison_table(table, currency: str) -> Table:
    """Pathways side by side (the rows of comparison.csv)."""
    t = Table(title="pathways compared", title_justify="left", header_style="bold")
    names = [c for c in table.columns if c not in ("quantity", "unit", "year")]
    for name in ("quantity", "year", *names):
        t.add_column(name, justify="left" if name == "quantity" else "right")
    for _, r in table.iterrows():
        def fmt(v, unit=r["unit"]):
            if v is None or (isinstance(v, float) and v != v):
                return "—"
            if unit == "1":
                return _pct(v)
            if unit.startswith("money"):
                return _money(v, currency)
            if unit == "bool":
                return "pass" if v else "FAIL"
            return f"{v:,.0f}"
        t.add_row(Text(f"{r['quantity']} [{r['unit']}]"), r["year"], *(fmt(r[n]) for n in names))
    return t


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="Result folder (the --out of run, size, "
                                              "study, pathway or sweep).", show_default=False)],
) -> None:
    """Rebuild DIRECTORY/report.html (one offline HTML file) from the saved results."""
    from energysim.report import write_report

    path = write_report(directory)
    console.print(f"wrote {path}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new park.toml.")],
    name: Annotated[str, typer.Option(help="Park name.")] = "my park",
    latitude: Annotated[float, typer.Option(min=-90, max=90, help="deg N")] = 39.6,
    longitude: Annotated[float, typer.Option(min=-180, max=180, help="deg E")] = 109.8,
    altitude_m: Annotated[float, typer.Option(help="m above sea level")] = 1300.0,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Shanghai",
    force: Annotated[bool, typer.Option(help="Overwrite an existing park.toml.")] = False,
) -> None:
    """Write a commented starter config DIRECTORY/park.toml for a new site (validated)."""
    from energysim.config import load_park
    from energysim.errors import ConfigError, problem
    from energysim.results import atomic_write
    from energysim.weather.shipped import shipped_path

    target = directory / "park.toml"
    if target.exists() and not force:
        raise ConfigError(problem("exists already; pass --force to overwrite", source=target))
    weather = shipped_path("ordos/typical_year.csv")  # package data, wherever installed
    text = STARTER.format(name=name, latitude=latitude, longitude=longitude,
                          altitude=altitude_m, timezone=timezone, weather=str(weather))
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    try:
        load_park(target)  # the starter must itself be valid (e.g. the time zone)
    except ConfigError:
        target.unlink()
        raise
    console.print(f"wrote {target} — edit it, then: energysim run {target}")


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"energysim {energysim.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """energysim: hourly PV, wind, storage and grid simulation and sizing for industrial parks."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning project errors into exit code 2 with a clear message."""
    try:
        code = app(args=argv, standalone_mode=False)
    except EnergysimError as exc:
        # user values such as "[pv]" must not be read as rich markup
        err_console.print(Text.assemble((f"{exc.kind}: ", "bold red"), exc.message), soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        return 130
    except Exception as exc:
        # click's usage errors (typer >= 0.2x vendors click as typer._click, older
        # typer uses click itself): both carry show() and exit_code
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return 2
        raise
    # typer turns an interrupt into Exit(130), returned (not raised) outside standalone mode
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
