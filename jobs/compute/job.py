"""The compute job's entry points: :func:`compute` over a range, :func:`after_poll` over
what a poll touched, :func:`clear`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, delete

from citybrain.settings import Settings
from jobs.compute import air, economy, hotline, themes, tourism, traffic, vital_signs
from jobs.compute.step import Step
from jobs.compute.threads import Pipeline
from store import bulk
from store.schema import indicators

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)

Progress = Callable[[str, int, int], None]

#: a recompute writing this many rows refreshes the table's planner statistics itself
ANALYZE_AFTER_ROWS = 100_000
#: local days per compute window of the observation steps (memory stays flat over a year)
WINDOW_DAYS = 7
#: PostgreSQL: windows computed ahead of the one being stored, each in a thread of its own
PIPELINE_DEPTH = 2


@dataclass
class ComputeReport:
    start: dt.datetime
    end: dt.datetime
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def builtin_steps() -> list[Step]:
    """The built-in domains' steps, in the order they run (looked up at each call, so a test
    may replace a domain module's ``compute``)."""
    return [Step("aqi", "environment", air.compute), Step("traffic", "traffic", traffic.compute),
            Step("crowding", "tourism", tourism.compute), Step("hotline", "hotline", hotline.compute),
            # statistics: the whole series each time (a revision moves every later period's growth)
            Step("economy", "economy", economy.compute, by_window=False)]


def compute(settings: Settings, engine: Engine, *, start: dt.datetime, end: dt.datetime,
            domains: Iterable[str] | None = None, now: dt.datetime | None = None,
            progress: Progress | None = None) -> ComputeReport:
    """Recompute every indicator whose period overlaps [start, end), then the index.

    ``domains`` (built-in domains and theme codes; none = all) picks the steps. Ranges are
    widened to whole local days, because daily AQI and the hotline's daily KPIs are
    properties of the day, and a partial recompute would leave a half-day value.
    """
    now = now or dt.datetime.now(UTC)
    tz = settings.tz
    day_start = _local_midnight(start, tz)
    day_end = _local_midnight(end - dt.timedelta(microseconds=1), tz) + DAY
    chosen = set(domains or ())
    report = ComputeReport(day_start, day_end)
    # observation steps run window by window so a year never sits in memory at once; the
    # index runs whole (it carries values forward across hours, so a window edge would change it)
    steps = [s for s in builtin_steps() + themes.steps(settings) if not chosen or s.domain in chosen]
    steps.append(Step("vital_signs", "", vital_signs.compute, by_window=False))
    windows = _windows(day_start, day_end, tz)
    tasks = [(i, functools.partial(step.run, settings, engine, a, b, now)) for i, step in enumerate(steps)
             for a, b in (windows if step.by_window else [(day_start, day_end)])]
    # The index reads what the steps before it wrote: it runs once they are stored.
    last = [t for t in tasks if t[0] == len(steps) - 1]
    announced = -1

    def announce(i: int) -> None:
        nonlocal announced
        if progress and i != announced:
            progress(steps[i].label, i, len(steps))
        announced = i

    depth = PIPELINE_DEPTH if engine.dialect.name == "postgresql" else 0
    with Pipeline(engine, now, depth) as pipeline:
        for i, result in pipeline.run(tasks[:len(tasks) - len(last)], announce):
            for name, rows in result.items():
                report.rows[name] = report.rows.get(name, 0) + pipeline.store(rows)
    for i, task in last:
        announce(i)
        for name, rows in task().items():
            report.rows[name] = report.rows.get(name, 0) + bulk.write_indicators(engine, rows, now)
    if report.total >= ANALYZE_AFTER_ROWS and engine.dialect.name == "postgresql":
        # Fresh planner statistics now, not whenever autovacuum gets round to it: right after
        # a year's recompute the wall's "latest per scope" read took 0.8 s on stale
        # statistics (the wrong index) and 11 ms after ANALYZE (issue 10).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE indicators")
    if progress:
        progress("done", len(steps), len(steps))
    return report


def after_poll(settings: Settings, engine: Engine, touched: dict[str, tuple[dt.datetime, dt.datetime]], *,
               now: dt.datetime | None = None) -> int:
    """Pipeline step: recompute what the data just written touched (idempotent).

    Observation domains recompute the hours and days their new rows fall in. Statistics
    are different: their "time" is a reporting period months back, while what changes is
    today's picture (the latest 同比 feeds today's index) — so a statistics update
    recomputes the series and the last day of the index.
    """
    now = now or dt.datetime.now(UTC)
    total = 0
    observed = {d: r for d, r in touched.items() if d != "economy"}
    if observed:
        start = min(lo for lo, _ in observed.values())
        end = max(hi for _, hi in observed.values()) + dt.timedelta(hours=1)
        total += compute(settings, engine, start=start, end=end, domains=observed.keys(), now=now).total
    if "economy" in touched:
        total += compute(settings, engine, start=now - DAY, end=now, domains=["economy"], now=now).total
    return total


def clear(engine: Engine, *, start: dt.datetime, end: dt.datetime) -> int:
    """Delete computed indicators in [start, end) (before a full recompute)."""
    with engine.begin() as conn:
        return conn.execute(delete(indicators).where(and_(indicators.c.time >= start, indicators.c.time < end))).rowcount


def _windows(start: dt.datetime, end: dt.datetime, tz: Any) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at every ``WINDOW_DAYS``-th local midnight.

    Each observation step groups by UTC hour and by local day, so windows between local
    midnights give the same rows as one pass — provided every cut is also a whole UTC
    hour; in a zone with a half-hour offset the range stays whole.
    """
    first = start.astimezone(tz).date()
    cuts = [start]
    k = WINDOW_DAYS
    while (cut := dt.datetime.combine(first + dt.timedelta(days=k), dt.time(), tzinfo=tz).astimezone(UTC)) < end:
        cuts.append(cut)
        k += WINDOW_DAYS
    cuts.append(end)
    if any(c.minute or c.second or c.microsecond for c in cuts):
        return [(start, end)]
    return list(zip(cuts[:-1], cuts[1:]))


def _local_midnight(t: dt.datetime, tz: Any) -> dt.datetime:
    local = t.astimezone(tz)
    return dt.datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)
