"""The config's districts, entities and indicators land in the store, idempotently."""

from __future__ import annotations

from sqlalchemy import select

from store.engine import make_engine, upgrade
from store.entities import sync_from_config
from store.schema import districts, economy_indicators, entities


def test_sync_is_an_idempotent_upsert_and_retires_removed(settings_factory):
    s = settings_factory()
    upgrade(s.resolved_store_url)
    engine = make_engine(s.resolved_store_url)
    assert sync_from_config(engine, s) == {"districts": 6, "entities": 8 + 14 + 5, "indicators": 6}
    sync_from_config(engine, s)
    with engine.connect() as conn:
        rows = {(r.kind, r.code): r for r in conn.execute(select(entities))}
        assert len(rows) == 27
        seg = rows[("segment", "R010")]
        assert seg.free_flow_kmh == 108 and seg.length_km == 33.4 and len(seg.attrs["path"]) == 3
        assert rows[("site", "TS04")].capacity == 15000 and rows[("site", "TS04")].name_zh == "鄢陵花博园"
        assert rows[("segment", "R014")].attrs["detector"] == "count"
        assert conn.execute(select(districts.c.name_zh).where(districts.c.code == "411081")).scalar() == "禹州市"
        assert conn.execute(select(economy_indicators.c.aggregation).where(economy_indicators.c.code == "CPI")).scalar() == "mean"

    fewer = s.model_copy(update={"sites": s.sites[:-1]})
    sync_from_config(engine, fewer)
    with engine.connect() as conn:
        attrs = conn.execute(select(entities.c.attrs).where(entities.c.code == "TS05")).scalar()
    assert attrs["retired"] is True  # kept for its history, marked retired
    engine.dispose()
