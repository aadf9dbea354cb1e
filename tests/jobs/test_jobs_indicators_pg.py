"""The compute job's PostgreSQL fast paths (binary driver rows straight into pandas, the
traffic readings packed into fixed-width records read by numpy, COPY of the results) and its day
windows store exactly what the generic one-pass path stores (issue 10)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

import connectors
import jobs.compute.job
import jobs.compute.traffic
import simulator
from jobs.compute import compute
from store import bulk
from store.engine import make_engine, upgrade
from store.entities import sync_from_config
from store.schema import indicators, obs_traffic

UTC = dt.timezone.utc
END = dt.datetime(2026, 11, 3, 16, 0, tzinfo=UTC)  # the demo's smog days: every family has values


def _indicators(engine) -> dict[tuple, tuple]:
    keys = [indicators.c.name, indicators.c.grain, indicators.c.scope_kind, indicators.c.scope, indicators.c.time]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(indicators).order_by(*keys)).mappings().all()
    return {(r["name"], r["grain"], r["scope_kind"], r["scope"], r["time"]):
            (r["value"], r["level"], r["category"], r["detail"], r["computed_at"]) for r in rows}


def _polled_store(settings, url: str, days: int):
    """A store at ``url`` holding the demo city's last ``days`` days, as the connectors poll them."""
    simulator.create(settings, days=days, end=END)
    upgrade(url)
    engine = make_engine(url)
    sync_from_config(engine, settings)
    assert all(r.status == "ok" for r in connectors.poll(settings, engine, now=END))
    return engine


def _generic_frame(engine, stmt):
    with engine.connect() as conn:
        return bulk.frame_of_rows(conn, stmt)


def test_postgresql_fast_paths_store_what_the_generic_path_stores(settings_factory, pg_url, monkeypatch):
    settings = settings_factory()
    engine = _polled_store(settings, pg_url, 3)

    def run() -> dict:
        with engine.begin() as conn:
            conn.execute(sa.delete(indicators))
        compute(settings, engine, start=END - dt.timedelta(days=2), end=END, now=END)
        compute(settings, engine, start=END - dt.timedelta(days=1), end=END, now=END)  # a recompute overwrites
        return _indicators(engine)

    with monkeypatch.context() as m:  # the generic path: SQLAlchemy rows in, multi-row upserts out, one pass
        m.setattr(bulk, "read_frame", _generic_frame)
        m.setattr(jobs.compute.traffic, "readings_packed", jobs.compute.traffic.readings_select)
        m.setattr(bulk, "COPY_MIN_ROWS", 10**9)
        m.setattr(jobs.compute.job, "WINDOW_DAYS", 10**4)
        m.setattr(jobs.compute.job, "PIPELINE_DEPTH", 0)  # and inline: no step ahead, no writer thread
        generic = run()
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 1)  # every write through COPY
    monkeypatch.setattr(jobs.compute.job, "WINDOW_DAYS", 1)  # and the range cut at every local midnight
    monkeypatch.setattr(jobs.compute.job, "ANALYZE_AFTER_ROWS", 1)  # and the planner statistics refreshed
    monkeypatch.setattr(jobs.compute.job, "PIPELINE_DEPTH", 3)  # windows computed ahead, stored by the writer
    fast = run()
    engine.dispose()
    assert len(generic) > 2000
    assert {k[0] for k in generic} >= {"aqi", "tpi", "speed_ratio", "crowding", "hotline_calls", "economy",
                                       "vital_signs"}
    assert fast.keys() == generic.keys(), (sorted(set(fast) - set(generic))[:5], sorted(set(generic) - set(fast))[:5])
    different = [k for k in generic if fast[k] != generic[k]]
    assert not different, [(k, generic[k], fast[k]) for k in different[:3]]
    with engine.connect() as conn:  # detail None is JSON null on both paths, as SQLAlchemy writes it
        assert conn.execute(sa.text("SELECT count(*) FROM indicators WHERE detail IS NULL")).scalar() == 0
        assert conn.execute(sa.text(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'indicators'")).scalar() is not None


def _stored(engine) -> dict[tuple, tuple]:
    """Each row's result, ``computed_at`` and, on PostgreSQL, its row version (``xmin``)."""
    version = sa.literal_column("xmin::text" if engine.dialect.name == "postgresql" else "NULL").label("version")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(indicators, version)).all()
    return {(r.name, r.grain, r.scope_kind, r.scope, r.time):
            ((r.value, r.level, r.category, json.dumps(r.detail)), r.computed_at, r.version) for r in rows}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_recompute_rewrites_only_the_rows_whose_result_changed(settings_factory, pg_url, backend, monkeypatch):
    """Issue 10: an unchanged result leaves its stored row alone — same ``computed_at`` and,
    on PostgreSQL, the same row version (no dead tuple) — while a changed one is replaced,
    on the COPY path and the multi-row path alike."""
    settings = settings_factory()
    url = pg_url if backend == "postgresql" else settings.resolved_store_url
    engine = _polled_store(settings, url, 2)
    start = END - dt.timedelta(days=1)
    compute(settings, engine, start=start, end=END, now=END)
    before = _stored(engine)
    seg, hour = settings.segments[0].code, END - dt.timedelta(hours=5)
    with engine.begin() as conn:  # one link-hour slower: its speed ratio, TPI and index change
        conn.execute(sa.update(obs_traffic).where(obs_traffic.c.segment == seg, obs_traffic.c.time >= hour,
                                                  obs_traffic.c.time < hour + dt.timedelta(hours=1))
                     .values(speed=obs_traffic.c.speed / 2))
    later = END + dt.timedelta(minutes=7)
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 50)  # big batches COPY, small ones multi-row
    compute(settings, engine, start=start, end=END, now=later)
    after = _stored(engine)
    engine.dispose()
    assert after.keys() == before.keys() and len(before) > 1000
    changed = {k for k in before if after[k][0] != before[k][0]}
    assert ("speed_ratio", "hour", "segment", seg, hour) in changed
    assert ("tpi", "hour", "city", "", hour) in changed
    assert 0 < len(changed) < len(before) / 10
    assert all(after[k][1] == later for k in changed)
    kept = [k for k in before if k not in changed]
    assert [k for k in kept if after[k][1:] != before[k][1:]] == []
    if backend == "postgresql":
        assert all(after[k][2] != before[k][2] for k in changed)


@pytest.mark.parametrize("where", ["step", "write"])
def test_an_error_in_a_pipeline_thread_stops_the_compute_and_is_raised(settings_factory, pg_url, monkeypatch, where):
    """A window computed ahead, or a batch stored by the writer thread, that fails makes
    compute raise that error (not hang, not report success), as the inline run does."""
    settings = settings_factory()
    engine = _polled_store(settings, pg_url, 3)
    monkeypatch.setattr(jobs.compute.job, "WINDOW_DAYS", 1)
    module, name = (jobs.compute.traffic, "compute") if where == "step" else (bulk, "copy_indicator_frame")
    original, calls, fail_at = getattr(module, name), [], [0]

    def counted(*args, **kwargs):
        calls.append(1)
        if len(calls) == fail_at[0]:
            raise RuntimeError(f"broken {where}")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    compute(settings, engine, start=END - dt.timedelta(days=3), end=END, now=END)
    # a step ahead fails while an earlier window is stored; the writer fails on its last batch
    # (no later batch would report it)
    fail_at[0], calls[:] = (2 if where == "step" else len(calls)), []
    assert fail_at[0] >= 2
    with pytest.raises(RuntimeError, match=f"broken {where}"):
        compute(settings, engine, start=END - dt.timedelta(days=3), end=END, now=END)
    engine.dispose()
