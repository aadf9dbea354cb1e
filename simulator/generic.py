"""Departments generated from config (``[[demo.departments]]``, :mod:`simulator.spec`).

A :class:`~simulator.feed.Department` is built from its description at run time, so
``create`` and ``advance`` treat it exactly as a built-in one: every row is a pure
function of (seed, department, entity, day) and its versions (an event's flags written
later are a second version), so history written at once equals history written tick by
tick. The entities are the theme's (its own list, or the city list it names).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citybrain.settings import Settings
from simulator import holidays
from simulator.clock import day_seconds
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream, uniform
from simulator.schema import Code, LocalDateTime, Real
from simulator.spec import SimulatedDepartment, SimValue


def table_of(spec: SimulatedDepartment, metadata: sa.MetaData) -> sa.Table:
    """The department's table, named and typed as its description says."""
    cols: list[sa.Column] = []
    if spec.kind == "readings":
        cols += [sa.Column(spec.entity, Code(), primary_key=True),
                 sa.Column(spec.time, LocalDateTime(), primary_key=True)]
        cols += [sa.Column(v.column, Real()) for v in spec.values]
    else:
        cols += [sa.Column(spec.id, sa.String(40), primary_key=True),  # type: ignore[arg-type]
                 sa.Column(spec.entity, Code(), nullable=False), sa.Column(spec.time, LocalDateTime(), nullable=False)]
        if spec.category is not None:
            cols.append(sa.Column(spec.category.column, sa.String(50)))
        cols += [sa.Column(f.column, sa.Integer) for f in spec.flags]
    cols.append(sa.Column(spec.stamp, LocalDateTime(), nullable=False))
    return sa.Table(spec.table, metadata, *cols)


def _entities(settings: Settings, spec: SimulatedDepartment) -> pd.DataFrame:
    from themes.compute import places

    theme = settings.theme(spec.theme)
    if theme is None:
        raise ValueError(f"demo department {spec.name}: no theme {spec.theme!r} in the city config")
    return places(settings, theme)


def _attr(entities: pd.DataFrame, code: str, value: float | str | None) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    got = entities.at[code, value] if value in entities.columns else None
    return None if got is None or pd.isna(got) else float(got)


def _hourly(profile: list[float], seconds: np.ndarray) -> np.ndarray:
    """The profile at each second of the day, linear between hour midpoints (smooth curves)."""
    hours = seconds / 3600.0 - 0.5
    ring = np.asarray(profile + profile[:1], dtype=float)
    lo = np.floor(hours).astype(int) % 24
    frac = hours - np.floor(hours)
    return ring[lo] * (1 - frac) + ring[lo + 1] * frac


def _readings(settings: Settings, spec: SimulatedDepartment, seed: int, entities: pd.DataFrame, d: date) -> pd.DataFrame:
    step = int(spec.every.total_seconds())
    seconds = np.arange(0, 86400, step)
    n = len(seconds)
    off = holidays.day_kind(d) != "workday"
    start = day_seconds(d) + seconds.astype("timedelta64[s]")
    frames = []
    for code in entities.index:
        rng = stream(seed, "generic", spec.name, code, d)
        out: dict[str, Any] = {spec.entity: code, spec.time: start}
        for v in spec.values:
            out[v.column] = _values(v, rng, entities, code, seconds, off, seed, spec.name)
        lo, hi = spec.delay
        delay = rng.integers(int(lo.total_seconds()), int(hi.total_seconds()) + 1, n).astype("timedelta64[s]")
        out[spec.stamp] = start + np.timedelta64(step, "s") + delay
        frames.append(pd.DataFrame(out))
    return pd.concat(frames, ignore_index=True)


def _values(v: SimValue, rng: np.random.Generator, entities: pd.DataFrame, code: str, seconds: np.ndarray, off: bool,
            seed: int, name: str) -> np.ndarray:
    level = _attr(entities, code, v.level) or 0.0
    profile = v.weekend_profile if off and v.weekend_profile is not None else v.profile
    own = uniform(seed, "generic", name, v.column, code, low=0.85, high=1.1)  # this entity's own habit
    x = level * _hourly(profile, seconds) * (v.weekend if off else 1.0) * own
    x = x * (1 + v.noise * rng.standard_normal(len(seconds)))
    high = _attr(entities, code, v.high)
    x = np.clip(x, v.low if v.low is not None else -np.inf, high if high is not None else np.inf)
    x = np.round(x, v.decimals)
    if v.missing:
        x = np.where(rng.random(len(seconds)) < v.missing, np.nan, x)
    return x


def _events(settings: Settings, spec: SimulatedDepartment, seed: int, entities: pd.DataFrame, d: date) -> pd.DataFrame:
    off = holidays.day_kind(d) != "workday"
    weights = None
    if spec.rate_per and spec.rate_per in entities.columns:
        w = pd.to_numeric(entities[spec.rate_per], errors="coerce").fillna(0.0)
        weights = w / w.mean() if w.mean() > 0 else None
    frames = []
    for code in entities.index:
        rng = stream(seed, "generic", spec.name, code, d)
        mean = spec.rate * np.asarray(spec.profile) * (spec.weekend if off else 1.0)
        if weights is not None:
            mean = mean * float(weights[code])
        per_hour = rng.poisson(mean)
        k = int(per_hour.sum())
        if not k:
            continue
        sec = np.repeat(np.arange(24) * 3600, per_hour) + rng.integers(0, 3600, k)
        sec.sort()
        t = day_seconds(d) + sec.astype("timedelta64[s]")
        lo, hi = spec.delay
        stamp = t + rng.integers(int(lo.total_seconds()), int(hi.total_seconds()) + 1, k).astype("timedelta64[s]")
        base: dict[str, Any] = {spec.id: [f"{spec.id_prefix}{d:%Y%m%d}{code}{i:04d}" for i in range(k)],  # type: ignore[dict-item]
                                spec.entity: code, spec.time: t}
        if spec.category is not None:
            labels = list(spec.category.values)
            p = np.asarray(list(spec.category.values.values()), dtype=float)
            base[spec.category.column] = np.asarray(labels, dtype=object)[rng.choice(len(labels), k, p=p / p.sum())]
        later: dict[str, np.ndarray] = {}
        known_at = stamp
        for f in spec.flags:
            drawn = (rng.random(k) < f.p).astype(np.int64)
            if f.negate is not None:  # the opposite of an earlier flag, known with it
                if f.negate in later:
                    later[f.column] = 1 - later[f.negate]
                else:
                    base[f.column] = 1 - base[f.negate]
                continue
            if f.after is None:
                base[f.column] = drawn
            else:
                later[f.column] = drawn
                a, b = (int(x.total_seconds()) for x in f.after)
                known_at = np.maximum(known_at, t + rng.integers(a, b + 1, k).astype("timedelta64[s]"))
        first = pd.DataFrame({**base, **{c: pd.array([None] * k, dtype="Int64") for c in later}, spec.stamp: stamp})
        frames.append(first)
        if later:
            frames.append(pd.DataFrame({**base, **later, spec.stamp: known_at}))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def department(settings: Settings, spec: SimulatedDepartment) -> Department:
    """The :class:`Department` a ``[[demo.departments]]`` entry describes."""
    metadata = sa.MetaData()
    table = table_of(spec, metadata)

    def versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
        entities = _entities(settings, spec)
        make = _readings if spec.kind == "readings" else _events
        frames = [f for d in holidays.days_between(first, last)
                  if not (f := make(settings, spec, seed, entities, d)).empty]
        return pd.concat(frames, ignore_index=True) if frames else empty_versions(table)

    late = max((f.after[1] for f in spec.flags if f.after is not None), default=timedelta(0))
    horizon = max(spec.every, timedelta(minutes=5)) + spec.delay[1] + late
    mutable = spec.kind == "events" and late > timedelta(0)
    return Department(name=spec.name, metadata=metadata,
                      feeds=(Feed(table, stamp=spec.stamp, born=spec.time, horizon=horizon, versions=versions,
                                  mutable=mutable),))
