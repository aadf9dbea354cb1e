"""The warning list: one row per warning, the title opens it (and its timeline) beside the list."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from citybrain.i18n import format_number, pick, t
from components.center import ids
from components.center.fmt import local_time, value_text
from components.center.level_badge import level_badge

STATE_COLOURS = {"pending": "gray", "firing": "red", "recovering": "teal", "resolved": "gray"}
HANDLING_COLOURS = {"unacknowledged": "orange", "acknowledged": "blue", "assigned": "indigo", "closed": "gray"}


def state_badge(state: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"warnings.state.{state}", lang), color=STATE_COLOURS.get(state, "gray"),
                     variant="dot", className=f"cb-state cb-state-{state}")


def handling_badge(handling: str, lang: str) -> dmc.Badge:
    return dmc.Badge(t(f"warnings.handling.{handling}", lang), color=HANDLING_COLOURS.get(handling, "gray"),
                     variant="light", className=f"cb-handling cb-handling-{handling}")


def warning_list(rows: list[dict[str, Any]], lang: str, tz: ZoneInfo, district_names: dict[str, tuple[str, str]],
                 *, selected: int | None = None, capped: bool = False,
                 indicators: dict[str, str] | None = None) -> html.Div:
    """``rows`` from :func:`store.queries.warnings.find_warnings`; ``selected`` is highlighted;
    ``indicators``: rule id → indicator name (how the value reads)."""
    if not rows:
        return html.Div(dmc.Text(t("warnings.empty", lang), c="dimmed", ta="center", py="xl"), className="cb-wlist-empty")
    head = [t(f"warnings.col.{k}", lang) for k in ("level", "title", "district", "state", "handling", "started", "value")]
    body = []
    for r in rows:
        names = district_names.get(r["district"] or "")
        district = pick(*names, lang) if names else t("warnings.city_wide", lang)
        title = pick(r["title_zh"], r["title_en"], lang)
        body.append(dmc.TableTr([
            dmc.TableTd(level_badge(r["level"], lang)),
            dmc.TableTd(html.Button(title, id={"type": ids.OPEN, "id": r["id"]}, className="cb-wlink", title=title)),
            dmc.TableTd(district),
            dmc.TableTd(state_badge(r["state"], lang)),
            dmc.TableTd(handling_badge(r["handling"], lang)),
            dmc.TableTd(local_time(r["started_at"], tz)),
            dmc.TableTd(value_text(r["value"], (indicators or {}).get(r["rule"])), className="cb-num"),
        ], className="cb-wrow" + (" cb-wrow-selected" if r["id"] == selected else ""),
            **{"data-id": str(r["id"]), "data-level": r["level"], "data-state": r["state"]}))
    count = t("warnings.count_capped", lang, n=len(rows)) if capped else t("warnings.count", lang,
                                                                             n=format_number(len(rows), lang))
    return html.Div([
        dmc.Text(count, size="sm", c="dimmed", mb=4, className="cb-wcount"),
        dmc.ScrollArea(dmc.Table([
            dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])),
            dmc.TableTbody(body),
        ], highlightOnHover=True, withTableBorder=True, className="cb-wtable"), type="auto"),
    ])
