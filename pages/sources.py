"""数据源 / 数据共享交换目录 — which department source is late or broken, and why.

Every configured source with its owner department, status, lag, rows and quarantine;
samples of the quarantined rows with their reasons; the scheduler's job runs; the
walls' last heartbeats. The view is in the URL (``/sources?source=env_monitor&run=failed``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html

from access import declare
from sqlalchemy import Engine

from citybrain import context
from citybrain.i18n import Lang, pick, t
from citybrain.settings import Settings
from components.sources import ids
from components.sources.heartbeats import heartbeats_table
from components.sources.job_runs import job_runs_table
from components.sources.quarantine import quarantine_panel
from components.sources.sources_table import sources_table
from components.sources.summary import source_counts, sources_summary
from components.center.fmt import local_time
from components.table import table
from citybrain.i18n import format_number
from store.queries.sources import (
    RUN_STATUSES,
    field_issue_counts,
    quarantine_counts,
    quarantine_samples,
    recent_job_runs,
    source_overview,
    wall_heartbeat_list,
)

dash.register_page(__name__, path="/sources", nav="nav.sources", order=70, title="数据源")

REFRESH_MS = 30_000
#: jobs that keep the machinery going rather than bring data in: the demo's simulated
#: departments (every 5 s) and the scheduler's lock heartbeat. Their successful runs are
#: summarised in one line each; a failed one is listed like any other run.
HOUSEKEEPING = ("simulator-advance", "lock")
#: runs listed, and runs read to find them among the housekeeping ones
LISTED_RUNS, READ_RUNS = 50, 600


def group_runs(rows: list[dict[str, Any]], *, listed: int = LISTED_RUNS) -> tuple[list[dict[str, Any]],
                                                                                   list[dict[str, Any]]]:
    """(runs to list, one summary per housekeeping job): the job log was flooded by
    ``simulator-advance`` every 5 s, pushing every poll and compute off the page."""
    shown, groups = [], {}
    for r in rows:
        if r["job"] in HOUSEKEEPING and r["status"] in ("ok", "running"):
            g = groups.setdefault(r["job"], {"job": r["job"], "runs": 0, "rows": 0, "first": r["started_at"],
                                             "last": r["started_at"]})
            g["runs"] += 1
            g["rows"] += r["rows"] or 0
            g["first"] = min(g["first"], r["started_at"])
            g["last"] = max(g["last"], r["started_at"])
        elif len(shown) < listed:
            shown.append(r)
    return shown, list(groups.values())


def job_runs_view(rows: list[dict[str, Any]], lang: str, tz: Any) -> Any:
    """The work runs as a table, the housekeeping runs summarised above it."""
    shown, groups = group_runs(rows)
    notes = [dmc.Text(t("sources.jobs.housekeeping", lang, job=g["job"], n=format_number(g["runs"], lang),
                        first=local_time(g["first"], tz), last=local_time(g["last"], tz, seconds=True),
                        rows=format_number(g["rows"], lang)), size="xs", c="dimmed", className="cb-jobs-housekeeping")
             for g in groups]
    if not shown and groups:
        return dmc.Stack([*notes, dmc.Text(t("sources.jobs.only_housekeeping", lang), c="dimmed", size="sm")], gap=4)
    return dmc.Stack([*notes, dmc.TableScrollContainer(job_runs_table(shown, lang, tz), minWidth=640)], gap=4)


def _section(title: str, body_id: str, help_text: str | None = None) -> dmc.Paper:
    return dmc.Paper([
        dmc.Title(title, order=4),
        dmc.Text(help_text, size="xs", c="dimmed") if help_text else None,
        dmc.ScrollArea(html.Div(id=body_id), type="auto", mt="xs"),
    ], p="md", withBorder=True, radius="md")


def parse_view(args: dict[str, Any], source_names: set[str]) -> tuple[str | None, str | None]:
    """(source, run status) from the URL; unknown values become "any"."""
    source = args.get("source") if args.get("source") in source_names else None
    run = args.get("run") if args.get("run") in RUN_STATUSES else None
    return source, run


def layout(**kwargs: Any) -> Any:
    """Cheap: settings only; every table is filled by the callback (it queries)."""
    lang = context.lang()
    s = context.settings()
    source, run = parse_view(kwargs, {src.name for src in s.sources})
    return dmc.Stack([
        dmc.Stack([
            dmc.Title(t("sources.title", lang), order=2, className="cb-center-title"),
            dmc.Text(t("sources.subtitle", lang), c="dimmed", size="sm"),
        ], gap=0),
        html.Div(id=ids.SUMMARY),
        dmc.Group([
            dmc.Select(id=ids.SOURCE, label=t("sources.filter.source", lang), value=source, clearable=True, w=280,
                       placeholder=t("warnings.filter.all", lang), comboboxProps={"withinPortal": True},
                       data=[{"value": src.name, "label": f"{src.name} · {pick(src.owner_zh, src.owner_en, lang)}"}
                             for src in s.sources]),
            dmc.Select(id=ids.RUN_STATUS, label=t("sources.filter.run_status", lang), value=run, clearable=True,
                       w=180, placeholder=t("warnings.filter.all", lang), comboboxProps={"withinPortal": True},
                       data=[{"value": v, "label": t(f"sources.run.{v}", lang)} for v in RUN_STATUSES]),
        ], gap="sm", className="cb-center-filters"),
        _section(t("home.sources", lang), ids.TABLE),
        _section(t("sources.quarantine.title", lang), ids.QUARANTINE, t("sources.quarantine.help", lang)),
        dmc.Grid([
            dmc.GridCol(_section(t("sources.jobs.title", lang), ids.JOBS), span={"base": 12, "xl": 7}),
            dmc.GridCol(_section(t("sources.walls.title", lang), ids.WALLS), span={"base": 12, "xl": 5}),
        ], gutter="md"),
        dcc.Store(id=ids.LANG, data=lang),
        dcc.Store(id=ids.URL_SYNC),
        dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
    ], gap="md", className="cb-sources-page")


def sources_view(engine: Engine, settings: Settings, source: str | None, run: str | None, lang: str,
                 now: dt.datetime | None = None) -> tuple[Any, Any, Any, Any, Any]:
    """(summary, catalogue, quarantine, job runs, walls); ``source`` narrows quarantine and runs."""
    rows = source_overview(engine, settings, now=now)
    held = quarantine_counts(engine)
    tz = settings.tz
    return (
        sources_summary(source_counts(rows), lang),
        sources_table(rows, lang, tz, selected=source),
        html.Div([quarantine_panel(quarantine_samples(engine, source=source),
                                   {k: v for k, v in held.items() if not source or k == source}, lang, tz),
                  _field_issues(field_issue_counts(engine, source=source), lang, tz)]),
        job_runs_view(recent_job_runs(engine, source=source, status=run, limit=READ_RUNS), lang, tz),
        heartbeats_table(wall_heartbeat_list(engine, now=now), lang, tz),
    )


def _field_issues(counts: list[dict[str, Any]], lang: str, tz: Any) -> Any:
    """Stored rows with an unusable field, per source, field and rule (issue 19)."""
    title = [dmc.Title(t("sources.fields.title", lang), order=5, mt="md"),
             dmc.Text(t("sources.fields.help", lang), size="xs", c="dimmed")]
    if not counts:
        return dmc.Stack([*title, dmc.Text(t("sources.fields.none", lang), c="dimmed", size="sm")], gap=4,
                         className="cb-field-issues")
    head = [t(k, lang) for k in ("source.name", "sources.fields.field", "sources.fields.rule", "sources.fields.count",
                                 "sources.fields.value", "sources.fields.last")]
    body = [[r["source"], r["field"], t(f"sources.fields.rule.{r['rule']}", lang), format_number(r["n"], lang),
             html.Code("NULL" if r["value"] is None else repr(r["value"])[:60]), local_time(r["last_received"], tz)]
            for r in counts]
    return dmc.Stack([*title, table(head, body, className="cb-field-issues-table", fz="sm")], gap=4,
                     className="cb-field-issues")


@declare.callback(Output(ids.SUMMARY, "children"), Output(ids.TABLE, "children"), Output(ids.QUARANTINE, "children"),
                  Output(ids.JOBS, "children"), Output(ids.WALLS, "children"),
                  Input(ids.SOURCE, "value"), Input(ids.RUN_STATUS, "value"), Input(ids.REFRESH, "n_intervals"),
                  State(ids.LANG, "data"), page="sources")
def refresh(source: str | None, run: str | None, _n: int | None, lang: Lang) -> tuple:
    return sources_view(context.engine(), context.settings(), source or None, run or None, lang)


declare.clientside(
    """
    function(source, run) {
        const params = new URLSearchParams();
        if (source) { params.set("source", source); }
        if (run) { params.set("run", run); }
        const lang = new URLSearchParams(window.location.search).get("lang");
        if (lang) { params.set("lang", lang); }
        const query = params.toString();
        const url = "/sources" + (query ? "?" + query : "");
        if (window.location.pathname + window.location.search !== url) {
            window.history.replaceState(window.history.state, "", url);
        }
        return url;
    }
    """,
    Output(ids.URL_SYNC, "data"), Input(ids.SOURCE, "value"), Input(ids.RUN_STATUS, "value"), page="sources",
)
