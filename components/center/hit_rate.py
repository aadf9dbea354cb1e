"""预计预警命中率 under the warnings center's counts (issue 22): of the forecast warnings
fired in the last 30 days whose window has passed, how many the value then confirmed.

Read with :func:`forecast.warn.hit_rate` for the reader's remit (a department head's
domains, a district user's district). Nothing is shown where no forecast rule is
configured for that remit: there is no rate to speak of.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import html
from sqlalchemy import Engine

from alerts.rules import load_rules
from citybrain.i18n import format_percent, t
from citybrain.settings import Settings
from store.queries.warnings import WarningFilters

#: the window the duty officer sees (the API's ``days`` gives any other)
DAYS = 30


def forecast_hit_rate(settings: Settings, engine: Engine, remit: WarningFilters, lang: str,
                      now: dt.datetime | None = None) -> Any:
    """"预计预警命中率 近30天 7/9（78%）" — or that none could be scored yet; None when
    no forecast rule watches anything in ``remit``."""
    from forecast.warn import hit_rate

    rules = [r for r in load_rules(settings) if getattr(r, "kind", None) == "forecast"
             and (remit.domains is None or r.domain in remit.domains)]
    if not rules:
        return None
    rate = hit_rate(settings, engine, now=now, district=remit.district, domains=remit.domains, days=DAYS)
    text = (t("fc.hit_rate_window", lang, days=DAYS, hits=rate["confirmed"], n=rate["scored"],
              rate=format_percent(rate["hit_rate"], digits=0)) if rate["scored"]
            else t("fc.hit_rate_window_none", lang, days=DAYS))
    # a plain element, as the summary line above it reads (dmc.Text takes no title: the hint)
    return html.Div(text, title=t("fc.hit_rate_hint", lang), className="cb-wc-hitrate",
                    style={"fontSize": "var(--mantine-font-size-sm)", "color": "var(--mantine-color-dimmed)",
                           "textAlign": "right"})
