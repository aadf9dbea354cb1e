"""Mapping a source row onto its canonical shape, or saying why it cannot be.

The source config names, per canonical field, the source column that holds it; this
module turns such a row into the row of the domain's ``obs_*`` table, validating each
value on the way (``connectors.validate``) and converting units (``connectors.units``).
A row that fails becomes a :class:`Rejected` carrying its reason and its source values,
and the rest of the batch carries on.

Validity is judged field by field (issue 19): a missing-value marker ("NA", " " … the
source's ``missing``), an unparseable value or one outside its physical range makes
*that field* NULL and is recorded as a :class:`FieldIssue` (field, value, rule, reason);
the row is kept. Only a row whose identity (``connectors.fields.HARD``: entity, time …)
is bad, or none of whose measured fields is usable, is quarantined whole.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from citybrain.settings import Settings, Source
from connectors import validate as v
from connectors.fields import (
    DATA_TIME,
    ENTITY_KIND,
    FIELDS,
    Field,
    HARD,
    KEYS,
    MEASURED,
    PLAUSIBLE_PRESENT_FACTOR,
    PLAUSIBLE_SPEED_FACTOR,
    SATISFACTION,
)
from connectors.periods import parse_period
from connectors.units import factor

UTC = dt.timezone.utc
#: what the batch path's quick checks put in place of a value they do not accept; the
#: row is then mapped by ``map_row``, which gives it exactly its value or its reason
_SLOW = object()
_FLOAT_MAX = sys.float_info.max
_EXACT_INT = 2 ** 53  # ints up to here survive as_int's trip through float unchanged
#: the time-series shapes: (required fields, the row's fields in order)
_SERIES = {
    "environment": (("station", "time"), ("station", "time", "pm25", "pm10", "so2", "no2", "co", "o3")),
    "traffic": (("segment", "time"), ("segment", "time", "speed", "volume", "occupancy", "implausible")),
    "tourism": (("site", "time", "present"), ("site", "time", "present", "entries", "exits", "implausible")),
}


@dataclass(frozen=True)
class FieldIssue:
    """One field of a stored row that was not usable: stored NULL, and why (issue 19)."""

    row_key: str
    field: str
    #: ``connectors.fields.RULES``: missing, unparseable, range, unknown, future …
    rule: str
    #: the value as received, as text (None for a NULL)
    value: str | None
    reason: str
    #: the row's data time (UTC), for the page's windows and the stale-issue lookup
    time: dt.datetime | None


@dataclass(frozen=True)
class Rejected:
    """A source row that did not map: why, which field, and what the source sent."""

    reason: str
    field: str | None
    row_key: str | None
    row: dict[str, Any]


class Batch:
    """A mapped batch: its rows (dicts of the domain's shape, in order) and the rejected.

    A clean time-series batch is kept as the shape's field names and a tuple per row, the
    form the store's COPY takes; its dicts are built only if ``rows`` is read (issue 10:
    a dict per row was a good part of a backfill's mapping time).
    """

    __slots__ = ("_rows", "rejected", "names", "tuples", "issues")

    def __init__(self, rows: list[dict[str, Any]] | None, rejected: list[Rejected], *,
                 names: tuple[str, ...] | None = None, tuples: list[tuple[Any, ...]] | None = None,
                 issues: list[FieldIssue] | None = None):
        if rows is None and (names is None or tuples is None):
            raise ValueError("a batch is its rows, or its field names and tuples")
        self._rows = rows
        self.rejected = rejected
        #: the kept rows' unusable fields (each stored NULL)
        self.issues = issues or []
        self.names = names
        self.tuples = tuples if rows is None else None

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            names = self.names
            self._rows = [dict(zip(names, t)) for t in self.tuples]  # type: ignore[arg-type]
        return self._rows

    def column(self, name: str) -> list[Any]:
        """Every row's ``name``, in order."""
        if self.tuples is not None and self.names is not None:
            j = self.names.index(name)
            return [t[j] for t in self.tuples]
        return [r[name] for r in self.rows]


class Mapper:
    """Maps the rows of one source; built once per poll from the config and known entities."""

    def __init__(self, settings: Settings, source: Source, known_entities: Iterable[str] = ()):
        self.source = source
        self.domain = source.domain
        self.tz = ZoneInfo(source.timezone)
        # the shape's facts; a theme's mapper (connectors.theme) gives its own
        self.fields, self.hard, self.key_fields, self.data_time, measured = self.shape(settings, source)
        self.entities = set(known_entities)
        self.city = settings.city.code
        self.districts = {d.code: d.code for d in settings.districts} | {self.city: self.city}
        self.districts |= {d.name_zh: d.code for d in settings.districts} | {settings.city.name_zh: self.city}
        self.indicators = {i.code: i for i in settings.indicators}
        self._instants: dict[object, dt.datetime | None] = {}
        self.measured = tuple(f for f in measured if f in source.columns)
        markers = {m.strip() for m in source.missing}
        self._text_markers = frozenset(markers)
        self._num_markers = frozenset(x for m in markers if (x := _number(m)) is not None)
        self.future = source.future_tolerance
        self.hour_shift = dt.timedelta(hours=1) if source.hour_label == "end" else None
        self.off_grid = source.off_grid
        #: field → entity → the most that is plausible there (connectors.fields, item 13)
        self.plausible: dict[str, dict[str, float]] = {}
        if self.domain == "traffic" and "speed" in source.columns:
            self.plausible["speed"] = {g.code: PLAUSIBLE_SPEED_FACTOR * (g.speed_limit_kmh or g.free_flow_kmh)
                                       for g in settings.segments}
        if self.domain == "tourism":
            self.plausible["present"] = {x.code: PLAUSIBLE_PRESENT_FACTOR * x.capacity for x in settings.sites}
        # raises ValueError naming the unit when the config asks for an impossible conversion
        self.factors = self.unit_factors(source)
        self.converters = {f: _scaled(k) for f, k in self.factors.items() if k != 1.0}
        # The batch path looks codes up directly: only those as_text returns unchanged
        # (stripped, not too long) qualify; any other spelling takes the per-row path.
        # A code that is also a missing-value marker is missing, whatever the lists hold.
        self._fast_lookup = {
            "entity": {e: e for e in self.entities if _plain(e) and e not in self._text_markers},
            "district": {k: c for k, c in self.districts.items() if _plain(k) and k not in self._text_markers},
            "indicator": {k: k for k in self.indicators if _plain(k) and k not in self._text_markers},
        }

    def shape(self, settings: Settings, source: Source) -> tuple[Mapping[str, Field], frozenset[str], tuple[str, ...],
                                                                 str, tuple[str, ...]]:
        """The domain's fields, hard fields, key, data-time field and measured fields."""
        d = source.domain
        return FIELDS[d], HARD[d], KEYS[d], DATA_TIME[d], MEASURED.get(d, ())

    def unit_factors(self, source: Source) -> dict[str, float]:
        """Per field, the factor its source unit converts by (ValueError for an impossible pair)."""
        return {f: factor(f, u, self.fields[f].unit) for f, u in source.units.items()}

    def map_batch(self, raws: Sequence[Mapping[str, Any]], now: dt.datetime) -> Batch:
        """Map rows in watermark order; of duplicate keys the later (newer) row is kept.

        A backfill maps millions of rows, so the batch is mapped a column at a time with
        quick type-and-range checks (issue 10); a row any check does not accept goes
        through ``map_row`` as before, so its value or its reason is exactly the per-row one.
        A row that the quick checks accept has no field issue: every field issue and every
        rejection comes from ``map_row``.
        """
        n = len(raws)
        if not n:
            return Batch([], [])
        # a reader's batch (connectors.source.Rows) hands out whole columns; dicts are read key by key
        by_column = getattr(raws, "column", None)
        values: dict[str, list[Any]] = {}
        for name, column in self.source.columns.items():
            col = by_column(column) if by_column is not None else [raw.get(column) for raw in raws]
            try:
                values[name] = self._times(name, self._column(name, col), now)
            except Exception:  # noqa: BLE001 — e.g. an int too large for a float: the per-row path says what
                values[name] = [_SLOW] * n
        slow = {i for col in values.values() if _SLOW in col for i, x in enumerate(col) if x is _SLOW}
        series = _SERIES.get(self.domain)
        rows: list[dict[str, Any] | None]
        if series is not None:
            required, shape = series
            for name in required:
                col = values.get(name)
                if col is None:
                    slow = set(range(n))  # not configured: every row goes the per-row way, as before
                elif None in col:
                    slow.update(i for i, x in enumerate(col) if x is None)
            entity = values.get(required[0])
            for name, limits in self.plausible.items():  # implausible here: map_row nulls or refuses it
                col = values.get(name)
                if col is not None and entity is not None:
                    slow.update(i for i, (e, x) in enumerate(zip(entity, col))
                                if x is not None and x is not _SLOW and e in limits and x > limits[e])
            if self.measured:  # a row with no measured value is quarantined, by map_row
                m = len(self.measured)
                slow.update(i for i, t in enumerate(zip(*[values[k] for k in self.measured])) if t.count(None) == m)
            keys = (*shape, "source", "source_updated_at", "ingested_at")
            lists = [values[k] if k in values else repeat(None) for k in shape]
            lists += [repeat(self.source.name), values.get("updated_at") or repeat(None), repeat(now)]
            tuples = list(zip(*lists))
            if not slow and len(set(zip(*[values[k] for k in self.key_fields]))) == n:
                return Batch(None, [], names=keys, tuples=tuples)  # the usual batch: all valid, each key once
            rows = [dict(zip(keys, t)) for t in tuples]
        else:
            names = list(values)
            rows = []
            for i, t in enumerate(zip(*values.values())):
                if i in slow:
                    rows.append(None)
                    continue
                found: list[_Found] = []
                try:
                    rows.append(self._complete(dict(zip(names, t)), now, found))
                except v.Invalid:  # the per-row path raises it again, with its row key and values
                    slow.add(i)
                    rows.append(None)
                    continue
                if found:  # a field issue: the per-row path records it with the value as received
                    slow.add(i)
                    rows[-1] = None
        if series is None and not slow:
            key_fields = self.key_fields
            if len({tuple(r[k] for k in key_fields) for r in rows}) == n:  # type: ignore[index]
                return Batch(rows, [])  # type: ignore[arg-type]
        return self._collect(raws, rows, slow, now)

    def _collect(self, raws: Sequence[Mapping[str, Any]], mapped: Sequence[dict[str, Any] | None], slow: set[int],
                 now: dt.datetime) -> Batch:
        """The rows in order, the rejected and the duplicates set aside: the per-row rules."""
        kept: dict[tuple[Any, ...], tuple[dict[str, Any], int, list[FieldIssue]]] = {}
        rejected: list[Rejected] = []
        key_fields = self.key_fields
        for i in range(len(raws)):
            issues: list[FieldIssue] = []
            if i in slow:
                raw = raws[i]
                try:
                    row = self.map_row(raw, now, issues)
                except v.Invalid as exc:
                    rejected.append(Rejected(str(exc), exc.field, self._raw_key(raw), jsonable(raw)))
                    continue
            else:
                row = mapped[i]  # type: ignore[assignment]
            key = tuple(row[k] for k in key_fields)
            if key in kept:
                _, earlier, _ = kept.pop(key)
                rejected.append(Rejected(
                    f"duplicate of a later row with the same key ({key_text(key)}) in the same batch; "
                    "the later row was kept", None, key_text(key), jsonable(raws[earlier])))
            kept[key] = (row, i, issues)
        return Batch([row for row, _, _ in kept.values()], rejected,
                     issues=[x for _, _, found in kept.values() for x in found])

    def map_row(self, raw: Mapping[str, Any], now: dt.datetime,
                issues: list[FieldIssue] | None = None) -> dict[str, Any]:
        """The canonical row for ``raw``; raises :class:`validate.Invalid` when the row as a
        whole is unusable (a bad identity field, or no usable measured field). Every other
        unusable field is NULL in the row and appended to ``issues``."""
        out: dict[str, Any] = {}
        found: list[_Found] = []
        for name, column in self.source.columns.items():
            value = raw.get(column)
            try:
                out[name] = self._when(name, self._value(name, value), now)
            except v.Invalid as exc:
                if name in self.hard:
                    raise
                out[name] = None
                found.append((name, exc.rule, value, str(exc)))
                continue
            if out[name] is None and name in self.measured and self._is_marker(name, value):
                found.append((name, "missing", value,
                              f"{name} {_shown(value)!r} is a missing-value marker of the source"))
        row = self._complete(out, now, found)
        if issues is not None and found:
            key = key_text(tuple(row[k] for k in self.key_fields))
            when = self._row_time(row)
            issues.extend(FieldIssue(key, f, rule, _shown(value), reason[:2000], when)
                          for f, rule, value, reason in found)
        return row

    def _complete(self, out: dict[str, Any], now: dt.datetime, found: list[_Found]) -> dict[str, Any]:
        row = getattr(self, f"_finish_{self.domain}")(out, found)
        row["source"] = self.source.name
        row["source_updated_at"] = out.get("updated_at")
        row["ingested_at"] = now
        return row

    def _row_time(self, row: Mapping[str, Any]) -> dt.datetime | None:
        value = row.get(self.data_time)
        if isinstance(value, dt.datetime) or value is None:
            return value
        return dt.datetime.combine(value, dt.time(), tzinfo=self.tz).astimezone(UTC)  # a period's first day

    def _is_marker(self, name: str, value: Any) -> bool:
        """Is ``value`` one of the source's missing-value markers for ``name``?

        Text markers match text values after trimming; numeric ones ("9999") also match
        numbers, in measured fields only. Record ids (a ticket number) are never markers.
        """
        spec = self.fields[name]
        if spec.kind == "code":
            return False
        if type(value) is str:
            return value.strip() in self._text_markers
        if name in self.measured and self._num_markers and isinstance(value, (int, float, Decimal)) \
                and not isinstance(value, bool):
            try:
                return float(value) in self._num_markers
            except (OverflowError, ValueError):
                return False
        return False

    # -- times: the source's declared rules ------------------------------------------------
    def _when(self, name: str, value: Any, now: dt.datetime) -> Any:
        """The per-source rules on the data time and the update stamp (issue 19).

        The data time: an "end"-labelled hour is shifted to its start; an air reading off
        the hour is floored or refused (``off_grid``); a time beyond now + the source's
        ``future_tolerance`` is refused (时间超前: a wrong clock or a typing error at the
        source — stored, it would hide the source's real lateness and drive computations
        to the year 2199). An update stamp in the future is unusable the same way.
        """
        if value is None or not (name == self.data_time or name == "updated_at") or not isinstance(value, dt.datetime):
            return value
        if name == self.data_time:
            if self.hour_shift is not None:
                value = value - self.hour_shift
            if self.domain == "environment" and (value.minute or value.second or value.microsecond):
                if self.off_grid != "floor":
                    raise v.Invalid(name, f"{name} {self._local(value)} is not on the hour; an hourly mean is "
                                          "stamped on the hour (set off_grid = \"floor\" to take it as its hour)",
                                    "grid")
                value = value.replace(minute=0, second=0, microsecond=0)
        if value > now + self.future:  # the reason does not name now: a re-read must quarantine it once
            raise v.Invalid(name, f"{name} {self._local(value)} is more than future_tolerance "
                                  f"({_span(self.future)}) ahead of the time it was read: 时间超前, a clock or typing "
                                  "error at the source", "future")
        return value

    def _local(self, instant: dt.datetime) -> str:
        return instant.astimezone(self.tz).replace(tzinfo=None).isoformat(sep=" ")

    def _times(self, name: str, col: list[Any], now: dt.datetime) -> list[Any]:
        """``_when`` over a batch column, each distinct time once; what it refuses goes per row."""
        if not (name == self.data_time or name == "updated_at") or self.fields[name].kind != "time":
            return col
        checked: dict[Any, Any] = {}
        for x in set(col) - {None, _SLOW}:
            try:
                checked[x] = self._when(name, x, now)
            except v.Invalid:
                checked[x] = _SLOW
        return [x if x is None or x is _SLOW else checked[x] for x in col]

    # -- one column (the batch path) -----------------------------------------------------
    def _column(self, name: str, col: Sequence[Any]) -> list[Any]:
        """``col``'s canonical values where a quick check proves them the same as ``_value``'s,
        ``_SLOW`` elsewhere. Missing values (None) are None, as in ``_value``."""
        spec = self.fields[name]
        kind = spec.kind
        if kind == "time":
            # many rows share a timestamp: each distinct value converted once, as in _value
            cache = self._instants
            if len(cache) > 100_000:
                cache.clear()
            new = set(col) - cache.keys()
            # naive datetimes, the usual server value, all at once: what as_instant does to each
            naive = [x for x in new if type(x) is dt.datetime and x.tzinfo is None]
            tz = self.tz
            instants = [x.replace(tzinfo=tz).astimezone(UTC) for x in naive]
            # an hour that occurs twice or never (a DST change) goes value by value: its rule
            cache.update((x, i) for x, i in zip(naive, instants)
                         if 1970 <= i.year <= 2200 and x.replace(fold=1, tzinfo=tz).utcoffset() == i.utcoffset()
                         and i.astimezone(tz).replace(tzinfo=None) == x)
            for x in new - cache.keys():  # anything else (and a year out of range) value by value
                try:
                    cache[x] = self._value(name, x)
                except v.Invalid:
                    pass
            return [cache.get(x, _SLOW) for x in col]
        tm = self._text_markers
        if kind == "float":
            lo = -_FLOAT_MAX if spec.low is None else spec.low  # finite bounds: inf and NaN fail them
            hi = _FLOAT_MAX if spec.high is None else spec.high
            f = self.factors.get(name, 1.0)
            if f == 1.0:
                out = [x if type(x) is float and lo <= x <= hi else
                       (y if type(x) is int and lo <= (y := float(x)) <= hi else None if x is None else
                        _text_number(x, f, lo, hi, tm, False) if type(x) is str else _SLOW)
                       for x in col]
            else:
                out = [y if type(x) is float and lo <= (y := x * f) <= hi else
                       (y if type(x) is int and lo <= (y := float(x) * f) <= hi else None if x is None else
                        _text_number(x, f, lo, hi, tm, False) if type(x) is str else _SLOW)
                       for x in col]
            return self._numeric_markers(name, col, out)
        if kind == "int":
            lo = -_EXACT_INT if spec.low is None else max(spec.low, -_EXACT_INT)
            hi = _EXACT_INT if spec.high is None else min(spec.high, _EXACT_INT)
            out = [x if type(x) is int and lo <= x <= hi else None if x is None else
                   _text_number(x, 1.0, lo, hi, tm, True) if type(x) is str else _SLOW for x in col]
            return self._numeric_markers(name, col, out)
        if kind == "bool":
            return [x if type(x) is bool else (x == 1 if type(x) is int and (x == 0 or x == 1) else
                                               None if x is None else _SLOW) for x in col]
        if kind == "period":
            # canonical periods of the distinct texts; other types (dates, numbers) go per row
            periods: dict[str, Any] = {}
            for x in {x for x in col if type(x) is str}:
                try:
                    periods[x] = self._value(name, x)
                except v.Invalid:
                    pass
            return [periods.get(x, _SLOW) if type(x) is str else None if x is None else _SLOW for x in col]
        lookup = self._fast_lookup.get(kind)
        if lookup is not None:
            return [lookup.get(x, _SLOW) if x is not None else None for x in col]
        if kind == "code":  # a record id: never a marker
            return [((t if len(t) <= 200 else _SLOW) if (t := x.strip()) else None) if type(x) is str else
                    None if x is None else _SLOW for x in col]
        # text: as_text of a str is the stripped str; blank is missing, a marker goes per row
        return [((_SLOW if t in tm else t if len(t) <= 200 else _SLOW) if (t := x.strip()) else None)
                if type(x) is str else None if x is None else _SLOW for x in col]

    def _numeric_markers(self, name: str, col: Sequence[Any], out: list[Any]) -> list[Any]:
        """Numbers equal to a numeric marker ("9999") in a measured field go per row."""
        markers = self._num_markers
        if not markers or name not in self.measured:
            return out
        return [_SLOW if (type(x) is float or type(x) is int) and x in markers else y for x, y in zip(col, out)]

    # -- one value -------------------------------------------------------------------
    def _value(self, name: str, value: Any) -> Any:
        spec = self.fields[name]
        if v.is_missing(value) or self._is_marker(name, value):
            return None
        if spec.kind == "time":
            # many rows share a timestamp (one per detector per interval): convert each once
            try:
                return self._instants[value]
            except (KeyError, TypeError):
                pass
            instant = v.as_instant(name, value, self.tz, self.source.dst)
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
            raise v.Invalid(name, f"unknown {kind} {text!r}; add it to [[{kind}s]] in the city config", "unknown")
        if spec.kind == "district":
            if text not in self.districts:
                raise v.Invalid(name, f"unknown district {text!r}; use a code from [[districts]] or the city code "
                                      f"{self.city}", "unknown")
            return self.districts[text]
        if spec.kind == "indicator" and text not in self.indicators:
            raise v.Invalid(name, f"unknown indicator {text!r}; add it to [[indicators]] in the city config", "unknown")
        return text

    def _require(self, out: dict[str, Any], *names: str) -> None:
        for name in names:
            if out.get(name) is None:
                raise v.Invalid(name, f"{name} is empty or a missing-value marker "
                                      f"(source column {self.source.columns[name]!r})", "missing")

    # -- one shape per domain ----------------------------------------------------------
    def _finish_series(self, out: dict[str, Any], found: list[_Found]) -> dict[str, Any]:
        required, shape = _SERIES[self.domain]
        self._require(out, *required)
        entity = out[required[0]]
        flagged = []
        for name, limits in self.plausible.items():
            value, most = out.get(name), limits.get(entity)
            if value is not None and most is not None and value > most:
                # kept as received and flagged (the row's ``implausible``): indicators and
                # rollups leave it out (store.rollups.usable), the department can see it
                kind = ENTITY_KIND[self.domain]
                reason = (f"{name} {value:g} is implausible at {kind} {entity}: more than {most:g}, "
                          f"{'twice its speed limit' if name == 'speed' else 'three times its capacity'}; "
                          "stored flagged and left out of the indicators")
                found.append((name, "implausible", value, reason))
                flagged.append(name)
        if "implausible" in shape:
            out["implausible"] = ",".join(flagged) or None
        if self.measured and all(out.get(k) is None for k in self.measured):
            why = {f: reason for f, _, _, reason in found}
            parts = [why.get(k) or f"{k} is empty" for k in self.measured]
            raise v.Invalid(",".join(self.measured)[:64], "no measured field is usable: " + "; ".join(parts),
                            "missing")
        return {k: out.get(k) for k in shape}

    _finish_environment = _finish_traffic = _finish_tourism = _finish_series

    def _finish_economy(self, out: dict[str, Any], found: list[_Found]) -> dict[str, Any]:
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

    def _finish_hotline(self, out: dict[str, Any], found: list[_Found]) -> dict[str, Any]:
        self._require(out, "ticket", "created_at", "category", "district")
        row = {k: out.get(k) for k in ("ticket", "created_at", "category", "district", "channel", "answered",
                                       "wait_seconds", "due_at", "closed_at", "satisfaction", "status",
                                       "updated_at")}
        if row["closed_at"] is not None and row["closed_at"] < row["created_at"]:
            # which of the two times is wrong cannot be told, and created_at places the ticket
            raise v.Invalid("closed_at", "closed_at is before created_at; the ticket cannot close before the call")
        if row["satisfaction"] is not None and row["satisfaction"] not in SATISFACTION:
            found.append(("satisfaction", "unknown", row["satisfaction"],
                          f"satisfaction {row['satisfaction']!r} is not one of {', '.join(SATISFACTION)}; map the "
                          "department's codes onto them in the source query"))
            row["satisfaction"] = None
        return row

    def _raw_key(self, raw: Mapping[str, Any]) -> str | None:
        parts = [raw.get(self.source.columns[k]) for k in self.key_fields if k in self.source.columns]
        if not parts or all(v.is_missing(p) for p in parts):
            return None
        return key_text(parts)[:200]


#: (field, rule, value as received, reason) of one unusable field, before its row key is known
_Found = tuple[str, str, Any, str]


def _scaled(k: float) -> Any:
    return lambda v: v * k


def _number(text: str) -> float | None:
    """The number a marker spells ("9999" → 9999.0), None for text markers."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _text_number(x: str, f: float, lo: float, hi: float, markers: frozenset[str], whole: bool) -> Any:
    """A number written as text, as ``validate.as_number`` reads it, or ``_SLOW`` for
    anything that function would judge differently (markers, thousands separators, junk,
    out of range): departments that keep readings in text columns are common (issue 19)."""
    t = x.strip()
    if not t or t in markers or "," in t:  # blank: missing, and maybe a recorded marker
        return _SLOW
    try:
        y = float(t)
    except ValueError:
        return _SLOW
    if whole:
        return int(y) if lo <= y <= hi and y.is_integer() else _SLOW
    if f != 1.0:
        y = y * f
    return y if lo <= y <= hi else _SLOW


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _shown(value: Any) -> str | None:
    """A received value as text for the field-issue record (None stays None)."""
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode()[:190]
    return str(value)[:200]


def _plain(code: Any) -> bool:
    """A code as ``validate.as_text`` returns it: text, stripped, not blank, at most 200 long."""
    return type(code) is str and code == code.strip() and 0 < len(code) <= 200


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
