"""The same department tables on PostgreSQL and MariaDB (all five in one database via target_url)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import simulator

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 10, 2, 9, 0, tzinfo=TZ)  # Golden Week: crowds, and a hazy-free autumn
TABLES = ("t_link_flow_5min", "t_incident", "aq_hourly", "jq_kll_5min", "jq_jbxx", "tjj_zbsj", "tjj_zbdm",
          "gd_info", "dm_sqlb")


def _roundtrip(settings, tmp_path, server_url: str, read_table) -> None:
    local = f"sqlite:///{tmp_path / 'all.db'}"
    want_counts = simulator.create(settings, target_url=local, end=END, days=2)
    got_counts = simulator.create(settings, target_url=server_url, end=END, days=2)
    assert got_counts == want_counts
    themes = {d.table for d in settings.demo.departments}  # the config's theme departments (issue 20)
    assert set(sa.inspect(sa.create_engine(server_url)).get_table_names()) == set(TABLES) | themes
    for table in (*TABLES, *sorted(themes)):
        # sort in Python: server collations may order text differently
        assert sorted(read_table(server_url, table), key=repr) == sorted(read_table(local, table), key=repr), table

    until = END + timedelta(hours=7, seconds=13)
    assert simulator.advance(settings, target_url=server_url, until=until) == \
        simulator.advance(settings, target_url=local, until=until)
    assert sum(simulator.advance(settings, target_url=server_url, until=until).values()) == 0
    for table in ("gd_info", "t_link_flow_5min"):
        assert sorted(read_table(server_url, table), key=repr) == sorted(read_table(local, table), key=repr), table

    # a connector's watermark query with a bound naive datetime, and Chinese text intact
    engine = sa.create_engine(server_url)
    with engine.connect() as conn:
        wm = END.replace(tzinfo=None)
        n = conn.execute(sa.text("SELECT count(*) FROM gd_info WHERE gxsj > :wm"), {"wm": wm}).scalar()
        assert n == sum(1 for r in read_table(local, "gd_info") if r[11] > wm) > 0
        names = {r[0] for r in conn.execute(sa.text("SELECT mc FROM dm_sqlb"))}
        assert "交通出行" in names
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_target_equals_sqlite(settings, tmp_path, pg_url, read_table) -> None:
    _roundtrip(settings, tmp_path, pg_url, read_table)


@pytest.mark.mariadb
def test_mariadb_target_equals_sqlite(settings, tmp_path, mysql_url, read_table) -> None:
    _roundtrip(settings, tmp_path, mysql_url, read_table)
