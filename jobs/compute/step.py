"""What the compute job runs: a step per built-in domain or theme, in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from citybrain.settings import Settings

#: ``(settings, engine, start, end, now)`` → ``{batch name: rows or indicator frame}``
StepFunction = Callable[[Settings, Engine, dt.datetime, dt.datetime, dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    """One compute step.

    ``label`` is what progress reports name; ``domain`` is what ``compute(domains=…)`` and
    a poll's touched domains select it by (a theme's step: the theme's code). A step
    ``by_window`` runs window by window over [start, end) — it must then group only by UTC
    hour and local day, so the windows give the rows one pass would — otherwise once over
    the whole range.
    """

    label: str
    domain: str
    run: StepFunction
    by_window: bool = True
