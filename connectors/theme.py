"""A theme's source (专题, issue 20): its rows onto ``theme_obs``, by the theme's spec.

A source whose ``domain`` is a theme's code is polled like any other — watermark,
lookback, batches, quarantine, field issues, status — by :mod:`connectors.poll`; only
its shape comes from config instead of :mod:`connectors.fields`:

* ``entity`` (an entity of the theme: its own list, or the city list it names —
  district names are read as their codes, as everywhere), ``time``, optional
  ``updated_at``, ``id`` (an event's own id: the row's ``ref``) and ``category``;
* each measured indicator mapped under its code: a number, converted into the
  indicator's unit (``[sources.units]``), outside the indicator's ``valid`` span unusable;
* each boolean column a share or a filtered count reads (``closed_on_time``): yes/no.

Field-level validity is the built-in domains' (issue 19): a missing-value marker, an
unparseable or out-of-span value makes that field NULL in ``vals`` and is recorded in
``field_issues``; a row whose entity, time or id is unusable is quarantined, and so is a
reading (a row without an id) none of whose fields is usable. An event (a row with an id)
is kept however empty its fields: it still counts.

An event is one row whatever its time: when the department corrects a case's time or
entity, the stored version is replaced, not joined (:func:`screen_theme`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select

from citybrain.settings import Settings, Source
from connectors import validate as v
from connectors.fields import Field
from connectors.mapping import Batch, Mapper, Rejected, key_text
from store.schema import entities as entities_table
from store.schema import theme_obs
from themes.spec import Theme, unit_factor

UTC = dt.timezone.utc
#: a stored theme row's key, as the field issues and duplicates name it
THEME_KEY = ("entity", "time", "ref")
#: the entity kind of the city lists a theme may take its entities from
LIST_KIND = {"stations": "station", "sites": "site", "segments": "segment"}
CATEGORY_MAX = 64
#: a mapped row's fields, in theme_obs's column order
ROW_NAMES = ("theme", "time", "entity", "ref", "category", "vals", "source", "source_updated_at", "ingested_at")


def mapper_for(settings: Settings, source: Source, known_entities: Iterable[str] = ()) -> Mapper:
    """The mapper of ``source``: a theme's when its domain is a theme code."""
    if settings.theme(source.domain) is not None:
        return ThemeMapper(settings, source, known_entities)
    return Mapper(settings, source, known_entities)


def theme_entities(settings: Settings, engine: Engine | None, theme: Theme) -> set[str]:
    """Codes a theme source's ``entity`` may hold: its own list, or the city list's (with the
    entities a source delivered to the ``entities`` table, as for the built-in domains)."""
    if isinstance(theme.entities, list):
        return {e.code for e in theme.entities}
    if theme.entities == "districts":
        return {d.code for d in settings.districts}
    if theme.entities == "city":
        return {settings.city.code}
    codes = {e.code for e in getattr(settings, theme.entities)}
    if engine is not None:
        with engine.connect() as conn:
            codes |= set(conn.execute(select(entities_table.c.code).where(
                entities_table.c.kind == LIST_KIND[theme.entities])).scalars())
    return codes


class ThemeMapper(Mapper):
    """Maps a theme source's rows onto ``theme_obs`` rows (see the module docstring)."""

    def __init__(self, settings: Settings, source: Source, known_entities: Iterable[str] = ()):
        theme = settings.theme(source.domain)
        if theme is None:
            raise ValueError(f"source {source.name}: {source.domain!r} is not a theme of this city")
        self.theme = theme  # before Mapper.__init__, which asks shape() and unit_factors()
        super().__init__(settings, source, known_entities)
        self.by_district = theme.entities == "districts"

    def shape(self, settings: Settings, source: Source) -> tuple[Mapping[str, Field], frozenset[str], tuple[str, ...],
                                                                 str, tuple[str, ...]]:
        theme = self.theme
        fields: dict[str, Field] = {
            "entity": Field("district") if theme.entities == "districts" else Field("entity"),
            "time": Field("time"), "updated_at": Field("time"), "id": Field("code"), "category": Field("text"),
        }
        for ind in theme.indicators:
            if ind.kind == "measured":
                low, high = ind.valid if ind.valid is not None else (None, None)
                fields[ind.code] = Field("float", low, high, ind.unit or None)
        for flag in theme.flags:
            fields[flag] = Field("bool")
        hard = {"entity", "time"} | ({"id"} if "id" in source.columns else set())
        return fields, frozenset(hard), THEME_KEY, "time", (*theme.measured, *sorted(theme.flags))

    def unit_factors(self, source: Source) -> dict[str, float]:
        return {f: unit_factor(self.theme.indicator(f), u) for f, u in source.units.items()}

    def _value(self, name: str, value: Any) -> Any:
        if self.fields[name].kind != "entity":
            return super()._value(name, value)
        if v.is_missing(value) or self._is_marker(name, value):
            return None
        text = v.as_text(name, value)
        if text not in self.entities:
            where = ("[[themes.entities]]" if self.theme.own_entities else f"[[{self.theme.entities}]]")
            raise v.Invalid(name, f"unknown entity {text!r} of the theme {self.theme.code}; add it to {where} in "
                                  "the city config", "unknown")
        return text

    def map_batch(self, raws: Any, now: dt.datetime) -> Batch:
        """As the built-in mapper; a clean batch (no reject, no field issue) comes back as
        column names and tuples, the form the writer COPYs straight into ``theme_obs`` on
        PostgreSQL when none of its keys is stored yet (a backfill: no staging, no merge)."""
        batch = super().map_batch(raws, now)
        if batch.tuples is not None or batch.rejected or batch.issues or not batch.rows:
            return batch
        return Batch(None, [], names=ROW_NAMES, tuples=[tuple(r[n] for n in ROW_NAMES) for r in batch.rows])

    def _complete(self, out: dict[str, Any], now: dt.datetime, found: list[Any]) -> dict[str, Any]:
        columns = self.source.columns
        if "entity" not in columns:  # entities = "city": the one entity is the city
            out = {**out, "entity": self.city}
        self._require(out, "entity", "time", *(("id",) if "id" in columns else ()))
        ref = out.get("id") or ""
        category = out.get("category")
        if category is not None and len(category) > CATEGORY_MAX:
            found.append(("category", "range", category,
                          f"category is {len(category)} characters long; at most {CATEGORY_MAX} are kept"))
            category = None
        vals = {f: out.get(f) for f in self.measured}
        if not ref and all(x is None for x in vals.values()):
            # a reading that carries nothing (an event without fields still counts: kept)
            why = {f: reason for f, _, _, reason in found}
            parts = [why.get(k) or f"{k} is empty" for k in self.measured] or ["the source maps no measured field"]
            raise v.Invalid(",".join(self.measured)[:64] or "entity", "no measured field is usable: "
                            + "; ".join(parts), "missing")
        return {"theme": self.theme.code, "entity": out["entity"], "time": out["time"], "ref": ref,
                "category": category, "vals": vals, "source": self.source.name,
                "source_updated_at": out.get("updated_at"), "ingested_at": now}


def screen_theme(conn: Connection, batch: Batch) -> tuple[Batch, list[Rejected]]:
    """The batch without the rows the store holds a newer version of (rejected, as issue 19
    item 8 does for the built-in domains), and with every event kept as one row: an event
    (``ref``) stored under another time or entity is deleted when its newer version arrives."""
    times = batch.column("time")
    if not times:
        return batch, []
    theme = batch.column("theme")[0]
    keys = list(zip(batch.column("entity"), times, batch.column("ref")))
    stamps = batch.column("source_updated_at")
    c = theme_obs.c
    stored: dict[tuple[Any, ...], dt.datetime | None] = {}
    if any(s is not None for s in stamps):
        for e, t, ref, stamp in conn.execute(select(c.entity, c.time, c.ref, c.source_updated_at).where(
                c.theme == theme, c.time >= min(times), c.time <= max(times), c.source_updated_at.is_not(None))):
            stored[(e, _utc(t), ref)] = _utc(stamp)
    refs = list({ref for _, _, ref in keys if ref})
    events: dict[str, list[tuple[str, dt.datetime, dt.datetime | None]]] = {}
    for i in range(0, len(refs), 1000):
        for e, t, ref, stamp in conn.execute(select(c.entity, c.time, c.ref, c.source_updated_at).where(
                c.theme == theme, c.ref.in_(refs[i:i + 1000]))):
            events.setdefault(ref, []).append((e, _utc(t), _utc(stamp)))
    if not stored and not events:  # the usual batch: nothing of it is stored yet
        return batch, []
    refused: set[int] = set()
    rejects: list[Rejected] = []
    moved: list[dict[str, Any]] = []
    for i, ((entity, time, ref), stamp) in enumerate(zip(keys, stamps)):
        versions = [s for e, t, s in events.get(ref, []) if (e, t) != (entity, time)] if ref else []
        newer = max([s for s in [stored.get((entity, time, ref)), *versions] if s is not None], default=None)
        if stamp is not None and newer is not None and stamp < newer:
            refused.add(i)
            row = batch.rows[i]
            rejects.append(Rejected(
                f"refused correction: the store holds a newer version of this row (updated {newer.isoformat()}; "
                f"this one {stamp.isoformat()}); the department re-published it with an older update stamp",
                "updated_at", key_text((entity, time, ref)),
                {k: (x.isoformat() if isinstance(x, dt.datetime) else x) for k, x in row.items()
                 if k not in ("ingested_at", "source")}))
            continue
        if ref:
            moved += [{"e": e, "t": t, "r": ref} for e, t, _ in events.get(ref, []) if (e, t) != (entity, time)]
    if moved:  # the event's time or entity was corrected: its one row moves
        conn.execute(theme_obs.delete().where(c.theme == theme, c.entity == bindparam("e"), c.time == bindparam("t"),
                                              c.ref == bindparam("r")), moved)
    if not refused:
        return batch, rejects
    keep = [r for i, r in enumerate(batch.rows) if i not in refused]
    gone = {r.row_key for r in rejects}
    return Batch(keep, batch.rejected, issues=[x for x in batch.issues if x.row_key not in gone]), rejects


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
