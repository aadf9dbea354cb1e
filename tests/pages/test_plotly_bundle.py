"""The plotly.js the pages and the briefings draw with: the basic bundle in ``assets/vendor``.

Dash's graphs use ``window.Plotly`` when it is there and fetch the full 4.8 MB bundle
only otherwise; the basic one (scatter, bar, pie: 1.2 MB) parses in a quarter of the
time (issue 10: the wall's first render). These tests keep the two promises that makes:
the bundle is the plotly.js the installed plotly package draws with, and no figure
builder uses a trace type the bundle lacks.
"""

from __future__ import annotations

import ast
import re

from citybrain.settings import PROJECT_ROOT

BUNDLE = PROJECT_ROOT / "assets" / "vendor" / "plotly-basic.min.js"
#: the trace types plotly.js's basic bundle registers (its README: scatter, bar, pie)
BASIC_TRACES = {"Scatter", "Bar", "Pie"}


def test_the_bundle_is_the_installed_plotly_s_plotly_js():
    from plotly.offline import get_plotlyjs_version

    head = BUNDLE.read_text(encoding="utf-8")[:300]
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+)\.(\d+)\.(\d+)", head)
    assert found, "assets/vendor/plotly-basic.min.js is not plotly.js's basic bundle"
    bundled = get_plotlyjs_version().split(".")
    assert list(found.groups()[:2]) == bundled[:2], (
        f"plotly draws with plotly.js {get_plotlyjs_version()} but assets/vendor holds {'.'.join(found.groups())}: "
        f"replace it with `npm pack plotly.js-basic-dist-min@{get_plotlyjs_version()}` (package/plotly-basic.min.js)")
    assert "window.Plotly = Plotly" in BUNDLE.read_text(encoding="utf-8")[-200:]


def test_every_figure_uses_a_trace_type_of_the_basic_bundle():
    used: dict[str, str] = {}
    for path in PROJECT_ROOT.rglob("*.py"):
        rel = path.relative_to(PROJECT_ROOT)
        if rel.parts[0] in ("tests", "benchmarks", "build") or ".venv" in rel.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "go"
                    and node.attr[:1].isupper() and node.attr not in ("Figure", "FigureWidget", "Layout", "BaseTraceType")):
                used[node.attr] = str(rel)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("plotly.express"):
                used["plotly.express"] = str(rel)
    assert used, "no figure builder found: the scan is looking in the wrong place"
    assert set(used) <= BASIC_TRACES, {k: v for k, v in used.items() if k not in BASIC_TRACES}


def test_pages_and_briefings_load_the_bundle_not_the_full_one(pages_app):
    from briefings.printer import plotly_js

    html = pages_app.server.test_client().get("/traffic").get_data(as_text=True)
    assert "/assets/vendor/plotly-basic.min.js" in html
    assert "package_data/plotly.min.js" not in html  # nor preloaded: the graphs never ask for it
    assert plotly_js().startswith(BUNDLE.read_bytes())
    # … with the zh-CN locale the pages register beside it (issue 18: no "Dec 4" in Chinese)
    assert "/assets/vendor/plotly-locale-zh-cn.js" in html and b'name: "zh-CN"' in plotly_js()
