"""The pure state machine, table-driven: each case is a timeline of observations and the
(state, level, notice) expected after each evaluation, computed by hand from the table in
alerts/lifecycle.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from alerts.conditions import Observation
from alerts.lifecycle import Condition, Timing, step

UTC = timezone.utc
T0 = datetime(2026, 11, 2, tzinfo=UTC)
M = timedelta(minutes=1)


def obs(status, level=None, value=None):
    if status is None:
        return None
    return Observation("site", "TS01", status, level, value)


def run(timeline, timing):
    """timeline: [(minute, status, level)] → [(minute, state|None, level|None, notice)]."""
    cur, out = None, []
    for minute, status, level in timeline:
        tr = step(cur, obs(status, level), timing, T0 + minute * M)
        cur = tr.condition
        out.append((minute, cur.state if cur else None, cur.level if cur else None, tr.notice))
        if cur is not None and cur.state == "resolved":
            cur = None  # the engine closes resolved warnings; the next one is new
    return out


FOR5 = Timing(for_=5 * M)
FOR5_KEEP10 = Timing(for_=5 * M, keep_firing_for=10 * M)

CASES = {
    "blip shorter than for never fires": (FOR5, [
        (0, "active", "yellow"), (4, "active", "yellow"), (5, "clear", None), (6, "clear", None),
    ], [
        (0, "pending", "yellow", None), (4, "pending", "yellow", None), (5, None, None, None), (6, None, None, None),
    ]),
    "fires exactly at for": (FOR5, [
        (0, "active", "yellow"), (4, "active", "yellow"), (5, "active", "yellow"), (6, "active", "yellow"),
    ], [
        (0, "pending", "yellow", None), (4, "pending", "yellow", None), (5, "firing", "yellow", "firing"),
        (6, "firing", "yellow", None),
    ]),
    "for = 0 fires at once": (Timing(), [(0, "active", "orange"), (1, "clear", None)], [
        (0, "firing", "orange", "firing"), (1, "resolved", "orange", "resolved"),
    ]),
    "keep firing then resolve": (FOR5_KEEP10, [
        (0, "active", "yellow"), (5, "active", "yellow"), (6, "clear", None), (15, "clear", None),
        (16, "clear", None), (17, "clear", None),
    ], [
        (0, "pending", "yellow", None), (5, "firing", "yellow", "firing"), (6, "recovering", "yellow", None),
        (15, "recovering", "yellow", None), (16, "resolved", "yellow", "resolved"), (17, None, None, None),
    ]),
    "condition back while recovering: no flapping, no new notice": (FOR5_KEEP10, [
        (0, "active", "yellow"), (5, "active", "yellow"), (6, "clear", None), (8, "active", "yellow"),
        (9, "clear", None), (18, "clear", None), (19, "clear", None),
    ], [
        (0, "pending", "yellow", None), (5, "firing", "yellow", "firing"), (6, "recovering", "yellow", None),
        (8, "firing", "yellow", None), (9, "recovering", "yellow", None), (18, "recovering", "yellow", None),
        (19, "resolved", "yellow", "resolved"),
    ]),
    "escalate and de-escalate one warning": (FOR5, [
        (0, "active", "yellow"), (5, "active", "yellow"), (6, "active", "orange"), (7, "active", "red"),
        (8, "active", "yellow"), (9, "clear", None),
    ], [
        (0, "pending", "yellow", None), (5, "firing", "yellow", "firing"), (6, "firing", "orange", "escalated"),
        (7, "firing", "red", "escalated"), (8, "firing", "yellow", None), (9, "resolved", "yellow", "resolved"),
    ]),
    "level rising while pending fires at the new level, once": (FOR5, [
        (0, "active", "yellow"), (3, "active", "red"), (5, "active", "red"),
    ], [
        (0, "pending", "yellow", None), (3, "pending", "red", None), (5, "firing", "red", "firing"),
    ]),
    "hysteresis band holds a firing warning at the lowest level": (Timing(), [
        (0, "active", "orange"), (1, "band", "yellow"), (2, "band", "yellow"), (3, "clear", None),
    ], [
        (0, "firing", "orange", "firing"), (1, "firing", "yellow", None), (2, "firing", "yellow", None),
        (3, "resolved", "yellow", "resolved"),
    ]),
    "band never opens nor keeps a pending warning": (FOR5, [
        (0, "band", "yellow"), (1, "active", "yellow"), (2, "band", "yellow"),
    ], [
        (0, None, None, None), (1, "pending", "yellow", None), (2, None, None, None),
    ]),
    "no data holds every state": (FOR5_KEEP10, [
        (0, "active", "yellow"), (3, None, None), (5, "active", "yellow"), (6, None, None), (30, None, None),
        (31, "clear", None), (40, None, None), (41, "clear", None),
    ], [
        (0, "pending", "yellow", None), (3, "pending", "yellow", None), (5, "firing", "yellow", "firing"),
        (6, "firing", "yellow", None), (30, "firing", "yellow", None), (31, "recovering", "yellow", None),
        (40, "recovering", "yellow", None), (41, "resolved", "yellow", "resolved"),
    ]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_state_machine_table(name):
    timing, timeline, expected = CASES[name]
    assert run(timeline, timing) == expected


def test_events_record_every_state_and_level_change():
    cur = None
    kinds = []
    for minute, status, level in [(0, "active", "yellow"), (5, "active", "orange"), (6, "active", "yellow"),
                                  (7, "clear", None), (17, "clear", None)]:
        tr = step(cur, obs(status, level, value=float(minute)), FOR5_KEEP10, T0 + minute * M)
        cur = tr.condition
        kinds += [(minute, e.kind, e.from_value, e.to_value) for e in tr.events]
    assert kinds == [
        (0, "state", None, "pending"),
        (5, "level", "yellow", "orange"), (5, "state", "pending", "firing"),
        (6, "level", "orange", "yellow"),
        (7, "state", "firing", "recovering"),
        (17, "state", "recovering", "resolved"),
    ]
    assert cur.fired_at == T0 + 5 * M and cur.resolved_at == T0 + 17 * M and cur.started_at == T0


def test_resolved_warning_is_never_reopened():
    done = Condition("resolved", "red", T0, T0, None, T0 + M)
    tr = step(done, obs("active", "yellow"), Timing(), T0 + 2 * M)
    assert tr.condition.started_at == T0 + 2 * M and tr.condition.level == "yellow"
    assert tr.events[0].from_value is None
