"""统计 page and Excel export: who may see which figures, charts, filters."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from supervision import clock
from tests.web.stats_data import NOW
from tests.web.stats_data import seed_cases

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def seeded(app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        return seed_cases(session)


def test_the_city_page_shows_figures_charts_and_tables(login, seeded):
    page = login("sup1").get("/stats/")
    assert page.status_code == 200
    text = page.text
    assert '<span class="kpi__value">7</span>' in text
    assert "40.0%" in text  # overdue rate 2 of 5
    assert "66.7%" in text  # satisfaction 2 of 3
    assert text.count('role="img"') == 3
    assert "各执法机关案件数与逾期数" in text
    assert "利州区" in text and "昭化区" in text  # the counties are listed
    assert "市市场监管局" in text and "投诉举报办理" in text


def test_a_county_sees_only_its_own_figures(login, seeded):
    page = login("lizhou1").get("/stats/")
    assert page.status_code == 200
    assert '<span class="kpi__value">1</span>' in page.text
    assert "昭化区" not in page.text
    refused = login("lizhou1").get("/stats/?region=510811")
    assert refused.status_code == 403


def test_filters_narrow_the_figures(login, seeded):
    sup = login("sup1")
    page = sup.get("/stats/?flow=major_case_supervision")
    assert '<span class="kpi__value">1</span>' in page.text
    page = sup.get("/stats/?region=510802")
    assert '<span class="kpi__value">1</span>' in page.text
    page = sup.get("/stats/?period=all")
    assert '<span class="kpi__value">8</span>' in page.text
    empty = sup.get("/stats/?from=2026-01-01&to=2026-01-31")
    assert "所选范围内没有案件" in empty.text


def test_bad_dates_are_a_clear_400(login, seeded):
    sup = login("sup1")
    assert sup.get("/stats/?from=2026-13-01").status_code == 400
    assert sup.get("/stats/?from=2026-05-01&to=2026-04-01").status_code == 400


@pytest.mark.parametrize("username", ["operator", "market1", "market_head", "designer", "invited1"])
def test_roles_without_statistics_are_refused(login, seeded, username):
    other = login(username)
    assert other.get("/stats/").status_code == 403
    assert other.get("/stats/export.xlsx").status_code == 403


def test_the_export_has_every_table_and_the_readable_cases(login, seeded):
    response = login("sup1").get("/stats/export.xlsx?period=year")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "概况",
        "按流程",
        "按执法机关",
        "按状态",
        "按地区",
        "按月",
        "案件清单",
    ]
    cases = book["案件清单"]
    numbers = [row[0].value for row in cases.iter_rows(min_row=2)]
    assert sorted(numbers) == sorted(
        ["JD-510800-2026-c1", "JD-510800-2026-c2", "JD-510800-2026-c3", "JD-510800-2026-c4",
         "JD-510800-2026-c5", "JD-510802-2026-l1", "JD-510811-2026-z1"]
    )  # fmt: skip
    # A title that looks like a formula stays text.
    titles = {row[1].value: row[1].data_type for row in cases.iter_rows(min_row=2)}
    assert titles['=HYPERLINK("http://evil")'] == "s"
    flows = {row[0].value: row[1].value for row in book["按流程"].iter_rows(min_row=2)}
    assert flows == {"投诉举报办理": 6, "重大行政执法案件监督": 1}


def test_a_county_export_lists_only_its_cases(login, seeded):
    response = login("lizhou1").get("/stats/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    numbers = [row[0].value for row in book["案件清单"].iter_rows(min_row=2)]
    assert numbers == ["JD-510802-2026-l1"]


def test_the_administrator_exports_figures_without_a_case_list(login, seeded):
    response = login("admin").get("/stats/export.xlsx?period=all")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "案件清单" not in book.sheetnames
    totals = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=2)}
    assert totals["案件数"] == 8


def test_the_page_in_english(login, seeded):
    sup = login("sup1")
    sup.post("/lang", data={"lang": "en"})
    page = sup.get("/stats/")
    assert page.status_code == 200
    assert "Overdue rate" in page.text
