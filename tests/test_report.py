"""The HTML report from real saved results: contents, self-containment, escaping, CLI.

Results come from ``energysim`` itself (the two-week park of the CLI tests, run
and studied with a small frontier), never from hand-written files, so the
report is tested against what the other commands really write.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import small_park  # noqa: E402

from energysim.cli import main  # noqa: E402
from energysim.report import REPORT_NAME, load_report_data, write_report  # noqa: E402
from energysim.report.figures import build_sections, day_hour_grid, tornado, typical_weeks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_ORDOS = REPO.parent / "shared" / "data" / "ordos"

#: Chart ids every run report has (battery present), and what a study adds.
RUN_CHARTS = ("chart-shares", "chart-dispatch", "chart-heat-coverage", "chart-heat-soc",
              "chart-heat-imports", "chart-monthly", "chart-duration", "chart-soc-histogram",
              "chart-cycles")
STUDY_CHARTS = ("chart-frontier",)
NASTY = 'Park <script>alert("x")</script> & co'


def make_run(tmp: Path, name: str = NASTY) -> Path:
    """``energysim run`` on the two-week park (site name with markup); the report path."""
    cfg = small_park(tmp)
    cfg.write_text(cfg.read_text().replace('name = "Two-week <test> park"',
                                           f"name = {json.dumps(name)}"))
    out = tmp / "run"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    return out / REPORT_NAME


def make_study(tmp: Path) -> Path:
    """``energysim study`` (configured run, least-cost mix, 3-point frontier); the report path."""
    cfg = small_park(tmp)
    out = tmp / "study"
    assert main(["study", str(cfg), "--shares", "0.4,0.5,0.6", "--out", str(out)]) == 0
    return out / REPORT_NAME


@pytest.fixture(scope="module")
def run_report(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("report-run"))


@pytest.fixture(scope="module")
def study_report(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("report-study"))


def figures(html: str) -> dict[str, dict]:
    """The plotly figures embedded in a report, by chart id."""
    blocks = re.findall(r'<script type="application/json" class="figure-data" '
                        r'data-target="([^"]+)-plot">(.*?)</script>', html, flags=re.S)
    return {target: json.loads(text) for target, text in blocks}


def axis_titles(fig: dict) -> list[str]:
    layout = fig["layout"]
    return [layout[k]["title"]["text"] for k in sorted(layout)
            if re.fullmatch(r"[xy]axis\d*", k) and layout[k].get("title", {}).get("text")]


def decode(values) -> np.ndarray:
    """A figure array: plotly's base64 typed array or a plain list."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def ordos_results(tmp: Path) -> Path:
    """A full year of the Ordos park (configs/ordos.toml) run and saved; the folder.

    Uses the shipped weather when present, else the real Dongsheng CSWD year
    from ../shared/data/ordos (skips when neither is here).
    """
    import energysim

    cfg = REPO / "configs" / "ordos.toml"
    shipped = REPO / "weather" / "ordos" / "typical_year.csv"
    park = energysim.load_park(cfg) if shipped.is_file() else None
    if park is None:
        epw = SHARED_ORDOS / "CHN_Nei.Mongol.Dongsheng.535430_CSWD.epw"
        if not epw.is_file():
            pytest.skip(f"no Ordos weather: neither weather/ordos/ nor {epw}")
        text = cfg.read_text(encoding="utf-8")
        text = re.sub(r'(?m)^path = .*$', f"path = {json.dumps(str(epw))}", text, count=1)
        text = re.sub(r'(?m)^format = "energysim"', 'format = "epw"', text, count=1)
        (tmp / "ordos.toml").write_text(text, encoding="utf-8")
        park = energysim.load_park(tmp / "ordos.toml")
    out = tmp / "ordos"
    energysim.simulate(park).save(out)
    return out


def test_report_written_self_contained_with_every_chart(run_report):
    html = run_report.read_text(encoding="utf-8")
    # offline: plotly.js inlined exactly once, no script or stylesheet fetched from anywhere
    assert len(re.findall(r"<script[^>]*\bsrc=", html)) == 0
    assert len(re.findall(r"<link[^>]*\bhref=\"?https?:", html)) == 0
    from plotly.offline import get_plotlyjs

    assert html.count(get_plotlyjs()) == 1
    figs = figures(html)
    assert tuple(figs) == RUN_CHARTS
    for chart_id, fig in figs.items():
        m = re.search(rf'<figure class="chart" id="{chart_id}" aria-label="([^"]+)">'
                      rf'.*?<figcaption>([^<]+)</figcaption>', html, flags=re.S)
        assert m, chart_id
        assert fig["layout"]["title"]["text"] == m.group(1)
        assert len(m.group(2)) > 40, chart_id  # a sentence saying what to read
        titles = axis_titles(fig)
        # at least one axis carries a unit in brackets (bar charts of categories have one)
        assert any(re.search(r"\[[^\]]+\]", t) for t in titles), (chart_id, titles)
        assert fig["data"], chart_id
    for section in ("headline", "dispatch", "heatmaps", "balance"):
        assert f'<section id="{section}">' in html
    assert "frontier" not in figs and '<section id="frontier">' not in html


def test_headline_lists_kpis_indicators_and_assumptions(run_report):
    html = run_report.read_text(encoding="utf-8")
    summary = json.loads((run_report.parent / "summary.json").read_text())
    assert f"{100 * summary['onsite_share']:.1f} %" in html
    assert f"target {100 * summary['targets']['onsite_share']:.0f} %" in html
    assert f"{100 * summary['clean_share']:.1f} %" in html
    assert f"{summary['lcoe_per_mwh']:,.0f} CNY/MWh" in html
    for row in summary["indicators"]:
        assert row["key"] in html or row["indicator"] in html
    assert "weather source" in html and summary["provenance"]["weather_source"] in html
    for field, _, _ in summary["assumptions"]:
        assert field in html


def test_user_text_is_escaped(run_report):
    html = run_report.read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    # the only script tags are the plotly bundle, the figure data and the renderer
    n_charts = len(figures(html))
    assert len(re.findall(r"<script\b", html)) == 2 + n_charts


def test_hourly_data_in_the_figures_is_the_saved_flows(run_report):
    """The dispatch traces and heat maps carry the saved flows (float32), not a copy of a copy."""
    html = run_report.read_text(encoding="utf-8")
    flows = xr.load_dataset(run_report.parent / "flows.nc", engine="h5netcdf")
    figs = figures(html)
    values = decode
    traces = {t["name"]: t for t in figs["chart-dispatch"]["data"]}
    np.testing.assert_allclose(values(traces["load"]["y"]), flows["load"].values, rtol=1e-6)
    np.testing.assert_allclose(values(traces["wind"]["y"]), flows["wind"].values, rtol=1e-6,
                               atol=1e-5)
    np.testing.assert_allclose(-values(traces["battery charge"]["y"]), flows["charge"].values,
                               rtol=1e-6, atol=1e-5)
    assert traces["load"]["dx"] == 3_600_000  # regular hours: no time stamps sent
    # the season menu: whole horizon, then the (only) winter week of this fortnight
    buttons = figs["chart-dispatch"]["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"].split(" typical")[0] for b in buttons] == ["whole horizon", "Dec-Feb"]
    start, end = pd.to_datetime(buttons[1]["args"][0]["xaxis.range"])
    times = pd.DatetimeIndex(flows["time"].values)
    assert end - start == pd.Timedelta(days=7) and times[0] <= start and end <= times[-1] + \
        pd.Timedelta(hours=1)
    # monthly balance: supply minus sinks equals load, month by month (energy balance)
    bars = figs["chart-monthly"]["data"]
    total = sum(values(t["y"]) for t in bars if t["type"] == "bar")
    load = next(values(t["y"]) for t in bars if t["name"] == "load")
    np.testing.assert_allclose(total, load, rtol=1e-5)


def test_day_hour_grid_places_every_hour():
    times = pd.date_range("2021-01-01", periods=24 * 3 + 5, freq="h")
    values = np.arange(len(times), dtype=float)
    days, grid = day_hour_grid(times, values)
    assert days == ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"]
    assert grid.shape == (24, 4)
    assert grid[0, 0] == 0 and grid[23, 0] == 23 and grid[5, 1] == 29 and grid[4, 3] == 76
    assert np.isnan(grid[5, 3])  # hours past the end are empty, not zero


def test_typical_week_is_closest_to_the_season_share():
    times = pd.date_range("2021-01-01", "2021-12-31 23:00", freq="h")
    day = (times.dayofyear - 1).to_numpy()
    load = np.ones(len(times))
    # on-site share rising through the year: each season's typical week sits mid-season
    served = np.clip(day / 365, 0, 1)
    weeks = typical_weeks(times, served, load)
    assert set(weeks) == {"Dec-Feb", "Mar-May", "Jun-Aug", "Sep-Nov"}
    for name, start in weeks.items():
        days = pd.date_range(start, periods=7, freq="D")
        assert set(days.month) <= set({"Dec-Feb": (12, 1, 2), "Mar-May": (3, 4, 5),
                                        "Jun-Aug": (6, 7, 8), "Sep-Nov": (9, 10, 11)}[name])
    assert pd.Timestamp("2021-04-10") <= weeks["Mar-May"] <= pd.Timestamp("2021-04-20")
    assert pd.Timestamp("2021-10-10") <= weeks["Sep-Nov"] <= pd.Timestamp("2021-10-20")
    # a fortnight in January: a week of winter only; under a week: nothing offered
    assert list(typical_weeks(times[:24 * 14], served[:24 * 14], load[:24 * 14])) == ["Dec-Feb"]
    assert typical_weeks(times[:24 * 6], served[:24 * 6], load[:24 * 6]) == {}


def test_tornado_ranks_the_parameter_that_matters():
    rng = np.random.default_rng(3)
    n = 400
    table = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n),
                          "c": np.full(n, 2.0)})
    table["kpi"] = 0.5 * table["a"] + 0.05 * table["b"] + 0.01 * rng.standard_normal(n)
    t = tornado(table, ["a", "b", "c"], "kpi")
    assert list(t["parameter"]) == ["b", "a"]  # constant c left out; a has the longest bar
    # uniform a: mean over the top 20 % minus the overall mean ~ 0.5 * (0.9 - 0.5) = 0.2
    assert t.iloc[-1]["high"] == pytest.approx(0.2, abs=0.03)
    assert t.iloc[-1]["low"] == pytest.approx(-0.2, abs=0.03)


def test_study_adds_the_frontier(study_report):
    html = study_report.read_text(encoding="utf-8")
    figs = figures(html)
    assert set(RUN_CHARTS) | set(STUDY_CHARTS) <= set(figs)
    frontier = pd.read_csv(study_report.parent / "frontier.csv")
    fig = figs["chart-frontier"]
    line = fig["data"][0]
    np.testing.assert_allclose(decode(line["y"]), frontier.sort_values("share")["lcoe_per_mwh"])
    np.testing.assert_allclose(decode(line["x"]), 100 * frontier.sort_values("share")["share"])
    shapes = fig["layout"].get("shapes", [])
    target = json.loads((study_report.parent / "sizing.json").read_text())["target_onsite_share"]
    assert any(s.get("x0") == pytest.approx(100 * target) for s in shapes)  # target marked
    assert "least-cost mix" in html and '<section id="frontier">' in html


def test_cli_report_rebuilds_the_same_file(run_report, tmp_path):
    copy = tmp_path / run_report.parent.name  # the folder name is in the subtitle
    shutil.copytree(run_report.parent, copy)
    (copy / REPORT_NAME).unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / REPORT_NAME).read_bytes() == run_report.read_bytes()


def test_cli_report_on_a_folder_without_results_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "holds no saved results" in capsys.readouterr().err
    assert list(empty.iterdir()) == []
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert not (tmp_path / "missing").exists()


def test_pathway_and_sweep_sections(tmp_path, run_report):
    """Pathway and sweep files (columns as their writers produce them) add their sections."""
    out = tmp_path / "mixed"
    shutil.copytree(run_report.parent, out)
    # files assembled by hand: without the run manifest (run.json) the folder is read whole
    (out / "run.json").unlink()
    years = [2025, 2030, 2035]
    pd.DataFrame({
        "year": years, "pv_total_mw": [60, 90, 120], "wind_total_mw": [40, 60, 80],
        "battery_total_mwh": [100, 150, 200], "onsite_share": [0.5, 0.65, 0.82],
        "onsite_share_target": [0.5, 0.7, 0.8], "clean_share": [1, 1, 1],
        "clean_share_target": [1, 1, 1], "co2_t": [1e4, 5e3, 0],
        "annualized_cost_per_yr": [1.2e8, 1.1e8, 1.0e8],
    }).to_csv(out / "pathway.csv", index=False)
    (out / "pathway.json").write_text(json.dumps({"pathway": "<b>fast</b> track",
                                                  "currency": "CNY"}))
    rng = np.random.default_rng(0)
    n = 60
    capex = rng.uniform(2000, 4000, n)
    pd.DataFrame({"scenario_id": np.arange(n), "pv.capex_per_kw": capex,
                  "battery.energy_mwh": rng.choice([50, 100, 200], n),
                  "onsite_share": rng.uniform(0.4, 0.6, n), "clean_share": np.ones(n),
                  "lcoe_per_mwh": 200 + capex / 40, "co2_t": rng.uniform(0, 10, n)},
                 ).to_parquet(out / "scenarios.parquet")
    (out / "manifest.json").write_text(json.dumps({
        "mode": "simulate", "parameters": {"pv.capex_per_kw": "kpi",
                                           "battery.energy_mwh": "capacity"}}))
    write_report(out)
    html = (out / REPORT_NAME).read_text(encoding="utf-8")
    figs = figures(html)
    for chart_id in ("chart-pathway-capacity", "chart-pathway-shares", "chart-pathway-cost",
                     "chart-sweep-histograms", "chart-sweep-tornado"):
        assert chart_id in figs, chart_id
        assert axis_titles(figs[chart_id]), chart_id
    tornado_fig = figs["chart-sweep-tornado"]
    assert tornado_fig["data"][0]["y"][-1] in ("pv.capex_per_kw", "battery.energy_mwh")
    data = load_report_data(out)
    assert data.sweep is not None and len(data.sweep) == n
    assert [s.id for s in build_sections(data)] == [
        "headline", "dispatch", "heatmaps", "balance", "pathway", "sweep"]


def test_ordos_full_year_report_is_light(tmp_path_factory):
    """A full year (8760 h) of the Ordos park: the report stays a few MB."""
    out = ordos_results(tmp_path_factory.mktemp("ordos"))
    path = write_report(out)
    size_mb = path.stat().st_size / 1e6
    from plotly.offline import get_plotlyjs

    data_mb = size_mb - len(get_plotlyjs()) / 1e6
    assert size_mb < 8 and data_mb < 2.5, (size_mb, data_mb)
    figs = figures(path.read_text(encoding="utf-8"))
    heat = figs["chart-heat-coverage"]["data"][0]
    assert len(heat["x"]) == 365


class _Tags(HTMLParser):
    """Start tags and the text of <h1> of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag):
        self._in_h1 = False if tag == "h1" else self._in_h1

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


PAGE_TAGS = {"html", "head", "meta", "title", "style", "script", "body", "header", "h1", "p",
             "nav", "a", "main", "section", "h2", "h3", "div", "table", "thead", "tbody", "tr",
             "th", "td", "figure", "figcaption"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40), basis=st.text(max_size=40))
def test_any_user_text_stays_text(run_report, name, basis):
    """Whatever the site name and assumption text, the page's tags are the page's own and the
    title reads back exactly (html.parser as an independent reader).
    """
    from energysim.report.figures import headline_section
    from energysim.report.page import render_page

    data = load_report_data(run_report.parent)
    data.summary = dict(data.summary, site=name,
                        assumptions=[["pv.capex_per_kw", basis, basis]])
    page = render_page(data, [headline_section(data)])
    body = page[page.index("</head>"):]
    parser = _Tags()
    parser.feed(body)
    assert set(parser.tags) <= PAGE_TAGS
    assert parser.h1 == name


def test_run_without_battery_has_no_soc_charts(tmp_path):
    cfg = small_park(tmp_path)
    cfg.write_text(cfg.read_text().replace("energy_mwh = 100", "energy_mwh = 0")
                   .replace("power_mw = 25", "power_mw = 0"))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out")]) == 0
    figs = figures((tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8"))
    assert set(figs) == set(RUN_CHARTS) - {"chart-heat-soc", "chart-soc-histogram",
                                           "chart-cycles"}


def test_frontier_only_folder(study_report, tmp_path):
    """`energysim frontier` writes only frontier.csv: the report shows the frontier alone."""
    shutil.copy(study_report.parent / "frontier.csv", tmp_path / "frontier.csv")
    assert main(["report", str(tmp_path)]) == 0
    assert list(figures((tmp_path / REPORT_NAME).read_text(encoding="utf-8"))) == [
        "chart-frontier"]
