"""The per-app memo of callback attributions gives exactly the decisions computed afresh.

``access.callbacks.attribute`` remembers, per (callback, exact output ids), which pages the
outputs belong to; the guard passes it on every request. For every registered callback,
crafted variants (outputs that are not the registered ones, ids on no page, a download)
and every role, deciding with a memo — cold, then hit, then hit by another role — must
equal deciding without one.
"""

from __future__ import annotations

import copy
import json

import pytest

from access.callbacks import MEMO_SIZE, attribute, decide, parse_output_key
from access.roles import Principal
from tests.access.harness import USERS


def principals(harness) -> list[Principal]:
    out = []
    for name, (role, doms, dist) in USERS.items():
        out.append(Principal(name, role, tuple(doms), district=harness.district if dist else None))
    out.append(Principal("hall", "wall", (), screen=harness.wall_screen, via="wall-token"))
    return out


def bodies(harness) -> list[dict]:
    found = []
    for key in harness.app.callback_map:
        body = harness.callback_body(key.lstrip(".")[:40])
        if body["output"] != key:
            continue
        found.append(body)
        wrong = copy.deepcopy(body)  # an output id that is not the registered one
        wrong["outputs"] = {"id": "audit-rows", "property": "children"}
        found.append(wrong)
        patterns = [cid for cid, _ in parse_output_key(key) if isinstance(cid, dict)]
        if patterns:  # a concrete id of the pattern, with a key no layout has
            stray = copy.deepcopy(body)
            concrete = {k: ("nowhere-1" if isinstance(v, list) else v) for k, v in patterns[0].items()}
            stray["outputs"] = [[{"id": concrete, "property": parse_output_key(key)[0][1]}]]
            found.append(stray)
    return found


def test_memo_decides_as_computing_afresh(harness):
    from access.state import state

    all_bodies = bodies(harness)
    assert len(all_bodies) > 30
    with harness.server.test_request_context("/"):
        st = state()
        cmap, index = st.callback_map(), st.component_index()
        memo: dict = {}
        for body in all_bodies:
            for who in principals(harness):
                fresh = decide(who, body, cmap, index, harness.settings, harness.engine)
                for _ in range(2):  # cold, then from the memo
                    kept = decide(who, copy.deepcopy(body), cmap, index, harness.settings, harness.engine, memo=memo)
                    assert (kept.allowed, kept.reason, kept.action, kept.resources, kept.audit, kept.target) == \
                           (fresh.allowed, fresh.reason, fresh.action, fresh.resources, fresh.audit, fresh.target), \
                           (who.role, body["output"][:80])


def test_memo_is_bounded_and_keyed_by_the_exact_outputs(harness):
    from access.state import state

    with harness.server.test_request_context("/"):
        st = state()
        index = st.component_index()
        key = next(k for k in harness.app.callback_map if '"wall-text"' in k)
        entry, outputs = harness.app.callback_map[key], parse_output_key(key)
        memo: dict = {}
        good = harness.callback_body(key.lstrip(".")[:40])["outputs"]
        assert not attribute(key, outputs, entry, good, index, memo).problem
        bad = json.loads(json.dumps(good).replace("wall-text", "wall-texts"))
        assert attribute(key, outputs, entry, bad, index, memo).problem  # not the entry of ``good``
        for i in range(MEMO_SIZE * 2):
            attribute(key, outputs, entry, [[{"id": {"type": "wall-text", "key": f"k{i}"}, "property": "children"}]],
                      index, memo)
        assert len(memo) <= MEMO_SIZE + 2
        other_index = type(index)()
        assert attribute(key, outputs, entry, good, other_index, memo).unowned  # a new index starts over


@pytest.mark.parametrize("user", ["u_admin", "u_leader", "u_wall", "u_traffic"])
def test_wall_refresh_through_the_guard_twice(harness, user):
    """The real path (guard → memo) allows or refuses the wall refresh the same way twice."""
    from access.roles import allowed

    c = harness.client(user)
    body = harness.callback_body('{"key":["ALL"],"type":"wall-text"}', {})
    body["outputs"] = [[], [], [], [], [], {"id": "wall-shown", "property": "data"}]  # no tiles: the guard's verdict
    codes = [c.post("/_dash-update-component", json=body).status_code for _ in range(2)]
    role = USERS[user][0]
    assert codes == [200, 200] if allowed(Principal(user, role, tuple(USERS[user][1])), "view", "wall") else [403, 403]
