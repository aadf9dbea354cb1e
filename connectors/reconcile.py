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

Beside the count, the source database computes a cheap checksum of each group's values
in the same GROUP BY (PostgreSQL: the sum of ``hashtextextended`` of the row's columns as
text; MariaDB/MySQL: the sum of their ``CRC32``; SQLite, which has no hash function: a
weighted sum over the columns' numeric values and lengths). The checksum of each group
is kept in ``reconcile_sums``; a group whose count agrees but whose checksum is not the
one seen the night before has changed at the source without a poll being told (a value
corrected under its old stamp) and is read again too. A group seen for the first time is
judged by its count alone, and so is a day that had not ended when its checksum was
taken (its rows were still arriving). The update stamp is left out of the checksum: a row
re-stamped is the polls' to read.

Statistics (economy) are reconciled per (indicator, period) over the whole table — a
statistics table is small, and a revision may concern any period.

A row with a NULL update stamp follows the source's ``null_stamp`` rule (declared per
source, ``"time"`` by default): read by its time, or quarantined saying so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Engine, Float, String, Text, cast, delete, func, literal_column, select

from citybrain.settings import Settings, Source
from connectors import status as status_rows
from connectors import watermark as wm
from connectors.mapping import Mapper, Rejected, jsonable
from connectors.poll import _data_times, _Progress, _write_batch, known_entities
from connectors.source import Rows, SourceEngines, SourceReader
from connectors.periods import parse_period
from store.schema import OBSERVATIONS, obs_economy_revisions, quarantine, reconcile_sums
from store.upsert import insert_for

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
#: per domain: (the entity field or None, the time field) a day's rows are counted by
GROUPS = {"environment": ("station", "time"), "traffic": ("segment", "time"), "tourism": ("site", "time"),
          "hotline": (None, "created_at"), "economy": ("indicator", "period")}
#: a group: (entity, local day as ISO text or the statistic's period)
Group = tuple[str, str]


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
    #: of the differing groups, those whose count agreed but whose checksum changed at the source
    changed: int = 0


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
    economy = source.domain == "economy"
    with engines.get(source).connect() as sconn:
        reader = SourceReader(source, sconn)
        if economy:
            at_source, sums, raw_periods = _source_periods(reader, source)
            at_store = _store_periods(engine, source)
        else:
            at_source, sums = _source_counts(reader, source, entity_field, time_field, days)
            at_store = _store_counts(engine, source, entity_field, time_field, days, tz, shift)
        seen = _seen_sums(engine, source.name, tz, economy)
        groups = set(at_source) | set(at_store)
        differing = sorted(k for k in groups if at_source.get(k, 0) != at_store.get(k, 0))
        changed = sorted(k for k in groups - set(differing)
                         if sums.get(k) is not None and seen.get(k) is not None and sums[k] != seen[k])
        progress = _Progress(record_changes=record_changes)
        by_group: dict[str, list[Any]] = {}
        for entity, group in [*differing, *changed]:
            if at_source.get((entity, group), 0):  # more in the store than at the source: nothing to read
                by_group.setdefault(group, []).append(entity)
        for group, entities in sorted(by_group.items()):
            if economy:
                rows = _read_periods(reader, source, raw_periods[group], entities)
            else:
                rows = _read_day(reader, source, entity_field, time_field, dt.date.fromisoformat(group), entities)
            if rows:
                _write(engine, source, mapper, rows, now, progress)
        _keep_sums(engine, source.name, at_source, sums, now)
    touched = (progress.first, progress.last) if progress.first and progress.last else None
    if differing or changed:
        log.info("%s: reconciliation of %d (entity, day) groups: %d differed in count, %d in checksum, %d rows read "
                 "again, %d written, %d quarantined", source.name, len(groups), len(differing), len(changed),
                 progress.read, progress.written, progress.quarantined)
    return ReconcileReport(source.name, len(groups), len(differing) + len(changed), progress.read,
                           progress.written, progress.quarantined, touched, changed=len(changed))


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


def _checksum(reader: SourceReader, source: Source) -> Any:
    """The source database's cheap checksum of a group's rows: every mapped column but the
    update stamp, as that database can hash them (module docstring)."""
    stamp = source.watermark_column
    cols = [reader.relation.c[reader.names[c]] for f, c in source.columns.items()
            if f != "updated_at" and c != stamp]
    if reader.dialect == "postgresql":
        text_of = [func.coalesce(cast(c, Text), "~") for c in cols]
        return func.sum(func.hashtextextended(func.concat_ws("|", *text_of), literal_column("0")))
    if reader.dialect in ("mysql", "mariadb"):
        text_of = [func.coalesce(cast(c, String), "~") for c in cols]
        return func.sum(func.crc32(func.concat_ws("|", *text_of)))
    # SQLite: no hash function — each column's number and length, weighted by its place
    terms = [(j + 1) * (func.coalesce(cast(c, Float), 0) + func.length(func.coalesce(cast(c, Text), "")))
             for j, c in enumerate(cols)]
    return func.total(sum(terms[1:], terms[0]))


def _sum_text(value: Any, dialect: str) -> str | None:
    if value is None:
        return None
    return f"{float(value):.6g}" if dialect == "sqlite" else str(int(value))


def _source_counts(reader: SourceReader, source: Source, entity_field: str | None, time_field: str,
                   days: list[dt.date]) -> tuple[Counter[Group], dict[Group, str | None]]:
    when = _column(reader, source, time_field)
    day = _day_of(when, reader)
    ent = _column(reader, source, entity_field) if entity_field else None
    lo, hi = _bounds(reader, source, time_field, days[0], days[-1] + dt.timedelta(days=1))
    keys = [ent, day] if ent is not None else [day]
    stmt = select(*keys, func.count(), _checksum(reader, source)).where(when >= lo, when < hi).group_by(*keys)
    out: Counter[Group] = Counter()
    sums: dict[Group, str | None] = {}
    for row in reader.conn.execute(stmt):
        *parts, n, checksum = row
        entity = str(parts[0]).strip() if ent is not None else ""
        try:
            d = dt.date.fromisoformat(str(parts[-1])[:10]).isoformat()
        except ValueError:
            continue  # an unreadable time: the polls quarantine it
        out[entity, d] += n
        sums[entity, d] = _sum_text(checksum, reader.dialect) if (entity, d) not in sums else None  # two spellings
    return out, sums


def _source_periods(reader: SourceReader, source: Source
                    ) -> tuple[Counter[Group], dict[Group, str | None], dict[str, set[Any]]]:
    """Rows and checksum per (indicator, period) of a statistics table, and the period's
    spellings at the source (a period is compared as the mapper reads it: 2026-10, 2026-Q3)."""
    ind, per = _column(reader, source, "indicator"), _column(reader, source, "period")
    stmt = select(ind, per, func.count(), _checksum(reader, source)).group_by(ind, per)
    out: Counter[Group] = Counter()
    sums: dict[Group, str | None] = {}
    raw: dict[str, set[Any]] = {}
    for code, period, n, checksum in reader.conn.execute(stmt):
        try:
            p = parse_period(period).period
        except Exception:  # noqa: BLE001 — an unreadable period: the polls quarantine it
            continue
        key = (str(code).strip(), p)
        out[key] += n
        sums[key] = _sum_text(checksum, reader.dialect) if key not in sums else None
        raw.setdefault(p, set()).add(period)
    return out, sums, raw


def _store_periods(engine: Engine, source: Source) -> Counter[Group]:
    """Revisions of the source in the store per (indicator, period), plus its own quarantine."""
    r = obs_economy_revisions.c
    out: Counter[Group] = Counter()
    with engine.connect() as conn:
        for code, period, n in conn.execute(select(r.indicator, r.period, func.count()).where(
                r.source == source.name).group_by(r.indicator, r.period)):
            out[code, period] += n
        held = conn.execute(select(quarantine.c.row, quarantine.c.reason).where(quarantine.c.source == source.name))
        for row, reason in held:
            if reason.startswith("refused correction") or not isinstance(row, dict):
                continue
            try:
                p = parse_period(row.get(source.columns["period"])).period
            except Exception:  # noqa: BLE001
                continue
            out[str(row.get(source.columns["indicator"])).strip(), p] += 1
    return out


def _seen_sums(engine: Engine, name: str, tz: ZoneInfo, economy: bool) -> dict[Group, str | None]:
    """The checksums kept for comparison: a day's only when the day had ended when it was
    taken — a day still being written is checksummed again without comparing (its new rows,
    read by the polls, change it), so a night re-reads what changed, not all of yesterday."""
    c = reconcile_sums.c
    with engine.connect() as conn:
        kept = conn.execute(select(c.entity, c.grp, c.checksum, c.checked_at).where(c.source == name)).all()
    out: dict[Group, str | None] = {}
    for e, g, x, at in kept:
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if economy or dt.date.fromisoformat(g) < at.astimezone(tz).date():
            out[e, g] = x
    return out


def _keep_sums(engine: Engine, name: str, counts: Counter[Group], sums: dict[Group, str | None],
               now: dt.datetime) -> None:
    """What the source holds now, for the next night's comparison (groups out of the window go)."""
    rows = [{"source": name, "entity": e[:200], "grp": g, "n": n, "checksum": sums.get((e, g)), "checked_at": now}
            for (e, g), n in counts.items()]
    with engine.begin() as conn:
        conn.execute(delete(reconcile_sums).where(reconcile_sums.c.source == name))
        for i in range(0, len(rows), 1000):
            conn.execute(insert_for(conn, reconcile_sums).on_conflict_do_nothing(
                index_elements=["source", "entity", "grp"]), rows[i:i + 1000])


def _store_counts(engine: Engine, source: Source, entity_field: str | None, time_field: str, days: list[dt.date],
                  tz: ZoneInfo, shift: dt.timedelta) -> Counter[Group]:
    """Rows of the source in the store per (entity, source-local day), plus the rows it
    quarantined for a fault of their own (they are accounted for, not missing)."""
    table = OBSERVATIONS[source.domain]
    when = table.c[time_field]
    lo = dt.datetime.combine(days[0], dt.time(), tzinfo=tz).astimezone(UTC) - shift - dt.timedelta(hours=1)
    hi = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(UTC) + dt.timedelta(hours=1)
    wanted = set(days)
    out: Counter[Group] = Counter()
    cols = [table.c[entity_field], when] if entity_field else [when]
    with engine.connect() as conn:
        for row in conn.execute(select(*cols).where(table.c.source == source.name, when >= lo, when < hi)):
            t = row[-1] if row[-1].tzinfo else row[-1].replace(tzinfo=UTC)
            d = (t + shift).astimezone(tz).date()
            if d in wanted:
                out[row[0] if entity_field else "", d.isoformat()] += 1
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
                out[str(row.get(e_col)).strip() if e_col else "", d.isoformat()] += 1
    return out


def _read_day(reader: SourceReader, source: Source, entity_field: str | None, time_field: str, day: dt.date,
              entities: list[str]) -> Rows:
    when = _column(reader, source, time_field)
    lo, hi = _bounds(reader, source, time_field, day, day + dt.timedelta(days=1))
    stmt = select(*reader.relation.c).where(when >= lo, when < hi)
    if entity_field:
        stmt = stmt.where(_column(reader, source, entity_field).in_(entities))
    return reader._rows(stmt)


def _read_periods(reader: SourceReader, source: Source, spellings: set[Any], indicators: list[str]) -> Rows:
    stmt = select(*reader.relation.c).where(_column(reader, source, "period").in_(sorted(spellings, key=str)),
                                            _column(reader, source, "indicator").in_(indicators))
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
