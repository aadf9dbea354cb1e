"""LB/T 034-2014 capacity and crowding edges."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics import tourism
from metrics.errors import InvalidValueError


def test_capacity_sums_spots_and_floors():
    # 1000/2 + 500/1.5 = 500 + 333.3 → C1 833; Z = Int(10/2.5) = 4 → C2 3332.
    assert tourism.capacity([(1000, 2), (500, 1.5)], 10, 2.5) == (833, 3332)
    # Z = Int(9/2) = 4 (not 4.5).
    assert tourism.capacity([(900, 1)], 9, 2) == (900, 3600)
    # Exact decimals: 0.3 m² × 10 visitors must not become 9.999… → 9.
    assert tourism.capacity([(3, 0.3)], 0.9, 0.3) == (10, 30)


def test_capacity_errors():
    with pytest.raises(InvalidValueError, match="exceeds opening_hours"):
        tourism.capacity([(100, 1)], 2, 3)
    with pytest.raises(InvalidValueError, match="per visitor"):
        tourism.capacity([(100, 0)], 8, 2)
    with pytest.raises(InvalidValueError, match="at least one"):
        tourism.capacity([], 8, 2)
    with pytest.raises(InvalidValueError, match="pair"):
        tourism.capacity([100], 8, 2)


@pytest.mark.parametrize(("present", "capacity", "state", "ratio"), [
    (0, 1000, "normal", 0.0),
    (799, 1000, "normal", 0.799),
    (800, 1000, "warning", 0.8),
    (4, 5, "warning", 0.8),
    (999, 1000, "warning", 0.999),
    (1000, 1000, "stop_entry", 1.0),
    (1001, 1000, "over_capacity", 1.001),
])
def test_crowding_edges(present, capacity, state, ratio):
    result = tourism.crowding(present, capacity)
    assert result.state == state
    assert result.ratio == pytest.approx(ratio)


def test_crowding_errors_and_vectorised_form():
    with pytest.raises(InvalidValueError, match="capacity"):
        tourism.crowding(10, 0)
    out = tourism.crowding_states(pd.Series([799, 800, 1000, 1001, None]), 1000)
    assert list(out["state"].iloc[:4]) == ["normal", "warning", "stop_entry", "over_capacity"]
    assert pd.isna(out["state"].iloc[4])
    assert out["ratio"].iloc[1] == pytest.approx(0.8)
