"""The themes' compute steps (issue 20): one per theme declared in the city config, run
after the built-in domains' steps and before the vital-signs index (which may take theme
indicators).

Each :class:`~jobs.compute.step.Step` has the theme's code as its ``domain`` — so a poll of
a source with ``domain = "<code>"`` recomputes the hours and days it touched
(``after_poll``), and ``compute(domains=["<code>"])`` selects it — and its
``run(settings, engine, start, end, now)`` returns the theme's indicator frame for
[start, end) (windows cut at local midnights). The generic aggregation itself is
:mod:`themes.compute`: a theme is config, so its arithmetic lives with the theme spec.
"""

from __future__ import annotations

from citybrain.settings import Settings
from jobs.compute.step import Step
from themes.compute import steps as theme_steps


def steps(settings: Settings) -> list[Step]:
    """The theme steps of ``settings``' city, in config order."""
    return theme_steps(settings)
