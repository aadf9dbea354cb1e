"""Growth rates of periodic economic statistics: 同比, 环比, 累计, 累计同比.

Conventions of the National Bureau of Statistics, as listed in STANDARDS.md:

* 同比 ``yoy`` = (value / value of the same period a year earlier − 1) × 100 %.
* 环比 ``pop`` = (value / value of the immediately preceding period − 1) × 100 %
  (January's previous period is last December; Q1's is last Q4).
* 累计 ``ytd`` = aggregate of the periods from the start of the year to this one:
  the sum for flows (``aggregation="sum"``: output, retail sales…) or the mean for
  levels and indices (``"mean"``: CPI index, unemployment rate).  It is missing unless
  *every* period of the year so far is present — a gap would understate a sum.
* 累计同比 ``ytd_yoy`` = (ytd / ytd of the same span a year earlier − 1) × 100 %.
* Statistics are revised: per (indicator, period) the row with the highest
  ``revision`` wins (the store keeps the older ones).

A comparison is NaN when the comparison period is missing or its value is ≤ 0: a
percentage change from zero is undefined and from a negative base its sign misleads
(NBS writes "上年同期亏损" rather than a rate).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics._frames import numeric, require_columns
from metrics.errors import InvalidValueError, UnknownKeyError

__all__ = ["AGGREGATIONS", "growth", "parse_period"]

AGGREGATIONS = ("sum", "mean")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_period(period: str) -> tuple[str, int, int]:
    """``"2026-03"`` → ("monthly", 2026, 3); ``"2026-Q1"`` → ("quarterly", 2026, 1)."""
    text = str(period).strip()
    m = _MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return "monthly", int(m.group(1)), int(m.group(2))
    q = _QUARTER.match(text)
    if q:
        return "quarterly", int(q.group(1)), int(q.group(2))
    raise InvalidValueError(
        f"period {period!r} is neither 'YYYY-MM' (monthly) nor 'YYYY-Qn' (quarterly, n = 1–4)"
    )


def _pct(current: np.ndarray, base: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base > 0, (current / np.where(base > 0, base, 1.0) - 1.0) * 100.0, np.nan)


def growth(series: pd.DataFrame, *, aggregation: str | Mapping[str, str] = "sum") -> pd.DataFrame:
    """同比, 环比, 累计 and 累计同比 per period (see the module docstring).

    ``series``: ``period`` ("YYYY-MM" or "YYYY-Qn"), ``value``, optional ``revision``
    (int, newest wins) and optional ``indicator`` (each indicator is computed on its
    own and must keep one frequency).  ``aggregation`` is "sum" or "mean", or a mapping
    indicator → aggregation.

    Returns one row per (indicator, period), sorted: ``[indicator,] period,
    frequency, value, revision (Int64), yoy, pop, ytd, ytd_yoy`` (percentages, NaN
    when the comparison is missing).
    """
    require_columns(series, ("period", "value"), "series")
    has_indicator = "indicator" in series.columns
    parsed = [parse_period(p) for p in series["period"]]
    frame = pd.DataFrame({
        "indicator": series["indicator"].astype(str).to_numpy() if has_indicator else np.full(len(series), ""),
        "period": [str(p).strip() for p in series["period"]],
        "frequency": [p[0] for p in parsed],
        "year": np.array([p[1] for p in parsed], dtype=np.int64),
        "sub": np.array([p[2] for p in parsed], dtype=np.int64),
        "value": numeric(series["value"], "value", "series").to_numpy(),
        "revision": (numeric(series["revision"], "revision", "series").to_numpy()
                     if "revision" in series.columns else np.zeros(len(series))),
    })
    mixed = frame.groupby("indicator")["frequency"].nunique()
    if (mixed > 1).any():
        raise InvalidValueError(
            f"indicator {mixed[mixed > 1].index[0]!r} mixes monthly and quarterly periods; "
            "split it into two indicators"
        )
    dup = frame.duplicated(["indicator", "period", "revision"])
    if dup.any():
        row = frame[dup].iloc[0]
        hint = "give each revision its own number" if "revision" in series.columns else "add a revision column"
        raise InvalidValueError(f"period {row['period']!r} of indicator {row['indicator']!r} appears twice; {hint}")
    frame = (frame.sort_values("revision", kind="stable")
             .drop_duplicates(["indicator", "period"], keep="last"))

    how = _aggregations(aggregation, frame["indicator"].unique())
    per_year = np.where(frame["frequency"] == "monthly", 12, 4)
    frame["ordinal"] = frame["year"] * per_year + frame["sub"] - 1
    frame = frame.sort_values(["indicator", "ordinal"], ignore_index=True)
    per_year = np.where(frame["frequency"] == "monthly", 12, 4)

    values = frame.set_index(["indicator", "ordinal"])["value"]

    def lookup(source: pd.Series, shift: np.ndarray) -> np.ndarray:
        keys = pd.MultiIndex.from_arrays([frame["indicator"], frame["ordinal"] - shift])
        return source.reindex(keys).to_numpy(dtype=float)

    present = frame["value"].notna()
    by_year = frame.assign(v=frame["value"].fillna(0.0), n=present.astype(int)).groupby(["indicator", "year"])
    cum_sum = by_year["v"].cumsum().to_numpy()
    complete = by_year["n"].cumsum().to_numpy() == frame["sub"].to_numpy()  # periods 1..sub all there
    use_mean = frame["indicator"].map(how).eq("mean").to_numpy()
    ytd = np.where(complete, np.where(use_mean, cum_sum / frame["sub"].to_numpy(), cum_sum), np.nan)
    ytd_series = pd.Series(ytd, index=values.index)

    value = frame["value"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "indicator": frame["indicator"],
        "period": pd.array(frame["period"], dtype="str"),
        "frequency": pd.array(frame["frequency"], dtype="str"),
        "value": value,
        "revision": pd.array(frame["revision"] if "revision" in series.columns else [pd.NA] * len(frame),
                             dtype="Int64"),
        "yoy": _pct(value, lookup(values, per_year)),
        "pop": _pct(value, lookup(values, np.ones(len(frame), dtype=np.int64))),
        "ytd": ytd,
        "ytd_yoy": _pct(ytd, lookup(ytd_series, per_year)),
    })
    return out if has_indicator else out.drop(columns="indicator")


def _aggregations(aggregation: str | Mapping[str, str], indicators: np.ndarray) -> dict[str, str]:
    if isinstance(aggregation, str):
        if aggregation not in AGGREGATIONS:
            raise UnknownKeyError("aggregation", aggregation, AGGREGATIONS)
        return {str(i): aggregation for i in indicators}
    result = {}
    for indicator in indicators:
        how = aggregation.get(str(indicator), "sum")
        if how not in AGGREGATIONS:
            raise UnknownKeyError(f"aggregation for {indicator!r}", how, AGGREGATIONS)
        result[str(indicator)] = how
    return result
