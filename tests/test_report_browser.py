"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

Needs a system Chromium (Debian: ``apt-get install chromium``) and the
``websocket-client`` package (test extra); skips with the reason when either is
missing — the test suite never installs a browser. Nothing is downloaded: the
page must draw offline, and any request that is not ``file:`` or ``data:``
fails the test. The screenshot lands in ``tests/artifacts/report.png``.

Two reports from real results: a full year of the Ordos park (configs/ordos.toml;
shipped weather, else the real Dongsheng year of ../shared — skipped when neither
is here) and a study of the two-week park of the CLI tests (adds the frontier).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

websocket = pytest.importorskip("websocket", reason="websocket-client is not installed "
                                "(pip install -e .[test])")

ARTIFACTS = Path(__file__).parent / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """Path of a Chromium-family browser on PATH (or $ENERGYSIM_CHROMIUM), else None."""
    env = os.environ.get("ENERGYSIM_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """A headless Chromium with one page, driven over the Chrome DevTools Protocol."""

    def __init__(self, executable: str, width: int = 1280, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="energysim-chromium-")
        self.proc = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--mute-audio",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        try:
            browser_ws = self._devtools_url(timeout_s=30)
            port = re.search(r":(\d+)/", browser_ws).group(1)
            self.ws = websocket.create_connection(browser_ws, timeout=30)
            page = self._page_target(port)
            self.session = self.call("Target.attachToTarget", session=False, targetId=page,
                                     flatten=True)["sessionId"]
        except Exception:
            self.close()
            raise

    def _devtools_url(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            lines.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return match.group(1)
        raise RuntimeError("Chromium did not start: " + "".join(lines[-20:]))

    def _page_target(self, port: str) -> str:
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        pages = [t["targetId"] for t in targets if t["type"] == "page"]
        if pages:
            return pages[0]
        return self.call("Target.createTarget", session=False, url="about:blank")["targetId"]

    def call(self, method: str, session: bool = True, **params) -> dict:
        """Send one command and wait for its answer; events on the way are kept."""
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"{expression} still false after {timeout_s} s")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                   for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description")
                                                or d.get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path: Path) -> Path:
        """Full-page PNG."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        png = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 16000), "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(png["data"]))
        return path

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)


def open_report(browser: Chromium, report: Path, timeout_s: float = 90) -> int:
    """Load ``report`` and wait until every chart is drawn; the number of charts drawn."""
    url = report.resolve().as_uri()
    browser.call("Page.navigate", url=url)
    browser.wait_for(f"document.readyState === 'complete' && location.href === {json.dumps(url)}",
                     timeout_s)
    return int(browser.wait_for("document.body.getAttribute('data-charts-rendered')",
                                timeout_s))


# ---------------------------------------------------------------- the test
CHART_STATE = """
Array.from(document.querySelectorAll('figure.chart')).map(function (f) {
  var plot = f.querySelector('.plot');
  var svgs = plot.querySelectorAll('svg.main-svg');
  var marks = plot.querySelectorAll(
    '.trace path, .trace rect, .point path, .heatmaplayer image, .hm image, image, .bars path');
  var canvas = Array.from(plot.querySelectorAll('canvas')).some(function (c) {
    return c.width > 0 && c.height > 0; });
  var box = plot.getBoundingClientRect();
  return {id: f.id, svgs: svgs.length, draw_ms: Number(plot.getAttribute('data-draw-ms')),
          marks: marks.length, canvas: canvas,
          width: box.width, height: box.height,
          title: (plot.querySelector('.gtitle') || {}).textContent || '',
          xtitle: (plot.querySelector('.xtitle') || {}).textContent || '',
          ytitle: (plot.querySelector('.ytitle') || {}).textContent || '',
          caption: (f.querySelector('figcaption') || {}).textContent || ''};
})
"""


@pytest.fixture(scope="module")
def browser():
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium-family browser on PATH (Debian: apt-get install chromium; "
                    "or set ENERGYSIM_CHROMIUM): the browser test of the report is skipped")
    chromium = Chromium(path)
    for domain in ("Runtime", "Log", "Page", "Network"):
        chromium.call(f"{domain}.enable")
    yield chromium
    chromium.close()


def _ordos(tmp: Path) -> Path:
    from test_report import ordos_results

    from energysim.report import write_report

    return write_report(ordos_results(tmp))


def _study(tmp: Path) -> Path:
    from test_report import make_study

    return make_study(tmp)


@pytest.mark.parametrize(("name", "make"), [("report", _ordos), ("report_study", _study)],
                         ids=["ordos-full-year", "study-frontier"])
def test_report_draws_every_chart_without_errors(browser, name, make, tmp_path):
    """Every chart drawn (non-empty SVG or canvas, titled, captioned), no console error,
    no request off the machine; full-page screenshot in tests/artifacts/NAME.png.
    """
    from energysim.report import load_report_data
    from energysim.report.figures import build_sections

    report = make(tmp_path)
    expected = [c.id for s in build_sections(load_report_data(report.parent)) for c in s.charts]
    browser.events.clear()
    started = time.monotonic()
    drawn = open_report(browser, report)
    elapsed = time.monotonic() - started
    state = browser.evaluate(CHART_STATE)
    shot = browser.screenshot(ARTIFACTS / f"{name}.png")
    errors = browser.errors()
    requests = browser.requests()
    print(f"{name}: {report.stat().st_size / 1e6:.2f} MB, {drawn} charts drawn in "
          f"{elapsed:.1f} s (load + draw, headless); per chart [ms]: "
          + ", ".join(f"{s['id'][6:]} {s['draw_ms']:.0f}" for s in state))
    assert errors == []
    assert drawn == len(expected) == len(state)
    assert [s["id"] for s in state] == expected
    for s in state:
        assert s["svgs"] > 0 or s["canvas"], s
        assert s["marks"] > 0 or s["canvas"], s  # something was drawn inside the axes
        assert s["width"] > 200 and s["height"] > 100, s
        assert s["title"] and s["caption"] and (s["xtitle"] or s["ytitle"]), s
    # every request stayed on the machine (no CDN, no fonts, no tiles)
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
