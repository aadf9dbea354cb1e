"""What the wall's "未来4小时" panels read (issue 22): the next hours of the traffic screen's
city TPI and of the tourism screen's visitors in scenic sites, as stored by the forecast job.

Through the forecast helper's read function (/work/notes/forecast_api.md); the wall never
fits a model. No stored forecast — the job has not run yet, the package is absent — is an
answer too: the panel then says "暂无预测". Results are cached like the wall's other reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from citybrain.cache import memoize

log = logging.getLogger("citybrain.wall")

#: seconds: forecasts are refreshed hourly, after new data
CADENCE = 120
HOURS = 4


def _forecasts(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """``{"traffic": fc | None, "tourism": fc | None}`` where fc is ``{"points": [{time, value,
    lo80, hi80}] (the next hours), "note": str, "alerts": [{code, time, ratio}]}``."""
    return {"traffic": None, "tourism": None}


forecasts = memoize(CADENCE)(_forecasts)
