"""The themes' compute steps (issue 20): one per theme declared in the city config, run
after the built-in domains' steps and before the vital-signs index (which may take theme
indicators).

Each :class:`~jobs.compute.step.Step` has the theme's code as its ``domain`` — so a poll of
a source with ``domain = "<code>"`` recomputes the hours and days it touched
(``after_poll``), and ``compute(domains=["<code>"])`` selects it — and its
``run(settings, engine, start, end, now)`` returns the theme's indicator frame for
[start, end). The generic aggregation itself is
:mod:`themes.compute`: a theme is config, so its arithmetic lives with the theme spec.
"""

from __future__ import annotations

from dataclasses import replace

from citybrain.settings import Settings
from jobs.compute.step import Step
from themes.compute import steps as theme_steps


def steps(settings: Settings) -> list[Step]:
    """The theme steps of ``settings``' city, in config order, each over the whole range.

    Not window by window: a theme's counts are 0 "inside the span of periods that hold
    events" (themes.compute), a span a window edge at local midnight cuts — windows stored
    category hours the one pass does not (tests/jobs/test_jobs_indicators_pg.py). Over the
    whole range the job stores what ``themes.compute.compute_themes`` stores.
    """
    return [replace(step, by_window=False) for step in theme_steps(settings)]
