"""The compute job: canonical observations in the store → rows of ``indicators``.

It reads what the connectors wrote, calls the pure functions of ``metrics`` and upserts
the results, so recomputing a period is idempotent. After a poll it recomputes only the
hours (and local days) the new data touched; ``citybrain compute --from --to`` runs the
same code over a whole range.

What it writes — the contract the warnings engine, the pages and the API read
(key: name, grain, scope_kind, scope, time = period start in UTC; scope "" = the city):

=======================  ==============  =====================================  ========================================
name                     grain           scope_kind                             value / category / detail
=======================  ==============  =====================================  ========================================
aqi                      hour, day       station, district, city                AQI; level 1–6; category 优…; iaqi, primary, standard, missing
tpi                      hour            city, district                         0–10; grade; tti, dtp, segments
speed_ratio              hour            segment                                v / v_free; link grade; speed, free_flow
crowding                 hour            site                                   peak present / capacity; state; present, capacity
hotline_calls            hour, day       city, district, category               calls offered
hotline_answer_rate      day             city, district                         接通率 0–1
hotline_on_time_rate     day             city, district                         按时办结率 0–1
hotline_satisfaction     day             city, district                         满意率 (broad) 0–1
economy                  month, quarter  indicator                              value; yoy, pop, ytd, ytd_yoy, revision
vital_signs              hour            city, district                         0–100; contributions, sub-indices, carried
=======================  ==============  =====================================  ========================================

``computed_at`` is when a row last changed: a recompute that gives a row the result it
already has leaves the stored row as it is (issue 10).
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import functools
import itertools
import json
import logging
import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Text, and_, cast, delete, or_, select

from citybrain.settings import Settings
from connectors.writer import COPY_MIN_ROWS, copy_upsert
from metrics import air, composite, economy, hotline, tourism, traffic
from store.schema import entities, indicators, obs_air, obs_economy, obs_hotline, obs_tourism, obs_traffic
from store.upsert import upsert

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
HOUR = pd.Timedelta("1h")
DAY = dt.timedelta(days=1)

Progress = Callable[[str, int, int], None]


@dataclass
class ComputeReport:
    start: dt.datetime
    end: dt.datetime
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# ------------------------------------------------------------------------ entry points

def compute(settings: Settings, engine: Engine, *, start: dt.datetime, end: dt.datetime,
            domains: Iterable[str] | None = None, now: dt.datetime | None = None,
            progress: Progress | None = None) -> ComputeReport:
    """Recompute every indicator whose period overlaps [start, end), then the index.

    Ranges are widened to whole local days, because daily AQI and the hotline's daily
    KPIs are properties of the day, and a partial recompute would leave a half-day value.
    """
    now = now or dt.datetime.now(UTC)
    tz = settings.tz
    day_start = _local_midnight(start, tz)
    day_end = _local_midnight(end - dt.timedelta(microseconds=1), tz) + DAY
    chosen = set(domains or ("environment", "traffic", "tourism", "economy", "hotline"))
    report = ComputeReport(day_start, day_end)
    # (label, step(start, end), by windows?) — observation steps run window by window so a
    # year never sits in memory at once; the index runs whole (it carries values forward
    # across hours, so a window edge would change it).
    steps: list[tuple[str, Callable[[dt.datetime, dt.datetime], dict[str, list[dict[str, Any]]]], bool]] = []
    if "environment" in chosen:
        steps.append(("aqi", lambda a, b: _air(settings, engine, a, b), True))
    if "traffic" in chosen:
        steps.append(("traffic", lambda a, b: _traffic(settings, engine, a, b), True))
    if "tourism" in chosen:
        steps.append(("crowding", lambda a, b: _tourism(settings, engine, a, b), True))
    if "hotline" in chosen:
        steps.append(("hotline", lambda a, b: _hotline(settings, engine, a, b, now), True))
    if "economy" in chosen:
        steps.append(("economy", lambda a, b: _economy(settings, engine), False))
    steps.append(("vital_signs", lambda a, b: _vital_signs(settings, engine, a, b), False))
    windows = _windows(day_start, day_end, tz)
    tasks = [(i, functools.partial(step, a, b)) for i, (_, step, by_window) in enumerate(steps)
             for a, b in (windows if by_window else [(day_start, day_end)])]
    # The index reads what the steps before it wrote: it runs once they are stored.
    last = [t for t in tasks if t[0] == len(steps) - 1]
    announced = -1

    def announce(i: int) -> None:
        nonlocal announced
        if progress and i != announced:
            progress(steps[i][0], i, len(steps))
        announced = i

    depth = PIPELINE_DEPTH if engine.dialect.name == "postgresql" else 0
    with _Pipeline(engine, now, depth) as pipeline:
        for i, result in pipeline.run(tasks[:len(tasks) - len(last)], announce):
            for name, rows in result.items():
                report.rows[name] = report.rows.get(name, 0) + pipeline.store(rows)
    for i, task in last:
        announce(i)
        for name, rows in task().items():
            report.rows[name] = report.rows.get(name, 0) + _upsert(engine, rows, now)
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


# ------------------------------------------------------------------------------ helpers

# PostgreSQL batches from COPY_MIN_ROWS rows go through COPY + one merge, as a poll's
# observations do (a day's 646 AQI rows took ~1 s as one multi-row INSERT, issue 10)
#: a recompute writing this many rows refreshes the table's planner statistics itself
ANALYZE_AFTER_ROWS = 100_000
#: local days per compute window of the observation steps (memory stays flat over a year)
WINDOW_DAYS = 7
#: PostgreSQL: windows computed ahead of the one being stored, each in a thread of its own
PIPELINE_DEPTH = 2


class _Pipeline:
    """The observation steps' windows computed ahead in threads and their rows stored by
    one writer thread, in order, while the next windows are read and computed.

    A window's rows wait on PostgreSQL twice — packing its readings, then merging its
    results — and the job alone left the two cores idle meanwhile: 30 days on the big
    city took 22 s wall for 10 s of Python CPU (issue 10). The driver waits without the
    GIL, so a thread waiting on the database lets another compute. Each write is still one
    transaction per batch, committed in the order the batches were computed; the first
    error of any thread stops the run and is raised. ``depth`` 0 runs everything inline
    (SQLite: one writer at a time).
    """

    def __init__(self, engine: Engine, now: dt.datetime, depth: int) -> None:
        self.engine, self.now, self.depth = engine, now, depth
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(depth, 1))
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="indicators-writer", daemon=True) if depth else None
        self._pool = concurrent.futures.ThreadPoolExecutor(depth, thread_name_prefix="indicators-step") \
            if depth else None

    def __enter__(self) -> _Pipeline:
        if self._writer:
            self._writer.start()
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._writer:
            self._queue.put(None)
            self._writer.join()
        if kind is None and self._error is not None:
            raise self._error

    def run(self, tasks: list[tuple[int, Callable[[], dict[str, Any]]]],
            started: Callable[[int], None]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each task's result, in order, with up to ``depth`` tasks running ahead."""
        if not self._pool:
            for i, task in tasks:
                started(i)
                yield i, task()
            return
        ahead: collections.deque[tuple[int, concurrent.futures.Future[dict[str, Any]]]] = collections.deque()
        todo = iter(tasks)
        for i, task in itertools.islice(todo, self.depth):
            ahead.append((i, self._pool.submit(task)))
        while ahead:
            i, future = ahead.popleft()
            started(i)
            result = future.result()
            for j, task in itertools.islice(todo, 1):
                ahead.append((j, self._pool.submit(task)))
            yield i, result

    def store(self, rows: list[dict[str, Any]] | pd.DataFrame) -> int:
        """Queue ``rows`` for the writer (inline without one); returns how many."""
        if self._error is not None:
            raise self._error
        if not self._writer:
            return _upsert(self.engine, rows, self.now)
        self._queue.put(rows)
        return len(rows)

    def _write(self) -> None:
        while (rows := self._queue.get()) is not None:
            if self._error is None:
                try:
                    _upsert(self.engine, rows, self.now)
                except BaseException as exc:  # noqa: BLE001 — raised again by the job's thread
                    self._error = exc


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


def _frame(engine: Engine, stmt: Any) -> pd.DataFrame:
    """The rows of ``stmt`` as a frame.

    On PostgreSQL the driver's own tuples go straight into pandas: building the frame
    from SQLAlchemy rows (and their per-value UTC re-tagging, which ``_times`` does again
    per column) was most of a day's compute (issue 10). The driver returns aware
    datetimes, so ``_times`` gives the same UTC columns either way.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return _frame_of_driver(conn, stmt)
        return _frame_of_rows(conn, stmt)


#: PostgreSQL's binary timestamptz counts microseconds from 2000-01-01 UTC
_PG_EPOCH_US = 946_684_800_000_000
_TIMESTAMPTZ_OID = 1184


def _frame_of_driver(conn: Any, stmt: Any) -> pd.DataFrame:
    """PostgreSQL: binary results, timestamps as integers made datetime64 per column
    (the same ``datetime64[us, UTC]`` values ``_times`` makes of datetime objects)."""
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class Micros(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> int:
            return int.from_bytes(data, "big", signed=True)

    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    with conn.connection.driver_connection.cursor() as cur:
        cur.adapters.register_loader(_TIMESTAMPTZ_OID, Micros)
        cur.execute(str(compiled), compiled.params, binary=True)
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
        stamps = [d.name for d in cur.description if d.type_code == _TIMESTAMPTZ_OID]
    for name in stamps:
        micros = frame[name].astype("Int64") + _PG_EPOCH_US
        frame[name] = pd.to_datetime(micros, unit="us", utc=True).astype("datetime64[us, UTC]")
    return frame


def _frame_of_rows(conn: Any, stmt: Any) -> pd.DataFrame:
    """Through SQLAlchemy's result rows (any backend)."""
    result = conn.execute(stmt)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def _times(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for c in cols:
        if c in frame:
            frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


def _entities(engine: Engine, kind: str) -> pd.DataFrame:
    return _frame(engine, select(entities).where(entities.c.kind == kind))


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


def _int(value: Any) -> int | None:
    f = _num(value)
    return None if f is None else int(f)


def _row(name: str, grain: str, scope_kind: str, scope: str, time: Any, value: Any, *,
         level: Any = None, category: Any = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "grain": grain, "scope_kind": scope_kind, "scope": scope or "",
            "time": pd.Timestamp(time).to_pydatetime(), "value": _num(value), "level": _int(level),
            "category": None if category is None or category is pd.NA else str(category),
            "detail": detail}


def _upsert(engine: Engine, rows: list[dict[str, Any]] | pd.DataFrame, now: dt.datetime) -> int:
    """Write computed rows; on PostgreSQL big batches go through COPY (a year is millions).

    A stored row whose result is unchanged is left as it is, ``computed_at`` included (see
    :func:`_changed`); returns the number of rows computed.
    """
    with engine.begin() as conn:
        big = conn.dialect.name == "postgresql" and len(rows) >= COPY_MIN_ROWS
        if isinstance(rows, pd.DataFrame):
            if big:
                return _copy_frame(conn, rows, now)
            rows = _frame_rows(rows)
        rows = [r | {"computed_at": now} for r in rows]
        if big:
            return copy_upsert(conn, indicators, rows, where=_changed)
        return upsert(conn, indicators, rows, where=_changed)


#: what a stored indicator row holds besides its key and ``computed_at``
_RESULT_COLUMNS = ("value", "level", "category", "detail")


def _changed(excluded: Any) -> Any:
    """The guard of every indicator upsert: replace a stored row only when its result
    differs, so a recompute of unchanged data writes nothing (no new row version, no index
    entry, no WAL — most of a recompute's rows, issue 10) and ``computed_at`` is when the
    row last changed. The detail is compared as its JSON text, where 1 and 1.0 differ."""
    stored = indicators.c
    return or_(*[(cast(stored[n], Text) if n == "detail" else stored[n])
                 .is_distinct_from(cast(excluded[n], Text) if n == "detail" else excluded[n])
                 for n in _RESULT_COLUMNS])


# Indicator frames: the rows of one indicator as columns (``_INDICATOR_COLUMNS``), ``time``
# as datetime64 UTC, ``value`` float (NaN/±inf stored as NULL, as ``_num`` does), ``detail``
# the JSON text ``json.dumps`` would write. The generic path turns them back into the dict
# rows ``_row`` makes; PostgreSQL COPYs them without a Python object per value.

_INDICATOR_COLUMNS = ("name", "grain", "scope_kind", "scope", "time", "value", "level", "category", "detail")


def _indicator_frame(name: str, grain: str, scope_kind: Any, scope: Any, time: Any, value: Any, *,
                     category: Any = None, level: Any = None, detail: Any = None) -> pd.DataFrame:
    n = len(time)

    def column(v: Any) -> Any:
        return [v] * n if v is None or isinstance(v, str) else list(v) if not isinstance(v, pd.Series) else v.tolist()

    return pd.DataFrame({
        "name": [name] * n, "grain": [grain] * n, "scope_kind": column(scope_kind),
        "scope": ["" if s is None else str(s) for s in column(scope)],
        "time": pd.DatetimeIndex(time).tz_convert("UTC").as_unit("us"),
        "value": value.astype("float64") if isinstance(value, np.ndarray) and value.dtype.kind == "f"
        else pd.array([np.nan if v is None else v for v in column(value)], dtype="float64"),
        "level": pd.array(column(level), dtype="Int64"),
        "category": pd.array([None if c is None or c is pd.NA else str(c) for c in column(category)], dtype=object),
        "detail": pd.array(column(detail) if detail is not None else ["null"] * n, dtype=object),
    }, columns=list(_INDICATOR_COLUMNS))


def _json_floats(values: Any) -> list[str]:
    """Each value as ``json.dumps(_num(v))`` writes it (NaN and ±inf become null)."""
    return ["null" if (f := _num(v)) is None else repr(f) for v in
            (values.tolist() if isinstance(values, (pd.Series, np.ndarray)) else values)]


def _json_objects(**fields: Any) -> list[str]:
    """JSON objects from per-field lists of JSON texts (in ``json.dumps``'s layout)."""
    names = [json.dumps(k) for k in fields]
    return ["{" + ", ".join(f"{k}: {v}" for k, v in zip(names, parts)) + "}" for parts in zip(*fields.values())]


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """An indicator frame as the dict rows ``_row`` makes (the generic and small writes)."""
    times = frame["time"].dt.to_pydatetime()
    return [{"name": n, "grain": g, "scope_kind": k, "scope": s, "time": t, "value": _num(v), "level": _int(lv),
             "category": c, "detail": json.loads(d)}
            for n, g, k, s, t, v, lv, c, d in zip(frame["name"], frame["grain"], frame["scope_kind"],
                                                   frame["scope"], times, frame["value"].tolist(),
                                                   frame["level"].tolist(), frame["category"], frame["detail"])]


def _copy_frame(conn: Any, frame: pd.DataFrame, now: dt.datetime) -> int:
    """PostgreSQL: binary COPY of an indicator frame into a scratch table, then an update of
    the stored rows whose result changed and a plain insert of the rows not stored yet.

    The same rows ``copy_upsert`` stores from ``_frame_rows(frame)``: times go over as
    microseconds (no datetime object per row), the detail as its JSON text cast to jsonb
    (what ``json.dumps`` + ``Jsonb`` send), NaN and ±inf values as NULL; a stored row is
    replaced only when its result changed (:func:`_changed`, spelt in SQL). Not one
    ``INSERT … ON CONFLICT``: its speculative insertion made storing 30 days' new rows take
    4.8 s against 3.0 s for a plain insert, and it locks (dirties) every unchanged row it
    meets, 2.5 s on a recompute against 0.75 s for the join (issue 10). Both joins are
    bounded to the frame's names and time span, so they read that part of ``indicators``
    only (the scratch table needs no ANALYZE: the planner sizes a never-analysed table by
    its pages). Should another writer store one of the new keys meanwhile, the insert is rolled
    back to its savepoint and the rows merge as ``ON CONFLICT`` would.
    """
    from psycopg import errors  # PostgreSQL stores only

    raw = conn.connection.driver_connection
    micros = ((frame["time"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1us")).to_numpy()
    values = frame["value"].to_numpy(dtype=float)
    values = np.where(np.isfinite(values), values, np.nan).tolist()
    levels = [None if v is pd.NA else int(v) for v in frame["level"].tolist()]
    bounds = {"names": sorted(set(frame["name"].tolist())), "now": now,
              "lo": pd.Timestamp(int(micros.min()), unit="us", tz="UTC").to_pydatetime(),
              "hi": pd.Timestamp(int(micros.max()), unit="us", tz="UTC").to_pydatetime()}
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _indicators_in (name text, grain text, scope_kind text, "
                    "scope text, us int8, value float8, level int4, category text, detail text)")
        with cur.copy("COPY _indicators_in FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "text", "text", "text", "int8", "float8", "int4", "text", "text"])
            for row in zip(frame["name"].tolist(), frame["grain"].tolist(), frame["scope_kind"].tolist(),
                           frame["scope"].tolist(), micros.tolist(), values, levels, frame["category"].tolist(),
                           frame["detail"].tolist()):
                copy.write_row(row)
        cur.execute(_UPDATE_CHANGED, bounds)
        try:
            with conn.begin_nested():
                cur.execute(_INSERT_NEW, bounds)
        except errors.UniqueViolation:
            cur.execute(_MERGE, bounds)
        cur.execute("TRUNCATE _indicators_in")
    return len(frame)


# the statements of ``_copy_frame``; ``s`` is a scratch row, ``i`` a stored one
_SCRATCH = ("s.name, s.grain, s.scope_kind, s.scope, timestamptz 'epoch' + s.us * interval '1 microsecond', "
            "NULLIF(s.value, 'NaN'::float8), s.level, s.category, s.detail::jsonb, %(now)s::timestamptz")
_SAME_KEY = ("i.name = s.name AND i.grain = s.grain AND i.scope_kind = s.scope_kind AND i.scope = s.scope "
             "AND i.time = timestamptz 'epoch' + s.us * interval '1 microsecond' "
             "AND i.name = ANY(%(names)s) AND i.time BETWEEN %(lo)s AND %(hi)s")
_UPDATE_CHANGED = (
    "UPDATE indicators AS i SET value = NULLIF(s.value, 'NaN'::float8), level = s.level, category = s.category, "
    "detail = s.detail::jsonb, computed_at = %(now)s FROM _indicators_in AS s WHERE " + _SAME_KEY + " AND "
    "(i.value, i.level, i.category, i.detail::text) "
    "IS DISTINCT FROM (NULLIF(s.value, 'NaN'::float8), s.level, s.category, s.detail::jsonb::text)")
_INSERT_NEW = (
    "INSERT INTO indicators (name, grain, scope_kind, scope, time, value, level, category, detail, computed_at) "
    "SELECT " + _SCRATCH + " FROM _indicators_in AS s WHERE NOT EXISTS (SELECT FROM indicators AS i WHERE "
    + _SAME_KEY + ")")
_MERGE = (
    "INSERT INTO indicators AS i (name, grain, scope_kind, scope, time, value, level, category, detail, computed_at) "
    "SELECT " + _SCRATCH + " FROM _indicators_in AS s "
    "ON CONFLICT (name, grain, scope_kind, scope, time) DO UPDATE SET value = excluded.value, "
    "level = excluded.level, category = excluded.category, detail = excluded.detail, "
    "computed_at = excluded.computed_at "
    "WHERE (i.value, i.level, i.category, i.detail::text) "
    "IS DISTINCT FROM (excluded.value, excluded.level, excluded.category, excluded.detail::text)")


# ---------------------------------------------------------------------------- domains

def _air(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Hourly and daily AQI (HJ 633) per station, district and city.

    Reads one extra day before ``start`` so trailing 24-hour means and O3 8-hour
    windows at the start of the range have their history. District values are the AQI
    of the district's mean concentrations, as the city value is of the city's.
    """
    cols = [obs_air.c.station, obs_air.c.time, obs_air.c.pm25, obs_air.c.pm10, obs_air.c.so2,
            obs_air.c.no2, obs_air.c.co, obs_air.c.o3]
    readings = _times(_frame(engine, select(*cols).where(obs_air.c.time >= start - DAY, obs_air.c.time < end)), "time")
    if readings.empty:
        return {}
    tz = settings.city.timezone
    district_of = {s.code: s.district for s in settings.stations}
    readings = readings[readings["station"].isin(district_of)]
    off = readings["time"] != readings["time"].dt.floor("h")
    if off.any():
        # stored before ingestion refused them (issue 19): one such row must not stop the
        # day's AQI (metrics.air refuses a frame holding it), so it is left out and said
        first = readings.loc[off].iloc[0]
        log.warning("AQI: %d stored air readings are not on the hour (e.g. %s at %s) and are left out; "
                    "delete them or re-poll the source", int(off.sum()), first["station"], first["time"])
        readings = readings.loc[~off]
    by_district = (readings.assign(station=readings["station"].map(district_of))
                   .groupby(["station", "time"], as_index=False)[["pm25", "pm10", "so2", "no2", "co", "o3"]].mean())
    out = []
    for grain, func in (("hour", air.hourly_aqi), ("day", air.daily_aqi)):
        stations = func(readings, tz=tz)
        districts = func(by_district, tz=tz)
        districts = districts[districts["scope_kind"] == "station"].assign(scope_kind="district")
        frame = pd.concat([stations, districts], ignore_index=True)
        frame = frame[(frame["time"] >= start) & (frame["time"] < end) & frame["aqi"].notna()]
        out.append(_indicator_frame("aqi", grain, frame["scope_kind"], frame["scope"], frame["time"],
                                    frame["aqi"].astype("float64"), level=frame["level"],
                                    category=frame["category"], detail=_aqi_details(frame)))
    return {"aqi": pd.concat(out, ignore_index=True)}


def _aqi_details(frame: pd.DataFrame) -> list[str]:
    """Each AQI row's detail as JSON text: the IAQIs it has (``iaqi_*`` columns, in their
    order), the primary pollutants, the edition and the colour — what ``json.dumps`` writes
    of the dict the job once built per row."""
    iaqi = [[None if (i := _int(v)) is None else f"{json.dumps(c[5:])}: {i}" for v in frame[c].tolist()]
            for c in frame.columns if c.startswith("iaqi_")]
    texts: dict[Any, str] = {}

    def text(v: Any, of: Callable[[Any], Any] = lambda v: v) -> str:
        if v not in texts:
            texts[v] = json.dumps(of(v))
        return texts[v]

    primary = [text(("primary", str(v)), lambda k: [p for p in k[1].split(",") if p]) for v in frame["primary"].tolist()]
    missing = [text(("missing", str(v)), lambda k: [p for p in k[1].split(",") if p]) for v in frame["missing"].tolist()]
    return _json_objects(iaqi=["{" + ", ".join(p for p in parts if p is not None) + "}" for parts in zip(*iaqi)]
                         if iaqi else ["{}"] * len(frame),
                         primary=primary, standard=[text(v) for v in frame["standard"].tolist()],
                         color=[text(v) for v in frame["color"].tolist()], missing=missing)


def _traffic(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """TPI (GB/T 33171) per hour for the city and each district, and each link's grade.

    Both come back as indicator frames (:func:`_frame_rows`): a year is 4.4 M link-hours,
    and a dict per row was most of a year's compute (issue 10).
    """
    segs = pd.DataFrame([{"segment": s.code, "length_km": s.length_km, "free_flow": s.free_flow_kmh,
                          "district": s.district} for s in settings.segments],
                        columns=["segment", "length_km", "free_flow", "district"])
    known = _traffic_readings(engine, segs["segment"].tolist(), start, end)
    if known.empty:
        return {}
    # the city over all its segments, every district over its own in one pass (tpi_by_hour's
    # `by` gives each group exactly what a call on the group alone gives)
    city = traffic.tpi_by_hour(known, segs).assign(scope_kind="city", scope="")
    districts = traffic.tpi_by_hour(known, segs, by="district").rename(columns={"district": "scope"}) \
        .assign(scope_kind="district")
    hourly = pd.concat([city, districts[city.columns]], ignore_index=True)
    hourly = hourly[np.isfinite(hourly["tpi"].to_numpy(dtype=float))]
    tpi = _indicator_frame("tpi", "hour", hourly["scope_kind"], hourly["scope"], hourly["time"], hourly["tpi"],
                           category=hourly["grade"],
                           detail=_json_objects(tti=_json_floats(hourly["tti"]), dtp=_json_floats(hourly["dtp"]),
                                                segments=hourly["segments"].astype("int64").astype(str)))
    speeds = traffic.link_speeds(known).merge(segs[["segment", "free_flow"]], on="segment")
    free_flow = speeds["free_flow"].to_numpy()
    grades = traffic.link_grades(speeds["speed"].to_numpy(dtype=float), free_flow)
    speed = speeds["speed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = speed / free_flow.astype(float)  # what v / f gives per row; not finite → NULL, as _num
    # detail as json.dumps writes it: the speed rounded as Python rounds, the free-flow speed as configured
    free_flow_json = {v: json.dumps(v) for v in set(free_flow.tolist())}
    detail = [f'{{"speed": {repr(r) if math.isfinite(r := round(v, 2)) else "null"}, "free_flow": {free_flow_json[f]}}}'
              for v, f in zip(speed.tolist(), free_flow.tolist())]
    links = _indicator_frame("speed_ratio", "hour", "segment", speeds["segment"], speeds["hour"],
                             np.where(np.isfinite(ratio), ratio, np.nan), category=grades, detail=detail)
    return {"tpi": tpi, "speed_ratio": links}


def _traffic_readings(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """``segment, time, speed, volume`` of the configured segments in [start, end).

    On PostgreSQL they come packed into fixed-width records (:func:`_traffic_packed`): a
    week of the 500-segment city is 1 M rows, and a Python object per value was most of
    the compute (issue 10).
    """
    if not codes:
        return pd.DataFrame(columns=["segment", "time", "speed", "volume"])
    read = _traffic_packed if engine.dialect.name == "postgresql" else _traffic_select
    return read(engine, codes, start, end).reset_index(drop=True)


def _traffic_select(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Any backend: the rows through ``_frame``."""
    c = obs_traffic.c
    frame = _times(_frame(engine, select(c.segment, c.time, c.speed, c.volume).where(c.time >= start, c.time < end)),
                   "time")
    frame = frame[frame["segment"].isin(codes)]
    return frame.assign(speed=pd.to_numeric(frame["speed"]).astype(float),
                        volume=pd.to_numeric(frame["volume"]).astype(float))


#: one record of ``_traffic_packed``: segment position, time (µs since 2000), speed, volume
_TRAFFIC_RECORD = np.dtype([("seg", ">i4"), ("time", ">i8"), ("speed", ">f8"), ("volume", ">f8")])
#: days per packed read (a bytea holds at most 1 GB: 7 days of 500 segments are 28 MB)
_PACK_DAYS = 7


def _traffic_packed(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """PostgreSQL: the rows packed server-side into one bytea of fixed-width big-endian
    records (``*send`` functions, a missing speed or volume as NaN) that numpy reads in one
    go. A row per message — COPY or a cursor — costs a Python round per row; this is one
    value per week (issue 10)."""
    query = ("SELECT string_agg(int4send(s.i::int4) || timestamptz_send(o.time) "
             "|| float8send(coalesce(o.speed::float8, 'NaN')) || float8send(coalesce(o.volume::float8, 'NaN')), "
             "''::bytea) FROM obs_traffic o JOIN unnest(%s::text[]) WITH ORDINALITY AS s(code, i) "
             "ON s.code = o.segment WHERE o.time >= %s AND o.time < %s")
    parts = []
    with engine.connect() as conn, conn.connection.driver_connection.cursor() as cur:
        a = start
        while a < end:
            b = min(a + dt.timedelta(days=_PACK_DAYS), end)
            cur.execute(query, (codes, a, b), binary=True)
            packed = cur.fetchone()[0]
            if packed:
                parts.append(np.frombuffer(packed, dtype=_TRAFFIC_RECORD))
            a = b
    records = np.concatenate(parts) if parts else np.empty(0, dtype=_TRAFFIC_RECORD)
    return pd.DataFrame({
        # categorical: the metrics look segments up once per code, not once per reading
        "segment": pd.Categorical.from_codes(records["seg"].astype(np.int64) - 1, categories=pd.Index(codes)),
        "time": pd.to_datetime(records["time"].astype(np.int64) + _PG_EPOCH_US, unit="us", utc=True)
        .astype("datetime64[us, UTC]"),
        "speed": records["speed"].astype(np.float64),
        "volume": records["volume"].astype(np.float64),
    })


def _tourism(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Crowding per site and hour: the hour's peak present against LB/T 034 capacity C1."""
    obs = _times(_frame(engine, select(obs_tourism.c.site, obs_tourism.c.time, obs_tourism.c.present)
                        .where(obs_tourism.c.time >= start, obs_tourism.c.time < end)), "time")
    if obs.empty:
        return {}
    capacity = {s.code: s.capacity for s in settings.sites}
    obs = obs[obs["site"].isin(capacity)]
    peak = obs.assign(hour=obs["time"].dt.floor("h")).groupby(["site", "hour"], as_index=False)["present"].max()
    states = tourism.crowding_states(peak["present"], peak["site"].map(capacity))
    peak = pd.concat([peak.reset_index(drop=True), states.reset_index(drop=True)], axis=1)
    detail = _json_objects(present=[str(int(p)) for p in peak["present"].tolist()],
                           capacity=[json.dumps(capacity[s]) for s in peak["site"].tolist()])
    return {"crowding": _indicator_frame("crowding", "hour", "site", peak["site"], peak["hour"], peak["ratio"],
                                         category=peak["state"], detail=detail)}


def _hotline(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
             now: dt.datetime) -> dict[str, Any]:
    """Calls per hour and day, and the day's GB/T 33358 KPIs, for the city and districts.

    A day's KPIs depend on tickets created that day, judged at ``now`` (a ticket closed
    tomorrow changes today's 按时办结率), so each recompute of a day overwrites it. The
    KPIs of every day and district come from one grouped pass (``hotline.kpi_table``).
    """
    h = obs_hotline.c
    tickets = _times(_frame(engine, select(*[h[c] for c in hotline.TICKET_COLUMNS])
                            .where(h.created_at >= start, h.created_at < end)),
                     "created_at", "due_at", "closed_at")
    if tickets.empty:
        return {}
    tz = settings.tz
    tickets["hour"] = tickets["created_at"].dt.floor("h")
    tickets["day"] = tickets["created_at"].dt.tz_convert(tz).dt.floor("D").dt.tz_convert("UTC")
    calls = []
    for grain, col in (("hour", "hour"), ("day", "day")):
        for kind, by in (("city", None), ("district", "district"), ("category", "category")):
            counts = tickets.groupby([col] if by is None else [col, by]).size().reset_index(name="n")
            calls.append(_indicator_frame("hotline_calls", grain, kind, "" if by is None else counts[by],
                                          counts[col], counts["n"]))
    city = hotline.kpi_table(tickets, "day", now=now).assign(district="")
    k = pd.concat([city, hotline.kpi_table(tickets, ["day", "district"], now=now)[city.columns]],
                  ignore_index=True)
    kind = pd.Series(np.where(k["district"].astype(bool), "district", "city"))
    detail = pd.Series(_json_objects(offered=k["offered"].astype(str), answered=k["answered"].astype(str),
                                     answer_rate_15s=_json_floats(k["answer_rate_15s"]),
                                     overdue=k["overdue"].astype(str)))
    kpi_frames = []
    for name, column in (("hotline_answer_rate", "answer_rate"), ("hotline_on_time_rate", "on_time_rate"),
                         ("hotline_satisfaction", "satisfaction_broad")):
        known = k[column].notna().to_numpy()
        kpi_frames.append(_indicator_frame(name, "day", kind[known], k["district"][known], k["day"][known],
                                           k[column][known], detail=detail[known]))
    return {"hotline_calls": pd.concat(calls, ignore_index=True),
            "hotline_kpis": pd.concat(kpi_frames, ignore_index=True)}


def _economy(settings: Settings, engine: Engine) -> dict[str, list]:
    """同比, 环比, 累计 and 累计同比 per indicator and period on the newest revision (city totals)."""
    obs = _frame(engine, select(obs_economy.c.indicator, obs_economy.c.period, obs_economy.c.value,
                                obs_economy.c.revision, obs_economy.c.period_start)
                 .where(obs_economy.c.district == settings.city.code))
    if obs.empty:
        return {}
    how = {i.code: i.aggregation for i in settings.indicators}
    freq = {i.code: i.freq for i in settings.indicators}
    starts = {(r["indicator"], r["period"]): r["period_start"] for r in obs.to_dict("records")}
    grown = economy.growth(obs[["indicator", "period", "value", "revision"]], aggregation=how)
    rows = []
    for r in grown.to_dict("records"):
        period_start = starts.get((r["indicator"], r["period"]))
        if period_start is None:
            continue
        time = dt.datetime(period_start.year, period_start.month, 1, tzinfo=settings.tz).astimezone(UTC)
        rows.append(_row("economy", freq.get(r["indicator"], "month"), "indicator", r["indicator"], time, r["value"],
                         detail={"period": r["period"], "yoy": _num(r["yoy"]), "pop": _num(r["pop"]),
                                 "ytd": _num(r["ytd"]), "ytd_yoy": _num(r["ytd_yoy"]),
                                 "revision": _int(r["revision"])}))
    return {"economy": rows}


def _vital_signs(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime) -> dict[str, list]:
    """城市体征指数 per hour for the city and each district (OECD/JRC composite).

    Inputs per (hour, scope): hourly TPI and AQI of that scope; the peak crowding ratio
    of its sites; the hotline KPIs of the local day so far; and the headline statistic's
    同比 of the latest period that had ended by then (statistics are city-wide, so every
    district shares it). A scope without a domain (no road segments in a county) is
    reweighted over what it has, per the spec's missing-data rule, and the imputed share
    is stored next to the score.
    """
    ind = _frame(engine, select(indicators.c.name, indicators.c.grain, indicators.c.scope_kind, indicators.c.scope,
                                indicators.c.time, indicators.c.value)
                 .where(indicators.c.name.in_(["tpi", "aqi", "crowding", "hotline_answer_rate",
                                               "hotline_on_time_rate", "hotline_satisfaction"]),
                        indicators.c.time >= start - DAY, indicators.c.time < end))
    econ = _frame(engine, select(indicators.c.scope, indicators.c.time, indicators.c.grain, indicators.c.detail)
                  .where(indicators.c.name == "economy"))
    if ind.empty:
        return {}
    ind = _times(ind, "time")
    hours = pd.date_range(start, end, freq="h", inclusive="left", tz="UTC")
    scopes = [("city", "")] + [("district", d.code) for d in settings.districts]
    base = pd.DataFrame([(h, k, s) for h in hours for k, s in scopes], columns=["time", "scope_kind", "scope"])

    def hourly(name: str) -> pd.DataFrame:
        f = ind[(ind["name"] == name) & (ind["grain"] == "hour") & ind["scope_kind"].isin(["city", "district"])]
        return f[["time", "scope_kind", "scope", "value"]].rename(columns={"value": name})

    frame = base.merge(hourly("tpi"), how="left", on=["time", "scope_kind", "scope"]) \
                .merge(hourly("aqi"), how="left", on=["time", "scope_kind", "scope"])
    crowd = ind[(ind["name"] == "crowding") & (ind["grain"] == "hour")]
    site_district = {s.code: s.district for s in settings.sites}
    crowd = crowd.assign(district=crowd["scope"].map(site_district))
    city_crowd = crowd.groupby("time", as_index=False)["value"].max().assign(scope_kind="city", scope="")
    dist_crowd = crowd.groupby(["time", "district"], as_index=False)["value"].max() \
                      .rename(columns={"district": "scope"}).assign(scope_kind="district")
    frame = frame.merge(pd.concat([city_crowd, dist_crowd]).rename(columns={"value": "crowding_max"}),
                        how="left", on=["time", "scope_kind", "scope"])
    tz = settings.tz
    frame["day"] = frame["time"].dt.tz_convert(tz).dt.floor("D").dt.tz_convert("UTC")
    for name in ("hotline_answer_rate", "hotline_on_time_rate", "hotline_satisfaction"):
        f = ind[(ind["name"] == name) & (ind["grain"] == "day")][["time", "scope_kind", "scope", "value"]]
        frame = frame.merge(f.rename(columns={"time": "day", "value": name}), how="left",
                            on=["day", "scope_kind", "scope"])
    frame["economy_yoy"] = _headline_yoy(settings, econ, frame["time"])
    frame, carried = _carry_forward(settings, frame)
    spec = settings.vital_signs_spec
    result = composite.index(frame.drop(columns=["day"]), spec, applicable=applicable_inputs(settings, frame))
    scores, contrib = result.scores, result.contributions
    sub_names = [c for c in scores.columns if c not in ("time", "scope_kind", "scope", "score", "coverage",
                                                        "imputed_weight")]
    ind_names = [c for c in contrib.columns if c not in ("time", "scope_kind", "scope")]
    rows = []
    # whole-frame record lists, not .iloc per row: a year is 61 K hours × scopes
    contributions = contrib.to_dict("records")
    inputs_of = frame[[n for n in ind_names if n in frame]].to_dict("records")
    carried_of = carried.to_dict("records")
    for i, r in enumerate(scores.to_dict("records")):
        if _num(r["score"]) is None:
            continue
        inputs, was_carried = inputs_of[i], carried_of[i]
        rows.append(_row("vital_signs", "hour", r["scope_kind"], r["scope"], r["time"], round(r["score"], 2),
                         detail={"sub_indices": {n: _num(r[n]) for n in sub_names},
                                 "contributions": {n: _num(contributions[i][n]) for n in ind_names},
                                 "inputs": {n: _num(inputs[n]) for n in ind_names},
                                 "carried": sorted(n for n in ind_names if was_carried.get(n, False)),
                                 "coverage": _num(r["coverage"]), "imputed_weight": _num(r["imputed_weight"])}))
    return {"vital_signs": rows}


def applicable_inputs(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    """Which hourly inputs can exist per row: a district with no monitored road, air station
    or scenic site has no TPI, AQI or crowding — a structural absence, not missing data, so
    the index's coverage rule is taken over what applies (metrics.composite.index)."""
    has = composite.inputs_by_district(settings)
    district = frame["scope_kind"] == "district"
    return pd.DataFrame({col: ~district | frame["scope"].isin(codes) for col, codes in has.items()}, index=frame.index)


#: which domain's freshness limit governs each hourly input of the index
_INPUT_DOMAIN = {"tpi": "traffic", "aqi": "environment", "crowding_max": "tourism"}


def _carry_forward(settings: Settings, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carry each hourly input forward within its domain's max age; say which were carried.

    Air data arrives once an hour, some time after the hour: without this, the newest
    hour's index is computed without the environment, and a city in heavy smog reads
    良好 on the wall. A value is still current until its domain's max age has passed
    (``[domains.*] max_age``), so it stands in for the hours that have not reported yet;
    beyond that it is missing and the index reweights, as the spec declares.
    """
    frame = frame.sort_values(["scope_kind", "scope", "time"]).reset_index(drop=True)
    carried = pd.DataFrame(False, index=frame.index, columns=list(_INPUT_DOMAIN))
    for column, domain in _INPUT_DOMAIN.items():
        hours = int(settings.max_age(domain) // dt.timedelta(hours=1))
        if hours < 1 or column not in frame:
            continue
        filled = frame.groupby(["scope_kind", "scope"])[column].ffill(limit=hours)
        carried[column] = frame[column].isna() & filled.notna()
        frame[column] = filled
    return frame, carried


def _headline_yoy(settings: Settings, econ: pd.DataFrame, times: pd.Series) -> np.ndarray:
    """The headline statistic's 同比 as it stood at each time (latest period ended by then)."""
    headline = next((i for i in settings.indicators if i.headline), None)
    out = np.full(len(times), np.nan)
    if headline is None or econ.empty:
        return out
    e = econ[econ["scope"] == headline.code].copy()
    if e.empty:
        return out
    e = _times(e, "time")
    months = 3 if headline.freq == "quarter" else 1
    e["ended"] = [t + pd.DateOffset(months=months) for t in e["time"]]
    e["yoy"] = [(d or {}).get("yoy") for d in e["detail"]]
    e = e.dropna(subset=["yoy"]).sort_values("ended")
    if e.empty:
        return out
    idx = np.searchsorted(e["ended"].to_numpy(), times.to_numpy(), side="right") - 1
    yoy = e["yoy"].to_numpy(dtype=float)
    return np.where(idx >= 0, yoy[np.clip(idx, 0, None)], np.nan)


def clear(engine: Engine, *, start: dt.datetime, end: dt.datetime) -> int:
    """Delete computed indicators in [start, end) (before a full recompute)."""
    with engine.begin() as conn:
        return conn.execute(delete(indicators).where(and_(indicators.c.time >= start, indicators.c.time < end))).rowcount
