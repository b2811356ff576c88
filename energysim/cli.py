"""The ``energysim`` command line.

Every command takes a park config (TOML), prints a short rich table and writes
its files into ``--out`` (default ``out/<config name>``). Errors the user can
fix (bad config, broken data file, unusable output folder, infeasible target,
solver fault) are printed as one clear message and exit with code 2, without a
traceback and without writing anything that looks like a result.

The output folder is checked and locked before any computation, results are
staged and moved into place only when the command has finished, and they
replace the result set an earlier command left there
(:class:`energysim.results.OutputFolder`). SIGINT (Ctrl-C) and SIGTERM stop any
command with one line on stderr — "interrupted — nothing written" ("batches
kept, rerun to resume" for a sweep) — and exit code 130 / 143
(:mod:`energysim.interrupts`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

import energysim
from energysim import interrupts
from energysim.errors import EnergysimError
from energysim.nomenclature import HEADLINE, display, energy, money, percent, short
from energysim.timeaxis import HOURS_PER_YEAR

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


def _output(config: Path, out: Path | None, command: str, **kw: Any):
    """The command's :class:`~energysim.results.OutputFolder` (checked and locked on entry)."""
    from energysim.results import OutputFolder

    return OutputFolder(_out_dir(config, out), command, config=config, **kw)


def _finite(value: float | None) -> float | None:
    """Typer callback: a float option must be a finite number (click lets nan through ranges)."""
    import math

    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value}: must be a finite number")
    return value


def _target_note(targets: dict, key: str) -> str:
    """"target 80.0 %: met" for a share target the run was judged against, else ""."""
    if targets.get(key) is None:
        return ""
    met = "met" if targets.get(key.replace("_share", "_met")) else "NOT met"
    return f"target {percent(targets[key])}: {met}"


def print_weather_notes(provenance: dict[str, Any]) -> None:
    """Say what was filled or noticed in the weather (leap day, time shift).

    A site mismatch (allowed by ``[weather] allow_site_mismatch``) or daylight zeros are printed
    as loud warnings.
    """
    from energysim.weather.quality import LOUD_NOTES, loud_warnings

    fills = provenance.get("weather_fills")
    if fills:
        err_console.print(Text.assemble(("weather filled: ", "yellow"), str(fills)), soft_wrap=True)
    notes = provenance.get("weather_notes")
    for line in loud_warnings(notes):
        err_console.print(Text(line, style="bold red"), soft_wrap=True)
    others = [n for n in str(notes or "").split("; ") if n and not n.startswith(LOUD_NOTES)]
    if others:
        err_console.print(Text.assemble(("weather note: ", "yellow"), "; ".join(others)),
                          soft_wrap=True)


_DISPATCH_NOTE = {"rules": "load-following core", "optimal": "least-cost, perfect foresight",
                  "rolling": "re-optimised day by day"}


def headline_table(summary: dict[str, Any], title: str) -> Table:
    """The headline KPIs of a run as a rich table."""
    cur = summary.get("currency", "")
    caps = summary["capacities"]
    t = summary.get("targets", {})
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("note")
    notes = {
        "load_mwh": f"peak {summary['peak_load_mw']:,.0f} MW",
        "onsite_share": _target_note(t, "onsite_share"),
        "green_import_share": f"{energy(summary['import_green_mwh'])} to buy green",
        "regular_import_share": energy(summary["import_regular_mwh"]),
        "clean_share": _target_note(t, "clean_share"),
        "cfe_hourly_score": "24/7 matching",
        "curtailment_share": "of renewable generation",
        "annualized_cost": "per year",
        "lcoe_per_mwh": "per MWh of load",
    }
    # rows of this table only, after the headline KPI they follow
    after = {
        "clean_share": [("certificates (GEC)", energy(summary["certificates_mwh"]) + "/yr",
                         "cover regular imports")] if summary.get("certificates_mwh") else [],
        "unmet_share": [
            ("PV / wind full-load hours", f"{summary['pv_full_load_hours']:,.0f} / "
             f"{summary['wind_full_load_hours']:,.0f} h", ""),
            ("dispatch", str(summary.get("dispatch_mode", "rules")), _DISPATCH_NOTE.get(
                str(summary.get("dispatch_mode", "rules")), ""))],
    }
    rows = [("PV / wind", f"{caps['pv_mw']:,.0f} MWp / {caps['wind_mw']:,.0f} MW", ""),
            ("battery", f"{caps['battery_mwh']:,.0f} MWh / {caps['battery_mw']:,.0f} MW", "")]
    for name in HEADLINE:
        value = display(name, summary.get(name), cur)
        if name == "annualized_cost":  # the note says per year
            value = money(summary.get(name), cur)
        rows.append((short(name), value, notes.get(name, "")))
        rows += after.get(name, [])
    if "hydrogen_production_kg" in summary:  # flexible demand (energysim.flexible)
        rows += [
            ("electrolyser / hydrogen store", f"{caps['electrolyser_mw']:,.0f} MW / "
             f"{caps['hydrogen_storage_kg'] / 1e3:,.1f} t",
             f"demand {energy(summary['demand_mwh'])} incl. electrolyser"),
            ("green hydrogen", f"{summary['green_hydrogen_kg'] / 1e3:,.0f} t/yr",
             f"{percent(summary['green_hydrogen_share'])} of "
             f"{summary['hydrogen_production_kg'] / 1e3:,.0f} t/yr made on site"),
            ("hydrogen carbon intensity", f"{summary['hydrogen_co2_kg_per_kg']:.2f} kgCO2/kg",
             f"{summary['hydrogen_grade']} (T/CAB 0078-2020: <= 14.51 low-carbon, <= 4.9 clean)"),
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
    with _output(config, out, "run") as folder:
        park = energysim.load_park(config)
        result = energysim.simulate(park)
        result.save(folder.staging, tables=table or ())
        folder.commit(derived=_report)
    print_weather_notes(result.provenance)
    console.print(headline_table(result.summary(), f"{park.site.name} — simulation"))
    if park.procurement:
        print_procurement(result.summary())
    console.print(f"wrote {folder.path / 'summary.json'}, {folder.path / 'flows.nc'}, "
                  f"{folder.path / 'report.html'}")


@app.command()
def profiles(config: ConfigArg, out: OutOpt = None) -> None:
    """Build the hourly PV, wind and load profiles; write OUT/profiles.csv.

    Prints the annual full-load hours of PV and wind and the load's annual energy and peak.
    """
    from energysim.profiles import build_profiles
    from energysim.results import write_profiles_csv

    with _output(config, out, "profiles") as folder:
        park = energysim.load_park(config)
        prof = build_profiles(park)
        write_profiles_csv(folder.staging / "profiles.csv", prof)
        path = folder.commit()[0]
    print_weather_notes({"weather_fills": prof.attrs.get("weather_fills"),
                         "weather_notes": prof.attrs.get("weather_notes")})
    scale = HOURS_PER_YEAR / prof.sizes["time"]  # mean MW x 8760 h = MWh/yr
    table = Table(title=f"{park.site.name} — profiles", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("hours", f"{prof.sizes['time']}")
    table.add_row("PV full-load hours", f"{float(prof['pv_pu'].sum()) * scale:,.0f} h/yr")
    table.add_row("wind full-load hours", f"{float(prof['wind_pu'].sum()) * scale:,.0f} h/yr")
    table.add_row("load energy", energy(float(prof["load"].sum()) * scale) + "/yr")
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
            values: Iterable[float] = np.arange(start, stop + step / 2, step)
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


RobustOpt = Annotated[
    str | None,
    typer.Option("--robust", help="Size over the weather years of [weather] ensemble_path: "
                 "every_year (the target holds in each year), cvar (the mean share of the worst "
                 "[sizing] cvar_alpha of years reaches it) or expected (on the mean). Default: "
                 "[sizing] robustness when the config has an ensemble.", show_default=False),
]


def _robust_profiles(park, robust: str | None, typical_year: bool) -> dict:
    """Profiles by weather year for robust sizing ({} = size on the typical year)."""
    from energysim.ensemble import profiles_by_year
    from energysim.errors import ConfigError, problem
    from energysim.sizing.targets import ROBUSTNESS

    if robust is not None and robust not in ROBUSTNESS:
        raise typer.BadParameter(f"{robust!r}: choose one of {', '.join(ROBUSTNESS)}",
                                 param_hint="--robust")
    if typical_year:
        if robust is not None:
            raise typer.BadParameter("--robust and --typical-year exclude each other",
                                     param_hint="--robust")
        return {}
    years = "all" if robust is not None and park.sizing.weather_years == "none" else None
    by_year = profiles_by_year(park, years)
    if robust is not None and not by_year:
        raise ConfigError(problem("--robust needs weather years: set [weather] ensemble_path "
                                  "(a multi-year weather file)", source=park.source,
                                  field="weather.ensemble_path"))
    return by_year


@app.command()
def size(
    config: ConfigArg,
    onsite_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, callback=_finite,
                     help="On-site share target (0-1); default: the config's targets section."),
    ] = None,
    clean_share: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, callback=_finite,
                     help="Clean share target (0-1); default: the config's targets section."),
    ] = None,
    cfe_score: Annotated[
        float | None,
        typer.Option("--cfe-score", min=0.0, max=1.0, callback=_finite,
                     help="Hourly-matched (24/7) CFE score target (0-1): load covered hour by "
                     "hour by on-site supply and green contracts; default [targets] cfe_score."),
    ] = None,
    max_co2_per_tce: Annotated[
        float | None,
        typer.Option("--max-co2-per-tce", min=0.0, max=10.0, callback=_finite,
                     help="Enforce the core zero-carbon park indicator (tCO2/tce, market-based "
                     "scope 2), e.g. 0.2 or 0.3; default [targets] max_co2_per_tce."),
    ] = None,
    robust: RobustOpt = None,
    typical_year: Annotated[
        bool, typer.Option("--typical-year", help="Size on the [weather] path year only, even "
                           "when the config has weather years.")] = False,
    lifetime: Annotated[
        bool, typer.Option("--lifetime", help="Hold the target in every year of "
                           "economics.project_life_yr (battery fade and replacement, PV "
                           "degradation, load growth): sized on the last-year proxy, certified "
                           "by the lifetime simulation over the weather years "
                           "(OUT/lifetime.csv).")] = False,
    representative_days: Annotated[
        int | None,
        typer.Option(min=2, max=365, help="Size on N representative days (quick screening; "
                     "typical year only)."),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Least-cost PV, wind, battery and green procurement reaching the targets (HiGHS).

    Targets: on-site and clean shares, hourly CFE score and the core zero-carbon
    indicator ([targets] or the options); [[procurement]] products (contracts,
    certificates) are sized with the kit. With weather years ([weather] ensemble_path,
    [sizing] weather_years), the targets hold over them as --robust / [sizing] robustness
    says and every year is re-simulated to certify it (OUT/weather_years.csv). The chosen
    capacities are re-simulated through the dispatch core on the typical year; the KPIs come
    from that simulation. Writes OUT/sizing.json, OUT/summary.json, OUT/flows.nc.
    """
    import pandas as pd

    from energysim import sizing
    from energysim.profiles import build_profiles
    from energysim.results import Result, atomic_write, write_json
    from energysim.sizing.modes import operate
    from energysim.sizing.outputs import sizing_record

    if max_co2_per_tce is not None and max_co2_per_tce <= 0:
        raise typer.BadParameter("must be > 0 tCO2/tce", param_hint="--max-co2-per-tce")
    with _output(config, out, "size") as folder:
        park = sizing.with_targets(energysim.load_park(config), cfe_score=cfe_score,
                                   max_co2_per_tce=max_co2_per_tce)
        by_year = {} if representative_days is not None else _robust_profiles(
            park, robust, typical_year)
        prof = build_profiles(park)
        with console.status("sizing (HiGHS)…"):
            life = None
            if lifetime:
                from energysim.sizing.life import size_for_life

                life = size_for_life(park, by_year if robust else prof,
                                     onsite_share=onsite_share,
                                     life_profiles=list(by_year.values()) or [prof])
                sized = life.sizing
                flows = operate(park, prof, sized.capacities)
            elif by_year:
                sized = sizing.size(park, by_year, onsite_share=onsite_share,
                                    clean_share=clean_share, robustness=robust)
                park = sized.park or park  # what sizing decided beyond capacities
                flows = operate(park, prof, sized.capacities)
            else:
                sized = sizing.size(park, prof, onsite_share=onsite_share,
                                    clean_share=clean_share,
                                    representative_days=representative_days)
                park = sized.park or park
                flows = sized.flows
        result = Result.from_flows(park, sized.capacities, prof, flows,
                                   solver=vars(sized.solver))
        result.save(folder.staging)
        target = onsite_share if onsite_share is not None else park.targets.onsite_share
        record = sizing_record(sized, result.kpis, target)
        if life is not None:
            record["lifetime"] = life.answer()
            atomic_write(folder.staging / "lifetime.csv",
                         lambda tmp: life.life.table.to_csv(tmp, index=False))
        write_json(folder.staging / "sizing.json", record)
        if sized.robust is not None:
            table = pd.DataFrame(sized.robust["years"])
            atomic_write(folder.staging / "weather_years.csv",
                         lambda tmp: table.to_csv(tmp, index=False))
        folder.commit(derived=_report)
    print_weather_notes(result.provenance)
    title = f"{park.site.name} — least-cost mix for {percent(target)} on-site"
    if sized.robust is not None:
        title += (f" ({sized.robust['robustness'].replace('_', ' ')} of {len(by_year)} weather "
                  "years; shown on the typical year)")
    console.print(headline_table(result.summary(), title))
    print_procurement(result.summary())
    if sized.robust is not None:
        console.print(robust_table(sized, park))
    if life is not None:
        a = life.answer()
        console.print(f"holds {percent(target)} in {a['years_meeting_target']} of "
                      f"{a['years']} years "
                      f"of life (worst year {percent(a['min_onsite_share'])}, "
                      f"{a['replacements']} battery replacement(s)); net present cost "
                      f"{money(a['npc'], park.economics.currency)}")
    print_bound_notes(park)
    console.print(f"wrote {folder.path / 'sizing.json'}, {folder.path / 'summary.json'}, "
                  f"{folder.path / 'report.html'}")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def procurement_table(summary: dict[str, Any]) -> Table:
    """What the park buys: one row per product.

    MWh/yr, hours covered, cost, what it counts toward; certificates and netted exports
    included.
    """
    cur = summary.get("currency", "")
    t = Table(title="procurement (per year)", title_justify="left", header_style="bold")
    for col in ("product", "kind", "MWh/yr", "hours", f"{cur}/yr", "counts toward"):
        t.add_column(col, justify="left" if col in ("product", "kind", "counts toward")
                     else "right")
    for row in summary.get("procurement", []):
        hours = "annual" if row["hours"] is None else f"{row['hours']:,.0f} h"
        t.add_row(row["name"] + (" (implicit)" if row.get("implicit") else ""),
                  row["kind"].replace("green_contract", "contract"),
                  f"{row['mwh']:,.0f}", hours, money(row["cost"], cur), row["counts_toward"])
    if summary.get("netted_export_mwh"):
        t.caption = (f"exports netted against regular imports: "
                     f"{summary['netted_export_mwh']:,.0f} MWh/yr ([grid] export_netting)")
    return t


def cfe_table(summary: dict[str, Any]):
    """Hourly CFE score by month and by hour of the day [%] (two small tables)."""
    from rich.console import Group

    def cells(values):
        return ["—" if v is None else f"{100 * v:.0f}" for v in values]

    def table(title, labels, rows):
        t = Table(title=title, title_justify="left", header_style="bold")
        t.add_column("")
        for label in labels:
            t.add_column(label, justify="right")
        for name, values in rows:
            t.add_row(name, *cells(values))
        return t

    months = summary.get("cfe_by_month") or [None] * 12
    hours = summary.get("cfe_by_hour") or [None] * 24
    by_month = table(f"hourly-matched CFE score {percent(summary.get('cfe_hourly_score'))}: "
                     "by month [%]", _MONTHS, [("", months)])
    by_hour = table("by hour of day [%]", [f"+{h}" for h in range(12)],
                    [("0:00", hours[:12]), ("12:00", hours[12:])])
    by_hour.caption = ("on-site supply and green-contract deliveries hour by hour "
                       "(annual contracts as a flat block; certificates never)")
    return Group(by_month, by_hour)


def indicator_rules_table(summary: dict[str, Any]) -> Table:
    """China's zero-carbon park indicators: value, pass/fail and the rule used."""
    t = Table(title="zero-carbon park indicators (发改环资〔2025〕910号)", title_justify="left",
              header_style="bold")
    for col in ("indicator", "value", "location-based", "rule", "verdict"):
        t.add_column(col, justify="right" if col in ("value", "location-based") else "left")
    notes = []
    for k, row in enumerate(summary.get("indicators", []), start=1):
        loc = row.get("location_value")
        unit = "" if row["unit"] == "1" else f" {row['unit']}"
        t.add_row(f"{row['key']} [{k}]", f"{row['value']:.3g}{unit}",
                  "—" if loc is None else f"{loc:.3g}{unit}",
                  f"{row['rule']} {row['threshold']:g}", "pass" if row["passed"] else "FAIL")
        notes.append(f"[{k}] {row.get('basis', '')}")
    t.caption = Text("\n".join(notes), justify="left")
    return t


def print_procurement(summary: dict[str, Any]) -> None:
    """The procurement, hourly CFE and indicator tables of a result."""
    console.print(procurement_table(summary))
    console.print(cfe_table(summary))
    console.print(indicator_rules_table(summary))


def bound_notes(park) -> list[str]:
    """What sizing does with a capacity to simulate of 0: it sizes within the bounds instead.

    ``capacity_mw`` / ``energy_mwh`` / ``power_mw`` are what ``run`` simulates;
    ``size``, ``frontier`` and ``study`` choose each capacity between its
    ``min_*`` and ``max_*`` bounds. A 0 there often means "none of this"; say
    how to get that when sizing.
    """
    rows = [("pv", "capacity_mw", park.pv.capacity_mw, "max_mw", park.pv.max_mw, "MW"),
            ("wind", "capacity_mw", park.wind.capacity_mw, "max_mw", park.wind.max_mw, "MW"),
            ("battery", "energy_mwh", park.battery.energy_mwh, "max_mwh", park.battery.max_mwh,
             "MWh")]
    return [f"note: [{sec}] {key} = 0 is the value `run` simulates, not a bound: sizing chose "
            f"{sec} between min and {bound} = {limit:g} {unit}; set {bound} = 0 to size without it"
            for sec, key, value, bound, limit, unit in rows if value == 0 and limit > 0]


def print_bound_notes(park) -> None:
    """Print :func:`bound_notes` (after a sizing command)."""
    for note in bound_notes(park):
        console.print(Text(note, style="yellow"), soft_wrap=True)


def robust_table(sized, park) -> Table:
    """Each weather year's re-simulated shares of a robust sizing, and the certificate."""
    r = sized.robust
    t = Table(title=f"weather years: {r['robustness'].replace('_', ' ')} certification "
              "(re-simulated)", title_justify="left")
    for col in ("year", "on-site share", "clean share", "green import"):
        t.add_column(col, justify="right")
    for row in r["years"]:
        t.add_row(str(row["year"]), percent(row["onsite_share"]), percent(row["clean_share"]),
                  energy(row["import_green_mwh"]))
    cert = r["certified"]["onsite"]
    gap = sized.solver.extra.get("gap", 0.0) or 0.0
    t.caption = (f"rule value {percent(cert['value'])} vs target {percent(cert['target'])}: "
                 f"{'certified' if cert['holds'] else 'NOT met'}; least cost to a relative gap "
                 f"of {max(gap, 0.0):.1e} ({sized.solver.extra.get('method')})")
    return t


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
    with _output(config, out, "frontier") as folder:
        park = energysim.load_park(config)
        prof = build_profiles(park)
        with console.status(f"solving {len(values)} frontier points (HiGHS)…"):
            table = sizing.frontier(park, prof, values)
        atomic_write(folder.staging / "frontier.csv", lambda tmp: table.to_csv(tmp, index=False))
        path = folder.commit()[0]
    print_weather_notes({"weather_fills": prof.attrs.get("weather_fills"),
                         "weather_notes": prof.attrs.get("weather_notes")})
    console.print(frontier_table(table, park.economics.currency,
                                 f"{park.site.name} — cost of on-site share"))
    print_bound_notes(park)
    console.print(f"wrote {path}")


def frontier_table(table, currency: str, title: str) -> Table:
    """A frontier DataFrame as a rich table; the configured target row is marked.

    ``marginal_cost_of_share`` (the LP's dual of the on-site target) is money
    per year per unit of share (per 100 percentage points); the table shows it
    per percentage point in millions: what one more point of on-site share
    costs a year at that target.
    """
    out = Table(title=title, title_justify="left")
    for col in ("on-site share", "PV MWp", "wind MW", "battery MWh", "battery MW",
                f"cost M{currency}/yr", f"{currency}/MWh", f"+1 pt M{currency}/yr"):
        out.add_column(col, justify="right")
    out.caption = (f"+1 pt: marginal cost of one more percentage point of on-site share at that "
                   f"target, M{currency} per year")
    for row in table.to_dict(orient="records"):
        mark = " ◀ target" if row.get("is_target") else ""
        marginal = row.get("marginal_cost_of_share")
        out.add_row(
            f"{percent(row['share'])}{mark}", f"{row['pv_mw']:,.0f}", f"{row['wind_mw']:,.0f}",
            f"{row['battery_mwh']:,.0f}", f"{row['battery_mw']:,.0f}",
            f"{row['annualized_cost'] / 1e6:,.1f}", f"{row['lcoe_per_mwh']:,.1f}",
            "—" if marginal is None or marginal != marginal else f"{marginal / 1e6 / 100:,.2f}",
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
    """The flagship answer for the configured park.

    Configured kit, least-cost mix for the target, cost curve, weather years.
    """
    from energysim.study import run_study

    values = _parse_shares(shares)
    with _output(config, out, "study") as folder:
        park = energysim.load_park(config)
        with console.status("running the study: simulate, size, frontier, weather years, "
                            "robust sizing…"):
            result = run_study(park, values)
        result.save(folder.staging)
        folder.commit(derived=_report)
    print_weather_notes(result.configured.provenance)
    console.print(headline_table(result.configured.summary(),
                                 f"{park.site.name} — the configured kit, simulated"))
    console.print(study_table(result.answer(), park))
    print_procurement(result.sized.summary())
    if result.weather_years is not None:
        console.print(weather_years_table(result.weather_years, park.targets.onsite_share))
    sentence = study_sentence(result.answer(), park)
    if sentence:
        console.print(Text(sentence, style="bold"), soft_wrap=True)
    for stage, why in result.skipped.items():
        console.print(Text(f"{stage} stage skipped: {why}", style="yellow"))
    print_bound_notes(park)
    console.print(assumptions_table(park))
    console.print(f"wrote {folder.path}/study.json, summary.json, sizing.json, frontier.csv, "
                  "report.html")


def _report(staging: Path, folder: Path) -> Path:
    """The HTML report of the staged results (written at commit, into the staging folder)."""
    from energysim.report import write_report

    return write_report(staging, shown_as=folder)


def _caps_text(c: dict) -> str:
    return (f"PV {c['pv_mw']:,.0f} MWp, wind {c['wind_mw']:,.0f} MW, "
            f"battery {c['battery_mwh']:,.0f} MWh / {c['battery_mw']:,.0f} MW")


def study_table(answer: dict[str, Any], park) -> Table:
    """The study's answer as one short table a planner can quote, with the assumptions."""
    cur = park.economics.currency
    conf, best, wy = answer["configured"], answer["least_cost"], answer["weather_years"]
    rob = answer.get("robust")
    target = answer["target_onsite_share"]
    t = Table(title=f"{park.site.name} — {percent(target)} on-site + green grid power",
              title_justify="left")
    t.add_column("question")
    t.add_column("answer", justify="right")
    t.add_row("configured kit", _caps_text(conf["capacities"]))
    t.add_row("  on-site share (annual / hourly-matched CFE)",
              f"{percent(conf['onsite_share'])} / {percent(conf['cfe_hourly_score'])}")
    t.add_row("  green power to buy", f"{energy(conf['green_import_mwh'])}/yr "
              f"({percent(conf['green_import_share'])} of load)")
    t.add_row("  meets on-site target / clean target",
              f"{'yes' if conf['targets']['onsite_met'] else 'NO'} / "
              f"{'yes' if conf['targets']['clean_met'] else 'NO'}")
    for row in conf["indicators"]:
        t.add_row(f"  {row['key']}", f"{row['value']:.3g} ({'pass' if row['passed'] else 'FAIL'}"
                  f" {row['rule']} {row['threshold']:g})")
    t.add_row(f"least-cost mix for {percent(target)} (typical year)",
              _caps_text(best["capacities"]))
    t.add_row("  annualised cost / all-in cost", f"{money(best['annualized_cost'], cur)}/yr / "
              f"{best['lcoe_per_mwh']:,.1f} {cur}/MWh")
    t.add_row("  green power to buy", f"{energy(best['green_import_mwh'])}/yr")
    if best.get("procurement"):
        t.add_row("  procurement plan", Text(best["procurement"]["text"]))
    if wy:
        t.add_row(f"  weather years ({wy['n_years']})",
                  f"meets {percent(target)} in {wy['years_meeting_target']} of {wy['n_years']}; "
                  f"P50 {percent(wy['onsite_share_p50'])}, P90 {percent(wy['onsite_share_p90'])}")
    if rob:
        rule = {"every_year": "in every weather year", "expected": "on the mean of the years",
                "cvar": f"for the worst {rob['cvar_alpha']:.0%} of years (CVaR)"}[rob["robustness"]]
        t.add_row(f"least-cost mix for {percent(target)} {rule}", _caps_text(rob["capacities"]))
        t.add_row("  annualised cost / all-in cost", f"{money(rob['annualized_cost'], cur)}/yr"
                  f" / {rob['lcoe_per_mwh']:,.1f} {cur}/MWh")
        t.add_row("  cost of robustness", f"{money(rob['cost_of_robustness_per_yr'], cur)}/yr "
                  f"({rob['cost_of_robustness_per_mwh']:,.1f} {cur}/MWh)")
        if rob.get("procurement"):
            t.add_row("  procurement plan (typical year)", Text(rob["procurement"]["text"]))
        cert = rob["certified"]["onsite"]
        t.add_row("  certified by re-simulation",
                  f"{'yes' if cert['holds'] else 'NO'}: {percent(cert['value'])} "
                  f"(gap {max(rob['optimality_gap'] or 0.0, 0.0):.0e})")
        if wy and "robust_years_meeting_target" in wy:
            t.add_row(f"  weather years ({wy['n_years']})",
                      f"meets {percent(target)} in {wy['robust_years_meeting_target']} of "
                      f"{wy['n_years']}; P50 {percent(wy['robust_onsite_share_p50'])}, "
                      f"P90 {percent(wy['robust_onsite_share_p90'])}")
    flex = answer.get("flexibility")
    if flex:  # what flexible demand is worth (energysim.sizing.flexible.flexibility_study)
        none, full = flex["variants"][0], flex["variants"][-1]
        t.add_row(f"flexibility at {percent(target)} (typical year)",
                  f"saves {money(flex['cost_saving_per_yr'], cur)}/yr "
                  f"({percent(flex['cost_saving_share'])})")
        t.add_row("  battery without / with flexibility",
                  f"{none['battery_mwh']:,.0f} → {full['battery_mwh']:,.0f} MWh")
    _life_rows(t, answer.get("lifetime"), target, cur)
    fr = answer["frontier"]
    if fr:
        lo, hi = fr[0], fr[-1]
        t.add_row("cost curve (typical year)",
                  f"{percent(lo['share'])}: {lo['lcoe_per_mwh']:,.0f} → "
                  f"{percent(hi['share'])}: {hi['lcoe_per_mwh']:,.0f} {cur}/MWh")
    return t


def study_sentence(answer: dict[str, Any], park) -> str:
    """The flagship answer in one sentence (robust mix against the typical-year mix)."""
    rob, wy = answer.get("robust"), answer.get("weather_years")
    if not rob or not wy:
        return ""
    cur = park.economics.currency
    target = percent(answer["target_onsite_share"])
    rule = {"every_year": f"in every one of the {wy['n_years']} weather years",
            "expected": f"on the mean of {wy['n_years']} weather years",
            "cvar": f"for the worst {rob['cvar_alpha']:.0%} of {wy['n_years']} weather years"
            }[rob["robustness"]]
    return (f"The least-cost mix reaching {target} on-site {rule} costs "
            f"{money(rob['annualized_cost'], cur)}/yr, "
            f"{money(rob['cost_of_robustness_per_yr'], cur)}"
            f"/yr ({rob['cost_of_robustness_per_mwh']:,.1f} {cur}/MWh) more than the typical-year "
            f"mix, which reaches {target} in only {wy['years_meeting_target']} of "
            f"{wy['n_years']} years.")


def _life_rows(t: Table, life: dict | None, target: float, cur: str) -> None:
    """Rows of the study table on the years of life (energysim.lifetime, sizing.life)."""
    if not life:
        return
    name = "robust mix" if life["design"] == "robust" else "least-cost mix"
    t.add_row(f"{name} over {life['years']} years of life",
              f"last year {percent(life['last_year_onsite_share'])}, worst "
              f"{percent(life['min_onsite_share'])}; meets {percent(target)} in "
              f"{life['years_meeting_target']} of {life['years']}")
    ls = life.get("for_life")
    if ls:
        t.add_row(f"least-cost mix holding {percent(target)} every year of life",
                  _caps_text(ls["capacities"]))
        t.add_row("  net present cost, extra to hold the target",
                  f"{money(ls['npc'], cur)} (+{money(life['extra_npc_to_hold_target'], cur)})"
                  f"; {ls['replacements']} battery replacement(s)")


def weather_years_table(table, target: float) -> Table:
    """On-site share of the typical-year and the robust mix in every weather year."""
    t = Table(title="on-site share by weather year", title_justify="left")
    t.add_column("year", justify="right")
    t.add_column("typical-year mix", justify="right")
    robust = "robust_onsite_share" in table
    if robust:
        t.add_column("robust mix", justify="right")
    for row in table.to_dict(orient="records"):
        cells = [row["onsite_share"]] + ([row["robust_onsite_share"]] if robust else [])
        t.add_row(str(row["year"]), *(percent(v) + ("" if v >= target - 1e-6 else " ✗")
                                      for v in cells))
    t.caption = f"✗ below the {percent(target)} target"
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
def lifetime(config: ConfigArg, out: OutOpt = None) -> None:
    """Every year of the project's life: degraded PV, wind and battery, load growth, replacements.

    Cycles the weather years of the ensemble (weather.ensemble_path; else the
    configured weather). Writes OUT/lifetime.csv (one row per year) and OUT/lifetime.json
    (net present cost from the yearly cash flows, assumptions, provenance).
    """
    from energysim.lifetime import simulate_lifetime

    park = energysim.load_park(config)
    with console.status(f"simulating {park.economics.project_life_yr:g} years of life…"):
        result = simulate_lifetime(park)
    paths = result.save(_out_dir(config, out))
    console.print(lifetime_table(result))
    console.print(f"wrote {paths['csv']}, {paths['json']}")


def lifetime_table(result) -> Table:
    """Years of life in one table: on-site share, battery health, replacements, cost."""
    park, t = result.park, result.table
    cur = park.economics.currency
    target = park.targets.onsite_share
    table = Table(title=f"{park.site.name} — {len(t)} years of life, NPC "
                  f"{money(result.npc, cur)}", title_justify="left", header_style="bold")
    for name in ("year", "on-site share", "battery SoH", "cycles", "cost"):
        table.add_column(name, justify="right")
    for row in t.itertuples():
        mark = "" if row.onsite_share >= target - 1e-9 else " (below target)"
        table.add_row(str(row.year), percent(row.onsite_share) + mark,
                      percent(row.battery_soh) + (" replaced" if row.replaced else ""),
                      f"{row.battery_cycles:,.0f}", money(row.cost, cur))
    return table


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (TOML).", show_default=False)],
    scheduler: Annotated[
        str | None, typer.Option(help="Existing Dask scheduler, e.g. tcp://host:8786 "
                                 "[default: a local cluster sized to the machine].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local cluster workers (default: one per core).")] = None,
    threads: Annotated[
        bool, typer.Option(help="Local cluster of threads in this process, not processes.")
    ] = False,
    out: OutOpt = None,
) -> None:
    """Run a sensitivity / weather-year sweep on Dask; resumable (rerun to finish).

    Writes OUT/manifest.json, OUT/batches/*.parquet as batches finish,
    OUT/scenarios.parquet (one row per scenario_id) and OUT/summary.json.
    """
    from energysim.errors import ConfigError
    from energysim.paths import require_file
    from energysim.report import write_report
    from energysim.sweep import interrupted_message, load_sweep, run_sweep, summary_table

    require_file(sweep_file, ConfigError, what="sweep file")
    with _output(sweep_file, out, "sweep", staged=False) as folder:
        out_dir = folder.path
        spec = load_sweep(sweep_file)
        plan = spec.plan
        console.print(f"{plan.n_scenarios:,} scenarios in {plan.n_batches:,} batches "
                      f"({spec.mode}) → {out_dir}")
        try:
            outcome = run_sweep(spec, out_dir, scheduler=scheduler, n_workers=workers,
                                processes=not threads)
        except KeyboardInterrupt:
            # the finished batches are stored, complete: say how many (exit code of Ctrl-C)
            err_console.print(interrupted_message(out_dir, plan.n_batches), soft_wrap=True)
            raise typer.Exit(130) from None
        report = write_report(out_dir)
    s = outcome.summary
    console.print(summary_table(s, f"{sweep_file.name} — {s['n_stored']:,} scenarios"))
    console.print(f"{s['sense']} {s['objective']}: best scenario ids {s['best_scenario_ids']}, "
                  f"worst {s['worst_scenario_ids']}")
    console.print(f"computed {len(outcome.batches_computed)} batches, reused "
                  f"{outcome.batches_skipped}, in {outcome.elapsed_s:.1f} s; wrote "
                  f"{outcome.table_path}" + (f", {report}" if report else ""))


STARTER = """\
# energysim park config — starter written by `energysim init`.
# Units: MW and MWh unless the key names another (capex_per_kw, altitude_m, ...).
# Every key, its default, bounds and source: energysim/config.py. Check each value below.

[site]
name = {name}
latitude = {latitude}         # deg N
longitude = {longitude}       # deg E
altitude_m = {altitude}       # sets air density for the wind model
timezone = {timezone}       # IANA name; times are local standard time

[weather]
# Replace with your site's weather file: format = energysim | tmy3 | tmy2 | epw | pvgis |
# psm3 | csv | netcdf. This starter points at the shipped synthetic Ordos year.
path = {weather}
format = "energysim"

[load]
annual_mwh = 100_000          # or: profile = "measured.csv:park_mw" (hourly MW)
# shape: industrial_continuous | three_shift | two_shift | single_shift | flat
shape = "three_shift"

[pv]
capacity_mw = 50              # MWp DC; or profile = "cf.csv:pv" (AC per MWp)
tilt_deg = {tilt:g}              # optimal fixed tilt for the latitude (Jacobson & Jadhav 2018)
azimuth_deg = {azimuth:g}          # clockwise from north: facing {facing}, towards the equator
tracking = "fixed"            # fixed | single_axis
capex_per_kw = 3000           # CNY/kW; 2024 PV EPC bids averaged 3.30 CNY/W (SMM/Polaris)

[wind]
capacity_mw = 30
turbine = "E-126/4200"        # windpowerlib library name, or power_curve = "curve.csv"
hub_height_m = 120
capex_per_kw = 4000           # CNY/kW; onshore all-in ~4 200 CNY/kW in 2024 (CREEI)

[battery]
energy_mwh = 40               # usable
power_mw = 10
roundtrip_efficiency = 0.88

[grid]
import_price_per_mwh = 400    # CNY/MWh; assumption (no citable industrial average)
# green premium: assumption (green certificates traded at 1-6 CNY/MWh in 2025)
green_premium_per_mwh = 30    # CNY/MWh
emission_factor_t_per_mwh = 0.6096  # MEE/NBS 2023, excl. market-traded non-fossil power

[economics]
discount_rate = 0.06
currency = "CNY"              # another currency needs every price above in that currency

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
    from energysim.errors import ConfigError
    from energysim.paths import require_file
    from energysim.pathways import (
        compare,
        load_pathway,
        run_pathway,
        write_comparison,
        write_pathway,
    )
    from energysim.results import OutputFolder

    for f in files:
        require_file(f, ConfigError, what="pathway file")
    if len(files) == 1:
        out_dir = _out_dir(files[0], out)
    else:
        out_dir = out if out is not None else Path("out") / "_vs_".join(f.stem for f in files)
    with OutputFolder(out_dir, "pathway", config=files[0]) as folder:
        loaded = [load_pathway(f) for f in files]  # every file validated before anything runs
        results = []
        for f, pw in zip(files, loaded, strict=True):
            with console.status(f"{f.name}: {len(pw.years)} periods (HiGHS)…"):
                results.append(run_pathway(pw, representative_days=days))
        if len(files) == 1:
            write_pathway(results[0], folder.staging)
            folder.commit(derived=_report)
            console.print(pathway_table(results[0]))
            console.print(f"wrote {out_dir / 'pathway.csv'} and {out_dir / 'pathway.json'}")
            return
        stems: list[str] = []
        for f in files:
            stems.append(f.stem if f.stem not in stems else f"{f.stem}_{len(stems) + 1}")
        for stem, result in zip(stems, results, strict=True):
            write_pathway(result, folder.staging / stem)
        table = compare(results)
        write_comparison(table, folder.staging)
        folder.commit(derived=_report)
    for result in results:
        console.print(pathway_table(result))
    console.print(comparison_table(table, results[0].pathway.base.economics.currency))
    console.print(f"wrote {out_dir / 'comparison.csv'} and "
                  f"{', '.join(str(out_dir / s / 'pathway.csv') for s in stems)}")


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
        return [f"{percent(r[key])} ({100 * r[target]:g} %)"
                + ("" if r[met] in (True, None) else " NOT met")
                if r[target] is not None and r[target] == r[target] else percent(r[key])
                for r in rows]

    lines = [
        ("PV MWp (+new)", cap("pv_total_mw", "pv_added_mw")),
        ("wind MW (+new)", cap("wind_total_mw", "wind_added_mw")),
        ("battery MWh (+new)", cap("battery_total_mwh", "battery_added_mwh")),
        ("battery MW (+new)", cap("battery_power_total_mw", "battery_power_added_mw")),
        ("on-site (target)", share("onsite_share", "onsite_share_target", "onsite_met")),
        ("clean (target)", share("clean_share", "clean_share_target", "clean_met")),
        ("CO2 kt/yr", [f"{r['co2_t'] / 1e3:,.1f}" for r in rows]),
        ("cost per year", [money(r["annualized_cost_per_yr"], cur) for r in rows]),
        ("discounted cost", [money(r["discounted_cost"], cur) for r in rows]),
        ("park indicators", ["pass" if r["indicators_passed"] else "FAIL" for r in rows]),
    ]
    for name, values in lines:
        t.add_row(name, *values)
    t.caption = (f"total discounted cost {money(result.total_discounted_cost, cur)} "
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
                return percent(v)
            if unit.startswith("money"):
                return money(v, currency)
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
    """Rebuild DIRECTORY/report.html (one offline HTML file) from the saved results.

    Only the files of the folder's run are shown (run.json lists them with
    their SHA-256); any other result file is left out and named in a warning.
    """
    from energysim.report import write_report_data
    from energysim.report.page import page_warnings
    from energysim.results import OutputFolder

    with OutputFolder(directory, "report", staged=False, create=False) as folder:
        path, data = write_report_data(directory)
        folder.update_manifest(path.name)
    for warning in page_warnings(data):
        err_console.print(Text(warning, style="yellow"), soft_wrap=True)
    console.print(f"wrote {path}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new park.toml.")],
    name: Annotated[str, typer.Option(help="Park name.")] = "my park",
    latitude: Annotated[float, typer.Option(min=-90, max=90, callback=_finite,
                                            help="deg N")] = 39.6,
    longitude: Annotated[float, typer.Option(min=-180, max=180, callback=_finite,
                                             help="deg E")] = 109.8,
    altitude_m: Annotated[float, typer.Option(help="m above sea level")] = 1300.0,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Shanghai",
    force: Annotated[bool, typer.Option(help="Overwrite an existing park.toml.")] = False,
) -> None:
    """Write a commented starter config DIRECTORY/park.toml for a new site (validated).

    PV faces the equator (azimuth 180 deg north of the equator, 0 deg south of
    it) at the latitude's optimal fixed tilt (:func:`starter_pv_orientation`).
    """
    import json
    import tomllib

    from energysim.config import park_from_dict
    from energysim.errors import ConfigError, problem
    from energysim.paths import require_out_dir
    from energysim.results import atomic_write
    from energysim.weather.shipped import shipped_path

    require_out_dir(directory)
    target = directory / "park.toml"
    if target.exists() and not force:
        raise ConfigError(problem("exists already; pass --force to overwrite", source=target))
    weather = shipped_path("ordos/typical_year.csv")  # package data, wherever installed
    tilt, azimuth = starter_pv_orientation(latitude)
    text = STARTER.format(name=json.dumps(name), latitude=latitude, longitude=longitude,
                          altitude=altitude_m, timezone=json.dumps(timezone),
                          weather=json.dumps(str(weather)),
                          tilt=tilt, azimuth=azimuth,
                          facing="north" if azimuth == 0 else "south")
    # the starter must itself be valid (e.g. the time zone) before it is written
    park_from_dict(tomllib.loads(text), source=target, base_dir=directory)
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    console.print(f"wrote {target} — edit it, then: energysim run {target}")
    if max(abs(latitude - 39.6), abs(longitude - 109.8)) > 0.5:
        err_console.print(Text(
            f"note: [weather] path in {target} is the shipped Ordos year (39.6 N, 109.8 E); "
            "replace it with your site's weather file — a run refuses weather from another site",
            style="yellow"), soft_wrap=True)


def starter_pv_orientation(latitude: float) -> tuple[float, float]:
    """Fixed-tilt PV facing the equator at the optimal tilt for ``latitude``: (tilt, azimuth) [deg].

    Parameters
    ----------
    latitude : float
        Site latitude [deg N], -90..90.

    Returns
    -------
    tilt : float
        Module tilt [deg], rounded to whole degrees, 0..90.
    azimuth : float
        180 (south-facing) at or north of the equator, 0 (north-facing) south of it.

    Notes
    -----
    Third-order fits of the PVWatts optimal tilt against latitude φ [1]_:
    north, θ = 1.3793 + φ(1.2011 + φ(−0.014404 + 0.000080509 φ));
    south (φ < 0), θ = −0.41657 + φ(1.4216 + φ(0.024051 + 0.00021828 φ)), taken
    in absolute value. About 31° at Ordos (39.6° N), 29° at Sydney (−33.9°).

    References
    ----------
    .. [1] M. Z. Jacobson and V. Jadhav, "World estimates of PV optimal tilt
       angles and ratios of sunlight incident upon tilted and tracked PV panels
       relative to horizontal panels", Solar Energy 169, 55-66, 2018.
    """
    phi = float(latitude)
    if phi >= 0:
        tilt = 1.3793 + phi * (1.2011 + phi * (-0.014404 + phi * 0.000080509))
    else:
        tilt = -0.41657 + phi * (1.4216 + phi * (0.024051 + phi * 0.00021828))
    return float(min(90.0, max(0.0, round(abs(tilt))))), (180.0 if phi >= 0 else 0.0)


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
    """Entry point: run the app; project errors → exit code 2 with one clear message.

    SIGINT and SIGTERM → exit code 130 / 143 and one line on stderr
    (:func:`interrupted_message`), no traceback. With ``argv`` None (the
    program itself) signals arriving after the command are ignored, so none can
    interrupt the interpreter's shutdown.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    with interrupts.handled(restore=argv is not None):
        try:
            code = _run_app(args)
        except interrupts.Interrupted:
            code = 1  # replaced below: a signal was received
        signum = interrupts.received()
        if signum is None:
            return code
        with interrupts.deferred(raise_pending=False):
            err_console.print(Text(interrupted_message(args, interrupts.written())), soft_wrap=True)
        return 128 + signum


def interrupted_message(args: list[str], written: list[Path]) -> str:
    """The one line an interrupted command prints: what it left behind."""
    command = next((a for a in args if a in _COMMANDS), None)
    if command == "sweep":
        return "interrupted — batches kept, rerun to resume"
    if written:
        return f"interrupted — the results in {', '.join(map(str, written))} were already complete"
    return "interrupted — nothing written"


def _run_app(args: list[str]) -> int:
    """The app with project errors turned into exit code 2."""
    try:
        code = app(args=args, standalone_mode=False)
    except EnergysimError as exc:
        # user values such as "[pv]" must not be read as rich markup
        err_console.print(Text.assemble((f"{exc.kind}: ", "bold red"), exc.message), soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):  # a prompt's EOF, or a library raising it itself
        err_console.print("interrupted — nothing written")
        return 130
    except Exception as exc:
        # click's usage errors (typer >= 0.2x vendors click as typer._click, older
        # typer uses click itself): both carry show() and exit_code
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            return 2
        raise
    # typer turns an interrupt into Exit(130), returned (not raised) outside standalone mode
    return code if isinstance(code, int) else 0


#: Command names (to tell which command an argument list runs).
_COMMANDS = ("run", "profiles", "size", "frontier", "study", "sweep", "pathway", "report", "init")


if __name__ == "__main__":
    sys.exit(main())
