"""A dash-ag-grid table with CSV and XLSX export buttons.

Both exports run server-side through :func:`components.export.export_rows` (one place to
check and audit) from the grid's ``virtualRowData`` — the rows as currently sorted and
filtered — so the file's rows are the grid's rows. Each page declares the export callback
of its own grid (``components.page.callbacks``), so its permission is its domain's.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, no_update

import access
from citybrain.errors import AccessRefused
from citybrain.i18n import t
from components.export import export_rows


def grid_id(name: str) -> dict[str, str]:
    return {"type": "cb-grid", "grid": name}


def data_grid(name: str, columns: list[dict[str, Any]], lang: str, *, height: int = 380,
              row_id: str | None = None, resource: str | None = None) -> dmc.Stack:
    """The grid named ``name`` (also the export's file name) with its export buttons
    (disabled, with the reason, for a reader who may not export ``resource``)."""
    refused = access.offer("export", resource) if resource else ""
    why = t(refused, lang) if refused else None
    options: dict[str, Any] = {"animateRows": False, "pagination": True, "paginationPageSize": 50,
                               "paginationPageSizeSelector": False, "enableCellTextSelection": True}
    if lang == "zh":
        options["localeText"] = {"page": "页", "of": "/", "to": "–", "noRowsToShow": "暂无数据",
                                 "loadingOoo": "加载中…", "filterOoo": "筛选…"}
    return dmc.Stack([
        dmc.Group([
            dmc.Button(t("export.csv", lang), id=grid_part("cb-export-csv", name), size="xs", variant="light",
                       className="cb-export-csv", disabled=bool(refused)),
            dmc.Button(t("export.xlsx", lang), id=grid_part("cb-export-xlsx", name), size="xs",
                       variant="light", className="cb-export-xlsx", disabled=bool(refused)),
            dmc.Text(why or t("export.hint", lang), size="xs", c="dimmed"),
        ], gap="xs"),
        dag.AgGrid(id=grid_id(name), columnDefs=columns, rowData=[],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90},
                   columnSize="responsiveSizeToFit", dashGridOptions=options,
                   style={"height": f"{height}px", "width": "100%"}, className="cb-grid",
                   **({"getRowId": f"params.data.{row_id}"} if row_id else {})),
        dcc.Download(id=grid_part("cb-download", name)),
    ], gap=6, className="cb-grid-box")


def grid_part(kind: str, name: str) -> dict[str, str]:
    """The id of one part (``cb-export-csv``, ``cb-export-xlsx``, ``cb-download``) of grid ``name``."""
    return {"type": kind, "grid": name}


def export_table(trigger: Any, shown: list[dict] | None, data: list[dict] | None, columns: list[dict] | None,
                 resource: str) -> Any:
    """The export callback's body (each page declares its own, with ``export`` on its domain):
    which button → the rows shown → :func:`export_rows`, which checks the reader again and
    writes the audit row."""
    if not isinstance(trigger, dict) or trigger.get("type") not in ("cb-export-csv", "cb-export-xlsx"):
        return no_update
    fmt = "csv" if trigger["type"] == "cb-export-csv" else "xlsx"
    rows = shown if shown is not None else (data or [])
    try:
        return export_rows(rows, columns or [], fmt, str(trigger.get("grid")), resource=resource,
                           principal=access.current_principal(), address=_address())
    except AccessRefused:
        return no_update


def _address() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None
