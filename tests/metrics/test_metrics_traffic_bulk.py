"""``link_grades`` (bulk) answers exactly as ``link_grade`` does, edges and errors included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
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
