"""What pages, the wall, briefings and the API read of a theme (issue 20).

Values are the ``indicators`` rows the compute job writes (``themes.compute``): name
``<theme>.<indicator>``, grain hour | day, scope_kind entity | district | city |
category. A share's and a ratio's value is a fraction; show ``value *
indicator.display_factor`` with ``indicator.decimals`` and ``indicator.unit``. Signatures
are a contract with the theme page, wall and briefing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from store.schema import indicators as indicator_table
from store.schema import theme_obs
from themes.compute import level_of, places
from themes.spec import Theme

Grain = Literal["hour", "day"]
ScopeKind = Literal["entity", "district", "city", "category"]
#: a level int (0 … 4) → its name; 0 is "below blue" (None)
LEVEL_NAMES: tuple[str | None, ...] = (None, "blue", "yellow", "orange", "red")
UTC = dt.timezone.utc

__all__ = ["LEVEL_NAMES", "values", "latest", "observations", "entity_table", "level_of", "data_time"]


def values(engine: Engine, theme: Theme, indicator: str, *, grain: Grain = "hour", scope_kind: ScopeKind = "city",
           scopes: Sequence[str] | None = None, start: dt.datetime | None = None,
           end: dt.datetime | None = None) -> pd.DataFrame:
    """One indicator's values: columns time (aware UTC), scope_kind, scope, value, level
    (Int64, <NA> without levels), n (readings or rows behind a value; <NA> for counts and
    ratios), sorted by time then scope."""
    theme.indicator(indicator)  # KeyError for an unknown indicator
    c = indicator_table.c
    q = select(c.time, c.scope_kind, c.scope, c.value, c.level, c.detail).where(
        c.name == theme.metric(indicator), c.grain == grain, c.scope_kind == scope_kind)
    if scopes is not None:
        q = q.where(c.scope.in_(list(scopes)))
    if start is not None:
        q = q.where(c.time >= start)
    if end is not None:
        q = q.where(c.time < end)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(c.time, c.scope)).all()
    return _frame(rows)


def latest(engine: Engine, theme: Theme, *, scope_kind: ScopeKind = "entity", grain: Grain = "hour",
           indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """The newest value per (indicator, scope): columns indicator, scope, time, value, level."""
    wanted = list(indicators or [i.code for i in theme.indicators])
    names = {theme.metric(code): code for code in wanted}
    c = indicator_table.c
    newest = (select(c.name, c.scope, func.max(c.time).label("time"))
              .where(c.name.in_(list(names)), c.grain == grain, c.scope_kind == scope_kind)
              .group_by(c.name, c.scope).subquery())
    q = select(c.name, c.scope, c.time, c.value, c.level).join(
        newest, and_(c.name == newest.c.name, c.scope == newest.c.scope, c.time == newest.c.time)).where(
        c.grain == grain, c.scope_kind == scope_kind)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    frame = pd.DataFrame([(names[r.name], r.scope, r.time, r.value, r.level) for r in rows],
                         columns=["indicator", "scope", "time", "value", "level"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["value"] = frame["value"].astype(float)
    frame["level"] = frame["level"].astype("Int64")
    return frame.sort_values(["indicator", "scope"], ignore_index=True)


def observations(engine: Engine, theme: Theme, *, start: dt.datetime, end: dt.datetime, entity: str | None = None,
                 district: str | None = None, settings: Any = None) -> pd.DataFrame:
    """The theme's stored rows in [start, end): time, entity, district, ref, category,
    source, then one column per mapped field (numbers; flags as True/False/None).
    ``district`` needs ``settings`` (the entities' districts)."""
    c = theme_obs.c
    q = select(c.time, c.entity, c.ref, c.category, c.source, c.vals).where(
        c.theme == theme.code, c.time >= start, c.time < end)
    if entity is not None:
        q = q.where(c.entity == entity)
    where = places(settings, theme) if settings is not None else None
    if district is not None:
        if where is None:
            raise ValueError("observations(district=…) needs settings")
        q = q.where(c.entity.in_([e for e, d in where["district"].items() if d == district]))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(c.time, c.entity, c.ref)).all()
    fields = (*theme.measured, *sorted(theme.flags))
    frame = pd.DataFrame([{"time": r.time, "entity": r.entity,
                           "district": None if where is None else where["district"].get(r.entity),
                           "ref": r.ref, "category": r.category, "source": r.source,
                           **{f: (r.vals or {}).get(f) for f in fields}} for r in rows],
                         columns=["time", "entity", "district", "ref", "category", "source", *fields])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def entity_table(settings: Any, theme: Theme) -> pd.DataFrame:
    """The theme's entities: code, name_zh, name_en, district, lat, lon and numeric attributes."""
    if isinstance(theme.entities, list):
        rows = [{"code": e.code, "name_zh": e.name_zh, "name_en": e.name_en, "district": e.district, "lat": e.lat,
                 "lon": e.lon, **e.attrs} for e in theme.entities]
    elif theme.entities == "districts":
        rows = [{"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en, "district": d.code, "lat": d.lat,
                 "lon": d.lon, "population_10k": d.population_10k} for d in settings.districts]
    elif theme.entities == "city":
        city = settings.city
        rows = [{"code": city.code, "name_zh": city.name_zh, "name_en": city.name_en, "district": None,
                 "lat": city.center[0], "lon": city.center[1]}]
    else:
        attrs = places(settings, theme)
        rows = [{"code": e.code, "name_zh": e.name_zh, "name_en": e.name_en, "district": e.district, "lat": e.lat,
                 "lon": e.lon, **{a: attrs.at[e.code, a] for a in attrs.columns if a != "district"}}
                for e in getattr(settings, theme.entities)]
    return pd.DataFrame(rows)


def data_time(engine: Engine, theme: Theme) -> dt.datetime | None:
    """The newest reading or event time stored for the theme (for the freshness badge)."""
    c = theme_obs.c
    with engine.connect() as conn:
        return conn.execute(select(func.max(c.time)).where(c.theme == theme.code)).scalar()


def _frame(rows: list[Any]) -> pd.DataFrame:
    frame = pd.DataFrame([(r.time, r.scope_kind, r.scope, r.value, r.level,
                           (r.detail or {}).get("n") if isinstance(r.detail, dict) else None) for r in rows],
                         columns=["time", "scope_kind", "scope", "value", "level", "n"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["value"] = frame["value"].astype(float)
    frame["level"] = frame["level"].astype("Int64")
    frame["n"] = frame["n"].astype("Int64")
    return frame
