"""Connectors: department databases in, canonical observations out — by config, not code.

A source is a ``[[sources]]`` entry of the city config (``citybrain.settings.Source``):
a SQLAlchemy URL, a ``table`` or a ``query``, a watermark column, and the mapping of
canonical fields onto source columns. ``poll`` reads what is new since the watermark
(minus ``lookback``), validates it, upserts it into the store and quarantines the rest;
``check`` tells whether every source can be read as configured.

Modules, one job each: ``source`` (read-only pooled connections, timeouts, the wrapped
incremental query), ``watermark``, ``mapping`` + ``validate`` + ``units`` + ``periods``
(rows onto shapes), ``writer`` (upserts, quarantine), ``status`` (source_status), ``poll``,
``check``.
"""

from connectors.check import CheckReport, check
from connectors.poll import PollReport, poll, poll_source
from connectors.source import SourceEngines

__all__ = ["poll", "poll_source", "PollReport", "check", "CheckReport", "SourceEngines"]
