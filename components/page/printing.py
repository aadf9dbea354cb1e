"""What a themed page's view prints and shows beyond its charts: which charts a view has,
and the map as a printable figure.

One district's view has no district comparison: a chart of the districts would be one
full-width bar. That chart is left out — on screen its neighbour takes its place in the
row (:func:`chart_spans`), in the export the remaining charts pair up — and the view's
own breakdown (its stations, segments, sites) and its trend carry the page.
"""

from __future__ import annotations

from typing import Any

from citybrain.i18n import t
from citybrain.settings import Settings
from components.page.view import View

#: the charts that compare districts: nothing to compare in one district's view
DISTRICT_CHARTS = ("districts",)


def shown_charts(spec: Any, view: View) -> tuple[str, ...]:
    """Keys of ``spec``'s charts that ``view`` shows."""
    return tuple(c.key for c in spec.charts if not (view.district and c.key in DISTRICT_CHARTS))


def chart_spans(spec: Any, view: View) -> dict[str, int]:
    """Each chart's width (of 12) in ``view``; 0 = not shown. A chart left out hands its
    width to the chart before it, so the row stays full."""
    shown = set(shown_charts(spec, view))
    spans = {c.key: c.span for c in spec.charts}
    keys = [c.key for c in spec.charts]
    for i, key in enumerate(keys):
        if key in shown:
            continue
        before = next((k for k in reversed(keys[:i]) if k in shown), None)
        if before is not None:
            spans[before] = min(12, spans[before] + spans[key])
        spans[key] = 0
    return spans


def map_block(domain: str, spec: Any, map_values: dict[str, Any], settings: Settings, view: View, lang: str) -> Any:
    """The page's map as a briefing figure (the printed view shows what the screen shows),
    or None for a page without one."""
    from briefings.document import Figure
    from briefings.sections import figure_dict
    from components.citymap import legend_for
    from figures.page_map import map_figure

    if not spec.map_layers:
        return None
    fig = map_figure(settings, spec.map_layers, map_values, lang, district=view.district,
                     legend=legend_for(spec.map_layers), height=420)
    return Figure(f"{domain}-map", t("page.map", lang), figure_dict(fig), wide=True, height=420)
