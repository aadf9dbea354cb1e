"""The city's vital-signs index: the number now, its change, sub-indices, 24 h trend, why it moved."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import dcc, html

from citybrain.i18n import catalogue, t
from components.center.fmt import local_time
from components.overview.figures import trend_figure, why_figure
from components.overview.vital_data import VitalSummary

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def sub_label(name: str, lang: str, fallback: str = "") -> str:
    """A sub-index's name: the domain's catalogue word when it is a domain, else the spec's label."""
    key = f"domain.{name}"
    return t(key, lang) if key in catalogue() else (fallback or name)


def _score_colour(v: float | None) -> str:
    if v is None:
        return "gray"
    return "teal" if v >= 70 else "yellow" if v >= 50 else "red"


def vital_panel(summary: VitalSummary, rows: list[dict[str, Any]], labels: dict[str, str], lang: str,
                tz: ZoneInfo) -> dmc.Paper:
    """``labels``: sub-index name → label in ``lang``."""
    title = dmc.Group([
        dmc.Title(t("home.vital.title", lang), order=4),
        dmc.Text(t("home.vital.scale", lang), size="xs", c="dimmed"),
    ], justify="space-between")
    if summary.value is None:
        return dmc.Paper([title, dmc.Text(t("home.vital.none", lang), c="dimmed", py="lg", className="cb-ov-vital-none")],
                         p="md", withBorder=True, radius="md", className="cb-ov-vital")
    delta = summary.delta
    delta_text = t("home.vital.delta", lang, delta=f"{delta:+.1f}") if delta is not None else ""
    subs = [html.Div([
        dmc.Group([dmc.Text(labels.get(k, k), size="sm"),
                   dmc.Text("—" if v is None else f"{v:.0f}", size="sm", fw=600, className="cb-num")],
                  justify="space-between"),
        dmc.Progress(value=v or 0, color=_score_colour(v), size="sm"),
    ], className=f"cb-ov-sub cb-ov-sub-{k}") for k, v in summary.sub_indices.items()]
    left = dmc.Stack([
        dmc.Group([
            html.Span(f"{summary.value:.1f}", className="cb-ov-vital-value"),
            html.Span(delta_text, className="cb-ov-vital-delta " + ("cb-up" if (delta or 0) >= 0 else "cb-down")),
        ], gap="sm", align="baseline"),
        dmc.Text(" · ".join(filter(None, [
            t("home.as_of", lang, time=local_time(summary.time, tz)),
            t("home.vital.coverage", lang, pct=f"{summary.coverage * 100:.0f}%") if summary.coverage is not None else "",
        ])), size="xs", c="dimmed"),
        dmc.Text(t("home.vital.sub", lang), size="sm", fw=600, mt="xs", className="cb-ov-sub-title"),
        *subs,
    ], gap=6)
    right = dmc.Stack([
        dmc.Text(t("home.vital.trend", lang), size="sm", fw=600),
        dcc.Graph(figure=trend_figure(rows, tz), config=GRAPH_CONFIG, className="cb-ov-vital-trend",
                  style={"height": "200px"}),
        dmc.Text(t("home.vital.why", lang), size="sm", fw=600),
        dcc.Graph(figure=why_figure(summary.moves, labels), config=GRAPH_CONFIG, className="cb-ov-vital-why",
                  style={"height": "180px"}),
    ], gap=4)
    return dmc.Paper([title, dmc.Grid([
        dmc.GridCol(left, span={"base": 12, "md": 4}),
        dmc.GridCol(right, span={"base": 12, "md": 8}),
    ], gutter="lg", mt="xs")], p="md", withBorder=True, radius="md", className="cb-ov-vital")
