"""Forecast bands in Chromium (issue 22): the tourism site drill-down, the traffic page and
the hotline page draw the band after the last observation, with the accuracy label in
Chinese, Chinese dates on the axis and a clean console; where the last observation lies in
the past (traffic, stopped three hours ago here) the label says how old it is; on a phone
the label stays inside its chart. The warnings center shows the forecast warnings' hit rate.

One small store for the module: a 5-day demo city, traffic's last three hours removed,
two fired 预计 warnings (one confirmed), the forecasts of the three series refreshed; the
app serves it "open" (no users: everyone admin) from a subprocess.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browserkit import SCREENSHOTS, free_port, open_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc
SERVE = """
import sys
from werkzeug.serving import make_server
from app import create_app
from citybrain.settings import load_settings
s = load_settings(env={}, data_dir=sys.argv[1])
make_server("127.0.0.1", int(sys.argv[2]), create_app(s, open_demo=True).server, threaded=True).serve_forever()
"""
#: page → (path, the graph's container, indicator, scope kind, scope)
PAGES = {
    "tourism": ("/tourism?detail=TS01", "#tourism-detail-body", "tourism_present", "site", "TS01"),
    "traffic": ("/traffic", "#traffic-chart-trend", "tpi", "city", ""),
    "hotline": ("/hotline", "#hotline-chart-trend", "hotline_calls", "city", ""),
}
#: what a page's chart shows: the band (x of each forecast trace), the other traces' x,
#: the legend title (the accuracy label), the x tick labels, and where the title sits
READ = """(sel) => {
  const gd = document.querySelector(sel + ' .js-plotly-plot');
  if (!gd || !gd.data || !gd.querySelector('.xtick')) return null;
  const band = gd.data.filter(t => t.meta === 'forecast');
  if (!band.length) return null;
  const title = gd.querySelector('.legendtitletext');
  const box = r => r && {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  return {band: band.map(t => Array.from(t.x)), observed: gd.data.filter(t => t.meta !== 'forecast').map(t => Array.from(t.x || [])),
          title: title ? title.textContent : '', ticks: [...gd.querySelectorAll('.xtick text')].map(e => e.textContent),
          titleBox: box(title && title.getBoundingClientRect()), graphBox: box(gd.getBoundingClientRect())};
}"""



@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The store built, the forecasts refreshed, the app up; yields (url, expected points)."""
    import urllib.request

    from rich.console import Console
    from sqlalchemy import delete, insert

    from citybrain import demo
    from citybrain.settings import load_settings
    from forecast import run
    from forecast.read import forecast
    from store.engine import make_engine
    from store.schema import indicators, users, warnings

    data_dir = tmp_path_factory.mktemp("fc-browser")
    settings = load_settings(env={}, data_dir=data_dir)
    demo.prepare(settings, days=5, console=Console(quiet=True))
    engine = make_engine(settings.resolved_store_url)
    now = dt.datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with engine.begin() as conn:
        conn.execute(users.delete())  # open demo: everyone admin, no sign-in
        # traffic's source stopped: its last three hours never came
        conn.execute(delete(indicators).where(indicators.c.name == "tpi", indicators.c.time >= hour - dt.timedelta(hours=2)))
        base = {"rule": "scenic_crowding_forecast", "rule_kind": "forecast", "domain": "tourism", "scope_kind": "site",
                "scope": "TS01", "level": "blue", "state": "resolved", "handling": "unacknowledged",
                "title_zh": "预计景区客流将达80%", "title_en": "Expected: site at 80 %"}
        detail = {"indicator": "tourism_present", "grain": "hour", "threshold": 1e9, "within_seconds": 7200}
        conn.execute(insert(warnings), [
            base | {"started_at": now - dt.timedelta(hours=9), "fired_at": now - dt.timedelta(hours=9),
                    "detail": detail | {"outcome": "confirmed"}},
            base | {"started_at": now - dt.timedelta(hours=6), "fired_at": now - dt.timedelta(hours=6),
                    "detail": detail | {"outcome": "fell_back"}}])  # 1e9 visitors never came
    report = run.refresh(settings, engine, indicators=["tourism_present", "tpi", "hotline_calls"], force=True,
                         now=now)
    assert not report.errors, report.errors
    expected = {}
    for page, (_, _, indicator, kind, scope) in PAGES.items():
        f = forecast(settings, engine, indicator, scope_kind=kind, scope=scope)
        assert f is not None and not f.points.empty, page
        expected[page] = {"first": f.points["time"].iloc[0].tz_convert(settings.tz).strftime("%Y-%m-%d %H:%M"),
                          "last_obs": f.last_obs.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")}
    engine.dispose()
    port = free_port()
    log = (data_dir / "server.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(data_dir), str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except Exception:  # noqa: BLE001 — not up yet
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((data_dir / "server.log").read_text(errors="replace")[-2000:]) from None
            time.sleep(0.2)
    yield url, expected
    proc.terminate()
    proc.wait(10)
    log.close()


def _read(page, selector: str, timeout: float = 20.0) -> dict:
    """Poll the chart until its band is drawn (page.evaluate: the CSP refuses eval'd predicates)."""
    deadline = time.monotonic() + timeout
    while True:
        got = page.evaluate(READ, selector)
        if got:
            return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"no forecast band in {selector} after {timeout:.0f} s")
        page.wait_for_timeout(200)


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)], ids=["office-1440", "phone-390"])
def test_bands_after_the_last_observation_with_their_accuracy_in_chinese(served, browser, width, height) -> None:
    url, expected = served
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context, page, watch = open_page(browser, width, height)
    seen = {}
    try:
        for name, (path, selector, *_rest) in PAGES.items():
            page.goto(url + path, wait_until="commit")
            got = _read(page, selector)
            seen[name] = got
            exp = expected[name]
            point = got["band"][-1]  # the dashed point forecast (drawn last)
            assert point[0] == exp["first"] and point[0] > exp["last_obs"], (name, point[:2], exp)
            assert all(x > exp["last_obs"] for xs in got["band"] for x in xs), name  # 80/95 % bands too
            last_seen = max(x for xs in got["observed"] for x in xs)
            assert last_seen <= point[0], (name, last_seen, point[0])  # nothing observed after the band starts
            assert re.search(r"近\d+(天|周)(预测误差 MASE \d\.\d\d，优于基线 \d+%|无模型优于季节性朴素基线)",
                             got["title"]), (name, got["title"])
            assert any(re.fullmatch(r"\d+月\d+日.*", tick) for tick in got["ticks"]), (name, got["ticks"])
            assert not any(re.search(r"[A-Z][a-z]{2}", tick) for tick in got["ticks"]), (name, got["ticks"])
            t, g = got["titleBox"], got["graphBox"]  # the label inside its chart, whatever the width
            assert t["left"] >= g["left"] - 1 and t["right"] <= g["right"] + 1 and t["top"] >= g["top"] - 1, name
            page.screenshot(path=str(SCREENSHOTS / f"forecast-band-{name}-{width}x{height}.png"), full_page=True)
        # the source that stopped: the label says from when and how long ago
        assert re.search(r"预测自 \d\d-\d\d \d\d:\d\d 的最后观测起（\d+ 小时前）", seen["traffic"]["title"])
        assert "最后观测" not in seen["hotline"]["title"]  # a current series is not old
        if width == 1440:  # the warnings center: the forecast warnings' hit rate beside the counts
            page.goto(url + "/warnings", wait_until="commit")
            page.wait_for_selector(".cb-wc-hitrate", timeout=20000)
            assert page.inner_text(".cb-wc-hitrate") == "预计预警命中率 近30天 1/2（50%）"
    finally:
        context.close()
    assert watch.errors == [], f"console errors: {watch.errors[:3]}"
