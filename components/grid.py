"""A dash-ag-grid table with CSV and XLSX export buttons.

Both exports run server-side through :func:`components.export.export_rows` (one place to
audit) from the grid's ``virtualRowData`` — the rows as currently sorted and filtered —
so the file's rows are the grid's rows. The export callback is registered once for every
grid through pattern-matching ids.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import MATCH, Input, Output, State, callback, ctx, dcc, no_update

from citybrain.i18n import t
from components.export import export_rows


def grid_id(name: str) -> dict[str, str]:
    return {"type": "cb-grid", "grid": name}


def data_grid(name: str, columns: list[dict[str, Any]], lang: str, *, height: int = 380,
              row_id: str | None = None) -> dmc.Stack:
    """The grid named ``name`` (also the export's file name) with its export buttons."""
    options: dict[str, Any] = {"animateRows": False, "pagination": True, "paginationPageSize": 50,
                               "paginationPageSizeSelector": False, "enableCellTextSelection": True}
    if lang == "zh":
        options["localeText"] = {"page": "页", "of": "/", "to": "–", "noRowsToShow": "暂无数据",
                                 "loadingOoo": "加载中…", "filterOoo": "筛选…"}
    return dmc.Stack([
        dmc.Group([
            dmc.Button(t("export.csv", lang), id={"type": "cb-export-csv", "grid": name}, size="xs", variant="light",
                       className="cb-export-csv"),
            dmc.Button(t("export.xlsx", lang), id={"type": "cb-export-xlsx", "grid": name}, size="xs",
                       variant="light", className="cb-export-xlsx"),
            dmc.Text(t("export.hint", lang), size="xs", c="dimmed"),
        ], gap="xs"),
        dag.AgGrid(id=grid_id(name), columnDefs=columns, rowData=[],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90},
                   columnSize="responsiveSizeToFit", dashGridOptions=options,
                   style={"height": f"{height}px", "width": "100%"}, className="cb-grid",
                   **({"getRowId": f"params.data.{row_id}"} if row_id else {})),
        dcc.Download(id={"type": "cb-download", "grid": name}),
    ], gap=6, className="cb-grid-box")


@callback(Output({"type": "cb-download", "grid": MATCH}, "data"),
          Input({"type": "cb-export-csv", "grid": MATCH}, "n_clicks"),
          Input({"type": "cb-export-xlsx", "grid": MATCH}, "n_clicks"),
          State({"type": "cb-grid", "grid": MATCH}, "virtualRowData"),
          State({"type": "cb-grid", "grid": MATCH}, "rowData"),
          State({"type": "cb-grid", "grid": MATCH}, "columnDefs"),
          prevent_initial_call=True)
def export_grid(_csv: int | None, _xlsx: int | None, shown: list[dict] | None, data: list[dict] | None,
                columns: list[dict]) -> Any:
    """Thin: which button → the rows shown → :func:`export_rows`."""
    trigger = ctx.triggered_id
    if not trigger:
        return no_update
    fmt = "csv" if trigger["type"] == "cb-export-csv" else "xlsx"
    rows = shown if shown is not None else (data or [])
    return export_rows(rows, columns, fmt, trigger["grid"])
