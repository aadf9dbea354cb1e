"""The place of the generic theme aggregator (issue 20): the compute steps of the themes
declared in the city config, run after the built-in domains' steps and before the
vital-signs index (which may take theme indicators).

:func:`steps` returns one :class:`~jobs.compute.step.Step` per theme whose ``domain`` is
the theme's code — so a poll of a source with ``domain = "<code>"`` recomputes the hours
and days it touched (``after_poll``), and ``compute(domains=["<code>"])`` selects it — and
whose ``run(settings, engine, start, end, now)`` returns the theme's indicator rows
(``jobs.compute.rows``) for [start, end). With ``by_window`` the range comes in windows cut
at local midnights, so day values must group by the city's local days.
"""

from __future__ import annotations

from citybrain.settings import Settings
from jobs.compute.step import Step


def steps(settings: Settings) -> list[Step]:
    """The theme steps of ``settings``' city (none until the theme aggregator is plugged in)."""
    return []
