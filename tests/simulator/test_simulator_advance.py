"""advance() appends what became due, applies lifecycle updates, and is idempotent."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import simulator

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 10, 12, 12, 0, tzinfo=TZ)


def _by_key(rows: list[tuple], width: int = 1) -> dict[tuple, tuple]:
    return {r[:width]: r for r in rows}


def test_advance_appends_updates_and_is_idempotent(settings, read_all) -> None:
    simulator.create(settings, end=END, days=2)
    urls = simulator.default_urls(settings)
    before = read_all(urls)
    until = END + timedelta(hours=30, minutes=2, seconds=9)
    result = simulator.advance(settings, until=until)
    after = read_all(urls)
    assert result["t_link_flow_5min"] == len(after["t_link_flow_5min"]) - len(before["t_link_flow_5min"]) > 0
    assert max(r[1] for r in after["t_link_flow_5min"]) > max(r[1] for r in before["t_link_flow_5min"])
    assert result["jq_kll_5min"] > 0 and result["aq_hourly"] > 0 and result["gd_info"] > 0
    naive_until = until.replace(tzinfo=None)
    for table, stamp in (("t_link_flow_5min", 5), ("aq_hourly", 8), ("jq_kll_5min", 5), ("gd_info", 11)):
        assert max(r[stamp] for r in after[table]) <= naive_until, table
    # nothing written before it was due: history rows (born earlier) unchanged for the immutable tables
    assert after["t_link_flow_5min"][: len(before["t_link_flow_5min"])] != []
    assert set(before["jq_kll_5min"]) <= set(after["jq_kll_5min"])

    again = simulator.advance(settings, until=until)
    assert again == dict.fromkeys(again, 0)
    assert read_all(urls) == after
    # going back in time changes nothing either
    assert sum(simulator.advance(settings, until=END).values()) == 0


def test_ticket_lifecycle_updates_bump_gxsj(settings, read_all) -> None:
    simulator.create(settings, end=END, days=2, departments=["hotline"])
    urls = {"hotline": simulator.default_urls(settings)["hotline"]}
    before = _by_key(read_all(urls)["gd_info"])
    result = simulator.advance(settings, until=END + timedelta(days=3), departments=["hotline"])
    after = _by_key(read_all(urls)["gd_info"])
    assert set(before) < set(after)
    # the count is what changed: new tickets plus tickets whose state moved (none born before history)
    assert result["gd_info"] == len(set(after) - set(before)) + sum(before[k] != after[k] for k in before)
    cols = ["gdbh", "ldsj", "jtsj", "ddsc", "qd", "sqlb", "ssqx", "blsx", "bjsj", "hfmyd", "gdzt", "gxsj"]
    moved = [(dict(zip(cols, before[k])), dict(zip(cols, after[k]))) for k in before if before[k] != after[k]]
    assert len(moved) > 200
    for old, new in moved:
        assert new["gxsj"] > old["gxsj"]
        assert new["gdzt"] > old["gdzt"]  # 10 → 20 → 30 → 40 only moves forward
        assert (new["gdbh"], new["ldsj"], new["ssqx"], new["sqlb"]) == (old["gdbh"], old["ldsj"], old["ssqx"], old["sqlb"])
        if new["gdzt"] in ("30", "40"):
            assert new["bjsj"] is not None and new["bjsj"] <= new["gxsj"]
    assert {o["gdzt"] for o, _ in moved} >= {"10", "20"} and {n["gdzt"] for _, n in moved} >= {"30", "40"}
    assert all(before[k] == after[k] for k in before if before[k][10] in ("00", "40"))  # final states stay


def test_economy_publication_then_revision(settings, read_all) -> None:
    end = datetime(2026, 8, 20, 12, 0, tzinfo=TZ)  # 2026-07 published (bbh 1), not yet revised
    simulator.create(settings, end=end, days=1, departments=["economy"])
    urls = {"economy": simulator.default_urls(settings)["economy"]}
    before = _by_key(read_all(urls)["tjj_zbsj"], 3)
    july = {k: r for k, r in before.items() if k[1] == "202607"}
    assert july and all(r[6] == 1 for r in july.values())
    assert not any(k[1] == "202608" for k in before)
    assert min(k[1] for k in before if k[0] == "GDP") == "2021Q1"  # history from 2021 whatever `days`
    simulator.advance(settings, until=end + timedelta(days=60), departments=["economy"])
    after = _by_key(read_all(urls)["tjj_zbsj"], 3)
    for k, old in july.items():
        new = after[k]
        assert new[6] == 2 and new[7] > old[7], k
        assert new[4] == pytest.approx(old[4], rel=0.03, abs=0.21)
    assert any(k[1] == "202608" for k in after) and any(k[1] == "2026Q3" for k in after)


def test_late_and_revised_air_rows_and_incident_ends(settings, read_all) -> None:
    simulator.create(settings, end=END, days=7, departments=["environment", "traffic"])
    urls = {d: simulator.default_urls(settings)[d] for d in ("environment", "traffic")}
    before = read_all(urls)
    until = END + timedelta(days=3)
    simulator.advance(settings, until=until, departments=["environment", "traffic"])
    after = read_all(urls)
    old_air, new_air = _by_key(before["aq_hourly"], 2), _by_key(after["aq_hourly"], 2)
    revised = [k for k in old_air if old_air[k] != new_air[k]]
    assert revised and all(new_air[k][8] > old_air[k][8] for k in revised)
    # late rows: first written 3–10 h after the hour (audits come days later); absent until then
    late = [r for r in new_air.values() if timedelta(hours=3) < r[8] - r[1] < timedelta(hours=10)]
    assert 0.01 < len(late) / len(new_air) < 0.06
    assert all(k not in old_air for k, r in new_air.items() if r in late and r[8] > END.replace(tzinfo=None))
    old_inc, new_inc = _by_key(before["t_incident"]), _by_key(after["t_incident"])
    assert all(r[3] is not None for r in new_inc.values() if r[2] < until.replace(tzinfo=None) - timedelta(hours=8))
    assert len(new_inc) > len(old_inc)


def test_advance_before_create_says_what_to_do(settings) -> None:
    with pytest.raises(simulator.NotCreatedError, match="create"):
        simulator.advance(settings, until=END, departments=["traffic"])
