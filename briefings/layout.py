"""The print layout: a :class:`~briefings.document.Document` as one A4 HTML page.

Plain HTML and CSS for paper (``@page``, ``break-inside: avoid``, table headers that
repeat on every page), Noto Sans CJK named first so Chromium embeds it, and a small
script that draws every figure with plotly.js and then raises the explicit "all figures
drawn" signal (``window.cbPrint.done``) with a record of what it drew.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape

from briefings.document import Bullets, Document, Figure, Kpi, Note, Row, Section, Table

#: A TrueType CJK face first: Chromium's PDF backend embeds TrueType as a named CID font,
#: but turns CFF-flavoured OpenType (Noto Sans CJK as Debian ships it) into unnamed Type 3
#: glyphs that pdffonts cannot identify and some readers render poorly.
FONT = ("'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', "
        "'DejaVu Sans', sans-serif")
#: printable width of A4 with 14 mm margins, in CSS px (96 dpi)
CONTENT_PX = 686

CSS = """
@page { size: A4 portrait; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; font-family: %(font)s; color: #212529; font-size: 10.5pt; line-height: 1.5;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.cover { height: 245mm; display: flex; flex-direction: column; justify-content: center; break-after: page;
  border-top: 10mm solid #c92a2a; padding: 0 6mm; }
.cover .org { font-size: 14pt; color: #c92a2a; letter-spacing: 0.2em; margin-bottom: 6mm; }
.cover h1 { font-size: 30pt; margin: 0 0 4mm 0; letter-spacing: 0.1em; }
.cover .sub { font-size: 14pt; color: #495057; margin-bottom: 14mm; }
.cover dl { display: grid; grid-template-columns: 34mm 1fr; row-gap: 2.5mm; margin: 0; font-size: 11pt; }
.cover.compact { height: auto; break-after: auto; border-top-width: 3mm; padding: 2.5mm 4mm; margin-bottom: 4mm;
  border-bottom: 0.3mm solid #dee2e6; }
.cover.compact .org { font-size: 10pt; margin-bottom: 1mm; }
.cover.compact h1 { font-size: 20pt; display: inline-block; margin: 0 4mm 2mm 0; }
.cover.compact .sub { font-size: 12pt; display: inline-block; margin-bottom: 2mm; }
.cover.compact dl { font-size: 9pt; row-gap: 0.5mm; grid-template-columns: 22mm 1fr; }
.cover dt { color: #868e96; }
.cover dd { margin: 0; }
section { margin: 0 0 6mm 0; }
section.ends-page { break-after: page; }
.head { break-inside: avoid; }
ul.bullets { margin: 0 0 3mm 0; padding: 0; list-style: none; font-size: 10pt; line-height: 1.55; }
ul.bullets li { margin: 0 0 1.5mm 0; padding: 1.2mm 3mm; border-left: 1.2mm solid #c92a2a; background: #f8f9fa;
  break-inside: avoid; }
ul.bullets b { color: #c92a2a; margin-right: 1.5mm; }
h2 { font-size: 15pt; margin: 0 0 3mm 0; padding-bottom: 1.5mm; border-bottom: 0.6mm solid #c92a2a;
  break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm 0; color: #343a40; break-after: avoid; }
.kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2.5mm; margin-bottom: 3mm; break-inside: avoid; }
.kpis.four { grid-template-columns: repeat(4, 1fr); }
.row { display: flex; gap: 3mm; align-items: flex-start; }
.row > .cell { flex: 1 1 0; min-width: 0; }
.kpi { border: 0.3mm solid #dee2e6; border-radius: 1.5mm; padding: 1.5mm 2.5mm; line-height: 1.35; }
.kpi .l { color: #868e96; font-size: 9pt; }
.kpi .v { font-size: 15pt; font-weight: 700; }
.kpi .u { font-size: 9pt; color: #868e96; margin-left: 1mm; }
.kpi .n { font-size: 8pt; color: #495057; }
.kpi.good .v { color: #2f9e44; } .kpi.bad .v { color: #c92a2a; }
.figs { display: flex; flex-wrap: wrap; gap: 3mm; }
.fig { break-inside: avoid; border: 0.3mm solid #e9ecef; border-radius: 1.5mm; padding: 1.5mm 2mm; }
.fig.wide { width: 100%%; } .fig.half { width: calc(50%% - 1.5mm); }
.fig .t { font-size: 9.5pt; font-weight: 700; margin-bottom: 1mm; }
table { width: 100%%; border-collapse: collapse; font-size: 8.5pt; line-height: 1.35; margin-bottom: 3mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: #f1f3f5; text-align: left; font-weight: 700; }
th, td { border: 0.25mm solid #dee2e6; padding: 0.7mm 1.5mm; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.nw { white-space: nowrap; }
.note { border-left: 1.2mm solid #1c7ed6; background: #e7f5ff; padding: 2mm 3mm; margin: 0 0 3mm 0;
  break-inside: avoid; font-size: 9.5pt; }
.note.quality { border-color: #f08c00; background: #fff4e6; }
.note.alert { border-color: #c92a2a; background: #fff5f5; }
.empty { color: #868e96; font-style: italic; }
""" % {"font": FONT}

#: Defines the drawing functions. ``cbRender(css, body, lang)`` puts a document into the
#: printer's warm page (plotly.js already loaded — parsing it costs more than drawing a
#: whole briefing); ``cbDraw()`` draws every figure and raises the signal.
DRAW_JS = """
window.cbPrint = {done: false, figures: [], headings: [], errors: []};
window.addEventListener('error', function (e) { window.cbPrint.errors.push(String(e.message || e)); });
function cbPoints(gd) {
  return (gd._fullData || []).reduce(function (n, tr) {
    var arr = tr.x || tr.y || tr.values || tr.lat || tr.z || [];
    return n + (arr.filter ? arr.filter(function (v) { return v !== null && v !== undefined; }).length : 0);
  }, 0);
}
async function cbDraw() {
  if (typeof Plotly === 'undefined') {
    window.cbPrint.errors.push('plotly.js did not load');
    window.cbPrint.done = true;
    return;
  }
  try { if (document.fonts && document.fonts.ready) { await document.fonts.ready; } } catch (e) {}
  var nodes = document.querySelectorAll('[data-figure]');
  for (var i = 0; i < nodes.length; i++) {
    var node = nodes[i], id = node.getAttribute('data-figure'), gd = node.querySelector('.plot');
    try {
      var spec = JSON.parse(node.querySelector('script[type="application/json"]').textContent);
      await Plotly.newPlot(gd, spec.data || [], spec.layout || {}, {staticPlot: true, displayModeBar: false, locale: document.documentElement.lang === 'en' ? 'en' : 'zh-CN'});
      var box = gd.getBoundingClientRect();
      window.cbPrint.figures.push({id: id, points: cbPoints(gd), drawn: !!gd.querySelector('.main-svg'),
                                   height: Math.round(box.height)});
    } catch (e) {
      window.cbPrint.figures.push({id: id, points: 0, drawn: false, height: 0, error: String(e)});
    }
  }
  window.cbPrint.headings = Array.prototype.map.call(document.querySelectorAll('section h2'),
                                                     function (h) { return h.textContent; });
  window.cbPrint.done = true;
  document.body.setAttribute('data-print-ready', '1');
}
function cbRender(css, body, lang, title) {
  document.querySelectorAll('.js-plotly-plot').forEach(function (gd) { try { Plotly.purge(gd); } catch (e) {} });
  window.cbPrint = {done: false, figures: [], headings: [], errors: []};
  document.body.removeAttribute('data-print-ready');
  document.documentElement.lang = lang;
  document.title = title;
  document.getElementById('cb-style').textContent = css;
  document.body.innerHTML = body;
  cbDraw();
}
"""


def render_parts(doc: Document) -> tuple[str, str]:
    """(stylesheet, body) of the print layout, for the printer's warm page."""
    cover = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in doc.cover)
    # the cover's facts head page 1 (no page of metadata alone): the 要情摘要 or the export's view follows
    sections = "".join(_section(s) for s in doc.sections)
    body = (f'<div class="cover compact"><div class="org">{escape(doc.header)}</div>'
            f'<h1>{escape(doc.title)}</h1><div class="sub">{escape(doc.subtitle)}</div><dl>{cover}</dl></div>'
            f"{sections}")
    return CSS, body


def html_lang(doc: Document) -> str:
    return "zh-CN" if doc.lang == "zh" else "en"


def shell_html() -> str:
    """The printer's warm page: the stylesheet slot, plotly.js and the drawing functions."""
    return ('<!doctype html><html><head><meta charset="utf-8"><style id="cb-style"></style>'
            f'<script src="/plotly.min.js"></script><script>{DRAW_JS}</script></head><body></body></html>')


def render_html(doc: Document) -> str:
    """The whole print layout as one standalone HTML document (to open in a browser when
    a print looks wrong; plotly.js is fetched as ``/plotly.min.js``)."""
    css, body = render_parts(doc)
    return (f'<!doctype html><html lang="{html_lang(doc)}"><head><meta charset="utf-8">'
            f'<title>{escape(doc.title)}</title><style id="cb-style">{css}</style>'
            f'<script src="/plotly.min.js"></script><script>{DRAW_JS}</script></head><body>'
            f"{body}<script>cbDraw();</script></body></html>")


def header_template(doc: Document) -> str:
    """Chromium's running header (inline styles only: the template sees none of the page's CSS)."""
    return (f'<div style="font-family:{FONT};font-size:8pt;color:#868e96;width:100%;margin:0 14mm;'
            f'display:flex;justify-content:space-between;"><span>{escape(doc.header)}</span>'
            f"<span>{escape(doc.title)} · {escape(doc.subtitle)}</span></div>")


def footer_template(doc: Document) -> str:
    return (f'<div style="font-family:{FONT};font-size:8pt;color:#868e96;width:100%;margin:0 14mm;'
            f'display:flex;justify-content:space-between;"><span>{escape(doc.footer)}</span>'
            '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


def _section(s: Section) -> str:
    # sections flow one after another (a short one shares its page); only the 要情摘要 ends its page
    cls = "ends-page" if s.ends_page else ""
    # the heading stays with its first block of substance — leading notes and the block after
    # them — never alone (or with a one-line note) at the foot of a page
    lead = 0
    while lead < len(s.blocks) - 1 and isinstance(s.blocks[lead], Note):
        lead += 1
    head = "".join(_block(b) for b in s.blocks[:lead + 1])
    return (f'<section id="{escape(s.id)}" class="{cls}"><div class="head"><h2>{escape(s.heading)}</h2>{head}</div>'
            + "".join(_block(b) for b in s.blocks[lead + 1:]) + "</section>")


def _block(b: Any) -> str:
    if isinstance(b, list):
        if b and all(isinstance(x, Kpi) for x in b):
            # four cards fill one line; otherwise three to a line
            return f'<div class="kpis{" four" if len(b) == 4 else ""}">' + "".join(_kpi(k) for k in b) + "</div>"
        if b and all(isinstance(x, Figure) for x in b):
            return '<div class="figs">' + "".join(_figure(f) for f in b) + "</div>"
        return "".join(_block(x) for x in b)
    if isinstance(b, Figure):
        return '<div class="figs">' + _figure(b) + "</div>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Note):
        return f'<div class="note {escape(b.kind)}">{escape(b.text)}</div>'
    if isinstance(b, Kpi):
        return '<div class="kpis">' + _kpi(b) + "</div>"
    if isinstance(b, Row):
        return '<div class="row">' + "".join(f'<div class="cell">{_block(x)}</div>' for x in b.blocks) + "</div>"
    if isinstance(b, Bullets):
        return '<ul class="bullets">' + "".join(f"<li><b>{escape(k)}</b>{escape(v)}</li>" for k, v in b.items) + "</ul>"
    if isinstance(b, str):
        return f"<h3>{escape(b)}</h3>"
    raise TypeError(f"a briefing block cannot be a {type(b).__name__}")


def _kpi(k: Kpi) -> str:
    unit = f'<span class="u">{escape(k.unit)}</span>' if k.unit else ""
    note = f'<div class="n">{escape(k.note)}</div>' if k.note else ""
    return (f'<div class="kpi {escape(k.tone)}"><div class="l">{escape(k.label)}</div>'
            f'<div class="v">{escape(k.value)}{unit}</div>{note}</div>')


def _figure(f: Figure) -> str:
    fig = dict(f.figure)
    layout = dict(fig.get("layout") or {})
    width = CONTENT_PX - 12 if f.wide else CONTENT_PX // 2 - 18
    layout.update({"width": width, "height": f.height, "autosize": False,
                   "font": {**(layout.get("font") or {}), "family": FONT}})
    fig["layout"] = layout
    data = json.dumps(fig, ensure_ascii=False, default=str).replace("</", "<\\/")
    return (f'<div class="fig {"wide" if f.wide else "half"}" data-figure="{escape(f.id)}">'
            f'<div class="t">{escape(f.title)}</div><div class="plot" style="height:{f.height}px"></div>'
            f'<script type="application/json">{Markup(data)}</script></div>')


#: a column whose every cell is at most this long never wraps (levels, times, numbers): the
#: long text columns wrap instead, and each row stays one line more often
SHORT_CELL = 14


def _table(tb: Table) -> str:
    short = {i for i in range(len(tb.columns))
             if tb.rows and max(len(str(r[i])) for r in tb.rows if i < len(r)) <= SHORT_CELL}

    def cls(i: int) -> str:
        return " ".join(c for c, on in (("num", i in tb.numeric), ("nw", i in short)) if on)

    head = "".join(f'<th class="{cls(i)}">{escape(c)}</th>' for i, c in enumerate(tb.columns))
    if not tb.rows:
        body = f'<tr><td colspan="{len(tb.columns)}" class="empty">{escape(tb.empty or "—")}</td></tr>'
    else:
        body = "".join("<tr>" + "".join(f'<td class="{cls(i)}">{escape(v)}</td>'
                                        for i, v in enumerate(row)) + "</tr>" for row in tb.rows)
    title = f"<h3>{escape(tb.title)}</h3>" if tb.title else ""
    return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
