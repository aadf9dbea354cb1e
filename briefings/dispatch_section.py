"""指挥调度与考核 in the daily briefing (issue 21): the work orders overdue at the period's
end and each department's scorecard for the day, read through the dispatch loop's
published functions (``dispatch.board.overdue_orders``, ``dispatch.scorecard.scorecards``).

The section says plainly when there were no orders; a store without the dispatch tables
gives no section rather than a failed briefing.
"""

from __future__ import annotations

import logging
from typing import Any

from briefings.document import Note, Section, Table
from citybrain.i18n import pick, t

log = logging.getLogger(__name__)
#: overdue orders listed at most (the dispatch board has them all)
OVERDUE_LIMIT = 12


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _hours(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _late(minutes: int, lang: str) -> str:
    h, m = divmod(max(int(minutes), 0), 60)
    if h >= 24:
        return t("brief.dispatch.late_days", lang, d=h // 24, h=h % 24)
    return t("brief.dispatch.late_hm", lang, h=h, m=m)


def event_titles(ctx: Any, orders: list[dict[str, Any]]) -> dict[int, str]:
    """Event titles in the briefing's language. A title is free text written once (a duty
    officer's report in Chinese); the English briefing shows an event born of a warning by the
    warning's English title, and a reported one by its category and number."""
    if ctx.lang != "en":
        return {}
    import re

    from sqlalchemy import select

    from store.schema import events

    ids = sorted({o["event_id"] for o in orders})
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(events.c.id, events.c.title, events.c.category, events.c.description,
                                   events.c.warning_id).where(events.c.id.in_(ids))).all()
    han = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    out = {}
    for r in rows:
        if not han.search(r.title):
            out[r.id] = r.title
        elif r.warning_id is not None and r.description and not han.search(r.description):
            out[r.id] = r.description  # an event from a warning carries the warning's English title
        else:
            key = f"dispatch.category.{r.category}"
            category = t(key, "en")
            out[r.id] = t("brief.dispatch.event_en", "en", category=r.category if category == key else category, id=r.id)
    return out


def sections(ctx: Any) -> list[Section]:
    try:
        from dispatch.board import overdue_orders
        from dispatch.scorecard import scorecards
        from dispatch.sla import departments
    except ImportError:  # a build without the dispatch loop
        return []
    lang = ctx.lang
    try:
        late = overdue_orders(ctx.engine, ctx.end)
        cards = scorecards(ctx.engine, ctx.settings, ctx.start, ctx.end, now=ctx.end)
    except Exception as exc:  # noqa: BLE001 — a store without the dispatch tables (an old schema): no section
        log.warning("briefing: no dispatch section (%s)", exc)
        return []
    from alerts.levels import level as level_of

    depts = departments(ctx.settings)
    districts = {d.code: pick(d.name_zh, d.name_en, lang) for d in ctx.settings.districts}

    def dept(code: str) -> str:
        d = depts.get(code)
        return pick(d.name_zh, d.name_en, lang) if d else code

    def lvl(code: str | None) -> str:
        try:
            lv = level_of(code or "")
            return pick(lv.zh, lv.en, lang)
        except (KeyError, ValueError):
            return code or "—"

    sec = Section("dispatch", t("brief.dispatch", lang))
    orders = sum(c["orders"] for c in cards)
    if not orders and not late and not any(c["overdue_open"] for c in cards):
        sec.blocks.append(Note(t("brief.dispatch.quiet", lang)))
        return [sec]
    sec.blocks.append(Note(t("brief.dispatch.summary", lang, orders=orders, late=len(late)),
                           "alert" if late else "info"))
    if late:
        titles = event_titles(ctx, late)
        rows = [[titles.get(o["event_id"]) or o.get("title") or "—", lvl(o.get("level")), districts.get(o.get("district") or "", o.get("district") or "—"),
                 dept(o["department"]), t(f"dispatch.state.{o['state']}", lang),
                 t(f"brief.dispatch.clock.{o['overdue_clock']}", lang), ctx.local(o["due"], "%m-%d %H:%M"),
                 _late(o["minutes_late"], lang)] for o in late[:OVERDUE_LIMIT]]
        sec.blocks.append(Table(t("brief.dispatch.overdue", lang),
                                [t("brief.dispatch.col.title", lang), t("brief.col.level", lang),
                                 t("brief.col.district", lang), t("brief.dispatch.col.department", lang),
                                 t("brief.col.status", lang), t("brief.dispatch.col.clock", lang),
                                 t("brief.dispatch.col.due", lang), t("brief.dispatch.col.late", lang)],
                                rows, numeric=(7,)))
        if len(late) > OVERDUE_LIMIT:
            sec.blocks.append(Note(t("brief.more_rows", lang, n=len(late) - OVERDUE_LIMIT)))
    busy = [c for c in cards if c["orders"] or c["overdue_open"]]
    idle = [c for c in cards if not (c["orders"] or c["overdue_open"])]
    if busy:
        sec.blocks.append(Table(t("brief.dispatch.scorecard", lang),
                                [t("brief.dispatch.col.department", lang), t("brief.dispatch.col.orders", lang),
                                 t("brief.dispatch.col.accepted", lang), t("brief.dispatch.col.resolved", lang),
                                 t("brief.dispatch.col.mean_h", lang), t("brief.dispatch.col.p90_h", lang),
                                 t("brief.dispatch.col.reopened", lang), t("brief.dispatch.col.returned", lang),
                                 t("brief.dispatch.col.overdue", lang)],
                                [[pick(c.get("name_zh") or "", c.get("name_en") or "", lang) or dept(c["department"]),
                                  str(c["orders"]), _rate(c["accepted_on_time_rate"]), _rate(c["resolved_on_time_rate"]),
                                  _hours(c["mean_hours_to_resolve"]), _hours(c["p90_hours_to_resolve"]),
                                  _rate(c["reopened_rate"]), _rate(c["returned_rate"]), str(c["overdue_open"])]
                                 for c in busy], numeric=(1, 2, 3, 4, 5, 6, 7, 8)))
    foot = [t("brief.dispatch.note", lang)]
    if idle:
        names = t("brief.list_sep", lang).join(pick(c.get("name_zh") or "", c.get("name_en") or "", lang)
                                               or dept(c["department"]) for c in idle)
        foot.insert(0, t("brief.dispatch.idle", lang, names=names))
    sec.blocks.append(Note(t("brief.sentence_sep", lang).join(foot)))
    return [sec]
