"""A Playwright scenario per themed page against the demo store: it renders with real
data, a district change updates every chart, a grid row opens the drill-down (in the
URL), XLSX and CSV exports hold the grid's rows; screenshots in both languages."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.browserkit import assert_no_overflow, screenshot

PAGES = [  # path, prefix, start range, district to pick (label zh)
    ("/environment", "env", "7d", "魏都区"),
    ("/traffic", "traffic", "7d", "魏都区"),
    ("/tourism", "tourism", "7d", "魏都区"),
    ("/hotline", "hotline", "7d", "魏都区"),
    ("/economy", "economy", "2y", "魏都区"),
]

#: what a chart shows: positions, values (a calendar's are in z and text) and colours —
#: two districts' calendars of one colour are still different charts
SIGNATURE = """(prefix) => Object.fromEntries([...document.querySelectorAll('[id^="' + prefix + '-chart-"]')]
    .filter(box => box.offsetParent !== null && box.querySelector('.js-plotly-plot'))
    .map(box => [box.id, JSON.stringify((box.querySelector('.js-plotly-plot').data || [])
        .map(d => [d.x, d.y, d.z, d.text, (d.marker || {}).color]))]))"""
#: the charts shown (one district's view hides the districts chart: issue 18), all drawn
DRAWN = """(prefix) => { const g = [...document.querySelectorAll('[id^="' + prefix + '-chart-"]')]
    .filter(box => box.offsetParent !== null).map(box => box.querySelector('.js-plotly-plot'));
    return g.length > 0 && g.every(el => el && el.data && el.data.length > 0); }"""


def _charts_drawn(page, prefix: str) -> list[str]:
    page.wait_for_function(DRAWN, arg=prefix, timeout=20000)
    return page.evaluate(SIGNATURE, prefix)


def _grid_rows(page, prefix: str) -> list[list[str]]:
    return page.evaluate("""async (gid) => {
        const api = await dash_ag_grid.getApiAsync(gid);
        const cols = api.getAllDisplayedColumns().map(c => c.getColId());
        const out = [];
        api.forEachNodeAfterFilterAndSort(n => out.push(cols.map(c => n.data[c] == null ? '' : String(n.data[c]))));
        return out; }""", f'{{"grid":"{prefix}","type":"cb-grid"}}')


# at an office screen, where these pages are worked; every page at the wall sizes is checked
# for overflow, overlap and console errors by tests/pages/test_matrix_browser.py
@pytest.mark.parametrize("page_at", [(1440, 900)], ids=["office-1440"], indirect=True)
@pytest.mark.parametrize("path,prefix,rng,district", PAGES, ids=[p[1] for p in PAGES])
def test_page_scenario(page_at, live_server, path, prefix, rng, district):
    page = page_at
    page.goto(f"{live_server}{path}?range={rng}")
    page.wait_for_selector(f"#{prefix}-kpis .cb-kpi")
    before = _charts_drawn(page, prefix)
    assert page.locator(f"#{prefix}-kpis .cb-kpi-value").first.inner_text() not in ("", "—")
    page.wait_for_timeout(500)
    screenshot(page, f"pages-{prefix}-zh")
    assert_no_overflow(page, f"#{prefix}-kpis")

    # drill-down: the first grid row opens its detail, and the URL says so
    page.locator(f".cb-grid .ag-center-cols-container .ag-row[row-index='0'] .ag-cell").first.click()
    page.wait_for_selector(f"#{prefix}-detail-box .cb-detail-body .js-plotly-plot", timeout=15000)
    assert "detail=" in page.url
    page.click(f"#{prefix}-detail-close")
    page.wait_for_function("() => !location.search.includes('detail=')")

    # a district: every chart redraws with other data; the view is in the URL
    page.click(f"#{prefix}-district")
    page.get_by_role("option", name=district).click()
    page.wait_for_function(f"() => location.search.includes('district=')")
    page.wait_for_function(
        "([prefix, before]) => { const now = (" + SIGNATURE + ")(prefix); const ids = Object.keys(now);"
        "  return ids.length > 0 && ids.every(id => id in before && now[id] !== before[id]); }",
        arg=[prefix, before], timeout=20000)

    # the link reproduces the view
    url = page.url
    page.goto(url)
    page.wait_for_selector(f"#{prefix}-kpis .cb-kpi")
    assert "district=" in page.url

    # exports: the file's rows are the grid's rows
    _charts_drawn(page, prefix)
    page.wait_for_timeout(500)
    shown = _grid_rows(page, prefix)
    with page.expect_download() as dl:
        page.click("button.cb-export-xlsx")
    frame = _table_part(pd.read_excel(dl.value.path(), dtype=str, keep_default_na=False, header=None))
    assert len(frame) == len(shown)
    if shown:
        assert [str(v) for v in frame.iloc[0]] == [v if v != "" else "" for v in shown[0]] or \
            frame.iloc[0, 0] == shown[0][0]
    with page.expect_download() as dl2:
        page.click("button.cb-export-csv")
    csv = _table_part(pd.read_csv(dl2.value.path(), dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                  header=None, names=range(60), skip_blank_lines=False))
    assert len(csv) == len(shown)

    # English: the same view, remembered language
    page.context.add_cookies([{"name": "citybrain_lang", "value": "en", "url": live_server}])
    page.goto(f"{live_server}{path}?range={rng}")
    page.wait_for_selector(f"#{prefix}-kpis .cb-kpi")
    _charts_drawn(page, prefix)
    page.wait_for_timeout(500)
    screenshot(page, f"pages-{prefix}-en")
    assert_no_overflow(page, f"#{prefix}-kpis")


def _table_part(raw: "pd.DataFrame") -> "pd.DataFrame":
    """The table of an export: below the header block (filters, as-of time — issue 18) and
    the blank row that ends it; its first row holds the column names."""
    blank = next(i for i in range(len(raw)) if all(str(v).strip() in ("", "nan") for v in raw.iloc[i]))
    table = raw.iloc[blank + 1:].reset_index(drop=True)
    table.columns = list(table.iloc[0])
    table = table.iloc[1:].reset_index(drop=True)
    return table.loc[:, [c for c in table.columns if str(c).strip() not in ("", "nan")]]
