"""Every audit action the dispatch loop writes is one the audit page offers and names in words."""

from __future__ import annotations

import re
from pathlib import Path

from access.audit import ACTIONS
from citybrain.i18n import t
from dispatch.orders import ACTIONS as ORDER_ACTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_dispatch_audit_actions_are_listed_and_named():
    written = {f"order.{a}" for a in ORDER_ACTIONS}
    for path in (ROOT / "dispatch").glob("*.py"):
        written |= set(re.findall(r'action="((?:order|event)\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert written and written <= set(ACTIONS), written - set(ACTIONS)
    for action in written:
        for lang in ("zh", "en"):
            assert t(f"audit.action.{action}", lang) != f"audit.action.{action}", (action, lang)
