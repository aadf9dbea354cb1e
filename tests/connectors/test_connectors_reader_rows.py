"""The reader hands out the driver's tuples (issue 10) with the values SQLAlchemy rows had.

On SQLite, PostgreSQL and MariaDB: the batch's rows read as dicts equal what a plain
SQLAlchemy read of the same statement gives, its columns equal those dicts' values, and a
tie read (streamed) in between two batch reads loses no row of the next batch.
"""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.source import Rows, SourceEngines, SourceReader


def _fill(h, url: str):
    d = h.Department(url)
    same = dt.datetime(2026, 10, 1, 9, 0)
    d.insert("t_link_flow_5min", h.traffic_rows(h.T0, 5) + h.traffic_rows(h.T0 + dt.timedelta(hours=1), 4, upd=same))
    return d


def _check(tmp_path, h, url: str) -> None:
    d = _fill(h, url)
    settings = h.make_settings(tmp_path, {"traffic_detectors": url})
    source = settings.source("traffic_detectors")
    try:
        with SourceEngines() as engines, engines.get(source).connect() as conn:
            reader = SourceReader(source, conn)
            first = reader.after(None, 4)
            assert isinstance(first, Rows) and len(first) == 4
            top = first.column("upd_time")[-1]
            ties = [row for chunk, _ in reader.equal(top, 2) for row in chunk]
            nxt = reader.after(top, 4)
            assert len(nxt) == 4  # the streamed tie read leaves no rows in a buffer
            everything = reader.after(None, 1000)
            plain = [dict(r._mapping) for r in conn.execute(
                reader._select().where(reader.wm.is_not(None)).order_by(reader.wm).limit(1000))]
            after_last = reader.after(plain[-1]["upd_time"], 10)
        assert list(everything) == plain and len(plain) == 27
        assert everything[-1] == plain[-1] and list(everything[2:5]) == plain[2:5]
        for name in everything.names:
            assert list(everything.column(name)) == [row[name] for row in plain]
        assert everything.column("not_there") == (None,) * 27
        assert {tuple(r.items()) for r in ties} == {tuple(r.items()) for r in plain if r["upd_time"] == top}
        assert list(everything.take([3, 1])) == [plain[3], plain[1]]
        assert len(after_last) == 0 and after_last.column("link_id") == ()
    finally:
        d.dispose()


def test_sqlite_rows(tmp_path, h):
    _check(tmp_path, h, f"sqlite:///{tmp_path / 'dept.db'}")


def test_postgresql_rows(tmp_path, pg_url, h):
    _check(tmp_path, h, pg_url)


@pytest.mark.mariadb
def test_mariadb_rows(tmp_path, mysql_url, h):
    _check(tmp_path, h, mysql_url)


def test_rows_without_a_driver():
    rows = Rows(["a", "b"], [(1, "x"), (2, "y")])
    assert rows[0] == {"a": 1, "b": "x"} and rows[-1] == {"a": 2, "b": "y"} and len(rows) == 2
    assert list(rows.column("b")) == ["x", "y"]
