"""A chart card: a title, an optional hint, and a ``dcc.Graph`` the page's callback fills."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"], "locale": "zh-CN"}


def graph_config(lang: str) -> dict:
    """The graphs' config in ``lang``: plotly's zh-CN locale (assets/vendor/plotly-locale-zh-cn.js:
    month and day names, the mode bar's tooltips) for Chinese, plotly's own English otherwise."""
    return {**GRAPH_CONFIG, "locale": "en" if lang == "en" else "zh-CN"}


def chart_card(graph_id: str, title: str, *, hint: str = "", height: int = 300, span: int = 6,
               lang: str = "zh", col_id: str | None = None) -> dmc.GridCol:
    """A card in the charts grid (12 columns; ``span`` 6 = half the width on a desktop);
    ``col_id`` lets the page's callback change the width (or hide it) per view."""
    return dmc.GridCol(dmc.Paper([
        html.Div([dmc.Text(title, fw=600, className="cb-chart-title"),
                  dmc.Text(hint, size="xs", c="dimmed", className="cb-chart-hint") if hint else None],
                 className="cb-chart-head"),
        dcc.Graph(id=graph_id, config=graph_config(lang), style={"height": f"{height}px"}, className="cb-graph"),
    ], withBorder=True, p="sm", radius="md", className="cb-chart-card"), span={"base": 12, "lg": span},
        **({"id": col_id} if col_id else {}))
