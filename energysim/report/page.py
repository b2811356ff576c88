"""The report page: sections laid out as one self-contained HTML file.

plotly.js is inlined once (from the installed plotly package: the page works
offline, no CDN). Each chart's figure is stored as JSON in a
``<script type="application/json">`` block and drawn one after another once the
page has loaded, so the first screen shows at once even for a full year. When
every chart has been drawn, ``<body data-charts-rendered="N">`` says so (the
browser test waits for it). The page holds no clock time: rebuilding it from
the same results gives the same bytes.
"""

from __future__ import annotations

import json
from string import Template

import plotly.io as pio
from plotly.offline import get_plotlyjs

from energysim.report.figures import Chart, Section, esc

__all__ = ["render_page", "chart_json", "PLOTLY_CONFIG"]

#: plotly.js options of every chart (no logo, no links out of the page).
PLOTLY_CONFIG = {"responsive": True, "displaylogo": False, "showLink": False,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="energysim $version">
<title>$title — energysim report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
  background:#fafafa}
header{background:#1f3a2d;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:1.4em} header p{margin:4px 0 0;opacity:.85;font-size:.9em}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 24px;z-index:10}
nav a{margin-right:16px;color:#1f3a2d;text-decoration:none;font-size:.92em}
main{max-width:1200px;margin:0 auto;padding:8px 24px 40px}
section{margin-top:22px} h2{border-bottom:2px solid #1f3a2d;padding-bottom:4px}
figure.chart{margin:14px 0;background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:6px}
.plot{width:100%;min-height:260px}
figcaption{font-size:.9em;color:#444;padding:2px 8px 6px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
table.assumptions td:last-child,table.indicators td:last-child{min-width:18em}
th{background:#f0f0f0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;
  padding:8px 12px;min-width:170px}
.card.pass{border-left-color:#2e7d32} .card.fail{border-left-color:#c62828}
.card-name{font-size:.8em;color:#555;text-transform:uppercase}
.card-value{font-size:1.5em;font-weight:600} .card-note{font-size:.85em;color:#555}
.provenance,.intro{font-size:.85em;color:#555}
.warnings{background:#fff3e0;border:1px solid #e65100;border-left:6px solid #e65100;
  border-radius:4px;padding:4px 12px;margin-top:14px}
.warnings p{margin:6px 0}
</style>
<script>$plotlyjs</script>
</head>
<body>
<header><h1>$title</h1><p>$subtitle</p></header>
<nav>$nav</nav>
<main>
$warnings$sections
</main>
$data
<script>
(function () {
  var config = $config;
  var blocks = document.querySelectorAll("script.figure-data");
  var i = 0, drawn = 0;
  function next() {
    if (i >= blocks.length) {
      document.body.setAttribute("data-charts-rendered", String(drawn));
      return;
    }
    var block = blocks[i++];
    var div = document.getElementById(block.getAttribute("data-target"));
    var t0 = performance.now();
    var fig = JSON.parse(block.textContent);
    Plotly.newPlot(div, fig.data, fig.layout, config).then(function () {
      div.setAttribute("data-draw-ms", String(Math.round(performance.now() - t0)));
      div.classList.add("rendered"); drawn++; setTimeout(next, 0);
    }, function (err) { console.error(err); setTimeout(next, 0); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", next);
  } else { next(); }
})();
</script>
</body>
</html>
""")


def chart_json(chart: Chart) -> str:
    """The chart's figure as JSON (title from the chart; ``<``, ``>`` escaped by plotly)."""
    fig = chart.figure
    fig.update_layout(title_text=esc(chart.title), title_x=0.01)
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return text.replace("</", "<\\/")  # belt and braces: never close the script block


def _chart_html(chart: Chart) -> str:
    return (f'<figure class="chart" id="{esc(chart.id)}" aria-label="{esc(chart.title)}">'
            f'<div class="plot" id="{esc(chart.id)}-plot"></div>'
            f'<figcaption>{esc(chart.caption)}</figcaption></figure>')


def _section_html(section: Section) -> str:
    intro = f'<p class="intro">{esc(section.intro)}</p>' if section.intro else ""
    charts = "\n".join(_chart_html(c) for c in section.charts)
    return (f'<section id="{esc(section.id)}"><h2>{esc(section.title)}</h2>{intro}'
            f"{section.html}\n{charts}</section>")


def render_page(data, sections: list[Section]) -> str:
    """The whole HTML page for ``data`` (a :class:`energysim.report.ReportData`)."""
    prov = (data.summary or {}).get("provenance") or {}
    version = prov.get("energysim_version") or _version()
    kinds = [s.title for s in sections]
    subtitle = (f"results in {data.folder_name}/ — {', '.join(kinds)}"
                f" — energysim {version}")
    data_blocks = "\n".join(
        f'<script type="application/json" class="figure-data" data-target="{esc(c.id)}-plot">'
        f"{chart_json(c)}</script>" for s in sections for c in s.charts)
    return PAGE.substitute(
        version=esc(version),
        title=esc(data.title),
        subtitle=esc(subtitle),
        nav="".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections),
        warnings=_warnings_html(page_warnings(data)),
        sections="\n".join(_section_html(s) for s in sections),
        data=data_blocks,
        config=json.dumps(PLOTLY_CONFIG),
        plotlyjs=get_plotlyjs(),
    )


def page_warnings(data) -> list[str]:
    """What the reader must see first.

    Weather from another site (allowed by ``[weather] allow_site_mismatch``), daylight zeros in
    the weather, and result files left out as not of this run.
    """
    from energysim.weather.quality import loud_warnings

    prov = (data.summary or data.sized_summary or {}).get("provenance") or {}
    return loud_warnings(prov.get("weather_notes")) + [f"WARNING {r}" for r in data.ignored]


def _warnings_html(warnings: list[str]) -> str:
    if not warnings:
        return ""
    return '<div class="warnings">' + "".join(f"<p>{esc(w)}</p>" for w in warnings) + "</div>\n"


def _version() -> str:
    import energysim

    return str(getattr(energysim, "__version__", "unknown"))
