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
    typer.Option("--out", "-o", help="Output folder [default: out/<config name>]."),
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
def run(config: ConfigArg, out: OutOpt = None) -> None:
    """Simulate the configured park for its weather year; print the headline table.

    Writes OUT/summary.json (KPIs) and OUT/flows.nc (hourly flows, NetCDF).
    """
    park = energysim.load_park(config)
    result = energysim.simulate(park)
    out_dir = _out_dir(config, out)
    paths = result.save(out_dir)
    console.print(headline_table(result.summary(), f"{park.site.name} — simulation"))
    console.print(f"wrote {paths['summary']} and {paths['flows']}")


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
        app(args=argv, standalone_mode=False)
    except EnergysimError as exc:
        # user values such as "[pv]" must not be read as rich markup
        err_console.print(Text.assemble((f"{exc.kind}: ", "bold red"), exc.message), soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        return 130
    except Exception as exc:  # click's usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
