"""The forecast band on a page's trend chart (issue 22): which stored forecast fits the
chart's window and grain, added with :func:`figures.forecast.add_band`.

One call from a page's render keeps its callback thin. The band follows the chart:

* an hourly chart (today, 24 h, up to three days) gets the next 24 hourly points;
* a daily chart (7 d, 30 d) gets the next 7 days where the series is forecast by day
  (12345 calls) and nothing where it is forecast by hour only (TPI: the daily mean of
  hourly forecasts would carry no honest interval);
* a monthly chart, or a window that ended in the past (a custom range), gets none — a
  forecast belongs to now, not to an old window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
from sqlalchemy import Engine

from citybrain.settings import Settings
from figures.forecast import add_band
from forecast.read import forecast
from forecast.series import find

#: periods shown after the last observation, by grain
HORIZON = {"hour": 24, "day": 7}
#: a window ending earlier than this before now is a look back: no band
RECENT = dt.timedelta(hours=2)


def trend_band(fig: Any, settings: Settings, engine: Engine, indicator: str, *, scope_kind: str, scope: str,
               window: Any, now: dt.datetime, lang: str = "zh") -> Any:
    """Add the stored forecast of ``indicator`` for (``scope_kind``, ``scope``) to ``fig``,
    a trend chart over ``window`` (a :class:`components.page.view.Window`), with its
    accuracy label and, when the last observation is old, its age. ``fig`` unchanged when
    no forecast fits (see the module docstring)."""
    if not isinstance(fig, go.Figure) or window.end < now - RECENT or window.grain not in HORIZON:
        return fig
    if find(settings, indicator, window.grain, scope_kind) is None:
        return fig
    f = forecast(settings, engine, indicator, grain=window.grain, scope_kind=scope_kind, scope=scope,
                 horizon=HORIZON[window.grain])
    return add_band(fig, f, lang=lang, tz=settings.tz, now=now)
