"""Every table export goes through :func:`export_rows` — the one place the audit hook of
issue 9 will attach to (who exported what, when, how many rows).

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
    fields = [c["field"] for c in columns if c.get("field") and not c.get("hide")]
    headers = [c.get("headerName") or c["field"] for c in columns if c.get("field") and not c.get("hide")]
    frame = pd.DataFrame([[r.get(f) for f in fields] for r in rows], columns=headers)
    return frame


def export_rows(rows: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]], fmt: str, name: str,
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
