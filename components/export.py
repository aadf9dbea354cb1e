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
    now = now or dt.datetime.now(dt.timezone.utc)
    header = export_header(resource, context.lang(), now=now, user=getattr(principal, "name", "") or "",
                           page_url=_page_url())
    payload = table_file(rows, columns, fmt, name, now=now, tz=context.settings().tz, header=header)
    audit.record(context.engine(), actor=principal.name, action="export", target=target, address=address,
                 detail={"format": fmt, "rows": len(rows), "file": payload["filename"]})
    return payload


def export_header(resource: str, lang: str, *, now: dt.datetime, user: str = "",
                  page_url: str | None = None) -> list[tuple[str, str]]:
    """The block above an export's table: the city, the page, the filters the reader had
    (read from the page's own URL, which the page keeps in step with its filters), when its
    data is as of, when and by whom it was exported — in city time, in the reader's words."""
    from urllib.parse import parse_qsl, urlsplit

    from briefings.pages import EXPORTABLE, filters_text, view_from_query
    from citybrain import context
    from citybrain.i18n import pick, t
    from components.page.labels import resource_label

    settings = context.settings()
    tz = settings.tz
    lines = [(t("brief.cover.city", lang), pick(settings.city.name_zh, settings.city.name_en, lang)),
             (t("brief.cover.page", lang), resource_label(resource, lang))]
    if resource in EXPORTABLE and resource != "overview":
        params = dict(parse_qsl(urlsplit(page_url or "").query))
        lines += filters_text(settings, resource, view_from_query(resource, params), lang, now)
        from store.queries.domains import domain_freshness

        try:
            data_time = domain_freshness(context.engine(), resource)
        except Exception:  # noqa: BLE001 — the export goes out without the line rather than not at all
            data_time = None
        if data_time is not None:
            lines.append((t("export.asof", lang), data_time.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    lines.append((t("brief.cover.generated", lang), now.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    if user:
        lines.append((t("brief.cover.user", lang), user))
    return lines


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def cell_value(value: Any) -> Any:
    """What a spreadsheet cell should hold: local date-times and dates the grid shows as
    text ("2026-11-20 10:47") become real dates, numbers stay numbers, the rest text."""
    if isinstance(value, str):
        if _DATE_TIME.match(value):
            return dt.datetime.fromisoformat(value)
        if _DATE.match(value):
            return dt.date.fromisoformat(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _width(value: Any) -> int:
    """Display width of a cell in Excel's character units: CJK characters are two wide."""
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _csv(header: Sequence[tuple[str, str]], frame: pd.DataFrame) -> bytes:
    import csv

    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    for label, value in header:
        out.writerow([label, value])
    if header:
        out.writerow([])
    out.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        out.writerow(["" if v is None or v != v else cell_value(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(header: Sequence[tuple[str, str]], frame: pd.DataFrame, sheet: str) -> bytes:
    """A sheet with the header block, then the table: bold frozen column headers, real
    dates and numbers, and each column as wide as its longest value (capped)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31] or "export"
    for label, value in header:
        ws.append([label, value])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    if header:
        ws.append([])
    ws.append(list(frame.columns))
    head_row = ws.max_row  # (an empty row appended above has no cells, so count after the headers)
    for c in ws[head_row]:
        c.font = Font(bold=True)
    widths = [_width(h) for h in frame.columns]
    for row in frame.itertuples(index=False):
        values = [None if v is None or (isinstance(v, float) and v != v) else cell_value(v) for v in row]
        ws.append(values)
        r = ws.max_row
        for i, v in enumerate(values):
            widths[i] = max(widths[i], _width(v))
            if isinstance(v, dt.datetime):
                ws.cell(row=r, column=i + 1).number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(v, dt.date):
                ws.cell(row=r, column=i + 1).number_format = "yyyy-mm-dd"
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(w + 2, 8), 60)
    if header:
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, max(_width(k) for k, _ in header) + 2)
    ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _page_url() -> str | None:
    """The page the export was asked from (the callback's Referer: the page keeps its URL in
    step with its filters), for the filters printed above the table."""
    import flask

    return flask.request.referrer if flask.has_request_context() else None


def table_file(rows: Sequence[dict[str, Any]], columns: Sequence[dict[str, Any]], fmt: str, name: str,
               *, now: dt.datetime | None = None, tz: Any = None,
               header: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """A ``dcc.Download`` payload (``dcc.send_bytes`` shape) of ``rows`` as CSV or XLSX.

    CSV is UTF-8 with a BOM: Excel on a Chinese Windows otherwise reads it as GBK and
    shows mojibake. ``header`` (label, value) lines — filters, as-of time — come first,
    then a blank line and the table. The file name carries the page and the export time
    in the city's zone ``tz`` (the server's clock is UTC; a file named 0130 for an export
    at 09:30 confused its readers).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    frame = rows_frame(rows, columns)
    moment = now or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    stamp = (moment.astimezone(tz) if tz is not None else moment).strftime("%Y%m%d-%H%M")
    safe = re.sub(r"[^\w\-]+", "_", name).strip("_") or "export"
    if fmt == "csv":
        content, mime = _csv(header, frame), "text/csv"
    else:
        content, mime = _xlsx(header, frame, safe), XLSX_MIME
    import base64

    return {"content": base64.b64encode(content).decode("ascii"), "filename": f"{safe}-{stamp}.{fmt}",
            "type": mime, "base64": True}
