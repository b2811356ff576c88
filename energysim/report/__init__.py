"""The HTML report: one self-contained, offline file per result folder.

``write_report(out_dir)`` reads whatever saved results the folder holds — a run
(``summary.json`` + ``flows.nc``), a study (plus ``sized/``, ``sizing.json``,
``frontier.csv``, ``weather_years.csv``), a pathway (``pathway.csv``, also one
per sub-folder for a comparison) or a sweep (``manifest.json`` +
``scenarios.parquet`` or its ``batches/``) — and writes ``out_dir/report.html``
atomically. plotly.js is embedded once in the page (no CDN); every chart has a
title, axis units and a one-line caption; every piece of user text is escaped.

Only files of one run are shown: when the folder has a run manifest
(``run.json``, written by every command's commit, :mod:`energysim.results`),
a file is read only if the manifest lists it with the same SHA-256; any other
result file (left by another command, copied in, or changed since) is ignored
and named in a warning at the top of the page (``ReportData.ignored``). A
folder without a manifest (written through the Python API, or by hand) is read
whole.

The concerns are split in three modules: :mod:`energysim.report` reads the
folder (:class:`ReportData`), :mod:`energysim.report.figures` builds one
section per kind of result (separate functions, easy to extend) and
:mod:`energysim.report.page` lays the sections out as HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import xarray as xr

from energysim.errors import InputDataError, problem
from energysim.sweep.aggregate import Source, SweepDigest, digest

__all__ = ["ReportData", "load_report_data", "build_report", "write_report", "write_report_data",
           "REPORT_NAME"]

#: File name of the report inside a result folder.
REPORT_NAME = "report.html"


@dataclass
class ReportData:
    """Everything a result folder holds that the report can show (``None`` when absent)."""

    out_dir: Path
    shown_as: Path | None = None  # the folder named in the page (results staged elsewhere)
    manifest: dict[str, Any] | None = None  # run.json: the run whose files are shown
    ignored: list[str] = field(default_factory=list)  # files left out, each with the reason
    summary: dict[str, Any] | None = None
    flows: xr.Dataset | None = None
    sized_summary: dict[str, Any] | None = None
    sizing: dict[str, Any] | None = None
    frontier: pd.DataFrame | None = None
    weather_years: pd.DataFrame | None = None
    lifetime: pd.DataFrame | None = None
    study: dict[str, Any] | None = None
    pathways: dict[str, pd.DataFrame] = field(default_factory=dict)
    pathway_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    sweep: SweepDigest | None = None  #: histograms and tornado of a sweep store (bounded memory)
    sweep_manifest: dict[str, Any] | None = None
    sweep_summary: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        """True when the folder holds nothing the report can show."""
        return (self.summary is None and self.frontier is None and not self.pathways
                and self.sweep is None)

    @property
    def folder_name(self) -> str:
        """Name of the result folder, as the page shows it."""
        return (self.shown_as or self.out_dir).name

    def member(self, path: Path) -> bool:
        """Whether ``path`` exists and belongs to the folder's run (module docstring).

        A file the manifest does not list, or lists with another SHA-256, is
        recorded in :attr:`ignored` and left out.
        """
        from energysim.results import file_sha256

        if not path.is_file():
            return False
        if self.manifest is None:
            return True
        rel = path.relative_to(self.out_dir).as_posix()
        expected = self.manifest["files"].get(rel)
        if expected is None:
            reason = f"{rel}: not from this run ({self.manifest.get('command', '?')} " \
                     f"{self.manifest.get('run_id', '?')}), ignored"
        elif file_sha256(path) != expected:
            reason = (f"{rel}: changed since run {self.manifest.get('run_id', '?')} wrote it, "
                      "ignored")
        else:
            return True
        if reason not in self.ignored:
            self.ignored.append(reason)
        return False

    @property
    def currency(self) -> str:
        """Currency of the results' money ("money" when no result or config names one)."""
        for source in (self.summary, *self.pathway_meta.values()):
            if source and source.get("currency"):
                return str(source["currency"])
        if self.sweep_manifest and self.sweep_manifest.get("base_config"):
            return _config_currency(Path(str(self.sweep_manifest["base_config"])))
        return "money"

    @property
    def title(self) -> str:
        """The report's subject: the site, the pathway(s) or the sweep file."""
        if self.summary is not None and self.summary.get("site"):
            return str(self.summary["site"])
        if self.pathway_meta:
            return ", ".join(str(m.get("pathway") or k) for k, m in self.pathway_meta.items())
        if self.sweep_manifest is not None:
            return Path(str(self.sweep_manifest.get("sweep_file", "sweep"))).name
        return self.out_dir.name


def _config_currency(path: Path) -> str:
    """``[economics] currency`` of a park config, or "money" when it cannot be read."""
    import tomllib

    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
        return str(config.get("economics", {}).get("currency") or "CNY")  # config default
    except (OSError, ValueError):
        return "money"


def _json(path: Path, data: ReportData | None = None) -> dict[str, Any] | None:
    if not (path.is_file() if data is None else data.member(path)):
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(problem(f"is not readable JSON ({exc})", source=path)) from exc


def _csv(path: Path, data: ReportData) -> pd.DataFrame | None:
    if not data.member(path):
        return None
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputDataError(problem(f"is not a readable CSV table ({exc})", source=path)) from exc


def _run(folder: Path, data: ReportData) -> tuple[dict[str, Any] | None, xr.Dataset | None]:
    """A run's summary and flows, or (None, None) when ``folder`` holds no complete run."""
    summary = _json(folder / "summary.json", data)
    flows_path = folder / "flows.nc"
    # a sweep writes a summary.json too: a run's has the KPIs and sits next to flows.nc
    if summary is None or "onsite_share" not in summary or not data.member(flows_path):
        return None, None
    try:
        flows = xr.load_dataset(flows_path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise InputDataError(problem(f"is not readable NetCDF ({exc})", source=flows_path)) from exc
    return summary, flows


def _sweep_digest(out_dir: Path, manifest: dict[str, Any],
                  summary: dict[str, Any] | None) -> SweepDigest | None:
    """What the sweep section shows, aggregated chunk by chunk.

    From ``scenarios.parquet`` (else the finished batches so far): memory does not grow with the
    number of scenarios.
    """
    from energysim.nomenclature import QUANTITIES
    from energysim.sweep.columns import REPORT_KPIS

    source = Source.of_store(out_dir)
    if source is None:
        return None
    objective = (summary or {}).get("objective")
    try:
        return digest(source, REPORT_KPIS, list(manifest.get("parameters") or {}),
                      objective if objective in QUANTITIES else None)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputDataError(problem(f"is not a readable Parquet store ({exc})",
                                     source=source.files[0])) from exc


def load_report_data(out_dir: Path, *, shown_as: Path | None = None) -> ReportData:
    """Read every saved result of the folder's run from ``out_dir`` (all optional).

    ``shown_as`` is the folder the page names when ``out_dir`` is where the
    results are staged before they move there.
    """
    from energysim.results import read_manifest

    out_dir = Path(out_dir)
    data = ReportData(out_dir=out_dir, shown_as=shown_as)
    if not out_dir.is_dir():
        return data
    data.manifest = read_manifest(out_dir)
    data.summary, data.flows = _run(out_dir, data)
    data.sized_summary, _ = _run(out_dir / "sized", data)
    data.sizing = _json(out_dir / "sizing.json", data)
    data.frontier = _csv(out_dir / "frontier.csv", data)
    data.weather_years = _csv(out_dir / "weather_years.csv", data)
    data.lifetime = _csv(out_dir / "lifetime.csv", data)
    data.study = _json(out_dir / "study.json", data)
    for folder in (out_dir, *sorted(p for p in out_dir.iterdir() if p.is_dir())):
        table = _csv(folder / "pathway.csv", data)
        if table is not None and "year" in table:
            key = "" if folder == out_dir else folder.name
            data.pathways[key] = table
            data.pathway_meta[key] = _json(folder / "pathway.json", data) or {}
    data.sweep_manifest = _json(out_dir / "manifest.json")  # a sweep store has no run.json
    if data.sweep_manifest is not None:
        sweep_summary = _json(out_dir / "summary.json")
        data.sweep_summary = sweep_summary if data.summary is None else None
        data.sweep = _sweep_digest(out_dir, data.sweep_manifest, data.sweep_summary)
    return data


def build_report(data: ReportData) -> str:
    """The report page (HTML text) for ``data``."""
    from energysim.report.figures import build_sections
    from energysim.report.page import render_page

    return render_page(data, build_sections(data))


def write_report(out_dir: Path, *, shown_as: Path | None = None) -> Path:
    """Write ``out_dir/report.html`` from the saved results in ``out_dir``, atomically.

    ``shown_as``: the folder the page names (see :func:`load_report_data`).

    Raises
    ------
    InputDataError
        When ``out_dir`` holds no result the report can show (nothing is written).
    """
    return write_report_data(out_dir, shown_as=shown_as)[0]


def write_report_data(out_dir: Path, *, shown_as: Path | None = None) -> tuple[Path, ReportData]:
    """:func:`write_report`, also returning what was read (e.g. the files left out)."""
    from energysim.results import atomic_write

    out_dir = Path(out_dir)
    data = load_report_data(out_dir, shown_as=shown_as)
    if data.empty:
        ignored = f"; ignored: {'; '.join(data.ignored)}" if data.ignored else ""
        raise InputDataError(problem(
            "holds no saved results (summary.json + flows.nc of a run or study, frontier.csv, "
            "pathway.csv, or a sweep's manifest.json + scenarios.parquet); run energysim "
            f"run|size|study|pathway|sweep --out DIR first{ignored}", source=out_dir))
    text = build_report(data)
    path = atomic_write(out_dir / REPORT_NAME, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path, data
