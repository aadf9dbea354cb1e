"""Writing canonical rows: upserts on the shape's key, and the quarantine.

Re-reading a source inside its lookback must change nothing, and an updated record
(a hotline ticket closed, a statistic revised) must replace its earlier version — both
are an ``INSERT … ON CONFLICT (key) DO UPDATE``. The update only applies when the
incoming version is not older than the stored one (source update time, and for
statistics the revision number), so a late re-read of an old version never wins.

Backfills are millions of rows, so on a PostgreSQL store a large batch is not sent as
multi-row ``INSERT … VALUES`` (16.5 K rows/s measured, issue 10: most of it is building
and parsing the statement) but COPYed into a session-local staging table and merged with
one ``INSERT … SELECT … ON CONFLICT`` carrying the same "never older" guard. The staging
table is created ``LIKE`` the target's columns only, so it works the same whether the
target is a plain or a partitioned table. SQLite stores keep the upsert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, and_, bindparam, column, literal, or_, select, table as lightweight_table
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from connectors.fields import KEYS
from connectors.mapping import Batch, FieldIssue, Rejected, key_text
from store.schema import (OBSERVATIONS, field_issues, obs_economy, obs_economy_revisions, obs_hotline,
                          observation_table, quarantine)
from store.types import UTCDateTime
from store.upsert import insert_for
from store.upsert import upsert as store_upsert

_REVISION_COLUMNS = [c.name for c in obs_economy_revisions.columns]
#: below this many rows a plain upsert is cheaper than creating/filling a staging table:
#: measured on obs_traffic (issue 10), COPY+merge is as fast as the multi-row upsert at 100
#: rows and 2-3x faster from 300 (1,000 rows: 35 vs 100 ms)
COPY_MIN_ROWS = 200
#: types whose binary COPY form psycopg writes from the mapper's Python values
#: (bool, int8, int2, int4, text, float4, float8, varchar, date, timestamp, timestamptz, json, jsonb)
_BINARY_OIDS = frozenset({16, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1184, 114, 3802})
_JSON_OIDS = frozenset({114, 3802})
_UTC = timezone.utc


def _newer(table: Table, excluded: Any) -> Any:
    """The stored row is replaced unless it is known to be newer than the incoming one."""
    mine, theirs = table.c.source_updated_at, excluded.source_updated_at
    by_time = or_(mine.is_(None), theirs.is_(None), theirs >= mine)
    if "revision" in table.c and table is not obs_economy_revisions:
        return or_(excluded.revision > table.c.revision, and_(excluded.revision == table.c.revision, by_time))
    return by_time


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], chunk: int = 2000,
           copy_min_rows: int = COPY_MIN_ROWS) -> int:
    """Insert or replace ``rows`` in ``table`` on its primary key, never with an older version."""
    if conn.dialect.name == "postgresql" and len(rows) >= copy_min_rows:
        return copy_upsert(conn, table, rows, where=lambda excluded: _newer(table, excluded))
    return store_upsert(conn, table, rows, where=lambda excluded: _newer(table, excluded), chunk=chunk)


def copy_upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                where: Callable[[Any], Any] | None = None) -> int:
    """PostgreSQL only: COPY ``rows`` into a staging table, then one upsert on the key.

    Same result as ``store.upsert.upsert`` with the same ``where(excluded)`` guard (naive
    datetimes refused, ``None`` in a JSON column stored as JSON ``null`` as SQLAlchemy
    does) at COPY speed. Every row must carry the same columns, as a mapped batch does,
    and no key twice (one ``INSERT … ON CONFLICT`` may not touch a row twice).
    """
    if not rows:
        return 0
    names = [c.name for c in table.columns if c.name in rows[0]]
    values = list(map(itemgetter(*names), rows)) if len(names) > 1 else [(r[names[0]],) for r in rows]
    return copy_tuples(conn, table, names, values, where=where)


def copy_tuples(conn: Connection, table: Table, names: Sequence[str], values: list[tuple[Any, ...]], *,
                where: Callable[[Any], Any] | None = None, direct: bool = False) -> int:
    """``copy_upsert`` of rows given as the column ``names`` and one tuple per row.

    ``direct``: when the store holds no row in the batch's span of the key's time column,
    no row can conflict, so the batch is COPYed straight into ``table`` (no staging, no
    merge: the backfill's case, issue 10) — inside a savepoint, and should another writer
    have stored one of the keys meanwhile, rolled back to it and merged as usual.
    """
    if not values:
        return 0
    columns = [table.c[n] for n in names]
    stage, types = _staging(conn, table)
    for i, column in enumerate(columns):
        if isinstance(column.type, UTCDateTime):
            _refuse_naive(column.name, [v[i] for v in values])
    span = _key_time_span(table, names, values) if direct else None
    if span is not None and conn.execute(select(literal(1)).select_from(table).where(
            span[0].between(span[1], span[2])).limit(1)).first() is None:
        from psycopg import errors  # PostgreSQL stores only

        try:
            with conn.begin_nested():
                _copy_in(conn, conn.dialect.identifier_preparer.format_table(table), names, values, types)
            return len(values)
        except errors.UniqueViolation:
            pass  # the savepoint undid the partial COPY: merge instead
    _copy_in(conn, stage.name, names, values, types)
    keys = [c.name for c in table.primary_key.columns]
    stmt = postgresql.insert(table).from_select(names, select(*[stage.c[n] for n in names]).select_from(stage))
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={n: stmt.excluded[n] for n in names if n not in keys},
        where=where(stmt.excluded) if where is not None else None)
    conn.execute(stmt)
    conn.exec_driver_sql(f"TRUNCATE {stage.name}")
    return len(values)


def _copy_in(conn: Connection, target: str, names: Sequence[str], values: list[tuple[Any, ...]],
             types: dict[str, int]) -> None:
    for i, name in enumerate(names):
        if types[name] in _JSON_OIDS:
            from psycopg.types.json import Json, Jsonb  # PostgreSQL stores only

            wrap = Jsonb if types[name] == 3802 else Json
            values = [(*v[:i], wrap(v[i]), *v[i + 1:]) for v in values]
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(n) for n in names)
    # binary COPY: ~8x faster than text for timestamps (no formatting/parsing of each)
    binary = all(types[n] in _BINARY_OIDS for n in names)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")) as copy:
            if binary:
                copy.set_types([types[n] for n in names])
            for row in values:
                copy.write_row(row)


def _key_time_span(table: Table, names: Sequence[str], values: list[tuple[Any, ...]]) -> tuple[Any, Any, Any] | None:
    """The key's time column and the batch's earliest and latest value in it (None when the
    key has no time column: then every key could already be stored)."""
    for c in table.primary_key.columns:
        if isinstance(c.type, UTCDateTime) and c.name in names:
            j = list(names).index(c.name)
            times = [v[j] for v in values]
            return c, min(times), max(times)
    return None


def _staging(conn: Connection, table: Table) -> tuple[Any, dict[str, int]]:
    """The connection's own temporary copy of ``table``'s columns (created once per
    session; emptied after each use and at every commit) and their type oids."""
    name = f"cb_stage_{table.name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} (LIKE {conn.dialect.identifier_preparer.format_table(table)}) "
        "ON COMMIT DELETE ROWS")
    types = dict(conn.exec_driver_sql(
        "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %(t)s::regclass AND attnum > 0 "
        "AND NOT attisdropped", {"t": f"pg_temp.{name}"}).all())
    return lightweight_table(name, *[column(c.name) for c in table.columns]), types


def _refuse_naive(column: str, values: list[Any]) -> None:
    # the mapper's instants are all in the one UTC tzinfo: only the others need a closer look
    for value in [v for v in values if v is not None and v.tzinfo is not _UTC]:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for {column}; store instants as aware UTC")


def write_observations(conn: Connection, domain: str, rows: Sequence[dict[str, Any]] | Batch) -> int:
    """Write a mapped batch into the domain's table (and, for statistics, every revision)."""
    if isinstance(rows, Batch):
        if rows.tuples is not None and rows.names is not None and domain != "economy" \
                and conn.dialect.name == "postgresql" and len(rows.tuples) >= COPY_MIN_ROWS:
            # the mapper's tuples go to COPY as they are: no dict per row on either side
            table = observation_table(domain)
            return copy_tuples(conn, table, rows.names, rows.tuples, where=lambda excluded: _newer(table, excluded),
                               direct=True)
        rows = rows.rows
    if domain != "economy":
        return upsert(conn, observation_table(domain), rows, copy_min_rows=COPY_MIN_ROWS)
    upsert(conn, obs_economy_revisions, [{k: r[k] for k in _REVISION_COLUMNS} for r in rows],
           copy_min_rows=COPY_MIN_ROWS)
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:  # one statement may not touch a key twice: keep the highest revision
        key = (r["indicator"], r["period"], r["district"])
        if key not in newest or r["revision"] >= newest[key]["revision"]:
            newest[key] = r
    return upsert(conn, obs_economy, list(newest.values()), copy_min_rows=COPY_MIN_ROWS)


def fingerprint(rejected: Rejected) -> str:
    payload = json.dumps([rejected.reason, rejected.row], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def quarantine_rows(conn: Connection, source: str, domain: str, rejected: Sequence[Rejected],
                    received_at: datetime) -> int:
    """Keep the rejected rows with their reasons; returns how many were new to the quarantine.

    A bad row re-read inside the lookback has the same fingerprint and is not stored twice.
    """
    if not rejected:
        return 0
    by_print = {fingerprint(r): r for r in rejected}
    prints = list(by_print)
    seen: set[str] = set()
    for i in range(0, len(prints), 500):
        seen.update(conn.execute(select(quarantine.c.fingerprint).where(
            quarantine.c.source == source, quarantine.c.fingerprint.in_(prints[i:i + 500]))).scalars())
    fresh = [
        {"source": source, "domain": domain, "received_at": received_at, "row_key": r.row_key,
         "field": r.field, "reason": r.reason[:2000], "row": r.row, "fingerprint": fp}
        for fp, r in by_print.items() if fp not in seen
    ]
    if fresh:
        stmt = insert_for(conn, quarantine).on_conflict_do_nothing(index_elements=["source", "fingerprint"])
        conn.execute(stmt, fresh)
    return len(fresh)


def record_field_issues(conn: Connection, source: str, domain: str, batch: Batch,
                        span: tuple[datetime, datetime] | None, received_at: datetime) -> int:
    """Keep the unusable fields of the batch's stored rows (issue 19); returns how many.

    Each (source, row, field) is one record: a re-read inside the lookback replaces it,
    and a re-read in which the department has filled the field deletes it — the stored
    row was replaced by the filled one in the same transaction. ``span`` is the batch's
    data-time range, where earlier issues of its rows can lie. ``batch`` holds the rows
    written (a refused correction is not: its stored version and issues stand).
    """
    issues = batch.issues
    if span is not None:
        _drop_filled(conn, source, domain, batch, span, {(i.row_key, i.field) for i in issues})
    if not issues:
        return 0
    rows = {(i.row_key, i.field): _issue_row(source, domain, i, received_at) for i in issues}
    store_upsert(conn, field_issues, list(rows.values()))
    return len(rows)


def _issue_row(source: str, domain: str, issue: FieldIssue, received_at: datetime) -> dict[str, Any]:
    return {"source": source, "row_key": issue.row_key, "field": issue.field, "domain": domain, "time": issue.time,
            "rule": issue.rule, "value": issue.value, "reason": issue.reason, "received_at": received_at}


def _drop_filled(conn: Connection, source: str, domain: str, batch: Batch, span: tuple[datetime, datetime],
                 current: set[tuple[str, str]]) -> None:
    """Delete the earlier issues of rows this batch re-wrote whose field is usable now.

    The usual batch has no earlier issues in its time range: one indexed read, nothing else.
    """
    c = field_issues.c
    stored = conn.execute(select(c.row_key, c.field).where(c.source == source, c.time >= span[0],
                                                           c.time <= span[1])).all()
    if not stored:
        return
    names = KEYS.get(domain, ("entity", "time", "ref"))  # a theme's rows: connectors.theme.THEME_KEY
    if batch.tuples is not None and batch.names is not None:
        at = [batch.names.index(k) for k in names]
        written = {key_text(tuple(t[j] for j in at)) for t in batch.tuples}
    else:
        written = {key_text(tuple(r[k] for k in names)) for r in batch.rows}
    stale = [{"k": k, "f": f} for k, f in stored if k in written and (k, f) not in current]
    if stale:
        conn.execute(field_issues.delete().where(c.source == source, c.row_key == bindparam("k"),
                                                 c.field == bindparam("f")), stale)



# ------------------------------------------------------------ corrections with older stamps

_SERIES_TABLES = {"environment": ("station", "time"), "traffic": ("segment", "time"), "tourism": ("site", "time")}


def screen_versions(conn: Connection, domain: str, batch: Batch) -> tuple[Batch, list[Rejected]]:
    """The batch without the rows the store holds a newer version of, and those rows as rejects.

    Issue 19 item 8: a re-published row stamped older than the stored version is refused
    (the upsert's "never older" guard), and was refused silently; it is now returned
    as a reject naming both stamps, for the quarantine and the source's counts.

    Item 7: a hotline ticket is one row whatever its creation time. PostgreSQL partitions
    ``obs_hotline`` by ``created_at``, so its key must contain it and cannot be the ticket
    alone (a unique index on a partitioned table must include the partition key); the
    ticket's uniqueness is therefore kept here, on every backend: when a ticket arrives
    with another ``created_at`` than the stored one, the stored version is deleted in the
    same transaction as the new one is written (or, if the stored one is newer, the
    incoming one is refused). Only this writer writes the table, one batch at a time per
    source (the scheduler's lock), so no other writer can interleave.
    """
    if domain == "hotline":
        return _screen_tickets(conn, batch)
    if domain not in OBSERVATIONS:  # a theme (issue 20)
        from connectors.theme import screen_theme

        return screen_theme(conn, batch)
    if domain not in _SERIES_TABLES:
        return batch, []
    entity, time_name = _SERIES_TABLES[domain]
    names = (entity, time_name, "source_updated_at")
    if batch.tuples is not None and batch.names is not None:
        at = [batch.names.index(k) for k in names]
        incoming = [tuple(t[j] for j in at) for t in batch.tuples]
    else:
        incoming = [tuple(r[k] for k in names) for r in batch.rows]
    stamps = [s for _, _, s in incoming if s is not None]
    if not stamps:
        return batch, []
    table = OBSERVATIONS[domain]
    times = [t for _, t, _ in incoming]
    stored = {(e, _utc(t)): _utc(s) for e, t, s in conn.execute(
        select(table.c[entity], table.c[time_name], table.c.source_updated_at).where(
            table.c[time_name] >= min(times), table.c[time_name] <= max(times),
            table.c.source_updated_at > min(stamps)))}
    if not stored:
        return batch, []
    refused = {i for i, (e, t, s) in enumerate(incoming)
               if s is not None and (newer := stored.get((e, t))) is not None and s < newer}
    if not refused:
        return batch, []
    rejects = [_refused(domain, batch, i, stored[incoming[i][0], incoming[i][1]]) for i in sorted(refused)]
    return _without(batch, refused, {r.row_key for r in rejects}), rejects


def _screen_tickets(conn: Connection, batch: Batch) -> tuple[Batch, list[Rejected]]:
    rows = batch.rows
    if not rows:
        return batch, []
    versions: dict[str, list[tuple[datetime, datetime | None]]] = {}
    tickets = list({r["ticket"] for r in rows})
    c = obs_hotline.c
    for i in range(0, len(tickets), 1000):
        for ticket, created, stamp in conn.execute(select(c.ticket, c.created_at, c.source_updated_at)
                                                   .where(c.ticket.in_(tickets[i:i + 1000]))):
            versions.setdefault(ticket, []).append((_utc(created), _utc(stamp)))
    if not versions:
        return batch, []
    refused: set[int] = set()
    rejects: list[Rejected] = []
    moved: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        held = versions.get(row["ticket"])
        if not held:
            continue
        stamp = row["source_updated_at"]
        newest = max((s for _, s in held if s is not None), default=None)
        if stamp is not None and newest is not None and stamp < newest:
            refused.add(i)
            rejects.append(_refused("hotline", batch, i, newest))
            continue
        moved += [{"t": row["ticket"], "c": created} for created, _ in held if created != row["created_at"]]
    if moved:  # the ticket's creation time was corrected: its one row moves
        conn.execute(obs_hotline.delete().where(c.ticket == bindparam("t"), c.created_at == bindparam("c")), moved)
    return (_without(batch, refused, {r.row_key for r in rejects}) if refused else batch), rejects


def _refused(domain: str, batch: Batch, i: int, newer: datetime) -> Rejected:
    row = batch.rows[i]
    key = key_text(tuple(row[k] for k in KEYS[domain]))
    return Rejected(f"refused correction: the store holds a newer version of this row (updated "
                    f"{newer.isoformat()}; this one {row['source_updated_at'].isoformat()}); the department "
                    "re-published it with an older update stamp", "updated_at", key,
                    {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
                     if k not in ("ingested_at", "source")})


def _without(batch: Batch, drop: set[int], keys: set[str]) -> Batch:
    """``batch`` less the rows at ``drop`` (and their field issues)."""
    issues = [x for x in batch.issues if x.row_key not in keys]
    if batch.tuples is not None and batch.names is not None:
        return Batch(None, batch.rejected, names=batch.names,
                     tuples=[t for i, t in enumerate(batch.tuples) if i not in drop], issues=issues)
    return Batch([r for i, r in enumerate(batch.rows) if i not in drop], batch.rejected, issues=issues)


def _utc(t: datetime | None) -> datetime | None:
    """Stored times as aware UTC (SQLite hands back naive UTC)."""
    if t is None:
        return None
    return t.replace(tzinfo=_UTC) if t.tzinfo is None else t.astimezone(_UTC)
