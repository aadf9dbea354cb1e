"""Reading a department database: read-only, pooled, with timeouts, incrementally.

Every department database is someone else's production system, so citybrain opens it
read-only (SQLite ``mode=ro``; ``default_transaction_read_only`` on PostgreSQL; a
read-only session on MariaDB/MySQL) and bounds both the connect and every statement.

The incremental read is one statement per batch, run *in the source*::

    SELECT <columns> FROM (<table or query>) AS src
    WHERE src.<watermark> > :wm ORDER BY src.<watermark> LIMIT :n

with the configured ``query`` wrapped as a subquery and every value bound. The cost of
a poll therefore follows the new rows (given an index on the watermark column), not the
size of the table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from sqlalchemy import Engine, column, create_engine, event, literal_column, or_, select, table, text, tuple_
from sqlalchemy.engine import Connection, make_url

from citybrain.errors import SchemaDriftError, SourceError
from citybrain.settings import Source
from connectors.fields import KEYS


class SourceEngines:
    """The pooled engines of the sources, one per source, created on first use.

    Owned by whoever polls (the scheduler keeps one for its lifetime so connections are
    reused between polls; ``connectors.poll`` makes a short-lived one); nothing is kept
    at module level, so several processes and threads never share a pool by accident.
    """

    def __init__(self) -> None:
        self._engines: dict[str, tuple[str, Engine]] = {}

    def get(self, source: Source) -> Engine:
        held = self._engines.get(source.name)
        if held is None or held[0] != source.url:
            if held is not None:
                held[1].dispose()
            held = (source.url, make_source_engine(source))
            self._engines[source.name] = held
        return held[1]

    def dispose(self) -> None:
        for _, engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def __enter__(self) -> SourceEngines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


def make_source_engine(source: Source) -> Engine:
    """A read-only engine for ``source`` with its connect and statement timeouts."""
    try:
        url = make_url(source.url)
    except Exception:
        raise SourceError(source.name, f"url {source.url!r} is not a database URL; write e.g. "
                                       "postgresql+psycopg://user@host/db in the source's `url`") from None
    backend = url.get_backend_name()
    connect_s = max(1, int(source.connect_timeout.total_seconds()))
    statement_s = max(1.0, source.statement_timeout.total_seconds())
    if backend == "sqlite":
        return _sqlite_engine(url, connect_s, statement_s)
    if backend == "postgresql":
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(statement_s * 1000)}"
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2, pool_recycle=1800,
                             pool_timeout=connect_s,
                             connect_args={"connect_timeout": connect_s, "options": options,
                                           "application_name": "citybrain"})
    if backend in ("mysql", "mariadb"):
        engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2, pool_recycle=1800,
                               pool_timeout=connect_s,
                               connect_args={"connect_timeout": connect_s, "read_timeout": int(statement_s) + 5})

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            try:  # MariaDB names it max_statement_time (seconds); MySQL relies on read_timeout
                cur.execute(f"SET SESSION max_statement_time = {float(statement_s)}")
            except Exception:  # noqa: BLE001 — an unsupported variable is not a reason to fail
                pass
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_timeout=connect_s)


def _sqlite_engine(url: Any, connect_s: int, statement_s: float) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:"):
        raise SourceError("sqlite", "an in-memory SQLite database cannot be a source; give a file path")
    ro_url = url.set(database=f"file:{database}?mode=ro", query={**url.query, "uri": "true"})
    engine = create_engine(ro_url, connect_args={"timeout": connect_s, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _statement_timeout(dbapi_conn: Any, record: Any) -> None:
        # SQLite has no statement timeout: a progress handler aborts a statement past its deadline.
        record.info["deadline"] = float("inf")
        dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > record.info["deadline"]), 20_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: Any) -> None:
        conn.connection.info["deadline"] = time.monotonic() + statement_s

    return engine


class Rows(Sequence[dict[str, Any]]):
    """One batch as the source sent it: the configured column names and a tuple per row.

    Read as a sequence it gives each row as a dict keyed by the configured names (what
    the per-row mapping and the quarantine see); :meth:`column` gives one column without
    building those dicts, which is what the batch mapping reads (issue 10: a dict per
    row cost a backfill more than reading the row).
    """

    __slots__ = ("names", "tuples", "_columns")

    def __init__(self, names: Sequence[str], tuples: list[tuple[Any, ...]]):
        self.names = list(names)
        self.tuples = tuples
        self._columns: dict[str, tuple[Any, ...]] | None = None

    def __len__(self) -> int:
        return len(self.tuples)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> Rows: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | Rows:
        if isinstance(i, slice):
            return Rows(self.names, self.tuples[i])
        return dict(zip(self.names, self.tuples[i]))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self.names
        return (dict(zip(names, t)) for t in self.tuples)

    def column(self, name: str) -> Sequence[Any]:
        """Every row's value of ``name`` (None for a name the source does not have)."""
        if self._columns is None:  # one transposition serves every column
            self._columns = dict(zip(self.names, zip(*self.tuples))) if self.tuples else {n: () for n in self.names}
        found = self._columns.get(name)
        return found if found is not None else (None,) * len(self.tuples)

    def take(self, indices: Iterable[int]) -> Rows:
        """The rows at ``indices``, in that order."""
        return Rows(self.names, [self.tuples[i] for i in indices])


def _theme_key(source: Source) -> tuple[str, ...]:
    """A theme source's key fields (issue 20): an event's id, else entity and time."""
    return ("id",) if "id" in source.columns else ("entity", "time")


class SourceReader:
    """Reads one source through an open connection: probe, incremental batches, sample."""

    def __init__(self, source: Source, conn: Connection):
        self.source = source
        self.conn = conn
        self.dialect = conn.dialect.name
        self.available = self.probe()
        wanted = list(dict.fromkeys([*source.columns.values(), source.watermark_column]))
        missing = [c for c in wanted if self._actual(c) is None]
        if missing:
            error = SchemaDriftError(source.name, drift_message(source, missing, self.available))
            error.missing = missing  # type: ignore[attr-defined]  # for `citybrain check`'s table
            raise error
        self.names = {c: self._actual(c) for c in wanted}
        #: the selected columns' actual names, in the order of a row's values
        self.names_order = [self.names[c] for c in wanted]
        self.relation = self._relation(self.names_order)
        self.wm = self.relation.c[self.names[source.watermark_column]]
        #: source columns of the canonical key (a tie is paged by them); empty unless all are mapped
        key = [source.columns.get(k) for k in KEYS.get(source.domain) or _theme_key(source)]
        self.key_columns = [c for c in key if c] if all(key) else []

    def probe(self) -> list[str]:
        """The column names the source has now (``SELECT * … LIMIT 0``: no rows read).

        Also notes which columns the server types as text (``self.textual``): a watermark
        kept as text ('2015-12-01 08:00:00' in a VARCHAR) is compared as text, as SQLite's
        are — PostgreSQL refuses to compare a VARCHAR with a bound timestamp.
        """
        if self.source.table is not None:
            rel: Any = _table(self.source.table)
        else:
            rel = text(_query_text(self.source.query or "")).columns().subquery("src")
        result = self.conn.execute(select(literal_column("*")).select_from(rel).limit(0))
        description = getattr(result.cursor, "description", None) or []
        codes = _TEXT_TYPES.get(self.dialect, frozenset())
        self.textual = {d[0] for d in description if d[1] in codes}
        return list(result.keys())

    @property
    def compares_as(self) -> str:
        """The dialect whose rules bind the watermark: "sqlite" (as text) for a text column."""
        return "sqlite" if self.names[self.source.watermark_column] in self.textual else self.dialect

    def _actual(self, name: str) -> str | None:
        if name in self.available:
            return name
        folded = [c for c in self.available if c.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def _relation(self, names: list[str]) -> Any:
        if self.source.table is not None:  # read the table itself: its watermark index applies directly
            return _table(self.source.table, names)
        return text(_query_text(self.source.query or "")).columns(*[column(n) for n in names]).subquery("src")

    def _select(self) -> Any:
        return select(*self.relation.c)

    def after(self, value: Any, limit: int, below: Any = None) -> Rows:
        """Up to ``limit`` rows whose watermark is greater than ``value`` (all rows when None)
        and, when ``below`` is given, less than it."""
        stmt = self._select()
        stmt = stmt.where(self.wm.is_not(None)) if value is None else stmt.where(self.wm > value)
        if below is not None:
            stmt = stmt.where(self.wm < below)
        return self._rows(stmt.order_by(self.wm).limit(limit))

    def equal(self, value: Any, chunk: int, after: Sequence[Any] | None = None) -> Iterator[tuple[Rows, list[Any] | None]]:
        """All rows whose watermark equals ``value``, in pages of ``chunk`` (a tie larger than a
        batch), each with the position it reaches in the tie: the key of its last row, or
        None on the tie's last page (the tie read whole).

        Issue 19 item 12: a department re-publishing 150,000 rows under one stamp made one
        statement read them all, and half the polls hit the statement timeout. The tie is
        read page by page by the row's key (the canonical key's source columns: ``WHERE
        wm = :v AND (k1, k2) > (:a, :b) ORDER BY k1, k2 LIMIT n``), each page a short
        statement, and the poll stores each page's position with the watermark in the
        page's transaction, so a poll interrupted inside the tie resumes ``after`` that key
        instead of starting the tie over. Rows of the tie with a NULL key part (which a key
        comparison cannot page) are read last, in one statement — they are few, and they
        are quarantined. A source whose key columns are not all mapped is read in one
        streamed statement (and starts over when interrupted).
        """
        keys = [self.relation.c[self.names[c]] for c in self.key_columns]
        if not keys:
            # the option on the statement: on the connection it would stay set for the reads after
            result = self.conn.execute(self._select().where(self.wm == value).execution_options(stream_results=True))
            while rows := result.fetchmany(chunk):
                yield Rows(self.names, [tuple(r) for r in rows]), None
            return
        held: Rows | None = None  # one page is held back: the last one must say the tie is whole
        while True:
            stmt = self._select().where(self.wm == value, *[k.is_not(None) for k in keys])
            if after is not None:
                stmt = stmt.where(tuple_(*keys) > tuple_(*after))
            page = self._rows(stmt.order_by(*keys).limit(chunk))
            if held is not None and page:
                yield held, self.key_of(held.tuples[-1])
            if page:
                held = page
            if len(page) < chunk:
                break
            after = self.key_of(page.tuples[-1])
        nulls = self._rows(self._select().where(self.wm == value, or_(*[k.is_(None) for k in keys])))
        if held is not None:
            yield held, (self.key_of(held.tuples[-1]) if nulls else None)
        if nulls:
            yield nulls, None

    def key_of(self, row: tuple[Any, ...]) -> list[Any]:
        """The values of the key columns in one of this reader's row tuples."""
        return [row[self.names_order.index(self.names[c])] for c in self.key_columns]

    def newest(self, n: int = 1) -> Rows:
        """The ``n`` rows with the latest watermark, newest first (``citybrain check``'s sample)."""
        return self._rows(self._select().where(self.wm.is_not(None)).order_by(self.wm.desc()).limit(n))

    def _rows(self, stmt: Any) -> Rows:
        # The selected columns are untyped (``column(name)``), so SQLAlchemy has nothing to
        # convert: the driver's own tuples are the rows' values, fetched without a Row each.
        # They come in the select's order, which is the configured names' order. Not
        # streamed, so no rows wait in a SQLAlchemy buffer instead of the cursor.
        result = self.conn.execute(stmt.execution_options(stream_results=False))
        try:
            tuples = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        return Rows(self.names, tuples if isinstance(tuples, list) else list(tuples))


#: driver type codes of text columns: PostgreSQL OIDs (text, varchar, bpchar), MySQL field
#: types (VARCHAR, VAR_STRING, STRING, BLOB — the TEXT types)
_TEXT_TYPES = {"postgresql": frozenset({25, 1043, 1042}), "mysql": frozenset({15, 253, 254, 252}),
               "mariadb": frozenset({15, 253, 254, 252})}


def drift_message(source: Source, missing: list[str], available: list[str]) -> str:
    fields = {col: name for name, col in source.columns.items()}
    named = ", ".join(
        f"{c!r} (mapped to {fields[c]})" if c in fields else f"{c!r} (the watermark)" for c in missing
    )
    where = f"table {source.table}" if source.table else "the source query"
    return (f"configured column{'s' if len(missing) > 1 else ''} {named} missing in {where}; it now has "
            f"{', '.join(available) or 'no columns'} — update [sources.columns] for {source.name!r} "
            "or ask the department what changed")


def _table(name: str, columns: list[str] | None = None) -> Any:
    schema, _, tname = name.rpartition(".")
    return table(tname, *[column(c) for c in (columns or [])], schema=schema or None)


def _query_text(query: str) -> str:
    # A trailing semicolon would end the statement inside the wrapping subquery.
    return query.strip().rstrip(";").strip()
