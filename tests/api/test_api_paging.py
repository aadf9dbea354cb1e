"""Keyset paging (issue 19): no row twice or skipped while rows are written, a forged cursor is a 400,
and a page by cursor runs no OFFSET and no COUNT — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import delete, event, insert

from store.schema import obs_traffic

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
STEP = dt.timedelta(minutes=5)
PATH = "/api/v1/observations/traffic"


@pytest.fixture
def traffic(api):
    """600 readings: 4 segments × 150 five-minute stamps."""
    segments = [s.code for s in api.settings.segments[:4]]
    now = dt.datetime.now(UTC)
    rows = [{"segment": seg, "time": T0 + i * STEP, "speed": 30.0, "volume": float(i), "source": "t",
             "ingested_at": now} for i in range(150) for seg in segments]
    with api.engine.begin() as conn:
        conn.execute(delete(obs_traffic))
        conn.execute(insert(obs_traffic), rows)
    yield {(r["segment"], r["time"]) for r in rows}
    with api.engine.begin() as conn:
        conn.execute(delete(obs_traffic))


def key(item: dict) -> tuple[str, dt.datetime]:
    return item["segment"], dt.datetime.fromisoformat(item["time"]).astimezone(UTC)


def pull(api, first: str, pause: threading.Event | None = None) -> list[dict]:
    """Every page from ``first`` on, following next."""
    items, url = [], first
    while url:
        r = api.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        items += body["items"]
        url = body["next"]
        if pause is not None:
            pause.wait(0.002)  # let the writer in between pages
    return items


def test_no_row_twice_or_skipped_under_concurrent_inserts(api, traffic):
    """A writer inserts rows before and after the reader's position while it pages through."""
    stop, inserted = threading.Event(), []
    extra = [s.code for s in api.settings.segments[4:8]] or ["ZZ01"]

    def writer() -> None:
        rnd = random.Random(19)
        now = dt.datetime.now(UTC)
        while not stop.is_set():
            seg, i = rnd.choice(extra), rnd.randrange(-20, 170)
            t = T0 + i * STEP + dt.timedelta(seconds=rnd.randrange(1, 299))  # never an existing stamp
            if (seg, t) in inserted:
                continue
            with api.engine.begin() as conn:
                conn.execute(insert(obs_traffic).values(segment=seg, time=t, speed=20.0, volume=1.0, source="w",
                                                        ingested_at=now))
            inserted.append((seg, t))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        got = pull(api, f"{PATH}?limit=37", pause=stop)
    finally:
        stop.set()
        thread.join(timeout=30)
    keys = [key(i) for i in got]
    assert len(keys) == len(set(keys)), "a row came twice"
    assert traffic <= set(keys), f"{len(traffic - set(keys))} rows present throughout were skipped"
    order = [(t, s) for s, t in keys]
    assert order == sorted(order), "pages out of order"
    assert len(inserted) > 20, f"the writer got only {len(inserted)} rows in: not a concurrent test"
    assert set(keys) - traffic, "no concurrent insert was ever ahead of the reader"


def test_offset_would_repeat_rows_a_cursor_does_not(api, traffic):
    """Rows inserted before the reader's position: the next page by cursor continues where the
    first ended, the same page by offset repeats rows (why the API pages by cursor)."""
    first = api.get(PATH, limit=40).get_json()
    assert first["total"] == 600 and first["offset"] == 0
    now = dt.datetime.now(UTC)
    with api.engine.begin() as conn:
        conn.execute(insert(obs_traffic), [{"segment": api.settings.segments[0].code,
                                            "time": T0 - dt.timedelta(minutes=m), "speed": 1.0, "source": "w",
                                            "ingested_at": now} for m in (1, 2, 3)])
    by_cursor = api.get(first["next"]).get_json()
    by_offset = api.get(PATH, limit=40, offset=40).get_json()
    seen = {key(i) for i in first["items"]}
    assert not seen & {key(i) for i in by_cursor["items"]}
    assert key(by_cursor["items"][0])[::-1] > key(first["items"][-1])[::-1]  # (time, segment) goes on
    assert len(seen & {key(i) for i in by_offset["items"]}) == 3  # offset's known flaw, kept for old clients


def test_forged_or_replayed_cursors_are_400(api, traffic):
    first = api.get(PATH, limit=10).get_json()
    nxt = first["next"]
    cursor = parse_qs(urlsplit(nxt).query)["cursor"][0]
    body, sig = cursor.rsplit(".", 1)
    forged_sig = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    other_key = URLSafeSerializer("not-the-secret", salt="citybrain.api.cursor.v1").dumps(
        {"q": "x", "k": ["2026-03-01T00:00:00+00:00", "R001"]})
    for bad in (forged_sig, other_key, "garbage", "", "x" * 2000, cursor + "x"):
        r = api.get(PATH, limit=10, cursor=bad)
        assert r.status_code == 400 and "cursor" in r.get_json()["message"], bad[:30]
    # a real cursor on another query (another entity, another list) is not accepted either
    seg = api.settings.segments[0].code
    assert api.get(PATH, limit=10, cursor=cursor, entity=seg).status_code == 400
    assert api.get("/api/v1/observations/environment", limit=10, cursor=cursor).status_code == 400
    assert api.get(PATH, limit=10, cursor=cursor, offset=10).status_code == 400
    assert api.get(PATH, limit=20, cursor=cursor).status_code == 200  # the page size may change on the way


def test_a_cursor_page_reads_no_offset_and_counts_nothing(api, traffic):
    """Constant cost per page: a page by cursor is one bounded range read of the next rows."""
    first = api.get(PATH, limit=50).get_json()
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, params, context, executemany):  # noqa: ANN001 — SQLAlchemy's hook
        statements.append((statement, params))

    event.listen(api.engine, "before_cursor_execute", record)
    try:
        second = api.get(first["next"]).get_json()
    finally:
        event.remove(api.engine, "before_cursor_execute", record)
    reads = [(s, p) for s, p in statements if "obs_traffic" in s]
    assert len(reads) == 1, reads
    sql, params = reads[0]
    assert "COUNT(" not in sql.upper()
    if "OFFSET" in sql.upper():  # SQLite's compiler always writes OFFSET: it must be 0
        assert sql.rstrip().upper().endswith("OFFSET ?") and list(params)[-1] == 0, (sql, params)
    assert len(second["items"]) == 50 and second["total"] is None


def test_warnings_page_newest_first_by_cursor(api):
    """A descending list (warnings: newest first) pages by cursor too."""
    from store.schema import warnings

    with api.engine.begin() as conn:
        conn.execute(delete(warnings))
        for i in range(25):
            conn.execute(insert(warnings).values(
                rule=f"r{i}", domain="traffic", scope_kind="city", scope="", district=None, level="blue",
                state="resolved", handling="closed", title_zh="x", title_en="x", value=1.0,
                started_at=T0 + dt.timedelta(hours=i // 2), open_key=None))  # pairs share a start
    try:
        got = pull(api, "/api/v1/warnings?limit=4")
        ids = [w["id"] for w in got]
        assert len(ids) == 25 == len(set(ids))
        stamps = [(w["started_at"], w["id"]) for w in got]
        assert stamps == sorted(stamps, reverse=True)
    finally:
        with api.engine.begin() as conn:
            conn.execute(delete(warnings))
