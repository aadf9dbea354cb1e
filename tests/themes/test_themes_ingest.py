"""A theme's sources are polled like any domain's (issue 20): rows onto theme_obs, units
converted, field-level validity and quarantine as for built-in domains, events kept once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from connectors.poll import poll
from store.schema import field_issues, quarantine, source_status, theme_obs
from tests.themes import depot
from tests.themes.conftest import NOW, city_settings


def test_readings_and_events_are_stored_with_their_problems(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    readings, events = depot.build(url)
    settings = city_settings(url, tmp_path)
    reports = {r.name: r for r in poll(settings, sqlite_store, now=NOW, parallel=False)}
    assert {r.status for r in reports.values()} == {"ok"}
    usable = [r for r in readings if r["stock_kg"] not in (None, "NA") and float(r["stock_kg"]) >= 0]
    with sqlite_store.connect() as conn:
        stored = {(r.entity, r.time.replace(tzinfo=None)): r.vals["stock"] for r in conn.execute(
            sa.select(theme_obs).where(theme_obs.c.source == "depot_stock"))}
        assert len(stored) == len(usable)
        for r in usable[:50]:  # kg → t, the indicator's unit
            assert abs(stored[(r["depot_id"], r["read_at"])] - float(r["stock_kg"]) / 1000) < 1e-9
        bad = conn.execute(sa.select(quarantine.c.reason).where(quarantine.c.source == "depot_stock")).scalars().all()
        assert len(bad) == len(readings) - len(usable)
        assert any("below 0 t" in b for b in bad) and any("missing-value marker" in b for b in bad)
        ev = {r.ref: r for r in conn.execute(sa.select(theme_obs).where(theme_obs.c.source == "depot_deliveries"))}
        assert len(ev) == len(events)
        e0 = events[0]
        assert ev[e0["delivery_no"]].category == e0["goods"]
        assert ev[e0["delivery_no"]].vals == {"punctual": None if e0["on_time"] is None else bool(e0["on_time"]),
                                             "delayed": bool(e0["late"])}
        status = dict(conn.execute(sa.select(source_status.c.name, source_status.c.domain)).all())
        assert status == {"depot_stock": "depot", "depot_deliveries": "depot"}

    # an event corrected at the source: re-read, it replaces its version (also when it moved depot)
    later = depot.END + dt.timedelta(minutes=20)
    depot.correct(url, events, later)
    poll(settings, sqlite_store, now=NOW + dt.timedelta(hours=1), parallel=False)
    with sqlite_store.connect() as conn:
        ev = {r.ref: r for r in conn.execute(sa.select(theme_obs).where(theme_obs.c.source == "depot_deliveries"))}
        n = conn.execute(sa.select(sa.func.count()).select_from(theme_obs).where(
            theme_obs.c.source == "depot_deliveries")).scalar()
    assert n == len(events)
    moved = events[21]
    assert ev[moved["delivery_no"]].entity == moved["depot_id"]
    assert all(ev[e["delivery_no"]].vals["punctual"] == (None if e["on_time"] is None else bool(e["on_time"]))
               for e in events)


def test_a_text_in_a_yes_no_column_is_a_field_issue(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    _, events = depot.build(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deliveries SET on_time = 'maybe' WHERE delivery_no = 'DL0003'")
    engine.dispose()
    poll(city_settings(url, tmp_path), sqlite_store, now=NOW, parallel=False)
    with sqlite_store.connect() as conn:
        issue = conn.execute(sa.select(field_issues).where(field_issues.c.source == "depot_deliveries")).one()
        row = conn.execute(sa.select(theme_obs.c.vals).where(theme_obs.c.ref == "DL0003")).scalar_one()
    assert issue.field == "punctual" and issue.rule == "unparseable" and issue.value == "maybe"
    assert row["punctual"] is None  # the event is kept: it still counts


def test_sources_page_lists_theme_sources_with_health(tmp_path, sqlite_store):
    from components.sources.sources_table import sources_table
    from store.queries.sources import source_overview

    url = f"sqlite:///{tmp_path}/depot.db"
    depot.build(url)
    settings = city_settings(url, tmp_path)
    poll(settings, sqlite_store, now=NOW, parallel=False)
    soon = depot.END.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=10)
    rows = {r["name"]: r for r in source_overview(sqlite_store, settings, now=soon)}
    assert rows["depot_stock"]["status"] == "ok" and rows["depot_stock"]["domain_zh"] == "仓储"
    assert rows["depot_deliveries"]["rows_written_total"] == 400
    assert not rows["depot_stock"]["stale"]  # newest reading 20 min old, the theme's max_age 30m
    assert source_overview(sqlite_store, settings, now=soon + dt.timedelta(minutes=15))[0]["stale"]
    shown = str(sources_table(list(rows.values()), "zh", settings.tz).to_plotly_json())
    assert "仓储" in shown and "domain.depot" not in shown
