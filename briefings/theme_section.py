"""A briefing section per theme (issue 20): every ``[[themes]]`` entry with ``briefing =
true`` (the default), in config order, in Chinese and English — built from the theme's
spec and its stored day values alone.

What the day looked like: a card per indicator with the day's city value and its change
against the day before and the same day a week earlier; the headline indicator hour by
hour and its places ranked; the places at a warning level; late sources. Values are as
of the end of the day (``BriefContext.as_of``), never "current".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from briefings.document import Figure, Kpi, Note, Section, Table
from briefings.kinds import BriefContext
from briefings.sections import figure_dict, stale_notes
from citybrain.i18n import pick, t
from components.page.kpi import change_text
from components.theme import model
from figures.page_charts import bar_figure, line_figure, localize_dates
from themes import queries
from themes.compute import local_midnight
from themes.queries import ScopeKind
from themes.spec import Theme, ThemeIndicator

#: indicators carded at most (about half a page per theme)
MAX_KPIS = 6
#: places in the ranking chart and the level table
TOP = 8


def sections(ctx: BriefContext) -> list[Section]:
    """One section per theme to brief, in the city config's order; none without themes."""
    return [theme_section(ctx, theme) for theme in ctx.settings.themes if theme.briefing]


def _day_value(ctx: BriefContext, theme: Theme, ind: ThemeIndicator, days_back: int,
               scope_kind: ScopeKind = "city") -> Any:
    # by local dates, not 24-hour steps: a DST day has 23 or 25 hours
    day = ctx.day - dt.timedelta(days=days_back)
    return queries.values(ctx.engine, theme, ind.code, grain="day", scope_kind=scope_kind,
                          start=local_midnight(day, ctx.tz), end=local_midnight(day + dt.timedelta(days=1), ctx.tz))


def _kpi(ctx: BriefContext, theme: Theme, ind: ThemeIndicator) -> Kpi:
    lang = ctx.lang
    now, before, week = (model.statistic(ind, _day_value(ctx, theme, ind, d)) for d in (0, 1, 7))
    parts, tone = [], ""
    for key, base in (("tpage.brief.vs_day", before), ("tpage.brief.vs_week", week)):
        delta, pp = model.relative(now, base, ind)
        parts.append(t(key, lang, change=change_text(delta, pp)))
        if key == "tpage.brief.vs_day" and delta is not None and abs(delta) >= 0.0005 and model.better(ind):
            tone = "good" if (delta > 0) == (model.better(ind) == "up") else "bad"
    return Kpi(pick(ind.name_zh, ind.name_en, lang), model.value_text(ind, now, lang), model.unit(ind, lang),
               note="　".join(parts) if lang != "en" else "; ".join(parts), tone=tone)


def theme_section(ctx: BriefContext, theme: Theme) -> Section:
    """The section of one theme."""
    lang, tz = ctx.lang, ctx.tz
    head = model.headline(theme)
    head_name = pick(head.name_zh, head.name_en, lang)
    blocks: list[Any] = [[_kpi(ctx, theme, ind) for ind in theme.indicators[:MAX_KPIS]]]
    figures, notes = [], []
    hourly = queries.values(ctx.engine, theme, head.code, grain="hour", scope_kind="city", start=ctx.start, end=ctx.end)
    x, y = model.series(hourly, head, tz, "hour")
    trend_title = t("tpage.chart.trend", lang, name=head_name)
    if any(v is not None for v in y):
        fig = line_figure([(head_name, x, y)], y_title=model.unit(head, lang))
        figures.append(Figure(f"theme-{theme.code}-trend", trend_title, figure_dict(localize_dates(fig, lang)),
                              wide=False, height=220))
    else:
        notes.append(Note(t("brief.no_figure", lang, chart=trend_title), "info"))
    entities = queries.entity_table(ctx.settings, theme)
    names = {e.code: pick(e.name_zh, e.name_en, lang) for e in entities.itertuples()}
    day = _day_value(ctx, theme, head, 0, model.place_kind(theme))
    day = day.assign(indicator=head.code) if not day.empty else day.assign(indicator=[])
    rank = model.ranking(head, day, names, top=TOP)
    rank_title = t("tpage.brief.ranking", lang, name=head_name)
    if rank.values:
        fig = bar_figure(rank.labels, rank.values, horizontal=True, colors=rank.colors, y_title="",
                         text=[model.with_unit(head, v / head.display_factor, lang) for v in rank.values])
        figures.append(Figure(f"theme-{theme.code}-ranking", rank_title, figure_dict(fig), wide=False, height=220))
    else:
        notes.append(Note(t("brief.no_figure", lang, chart=rank_title), "info"))
    if figures:
        blocks.append(figures)
    blocks.extend(notes)
    if head.levels and not day.empty:
        warned = day[day["level"].fillna(0).astype(int) > 0].sort_values("value", ascending=head.direction == "higher")
        rows = [[names.get(r.scope, r.scope), model.with_unit(head, r.value, lang),
                 t(f"tpage.level.{queries.LEVEL_NAMES[int(r.level)]}", lang)] for r in warned.head(TOP).itertuples()]
        blocks.append(Table(t("tpage.brief.levels", lang, name=head_name),
                            [t("tpage.col.name", lang), head_name, t("tpage.brief.level", lang)], rows, numeric=(1,),
                            empty=t("tpage.brief.no_levels", lang)))
    blocks.extend(stale_notes(ctx.sources, theme.code, ctx.settings, lang, ctx.now, period_end=ctx.as_of))
    return Section(f"theme-{theme.code}", theme.name(lang), blocks)
