"""Shared building blocks of the five themed department pages (交通, 环境, 文旅, 经济, 12345热线).

One module per block: the view in the URL (:mod:`.view`), the filter bar (:mod:`.filters`),
KPI cards with comparisons (:mod:`.kpi`), chart cards (:mod:`.chart`), the active-warnings
list (:mod:`.warnings`), the as-of line (:mod:`.asof`), the page skeleton (:mod:`.layout`)
and the standard callbacks every themed page registers (:mod:`.callbacks`).
"""
