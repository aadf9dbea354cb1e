"""``create`` and ``advance``: history at once, then the rows that become due as time runs.

Neither keeps state between calls: ``advance`` reads where each table stands (its newest
update stamp) from the database itself, and the generators are pure, so a demo can be
stopped, restarted, or advanced by a second process without drift. See
:mod:`simulator.feed` for why this is exact and idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from citybrain.settings import Settings
from simulator import economy, environment, generic, hotline, tourism, traffic
from simulator.clock import as_datetime64, floor_5min, to_local_naive
from simulator.feed import Department, Feed, changes, state_at
from simulator.sink import insert_frame, open_engine, update_frame

DEPARTMENTS: tuple[str, ...] = ("traffic", "environment", "tourism", "economy", "hotline")
MAX_DAYS = 365

Progress = Callable[[str, int, int], None]


class NotCreatedError(RuntimeError):
    """``advance`` found no tables: the department database was never created."""


def _department(name: str, settings: Settings) -> Department:
    modules = {"traffic": traffic, "environment": environment, "tourism": tourism,
               "economy": economy, "hotline": hotline}
    if name in modules:
        return modules[name].DEPARTMENT
    for spec in settings.demo.departments:  # a theme's department, described in the config
        if spec.name == name:
            return generic.department(settings, spec)
    raise ValueError(f"unknown department {name!r}; choose from {', '.join(_names(settings))}")


def _names(settings: Settings) -> list[str]:
    """The built-in departments and the city's ``[[demo.departments]]``."""
    return [*DEPARTMENTS, *(d.name for d in settings.demo.departments)]


def default_urls(settings: Settings) -> dict[str, str]:
    """SQLite files under ``settings.departments_dir`` — where the config's sources point."""
    folder = settings.departments_dir.resolve()
    return {name: f"sqlite:///{folder / f'{name}.db'}" for name in _names(settings)}


def _urls(settings: Settings, urls: Mapping[str, str] | None, target_url: str | None,
          departments: Iterable[str] | None) -> dict[str, str]:
    chosen = list(departments) if departments is not None else _names(settings)
    for name in chosen:
        _department(name, settings)
    if target_url:
        return {name: target_url for name in chosen}
    resolved = {**default_urls(settings), **(urls or {})}
    return {name: resolved[name] for name in chosen}


def _local_now(settings: Settings) -> datetime:
    return to_local_naive(datetime.now(settings.tz), settings.tz)


def _day_chunks(first: date, last: date, size: int) -> list[tuple[date, date]]:
    out = []
    d = first
    while d <= last:
        stop = min(last, d + timedelta(days=size - 1))
        out.append((d, stop))
        d = stop + timedelta(days=1)
    return out


def _fill(conn: Connection, settings: Settings, seed: int, feed: Feed, start: datetime, moment: datetime,
          tick: Callable[[], None]) -> int:
    """Write every row born in [start, moment) as it stands at ``moment``."""
    when = as_datetime64(moment)
    lower = as_datetime64(start)
    first_day = (start - feed.horizon).date() if feed.born is None else start.date()
    written = 0
    for d0, d1 in _day_chunks(first_day, moment.date(), feed.chunk_days):
        versions = feed.versions(settings, seed, d0, d1)
        if feed.born is not None and not versions.empty:
            versions = versions[versions[feed.born].to_numpy() >= lower]
        written += insert_frame(conn, feed.table, state_at(feed, versions, when))
        tick()
    return written


def create(
    settings: Settings,
    urls: Mapping[str, str] | None = None,
    *,
    target_url: str | None = None,
    end: datetime | None = None,
    days: int | None = None,
    seed: int | None = None,
    departments: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """(Re)create the departments' tables and fill ``days`` of history ending at ``end``.

    ``end`` is tz-aware (naive is read as city-local); default now, floored to 5 minutes.
    Returns rows written per table.
    """
    tz = settings.tz
    end_local = floor_5min(to_local_naive(end, tz) if end is not None else _local_now(settings))
    days = settings.demo.days if days is None else int(days)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    seed = settings.demo.seed if seed is None else int(seed)
    written: dict[str, int] = {}
    for name, url in _urls(settings, urls, target_url, departments).items():
        dept = _department(name, settings)
        engine = open_engine(url)
        try:
            plans = [(f, f.start_for(end_local, days)) for f in dept.feeds]
            total = sum(len(_day_chunks((s - f.horizon).date() if f.born is None else s.date(),
                                        end_local.date(), f.chunk_days)) for f, s in plans)
            done = [0]

            def tick(name: str = name) -> None:
                done[0] += 1
                if progress is not None:
                    progress(name, done[0], total)

            dept.metadata.drop_all(engine)
            dept.metadata.create_all(engine)
            with engine.begin() as conn:
                for table, rows_of in dept.lookups:
                    rows = rows_of(settings)
                    if rows:
                        conn.execute(table.insert(), rows)
                    written[table.name] = len(rows)
            for feed, start in plans:
                with engine.begin() as conn:
                    written[feed.table.name] = _fill(conn, settings, seed, feed, start, end_local, tick)
        finally:
            engine.dispose()
    return written


def advance(
    settings: Settings,
    urls: Mapping[str, str] | None = None,
    *,
    target_url: str | None = None,
    until: datetime | None = None,
    seed: int | None = None,
    departments: Iterable[str] | None = None,
) -> dict[str, int]:
    """Write what became due up to ``until`` (default now): new rows and lifecycle updates.

    Where each table stands is read from the table (its newest update stamp), so calling
    twice with the same ``until`` changes nothing. Returns rows inserted or updated per table.
    """
    tz = settings.tz
    until_local = to_local_naive(until, tz) if until is not None else _local_now(settings)
    seed = settings.demo.seed if seed is None else int(seed)
    written: dict[str, int] = {}
    for name, url in _urls(settings, urls, target_url, departments).items():
        dept = _department(name, settings)
        engine = open_engine(url)
        try:
            missing = [t for t in dept.metadata.sorted_tables if not sa.inspect(engine).has_table(t.name)]
            if missing:
                raise NotCreatedError(
                    f"the {name} department database at {engine.url.render_as_string(hide_password=True)} "
                    f"has no table {missing[0].name}; run simulator.create (citybrain demo) first"
                )
            with engine.begin() as conn:
                for feed in dept.feeds:
                    written[feed.table.name] = _advance_feed(conn, settings, seed, feed, until_local)
        finally:
            engine.dispose()
    return written


def _advance_feed(conn: Connection, settings: Settings, seed: int, feed: Feed, until: datetime) -> int:
    newest = conn.execute(sa.select(sa.func.max(feed.table.c[feed.stamp]))).scalar()
    if newest is None:  # created empty (e.g. days of nothing): start the history now
        return _fill(conn, settings, seed, feed, feed.start_for(until, settings.demo.days), until, lambda: None)
    if newest >= until:
        return 0
    versions = feed.versions(settings, seed, (newest - feed.horizon).date(), until.date())
    if versions.empty:
        return 0
    inserts, updates = changes(feed, versions, np.datetime64(newest, "s"), as_datetime64(until))
    if feed.born is not None and not updates.empty:
        # rows born before the database's history (e.g. a ticket opened before `create`'s
        # start that is revisited now) are not in it: leave them out rather than update nothing
        oldest = conn.execute(sa.select(sa.func.min(feed.table.c[feed.born]))).scalar()
        updates = updates[updates[feed.born].to_numpy() >= np.datetime64(oldest, "s")]
    return insert_frame(conn, feed.table, inserts) + update_frame(conn, feed.table, updates)
