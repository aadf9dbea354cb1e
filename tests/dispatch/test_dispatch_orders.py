"""The work-order state machine over every (state, action, role) triple, extension requests,
re-dispatch after a return, the audit trail, and two actors at once (one wins)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from citybrain.errors import AccessRefused
from dispatch.errors import Conflict, InvalidInput, NotApplicable, NotFound
from dispatch.orders import ACTIONS, RULES, STATES, act, dispatch, get_order, list_orders
from store.schema import audit_log, order_events, work_orders
from tests.dispatch.conftest import PRINCIPALS, T0

M = dt.timedelta(minutes=1)
#: how to bring a fresh order into each state: (action, actor) steps
PATHS: dict[str, list[tuple[str, str]]] = {
    "dispatched": [],
    "accepted": [("accept", "traffic")],
    "in_progress": [("accept", "traffic"), ("progress", "traffic")],
    "finished": [("accept", "traffic"), ("finish", "traffic")],
    "reopened": [("accept", "traffic"), ("finish", "traffic"), ("reopen", "duty")],
    "closed": [("accept", "traffic"), ("finish", "traffic"), ("verify", "duty")],
    "returned": [("return", "traffic")],
}
#: who may act as whom: the centre's roles and the department's head, within their district
MAY = {"centre": {"duty", "admin"}, "department": {"traffic", "traffic_deputy"}}


def test_every_state_is_reachable():
    assert set(PATHS) == set(STATES)


def _order_in(world, state: str) -> int:
    oid = world.order("red")
    for i, (action, who) in enumerate(PATHS[state]):
        world.act(oid, action, who, at=T0 + (i + 1) * M)
    assert get_order(world.engine, oid)["state"] == state
    return oid


def _counts(world, oid):
    with world.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(order_events).where(order_events.c.order_id == oid))
                .scalar_one(),
                conn.execute(select(func.count()).select_from(audit_log).where(
                    audit_log.c.target == f"order:{oid}", audit_log.c.action != "order.refused")).scalar_one())


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_state_action_role(world, state, action):
    rule = RULES[action]
    at = T0 + 10 * M
    until = T0 + dt.timedelta(days=1) if action == "extend" else None
    for role in PRINCIPALS:
        oid = _order_in(world, state)
        before = get_order(world.engine, oid)
        events_before, audits_before = _counts(world, oid)
        if role not in MAY[rule.by]:
            with pytest.raises(AccessRefused):
                world.act(oid, action, role, at=at, until=until)
        elif state not in rule.from_states or action in ("approve", "refuse"):  # no extension pending
            with pytest.raises(NotApplicable, match=f"order {oid}"):
                world.act(oid, action, role, at=at, until=until)
        else:
            after = world.act(oid, action, role, at=at, until=until)
            assert after["state"] == (rule.to or state), (state, action, role)
            assert after["version"] == before["version"] + 1
            assert _counts(world, oid) == (events_before + 1, audits_before + 1)  # one event, one audit row
            assert after["history"][-1]["kind"] == action and after["history"][-1]["actor"] == PRINCIPALS[role].name
            continue
        after = get_order(world.engine, oid)  # a refusal changes nothing on the order
        assert (after["state"], after["version"]) == (before["state"], before["version"])
        assert _counts(world, oid) == (events_before, audits_before)


def test_refusals_are_audited_with_their_target(world):
    oid = world.order()
    with pytest.raises(AccessRefused, match="does not head department 'traffic'"):
        world.act(oid, "accept", "environment", at=T0 + M)
    with world.engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "order.refused")).one()
    assert row.target == f"order:{oid}" and row.actor == "env_head"


def test_timestamps_and_result(world):
    oid = world.order("orange")
    world.act(oid, "accept", "traffic", at=T0 + 5 * M)
    world.act(oid, "finish", "traffic", at=T0 + 90 * M, note="井盖已补装")
    o = world.act(oid, "verify", "duty", at=T0 + 100 * M)
    assert (o["accepted_at"], o["finished_at"], o["closed_at"]) == (T0 + 5 * M, T0 + 90 * M, T0 + 100 * M)
    assert o["result"] == "井盖已补装" and o["respond_by"] == T0 + 30 * M and o["resolve_by"] == T0 + 4 * 60 * M


def test_reopen_clears_the_finish_and_counts(world):
    oid = _order_in(world, "reopened")
    o = get_order(world.engine, oid)
    assert o["reopened"] == 1 and o["finished_at"] is None
    world.act(oid, "finish", "traffic", at=T0 + 20 * M)
    o = world.act(oid, "reopen", "admin", at=T0 + 21 * M)
    assert o["reopened"] == 2


def test_extension_request_approved_and_refused(world):
    oid = _order_in(world, "in_progress")
    old = get_order(world.engine, oid)["resolve_by"]
    with pytest.raises(NotApplicable, match="not after the order's resolve-by"):
        world.act(oid, "extend", "traffic", at=T0 + 10 * M, until=old)
    with pytest.raises(InvalidInput, match="until"):
        world.act(oid, "extend", "traffic", at=T0 + 10 * M, until=dt.datetime(2026, 12, 2))  # naive
    world.act(oid, "extend", "traffic", at=T0 + 10 * M, until=old + dt.timedelta(hours=3))
    with pytest.raises(NotApplicable, match="already has an extension request pending"):
        world.act(oid, "extend", "traffic", at=T0 + 11 * M, until=old + dt.timedelta(hours=4))
    with pytest.raises(AccessRefused):
        world.act(oid, "approve", "traffic", at=T0 + 12 * M)
    o = world.act(oid, "approve", "duty", at=T0 + 12 * M)
    assert o["resolve_by"] == old + dt.timedelta(hours=3) and o["extension_until"] is None
    with pytest.raises(NotApplicable, match="no extension request pending"):
        world.act(oid, "refuse", "duty", at=T0 + 13 * M)
    world.act(oid, "extend", "traffic", at=T0 + 14 * M, until=old + dt.timedelta(hours=9))
    o = world.act(oid, "refuse", "duty", at=T0 + 15 * M, note="无正当理由")
    assert o["resolve_by"] == old + dt.timedelta(hours=3) and o["extension_until"] is None
    kinds = [h["kind"] for h in o["history"]]
    assert kinds[-4:] == ["extend", "approve", "extend", "refuse"]


def test_notes_and_reasons_are_required_and_bounded(world):
    oid = world.order()
    for action in ("return",):
        with pytest.raises(InvalidInput, match="needs a note"):
            act(world.engine, oid, action, actor=PRINCIPALS["traffic"], note="  ", now=T0 + M)
    with pytest.raises(InvalidInput, match="at most 2000"):
        act(world.engine, oid, "accept", actor=PRINCIPALS["traffic"], note="x" * 2001, now=T0 + M)
    with pytest.raises(InvalidInput, match="not known"):
        act(world.engine, oid, "delete", actor=PRINCIPALS["duty"], now=T0 + M)
    with pytest.raises(InvalidInput, match="until belongs to extend"):
        act(world.engine, oid, "accept", actor=PRINCIPALS["traffic"], until=T0, now=T0 + M)
    for bad in (0, -1, 2**31, 2**63, True, "1"):
        with pytest.raises(NotFound):
            act(world.engine, bad, "accept", actor=PRINCIPALS["traffic"], now=T0 + M)


def test_returned_order_is_redispatched_to_another_department(world):
    oid = world.order()
    world.act(oid, "return", "traffic", at=T0 + 5 * M, note="不属于本部门职责")
    eid = get_order(world.engine, oid)["event_id"]
    [new] = dispatch(world.engine, world.settings, eid, ["environment"], actor=PRINCIPALS["duty"], now=T0 + 8 * M)
    o = get_order(world.engine, new)
    assert o["redispatch_of"] == oid and o["role"] == "lead" and o["respond_by"] == T0 + 23 * M
    with pytest.raises(NotApplicable, match="already has open order"):
        dispatch(world.engine, world.settings, eid, ["environment"], actor=PRINCIPALS["duty"], now=T0 + 9 * M)
    [co] = dispatch(world.engine, world.settings, eid, ["tourism"], actor=PRINCIPALS["admin"], now=T0 + 9 * M)
    assert get_order(world.engine, co)["role"] == "co" and get_order(world.engine, co)["redispatch_of"] is None


def test_dispatch_checks_role_district_and_department(world):
    eid = world.event()
    for who in ("traffic", "leader", "analyst", "wall", "duty_other_district"):
        with pytest.raises(AccessRefused):
            dispatch(world.engine, world.settings, eid, ["traffic"], actor=PRINCIPALS[who], now=T0)
    with pytest.raises(InvalidInput, match="not known"):
        dispatch(world.engine, world.settings, eid, ["police"], actor=PRINCIPALS["duty"], now=T0)
    with pytest.raises(InvalidInput, match="at least one"):
        dispatch(world.engine, world.settings, eid, [], actor=PRINCIPALS["duty"], now=T0)
    with pytest.raises(NotFound):
        dispatch(world.engine, world.settings, 999999, ["traffic"], actor=PRINCIPALS["duty"], now=T0)
    lead, co = dispatch(world.engine, world.settings, eid, ["traffic", "environment"], actor=PRINCIPALS["duty"], now=T0)
    assert [get_order(world.engine, i)["role"] for i in (lead, co)] == ["lead", "co"]


def test_reading_is_cut_to_the_principal(world):
    a = world.order(department="traffic")
    b = world.order(department="environment")
    c = world.order(department="traffic")
    with world.engine.begin() as conn:  # move c's event to another district
        from store.schema import events, work_orders as wo
        eid = conn.execute(select(wo.c.event_id).where(wo.c.id == c)).scalar_one()
        conn.execute(events.update().where(events.c.id == eid).values(district="411003"))
    ids = lambda who: {o["id"] for o in list_orders(world.engine, PRINCIPALS[who], now=T0)}  # noqa: E731
    assert ids("duty") == ids("leader") == {a, b, c}
    assert ids("traffic") == {a, c} and ids("environment") == {b}
    assert ids("traffic_other_district") == {c} and ids("wall") == set()
    with pytest.raises(NotFound):
        get_order(world.engine, b, PRINCIPALS["traffic"])


def _race(world, oid, attempts):
    """Run ``attempts`` ((action, who), …) at once; the outcomes (dict or exception)."""
    barrier = threading.Barrier(len(attempts))
    out: list = [None] * len(attempts)

    def run(i, action, who):
        barrier.wait()
        try:
            out[i] = world.act(oid, action, who, at=T0 + 3 * M)
        except Exception as exc:  # noqa: BLE001 — the outcome under test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, a, w)) for i, (a, w) in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def _one_wins(world, rounds: int = 6):
    for _ in range(rounds):
        oid = world.order()
        # two heads of the department sign for it at once (the second's accept no longer applies)
        out = _race(world, oid, [("accept", "traffic"), ("accept", "traffic_deputy")])
        wins = [o for o in out if isinstance(o, dict)]
        losses = [o for o in out if isinstance(o, Exception)]
        assert len(wins) == 1 and len(losses) == 1, out
        assert isinstance(losses[0], (Conflict, NotApplicable)), losses[0]
        final = get_order(world.engine, oid)
        assert final["state"] == wins[0]["state"] and final["version"] == 1
        with world.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(order_events).where(
                order_events.c.order_id == oid, order_events.c.kind != "dispatch")).scalar_one() == 1
        oid = _order_in(world, "finished")
        out = _race(world, oid, [("verify", "duty"), ("reopen", "admin")])
        assert sum(isinstance(o, dict) for o in out) == 1, out


def test_two_actors_at_once_one_wins_sqlite(world):
    _one_wins(world)


@pytest.mark.postgres
def test_two_actors_at_once_one_wins_postgresql(pg_world):
    _one_wins(pg_world)
    with pg_world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(work_orders)).scalar_one() == 12


def _warning(world, domain="traffic", level="orange"):
    from sqlalchemy import insert

    from store.schema import warnings

    with world.engine.begin() as conn:
        return conn.execute(insert(warnings).values(
            rule="tpi_high", domain=domain, scope_kind="district", scope=world.district, district=world.district,
            level=level, state="firing", handling="unacknowledged", title_zh="交通拥堵预警",
            title_en="Congestion warning", started_at=T0, fired_at=T0)).inserted_primary_key[0]


def test_order_from_a_warning_blocks_closing_it_until_verified(world):
    from alerts import handling
    from dispatch.orders import event_from_warning, get_event, order_from_warning

    wid = _warning(world)
    oid = order_from_warning(world.engine, world.settings, wid, actor=PRINCIPALS["duty"], now=T0 + M)
    o = get_order(world.engine, oid)
    assert (o["department"], o["level"], o["warning_id"], o["respond_by"]) == ("traffic", "orange", wid, T0 + 31 * M)
    assert event_from_warning(world.engine, world.settings, wid, actor=PRINCIPALS["duty"]) == o["event_id"]  # one event
    with pytest.raises(handling.HandlingError, match=f"open work order {oid}"):
        handling.close(world.engine, wid, actor=PRINCIPALS["duty"], now=T0 + 2 * M)
    world.act(oid, "accept", "traffic", at=T0 + 3 * M)
    world.act(oid, "finish", "traffic", at=T0 + 30 * M, note="疏导完毕")
    with pytest.raises(handling.HandlingError, match="finished"):
        handling.close(world.engine, wid, actor=PRINCIPALS["duty"], now=T0 + 31 * M)
    world.act(oid, "verify", "duty", at=T0 + 32 * M)
    assert handling.close(world.engine, wid, actor=PRINCIPALS["duty"], now=T0 + 33 * M)["handling"] == "closed"
    assert get_event(world.engine, o["event_id"])["open"] is False
    with pytest.raises(AccessRefused):
        order_from_warning(world.engine, world.settings, _warning(world), actor=PRINCIPALS["traffic"])
    with pytest.raises(NotFound):
        order_from_warning(world.engine, world.settings, 10**6, actor=PRINCIPALS["duty"])
    env = order_from_warning(world.engine, world.settings, _warning(world, "environment"), actor=PRINCIPALS["duty"],
                             department="tourism", now=T0)
    assert get_order(world.engine, env)["department"] == "tourism"


def _dispatch_race(world):
    import threading

    for _ in range(4):
        eid = world.event()
        barrier = threading.Barrier(2)
        out: list = [None, None]

        def run(i):
            barrier.wait()
            try:
                out[i] = dispatch(world.engine, world.settings, eid, ["traffic"], actor=PRINCIPALS["duty"], now=T0)
            except Exception as exc:  # noqa: BLE001 — the outcome under test
                out[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sum(isinstance(o, list) for o in out) == 1, out
        assert all(isinstance(o, (list, NotApplicable)) for o in out), out
        assert len(list_orders(world.engine, PRINCIPALS["duty"], event_id=eid)) == 1


def test_two_officers_dispatching_at_once_make_one_order_sqlite(world):
    _dispatch_race(world)


@pytest.mark.postgres
def test_two_officers_dispatching_at_once_make_one_order_postgresql(pg_world):
    _dispatch_race(pg_world)


@pytest.mark.postgres
def test_every_state_and_its_refusals_on_postgresql(pg_world):
    for state in STATES:
        oid = _order_in(pg_world, state)
        for action, rule in RULES.items():
            if state not in rule.from_states:
                who = "duty" if rule.by == "centre" else "traffic"
                with pytest.raises(NotApplicable):
                    pg_world.act(oid, action, who, at=T0 + 20 * M,
                                 until=T0 + dt.timedelta(days=2) if action == "extend" else None)
        with pytest.raises(AccessRefused):
            pg_world.act(oid, "accept", "environment", at=T0 + 20 * M)
        o = get_order(pg_world.engine, oid)
        assert o["dispatched_at"] == T0 and o["dispatched_at"].tzinfo is not None
