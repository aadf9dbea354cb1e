"""A theme's hour and day values (issue 20): its stored rows aggregated by the spec.

:func:`aggregate` is pure (rows in, indicator rows out); :func:`compute_theme` reads a
theme's ``theme_obs`` rows of [start, end) and aggregates them; :func:`steps` are the
compute job's theme steps (``jobs.compute.themes``). Values land in the ``indicators``
table named ``<theme>.<indicator>``.

What a value is — the rules the acceptance test re-implements independently:

* **Periods** are the city's local hours and days (a 25-hour autumn day in a DST zone is
  one day; the repeated local hour is two hours), stored by their start as a UTC instant.
* **Measured** (``agg`` mean | sum | min | max | last): per entity, ``agg`` over the
  period's usable values of the indicator (``last``: the value of the latest reading).
  A district's and the city's value combine their entities' values by ``across``
  (default: sum for sum, mean for mean and last, min for min, max for max). Per
  category (when the source maps one): ``agg`` over all rows of that category in the city.
* **Count**: event rows (rows with an id), with ``where`` only those whose flag is true;
  a district or the city adds its entities'. Within the span from the first to the last
  period that holds any event of the theme, every entity, district and the city has a
  value — 0 when nothing happened — so a quiet hour is 0, but a period the source never
  delivered stays without value.
* **Share**: rows whose flag is true ÷ rows whose flag is known (true or false), pooled
  over the scope's rows; no value where no row knows the flag.
* **Ratio**: ``of`` ÷ ``per`` at each scope. ``per`` an entity attribute: for an entity
  its own value ÷ its attribute, for a district and the city the sum of ``of`` over
  their entities with a value ÷ the sum of those entities' attributes (occupied spaces
  of all car parks ÷ their capacity, whatever ``across`` says). ``per`` an indicator:
  the two values of the same scope and period (no value where ``per`` is 0 or missing).
* **Level** (indicators with ``levels``): 0 below blue, 1 blue, 2 yellow, 3 orange,
  4 red — the most severe level whose threshold the value reaches (``levels_op``).

Scopes: ``entity`` (own list, stations, sites, segments), ``district``, ``city`` (scope
"") and ``category``. A theme over ``entities = "districts"`` has district and city
values; over ``"city"`` city values only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from themes.spec import LEVEL_ORDER, Theme, ThemeIndicator

UTC = dt.timezone.utc
GRAINS = ("hour", "day")
#: indicator frame columns (store.bulk.INDICATOR_COLUMNS)
COLUMNS = ("name", "grain", "scope_kind", "scope", "time", "value", "level", "category", "detail")
_PANDAS_AGG = {"mean": "mean", "sum": "sum", "min": "min", "max": "max"}


# ------------------------------------------------------------------------------ entities

def places(settings: Any, theme: Theme) -> pd.DataFrame:
    """The theme's entities: index = code; columns district and every numeric attribute
    (a theme over districts: the districts, their population; over the city: the city)."""
    if isinstance(theme.entities, list):
        rows = [{"code": e.code, "district": e.district, **e.attrs} for e in theme.entities]
    elif theme.entities == "districts":
        rows = [{"code": d.code, "district": d.code, "population_10k": d.population_10k} for d in settings.districts]
    elif theme.entities == "city":
        rows = [{"code": settings.city.code, "district": None}]
    else:
        from themes.spec import LIST_ATTRIBUTES

        attrs = LIST_ATTRIBUTES[theme.entities]
        rows = [{"code": e.code, "district": e.district, **{a: getattr(e, a, None) for a in attrs}}
                for e in getattr(settings, theme.entities)]
    frame = pd.DataFrame(rows).set_index("code")
    return frame


# ------------------------------------------------------------------------------- periods

def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of the local ``day`` as UTC (a midnight skipped by DST: the first
    instant that exists)."""
    t = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
    if t.astimezone(tz).date() != day:  # midnight did not exist: the day began an hour later
        t += dt.timedelta(hours=1)
    return t


def periods(times: pd.Series, tz: ZoneInfo) -> tuple[pd.Series, pd.Series]:
    """Each instant's local hour start and local day start, as UTC instants."""
    utc = times.dt.tz_convert("UTC")
    wall = utc.dt.tz_convert(tz).dt.tz_localize(None)
    offset = wall - utc.dt.tz_localize(None)  # the instant's own offset: a repeated hour stays two
    hour = (wall.dt.floor("h") - offset).dt.tz_localize("UTC")
    dates = wall.dt.normalize()
    starts = {d: pd.Timestamp(local_midnight(d.date(), tz)) for d in dates.unique()}
    day = dates.map(starts).astype("datetime64[us, UTC]")
    return hour.astype("datetime64[us, UTC]"), day


def _span(buckets: pd.Series, grain: str, tz: ZoneInfo) -> pd.DatetimeIndex:
    """Every period from the first to the last of ``buckets``."""
    lo, hi = buckets.min(), buckets.max()
    if grain == "hour":
        return pd.date_range(lo, hi, freq="h").as_unit("us")
    first, last = lo.tz_convert(tz).date(), hi.tz_convert(tz).date()
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    return pd.DatetimeIndex([local_midnight(d, tz) for d in days]).as_unit("us")


# ------------------------------------------------------------------------------ levels

def level_of(indicator: ThemeIndicator, value: float | None) -> int | None:
    """0 below blue … 4 red; None when the indicator has no levels or there is no value."""
    if not indicator.levels or value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(levels_of(indicator, np.asarray([value], dtype=float))[0])


def levels_of(indicator: ThemeIndicator, values: np.ndarray) -> np.ndarray:
    """:func:`level_of` over an array (NaN values get level 0; callers mask them)."""
    out = np.zeros(len(values), dtype=int)
    for name in LEVEL_ORDER:
        threshold = (indicator.levels or {}).get(name)
        if threshold is None:
            continue
        hit = values >= threshold if indicator.levels_op == ">=" else values <= threshold
        out = np.where(hit, LEVEL_ORDER.index(name) + 1, out)
    return out


# --------------------------------------------------------------------------- aggregation

def aggregate(theme: Theme, rows: pd.DataFrame, *, tz: ZoneInfo, where: pd.DataFrame, city: str) -> pd.DataFrame:
    """Hour and day values of every indicator of ``theme`` from its ``rows``.

    ``rows``: entity, time (aware), ref ("" for a reading), category (or None) and one
    column per measured field (float, NaN unusable) and per flag (1.0, 0.0, NaN).
    ``where``: :func:`places`. Returns an indicator frame (``COLUMNS``).
    """
    if rows.empty:
        return _frame([])
    rows = rows[rows["entity"].isin(where.index)]
    hour, day = periods(rows["time"], tz)
    parts: list[pd.DataFrame] = []
    for grain, bucket in (("hour", hour), ("day", day)):
        frame = rows.assign(t=bucket)  # aligned on the index: no per-row Timestamp objects
        values: dict[str, pd.DataFrame] = {}  # indicator → its values at every scope (for ratios)
        for ind in theme.indicators:
            if ind.kind == "measured":
                values[ind.code] = _measured(theme, ind, frame, where, city)
            elif ind.kind == "count":
                values[ind.code] = _count(theme, ind, frame, where, city, grain, tz)
            elif ind.kind == "share":
                values[ind.code] = _share(theme, ind, frame, where, city)
        for ind in theme.indicators:
            if ind.kind == "ratio":
                values[ind.code] = _ratio(theme, ind, values, where)
        for ind in theme.indicators:
            v = values[ind.code]
            if not v.empty:
                parts.append(_finish(theme, ind, grain, v))
    return _frame(parts)


def _scoped(theme: Theme, per_entity: pd.DataFrame, combine: str | None, where: pd.DataFrame,
            city: str) -> list[pd.DataFrame]:
    """Entity values (t, entity, value, detail columns …) as entity, district and city rows;
    ``combine`` is how entities make a district and the city (None: sum every column)."""
    out = []
    if per_entity.empty:
        return out
    if theme.entities == "city":
        return [per_entity.assign(scope_kind="city", scope="").drop(columns="entity")]
    if theme.entities == "districts":
        out.append(per_entity.assign(scope_kind="district").rename(columns={"entity": "scope"}))
    else:
        out.append(per_entity.assign(scope_kind="entity").rename(columns={"entity": "scope"}))
        with_district = per_entity.assign(district=where["district"].reindex(per_entity["entity"]).to_numpy())
        out.append(_combine(with_district, ["t", "district"], combine).assign(scope_kind="district")
                   .rename(columns={"district": "scope"}))
    out.append(_combine(per_entity, ["t"], combine).assign(scope_kind="city", scope=""))
    return out


def _combine(frame: pd.DataFrame, keys: list[str], combine: str | None) -> pd.DataFrame:
    cols = [c for c in frame.columns if c not in (*keys, "entity", "district")]
    grouped = frame.groupby(keys, sort=True)[cols]
    if combine is None:
        return grouped.sum(min_count=1).reset_index()
    out = grouped.agg({c: (_PANDAS_AGG[combine] if c == "value" else "sum") for c in cols}).reset_index()
    return out


def _measured(theme: Theme, ind: ThemeIndicator, frame: pd.DataFrame, where: pd.DataFrame,
              city: str) -> pd.DataFrame:
    code = ind.code
    sub = frame.loc[frame[code].notna(), ["t", "entity", "time", "category", code]]
    if sub.empty:
        return pd.DataFrame()
    per_entity = _agg(sub, ["t", "entity"], code, str(ind.agg))
    parts = _scoped(theme, per_entity, ind.combine, where, city)
    cat = sub[sub["category"].notna()]
    if not cat.empty:
        parts.append(_agg(cat, ["t", "category"], code, str(ind.agg)).assign(scope_kind="category")
                     .rename(columns={"category": "scope"}))
    return pd.concat(parts, ignore_index=True)


def _agg(sub: pd.DataFrame, keys: list[str], code: str, agg: str) -> pd.DataFrame:
    """``agg`` of ``code`` per ``keys`` with n, the values' count."""
    g = sub.groupby(keys, sort=True)
    if agg == "last":
        value = sub.sort_values("time", kind="stable").groupby(keys, sort=True)[code].last()
    else:
        value = g[code].agg(_PANDAS_AGG[agg])
    return pd.DataFrame({"value": value, "n": g[code].count()}).reset_index()


def _count(theme: Theme, ind: ThemeIndicator, frame: pd.DataFrame, where: pd.DataFrame, city: str,
           grain: str, tz: ZoneInfo) -> pd.DataFrame:
    events = frame[frame["ref"] != ""]
    if events.empty:
        return pd.DataFrame()
    span = _span(events["t"], grain, tz)
    chosen = events if ind.where is None else events[events[ind.where] == 1.0]
    counts = chosen.groupby(["t", "entity"]).size()
    full = pd.MultiIndex.from_product([span, where.index], names=["t", "entity"])
    per_entity = counts.reindex(full, fill_value=0).astype(float).rename("value").reset_index()
    parts = _scoped(theme, per_entity, None, where, city)
    cats = events["category"].dropna().unique()
    if len(cats):
        by_cat = chosen[chosen["category"].notna()].groupby(["t", "category"]).size()
        full = pd.MultiIndex.from_product([span, sorted(cats)], names=["t", "category"])
        parts.append(by_cat.reindex(full, fill_value=0).astype(float).rename("value").reset_index()
                     .assign(scope_kind="category").rename(columns={"category": "scope"}))
    return pd.concat(parts, ignore_index=True)


def _share(theme: Theme, ind: ThemeIndicator, frame: pd.DataFrame, where: pd.DataFrame,
           city: str) -> pd.DataFrame:
    flag = ind.share.of  # type: ignore[union-attr]
    known = frame[frame[flag].notna()]
    if known.empty:
        return pd.DataFrame()
    per_entity = (known.assign(num=known[flag], den=1.0).groupby(["t", "entity"], sort=True)[["num", "den"]]
                  .sum().reset_index())
    parts = _scoped(theme, per_entity, None, where, city)
    cat = known[known["category"].notna()]
    if not cat.empty:
        parts.append(cat.assign(num=cat[flag], den=1.0).groupby(["t", "category"], sort=True)[["num", "den"]].sum()
                     .reset_index().assign(scope_kind="category").rename(columns={"category": "scope"}))
    out = pd.concat(parts, ignore_index=True)
    return out.assign(value=out["num"] / out["den"])


def _ratio(theme: Theme, ind: ThemeIndicator, values: dict[str, pd.DataFrame], where: pd.DataFrame) -> pd.DataFrame:
    ratio = ind.ratio
    of = values.get(ratio.of, pd.DataFrame())  # type: ignore[union-attr]
    if of.empty:
        return pd.DataFrame()
    per_name = ratio.per  # type: ignore[union-attr]
    if per_name in values:  # another indicator: the same scope and period
        per = values[per_name]
        if per.empty:
            return pd.DataFrame()
        both = of[["t", "scope_kind", "scope", "value"]].merge(
            per[["t", "scope_kind", "scope", "value"]], on=["t", "scope_kind", "scope"], suffixes=("_of", "_per"))
    else:  # an entity attribute: entities' sums for districts and the city
        attr = pd.to_numeric(where[per_name], errors="coerce")
        kind = "district" if theme.entities == "districts" else "entity"
        ent = of[(of["scope_kind"] == kind) & of["value"].notna()][["t", "scope", "value"]]
        ent = ent.assign(value_per=attr.reindex(ent["scope"]).to_numpy()).rename(columns={"value": "value_of"})
        ent = ent[ent["value_per"].notna()]
        parts = [ent.assign(scope_kind=kind)]
        if kind == "entity":
            dist = ent.assign(scope=where["district"].reindex(ent["scope"]).to_numpy())
            parts.append(dist.groupby(["t", "scope"], sort=True)[["value_of", "value_per"]].sum().reset_index()
                         .assign(scope_kind="district"))
        parts.append(ent.groupby("t", sort=True)[["value_of", "value_per"]].sum().reset_index()
                     .assign(scope_kind="city", scope=""))
        both = pd.concat(parts, ignore_index=True)
    both = both[both["value_per"].notna() & (both["value_per"] != 0) & both["value_of"].notna()]
    return both.assign(value=both["value_of"] / both["value_per"])


def _finish(theme: Theme, ind: ThemeIndicator, grain: str, v: pd.DataFrame) -> pd.DataFrame:
    v = v[v["value"].notna()]
    values = v["value"].to_numpy(dtype=float)
    level = pd.array(levels_of(ind, values), dtype="Int64") if ind.levels else pd.array([pd.NA] * len(v), dtype="Int64")
    if ind.kind == "measured":
        detail = [json.dumps({"n": int(n)}) for n in v["n"].tolist()]
    elif ind.kind == "share":
        detail = [json.dumps({"num": int(a), "den": int(b)}) for a, b in zip(v["num"].tolist(), v["den"].tolist())]
    elif ind.kind == "ratio":
        detail = [json.dumps({"of": float(a), "per": float(b)})
                  for a, b in zip(v["value_of"].tolist(), v["value_per"].tolist())]
    else:
        detail = ["null"] * len(v)
    return pd.DataFrame({
        "name": theme.metric(ind.code), "grain": grain, "scope_kind": v["scope_kind"].to_numpy(),
        "scope": v["scope"].astype(str).to_numpy(), "time": pd.DatetimeIndex(v["t"]).tz_convert("UTC").as_unit("us"),
        "value": values, "level": level, "category": pd.array([None] * len(v), dtype=object),
        "detail": pd.array(detail, dtype=object)}, columns=list(COLUMNS))


def _frame(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        empty = pd.DataFrame({c: [] for c in COLUMNS})
        empty["time"] = pd.DatetimeIndex([], tz="UTC").as_unit("us")
        empty["value"] = empty["value"].astype(float)
        empty["level"] = pd.array([], dtype="Int64")
        return empty
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- the store

def read_rows(engine: Engine, theme: Theme, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The theme's stored rows with a time in [start, end), as :func:`aggregate` takes them.

    Each field is taken out of ``vals`` by the database (``vals ->> 'occupied'`` as a
    number, a flag as a boolean), so no JSON document is parsed in Python: decoding a
    day of 1,000 car parks' JSON row by row was most of the day's compute.
    """
    from store.bulk import read_frame, utc_times
    from store.schema import theme_obs

    c = theme_obs.c
    measured, flags = theme.measured, sorted(theme.flags)
    fields = [c.vals[f].as_float().label(f"v{i}") for i, f in enumerate(measured)]
    fields += [c.vals[f].as_boolean().label(f"f{i}") for i, f in enumerate(flags)]
    stmt = select(c.entity, c.time, c.ref, c.category, *fields).where(
        c.theme == theme.code, c.time >= start, c.time < end)
    frame = read_frame(engine, stmt)
    frame = frame.rename(columns={**{f"v{i}": f for i, f in enumerate(measured)},
                                  **{f"f{i}": f for i, f in enumerate(flags)}})
    if frame.empty:
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in ("entity", "ref", "category")})
        frame["time"] = pd.Series([], dtype="datetime64[us, UTC]")
    utc_times(frame, "time")
    frame["time"] = frame["time"].astype("datetime64[us, UTC]")
    for f in (*measured, *flags):
        col = frame[f] if f in frame else pd.Series([None] * len(frame), dtype=object)
        frame[f] = pd.to_numeric(col.astype(object).where(col.notna(), None), errors="coerce").astype(float)
    return frame


def compute_theme(settings: Any, engine: Engine, code: str, start: dt.datetime, end: dt.datetime,
                  now: dt.datetime | None = None) -> pd.DataFrame:
    """The theme's indicator rows for [start, end) — which should run between local
    midnights, since day values are properties of whole local days."""
    theme = settings.theme(code)
    if theme is None:
        raise KeyError(code)
    return aggregate(theme, read_rows(engine, theme, start, end), tz=settings.tz, where=places(settings, theme),
                     city=settings.city.code)


def compute_themes(settings: Any, engine: Engine, start: dt.datetime, end: dt.datetime,
                   now: dt.datetime | None = None) -> dict[str, int]:
    """Compute and store every theme's values over [start, end) widened to local days;
    returns rows per theme (the compute job does this through :func:`steps`)."""
    from store.bulk import write_indicators

    now = now or dt.datetime.now(UTC)
    tz = settings.tz
    lo = local_midnight(start.astimezone(tz).date(), tz)
    hi = local_midnight((end - dt.timedelta(microseconds=1)).astimezone(tz).date() + dt.timedelta(days=1), tz)
    return {t.code: write_indicators(engine, compute_theme(settings, engine, t.code, lo, hi), now)
            for t in settings.themes}


def steps(settings: Any) -> list[Any]:
    """One compute step per theme (``jobs.compute.themes.steps`` returns these)."""
    import functools

    from jobs.compute.step import Step

    def run(code: str, settings: Any, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
        return {f"theme {code}": compute_theme(settings, engine, code, start, end, now)}

    return [Step(f"theme {t.code}", t.code, functools.partial(run, t.code)) for t in settings.themes]
