"""Rows as versions: the one idea that makes ``create`` and ``advance`` agree.

A department row changes over time — a 12345 ticket is accepted, closed, revisited; a
statistic is published, then revised; an air reading arrives late or is audited. Each
generator therefore returns every *version* of every row born in a range of days, each
version stamped with the time it was written (the table's update-time column). Then:

* the table's content at time T is, per key, the last version stamped ≤ T;
* what ``advance`` must write between the database's newest stamp W and ``until`` is,
  for every key with a version stamped in (W, until], its state at ``until`` — an INSERT
  when the key's first version is after W, an UPDATE otherwise.

Because every version is a pure function of (seed, entity, day), history written at once
and history written tick by tick are the same rows, and a second ``advance`` with the
same ``until`` finds nothing in (W, until] to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citybrain.settings import Settings

#: versions(settings, seed, first_day, last_day) → every version of rows born on those local days
VersionsFn = Callable[[Settings, int, date, date], pd.DataFrame]
#: lookup rows written once at creation (code lists, site registry)
LookupFn = Callable[[Settings], list[dict[str, object]]]


@dataclass(frozen=True)
class Feed:
    """A time-stamped table of a department and how to generate its versions."""

    table: sa.Table
    stamp: str  # update-time column: each version's write time
    born: str | None  # time column that places a row inside the history window (None: keep all)
    horizon: timedelta  # longest gap from a row's birth day to its last version
    versions: VersionsFn
    mutable: bool = True  # False when every row has exactly one version (skip the per-key reduction)
    #: first day of history for (end, days); default end − days. Statistics need years.
    history_start: Callable[[datetime, int], datetime] | None = None
    chunk_days: int = 7

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.table.primary_key.columns]

    def start_for(self, end: datetime, days: int) -> datetime:
        return self.history_start(end, days) if self.history_start else end - timedelta(days=days)


@dataclass(frozen=True)
class Department:
    name: str
    metadata: sa.MetaData
    feeds: tuple[Feed, ...]
    lookups: tuple[tuple[sa.Table, LookupFn], ...] = field(default_factory=tuple)


def empty_versions(table: sa.Table) -> pd.DataFrame:
    """No rows, but typed like real versions (time columns comparable with datetime64)."""
    from simulator.schema import LocalDateTime  # local import: schema imports nothing from here

    def dtype(col: sa.Column) -> str:
        if isinstance(col.type, LocalDateTime):
            return "datetime64[s]"
        if isinstance(col.type, sa.Integer):
            return "int64"
        return "float64" if isinstance(col.type, (sa.Double, sa.Float)) else "object"

    return pd.DataFrame({c.name: pd.Series([], dtype=dtype(c)) for c in table.columns})


def state_at(feed: Feed, versions: pd.DataFrame, moment: np.datetime64) -> pd.DataFrame:
    """Each key's last version stamped ≤ ``moment`` (the table as it stands then)."""
    if versions.empty:
        return versions
    visible = versions[versions[feed.stamp].to_numpy() <= moment]
    if not feed.mutable or visible.empty:
        return visible.reset_index(drop=True)
    ordered = visible.sort_values(feed.stamp, kind="stable")
    return ordered.drop_duplicates(feed.key, keep="last").reset_index(drop=True)


def changes(
    feed: Feed, versions: pd.DataFrame, after: np.datetime64, until: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows to insert, rows to update): keys with a version in (after, until], as of ``until``."""
    if versions.empty:
        return versions, versions
    stamps = versions[feed.stamp].to_numpy()
    touched = versions[(stamps > after) & (stamps <= until)]
    if touched.empty:
        return touched, touched
    if not feed.mutable:
        return touched.reset_index(drop=True), touched.iloc[0:0]
    keys = touched[feed.key].drop_duplicates()
    mine = versions.merge(keys, on=feed.key, how="inner")
    first = mine.groupby(feed.key, sort=False)[feed.stamp].min().rename("_first").reset_index()
    current = state_at(feed, mine, until).merge(first, on=feed.key, how="left")
    is_new = current["_first"].to_numpy() > after
    current = current.drop(columns="_first")
    return current[is_new].reset_index(drop=True), current[~is_new].reset_index(drop=True)
