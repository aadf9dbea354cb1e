"""What happened on the briefing's day, as plain facts for the 要情摘要 (page 1).

:func:`gather` reads the store; :mod:`briefings.summary` turns the facts into sentences by
rules. The split keeps the rules testable on hand-built facts (a day with a pollution
episode, a quiet day, a day whose data never arrived) without a store.

Every fact is *as of the period's end*: a ticket closed this morning was still overdue at
midnight and counts; a warning raised after midnight does not. A topic whose data is
absent has ``hours == 0`` (or ``None`` values) — the sentence then says so; nothing is
filled in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from citybrain.i18n import pick

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: AQI above this is polluted (HJ 633: 101–150 轻度污染 and worse)
POLLUTED = 100.0
#: TPI from this on is congested (GB/T 33171: 4–6 轻度拥堵 and worse)
CONGESTED_TPI = 4.0
#: a scenic site's 承载率 warning line and stop line (LB/T 034; pages.tourism WARN, STOP)
CROWD_WARN, CROWD_STOP = 0.8, 1.0


@dataclass(frozen=True)
class Peak:
    value: float
    hour: int  # local hour of the day (0–23)
    where: str = ""  # a name ("" = the city)


@dataclass(frozen=True)
class IndexFacts:
    hours: int = 0
    mean: float | None = None
    mean_prev: float | None = None  # the day before
    mean_week: float | None = None  # the same day last week
    end_delta: float | None = None  # day end against 24 h earlier
    movers: tuple[tuple[str, float], ...] = ()  # (part name, contribution change), largest first
    lowest: tuple[str, float] | None = None  # the district with the lowest daily mean


@dataclass(frozen=True)
class Episode:
    """A run of consecutive hours with the city's AQI above :data:`POLLUTED`."""

    start_hour: int
    end_hour: int  # last polluted hour (inclusive)
    peak: float
    peak_hour: int
    category: str  # 轻度污染 / Lightly polluted… of the peak
    primary: str = ""  # PM2.5…


@dataclass(frozen=True)
class AirFacts:
    hours: int = 0
    mean: float | None = None  # daily AQI of the city (HJ 633 day value; hourly mean where none)
    category: str = ""
    episodes: tuple[Episode, ...] = ()
    worst_station: Peak | None = None  # the station with the highest hourly AQI


@dataclass(frozen=True)
class TrafficFacts:
    hours: int = 0
    mean: float | None = None
    peak: Peak | None = None  # the city's busiest hour
    grade: str = ""  # grade of the peak
    congested_hours: int = 0  # hours the city TPI was ≥ 4
    worst_district: Peak | None = None  # the district with the highest hourly TPI
    worst_grade: str = ""  # grade of that district hour


@dataclass(frozen=True)
class SiteEvent:
    """A scenic site that reached its warning line (承载率 ≥ 80 %)."""

    site: str
    hours: int
    peak: float
    peak_hour: int
    stopped: bool  # reached 100 % (停止入园)


@dataclass(frozen=True)
class TourismFacts:
    hours: int = 0
    arrivals: float | None = None
    arrivals_week: float | None = None
    busiest: Peak | None = None  # the highest 承载率 of any site
    events: tuple[SiteEvent, ...] = ()


@dataclass(frozen=True)
class HotlineFacts:
    calls: float | None = None
    calls_prev: float | None = None
    calls_week: float | None = None
    answer_rate: float | None = None
    overdue: int | None = None  # open and past their deadline at the period's end
    overdue_by_district: tuple[tuple[str, int], ...] = ()  # most first


@dataclass(frozen=True)
class WarningFacts:
    known: bool = True  # False: the warnings could not be read
    raised: int = 0
    raised_by_level: tuple[tuple[str, int], ...] = ()  # (level label, n), most severe first
    resolved: int = 0
    open_at_end: int = 0
    open_red_orange: tuple[tuple[str, str, float], ...] = ()  # (title, level label, hours open), longest first
    orders_overdue: int | None = None  # work orders late at the period's end (None: no dispatch data)


@dataclass(frozen=True)
class DayFacts:
    """Everything the summary says, for one local day."""

    day: dt.date
    expected_hours: int = 24  # hours in the local day (23 or 25 on a DST change)
    index: IndexFacts = field(default_factory=IndexFacts)
    air: AirFacts = field(default_factory=AirFacts)
    traffic: TrafficFacts = field(default_factory=TrafficFacts)
    tourism: TourismFacts = field(default_factory=TourismFacts)
    hotline: HotlineFacts = field(default_factory=HotlineFacts)
    warnings: WarningFacts = field(default_factory=WarningFacts)


# ------------------------------------------------------------------ reading the store

def gather(ctx: Any) -> DayFacts:
    """The facts of ``ctx.day`` from the store (``ctx``: :class:`briefings.kinds.BriefContext`)."""
    expected = int(round((ctx.end - ctx.start) / HOUR))
    return DayFacts(day=ctx.day, expected_hours=expected, index=index_facts(ctx), air=air_facts(ctx),
                    traffic=traffic_facts(ctx), tourism=tourism_facts(ctx), hotline=hotline_facts(ctx),
                    warnings=warning_facts(ctx))


def frame(ctx: Any, name: str, grain: str, kind: str, start: dt.datetime, end: dt.datetime,
          scope: str | None = None) -> pd.DataFrame:
    """An indicator's rows in [start, end) with a value (missing hours dropped)."""
    from store.queries.domains import indicator_frame

    df = indicator_frame(ctx.engine, name, grain, kind, start, end, scope)
    return df.dropna(subset=["value"]) if not df.empty else df


def _hour(ctx: Any, ts: Any) -> int:
    return int(pd.Timestamp(ts).tz_convert(ctx.tz).hour)


def _mean(df: pd.DataFrame) -> float | None:
    return float(df["value"].mean()) if not df.empty else None


def _names(ctx: Any, items: Any) -> dict[str, str]:
    return {x.code: pick(x.name_zh, x.name_en, ctx.lang) for x in items}


def index_facts(ctx: Any) -> IndexFacts:
    from components.overview.vital_data import spec_groups, summarise
    from components.overview.vital_panel import sub_label

    a, b = ctx.start, ctx.end
    today = frame(ctx, "vital_signs", "hour", "city", a, b, "")
    if today.empty:
        return IndexFacts()
    before = frame(ctx, "vital_signs", "hour", "city", a - DAY, a, "")
    week = frame(ctx, "vital_signs", "hour", "city", a - 7 * DAY, b - 7 * DAY, "")
    spec = ctx.settings.vital_signs_spec
    labels = {sub.name: sub_label(sub.name, ctx.lang, sub.label) for sub in spec.sub_indices}
    rows = [{"time": r.time, "value": r.value, "detail": r.detail or {}}
            for r in pd.concat([before, today]).itertuples()]
    summary = summarise(rows, spec_groups(spec))
    movers = tuple((labels.get(g, g), float(d)) for g, d in summary.moves if abs(d) >= 0.05)[:3]
    dist = frame(ctx, "vital_signs", "hour", "district", a, b)
    lowest = None
    if not dist.empty:
        m = dist.groupby("scope")["value"].mean().sort_values()
        names = _names(ctx, ctx.settings.districts)
        lowest = (names.get(str(m.index[0]), str(m.index[0])), float(m.iloc[0]))
    return IndexFacts(hours=len(today), mean=_mean(today), mean_prev=_mean(before), mean_week=_mean(week),
                      end_delta=summary.delta if summary.moves else None, movers=movers, lowest=lowest)


def air_facts(ctx: Any) -> AirFacts:
    from metrics.air import aqi_level

    hourly = frame(ctx, "aqi", "hour", "city", ctx.start, ctx.end, "")
    if hourly.empty:
        return AirFacts()
    day = frame(ctx, "aqi", "day", "city", ctx.start, ctx.end, "")
    mean = float(day["value"].iloc[0]) if not day.empty else float(hourly["value"].mean())
    category = aqi_level(mean)[1 if ctx.lang == "zh" else 2]
    episodes: list[Episode] = []
    run: list[Any] = []
    # runs of consecutive polluted hours (a missing hour ends a run: no episode is joined across a gap)
    for r in [*hourly.itertuples(), None]:
        polluted = r is not None and r.value > POLLUTED
        if polluted and run and (r.time - run[-1].time) > HOUR:
            polluted = False
            episodes.append(_episode(ctx, run))
            run = [r]
            continue
        if polluted:
            run.append(r)
        elif run:
            episodes.append(_episode(ctx, run))
            run = []
    worst = None
    stations = frame(ctx, "aqi", "hour", "station", ctx.start, ctx.end)
    if not stations.empty:
        top = stations.loc[stations["value"].idxmax()]
        worst = Peak(float(top["value"]), _hour(ctx, top["time"]),
                     _names(ctx, ctx.settings.stations).get(str(top["scope"]), str(top["scope"])))
    return AirFacts(hours=len(hourly), mean=mean, category=category, episodes=tuple(episodes), worst_station=worst)


def _episode(ctx: Any, run: list[Any]) -> Episode:
    from metrics.air import aqi_level

    top = max(run, key=lambda r: r.value)
    primary = ",".join((top.detail or {}).get("primary") or [])
    return Episode(_hour(ctx, run[0].time), _hour(ctx, run[-1].time), float(top.value), _hour(ctx, top.time),
                   aqi_level(float(top.value))[1 if ctx.lang == "zh" else 2], primary)


def traffic_facts(ctx: Any) -> TrafficFacts:
    from pages.traffic import grade_label

    city = frame(ctx, "tpi", "hour", "city", ctx.start, ctx.end, "")
    if city.empty:
        return TrafficFacts()
    top = city.loc[city["value"].idxmax()]
    dist = frame(ctx, "tpi", "hour", "district", ctx.start, ctx.end)
    worst, worst_grade = None, ""
    if not dist.empty:
        d = dist.loc[dist["value"].idxmax()]
        worst = Peak(float(d["value"]), _hour(ctx, d["time"]),
                     _names(ctx, ctx.settings.districts).get(str(d["scope"]), str(d["scope"])))
        worst_grade = grade_label(d["category"], ctx.lang) if d["category"] else ""
    return TrafficFacts(hours=len(city), mean=_mean(city), peak=Peak(float(top["value"]), _hour(ctx, top["time"])),
                        grade=grade_label(top["category"], ctx.lang) if top["category"] else "",
                        congested_hours=int((city["value"] >= CONGESTED_TPI).sum()), worst_district=worst,
                        worst_grade=worst_grade)


def arrivals(ctx: Any, start: dt.datetime, end: dt.datetime) -> float | None:
    """Entries through the gates of every configured site in [start, end) (None: no gate data)."""
    from store.queries.domains import tourism_obs

    df = tourism_obs(ctx.engine, start, end)
    codes = {s.code for s in ctx.settings.sites}
    df = df[df["site"].isin(codes)] if not df.empty else df
    return float(df["entries"].fillna(0).sum()) if not df.empty else None


def tourism_facts(ctx: Any) -> TourismFacts:
    crowd = frame(ctx, "crowding", "hour", "site", ctx.start, ctx.end)
    if crowd.empty:
        return TourismFacts(arrivals=arrivals(ctx, ctx.start, ctx.end))
    names = _names(ctx, ctx.settings.sites)
    top = crowd.loc[crowd["value"].idxmax()]
    events = []
    for site, rows in crowd.groupby("scope"):
        over = rows[rows["value"] >= CROWD_WARN]
        if over.empty:
            continue
        p = over.loc[over["value"].idxmax()]
        events.append(SiteEvent(names.get(str(site), str(site)), len(over), float(p["value"]), _hour(ctx, p["time"]),
                                bool((over["value"] >= CROWD_STOP).any())))
    events.sort(key=lambda e: (-e.peak, e.site))
    return TourismFacts(hours=int(crowd["time"].nunique()), arrivals=arrivals(ctx, ctx.start, ctx.end),
                        arrivals_week=arrivals(ctx, ctx.start - 7 * DAY, ctx.end - 7 * DAY),
                        busiest=Peak(float(top["value"]), _hour(ctx, top["time"]),
                                     names.get(str(top["scope"]), str(top["scope"]))),
                        events=tuple(events))


def overdue_at(engine: Engine, at: dt.datetime) -> pd.DataFrame | None:
    """12345 tickets open and past their deadline at ``at`` (district, n), or None when the
    store holds no ticket created before ``at`` (nothing to judge)."""
    from store.schema import obs_hotline

    c = obs_hotline.c
    with engine.connect() as conn:
        any_ticket = conn.execute(select(func.count()).select_from(obs_hotline).where(
            c.created_at < at, c.created_at >= at - 2 * DAY)).scalar_one()
        if not any_ticket:
            return None
        rows = conn.execute(select(c.district, func.count()).where(and_(
            c.created_at < at, c.due_at.is_not(None), c.due_at < at,
            c.closed_at.is_(None) | (c.closed_at >= at))).group_by(c.district)).all()
    return pd.DataFrame(rows, columns=["district", "n"])


def hotline_facts(ctx: Any) -> HotlineFacts:
    def day_total(a: dt.datetime, b: dt.datetime) -> float | None:
        df = frame(ctx, "hotline_calls", "day", "city", a, b, "")
        return float(df["value"].sum()) if not df.empty else None

    rate = frame(ctx, "hotline_answer_rate", "day", "city", ctx.start, ctx.end, "")
    over = overdue_at(ctx.engine, ctx.end)
    by_district: tuple[tuple[str, int], ...] = ()
    if over is not None and not over.empty:
        names = _names(ctx, ctx.settings.districts)
        over = over.sort_values(["n", "district"], ascending=[False, True])
        by_district = tuple((names.get(str(d), str(d)), int(n)) for d, n in over.itertuples(index=False))
    return HotlineFacts(calls=day_total(ctx.start, ctx.end), calls_prev=day_total(ctx.start - DAY, ctx.end - DAY),
                        calls_week=day_total(ctx.start - 7 * DAY, ctx.end - 7 * DAY),
                        answer_rate=float(rate["value"].iloc[0]) if not rate.empty else None,
                        overdue=None if over is None else int(over["n"].sum()), overdue_by_district=by_district)


def warning_facts(ctx: Any) -> WarningFacts:
    from alerts.levels import level as level_of
    from components.center.fmt import warning_title
    from store.schema import warnings

    w = warnings.c
    with ctx.engine.connect() as conn:
        raised = conn.execute(select(w.level).where(w.fired_at >= ctx.start, w.fired_at < ctx.end)).scalars().all()
        resolved = conn.execute(select(func.count()).select_from(warnings).where(
            w.resolved_at >= ctx.start, w.resolved_at < ctx.end)).scalar_one()
        still = conn.execute(select(w.title_zh, w.title_en, w.scope_kind, w.scope, w.level, w.fired_at).where(
            w.fired_at < ctx.end, w.resolved_at.is_(None) | (w.resolved_at >= ctx.end))).all()

    def label(name: str) -> tuple[int, str]:
        try:
            lv = level_of(name)
            return lv.rank, pick(lv.zh, lv.en.lower(), ctx.lang)
        except (KeyError, ValueError):
            return 0, name

    counts: dict[str, int] = {}
    for name in raised:
        counts[name] = counts.get(name, 0) + 1
    by_level = tuple((label(n)[1], k) for n, k in sorted(counts.items(), key=lambda kv: -label(kv[0])[0]))
    severe = []
    for r in still:
        if label(r.level)[0] >= 3:
            fired = r.fired_at if r.fired_at.tzinfo else r.fired_at.replace(tzinfo=UTC)
            severe.append((warning_title(r._asdict(), ctx.lang), label(r.level)[1], (ctx.end - fired) / HOUR))
    severe.sort(key=lambda x: -x[2])
    return WarningFacts(raised=len(raised), raised_by_level=by_level, resolved=int(resolved), open_at_end=len(still),
                        open_red_orange=tuple(severe), orders_overdue=orders_overdue(ctx))


def orders_overdue(ctx: Any) -> int | None:
    """Work orders (issue 21) late at the period's end; None when the dispatch loop is not there."""
    try:
        from dispatch.board import overdue_orders
    except ImportError:
        return None
    try:
        return len(overdue_orders(ctx.engine, ctx.end))
    except Exception:  # noqa: BLE001 — a store without the dispatch tables: no order facts, not a failed briefing
        return None
