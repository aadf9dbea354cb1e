"""Retention: rows older than ``settings.retention.<kind>`` days go; 0 keeps them forever.

One job for every table that grows without bound. It runs daily from the scheduler
(``store_maintenance`` in ``jobs.pipeline.PERIODIC_STEPS``, recorded by the scheduler
under that name) and on demand (``citybrain db retention``, recorded as ``retention``);
either ``job_runs`` row's ``rows`` is the number of rows removed.

On PostgreSQL the partitioned observation tables lose whole months first — DETACH and
DROP of every monthly partition that ends before the cutoff, instant however many rows
it holds — and only the rows of the month straddling the cutoff (and any in the default
partition) are deleted row by row. Row deletes go in day-sized transactions so no single
transaction holds locks or bloats the WAL for long.

Deliberately not expired: statistics (``obs_economy*``: 同比 over five years needs them),
monthly and quarterly indicators (small, and the economy page's history), warnings and
their events (the record of what the city was told), briefings (their own setting, #8).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, delete, func, select

from citybrain.settings import Settings
from jobs.runs import recorded
from store import partitions
from store.schema import (
    audit_log,
    field_issues,
    indicators,
    job_runs,
    obs_air,
    obs_hotline,
    obs_tourism,
    obs_traffic,
    quarantine,
    rollup_daily,
    rollup_hourly,
    theme_obs,
    wall_heartbeats,
)

log = logging.getLogger(__name__)
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Rule:
    """``table``'s rows whose ``column`` is older than ``settings.retention.<kind>`` days expire."""

    kind: str
    table: Table
    column: str
    only: Any = None  # an extra condition on the rows that may expire

    def condition(self, cutoff: dt.datetime) -> list[Any]:
        cond = [self.table.c[self.column] < cutoff]
        return cond if self.only is None else [*cond, self.only]


RULES: tuple[Rule, ...] = (
    Rule("observations", obs_air, "time"),
    Rule("observations", obs_traffic, "time"),
    Rule("observations", obs_tourism, "time"),
    Rule("observations", obs_hotline, "created_at"),
    Rule("observations", theme_obs, "time"),
    Rule("hourly_rollups", rollup_hourly, "time"),
    Rule("daily_rollups", rollup_daily, "time"),
    Rule("indicators", indicators, "time", indicators.c.grain.in_(("hour", "day"))),
    Rule("quarantine", quarantine, "received_at"),
    Rule("quarantine", field_issues, "received_at"),  # a field's problem is kept as long as a row's
    Rule("job_runs", job_runs, "started_at", job_runs.c.status != "running"),
    Rule("wall_heartbeats", wall_heartbeats, "last_seen"),
    Rule("audit_log", audit_log, "at"),
)


def cutoff_for(settings: Settings, kind: str, now: dt.datetime) -> dt.datetime | None:
    """The instant before which ``kind``'s rows expire, or None when kept forever (0 days)."""
    days = getattr(settings.retention, kind)
    return None if days == 0 else now - dt.timedelta(days=days)


def apply(settings: Settings, engine: Engine, *, now: dt.datetime | None = None,
          step: dt.timedelta = dt.timedelta(days=1)) -> dict[str, int]:
    """Expire old rows in every table of :data:`RULES`; returns rows removed per table."""
    now = now or dt.datetime.now(UTC)
    counts: dict[str, int] = {}
    for rule in RULES:
        cutoff = cutoff_for(settings, rule.kind, now)
        if cutoff is None:
            continue
        name = rule.table.name
        removed = 0
        if name in partitions.PARTITIONED and engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                dropped = partitions.drop_before(conn, name, cutoff)
            removed += sum(dropped.values())
            if dropped:
                log.info("retention: %s partitions dropped: %s", name, ", ".join(sorted(dropped)))
        removed += _delete_in_steps(engine, rule, cutoff, step)
        counts[name] = counts.get(name, 0) + removed
    return counts


def _delete_in_steps(engine: Engine, rule: Rule, cutoff: dt.datetime, step: dt.timedelta) -> int:
    col = rule.table.c[rule.column]
    with engine.connect() as conn:
        oldest = conn.execute(select(func.min(col)).where(*rule.condition(cutoff))).scalar()
    if oldest is None:
        return 0
    oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest
    removed, upper = 0, oldest
    while upper < cutoff:
        upper = min(upper + step, cutoff)
        with engine.begin() as conn:
            removed += conn.execute(delete(rule.table).where(col < upper, *rule.condition(cutoff))).rowcount or 0
    return removed


def run(settings: Settings, engine: Engine, *, now: dt.datetime | None = None) -> dict[str, int]:
    """One recorded retention run (``job_runs.job = 'retention'``, ``rows`` = rows removed)."""
    with recorded(engine, "retention") as rec:
        counts = apply(settings, engine, now=now)
        rec.rows = sum(counts.values())
    if rec.rows:
        log.info("retention removed %d rows: %s", rec.rows, ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return counts


def store_maintenance(settings: Settings, engine: Engine, _touched: Any = None, *,
                      now: dt.datetime | None = None) -> int:
    """The scheduler's daily step: partitions ahead (PostgreSQL), rollups caught up, retention.

    Partitions come first so next month's exist long before the first write into them;
    rollups are caught up before retention so no raw row expires before it was rolled up.
    The scheduler records the step as one run (``store_maintenance``) whose ``rows`` is
    what retention removed; the partitions created and rollup rows written are logged.
    """
    from store.rollups import catch_up

    now = now or dt.datetime.now(UTC)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            created = partitions.ensure_partitions(conn, now)
        if created:
            log.info("partitions created: %s", ", ".join(created))
    rolled = catch_up(engine, settings.tz)
    if rolled:
        log.info("rollups caught up: %d rows", rolled)
    counts = apply(settings, engine, now=now)
    removed = sum(counts.values())
    if removed:
        log.info("retention removed %d rows: %s", removed, ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return removed
