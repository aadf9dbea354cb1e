"""Same seed and range → the same rows; history written at once equals history written tick by tick."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import simulator

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 10, 12, 12, 0, tzinfo=TZ)


def _urls(tmp: Path, tag: str) -> dict[str, str]:
    return {d: f"sqlite:///{tmp / f'{tag}_{d}.db'}" for d in simulator.DEPARTMENTS}


def test_same_seed_same_rows_different_seed_different(settings, tmp_path, read_all) -> None:
    a, b, c = _urls(tmp_path, "a"), _urls(tmp_path, "b"), _urls(tmp_path, "c")
    simulator.create(settings, a, end=END, days=1, seed=7)
    simulator.create(settings, b, end=END, days=1, seed=7)
    simulator.create(settings, c, end=END, days=1, seed=8)
    rows_a, rows_b, rows_c = read_all(a), read_all(b), read_all(c)
    assert rows_a == rows_b
    for table in ("t_link_flow_5min", "aq_hourly", "jq_kll_5min", "tjj_zbsj", "gd_info"):
        assert rows_a[table], table
        assert rows_a[table] != rows_c[table], table
    # lookups come from the config, not the seed
    assert rows_a["jq_jbxx"] == rows_c["jq_jbxx"] and rows_a["dm_sqlb"] == rows_c["dm_sqlb"]


def test_a_window_is_generated_independently(settings, tmp_path, read_all) -> None:
    """The last day of a 3-day history equals a 1-day history: values depend on (entity, time) only."""
    picked = ["traffic", "tourism", "environment"]
    short = {d: u for d, u in _urls(tmp_path, "short").items() if d in picked}
    long = {d: u for d, u in _urls(tmp_path, "long").items() if d in picked}
    simulator.create(settings, short, end=END, days=1, departments=picked)
    simulator.create(settings, long, end=END, days=3, departments=picked)
    start = (END - timedelta(days=1)).replace(tzinfo=None)
    s, lg = read_all(short), read_all(long)
    for table, time_col in (("t_link_flow_5min", 1), ("jq_kll_5min", 1), ("aq_hourly", 1)):
        tail = [r for r in lg[table] if r[time_col] >= start]
        assert tail == s[table], table
        assert len(lg[table]) > 2 * len(s[table])


def test_history_plus_advance_equals_longer_history(settings, tmp_path, read_all) -> None:
    ticked, direct = _urls(tmp_path, "ticked"), _urls(tmp_path, "direct")
    later = END + timedelta(days=2, hours=5, minutes=15)  # on the 5-minute grid create() floors to
    simulator.create(settings, ticked, end=END, days=2)
    for until in (END + timedelta(seconds=5), END + timedelta(minutes=11), END + timedelta(hours=9, seconds=7),
                  END + timedelta(days=1, hours=2), later):
        simulator.advance(settings, ticked, until=until)
    simulator.create(settings, direct, end=later, days=2)
    # create() floors its end to 5 minutes and starts at end − days; compare what both must hold
    got, want = read_all(ticked), read_all(direct)
    cut = (later - timedelta(days=2)).replace(tzinfo=None)
    for table, born in (("t_link_flow_5min", 1), ("jq_kll_5min", 1), ("aq_hourly", 1), ("gd_info", 1),
                        ("t_incident", 2)):
        mine = [r for r in got[table] if r[born] >= cut]
        theirs = [r for r in want[table] if r[born] >= cut]
        assert mine == theirs, table
        assert mine, table
    assert got["tjj_zbsj"] == want["tjj_zbsj"]
