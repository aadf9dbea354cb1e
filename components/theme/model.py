"""What a theme's surfaces show, built from its spec and its stored values — pure: frames
in, plain values out (no store, no Dash), so a test builds a page's view from a spec alone.

Everything about a theme comes from the spec: names and units in the reader's language,
decimals, what "better" means (``direction``), the four-colour levels. A share's or a
ratio's value is stored as a fraction and shown × ``display_factor`` (themes/spec.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from citybrain.i18n import format_number, pick, t
from components.page.kpi import Kpi, change
from themes.queries import ScopeKind
from themes.spec import Theme, ThemeIndicator

#: level int (themes.queries: 0 below blue … 4 red) → the national warning colour; below blue is calm green
LEVEL_COLORS: tuple[str, ...] = ("#2fbf71", "#3b82f6", "#f5d33d", "#f08c2e", "#d9363e")
NO_DATA = "#5c6b80"
#: the KPI cards compare with the same statistic one day and one week earlier (日环比, 周同比)
COMPARE_KEYS = ("tpage.vs_day", "tpage.vs_week")
COMPARE_DAYS = (1, 7)


def place_kind(theme: Theme) -> ScopeKind:
    """The scope kind a theme's places have in the store: its own or a city list's entities,
    or the districts themselves (``entities = "districts"``), or the city alone."""
    if theme.entities == "districts":
        return "district"
    return "city" if theme.entities == "city" else "entity"


def headline(theme: Theme) -> ThemeIndicator:
    """The indicator a theme is summed up by: its first ``overview = true`` one, else its first."""
    return theme.overview_indicators[0]


def digits(indicator: ThemeIndicator) -> int:
    """Decimals shown: the spec's, and none for a count (cases are whole)."""
    return 0 if indicator.kind == "count" else indicator.decimals


def shown(indicator: ThemeIndicator, value: float | None) -> float | None:
    """The stored value in the indicator's unit (a fraction × 100 for a % quotient), rounded."""
    if value is None or value != value:
        return None
    return round(float(value) * indicator.display_factor, digits(indicator))


def value_text(indicator: ThemeIndicator, value: float | None, lang: str) -> str:
    """The value as a card or a table cell writes it (counts the Chinese way: 1.2万); "—" without one."""
    v = shown(indicator, value)
    if v is None:
        return "—"
    if indicator.unit.strip() in ("%", "％") or abs(v) < 1e4:
        return f"{v:,.{digits(indicator)}f}" if lang == "en" else f"{v:.{digits(indicator)}f}"
    return format_number(v, lang, digits=1)


def unit(indicator: ThemeIndicator, lang: str) -> str:
    """The unit in the reader's language: a config's Chinese unit (辆, 件, 小时) in English
    from the catalogue (``tpage.unit.<unit>``), left out when it has no English there —
    an English page or briefing shows no Chinese."""
    u = indicator.unit.strip()
    if lang != "en" or not any("\u4e00" <= ch <= "\u9fff" for ch in u):
        return u
    key = f"tpage.unit.{u}"
    english = t(key, "en")
    return "" if english == key else english


def with_unit(indicator: ThemeIndicator, value: float | None, lang: str) -> str:
    text = value_text(indicator, value, lang)
    u = unit(indicator, lang)
    if text == "—" or not u:
        return text
    return f"{text}{u}" if u in ("%", "％") else f"{text} {u}"


def better(indicator: ThemeIndicator) -> str:
    """The KPI card's tone: "up" when higher is better, "down" when lower is, "" neutral."""
    return {"higher": "up", "lower": "down"}.get(indicator.direction, "")


def level_color(level: Any) -> str:
    """A level int (0–4) → its colour; no level (an indicator without ``levels``) → no-data grey."""
    if level is None or level is pd.NA or level != level:
        return NO_DATA
    return LEVEL_COLORS[min(max(int(level), 0), 4)]


def statistic(indicator: ThemeIndicator, frame: pd.DataFrame) -> float | None:
    """One number for a window: the total of a count (cases in the window), else the newest value."""
    if frame is None or frame.empty:
        return None
    values = frame["value"].dropna()
    if values.empty:
        return None
    if indicator.kind == "count":
        return float(values.sum())
    return float(frame.dropna(subset=["value"]).sort_values("time")["value"].iloc[-1])


def relative(current: float | None, base: float | None, indicator: ThemeIndicator) -> tuple[float | None, bool]:
    """(change, in percentage points?): a percentage's change in points, any other a relative change."""
    if indicator.unit.strip() in ("%", "％") and current is not None and base is not None:
        return (current - base) * (indicator.display_factor / 100), True
    return change(current, base), False


def kpis(theme: Theme, now_frames: Mapping[str, pd.DataFrame], earlier: Mapping[int, Mapping[str, pd.DataFrame]],
         lang: str, labels: Mapping[str, str]) -> list[Kpi]:
    """A card per indicator: the window's statistic, and its change against the same window
    one day and one week earlier (``earlier[days][indicator]``; no base → "—").
    ``labels``: ``{"count_note": …, "latest_note": …}`` in the reader's language."""
    cards = []
    for ind in theme.indicators:
        now = statistic(ind, now_frames.get(ind.code))
        changes = []
        for days in COMPARE_DAYS:
            base_frame = (earlier.get(days) or {}).get(ind.code)
            # a base covering less than half the period (the store began within it) is no
            # base: "—", not a +13,000 % that looks real (as components.page.kpi.base_frame)
            covered = base_frame is not None and len(base_frame) >= 0.5 * len(now_frames.get(ind.code, ()))
            base = statistic(ind, base_frame) if covered else None
            changes.append(relative(now, base, ind))
        is_pp = any(pp for _, pp in changes)
        cards.append(Kpi(ind.code, pick(ind.name_zh, ind.name_en, lang), value_text(ind, now, lang), unit(ind, lang),
                         wow=changes[0][0], yoy=changes[1][0], better=better(ind), compare_keys=COMPARE_KEYS,
                         is_pp=is_pp, note=labels.get("count_note" if ind.kind == "count" else "latest_note", "")))
    return cards


@dataclass(frozen=True)
class Ranking:
    """A horizontal bar chart's content: labels, values (shown units), entity codes, colours."""

    labels: list[str]
    values: list[float]
    codes: list[str]
    colors: list[str]


def ranking(indicator: ThemeIndicator, latest: pd.DataFrame, names: Mapping[str, str], *, top: int = 10,
            codes: Sequence[str] | None = None) -> Ranking:
    """The entities by the indicator's newest value, worst first (``direction``: lower is
    better → highest first; higher is better → lowest first; neutral → highest first)."""
    rows = latest[latest["indicator"] == indicator.code].dropna(subset=["value"]) if not latest.empty else latest
    if codes is not None and not rows.empty:
        rows = rows[rows["scope"].isin(list(codes))]
    if rows.empty:
        return Ranking([], [], [], [])
    rows = rows.sort_values("value", ascending=indicator.direction == "higher").head(top)
    return Ranking([names.get(c, c) for c in rows["scope"]], [shown(indicator, v) for v in rows["value"]],
                   list(rows["scope"]), [level_color(lv) if indicator.levels else "#4263eb" for lv in rows["level"]])


#: an indicator without levels: places shaded by their share of the largest value (light → dark blue)
SHADES: tuple[str, ...] = ("#bfe3ff", "#74b9f0", "#3585d6", "#174ea6")


def map_values(indicator: ThemeIndicator, latest: pd.DataFrame, lang: str) -> dict[str, dict[str, str]]:
    """The map layer's hideout values: each place coloured by its level — or, for an
    indicator without levels, shaded by its share of the largest value — with its value as
    the tooltip text."""
    rows = latest[latest["indicator"] == indicator.code].dropna(subset=["value"]) if not latest.empty else latest
    if rows.empty:
        return {}
    top = max(float(rows["value"].max()), 0.0) or 1.0

    def colour(r: Any) -> str:
        if indicator.levels:
            return level_color(r.level)
        return SHADES[min(int(max(r.value, 0.0) / top * len(SHADES)), len(SHADES) - 1)]

    return {r.scope: {"c": colour(r), "t": with_unit(indicator, r.value, lang)} for r in rows.itertuples()}


def entity_rows(theme: Theme, entities: pd.DataFrame, latest: pd.DataFrame, district_names: Mapping[str, str],
                lang: str, tz: Any) -> list[dict[str, Any]]:
    """The table: one row per entity with its newest value of every indicator (in its unit)
    and the time of its newest value, in the city's local time."""
    by = {(r.indicator, r.scope): r for r in latest.itertuples()} if not latest.empty else {}
    rows = []
    for e in entities.itertuples():
        row: dict[str, Any] = {"code": e.code, "name": pick(e.name_zh, e.name_en, lang),
                               "district": district_names.get(e.district or "", "")}
        newest: dt.datetime | None = None
        for ind in theme.indicators:
            hit = by.get((ind.code, e.code))
            row[ind.code] = shown(ind, hit.value) if hit is not None else None
            if hit is not None:
                newest = max(newest, hit.time) if newest is not None else hit.time
        row["time"] = newest.astimezone(tz).strftime("%Y-%m-%d %H:%M") if newest is not None else ""
        rows.append(row)
    return rows


def columns(theme: Theme, lang: str) -> list[dict[str, Any]]:
    """The table's columns from the spec: code, name, district, one per indicator (its name and unit), time.

    Header names are final text, not catalogue keys: ``components.page.layout.translated_columns``
    passes text it does not know through unchanged."""
    cols: list[dict[str, Any]] = [{"field": "code", "headerName": "tpage.col.code", "maxWidth": 120},
                                  {"field": "name", "headerName": "tpage.col.name"},
                                  {"field": "district", "headerName": "page.col.district"}]
    if place_kind(theme) != "entity":  # a district's name says it all: no administrative code, no second name
        cols = [cols[1]]
    for ind in theme.indicators:
        u = unit(ind, lang)
        suffix = f"（{u}）" if lang != "en" and u else (f" ({u})" if u else "")
        cols.append({"field": ind.code, "headerName": pick(ind.name_zh, ind.name_en, lang) + suffix,
                     "type": "numericColumn"})
    cols.append({"field": "time", "headerName": "tpage.col.time"})
    return cols


def series(frame: pd.DataFrame, indicator: ThemeIndicator, tz: Any, grain: str) -> tuple[list[str], list[float | None]]:
    """A trend line's x (local time labels) and y (shown units) for one scope's values."""
    if frame is None or frame.empty:
        return [], []
    frame = frame.sort_values("time")
    fmt = "%Y-%m-%d %H:%M" if grain == "hour" else "%Y-%m-%d"
    return ([t.astimezone(tz).strftime(fmt) for t in frame["time"]],
            [shown(indicator, v) for v in frame["value"]])
