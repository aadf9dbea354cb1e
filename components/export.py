"""Every table export goes through :func:`export_rows` — the one place that checks the
reader's ``export`` right (again, after the gate) and writes the audit row (who exported
what, when, how many rows).

The rows are the ones the grid shows (its ``virtualRowData``: after the reader's sort
and filter), the headers are the grid's translated column names, so the file a
department head opens matches the grid they looked at.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_frame(rows: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The grid's rows in the grid's column order, headed by the column names shown."""
    shown = [c for c in columns if isinstance(c, dict) and isinstance(c.get("field"), str) and c["field"]
             and not c.get("hide")]  # the grid's own column definitions; anything else is not a column
    fields = [c["field"] for c in shown]
    headers = [str(c.get("headerName") or c["field"]) for c in shown]
    cell = lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v)  # noqa: E731
    return pd.DataFrame([[cell(r.get(f)) for f in fields] for r in rows if isinstance(r, dict)], columns=headers)


def export_rows(rows: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]], fmt: str, name: str,
                *, resource: str, principal: Any, now: dt.datetime | None = None,
                address: str | None = None) -> dict[str, Any]:
    """:func:`table_file` of ``rows`` if ``principal`` may export ``resource`` — checked here
    again, after the gate — with its audit row; else :class:`AccessRefused`, audited."""
    from access import audit
    from access.roles import allowed
    from citybrain import context
    from citybrain.errors import AccessRefused

    target = f"export:{resource}:{name}"
    if not allowed(principal, "export", resource):
        audit.record(context.engine(), actor=getattr(principal, "name", None) or "?", action="export.refused",
                     target=target, detail={"reason": "no export right", "format": fmt}, address=address)
        raise AccessRefused(f"you may not export {resource}", target=target)
    payload = table_file(rows, columns, fmt, name, now=now)
    audit.record(context.engine(), actor=principal.name, action="export", target=target, address=address,
                 detail={"format": fmt, "rows": len(rows), "file": payload["filename"]})
    return payload


def table_file(rows: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]], fmt: str, name: str,
               *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A ``dcc.Download`` payload (``dcc.send_bytes`` shape) of ``rows`` as CSV or XLSX.

    CSV is UTF-8 with a BOM: Excel on a Chinese Windows otherwise reads it as GBK and
    shows mojibake. The file name carries the page and the local export time.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    frame = rows_frame(rows, columns)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M")
    safe = re.sub(r"[^\w\-]+", "_", name).strip("_") or "export"
    buf = io.BytesIO()
    if fmt == "csv":
        buf.write(frame.to_csv(index=False).encode("utf-8-sig"))
        mime = "text/csv"
    else:
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            frame.to_excel(xw, index=False, sheet_name=safe[:31])
        mime = XLSX_MIME
    import base64

    return {"content": base64.b64encode(buf.getvalue()).decode("ascii"), "filename": f"{safe}-{stamp}.{fmt}",
            "type": mime, "base64": True}
