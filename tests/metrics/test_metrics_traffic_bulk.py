"""``link_grades`` (bulk) answers exactly as ``link_grade`` does, edges and errors included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.errors import InvalidValueError
from metrics.traffic import link_grade, link_grades

FREE = [35, 45, 50, 55, 100, 60.5, 33.3]


def test_bounds_are_exact_in_bulk_too():
    speeds = [b * f for b in (0.7, 0.5, 0.4, 0.3) for f in FREE] + [35, 25, 20, 15, 0, 0.0]
    frees = [f for _ in (0.7, 0.5, 0.4, 0.3) for f in FREE] + [50, 50, 50, 50, 50, 40]
    assert link_grades(speeds, frees) == [link_grade(v, f) for v, f in zip(speeds, frees)]
    assert link_grades([35.0], [50.0]) == ["基本畅通"]  # exactly 0.7 is not > 0.7
    assert link_grades(np.array(speeds), np.array(frees, dtype=float)) == link_grades(speeds, frees)


@given(st.lists(st.tuples(st.floats(0, 200, allow_nan=False), st.sampled_from(FREE)), max_size=200))
def test_same_as_one_at_a_time(pairs):
    speeds, frees = [p[0] for p in pairs], [p[1] for p in pairs]
    assert link_grades(speeds, frees) == [link_grade(v, f) for v, f in zip(speeds, frees)]


@pytest.mark.parametrize(("speed", "free"), [(-1.0, 50.0), (30.0, 0.0), (float("nan"), 50.0), (True, 50.0)])
def test_invalid_values_raise_as_alone(speed, free):
    with pytest.raises(InvalidValueError):
        link_grade(speed, free)
    with pytest.raises(InvalidValueError):
        link_grades([40.0, speed], [50.0, free])


@settings(deadline=None)  # the exact one-at-a-time reference is slow on a loaded machine
@given(st.lists(st.tuples(st.floats(0, 200, allow_nan=False), st.sampled_from(FREE)), max_size=200))
def test_numeric_arrays_take_the_array_path_with_the_same_answers(pairs):
    speeds, frees = [p[0] for p in pairs], [p[1] for p in pairs]
    expected = [link_grade(v, f) for v, f in zip(speeds, frees)]
    assert link_grades(np.array(speeds, dtype=float), np.array(frees, dtype=float)) == expected
    ints = [f for f in frees if float(f).is_integer()]
    assert link_grades(np.array([round(s) for s in speeds[:len(ints)]], dtype=np.int64),
                       np.array(ints, dtype=np.int64)) == \
        [link_grade(round(v), f) for v, f in zip(speeds[:len(ints)], ints)]


@pytest.mark.parametrize(("speed", "free"), [(-1.0, 50.0), (30.0, 0.0), (float("nan"), 50.0), (30.0, -5.0)])
def test_invalid_values_raise_from_arrays_too(speed, free):
    with pytest.raises(InvalidValueError):
        link_grades(np.array([40.0, speed]), np.array([50.0, free]))


def test_tpi_by_group_is_each_group_alone():
    """``tpi_by_hour(by=...)``: every group's row is bit for bit what the group alone gives
    (zeros, missing volumes, unknown segments and speeds above free flow included)."""
    import pandas as pd

    from metrics.traffic import tpi_by_hour

    rng = np.random.default_rng(7)
    segs = pd.DataFrame({"segment": [f"S{i}" for i in range(12)], "length_km": rng.uniform(0.3, 3.0, 12).round(1),
                         "free_flow": rng.choice([35, 45, 55, 100], 12).astype(float),
                         "district": [f"D{i % 3}" for i in range(12)]})
    n = 3000
    t0 = pd.Timestamp("2026-10-31 16:00", tz="UTC")
    readings = pd.DataFrame({
        "segment": rng.choice([*segs["segment"], "UNKNOWN"], n),
        "time": t0 + pd.to_timedelta(rng.integers(0, 6 * 12, n) * 5, unit="min"),
        "speed": np.where(rng.random(n) < 0.1, 0.0, rng.uniform(5, 110, n).round(1)),
        "volume": np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 300, n).astype(float)),
    })
    readings.loc[rng.random(n) < 0.05, "speed"] = np.nan
    known = readings[readings["segment"].isin(segs["segment"])]
    grouped = tpi_by_hour(known, segs, by="district")
    for district, group in segs.groupby("district"):
        alone = tpi_by_hour(known[known["segment"].isin(group["segment"])], group)
        mine = grouped[grouped["district"] == district].drop(columns="district").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True)
    assert set(grouped.columns) == {"district", *tpi_by_hour(known, segs).columns}
    # exact sums: the order the store returns the readings in changes nothing
    shuffled = known.sample(frac=1, random_state=3)
    pd.testing.assert_frame_equal(tpi_by_hour(shuffled, segs), tpi_by_hour(known, segs), check_exact=True)
    pd.testing.assert_frame_equal(tpi_by_hour(shuffled, segs, by="district"), grouped, check_exact=True)
