"""Mapping a source row onto its canonical shape, or saying why it cannot be.

The source config names, per canonical field, the source column that holds it; this
module turns such a row into the row of the domain's ``obs_*`` table, validating each
value on the way (``connectors.validate``) and converting units (``connectors.units``).
A row that fails becomes a :class:`Rejected` carrying its reason and its source values,
and the rest of the batch carries on.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from citybrain.settings import Settings, Source
from connectors import validate as v
from connectors.fields import ENTITY_KIND, FIELDS, KEYS
from connectors.periods import parse_period
from connectors.units import converter

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Rejected:
    """A source row that did not map: why, which field, and what the source sent."""

    reason: str
    field: str | None
    row_key: str | None
    row: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    rows: list[dict[str, Any]]
    rejected: list[Rejected]


class Mapper:
    """Maps the rows of one source; built once per poll from the config and known entities."""

    def __init__(self, settings: Settings, source: Source, known_entities: Iterable[str] = ()):
        self.source = source
        self.domain = source.domain
        self.tz = ZoneInfo(source.timezone)
        self.fields = FIELDS[self.domain]
        self.entities = set(known_entities)
        self.city = settings.city.code
        self.districts = {d.code: d.code for d in settings.districts} | {self.city: self.city}
        self.districts |= {d.name_zh: d.code for d in settings.districts} | {settings.city.name_zh: self.city}
        self.indicators = {i.code: i for i in settings.indicators}
        self._instants: dict[object, dt.datetime] = {}
        # raises ValueError naming the unit when the config asks for an impossible conversion
        self.converters = {f: converter(f, u, self.fields[f].unit) for f, u in source.units.items()}

    def map_batch(self, raws: Iterable[Mapping[str, Any]], now: dt.datetime) -> Batch:
        """Map rows in watermark order; of duplicate keys the later (newer) row is kept."""
        kept: dict[tuple[Any, ...], tuple[dict[str, Any], Mapping[str, Any]]] = {}
        rejected: list[Rejected] = []
        key_fields = KEYS[self.domain]
        for raw in raws:
            try:
                row = self.map_row(raw, now)
            except v.Invalid as exc:
                rejected.append(Rejected(str(exc), exc.field, self._raw_key(raw), jsonable(raw)))
                continue
            key = tuple(row[k] for k in key_fields)
            if key in kept:
                _, earlier = kept.pop(key)
                rejected.append(Rejected(
                    f"duplicate of a later row with the same key ({key_text(key)}) in the same batch; "
                    "the later row was kept", None, key_text(key), jsonable(earlier)))
            kept[key] = (row, raw)
        return Batch([row for row, _ in kept.values()], rejected)

    def map_row(self, raw: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
        """The canonical row for ``raw``; raises :class:`validate.Invalid` on the first bad field."""
        out: dict[str, Any] = {}
        for name, column in self.source.columns.items():
            out[name] = self._value(name, raw.get(column))
        row = getattr(self, f"_finish_{self.domain}")(out)
        row["source"] = self.source.name
        row["source_updated_at"] = out.get("updated_at")
        row["ingested_at"] = now
        return row

    # -- one value -------------------------------------------------------------------
    def _value(self, name: str, value: Any) -> Any:
        spec = self.fields[name]
        if v.is_missing(value):
            return None
        if spec.kind == "time":
            # many rows share a timestamp (one per detector per interval): convert each once
            try:
                return self._instants[value]
            except (KeyError, TypeError):
                pass
            instant = v.as_instant(name, value, self.tz)
            if len(self._instants) > 100_000:
                self._instants.clear()
            try:
                self._instants[value] = instant
            except TypeError:
                pass
            return instant
        if spec.kind == "float":
            return v.as_number(name, value, spec, self.converters.get(name))
        if spec.kind == "int":
            return v.as_int(name, value, spec)
        if spec.kind == "bool":
            return v.as_bool(name, value)
        if spec.kind == "period":
            try:
                return parse_period(value)
            except ValueError as exc:
                raise v.Invalid(name, str(exc)) from None
        text = v.as_text(name, value)
        if spec.kind == "entity" and text not in self.entities:
            kind = ENTITY_KIND[self.domain]
            raise v.Invalid(name, f"unknown {kind} {text!r}; add it to [[{kind}s]] in the city config")
        if spec.kind == "district":
            if text not in self.districts:
                raise v.Invalid(name, f"unknown district {text!r}; use a code from [[districts]] or the city code {self.city}")
            return self.districts[text]
        if spec.kind == "indicator" and text not in self.indicators:
            raise v.Invalid(name, f"unknown indicator {text!r}; add it to [[indicators]] in the city config")
        return text

    def _require(self, out: dict[str, Any], *names: str) -> None:
        for name in names:
            if out.get(name) is None:
                raise v.Invalid(name, f"{name} is empty (source column {self.source.columns[name]!r})")

    # -- one shape per domain ----------------------------------------------------------
    def _finish_environment(self, out: dict[str, Any]) -> dict[str, Any]:
        self._require(out, "station", "time")
        return {k: out.get(k) for k in ("station", "time", "pm25", "pm10", "so2", "no2", "co", "o3")}

    def _finish_traffic(self, out: dict[str, Any]) -> dict[str, Any]:
        self._require(out, "segment", "time")
        return {k: out.get(k) for k in ("segment", "time", "speed", "volume", "occupancy")}

    def _finish_tourism(self, out: dict[str, Any]) -> dict[str, Any]:
        self._require(out, "site", "time", "present")
        return {k: out.get(k) for k in ("site", "time", "present", "entries", "exits")}

    def _finish_economy(self, out: dict[str, Any]) -> dict[str, Any]:
        self._require(out, "indicator", "period", "value")
        period = out["period"]
        indicator = self.indicators[out["indicator"]]
        if period.freq != indicator.freq:
            raise v.Invalid("period", f"period {period.period} is a {period.freq} but {indicator.code} is "
                                      f"reported by {indicator.freq} in [[indicators]]")
        return {
            "indicator": indicator.code, "period": period.period, "freq": period.freq,
            "period_start": period.start, "value": out["value"],
            "unit": out.get("unit") or indicator.unit_zh,
            "district": out.get("district") or self.city,
            "revision": out.get("revision") or 1,
        }

    def _finish_hotline(self, out: dict[str, Any]) -> dict[str, Any]:
        self._require(out, "ticket", "created_at", "category", "district")
        row = {k: out.get(k) for k in ("ticket", "created_at", "category", "district", "channel", "answered",
                                       "wait_seconds", "due_at", "closed_at", "satisfaction", "status",
                                       "updated_at")}
        if row["closed_at"] is not None and row["closed_at"] < row["created_at"]:
            raise v.Invalid("closed_at", "closed_at is before created_at; the ticket cannot close before the call")
        return row

    def _raw_key(self, raw: Mapping[str, Any]) -> str | None:
        parts = [raw.get(self.source.columns[k]) for k in KEYS[self.domain] if k in self.source.columns]
        if not parts or all(v.is_missing(p) for p in parts):
            return None
        return key_text(parts)[:200]


def key_text(parts: Iterable[Any]) -> str:
    return "|".join(p.isoformat() if isinstance(p, (dt.datetime, dt.date)) else str(p) for p in parts)[:200]


def jsonable(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The source values as JSON: what the department sent, readable in the quarantine."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            value = str(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            value = "base64:" + base64.b64encode(bytes(value)).decode()
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = str(value)
        out[str(key)] = value
    return out
