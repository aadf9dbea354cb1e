"""Loading the city's districts, entities and indicator definitions from its config.

The config is the source of truth for what the city monitors; the store keeps a copy so
that SQL joins, the API and other tools see the same entities. Sync is an upsert, so it
runs at every start without harm; entities that disappeared from the config are kept
(their history still refers to them) but marked ``attrs.retired``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select, update

from citybrain.settings import Settings
from store.schema import districts, economy_indicators, entities
from store.upsert import upsert


def entity_rows(settings: Settings, now: dt.datetime) -> list[dict[str, Any]]:
    """The ``entities`` rows a city config describes."""
    rows = []
    for s in settings.stations:
        rows.append(dict(kind="station", code=s.code, name_zh=s.name_zh, name_en=s.name_en, district=s.district,
                         lat=s.lat, lon=s.lon, free_flow_kmh=None, length_km=None, speed_limit_kmh=None,
                         road_class=None, capacity=None, daily_capacity=None,
                         attrs={"station_kind": s.kind}, source="config", updated_at=now))
    for g in settings.segments:
        rows.append(dict(kind="segment", code=g.code, name_zh=g.name_zh, name_en=g.name_en, district=g.district,
                         lat=g.lat, lon=g.lon, free_flow_kmh=g.free_flow_kmh, length_km=g.length_km,
                         speed_limit_kmh=g.speed_limit_kmh, road_class=g.road_class, capacity=None,
                         daily_capacity=None, attrs={"path": [list(p) for p in g.path], "detector": g.detector},
                         source="config", updated_at=now))
    for t in settings.sites:
        rows.append(dict(kind="site", code=t.code, name_zh=t.name_zh, name_en=t.name_en, district=t.district,
                         lat=t.lat, lon=t.lon, free_flow_kmh=None, length_km=None, speed_limit_kmh=None,
                         road_class=None, capacity=t.capacity, daily_capacity=t.daily_capacity,
                         attrs={"grade": t.grade, "opening": list(t.opening)}, source="config", updated_at=now))
    return rows


def sync_from_config(engine: Engine, settings: Settings, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Upsert districts, entities and economy indicators from ``settings``; returns counts."""
    now = now or dt.datetime.now(dt.timezone.utc)
    district_rows = [dict(code=d.code, name_zh=d.name_zh, name_en=d.name_en, lat=d.lat, lon=d.lon,
                          population_10k=d.population_10k, updated_at=now) for d in settings.districts]
    ent_rows = entity_rows(settings, now)
    ind_rows = [dict(code=i.code, name_zh=i.name_zh, name_en=i.name_en, unit_zh=i.unit_zh, unit_en=i.unit_en,
                     freq=i.freq, aggregation=i.aggregation, headline=i.headline) for i in settings.indicators]
    with engine.begin() as conn:
        upsert(conn, districts, district_rows)
        upsert(conn, entities, ent_rows)
        upsert(conn, economy_indicators, ind_rows)
        configured = {(r["kind"], r["code"]) for r in ent_rows}
        for kind, code, attrs in conn.execute(select(entities.c.kind, entities.c.code, entities.c.attrs)):
            if (kind, code) not in configured and not (attrs or {}).get("retired"):
                conn.execute(update(entities).where(entities.c.kind == kind, entities.c.code == code)
                             .values(attrs={**(attrs or {}), "retired": True}, updated_at=now))
    return {"districts": len(district_rows), "entities": len(ent_rows), "indicators": len(ind_rows)}
