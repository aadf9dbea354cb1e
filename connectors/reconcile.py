"""Reconciliation (对账): what the watermark cannot reach, found by counting (issue 19 item 5).

A poll reads rows whose update stamp is past the watermark (minus the lookback). A row a
department backfills with an old stamp, or with no stamp at all, is never read — neither
stored nor quarantined. So, per source and on a schedule (nightly by default), for the
last ``reconcile_window``:

1. count the source's rows per entity and local day, in the source (one GROUP BY);
2. count the same in the store — stored rows plus rows quarantined for a reason of their
   own (a refused correction is not a missing row);
3. read again, by the time column, every (entity, day) whose counts differ, and write
   what is read as a poll does (upserts never older, quarantine, field issues) — without
   moving the watermark.

A row with a NULL update stamp follows the source's ``null_stamp`` rule: read by its time,
or quarantined saying so. Counting is the check that every database offers; a checksum of
the values is left for later (a changed value under an unchanged count is a correction,
which carries a new stamp and is read by the polls).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Engine, cast, func, select

from citybrain.settings import Settings, Source
from connectors import status as status_rows
from connectors import watermark as wm
from connectors.mapping import Mapper, Rejected, jsonable
from connectors.poll import _data_times, _Progress, _write_batch, known_entities
from connectors.source import Rows, SourceEngines, SourceReader
from store.schema import OBSERVATIONS, quarantine

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
#: per domain: (the entity field or None, the time field) a day's rows are counted by
GROUPS = {"environment": ("station", "time"), "traffic": ("segment", "time"), "tourism": ("site", "time"),
          "hotline": (None, "created_at")}


@dataclass(frozen=True)
class ReconcileReport:
    name: str
    groups: int = 0  # (entity, day) groups compared
    differing: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    touched: tuple[dt.datetime, dt.datetime] | None = None
    detail: str = ""


def reconcile_source(settings: Settings, engine: Engine, source: Source, *, engines: SourceEngines,
                     now: dt.datetime | None = None, record_changes: bool = False) -> ReconcileReport:
    """Reconcile one source over its window; raises what reading or writing raises.

    ``record_changes`` as for ``connectors.poll.poll_source`` (the scheduler's runs).
    """
    now = now or dt.datetime.now(UTC)
    if source.domain not in GROUPS or not source.reconcile_window:
        return ReconcileReport(source.name, detail="not reconciled")
    entity_field, time_field = GROUPS[source.domain]
    tz = ZoneInfo(source.timezone)
    shift = dt.timedelta(hours=1) if source.hour_label == "end" else dt.timedelta(0)
    first_day = (now - source.reconcile_window).astimezone(tz).date()
    last_day = now.astimezone(tz).date()
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    mapper = Mapper(settings, source, known_entities(settings, engine, source.domain))
    with engines.get(source).connect() as sconn:
        reader = SourceReader(source, sconn)
        at_source = _source_counts(reader, source, entity_field, time_field, days)
        at_store = _store_counts(engine, source, entity_field, time_field, days, tz, shift)
        differing = sorted(k for k in set(at_source) | set(at_store) if at_source.get(k, 0) != at_store.get(k, 0))
        progress = _Progress(record_changes=record_changes)
        by_day: dict[dt.date, list[Any]] = {}
        for entity, day in differing:
            if at_source.get((entity, day), 0):  # more in the store than at the source: nothing to read
                by_day.setdefault(day, []).append(entity)
        for day, entities in sorted(by_day.items()):
            rows = _read_day(reader, source, entity_field, time_field, day, entities)
            if rows:
                _write(engine, source, mapper, rows, now, progress)
    touched = (progress.first, progress.last) if progress.first and progress.last else None
    if differing:
        log.info("%s: reconciliation of %d (entity, day) groups: %d differed, %d rows read again, %d written, "
                 "%d quarantined", source.name, len(set(at_source) | set(at_store)), len(differing), progress.read,
                 progress.written, progress.quarantined)
    return ReconcileReport(source.name, len(set(at_source) | set(at_store)), len(differing), progress.read,
                           progress.written, progress.quarantined, touched)


def reconcile(settings: Settings, engine: Engine, names: list[str] | None = None, *,
              now: dt.datetime | None = None) -> list[ReconcileReport]:
    """Reconcile the named sources (all enabled ones by default), one after the other."""
    chosen = [s for s in settings.sources if s.enabled and (names is None or s.name in names)]
    with SourceEngines() as engines:
        return [reconcile_source(settings, engine, s, engines=engines, now=now) for s in chosen]


# ------------------------------------------------------------------------------ counting

def _column(reader: SourceReader, source: Source, field: str) -> Any:
    return reader.relation.c[reader.names[source.columns[field]]]


def _day_of(col: Any, reader: SourceReader) -> Any:
    """The local calendar day of a naive local time column, as the source's SQL spells it."""
    if reader.dialect == "sqlite":
        return func.substr(col, 1, 10)  # 'YYYY-MM-DD HH:MM:SS' text
    return cast(col, Date)  # PostgreSQL, MariaDB/MySQL: a timestamp, or ISO text


def _bounds(reader: SourceReader, source: Source, time_field: str, lo: dt.date, hi: dt.date) -> tuple[Any, Any]:
    textual = reader.names[source.columns[time_field]] in reader.textual or reader.dialect == "sqlite"
    a, b = (f"{d.isoformat()} 00:00:00" for d in (lo, hi))
    return (a, b) if textual else (dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time()))


def _source_counts(reader: SourceReader, source: Source, entity_field: str | None, time_field: str,
                   days: list[dt.date]) -> Counter[tuple[str, dt.date]]:
    when = _column(reader, source, time_field)
    day = _day_of(when, reader)
    ent = _column(reader, source, entity_field) if entity_field else None
    lo, hi = _bounds(reader, source, time_field, days[0], days[-1] + dt.timedelta(days=1))
    keys = [ent, day] if ent is not None else [day]
    stmt = select(*keys, func.count()).where(when >= lo, when < hi).group_by(*keys)
    out: Counter[tuple[str, dt.date]] = Counter()
    for row in reader.conn.execute(stmt):
        *parts, n = row
        entity = str(parts[0]).strip() if ent is not None else ""
        try:
            d = dt.date.fromisoformat(str(parts[-1])[:10])
        except ValueError:
            continue  # an unreadable time: the polls quarantine it
        out[entity, d] += n
    return out


def _store_counts(engine: Engine, source: Source, entity_field: str | None, time_field: str, days: list[dt.date],
                  tz: ZoneInfo, shift: dt.timedelta) -> Counter[tuple[str, dt.date]]:
    """Rows of the source in the store per (entity, source-local day), plus the rows it
    quarantined for a fault of their own (they are accounted for, not missing)."""
    table = OBSERVATIONS[source.domain]
    when = table.c[time_field]
    lo = dt.datetime.combine(days[0], dt.time(), tzinfo=tz).astimezone(UTC) - shift - dt.timedelta(hours=1)
    hi = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(UTC) + dt.timedelta(hours=1)
    wanted = set(days)
    out: Counter[tuple[str, dt.date]] = Counter()
    cols = [table.c[entity_field], when] if entity_field else [when]
    with engine.connect() as conn:
        for row in conn.execute(select(*cols).where(table.c.source == source.name, when >= lo, when < hi)):
            t = row[-1] if row[-1].tzinfo else row[-1].replace(tzinfo=UTC)
            d = (t + shift).astimezone(tz).date()
            if d in wanted:
                out[row[0] if entity_field else "", d] += 1
        held = conn.execute(select(quarantine.c.row, quarantine.c.reason).where(quarantine.c.source == source.name,
                                                                               quarantine.c.received_at >= lo))
        e_col = source.columns.get(entity_field) if entity_field else None
        t_col = source.columns[time_field]
        for row, reason in held:
            if reason.startswith("refused correction") or not isinstance(row, dict):
                continue
            try:
                d = dt.date.fromisoformat(str(row.get(t_col))[:10])
            except ValueError:
                continue
            if d in wanted:
                out[str(row.get(e_col)).strip() if e_col else "", d] += 1
    return out


def _read_day(reader: SourceReader, source: Source, entity_field: str | None, time_field: str, day: dt.date,
              entities: list[str]) -> Rows:
    when = _column(reader, source, time_field)
    lo, hi = _bounds(reader, source, time_field, day, day + dt.timedelta(days=1))
    stmt = select(*reader.relation.c).where(when >= lo, when < hi)
    if entity_field:
        stmt = stmt.where(_column(reader, source, entity_field).in_(entities))
    return reader._rows(stmt)


def _write(engine: Engine, source: Source, mapper: Mapper, rows: Rows, now: dt.datetime, progress: _Progress) -> None:
    """Map and write re-read rows as a poll does, the watermark untouched; NULL stamps by rule."""
    stamp = source.watermark_column
    unstamped = [i for i, r in enumerate(rows.column(stamp)) if r is None]
    rejected: list[Rejected] = []
    if unstamped and source.null_stamp == "quarantine":
        for i in unstamped:
            raw = rows[i]
            rejected.append(Rejected(f"the update stamp ({stamp}) is NULL, so no poll reads this row; the source's "
                                     "null_stamp = \"quarantine\" (set \"time\" to read such rows by their time)",
                                     "updated_at", mapper._raw_key(raw), jsonable(raw)))
        drop = set(unstamped)
        rows = rows.take(i for i in range(len(rows)) if i not in drop)
    batch = mapper.map_batch(rows, now)
    batch.rejected[:0] = rejected
    times = _data_times(batch, source, mapper.tz)
    _write_batch(engine, source, batch, len(rows) + len(rejected), times, None, now, progress)
