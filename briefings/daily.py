"""The daily briefing (城市运行简报) of one local day, as a :class:`~briefings.document.Document`.

Contents (issue 8): a cover with the city, date, period, generation time and each
domain's data as-of; the vital-signs index with the district ranking and what moved it;
a section per domain with its KPIs and charts (the page's own ``render``, so the numbers
and figures are the screen's) and the biggest changes against yesterday and the same day
last week; the warnings raised, escalated and resolved in the period; data-quality notes
(late sources, quarantined rows, the share of index inputs carried forward).

The period is the local calendar day ``[day 00:00, day+1 00:00)`` in the city's zone;
page renders are asked "as of" the period's end, so a briefing produced for an earlier
day shows that day, not today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from briefings.document import Document, Figure, Kpi, Note, Row, Section, Table
from briefings.sections import (DOMAIN_PAGES, figure_blocks, figure_dict, heading, kpi_blocks, page_module,
                                legend_rows, stale_notes, tidy_for_print)
from citybrain.i18n import format_age, format_percent, percent, pick, t
from citybrain.settings import Settings
from components.overview.vital_data import spec_groups, summarise
from components.overview.vital_panel import sub_label
from components.page.view import View
from figures.page_charts import line_figure
from store.queries.domains import indicator_frame
from store.queries.sources import source_overview
from store.schema import indicators, quarantine, warning_events, warnings

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)

#: per domain, the indicator the "biggest changes" table compares and how a day is summed up
MOVERS: dict[str, tuple[str, str, str, str, str]] = {
    # domain: (indicator, grain, scope_kind, day aggregate, label key)
    "environment": ("aqi", "day", "station", "mean", "brief.metric.aqi"),
    "traffic": ("tpi", "hour", "district", "mean", "brief.metric.tpi"),
    "tourism": ("crowding", "hour", "site", "max", "brief.metric.crowding"),
    "hotline": ("hotline_calls", "day", "category", "sum", "brief.metric.calls"),
}


def period(day: dt.date, settings: Settings) -> tuple[dt.datetime, dt.datetime]:
    """The local day ``day`` as UTC instants [start, end)."""
    tz = settings.tz
    start = dt.datetime.combine(day, dt.time(0), tz)
    return start.astimezone(UTC), (start + DAY).astimezone(UTC)


def default_day(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the city's zone — what a morning briefing covers."""
    now = now or dt.datetime.now(UTC)
    return now.astimezone(settings.tz).date() - DAY


def build_daily(settings: Settings, engine: Engine, day: dt.date, lang: str = "zh", *,
                now: dt.datetime | None = None) -> Document:
    """The whole briefing of ``day``. Needs an app context (the page queries are memoized).

    The cover's facts head page 1 and the 要情摘要 follows on the same page; then every
    kind of :data:`briefings.kinds.SECTION_KINDS` in order, numbered here.
    """
    from briefings.kinds import BriefContext, build_sections

    now = now or dt.datetime.now(UTC)
    tz = settings.tz
    start, end = period(day, settings)
    city = pick(settings.city.name_zh, settings.city.name_en, lang)
    sources = source_overview(engine, settings, now=now)
    date_text = day.strftime("%Y年%m月%d日") if lang == "zh" else day.isoformat()
    doc = Document(kind="daily", title=t("brief.title", lang), subtitle=t("brief.subtitle", lang, date=date_text),
                   lang=lang, header=t("brief.org", lang, city=city), footer=t("brief.footer", lang), min_pages=3)
    doc.cover = [
        (t("brief.cover.period", lang), t("brief.period", lang, start=_local(start, tz), end=_local(end, tz))),
        (t("brief.cover.generated", lang), _local(now, tz)),
    ]
    # data as-of in one line: "交通 05:00 · 环境 04:00 · …" (the cover no longer has a page of its own)
    asof = []
    for domain in DOMAIN_PAGES:
        times = [s["data_time"] for s in sources if s["domain"] == domain and s["data_time"] is not None]
        newest = max(times) if times else None
        asof.append(t("brief.cover.asof_item", lang, domain=t(f"domain.{domain}", lang),
                      time=newest.astimezone(tz).strftime("%m-%d %H:%M") if newest else t("brief.cover.never", lang)))
    doc.cover.append((t("brief.cover.asof_all", lang), t("brief.list_sep", lang).join(asof)))
    ctx = BriefContext(settings=settings, engine=engine, day=day, lang=lang, start=start, end=end,
                       as_of=min(now, end), now=now, sources=sources)
    n = 0
    for sec in build_sections(ctx):
        if sec.numbered:
            n += 1
            sec.heading = heading(n, sec.heading, lang)
        sec.blocks = [_printable(b, lang) for b in sec.blocks]
        doc.sections.append(sec)
    return doc


#: print height per legend row a half-width chart gains (its plot keeps its height)
LEGEND_ROW_PX = 17


def _printable(block: Any, lang: str) -> Any:
    """Every figure of every kind legible at print size (hour ticks on a one-day axis, reference
    labels apart): kinds may hand over the screen's figures as they are. A half-width chart with
    a legend of several rows grows by those rows (five sites' names squeezed its plot to a strip),
    and its neighbour on the line grows with it so the pair stays level."""
    if isinstance(block, list):
        out = [_printable(b, lang) for b in block]
        half = [i for i, b in enumerate(out) if isinstance(b, Figure) and not b.wide]
        for left, right in zip(half[::2], half[1::2] + [None], strict=False):
            pair = [i for i in (left, right) if i is not None]
            grow = max(LEGEND_ROW_PX * max(legend_rows(out[i].figure) - 1, 0) for i in pair)
            for i in pair:
                f = out[i]
                out[i] = Figure(f.id, f.title, f.figure, f.wide, f.height + grow)
        return out
    if isinstance(block, Row):
        return Row([_printable(b, lang) for b in block.blocks])
    if isinstance(block, Figure):
        return Figure(block.id, block.title, tidy_for_print(block.figure, lang), block.wide, block.height)
    return block


# ------------------------------------------------------------------ section kinds (briefings.kinds)

def index_sections(ctx: Any) -> list[Section]:
    return [index_section(ctx.settings, ctx.engine, ctx.day, ctx.lang, t("brief.index", ctx.lang))]


def domain_sections(ctx: Any) -> list[Section]:
    """One section per built-in domain, each from its page's own ``render`` as of the period's end."""
    view = View(range="custom", start=ctx.day.isoformat(), end=ctx.day.isoformat())
    return [domain_section(ctx.settings, ctx.engine, domain, page_module(module), view, ctx.lang, ctx.as_of, ctx.now,
                           ctx.sources, t(f"brief.domain.{domain}", ctx.lang), ctx.day)
            for domain, module in DOMAIN_PAGES.items()]


def warnings_sections(ctx: Any) -> list[Section]:
    return [warnings_section(ctx.settings, ctx.engine, ctx.start, ctx.end, ctx.lang, t("brief.warnings", ctx.lang))]


def quality_sections(ctx: Any) -> list[Section]:
    return [quality_section(ctx.settings, ctx.engine, ctx.start, ctx.end, ctx.lang, ctx.now, ctx.sources,
                            t("brief.quality", ctx.lang))]


# ------------------------------------------------------------------ vital-signs index

def index_section(settings: Settings, engine: Engine, day: dt.date, lang: str, title: str) -> Section:
    tz = settings.tz
    start, end = period(day, settings)
    sec = Section("index", title)
    today = indicator_frame(engine, "vital_signs", "hour", "city", start, end, "")
    before = indicator_frame(engine, "vital_signs", "hour", "city", start - DAY, start, "")
    week = indicator_frame(engine, "vital_signs", "hour", "city", start - 7 * DAY, end - 7 * DAY, "")
    vals = today.dropna(subset=["value"]) if not today.empty else today
    if vals.empty:
        sec.blocks.append(Note(t("brief.index.none", lang), "quality"))
        return sec
    mean = float(vals["value"].mean())
    last = float(vals["value"].iloc[-1])
    mean_y = float(before["value"].mean()) if not before.dropna(subset=["value"]).empty else None
    mean_w = float(week["value"].mean()) if not week.dropna(subset=["value"]).empty else None
    coverage = [((d or {}).get("coverage")) for d in vals["detail"]]
    cov = [c for c in coverage if c is not None]
    diff = lambda b: "—" if b is None else f"{mean - b:+.1f}"  # noqa: E731
    sec.blocks.append([
        Kpi(t("brief.index.end", lang), f"{last:.1f}"),
        Kpi(t("brief.index.mean", lang), f"{mean:.1f}", note=t("brief.index.vs", lang, d=diff(mean_y), w=diff(mean_w)),
            tone="" if mean_y is None or abs(mean - mean_y) < 0.05 else ("good" if mean > mean_y else "bad")),
        Kpi(t("brief.index.coverage", lang), f"{percent(sum(cov) / len(cov)):.1f}" if cov else "—", "%"),
    ])
    hours = [f"{h:02d}{t('page.hour_suffix', lang)}" for h in range(24)]

    def by_hour(df: pd.DataFrame) -> list[float | None]:
        if df.empty:
            return [None] * 24
        s = df.assign(h=df["time"].dt.tz_convert(tz).dt.hour).groupby("h")["value"].mean()
        return [round(float(s[h]), 1) if h in s.index else None for h in range(24)]

    fig = line_figure([(t("brief.index.today", lang), hours, by_hour(today)),
                       (t("brief.index.yesterday", lang), hours, by_hour(before))], y_title="0–100")
    fig.update_xaxes(tickmode="array", tickvals=hours[::3], tickangle=0)  # every third hour: no slanted crowd
    sec.blocks.append(Figure("index-trend", t("brief.index.trend", lang), figure_dict(fig), height=200))
    # what moved it: the last hour of the day against 24 h earlier, by sub-index contribution
    spec = settings.vital_signs_spec
    labels = {sub.name: sub_label(sub.name, lang, sub.label) for sub in spec.sub_indices}
    rows = [{"time": r.time, "value": r.value, "detail": r.detail or {}}
            for r in pd.concat([before, today]).dropna(subset=["value"]).itertuples()]
    summary = summarise(rows, spec_groups(spec))
    if summary.moves and summary.delta is not None:
        top = [m for m in summary.moves if abs(m[1]) >= 0.05][:3] or summary.moves[:1]
        parts = "、".join(f"{labels.get(g, g)}（{d:+.1f}）" for g, d in top) if lang == "zh" else \
            ", ".join(f"{labels.get(g, g)} ({d:+.1f})" for g, d in top)
        direction = "up" if summary.delta > 0.05 else ("down" if summary.delta < -0.05 else "flat")
        sec.blocks.append(Note(t("brief.index.moved_text", lang, dir=t(f"brief.index.{direction}", lang),
                                 delta=f"{abs(summary.delta):.1f}", parts=parts)))
        moved = Table(t("brief.index.moved", lang),
                      [t("brief.col.part", lang), t("brief.col.sub_index", lang), t("brief.col.contribution", lang)],
                      [[labels.get(g, g), _num(summary.sub_indices.get(g)), f"{d:+.2f}"] for g, d in summary.moves],
                      numeric=(1, 2))
    else:
        moved = None
    # district ranking by daily mean
    dist = indicator_frame(engine, "vital_signs", "hour", "district", start, end)
    dprev = indicator_frame(engine, "vital_signs", "hour", "district", start - DAY, start)
    names = {d.code: pick(d.name_zh, d.name_en, lang) for d in settings.districts}
    ranking: list[list[str]] = []
    if not dist.empty:
        m = dist.groupby("scope")["value"].mean().sort_values(ascending=False)
        p = dprev.groupby("scope")["value"].mean() if not dprev.empty else pd.Series(dtype=float)
        for i, (code, v) in enumerate(m.items(), start=1):
            change = f"{v - p[code]:+.1f}" if code in p.index and pd.notna(p[code]) else "—"
            ranking.append([str(i), names.get(code, code), f"{v:.1f}", change])
    ranked = Table(t("brief.index.ranking", lang),
                   [t("brief.col.rank", lang), t("brief.col.district", lang), t("brief.col.index", lang),
                    t("brief.col.vs_yesterday", lang)], ranking, numeric=(0, 2, 3))
    # the two short tables share a line
    sec.blocks.append(Row([moved, ranked]) if moved is not None else ranked)
    return sec


# ------------------------------------------------------------------ one domain

def domain_section(settings: Settings, engine: Engine, domain: str, module: Any, view: View, lang: str,
                   as_of: dt.datetime, now: dt.datetime, sources: list[dict[str, Any]], title: str,
                   day: dt.date) -> Section:
    sec = Section(f"domain-{domain}", title)
    quality = stale_notes(sources, domain, settings, lang, now, period_end=as_of)
    sec.blocks.extend(quality)
    if domain == "economy":
        view = View(range="1y")
    out = module.render(engine, settings, view, lang, as_of)
    sec.blocks.append(kpi_blocks(period_kpis(settings, engine, domain, out.kpis, lang, as_of), lang))
    figs, empty = figure_blocks(domain, module.SPEC, out.figures, lang, dense=True)
    if figs:
        sec.blocks.append(figs)
    sec.blocks.extend(empty)
    if domain in MOVERS:
        sec.blocks.append(movers_table(settings, engine, domain, day, lang))
    else:
        sec.blocks.append(Note(t("brief.economy_note", lang)))
    return sec


#: page KPIs that describe the moment the page is looked at ("当前 TPI", 当前在园人数): a
#: briefing about a past day leaves them out — its period's mean, peak and totals stay
NOW_KPIS: dict[str, frozenset[str]] = {"traffic": frozenset({"now"}), "environment": frozenset({"now"}),
                                       "tourism": frozenset({"present"})}


def period_kpis(settings: Settings, engine: Engine, domain: str, kpis: list[Any], lang: str,
                as_of: dt.datetime) -> list[Any]:
    """The page's KPI cards as a report about the period: no "current" values, and the
    hotline's overdue tickets counted as they stood at the period's end (the page counts
    what is open now)."""
    import dataclasses

    from briefings.facts import overdue_at

    out = []
    for k in kpis:
        if k.key in NOW_KPIS.get(domain, ()):
            continue
        if domain == "hotline" and k.key == "overdue":
            over = overdue_at(engine, as_of)
            k = dataclasses.replace(k, value="—" if over is None else f"{int(over['n'].sum()):,}",
                                    note=t("brief.kpi.overdue_note", lang))
        out.append(k)
    return out


def movers_table(settings: Settings, engine: Engine, domain: str, day: dt.date, lang: str, *, top: int = 5) -> Table:
    """The scopes whose day changed most against yesterday (then last week)."""
    name, grain, kind, how, label = MOVERS[domain]
    start, end = period(day, settings)

    def day_value(a: dt.datetime, b: dt.datetime) -> pd.Series:
        df = indicator_frame(engine, name, grain, kind, a, b)
        if df.empty:
            return pd.Series(dtype=float)
        return df.dropna(subset=["value"]).groupby("scope")["value"].agg(how)

    today, yday, week = day_value(start, end), day_value(start - DAY, end - DAY), day_value(start - 7 * DAY, end - 7 * DAY)
    names = _scope_names(settings, kind, lang)
    if kind == "category":  # 12345 categories: the English briefing kept them in Chinese
        from components.page.labels import category_label

        names = {str(c): category_label(str(c), lang) for c in today.index}
    rows = []
    for scope, v in today.items():
        y, w = yday.get(scope), week.get(scope)
        rows.append((abs(v - y) if y is not None else -1, scope, v, y, w))
    rows.sort(key=lambda r: (-r[0], str(r[1])))
    pattern = "{:,.0f}" if how == "sum" or name == "aqi" else "{:.2f}"
    # 承载率 in the one percent format of the pages (17.2%, not 17%)
    fmt = format_percent if name == "crowding" else pattern.format
    body = [[names.get(scope, scope or t("page.all_districts", lang)), fmt(v), _opt(y, fmt), _delta(v, y),
             _opt(w, fmt), _delta(v, w)] for _, scope, v, y, w in rows[:top]]
    return Table(f"{t('brief.changes', lang)} · {t(label, lang)}",
                 [t("brief.col.object", lang), t("brief.col.today", lang), t("brief.col.yesterday", lang),
                  t("brief.col.vs_yesterday", lang), t("brief.col.week", lang), t("brief.col.vs_week", lang)],
                 body, numeric=(1, 2, 3, 4, 5), empty=t("brief.changes.none", lang))


def domain_label(settings: Settings, domain: str, lang: str) -> str:
    """A built-in domain's word, or a theme's name (a theme's warnings carry its code as domain)."""
    key = f"domain.{domain}"
    text = t(key, lang)
    if text != key:
        return text
    theme = settings.theme(domain) if hasattr(settings, "theme") else None
    return theme.name(lang) if theme is not None else domain


def _rank(level: str | None) -> int:
    from alerts.levels import level as level_of

    try:
        return level_of(level or "").rank
    except (KeyError, ValueError):
        return 0


def _scope_names(settings: Settings, kind: str, lang: str) -> dict[str, str]:
    items = {"station": settings.stations, "site": settings.sites, "segment": settings.segments,
             "district": settings.districts}.get(kind)
    if items is not None:
        return {x.code: pick(x.name_zh, x.name_en, lang) for x in items}
    return {}


def _opt(v: float | None, fmt: Any) -> str:
    return "—" if v is None or pd.isna(v) else fmt(v)


def _delta(v: float, base: float | None) -> str:
    if base is None or pd.isna(base) or base == 0:
        return "—"
    return f"{(v / base - 1) * 100:+.1f}%"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _local(ts: dt.datetime | None, tz: Any) -> str:
    return ts.astimezone(tz).strftime("%Y-%m-%d %H:%M") if ts else "—"


# ------------------------------------------------------------------ warnings

def warnings_section(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime, lang: str,
                     title: str) -> Section:
    """Every warning that was raised, escalated or resolved in the period, in time order."""
    from alerts.levels import level as level_of
    from components.center.fmt import warning_title  # English titles get the category's English word

    sec = Section("warnings", title)
    e, w = warning_events.c, warnings.c
    with engine.connect() as conn:
        events = conn.execute(
            select(e.at, e.kind, e.from_value, e.to_value, e.detail, w.id, w.level, w.title_zh, w.title_en, w.domain,
                   w.scope_kind, w.scope)
            .select_from(warning_events.join(warnings, e.warning_id == w.id))
            .where(e.at >= start, e.at < end, e.kind.in_(("state", "level")))
            .order_by(e.at, e.id)).all()
        active = conn.execute(select(func.count()).select_from(warnings).where(
            w.fired_at < end, (w.resolved_at.is_(None)) | (w.resolved_at >= end))).scalar_one()
    rows: dict[int, dict[str, Any]] = {}
    counts = {"fired": 0, "escalated": 0, "resolved": 0}
    for ev in events:
        if ev.kind == "state" and ev.to_value == "firing" and ev.from_value == "pending":
            kind, lv = "fired", ev.level
        elif ev.kind == "state" and ev.to_value == "resolved":
            kind, lv = "resolved", ev.level
        elif ev.kind == "level":
            try:
                up = level_of(ev.to_value).rank > level_of(ev.from_value).rank
            except (KeyError, ValueError):
                up = (ev.detail or {}).get("direction") == "escalate"
            kind, lv = ("escalated" if up else "deescalated"), ev.to_value
        else:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        # one row per warning with its course in the period ("08:24 发布 → 09:34 解除"): half the rows
        # of one row per event, and what happened to each warning reads on one line
        row = rows.setdefault(ev.id, {"level": lv, "domain": ev.domain, "title": warning_title(ev._asdict(), lang),
                                      "steps": [], "last": kind})
        if _rank(lv) > _rank(row["level"]):
            row["level"] = lv
        row["steps"].append(f"{ev.at.astimezone(settings.tz):%H:%M} {t(f'brief.event.{kind}', lang)}")
        row["last"] = kind

    def level_name(lv: str | None) -> str:
        try:
            lvl = level_of(lv or "")
            return pick(lvl.label_zh, f"{lvl.en} ({lvl.roman})", lang)  # "Blue (IV)": the table keeps one line a row
        except (KeyError, ValueError):
            return lv or "—"

    sec.blocks.append(Note(t("brief.warnings.summary", lang, raised=counts["fired"], escalated=counts["escalated"],
                             resolved=counts["resolved"], active=active) if rows else
                           t("brief.warnings.none", lang) + " " +
                           t("brief.warnings.summary", lang, raised=0, escalated=0, resolved=0, active=active),
                           "alert" if counts["fired"] or counts["escalated"] else "info"))
    if rows:
        body = [[r["title"], level_name(r["level"]), domain_label(settings, r["domain"], lang), " → ".join(r["steps"]),
                 t("brief.warnings.end_resolved" if r["last"] == "resolved" else "brief.warnings.end_open", lang)]
                for r in rows.values()]
        sec.blocks.append(Table("", [t("brief.col.warning", lang), t("brief.col.level", lang),
                                     t("brief.col.domain", lang), t("brief.col.course", lang),
                                     t("brief.col.at_end", lang)], body))
    return sec


# ------------------------------------------------------------------ data quality

def quality_section(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime, lang: str,
                    now: dt.datetime, sources: list[dict[str, Any]], title: str) -> Section:
    sec = Section("quality", title)
    # sources whose data stops inside the period (the table below shows every source's state now)
    notes = [n for domain in DOMAIN_PAGES for n in stale_notes(sources, domain, settings, lang, now, period_end=end)]
    info = [] if notes else [t("brief.quality.ok", lang)]
    q = quarantine.c
    with engine.connect() as conn:
        held = dict(conn.execute(select(q.source, func.count()).where(and_(q.received_at >= start, q.received_at < end))
                                 .group_by(q.source)).all())
        carried_rows = conn.execute(select(indicators.c.detail).where(
            indicators.c.name == "vital_signs", indicators.c.grain == "hour", indicators.c.scope_kind == "city",
            indicators.c.time >= start, indicators.c.time < end)).all()
    total = sum(held.values())
    if total:
        notes.append(Note(t("brief.quality.quarantine", lang, n=total), "quality"))
    else:
        info.append(t("brief.quality.quarantine_none", lang))
    inputs = carried = 0
    cov: list[float] = []
    for (detail,) in carried_rows:
        d = detail or {}
        inputs += len(d.get("inputs") or {})
        carried += len(d.get("carried") or [])
        if d.get("coverage") is not None:
            cov.append(float(d["coverage"]))
    if inputs:
        info.append(t("brief.quality.imputed", lang, share=f"{carried / inputs:.1%}",
                      coverage=format_percent(sum(cov) / len(cov)) if cov else "—"))
    # the good news in one box, each problem in its own
    sec.blocks.extend(notes)
    if info:
        sec.blocks.append(Note(t("brief.sentence_sep", lang).join(info)))
    rows = []
    for s in sources:
        status = "failed" if s["status"] in ("failed", "error") else ("stale" if s["stale"] else "ok")
        if s["status"] == "disabled":
            continue
        age = format_age(s["age_seconds"], lang) if s["age_seconds"] is not None else "—"
        rows.append([s["name"], pick(s.get("owner_zh") or "", s.get("owner_en") or "", lang) or "—",
                     t(f"brief.status.{status}", lang), _local(s["data_time"], settings.tz), age,
                     f"{held.get(s['name'], 0):,}"])
    sec.blocks.append(Table(t("brief.quality.sources", lang),
                            [t("brief.col.source", lang), t("brief.col.owner", lang), t("brief.col.status", lang),
                             t("brief.col.data_time", lang), t("brief.col.age", lang), t("brief.col.quarantined", lang)],
                            rows, numeric=(5,)))
    return sec
