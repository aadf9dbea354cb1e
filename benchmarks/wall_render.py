"""First full render of the wall overview in Chromium, next to a bare Dash page.

"Full render": the active screen's tiles show numbers, every Plotly figure has drawn
its traces and the map has drawn its shapes — timed from navigation start. The bare
page is the physical limit for this browser: a plain Dash app (same Dash, Plotly and
dash-leaflet, the same assets) whose layout holds the same figures (copied from the
rendered wall), the same map and the same tile texts as constants — no callbacks, no
store. Target: wall ≤ 1.0 s median, wall / bare ≤ 1.3.

    python3 benchmarks/wall_render.py --url http://127.0.0.1:8050 [--runs 7]

``measure(browser, wall_url, settings)`` is what ``benchmarks/run.py`` calls.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadkit  # noqa: E402

#: the active screen's parts (a wall screen is a left and a right column; the bare page is all)
ACTIVE = "(document.querySelectorAll('.cb-wall-screen.cb-active').length ? [...document.querySelectorAll('.cb-wall-screen.cb-active')] : [document])"

#: true once the active screen is filled (a number, or the "—" a tile shows when its source has
#: nothing yet today: the hotline at 00:05), every one of its graphs (``.dash-graph``, there from
#: the first paint, before plotly.js loads) has drawn its traces, and the map is painted
DRAWN = """() => {
  const active = %s;
  const all = sel => active.flatMap(a => [...a.querySelectorAll(sel)]);
  const vals = all('.cb-tile-value, .cb-vital-value, .bare-value');
  if (!vals.length || !vals.every(v => /\\d|—/.test(v.textContent))) return false;
  const figs = all('.dash-graph');
  if (!figs.every(g => { const f = g.querySelector('.js-plotly-plot');
      return f && f.querySelector('.main-svg') && (f.data || []).length && f.querySelector('.trace, .plot path'); })) return false;
  return document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-pane path').length > 0;
}""" % ACTIVE

COPY_FIGURES = """() => {
  const active = %s;
  const all = sel => active.flatMap(a => [...a.querySelectorAll(sel)]);
  return {
    figures: all('.js-plotly-plot').map(f => ({data: f.data, layout: f.layout,
        width: f.clientWidth, height: f.clientHeight})),
    values: all('.cb-tile-value, .cb-vital-value').map(v => v.textContent),
  };
}""" % ACTIVE

BARE_APP = r'''
import json, sys
sys.path.insert(0, {root!r})
import dash
from dash import dcc, html
from citybrain.settings import load_settings
from components.citymap import city_map
spec = json.load(open({spec!r}))
settings = load_settings({config!r}, env={{}}, data_dir={tmp!r})
app = dash.Dash(__name__, assets_folder={assets!r})
figs = [dcc.Graph(figure={{"data": f["data"], "layout": f["layout"]}}, config={{"displayModeBar": False, "staticPlot": True}},
                  style={{"width": f"{{f['width']}}px", "height": f"{{f['height']}}px", "display": "inline-block"}})
        for f in spec["figures"]]
vals = [html.Div(v, className="bare-value", style={{"display": "inline-block", "fontSize": "32px", "margin": "8px"}})
        for v in spec["values"]]
app.layout = html.Div([html.Div(city_map("bare-map", settings), style={{"width": "960px", "height": "700px"}}),
                       html.Div(vals), html.Div(figs)])
app.run(host="127.0.0.1", port={port}, debug=False)
'''


def first_render(browser: Any, url: str, runs: int) -> list[float]:
    """Seconds from navigation start to :data:`DRAWN`, in a fresh context each run."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        try:
            page.goto(url, wait_until="commit")
            page.wait_for_function(DRAWN, timeout=60000, polling=20)
            times.append(page.evaluate("() => performance.now()") / 1000)
        finally:
            context.close()
    return times


def copy_figures(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function(DRAWN, timeout=60000)
        page.wait_for_timeout(500)
        return page.evaluate(COPY_FIGURES)
    finally:
        context.close()


def measure(browser: Any, wall_url: str, config: Path, runs: int = 7) -> dict[str, Any]:
    """The wall's first full render and the bare page's, medians and ratio."""
    import requests

    wall_url = wall_url.rstrip("/") + "/wall/overview"
    first_render(browser, wall_url, 1)  # warm the server's cache and Chromium's disk cache alike
    wall = first_render(browser, wall_url, runs)
    spec = copy_figures(browser, wall_url)
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        port = loadkit.free_port()
        script = BARE_APP.format(root=str(loadkit.ROOT), spec=str(spec_path), config=str(Path(config).resolve()), tmp=tmp,
                                 assets=str(loadkit.ROOT / "assets"), port=port)
        log = open(Path(tmp) / "bare.log", "wb")
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        try:
            bare_url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the bare Dash page did not start:\n"
                                       + (Path(tmp) / "bare.log").read_text(errors="replace")[-3000:])
                try:
                    if requests.get(bare_url, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.3)
            first_render(browser, bare_url, 1)
            bare = first_render(browser, bare_url, runs)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
    out = {"wall_s": wall, "bare_s": bare, "wall_median_s": statistics.median(wall),
           "bare_median_s": statistics.median(bare), "figures": len(spec["figures"]), "values": len(spec["values"])}
    out["ratio"] = out["wall_median_s"] / out["bare_median_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="a running citybrain (e.g. gunicorn app:server)")
    ap.add_argument("--config", type=Path, required=True, help="the city TOML that server runs")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=loadkit.CHROMIUM, args=loadkit.CHROMIUM_ARGS)
        out = measure(browser, args.url, args.config, args.runs)
        browser.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
