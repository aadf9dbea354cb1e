"""Small checks shared by the frame-taking functions (private)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from metrics.errors import InvalidValueError, MissingColumnsError


def require_columns(frame: pd.DataFrame, required: Sequence[str], name: str) -> None:
    """Raise :class:`MissingColumnsError` naming every absent column at once."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MissingColumnsError(name, missing, required)


def utc_times(values: pd.Series, column: str, frame_name: str) -> pd.Series:
    """The column as tz-aware UTC timestamps; naive times are refused, not guessed.

    The store keeps UTC (STACK.md); a naive timestamp could be local or UTC and a
    guess would shift every day boundary by eight hours.
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype) and values.isna().all():
        # An all-empty column (e.g. no ticket closed yet) often arrives as object dtype.
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(values.dtype):
            raise InvalidValueError(
                f"{frame_name}.{column} is naive; localise it first, "
                f"e.g. frame[{column!r}].dt.tz_localize('UTC')"
            )
        raise InvalidValueError(
            f"{frame_name}.{column} must hold tz-aware timestamps, got dtype {values.dtype}; "
            f"convert with pd.to_datetime(frame[{column!r}], utc=True)"
        )
    return values.dt.tz_convert("UTC")


def numeric(values: pd.Series, column: str, frame_name: str) -> pd.Series:
    """The column as float64 (NaN for missing); refuses text so typos surface."""
    try:
        return pd.to_numeric(values, errors="raise").astype("float64")
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{frame_name}.{column} must be numeric (NaN for missing): {exc}"
        ) from None
