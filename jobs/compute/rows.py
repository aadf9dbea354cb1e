"""Building indicator rows: one at a time (:func:`row`) or a column at a time
(:func:`result_frame`, the indicator frames :mod:`store.bulk` writes without a Python
object per value), and the JSON text of their details written as ``json.dumps`` would.

A step may return either; both store the same rows (tests/jobs/test_jobs_indicators_reference.py).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from store.bulk import INDICATOR_COLUMNS, integer, num


def row(name: str, grain: str, scope_kind: str, scope: str, time: Any, value: Any, *,
        level: Any = None, category: Any = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One indicator row as the store's writers take it (scope "" = the city)."""
    return {"name": name, "grain": grain, "scope_kind": scope_kind, "scope": scope or "",
            "time": pd.Timestamp(time).to_pydatetime(), "value": num(value), "level": integer(level),
            "category": None if category is None or category is pd.NA else str(category),
            "detail": detail}


def result_frame(name: str, grain: str, scope_kind: Any, scope: Any, time: Any, value: Any, *,
                 category: Any = None, level: Any = None, detail: Any = None) -> pd.DataFrame:
    """The rows of one indicator as an indicator frame; every argument after ``grain`` is
    one value for all rows or a column (``detail`` as JSON texts)."""
    n = len(time)

    def column(v: Any) -> Any:
        return [v] * n if v is None or isinstance(v, str) else list(v) if not isinstance(v, pd.Series) else v.tolist()

    return pd.DataFrame({
        "name": [name] * n, "grain": [grain] * n, "scope_kind": column(scope_kind),
        "scope": ["" if s is None else str(s) for s in column(scope)],
        "time": pd.DatetimeIndex(time).tz_convert("UTC").as_unit("us"),
        "value": value.astype("float64") if isinstance(value, np.ndarray) and value.dtype.kind == "f"
        else pd.array([np.nan if v is None else v for v in column(value)], dtype="float64"),
        "level": pd.array(column(level), dtype="Int64"),
        "category": pd.array([None if c is None or c is pd.NA else str(c) for c in column(category)], dtype=object),
        "detail": pd.array(column(detail) if detail is not None else ["null"] * n, dtype=object),
    }, columns=list(INDICATOR_COLUMNS))


def json_floats(values: Any) -> list[str]:
    """Each value as ``json.dumps(num(v))`` writes it (NaN and ±inf become null)."""
    return ["null" if (f := num(v)) is None else repr(f) for v in
            (values.tolist() if isinstance(values, (pd.Series, np.ndarray)) else values)]


def json_objects(**fields: Any) -> list[str]:
    """JSON objects from per-field lists of JSON texts (in ``json.dumps``'s layout)."""
    names = [json.dumps(k) for k in fields]
    return ["{" + ", ".join(f"{k}: {v}" for k, v in zip(names, parts)) + "}" for parts in zip(*fields.values())]
