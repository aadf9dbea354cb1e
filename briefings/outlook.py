"""Tomorrow's expected peaks (issue 22): scenic sites' peak count and hour, hotline calls,
TPI — read from the forecast helper's published read function.

Until the forecasts exist the section says so in one line; no number is made up.
"""

from __future__ import annotations

from typing import Any

from briefings.document import Note, Section
from citybrain.i18n import t


def sections(ctx: Any) -> list[Section]:
    sec = Section("outlook", t("brief.outlook", ctx.lang))
    sec.blocks.append(Note(t("brief.outlook.none", ctx.lang), "info"))
    return [sec]
