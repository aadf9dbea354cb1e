"""Checks a printed briefing must pass before anyone is told it is done.

Superset's scheduled screenshots go out blank with a green status; ours are read back:
the page count, every section heading in the PDF's own text (``pdftotext``), every
figure drawn with data (the layout's own report), no script errors, and a CJK font
embedded (``pdffonts`` — without one Chinese prints as empty boxes).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from briefings.document import Document
from briefings.printer import Printed
from citybrain.errors import BriefingError

POPPLER_HINT = "install poppler-utils (`apt-get install poppler-utils`; .ci/run does this)"
#: a briefing longer than this has run away (a table that never stops)
MAX_PAGES = 80


@dataclass
class CheckReport:
    pages: int = 0
    problems: list[str] = field(default_factory=list)
    headings_found: list[str] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)
    figures: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_data(self) -> dict:
        return {"ok": self.ok, "pages": self.pages, "problems": self.problems, "figures": self.figures,
                "headings_found": self.headings_found, "fonts": self.fonts}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BriefingError(f"{name} is needed to check briefings; {POPPLER_HINT}")
    return path


def pdf_pages(path: Path) -> int:
    out = subprocess.run([_tool("pdfinfo"), str(path)], capture_output=True, text=True, timeout=60)
    m = re.search(r"^Pages:\s+(\d+)", out.stdout, re.M)
    return int(m.group(1)) if m else 0


def pdf_text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    cmd = [_tool("pdftotext"), "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    out = subprocess.run([*cmd, str(path), "-"], capture_output=True, text=True, timeout=60)
    return out.stdout


def pdf_fonts(path: Path) -> list[tuple[str, bool]]:
    """(font name, embedded) of every font ``pdffonts`` lists."""
    out = subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True, timeout=60)
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        parts = line.split()
        if len(parts) >= 5:
            # columns: name type [encoding...] emb sub uni object ID — emb is the 5th from the end
            fonts.append((parts[0], parts[-5] == "yes"))
    return fonts


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check(doc: Document, printed: Printed, path: Path) -> CheckReport:
    """Every problem the PDF at ``path`` has, given what ``doc`` promised to show."""
    report = CheckReport()
    report.pages = pdf_pages(path)
    if report.pages < doc.min_pages:
        report.problems.append(f"{report.pages} page(s), expected at least {doc.min_pages}")
    if report.pages > MAX_PAGES:
        report.problems.append(f"{report.pages} pages, more than the {MAX_PAGES} a briefing may have")
    text = _squash(pdf_text(path))
    for heading in doc.headings:
        if _squash(heading) in text:
            report.headings_found.append(heading)
        else:
            report.problems.append(f"section heading {heading!r} is not in the PDF text")
    drawn = {f.get("id"): f for f in printed.figures}
    report.figures = len(drawn)
    for fid in doc.figure_ids:
        f = drawn.get(fid)
        if f is None:
            report.problems.append(f"figure {fid} was not drawn")
        elif f.get("error"):
            report.problems.append(f"figure {fid} failed to draw: {f['error']}")
        elif not f.get("drawn") or not f.get("points") or (f.get("height") or 0) < 40:
            report.problems.append(f"figure {fid} is empty ({f.get('points', 0)} points)")
    for err in printed.errors:
        report.problems.append(f"script error in the print layout: {err}")
    fonts = pdf_fonts(path)
    report.fonts = [f"{name}{'' if emb else ' (not embedded)'}" for name, emb in fonts]
    if not any(emb and re.search(r"CJK|SourceHan|NotoSans.*SC|WenQuanYi|SimSun|YaHei|Hei|Song", name, re.I) for name, emb in fonts):
        report.problems.append("no embedded CJK font: Chinese would print as empty boxes; install fonts-wqy-microhei (a TrueType CJK font)")
    return report
