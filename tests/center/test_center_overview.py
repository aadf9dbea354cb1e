"""The office overview: vital signs now, 24 h trend, why it moved; domain cards; links."""

from __future__ import annotations

import datetime as dt
import json

from components.overview.domain_card import kpi_text
from components.overview.vital_data import spec_groups, summarise
from store.queries.overview import vital_signs_day

from plotly.utils import PlotlyJSONEncoder

UTC = dt.timezone.utc


def _texts(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


def _row(hour: int, value: float, contrib: dict[str, float | None], inputs: dict[str, float | None]) -> dict:
    return {"time": dt.datetime(2026, 11, 21, tzinfo=UTC) + dt.timedelta(hours=hour), "value": value,
            "detail": {"contributions": contrib, "inputs": inputs, "sub_indices": {"traffic": value},
                       "coverage": 1.0}}


def test_why_it_moved_is_the_change_of_contributions():
    groups = {"traffic": ["tpi"], "hotline": ["a", "b"]}
    rows = [_row(0, 60, {"tpi": 10, "a": 5, "b": 5}, {"tpi": 5.0, "aqi": 80})] + \
           [_row(h, 65, {"tpi": 11, "a": 5, "b": 5}, {"tpi": 4.0, "aqi": None}) for h in range(1, 24)] + \
           [_row(24, 70, {"tpi": 12, "a": 9, "b": 3}, {"tpi": 3.0, "aqi": None})]
    s = summarise(rows, groups)
    assert s.value == 70 and s.previous == 60 and s.delta == 10
    assert s.moves == [("hotline", 2.0), ("traffic", 2.0)] or s.moves == [("traffic", 2.0), ("hotline", 2.0)]
    assert s.inputs == {"tpi": 3.0, "aqi": 80}  # a late department keeps its last good value
    assert summarise([], groups).value is None


def test_kpi_texts():
    assert [kpi_text("tpi", 3.26), kpi_text("aqi", 151.2), kpi_text("economy_yoy", 4.7),
            kpi_text("crowding_max", 0.853), kpi_text("hotline_answer_rate", None)] == \
        ["3.3", "151", "+4.7%", "85.3%", "—"]


def test_overview_over_the_demo(store):
    from pages.home import overview_view, refresh

    settings, engine = store
    rows = vital_signs_day.uncached(engine)
    assert len(rows) >= 20, "the demo computed less than a day of the index"
    summary = summarise(rows, spec_groups(settings.vital_signs_spec))
    assert 0 <= summary.value <= 100 and summary.moves
    # the contributions add up to the score (arithmetic aggregation), so the moves explain the delta
    assert abs(sum(v for _, v in summary.moves) - summary.delta) < 0.5
    vital, cards, warnings, sources = overview_view(engine, settings, "zh", rows=rows)
    text = _texts(cards)
    for path in ("/traffic", "/environment", "/tourism", "/economy", "/hotline"):
        assert f'"href": "{path}"' in text
    assert "城市体征指数" in _texts(vital) and "cb-ov-vital-trend" in _texts(vital)
    assert "/warnings?level=red&state=active" in _texts(warnings)
    assert "市生态环境局" in _texts(sources)
    en = refresh(None, "en")
    assert "City vital-signs index" in _texts(en[0]) and "Transport Bureau" in _texts(en[3])
