"""The query readers accept exactly what the OpenAPI document's patterns allow (issue 17).

The document declares the time and code parameters by the same patterns the readers
check, and these properties hold for any string: one the pattern allows is read (never a
400), one it forbids is a 400 (never read, never a 500).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import params
from api.errors import ApiError

UTC = dt.timezone.utc
APP = flask.Flask("params-test")
ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("Pacific/Kiritimati"), UTC]
TIME_RE = re.compile(params.TIME_PATTERN)
CODE_RE = re.compile(params.CODE_PATTERN)


def read(reader, value: str, *args):
    with APP.test_request_context("/", query_string={"x": value}):
        return reader("x", *args)


@settings(max_examples=400, deadline=None)
@given(value=st.from_regex(params.TIME_PATTERN, fullmatch=True), tz=st.sampled_from(ZONES))
def test_every_time_the_document_allows_is_read(value, tz):
    got = read(params.instant, value, tz)
    assert got.tzinfo is UTC or got.utcoffset() == dt.timedelta(0)


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(st.text(max_size=40), st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.+Zz-]{0,20})?",
                                                             fullmatch=True)))
def test_a_time_the_document_forbids_is_a_400(value):
    if TIME_RE.fullmatch(value) and "\n" not in value:
        read(params.instant, value, UTC)
        return
    with pytest.raises(ApiError) as exc:
        read(params.instant, value, UTC)
    assert exc.value.status == 400


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=80))
def test_codes_are_read_exactly_as_the_pattern_says(value):
    allowed = bool(CODE_RE.fullmatch(value)) and "\n" not in value and 1 <= len(value) <= params.CODE_MAX
    if allowed:
        assert read(params.text, value) == value
    else:
        with pytest.raises(ApiError):
            read(params.text, value)


def test_local_and_explicit_times():
    cst = ZoneInfo("Asia/Shanghai")
    assert read(params.instant, "2015-12-01", cst) == dt.datetime(2015, 11, 30, 16, tzinfo=UTC)
    assert read(params.instant, "2015-12-01T08:00", cst) == dt.datetime(2015, 12, 1, 0, tzinfo=UTC)
    assert read(params.instant, "2015-12-01T00:00:00Z", cst) == dt.datetime(2015, 12, 1, tzinfo=UTC)
    assert read(params.instant, "2015-12-01T00:00:00-00:00", cst) == dt.datetime(2015, 12, 1, tzinfo=UTC)
    assert read(params.instant, "2015-12-01T00:00:00.5+01:00", cst) == dt.datetime(2015, 11, 30, 23, 0, 0, 500000,
                                                                                  tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")  # the repeated 02:30 of 2015-10-25 is read with fold=0: summer time
    assert read(params.instant, "2015-10-25T02:30", berlin) == dt.datetime(2015, 10, 25, 0, 30, tzinfo=UTC)
    assert read(params.instant, "0001-01-01T00:00:00+23:59", cst) == dt.datetime.min.replace(tzinfo=UTC)
    assert read(params.instant, "9999-12-31T23:59:59-23:59", cst) == dt.datetime.max.replace(tzinfo=UTC)
