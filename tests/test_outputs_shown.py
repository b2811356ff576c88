"""What the outputs show: no machine paths, sourced assumptions, a readable dispatch chart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_report import figures  # noqa: E402

from energysim.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ordos_run(tmp_path_factory) -> Path:
    """`energysim run configs/ordos.toml` (a full year), from the repo root as a user would."""
    out = tmp_path_factory.mktemp("ordos") / "run"
    assert main(["run", str(REPO / "configs" / "ordos.toml"), "--out", str(out)]) == 0
    return out


def test_no_absolute_machine_path_in_the_results(ordos_run):
    summary = json.loads((ordos_run / "summary.json").read_text())
    prov = summary["provenance"]
    assert prov["weather_source"].startswith("../weather/ordos/typical_year.csv (energysim weather")
    assert prov["config"] == "ordos.toml"
    for name in ("summary.json", "report.html", "run.json"):
        text = (ordos_run / name).read_text(encoding="utf-8")
        assert str(REPO) not in text, name
    html = (ordos_run / "report.html").read_text(encoding="utf-8")
    assert "../weather/ordos/typical_year.csv" in html


def test_assumptions_are_sourced_or_labelled(ordos_run):
    html = (ordos_run / "report.html").read_text(encoding="utf-8")
    assert "to confirm" not in html
    assert "SMM/Polaris" in html and "CREEI" in html and "assumption (no citable Mengxi" in html
    summary = json.loads((ordos_run / "summary.json").read_text())
    for key, _, basis in summary["assumptions"]:
        assert basis and "to confirm" not in basis, key


def test_year_long_dispatch_opens_on_a_typical_week(ordos_run):
    fig = figures((ordos_run / "report.html").read_text(encoding="utf-8"))["chart-dispatch"]
    start, end = (pd.Timestamp(t) for t in fig["layout"]["xaxis"]["range"])
    assert end - start == pd.Timedelta(days=7)
    menu = fig["layout"]["updatemenus"][0]
    opened = menu["buttons"][menu["active"]]
    assert "typical week" in opened["label"]
    assert opened["args"][0]["xaxis.range"] == fig["layout"]["xaxis"]["range"]
    assert menu["buttons"][0]["label"] == "whole horizon"


def test_short_horizon_opens_whole(tmp_path):
    from test_cli import small_park

    out = tmp_path / "out"
    assert main(["run", str(small_park(tmp_path)), "--out", str(out)]) == 0
    fig = figures((out / "report.html").read_text(encoding="utf-8"))["chart-dispatch"]
    assert "range" not in fig["layout"].get("xaxis", {})
    assert fig["layout"]["updatemenus"][0]["active"] == 0
