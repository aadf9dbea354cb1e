"""The page view parser is total: any JSON value gives a valid view or a clear "invalid", never an exception.

Issue 17 ("Bad input gets 400/404, never 500"): custom-range dates that do not parse,
non-object views, list values and object filters were 500s inside the page callbacks.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.page.view import (
    ALL_RANGES,
    ECONOMY_RANGES,
    NO_DISTRICT,
    InvalidView,
    View,
    parse_view,
    resolve,
)

NOW = dt.datetime(2026, 11, 21, 6, 30, tzinfo=dt.timezone.utc)
ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago"), ZoneInfo("UTC")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
#: objects shaped like a view, each field any JSON value or a near miss of a good one
field_values = st.one_of(json_values, st.sampled_from([
    "", "411002", "custom", "24h", "1y", "2026-11-01", "2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31",
    "1899-12-31", "2200-01-01", "2026-11-01T08:00:00", "20261101", "2026-W01-1", "２０２６-11-01", "x" * 65,
    "a\x00b", "a\u2028b", NO_DISTRICT]))
view_like = st.fixed_dictionaries({}, optional={k: field_values for k in ("district", "range", "start", "end", "detail")})


def test_injection_probes_of_the_issue_are_invalid_not_errors():
    for probe in ([], "7d", 5, True, [{"district": "411002"}], {"district": {"$ne": None}}, {"district": ["411002"]},
                  {"range": "custom", "start": "2026-11-01' OR 1=1--", "end": "2026-11-02"},
                  {"range": "custom", "start": "<script>", "end": "2026-11-02"},
                  {"range": "custom", "start": "2026-11-01"}, {"range": ["7d"]}, {"range": "custom", "start": 20261101,
                                                                                 "end": "2026-11-02"},
                  {"detail": {"a": 1}}, {"extra": 1}):
        assert isinstance(parse_view(probe), InvalidView), probe
        assert parse_view(probe).reason
        view = View.from_data(probe)
        assert isinstance(view, View) and isinstance(parse_view(view.to_data()), View)
        resolve(view, ZONES[0], NOW)


def test_good_views_pass_unchanged():
    for view in (View(), View("411002", "7d"), View(None, "custom", "2026-11-01", "2026-11-10", "XC02"),
                 View("411002", "2y", detail="GDP")):
        assert parse_view(view.to_data()) == view
        assert View.from_data(view.to_data()) == view
    assert parse_view(None) == View() and parse_view({}) == View()
    assert parse_view({"district": "", "detail": ""}) == View()  # the cleared select


def test_an_unreadable_district_never_widens_to_the_city():
    for probe in ({"district": {"a": 1}}, {"district": ["411002"]}, {"district": True}, {"district": "x" * 65},
                  {"district": "41\x0002"}, [], "411002", 7):
        assert View.from_data(probe).district == NO_DISTRICT, probe
    assert View.from_data({"district": 411002}).district == "411002"  # a code typed as a number
    assert View.from_query({"district": ["411002", "411003"]}).district == "411002"  # first of repeated
    assert View.from_query({"district": "a\nb"}).district == NO_DISTRICT


def test_bad_custom_dates_fall_back_to_the_default_range():
    v = View.from_data({"range": "custom", "start": "2026-02-30", "end": "2026-03-01"})
    assert v.range == "24h" and v.start is None
    e = View.from_data({"range": "custom", "start": "x", "end": "y"}, ranges=ECONOMY_RANGES, default_range="2y")
    assert e.range == "2y"
    assert View.from_data({"range": "custom", "start": "2026-11-01T00:00:00", "end": "2026-11-02"}).start == \
        "2026-11-01"  # a picker's time suffix is cut, as the filter callback does
    assert View.from_query({"range": "custom", "start": "0001-01-01", "end": "9999-12-31"}).range == "24h"


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_extreme_dates_resolve_in_every_zone(tz):
    for a, b in (("1900-01-01", "1900-01-01"), ("2199-12-31", "2199-12-31"), ("2199-12-31", "1900-01-01")):
        w = resolve(View(range="custom", start=a, end=b), tz, NOW)
        assert w.start <= w.end


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(json_values, view_like))
def test_any_json_value_gives_a_valid_view_or_a_reason(data):
    parsed = parse_view(data)
    assert isinstance(parsed, (View, InvalidView))
    if isinstance(parsed, InvalidView):
        assert isinstance(parsed.reason, str) and parsed.reason
    view = View.from_data(data)
    assert parse_view(view.to_data()) == view  # from_data's answer is always a view parse_view accepts
    if isinstance(parsed, View):
        assert view == parsed
    for tz in ZONES:
        w = resolve(view, tz, NOW)
        assert w.start <= w.end and w.grain in ("hour", "day", "month")


@settings(max_examples=200, deadline=None)
@given(query=st.dictionaries(st.sampled_from(["district", "range", "start", "end", "detail", "x"]),
                             st.one_of(field_values, st.lists(field_values, max_size=3)), max_size=6),
       ranges=st.sampled_from([ALL_RANGES, ECONOMY_RANGES]))
def test_any_query_gives_a_valid_view(query, ranges):
    view = View.from_query(query, ranges=ranges, default_range=ranges[0])
    assert parse_view(view.to_data(), ranges=ranges) == view
    resolve(view, ZONES[0], NOW)


@settings(max_examples=200, deadline=None)
@given(fields=st.fixed_dictionaries({k: field_values for k in ("district", "range", "start", "end", "detail")}))
def test_resolve_is_total_on_views_built_by_hand(fields):
    """Callbacks build a View from control values directly; resolving it must not raise."""
    w = resolve(View(**fields), ZONES[0], NOW)
    assert w.start <= w.end
