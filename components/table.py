"""A plain table whose cells may hold components (badges, links), not only text.

``dmc.Table(data=...)`` accepts strings only; status badges and stale markers need
real cells, so the table is built from Thead/Tbody rows.
"""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc


def table(head: list[str], body: list[list[Any]], **props: Any) -> dmc.Table:
    props = {"striped": True, "highlightOnHover": True, "withTableBorder": True, **props}
    return dmc.Table([
        dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])),
        dmc.TableTbody([dmc.TableTr([dmc.TableTd(cell) for cell in row]) for row in body]),
    ], **props)


def cells(t: dmc.Table) -> list[list[Any]]:
    """The body cells of a table built by :func:`table` (for tests and exports)."""
    tbody = t.children[1]
    return [[td.children for td in tr.children] for tr in tbody.children]
