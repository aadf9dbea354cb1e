"""A store at head (SQLite, or PostgreSQL for the ``pg`` variants), the demo city's settings,
principals of every role and a helper making events and orders at a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from access.roles import Principal

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

PRINCIPALS: dict[str, Principal] = {
    "duty": Principal("duty1", "duty"),
    "admin": Principal("admin1", "admin"),
    "leader": Principal("leader1", "leader"),
    "analyst": Principal("analyst1", "analyst"),
    "wall": Principal("wall1", "wall", screen="main"),
    "traffic": Principal("traffic_head", "department", domains=("traffic",)),
    "traffic_deputy": Principal("traffic_deputy", "department", domains=("traffic", "tourism")),
    "environment": Principal("env_head", "department", domains=("environment",)),
    "traffic_other_district": Principal("traffic_d2", "department", domains=("traffic",), district="411003"),
    "duty_other_district": Principal("duty_d2", "duty", district="411003"),
}


@dataclass
class World:
    settings: Any
    engine: Any
    district: str

    def event(self, level: str = "red", *, at: dt.datetime = T0, district: str | None = None) -> int:
        from dispatch.orders import create_event

        return create_event(self.engine, self.settings, actor=PRINCIPALS["duty"], title="井盖缺失", category="roads",
                            district=district or self.district, level=level, now=at)

    def order(self, level: str = "red", department: str = "traffic", *, at: dt.datetime = T0) -> int:
        from dispatch.orders import dispatch

        return dispatch(self.engine, self.settings, self.event(level, at=at), [department],
                        actor=PRINCIPALS["duty"], now=at)[0]

    def act(self, order_id: int, action: str, who: str, *, at: dt.datetime, note: str = "",
            until: dt.datetime | None = None) -> dict:
        from dispatch.orders import act

        needs = action in ("progress", "finish", "return", "extend", "reopen", "refuse")
        return act(self.engine, order_id, action, actor=PRINCIPALS[who], note=note or ("n" if needs else ""),
                   until=until, now=at)


def _world(settings_factory: Any, url: str | None) -> World:
    from store.engine import make_engine, upgrade

    settings = settings_factory(**({"store_url": url} if url else {}))
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    district = settings.districts[0].code
    assert district != "411003" or len(settings.districts) > 1
    return World(settings, engine, district)


@pytest.fixture
def world(settings_factory: Any) -> Iterator[World]:
    w = _world(settings_factory, None)
    yield w
    w.engine.dispose()


@pytest.fixture
def pg_world(settings_factory: Any, pg_url: str) -> Iterator[World]:
    w = _world(settings_factory, pg_url)
    yield w
    w.engine.dispose()
