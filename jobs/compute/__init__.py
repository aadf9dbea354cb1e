"""The compute job: canonical observations in the store → rows of ``indicators``.

It reads what the connectors wrote, calls the pure functions of ``metrics`` and upserts
the results, so recomputing a period is idempotent. After a poll it recomputes only the
hours (and local days) the new data touched; ``citybrain compute --from --to`` runs the
same code over a whole range.

What it writes — the contract the warnings engine, the pages and the API read
(key: name, grain, scope_kind, scope, time = period start in UTC; scope "" = the city):

=======================  ==============  =====================================  ========================================
name                     grain           scope_kind                             value / category / detail
=======================  ==============  =====================================  ========================================
aqi                      hour, day       station, district, city                AQI; level 1–6; category 优…; iaqi, primary, standard, missing
tpi                      hour            city, district                         0–10; grade; tti, dtp, segments
speed_ratio              hour            segment                                v / v_free; link grade; speed, free_flow
crowding                 hour            site                                   peak present / capacity; state; present, capacity
hotline_calls            hour, day       city, district, category               calls offered
hotline_answer_rate      day             city, district                         接通率 0–1
hotline_on_time_rate     day             city, district                         按时办结率 0–1
hotline_satisfaction     day             city, district                         满意率 (broad) 0–1
economy                  month, quarter  indicator                              value; yoy, pop, ytd, ytd_yoy, revision
vital_signs              hour            city, district                         0–100; contributions, sub-indices, carried
=======================  ==============  =====================================  ========================================

``computed_at`` is when a row last changed: a recompute that gives a row the result it
already has leaves the stored row as it is (issue 10).

Modules: :mod:`.job` (entry points, windows, the step list), :mod:`.threads` (windows
computed ahead, one writer thread), :mod:`.step` (what a step is), :mod:`.rows` (building
indicator rows and frames), one module per built-in domain (:mod:`.air`, :mod:`.traffic`,
:mod:`.tourism`, :mod:`.hotline`, :mod:`.economy`) and the index (:mod:`.vital_signs`),
and :mod:`.themes` for the themes of the city config. Reading observations and writing
indicators in bulk (binary reads, packed records, COPY and merge) is :mod:`store.bulk`.
"""

from jobs.compute.job import ComputeReport, after_poll, clear, compute
from jobs.compute.vital_signs import applicable_inputs

__all__ = ["ComputeReport", "after_poll", "applicable_inputs", "clear", "compute"]
