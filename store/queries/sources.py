"""The sources' state, as the home and data-sources pages show it.

Besides the per-source overview: quarantined rows (counts and samples with reasons),
the scheduler's job runs and the walls' last heartbeats — what the city IT staff need
to see at once which source is late or broken, and why.

Each returns plain data (dicts, frames); the figure builders and components turn that
into pictures. Memoized where the data's cadence allows (``citybrain.cache``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, select

from citybrain.settings import Settings
from store.schema import field_issues, job_runs, quarantine, source_status, wall_heartbeats

UTC = dt.timezone.utc
RUN_STATUSES = ("running", "ok", "failed", "abandoned")


def source_overview(engine: Engine, settings: Settings, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every configured source with its last known status, age and counts.

    A source that was never polled still appears (status ``never``): the IT engineer
    must see what is configured, not only what has reported.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    with engine.connect() as conn:
        stored = {r.name: r._asdict() for r in conn.execute(select(source_status))}
    rows = []
    for src in settings.sources:
        st = stored.get(src.name, {})
        data_time = _aware(st.get("data_time"))
        age = (now - data_time).total_seconds() if data_time else None
        max_age = (src.max_age or settings.max_age(src.domain)).total_seconds()
        status = st.get("status") or ("disabled" if not src.enabled else "never")
        theme = settings.theme(src.domain)  # issue 20: a theme's source is named by its theme
        rows.append({
            "domain_zh": theme.name_zh if theme else None, "domain_en": theme.name_en if theme else None,
            "name": src.name, "domain": src.domain, "owner_zh": src.owner_zh, "owner_en": src.owner_en,
            "status": status, "last_success": _aware(st.get("last_success")), "data_time": data_time,
            "age_seconds": age, "stale": age is None or age > max_age,
            "rows_written_total": st.get("rows_written_total") or 0,
            "rows_quarantined_total": st.get("rows_quarantined_total") or 0,
            "last_error": st.get("last_error"), "last_attempt": _aware(st.get("last_attempt")),
            "lag_seconds": st.get("lag_seconds"), "consecutive_failures": st.get("consecutive_failures") or 0,
            "max_age_seconds": max_age,
        })
    return rows


def table_counts(engine: Engine, tables: list[Any]) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def quarantine_counts(engine: Engine) -> dict[str, int]:
    """Quarantined rows held per source (what is in the table now, not the poll totals)."""
    with engine.connect() as conn:
        rows = conn.execute(select(quarantine.c.source, func.count().label("n")).group_by(quarantine.c.source)).all()
    return {r.source: r.n for r in rows}


def field_issue_counts(engine: Engine, *, source: str | None = None) -> list[dict[str, Any]]:
    """Unusable fields of stored rows per source, field and rule (issue 19).

    Each row: ``source``, ``field``, ``rule``, ``n`` (stored rows with that field NULL for
    that reason), ``last_received`` and ``value`` (one value as received, for the owner
    department to recognise). Ordered by source, then most frequent first.
    """
    c = field_issues.c
    q = select(c.source, c.field, c.rule, func.count().label("n"), func.max(c.received_at).label("last_received"),
               func.max(c.value).label("value")).group_by(c.source, c.field, c.rule)
    if source:
        q = q.where(c.source == source)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["last_received"] = _aware(r["last_received"])
    rows.sort(key=lambda r: (r["source"], -r["n"], r["field"], r["rule"]))
    return rows


def field_issue_samples(engine: Engine, *, source: str | None = None, field: str | None = None,
                        limit: int = 50) -> list[dict[str, Any]]:
    """The newest field issues (optionally of one source and field): row key, field, value, rule, reason."""
    c = field_issues.c
    q = select(c.source, c.row_key, c.field, c.time, c.rule, c.value, c.reason, c.received_at)
    if source:
        q = q.where(c.source == source)
    if field:
        q = q.where(c.field == field)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(c.received_at.desc(), c.time.desc()).limit(limit))]
    for r in rows:
        r["received_at"], r["time"] = _aware(r["received_at"]), _aware(r["time"])
    return rows


def quarantine_samples(engine: Engine, *, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest quarantined rows (optionally of one source): key, field, reason, values as received."""
    q = select(quarantine.c.id, quarantine.c.source, quarantine.c.domain, quarantine.c.received_at,
               quarantine.c.row_key, quarantine.c.field, quarantine.c.reason, quarantine.c.row)
    if source:
        q = q.where(quarantine.c.source == source)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(quarantine.c.received_at.desc(),
                                                                   quarantine.c.id.desc()).limit(limit))]
    for r in rows:
        r["received_at"] = _aware(r["received_at"])
    return rows


def recent_job_runs(engine: Engine, *, source: str | None = None, status: str | None = None,
                    limit: int = 50) -> list[dict[str, Any]]:
    """The scheduler's newest runs; ``source`` keeps that source's poll job (``poll:<name>``)."""
    q = select(job_runs)
    if source:
        q = q.where(job_runs.c.job == f"poll:{source}")
    if status in RUN_STATUSES:
        q = q.where(job_runs.c.status == status)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(job_runs.c.started_at.desc(),
                                                                   job_runs.c.id.desc()).limit(limit))]
    for r in rows:
        r["started_at"], r["finished_at"] = _aware(r["started_at"]), _aware(r["finished_at"])
        done = r["finished_at"]
        r["duration_seconds"] = (done - r["started_at"]).total_seconds() if done and r["started_at"] else None
    return rows


def wall_heartbeat_list(engine: Engine, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every wall's last check-in, newest first, with its age in seconds."""
    now = now or dt.datetime.now(UTC)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(wall_heartbeats)
                                                        .order_by(wall_heartbeats.c.last_seen.desc()))]
    for r in rows:
        r["last_seen"] = _aware(r["last_seen"])
        r["age_seconds"] = (now - r["last_seen"]).total_seconds()
    return rows


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    """UTC-aware (SQLite and MariaDB hand back naive UTC; STACK.md)."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
