"""Scorecard arithmetic against hand-computed cases: on time at the exact deadline, a
reopened order, a return re-dispatched to another department and one re-dispatched to
the same department (counted once), an overdue open order, rounding."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from dispatch.errors import InvalidInput
from dispatch.orders import dispatch, get_order
from dispatch.scorecard import p90, round_half_up, scorecards
from tests.dispatch.conftest import PRINCIPALS, T0

M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def test_rounding_and_percentile_are_exact():
    assert round_half_up(Fraction(1, 8), 2) == 0.13 and round_half_up(Fraction(2, 3), 4) == 0.6667
    assert round_half_up(Fraction(5, 6), 2) == 0.83 and round_half_up(Fraction(1, 6), 4) == 0.1667
    assert round_half_up(Fraction(4445, 10000), 3) == 0.445  # 0.4445 as a float would round down
    assert p90([Fraction(v) for v in (2, 3, 5, 1)]) == 5  # ⌈3.6⌉ = 4th smallest
    assert p90([Fraction(v) for v in range(1, 11)]) == 9  # ⌈9⌉ = 9th
    assert p90([Fraction(7)]) == 7 and p90([]) is None


@pytest.fixture
def period(world):
    return _hand_case(world)


def _hand_case(w):
    """The hand-computed case (times after T0; red 15m/2h, orange 30m/4h)."""
    o1 = w.order("red")  # accepted and finished exactly at the deadlines: on time; 2 h
    w.act(o1, "accept", "traffic", at=T0 + 15 * M)
    w.act(o1, "finish", "traffic", at=T0 + 2 * H)
    w.act(o1, "verify", "duty", at=T0 + 2 * H + M)
    o2 = w.order("red")  # a second late each way: 3 h
    w.act(o2, "accept", "traffic", at=T0 + 15 * M + dt.timedelta(seconds=1))
    w.act(o2, "finish", "traffic", at=T0 + 3 * H)
    o3 = w.order("orange")  # reopened, finished again after 4 h: late; 5 h
    w.act(o3, "accept", "traffic", at=T0 + 10 * M)
    w.act(o3, "finish", "traffic", at=T0 + H)
    w.act(o3, "reopen", "duty", at=T0 + H + 10 * M)
    w.act(o3, "finish", "traffic", at=T0 + 5 * H)
    o4 = w.order("red")  # returned by traffic, re-dispatched to environment
    w.act(o4, "return", "traffic", at=T0 + 5 * M)
    ev4 = get_order(w.engine, o4)["event_id"]
    [o5] = dispatch(w.engine, w.settings, ev4, ["environment"], actor=PRINCIPALS["duty"], now=T0 + 10 * M)
    w.act(o5, "accept", "environment", at=T0 + 20 * M)
    w.act(o5, "finish", "environment", at=T0 + H)  # 50 min after its dispatch
    o6 = w.order("red")  # returned by traffic and given back to traffic: one assignment, on time
    w.act(o6, "return", "traffic", at=T0 + M)
    ev6 = get_order(w.engine, o6)["event_id"]
    [o6b] = dispatch(w.engine, w.settings, ev6, ["traffic"], actor=PRINCIPALS["duty"], now=T0 + 2 * M)
    w.act(o6b, "accept", "traffic", at=T0 + 17 * M)  # its respond-by exactly
    w.act(o6b, "finish", "traffic", at=T0 + 2 * M + H)  # 1 h
    o7 = w.order("red")  # never accepted: overdue now
    old = w.order("red", at=T0 - dt.timedelta(days=1))  # before the period: not counted, but overdue now
    return {"o7": o7, "old": old}


def _by(items, key):
    return {i[key]: i for i in items}


def test_department_scorecard_matches_the_hand_computation(world, period):
    _check_hand_case(world)


@pytest.mark.postgres
def test_the_hand_computation_on_postgresql(pg_world):
    _hand_case(pg_world)
    _check_hand_case(pg_world)


def _check_hand_case(world):
    start, end, now = T0 - H, T0 + dt.timedelta(days=1), T0 + 10 * H
    cards = _by(scorecards(world.engine, world.settings, start, end, now=now), "department")
    t = cards["traffic"]
    assert t["orders"] == 6  # o1 o2 o3 o4 o6(+o6b once) o7
    assert t["returned_rate"] == 0.1667  # 1/6: o4 only — o6 came back to traffic
    assert t["counts"] == {"accepted_on_time": 3, "accept_due": 5, "resolved_on_time": 2, "resolve_due": 5,
                           "resolved": 4, "reopened": 1, "finished": 4, "returned": 1}
    assert t["accepted_on_time_rate"] == 0.6 and t["resolved_on_time_rate"] == 0.4
    assert t["mean_hours_to_resolve"] == 2.75 and t["p90_hours_to_resolve"] == 5.0  # (2+3+5+1)/4; 4th of 4
    assert t["reopened_rate"] == 0.25 and t["overdue_open"] == 2  # o7 and the old order
    e = cards["environment"]
    assert (e["orders"], e["accepted_on_time_rate"], e["resolved_on_time_rate"], e["returned_rate"]) == (1, 1.0, 1.0, 0.0)
    assert e["mean_hours_to_resolve"] == e["p90_hours_to_resolve"] == 0.83 and e["reopened_rate"] == 0.0
    idle = cards["economy"]
    assert idle["orders"] == 0 and idle["accepted_on_time_rate"] is None and idle["mean_hours_to_resolve"] is None
    assert list(cards)[0] == "environment"  # best on-time resolution first


def test_open_orders_not_yet_due_are_not_judged(world):
    o1, o2 = world.order("orange"), world.order("orange")  # respond-by +30 min, resolve-by +4 h
    world.act(o1, "accept", "traffic", at=T0 + 10 * M)
    cards = _by(scorecards(world.engine, world.settings, T0 - H, T0 + dt.timedelta(days=1), now=T0 + 20 * M),
                "department")
    t = cards["traffic"]  # o2 may still be accepted in time, neither may yet be late to resolve
    assert t["counts"]["accept_due"] == 1 and t["accepted_on_time_rate"] == 1.0
    assert t["counts"]["resolve_due"] == 0 and t["resolved_on_time_rate"] is None and t["overdue_open"] == 0
    later = _by(scorecards(world.engine, world.settings, T0 - H, T0 + dt.timedelta(days=1), now=T0 + 31 * M),
                "department")["traffic"]
    assert later["accepted_on_time_rate"] == 0.5 and later["overdue_open"] == 1
    # a period ending before o2's respond-by does not judge it either, whenever it is asked
    cut = _by(scorecards(world.engine, world.settings, T0 - H, T0 + 20 * M, now=T0 + 31 * M), "department")["traffic"]
    assert cut["counts"]["accept_due"] == 1


def test_district_scorecard_and_scope(world, period):
    cards = scorecards(world.engine, world.settings, T0 - H, T0 + dt.timedelta(days=1), by="district",
                       now=T0 + 10 * H)
    assert [(c["district"], c["orders"]) for c in cards] == [(world.district, 7)]
    mine = scorecards(world.engine, world.settings, T0 - H, T0 + dt.timedelta(days=1),
                      principal=PRINCIPALS["environment"], now=T0 + 10 * H)
    assert [c["department"] for c in mine] == ["environment"]
    other = scorecards(world.engine, world.settings, T0 - H, T0 + dt.timedelta(days=1),
                       principal=PRINCIPALS["traffic_other_district"], now=T0 + 10 * H)
    assert [c["orders"] for c in other] == [0]


def test_bad_periods_are_refused(world):
    world.order()
    empty = scorecards(world.engine, world.settings, T0 + H, T0, now=T0 + 10 * H)  # to before from: empty
    assert {c["orders"] for c in empty} == {0} and sum(c["overdue_open"] for c in empty) == 1
    with pytest.raises(InvalidInput, match="aware"):
        scorecards(world.engine, world.settings, dt.datetime(2026, 1, 1), T0)
    with pytest.raises(InvalidInput, match="by="):
        scorecards(world.engine, world.settings, T0, T0 + H, by="street")
