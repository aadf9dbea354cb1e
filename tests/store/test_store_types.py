"""Instants go in as aware datetimes and come back as aware UTC on every backend."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from store.engine import make_engine
from store.types import UTCDateTime

SHANGHAI = ZoneInfo("Asia/Shanghai")


def roundtrip(url: str) -> list[dt.datetime]:
    md = MetaData()
    t = Table("instants", md, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    engine = make_engine(url)
    md.create_all(engine)
    local = dt.datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI)  # 00:00 UTC
    with engine.begin() as conn:
        conn.execute(insert(t), [{"id": 1, "at": local}, {"id": 2, "at": pd.Timestamp("2026-03-01 12:30", tz="UTC")},
                                 {"id": 3, "at": None}])
        rows = [r.at for r in conn.execute(select(t).order_by(t.c.id))]
        # comparisons in SQL happen in UTC too
        n = conn.execute(select(t.c.id).where(t.c.at < dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.timezone.utc))).all()
    engine.dispose()
    assert [r[0] for r in n] == [1]
    return rows


def check(rows: list) -> None:
    assert rows[0] == dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.timezone.utc)
    assert rows[0].utcoffset() == dt.timedelta(0)
    assert rows[1] == dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc)
    assert rows[2] is None


def test_sqlite_roundtrip(tmp_path):
    check(roundtrip(f"sqlite:///{tmp_path}/t.db"))


@pytest.mark.postgres
def test_postgresql_roundtrip(pg_url):
    check(roundtrip(pg_url))


@pytest.mark.mariadb
def test_mariadb_roundtrip(mysql_url):
    check(roundtrip(mysql_url))


def test_naive_datetime_is_refused(tmp_path):
    md = MetaData()
    t = Table("instants", md, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    md.create_all(engine)
    with pytest.raises(Exception, match="naive datetime"):
        with engine.begin() as conn:
            conn.execute(insert(t), [{"id": 1, "at": dt.datetime(2026, 1, 1, 8)}])
    engine.dispose()
