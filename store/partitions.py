"""Monthly RANGE partitions of the observation tables on PostgreSQL (issue 11).

A city-year of five-minute traffic readings is ~52 M rows; partitioned by month on the
observation time, the pages' recent-window queries touch one or two partitions, and the
retention job drops a month by detaching a table instead of deleting millions of rows.

* Partitions are named ``<table>_pYYYYMM`` and cover [first of the month, first of the
  next) in UTC. :func:`ensure_partitions` keeps the current month and ``AHEAD`` months
  after it in place (the scheduler's daily maintenance and ``citybrain db partitions``).
* Each table also has a DEFAULT partition ``<table>_default``, so a write never fails for
  want of a partition (a backfill of an old year, a clock far ahead). When the month's
  partition is created later, its rows are moved out of the default in the same transaction.
* :func:`convert_online` turns a plain table holding data into a partitioned one without
  stopping the writers: build the new table (and its indexes, while empty) beside it,
  mirror the writes made meanwhile through a trigger, copy in batches (each its own
  transaction), then swap the names in one short transaction (migration 0006).

SQLite has no partitions: every function here is a no-op there, and the same schema,
upserts and queries work on both.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, Index, MetaData, Table, create_engine, text
from sqlalchemy.pool import NullPool

from citybrain.errors import StoreError
from store.schema import metadata

log = logging.getLogger(__name__)
UTC = dt.timezone.utc

#: partitioned table → its partition key (the observation's time)
PARTITIONED: dict[str, str] = {"obs_air": "time", "obs_traffic": "time", "obs_tourism": "time",
                               "obs_hotline": "created_at", "theme_obs": "time"}
#: months created ahead of the current one
AHEAD = 2
#: how long partition DDL waits for a lock before giving up (it retries the next day)
LOCK_TIMEOUT = "10s"
_MONTHLY = re.compile(r"_p(\d{4})(\d{2})$")


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def month_start(t: dt.datetime) -> dt.datetime:
    t = t.astimezone(UTC)
    return dt.datetime(t.year, t.month, 1, tzinfo=UTC)


def add_months(month: dt.datetime, k: int) -> dt.datetime:
    index = month.year * 12 + month.month - 1 + k
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def months(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Month starts from ``start``'s month through ``end``'s month, inclusive."""
    m, last = month_start(start), month_start(end)
    while m <= last:
        yield m
        m = add_months(m, 1)


def partition_name(table: str, month: dt.datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _literal(t: dt.datetime) -> str:
    """A bound for partition DDL (which takes no parameters); only our own datetimes get here."""
    return f"'{t.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'"


def is_partitioned(conn: Connection, table: str) -> bool:
    kind = conn.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar()
    return kind == "p"


def partitions(conn: Connection, table: str) -> dict[str, dt.datetime | None]:
    """The partitions attached to ``table``: name → month start (None for the default)."""
    rows = conn.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                             "WHERE i.inhparent = to_regclass(:t)"), {"t": table}).scalars()
    out: dict[str, dt.datetime | None] = {}
    for name in rows:
        m = _MONTHLY.search(name)
        out[name] = dt.datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) if m else None
    return out


def partitioned_table(name: str, as_name: str | None = None) -> Table:
    """``store.schema``'s table ``name`` declared PARTITION BY RANGE on its time (under ``as_name``)."""
    src = metadata.tables[name]
    as_name = as_name or name
    md = MetaData(naming_convention=metadata.naming_convention)
    table = Table(as_name, md, *[c._copy() for c in src.columns],
                  postgresql_partition_by=f"RANGE ({PARTITIONED[name]})")
    for ix in src.indexes:
        Index(ix.name.replace(name, as_name, 1), *[table.c[c.name] for c in ix.columns])
    return table


def create_partitioned(conn: Connection, name: str, *, as_name: str | None = None,
                       through: dt.datetime, since: dt.datetime | None = None) -> None:
    """Create the partitioned ``name`` (or ``as_name``) with its default and monthly partitions."""
    parent = as_name or name
    partitioned_table(name, parent).create(conn)
    conn.exec_driver_sql(f'CREATE TABLE "{default_name(name)}" PARTITION OF "{parent}" DEFAULT')
    for month in months(since or through, add_months(month_start(through), AHEAD)):
        ensure_month(conn, name, month, parent=parent)


def ensure_month(conn: Connection, name: str, month: dt.datetime, *, parent: str | None = None) -> bool:
    """Attach ``name``'s partition for ``month`` unless present; True when it was created.

    Built with LIKE + ATTACH rather than ``PARTITION OF``: rows of that month already
    caught by the default partition are moved into it first, in the same transaction
    (``PARTITION OF`` would refuse while the default holds them). ATTACH only takes a
    SHARE UPDATE EXCLUSIVE lock on the parent, so readers and writers carry on.
    """
    parent = parent or name
    part = partition_name(name, month)
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": part}).scalar() is not None:
        return False
    col, lo, hi = PARTITIONED[name], month, add_months(month, 1)
    conn.exec_driver_sql(f'CREATE TABLE "{part}" (LIKE "{parent}" INCLUDING DEFAULTS)')
    conn.exec_driver_sql(f'WITH moved AS (DELETE FROM "{default_name(name)}" WHERE "{col}" >= {_literal(lo)} '
                         f'AND "{col}" < {_literal(hi)} RETURNING *) INSERT INTO "{part}" SELECT * FROM moved')
    conn.exec_driver_sql(f'ALTER TABLE "{parent}" ATTACH PARTITION "{part}" '
                         f"FOR VALUES FROM ({_literal(lo)}) TO ({_literal(hi)})")
    return True


def ensure_partitions(conn: Connection, now: dt.datetime | None = None, ahead: int = AHEAD) -> list[str]:
    """Create the current month's and the next ``ahead`` months' partitions; returns those created."""
    if not is_postgres(conn):
        return []
    now = now or dt.datetime.now(UTC)
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    created = []
    for name in PARTITIONED:
        if not is_partitioned(conn, name):
            raise StoreError(f"{name} is not partitioned; run `citybrain db upgrade` to bring the store to the "
                             "current schema first")
        for month in months(now, add_months(month_start(now), ahead)):
            if ensure_month(conn, name, month):
                created.append(partition_name(name, month))
    return created


def drop_before(conn: Connection, name: str, cutoff: dt.datetime) -> dict[str, int]:
    """DETACH and DROP ``name``'s monthly partitions that end at or before ``cutoff``.

    Returns partition → rows it held. Plain DETACH (CONCURRENTLY is refused while a
    default partition exists) takes a brief ACCESS EXCLUSIVE lock on the parent, bounded
    by ``lock_timeout`` so it never queues the pages behind it for long.
    """
    if not is_postgres(conn) or not is_partitioned(conn, name):
        return {}
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    dropped: dict[str, int] = {}
    for part, month in sorted(partitions(conn, name).items()):
        if month is None or add_months(month, 1) > cutoff:
            continue
        dropped[part] = conn.exec_driver_sql(f'SELECT count(*) FROM "{part}"').scalar_one()
        conn.exec_driver_sql(f'ALTER TABLE "{name}" DETACH PARTITION "{part}"')
        conn.exec_driver_sql(f'DROP TABLE "{part}"')
    return dropped


# ----------------------------------------------------------------- online conversion

def convert_all(conn: Connection, now: dt.datetime | None = None) -> list[str]:
    """Migration 0006 on PostgreSQL: partition every observation table not yet partitioned.

    An empty table (a fresh store — or one created by this very upgrade, which no other
    connection can see yet) is simply replaced inside the migration's transaction. A table
    holding data is converted online through a side connection (:func:`convert_online`);
    the migration's own transaction never touches it, so the two cannot wait on each other.
    """
    now = now or dt.datetime.now(UTC)
    done = []
    side = create_engine(conn.engine.url, poolclass=NullPool)
    try:
        for name in PARTITIONED:
            if is_partitioned(conn, name):
                continue
            if conn.execute(text("SELECT to_regclass(:t)"), {"t": name}).scalar() is None:
                continue  # a later revision creates it partitioned (theme_obs: 0014)
            with side.connect() as peek:  # closed before converting: its read lock would block the swap
                visible = peek.execute(text("SELECT to_regclass(:t)"), {"t": name}).scalar() is not None
                filled = visible and peek.exec_driver_sql(f'SELECT EXISTS (SELECT 1 FROM "{name}")').scalar()
            if filled:
                convert_online(side, name, now=now)
            else:
                conn.exec_driver_sql(f'DROP TABLE "{name}"')
                create_partitioned(conn, name, through=now)
            done.append(name)
    finally:
        side.dispose()
    return done


def convert_online(engine: Engine, name: str, *, now: dt.datetime | None = None,
                   batch: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Rebuild the plain table ``name`` as a partitioned one while writers keep writing.

    The technique of pg_repack and friends, in SQL: a trigger on the old table mirrors
    every write made during the copy into the new one (upsert; deletes too), while the
    existing rows are copied in time batches that each commit on their own and never
    overwrite a mirrored row (``ON CONFLICT DO NOTHING``: the mirror is the newer version).
    The swap is one short transaction — lock out writers (EXCLUSIVE: readers carry on),
    drop the trigger, rename — whatever the table's size; writers queued on the lock
    resolve the name again once it is released and land in the new table. Afterwards,
    with no lock held, any row of the old table missing from the new one is copied over
    (none, unless something bypassed the trigger) and the old table is dropped. A failure
    before the swap leaves the original untouched; a re-run starts over. Returns the rows
    in the partitioned table.
    """
    now = now or dt.datetime.now(UTC)
    col, tmp, old, sync = PARTITIONED[name], f"{name}__new", f"{name}__old", f"{name}__sync"
    table = metadata.tables[name]
    keys = [c.name for c in table.primary_key.columns]
    with engine.connect() as conn:  # a column a later revision adds (0012) is not in the old table yet
        live = set(conn.execute(text("SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                                     "AND attnum > 0 AND NOT attisdropped"), {"t": name}).scalars())
    names = [c.name for c in table.columns if c.name in live]
    cols = ", ".join(f'"{c}"' for c in names)
    conflict = ", ".join(f'"{k}"' for k in keys)
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in names if c not in keys)
    same_key = " AND ".join(f'n."{k}" = o."{k}"' for k in keys)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{tmp}"')  # leftovers of an interrupted attempt
        conn.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{sync}"() CASCADE')
        lo, hi = conn.exec_driver_sql(f'SELECT min("{col}"), max("{col}") FROM "{name}"').one()
        create_partitioned(conn, name, as_name=tmp, since=lo, through=max(hi, now))
        old_key = " AND ".join(f'"{k}" = OLD."{k}"' for k in keys)
        conn.exec_driver_sql(f"""
            CREATE FUNCTION "{sync}"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN DELETE FROM "{tmp}" WHERE {old_key}; END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO "{tmp}" ({cols}) VALUES ({", ".join(f'NEW."{c}"' for c in names)})
                    ON CONFLICT ({conflict}) DO UPDATE SET {sets};
                END IF;
                RETURN NULL;
            END $$""")
        conn.exec_driver_sql(f'CREATE TRIGGER "{sync}" AFTER INSERT OR UPDATE OR DELETE ON "{name}" '
                             f'FOR EACH ROW EXECUTE FUNCTION "{sync}"()')
    with engine.connect() as conn:
        start = lo
        while start <= hi:
            conn.exec_driver_sql(f'INSERT INTO "{tmp}" ({cols}) SELECT {cols} FROM "{name}" WHERE "{col}" >= %(a)s '
                                 f'AND "{col}" < %(b)s ON CONFLICT DO NOTHING', {"a": start, "b": start + batch})
            conn.commit()
            start += batch
    swap_started = time.monotonic()
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
        conn.exec_driver_sql(f'LOCK TABLE "{name}" IN EXCLUSIVE MODE')
        conn.exec_driver_sql(f'DROP TRIGGER "{sync}" ON "{name}"')
        conn.exec_driver_sql(f'ALTER TABLE "{name}" RENAME TO "{old}"')
        conn.exec_driver_sql(f'ALTER TABLE "{old}" RENAME CONSTRAINT "pk_{name}" TO "pk_{old}"')
        for ix in table.indexes:
            conn.exec_driver_sql(f'ALTER INDEX "{ix.name}" RENAME TO "{ix.name.replace(name, old, 1)}"')
        conn.exec_driver_sql(f'ALTER TABLE "{tmp}" RENAME TO "{name}"')
        conn.exec_driver_sql(f'ALTER TABLE "{name}" RENAME CONSTRAINT "pk_{tmp}" TO "pk_{name}"')
        for ix in table.indexes:
            conn.exec_driver_sql(f'ALTER INDEX "{ix.name.replace(name, tmp, 1)}" RENAME TO "{ix.name}"')
    held = time.monotonic() - swap_started
    with engine.begin() as conn:
        healed = conn.exec_driver_sql(
            f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM "{old}" o WHERE NOT EXISTS '
            f'(SELECT 1 FROM "{name}" n WHERE {same_key}) ON CONFLICT DO NOTHING').rowcount
        if healed:
            log.warning("%s: %d rows were missing after the swap and were copied again", name, healed)
        conn.exec_driver_sql(f'DROP TABLE "{old}"')
        conn.exec_driver_sql(f'DROP FUNCTION "{sync}"()')
        rows = conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
    log.info("%s: %d rows moved into monthly partitions; writers were held for %.2f s", name, rows, held)
    return rows


def is_partition(table_name: str | None) -> bool:
    """A monthly or default partition of a partitioned table (a detail of the parent's)."""
    if not table_name:
        return False
    return any(table_name == default_name(p) or (table_name.startswith(f"{p}_p") and _MONTHLY.search(table_name))
               for p in PARTITIONED)


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic ``include_name``: compare parents with ``store.schema``, never their partitions.

    Partitions and their indexes are created by :func:`ensure_partitions`, not declared in
    the metadata, so autogenerate and the migrations test must not see them as extra tables.
    """
    if type_ == "table":
        return not is_partition(name)
    return not is_partition(parent_names.get("table_name"))
