"""What the board, the queue and the wall read: counts by state, events waiting for a
department, open red/orange events with their clocks — each cut to the reader."""

from __future__ import annotations

import datetime as dt

from dispatch.board import open_events, state_counts, unassigned_events
from dispatch.orders import dispatch, get_order
from tests.dispatch.conftest import PRINCIPALS, T0

M = dt.timedelta(minutes=1)


def test_board_wall_and_queue(world):
    red = world.order("red")  # respond-by +15 min
    orange = world.order("orange", department="environment")  # +30 min
    world.act(orange, "accept", "environment", at=T0 + 5 * M)  # resolve-by +4 h
    world.order("blue")  # not on the wall
    waiting = world.event("yellow")
    returned = world.order("orange")
    world.act(returned, "return", "traffic", at=T0 + 2 * M, note="非本部门")
    now = T0 + 20 * M
    counts = state_counts(world.engine, PRINCIPALS["duty"], now=now)
    assert (counts["dispatched"], counts["accepted"], counts["returned"], counts["overdue"]) == (2, 1, 1, 1)
    assert state_counts(world.engine, PRINCIPALS["environment"], now=now)["accepted"] == 1
    assert state_counts(world.engine, PRINCIPALS["environment"], now=now)["dispatched"] == 0
    ids = [e["id"] for e in unassigned_events(world.engine, PRINCIPALS["duty"])]
    ev_returned = get_order(world.engine, returned)["event_id"]
    assert ids == [ev_returned, waiting]  # orange before yellow
    assert unassigned_events(world.engine, PRINCIPALS["traffic"]) == []
    assert unassigned_events(world.engine, PRINCIPALS["duty_other_district"]) == []
    wall = open_events(world.engine, PRINCIPALS["leader"], now=now)
    assert [(e["level"], e["orders"][0]["department"]) for e in wall] == [("red", "traffic"), ("orange", "environment")]
    assert wall[0]["seconds_left"] == -5 * 60 and wall[0]["orders"][0]["overdue"] is True
    assert wall[1]["seconds_left"] == int((T0 + 4 * 60 * M - now).total_seconds())
    dispatch(world.engine, world.settings, ev_returned, ["tourism"], actor=PRINCIPALS["duty"], now=now)
    assert ev_returned not in [e["id"] for e in unassigned_events(world.engine, PRINCIPALS["duty"])]


def test_wall_and_briefing_reads_are_city_wide(world):
    """The wall's and briefing's reads need no principal: a wall
    principal reads no orders through the API, but the wall panel shows the whole city."""
    from dispatch.board import counts_for_wall, open_orders_for_wall, overdue_orders

    red = world.order("red")
    other = world.order("orange", department="environment")
    world.act(other, "accept", "environment", at=T0 + M)
    now = T0 + 20 * M  # the red order's respond-by (+15 min) has passed
    wall = open_orders_for_wall(world.engine, now)
    assert [e["orders"][0]["id"] for e in wall] == [red, other]
    assert open_events(world.engine, PRINCIPALS["wall"], now=now) == []
    counts = counts_for_wall(world.engine, now)
    assert (counts["dispatched"], counts["accepted"], counts["overdue"], counts["closed"]) == (1, 1, 1, 0)
    late = overdue_orders(world.engine, now)
    assert [(o["id"], o["overdue_clock"], o["minutes_late"]) for o in late] == [(red, "respond", 5)]
    assert late[0]["due"] == T0 + 15 * M
