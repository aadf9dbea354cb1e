"""Shaping indicator frames for charts: bucket by the window's grain in the city's zone.

Charts read city time, so buckets (hour, local day, month) are formed after converting
from UTC; the x values are local wall-clock strings the figure builders show as is.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd

_FREQ = {"hour": "h", "day": "D", "month": "MS"}
_FMT = {"hour": "%Y-%m-%d %H:%M", "day": "%Y-%m-%d", "month": "%Y-%m"}


def bucket(df: pd.DataFrame, grain: str, tz: ZoneInfo, *, how: str = "mean", value: str = "value",
           by: str | None = None) -> pd.DataFrame:
    """``df`` (time in UTC, ``value``) → one row per local bucket (and ``by``): x (label), value."""
    if df.empty:
        return pd.DataFrame(columns=["x", value] + ([by] if by else []))
    local = df.assign(_t=df["time"].dt.tz_convert(tz).dt.tz_localize(None))
    local["_b"] = local["_t"].dt.to_period({"hour": "h", "day": "D", "month": "M"}[grain]).dt.start_time
    keys = ([by] if by else []) + ["_b"]
    out = local.groupby(keys, as_index=False)[value].agg(how)
    out["x"] = out["_b"].dt.strftime(_FMT[grain])
    return out.sort_values(keys).drop(columns=["_b"]).reset_index(drop=True)


def local_label(ts: pd.Timestamp | None, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    if ts is None or pd.isna(ts):
        return ""
    return pd.Timestamp(ts).tz_convert(tz).strftime(fmt)


def mean_or_none(s: pd.Series) -> float | None:
    s = pd.to_numeric(s, errors="coerce").dropna()
    return float(s.mean()) if len(s) else None


def max_or_none(s: pd.Series) -> float | None:
    s = pd.to_numeric(s, errors="coerce").dropna()
    return float(s.max()) if len(s) else None


def sum_or_none(s: pd.Series) -> float | None:
    s = pd.to_numeric(s, errors="coerce").dropna()
    return float(s.sum()) if len(s) else None
