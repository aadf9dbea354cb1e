"""``group_fsums``: per group, exactly ``math.fsum`` — on each of its paths (issue 10)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import _exact
from metrics._exact import group_fsums


def _reference(group: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    return np.array([math.fsum(values[group == g].tolist()) for g in range(groups)], dtype=float)


def _same(got: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.array_equal(got, expected, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(expected)))


@pytest.fixture
def no_fsum(monkeypatch):
    """The vectorised paths only: falling back to math.fsum fails the test."""
    def refuse(*args):
        raise AssertionError("fell back to math.fsum")
    monkeypatch.setattr(_exact, "_fsums_one_by_one", refuse)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 6), st.floats(allow_nan=False, allow_infinity=False)), max_size=80))
def test_any_finite_floats(pairs):
    group = np.array([p[0] for p in pairs], dtype=np.int64)
    values = np.array([p[1] for p in pairs], dtype=float)
    try:
        expected = _reference(group, 7, values)
    except OverflowError:
        with pytest.raises(OverflowError):
            group_fsums(group, 7, values)
        return
    assert _same(group_fsums(group, 7, values), expected)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(1.0, 1000.0)), max_size=60),
       st.integers(-1074, 900))
def test_narrow_spans_take_the_two_word_path(pairs, power):
    """Speeds-like values (a few powers of two), at every scale — subnormal results included."""
    group = np.array([p[0] for p in pairs], dtype=np.int64)
    values = np.ldexp(np.array([p[1] for p in pairs], dtype=float), power)
    assert _same(group_fsums(group, 4, values), _reference(group, 4, values))


def test_ties_round_half_to_even_on_both_paths(no_fsum):
    # 2**53 + 1 lies exactly halfway between two floats: fsum rounds to even (2**53); one more
    # tiny addend breaks the tie upwards — across one word, across two, and over wide spans
    one = [2.0**53, 1.0]
    cases = [one, one + [2.0**-20], [2.0**53 + 2, 1.0], [2.0**53 + 2, 1.0, 2.0**-40], [-(2.0**53), -1.0],
             [2.0**60, 2.0**7], [2.0**60, 2.0**7, 2.0**-1], [1.0, 2.0**-53], [1.0, 2.0**-53, 2.0**-300],
             # a 63-bit sum exactly half an ulp above a float, plus its lowest bit: only the
             # sticky bit kept when the two-word sum is cut to 62 bits rounds it up
             [8.0, 512.0000000000006, 512.0000000000005, 1.0000000000000002],
             [1e300, 1.0, -1e300], [0.1] * 10, [0.1, 0.2, -0.3], [-0.0, -0.0], [5e-324, -5e-324], [5e-324] * 3]
    for values in cases:
        v = np.array(values, dtype=float)
        assert _same(group_fsums(np.zeros(len(v), dtype=np.int64), 1, v), np.array([math.fsum(values)])), values


def test_large_arrays_stay_vectorised_and_exact(no_fsum):
    rng = np.random.default_rng(10)
    n = 200_000
    speeds = np.round(rng.uniform(1, 120, n), 1)
    weights = rng.uniform(0, 1, n) * 10.0 ** rng.integers(-3, 5, n)
    for values, groups in ((speeds, 20_000), (weights, 300)):
        group = rng.integers(0, groups, n)
        assert _same(group_fsums(group, groups, values), _reference(group, groups, values))


def test_empty_groups_inf_and_nan():
    group = np.array([0, 0, 2, 3, 3, 4], dtype=np.int64)
    values = np.array([1.0, np.inf, 2.5, np.nan, 1.0, 3.0])
    assert _same(group_fsums(group, 6, values), np.array([np.inf, 0.0, 2.5, np.nan, 3.0, 0.0]))
    assert _same(group_fsums(np.array([], dtype=np.int64), 2, np.array([])), np.zeros(2))
