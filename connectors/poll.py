"""One poll of one or more sources: read what is new, validate, write, record.

For each source: open its read-only connection, confirm the configured columns still
exist (schema drift is reported on the source, never raised), then read batches after
``watermark - lookback`` until caught up. Each batch is written — upserts, quarantine,
the advanced watermark and running totals — in one store transaction, so a poll killed
at any point loses and duplicates nothing: the next one resumes from the last commit.

Sources are polled in parallel threads, and connection failures are retried with
exponential backoff and jitter inside the source's own thread, so one source that is
down never delays the others. A store connection dropped mid-batch rolls that batch
back; the batch is written again on a fresh connection (``in_store``), and if the store
stays away the whole poll is retried from the last committed watermark.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from citybrain.errors import ConfigError, ConfigProblem, SchemaDriftError, SourceError
from citybrain.settings import Settings, Source
from connectors import status as status_rows
from connectors import watermark as wm
from connectors.fields import DATA_TIME, ENTITY_KIND
from connectors.mapping import Batch, Mapper
from connectors.theme import mapper_for, theme_entities
from connectors.source import Rows, SourceEngines, SourceReader
from connectors.writer import quarantine_rows, record_field_issues, screen_versions, write_observations
from store.schema import changed_spans, entities, source_status

log = logging.getLogger(__name__)
UTC = dt.timezone.utc


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did, for the CLI summary and the scheduler's chaining."""

    name: str
    status: str  # ok | failing | drift | disabled
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    watermark: str | None = None
    lag_seconds: float | None = None
    error: str | None = None
    duration_s: float = 0.0
    domain: str = ""
    #: (earliest, latest) data time among the rows written, for the compute steps
    touched: tuple[dt.datetime, dt.datetime] | None = None
    attempts: int = 1


class _StoreFailed(Exception):
    """Writing to the store failed (as opposed to reading the source)."""


@dataclass
class _Progress:
    read: int = 0
    written: int = 0
    quarantined: int = 0
    watermark: str | None = None
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: record each batch's data-time span in changed_spans (the scheduler's polls: issue 19 item 9)
    record_changes: bool = False

    def touch(self, times: Sequence[dt.datetime]) -> None:
        if times:
            lo, hi = min(times), max(times)
            self.first = lo if self.first is None or lo < self.first else self.first
            self.last = hi if self.last is None or hi > self.last else self.last


def poll(settings: Settings, engine: Engine, names: list[str] | None = None, *, now: dt.datetime | None = None,
         engines: SourceEngines | None = None, retries: int = 3, backoff: float = 0.5,
         parallel: bool = True) -> list[PollReport]:
    """Poll the named sources (all enabled ones when ``names`` is empty) now.

    Never raises for a broken source: its report (and its status row) carries the
    error. Raises :class:`ConfigError` only for a name that is not configured.
    """
    sources = select_sources(settings, names)
    skipped = [] if names else [s for s in settings.sources if not s.enabled]
    own = engines is None
    engines = engines or SourceEngines()
    try:
        def one(src: Source) -> PollReport:
            return poll_source(settings, engine, src, engines=engines, now=now, retries=retries, backoff=backoff)

        if parallel and len(sources) > 1:
            with ThreadPoolExecutor(max_workers=min(8, len(sources)), thread_name_prefix="poll") as pool:
                reports = list(pool.map(one, sources))
        else:
            reports = [one(s) for s in sources]
        return reports + [_disabled(engine, s, now or dt.datetime.now(UTC)) for s in skipped]
    finally:
        if own:
            engines.dispose()


def _disabled(engine: Engine, source: Source, at: dt.datetime) -> PollReport:
    """A disabled source is not read, but the sources page should say so."""
    with engine.begin() as conn:
        row = status_rows.ensure(conn, source, at)
        conn.execute(sa_update(source_status).where(source_status.c.name == source.name)
                     .values(status="disabled", updated_at=at))
    return PollReport(source.name, "disabled", watermark=row.get("watermark"), domain=source.domain)


def select_sources(settings: Settings, names: list[str] | None) -> list[Source]:
    if not names:
        return [s for s in settings.sources if s.enabled]
    known = {s.name: s for s in settings.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(ConfigProblem(
            "sources", f"no source named {', '.join(repr(n) for n in unknown)}",
            f"use one of {', '.join(known) or '(none configured)'}"), str(settings.config_path))
    return [known[n] for n in names]


def poll_source(settings: Settings, engine: Engine, source: Source, *, engines: SourceEngines,
                now: dt.datetime | None = None, retries: int = 3, backoff: float = 0.5,
                sleep: Callable[[float], None] = time.sleep, record_changes: bool = False) -> PollReport:
    """Poll one source, retrying connection failures; always returns a report.

    ``record_changes``: each batch also records its data-time span in ``changed_spans``
    (in its own transaction), for ``jobs.pipeline.run_changed`` to carry into the derived
    tables — the scheduler's polls, whose computation must survive a crash.
    """
    started = time.monotonic()
    at = now or dt.datetime.now(UTC)
    progress = _Progress(record_changes=record_changes)
    status, error = "ok", None
    rng = random.Random()
    while True:
        progress.attempts += 1
        try:
            _poll_once(settings, engine, source, engines, at, progress)
            status, error = "ok", None  # a retry that got through clears the earlier attempts' error
            break
        except SchemaDriftError as exc:
            status, error = "drift", str(exc)
            break
        except (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, _StoreFailed, OSError) as exc:
            status, error = "failing", describe(exc, source)
            if progress.attempts > retries:
                break
            delay = min(30.0, backoff * 2 ** (progress.attempts - 1)) * (0.5 + rng.random())
            log.warning("%s: attempt %d failed (%s); retrying in %.1fs", source.name, progress.attempts, error, delay)
            sleep(delay)
        except Exception as exc:  # noqa: BLE001 — a broken source must not take the poller down
            status, error = "failing", describe(exc, source)
            log.exception("%s: poll failed", source.name)
            break
    if status == "ok":
        error = None
    duration = time.monotonic() - started
    lag = _lag(source, progress.watermark, at)

    def record(conn: Any) -> None:
        nonlocal lag
        status_rows.ensure(conn, source, at)
        status_rows.finish(conn, source.name, status=status, now=at, read_rows=progress.read,
                           written=progress.written, quarantined=progress.quarantined,
                           lag_seconds=lag, error=error, data_time=status_rows.stored_data_time(conn, source, at))
        if progress.watermark is None:
            row = status_rows.read(conn, source.name) or {}
            progress.watermark = row.get("watermark")
            lag = lag if lag is not None else row.get("lag_seconds")

    try:
        in_store(engine, record, what=f"{source.name}: recording the poll's status")
    except Exception as exc:  # noqa: BLE001
        log.error("%s: cannot record the poll's status in the store: %s", source.name, exc)
        status, error = "failing", error or f"cannot write to the store: {_first_line(exc)}"
    touched = (progress.first, progress.last) if progress.first and progress.last else None
    log.info("%s: %s, read %d, wrote %d, quarantined %d in %.2fs", source.name, status, progress.read,
             progress.written, progress.quarantined, duration)
    return PollReport(source.name, status, progress.read, progress.written, progress.quarantined,
                      progress.watermark, lag, error, round(duration, 3), source.domain, touched, progress.attempts)


def _poll_once(settings: Settings, engine: Engine, source: Source, engines: SourceEngines,
               at: dt.datetime, progress: _Progress) -> None:
    try:
        mapper = mapper_for(settings, source, known_entities(settings, engine, source.domain))
    except ValueError as exc:  # an impossible unit conversion in the config
        raise SourceError(source.name, str(exc)) from None
    with engines.get(source).connect() as sconn:
        reader = SourceReader(source, sconn)
        with _store(engine) as conn:
            held = status_rows.ensure(conn, source, at)
        # a watermark stored ahead of now (before issue 19 capped it) is read from now
        stored = wm.capped(held.get("watermark"), at, mapper.tz)
        # the position inside a tie at the watermark that an interrupted poll reached (item 12)
        inside = wm.key_from_text(held.get("watermark_key")) if stored == held.get("watermark") else None
        progress.watermark = progress.watermark or stored
        back = source.lookback + wm.dst_margin(stored, mapper.tz, at, source.lookback)
        cursor = wm.bind_value(wm.shifted(stored, back), reader.compares_as) if stored else None
        column, size = source.watermark_column, source.batch_size
        with _Pipeline(engine, source, mapper, at, progress, inside) as pipeline:

            def read(cursor: Any, below: Any = None) -> None:
                """Batches after ``cursor`` (and before ``below``), every tie paged whole."""
                while True:
                    rows = reader.after(cursor, size, below)
                    if len(rows) < size:
                        pipeline.put(rows)
                        return
                    marks = rows.column(column)
                    top = marks[-1]
                    pipeline.put(rows.take(i for i, mark in enumerate(marks) if mark != top))
                    for tie, key in reader.equal(top, size):  # every row sharing the last value, however many
                        pipeline.put(tie, key)
                    cursor = top

            if inside is None or stored is None:
                read(cursor)
                return
            # resuming inside a tie: the lookback below its stamp, the tie after the key reached, then on
            top = wm.bind_value(stored, reader.compares_as)
            if back:
                read(cursor, below=top)
            for tie, key in reader.equal(top, size, after=inside):
                pipeline.put(tie, key)
            read(top)


class _Pipeline:
    """Maps the next batch while the store writes the one before (issue 10).

    A backfill's batch costs Python time to read and map, and store time to merge; done in
    turn they add up, so the writes run in one worker thread while this thread reads and
    maps. Batches still commit one at a time and in order, each in its own transaction with
    its rows, its rejects and the watermark after it: a batch is handed to the writer only
    once the one before has committed, and a failed write stops the poll before the next.
    """

    def __init__(self, engine: Engine, source: Source, mapper: Mapper, at: dt.datetime, progress: _Progress,
                 key: list[Any] | None = None):
        self.engine, self.source, self.mapper, self.at, self.progress = engine, source, mapper, at, progress
        self.mark = progress.watermark  # the watermark after the last batch handed over
        self.key = key  # and the position within the tie at it (None: read whole)
        self.pending: Future[None] | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"store-{source.name}")

    def put(self, rows: Rows, key: list[Any] | None = None) -> None:
        """Hand over a batch; ``key``: a page of a tie, the key of its last row (None: the tie's last page)."""
        if not rows:
            return
        batch = self.mapper.map_batch(rows, self.at)
        times = _data_times(batch, self.source, self.mapper.tz)
        # the same chain of watermarks as writing batch by batch: each batch's is the later of
        # the one before and its own last value
        last = wm.to_text(rows[-1][self.source.watermark_column])
        mark = wm.capped(wm.later(self.mark, last), self.at, self.mapper.tz)
        if mark == last:  # the watermark is this batch's last value: the batch says how far into it
            self.key = key
        elif mark != self.mark:  # moved (capped at now): no tie position at the new value
            self.key = None
        self.mark = mark  # a re-read below the watermark leaves the watermark and its position alone
        self.wait()
        self.pending = self.pool.submit(_write_batch, self.engine, self.source, batch, len(rows), times, self.mark,
                                        self.at, self.progress, wm.key_to_text(self.key))

    def wait(self) -> None:
        """Until the batch handed over last is committed; raises what its write raised."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self.pending is not None:
                # reading failed: the write in flight still commits or rolls back as a whole
                # before the retry reads the watermark again; the reading error is the one told
                failed = self.pending.exception()
                if failed is not None:
                    log.warning("%s: writing the batch before the failure also failed: %s", self.source.name,
                                _first_line(failed))
        finally:
            self.pool.shutdown(wait=True)


def _write_batch(engine: Engine, source: Source, batch: Batch, read: int, times: list[dt.datetime], mark: str | None,
                 at: dt.datetime, progress: _Progress, key: str | None = None) -> None:
    """Write one mapped batch in one transaction; ``mark`` None leaves the watermark alone
    (a reconciliation re-read, ``connectors.reconcile``); ``key`` is the position within
    the tie at ``mark`` (``connectors.watermark.key_to_text``), None when read whole."""
    def write(conn: Any) -> tuple[int, int]:  # the rows, their rejects and the watermark commit together
        kept, refused = screen_versions(conn, source.domain, batch)
        written = write_observations(conn, source.domain, kept)
        fresh = quarantine_rows(conn, source.name, source.domain, [*batch.rejected, *refused], at)
        record_field_issues(conn, source.name, source.domain, kept, (min(times), max(times)) if times else None, at)
        rejected[:] = refused
        if progress.record_changes and times and written:
            conn.execute(changed_spans.insert().values(source=source.name, domain=source.domain, first=min(times),
                                                       last=max(times), recorded_at=at))
        status_rows.advance(conn, source.name, watermark=mark, watermark_key=key,
                            data_time=status_rows.stored_data_time(conn, source, at),
                            read_rows=read, written=written, quarantined=fresh, now=at)
        return written, fresh

    rejected: list[Any] = []
    try:
        written, fresh = in_store(engine, write, what=f"{source.name}: writing {read} rows")
    except DBAPIError as exc:
        raise _StoreFailed(f"cannot write to the store: {_first_line(exc.orig)}") from exc
    progress.read += read
    progress.written += written
    progress.quarantined += len(batch.rejected) + len(rejected)
    if mark is not None:
        progress.watermark = mark
    progress.touch(times)


def in_store(engine: Engine, work: Callable[[Any], Any], *, what: str, attempts: int = 3) -> Any:
    """Run ``work(conn)`` in one store transaction, again on a fresh connection if it was cut.

    A store connection can be dropped mid-transaction (a PostgreSQL failover, an idle
    timeout in a proxy, ``pg_terminate_backend``): the transaction rolls back as a whole,
    so running it again is safe. Disconnects and the other transient errors drivers report
    as operational (a deadlock, a serialization failure, SQLite's "database is locked")
    are retried; a rejected statement (constraint, SQL) is real and raised at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if not (exc.connection_invalidated or isinstance(exc, OperationalError)) or attempt == attempts:
                raise
            what_failed = "the store connection was dropped" if exc.connection_invalidated else "the store failed"
            log.warning("%s: %s (%s); the transaction rolled back, retrying (%d/%d)", what, what_failed,
                        _first_line(exc.orig), attempt, attempts - 1)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


class _store:
    """A store transaction whose failures are told apart from the source's."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> Any:
        try:
            self.ctx = self.engine.begin()
            return self.ctx.__enter__()
        except DBAPIError as exc:
            raise _StoreFailed(f"cannot write to the store: {_first_line(exc.orig)}") from exc

    def __exit__(self, *exc: Any) -> bool:
        try:
            self.ctx.__exit__(*exc)
        except DBAPIError as err:
            raise _StoreFailed(f"cannot write to the store: {_first_line(err.orig)}") from err
        if exc[0] is not None and issubclass(exc[0], DBAPIError):
            raise _StoreFailed(f"cannot write to the store: {_first_line(exc[1].orig)}") from exc[1]
        return False


def known_entities(settings: Settings, engine: Engine, domain: str) -> set[str]:
    """Codes of the domain's entities: from the config and from the ``entities`` table."""
    kind = ENTITY_KIND.get(domain)
    if kind is None:
        theme = settings.theme(domain)  # issue 20: a theme's own list or the city list it names
        return set() if theme is None else _theme_entities(settings, engine, theme)
    codes = {e.code for e in getattr(settings, f"{kind}s")}
    try:
        with engine.connect() as conn:
            codes |= set(conn.execute(select(entities.c.code).where(entities.c.kind == kind)).scalars())
    except DBAPIError as exc:
        raise _StoreFailed(f"cannot read the entities from the store: {_first_line(exc.orig)}") from exc
    return codes


def _theme_entities(settings: Settings, engine: Engine, theme: Any) -> set[str]:
    try:
        return theme_entities(settings, engine, theme)
    except DBAPIError as exc:
        raise _StoreFailed(f"cannot read the entities from the store: {_first_line(exc.orig)}") from exc


def _data_times(batch: Batch, source: Source, tz: ZoneInfo) -> list[dt.datetime]:
    return [value if isinstance(value, dt.datetime) else
            dt.datetime.combine(value, dt.time(), tzinfo=tz).astimezone(UTC)  # a period's first day
            for value in batch.column(DATA_TIME.get(source.domain, "time"))]


def _lag(source: Source, watermark: str | None, at: dt.datetime) -> float | None:
    instant = wm.instant_utc(watermark, ZoneInfo(source.timezone))
    return None if instant is None else round((at - instant).total_seconds(), 3)


def describe(exc: BaseException, source: Source) -> str:
    """An error in plain words: what failed and what to check."""
    if isinstance(exc, _StoreFailed):
        return f"{exc}; check CITYBRAIN_STORE_URL and that the store is reachable and not locked"
    if isinstance(exc, SourceError):
        return str(exc).removeprefix(f"source {source.name!r}: ")
    if isinstance(exc, PoolTimeout):
        return "no free connection to the source within connect_timeout; the source is slow or saturated"
    if isinstance(exc, DBAPIError):
        detail = _first_line(exc.orig)
        if isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated:
            if "timeout" in detail.lower() or "cancel" in detail.lower() or "interrupted" in detail.lower():
                return (f"the source did not answer within statement_timeout "
                        f"({source.statement_timeout.total_seconds():g}s): {detail}; raise statement_timeout or "
                        "ask the department to index the watermark column")
            return (f"cannot read the source ({_safe_url(source.url)}): {detail}; check that the database is "
                    "running and reachable and that the url, user and password in the config are right")
        return f"the source rejected the query: {detail}; check `table`/`query` and [sources.columns]"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "(unparseable url)"
